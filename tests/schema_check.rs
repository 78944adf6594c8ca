//! The one schema checker: the JSON Schemas (what editors and `check` validate
//! against) find every S001–S004 problem, and Y004/Y005 where YAML's typing is
//! the cause, on random definition files of every kind. Each problem is reported
//! once, at its value; the messages are those of the hand-picked snapshot.

mod common;

use caseshare::source::FileKind;
use common::property;
use proptest::prelude::*;

/// A top-level key: the values it may take, and the items of a list under it.
type Section = (&'static str, &'static [&'static str], &'static [&'static str]);

const APP: &[Section] = &[
    ("name", &[" A", " 5", "", " [x]"], &[]),
    ("commcare_version", &[" \"2.5\"", " x", " [1]", " \"2.x\"", " 2.10", ""], &[]),
    ("case_sharing", &[" true", " \"on\"", " 3", "", " on"], &[]),
    ("domain", &[" d", " [x]", ""], &[]),
    ("id", &[" a", " 3"], &[]),
    ("extra", &[" 1"], &[]),
    (
        "modules",
        &[" x", " {}", ""],
        &[
            "{name: M}",
            "{}",
            "x",
            "~",
            "{name: M, kind: basik}",
            "{name: S, kind: shadow, source_module: m}",
            "{name: T, case_type: 5}",
            "{name: F, forms: 3}",
            "{name: G, forms: [{name: R, opens: [{}]}, {name: F, requires: case, opens: [{owner: explict, relationship: sibling}]}]}",
            "{name: H, forms: [{name: U, updates: [t, 5]}, {requires: x}, {name: O, opens: x}]}",
            "{name: I, forms: [{name: O, opens: [x, {case_type: 5, owner: 3}]}, {name: N, nme: 3}]}",
            "{name: J, case_type: t, forms: [{name: K, opens: [{relationship: child, case_type: u}]}], extra: 1}",
            "{name: L, forms: [~, {name: ~, opens: ~, updates: ~}], case_type: ~, kind: ~}",
        ],
    ),
];
const PROJECT: &[Section] = &[
    ("domain", &[" demo", " Demo", "", " 5"], &[]),
    ("case_sharing", &[" false", " x", ""], &[]),
    ("domian", &[" x"], &[]),
    (
        "roles",
        &[
            " [a]",
            "",
            " {chw: {apps: [chw]}, all: {apps: all}}",
            " {bad: {apps: chw}, nul: ~, lst: [x]}",
            " {extra: {apps: all, x: 1}, none: {}}",
        ],
        &[],
    ),
    (
        "location_types",
        &[" x", ""],
        &[
            "{name: d, view_descendants: true}",
            "{name: v, parent: d, shares_cases: 1}",
            "{parent: d}",
            "x",
            "{name: ~}",
        ],
    ),
    (
        "shared_case_types",
        &[" x"],
        &["{case_type: t, apps: [a]}", "{case_type: t}", "{apps: a}", "{case_type: ~, apps: ~}"],
    ),
];
const GROUPS: &[Section] = &[
    (
        "groups",
        &[" x", " {}", ""],
        &[
            "{name: A, case_sharing: true, members: [a, b]}",
            "{name: B, members: a}",
            "{case_sharing: \"yes\"}",
            "{name: C, reporting: 0, members: [1, [x]]}",
            "{name: D, id: 5, membres: [a]}",
            "x",
            "{name: E, case_sharing: ~, members: ~}",
        ],
    ),
    ("grups", &[" []"], &[]),
];
const USERS: &[Section] = &[
    (
        "users",
        &[" 3", ""],
        &[
            "{username: u, role: chw, locations: [l]}",
            "{username: v, locations: l}",
            "{role: r}",
            "{username: w, is_active: \"no\"}",
            "{username: x, is_active: false, colour: red}",
            "~",
            "{username: ~, role: ~, locations: ~, is_active: ~}",
        ],
    ),
    ("userz", &[" []"], &[]),
];
const LOCATIONS: &[Section] = &[(
    "locations",
    &[" {}", ""],
    &[
        "{code: c, name: N, type: t}",
        "{code: d, name: D, type: t, parent: c}",
        "{code: e, name: E}",
        "{name: F, type: 5}",
        "{code: g, name: G, type: t, parnt: c}",
        "[x]",
        "{code: h, name: ~, type: ~, parent: ~}",
    ],
)];

/// A file with each top-level key at most once: absent, one of its values, or
/// a list of its items.
fn file(sections: &'static [Section]) -> impl Strategy<Value = String> {
    let parts: Vec<BoxedStrategy<String>> = sections
        .iter()
        .map(|&(key, values, items)| {
            let mut choices: Vec<BoxedStrategy<String>> = vec![Just(String::new()).boxed()];
            if !values.is_empty() {
                choices.push(prop::sample::select(values).prop_map(move |v| format!("{key}:{v}\n")).boxed());
            }
            if !items.is_empty() {
                let list = prop::collection::vec(prop::sample::select(items), 0..5).prop_map(move |v| {
                    format!("{key}:\n{}", v.iter().map(|i| format!("  - {i}\n")).collect::<String>())
                });
                choices.push(list.boxed());
            }
            prop::strategy::Union::new(choices).boxed()
        })
        .collect();
    parts.prop_map(|p| format!("format_version: 2\n{}", p.concat()))
}

/// The per-file diagnostics of one file, as `code span: message (help)` lines.
fn found(kind: FileKind, text: &str) -> Vec<String> {
    let rel = match kind {
        FileKind::App => "apps/a.yaml",
        FileKind::Project => "project.yaml",
        FileKind::Groups => "groups/g.yaml",
        FileKind::Users => "users/u.yaml",
        _ => "locations/l.yaml",
    };
    let (_, diags, _) = caseshare::load::load(caseshare::read::Sources::memory(&[(rel, text.as_bytes())]));
    diags
        .iter()
        .map(|d| {
            format!(
                "{} {:?} `{}`: {} ({})",
                d.code(),
                d.span,
                &text[d.span.clone()],
                d.message,
                d.help.as_deref().unwrap_or("")
            )
        })
        .collect()
}

/// One diagnostic per problem: no two at one value (S003/S004/Y004/Y005 share it),
/// no two for one missing key. Reached when the file has some schema problem.
fn once(kind: FileKind, text: &str) -> Result<bool, TestCaseError> {
    let lines = found(kind, text);
    let mut seen = std::collections::HashSet::new();
    for l in &lines {
        let code = &l[..4];
        let rest = l[5..].split_once(' ').map_or("", |x| x.0);
        let problem = match code {
            "S003" | "S004" | "Y004" | "Y005" => format!("value {rest}"),
            "S002" => l.clone(),
            _ => format!("{code} {rest}"),
        };
        prop_assert!(seen.insert(problem), "reported twice in {}:\n{}", text, lines.join("\n"));
    }
    Ok(lines.iter().any(|l| l.starts_with(['S', 'Y'])))
}

/// Hand-picked files with every kind of schema problem, in every file kind.
#[test]
fn hand_picked_messages() {
    let cases = [
        (FileKind::App, "format_version: 2\nname: A\ncommcare_version: \"2.5\"\ncase_shareing: true\n"),
        (FileKind::App, "format_version: 2\nname: A\n"),
        (FileKind::App, "format_version: 2\nname: 5\ncommcare_version: \"2.x\"\nmodules: {}\n"),
        (FileKind::App, "format_version: 2\nname: A\ncommcare_version: 2.10\ncase_sharing: on\n"),
        (
            FileKind::App,
            "format_version: 2\nname: A\ncommcare_version: \"2.5\"\nmodules:\n  - {name: M, kind: basik, forms: [{name: F, requires: cases, opens: [{owner: explict, relationship: sibling}], updates: t}]}\n  - {kind: shadow}\n",
        ),
        (
            FileKind::Groups,
            "format_version: 2\ngroups:\n  - {name: A, case_sharing: \"yes\", members: david, reportng: true}\n  - {members: [1, b]}\n",
        ),
        (FileKind::Users, "format_version: 2\nusers:\n  - {username: u, locations: l, is_active: 1}\n  - {role: r}\n"),
        (
            FileKind::Locations,
            "format_version: 2\nlocations:\n  - {code: c, name: N}\n  - {code: d, name: D, type: t, parnt: c}\n",
        ),
        (
            FileKind::Project,
            "format_version: 2\ndomain: Demo District\nroles:\n  a: {apps: chw}\n  b: {apps: [x], extra: 1}\nlocation_types:\n  - {name: d, view_descendants: 1}\nshared_case_types:\n  - {case_type: t}\n",
        ),
        (FileKind::Users, "format_version: 2\nuserz: []\n"),
        (FileKind::Groups, "- just\n- a list\n"),
    ];
    let mut out = String::new();
    for (kind, text) in cases {
        let lines = found(kind, text);
        assert!(!lines.is_empty(), "{text}");
        out.push_str(&format!("{text}{}\n\n", lines.join("\n")));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn apps() {
    property(256, 0.8, file(APP), |text| once(FileKind::App, &text));
}

#[test]
fn projects() {
    property(256, 0.8, file(PROJECT), |text| once(FileKind::Project, &text));
}

#[test]
fn groups() {
    property(256, 0.8, file(GROUPS), |text| once(FileKind::Groups, &text));
}

#[test]
fn users() {
    property(256, 0.8, file(USERS), |text| once(FileKind::Users, &text));
}

#[test]
fn locations() {
    property(256, 0.8, file(LOCATIONS), |text| once(FileKind::Locations, &text));
}
