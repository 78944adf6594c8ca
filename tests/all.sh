#!/usr/bin/env bash
# The whole test suite: the Rust tests, the committed JSON Schemas against an
# independent validator, and the end-to-end pre-commit hook test (the last two
# install check-jsonschema and pre-commit from PyPI when they are missing).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets
bash tests/schemas.sh
bash tests/pre-commit.sh
