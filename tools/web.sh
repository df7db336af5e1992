#!/usr/bin/env bash
# web.sh OUT — build the app for the browser (js/wasm) into the folder OUT:
# index.html (app/web), parley.wasm (stripped), Go's wasm_exec.js and the
# icon, and beside each text or wasm file its precompressed siblings:
# NAME.gz (gzip -9) and, where Debian's brotli is installed
# (tools/sysdeps.sh web), NAME.br (brotli -q 11). The server sends them to
# browsers that accept them (server/static): the 23 MB wasm file travels
# as about 6 MB gzipped, 4 MB with brotli.
# Serve it with the server: parley-server -web OUT.
set -euo pipefail
out=${1:-bin/web}
go=${GO:-go}
cd "$(dirname "$0")/.."
mkdir -p "$out"
GOOS=js GOARCH=wasm "$go" build -trimpath -ldflags '-s -w' -o "$out/parley.wasm" ./app
cp "$("$go" env GOROOT)/lib/wasm/wasm_exec.js" "$out/"
cp app/web/index.html app/appicon.png "$out/"
# Both compressors at once (brotli's best quality takes the longest);
# each writes a temporary file first, so a sibling is never half written.
pids=()
for f in parley.wasm wasm_exec.js index.html; do
	rm -f "$out/$f.gz" "$out/$f.br"
	(gzip -9 -n -c "$out/$f" >"$out/$f.gz.tmp" && mv "$out/$f.gz.tmp" "$out/$f.gz") &
	pids+=($!)
	if command -v brotli >/dev/null; then
		(brotli -q 11 -f -o "$out/$f.br.tmp" "$out/$f" && mv "$out/$f.br.tmp" "$out/$f.br") &
		pids+=($!)
	fi
done
for p in "${pids[@]}"; do wait "$p"; done
command -v brotli >/dev/null || echo "web.sh: no brotli (tools/sysdeps.sh web installs it); wrote .gz only" >&2
echo "built $out"
