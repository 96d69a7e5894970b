# Banter's two commands: `make run` and `make test`. Both install what they need on Debian/Ubuntu when it is
# missing (apt, npm), quietly and only once; nothing here downloads anything but packages.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# Debian packages the build needs: rust_socketio links OpenSSL through native-tls.
APT_BUILD := pkg-config libssl-dev build-essential
INTEROP := tests/interop

.PHONY: help run test lint deps deps-system deps-rust deps-npm

help:
	@echo "make run    start a Banter host on this machine (banter-cli serve on port 7878)"
	@echo "make test   formatting, lints and every test, interop with JavaScript Socket.IO included"

run: deps-system deps-rust
	$(CARGO) run --locked --quiet -p banter-cli -- serve

test: deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets --quiet -- -D warnings
	$(CARGO) test --locked --workspace

lint: deps-rust
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

deps: deps-system deps-rust deps-npm

# apt-get only runs when a package or command is missing, so a warm run costs a few dpkg queries.
deps-system:
	@missing=""; \
	for package in $(APT_BUILD); do dpkg -s "$$package" >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

deps-rust:
	@command -v $(CARGO) >/dev/null 2>&1 || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)"; exit 1; }
	@if command -v rustup >/dev/null 2>&1; then \
	  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt >/dev/null; \
	  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy >/dev/null; \
	fi

# The JavaScript Socket.IO used as the interop peer, exactly as pinned by package-lock.json.
deps-npm: $(INTEROP)/node_modules/.installed

$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json | deps-system
	npm ci --prefix $(INTEROP) --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@
