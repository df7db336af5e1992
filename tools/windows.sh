#!/usr/bin/env bash
# windows.sh OUT — cross-build the app for Windows (amd64) with mingw:
# cgo (malgo's miniaudio), the GUI subsystem (no console window) and the
# icon, embedded as a resource object (.syso) made with mingw's windres
# from the .ico that tools/appicon draws. The .syso lives in app/ only
# for the build. The parley:// scheme is Gio's to register: its scheme
# list (gogio -schemes sets the same variable) makes the app write
# HKCU\Software\Classes\parley at start, open a clicked link with
# -gio_launch_url, and hand a link to the instance already running
# (app/links.go takes both).
set -euo pipefail
out=${1:-bin/parley.exe}
go=${GO:-go}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
syso=app/rsrc_windows_amd64.syso
trap 'rm -rf "$work" "$syso"' EXIT

"$go" run ./tools/appicon -ico "$work/parley.ico"
printf '1 ICON "parley.ico"\n' >"$work/parley.rc"
(cd "$work" && x86_64-w64-mingw32-windres -O coff -i parley.rc -o parley.syso)
cp "$work/parley.syso" "$syso"

mkdir -p "$(dirname "$out")"
GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc CGO_CFLAGS='-O2 -w' \
	"$go" build -trimpath -ldflags '-H=windowsgui -s -w -X gioui.org/app.schemesURI=parley' -o "$out" ./app
echo "built $out"
