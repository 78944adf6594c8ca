#!/usr/bin/env bash
# End to end with the real pre-commit (PyPI): `pre-commit try-repo` runs this
# repository's hook in a temporary git repository holding the demo project.
# A change that breaks a case sharing rule is refused with its diagnostic shown;
# the clean project passes.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v pre-commit >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore pre-commit
fi
work="$(mktemp -d)"
# pre-commit's own environments (a build of caseshare per run) go away with the test.
export PRE_COMMIT_HOME="$(mktemp -d)"
trap 'rm -rf "$work" "$PRE_COMMIT_HOME"' EXIT
cp -r "$repo/fixtures/demo/." "$work/"
cd "$work"
git init -q
git config user.email ci@caseshare.invalid
git config user.name ci
git add -A

passed=0
failed=0
check() { # name, expected outcome (pass|fail), log
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; cat "$work/$1.log"; fi
}

# The clean demo passes.
if pre-commit try-repo "$repo" caseshare --files $(git ls-files) >"$work/clean.log" 2>&1; then got=pass; else got=fail; fi
check clean pass "$got"

# David joins a second village group: the CHW app registers pregnancies with an
# automatic owner, so the hook must refuse with G002.
sed -i 's/members: \[joseph, grace, fatima\]/members: [joseph, grace, fatima, david]/' groups/villages.yaml
git add -A
if pre-commit try-repo "$repo" caseshare --files groups/villages.yaml >"$work/bad.log" 2>&1; then got=pass; else got=fail; fi
check bad fail "$got"
if grep -q 'G002' "$work/bad.log" && grep -q "user \`david\` has 2 case owners" "$work/bad.log"; then
  passed=$((passed + 1)); echo "ok: bad shows the G002 diagnostic"
else
  failed=$((failed + 1)); echo "FAILED: bad does not show the G002 diagnostic"; cat "$work/bad.log"
fi

echo "pre-commit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
