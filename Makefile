# Parley. `make run` and `make test` are the two commands the README promises;
# both install the system packages they need (tools/sysdeps.sh).
GO      ?= go
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./data

.PHONY: run server test vet bench lint fuzz

run: server

server:
	$(GO) run ./server -addr $(ADDR) -data $(DATA)

test:
	@tools/sysdeps.sh test
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

lint: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDispatch -fuzztime 60s ./server/hub
