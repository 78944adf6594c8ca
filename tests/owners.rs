//! The heart of the product: case owners and "can create cases with an automatic
//! owner" (SPEC section 3 G), checked on small in-memory projects.

use caseshare::diagnostic::Diagnostic;
use caseshare::index::Index;
use caseshare::{CheckResult, check_memory};

const PROJECT: &str = "format_version: 2
domain: demo
case_sharing: false
roles:
  chw: {apps: [chw]}
  reviewer: {apps: [review]}
  everything: {apps: all}
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
      - name: Register
        opens: [{}]
      - {name: Visit, requires: case}
";

const REVIEW: &str = "format_version: 2
name: Review
commcare_version: \"2.53.0\"
case_sharing: true
modules:
  - name: Pregnancy
    case_type: pregnancy
    forms:
      - {name: Review, requires: case}
";

const TWO_GROUPS: &str = "format_version: 2
groups:
  - {name: Village A, case_sharing: true, members: [david]}
  - {name: Village B, case_sharing: true, members: [david]}
";

const LOCATIONS: &str = "format_version: 2
locations:
  - {code: d1, name: District 1, type: district}
  - {code: va, name: Village A, type: village, parent: d1}
  - {code: vb, name: Village B, type: village, parent: d1}
  - {code: vc, name: Village C, type: village, parent: d1}
";

fn check(files: &[(&str, &str)]) -> CheckResult {
    check_memory(files)
}

fn codes(r: &CheckResult) -> Vec<&'static str> {
    r.diagnostics.iter().map(Diagnostic::code).collect()
}

fn with_user(project: &str, user: &str, groups: &str, chw: &str) -> CheckResult {
    let users = format!("format_version: 2\nusers:\n  - {user}\n");
    check(&[
        ("project.yaml", project),
        ("apps/chw.yaml", chw),
        ("apps/review.yaml", REVIEW),
        ("groups/villages.yaml", groups),
        ("users/staff.yaml", &users),
        ("locations/d.yaml", LOCATIONS),
    ])
}

#[test]
fn creator_in_two_groups_gets_g002_with_both_memberships_and_the_form() {
    let r = with_user(PROJECT, "{username: david, role: chw}", TWO_GROUPS, CHW);
    let g002: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.code() == "G002").collect();
    assert_eq!(g002.len(), 1, "{:?}", codes(&r));
    let d = g002[0];
    let files = &r.project.files;
    assert_eq!(files[d.file].rel, "groups/villages.yaml");
    let text = &files[d.file].text;
    // Primary label on the first membership, a label on the second.
    assert_eq!(&text[d.span.clone()], "david");
    assert_eq!(d.labels.len(), 1);
    assert_eq!(&text[d.labels[0].span.clone()], "david");
    assert!(d.label.contains("Village A") && d.labels[0].text.contains("Village B"));
    // A related diagnostic at the form that creates cases.
    assert_eq!(d.related.len(), 1);
    assert_eq!(files[d.related[0].file].rel, "apps/chw.yaml");
    assert!(d.related[0].message.contains("form `register`"), "{}", d.related[0].message);
    assert!(d.help.as_deref().unwrap_or("").contains("owner: explicit"));
}

#[test]
fn explicit_owner_removes_g002() {
    let chw = CHW.replace("opens: [{}]", "opens: [{owner: explicit}]");
    let r = with_user(PROJECT, "{username: david, role: chw}", TWO_GROUPS, &chw);
    assert!(!codes(&r).contains(&"G002"), "{:?}", codes(&r));
}

/// The CHW app with its registration form's owner explicit and `opens` as given in
/// a second module of `kind`, with a module listing `visit`.
fn chw_opening(kind: &str, opens: &str) -> String {
    format!(
        "format_version: 2
name: CHW
commcare_version: \"2.53.0\"
case_sharing: true
modules:
  - name: Pregnancy
    case_type: pregnancy
    forms:
      - {{name: Register, opens: [{{owner: explicit}}]}}
  - name: Visits
    kind: {kind}
    case_type: pregnancy
    forms:
      - {{name: Visit, requires: case, updates: [pregnancy], opens: [{opens}]}}
  - name: Visit log
    case_type: visit
"
    )
}

#[test]
fn a_basic_subcase_marked_extension_still_needs_one_owner() {
    // HQ indexes a basic module's subcase as a child and owns it automatically
    // (`xform.py:autoset_owner_id_for_subcase` looks only for `owner_id`).
    // A `question` (which HQ's basic modules do not have) is taken the same way.
    let on = PROJECT.replace("case_sharing: false", "case_sharing: true");
    for relationship in ["extension", "question"] {
        let chw = chw_opening("basic", &format!("{{case_type: visit, relationship: {relationship}}}"));
        let r = with_user(&on, "{username: david, role: chw}", TWO_GROUPS, &chw);
        assert_eq!(codes(&r), ["G002"], "{relationship}");
        let d = &r.diagnostics[0];
        assert!(d.related[0].message.contains("form `visit`"), "{}", d.related[0].message);
        assert!(d.related[0].message.contains("HQ indexes it as a child"), "{}", d.related[0].message);
    }
}

#[test]
fn an_advanced_extension_or_question_needs_no_owner() {
    // `autoset_owner_id_for_advanced_action`: only extension indices → no owner
    // ("-"); a `question` index → the user owns the case. A child index, or none,
    // is owned automatically.
    let on = PROJECT.replace("case_sharing: false", "case_sharing: true");
    let none = "{username: david, role: chw}";
    for (opens, g002) in [
        ("{case_type: visit, relationship: extension}", false),
        ("{case_type: visit, relationship: question}", false),
        ("{case_type: visit, relationship: child}", true),
        ("{case_type: visit, relationship: none}", true),
        ("{case_type: visit, relationship: child, owner: explicit}", false),
    ] {
        let r = with_user(&on, none, TWO_GROUPS, &chw_opening("advanced", opens));
        let want: &[&str] = if g002 { &["G002"] } else { &["G003"] };
        assert_eq!(codes(&r), want, "{opens}");
    }
    // A shadow of an advanced module has its forms.
    let shadow = chw_opening("advanced", "{case_type: visit, relationship: extension}")
        .replace("  - name: Visit log", "  - {name: Copy, kind: shadow, source_module: visits}\n  - name: Visit log");
    let r = with_user(&on, none, TWO_GROUPS, &shadow);
    assert_eq!(codes(&r), ["G003"]);
}

#[test]
fn follow_up_only_user_gets_no_g002_and_g003_when_the_project_shares_cases() {
    // HQ's `Domain.case_sharing_included()`: the project setting or any app's. The
    // apps share cases here, the project setting is off: G003 all the same.
    let reviewer = "{username: david, role: reviewer}";
    let r = with_user(PROJECT, reviewer, TWO_GROUPS, CHW);
    assert_eq!(codes(&r), ["G007", "G003"]);
    let on = PROJECT.replace("case_sharing: false", "case_sharing: true");
    let r = with_user(&on, reviewer, TWO_GROUPS, CHW);
    assert_eq!(codes(&r), ["G003"]);
    // Nothing shares cases: no G003, whatever the groups (G004 says they share for nothing).
    let off = |t: &str| t.replace("case_sharing: true\nmodules", "case_sharing: false\nmodules");
    let files = [
        ("project.yaml", PROJECT.to_string()),
        ("apps/chw.yaml", off(CHW)),
        ("apps/review.yaml", off(REVIEW)),
        ("groups/villages.yaml", TWO_GROUPS.to_string()),
        ("users/staff.yaml", format!("format_version: 2\nusers:\n  - {reviewer}\n")),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let r = check(&files);
    assert_eq!(codes(&r), ["G004", "G004"]);
    // The project setting alone is enough.
    let mut with_setting = files.clone();
    with_setting[0].1 = &on;
    assert!(codes(&check(&with_setting)).contains(&"G003"), "{:?}", codes(&check(&with_setting)));
}

#[test]
fn g003_is_not_repeated_where_g001_or_g002_fired() {
    let on = PROJECT.replace("case_sharing: false", "case_sharing: true");
    let r = with_user(&on, "{username: david, role: chw}", TWO_GROUPS, CHW);
    assert_eq!(codes(&r), ["G002"]);
    let none = "format_version: 2\ngroups:\n  - {name: Village A, case_sharing: true, members: [maria]}\n";
    let r = with_user(&on, "{username: david, role: chw}", none, CHW);
    assert!(codes(&r).contains(&"G001"), "{:?}", codes(&r));
    assert!(!codes(&r).contains(&"G003"), "{:?}", codes(&r));
}

#[test]
fn no_role_reaches_every_app_and_all_means_all() {
    let one = "format_version: 2\ngroups:\n  - {name: Village A, case_sharing: true, members: [maria]}\n";
    for user in ["{username: david}", "{username: david, role: everything}"] {
        let r = with_user(PROJECT, user, one, CHW);
        assert!(codes(&r).contains(&"G001"), "{user}: {:?}", codes(&r));
    }
}

#[test]
fn inactive_users_are_not_checked() {
    let r = with_user(PROJECT, "{username: david, role: chw, is_active: false}", TWO_GROUPS, CHW);
    assert!(!codes(&r).iter().any(|c| ["G001", "G002", "G003"].contains(c)), "{:?}", codes(&r));
}

#[test]
fn a_group_and_a_case_owning_location_add_up() {
    let one = "format_version: 2\ngroups:\n  - {name: Village A, case_sharing: true, members: [david]}\n";
    let r = with_user(PROJECT, "{username: david, role: chw, locations: [va]}", one, CHW);
    let d = r.diagnostics.iter().find(|d| d.code() == "G002").expect("G002");
    assert!(d.message.contains("2 case owners"), "{}", d.message);
    // The location is labelled in the users file, a related note since the group is elsewhere.
    assert!(d.related.iter().any(|x| x.message.contains("location `va` owns cases")), "{d:?}");
}

/// The case-owner count of user `u` in a project with the given locations and groups.
fn owner_count(user_locations: &str, groups: &str) -> usize {
    let users = format!("format_version: 2\nusers:\n  - {{username: u, locations: {user_locations}}}\n");
    let r = check(&[
        ("project.yaml", PROJECT),
        ("groups/g.yaml", groups),
        ("users/u.yaml", &users),
        ("locations/d.yaml", LOCATIONS),
    ]);
    let index = Index::build(&r.project);
    let user = index.user("u").expect("defined");
    index.owners(user).expect("known locations").count()
}

#[test]
fn owner_counting() {
    let none = "format_version: 2\ngroups: []\n";
    let two = "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [u]}\n  - {name: B, case_sharing: true, members: [u, u]}\n  - {name: R, members: [u]}\n";
    assert_eq!(owner_count("[]", none), 0);
    // Case-sharing groups only; a repeated member counts once; reporting groups do not count.
    assert_eq!(owner_count("[]", two), 2);
    // A village owns cases.
    assert_eq!(owner_count("[va]", none), 1);
    // The district views its three case-owning villages (it does not own cases itself).
    assert_eq!(owner_count("[d1]", none), 3);
    // HQ adds the assigned village and the district's descendants up: 1 + 3.
    assert_eq!(owner_count("[d1, va]", none), 4);
    // Groups and locations add up.
    assert_eq!(owner_count("[va, vb]", two), 4);
}

#[test]
fn versions_and_booleans_are_reported_with_the_fix() {
    let chw = CHW.replace("\"2.53.0\"", "2.10").replace("case_sharing: true", "case_sharing: on");
    let one = "format_version: 2\ngroups:\n  - {name: Village A, case_sharing: true, members: [david]}\n";
    let r = with_user(PROJECT, "{username: david, role: chw}", one, &chw);
    let y005 = r.diagnostics.iter().find(|d| d.code() == "Y005").expect("Y005");
    assert!(y005.message.contains("`2.10`") && y005.message.contains("reads it as 2.1"), "{}", y005.message);
    assert_eq!(y005.help.as_deref(), Some("quote it: `commcare_version: \"2.10\"`"));
    let y004 = r.diagnostics.iter().find(|d| d.code() == "Y004").expect("Y004");
    assert_eq!(y004.help.as_deref(), Some("write `case_sharing: true`"));
    // The file still loads: `on` is true and 2.10 is "2.10", so no A001 and the app shares.
    assert!(!codes(&r).contains(&"A001"), "{:?}", codes(&r));
    assert_eq!(r.project.apps[0].commcare_version.as_ref().map(|v| v.value.text.as_str()), Some("2.10"));
    assert!(r.project.apps[0].case_sharing());
}

/// An app with case sharing on but no case type anywhere (surveys only) has
/// no cases to share, and HQ asserts nothing on its phones: a user of it with
/// no case owner is no G001 (G003, the project's warning, still tells).
#[test]
fn a_case_sharing_app_without_cases_needs_no_owner() {
    let survey = "format_version: 2\nname: CHW\ncommcare_version: \"2.53.0\"\ncase_sharing: true\nmodules:\n  - name: Surveys\n    forms:\n      - {name: Household survey}\n";
    let project = "format_version: 2\ndomain: demo\ncase_sharing: true\nroles:\n  chw: {apps: [chw]}\n";
    let users = "format_version: 2\nusers:\n  - {username: maria, role: chw}\n";
    let r = check_memory(&[("project.yaml", project), ("apps/chw.yaml", survey), ("users/u.yaml", users)]);
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code()).collect();
    assert_eq!(codes, ["G003"], "{:?}", r.diagnostics);
    // With a case type, the user sees none of its shared cases: G001.
    let cases = survey.replace("  - name: Surveys\n", "  - name: Surveys\n    case_type: household\n");
    let r = check_memory(&[("project.yaml", project), ("apps/chw.yaml", &cases), ("users/u.yaml", users)]);
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code()).collect();
    assert_eq!(codes, ["G001"], "{:?}", r.diagnostics);
}

/// A member written as HQ's full username, `maria@<domain>.commcarehq.org`,
/// is the project's user `maria` (it was R001, unknown); two groups that name
/// her each way are her two case owners.
#[test]
fn a_full_username_names_the_projects_user() {
    let project = "format_version: 2\ndomain: demo\ncase_sharing: true\n";
    let users = "format_version: 2\nusers:\n  - {username: maria}\n";
    let groups =
        "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [maria@demo.commcarehq.org]}\n";
    let owners = |groups: &str| -> Vec<String> {
        let r = check_memory(&[("project.yaml", project), ("users/u.yaml", users), ("groups/g.yaml", groups)]);
        let kept = r.diagnostics.iter().filter(|d| d.code().starts_with('R') || d.code() == "G003");
        kept.map(|d| format!("{} {}", d.code(), d.message)).collect()
    };
    assert_eq!(owners(groups), Vec::<String>::new());
    let two = groups.to_string() + "  - {name: B, case_sharing: true, members: [Maria]}\n";
    assert_eq!(owners(&two), ["G003 user `maria` has 2 case owners; the project expects exactly one"]);
}
