//! `caseshare rename`: every token of the name renamed in every file, nothing else
//! changed (whole files compared byte for byte), quoting, refusals, the command
//! line's diff / `--check` / `--write`, a rename back that restores the original
//! bytes, and the demo project renamed and checked clean.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use caseshare::migrate::Change;
use caseshare::read::Sources;
use caseshare::rename::{NameKind, RenameError, Renamed, occurrences, rename, token_edits};

const PROJECT: &str = "# Two villages and a clinic
format_version: 2
domain: d1
case_sharing: true
roles:
  chw: {apps: [chw]}    # community health workers
  'nurse': {apps: [clinic]}
location_types:
  - {name: district, view_descendants: true}
  - {name: village, parent: district, shares_cases: true}
shared_case_types:
  - {case_type: referral, apps: [chw, clinic]}
";
const CHW: &str = "format_version: 2
name: CHW
commcare_version: \"2.53.0\"
case_sharing: true
modules:
  - name: Households
    case_type: household   # the family
    forms:
      - {name: Register, opens: [{}]}
      - name: Refer
        requires: case
        opens:
          - {case_type: referral, owner: explicit}
        updates: [household]
  - name: Referrals
    case_type: referral
";
const CLINIC: &str = "format_version: 2
name: Clinic
commcare_version: \"2.53.0\"
case_sharing: true
modules:
  - name: Referrals
    case_type: \"referral\"
    forms:
      - name: Outcome
        requires: case
        updates:
          - referral   # closes it
";
const GROUPS: &str = "format_version: 2
groups:
  - name: Village A
    case_sharing: true
    members: [david, maria]   # CHWs
  - name: Supervision
    members:
      - joseph
      - david        # covers for Joseph
";
const USERS: &str = "format_version: 2
users:
  - {username: david, role: chw}
  - username: maria
    role: chw
  - {username: joseph, role: chw, locations: [village-b]}
  - {username: fatima, role: 'nurse', locations: [district-1]}
";
const LOCATIONS: &str = "format_version: 2
locations:
  - {code: district-1, name: District 1, type: district}
  - code: village-a
    name: Village A
    type: village
    parent: district-1   # north
  - {code: village-b, name: Village B, type: village, parent: \"district-1\"}
";

type Tree = BTreeMap<String, String>;

fn project() -> Tree {
    [
        ("project.yaml", PROJECT),
        ("apps/chw.yaml", CHW),
        ("apps/clinic.yaml", CLINIC),
        ("groups/villages.yaml", GROUPS),
        ("users/all.yaml", USERS),
        ("locations/tree.yaml", LOCATIONS),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn sources(tree: &Tree) -> Sources {
    let files: Vec<(&str, &[u8])> = tree.iter().map(|(r, t)| (r.as_str(), t.as_bytes())).collect();
    Sources::memory(&files)
}

fn run(tree: &Tree, kind: NameKind, old: &str, new: &str) -> Result<Renamed, RenameError> {
    rename(&sources(tree), kind, old, new)
}

fn applied(tree: &Tree, changes: &[Change]) -> Tree {
    let mut out = tree.clone();
    for c in changes {
        assert_eq!(c.before.as_deref(), Some(tree[&c.rel].as_str()), "{}: a rename only rewrites files", c.rel);
        out.insert(c.rel.clone(), c.after.clone());
    }
    out
}

/// Renames and applies; the files that changed, in order.
fn renamed(tree: &Tree, kind: NameKind, old: &str, new: &str) -> (Tree, Vec<String>) {
    let r = run(tree, kind, old, new).unwrap_or_else(|e| panic!("rename {old} → {new}: {e}"));
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    let files = r.changes.iter().map(|c| c.rel.clone()).collect();
    (applied(tree, &r.changes), files)
}

/// `CODE message` of each diagnostic.
fn diagnostics(tree: &Tree) -> Vec<String> {
    let files: Vec<(&str, &str)> = tree.iter().map(|(r, t)| (r.as_str(), t.as_str())).collect();
    let result = caseshare::check_memory(&files);
    result.diagnostics.iter().map(|d| format!("{} {}", d.code(), d.message)).collect()
}

/// The tree with `from` replaced by `to` (once each, in that file).
fn edited(tree: &Tree, file: &str, pairs: &[(&str, &str)]) -> Tree {
    let mut out = tree.clone();
    let mut text = tree[file].clone();
    for (from, to) in pairs {
        assert_eq!(text.matches(from).count(), 1, "`{from}` is not once in {file}");
        text = text.replacen(from, to, 1);
    }
    out.insert(file.to_string(), text);
    out
}

fn with(tree: &Tree, file: &str, text: &str) -> Tree {
    let mut out = tree.clone();
    out.insert(file.to_string(), text.to_string());
    out
}

#[test]
fn the_base_project_checks_with_one_warning() {
    // Fatima at the district owns both villages' cases: G003, a warning. Every
    // rename below keeps exactly that.
    assert_eq!(diagnostics(&project()), ["G003 user `fatima` has 2 case owners; the project expects exactly one"]);
}

#[test]
fn a_user_in_two_groups_and_a_users_file() {
    let tree = project();
    let (after, files) = renamed(&tree, NameKind::User, "david", "dave");
    assert_eq!(files, ["groups/villages.yaml", "users/all.yaml"]);
    let want = edited(
        &edited(
            &tree,
            "groups/villages.yaml",
            &[("[david, maria]", "[dave, maria]"), ("- david        #", "- dave        #")],
        ),
        "users/all.yaml",
        &[("username: david,", "username: dave,")],
    );
    assert_eq!(after, want);
    assert_eq!(diagnostics(&after), diagnostics(&tree));
}

#[test]
fn every_spelling_hq_takes_for_the_name_is_renamed() {
    // HQ folds usernames and site codes: `David` in a group and `Village-B` in a
    // user's locations are `david` and `village-b`.
    let tree = edited(&project(), "groups/villages.yaml", &[("[david, maria]", "[David, maria]")]);
    let tree = edited(&tree, "users/all.yaml", &[("locations: [village-b]", "locations: [Village-B]")]);
    assert_eq!(diagnostics(&tree), diagnostics(&project()));
    let (after, _) = renamed(&tree, NameKind::User, "david", "dave");
    assert!(after["groups/villages.yaml"].contains("[dave, maria]"), "{}", after["groups/villages.yaml"]);
    assert!(!after["groups/villages.yaml"].contains("david") && !after["groups/villages.yaml"].contains("David"));
    let (after, _) = renamed(&tree, NameKind::Location, "village-b", "kibera");
    assert!(after["users/all.yaml"].contains("locations: [kibera]"), "{}", after["users/all.yaml"]);
    assert_eq!(diagnostics(&after), diagnostics(&project()));
    // A new name HQ takes for an existing one is refused.
    assert!(matches!(refused(&tree, NameKind::User, "maria", "DAVID"), RenameError::Exists { .. }));
}

/// An error or warning the project has already, about the user in another
/// spelling than the one OLD is given in, is not one the rename adds: Fatima
/// (G003, spelt `Fatima` in a group) renamed as `fatima`, and as `FATIMA`.
#[test]
fn old_diagnostics_in_another_spelling_are_not_added_by_the_rename() {
    let tree = edited(&project(), "users/all.yaml", &[("username: fatima,", "username: Fatima,")]);
    assert_eq!(diagnostics(&tree), ["G003 user `Fatima` has 2 case owners; the project expects exactly one"]);
    for old in ["Fatima", "fatima", "FATIMA"] {
        let r = run(&tree, NameKind::User, old, "fat").unwrap_or_else(|e| panic!("{old}: {e}"));
        assert!(r.notes.is_empty(), "{old}: a warning that was there is not new: {:?}", r.notes);
        assert_eq!(
            diagnostics(&applied(&tree, &r.changes)),
            ["G003 user `fat` has 2 case owners; the project expects exactly one"]
        );
    }
    // A name that holds a backtick: its old G002 is not one the rename adds.
    let tree = edited(&project(), "users/all.yaml", &[("username: david,", "username: \"da`vid\",")]);
    let tree = edited(&tree, "groups/villages.yaml", &[("[david, maria]", "[\"da`vid\", maria]")]);
    let tree = edited(&tree, "groups/villages.yaml", &[("- david        #", "- \"da`vid\"        #")]);
    let tree = with(
        &tree,
        "groups/more.yaml",
        "format_version: 2\ngroups:\n  - {name: Village B, case_sharing: true, members: [\"da`vid\"]}\n",
    );
    assert!(diagnostics(&tree).iter().any(|d| d.starts_with("G002 user `da`vid`")), "{:?}", diagnostics(&tree));
    assert!(run(&tree, NameKind::User, "da`vid", "dawit").is_ok(), "the G002 was there before");
    // An error, the same: David in two groups.
    let tree = edited(&project(), "users/all.yaml", &[("username: david,", "username: David,")]);
    let tree = with(
        &tree,
        "groups/more.yaml",
        "format_version: 2\ngroups:\n  - {name: Village B, case_sharing: true, members: [DAVID]}\n",
    );
    assert!(diagnostics(&tree).iter().any(|d| d.starts_with("G002 user `David`")), "{:?}", diagnostics(&tree));
    for old in ["David", "david"] {
        assert!(run(&tree, NameKind::User, old, "dave").is_ok(), "{old}: the G002 was there before");
    }
}

/// A misshapen value that holds NEW stops the rename as one that holds OLD
/// does: renamed to `Lead`, Supervision would be defined twice once
/// `name: [Lead]` is fixed.
#[test]
fn a_misshapen_value_that_holds_the_new_name_stops_the_rename() {
    let groups = format!("{GROUPS}  - name: [Lead]\n    members: [maria]\n");
    let tree = with(&project(), "groups/villages.yaml", &groups);
    assert!(diagnostics(&tree).iter().any(|d| d.starts_with("S003")), "{:?}", diagnostics(&tree));
    match refused(&tree, NameKind::Group, "Supervision", "Lead") {
        RenameError::Problems(result) => {
            let help = result.diagnostics[0].help.as_deref().unwrap_or_default().to_string();
            assert!(help.contains("this value may hold `Lead` already"), "{help}");
        }
        other => panic!("{other}"),
    }
    // Another new name is not stopped by it, nor one the value holds a part of.
    assert!(run(&tree, NameKind::Group, "Supervision", "Leads").is_ok());
    assert!(run(&tree, NameKind::Group, "Supervision", "Lea").is_ok());
    // An empty new name is refused as one.
    assert!(matches!(refused(&tree, NameKind::Group, "Supervision", ""), RenameError::Invalid { .. }));
}

/// The command reads the project from disk file by file (`rename_on_disk`):
/// the same changes and notes as from the files read whole, and the same
/// refusals.
#[test]
fn a_rename_on_disk_is_the_rename_of_the_files_read() {
    let tree = edited(&project(), "users/all.yaml", &[("username: fatima,", "username: Fatima,")]);
    let dir = std::env::temp_dir().join(format!("caseshare-rename-disk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (rel, text) in &tree {
        std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
        std::fs::write(dir.join(rel), text).unwrap();
    }
    let config = caseshare::config::Config::load(&dir).unwrap();
    let on_disk = |kind, old: &str, new: &str| caseshare::rename::rename_on_disk(&dir, &dir, &config, kind, old, new);
    let read = caseshare::read::read_project(&dir, &dir, &config);
    for (kind, old, new) in [
        (NameKind::User, "david", "dave"),
        (NameKind::User, "fatima", "fat"),
        (NameKind::CaseType, "referral", "referral_case"),
        (NameKind::Location, "village-b", "kibera"),
        (NameKind::Role, "nurse", "clinician"),
    ] {
        let (a, b) = (on_disk(kind, old, new).expect("renamed"), rename(&read, kind, old, new).expect("renamed"));
        let shown = |r: &Renamed| -> Vec<(String, Option<String>, String)> {
            r.changes.iter().map(|c| (c.rel.clone(), c.before.clone(), c.after.clone())).collect()
        };
        assert!(!a.changes.is_empty(), "{old}");
        assert_eq!(shown(&a), shown(&b), "{old} → {new}");
        assert_eq!(a.notes, b.notes, "{old} → {new}");
    }
    let refused = |r: Result<Renamed, RenameError>| r.err().map(|e| e.to_string());
    for (old, new) in [("maria", "DAVID"), ("nobody", "x"), ("david", "")] {
        let (a, b) = (refused(on_disk(NameKind::User, old, new)), refused(rename(&read, NameKind::User, old, new)));
        assert!(a.is_some() && a == b, "{old} → {new}: {a:?} {b:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_case_type_in_two_apps_and_shared_case_types() {
    let tree = project();
    let (after, files) = renamed(&tree, NameKind::CaseType, "referral", "referral_case");
    assert_eq!(files, ["apps/chw.yaml", "apps/clinic.yaml", "project.yaml"]);
    let want = edited(
        &tree,
        "apps/chw.yaml",
        &[
            ("{case_type: referral, owner", "{case_type: referral_case, owner"),
            ("case_type: referral\n", "case_type: referral_case\n"),
        ],
    );
    let want = edited(
        &want,
        "apps/clinic.yaml",
        &[("\"referral\"", "\"referral_case\""), ("- referral   #", "- referral_case   #")],
    );
    let want = edited(&want, "project.yaml", &[("{case_type: referral,", "{case_type: referral_case,")]);
    assert_eq!(after, want);
    assert_eq!(diagnostics(&after), diagnostics(&tree));

    // A case type of one app: that app only, its comment kept.
    let (after, files) = renamed(&tree, NameKind::CaseType, "household", "family");
    assert_eq!(files, ["apps/chw.yaml"]);
    let want = edited(
        &tree,
        "apps/chw.yaml",
        &[("household   # the family", "family   # the family"), ("[household]", "[family]")],
    );
    assert_eq!(after, want);
}

#[test]
fn a_role_key_and_its_users() {
    let tree = project();
    let (after, files) = renamed(&tree, NameKind::Role, "chw", "health_worker");
    assert_eq!(files, ["project.yaml", "users/all.yaml"]);
    let want = edited(&tree, "project.yaml", &[("  chw: {apps: [chw]}", "  health_worker: {apps: [chw]}")]);
    let want = edited(
        &want,
        "users/all.yaml",
        &[
            ("david, role: chw}", "david, role: health_worker}"),
            ("    role: chw\n", "    role: health_worker\n"),
            ("joseph, role: chw,", "joseph, role: health_worker,"),
        ],
    );
    assert_eq!(after, want);
    assert_eq!(diagnostics(&after), diagnostics(&tree));
}

#[test]
fn a_location_with_children_and_users() {
    let tree = project();
    let (after, files) = renamed(&tree, NameKind::Location, "district-1", "north");
    assert_eq!(files, ["locations/tree.yaml", "users/all.yaml"]);
    let want = edited(
        &tree,
        "locations/tree.yaml",
        &[
            ("{code: district-1,", "{code: north,"),
            ("parent: district-1   # north", "parent: north   # north"),
            ("parent: \"district-1\"}", "parent: \"north\"}"),
        ],
    );
    let want = edited(&want, "users/all.yaml", &[("[district-1]", "[north]")]);
    assert_eq!(after, want);
    assert_eq!(diagnostics(&after), diagnostics(&tree));
}

#[test]
fn a_group_name() {
    let tree = project();
    let (after, files) = renamed(&tree, NameKind::Group, "Village A", "Village North");
    assert_eq!(files, ["groups/villages.yaml"]);
    assert_eq!(after, edited(&tree, "groups/villages.yaml", &[("name: Village A\n", "name: Village North\n")]));
}

#[test]
fn names_that_need_quotes_and_a_rename_back() {
    let tree = project();
    // `yes` reads as a string in YAML 1.2 but a boolean in 1.1; `2.10` as a number.
    for new in ["yes", "2.10"] {
        let (after, _) = renamed(&tree, NameKind::User, "david", new);
        let quoted = format!("\"{new}\"");
        assert!(after["groups/villages.yaml"].contains(&format!("members: [{quoted}, maria]")));
        assert!(after["users/all.yaml"].contains(&format!("{{username: {quoted}, role: chw}}")));
        let files: Vec<(&str, &str)> = after.iter().map(|(r, t)| (r.as_str(), t.as_str())).collect();
        let checked = caseshare::check_memory(&files);
        assert_eq!(occurrences(&checked.project, NameKind::User, new).len(), 3);
        // Back: the quotes were for the name, not the author's choice.
        let (back, _) = renamed(&after, NameKind::User, new, "david");
        assert_eq!(back, tree);
    }
    // A group name with `: ` and a role `yes` as a mapping key.
    let (after, _) = renamed(&tree, NameKind::Group, "Village A", "Village: A");
    assert!(after["groups/villages.yaml"].contains("  - name: \"Village: A\"\n"));
    let (after, _) = renamed(&tree, NameKind::Role, "chw", "yes");
    assert!(after["project.yaml"].contains("  \"yes\": {apps: [chw]}    # community"));
    assert!(after["users/all.yaml"].contains("role: \"yes\"}"));
    let (back, _) = renamed(&after, NameKind::Role, "yes", "chw");
    assert_eq!(back, tree);
}

#[test]
fn quotes_the_author_chose_are_kept() {
    let tree = project();
    // `'nurse'` did not need quotes: the new name keeps them, in single quotes.
    let (after, _) = renamed(&tree, NameKind::Role, "nurse", "midwife");
    assert!(after["project.yaml"].contains("  'midwife': {apps: [clinic]}\n"));
    assert!(after["users/all.yaml"].contains("role: 'midwife', locations"));
    let (after, _) = renamed(&tree, NameKind::Role, "nurse", "o'neil");
    assert!(after["project.yaml"].contains("  'o''neil': {apps: [clinic]}\n"));
    // Quotes that the old name needed say nothing of the author's choice.
    let (back, _) = renamed(&after, NameKind::Role, "o'neil", "nurse");
    assert!(back["project.yaml"].contains("  nurse: {apps: [clinic]}\n"));
}

#[test]
fn crlf_a_bom_and_comments_survive() {
    let users =
        "\u{feff}format_version: 2\r\nusers:\r\n  # the first\r\n  - username: david   # DK\r\n    role: chw\r\n";
    let tree = with(&project(), "users/all.yaml", users);
    let tree = with(&tree, "users/more.yaml", "format_version: 2\nusers:\n  - {username: maria, role: chw}\n");
    let tree = with(
        &tree,
        "groups/villages.yaml",
        "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n  - {name: B, case_sharing: true, members: [maria]}\n",
    );
    let (after, _) = renamed(&tree, NameKind::User, "david", "dave");
    assert_eq!(after["users/all.yaml"], users.replace("username: david ", "username: dave "));
}

#[test]
fn renaming_to_itself_changes_nothing() {
    let r = run(&project(), NameKind::User, "david", "david").unwrap();
    assert!(r.changes.is_empty());
}

#[test]
fn a_rename_that_changes_only_what_hq_folds_away() {
    // HQ takes `David` for `david`: a rename to it changes the spelling only.
    let tree = project();
    let (after, files) = renamed(&tree, NameKind::User, "david", "David");
    assert_eq!(files, ["groups/villages.yaml", "users/all.yaml"]);
    assert!(
        after["groups/villages.yaml"].contains("[David, maria]")
            && after["groups/villages.yaml"].contains("- David        #")
    );
    assert!(after["users/all.yaml"].contains("{username: David, role: chw}"));
    assert_eq!(diagnostics(&after), diagnostics(&tree));
    let (after, files) = renamed(&tree, NameKind::Location, "village-b", "Village-B");
    assert_eq!(files, ["locations/tree.yaml", "users/all.yaml"]);
    assert!(after["users/all.yaml"].contains("locations: [Village-B]"));
    // Spelt two ways: renaming to one of them writes the other that way, and
    // leaves the tokens that read it already.
    let mixed = edited(&tree, "groups/villages.yaml", &[("[david, maria]", "[David, maria]")]);
    for (old, new) in [("David", "david"), ("david", "david")] {
        let r = run(&mixed, NameKind::User, old, new).unwrap();
        assert_eq!(r.changes.len(), 1, "{old} → {new}");
        assert_eq!(applied(&mixed, &r.changes), tree, "{old} → {new}");
    }
}

fn refused(tree: &Tree, kind: NameKind, old: &str, new: &str) -> RenameError {
    match run(tree, kind, old, new) {
        Ok(r) => panic!("rename {old} → {new} was not refused: {:?}", r.changes),
        Err(e) => e,
    }
}

#[test]
fn a_new_name_that_exists_is_refused_with_its_place() {
    let tree = project();
    let e = refused(&tree, NameKind::User, "david", "maria");
    assert!(matches!(e, RenameError::Exists { defines: true, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "a user named `maria` exists already, defined at users/all.yaml:4:15; choose another name"
    );
    // HQ takes `Maria` for `maria`, and `Village-B` for `village-b`.
    let e = refused(&tree, NameKind::User, "david", "Maria");
    assert!(e.to_string().contains("(HQ takes `Maria` for `maria`: it lowercases usernames"), "{e}");
    let e = refused(&tree, NameKind::Location, "village-a", "Village-B");
    assert!(
        e.to_string().starts_with("a location named `village-b` exists already, defined at locations/tree.yaml:8:12"),
        "{e}"
    );
    for (kind, old, new) in [
        (NameKind::Group, "Village A", "Supervision"),
        (NameKind::CaseType, "household", "referral"),
        (NameKind::Role, "chw", "nurse"),
    ] {
        assert!(matches!(refused(&tree, kind, old, new), RenameError::Exists { .. }), "{old} → {new}");
    }
    // A name that a reference uses, though nothing defines it (R001), is taken too.
    let tree = edited(&tree, "groups/villages.yaml", &[("- joseph\n", "- joseph\n      - dave\n")]);
    let e = refused(&tree, NameKind::User, "david", "dave");
    assert_eq!(
        e.to_string(),
        "the username `dave` is in use already: it is referred to at groups/villages.yaml:9:9, though nothing defines it; choose another name"
    );
}

#[test]
fn an_unknown_old_name_is_refused_with_did_you_mean() {
    let tree = project();
    let e = refused(&tree, NameKind::User, "davd", "dave");
    assert_eq!(e.to_string(), "no user named `davd` is defined (did you mean `david`?)");
    let e = refused(&tree, NameKind::CaseType, "referal", "x");
    assert_eq!(e.to_string(), "no app uses a case type named `referal` (did you mean `referral`?)");
    let e = refused(&tree, NameKind::Location, "village-z", "x");
    assert!(matches!(&e, RenameError::Unknown { suggestion: Some(s), .. } if s == "village-a"), "{e:?}");
    // Only referred to: the references are unknown (R001) and say where.
    let tree = edited(&tree, "groups/villages.yaml", &[("- joseph\n", "- joseph\n      - zoe\n")]);
    let e = refused(&tree, NameKind::User, "zoe", "zed");
    assert_eq!(
        e.to_string(),
        "no user named `zoe` is defined (1 unknown reference names it, the first at groups/villages.yaml:9:9)"
    );
}

#[test]
fn an_invalid_new_name_is_refused() {
    let tree = project();
    for (kind, old, new, why) in [
        (NameKind::CaseType, "referral", "referral case", "HQ allows only letters, digits, `_` and `-` in a case type"),
        (NameKind::CaseType, "referral", "commcare-user", "HQ's user case"),
        (NameKind::User, "david", "d@vid", "its address must end in `@d1.commcarehq.org`"),
        (NameKind::User, "david", "a..b", "single dots"),
        (NameKind::Group, "Village A", "", "empty"),
        (NameKind::Role, "chw", " chw", "white space"),
        (NameKind::Location, "village-a", "a\nb", "line break"),
        // A role is a key of `roles`: YAML reads no key longer than 1,024 characters.
        (NameKind::Role, "chw", &"r".repeat(1025), "YAML keys hold at most 1024 characters"),
    ] {
        let e = refused(&tree, kind, old, new);
        assert!(matches!(e, RenameError::Invalid { .. }), "{new:?}: {e:?}");
        assert!(e.to_string().contains(why), "{new:?}: {e}");
    }
    assert_eq!(refused(&tree, NameKind::Group, "Village A", "").to_string(), "the new group name is empty");
    // As long a key as YAML reads, in characters (not bytes).
    let long = "é".repeat(1024);
    let (after, _) = renamed(&tree, NameKind::Role, "chw", &long);
    assert_eq!(diagnostics(&after), diagnostics(&tree));
}

fn codes(e: &RenameError) -> Vec<&'static str> {
    match e {
        RenameError::Problems(result) => result.diagnostics.iter().map(|d| d.code()).collect(),
        other => panic!("not problems in files: {other:?}"),
    }
}

#[test]
fn files_that_do_not_load_stop_a_rename_of_names_they_could_hold() {
    let tree = project();
    let broken = with(&tree, "users/more.yaml", "format_version: 2\nusers: [\n");
    assert_eq!(codes(&refused(&broken, NameKind::User, "david", "dave")), ["Y001"]);
    assert_eq!(codes(&refused(&broken, NameKind::Location, "village-a", "v-a")), ["Y001"]);
    // An app file cannot hold a username.
    let broken_app = with(&tree, "apps/more.yaml", "format_version: 2\nname: [\n");
    assert!(run(&broken_app, NameKind::User, "david", "dave").is_ok());
    assert_eq!(codes(&refused(&broken_app, NameKind::CaseType, "referral", "r")), ["Y001"]);
    // Not UTF-8.
    let mut files: Vec<(&str, &[u8])> = tree.iter().map(|(r, t)| (r.as_str(), t.as_bytes())).collect();
    files.push(("groups/bad.yaml", b"format_version: 2\ngroups: [{name: \xff}]\n"));
    let e = rename(&Sources::memory(&files), NameKind::User, "david", "dave").unwrap_err();
    assert_eq!(codes(&e), ["F004"]);
    // A file that is not UTF-8, or too large, where the name cannot be stays as
    // it was read in the renamed project: still F004 (or Y003), no new error.
    let mut apps: Vec<(&str, &[u8])> = tree.iter().map(|(r, t)| (r.as_str(), t.as_bytes())).collect();
    apps.push((
        "apps/cafe.yaml",
        b"format_version: 2\nname: Caf\xe9\ncommcare_version: \"1.0\"\ncase_sharing: true\nmodules: []\n",
    ));
    let mut big = b"format_version: 2\nname: big\n".to_vec();
    big.resize(caseshare::read::MAX_FILE_BYTES as usize + 1, b' ');
    apps.push(("apps/huge.yaml", &big));
    let r = rename(&Sources::memory(&apps), NameKind::User, "david", "dave").unwrap();
    assert_eq!(r.changes.len(), 2);
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    let mut users: Vec<(&str, &[u8])> = tree.iter().map(|(r, t)| (r.as_str(), t.as_bytes())).collect();
    users.push(("users/latin.yaml", b"format_version: 2\nusers:\n  - {username: jos\xe9, role: chw}\n"));
    let r = rename(&Sources::memory(&users), NameKind::CaseType, "household", "family").unwrap();
    assert_eq!(r.changes.iter().map(|c| c.rel.as_str()).collect::<Vec<_>>(), ["apps/chw.yaml"]);
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    // Format 1 anywhere: migrate first.
    let legacy = with(&tree, "users/old.yaml", "users:\n  - {username: zoe, groups: [Village A]}\n");
    let e = refused(&legacy, NameKind::Group, "Village A", "Village North");
    assert_eq!(codes(&e), ["F002"]);
    let RenameError::Problems(result) = &e else { unreachable!() };
    assert!(result.diagnostics[0].help.as_deref().unwrap().contains("caseshare migrate --write"));
    // An empty file (F002 too) keeps its own help: migrate leaves it as it is.
    let e = refused(&with(&tree, "users/empty.yaml", "# nobody yet\n"), NameKind::User, "david", "dave");
    let RenameError::Problems(result) = &e else { panic!("{e:?}") };
    assert_eq!(
        result.diagnostics[0].help.as_deref(),
        Some("add `format_version: 2` and the definitions, or delete the file")
    );
}

#[test]
fn a_misshapen_value_that_mentions_the_name_stops_it() {
    let tree = project();
    // A misspelt `members`: the model leaves it out, so `david` there would be missed.
    let misspelt = edited(&tree, "groups/villages.yaml", &[("    members:\n", "    memebers:\n")]);
    let e = refused(&misspelt, NameKind::User, "david", "dave");
    assert_eq!(codes(&e), ["S001"]);
    let RenameError::Problems(result) = &e else { unreachable!() };
    assert!(result.diagnostics[0].help.as_deref().unwrap().contains("may hold a reference to `david`"));
    // Also in a spelling HQ takes for it, or behind a YAML escape.
    for written in ["[David]", "[\"d\\u0061vid\"]"] {
        let misspelt = with(
            &tree,
            "groups/more.yaml",
            &format!("format_version: 2\ngroups:\n  - name: Extra\n    memebers: {written}\n"),
        );
        assert_eq!(codes(&refused(&misspelt, NameKind::User, "david", "dave")), ["S001"], "{written}");
    }
    // The same group does not mention `maria`, whose rename goes ahead.
    assert!(run(&misspelt, NameKind::User, "maria", "mary").is_ok());
    // A group without a name is left out whole.
    let nameless =
        with(&tree, "groups/more.yaml", "format_version: 2\ngroups:\n  - {case_sharing: false, members: [david]}\n");
    assert_eq!(codes(&refused(&nameless, NameKind::User, "david", "dave")), ["S002"]);
    // A file whose names were not read at all: a stub without `users:`, a list at the top.
    let stub = with(&tree, "users/stub.yaml", "format_version: 2\n");
    assert_eq!(codes(&refused(&stub, NameKind::Role, "chw", "c")), ["S002"]);
    let list = with(&tree, "users/list.yaml", "- format_version: 2\n");
    assert_eq!(codes(&refused(&list, NameKind::Location, "village-a", "v")), ["S003"]);
    // Users hold no case types (a file that does not load could be format 1, whose users named groups).
    assert!(run(&list, NameKind::CaseType, "household", "family").is_ok());
}

#[test]
fn aliases_and_anchors_that_share_a_token_are_refused() {
    let tree = project();
    let groups = "format_version: 2\ngroups:\n  - name: Village A\n    case_sharing: true\n    members: &chws [david, maria]\n  - name: Supervision\n    members: *chws\n";
    let e = refused(&with(&tree, "groups/villages.yaml", groups), NameKind::User, "david", "dave");
    assert!(matches!(e, RenameError::Unsupported { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "cannot rename the value at groups/villages.yaml:7:14: it is written as a YAML alias (`*chws`); write the value out in full first"
    );
    // An anchored username used again through its alias, in a value that is no username.
    let groups = "format_version: 2\ngroups:\n  - name: Village A\n    case_sharing: true\n    members: [&d david, maria]\n  - name: Supervision\n    id: *d\n    members: [joseph]\n";
    let e = refused(&with(&tree, "groups/villages.yaml", groups), NameKind::User, "david", "dave");
    assert!(e.to_string().contains("it is anchored as `&d` and used again as `*d`"), "{e}");
    // An anchored list used again where no username goes (an `id`, S003): the
    // file read again after the edit differs there, so the rename is refused.
    let groups = "format_version: 2\ngroups:\n  - name: Village A\n    case_sharing: true\n    members: &m [david, maria]\n  - name: Supervision\n    id: *m\n    members: [joseph]\n";
    let e = refused(&with(&tree, "groups/villages.yaml", groups), NameKind::User, "david", "dave");
    assert_eq!(
        e.to_string(),
        "cannot rename the value at groups/villages.yaml:7:9: renaming `david` would change this value too: YAML takes it from a renamed one (an anchor `&` with an alias `*` or a merge key `<<`); write it out in full first"
    );
    // An anchor nobody uses is harmless.
    let groups = "format_version: 2\ngroups:\n  - name: Village A\n    case_sharing: true\n    members: [&d david, maria]\n  - name: Supervision\n    members: [joseph]\n";
    let (after, _) = renamed(&with(&tree, "groups/villages.yaml", groups), NameKind::User, "david", "dave");
    assert!(after["groups/villages.yaml"].contains("members: [&d dave, maria]"));
    // A block scalar.
    let users = "format_version: 2\nusers:\n  - username: |-\n      david\n    role: chw\n  - {username: maria, role: chw}\n  - {username: joseph, role: chw, locations: [village-b]}\n  - {username: fatima, role: nurse, locations: [district-1]}\n";
    let e = refused(&with(&tree, "users/all.yaml", users), NameKind::User, "david", "dave");
    assert!(e.to_string().contains("block scalar"), "{e}");
}

#[test]
fn the_language_server_renames_on_its_own_loaded_project() {
    // The editor keeps a loaded project and its buffers' texts: `token_edits`
    // gives the edits per file, which it turns into one workspace edit.
    let tree = project();
    let files: Vec<(&str, &str)> = tree.iter().map(|(r, t)| (r.as_str(), t.as_str())).collect();
    let checked = caseshare::check_memory(&files);
    let project = &checked.project;
    let text = |f: caseshare::source::FileId| -> Arc<str> { project.files[f].text.clone() };
    let edits = token_edits(project, text, NameKind::User, "maria", "mary").unwrap();
    let shown: Vec<(&str, Vec<(String, String)>)> = edits
        .iter()
        .map(|(f, es)| {
            let t = &project.files[*f].text;
            (
                project.files[*f].rel.as_str(),
                es.iter().map(|e| (t[e.span.clone()].to_string(), e.text.clone())).collect(),
            )
        })
        .collect();
    let pair = || ("maria".to_string(), "mary".to_string());
    assert_eq!(shown, [("groups/villages.yaml", vec![pair()]), ("users/all.yaml", vec![pair()])]);
    let occ = occurrences(project, NameKind::Location, "district-1");
    assert_eq!(occ.iter().filter(|o| o.defines).count(), 1);
    assert_eq!(occ.len(), 4);
    let e = token_edits(project, text, NameKind::Group, "Village A", "Supervision").unwrap_err();
    let RenameError::Exists { file, span, .. } = &e else { panic!("{e:?}") };
    assert_eq!(&project.files[*file].text[span.clone()], "Supervision");

    // A buffer that does not parse: its names cannot be seen, so they are not renamed.
    let broken = with(&tree, "groups/more.yaml", "format_version: 2\ngroups: [\n");
    let files: Vec<(&str, &str)> = broken.iter().map(|(r, t)| (r.as_str(), t.as_str())).collect();
    let checked = caseshare::check_memory(&files);
    let project = &checked.project;
    let text = |f: caseshare::source::FileId| -> Arc<str> { project.files[f].text.clone() };
    let e = token_edits(project, text, NameKind::User, "maria", "mary").unwrap_err();
    assert_eq!(e.to_string(), "files in groups/ did not load, so the names in them cannot be renamed; fix them first");
    assert!(token_edits(project, text, NameKind::Role, "chw", "c").is_ok());
}

// On disk, through the binary.

fn caseshare(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("caseshare").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

/// A new project in a fresh temporary folder.
fn on_disk(name: &str, tree: &Tree) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caseshare-rename-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (rel, text) in tree {
        std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
        std::fs::write(dir.join(rel), text).unwrap();
    }
    dir
}

/// Every file under `dir`, dot-files included, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect()
}

fn output(cmd: &mut Command, code: i32) -> (String, String) {
    let out = cmd.assert().code(code).get_output().clone();
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn diff_check_write_then_back_on_disk() {
    let dir = on_disk("modes", &project());
    let original = snapshot(&dir);
    let (diff, _) = output(caseshare(&dir).args(["rename", "user", "david", "dave"]), 0);
    assert!(diff.contains("--- a/users/all.yaml\n+++ b/users/all.yaml\n"), "{diff}");
    assert!(diff.contains("-  - {username: david, role: chw}\n+  - {username: dave, role: chw}\n"), "{diff}");
    assert_eq!(snapshot(&dir), original, "the diff wrote something");

    let (listed, _) = output(caseshare(&dir).args(["rename", "user", "david", "dave", "--check"]), 1);
    assert_eq!(listed, "would rewrite groups/villages.yaml\nwould rewrite users/all.yaml\n");
    assert_eq!(snapshot(&dir), original, "--check wrote something");

    // From a subfolder, with the path of the project.
    let (_, said) = output(caseshare(&dir.join("users")).args(["rename", "user", "david", "dave", "..", "--write"]), 0);
    assert_eq!(said, "rename: wrote 2 files\n");
    let renamed = snapshot(&dir);
    assert_eq!(renamed.len(), original.len(), "no journal or staged file is left");
    assert_eq!(
        String::from_utf8(renamed["users/all.yaml"].clone()).unwrap(),
        USERS.replace("username: david,", "username: dave,")
    );
    caseshare(&dir).arg("check").assert().code(0);
    output(caseshare(&dir).args(["rename", "user", "dave", "dave", "--check"]), 0);

    caseshare(&dir).args(["rename", "user", "dave", "david", "--write"]).assert().code(0);
    assert_eq!(snapshot(&dir), original, "renaming back restores every byte");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refusals_on_disk_write_nothing() {
    let dir = on_disk("refused", &project());
    let original = snapshot(&dir);
    let (_, err) = output(caseshare(&dir).args(["rename", "user", "david", "maria", "--write"]), 2);
    assert_eq!(
        err,
        "error: a user named `maria` exists already, defined at users/all.yaml:4:15; choose another name; nothing was written\n"
    );
    let (_, err) = output(caseshare(&dir).args(["rename", "role", "chv", "x", "--write"]), 2);
    assert!(err.contains("no role named `chv` is defined (did you mean `chw`?)"), "{err}");
    let (_, err) = output(caseshare(&dir).args(["rename", "case-type", "referral", "a b", "--write"]), 2);
    assert!(err.contains("`a b` is not a valid case type"), "{err}");
    let (_, err) = output(caseshare(&dir).args(["rename", "town", "a", "b"]), 2);
    assert!(err.contains("invalid value 'town'"), "{err}");
    assert_eq!(snapshot(&dir), original);

    std::fs::write(dir.join("groups/broken.yaml"), "format_version: 2\ngroups: [\n").unwrap();
    let original = snapshot(&dir);
    let (_, err) = output(caseshare(&dir).args(["rename", "user", "david", "dave", "--write"]), 1);
    assert!(err.contains("Y001"), "{err}");
    assert!(err.contains("error: rename stopped: 1 problem to fix first; nothing was written"), "{err}");
    assert_eq!(snapshot(&dir), original);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_demo_renamed_every_way_checks_clean() {
    let dir = std::env::temp_dir().join(format!("caseshare-rename-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::copy_tree(&common::fixtures().join("demo"), &dir);
    let original = snapshot(&dir);
    let renames = [
        ("case-type", "referral", "referral_case"),
        ("case-type", "pregnancy", "anc"),
        ("user", "grace", "grace.n"),
        ("user", "fatima", "2.10"),
        ("group", "Village A", "Village North"),
        ("role", "supervisor", "yes"),
        ("location", "district-1", "d1"),
        ("location", "village-c", "village-south"),
    ];
    for (kind, old, new) in renames {
        caseshare(&dir).args(["rename", kind, old, new, "--write"]).assert().code(0);
        let (out, _) = output(caseshare(&dir).arg("check"), 0);
        assert!(out.ends_with("no problems found\n"), "after {kind} {old} → {new}: {out}");
    }
    let demo = snapshot(&dir);
    assert!(
        String::from_utf8(demo["apps/chw.yaml"].clone())
            .unwrap()
            .contains("opens:\n          - {case_type: referral_case}        # a child of the pregnancy\n")
    );
    assert!(
        String::from_utf8(demo["users/staff.yaml"].clone())
            .unwrap()
            .contains("  - username: \"2.10\"\n    role: nurse\n")
    );
    for (kind, old, new) in renames.iter().rev() {
        caseshare(&dir).args(["rename", kind, new, old, "--write"]).assert().code(0);
    }
    assert_eq!(snapshot(&dir), original, "renaming back restores the demo");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn other_ways_yaml_writes_a_name() {
    let project = "format_version: 2\ndomain: d1\nroles:\n  1: {apps: all}\n  ? chw\n  : {apps: [chw]}\nlocation_types:\n  - {name: village}\n";
    let users = "format_version: 2\nusers:\n  - {username: a, role: \"1\"}\n  - {username: !!str b, role: chw}\n  - {username: \"da\n      vid\"}\n";
    let groups = "format_version: 2\ngroups:\n  - name: Village\n      A\n    members: [\"da\n      vid\"]\n";
    let tree: Tree = [("project.yaml", project), ("users/u.yaml", users), ("groups/g.yaml", groups)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    // A key written as a number, and an explicit key (`? chw`); the role keeps its
    // name in `unknown app `chw``, an error before and after.
    let (after, _) = renamed(&tree, NameKind::Role, "1", "all_apps");
    assert!(after["project.yaml"].contains("\n  all_apps: {apps: all}\n"));
    assert!(after["users/u.yaml"].contains("role: all_apps}"));
    let (after, _) = renamed(&tree, NameKind::Role, "chw", "health worker");
    assert!(after["project.yaml"].contains("\n  ? health worker\n  : {apps: [chw]}\n"));
    assert!(diagnostics(&after).contains(&"R001 unknown app `chw`".to_string()));
    // A tag stays; names over two lines become one.
    let (after, _) = renamed(&tree, NameKind::User, "b", "yes");
    assert!(after["users/u.yaml"].contains("{username: !!str \"yes\", role"));
    let (after, _) = renamed(&tree, NameKind::User, "da vid", "david");
    assert!(after["users/u.yaml"].contains("{username: \"david\"}"));
    assert!(after["groups/g.yaml"].contains("members: [\"david\"]"));
    let (after, _) = renamed(&tree, NameKind::Group, "Village A", "Village North");
    assert!(after["groups/g.yaml"].contains("  - name: Village North\n    members"));

    // A merge key (`<<`) copies a parent into another location: refused there.
    let locations = "format_version: 2\nlocations:\n  - {code: d1, name: D, type: village}\n  - &base {code: x, name: X, type: village, parent: d1}\n  - {<<: *base, code: y}\n";
    let tree = with(&tree, "locations/l.yaml", locations);
    let e = refused(&tree, NameKind::Location, "d1", "d2");
    assert!(e.to_string().contains("locations/l.yaml:5:10: it is written as a YAML alias (`*base`)"), "{e}");
    // The code it overrides is renamed alone.
    let (after, _) = renamed(&tree, NameKind::Location, "x", "x2");
    assert!(after["locations/l.yaml"].contains("&base {code: x2, name: X"));
}

/// A list written without indentation (`members:` then `- david` in the same
/// column) whose one item is the name: the list starts where its item does,
/// and the read-back once took it for the token and refused every such rename.
#[test]
fn a_one_item_list_without_indentation() {
    let tree = edited(
        &project(),
        "groups/villages.yaml",
        &[("    members:\n      - joseph\n      - david        # covers for Joseph\n", "    members:\n    - david\n")],
    );
    let tree = edited(
        &tree,
        "users/all.yaml",
        &[("locations: [village-b]}", "locations: [village-a]}\n  - username: amina\n    locations:\n    - village-b")],
    );
    let tree = edited(
        &tree,
        "apps/clinic.yaml",
        &[("        updates:\n          - referral   # closes it\n", "        updates:\n        - referral\n")],
    );
    assert_eq!(
        diagnostics(&tree),
        diagnostics(&project()).into_iter().filter(|d| !d.contains("joseph")).collect::<Vec<_>>()
    );
    let (after, files) = renamed(&tree, NameKind::User, "david", "dave");
    assert_eq!(files, ["groups/villages.yaml", "users/all.yaml"]);
    assert!(after["groups/villages.yaml"].ends_with("    members:\n    - dave\n"), "{}", after["groups/villages.yaml"]);
    let (after, _) = renamed(&tree, NameKind::Location, "village-b", "village-x");
    assert!(
        after["users/all.yaml"].contains("  - username: amina\n    locations:\n    - village-x\n  - {"),
        "{}",
        after["users/all.yaml"]
    );
    let (after, files) = renamed(&tree, NameKind::CaseType, "referral", "referrals");
    assert_eq!(files, ["apps/chw.yaml", "apps/clinic.yaml", "project.yaml"]);
    assert!(
        after["apps/clinic.yaml"].ends_with("        updates:\n        - referrals\n"),
        "{}",
        after["apps/clinic.yaml"]
    );
}

#[test]
fn the_levels_of_caseshare_toml_apply() {
    // C002 raised to an error: the rename that brings one out is refused; turned
    // off, nothing is told.
    let mut sources = sources(&project());
    sources.config =
        caseshare::config::Config::parse("[rules]\nC002 = \"error\"\n", Path::new("caseshare.toml")).unwrap();
    let e = rename(&sources, NameKind::CaseType, "household", "referrals").unwrap_err();
    assert!(
        matches!(&e, RenameError::NewErrors(errors) if errors.len() == 1 && errors[0].starts_with("C002 ")),
        "{e:?}"
    );
    sources.config =
        caseshare::config::Config::parse("[rules]\nC002 = \"off\"\n", Path::new("caseshare.toml")).unwrap();
    let r = rename(&sources, NameKind::CaseType, "household", "referrals").unwrap();
    assert!(r.notes.is_empty(), "{:?}", r.notes);
}

#[test]
fn warnings_the_rename_brings_out_are_told() {
    // `referrals` in the CHW app beside `referral` in the clinic's: C002.
    let r = run(&project(), NameKind::CaseType, "household", "referrals").unwrap();
    assert_eq!(r.changes.len(), 1);
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(
        r.notes[0].starts_with("after this rename `caseshare check` reports a new warning: C002 "),
        "{:?}",
        r.notes
    );
}

/// What the command line writes on standard error quotes names as `check`
/// shows them: a terminal escape in a name given (or read) is an escape.
#[test]
fn names_on_standard_error_are_shown_escaped() {
    let dir = std::env::temp_dir().join(format!("caseshare-rename-stderr-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::copy_tree(&common::fixtures().join("demo"), &dir);
    let out = Command::cargo_bin("caseshare")
        .expect("binary")
        .current_dir(&dir)
        .args(["rename", "user", "david", "x\u{1b}[8m\u{200b}"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{200b}'), "{err:?}");
    assert!(err.contains("`x\\u{1b}[8m\\u{200b}`"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
