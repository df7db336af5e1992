#!/usr/bin/env bash
# mobile.sh TARGET [OUT] — package the app with gogio:
#
#   android      OUT/parley.apk and OUT/parley.aab         (OUT: bin/android)
#   ios          OUT/Parley.ipa, or OUT/Parley.app for the
#                simulator with PARLEY_IOS_SIMULATOR=1     (OUT: bin/ios)
#   macos        OUT/Parley.app                            (OUT: bin/macos)
#   android-jar  android/parley_android.jar alone (go generate ./android)
#
# gogio is pinned to gioui.org/cmd v0.10.0, the packager of the Gio v0.10
# line (the app uses gioui.org v0.10.3); PARLEY_GOGIO=/path/to/gogio runs
# an installed one instead. It is written to gogio v0.10.0's flags and, for
# Android, to the layout of its -work folder; the machine it was written on
# has no Android SDK and no Xcode, so none of it ran there.
#
# Every target registers the parley:// scheme (gogio -schemes): Android
# gets an intent filter for it, iOS and macOS CFBundleURLTypes; a clicked
# invite link reaches the app as an app.URLEvent (app/links.go).
#
# Settings (environment):
#   PARLEY_APP_ID       app id / bundle id              (org.parley.app)
#   PARLEY_VERSION      major.minor.patch.versioncode   (0.1.0.1); the last
#                       number must grow with every store upload
#   PARLEY_SERVER       server address the app offers at login (baked in)
#   PARLEY_RELEASE=1    release build: refuses to sign with a debug key
# Android:
#   ANDROID_HOME (or ANDROID_SDK_ROOT)  the SDK, with an NDK in ndk/
#   PARLEY_ANDROID_KEYSTORE, PARLEY_ANDROID_KEYSTORE_PASS  signing key (a
#                       release needs both; otherwise ~/.android/debug.keystore)
#   PARLEY_ANDROID_KEY_ALIAS  when the key is not the keystore's first; the
#                       key's password must be the keystore's (gogio signs
#                       with one password; PKCS12 keystores have one)
#   PARLEY_ANDROID_ARCH  e.g. arm64,arm (gogio's default: arm,arm64,386,amd64)
#   PARLEY_ANDROID_MINSDK (28), PARLEY_ANDROID_TARGETSDK (35)
#   PARLEY_ANDROID_POST_NOTIFICATIONS=0  keep gogio's manifest as it is
# iOS / macOS:
#   PARLEY_IOS_PROFILE  .mobileprovision for -signkey (gogio otherwise
#                       searches ~/Library/MobileDevice/Provisioning Profiles)
#   PARLEY_IOS_SIGN_IDENTITY  codesign identity for re-signing after the
#                       Info.plist edit (default: the certificate gogio used)
#   PARLEY_IOS_MINSDK (15)
#   PARLEY_MACOS_ARCH (this Mac's), PARLEY_MACOS_SIGN_IDENTITY (ad hoc: -),
#   PARLEY_MACOS_NOTARY_PROFILE  notarytool keychain profile: notarize
#
# It runs on macOS's bash 3.2: no empty "${array[@]}" under set -u.
# shellcheck disable=SC2015 # "test && test || die": die exits
set -euo pipefail

gogio_version=v0.10.0
go=${GO:-go}
cd "$(dirname "$0")/.."
repo=$(pwd)

app_id=${PARLEY_APP_ID:-org.parley.app}
version=${PARLEY_VERSION:-0.1.0.1}
release=${PARLEY_RELEASE:-0}

die() {
	echo "mobile.sh: $*" >&2
	exit 1
}

# need CMD HINT fails unless CMD is on PATH.
need() {
	command -v "$1" >/dev/null 2>&1 || die "$1 is missing. $2"
}

work=$(mktemp -d)
cleanup=("$work")
trap 'rm -rf "${cleanup[@]}"' EXIT

# gogio runs the pinned gogio, or PARLEY_GOGIO.
gogio=()
find_gogio() {
	need "$go" "Install Go 1.26 or newer."
	if [ -n "${PARLEY_GOGIO:-}" ]; then
		need "$PARLEY_GOGIO" "PARLEY_GOGIO names a gogio that is not there."
		gogio=("$PARLEY_GOGIO")
		return
	fi
	# Built in a throwaway module rather than with 'go run ...@version',
	# which also asks the network for the module's latest version (for
	# deprecation notices) and fails where only the module proxy answers.
	local m=$work/gogio-module
	mkdir -p "$m"
	printf 'module parley/gogio\n\ngo 1.24\n\nrequire gioui.org/cmd %s\n' "$gogio_version" >"$m/go.mod"
	if ! (cd "$m" && GOWORK=off GOFLAGS=-mod=mod "$go" build -o "$work/gogio" gioui.org/cmd/gogio) 2>"$work/gogio.err"; then
		cat "$work/gogio.err" >&2
		die "gogio (gioui.org/cmd@$gogio_version) cannot be built here (GOPROXY=$("$go" env GOPROXY)).
Install it where it can be, 'go install gioui.org/cmd/gogio@$gogio_version', and set PARLEY_GOGIO to the binary."
	fi
	gogio=("$work/gogio")
}

check_version() {
	[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
		die "PARLEY_VERSION=$version: gogio wants major.minor.patch.versioncode, like 1.2.0.7"
}

# app_args are the run arguments gogio bakes into the app.
app_args=()
[ -n "${PARLEY_SERVER:-}" ] && app_args=(-server "$PARLEY_SERVER")

# run_gogio LOG ARGS... runs gogio, keeping its output in LOG. With -work,
# gogio_work is the folder it kept (removed on exit).
gogio_work=
run_gogio() {
	local log=$1 ok=1
	shift
	echo "gogio $*" >&2
	"${gogio[@]}" "$@" ./app ${app_args[@]+"${app_args[@]}"} >"$log" 2>&1 || ok=0
	cat "$log" >&2
	gogio_work=$(sed -n 's/^WORKDIR=//p' "$log" | tail -n1)
	[ -n "$gogio_work" ] && cleanup+=("$gogio_work")
	[ $ok = 1 ] || die "gogio failed (above)."
}

# ---------------------------------------------------------------- Android

# newest DIR... prints the last of the numerically sorted version names.
newest() {
	local d
	for d in "$@"; do
		[ -d "$d" ] && basename "$d"
	done | grep -E '^[0-9]+(\.[0-9]+)*$' | sort -t. -k1,1n -k2,2n -k3,3n | tail -n1 || true
}

android_sdk() {
	sdk=${ANDROID_HOME:-${ANDROID_SDK_ROOT:-}}
	[ -n "$sdk" ] || die "ANDROID_HOME is not set. Point it (or ANDROID_SDK_ROOT) at the Android SDK, with:
  sdkmanager 'platform-tools' 'platforms;android-35' 'build-tools;35.0.0' 'ndk;27.2.12479018'"
	[ -d "$sdk" ] || die "ANDROID_HOME=$sdk is not a directory."
	export ANDROID_HOME=$sdk # gogio reads ANDROID_HOME only

	local level
	level=$(for d in "$sdk"/platforms/android-*; do [ -f "$d/android.jar" ] && echo "${d##*-}"; done | grep -E '^[0-9]+$' | sort -n | tail -n1 || true)
	[ -n "$level" ] || die "no Android platform in $sdk/platforms: sdkmanager 'platforms;android-35'"
	platform_jar=$sdk/platforms/android-$level/android.jar
}

android_tools() {
	android_sdk
	local tools
	tools=$(newest "$sdk"/build-tools/*)
	[ -n "$tools" ] || die "no build-tools in $sdk/build-tools: sdkmanager 'build-tools;35.0.0'"
	bt=$sdk/build-tools/$tools
	local t
	for t in aapt2 d8 zipalign apksigner; do
		[ -x "$bt/$t" ] || die "$bt/$t is missing: reinstall build-tools (sdkmanager 'build-tools;35.0.0')."
	done
	bundletool=
	for t in "$bt"/bundletool*.jar; do
		[ -f "$t" ] && bundletool=$t && break
	done
	[ -n "$bundletool" ] || die "no bundletool*.jar in $bt: gogio builds the .aab with it from there.
Download bundletool-all-<version>.jar from https://github.com/google/bundletool/releases into $bt."
	if ! ls -d "$sdk"/ndk/*/ >/dev/null 2>&1 && [ ! -d "$sdk/ndk-bundle" ] && [ ! -d "${ANDROID_NDK_ROOT:-/nonexistent}" ]; then
		die "no Android NDK in $sdk/ndk (nor ndk-bundle, nor ANDROID_NDK_ROOT): sdkmanager 'ndk;27.2.12479018'"
	fi
	local jdk="Install a JDK (17 is known to work with build-tools 35) and put its bin on PATH."
	need javac "$jdk"
	need jar "$jdk"
	need java "$jdk"
	need keytool "$jdk"
	need jarsigner "$jdk"
	need zip "Install zip (apt-get install zip; macOS has it)."
	need unzip "Install unzip."
}

# android_jar compiles PermissionRequester.java into the package folder,
# where gogio looks for .jar files.
android_jar() {
	local classes=$work/classes
	mkdir -p "$classes"
	javac -source 8 -target 8 -Xlint:-options -nowarn -encoding UTF-8 \
		-bootclasspath "$platform_jar" -d "$classes" android/*.java ||
		die "javac could not compile android/*.java against $platform_jar."
	jar cf android/parley_android.jar -C "$classes" .
	echo "built android/parley_android.jar" >&2
}

android_signing() {
	if [ "$release" = 1 ]; then
		[ -n "${PARLEY_ANDROID_KEYSTORE:-}" ] && [ -n "${PARLEY_ANDROID_KEYSTORE_PASS:-}" ] ||
			die "a release build is signed with your upload key: set PARLEY_ANDROID_KEYSTORE to the keystore file and PARLEY_ANDROID_KEYSTORE_PASS to its password."
	fi
	if [ -n "${PARLEY_ANDROID_KEYSTORE:-}" ]; then
		keystore=$PARLEY_ANDROID_KEYSTORE
		[ -f "$keystore" ] || die "PARLEY_ANDROID_KEYSTORE=$keystore: no such file."
		[ -n "${PARLEY_ANDROID_KEYSTORE_PASS:-}" ] || die "PARLEY_ANDROID_KEYSTORE is set: set PARLEY_ANDROID_KEYSTORE_PASS to its password too."
	else
		# The standard debug key, so that debug builds update each other.
		keystore=$HOME/.android/debug.keystore
		export PARLEY_ANDROID_KEYSTORE_PASS=android
		if [ ! -f "$keystore" ]; then
			mkdir -p "$(dirname "$keystore")"
			keytool -genkeypair -keystore "$keystore" -storepass android -keypass android \
				-alias androiddebugkey -keyalg RSA -keysize 2048 -validity 10000 \
				-dname "CN=Android Debug,O=Android,C=US" -noprompt
		fi
		echo "signing with the debug key $keystore (PARLEY_RELEASE=1 for a release)" >&2
	fi
	export GOGIO_SIGNPASS=$PARLEY_ANDROID_KEYSTORE_PASS # gogio reads it when -signpass is not given
	key_alias=${PARLEY_ANDROID_KEY_ALIAS:-}
	if [ -z "$key_alias" ]; then
		key_alias=$(keytool -list -v -keystore "$keystore" -storepass:env PARLEY_ANDROID_KEYSTORE_PASS |
			sed -n 's/^Alias name: //p' | head -n1 || true)
	fi
	[ -n "$key_alias" ] || die "no key in $keystore (or a wrong PARLEY_ANDROID_KEYSTORE_PASS)."
}

# add_post_notifications WORK apk|aab DEST: gogio declares only the
# permissions of gioui.org/app/permission/* (RECORD_AUDIO through
# parley/android's import of microphone, INTERNET through net), and it has
# none for POST_NOTIFICATIONS, which Android 13 needs before it shows the
# prompt. So its manifest is linked again with that line added, swapped
# into gogio's unsigned package (WORK/app.zip, WORK/resources.zip and
# WORK/AndroidManifest.xml of gogio v0.10.0's -work folder), and DEST is
# aligned and signed again as gogio does.
add_post_notifications() {
	local gw=$1 kind=$2 dest=$3
	local manifest=$gw/AndroidManifest.xml
	[ -f "$manifest" ] && [ -f "$gw/app.zip" ] && [ -f "$gw/resources.zip" ] ||
		die "gogio's work folder $gw lacks AndroidManifest.xml, app.zip or resources.zip: a gogio other than $gogio_version? Set PARLEY_ANDROID_POST_NOTIFICATIONS=0 to skip this step."
	grep -q 'android.permission.RECORD_AUDIO' "$manifest" ||
		die "gogio's manifest has no RECORD_AUDIO: the app must import parley/android (which imports gioui.org/app/permission/microphone)."
	grep -q 'android.permission.INTERNET' "$manifest" || die "gogio's manifest has no INTERNET permission."
	[ "${PARLEY_ANDROID_POST_NOTIFICATIONS:-1}" = 1 ] || return 0

	local re=$gw/parley
	mkdir -p "$re"
	awk '{ print } /android\.permission\.RECORD_AUDIO/ { print "\t<uses-permission android:name=\"android.permission.POST_NOTIFICATIONS\"/>" }' \
		"$manifest" >"$re/AndroidManifest.xml"
	local link=(link --manifest "$re/AndroidManifest.xml" -I "$platform_jar" -o "$re/link.apk")
	[ "$kind" = aab ] && link+=(--proto-format)
	"$bt/aapt2" "${link[@]}" "$gw/resources.zip"

	local entry=AndroidManifest.xml
	[ "$kind" = aab ] && entry=manifest/AndroidManifest.xml # a bundle module's layout
	mkdir -p "$re/zip/$(dirname "$entry")"
	unzip -p "$re/link.apk" AndroidManifest.xml >"$re/zip/$entry"
	(cd "$re/zip" && zip -q "$gw/app.zip" "$entry")

	if [ "$kind" = apk ]; then
		"$bt/zipalign" -f 4 "$gw/app.zip" "$dest"
		"$bt/apksigner" sign --ks "$keystore" --ks-pass env:PARLEY_ANDROID_KEYSTORE_PASS \
			--ks-key-alias "$key_alias" "$dest"
		"$bt/apksigner" verify "$dest"
		"$bt/aapt2" dump permissions "$dest" >"$re/permissions"
	else
		java -jar "$bundletool" build-bundle --overwrite --modules="$gw/app.zip" --output="$re/app.aab"
		"$bt/zipalign" -f 4 "$re/app.aab" "$dest"
		jarsigner -sigalg SHA256withRSA -digestalg SHA-256 -keystore "$keystore" \
			-storepass:env PARLEY_ANDROID_KEYSTORE_PASS "$dest" "$key_alias" >/dev/null
		jarsigner -verify "$dest" >/dev/null
		java -jar "$bundletool" dump manifest --bundle="$dest" >"$re/permissions"
	fi
	local p
	for p in INTERNET RECORD_AUDIO POST_NOTIFICATIONS; do
		grep -q "android.permission.$p" "$re/permissions" || die "$dest does not declare $p."
	done
}

android() {
	local out=${1:-bin/android}
	check_version
	android_tools
	find_gogio
	android_signing
	cleanup+=("$repo/android/parley_android.jar")
	android_jar

	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	local flags=(-target android -appid "$app_id" -name Parley -version "$version" -schemes parley
		-icon app/appicon.png -minsdk "${PARLEY_ANDROID_MINSDK:-28}"
		-targetsdk "${PARLEY_ANDROID_TARGETSDK:-35}" -signkey "$keystore" -work)
	[ -n "${PARLEY_ANDROID_ARCH:-}" ] && flags+=(-arch "$PARLEY_ANDROID_ARCH")
	# pion (calls over UDP) pulls in wlynxg/anet, which reaches
	# net.zoneCache by linkname on Android: the linker must allow it
	# (tools/androidlink proves the link).
	flags+=(-ldflags -checklinkname=0)

	local kind
	for kind in apk aab; do
		run_gogio "$work/gogio-$kind.log" "${flags[@]}" -o "$out/parley.$kind"
		[ -n "$gogio_work" ] || die "gogio did not print its WORKDIR (-work)."
		add_post_notifications "$gogio_work" "$kind" "$out/parley.$kind"
		echo "built $out/parley.$kind" >&2
	done
}

# ---------------------------------------------------------------- Apple

apple_tools() {
	[ "$(uname -s)" = Darwin ] || die "the $1 target builds on macOS only (Xcode)."
	need xcrun "Install Xcode and run 'sudo xcode-select -s /Applications/Xcode.app'."
	need codesign "Install Xcode's command line tools: xcode-select --install"
	need plutil "plutil is part of macOS."
	[ -x /usr/libexec/PlistBuddy ] || die "/usr/libexec/PlistBuddy is missing (part of macOS)."
	plistbuddy=/usr/libexec/PlistBuddy
}

# add_plist PLIST merges ios/Info.additions.plist into PLIST (keys it
# has already stay): gogio writes no NSMicrophoneUsageDescription, and
# without it iOS ends the app the moment a call opens the microphone.
add_plist() {
	cp "$repo/ios/Info.additions.plist" "$work/additions.plist" # a path without spaces for PlistBuddy's command line
	"$plistbuddy" -c "Merge $work/additions.plist" "$1"
	"$plistbuddy" -c "Print :NSMicrophoneUsageDescription" "$1" >/dev/null ||
		die "$1 has no NSMicrophoneUsageDescription after the merge."
	plutil -lint "$1" >/dev/null
}

ios() {
	local out=${1:-bin/ios}
	check_version
	apple_tools ios
	xcrun --sdk iphoneos --show-sdk-path >/dev/null 2>&1 ||
		die "Xcode's iOS SDK is missing: install Xcode (not only the command line tools) and select it with xcode-select."
	need security "security is part of macOS."
	need zip "zip is part of macOS."
	need unzip "unzip is part of macOS."
	find_gogio
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	local flags=(-target ios -appid "$app_id" -name Parley -version "$version" -schemes parley
		-icon app/appicon.png -minsdk "${PARLEY_IOS_MINSDK:-15}")
	[ -n "${PARLEY_IOS_PROFILE:-}" ] && flags+=(-signkey "$PARLEY_IOS_PROFILE")

	if [ "${PARLEY_IOS_SIMULATOR:-0}" = 1 ]; then
		# gogio builds an unsigned .app for the (x86_64) simulator.
		run_gogio "$work/gogio.log" "${flags[@]}" -o "$out/Parley.app"
		add_plist "$out/Parley.app/Info.plist"
		echo "built $out/Parley.app" >&2
		return
	fi

	run_gogio "$work/gogio.log" "${flags[@]}" -o "$out/Parley.ipa"
	# gogio signed the .ipa: unpack it, edit the plist, sign it again with
	# the same certificate and the provisioning profile's entitlements.
	local x=$work/ipa
	mkdir -p "$x"
	(cd "$x" && unzip -q "$out/Parley.ipa")
	local app=$x/Payload/Parley.app
	[ -d "$app" ] || die "$out/Parley.ipa has no Payload/Parley.app."
	add_plist "$app/Info.plist"
	security cms -D -i "$app/embedded.mobileprovision" -o "$work/profile.plist"
	"$plistbuddy" -x -c "Print :Entitlements" "$work/profile.plist" >"$work/entitlements.plist"
	local identity=${PARLEY_IOS_SIGN_IDENTITY:-}
	if [ -z "$identity" ]; then
		codesign -d --extract-certificates="$work/cert" "$app" 2>/dev/null
		identity=$(shasum -a 1 "$work/cert0" | cut -d' ' -f1) # as gogio names it
	fi
	codesign --sign "$identity" --deep --force --options runtime \
		--entitlements "$work/entitlements.plist" "$app"
	codesign --verify --deep --strict "$app"
	rm -f "$out/Parley.ipa"
	(cd "$x" && zip -qry "$out/Parley.ipa" Payload)
	echo "built $out/Parley.ipa" >&2
}

macos() {
	local out=${1:-bin/macos}
	check_version
	apple_tools macos
	need clang "Install Xcode's command line tools: xcode-select --install"
	need iconutil "iconutil is part of macOS."
	need ditto "ditto is part of macOS."
	find_gogio
	local arch=${PARLEY_MACOS_ARCH:-}
	if [ -z "$arch" ]; then
		case $(uname -m) in
		arm64) arch=arm64 ;;
		*) arch=amd64 ;;
		esac
	fi
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	local app=$out/Parley.app
	rm -rf "$app"
	# One architecture: with several, gogio writes Parley_<arch>.app
	# folders inside the -o folder. Unsigned: the signature must cover the
	# edited plist and the microphone entitlement, so it is made below.
	run_gogio "$work/gogio.log" -target macos -arch "$arch" -appid "$app_id" -version "$version" \
		-schemes parley -icon app/appicon.png -o "$app"

	# The usage texts (microphone; local network, asked by macOS 15 too),
	# and what gogio's macOS plist lacks: a name, the version, and the
	# package type of an application.
	local plist=$app/Contents/Info.plist
	add_plist "$plist"
	plutil -replace CFBundleName -string Parley "$plist"
	plutil -replace CFBundlePackageType -string APPL "$plist"
	plutil -replace CFBundleShortVersionString -string "${version%.*}" "$plist"
	plutil -replace CFBundleVersion -string "${version##*.}" "$plist"

	# gogio's hardened-runtime entitlements plus the microphone: without
	# audio-input the hardened runtime hands the app silence.
	cat >"$work/macos.entitlements" <<-'EOF'
		<?xml version="1.0" encoding="UTF-8"?>
		<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
		<plist version="1.0">
		<dict>
			<key>com.apple.security.cs.allow-unsigned-executable-memory</key>
			<true/>
			<key>com.apple.security.cs.allow-jit</key>
			<true/>
			<key>com.apple.security.device.audio-input</key>
			<true/>
		</dict>
		</plist>
	EOF
	xattr -rc "$app"
	codesign --sign "${PARLEY_MACOS_SIGN_IDENTITY:--}" --deep --force --options runtime \
		--entitlements "$work/macos.entitlements" "$app"
	codesign --verify --deep --strict "$app"

	if [ -n "${PARLEY_MACOS_NOTARY_PROFILE:-}" ]; then
		[ -n "${PARLEY_MACOS_SIGN_IDENTITY:-}" ] || die "notarizing needs a Developer ID identity: set PARLEY_MACOS_SIGN_IDENTITY."
		ditto -c -k --keepParent "$app" "$work/Parley.zip"
		xcrun notarytool submit "$work/Parley.zip" --keychain-profile "$PARLEY_MACOS_NOTARY_PROFILE" --wait
		xcrun stapler staple "$app"
	fi
	echo "built $app" >&2
}

case ${1:-} in
android) android "${2:-}" ;;
android-jar)
	need javac "Install a JDK (17) and put its bin on PATH."
	need jar "Install a JDK (17) and put its bin on PATH."
	android_sdk
	android_jar
	;;
ios) ios "${2:-}" ;;
macos) macos "${2:-}" ;;
*)
	echo "usage: tools/mobile.sh android|ios|macos [OUT] | android-jar" >&2
	exit 2
	;;
esac
