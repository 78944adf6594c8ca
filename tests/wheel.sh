#!/usr/bin/env bash
# The Python wheel (pyproject.toml, maturin from PyPI): built in release mode,
# it installs into a fresh virtual environment with no Rust on PATH, and the
# `caseshare` it puts there is the release binary and checks the demo.
# `pip install .` from the checkout (which builds, so with Rust) gives the same.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/tests/wheel-common.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAILED: $1"; }

build_wheel
echo "wheel: $(basename "$WHEEL"), $(du -k "$WHEEL" | cut -f1) KB"
wheel_binary "$WHEEL" "$work/in-wheel"
echo "binary in the wheel: $(stat -c %s "$work/in-wheel") bytes; $(file -b "$work/in-wheel")"
# The wheel holds what maturin's release build just left in target/release.
if cmp -s "$work/in-wheel" "$TARGET_DIR/release/caseshare"; then
  ok "the wheel holds the release build ($TARGET_DIR/release/caseshare)"
else
  fail "the wheel's binary differs from $TARGET_DIR/release/caseshare"
fi

# Install and run with no Rust: no cargo, rustc or rustup on PATH.
norust="$(no_rust_path)"
if env PATH="$norust" sh -c 'command -v cargo || command -v rustc || command -v rustup' >/dev/null; then
  fail "Rust is still on PATH: $norust"
fi
run_norust() { env -u CARGO -u RUSTC -u RUSTUP_TOOLCHAIN PATH="$norust" "$@"; }
run_norust python3 -m venv "$work/venv"
if run_norust "$work/venv/bin/python" -m pip install --quiet --no-index --disable-pip-version-check "$WHEEL"; then
  ok "pip installs the wheel with no Rust on PATH"
else
  fail "pip install of the wheel"
fi
if cmp -s "$work/in-wheel" "$work/venv/bin/caseshare"; then
  ok "the environment's caseshare is the wheel's binary"
else
  fail "the environment's caseshare is not the wheel's binary"
fi
# On the environment's PATH, as after `activate`.
got="$(cd "$work" && run_norust env PATH="$work/venv/bin:$norust" caseshare --version 2>&1)" || true
if [ "$got" = "caseshare $VERSION" ]; then ok "caseshare --version: $got"; else fail "caseshare --version gave: $got"; fi
if (cd "$repo" && run_norust env PATH="$work/venv/bin:$norust" caseshare check fixtures/demo) >"$work/check.log" 2>&1; then
  ok "caseshare check fixtures/demo: $(tail -n 1 "$work/check.log")"
else
  fail "caseshare check fixtures/demo"
  cat "$work/check.log"
fi

# From the checkout: pip builds the wheel with maturin (Rust on PATH), in place,
# so the release build above is reused.
python3 -m venv "$work/from-source"
if (cd "$repo" && "$work/from-source/bin/python" -m pip install --quiet --disable-pip-version-check .) >"$work/source.log" 2>&1 &&
  [ "$("$work/from-source/bin/caseshare" --version)" = "caseshare $VERSION" ]; then
  ok "pip install . from the checkout"
else
  fail "pip install . from the checkout"
  cat "$work/source.log"
fi

echo "wheel: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
