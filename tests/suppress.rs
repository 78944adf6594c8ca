//! Suppressions (SPEC section 5): an `allow` on any line a diagnostic labels,
//! primary or secondary, in any file, silences it (a line it only notes, such
//! as the form behind a G002, does not); one that silences nothing is X001.

use caseshare::check_memory;

const PROJECT: &str = "format_version: 2\ndomain: d\ncase_sharing: true\nroles:\n  chw: {apps: [chw]}\n";
const APP: &str = "format_version: 2\nname: CHW\ncommcare_version: \"2.53.0\"\ncase_sharing: true\nmodules:\n  - name: Pregnancy\n    case_type: pregnancy\n    forms:\n      - {name: Register, opens: [{}]}\n";
const USERS: &str = "format_version: 2\nusers:\n  - {username: david, role: chw}\n";

fn codes(groups: &str, app: &str) -> Vec<String> {
    let r = check_memory(&[
        ("project.yaml", PROJECT),
        ("apps/chw.yaml", app),
        ("users/u.yaml", USERS),
        ("groups/g.yaml", groups),
    ]);
    r.diagnostics.iter().map(|d| format!("{} {}", d.code(), d.message)).collect()
}

#[test]
fn an_allow_above_the_second_membership_silences_g002() {
    let groups = "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n  # caseshare: allow G002 -- David registers in A and reviews B\n  - {name: B, case_sharing: true, members: [david]}\n";
    assert_eq!(codes(groups, APP), Vec::<String>::new());
}

/// A file saved with `\r` alone as its line ends: the allow stands on its own
/// line, above the membership it silences.
#[test]
fn an_allow_in_a_file_with_carriage_return_line_ends_silences_g002() {
    let groups = "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n  # caseshare: allow G002 -- David registers in A and reviews B\n  - {name: B, case_sharing: true, members: [david]}\n";
    let groups = groups.replace('\n', "\r");
    assert_eq!(codes(&groups, APP), Vec::<String>::new());
    let unsilenced = groups.replace("allow G002", "allow G001");
    let found = codes(&unsilenced, APP);
    assert!(found.iter().any(|c| c.starts_with("G002")), "{found:?}");
}

#[test]
fn an_allow_at_the_primary_membership_silences_g002_one_at_the_form_does_not() {
    let groups = "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}  # caseshare: allow G002\n  - {name: B, case_sharing: true, members: [david]}\n";
    assert_eq!(codes(groups, APP), Vec::<String>::new());
    // The form that creates cases with an automatic owner is only noted: it is
    // every such user's, and an `allow` there would silence G002 for all of
    // them, users it was never written for (they fail on the phone).
    let plain = "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n  - {name: B, case_sharing: true, members: [david]}\n";
    let app = APP.replace(
        "      - {name: Register",
        "      # caseshare: allow G002 -- the form sets the owner in practice\n      - {name: Register",
    );
    let found = codes(plain, &app);
    assert!(found.iter().any(|c| c.starts_with("G002 user `david` has 2 case owners")), "{found:?}");
    assert!(found.iter().any(|c| c.starts_with("X001 `allow G002` suppresses nothing")), "{found:?}");
}

#[test]
fn an_allow_elsewhere_is_x001_and_silences_nothing() {
    let groups = "format_version: 2\n# caseshare: allow G002\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n\n  - {name: B, case_sharing: true, members: [david]}\n";
    let found = codes(groups, APP);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("X001 `allow G002` suppresses nothing") || found[1].starts_with("X001"), "{found:?}");
    assert!(found.iter().any(|c| c.starts_with("G002 user `david` has 2 case owners")), "{found:?}");
}

#[test]
fn an_allow_on_the_first_line_after_a_byte_order_mark_counts() {
    // The quick fix "allow CODE here" puts it there for a problem on line 1.
    let groups = "\u{feff}# caseshare: allow G002 -- reviewed\ngroups: [{name: A, case_sharing: true, members: [david]}, {name: B, case_sharing: true, members: [david]}]\nformat_version: 2\n";
    assert_eq!(codes(groups, APP), Vec::<String>::new());
    let unused = "\u{feff}# caseshare: allow G003\nformat_version: 2\ngroups: []\n";
    let found = codes(unused, APP);
    assert!(found.iter().any(|c| c.starts_with("X001 `allow G003` suppresses nothing")), "{found:?}");
}
