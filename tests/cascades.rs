//! One mistake, one diagnostic (SPEC section 3): a reported value is not guessed
//! at by the cross-file rules, and a file that fails to load does not silence the
//! rest of the project.

use caseshare::check_memory;
use caseshare::diagnostic::Diagnostic;

const PROJECT: &str = "format_version: 2
domain: demo
case_sharing: false
roles:
  chw: {apps: [chw]}
location_types:
  - {name: district, view_descendants: true}
  - {name: village, parent: district, shares_cases: true}
";

const CHW: &str = "format_version: 2
name: CHW
commcare_version: \"2.53.0\"
case_sharing: true
modules:
  - name: Pregnancy
    case_type: pregnancy
    forms:
      - {name: Register, opens: [{}]}
";

const USERS: &str = "format_version: 2\nusers:\n  - {username: david, role: chw}\n";

fn codes(files: &[(&str, &str)]) -> Vec<&'static str> {
    let mut c: Vec<&str> = check_memory(files).diagnostics.iter().map(Diagnostic::code).collect();
    c.retain(|c| *c != "G007");
    c
}

/// The codes with the CHW app replaced by `app`, David in one case sharing group.
fn with_app(app: &str) -> Vec<&'static str> {
    let groups = "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n";
    codes(&[("project.yaml", PROJECT), ("apps/chw.yaml", app), ("groups/g.yaml", groups), ("users/u.yaml", USERS)])
}

fn with_groups(groups: &str) -> Vec<&'static str> {
    codes(&[("project.yaml", PROJECT), ("apps/chw.yaml", CHW), ("groups/g.yaml", groups), ("users/u.yaml", USERS)])
}

#[test]
fn a_misspelt_member_is_r001_only() {
    assert_eq!(
        with_groups("format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [davd]}\n"),
        ["R001"]
    );
}

#[test]
fn a_misshapen_or_misspelt_members_list_is_reported_once() {
    assert_eq!(
        with_groups("format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: david}\n"),
        ["S003"]
    );
    assert_eq!(
        with_groups("format_version: 2\ngroups:\n  - {name: A, case_sharing: true, membres: [david]}\n"),
        ["S001"]
    );
}

#[test]
fn a_group_whose_sharing_setting_is_reported_is_not_guessed() {
    for setting in ["case_sharing: \"true\"", "case_shring: true"] {
        let groups = format!("format_version: 2\ngroups:\n  - {{name: A, {setting}, members: [david]}}\n");
        let c = with_groups(&groups);
        assert_eq!(c.len(), 1, "{setting}: {c:?}");
        assert!(c[0].starts_with('S'), "{setting}: {c:?}");
    }
}

#[test]
fn an_app_whose_sharing_setting_is_misspelt_gives_no_g004() {
    let app = CHW.replace("case_sharing: true", "case_shareing: true");
    let c = with_app(&app);
    assert_eq!(c, ["S001"]);
}

#[test]
fn a_location_of_unknown_type_does_not_make_its_user_ownerless() {
    let locations = "format_version: 2\nlocations:\n  - {code: d1, name: D1, type: district}\n  - {code: v1, name: V1, type: vilage, parent: d1}\n";
    let users = "format_version: 2\nusers:\n  - {username: david, role: chw, locations: [v1]}\n";
    let c = codes(&[
        ("project.yaml", PROJECT),
        ("apps/chw.yaml", CHW),
        ("groups/g.yaml", "format_version: 2\ngroups: []\n"),
        ("users/u.yaml", users),
        ("locations/l.yaml", locations),
    ]);
    assert_eq!(c, ["R001"]);
}

#[test]
fn a_role_without_apps_is_not_read_as_all_apps() {
    let project = PROJECT.replace("chw: {apps: [chw]}", "chw: {apps: chw}");
    let c = codes(&[
        ("project.yaml", &project),
        ("apps/chw.yaml", CHW),
        ("groups/g.yaml", "format_version: 2\ngroups: []\n"),
        ("users/u.yaml", USERS),
    ]);
    assert_eq!(c, ["S003"]);
}

#[test]
fn a_broken_users_file_does_not_silence_the_other_users() {
    let c = codes(&[
        ("project.yaml", PROJECT),
        ("apps/chw.yaml", CHW),
        ("groups/g.yaml", "format_version: 2\ngroups: []\n"),
        ("users/broken.yaml", "format_version: 2\nusers: [\n"),
        ("users/u.yaml", USERS),
    ]);
    assert_eq!(c, ["Y001", "G001"]);
}

#[test]
fn a_broken_groups_file_still_allows_g002_but_not_g001() {
    let two = "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n  - {name: B, case_sharing: true, members: [david]}\n";
    let users = "format_version: 2\nusers:\n  - {username: david, role: chw}\n  - {username: maria, role: chw}\n";
    let c = codes(&[
        ("project.yaml", PROJECT),
        ("apps/chw.yaml", CHW),
        ("groups/a.yaml", two),
        ("groups/broken.yaml", "format_version: 2\ngroups: [\n"),
        ("users/u.yaml", users),
    ]);
    assert_eq!(c, ["G002", "Y001"], "maria may be in the broken file: no G001");
}

#[test]
fn a_users_file_without_its_list_does_not_make_members_unknown() {
    let groups = "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [alice]}\n";
    let c = codes(&[
        ("project.yaml", PROJECT),
        ("apps/chw.yaml", CHW),
        ("groups/g.yaml", groups),
        ("users/u.yaml", "format_version: 2\nuserz:\n  - {username: alice}\n"),
    ]);
    assert_eq!(c, ["S002", "S001"]);
}

#[test]
fn a_duplicate_module_takes_no_part() {
    let app = "format_version: 2
name: A
commcare_version: \"2.53.0\"
case_sharing: true
modules:
  - {id: m, name: Visits, case_type: visit, forms: [{name: Follow up, requires: case}]}
  - {id: m, name: Old, case_type: Visits, forms: [{name: Register, opens: [{}]}]}
";
    let two = "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n  - {name: B, case_sharing: true, members: [david]}\n";
    let c =
        codes(&[("project.yaml", PROJECT), ("apps/chw.yaml", app), ("groups/g.yaml", two), ("users/u.yaml", USERS)]);
    // No G002 for the duplicate's registration form; david's two groups are still
    // worth the G003 warning, since an app shares cases (HQ's `case_sharing_included`).
    assert_eq!(c, ["D001", "G003"]);
}

#[test]
fn an_empty_file_is_f002_alone() {
    let c = codes(&[("project.yaml", PROJECT), ("apps/chw.yaml", CHW), ("users/empty.yaml", "# nothing yet\n")]);
    assert_eq!(c, ["F002"]);
}

#[test]
fn a_numeric_non_version_is_s004_alone() {
    let app = CHW.replace("\"2.53.0\"", "1e3");
    let c = with_app(&app);
    assert_eq!(c, ["S004"]);
}

#[test]
fn a_very_long_case_type_is_compared_cheaply() {
    let long = "a".repeat(20_000);
    let app = CHW.replace("case_type: pregnancy", &format!("case_type: {long}"));
    let other = CHW.replace("case_type: pregnancy", &format!("case_type: {long}b")).replace("name: CHW", "name: Other");
    let groups = "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n";
    let c = codes(&[
        ("project.yaml", PROJECT),
        ("apps/chw.yaml", &app),
        ("apps/other.yaml", &other),
        ("groups/g.yaml", groups),
        ("users/u.yaml", USERS),
    ]);
    // Beyond 40 characters only case, separators and plural are compared.
    assert!(!c.contains(&"C002"), "{c:?}");
}

#[test]
fn a_tangle_of_case_type_cycles_is_one_diagnostic() {
    let app = "format_version: 2
name: A
commcare_version: \"2.53.0\"
modules:
  - {name: A, case_type: a, forms: [{name: F1, requires: case, opens: [{case_type: b}, {case_type: c}]}]}
  - {name: B, case_type: b, forms: [{name: F2, requires: case, opens: [{case_type: a}, {case_type: c}]}]}
  - {name: C, case_type: c, forms: [{name: F3, requires: case, opens: [{case_type: a}, {case_type: b}]}]}
";
    let c = codes(&[("project.yaml", PROJECT), ("apps/chw.yaml", CHW), ("apps/a.yaml", app)]);
    assert_eq!(c.iter().filter(|c| **c == "A004").count(), 1, "{c:?}");
}
