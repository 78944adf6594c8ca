#!/usr/bin/env bash
# The committed JSON Schemas, checked by an independent validator
# (check-jsonschema, from PyPI): it must accept every file of every valid fixture
# project and of the demo, and reject a file of every fixture with an S code.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
if ! command -v check-jsonschema >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore check-jsonschema
fi

schema_for() { # a path relative to its project root
  case "$1" in
    project.yaml | project.yml) echo schemas/project.schema.json ;;
    apps/*) echo schemas/app.schema.json ;;
    groups/*) echo schemas/groups.schema.json ;;
    users/*) echo schemas/users.schema.json ;;
    locations/*) echo schemas/locations.schema.json ;;
    *) echo "" ;;
  esac
}

# files KIND ROOT...: the definition files of that kind under each root
files() {
  local kind="$1" root rel
  shift
  for root in "$@"; do
    while IFS= read -r rel; do
      [ "$(schema_for "$rel")" = "schemas/$kind.schema.json" ] && echo "$root/$rel"
    done < <(cd "$root" && find . -name '*.y*ml' -not -path '*/.*' | sed 's|^\./||' | sort)
  done
  return 0
}

passed=0
failed=0
# Rule fixtures are overlays on fixtures/rules/base: the base and every valid overlay.
valid_roots=(fixtures/demo fixtures/rules/base fixtures/rules/*/valid)
for kind in project app groups users locations; do
  mapfile -t list < <(files "$kind" "${valid_roots[@]}")
  if check-jsonschema --schemafile "schemas/$kind.schema.json" "${list[@]}" >/tmp/caseshare-schemas.log 2>&1; then
    passed=$((passed + 1)); echo "ok: ${#list[@]} $kind files of ${#valid_roots[@]} valid projects accepted"
  else
    failed=$((failed + 1)); echo "FAILED: valid $kind files rejected"; cat /tmp/caseshare-schemas.log
  fi
done
for root in fixtures/rules/S00*/invalid; do
  rejected=""
  for kind in project app groups users locations; do
    mapfile -t list < <(files "$kind" "$root")
    [ "${#list[@]}" -gt 0 ] || continue
    if ! check-jsonschema --schemafile "schemas/$kind.schema.json" "${list[@]}" >/tmp/caseshare-schemas.log 2>&1; then
      rejected="$(grep -m1 '::' /tmp/caseshare-schemas.log || true)"
    fi
  done
  if [ -n "$rejected" ]; then passed=$((passed + 1)); echo "ok: $root rejected:$rejected"; else failed=$((failed + 1)); echo "FAILED: $root accepted"; fi
done
echo "schemas: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
