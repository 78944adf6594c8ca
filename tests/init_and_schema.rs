//! `caseshare init` and `caseshare schema`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caseshare-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("caseshare").expect("binary").env("NO_COLOR", "1").args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn init_makes_a_project_that_checks_clean() {
    let dir = temp("init");
    let d = dir.to_str().expect("utf-8 path");
    let (code, _, err) = run(&["init", d]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(&["check", d, "--format", "concise"]);
    assert_eq!((code, out.trim()), (0, "checked 5 files: no problems found"));
    // Every definition file names its schema, and the schema is there.
    for rel in ["project.yaml", "apps/chw.yaml", "groups/villages.yaml", "users/chws.yaml", "locations/locations.yaml"]
    {
        let text = std::fs::read_to_string(dir.join(rel)).expect("read");
        let first = text.lines().next().unwrap_or_default();
        let schema = first.strip_prefix("# yaml-language-server: $schema=").expect("modeline");
        let base = dir.join(rel);
        let target = base.parent().unwrap_or(Path::new(".")).join(schema);
        assert!(target.is_file(), "{rel}: {schema} does not resolve");
    }
    let vscode = std::fs::read_to_string(dir.join(".vscode/settings.json")).expect("read");
    let settings: serde_json::Value = serde_json::from_str(&vscode).expect("JSON");
    assert_eq!(settings["yaml.schemas"]["./schemas/app.schema.json"][0], "apps/*.yaml");
    assert!(dir.join("caseshare.toml").is_file() && dir.join(".pre-commit-config.yaml").is_file());
    // The schemas it writes are this caseshare's.
    let (code, _, err) = run(&["schema", "--check", dir.join("schemas").to_str().expect("path")]);
    assert_eq!(code, 0, "{err}");
    // A second init overwrites nothing.
    let before = std::fs::read_to_string(dir.join("project.yaml")).expect("read");
    let (code, _, err) = run(&["init", d]);
    assert_eq!(code, 2);
    assert!(err.contains("exists already"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join("project.yaml")).expect("read"), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schema_writes_and_checks() {
    let dir = temp("schema");
    let d = dir.to_str().expect("utf-8 path");
    assert_eq!(run(&["schema", "--out", d]).0, 0);
    assert_eq!(run(&["schema", "--check", d]).0, 0);
    std::fs::write(dir.join("app.schema.json"), "{}\n").expect("write");
    let (code, _, err) = run(&["schema", "--check", d]);
    assert_eq!(code, 1);
    assert!(err.contains("app.schema.json"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
