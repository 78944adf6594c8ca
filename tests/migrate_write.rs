//! `caseshare migrate` on disk: the diff, `--check` and `--write` modes with their
//! exit codes, and the all-or-nothing promise: a read-only target, or a failure
//! injected between two renames, leaves the tree byte-identical (contents, modes,
//! no stray files).

mod common;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use caseshare::migrate;
use caseshare::write;

fn fixture(case: &str, side: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/migrate").join(case).join(side)
}

/// A copy of a golden `before` tree in a fresh temporary folder.
fn copy(case: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caseshare-migrate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (rel, (bytes, _)) in snapshot(&fixture(case, "before")) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    dir
}

/// Every file under `dir` (dot-files included): its bytes and permission bits.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).into_iter().map(Result::unwrap).filter(|e| e.file_type().is_file()) {
        let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        out.insert(rel, (std::fs::read(e.path()).unwrap(), mode(e.path())));
    }
    out
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode(p: &Path) -> u32 {
    u32::from(std::fs::metadata(p).unwrap().permissions().readonly())
}

/// A new project in a fresh temporary folder, from `(path, content)` pairs.
fn fresh(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caseshare-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (rel, text) in files {
        std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
        std::fs::write(dir.join(rel), text).unwrap();
    }
    dir
}

fn caseshare(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("caseshare").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

/// The project at `dir`, read whole.
fn read(dir: &std::path::Path) -> caseshare::read::Sources {
    caseshare::read::read_project(dir, dir, &caseshare::config::Config::load(dir).unwrap())
}

#[test]
fn diff_then_check_then_write_then_nothing() {
    let dir = copy("user-groups", "modes");
    let before = snapshot(&dir);
    let out = caseshare(&dir).arg("migrate").assert().code(0).get_output().clone();
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.contains("--- a/users/chws.yaml\n+++ b/users/chws.yaml\n"), "{diff}");
    assert!(diff.contains("-    groups: [Village A]   # moved to the group\n+    # moved to the group\n"), "{diff}");
    assert_eq!(snapshot(&dir), before, "the diff mode wrote something");

    let out = caseshare(&dir).args(["migrate", "--check"]).assert().code(1).get_output().clone();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "would rewrite groups/a-villages.yaml\nwould rewrite groups/b-current.yaml\nwould rewrite project.yaml\nwould rewrite users/chws.yaml\n"
    );
    assert_eq!(snapshot(&dir), before, "--check wrote something");

    caseshare(&dir).args(["migrate", "--write"]).assert().code(0);
    let after = snapshot(&dir);
    let expected = snapshot(&fixture("user-groups", "after"));
    let contents =
        |t: &BTreeMap<String, (Vec<u8>, u32)>| t.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect::<Vec<_>>();
    assert_eq!(contents(&after), contents(&expected));
    for (rel, (_, m)) in &after {
        assert_eq!(*m, before[rel].1, "{rel}: mode changed");
    }
    caseshare(&dir).args(["migrate", "--check"]).assert().code(0);
    caseshare(&dir.join("users")).args(["migrate", "--check"]).assert().code(0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn file_modes_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = copy("user-groups", "keep-modes");
    std::fs::set_permissions(dir.join("users/chws.yaml"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::set_permissions(dir.join("project.yaml"), std::fs::Permissions::from_mode(0o600)).unwrap();
    caseshare(&dir).args(["migrate", "--write"]).assert().code(0);
    assert_eq!(mode(&dir.join("users/chws.yaml")), 0o640);
    assert_eq!(mode(&dir.join("project.yaml")), 0o600);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refusal_writes_nothing_and_exits_1() {
    let dir = copy("user-groups", "refused");
    std::fs::write(dir.join("users/more.yaml"), "users:\n  - {username: zoe, groups: [Village Z]}\n").unwrap();
    let before = snapshot(&dir);
    let out = caseshare(&dir).args(["migrate", "--write"]).assert().code(1).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("user `zoe` is in group `Village Z`, which no file defines"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(snapshot(&dir), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_read_only_target_leaves_the_tree_as_it_was() {
    let dir = copy("user-groups", "read-only");
    let target = dir.join("users/chws.yaml");
    let mut perms = std::fs::metadata(&target).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&target, perms).unwrap();
    let before = snapshot(&dir);
    let out = caseshare(&dir).args(["migrate", "--write"]).assert().code(2).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("users/chws.yaml` is read-only; nothing was written"), "{err}");
    assert_eq!(snapshot(&dir), before, "the tree changed");
    let mut perms = std::fs::metadata(&target).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&target, perms).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failure_between_two_renames_restores_the_tree() {
    for failing in [1, 2, 3] {
        let dir = copy("user-groups", &format!("rename-{failing}"));
        let before = snapshot(&dir);
        let inputs = read(&dir);
        let changes = migrate::migrate(&inputs).unwrap();
        assert_eq!(changes.len(), 4);
        let mut renamed = 0;
        let result = write::commit_files_with(&dir, &write::files_of(&changes), &mut |step| {
            if let write::Step::Rename(i) = step {
                if i == failing {
                    return Err(std::io::Error::other("injected failure"));
                }
                renamed += 1;
            }
            Ok(())
        });
        let e = result.expect_err("the injected failure");
        assert!(e.to_string().contains("injected failure; nothing was written"), "{e}");
        assert_eq!(renamed, failing, "files renamed before the failure");
        assert_eq!(snapshot(&dir), before, "the tree changed after a failure at rename {failing}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_failure_while_staging_leaves_no_temporary_file() {
    let dir = copy("user-groups", "stage");
    let before = snapshot(&dir);
    let changes = migrate::migrate(&read(&dir)).unwrap();
    let result = write::commit_files_with(&dir, &write::files_of(&changes), &mut |step| match step {
        write::Step::Stage(3) => Err(std::io::Error::other("disk full")),
        _ => Ok(()),
    });
    assert!(result.is_err());
    assert_eq!(snapshot(&dir), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_followed_not_replaced() {
    let dir = copy("user-groups", "symlink");
    let real = dir.join("real-users.yaml");
    std::fs::rename(dir.join("users/chws.yaml"), &real).unwrap();
    std::os::unix::fs::symlink(&real, dir.join("users/chws.yaml")).unwrap();
    caseshare(&dir).args(["migrate", "--write"]).assert().code(0);
    assert!(std::fs::symlink_metadata(dir.join("users/chws.yaml")).unwrap().file_type().is_symlink());
    let expected = std::fs::read(fixture("user-groups", "after").join("users/chws.yaml")).unwrap();
    assert_eq!(std::fs::read(&real).unwrap(), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn enable_sharing_on_disk_then_check_is_clean_for_the_app() {
    let dir = fresh(
        "enable",
        &[
            ("project.yaml", "format_version: 2\ndomain: d1\n"),
            (
                "apps/chw.yaml",
                "format_version: 2\nname: CHW\ncommcare_version: \"1.9\"\nmodules:\n  - {name: H, case_type: household, forms: [{name: R, opens: [{}]}]}\n",
            ),
            ("users/all.yaml", "format_version: 2\nusers:\n  - {username: david}\n  - {username: maria}\n"),
        ],
    );
    let args = ["enable-sharing", "--app", "chw", "--group", "Village A"];
    let out = caseshare(&dir).args(args).assert().code(0).get_output().clone();
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.contains("--- /dev/null\n+++ b/groups/village-a.yaml\n"), "{diff}");
    caseshare(&dir).args(args).arg("--check").assert().code(1);
    caseshare(&dir).args(args).arg("--write").assert().code(0);
    let out = caseshare(&dir).args(["check", "--format", "concise"]).assert().code(0).get_output().clone();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "checked 4 files: no problems found\n");
    caseshare(&dir).args(args).arg("--check").assert().code(0);
    // The groups folder did not exist: it was created.
    assert!(dir.join("groups/village-a.yaml").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_enable_sharing_removes_the_folder_it_created() {
    let dir = fresh(
        "enable-fail",
        &[
            ("project.yaml", "format_version: 2\ndomain: d1\n"),
            ("apps/chw.yaml", "format_version: 2\nname: CHW\ncommcare_version: \"2.0\"\nmodules: []\n"),
            ("users/all.yaml", "format_version: 2\nusers:\n  - {username: david}\n"),
        ],
    );
    let before = snapshot(&dir);
    let inputs = read(&dir);
    let changes = migrate::enable_sharing::enable_sharing(&inputs, &["chw".to_string()], Some("Village A"))
        .expect("planned")
        .changes;
    // The new groups file (and its folder) comes last: fail there, after the others moved in.
    let last = changes.len() - 1;
    assert!(changes[last].before.is_none() && last > 0, "{changes:#?}");
    let result = write::commit_files_with(&dir, &write::files_of(&changes), &mut |step| match step {
        write::Step::Rename(i) if i == last => Err(std::io::Error::other("injected")),
        _ => Ok(()),
    });
    assert!(result.is_err());
    assert_eq!(snapshot(&dir), before);
    assert!(!dir.join("groups").exists(), "the created folder is left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn enable_sharing_never_overwrites_a_file_it_was_not_shown() {
    // An excluded file is not part of the project, but it is still on disk.
    let dir = fresh(
        "enable-excluded",
        &[
            ("project.yaml", "format_version: 2\ndomain: d1\n"),
            ("caseshare.toml", "[files]\nexclude = [\"groups/field-team.yaml\"]\n"),
            ("groups/field-team.yaml", "# hand-maintained drafts, do not lose\nformat_version: 2\ngroups: []\n"),
            ("apps/chw.yaml", "format_version: 2\nname: CHW\ncommcare_version: \"2.0\"\nmodules: []\n"),
            ("users/all.yaml", "format_version: 2\nusers:\n  - {username: david}\n"),
        ],
    );
    let drafts = std::fs::read(dir.join("groups/field-team.yaml")).unwrap();
    caseshare(&dir).args(["enable-sharing", "--app", "chw", "--group", "Field Team", "--write"]).assert().code(0);
    assert_eq!(std::fs::read(dir.join("groups/field-team.yaml")).unwrap(), drafts);
    assert!(std::fs::read_to_string(dir.join("groups/field-team-2.yaml")).unwrap().contains("- name: Field Team\n"));
    // And the writer itself refuses to create over an existing file.
    let e = write::commit_files(
        &dir,
        &[write::FileWrite { path: dir.join("project.yaml"), contents: b"x".to_vec(), create: true, read: None }],
    )
    .expect_err("exists");
    assert!(e.to_string().contains("exists already; nothing was written"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A users file given a second name by `link` makes `migrate --write` write
/// nothing: the two paths are one file.
#[cfg(unix)]
fn a_second_name_is_refused(name: &str, link: fn(&Path, &Path) -> std::io::Result<()>) {
    let dir = copy("user-groups", name);
    link(&dir.join("users/chws.yaml"), &dir.join("users/again.yaml")).unwrap();
    let before = snapshot(&dir);
    let out = caseshare(&dir).args(["migrate", "--write"]).assert().code(2).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("are one file (a link); nothing was written"), "{err}");
    assert_eq!(snapshot(&dir), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn two_links_to_one_file_are_refused_before_writing() {
    a_second_name_is_refused("two-links", |a, b| std::os::unix::fs::symlink(a, b));
}

#[cfg(unix)]
#[test]
fn two_hard_links_to_one_file_are_refused_before_writing() {
    // A hard link is one file under two names: writing each name would split them.
    a_second_name_is_refused("two-hard-links", |a, b| std::fs::hard_link(a, b));
}

/// Two writers that read the project before either wrote: the second one's
/// files are not what it read any more, and it writes nothing, rather than
/// undo the first one's change (a rename of David beside one of Village A).
#[test]
fn a_file_changed_since_the_command_read_it_is_not_written() {
    let dir = fresh("changed", &[("project.yaml", "format_version: 2\ndomain: d1\n"), ("users/u.yaml", "users: []\n")]);
    let read = "format_version: 2\ndomain: d1\n";
    let change = |rel: &str, before: &str, after: &str| write::Change {
        rel: rel.into(),
        display: rel.into(),
        abs: dir.join(rel),
        before: Some(before.into()),
        after: after.into(),
    };
    // Another writer (or an editor's save) changed the file meanwhile.
    std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: d2\n").unwrap();
    let before = snapshot(&dir);
    let changes = [
        change("users/u.yaml", "users: []\n", "users: [{username: a}]\n"),
        change("project.yaml", read, "format_version: 2\ndomain: d3\n"),
    ];
    let e = write::commit(&dir, &changes).expect_err("changed");
    assert_eq!(
        e.to_string(),
        format!(
            "`{}` changed since caseshare read it; nothing was written: run the command again",
            dir.join("project.yaml").display()
        )
    );
    assert_eq!(snapshot(&dir), before, "nothing written, nothing left behind");
    // As read, it is written.
    let now = "format_version: 2\ndomain: d2\n";
    let changes = [change("project.yaml", now, "format_version: 2\ndomain: d3\n")];
    write::commit(&dir, &changes).expect("written");
    assert_eq!(std::fs::read_to_string(dir.join("project.yaml")).unwrap(), "format_version: 2\ndomain: d3\n");
    // A new file that came meanwhile is not overwritten either.
    let new = write::Change { before: None, ..change("users/v.yaml", "", "users: []\n") };
    std::fs::write(dir.join("users/v.yaml"), "users: [{username: b}]\n").unwrap();
    let e = write::commit(&dir, &[new]).expect_err("exists");
    assert!(e.to_string().contains("exists already; nothing was written"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A write killed after its commit point, and one of its files edited before
/// the recovery: going forward would overwrite the edit, so nothing is moved
/// in; going back keeps the edit and puts the other file back.
#[test]
fn an_edit_made_after_a_crash_is_not_overwritten_by_the_recovery() {
    use caseshare::write::journal::hash;
    let dir = fresh("edited-after-crash", &[("project.yaml", "domain: d1\n"), ("users/u.yaml", "users: []\n")]);
    let files = [("project.yaml", "domain: d1\n", "domain: d2\n"), ("users/u.yaml", "users: []\n", "users: [a]\n")];
    let mut intent = format!("{}\n", serde_json::json!({"journal": 1}));
    for (rel, old, new) in files {
        let (folder, name) = rel.rsplit_once('/').map_or(("", rel), |(f, n)| (f, n));
        let staged = if folder.is_empty() {
            format!(".{name}.caseshare-1.tmp")
        } else {
            format!("{folder}/.{name}.caseshare-1.tmp")
        };
        let backup = staged.replace(".tmp", ".orig");
        std::fs::write(dir.join(&staged), new).unwrap();
        std::fs::hard_link(dir.join(rel), dir.join(&backup)).unwrap();
        let line = serde_json::json!({
            "target": rel, "staged": staged, "backup": backup,
            "old": hash(old.as_bytes()), "new": hash(new.as_bytes()),
        });
        intent.push_str(&format!("{line}\n"));
    }
    let commit = serde_json::json!({"commit": 2, "check": hash(intent.as_bytes())});
    std::fs::create_dir_all(dir.join(".caseshare")).unwrap();
    std::fs::write(dir.join(".caseshare/journal"), format!("{intent}{commit}\n")).unwrap();
    // Edited after the crash (a new file, not the old one changed in place).
    std::fs::remove_file(dir.join("users/u.yaml")).unwrap();
    std::fs::write(dir.join("users/u.yaml"), "users: [b]\n").unwrap();
    let out = caseshare(&dir).arg("recover").assert().code(2).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("users/u.yaml") && err.contains("changed after the write was interrupted"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join("project.yaml")).unwrap(), "domain: d1\n", "nothing moved in");
    assert_eq!(std::fs::read_to_string(dir.join("users/u.yaml")).unwrap(), "users: [b]\n");
    assert!(dir.join(".caseshare/journal").exists());
    caseshare(&dir).args(["recover", "--rollback"]).assert().code(0);
    assert_eq!(std::fs::read_to_string(dir.join("project.yaml")).unwrap(), "domain: d1\n");
    assert_eq!(std::fs::read_to_string(dir.join("users/u.yaml")).unwrap(), "users: [b]\n", "the edit is kept");
    assert!(!dir.join(".caseshare").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A rewritten file keeps its owner where the writer may set it (as root, on a
/// checkout owned by another user); elsewhere it is written all the same.
#[cfg(unix)]
#[test]
fn a_rewritten_file_keeps_its_owner_when_it_can() {
    use std::os::unix::fs::MetadataExt;
    let dir = fresh("owner", &[("project.yaml", "domain: d1\n")]);
    let path = dir.join("project.yaml");
    let can = std::os::unix::fs::chown(&path, Some(1234), Some(1234)).is_ok();
    let owner = |p: &Path| std::fs::metadata(p).map(|m| (m.uid(), m.gid())).unwrap();
    let before = owner(&path);
    let change = write::Change {
        rel: "project.yaml".into(),
        display: "project.yaml".into(),
        abs: path.clone(),
        before: Some("domain: d1\n".into()),
        after: "domain: d2\n".into(),
    };
    write::commit(&dir, &[change]).expect("written");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "domain: d2\n");
    if can {
        assert_eq!(owner(&path), (1234, 1234));
    } else {
        assert_eq!(owner(&path), before, "the writer's own file stays the writer's");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A write killed while cleaning up (every file in place, the journal marked
/// done, some backups already removed) is finished, even on `--rollback`: it can
/// no longer be undone, and recovery says so and leaves no stray file.
#[test]
fn a_write_killed_while_cleaning_up_is_finished_even_on_rollback() {
    use caseshare::write::journal::{Entry, hash};
    let dir = fresh("cleanup", &[("project.yaml", "format_version: 2\ndomain: d1\n")]);
    let target = dir.join("project.yaml");
    let old = std::fs::read(&target).unwrap();
    let new = b"format_version: 2\ndomain: d2\n".to_vec();
    std::fs::write(&target, &new).unwrap();
    let backup = dir.join(".project.yaml.caseshare-1.orig");
    let entry = Entry {
        target: target.clone(),
        staged: dir.join(".project.yaml.caseshare-1.tmp"),
        backup: Some(backup.clone()),
        old: Some(hash(&old)),
        new: hash(&new),
    };
    // The journal as the writer leaves it: intent, commit line, done mark.
    let line = serde_json::json!({
        "target": "project.yaml", "staged": ".project.yaml.caseshare-1.tmp",
        "backup": ".project.yaml.caseshare-1.orig", "old": entry.old, "new": entry.new,
    });
    let intent = format!("{}\n{line}\n", serde_json::json!({"journal": 1}));
    let commit = serde_json::json!({"commit": 1, "check": hash(intent.as_bytes())});
    std::fs::create_dir_all(dir.join(".caseshare")).unwrap();
    std::fs::write(
        dir.join(".caseshare/journal"),
        format!("{intent}{commit}\n{}\n", serde_json::json!({"done": true})),
    )
    .unwrap();
    assert!(!backup.exists());
    let out = caseshare(&dir).args(["recover", "--rollback"]).assert().code(0).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("had already finished") && err.contains("cannot be undone"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), new);
    assert!(!dir.join(".caseshare").exists(), "the journal and its folder are gone");
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["project.yaml"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `recover` in a folder that is in no project and holds no journal: nothing
/// was being written there, which is not an error; a folder that does not
/// exist is.
#[test]
fn recover_outside_any_project_has_nothing_to_do() {
    let dir = std::env::temp_dir().join(format!("caseshare-recover-none-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let out = caseshare(&dir).args(["recover", "out"]).assert().code(0).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err, "recover: no interrupted write to finish (`out` is in no project)\n");
    let out = caseshare(&dir).args(["recover", "missing"]).assert().code(2).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: ") && err.contains("`missing`"), "{err}");
    assert!(!dir.join("out/.caseshare").exists() && !dir.join(".caseshare").exists(), "nothing written");
    // A project below with an interrupted write (recover run at the top of a
    // repository, say): it is named, exit 2.
    std::fs::create_dir_all(dir.join("deploy/demo/.caseshare")).unwrap();
    std::fs::write(dir.join("deploy/demo/project.yaml"), "format_version: 2\n").unwrap();
    std::fs::write(dir.join("deploy/demo/.caseshare/journal"), "{}\n").unwrap();
    let out = caseshare(&dir).arg("recover").assert().code(2).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(
            "is in no project, but a write was interrupted in `deploy/demo`: run `caseshare recover deploy/demo`"
        ),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A run that writes nothing (`--check`, or the diff) finds an interrupted
/// write: it stops there, exit 2, and leaves the journal and the files as they
/// are (recovering would write: finishing the write moves files in, undoing it
/// puts files back).
#[test]
fn a_run_that_writes_nothing_leaves_an_interrupted_write_alone() {
    let dir = std::env::temp_dir().join(format!("caseshare-dry-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::copy_tree(&common::fixtures().join("demo"), &dir);
    std::fs::create_dir_all(dir.join(".caseshare")).unwrap();
    let journal = "{\"target\": \"users/chws.yaml\"}\n";
    std::fs::write(dir.join(".caseshare/journal"), journal).unwrap();
    let before = snapshot(&dir);
    for args in [
        &["migrate"][..],
        &["migrate", "--check"],
        &["enable-sharing", "--app", "chw"],
        &["rename", "user", "david", "dave"],
        &["rename", "user", "david", "dave", "--check"],
    ] {
        let out = caseshare(&dir).args(args).assert().code(2).get_output().clone();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("a write was interrupted here (`.caseshare/journal`): run `caseshare recover` first"),
            "{args:?}: {err}"
        );
        assert_eq!(snapshot(&dir), before, "{args:?} wrote");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
