//! Golden tests of `caseshare migrate`: every `fixtures/migrate/<case>/before` tree
//! migrates to exactly its `after` tree (byte for byte: comments, blank lines,
//! quoting, styles), the `after` tree loads as format 2 with no file or schema
//! problem, and migrating it again changes nothing (idempotence).
//! `CASESHARE_BLESS=1` writes the `after` trees instead (review them before committing).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use caseshare::migrate::{self, Refusal, Sources};

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

fn inputs(tree: &BTreeMap<String, Vec<u8>>) -> Sources {
    let files: Vec<(&str, &[u8])> = tree.iter().map(|(r, b)| (r.as_str(), b.as_slice())).collect();
    Sources::memory(&files)
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

/// The file, format and schema problems (Y, F, S) of a tree, as `path: CODE message`.
fn format2_problems(tree: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let files: Vec<(&str, &[u8])> = tree.iter().map(|(r, b)| (r.as_str(), b.as_slice())).collect();
    let result = caseshare::check_bytes(&files);
    result
        .diagnostics
        .iter()
        .filter(|d| d.code().starts_with(['Y', 'F', 'S']))
        .map(|d| format!("{}: {} {}", result.project.files[d.file].rel, d.code(), d.message))
        .collect()
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
        let bad = format2_problems(&after);
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

/// Every golden case with a `\r` alone for each line end (as old Mac editors
/// save): the same migration, line ends kept. The whole file read as one line:
/// a leading comment made it empty, and `project_space` was not migrated.
#[test]
fn golden_migrations_with_carriage_return_line_ends() {
    let to_cr = |bytes: &[u8]| String::from_utf8_lossy(bytes).replace("\r\n", "\r").replace('\n', "\r").into_bytes();
    let yaml = |rel: &str| rel.ends_with(".yaml") || rel.ends_with(".yml");
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let mut before = tree(&case.join("before"));
        let mut expected = tree(&case.join("after"));
        for tree in [&mut before, &mut expected] {
            for (rel, bytes) in tree.iter_mut() {
                if yaml(rel) {
                    *bytes = to_cr(bytes);
                }
            }
        }
        let after = migrated(&before);
        for (rel, bytes) in &expected {
            let got = after.get(rel).map(|b| String::from_utf8_lossy(b).into_owned());
            assert_eq!(got.as_deref(), Some(&*String::from_utf8_lossy(bytes)), "{name}: {rel}");
        }
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

// ---- regressions from review: odd but valid format 1 ----

/// Migrates in memory; the result must load as format 2 and migrate to nothing more.
fn ok(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    let tree: BTreeMap<String, Vec<u8>> = files.iter().map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())).collect();
    let after = migrated(&tree);
    let bad = format2_problems(&after);
    let shown: BTreeMap<String, String> = after.into_iter().map(|(k, v)| (k, String::from_utf8(v).unwrap())).collect();
    assert!(bad.is_empty(), "{bad:#?}\n{shown:#?}");
    let again = migrate::migrate_memory(&shown.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>());
    assert!(again.is_ok_and(|c| c.is_empty()), "not idempotent: {shown:#?}");
    shown
}

/// Asserts that a migrated file ends with `tail`.
fn assert_ends(out: &BTreeMap<String, String>, file: &str, tail: &str) {
    assert!(out[file].ends_with(tail), "{}", out[file]);
}

const GROUPS_AB: &str = "groups:\n  - name: A\n    users: [maria]\n  - name: B\n";

#[test]
fn a_flow_list_closed_after_a_comment() {
    let users =
        "users:\n  - username: david\n    groups: [A,   # first\n      B  # second\n    ]\n  - username: maria\n";
    let out = ok(&[("project.yaml", PROJECT), ("groups/g.yaml", GROUPS_AB), ("users/u.yaml", users)]);
    assert_eq!(
        out["users/u.yaml"],
        "format_version: 2\nusers:\n  - username: david\n    # first\n    # second\n  - username: maria\n"
    );
    assert_eq!(
        out["groups/g.yaml"],
        "format_version: 2\ngroups:\n  - name: A\n    members: [maria, david]\n  - name: B\n    members: [david]\n"
    );
}

#[test]
fn a_member_hq_takes_for_the_same_user_is_not_added_again() {
    // HQ keeps `David` and `Maria Ines` as `david` and `maria.ines`: already members.
    let groups = "groups:\n  - name: A\n    users: [david, maria.ines]\n  - name: B\n";
    let users = "users:\n  - username: David\n    groups: [A, B]\n  - username: Maria Ines\n    groups: [A]\n";
    let out = ok(&[("project.yaml", PROJECT), ("groups/g.yaml", groups), ("users/u.yaml", users)]);
    assert_eq!(
        out["groups/g.yaml"],
        "format_version: 2\ngroups:\n  - name: A\n    members: [david, maria.ines]\n  - name: B\n    members: [David]\n"
    );
}

#[test]
fn comments_inside_flow_mappings_stay() {
    let users = "users:\n  - {username: jon, groups: [A, # home village\n                            B]}\n  - {username: ines,\n     groups: [B],  # moved last year\n     is_active: true}\n";
    let out = ok(&[("project.yaml", PROJECT), ("groups/g.yaml", GROUPS_AB), ("users/u.yaml", users)]);
    let u = &out["users/u.yaml"];
    assert!(u.contains("# home village") && u.contains("# moved last year"), "{u}");
    let app = "name: A\nversion: \"2.0\"\nmodules:\n  - name: M\n    case_type: m\n    forms:\n      - {name: F4,\n         registration: yes,   # keep me\n         subcases: [child]}\n";
    let out = ok(&[("project.yaml", PROJECT), ("apps/a.yaml", app)]);
    assert!(out["apps/a.yaml"].contains("# keep me"), "{}", out["apps/a.yaml"]);
}

#[test]
fn sets_owner_with_a_block_opens_and_new_entries() {
    let app = "name: A\nversion: \"2.0\"\nmodules:\n  - name: M\n    case_type: patient\n    forms:\n      - name: F3\n        opens:\n          - case_type: patient\n        registration: yes\n        sets_owner: yes\n";
    let out = ok(&[("project.yaml", PROJECT), ("apps/a.yaml", app)]);
    assert_ends(
        &out,
        "apps/a.yaml",
        "      - name: F3\n        opens:\n          - case_type: patient\n            owner: explicit\n          - {owner: explicit}\n",
    );
}

#[test]
fn an_anchored_member_list_is_refused_not_shared() {
    let groups = "groups:\n  - name: A\n    users: &team [maria, ana]\n  - name: B\n    users: *team\n";
    for joins in ["A", "B"] {
        let users =
            format!("users:\n  - username: maria\n  - username: ana\n  - username: david\n    groups: [{joins}]\n");
        let out = refusal(&[("project.yaml", PROJECT), ("groups/g.yaml", groups), ("users/u.yaml", &users)]);
        assert!(out.contains("error[S004] the members of group `"), "{out}");
        assert!(out.contains("are a YAML anchor or alias, so adding `david` would change other lists too"), "{out}");
    }
}

#[test]
fn anchors_and_aliases_on_migrated_values() {
    let app = "name: A\nversion: \"2.0\"\nx-reg: &reg yes\nmodules:\n  - name: Households\n    case_type: household\n    forms:\n      - name: Register\n        registration: *reg\n      - name: Add member\n        subcases: [&m member]\n  - name: Members\n    case_type: *m\n    forms: []\n";
    // `x-reg` is no key of format 2: the anchor's holder is refused by the schema, at its line.
    let out = refusal(&[("project.yaml", PROJECT), ("apps/a.yaml", app)]);
    assert!(out.starts_with("apps/a.yaml:3:1: error[S001] unknown key `x-reg`"), "{out}");
    let app = app
        .replace("x-reg: &reg yes\n", "")
        .replace("registration: *reg", "registration: &reg yes\n        sets_owner: *reg");
    let out = ok(&[("project.yaml", PROJECT), ("apps/a.yaml", &app)]);
    let a = &out["apps/a.yaml"];
    assert!(a.contains("opens: [{owner: explicit}]"), "{a}");
    assert!(a.contains("opens: [{case_type: &m member, relationship: child}]"), "{a}");
    assert!(a.contains("case_type: *m"), "{a}");
}

#[test]
fn block_scalar_and_tagged_versions_keep_their_value() {
    let out = ok(&[("project.yaml", PROJECT), ("apps/a.yaml", "name: A\nversion: >-\n  2.10\nmodules: []\n")]);
    assert_eq!(out["apps/a.yaml"], "format_version: 2\nname: A\ncommcare_version: >-\n  2.10\nmodules: []\n");
    let out = ok(&[("project.yaml", PROJECT), ("apps/a.yaml", "name: A\nversion: !!str 2.10\nmodules: []\n")]);
    assert_eq!(out["apps/a.yaml"], "format_version: 2\nname: A\ncommcare_version: !!str 2.10\nmodules: []\n");
}

#[test]
fn case_sharing_y_and_n_become_booleans_too() {
    let out = ok(&[("project.yaml", "project_space: d1\ncase_sharing: Y\n")]);
    assert_eq!(out["project.yaml"], "format_version: 2\ndomain: d1\ncase_sharing: true\n");
}

#[test]
fn a_multi_document_file_says_so() {
    let out = refusal(&[("project.yaml", "project_space: d1\n---\nproject_space: d2\n")]);
    assert!(out.contains("the file holds more than one YAML document"), "{out}");
}

#[test]
fn a_bare_key_in_a_flow_mapping_gets_its_list() {
    let out = ok(&[
        ("project.yaml", PROJECT),
        ("groups/g.yaml", "groups:\n  - {name: G, users}\n"),
        ("users/u.yaml", "users:\n  - {username: ana, groups: [G]}\n"),
    ]);
    assert_eq!(out["groups/g.yaml"], "format_version: 2\ngroups:\n  - {name: G, members: [ana]}\n");
}

#[test]
fn explicit_keys_and_a_late_format_version() {
    let out = ok(&[("project.yaml", "? project_space\n: d1\n")]);
    assert_eq!(out["project.yaml"], "format_version: 2\n? domain\n: d1\n");
    let out = ok(&[
        ("project.yaml", "project_space: d1\nformat_version: 1   # old\n"),
        ("groups/g.yaml", "groups:\n  - ? name\n    : A\n"),
        ("users/u.yaml", "users:\n  - username: x\n    groups: [A]\n"),
    ]);
    assert_eq!(out["project.yaml"], "format_version: 2\ndomain: d1\n# old\n");
    assert_eq!(out["groups/g.yaml"], "format_version: 2\ngroups:\n  - ? name\n    : A\n    members: [x]\n");
}

#[test]
fn a_comment_after_a_replaced_block_list_keeps_its_order() {
    let app = "name: A\nversion: \"2.0\"\nmodules:\n  - name: M\n    case_type: p\n    forms:\n      - name: F\n        subcases:\n          # first the child\n          - child   # a child case\n          # then the referral\n          - referral   # sent on\n        updates: [p]\n";
    let out = ok(&[("project.yaml", PROJECT), ("apps/a.yaml", app)]);
    assert_ends(
        &out,
        "apps/a.yaml",
        "        opens: [{case_type: child, relationship: child}, {case_type: referral, relationship: child}]\n        # first the child\n        # a child case\n        # then the referral\n        # sent on\n        updates: [p]\n",
    );
}
