//! Golden tests of `caseshare migrate`: every `fixtures/migrate/<case>/before` tree
//! migrates to exactly its `after` tree (byte for byte: comments, blank lines,
//! quoting, styles), the `after` tree loads as format 2 with no file or schema
//! problem, and migrating it again changes nothing (idempotence).
//! `CASESHARE_BLESS=1` writes the `after` trees instead (review them before committing).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use caseshare::migrate::{self, Input, Refusal};

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/migrate");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir).expect("fixtures/migrate").map(|e| e.unwrap().path()).collect();
    cases.retain(|p| p.join("before").is_dir());
    cases.sort();
    cases
}

/// Every file under `dir`, by path relative to it.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).into_iter().map(Result::unwrap).filter(|e| e.file_type().is_file()) {
        let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
        out.insert(rel, std::fs::read(e.path()).unwrap());
    }
    out
}

fn inputs(tree: &BTreeMap<String, Vec<u8>>) -> Vec<Input> {
    tree.iter()
        .map(|(rel, bytes)| Input { rel: rel.clone(), display: rel.clone(), abs: rel.into(), bytes: bytes.clone() })
        .collect()
}

fn migrated(tree: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let changes = match migrate::migrate(&inputs(tree)) {
        Ok(c) => c,
        Err(Refusal::Problems(r)) => panic!("refused:\n{}", caseshare::report::concise::render(&r)),
        Err(e) => panic!("refused: {e:?}"),
    };
    let mut out = tree.clone();
    for c in changes {
        out.insert(c.rel, c.after.into_bytes());
    }
    out
}

#[test]
fn golden_migrations() {
    let bless = std::env::var_os("CASESHARE_BLESS").is_some();
    let cases = cases();
    assert!(cases.len() >= 9, "the golden cases are missing");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let before = tree(&case.join("before"));
        let after = migrated(&before);
        assert_ne!(before, after, "{name}: nothing migrated");
        if bless {
            let _ = std::fs::remove_dir_all(case.join("after"));
            for (rel, bytes) in &after {
                let p = case.join("after").join(rel);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, bytes).unwrap();
            }
        }
        let expected = tree(&case.join("after"));
        for (rel, bytes) in &expected {
            let got = after.get(rel).map(|b| String::from_utf8_lossy(b).into_owned());
            assert_eq!(got.as_deref(), Some(&*String::from_utf8_lossy(bytes)), "{name}: {rel}");
        }
        assert_eq!(after.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{name}: files");

        // The migrated tree is format 2: no file, format or schema problem.
        let files: Vec<(&str, &[u8])> = after.iter().map(|(r, b)| (r.as_str(), b.as_slice())).collect();
        let result = caseshare::check_bytes(&files);
        let bad: Vec<String> = result
            .diagnostics
            .iter()
            .filter(|d| d.code().starts_with(['Y', 'F', 'S']))
            .map(|d| format!("{}: {} {}", result.project.files[d.file].rel, d.code(), d.message))
            .collect();
        // An empty file stays as it was: there is nothing to migrate in it.
        let bad: Vec<&String> = bad.iter().filter(|b| !b.contains("the file is empty")).collect();
        assert!(bad.is_empty(), "{name}: the migrated tree has problems: {bad:#?}");

        // Idempotence.
        let again = migrate::migrate(&inputs(&after)).expect("a migrated tree migrates");
        assert!(again.is_empty(), "{name}: a second migration changes {:?}", again.iter().map(|c| &c.rel).collect::<Vec<_>>());
    }
}
