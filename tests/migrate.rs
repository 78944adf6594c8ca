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
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("fixtures/migrate").map(|e| e.unwrap().path()).collect();
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
        assert!(
            again.is_empty(),
            "{name}: a second migration changes {:?}",
            again.iter().map(|c| &c.rel).collect::<Vec<_>>()
        );
    }
}

// ---- refusals: a diagnostic on the original text, and nothing changes ----

fn refusal(files: &[(&str, &str)]) -> String {
    match migrate::migrate_memory(files) {
        Ok(changes) => panic!("migrated: {changes:#?}"),
        Err(Refusal::Problems(r)) => {
            let concise = caseshare::report::concise::render(&r);
            let human = caseshare::report::render(
                &r,
                caseshare::report::Format::Human,
                caseshare::report::Style { color: false, width: 100 },
            );
            format!("{concise}\n{human}")
        }
        Err(e) => panic!("refused without diagnostics: {e:?}"),
    }
}

const PROJECT: &str = "project_space: d1\n";

#[test]
fn a_file_that_does_not_parse_stops_the_migration() {
    let out = refusal(&[("project.yaml", PROJECT), ("users/a.yaml", "users:\n  - username: [david\n")]);
    assert!(out.starts_with("users/a.yaml:2:"), "{out}");
    assert!(out.contains("error[Y001]"), "{out}");
    insta::assert_snapshot!("refused_not_yaml", out);
}

#[test]
fn a_group_that_no_file_defines_stops_the_migration() {
    let out = refusal(&[
        ("project.yaml", PROJECT),
        ("groups/g.yaml", "groups:\n  - {name: Village A, case_sharing: yes}\n"),
        ("users/a.yaml", "users:\n  - username: david\n    groups: [Village A, Vilage B, Village A]\n"),
    ]);
    assert!(
        out.contains("users/a.yaml:3:25: error[R001] user `david` is in group `Vilage B`, which no file defines"),
        "{out}"
    );
    assert!(out.contains("did you mean `Village A`?"), "{out}");
    insta::assert_snapshot!("refused_unknown_group", out);
}

#[test]
fn a_migrated_file_that_would_fail_the_schema_is_reported_at_the_original_text() {
    // `colour` is no key of format 2: the schema problem is shown where the user wrote it.
    let out = refusal(&[("project.yaml", "# legacy\nproject_space: d1\ncolour: red\n")]);
    assert!(out.starts_with("project.yaml:3:1: error[S001]"), "{out}");
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("so fix this before migrating"), "{out}");
}

#[test]
fn an_app_without_a_version_is_refused_at_its_first_key() {
    // Format 2 requires `commcare_version`; the migration cannot invent one.
    let out = refusal(&[("project.yaml", PROJECT), ("apps/a.yaml", "# app\nname: A\nmodules: []\n")]);
    assert!(
        out.starts_with("apps/a.yaml:2:1: error[S002] an app is missing the required key `commcare_version`"),
        "{out}"
    );
}

#[test]
fn keys_that_would_collide_stop_the_migration() {
    let out = refusal(&[("project.yaml", "project_space: d1\ndomain: d2\n")]);
    assert!(out.contains("project.yaml:1:1: error[Y002] `project_space` becomes `domain`"), "{out}");
    let out =
        refusal(&[("project.yaml", PROJECT), ("apps/a.yaml", "name: A\nversion: 2.0\ncommcare_version: \"2.0\"\n")]);
    assert!(out.contains("apps/a.yaml:2:1: error[Y002] `version` becomes `commcare_version`"), "{out}");
    let out =
        refusal(&[("project.yaml", PROJECT), ("groups/g.yaml", "groups:\n  - {name: A, users: [x], members: [y]}\n")]);
    assert!(out.contains("error[Y002] `users` becomes `members`"), "{out}");
}

#[test]
fn a_yes_no_key_with_another_value_stops_the_migration() {
    let app = "name: A\nmodules:\n  - name: M\n    case_type: m\n    forms:\n      - {name: F, registration: maybe}\n";
    let out = refusal(&[("project.yaml", PROJECT), ("apps/a.yaml", app)]);
    assert!(out.contains("apps/a.yaml:6:33: error[S004] `registration` is `maybe`, not yes or no"), "{out}");
}

#[test]
fn an_unknown_format_version_stops_the_migration() {
    let out = refusal(&[("project.yaml", "format_version: 3\ndomain: d1\n")]);
    assert!(out.contains("error[F001]"), "{out}");
}

#[test]
fn a_current_project_has_nothing_to_migrate() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let changes = migrate::migrate(&inputs(&tree(&demo))).expect("the demo is format 2");
    assert!(changes.is_empty(), "{changes:#?}");
}
