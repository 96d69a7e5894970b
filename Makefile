# Banter's two commands: `make run` and `make test`. Both install what they need on Debian/Ubuntu when it is
# missing (apt, npm, cargo install), quietly and only once; nothing here downloads anything but packages.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# What building the app needs (WebKitGTK and friends for Tauri; OpenSSL for rust_socketio's native-tls) and what the
# end-to-end tests need (a virtual display, WebKit's WebDriver, ImageMagick for screenshots, Chromium for browser guests).
APT_BUILD := pkg-config libssl-dev build-essential file libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev \
	libayatana-appindicator3-dev libxdo-dev
# What the app wants beside it (the .deb recommends the same): a colour emoji font, without which reactions and
# emoji show as boxes.
APT_RUN := fonts-noto-color-emoji
APT_TEST := xvfb xauth imagemagick webkit2gtk-driver chromium dbus xdotool
INTEROP := tests/interop
UI := ui
UI_SOURCES := $(shell find $(UI)/src -type f 2>/dev/null) $(UI)/index.html $(UI)/vite.config.ts $(UI)/tsconfig.json

BUNDLE := target/release/bundle
# make test checks the installer built from the debug tree it has already compiled for the tests (the same bundle
# configuration, with banter-cli taken from target/debug); a release tree is a second full build of every
# dependency, about 19 of a cold run's 35 minutes on two cores.
TEST_BUNDLE := target/debug/bundle
DEBUG_CLI := {"bundle":{"linux":{"deb":{"files":{"/usr/bin/banter-cli":"target/debug/banter-cli"}},"rpm":{"files":{"/usr/bin/banter-cli":"target/debug/banter-cli"}}}}}

.PHONY: help run serve test bench lint bundle bundle-debug icons screenshots deps deps-system deps-test-system deps-valkey deps-rust deps-tools deps-npm ui

help:
	@echo "make run    open the Banter desktop app"
	@echo "make serve  start a headless Banter host on port 7878 (banter-cli serve)"
	@echo "make test   formatting, lints and every test: engine, CLI, UI, interop, end-to-end and the installer"
	@echo "make bundle build the release installers (.deb and .rpm) into $(BUNDLE)/"
	@echo "make bench  benchmark the host against Node.js Socket.IO and a raw WebSocket ceiling (about 25 minutes;"
	@echo "            writes docs/BENCHMARKS.md)"
	@echo "make screenshots  run the end-to-end tests and copy their screenshots to docs/screenshots/"

run: deps-system deps-rust ui
	$(CARGO) run --locked --quiet -p banter

serve: deps-system deps-rust ui
	$(CARGO) run --locked --quiet -p banter-cli -- serve

# No test advertises on this machine's real networks; tests/discovery.rs turns it on inside namespaces it makes.
test: export BANTER_DISCOVERY := off
test: deps ui
	$(CARGO) fmt --all --check
	npm --prefix $(UI) run --silent check
	npm --prefix $(UI) run --silent lint
	npm --prefix $(UI) test --silent
	$(CARGO) clippy --locked --workspace --all-targets --quiet -- -D warnings
	$(CARGO) test --locked --workspace
	# The engine's suites again, each host the one host of a cluster on a redis-server of the test's own: a host
	# of a cluster is held to everything a host alone does.
	BANTER_TEST_BACKEND=cluster $(CARGO) test --locked --quiet -p banter-core --tests
	$(MAKE) --no-print-directory bundle-debug
	BANTER_BUNDLE=$(TEST_BUNDLE) $(CARGO) test --locked -p banter --test package -- --ignored

# The benchmarks (crates/banter-bench): every scenario, three runs per server, the report in docs/. make test runs
# a seconds-long smoke of the same harness. 10,000 connections need more open files than the usual soft limit.
bench: deps-system deps-valkey deps-rust deps-npm
	$(CARGO) build --locked --release --quiet -p banter-bench
	ulimit -n "$$(ulimit -Hn)" && target/release/banter-bench run --runs 3

# The release installers, with the Tauri CLI pinned by ui/package-lock.json. The packages carry banter-cli beside
# the app: Tauri's `cargo build --bins` builds every default member's binaries, banter-cli's included, before it
# bundles. A separate `cargo build -p banter-cli` before it only added work: in one run, cargo compiled every release
# dependency again for Tauri's build.
bundle: deps-system deps-rust deps-npm ui
	$(UI)/node_modules/.bin/tauri build --ci --bundles deb,rpm -- --locked --quiet
	@test -x target/release/banter-cli
	@ls -l $(BUNDLE)/deb/*.deb $(BUNDLE)/rpm/*.rpm

# The same installers from the debug profile, for make test's package check.
bundle-debug: deps-system deps-rust deps-npm ui
	$(UI)/node_modules/.bin/tauri build --debug --ci --bundles deb,rpm --config '$(DEBUG_CLI)' -- --locked --quiet
	@ls -l $(TEST_BUNDLE)/deb/*.deb $(TEST_BUNDLE)/rpm/*.rpm

# The end-to-end tests save screenshots under target/screenshots/ (so that make test leaves the work tree clean);
# this runs them and copies the pictures the README shows into docs/.
screenshots: export BANTER_DISCOVERY := off
screenshots: deps ui
	rm -rf target/screenshots
	$(CARGO) build --locked --quiet -p banter-cli
	$(CARGO) test --locked --quiet -p banter --test e2e
	$(CARGO) test --locked --quiet -p banter-cli --test browser
	mkdir -p docs/screenshots
	cp target/screenshots/*.png docs/screenshots/

# Every icon size, from the one source drawing.
icons: deps-npm
	$(UI)/node_modules/.bin/tauri icon icons/banter.svg --output icons
	rm -rf icons/android icons/ios

lint: deps-rust deps-npm ui
	$(CARGO) fmt --all --check
	npm --prefix $(UI) run --silent check
	npm --prefix $(UI) run --silent lint
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

deps: deps-system deps-test-system deps-rust deps-tools deps-npm

# apt-get only runs when a package or command is missing, so a warm run costs a few dpkg queries.
define apt_install
	@missing=""; \
	for package in $(1); do dpkg -s "$$package" >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	$(2) \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

deps-system:
	$(call apt_install,$(APT_BUILD) $(APT_RUN),command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; command -v npm >/dev/null 2>&1 || missing="$$missing npm";)

deps-test-system: deps-valkey
	$(call apt_install,$(APT_TEST),)

# The cluster tests start Valkey or Redis processes of their own. Either server already here will do; else Debian's
# redis-server is installed, and the system service the package starts is turned off again at once, so that
# make test leaves nothing running on the machine (a server that was here before is left as it was).
deps-valkey:
	@if ! command -v valkey-server >/dev/null 2>&1 && ! command -v redis-server >/dev/null 2>&1; then \
	  echo "Installing system packages: redis-server"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends redis-server >/dev/null; \
	  if [ -d /run/systemd/system ]; then $(SUDO) systemctl disable --now --quiet redis-server || true; fi; \
	fi

deps-rust:
	@command -v $(CARGO) >/dev/null 2>&1 || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)"; exit 1; }
	@if command -v rustup >/dev/null 2>&1; then \
	  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt >/dev/null; \
	  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy >/dev/null; \
	fi

# tauri-driver bridges WebDriver to WebKitWebDriver for the end-to-end tests.
deps-tools: deps-rust
	@command -v tauri-driver >/dev/null 2>&1 || { echo "Installing tauri-driver"; $(CARGO) install --quiet --locked tauri-driver --version '^2'; }

# The JavaScript Socket.IO used as the interop peer, and the UI's toolchain, exactly as their lock files pin them.
deps-npm: $(INTEROP)/node_modules/.installed $(UI)/node_modules/.installed

$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json | deps-system
	npm ci --prefix $(INTEROP) --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

$(UI)/node_modules/.installed: $(UI)/package.json $(UI)/package-lock.json | deps-system
	npm ci --prefix $(UI) --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

# The webview's files, which the app embeds when it is compiled.
ui: $(UI)/dist/index.html

$(UI)/dist/index.html: $(UI_SOURCES) $(UI)/node_modules/.installed
	npm --prefix $(UI) run --silent build >/dev/null
