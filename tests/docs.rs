//! The documentation that is generated from the code stays in step with it: the
//! rules reference (`docs/rules.md`) and the README's rules table come from the
//! rules' own documentation. `CASESHARE_BLESS=1` rewrites them for review.

use std::path::Path;

use caseshare::rules::{reference_markdown, table_markdown};

fn bless() -> bool {
    std::env::var_os("CASESHARE_BLESS").is_some()
}

#[test]
fn the_rules_reference_is_generated_from_the_rules() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let want = reference_markdown();
    if bless() {
        std::fs::write(&path, &want).expect("write");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/rules.md is stale: run `CASESHARE_BLESS=1 cargo test --test docs`");
}

#[test]
fn the_readme_rules_table_is_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let start = readme.find("<!-- rules table:").expect("start marker");
    let body = readme[start..].find("-->\n").map(|i| start + i + 4).expect("end of the start marker");
    let end = readme.find("<!-- end of rules table -->").expect("end marker");
    if bless() {
        let new = format!("{}{}{}", &readme[..body], table_markdown(), &readme[end..]);
        std::fs::write(&path, new).expect("write");
        return;
    }
    assert!(
        readme[body..end] == table_markdown(),
        "README's rules table is stale: run `CASESHARE_BLESS=1 cargo test --test docs`"
    );
}

/// Every field of every schema, and every value of an enum, is described in
/// `docs/format.md` (as `` `name` ``): a field added to the model without a word
/// in the format's documentation fails here.
#[test]
fn the_format_documents_every_field_of_the_schemas() {
    fn names(v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                    out.extend(props.keys().cloned());
                }
                for key in ["enum", "const"] {
                    match map.get(key) {
                        Some(serde_json::Value::Array(values)) => {
                            out.extend(values.iter().filter_map(|x| x.as_str().map(String::from)))
                        }
                        Some(serde_json::Value::String(s)) => {
                            out.insert(s.clone());
                        }
                        _ => {}
                    }
                }
                map.values().for_each(|x| names(x, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|x| names(x, out)),
            _ => {}
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let format = std::fs::read_to_string(root.join("docs/format.md")).expect("docs/format.md");
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("schemas")).expect("schemas/") {
        let path = entry.expect("entry").path();
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("schema")).expect("JSON");
        let mut all = std::collections::BTreeSet::new();
        names(&schema, &mut all);
        let missing: Vec<&String> = all.iter().filter(|n| !format.contains(&format!("`{n}`"))).collect();
        assert!(missing.is_empty(), "docs/format.md does not describe {missing:?} of {}", path.display());
        checked += all.len();
    }
    assert!(checked > 40, "the schemas' fields were not found ({checked})");
}

/// The repository is whole by itself: no tracked file refers to the folder of
/// notes and specifications it was built from, which no clone has (`..` then
/// `/shared`, or that folder's own paths). The needles are put together here so
/// that this file does not hold them.
#[test]
fn no_tracked_file_refers_to_the_folder_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let folder = ["sha", "red"].concat();
    let needles: Vec<String> = std::iter::once(format!("../{folder}"))
        .chain(["SPEC.md", "domain/", "hq-fixtures/", "notes/"].iter().map(|p| format!("{folder}/{p}")))
        .collect();
    let listed = std::process::Command::new("git").arg("-C").arg(root).args(["ls-files", "-z"]).output();
    let files: Vec<String> = match listed {
        Ok(out) if out.status.success() => {
            String::from_utf8_lossy(&out.stdout).split('\0').filter(|f| !f.is_empty()).map(String::from).collect()
        }
        // Not a git checkout (a packaged crate): every file but the build's.
        _ => {
            fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
                for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                    let p = e.path();
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name == "target" || name == ".git" {
                        continue;
                    }
                    if p.is_dir() {
                        walk(&p, base, out);
                    } else if let Ok(rel) = p.strip_prefix(base) {
                        out.push(rel.to_string_lossy().into_owned());
                    }
                }
            }
            let mut out = Vec::new();
            walk(root, root, &mut out);
            out
        }
    };
    assert!(files.len() > 100, "the repository's files were not found ({})", files.len());
    let mut found = Vec::new();
    for f in &files {
        let Ok(bytes) = std::fs::read(root.join(f)) else { continue };
        for n in &needles {
            if bytes.windows(n.len()).any(|w| w == n.as_bytes()) {
                found.push(format!("{f}: `{n}`"));
            }
        }
    }
    assert!(found.is_empty(), "files refer to a folder outside the repository:\n{}", found.join("\n"));
}

/// `docs/hq-fidelity.md` sets every rule on owners, sharing, versions, case types,
/// locations and names against HQ's code, with a verdict.
#[test]
fn hq_fidelity_covers_every_rule_hq_decides_too() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/hq-fidelity.md");
    let doc = std::fs::read_to_string(&path).expect("docs/hq-fidelity.md");
    for r in caseshare::rules::REGISTRY.iter().filter(|r| r.code.starts_with(['A', 'C', 'D', 'G', 'L', 'R'])) {
        let row = doc.lines().find(|l| l.starts_with(&format!("| {} {} |", r.code, r.name)));
        let Some(row) = row else { panic!("docs/hq-fidelity.md has no row for {} {}", r.code, r.name) };
        assert!(
            ["**agrees**", "**stricter**", "**caseshare only**"].iter().any(|v| row.contains(v)),
            "{}: no verdict in {row}",
            r.code
        );
    }
}
