#!/usr/bin/env bash
# sysdeps.sh GROUP... — make sure the Debian packages a make target needs are
# installed. As root it installs what is missing with apt-get; otherwise it
# prints the exact command to run and fails, so nothing half-works.
set -euo pipefail

pkgs_for() {
	case "$1" in
	# Building the Gio app on Linux (cgo: X11, Wayland, EGL, Vulkan headers;
	# malgo's miniaudio needs only the C toolchain).
	gio) echo "gcc libc6-dev pkg-config libwayland-dev libx11-xcb-dev libxkbcommon-x11-dev libxcursor-dev libegl-dev libvulkan-dev" ;;
	# Running it: Mesa's EGL and GLES (llvmpipe where there is no GPU), and
	# the colour emoji font it loads by path (ui/fonts.go).
	app) echo "$(pkgs_for gio) libgles2 libgl1-mesa-dri libegl-mesa0 fonts-noto-color-emoji" ;;
	# Building the browser app: brotli precompresses it (tools/web.sh).
	web) echo "brotli" ;;
	# Tests: the race detector needs gcc; UI tests render headless through
	# EGL (surfaceless), run the real binary under Xvfb, take screenshots
	# (imagemagick's import), type with xdotool, and load the CJK font by path;
	# the browser app's end-to-end test builds it (web) and runs it in
	# headless Chromium, the browser store's tests run as js/wasm under
	# node, the desktop package's test validates its .desktop file, and
	# the notifications' test talks to a notification server on a private
	# D-Bus daemon; Opus interop tests run Debian's opusenc and opusdec
	# (opus-tools); the cluster-mode tests start their own services.
	test) echo "$(pkgs_for app) xvfb xauth imagemagick xdotool fonts-noto-cjk chromium nodejs dbus-daemon $(pkgs_for web) $(pkgs_for desktop) opus-tools $(pkgs_for services)" ;;
	# The services cluster-mode tests start privately (tools/services.sh):
	# PostgreSQL's server (initdb, postgres); NATS and S3 are built from Go.
	services) echo "postgresql" ;;
	# make cluster (tools/cluster.sh): the services, nginx in front of the
	# nodes, and curl for its readiness checks and the S3 bucket.
	cluster) echo "$(pkgs_for services) nginx curl" ;;
	# BenchmarkObjectiveQuality (media/call) synthesises English and Chinese
	# speech with espeak-ng; make bench runs it, make test does not.
	quality) echo "espeak-ng" ;;
	# Packaging the Linux desktop app: desktop-file-validate.
	desktop) echo "desktop-file-utils" ;;
	# Cross-building the Windows app (cgo for malgo) and its icon resource.
	windows) echo "gcc-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64" ;;
	*) echo "sysdeps.sh: unknown group $1" >&2; exit 2 ;;
	esac
}

want=()
for group in "$@"; do
	for p in $(pkgs_for "$group"); do want+=("$p"); done
done

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "Missing system packages: ${missing[*]}" >&2
	echo "Install them with:" >&2
	echo "  sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
echo "Installing missing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
