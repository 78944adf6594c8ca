# Sourced by tests/wheel.sh, tests/pre-commit.sh and bench/wheel: the wheel of
# this checkout, and a PATH with no Rust on it.
#
# build_wheel: builds target/wheels/caseshare-<version>-py3-none-<platform>.whl
# with maturin (installed from PyPI when missing) and sets WHEEL to its path,
# VERSION to Cargo.toml's version and TARGET_DIR to cargo's target directory.
# The release build goes where `cargo build --release` puts its own, so one
# reuses the other's work: after the first build of a run, another call takes
# about a second.
#
# wheel_binary WHEEL OUT: copies the caseshare binary out of the wheel to OUT.
#
# no_rust_path: prints PATH without the directories that hold cargo, rustc or
# rustup (on a rustup machine, ~/.cargo/bin).

build_wheel() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if ! python3 -m maturin --version >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'maturin>=1.9,<2'
  fi
  VERSION="$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "caseshare"))')"
  TARGET_DIR="$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  # Only this build's wheel in the folder that pip is pointed at.
  rm -f "$root"/target/wheels/caseshare-*.whl
  (cd "$root" && python3 -m maturin build --release --quiet --out target/wheels) >&2
  WHEEL="$(ls "$root"/target/wheels/caseshare-"$VERSION"-py3-none-*.whl)"
}

no_rust_path() {
  local dir out=""
  local IFS=:
  for dir in $PATH; do
    if [ -z "$dir" ] || [ -x "$dir/cargo" ] || [ -x "$dir/rustc" ] || [ -x "$dir/rustup" ]; then
      continue
    fi
    out="${out:+$out:}$dir"
  done
  printf '%s\n' "$out"
}

wheel_binary() {
  python3 - "$1" "$2" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    [name] = [n for n in z.namelist() if n.endswith(".data/scripts/caseshare")]
    with z.open(name) as src, open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
EOF
}
