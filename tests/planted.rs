//! What a pull request can commit to make caseshare act outside the project in
//! CI: a journal of its own, `.caseshare` or a file the writer would write as a
//! link out, a name the writer would take, `caseshare.toml` or a schema linked
//! to a secret or to `/dev/zero`. Nothing outside the project is read, written
//! or removed, and nothing waits for ever.
#![cfg(unix)]

mod common;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use caseshare::write::journal::hash;
use serde_json::json;

/// A project (`proj/`, the base rule fixture) beside a folder outside it
/// (`outside/`, holding `victim.txt`), in a fresh temporary folder.
fn setup(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("caseshare-planted-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let proj = dir.join("proj");
    common::copy_tree(&common::fixtures().join("rules/base"), &proj);
    let outside = dir.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim.txt"), "SECRET-victim\n").unwrap();
    (proj, outside)
}

fn caseshare(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::cargo_bin("caseshare")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn plant_journal(proj: &Path, lines: &[serde_json::Value], commit: bool) {
    let mut text = json!({"journal": 1}).to_string() + "\n";
    for l in lines {
        text.push_str(&l.to_string());
        text.push('\n');
    }
    if commit {
        text.push_str(&json!({"commit": lines.len(), "check": hash(text.as_bytes())}).to_string());
        text.push('\n');
    }
    std::fs::create_dir_all(proj.join(".caseshare")).unwrap();
    std::fs::write(proj.join(".caseshare/journal"), text).unwrap();
}

/// A complete journal that would move a file of the pull request onto a path
/// outside the project, and an incomplete one whose rollback would remove files
/// outside it: every writing command refuses them, and nothing outside changes.
#[test]
fn a_planted_journal_touches_nothing_outside_the_project() {
    let (proj, outside) = setup("journal");
    std::fs::write(proj.join(".payload"), "#!/bin/sh\necho pwned\n").unwrap();
    let payload = std::fs::read(proj.join(".payload")).unwrap();
    let target = outside.join("bin-git");
    let moved = json!({"target": target.display().to_string(), "staged": ".payload", "backup": null, "old": null, "new": hash(&payload)});
    plant_journal(&proj, &[moved], true);
    for args in [&["recover"][..], &["migrate", "--write"], &["check", "--fix"]] {
        let (code, said) = caseshare(&proj, args);
        assert_eq!(code, Some(2), "{args:?}: {said}");
        assert!(said.contains("caseshare did not write it"), "{args:?}: {said}");
    }
    assert!(!target.exists());
    assert!(proj.join(".payload").exists());
    // An incomplete journal is undone: a target that holds the journalled new
    // content is removed (a new file) and staged files are removed. Named
    // through `..`, or through a folder committed as a link out.
    let victim = hash(&std::fs::read(outside.join("victim.txt")).unwrap());
    symlink(&outside, proj.join("evil")).unwrap();
    for folder in ["../outside", "evil"] {
        let removed = json!({"target": format!("{folder}/victim.txt"),
            "staged": format!("{folder}/.victim.txt.caseshare-1.tmp"), "backup": null, "old": "1:0", "new": victim});
        plant_journal(&proj, &[removed], false);
        let (code, said) = caseshare(&proj, &["recover"]);
        assert_eq!(code, Some(2), "{folder}: {said}");
        assert!(outside.join("victim.txt").exists(), "{folder}");
    }
    std::fs::remove_file(proj.join("evil")).unwrap();
    // Names in the project, but not the writer's: a backup that is another file.
    let other = json!({"target": "users/chws.yaml", "staged": "users/.chws.yaml.caseshare-1.tmp",
        "backup": "project.yaml", "old": "1:0", "new": "2:0"});
    plant_journal(&proj, &[other], false);
    let (code, said) = caseshare(&proj, &["recover"]);
    assert_eq!(code, Some(2), "{said}");
    assert!(proj.join("project.yaml").exists());
    assert_eq!(std::fs::read_to_string(outside.join("victim.txt")).unwrap(), "SECRET-victim\n");
    let _ = std::fs::remove_dir_all(proj.parent().unwrap());
}

/// `.caseshare` committed as a link out of the project, or its journal as a
/// link to `/dev/zero`: refused at once, and what they point at stays.
#[test]
fn a_journal_folder_or_file_that_is_a_link_is_refused() {
    let (proj, outside) = setup("journal-link");
    std::fs::write(outside.join("journal"), "not caseshare's\n").unwrap();
    symlink(&outside, proj.join(".caseshare")).unwrap();
    let (code, said) = caseshare(&proj, &["recover"]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("is not the folder caseshare keeps its journal in"), "{said}");
    let (code, said) = caseshare(&proj, &["migrate", "--write"]);
    assert_eq!(code, Some(2), "{said}");
    assert_eq!(std::fs::read_to_string(outside.join("journal")).unwrap(), "not caseshare's\n");
    std::fs::remove_file(proj.join(".caseshare")).unwrap();
    std::fs::create_dir(proj.join(".caseshare")).unwrap();
    symlink("/dev/zero", proj.join(".caseshare/journal")).unwrap();
    let (code, said) = caseshare(&proj, &["recover"]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("not a regular file"), "{said}");
    let _ = std::fs::remove_dir_all(proj.parent().unwrap());
}

/// The writer never writes through a link out of the project (a file an
/// import rewrites, committed as one), nor through a name it would take for a
/// backup that is there already (planted for it).
#[test]
fn the_writer_never_writes_through_a_link_out_of_the_project() {
    use caseshare::write::{FileWrite, WriteError, commit_files};
    let (proj, outside) = setup("writer");
    symlink(outside.join("victim.txt"), proj.join("users/linked.yaml")).unwrap();
    let write = |path: PathBuf| FileWrite { path, contents: b"users: []\n".to_vec(), create: false, read: None };
    let result = commit_files(&proj, &[write(proj.join("users/linked.yaml"))]);
    assert!(matches!(result, Err(WriteError::Outside(..))), "{result:?}");
    // A folder on the way that leads out.
    symlink(&outside, proj.join("groups/out")).unwrap();
    let result = commit_files(&proj, &[write(proj.join("groups/out/new.yaml"))]);
    assert!(matches!(result, Err(WriteError::Outside(..))), "{result:?}");
    assert!(!outside.join("new.yaml").exists());
    // The backup's name, taken by a link out before the write.
    let planted = proj.join(format!("users/.chws.yaml.caseshare-{}.orig", std::process::id()));
    symlink(outside.join("planted.sh"), &planted).unwrap();
    let result = commit_files(&proj, &[write(proj.join("users/chws.yaml"))]);
    assert!(matches!(result, Err(WriteError::Exists(ref p)) if *p == planted), "{result:?}");
    assert!(!outside.join("planted.sh").exists());
    assert!(std::fs::symlink_metadata(&planted).is_ok(), "a name the write did not make is not removed");
    assert_eq!(std::fs::read_to_string(outside.join("victim.txt")).unwrap(), "SECRET-victim\n");
    let _ = std::fs::remove_dir_all(proj.parent().unwrap());
}

/// A complete write being undone when it was interrupted (some files put
/// back, some not): a plain `recover` goes on undoing it, as the journal's
/// mark says, rather than forward over the files put back.
#[test]
fn an_interrupted_rollback_is_finished_as_a_rollback() {
    let (proj, _) = setup("rollback");
    let (a, b) = (proj.join("users/chws.yaml"), proj.join("groups/villages.yaml"));
    let (old_a, old_b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let (new_a, new_b) = ([&old_a[..], b"# new\n"].concat(), [&old_b[..], b"# new\n"].concat());
    // `a` was put back (its backup renamed over it); `b` still holds the new
    // content, with its backup beside it.
    std::fs::write(&b, &new_b).unwrap();
    std::fs::write(proj.join("groups/.villages.yaml.caseshare-7.orig"), &old_b).unwrap();
    let entry = |t: &str, folder: &str, name: &str, old: &[u8], new: &[u8]| {
        json!({"target": t, "staged": format!("{folder}/.{name}.caseshare-7.tmp"),
            "backup": format!("{folder}/.{name}.caseshare-7.orig"), "old": hash(old), "new": hash(new)})
    };
    plant_journal(
        &proj,
        &[
            entry("users/chws.yaml", "users", "chws.yaml", &old_a, &new_a),
            entry("groups/villages.yaml", "groups", "villages.yaml", &old_b, &new_b),
        ],
        true,
    );
    let mut text = std::fs::read_to_string(proj.join(".caseshare/journal")).unwrap();
    text.push_str(&(json!({"rollback": true}).to_string() + "\n"));
    std::fs::write(proj.join(".caseshare/journal"), text).unwrap();
    let (code, said) = caseshare(&proj, &["recover"]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("undid an interrupted write"), "{said}");
    assert_eq!(std::fs::read(&a).unwrap(), old_a);
    assert_eq!(std::fs::read(&b).unwrap(), old_b);
    assert!(!proj.join("groups/.villages.yaml.caseshare-7.orig").exists());
    assert!(!proj.join(".caseshare").exists());
    let _ = std::fs::remove_dir_all(proj.parent().unwrap());
}

/// `caseshare.toml`, a file an import rewrites, and a committed schema, each
/// a link to a secret outside or to `/dev/zero`: not read, nothing of the
/// secret shown, no wait.
#[test]
fn files_read_beside_the_listing_are_not_read_through_links_out() {
    let (proj, outside) = setup("beside");
    std::fs::write(outside.join("caseshare.toml"), "[files]\nexclude = \"ghp_SECRET\"\n").unwrap();
    symlink(outside.join("caseshare.toml"), proj.join("caseshare.toml")).unwrap();
    let (code, said) = caseshare(&proj, &["check", "--format", "json"]);
    assert_eq!(code, Some(2), "{said}");
    assert!(!said.contains("SECRET"), "{said}");
    std::fs::remove_file(proj.join("caseshare.toml")).unwrap();
    symlink("/dev/zero", proj.join("caseshare.toml")).unwrap();
    let (code, said) = caseshare(&proj, &["check"]);
    assert_eq!(code, Some(2), "{said}");
    std::fs::remove_file(proj.join("caseshare.toml")).unwrap();
    // An app an import would rewrite.
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hq/commcare-hq/app_case_sharing.json");
    symlink(outside.join("victim.txt"), proj.join("apps/case-sharing-on-creates-a-case.yaml")).unwrap();
    for write in [false, true] {
        let mut args = vec!["import", "hq-app", export.to_str().unwrap()];
        args.extend(write.then_some("--write"));
        let (code, said) = caseshare(&proj, &args);
        assert_eq!(code, Some(2), "{said}");
        assert!(!said.contains("SECRET"), "{said}");
    }
    // A schema in the folder `schema --check` compares.
    let schemas = proj.join("schemas");
    std::fs::create_dir_all(&schemas).unwrap();
    symlink("/dev/zero", schemas.join("app.schema.json")).unwrap();
    let (code, said) = caseshare(&proj, &["schema", "--check", "schemas"]);
    assert_eq!(code, Some(1), "{said}");
    assert_eq!(std::fs::read_to_string(outside.join("victim.txt")).unwrap(), "SECRET-victim\n");
    let _ = std::fs::remove_dir_all(proj.parent().unwrap());
}

/// `schema --out` and an export into a folder committed as a link out of the
/// project: refused, nothing written there; `schema --check` reads nothing there.
#[test]
fn an_output_folder_committed_as_a_link_out_is_refused() {
    let (proj, outside) = setup("out-link");
    symlink(&outside, proj.join("schemas")).unwrap();
    let (code, said) = caseshare(&proj, &["schema", "--out", "schemas"]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("leads outside"), "{said}");
    std::fs::write(outside.join("app.schema.json"), "SECRET-schema\n").unwrap();
    let (code, said) = caseshare(&proj, &["schema", "--check", "schemas"]);
    assert_eq!(code, Some(1), "{said}");
    let (code, said) = caseshare(&proj, &["export", "hq-users", "--out", "schemas/users.xlsx"]);
    assert_eq!(code, Some(2), "{said}");
    let mut left: Vec<String> =
        std::fs::read_dir(&outside).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["app.schema.json", "victim.txt"]);
    let _ = std::fs::remove_dir_all(proj.parent().unwrap());
}
