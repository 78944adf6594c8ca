//! `caseshare enable-sharing`: the wiki's procedure as one reviewable change.
//! Afterwards `check` reports no A001 or G001 for the listed apps; a second run
//! changes nothing; refusals write nothing.

use std::collections::BTreeMap;

use caseshare::migrate::enable_sharing::{Planned, enable_sharing};
use caseshare::migrate::{Change, Refusal, Sources};

const PROJECT: &str =
    "# District\nformat_version: 2\ndomain: d1\nroles:\n  chw: {apps: [chw]}\n  clinic: {apps: [clinic]}\n";
const CHW: &str = "format_version: 2\nname: CHW\ncommcare_version: \"1.3\"   # old phones\nmodules:\n  - name: Households\n    case_type: household\n    forms:\n      - {name: Register, opens: [{}]}\n";
const CLINIC: &str = "format_version: 2\nname: Clinic\ncommcare_version: \"2.40\"\ncase_sharing: false\nmodules: []\n";
const GROUPS: &str = "format_version: 2\ngroups:\n  - name: Village A\n    case_sharing: true\n    members: [maria]\n";
const USERS: &str = "format_version: 2\nusers:\n  - {username: david, role: chw}\n  - {username: maria, role: chw}\n  - {username: eve, role: chw, is_active: false}\n  - {username: frank, role: clinic}\n  - {username: gina}\n";

fn project() -> BTreeMap<String, String> {
    [
        ("project.yaml", PROJECT),
        ("apps/chw.yaml", CHW),
        ("apps/clinic.yaml", CLINIC),
        ("groups/villages.yaml", GROUPS),
        ("users/all.yaml", USERS),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn run(tree: &BTreeMap<String, String>, apps: &[&str], group: Option<&str>) -> Result<Vec<Change>, Refusal> {
    planned(tree, apps, group).map(|p| p.changes)
}

fn planned(tree: &BTreeMap<String, String>, apps: &[&str], group: Option<&str>) -> Result<Planned, Refusal> {
    let files: Vec<(&str, &[u8])> = tree.iter().map(|(r, t)| (r.as_str(), t.as_bytes())).collect();
    let inputs = Sources::memory(&files);
    let apps: Vec<String> = apps.iter().map(|a| a.to_string()).collect();
    enable_sharing(&inputs, &apps, group)
}

fn applied(tree: &BTreeMap<String, String>, changes: &[Change]) -> BTreeMap<String, String> {
    let mut out = tree.clone();
    for c in changes {
        out.insert(c.rel.clone(), c.after.clone());
    }
    out
}

fn codes(tree: &BTreeMap<String, String>) -> Vec<String> {
    let files: Vec<(&str, &str)> = tree.iter().map(|(r, t)| (r.as_str(), t.as_str())).collect();
    let result = caseshare::check_memory(&files);
    result.diagnostics.iter().map(|d| format!("{} {}", d.code(), d.message)).collect()
}

#[test]
fn the_wiki_procedure_as_one_change() {
    let tree = project();
    let changes = run(&tree, &["chw"], Some("CHW team")).expect("planned");
    let after = applied(&tree, &changes);
    // The app: version raised, case sharing on, the comment kept.
    assert_eq!(
        after["apps/chw.yaml"],
        CHW.replace("\"1.3\"   # old phones\n", "\"2.0\"   # old phones\ncase_sharing: true\n")
    );
    // The project setting.
    assert_eq!(after["project.yaml"], PROJECT.replace("domain: d1\n", "domain: d1\ncase_sharing: true\n"));
    // David and Gina (no role: every app) have no case owner; Maria has Village A,
    // Eve is inactive, Frank cannot reach the CHW app.
    assert_eq!(
        after["groups/chw-team.yaml"],
        "# yaml-language-server: $schema=../schemas/groups.schema.json\nformat_version: 2\ngroups:\n  - name: CHW team\n    case_sharing: true\n    members:\n      - david\n      - gina\n"
    );
    assert_eq!(after["apps/clinic.yaml"], CLINIC, "an app not listed is left alone");
    assert_eq!(after["users/all.yaml"], USERS);
    // Before: nobody shares. After: no A001 or G001; only the G003 warning that the
    // project setting adds for Frank, whose clinic app was not listed.
    assert_eq!(codes(&tree), ["G004 group `Village A` shares cases, but no app has case sharing on"]);
    assert_eq!(codes(&after), ["G003 user `frank` has no case owner; the project expects exactly one"]);

    // An app listed twice is one app.
    assert_eq!(run(&tree, &["chw", "chw"], Some("CHW team")).expect("planned"), changes);

    // Idempotence.
    let again = run(&after, &["chw"], Some("CHW team")).expect("planned");
    assert!(again.is_empty(), "{again:#?}");
}

#[test]
fn an_existing_group_gets_the_users_and_case_sharing() {
    let mut tree = project();
    tree.insert("groups/villages.yaml".into(), GROUPS.replace("case_sharing: true", "case_sharing: false"));
    let changes = run(&tree, &["chw", "clinic"], Some("Village A")).expect("planned");
    let after = applied(&tree, &changes);
    assert_eq!(
        after["groups/villages.yaml"],
        "format_version: 2\ngroups:\n  - name: Village A\n    case_sharing: true\n    members: [maria, david, frank, gina]\n"
    );
    assert_eq!(after["apps/clinic.yaml"], CLINIC.replace("case_sharing: false", "case_sharing: true"));
    assert_eq!(changes.len(), 4, "no new file");
    let remaining = codes(&after);
    assert!(!remaining.iter().any(|c| c.starts_with("A001") || c.starts_with("G001")), "{remaining:#?}");
}

#[test]
fn users_without_an_owner_need_a_group_name() {
    match run(&project(), &["chw"], None) {
        Err(Refusal::Usage(m)) => {
            assert!(m.contains("2 active users of these apps have no case owner (`david`, `gina`)"), "{m}");
            assert!(m.contains("--group NAME"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_group_is_needed_when_every_user_has_an_owner() {
    let mut tree = project();
    tree.insert("users/all.yaml".into(), "format_version: 2\nusers:\n  - {username: maria, role: chw}\n".into());
    let changes = run(&tree, &["chw"], None).expect("planned");
    assert_eq!(changes.iter().map(|c| c.rel.as_str()).collect::<Vec<_>>(), ["apps/chw.yaml", "project.yaml"]);
}

#[test]
fn an_unknown_app_is_refused_with_a_suggestion() {
    match run(&project(), &["chv"], Some("G")) {
        Err(Refusal::Usage(m)) => assert_eq!(m, "no app has id `chv`; did you mean `chw`?"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_legacy_project_must_be_migrated_first() {
    let mut tree = project();
    tree.insert("users/old.yaml".into(), "users:\n  - {username: zoe, groups: [Village A]}\n".into());
    match run(&tree, &["chw"], Some("G")) {
        Err(Refusal::Problems(r)) => {
            let out = caseshare::report::concise::render(&r);
            assert!(out.starts_with("users/old.yaml:1:1: error[F002]"), "{out}");
            assert!(r.diagnostics[0].help.as_deref().unwrap().contains("caseshare migrate --write"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn turning_an_existing_group_on_must_not_give_anyone_a_second_owner() {
    let mut tree = project();
    tree.insert(
        "groups/villages.yaml".into(),
        format!("{GROUPS}  - name: Reporting\n    members: [maria, david, gina]\n"),
    );
    match run(&tree, &["chw"], Some("Reporting")) {
        Err(Refusal::Usage(m)) => {
            assert!(
                m.contains("turning case sharing on for group `Reporting` would add 1 error: G002 user `maria`"),
                "{m}"
            );
            assert!(m.contains("choose another group"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn values_left_empty_or_spelt_yes_are_set_to_true() {
    let mut tree = project();
    tree.insert("project.yaml".into(), PROJECT.replace("domain: d1\n", "domain: d1\ncase_sharing:\n"));
    tree.insert("apps/clinic.yaml".into(), CLINIC.replace("case_sharing: false", "case_sharing: yes"));
    let after = applied(&tree, &run(&tree, &["chw", "clinic"], Some("T")).expect("planned"));
    assert!(after["project.yaml"].contains("domain: d1\ncase_sharing: true\n"), "{}", after["project.yaml"]);
    assert_eq!(after["apps/clinic.yaml"], CLINIC.replace("case_sharing: false", "case_sharing: true"));
}

#[test]
fn an_anchored_member_list_is_refused() {
    let mut tree = project();
    tree.insert(
        "groups/villages.yaml".into(),
        "format_version: 2\ngroups:\n  - {name: T, case_sharing: true, members: &m [maria]}\n  - {name: R, members: *m}\n".into(),
    );
    match run(&tree, &["chw"], Some("T")) {
        Err(Refusal::Usage(m)) => assert!(m.contains("the members of group `T` are a YAML anchor or alias"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn new_errors_that_no_group_choice_causes_are_warnings() {
    // Maria is in two sharing groups and the CHW app creates cases with an automatic
    // owner: sharing on for the app makes that a G002, whatever group is chosen.
    // The clinic app shares a case type listed for both apps but stays off: C003.
    let mut tree = project();
    tree.insert(
        "groups/villages.yaml".into(),
        format!("{GROUPS}  - name: Village B\n    case_sharing: true\n    members: [maria]\n"),
    );
    tree.insert(
        "project.yaml".into(),
        format!("{PROJECT}shared_case_types:\n  - {{case_type: household, apps: [chw, clinic]}}\n"),
    );
    tree.insert(
        "apps/clinic.yaml".into(),
        CLINIC.replace("modules: []", "modules:\n  - {name: H, case_type: household}"),
    );
    let p = planned(&tree, &["chw"], Some("T")).expect("planned");
    let notes = p.notes.join("\n");
    assert!(notes.contains("a new error: C003 "), "{notes}");
    assert!(notes.contains("a new error: G002 user `maria`"), "{notes}");
    // At the levels of the project's caseshare.toml, as `check` reports them.
    let files: Vec<(&str, &[u8])> = tree.iter().map(|(r, t)| (r.as_str(), t.as_bytes())).collect();
    let mut inputs = Sources::memory(&files);
    let toml = "[rules]\nC003 = \"off\"\nG002 = \"warning\"\n";
    inputs.config = caseshare::config::Config::parse(toml, std::path::Path::new("caseshare.toml")).unwrap();
    let p = enable_sharing(&inputs, &["chw".to_string()], Some("T")).expect("planned");
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn a_user_whose_membership_is_in_doubt_is_not_added() {
    let mut tree = project();
    // `gina` is not in any group, but `gena` in Village A is most likely her.
    tree.insert("groups/villages.yaml".into(), GROUPS.replace("[maria]", "[maria, gena]"));
    let p = planned(&tree, &["chw"], Some("T")).expect("planned");
    let group = &p.changes.iter().find(|c| c.rel == "groups/t.yaml").expect("new group").after;
    assert!(group.contains("- david\n") && !group.contains("gina"), "{group}");
    assert!(p.notes.iter().any(|n| n.starts_with("user `gina` is not added to a group")), "{:?}", p.notes);
}

#[test]
fn a_long_group_name_makes_a_short_file_name() {
    let name = "Village ".repeat(40);
    let changes = run(&project(), &["chw"], Some(&name)).expect("planned");
    let created = changes.iter().find(|c| c.before.is_none()).expect("new group");
    assert!(created.rel.len() <= "groups/".len() + 64 + ".yaml".len(), "{}", created.rel);
}
