# Gatepass — build, run and test. `make help` lists the targets.
#
# Every target works from a fresh clone on Debian and is idempotent.
# go.work at the root joins the four modules (backend, desktop, frontend, shared);
# `go test ./...` does not work at a go.work root, so the package list is built from
# `go list -m` instead.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO      ?= go
GOFMT   ?= gofmt
BIN     := build/bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# Extra flags: make test TESTFLAGS='-race -run TestX' · make bench BENCHFLAGS='-count=6' · make run ARGS='--listen :9090'
TESTFLAGS    ?=
TEST_TIMEOUT ?= 20m
BENCHTIME    ?= 1s
BENCHFLAGS   ?=
BENCHPKGS    ?= ./backend/...
FUZZ         ?= FuzzValidateRequest
FUZZPKG      ?= ./backend/internal/access
FUZZTIME     ?= 30s
ARGS         ?=

# Every package of every module in go.work (expanded by the shell in the recipe).
ALL_PKGS = $$($(GO) list -m | sed 's|$$|/...|')

# Go files we own and format: not generated bindings, not npm's tree.
GO_FILES = $$(find . -name '*.go' -not -path './.git/*' -not -path '*/node_modules/*' -not -path '*/wailsjs/*')

# sudo only when not root (and only if it exists).
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

.PHONY: help deps deps-desktop frontend-dist build build-server build-agent build-desktop \
        run test vet fmt fmt-check cross bench fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

deps: ## install what build/test need on Debian (gcc for cgo SQLite, git, CA certificates) if missing
	@missing=(); \
	command -v gcc >/dev/null 2>&1 || missing+=(gcc); \
	[ -e /usr/include/stdio.h ] || missing+=(libc6-dev); \
	command -v git >/dev/null 2>&1 || missing+=(git); \
	[ -e /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates); \
	if [ $${#missing[@]} -gt 0 ]; then \
	  command -v apt-get >/dev/null 2>&1 || { echo "deps: missing $${missing[*]} and no apt-get: install them by hand" >&2; exit 1; }; \
	  echo "deps: installing $${missing[*]}"; \
	  $(SUDO) apt-get update; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$${missing[@]}"; \
	else \
	  echo "deps: gcc, libc6-dev, git, ca-certificates present"; \
	fi; \
	command -v $(GO) >/dev/null 2>&1 || { echo "deps: Go not found: install Go 1.26 to /usr/local/go and put /usr/local/go/bin on PATH" >&2; exit 1; }

deps-desktop: deps ## install GTK/WebKit headers for the Wails window on Debian if missing (not needed by test)
	@if pkg-config --exists gtk+-3.0 webkit2gtk-4.1 2>/dev/null; then \
	  echo "deps-desktop: gtk+-3.0 and webkit2gtk-4.1 present"; \
	else \
	  echo "deps-desktop: installing GTK 3 and WebKitGTK 4.1 headers"; \
	  $(SUDO) apt-get update; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev; \
	fi

# frontend/dist is build output (git-ignored) and must hold a file before any go
# build/vet/test of gatepass.dev/frontend (//go:embed all:dist). The placeholder is
# copied only when dist/index.html is missing, so a real UI build is never overwritten.
frontend-dist: frontend/dist/index.html ## ensure frontend/dist/index.html exists

frontend/dist/index.html:
	mkdir -p frontend/dist
	cp frontend/placeholder/index.html $@

build: build-server build-agent ## build the server and the agent into build/bin

build-server: ## build build/bin/gatepass-server (cgo: SQLite)
	@mkdir -p $(BIN)
	CGO_ENABLED=1 $(GO) build -trimpath -o $(BIN)/gatepass-server ./backend/cmd/gatepass-server

build-agent: ## build build/bin/gatepassd (pure Go)
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN)/gatepassd ./desktop/cmd/gatepassd

build-desktop: frontend-dist ## build the Wails window build/bin/gatepass without the Wails CLI (needs deps-desktop)
	@mkdir -p $(BIN)
	CGO_ENABLED=1 $(GO) build -C desktop -trimpath -tags desktop,production,webkit2_41 \
	  -ldflags "-w -s -X main.version=$(VERSION)" -o ../$(BIN)/gatepass .

run: deps build-server build-agent ## the demo: server on 127.0.0.1:8080 (SQLite in ./data) + a user-mode agent signed in as the contractor (ARGS=... go to the server)
	./scripts/run-demo.sh $(ARGS)

test: deps frontend-dist fmt-check vet cross ## gofmt check, go vet, cross-compile checks, then go test of every module
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) $(ALL_PKGS)

vet: frontend-dist ## go vet every module
	$(GO) vet $(ALL_PKGS)

fmt: ## gofmt -w every Go file
	@$(GOFMT) -l -w $(GO_FILES)

fmt-check: ## fail listing Go files gofmt would change
	@unformatted=$$($(GOFMT) -l $(GO_FILES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change (run make fmt):"; echo "$$unformatted"; exit 1; fi

cross: frontend-dist ## cross-compile the agent (pure Go) for Windows/macOS/Linux arm64 and the window for Windows
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./desktop/cmd/gatepassd
	GOOS=darwin  GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null ./desktop/cmd/gatepassd
	GOOS=linux   GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null ./desktop/cmd/gatepassd
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -tags desktop,production -o /dev/null ./desktop

bench: ## run the benchmarks (BENCHTIME=, BENCHFLAGS=, BENCHPKGS=)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime=$(BENCHTIME) -timeout $(TEST_TIMEOUT) $(BENCHFLAGS) $(BENCHPKGS)

fuzz: ## fuzz request validation for FUZZTIME (default 30s)
	$(GO) test -run '^$$' -fuzz '^$(FUZZ)$$' -fuzztime $(FUZZTIME) $(FUZZPKG)

clean: ## remove build output (keeps ./data, the database of make run)
	rm -rf $(BIN) frontend/dist bench
