#!/usr/bin/env bash
# desktop.sh [OUT] — the Linux desktop app in OUT (default bin/desktop):
#
#   OUT/parley                                     the app
#   OUT/parley.desktop                             its freedesktop entry
#   OUT/parley.png                                 the icon, 512 px
#   OUT/icons/hicolor/<N>x<N>/apps/parley.png      drawn at 48 to 512 px
#
# The entry is checked with desktop-file-validate (Debian: apt-get install
# desktop-file-utils). With PREFIX set (say ~/.local or /usr/local) it also
# installs them: PREFIX/bin, PREFIX/share/applications and
# PREFIX/share/icons/hicolor. The entry starts "parley" from PATH, and
# names the icon "parley" as Gio names the window (its app ID, the
# program's name), so the desktop matches windows to the entry.
set -euo pipefail
out=${1:-bin/desktop}
go=${GO:-go}
cd "$(dirname "$0")/.."

command -v desktop-file-validate >/dev/null 2>&1 || {
	echo "desktop.sh: desktop-file-validate is missing; install it with: sudo apt-get install desktop-file-utils" >&2
	exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$out"
"$go" build -trimpath -ldflags '-s -w' -o "$out/parley" ./app

"$go" build -o "$work/appicon" ./tools/appicon
sizes="48 64 128 256 512"
for s in $sizes; do
	mkdir -p "$out/icons/hicolor/${s}x$s/apps"
	"$work/appicon" -png "$out/icons/hicolor/${s}x$s/apps/parley.png" -size "$s"
done
cp "$out/icons/hicolor/512x512/apps/parley.png" "$out/parley.png"

cat >"$out/parley.desktop" <<'EOF'
[Desktop Entry]
Type=Application
Name=Parley
GenericName=Chat and Voice Calls
GenericName[zh_CN]=聊天与语音通话
Comment=Chat, call and send files through your own Parley server
Comment[zh_CN]=通过你自己的 Parley 服务器聊天、通话和发送文件
Exec=parley %u
Icon=parley
Terminal=false
Categories=Network;Chat;InstantMessaging;Telephony;
Keywords=chat;messages;voice;call;files;
Keywords[zh_CN]=聊天;消息;语音;通话;文件;
StartupNotify=false
MimeType=x-scheme-handler/parley;
StartupWMClass=parley
EOF
desktop-file-validate "$out/parley.desktop"

if [ -n "${PREFIX:-}" ]; then
	install -Dm755 "$out/parley" "$PREFIX/bin/parley"
	install -Dm644 "$out/parley.desktop" "$PREFIX/share/applications/parley.desktop"
	for s in $sizes; do
		install -Dm644 "$out/icons/hicolor/${s}x$s/apps/parley.png" "$PREFIX/share/icons/hicolor/${s}x$s/apps/parley.png"
	done
	echo "installed in $PREFIX" >&2
fi
echo "built $out" >&2
