#!/usr/bin/env bash
# A real editor's LSP client: Neovim (Debian's 0.7.2, installed here when
# missing) drives `caseshare lsp` headless through tests/neovim/lsp.lua on a
# copy of the rule fixtures' base project.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v nvim >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -q neovim >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q neovim >/dev/null)
  fi
fi
if ! command -v nvim >/dev/null 2>&1; then
  # A missing client fails the suite rather than passing it untested.
  echo "neovim: Neovim is missing and apt-get (as root) cannot install it here: install Neovim and run again" >&2
  exit 1
fi
target="${CARGO_TARGET_DIR:-$repo/target}"
cargo build --quiet --bin caseshare --manifest-path "$repo/Cargo.toml"
work="$(mktemp -d)"
# The server writes its rules reference in the user's cache: here, a folder of the test's own.
cache="$(mktemp -d)"
trap 'rm -rf "$work" "$cache"' EXIT
cp -r "$repo/fixtures/rules/base/." "$work/"
cd "$work"
XDG_CACHE_HOME="$cache" CASESHARE_BIN="$target/debug/caseshare" CASESHARE_ROOT="$work" \
  timeout 120 nvim --headless --clean -c "luafile $repo/tests/neovim/lsp.lua"
