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
BENCHPKGS    ?= ./backend/... ./desktop/...
FUZZTIME     ?= 30s
MODEL_SEEDS  ?= 40
MODEL_STEPS  ?= 500
# Fuzz targets, as package:Target.
FUZZ_TARGETS ?= ./backend/internal/access:FuzzValidateRequest ./backend/internal/wgconf:FuzzWGQuick \
                ./shared/humantime:FuzzParse ./shared/sse:FuzzRoundTrip
ARGS         ?=
DESKTOP_BENCHTIME ?= 30s
NPM          ?= npm

# Every package of every module in go.work (expanded by the shell in the recipe).
ALL_PKGS = $$($(GO) list -m | sed 's|$$|/...|')

# Go files we own and format: not generated bindings, not npm's tree.
GO_FILES = $$(find . -name '*.go' -not -path './.git/*' -not -path '*/node_modules/*' -not -path '*/wailsjs/*')

# sudo only when not root (and only if it exists).
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

.PHONY: help deps deps-desktop frontend-dist build build-server build-agent build-desktop \
        build-gateway run test vet fmt fmt-check cross bench fuzz clean \
        frontend frontend-test build-tray build-windows window-test bench-desktop

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

deps: ## install what the build needs on Debian (gcc for cgo SQLite, git, CA certificates) if missing; the tests' packages are deps-desktop's
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

# Debian packages of the window, the tray and their tests: GTK/WebKitGTK 4.1 and the
# AppIndicator headers (cgo), Xvfb + xauth + dbus-x11 + ImageMagick + xdotool (the real
# window under Xvfb), Chromium (the end-to-end tests of the UI and the admin page). Node.js >= 20.19 and npm
# build the UI (Vite 8); they are expected on the machine (Debian's nodejs is too old).
DESKTOP_DEBS := build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev libayatana-appindicator3-dev \
                xvfb xauth dbus-x11 imagemagick xdotool chromium postgresql

deps-desktop: deps ## install the window's, the tray's and the tests' Debian packages (PostgreSQL for the second API run) if missing
	@missing=(); \
	for p in $(DESKTOP_DEBS); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "ok installed" || missing+=("$$p"); \
	done; \
	if [ $${#missing[@]} -gt 0 ]; then \
	  command -v apt-get >/dev/null 2>&1 || { echo "deps-desktop: missing $${missing[*]} and no apt-get: install them by hand" >&2; exit 1; }; \
	  echo "deps-desktop: installing $${missing[*]}"; \
	  $(SUDO) apt-get update; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$${missing[@]}"; \
	else \
	  echo "deps-desktop: $(DESKTOP_DEBS) present"; \
	fi; \
	command -v $(NPM) >/dev/null 2>&1 || { echo "deps-desktop: npm not found: install Node.js >= 20.19 with npm" >&2; exit 1; }

# frontend/dist is build output (git-ignored) and must hold a file before any go
# build/vet/test of gatepass.dev/frontend (//go:embed all:dist). The placeholder is
# copied only when dist/index.html is missing, so a real UI build is never overwritten.
frontend-dist: frontend/dist/index.html ## ensure frontend/dist/index.html exists

frontend/dist/index.html:
	mkdir -p frontend/dist
	cp frontend/placeholder/index.html $@

# The window's UI (frontend/: Vite + TypeScript + Preact). npm ci runs when
# package.json or package-lock.json changed (or node_modules is missing).
frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && $(NPM) ci --no-audit --no-fund

frontend: frontend/node_modules/.package-lock.json ## build the window's UI into frontend/dist (npm ci when needed, vite build)
	cd frontend && $(NPM) run build

frontend-test: frontend/node_modules/.package-lock.json ## the UI's unit tests (vitest run), typecheck (tsc) and build (vite build)
	cd frontend && $(NPM) test
	cd frontend && $(NPM) run typecheck
	cd frontend && $(NPM) run build

build: build-server build-gateway build-agent build-desktop build-tray ## build the server, the gateway, the agent, the window and the tray into build/bin (Linux)

build-server: ## build build/bin/gatepass-server (cgo: SQLite)
	@mkdir -p $(BIN)
	CGO_ENABLED=1 $(GO) build -trimpath -o $(BIN)/gatepass-server ./backend/cmd/gatepass-server

build-gateway: ## build build/bin/gatepass-gateway (pure Go: the gateway at a site, see README "Gateways")
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN)/gatepass-gateway ./backend/cmd/gatepass-gateway

build-agent: ## build build/bin/gatepassd (pure Go)
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN)/gatepassd ./desktop/cmd/gatepassd

build-desktop: deps-desktop frontend ## build the Wails window build/bin/gatepass (WebKitGTK 4.1) without the Wails CLI
	@mkdir -p $(BIN)
	CGO_ENABLED=1 $(GO) build -C desktop -trimpath -tags desktop,production,webkit2_41 \
	  -ldflags "-w -s -X main.version=$(VERSION)" -o ../$(BIN)/gatepass .

build-tray: deps-desktop ## build the tray build/bin/gatepass-tray (cgo: AppIndicator)
	@mkdir -p $(BIN)
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags "-w -s -X main.version=$(VERSION)" -o $(BIN)/gatepass-tray ./desktop/cmd/gatepass-tray

# Windows: the window and the tray need no cgo there (WebView2; systray's Windows code is
# pure Go), the agent never does. With makensis (Debian nsis) and the Wails CLI the
# window is built by `wails build -nsis`, which also makes the installer
# (build/bin/gatepass-amd64-installer.exe, from build/windows/installer/project.nsi:
# it installs the three executables); without them, by go build.
WAILS ?= $(shell command -v wails 2>/dev/null || ls $$($(GO) env GOPATH)/bin/wails 2>/dev/null)

build-windows: frontend ## cross-compile gatepass.exe, gatepassd.exe, gatepass-tray.exe (+ the NSIS installer when makensis and the Wails CLI are there)
	@mkdir -p $(BIN)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-w -s -X main.version=$(VERSION)" -o $(BIN)/gatepassd.exe ./desktop/cmd/gatepassd
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-w -s -H windowsgui -X main.version=$(VERSION)" -o $(BIN)/gatepass-tray.exe ./desktop/cmd/gatepass-tray
	@if command -v makensis >/dev/null 2>&1 && [ -n "$(WAILS)" ]; then \
	  echo "build-windows: wails build -nsis (window + installer)"; \
	  cd desktop && $(WAILS) build -platform windows/amd64 -nsis -s -skipbindings -m -nosyncgomod -trimpath \
	    -ldflags "-X main.version=$(VERSION)" -o gatepass.exe; \
	else \
	  echo "build-windows: no makensis or Wails CLI: the window by go build, no installer (apt-get install nsis; go install github.com/wailsapp/wails/v2/cmd/wails@v2.16.0)"; \
	  GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -C desktop -trimpath -tags desktop,production \
	    -ldflags "-w -s -H windowsgui -X main.version=$(VERSION)" -o ../$(BIN)/gatepass.exe .; \
	fi
	@ls -l $(BIN)/*.exe

window-test: build ## the real window under Xvfb against a real agent and backend: title, network names, screenshot (bench/window/window.png)
	desktop/scripts/window-smoke.sh

bench-desktop: build ## window start-up time, idle CPU and memory of gatepass + gatepassd + gatepass-tray (bench/window/bench.txt)
	desktop/scripts/window-smoke.sh --bench $(DESKTOP_BENCHTIME)

run: deps build-server build-agent ## the demo: server on 127.0.0.1:8080 (SQLite in ./data) + a user-mode agent signed in as the contractor (ARGS=... go to the server)
	./scripts/run-demo.sh $(ARGS)

test: deps deps-desktop frontend-test fmt-check vet cross ## the UI's tests and build, gofmt check, go vet, cross-compile checks, go test of every module, the API's tests again on PostgreSQL, the real window under Xvfb
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) $(ALL_PKGS)
	GATEPASS_TEST_STORE=postgres $(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) ./backend/internal/httpapi
	@if command -v xvfb-run >/dev/null 2>&1 && pkg-config --exists webkit2gtk-4.1 ayatana-appindicator3-0.1 2>/dev/null; then \
	  $(MAKE) --no-print-directory window-test; \
	else \
	  echo "test: no Xvfb or GTK/WebKit headers: the real-window test is skipped (make deps-desktop)"; \
	fi

vet: frontend-dist ## go vet every module
	$(GO) vet $(ALL_PKGS)

fmt: ## gofmt -w every Go file
	@$(GOFMT) -l -w $(GO_FILES)

fmt-check: ## fail listing Go files gofmt would change
	@unformatted=$$($(GOFMT) -l $(GO_FILES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change (run make fmt):"; echo "$$unformatted"; exit 1; fi

cross: frontend-dist ## cross-compile the agent and the gateway (pure Go) for Windows/macOS/Linux arm64 and the window for Windows
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./desktop/cmd/gatepassd
	GOOS=darwin  GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null ./desktop/cmd/gatepassd
	GOOS=linux   GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null ./desktop/cmd/gatepassd
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -tags desktop,production -o /dev/null ./desktop
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./desktop/cmd/gatepass-tray
	GOOS=linux   GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./backend/cmd/gatepass-gateway
	GOOS=linux   GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null ./backend/cmd/gatepass-gateway
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./backend/cmd/gatepass-gateway
	GOOS=darwin  GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null ./backend/cmd/gatepass-gateway

bench: ## run the benchmarks (BENCHTIME=, BENCHFLAGS=, BENCHPKGS=), then the desktop's (bench-desktop) when Xvfb is there
	$(GO) test -run '^$$' -bench . -benchmem -benchtime=$(BENCHTIME) -timeout $(TEST_TIMEOUT) $(BENCHFLAGS) $(BENCHPKGS)
	@if command -v xvfb-run >/dev/null 2>&1; then $(MAKE) --no-print-directory bench-desktop; else echo "bench: no xvfb-run: bench-desktop skipped (make deps-desktop)"; fi

fuzz: ## each fuzz target for FUZZTIME (default 30s), then a long run of the gateway invariant model (MODEL_SEEDS x MODEL_STEPS)
	@for t in $(FUZZ_TARGETS); do \
	  echo "==> fuzz $${t#*:} ($${t%%:*}) for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) "$${t%%:*}"; \
	done
	GATEPASS_MODEL_SEEDS=$(MODEL_SEEDS) GATEPASS_MODEL_STEPS=$(MODEL_STEPS) $(GO) test -count=1 -timeout $(TEST_TIMEOUT) -run '^TestGatewayInvariantModel$$' ./backend/internal/httpapi

clean: ## remove build output (keeps ./data, the database of make run)
	rm -rf $(BIN) frontend/dist bench
