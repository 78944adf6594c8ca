//! The binary: exit codes, formats, explain and rules.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

mod common;

fn bin() -> Command {
    Command::cargo_bin("caseshare").expect("binary")
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(rel)
}

fn stdout(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.env("NO_COLOR", "1").output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_exits_zero_with_no_diagnostics() {
    let (code, out, _) = stdout(bin().arg("check").arg(fixture("demo")));
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.trim(), "checked 8 files: no problems found");
}

#[test]
fn errors_exit_one_and_concise_lines_have_the_spec_shape() {
    let (code, out, _) =
        stdout(bin().current_dir(common::rule_fixture("G002", "invalid")).args(["check", "--format", "concise"]));
    assert_eq!(code, 1, "{out}");
    let line = out.lines().find(|l| l.contains("[G002]")).expect("a G002 line");
    // path:line:col: severity[CODE] message
    let mut parts = line.splitn(4, ':');
    let path = parts.next().unwrap_or_default();
    assert!(path.ends_with(".yaml"), "{line}");
    assert!(parts.next().unwrap_or_default().parse::<usize>().is_ok(), "{line}");
    assert!(parts.next().unwrap_or_default().parse::<usize>().is_ok(), "{line}");
    assert!(parts.next().unwrap_or_default().starts_with(" error[G002] user `david`"), "{line}");
}

#[test]
fn warnings_alone_exit_zero() {
    let (code, out, _) =
        stdout(bin().args(["check", "--format", "concise"]).arg(common::rule_fixture("G005", "invalid")));
    assert!(out.contains("warning[G005]"), "{out}");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_file_path_checks_its_whole_project() {
    let file = common::rule_fixture("G002", "invalid").join("project.yaml");
    let (code, out, _) = stdout(bin().args(["check", "--format", "concise"]).arg(file));
    assert_eq!(code, 1);
    assert!(out.contains("[G002]"), "{out}");
}

#[test]
fn no_project_root_exits_two() {
    let dir = std::env::temp_dir().join(format!("caseshare-noproject-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (code, _, err) = stdout(bin().arg("check").arg(&dir));
    assert_eq!(code, 2);
    assert!(err.contains("no project.yaml"), "{err}");
    let (code, _, _) = stdout(bin().arg("check").arg(dir.join("missing")));
    assert_eq!(code, 2);
}

#[test]
fn bad_arguments_exit_two() {
    let (code, _, _) = stdout(bin().args(["check", "--format", "xml"]));
    assert_eq!(code, 2);
    let (code, _, err) = stdout(bin().args(["explain", "Z999"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule code"), "{err}");
}

#[test]
fn explain_prints_the_rule_doc() {
    let (code, out, _) = stdout(bin().args(["explain", "g002"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("# G002 (creator-in-multiple-owners)"), "{out}");
    for heading in ["### What it does", "### Why is this bad", "### Example", "### Use instead"] {
        assert!(out.contains(heading), "{out}");
    }
}

#[test]
fn rules_lists_every_rule() {
    let (code, out, _) = stdout(bin().arg("rules"));
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), caseshare::rules::REGISTRY.len());
    assert!(out.lines().any(|l| l.starts_with("G002  creator-in-multiple-owners")), "{out}");
}

#[test]
fn an_unreadable_file_is_reported_and_the_rest_still_checked() {
    let dir = std::env::temp_dir().join(format!("caseshare-unreadable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("users")).expect("temp dir");
    std::fs::create_dir_all(dir.join("groups")).expect("temp dir");
    std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: demo\n").expect("write");
    std::fs::write(dir.join("groups/g.yaml"), "format_version: 2\ngroups:\n  - {name: A, case_sharing: true}\n")
        .expect("write");
    // A dangling symlink cannot be read.
    std::os::unix::fs::symlink(dir.join("nowhere.yaml"), dir.join("users/broken.yaml")).expect("symlink");
    let (code, out, err) = stdout(bin().args(["check", "--format", "concise"]).arg(&dir));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("cannot read") && err.contains("broken.yaml"), "{err}");
    // The other files were still checked.
    assert!(out.contains("warning[G005]"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
