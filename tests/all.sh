#!/usr/bin/env bash
# The whole test suite: the Rust tests, then the end-to-end pre-commit hook test
# (which installs pre-commit from PyPI when it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets
bash tests/pre-commit.sh
