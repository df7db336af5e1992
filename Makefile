# Parley. `make run` and `make test` are the two commands the README promises;
# both install the system packages they need (tools/sysdeps.sh).
GO      ?= go
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./data
BIN     ?= ./bin

.PHONY: run run-built server app test vet lint bench fuzz screenshots typecheck windows web desktop android ios macos cluster cluster-stop

# The server and the desktop app together; closing the app stops the server.
# The app starts only once this server listens: if it cannot (the port is
# taken), make run says so and stops (tools/run.sh). go build -v names the
# packages it compiles, so a cold build shows progress.
run:
	@tools/sysdeps.sh app
	@echo "Building the server and the app (the first build takes about 3 minutes; later ones seconds)…"
	$(GO) build -v -o $(BIN)/parley-server ./server
	$(GO) build -v -o $(BIN)/parley ./app
	@$(MAKE) -s run-built

# make run without the builds. RUN_APP is the app it starts (a test puts
# a stub there).
RUN_APP ?= $(BIN)/parley
run-built:
	@tools/run.sh $(BIN)/parley-server $(ADDR) $(DATA) $(RUN_APP)

# The server alone.
server:
	$(GO) run ./server -addr $(ADDR) -data $(DATA)

# The app alone, against a server already running.
app:
	@tools/sysdeps.sh app
	$(GO) run ./app -server http://$(ADDR)

# A cluster on this machine: PostgreSQL, NATS, S3 (versitygw), three nodes
# and nginx in front (tools/cluster.sh; its data in ./cluster-data). It
# prints the address the app connects to.
cluster:
	@GO=$(GO) tools/cluster.sh start

cluster-stop:
	@tools/cluster.sh stop

# EGL_PLATFORM=surfaceless lets gpu/headless render without a display (pixel
# tests, frame benchmarks); the Xvfb tests clear it for the app they start.
# The browser's store runs its tests as js/wasm too, under node (a JS
# stand-in for IndexedDB drives the real binding; no -race on wasm).
# media/echo's signal tests are long and single-threaded (~3 min under the
# race detector, starving the real-time call tests beside them): they run
# without it, and its one test of two goroutines with it. media/call's
# tests play calls in real time: they run on their own, after the rest
# (beside the browser and Xvfb tests a starved call conceals most frames).
# tools/services.sh builds the services cluster-mode tests start (NATS, S3)
# before the tests, so its first, cold build (minutes) shows its progress
# and does not run beside them; later runs find them built.
test:
	@tools/sysdeps.sh test
	@GO=$(GO) tools/services.sh build >/dev/null
	$(GO) vet ./...
	EGL_PLATFORM=surfaceless $(GO) test -race -count=1 -timeout 25m $$($(GO) list ./... | grep -v '^parley/media/\(echo\|call\)$$')
	PARLEY_E2E_CLUSTER=1 $(GO) test -race -count=1 ./server/e2e/
	$(GO) test -race -count=1 ./media/call
	$(GO) test -count=1 ./media/echo
	$(GO) test -race -count=1 -run TestPlaybackAndProcessOnTwoGoroutines ./media/echo
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec "$$($(GO) env GOROOT)/lib/wasm/go_js_wasm_exec" ./store ./app/model/filecache

vet:
	$(GO) vet ./...

lint: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

# A short version of every benchmark (under two minutes, plus about 4 min of
# CPU for media/call's BenchmarkObjectiveQuality, which needs espeak-ng): the Go benchmarks
# once each, then every load mode briefly. Each loadgen run fails if a single
# message is missing, duplicated or out of order. docs/benchmarks.md has the
# full runs.
bench:
	@tools/sysdeps.sh test quality
	EGL_PLATFORM=surfaceless $(GO) test -run '^$$' -bench . -benchtime 1x ./...
	$(GO) run ./server/loadgen -members 100 -rate 2000 -warmup 1s -duration 3s
	$(GO) run ./server/loadgen -members 1000 -rate 200 -warmup 1s -duration 3s
	$(GO) run ./server/loadgen -members 5000 -rate 20 -pubs 4 -warmup 1s -duration 3s
	$(GO) run ./server/loadgen -mode floor -members 5000 -rate 20 -warmup 1s -duration 3s
	$(GO) run ./server/loadgen -mode idle -conns 2000 -settle 2s
	$(GO) run ./server/loadgen -mode durable -senders 200 -warmup 1s -duration 3s

# Each fuzzer for 60 s (go test fuzzes one target at a time); their seed
# corpora also run as plain tests in make test.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDispatch -fuzztime 60s ./server/hub
	$(GO) test -run '^$$' -fuzz FuzzThumbnail -fuzztime 60s ./server/thumbs
	$(GO) test -run '^$$' -fuzz FuzzOrientation -fuzztime 60s ./server/thumbs
	$(GO) test -run '^$$' -fuzz FuzzOggOpusDuration -fuzztime 60s ./server/files
	$(GO) test -run '^$$' -fuzz FuzzDecodeFrame -fuzztime 60s ./net/proto
	$(GO) test -run '^$$' -fuzz FuzzMessageRecord -fuzztime 60s ./store

# The README's screenshots, from the real binary under Xvfb.
screenshots:
	@tools/sysdeps.sh test
	$(GO) test -count=1 -run TestEveryScreenInTheRealWindow ./app -args -screenshots $(CURDIR)/docs/screenshots
	$(GO) test -count=1 -run TestBrowserAppChatsWithAGoClient ./app/web -args -screenshots $(CURDIR)/docs/screenshots

# Type-check every package for android/arm64, ios/arm64, darwin/arm64,
# windows/amd64 and js/wasm (cgo through go/types), so code behind build
# tags for platforms we cannot build here does not rot.
typecheck:
	$(GO) run ./tools/typecheck

# parley.exe for Windows (GUI subsystem, with our icon), cross-built with mingw.
windows:
	@tools/sysdeps.sh windows
	GO=$(GO) tools/windows.sh $(BIN)/parley.exe

# The browser app (js/wasm) in $(BIN)/web, precompressed; serve it with
# go run ./server -web $(BIN)/web -web-font /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
#   -web-emoji-font /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
web:
	@tools/sysdeps.sh web
	GO=$(GO) tools/web.sh $(BIN)/web

# The Linux desktop app in $(BIN)/desktop: binary, parley.desktop (checked by
# desktop-file-validate) and icons. PREFIX=~/.local also installs them.
desktop:
	@tools/sysdeps.sh gio desktop
	GO=$(GO) tools/desktop.sh $(BIN)/desktop

# Android: $(BIN)/android/parley.apk and parley.aab with gogio v0.10.0 (needs
# ANDROID_HOME, the NDK and a JDK; README, Platforms). PARLEY_RELEASE=1 signs
# with PARLEY_ANDROID_KEYSTORE and PARLEY_ANDROID_KEYSTORE_PASS.
android:
	GO=$(GO) tools/mobile.sh android $(BIN)/android

# iOS (on a Mac with Xcode): $(BIN)/ios/Parley.ipa, Info.plist completed and re-signed.
ios:
	GO=$(GO) tools/mobile.sh ios $(BIN)/ios

# macOS (on a Mac): $(BIN)/macos/Parley.app, signed with the microphone entitlement.
macos:
	GO=$(GO) tools/mobile.sh macos $(BIN)/macos
