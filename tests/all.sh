#!/usr/bin/env bash
# The whole test suite: the Rust tests, the committed JSON Schemas against an
# independent validator (check-jsonschema, PyPI) and a real editor engine
# (yaml-language-server, npm), the Python wheel (maturin, PyPI) installed with
# no Rust, and the end-to-end pre-commit hook tests (PyPI), which reuse that
# wheel and its release build. Each installs what it needs when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets
bash tests/schemas.sh
bash tests/yaml-language-server.sh
bash tests/neovim.sh
bash tests/wheel.sh
bash tests/pre-commit.sh
