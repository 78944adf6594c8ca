#!/usr/bin/env bash
# End to end with the real pre-commit (PyPI): `pre-commit try-repo` runs each
# hook in a temporary git repository holding the demo project. A change that
# breaks a case sharing rule is refused with its diagnostic shown; the clean
# project passes. The hooks:
# - `caseshare` (language: python) from a hook repository made of pre-commit/,
#   installed with no Rust on PATH: pip takes the wheel built in this run
#   (tests/wheel-common.sh) from PIP_FIND_LINKS;
# - `caseshare-rust` (language: rust) from this repository, built by cargo in
#   cargo's target directory, so it reuses the wheel's release build of the
#   dependencies.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/tests/wheel-common.sh"
if ! command -v pre-commit >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore pre-commit
fi
work="$(mktemp -d)"
# pre-commit's own environments go away with the test.
export PRE_COMMIT_HOME="$work/pre-commit-home"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAILED: $1"; }
check() { # name, expected outcome (pass|fail), outcome, log
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1"; cat "$4"; fi
}

build_wheel

# The python hook is the same in both repositories, the rust one differs only
# in id, description and language, and the hook repository's package is
# caseshare's version and depends on exactly that version.
hooks_of() { grep -v '^#' "$1"; }
main_python="$(hooks_of "$repo/.pre-commit-hooks.yaml" | sed '/^- id: caseshare-rust$/,$d')"
main_rust="$(hooks_of "$repo/.pre-commit-hooks.yaml" | sed -n '/^- id: caseshare-rust$/,$p')"
if [ "$main_python" = "$(hooks_of "$repo/pre-commit/.pre-commit-hooks.yaml")" ]; then
  ok "the python hook is the same in pre-commit/ and in this repository"
else
  fail "the python hook differs between pre-commit/ and this repository"
fi
if [ "$(sed -e 's/^- id: caseshare-rust$/- id: caseshare/' -e 's/^  language: rust$/  language: python/' \
  -e 's/^\(  description: .*\) (built with cargo)$/\1/' <<<"$main_rust")" = "$main_python" ]; then
  ok "caseshare-rust differs from caseshare only in id, description and language"
else
  fail "caseshare-rust differs from caseshare in more than id, description and language"
fi
if grep -qx "version = \"$VERSION\"" "$repo/pre-commit/pyproject.toml" &&
  grep -qx "dependencies = \[\"caseshare==$VERSION\"\]" "$repo/pre-commit/pyproject.toml"; then
  ok "pre-commit/pyproject.toml is version $VERSION and depends on caseshare==$VERSION"
else
  fail "pre-commit/pyproject.toml does not match Cargo.toml's version $VERSION"
fi

scenario() { # label, hook repository, hook id, then env's arguments for pre-commit (-u NAME, NAME=VALUE)
  local label="$1" hook_repo="$2" id="$3" got
  shift 3
  local project="$work/$label"
  mkdir "$project"
  cp -r "$repo/fixtures/demo/." "$project/"
  (cd "$project" && git init -q && git config user.email ci@caseshare.invalid && git config user.name ci && git add -A)

  # The clean demo passes.
  if (cd "$project" && env "$@" pre-commit try-repo "$hook_repo" "$id" --files $(git ls-files)) >"$work/$label-clean.log" 2>&1; then
    got=pass
  else
    got=fail
  fi
  check "$label: clean demo passes" pass "$got" "$work/$label-clean.log"

  # David joins a second village group: the CHW app registers pregnancies with
  # an automatic owner, so the hook must refuse with G002.
  sed -i 's/members: \[joseph, grace, fatima\]/members: [joseph, grace, fatima, david]/' "$project/groups/villages.yaml"
  (cd "$project" && git add -A)
  if (cd "$project" && env "$@" pre-commit try-repo "$hook_repo" "$id" --files groups/villages.yaml) >"$work/$label-bad.log" 2>&1; then
    got=pass
  else
    got=fail
  fi
  check "$label: a second case owner for david is refused" fail "$got" "$work/$label-bad.log"
  if grep -q 'G002' "$work/$label-bad.log" && grep -q "user \`david\` has 2 case owners" "$work/$label-bad.log"; then
    ok "$label: the refusal shows the G002 diagnostic"
  else
    fail "$label: the refusal does not show the G002 diagnostic"
    cat "$work/$label-bad.log"
  fi
}

# The python hook, from the hook repository that pre-commit/ is the template of.
hook_repo="$work/caseshare-pre-commit"
cp -r "$repo/pre-commit" "$hook_repo"
(cd "$hook_repo" && git init -q && git add -A &&
  git -c user.email=ci@caseshare.invalid -c user.name=ci commit -q -m "caseshare-pre-commit $VERSION")
norust="$(no_rust_path)"
start=$SECONDS
scenario python "$hook_repo" caseshare -u CARGO -u RUSTC -u RUSTUP_TOOLCHAIN PATH="$norust" PIP_FIND_LINKS="$repo/target/wheels"
echo "python hook: $((SECONDS - start)) s, pre-commit's two installs included"
# try-repo's environments are gone when it ends. As a project uses the hook, from
# its .pre-commit-config.yaml, pre-commit keeps the environment in
# PRE_COMMIT_HOME: its caseshare is the wheel's binary, and it refuses the
# change above too.
cat >"$work/python/.pre-commit-config.yaml" <<EOF
repos:
  - repo: $hook_repo
    rev: $(git -C "$hook_repo" rev-parse HEAD)
    hooks:
      - id: caseshare
EOF
git -C "$work/python" add .pre-commit-config.yaml
if (cd "$work/python" && env -u CARGO -u RUSTC -u RUSTUP_TOOLCHAIN PATH="$norust" PIP_FIND_LINKS="$repo/target/wheels" \
  pre-commit run --all-files) >"$work/python-config.log" 2>&1; then
  got=pass
else
  got=fail
fi
if [ "$got" = fail ] && grep -q "user \`david\` has 2 case owners" "$work/python-config.log"; then
  ok "python: from .pre-commit-config.yaml, the change is refused with G002"
else
  fail "python: from .pre-commit-config.yaml, the change is not refused with G002"
  cat "$work/python-config.log"
fi
wheel_binary "$WHEEL" "$work/in-wheel"
installed="$(find "$PRE_COMMIT_HOME" -path '*/py_env-*/bin/caseshare' | head -n 1)"
if [ -n "$installed" ] && cmp -s "$work/in-wheel" "$installed"; then
  ok "python: pre-commit's environment has the wheel's binary"
else
  fail "python: pre-commit's environment does not have the wheel's binary (${installed:-no caseshare found})"
fi

# The rust hook, from this repository (its uncommitted changes included).
start=$SECONDS
scenario rust "$repo" caseshare-rust CARGO_TARGET_DIR="$TARGET_DIR"
echo "rust hook: $((SECONDS - start)) s, pre-commit's two builds included"

echo "pre-commit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
