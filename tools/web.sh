#!/usr/bin/env bash
# web.sh OUT — build the app for the browser (js/wasm) into the folder OUT:
# index.html (app/web), parley.wasm, Go's wasm_exec.js and the icon.
# Serve it with the server: parley-server -web OUT.
set -euo pipefail
out=${1:-bin/web}
go=${GO:-go}
cd "$(dirname "$0")/.."
mkdir -p "$out"
GOOS=js GOARCH=wasm "$go" build -trimpath -ldflags '-s -w' -o "$out/parley.wasm" ./app
cp "$("$go" env GOROOT)/lib/wasm/wasm_exec.js" "$out/"
cp app/web/index.html app/appicon.png "$out/"
echo "built $out"
