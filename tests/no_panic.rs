//! caseshare never panics on any input: random YAML-like text in every kind of
//! file goes through loading, the rules, every reporter and the fix planner.

mod common;

use caseshare::check_memory;
use caseshare::report::{self, Format, Style};
use common::property;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Text built from YAML's structural pieces, names the rules look at, and odd
/// characters (multibyte, CR, tabs, NUL), so that most inputs parse.
fn yamlish() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "format_version: 2\n",
        "format_version: 1\n",
        "format_version: \"2\"\n",
        "domain: demo\n",
        "case_sharing: true\n",
        "case_sharing: on\n",
        "case_sharing: \"on\"\n",
        "commcare_version: 2.10\n",
        "commcare_version: \"1.0\"\n",
        "roles:\n",
        "  chw: {apps: [chw]}\n",
        "  all: {apps: all}\n",
        "location_types:\n",
        "  - {name: d, view_descendants: true}\n",
        "  - {name: v, parent: d, shares_cases: true}\n",
        "shared_case_types:\n",
        "  - {case_type: t, apps: [chw, x]}\n",
        "modules:\n",
        "  - name: M\n",
        "    case_type: t\n",
        "    kind: shadow\n",
        "    source_module: m\n",
        "    forms:\n",
        "      - {name: R, opens: [{}]}\n",
        "      - {name: F, requires: case, opens: [{case_type: u, relationship: extension}]}\n",
        "      - {name: U, updates: [t, T, ts]}\n",
        "groups:\n",
        "  - {name: A, case_sharing: true, members: [u1, u2, u1]}\n",
        "  - {name: A, members: u1}\n",
        "users:\n",
        "  - {username: u1, role: chw, locations: [l1, l1]}\n",
        "  - {username: u2, role: nope}\n",
        "locations:\n",
        "  - {code: l0, name: L0, type: d}\n",
        "  - {code: l1, name: L1, type: v, parent: l0}\n",
        "  - {code: l0, name: L, type: v, parent: l1}\n",
        "  # caseshare: allow G002, X001 -- reason\n",
        "a: &a [1, 2]\n",
        "b: *a\n",
        "c: *nope\n",
        "? [x]\n: y\n",
        "- \n",
        "---\n",
        "...\n",
        "  ",
        "\t",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "'",
        "#",
        "&",
        "*",
        "!",
        "|",
        ">",
        "\r\n",
        "\n",
        "नम",
        "🏥",
        "\u{0}",
        "\u{feff}",
        "x",
        "2.10",
        "yes",
        "project_space: demo\n",
        "version: 2.0\n",
        "      - {name: L, registration: yes, subcases: [a, b], sets_owner: YES}\n",
        "        registration: no\n",
        "        subcases:\n",
        "          - c\n",
        "        sets_owner: on\n",
        "  - {name: A, users: [u1]}\n",
        "    users:\n",
        "  - {username: u3, groups: [A, B]}\n",
        "    groups: [A]\n",
        "    groups:\n",
        "      - A\n",
        "~",
        "null",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

/// Reached when there were diagnostics to render (every format must show them).
/// (The generated trees almost never migrate, so the idempotence branch rarely
/// runs here; `tests/migrate_props.rs` asserts it on real format 1 projects.)
#[test]
fn never_panics() {
    property(
        256,
        0.9,
        (yamlish(), yamlish(), yamlish(), yamlish(), yamlish()),
        |(project, app, groups, users, locations)| {
            let project = format!("format_version: 2\ndomain: demo\n{project}");
            let files = [
                ("project.yaml", project.as_str()),
                ("apps/chw.yaml", app.as_str()),
                ("groups/g.yaml", groups.as_str()),
                ("users/u.yaml", users.as_str()),
                ("locations/l.yaml", locations.as_str()),
                ("misc/x.yaml", app.as_str()),
            ];
            let result = check_memory(&files);
            for format in [Format::Human, Format::Concise, Format::Json, Format::Sarif, Format::Github] {
                let out = report::render(&result, format, Style::default());
                prop_assert!(result.diagnostics.is_empty() || !out.is_empty());
            }
            let _ = report::summary(std::slice::from_ref(&result));
            let _ = caseshare::fix::plan(&result);

            // The migration never panics either, and what it writes migrates to nothing more.
            let legacy = files.map(|(p, t)| (p, t.replacen("format_version: 2\n", "", 1)));
            let legacy: Vec<(&str, &str)> = legacy.iter().map(|(p, t)| (*p, t.as_str())).collect();
            match caseshare::migrate::migrate_memory(&legacy) {
                Ok(changes) => {
                    let mut tree: Vec<(&str, &str)> = legacy.clone();
                    for c in &changes {
                        if let Some(slot) = tree.iter_mut().find(|(p, _)| *p == c.rel) {
                            slot.1 = c.after.as_str();
                        }
                    }
                    match caseshare::migrate::migrate_memory(&tree) {
                        Ok(again) => prop_assert!(again.is_empty(), "not idempotent: {:?} -> {:?}", tree, again),
                        Err(e) => prop_assert!(false, "a migrated tree is refused: {:?}\n{:?}", tree, e),
                    }
                }
                Err(caseshare::migrate::Refusal::Problems(r)) => {
                    prop_assert!(!r.diagnostics.is_empty());
                    let _ = report::render(&r, Format::Human, Style::default());
                }
                Err(caseshare::migrate::Refusal::Internal(m)) => {
                    return Err(TestCaseError::fail(format!("internal error: {m}")));
                }
                Err(caseshare::migrate::Refusal::Usage(m)) => {
                    return Err(TestCaseError::fail(format!("usage error: {m}")));
                }
            }
            Ok(!result.diagnostics.is_empty())
        },
    );
}
