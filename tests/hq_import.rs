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
        assert!(!sheets.groups[1].case_sharing && !sheets.groups[1].reporting, "blank `?` cells are no, as in HQ");
        assert_eq!(sheets.left_out, ["users: `password`", "users: `data: village`"]);
    }

    /// The users sheet as HQ's reader takes it: one `location_code` is a
    /// list of one; the headers stop at the first blank cell and the rows at
    /// the first blank row (noted); a header twice refuses the workbook.
    #[test]
    fn the_users_sheet_is_read_as_hq_reads_it() {
        let groups: &[&[&str]] = &[&["name"], &["Village A"]];
        let bytes = workbook(
            &[
                &["username", "location_code", "", "group 1"],
                &["david", "village-a", "", "Village A"],
                &["", "", "", ""],
                &["maria", "village-b", "", ""],
            ],
            groups,
        );
        let sheets: Sheets = read_xlsx(&bytes).expect("reads");
        assert_eq!(sheets.users.len(), 1, "{:?}", sheets.users);
        assert_eq!(sheets.users[0].locations, ["village-a"]);
        assert!(sheets.users[0].groups.is_empty(), "HQ does not see `group 1` after the blank header");
        assert_eq!(
            sheets.notes,
            [
                "sheet `users`: HQ reads the headers up to the first blank cell, column C, so `group 1` after it is left out",
                "sheet `users`: row 3 is blank, and HQ reads no row after it, so rows 4 and on are left out",
            ]
        );
        let bytes = workbook(&[&["username", "role", "role"], &["david", "chw", "nurse"]], groups);
        let Err(WorkbookError::Refused(lines)) = read_xlsx(&bytes) else { panic!("refused") };
        assert_eq!(
            lines,
            [
                "sheet `users`, column C: `role` is a header twice; HQ refuses the workbook (\"You have a repeat field: role\")"
            ]
        );
    }

    /// `david@<domain>.commcarehq.org` is `david` to HQ, and a number in
    /// `is_active` leaves the status as it is (active for a new user).
    #[test]
    fn usernames_with_their_domain_and_numbers_in_is_active_are_taken_as_hq_does() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("users").expect("name");
        for (c, h) in ["username", "is_active"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).expect("write");
        }
        sheet.write_string(1, 0, "zero").expect("write");
        sheet.write_number(1, 1, 0).expect("write");
        sheet.write_string(2, 0, "david").expect("write");
        sheet.write_string(3, 0, "David@demo.commcarehq.org").expect("write");
        let bytes = book.save_to_buffer().expect("saves");
        let Err(WorkbookError::Refused(lines)) = caseshare::hq::users::read_xlsx_for(&bytes, Some("demo")) else {
            panic!("refused")
        };
        assert_eq!(
            lines,
            [
                "sheet `users`, row 4, column `username`: the username `David` is the user of row 3 in HQ, which folds usernames to lowercase"
            ]
        );
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("users").expect("name");
        sheet.write_string(0, 0, "username").expect("write");
        sheet.write_string(0, 1, "is_active").expect("write");
        sheet.write_string(1, 0, "zero@demo.commcarehq.org").expect("write");
        sheet.write_number(1, 1, 0).expect("write");
        let sheets =
            caseshare::hq::users::read_xlsx_for(&book.save_to_buffer().expect("saves"), Some("demo")).expect("reads");
        assert_eq!((sheets.users[0].username.as_str(), sheets.users[0].is_active), ("zero", true));
        assert_eq!(
            sheets.notes,
            [
                "sheet `users`, row 2, column `is_active`: a number, which HQ's upload ignores (it leaves the user's status as it is): read as active"
            ]
        );
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

    /// The header row of a sheet of a workbook.
    fn headers(bytes: &[u8], sheet: &str) -> Vec<String> {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("opens");
        let range = book.worksheet_range(sheet).expect("sheet");
        range.rows().next().map(|r| r.iter().map(|c| c.to_string()).collect()).unwrap_or_default()
    }

    /// HQ's `user_importer/importer.py`: `required_headers` and `allowed_headers`
    /// (without the conditional `domain`, `deactivate_after` and `tableau_*`).
    const HQ_ALLOWED: [&str; 29] = [
        "username",
        "data",
        "email",
        "group",
        "language",
        "name",
        "password",
        "phone-number",
        "uncategorized_data",
        "user_id",
        "is_active",
        "is_account_confirmed",
        "send_confirmation_email",
        "location_code",
        "role",
        "user_profile",
        "User IMEIs (read only)",
        "registered_on (read only)",
        "last_submission (read only)",
        "last_sync (read only)",
        "web_user",
        "remove_web_user",
        "remove",
        "last_access_date (read only)",
        "last_login (read only)",
        "last_name",
        "status",
        "first_name",
        "send_confirmation_sms",
    ];

    #[test]
    fn the_exported_header_row_has_every_header_hq_needs_to_update_users() {
        let sheets = from_project(&demo().project);
        let bytes = write_xlsx(&sheets).expect("writes");
        let users = headers(&bytes, "users");
        // `username` (HQ's one required header), `user_id` (without it HQ refuses an
        // existing username: "Specify an ID to update the user") and `password` (a
        // row without `user_id` is a new user: "New users must have a password set").
        for needed in ["username", "user_id", "password", "role", "is_active", "group 1", "group 3", "location_code 1"]
        {
            assert!(users.iter().any(|h| h == needed), "`{needed}` missing from {users:?}");
        }
        // Every header is one HQ allows (`check_headers`: `group 1` is `group`).
        for h in &users {
            let base = h.split_once(' ').filter(|(_, n)| n.parse::<u32>().is_ok()).map_or(h.as_str(), |(b, _)| b);
            assert!(HQ_ALLOWED.contains(&base), "HQ refuses the header `{h}`");
        }
        assert_eq!(headers(&bytes, "groups"), ["id", "name", "case-sharing?", "reporting?"]);
    }

    #[test]
    fn user_ids_go_out_and_come_back_and_the_export_says_who_needs_a_password() {
        let project = [
            ("project.yaml", "format_version: 2\ndomain: demo\n"),
            (
                "users/u.yaml",
                "format_version: 2\nusers:\n  - {username: david, id: c0ffee42d00d}\n  - {username: amina}\n",
            ),
            ("groups/g.yaml", "format_version: 2\ngroups:\n  - {name: A, members: [david, amina]}\n"),
        ];
        let result = check_memory(&project);
        assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
        let export = caseshare::hq::export_users(&result.project).expect("exports");
        let read = read_xlsx(&export.bytes).expect("reads");
        assert_eq!(read.users[0].id.as_deref(), Some("c0ffee42d00d"));
        assert_eq!(read.users[1].id, None);
        assert!(read.left_out.is_empty(), "blank passwords are no passwords: {:?}", read.left_out);
        let (users, _) = to_yaml(&read, "x.xlsx");
        assert!(users.contains("  - username: david\n    id: c0ffee42d00d\n"), "{users}");
        // amina has no id: HQ would take her row as a new user, who needs a password.
        let notes = export.notes.join("\n");
        assert!(notes.contains("1 user has no `id` (`amina`)"), "{notes}");
        assert!(notes.contains("fill in their `password` cells"), "{notes}");
        assert!(notes.contains("replaces each listed user's groups"), "{notes}");
        assert!(notes.contains("no `location_code` column"), "{notes}");
    }

    #[test]
    fn blank_question_mark_booleans_are_false_and_is_active_reads_as_hq_reads_it() {
        let bytes = workbook(
            &[
                &["username", "is_active", "group 1"],
                &["a", "y", "G"],
                &["b", "0", "G"],
                &["c", "F", ""],
                &["d", "", ""],
            ],
            &[&["name", "case-sharing?", "reporting?"], &["G", "", ""], &["H", "YES", "True"]],
        );
        let sheets = read_xlsx(&bytes).expect("reads");
        let active: Vec<bool> = sheets.users.iter().map(|u| u.is_active).collect();
        assert_eq!(active, [true, false, false, true], "blank `is_active` leaves the user active");
        assert!(!sheets.groups[0].case_sharing && !sheets.groups[0].reporting, "blank is False");
        assert!(sheets.groups[1].case_sharing && sheets.groups[1].reporting);
        // A `groups` sheet without `reporting?`: HQ sets `reporting` to None, not its default.
        let bytes = workbook(&[&["username"], &["a"]], &[&["name", "case-sharing?"], &["G", "yes"]]);
        assert!(!read_xlsx(&bytes).expect("reads").groups[0].reporting);
        let bad = workbook(&[&["username", "is_active"], &["a", "maybe"]], &[&["name"]]);
        assert_eq!(
            read_xlsx(&bad),
            Err(WorkbookError::NotTrueFalse {
                sheet: "users",
                row: 2,
                column: "is_active".into(),
                value: "maybe".into()
            })
        );
    }

    /// HQ's `user_importer/tests/test_validators.py` (`TEST_CASES`):
    /// `GroupValidator('domain', {'g1', 'g2'})` accepts a row in `g1` and `g2`, and
    /// refuses one in `g1` and `g3`: "Group 'g3' does not exist (try adding it to
    /// your spreadsheet)".
    #[test]
    fn a_group_that_exists_nowhere_is_an_error_naming_sheet_row_and_column() {
        use caseshare::hq::users::read_xlsx_in;
        let bytes = workbook(
            &[&["username", "group 1", "group 2"], &["david", "g1", "g2"], &["maria", "g1", "g3"]],
            &[&["name", "case-sharing?"], &["g1", "yes"]],
        );
        // g1 is in the sheet, g2 in the project's groups/.
        let Err(WorkbookError::Refused(lines)) = read_xlsx_in(&bytes, None, &["g2"]) else { panic!("refused") };
        assert_eq!(
            lines,
            ["sheet `users`, row 3, column `group 2`: group `g3` is neither in sheet `groups` nor in `groups/`; \
                 HQ refuses the row (\"Group 'g3' does not exist (try adding it to your spreadsheet)\")"]
        );
        // Without the project's g2, row 2 is refused as well; nothing is made up.
        let Err(WorkbookError::Refused(lines)) = read_xlsx(&bytes) else { panic!("refused") };
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(lines[0].starts_with("sheet `users`, row 2, column `group 2`: group `g2`"), "{lines:#?}");
    }

    /// Runs `caseshare import hq-users FILE --project DIR [--write]`: exit code and stderr.
    fn import_cli(xlsx: &Path, dir: &Path, write: bool) -> (Option<i32>, String) {
        let mut cmd = assert_cmd::Command::cargo_bin("caseshare").expect("binary");
        cmd.args(["import", "hq-users"]).arg(xlsx).arg("--project").arg(dir);
        if write {
            cmd.arg("--write");
        }
        let out = cmd.output().expect("runs");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    #[test]
    fn every_row_replaces_that_users_groups_in_every_groups_file() {
        let dir = std::env::temp_dir().join(format!("caseshare-replace-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("groups")).expect("mkdir");
        std::fs::create_dir_all(dir.join("users")).expect("mkdir");
        std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: demo\n").expect("write");
        std::fs::write(dir.join("users/others.yaml"), "format_version: 2\nusers:\n  - {username: joseph}\n")
            .expect("write");
        let villages = "format_version: 2
groups:
  - {name: Village A, case_sharing: true, members: [david, Maria, joseph]}
  - name: Village B
    case_sharing: true
    members:
      - david   # moved here in May
      - joseph
  - {name: Village C, case_sharing: true, members: [joseph]}
";
        std::fs::write(dir.join("groups/villages.yaml"), villages).expect("write");
        // David moves to Village C; Maria (written `Maria` in the file) leaves every
        // group; Amina, new, joins Village B; Joseph has no row and stays put.
        let xlsx = dir.join("users.xlsx");
        let bytes = workbook(
            &[
                &["username", "password", "group 1"],
                &["david", "", "Village C"],
                &["maria", "", ""],
                &["amina", "s3cret!", "Village B"],
            ],
            &[&["name", "case-sharing?"]],
        );
        std::fs::write(&xlsx, bytes).expect("write");
        let (code, err) = import_cli(&xlsx, &dir, true);
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains("each row replaces that user's groups"), "{err}");
        assert!(err.contains("`david` leaves group `Village A` (groups/villages.yaml)"), "{err}");
        assert!(err.contains("`Maria` leaves group `Village A`"), "{err}");
        assert!(err.contains("`amina` joins group `Village B`"), "{err}");
        assert!(err.contains("`david` joins group `Village C`"), "{err}");
        let after = std::fs::read_to_string(dir.join("groups/villages.yaml")).expect("read");
        assert_eq!(
            after,
            "format_version: 2
groups:
  - {name: Village A, case_sharing: true, members: [joseph]}
  - name: Village B
    case_sharing: true
    members:
      - joseph
      - amina
  - {name: Village C, case_sharing: true, members: [joseph, david]}
"
        );
        let result = check_root(&dir, &dir).expect("checks");
        let codes: Vec<&str> = result.diagnostics.iter().map(|d| d.code()).collect();
        assert!(codes.iter().all(|c| !["D001", "R001", "S001", "S003"].contains(c)), "{codes:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_import_naming_a_group_that_exists_nowhere_writes_nothing() {
        let dir = std::env::temp_dir().join(format!("caseshare-nogroup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("groups")).expect("mkdir");
        std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: demo\n").expect("write");
        std::fs::write(dir.join("groups/g.yaml"), "format_version: 2\ngroups:\n  - {name: g2, members: []}\n")
            .expect("write");
        let xlsx = dir.join("users.xlsx");
        let bytes = workbook(&[&["username", "group 1"], &["david", "g2"], &["maria", "g3"]], &[&["name"]]);
        std::fs::write(&xlsx, bytes).expect("write");
        let (code, err) = import_cli(&xlsx, &dir, true);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("sheet `users`, row 3, column `group 1`: group `g3`"), "{err}");
        assert!(!dir.join("users/hq-users.yaml").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// An HQ app source export with one module of `case_type` holding one form with
/// `actions`, and modules listing `listed` case types; basic or advanced.
fn app_json(advanced: bool, actions: &str, listed: &[&str]) -> String {
    let (module, form) = if advanced { ("AdvancedModule", "AdvancedForm") } else { ("Module", "Form") };
    let mut modules = vec![format!(
        r#"{{"doc_type": "{module}", "name": {{"en": "Mother"}}, "case_type": "mother", "forms": [
            {{"doc_type": "{form}", "name": {{"en": "Register"}}, "requires": "none", "actions": {actions}}}]}}"#
    )];
    modules.extend(
        listed
            .iter()
            .map(|t| format!(r#"{{"doc_type": "Module", "name": {{"en": "{t}s"}}, "case_type": "{t}", "forms": []}}"#)),
    );
    format!(
        r#"{{"doc_type": "Application", "name": "Mothers", "langs": ["en"], "case_sharing": true,
            "build_spec": {{"version": "2.53.0"}}, "modules": [{}]}}"#,
        modules.join(", ")
    )
}

fn condition(t: &str) -> String {
    format!(r#"{{"type": "{t}", "question": null, "answer": null}}"#)
}

/// A basic form's actions: `open_case` and `update_case` with their conditions
/// and update keys, and subcases `(case type, relationship, condition, properties)`.
fn basic_actions(open: &str, update: &str, update_keys: &str, subcases: &[(&str, &str, &str, &str)]) -> String {
    let subs: Vec<String> = subcases
        .iter()
        .map(|(t, r, c, props)| {
            format!(
                r#"{{"case_type": "{t}", "relationship": "{r}", "condition": {}, "case_properties": {props}}}"#,
                condition(c)
            )
        })
        .collect();
    format!(
        r#"{{"open_case": {{"condition": {}, "name_path": "/data/name"}},
            "update_case": {{"condition": {}, "update": {update_keys}}},
            "subcases": [{}]}}"#,
        condition(open),
        condition(update),
        subs.join(", ")
    )
}

/// The imported app checked with david in two case sharing groups: the codes.
fn codes_for_two_groups(json: &str) -> Vec<&'static str> {
    let yaml = import(json, "app.json").expect("imports").yaml;
    let files = [
        ("project.yaml", "format_version: 2\ndomain: hq\ncase_sharing: true\n"),
        ("apps/app.yaml", yaml.as_str()),
        (
            "groups/g.yaml",
            "format_version: 2\ngroups:\n  - {name: A, case_sharing: true, members: [david]}\n  - {name: B, case_sharing: true, members: [david]}\n",
        ),
        ("users/u.yaml", "format_version: 2\nusers:\n  - {username: david}\n"),
    ];
    check_memory(&files).diagnostics.iter().map(Diagnostic::code).collect()
}

#[test]
fn a_subcase_of_a_type_the_app_does_not_list_is_c004_whatever_its_condition() {
    // HQ's `_create_casexml` checks every subcase's type against the app's modules
    // ("Case type (child) for form (Register) does not exist"); `_get_active_actions`
    // keeps the whole subcase list, so a `never` condition does not spare it.
    for cond in ["never", "if", "always"] {
        let actions = basic_actions("always", "never", "{}", &[("child", "child", cond, "{}")]);
        let json = app_json(false, &actions, &[]);
        let yaml = import(&json, "app.json").expect("imports").yaml;
        assert!(yaml.contains("- {case_type: child, relationship: child}"), "{cond}: {yaml}");
        let r = check_memory(&[("project.yaml", "format_version: 2\ndomain: hq\n"), ("apps/app.yaml", &yaml)]);
        let c004: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.code() == "C004").collect();
        assert_eq!(c004.len(), 1, "{cond}: {:?}", r.diagnostics);
        assert_eq!(c004[0].severity, Severity::Error);
        assert!(c004[0].label.contains("Case type (child) for form (Register) does not exist"), "{}", c004[0].label);
        // With a module of the app listing `child`, HQ builds it.
        let listed = import(&app_json(false, &actions, &["child"]), "app.json").expect("imports").yaml;
        let r = check_memory(&[("project.yaml", "format_version: 2\ndomain: hq\n"), ("apps/app.yaml", &listed)]);
        assert!(r.diagnostics.iter().all(|d| d.code() != "C004"), "{cond}: {:?}", r.diagnostics);
    }
}

#[test]
fn conditions_do_not_lift_the_assertion_and_update_case_counts_only_when_active() {
    // A subcase opened only on some answers, or never: HQ asserts one group all the same.
    for cond in ["if", "never"] {
        let actions = basic_actions("never", "never", "{}", &[("child", "child", cond, "{}")]);
        assert_eq!(codes_for_two_groups(&app_json(false, &actions, &["child"])), ["G002"], "{cond}");
    }
    // `owner_id` among the subcase's properties: explicit, no assertion.
    let actions = basic_actions("never", "never", "{}", &[("child", "child", "if", r#"{"owner_id": "/data/g"}"#)]);
    assert_eq!(codes_for_two_groups(&app_json(false, &actions, &["child"])), ["G003"]);
    // `open_case` with `owner_id` in `update_case`: explicit only while `update_case` is active.
    let owner = r#"{"owner_id": "/data/group"}"#;
    let active = basic_actions("always", "always", owner, &[]);
    assert_eq!(codes_for_two_groups(&app_json(false, &active, &[])), ["G003"]);
    let inactive = basic_actions("always", "never", owner, &[]);
    let yaml = import(&app_json(false, &inactive, &[]), "app.json").expect("imports").yaml;
    assert!(yaml.contains("opens:\n          - {}\n"), "{yaml}");
    assert_eq!(codes_for_two_groups(&app_json(false, &inactive, &[])), ["G002"]);
    // An `open_case` that never runs opens nothing.
    let never = basic_actions("never", "never", "{}", &[]);
    assert!(!import(&app_json(false, &never, &[]), "app.json").expect("imports").yaml.contains("opens"));
}

#[test]
fn a_basic_subcase_marked_extension_is_owned_automatically() {
    let actions = basic_actions("never", "never", "{}", &[("visit", "extension", "always", "{}")]);
    let json = app_json(false, &actions, &["visit"]);
    assert!(import(&json, "app.json").expect("imports").yaml.contains("relationship: extension"));
    assert_eq!(codes_for_two_groups(&json), ["G002"]);
}

/// HQ's `app_manager/tests/test_extension_case.py`,
/// `ExtensionCasesCreateOwnerID.test_advanced_xform_autoset_owner_id` and
/// `test_advanced_xform_create_owner_id_explicitly_set`: whether an advanced
/// `open_cases` action with these index relationships gets an automatic owner.
#[test]
fn advanced_opens_are_owned_as_hqs_own_test_says() {
    let cases: [(&[&str], bool, bool); 9] = [
        (&["extension", "extension"], false, false),
        (&["extension", "child"], false, true),
        (&["extension", "question"], false, false),
        (&["child", "question"], false, false),
        (&[], false, true),
        (&["child"], true, false),
        (&["extension"], true, false),
        (&[], true, false),
        (&["child"], false, true),
    ];
    for (relationships, explicit, auto) in cases {
        let indices: Vec<String> = relationships
            .iter()
            .map(|r| format!(r#"{{"tag": "parent", "reference_id": "parent", "relationship": "{r}"}}"#))
            .collect();
        let properties = if explicit { r#"{"owner_id": "owner"}"# } else { "{}" };
        // The open condition does not matter either: `never` here.
        let actions = format!(
            r#"{{"open_cases": [{{"case_type": "visit", "case_indices": [{}], "case_properties": {properties},
                "open_condition": {}}}], "load_update_cases": []}}"#,
            indices.join(", "),
            condition("never")
        );
        let yaml = import(&app_json(true, &actions, &["visit"]), "app.json").expect("imports").yaml;
        let r = check_memory(&[("project.yaml", "format_version: 2\ndomain: hq\n"), ("apps/app.yaml", &yaml)]);
        let index = caseshare::index::Index::build(&r.project);
        let creations = &index.apps[0].creations;
        assert_eq!(creations.len(), 1, "{relationships:?}: {yaml}");
        assert_eq!(creations[0].auto_owner(), auto, "{relationships:?}, explicit {explicit}: {yaml}");
    }
}

#[test]
fn a_subcase_without_a_case_type_is_left_out_with_a_warning() {
    // HQ refuses to build it ("subcase has no case type"): no entry to guess a type for.
    let actions = basic_actions("always", "never", "{}", &[("", "child", "always", "{}")]);
    let out = import(&app_json(false, &actions, &[]), "app.json").expect("imports");
    assert!(out.yaml.contains("opens:\n          - {}\n"), "{}", out.yaml);
    assert!(!out.yaml.contains("relationship"), "{}", out.yaml);
    assert!(
        out.warnings.iter().any(|w| w.contains("form `Register` opens a case with no case type")),
        "{:?}",
        out.warnings
    );
}

/// Two apps of one import named alike (HQ allows it: a copy, another
/// district's app) are written to two files, said so.
#[test]
fn apps_named_alike_in_one_import_get_two_files() {
    let dir = std::env::temp_dir().join(format!("caseshare-hq-alike-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: d\n").expect("write");
    let app = r#"{"doc_type": "Application", "name": "CHW", "langs": ["en"], "modules": []}"#;
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    std::fs::write(&a, app).expect("write");
    std::fs::write(&b, app).expect("write");
    let planned = caseshare::hq::import_apps(&[a, b], &dir).expect("plans");
    let rels: Vec<&str> = planned.changes.iter().map(|c| c.rel.as_str()).collect();
    assert_eq!(rels, ["apps/chw.yaml", "apps/chw-2.yaml"]);
    assert!(planned.notes.iter().any(|n| n.ends_with("is named alike, so this one is written to `apps/chw-2.yaml`")));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A group of the sheet defined in another file keeps that file's settings;
/// one that differs from the sheet's (which HQ's upload sets) is told.
#[test]
fn group_settings_that_differ_from_the_sheet_are_told() {
    let dir = std::env::temp_dir().join(format!("caseshare-hq-settings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("groups")).expect("mkdir");
    std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: d\n").expect("write");
    std::fs::write(
        dir.join("groups/villages.yaml"),
        "format_version: 2\ngroups:\n  - {name: Village A, case_sharing: true, members: []}\n",
    )
    .expect("write");
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in [
        ("users", &[&["username", "group 1"][..], &["zara", "Village A"]][..]),
        ("groups", &[&["name", "case-sharing?", "reporting?"][..], &["Village A", "no", "yes"]]),
    ] {
        let sheet = book.add_worksheet();
        sheet.set_name(name).expect("name");
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *v).expect("write");
            }
        }
    }
    let xlsx = dir.join("users.xlsx");
    std::fs::write(&xlsx, book.save_to_buffer().expect("saves")).expect("write");
    let planned = caseshare::hq::import_users(&xlsx, &dir).expect("plans");
    let warned: Vec<&String> = planned.notes.iter().filter(|n| n.starts_with("warning: group")).collect();
    assert_eq!(
        warned,
        [
            "warning: group `Village A`: the sheet says case sharing no, as HQ's upload will set it, but `groups/villages.yaml` says yes; the import keeps the file's: set `case_sharing: false` there to match HQ"
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}
