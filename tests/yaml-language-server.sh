#!/usr/bin/env bash
# A real editor engine: the YAML language server (npm, pinned in
# tests/yaml-language-server/package-lock.json), driven over stdio LSP with the committed schemas.
set -euo pipefail
cd "$(dirname "$0")/yaml-language-server"
if [ ! -x node_modules/.bin/yaml-language-server ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node lsp-test.mjs
