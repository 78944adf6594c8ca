//! `caseshare import hq-app` on the real CommCare HQ app exports in
//! `fixtures/hq/commcare-hq` (copies of test fixtures of dimagi/commcare-hq; BSD-3-Clause, see
//! its SOURCES.txt and LICENSE.txt) and on the
//! hand-written pre/post-2022 twins in `fixtures/hq`.

use std::path::{Path, PathBuf};

use caseshare::check_memory;
use caseshare::diagnostic::{Diagnostic, Severity};
use caseshare::hq::app::import;

const FIXTURES: [&str; 8] = [
    "app_case_sharing",
    "app_no_case_sharing",
    "app_with_subcases",
    "complex-case-sharing",
    "shadow_module_cases",
    "subcase-parent-ref",
    "suite-advanced",
    "tiered-select-3",
];

fn hq_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hq/commcare-hq").join(format!("{name}.json"))
}

fn imported(name: &str) -> String {
    let text = std::fs::read_to_string(hq_fixture(name)).expect("the HQ fixtures are in fixtures/hq/commcare-hq");
    import(&text, &format!("{name}.json")).expect("imports").yaml
}

#[test]
fn every_hq_export_imports_and_checks_without_errors() {
    let apps: Vec<(String, String)> = FIXTURES.iter().map(|n| (format!("apps/{n}.yaml"), imported(n))).collect();
    for (path, yaml) in &apps {
        insta::assert_snapshot!(format!("hq_{}", path.trim_start_matches("apps/").trim_end_matches(".yaml")), yaml);
    }
    let mut files: Vec<(&str, &str)> = vec![("project.yaml", "format_version: 2\ndomain: hq\ncase_sharing: true\n")];
    files.extend(apps.iter().map(|(p, y)| (p.as_str(), y.as_str())));
    let result = check_memory(&files);
    let errors: Vec<&Diagnostic> = result.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // What the data really has: one case type shared by an app with case sharing on
    // and its twin with it off (C003), as SOURCES.txt says of the pair.
    let codes: Vec<&str> = result.diagnostics.iter().map(Diagnostic::code).collect();
    assert!(codes.iter().all(|c| *c == "C003"), "{codes:?}");
    assert_eq!(result.project.apps.len(), 8);
}

/// A user in two case sharing groups who can reach the app: G002 where HQ adds
/// its "exactly one group" assertion (automatic owner), none where the form sets
/// `owner_id` itself.
fn g002_for(app: &str) -> usize {
    let yaml = imported(app);
    let files = [
        ("project.yaml", "format_version: 2\ndomain: hq\n"),
        ("apps/app.yaml", yaml.as_str()),
        (
            "groups/g.yaml",
            "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n  - {name: B, case_sharing: true, members: [david]}\n",
        ),
        ("users/u.yaml", "format_version: 2\nusers:\n  - {username: david}\n"),
    ];
    check_memory(&files).diagnostics.iter().filter(|d| d.code() == "G002").count()
}

#[test]
fn owners_follow_hq_case_sharing_assertions() {
    assert!(imported("complex-case-sharing").contains("- {owner: explicit}"));
    assert!(imported("app_case_sharing").contains("- {}"));
    assert_eq!(g002_for("complex-case-sharing"), 0);
    assert_eq!(g002_for("app_case_sharing"), 1);
}

#[test]
fn shadow_modules_inherit_and_advanced_opens_keep_their_relationships() {
    let shadow = imported("shadow_module_cases");
    let result = check_memory(&[("project.yaml", "format_version: 2\ndomain: hq\n"), ("apps/s.yaml", &shadow)]);
    let index = caseshare::index::Index::build(&result.project);
    let facts = &index.apps[0];
    let shadow_module = facts.modules_in_order.iter().find(|m| m.source_module.is_some()).expect("a shadow module");
    assert!(shadow_module.case_type.is_none());
    assert_eq!(facts.module_case_type(shadow_module), Some("case"));

    let advanced = imported("suite-advanced");
    assert!(advanced.contains("kind: advanced"));
    assert!(advanced.contains("- {case_type: requisition, relationship: child}"), "{advanced}");

    let subcases = imported("app_with_subcases");
    // The conditional subcase (voucher) and the repeated one (baby) are both there.
    assert!(subcases.contains("- {case_type: voucher, relationship: child}"), "{subcases}");
    assert!(subcases.contains("- {case_type: baby, relationship: child}"), "{subcases}");
    let tiered = imported("tiered-select-3");
    assert!(tiered.contains("case_type: grandchild"), "{tiered}");
}

#[test]
fn the_post_2022_format_imports_like_its_pre_2022_twin() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hq");
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).expect("read");
    let old = import(&read("twin-pre-2022.json"), "twin.json").expect("imports");
    let new = import(&read("twin-post-2022.json"), "twin.json").expect("imports");
    assert_eq!(old, new);
    assert!(old.yaml.contains("- {case_type: visit, relationship: extension, owner: explicit}"), "{}", old.yaml);
}

#[test]
fn a_commcare_1_app_is_reported() {
    let text = std::fs::read_to_string(hq_fixture("app_case_sharing")).expect("read");
    let v1 = text.replace("\"application_version\": \"2.0\"", "\"application_version\": \"1.0\"");
    assert_ne!(v1, text);
    let out = import(&v1, "v1.json").expect("imports");
    assert!(out.warnings.iter().any(|w| w.contains("CommCare 1.0")), "{:?}", out.warnings);
}

#[test]
fn the_command_shows_then_writes() {
    let dir = std::env::temp_dir().join(format!("caseshare-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: hq\n").expect("write");
    let fixture = hq_fixture("complex-case-sharing");
    let run = |extra: &[&str]| {
        let mut cmd = assert_cmd::Command::cargo_bin("caseshare").expect("binary");
        cmd.args(["import", "hq-app"]).arg(&fixture).arg("--project").arg(&dir).args(extra);
        let out = cmd.output().expect("runs");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, shown) = run(&[]);
    assert_eq!(code, Some(0));
    assert!(shown.contains("+  - id: \"8f2a2a2ecc48fd5c8ced05fd96ee7f4ec8cd2b9c\""), "{shown}");
    assert!(!dir.join("apps/complex-case-sharing.yaml").exists(), "nothing is written without --write");
    assert_eq!(run(&["--write"]).0, Some(0));
    let written = std::fs::read_to_string(dir.join("apps/complex-case-sharing.yaml")).expect("written");
    assert_eq!(written, imported("complex-case-sharing"));
    // Importing again shows no difference.
    assert_eq!(run(&[]).1, "");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"doc_type": "Application-Deleted"}"#).expect("write");
    let out = assert_cmd::Command::cargo_bin("caseshare")
        .expect("binary")
        .args(["import", "hq-app"])
        .arg(&bad)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("deleted"));
    let _ = std::fs::remove_dir_all(&dir);
}

mod workbook {
    use std::path::Path;

    use caseshare::hq::users::{Sheets, WorkbookError, from_project, read_xlsx, to_yaml, write_xlsx};
    use caseshare::{check_memory, check_root};

    fn demo() -> caseshare::CheckResult {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        check_root(&root, &root).expect("checks")
    }

    #[test]
    fn export_then_import_gives_identical_definitions() {
        let original = from_project(&demo().project);
        assert_eq!(original.users.len(), 7);
        let bytes = write_xlsx(&original).expect("writes");
        let read = read_xlsx(&bytes).expect("reads");
        assert_eq!(read, original);
        // Back to YAML, loaded as a project: the same users, roles, locations,
        // activity, groups, settings and memberships.
        let (users, groups) = to_yaml(&read, "demo.xlsx");
        let again = check_memory(&[
            ("project.yaml", "format_version: 2\ndomain: demo\n"),
            ("users/hq-users.yaml", &users),
            ("groups/hq-groups.yaml", &groups),
        ]);
        assert!(again.diagnostics.iter().all(|d| !d.code().starts_with(['S', 'Y', 'F'])), "{:?}", again.diagnostics);
        assert_eq!(from_project(&again.project), original);
    }

    fn workbook(users: &[&[&str]], groups: &[&[&str]]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        for (name, rows) in [("users", users), ("groups", groups)] {
            let sheet = book.add_worksheet();
            sheet.set_name(name).expect("name");
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    sheet.write_string(r as u32, c as u16, *v).expect("write");
                }
            }
        }
        book.save_to_buffer().expect("saves")
    }

    #[test]
    fn hq_columns_are_read_and_the_rest_is_reported() {
        let bytes = workbook(
            &[
                &[
                    "username",
                    "password",
                    "role",
                    "is_active",
                    "group 2",
                    "group 1",
                    "location_code 1",
                    "data: village",
                ],
                &["david", "secret", "chw", "True", "Village B", "Village A", "village-a", "A"],
                &["maria", "", "", "", "", "Village A", "", ""],
            ],
            &[
                &["id", "name", "case-sharing?", "reporting?"],
                &["g1", "Village A", "yes", "no"],
                &["", "Village B", "", ""],
            ],
        );
        let sheets: Sheets = read_xlsx(&bytes).expect("reads");
        assert_eq!(sheets.users[0].groups, ["Village A", "Village B"], "group N columns in order of N");
        assert_eq!(sheets.users[0].locations, ["village-a"]);
        assert!(sheets.users[1].is_active && sheets.users[1].role.is_none());
        assert!(sheets.groups[0].case_sharing && !sheets.groups[0].reporting);
        assert!(!sheets.groups[1].case_sharing && sheets.groups[1].reporting, "blank: no sharing, reporting");
        assert_eq!(sheets.left_out, ["users: `password`", "users: `data: village`"]);
    }

    #[test]
    fn yes_no_values_are_checked_as_hq_does() {
        let bytes = workbook(&[&["username"], &["david"]], &[&["name", "case-sharing?"], &["Village A", "maybe"]]);
        assert_eq!(
            read_xlsx(&bytes),
            Err(WorkbookError::NotYesNo {
                sheet: "groups",
                row: 2,
                column: "case-sharing?".into(),
                value: "maybe".into()
            })
        );
        assert!(matches!(read_xlsx(b"not a workbook"), Err(WorkbookError::NotXlsx(_))));
    }

    #[test]
    fn the_commands_round_trip() {
        let dir = std::env::temp_dir().join(format!("caseshare-workbook-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let xlsx = dir.join("users.xlsx");
        let demo_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        let status = assert_cmd::Command::cargo_bin("caseshare")
            .expect("binary")
            .args(["export", "hq-users"])
            .arg(&demo_dir)
            .arg("--out")
            .arg(&xlsx)
            .output()
            .expect("runs")
            .status;
        assert!(status.success());
        std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: demo\n").expect("write");
        let out = assert_cmd::Command::cargo_bin("caseshare")
            .expect("binary")
            .args(["import", "hq-users"])
            .arg(&xlsx)
            .arg("--project")
            .arg(&dir)
            .arg("--write")
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let again = check_root(&dir, &dir).expect("checks");
        assert_eq!(from_project(&again.project), from_project(&demo().project));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
