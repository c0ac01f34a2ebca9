#!/usr/bin/env bash
# Idempotent setup of everything Buildlab needs beyond Rust, Node, Python and gcc.
# Each step checks first and skips what is already installed at the right version.
# Usage: scripts/setup.sh [all|build|test]   (build: what the page needs; test: adds browser + Go)
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-all}

WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock 2>/dev/null || true)
WASM_BINDGEN_VERSION=${WASM_BINDGEN_VERSION:-0.2.100}
TRUNK_VERSION=0.21.14
GO=/usr/lib/go-1.23/bin/go

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$apt_updated" ]; then as_root apt-get update -q; apt_updated=1; fi
  step "apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

setup_build() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
  if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
    step "cargo install trunk $TRUNK_VERSION (about 8 minutes, once)"
    cargo install trunk --version "$TRUNK_VERSION" --locked --force
  fi
  if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step "npm ci (bundler, editor, wasm-opt, playwright-core)"
    npm ci --no-audit --no-fund
  fi
}

setup_go() {
  if [ ! -x "$GO" ]; then
    if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
      step "adding the bookworm-backports suite to apt's sources"
      src=/etc/apt/sources.list.d/debian.sources
      if [ -f "$src" ]; then
        # Copy the main Debian entry with Suites: bookworm-backports.
        awk 'BEGIN{RS="";ORS="\n\n"} /Suites: bookworm( |$)/{sub(/Suites: [^\n]*/,"Suites: bookworm-backports"); print; exit}' "$src" \
          | as_root tee /etc/apt/sources.list.d/backports.sources >/dev/null
      else
        uri=$(awk '/^deb .*bookworm /{print $2; exit}' /etc/apt/sources.list)
        echo "deb $uri bookworm-backports main" | as_root tee /etc/apt/sources.list.d/backports.list >/dev/null
      fi
      apt_updated=
    fi
    if [ -z "$apt_updated" ]; then as_root apt-get update -q; apt_updated=1; fi
    step "apt-get install -t bookworm-backports golang-1.23-go"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t bookworm-backports golang-1.23-go
  fi
}

setup_test() {
  apt_install chromium chromium-driver
  setup_go
}

case "$want" in
  build) setup_build ;;
  test) setup_build; setup_test ;;
  go) setup_go ;;
  all) setup_build; setup_test ;;
  *) echo "usage: $0 [all|build|test|go]" >&2; exit 2 ;;
esac
