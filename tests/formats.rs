//! Output formats, configuration, suppressions and fixes through the binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::cargo_bin("caseshare").expect("binary");
    c.env("NO_COLOR", "1");
    c
}

mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary in `dir`; returns the exit code, stdout and stderr.
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = bin().current_dir(dir).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caseshare-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every project tree of the fixtures.
fn fixture_roots() -> Vec<PathBuf> {
    let mut roots = vec![root().join("fixtures/demo"), root().join("fixtures/multibyte")];
    for rule in caseshare::rules::REGISTRY {
        roots.push(common::rule_fixture(rule.code, "invalid"));
        roots.push(common::rule_fixture(rule.code, "valid"));
    }
    roots
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    // The official schema's `run.language` pattern holds a stray `]`, which
    // ECMAScript regexes read as a literal and Rust's regex engines reject; the
    // same pattern with the `]` escaped is compiled instead. caseshare never
    // writes `language`.
    let text = include_str!("data/sarif/sarif-schema-2.1.0.json");
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(text.contains(stray), "the vendored schema changed");
    let schema: Value =
        serde_json::from_str(&text.replace(stray, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#)).expect("JSON");
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    let mut results = 0;
    for dir in fixture_roots() {
        let (_, out, _) = run(&dir, &["check", "--format", "sarif"]);
        let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{}: not JSON: {e}", dir.display()));
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", dir.display());
        results += doc["runs"][0]["results"].as_array().map_or(0, Vec::len);
    }
    assert!(results >= 34, "only {results} results validated");
}

#[test]
fn json_has_the_documented_fields() {
    let (code, out, _) = run(&common::rule_fixture("G002", "invalid"), &["check", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["version"], 1);
    let d = &doc["diagnostics"][0];
    for key in ["file", "line", "column", "end", "span", "code", "name", "severity", "message", "help", "related"] {
        assert!(!d[key].is_null(), "missing `{key}` in {d}");
    }
    assert_eq!(d["code"], "G002");
    assert_eq!(d["name"], "creator-in-multiple-owners");
    assert_eq!(d["related"][0]["file"], "apps/chw.yaml");
    assert_eq!(doc["summary"]["errors"], 1);
}

/// The expected 1-based line, character column and UTF-16 column of the n-th
/// occurrence of `needle`, counted independently of caseshare.
fn expected(text: &str, needle: &str, nth: usize) -> (usize, usize, usize, usize, usize) {
    let at = text.match_indices(needle).nth(nth).expect("needle").0;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count() + 1;
    let prefix = &text[line_start..at];
    let end_prefix = &text[line_start..at + needle.len()];
    (
        line,
        prefix.chars().count() + 1,
        prefix.encode_utf16().count() + 1,
        end_prefix.chars().count() + 1,
        end_prefix.encode_utf16().count() + 1,
    )
}

#[test]
fn multibyte_names_give_the_right_positions_in_every_format() {
    let dir = root().join("fixtures/multibyte");
    let text = std::fs::read_to_string(dir.join("groups/villages.yaml")).expect("read");
    // G006 on the second सीता, after an emoji (two UTF-16 units) on the same line.
    let (line, col, col16, end_col, end_col16) = expected(&text, "सीता", 1);
    assert_ne!(col, col16, "the line must hold a character outside the BMP");

    let (_, concise, _) = run(&dir, &["check", "--format", "concise"]);
    assert!(concise.contains(&format!("groups/villages.yaml:{line}:{col}: warning[G006]")), "{concise}");

    let (_, json, _) = run(&dir, &["check", "--format", "json"]);
    let doc: Value = serde_json::from_str(&json).expect("JSON");
    let d = doc["diagnostics"].as_array().expect("list").iter().find(|d| d["code"] == "G006").expect("G006");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(line as u64), Some(col as u64)));
    assert_eq!(d["end"]["column"].as_u64(), Some(end_col as u64));

    let (_, sarif, _) = run(&dir, &["check", "--format", "sarif"]);
    let doc: Value = serde_json::from_str(&sarif).expect("SARIF");
    let r =
        doc["runs"][0]["results"].as_array().expect("results").iter().find(|r| r["ruleId"] == "G006").expect("G006");
    let region = &r["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"].as_u64(), Some(line as u64));
    assert_eq!(region["startColumn"].as_u64(), Some(col16 as u64));
    assert_eq!(region["endColumn"].as_u64(), Some(end_col16 as u64));
    assert_eq!(doc["runs"][0]["columnKind"], "utf16CodeUnits");

    let (_, github, _) = run(&dir, &["check", "--format", "github"]);
    let want = format!(
        "::warning file=groups/villages.yaml,line={line},col={col},endLine={line},endColumn={end_col},title=G006::"
    );
    assert!(github.contains(&want), "{github}");

    // The human report points at the same line and column.
    let (_, human, _) = run(&dir, &["check"]);
    assert!(human.contains(&format!("[groups/villages.yaml:{line}:{col}]")), "{human}");
}

/// The human report of a project whose lines end in a `\r` alone numbers its
/// lines as the other formats do, one line each, with no `\r` in the output:
/// miette breaks lines at `\n` only, and showed the file as one long line.
#[test]
fn the_human_report_numbers_the_lines_of_a_file_with_carriage_returns_alone() {
    let dir = temp("human-cr");
    copy_dir(&root().join("fixtures/rules/base"), &dir);
    copy_dir(&common::rule_fixture("G002", "invalid"), &dir);
    for file in ["groups/villages.yaml", "apps/chw.yaml"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("read").replace("\r\n", "\n").replace('\n', "\r");
        std::fs::write(dir.join(file), text).expect("write");
    }
    let groups = std::fs::read_to_string(dir.join("groups/villages.yaml")).expect("read");
    let lines: Vec<&str> = groups.split('\r').collect();
    let (a, b) = (
        lines.iter().position(|l| l.contains("Village A")).expect("Village A"),
        lines.iter().position(|l| l.contains("Village B")).expect("Village B"),
    );
    let (code, human, _) = run(&dir, &["check"]);
    assert_eq!(code, 1, "{human}");
    assert!(!human.contains('\r'), "{human:?}");
    let (_, concise, _) = run(&dir, &["check", "--format", "concise"]);
    let at = concise.lines().find(|l| l.contains("[G002]")).expect("G002");
    let place = at.split(": ").next().expect("place");
    assert!(human.contains(&format!("[{place}]")), "{concise}\n{human}");
    for (i, line) in [(a, lines[a]), (b, lines[b])] {
        assert!(human.contains(&format!(" {} │ {line}\n", i + 1)), "line {}: {human}", i + 1);
    }
    // The related note in the app is shown on its own line too.
    let app = std::fs::read_to_string(dir.join("apps/chw.yaml")).expect("read");
    let refer = app.split('\r').position(|l| l.contains("Refer to clinic")).expect("the form") + 1;
    assert!(human.contains(&format!("[apps/chw.yaml:{refer}:")), "{human}");
    assert!(human.contains(&format!(" {refer} │       - {{name: Refer to clinic")), "{human}");
}

/// A name's control characters are escapes in the formats a terminal or a CI
/// log shows: one line per diagnostic in concise, no forged workflow command in
/// GitHub's, nothing hidden in the human report.
#[test]
fn control_characters_in_names_are_escaped_in_text_formats() {
    let dir = temp("control");
    copy_dir(&root().join("fixtures/rules/base"), &dir);
    let users = "format_version: 2\nusers:\n  - {username: david, role: chw}\n  - {username: maria, role: chw}\n  - {username: x, role: \"nurse\\n::error::forged\\e[8m\"}\n";
    std::fs::write(dir.join("users/chws.yaml"), users).expect("write");
    let shown = "`nurse\\n::error::forged\\u{1b}[8m`";
    for format in ["concise", "github", "human"] {
        let (code, out, _) = run(&dir, &["check", "--format", format]);
        assert_eq!(code, 1, "{format}: {out}");
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{format}: {out:?}");
        assert!(!out.lines().any(|l| l.trim_start().starts_with("::error::forged")), "{format}: {out}");
        assert!(out.contains(shown), "{format}: {out}");
    }
    let (_, concise, _) = run(&dir, &["check", "--format", "concise"]);
    assert_eq!(concise.lines().filter(|l| l.contains("[R001]")).count(), 1, "{concise}");
    // JSON keeps the name as it is.
    let (_, json, _) = run(&dir, &["check", "--format", "json"]);
    assert!(json.contains("nurse\\n::error::forged\\u001b[8m"), "{json}");
    // A file that holds such characters raw does not parse; its snippet in the
    // human report shows a placeholder for each, the rest of its line kept.
    std::fs::write(
        dir.join("groups/villages.yaml"),
        "format_version: 2\ngroups:\n  - {name: \"evil\u{1b}[8m hidden \u{202e}x\", members: [david]}\n",
    )
    .expect("write");
    let (_, human, _) = run(&dir, &["check"]);
    assert!(!human.chars().any(|c| c.is_control() && c != '\n' || c == '\u{202e}'), "{human:?}");
    assert!(human.contains("evil?[8m hidden \u{fffd}x"), "{human}");
}

/// A name with a character no one sees (a zero-width space, a no-break
/// space, a bidirectional override) reads as another name: `da\u{200b}vid`
/// shown as it is reads as `david`, a user who exists. Every format people
/// read shows such a character as an escape; JSON keeps the name as it is.
#[test]
fn invisible_characters_in_names_are_shown_as_escapes() {
    let dir = temp("invisible");
    copy_dir(&root().join("fixtures/rules/base"), &dir);
    std::fs::write(
        dir.join("groups/villages.yaml"),
        "format_version: 2\ngroups:\n  - {name: \"Village\\u00a0A\", case_sharing: true, members: [\"da\\u200bvid\"]}\n  - {name: Village B, case_sharing: true, members: [maria, \"mar\\u202eia\"]}\n",
    )
    .expect("write");
    for format in ["concise", "github", "human", "sarif"] {
        let (code, mut out, _) = run(&dir, &["check", "--format", format]);
        assert_eq!(code, 1, "{format}: {out}");
        if format == "sarif" {
            // The texts of its results, as code scanning shows them.
            let doc: Value = serde_json::from_str(&out).expect("SARIF");
            let results = doc["runs"][0]["results"].as_array().expect("results");
            out = results.iter().map(|r| format!("{}\n", r["message"]["text"].as_str().expect("text"))).collect();
        }
        for c in ['\u{200b}', '\u{a0}', '\u{202e}'] {
            assert!(!out.contains(c), "{format}: {c:?} in {out:?}");
        }
        assert!(out.contains("`da\\u{200b}vid`"), "{format}: {out}");
        assert!(out.contains("`mar\\u{202e}ia`"), "{format}: {out}");
    }
    let (_, json, _) = run(&dir, &["check", "--format", "json"]);
    let doc: Value = serde_json::from_str(&json).expect("JSON");
    let messages: Vec<&str> =
        doc["diagnostics"].as_array().expect("diagnostics").iter().filter_map(|d| d["message"].as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("`da\u{200b}vid`")), "{messages:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file's path in SARIF is a URI reference: a space, `#`, `%` or a letter
/// outside ASCII in its name is percent-encoded, or code scanning would point
/// at another file (`#` starts a fragment).
#[test]
fn sarif_paths_are_percent_encoded() {
    let dir = temp("sarif-uri");
    common::copy_tree(&common::fixtures().join("rules/base"), &dir);
    let text = std::fs::read_to_string(dir.join("groups/villages.yaml")).expect("read");
    std::fs::remove_file(dir.join("groups/villages.yaml")).expect("remove");
    std::fs::write(dir.join("groups/v 1 #a %é.yaml"), text.replacen("case_sharing: true", "case_sharing: yes", 1))
        .expect("write");
    let (_, sarif, _) = run(&dir, &["check", "--format", "sarif"]);
    let doc: Value = serde_json::from_str(&sarif).expect("SARIF");
    let uris: Vec<&str> = doc["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().expect("uri"))
        .collect();
    assert!(!uris.is_empty(), "{sarif}");
    assert!(uris.iter().all(|u| *u == "groups/v%201%20%23a%20%25%C3%A9.yaml"), "{uris:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deny_warnings_statistics_and_quiet() {
    let dir = common::rule_fixture("G005", "invalid");
    assert_eq!(run(&dir, &["check"]).0, 0);
    assert_eq!(run(&dir, &["check", "--deny-warnings"]).0, 1);
    let (_, stats, _) = run(&dir, &["check", "--statistics", "--quiet"]);
    assert_eq!(stats.trim(), "1  G005  warning  empty-sharing-group");
    let (_, quiet, _) = run(&dir, &["check", "--quiet", "--format", "concise"]);
    assert!(!quiet.contains("checked"), "{quiet}");
    assert_eq!(quiet.lines().count(), 1);
}

#[test]
fn configuration_sets_levels_and_excludes_files() {
    let dir = temp("config");
    copy_dir(&common::rule_fixture("G005", "invalid"), &dir);
    std::fs::write(dir.join("caseshare.toml"), "[rules]\nG005 = \"error\"\n").expect("write");
    let (code, out, _) = run(&dir, &["check", "--format", "concise"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[G005]"), "{out}");
    std::fs::write(dir.join("caseshare.toml"), "[rules]\nG005 = \"off\"\n").expect("write");
    let (code, out, _) = run(&dir, &["check", "--format", "concise"]);
    assert_eq!((code, out.trim().lines().count()), (0, 1), "{out}");
    // An excluded file is not read at all.
    std::fs::create_dir_all(dir.join("apps/drafts")).expect("mkdir");
    std::fs::write(dir.join("apps/drafts/wip.yaml"), "name: [unfinished\n").expect("write");
    std::fs::write(dir.join("caseshare.toml"), "[files]\nexclude = [\"apps/drafts/**\"]\n").expect("write");
    let (_, out, _) = run(&dir, &["check", "--format", "concise"]);
    assert!(!out.contains("wip.yaml"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// G003 leaves to G002 and G001 the users they report; turned off in
/// `caseshare.toml`, they leave those users to G003, not unreported.
#[test]
fn a_rule_turned_off_leaves_its_users_to_g003() {
    for (code, fixture, message) in [
        ("G002", "G002", "has 2 case owners; the project expects exactly one"),
        ("G001", "G001", "has no case owner; the project expects exactly one"),
    ] {
        let dir = temp(&format!("off-{code}"));
        copy_dir(&common::rule_fixture(fixture, "invalid"), &dir);
        let (_, out, _) = run(&dir, &["check", "--format", "concise"]);
        assert!(out.contains(&format!("error[{code}]")) && !out.contains("[G003]"), "{out}");
        std::fs::write(dir.join("caseshare.toml"), format!("[rules]\n{code} = \"off\"\n")).expect("write");
        let (_, out, _) = run(&dir, &["check", "--format", "concise"]);
        assert!(!out.contains(&format!("[{code}]")), "{out}");
        assert!(out.lines().any(|l| l.contains("warning[G003]") && l.contains(message)), "{code}: {out}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_bad_configuration_is_a_usage_error_naming_the_line() {
    let dir = temp("badconfig");
    copy_dir(&root().join("fixtures/demo"), &dir);
    for (toml, want) in [
        ("[rules]\nG003 = \"off\"\nG999 = \"off\"\n", "caseshare.toml:3: unknown rule code `G999`"),
        ("[rules]\nG003 = \"loud\"\n", "caseshare.toml:2: unknown level `loud`"),
        ("[rulez]\n", "caseshare.toml:1: unknown field `rulez`"),
    ] {
        std::fs::write(dir.join("caseshare.toml"), toml).expect("write");
        let (code, _, err) = run(&dir, &["check"]);
        assert_eq!(code, 2, "{toml}");
        assert!(err.contains(want), "{toml}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fixes_apply_once_and_leave_every_other_byte() {
    let dir = temp("fix");
    copy_dir(&root().join("fixtures/multibyte"), &dir);
    let groups = dir.join("groups/villages.yaml");
    let before = std::fs::read_to_string(&groups).expect("read");
    let (code, diff, _) = run(&dir, &["check", "--diff"]);
    assert_eq!(code, 1);
    assert!(diff.contains("-  - {name: \"ቀበሌ 01\", case_sharing: yes, members: [አበበ]}"), "{diff}");
    assert!(diff.contains("+  - {name: \"ቀበሌ 01\", case_sharing: true, members: [አበበ]}"), "{diff}");
    let (code, out, err) = run(&dir, &["check", "--fix", "--format", "concise"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("fixed 2 problems in 1 file"), "{err}");
    let after = std::fs::read_to_string(&groups).expect("read");
    let expected = before
        .replace("members: [सीता, गीता, सीता]", "members: [सीता, गीता]")
        .replace("case_sharing: yes", "case_sharing: true");
    assert_eq!(after, expected);
    // Fixing again changes nothing.
    let (code, diff, _) = run(&dir, &["check", "--diff"]);
    assert_eq!((code, diff.as_str()), (0, ""));
    let (_, _, err) = run(&dir, &["check", "--fix"]);
    assert!(!err.contains("fixed"), "{err}");
    assert_eq!(std::fs::read_to_string(&groups).expect("read"), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A repeated member is the file's only problem: its text was set aside after
/// loading, and the fix is made from the file read again.
#[test]
fn a_repeated_member_alone_in_its_file_is_fixed() {
    let dir = temp("fixg006");
    copy_dir(&root().join("fixtures/demo"), &dir);
    let groups = dir.join("groups/villages.yaml");
    let before = std::fs::read_to_string(&groups).expect("read");
    let with = before.replacen("members: [joseph, grace, fatima]", "members: [joseph, grace, fatima, grace]", 1);
    assert_ne!(with, before);
    std::fs::write(&groups, &with).expect("write");
    let (_, diff, _) = run(&dir, &["check", "--diff"]);
    assert!(
        diff.contains("-    members: [joseph, grace, fatima, grace]\n+    members: [joseph, grace, fatima]\n"),
        "{diff}"
    );
    let (_, _, err) = run(&dir, &["check", "--fix"]);
    assert!(err.contains("fixed 1 problem in 1 file"), "{err}");
    assert_eq!(std::fs::read_to_string(&groups).expect("read"), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fixing_a_version_quotes_it_as_written() {
    let dir = temp("fixversion");
    copy_dir(&common::rule_fixture("Y005", "invalid"), &dir);
    let (code, _, _) = run(&dir, &["check", "--fix"]);
    assert_eq!(code, 0);
    let app = std::fs::read_to_string(dir.join("apps/chw.yaml")).expect("read");
    assert!(app.contains("commcare_version: \"2.10\"\n"), "{app}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn completions_are_printed() {
    let (code, out, _) = run(&root(), &["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("caseshare") && out.contains("--deny-warnings"), "{out}");
}
