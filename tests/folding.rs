//! Names compared as HQ compares them: usernames folded (lowercase, white space
//! as `.`), location site codes ignoring case. D001, R001, G006, memberships,
//! owners and L001 all follow.

use caseshare::diagnostic::Diagnostic;
use caseshare::index::Index;
use caseshare::{CheckResult, check_memory};

const PROJECT: &str = "format_version: 2
domain: demo
case_sharing: true
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
      - name: Register
        opens: [{}]
";

const LOCATIONS: &str = "format_version: 2
locations:
  - {code: d1, name: District 1, type: district}
  - {code: va, name: Village A, type: village, parent: D1}
";

fn check(groups: &str, users: &str, locations: &str) -> CheckResult {
    check_memory(&[
        ("project.yaml", PROJECT),
        ("apps/chw.yaml", CHW),
        ("groups/g.yaml", groups),
        ("users/u.yaml", users),
        ("locations/l.yaml", locations),
    ])
}

fn codes(r: &CheckResult) -> Vec<&'static str> {
    r.diagnostics.iter().map(Diagnostic::code).collect()
}

#[test]
fn a_member_written_in_capitals_is_the_user_and_owns_cases_through_the_group() {
    let groups = "format_version: 2\ngroups:\n  - {name: Team, case_sharing: true, members: [Amina.B]}\n";
    let users = "format_version: 2\nusers:\n  - {username: amina.b, role: chw}\n";
    let r = check(groups, users, LOCATIONS);
    assert!(codes(&r).is_empty(), "{:?}", codes(&r));
    let ix = Index::build(&r.project);
    let user = ix.user("AMINA.B").expect("found by a folded name");
    assert_eq!(user.username.value.as_str(), "amina.b");
    assert_eq!(ix.memberships_of("amina.b").len(), 1);
    assert_eq!(ix.owners(user).expect("known").count(), 1);
}

#[test]
fn white_space_in_a_username_is_a_dot() {
    let groups = "format_version: 2\ngroups:\n  - {name: Team, case_sharing: true, members: [\"Amina  B\"]}\n";
    let users = "format_version: 2\nusers:\n  - {username: amina.b, role: chw}\n";
    let r = check(groups, users, LOCATIONS);
    assert!(codes(&r).is_empty(), "{:?}", codes(&r));
}

#[test]
fn two_users_that_fold_alike_are_one_definition_twice() {
    let groups = "format_version: 2\ngroups:\n  - {name: Team, case_sharing: true, members: [david]}\n";
    let users = "format_version: 2\nusers:\n  - {username: david, role: chw}\n  - {username: David, role: chw}\n";
    let r = check(groups, users, LOCATIONS);
    let d001: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.code() == "D001").collect();
    assert_eq!(d001.len(), 1, "{:?}", codes(&r));
    assert_eq!(d001[0].message, "username `David` is defined twice: HQ takes it and `david` for one");
}

#[test]
fn a_large_group_listing_a_user_in_two_spellings_gets_g006() {
    // More than 32 members: the repeat is found through a map, by folded name.
    let mut members: Vec<String> = (0..40).map(|i| format!("u{i}")).collect();
    members.push("U7".into());
    let users: String = (0..40).map(|i| format!("  - {{username: u{i}, role: chw}}\n")).collect();
    let groups = format!(
        "format_version: 2\ngroups:\n  - {{name: Team, case_sharing: false, members: [{}]}}\n",
        members.join(", ")
    );
    let users = format!("format_version: 2\nusers:\n{users}");
    let r = check(&groups, &users, LOCATIONS);
    let g006: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.code() == "G006").collect();
    assert_eq!(g006.len(), 1, "{:?}", codes(&r));
    assert!(g006[0].message.contains("`U7`"), "{}", g006[0].message);
    // An unknown member in two spellings is one repeat too (R001 names it).
    let groups = groups.replace("U7]", "ghost, GHOST]");
    let r = check(&groups, &users, LOCATIONS);
    assert_eq!(codes(&r).iter().filter(|c| **c == "G006").count(), 1, "{:?}", codes(&r));
}

#[test]
fn site_codes_are_found_ignoring_case() {
    let groups = "format_version: 2\ngroups: []\n";
    let users = "format_version: 2\nusers:\n  - {username: david, role: chw, locations: [VA]}\n";
    let r = check(groups, users, LOCATIONS);
    assert!(codes(&r).is_empty(), "{:?}", codes(&r));
    let ix = Index::build(&r.project);
    let owners = ix.owners(ix.user("david").unwrap()).expect("known");
    assert_eq!(owners.count(), 1);
    assert_eq!(ix.location("Va").map(|l| l.code.value.as_str()), Some("va"));
    // The district sees its one village: the tree follows `parent: D1`.
    assert_eq!(ix.tree_of("D1").map(|t| t.owning_below), Some(1));
}

#[test]
fn a_location_cycle_through_a_differently_written_code_is_found() {
    let locations = "format_version: 2
locations:
  - {code: va, name: Village A, type: village, parent: VB}
  - {code: vb, name: Village B, type: village, parent: VA}
";
    let r = check("format_version: 2\ngroups: []\n", "format_version: 2\nusers: []\n", locations);
    let l001: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.code() == "L001").collect();
    assert_eq!(l001.len(), 1, "{:?}", codes(&r));
    assert_eq!(l001[0].message, "locations form a parent cycle: va → vb → va");
}

#[test]
fn a_group_is_found_by_its_exact_name_at_its_first_definition() {
    let groups = "format_version: 2\ngroups:
  - {name: Team, case_sharing: true, members: [david]}
  - {name: Team, case_sharing: false, members: []}
  - {name: Other, case_sharing: false, members: []}
";
    let users = "format_version: 2\nusers:\n  - {username: david, role: chw}\n";
    let r = check(groups, users, LOCATIONS);
    assert_eq!(codes(&r), ["D001"], "{:?}", codes(&r));
    let ix = Index::build(&r.project);
    let team = ix.group("Team").expect("found");
    assert!(team.case_sharing(), "the first definition, not the second");
    assert_eq!(ix.group("Other").map(|g| g.name.value.as_str()), Some("Other"));
    // Group names are not folded: they are compared as written, as D001 does.
    assert!(ix.group("team").is_none());
    assert!(ix.group("Nobody").is_none());
}
