//! `caseshare diff` on real git repositories made here: the demo project
//! committed, then changed in the working tree (or in a second commit), and the
//! binary's JSON, exit code and reports checked.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use caseshare::diff::{Origin, Reuse, Side, Staged};
use caseshare::report::concise;
use serde_json::Value;

/// A git repository in a fresh temporary folder, with the demo project at `sub`.
struct Repo {
    top: PathBuf,
    project: PathBuf,
}

impl Repo {
    fn new(name: &str, sub: &str) -> Repo {
        let top = std::env::temp_dir().join(format!("caseshare-diff-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        std::fs::create_dir_all(&top).expect("mkdir");
        let project = if sub.is_empty() { top.clone() } else { top.join(sub) };
        common::copy_tree(&common::fixtures().join("demo"), &project);
        let repo = Repo { top, project };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Test"]);
        repo.git(&["config", "user.email", "test@example.org"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo.commit("the demo project");
        repo
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Process::new("git").arg("-C").arg(&self.top).args(args).output().expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.project.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read")
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::create_dir_all(self.path(rel).parent().expect("a folder")).expect("mkdir");
        std::fs::write(self.path(rel), text).expect("write");
    }

    /// Replaces `from` (which must be there) with `to` in a project file.
    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "`{from}` not in {rel}:\n{text}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// Runs `caseshare diff ARGS` in `dir`: exit code, stdout, stderr.
    fn diff_in(&self, dir: &Path, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("caseshare")
            .expect("binary")
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .arg("diff")
            .args(args)
            .output()
            .expect("runs");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
    }

    /// `caseshare diff --format json ARGS` in the project: exit code and document.
    fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--format", "json"];
        all.extend(args);
        let (code, out, err) = self.diff_in(&self.project, &all);
        let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
        (code, doc)
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.top);
    }
}

/// The codes of a list of diagnostics.
fn codes(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect()
}

fn user<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == name)
        .unwrap_or_else(|| panic!("no entry for `{name}`: {}", doc["users"]))
}

fn group(name: &str) -> Value {
    serde_json::json!({ "group": name })
}

fn access<'a>(doc: &'a Value, owner: &Value) -> &'a Value {
    doc["groups"]["access"]
        .as_array()
        .expect("access")
        .iter()
        .find(|a| a["owner"] == *owner)
        .unwrap_or_else(|| panic!("no access entry for {owner}: {}", doc["groups"]["access"]))
}

const VILLAGE_B: &str = "members: [joseph, grace, fatima]";

#[test]
fn a_user_in_a_second_sharing_group_introduces_g002_and_fails() {
    let repo = Repo::new("second-group", "");
    repo.edit("groups/villages.yaml", VILLAGE_B, "members: [joseph, grace, fatima, david]");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(codes(&doc["diagnostics"]["introduced"]), ["G002"]);
    assert!(doc["diagnostics"]["introduced"][0]["message"].as_str().unwrap().contains("user `david`"));
    assert_eq!(codes(&doc["diagnostics"]["resolved"]), Vec::<String>::new());
    let david = user(&doc, "david");
    assert_eq!(david["change"], "changed");
    assert_eq!(david["owners_added"], serde_json::json!([group("Village B")]));
    assert_eq!(david["owners_removed"], serde_json::json!([]));
    assert_eq!((&david["can_create_before"], &david["can_create_after"]), (&Value::Bool(true), &Value::Bool(true)));
    assert_eq!(doc["users"].as_array().unwrap().len(), 1, "only david changed: {:#}", doc["users"]);
    assert_eq!(access(&doc, &group("Village B"))["users_gained"], serde_json::json!(["david"]));
}

#[test]
fn moving_a_user_between_groups_changes_owners_and_access_without_errors() {
    let repo = Repo::new("move", "");
    repo.edit("groups/villages.yaml", "members: [david, maria, grace, fatima]", "members: [maria, grace, fatima]");
    repo.edit("groups/villages.yaml", VILLAGE_B, "members: [joseph, grace, fatima, david]");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(codes(&doc["diagnostics"]["introduced"]), Vec::<String>::new());
    let david = user(&doc, "david");
    assert_eq!(david["owners_added"], serde_json::json!([group("Village B")]));
    assert_eq!(david["owners_removed"], serde_json::json!([group("Village A")]));
    assert_eq!(david["apps_added"], serde_json::json!([]));
    assert_eq!(access(&doc, &group("Village B"))["users_gained"], serde_json::json!(["david"]));
    assert_eq!(access(&doc, &group("Village A"))["users_lost"], serde_json::json!(["david"]));
    assert_eq!(doc["groups"]["access"].as_array().unwrap().len(), 2);
}

#[test]
fn usernames_and_site_codes_compare_as_hq_folds_them() {
    let repo = Repo::new("folding", "");
    // An old G002 on david, kept at the head.
    repo.edit("groups/villages.yaml", VILLAGE_B, "members: [joseph, grace, fatima, david]");
    repo.commit("david in two groups");
    // David vs david, Village-C vs village-c: the same user, the same location in HQ.
    repo.edit("users/chws.yaml", "{username: david, role: chw}", "{username: David, role: chw}");
    repo.edit("locations/district.yaml", "{code: village-c,", "{code: Village-C,");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["diagnostics"]["introduced"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["diagnostics"]["resolved"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["users"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["groups"]["access"], serde_json::json!([]), "{doc:#}");
    // A group listing `MARIA` lists maria: she moves from Village A to Village B.
    repo.edit("groups/villages.yaml", "members: [david, maria, grace, fatima]", "members: [david, grace, fatima]");
    repo.edit(
        "groups/villages.yaml",
        "members: [joseph, grace, fatima, david]",
        "members: [joseph, grace, fatima, david, MARIA]",
    );
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["diagnostics"]["introduced"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["users"].as_array().unwrap().len(), 1, "only maria changed: {:#}", doc["users"]);
    let maria = user(&doc, "maria");
    assert_eq!(maria["owners_added"], serde_json::json!([group("Village B")]));
    assert_eq!(maria["owners_removed"], serde_json::json!([group("Village A")]));
    assert_eq!(access(&doc, &group("Village B"))["users_gained"], serde_json::json!(["maria"]));
}

#[test]
fn locations_activity_and_group_sharing_change_owners_and_access() {
    let repo = Repo::new("owners", "");
    // Maria leaves: her group does not change, yet she no longer sees its cases.
    repo.edit("users/chws.yaml", "{username: maria, role: chw}", "{username: maria, role: chw, is_active: false}");
    // Grace is assigned the district, whose type views the villages below it.
    repo.edit("users/staff.yaml", "role: supervisor", "role: supervisor\n    locations: [district-1]");
    // Village B stops sharing cases: Joseph has no case owner left.
    repo.edit(
        "groups/villages.yaml",
        "name: Village B\n    case_sharing: true",
        "name: Village B\n    case_sharing: false",
    );
    let (code, doc) = repo.json(&[]);
    let maria = user(&doc, "maria");
    assert_eq!((&maria["active_before"], &maria["active_after"]), (&Value::Bool(true), &Value::Bool(false)));
    assert_eq!(maria["owners_removed"], serde_json::json!([]), "still a member");
    assert!(access(&doc, &group("Village A"))["users_lost"].as_array().unwrap().contains(&"maria".into()));
    let grace = user(&doc, "grace");
    let villages: Vec<Value> =
        ["village-a", "village-b", "village-c"].iter().map(|c| serde_json::json!({ "location": c })).collect();
    assert_eq!(grace["owners_added"], Value::Array(villages));
    assert_eq!(grace["owners_removed"], serde_json::json!([group("Village B")]));
    let village_c = access(&doc, &serde_json::json!({"location": "village-c"}));
    assert_eq!(village_c["users_gained"], serde_json::json!(["grace"]));
    assert_eq!(doc["groups"]["case_sharing_off"], serde_json::json!(["Village B"]));
    assert_eq!(user(&doc, "joseph")["owners_removed"], serde_json::json!([group("Village B")]));
    let lost = &access(&doc, &group("Village B"))["users_lost"];
    assert_eq!(*lost, serde_json::json!(["fatima", "grace", "joseph"]));
    assert!(codes(&doc["diagnostics"]["introduced"]).contains(&"G001".to_string()), "joseph: {doc:#}");
    assert_eq!(code, 1);
}

#[test]
fn a_role_that_now_reaches_a_registration_app() {
    let repo = Repo::new("role", "");
    repo.edit("project.yaml", "supervisor: {apps: [supervision]}", "supervisor: {apps: [supervision, chw]}");
    let (code, doc) = repo.json(&[]);
    let grace = user(&doc, "grace");
    assert_eq!(grace["apps_added"], serde_json::json!(["chw"]));
    assert_eq!(grace["apps_removed"], serde_json::json!([]));
    assert_eq!(grace["can_create_before"], false);
    assert_eq!(grace["can_create_after"], true);
    assert_eq!(grace["owners_added"], serde_json::json!([]));
    // Grace is in two groups: she now creates cases with an automatic owner (and
    // the `allow G003` beside her suppresses nothing any more).
    assert_eq!(codes(&doc["diagnostics"]["introduced"]), ["G002", "X001"]);
    assert_eq!(code, 1);
}

#[test]
fn a_sharing_app_renaming_its_case_type_stops_sharing_it() {
    let repo = Repo::new("rename-type", "");
    let clinic = repo.read("apps/clinic.yaml").replace("referral", "referal");
    repo.write("apps/clinic.yaml", &clinic);
    let (code, doc) = repo.json(&[]);
    let sharing = doc["case_types"]["sharing"].as_array().expect("sharing");
    let referral = sharing.iter().find(|s| s["case_type"] == "referral").expect("referral changed");
    assert_eq!(referral["apps_stopped"], serde_json::json!(["clinic"]));
    assert_eq!(referral["apps_after"], serde_json::json!(["chw", "supervision"]));
    assert!(sharing.iter().all(|s| s["case_type"] != "referal"), "one app alone shares nothing: {sharing:?}");
    assert_eq!(
        doc["case_types"]["renamed"],
        serde_json::json!([{"from": "referral", "to": "referal", "apps": ["clinic"]}])
    );
    let introduced = codes(&doc["diagnostics"]["introduced"]);
    assert!(introduced.contains(&"C001".to_string()), "{introduced:?}");
    assert!(introduced.contains(&"C002".to_string()), "{introduced:?}");
    assert_eq!(code, 1, "C001 is an error");
    let (_, human, _) = repo.diff_in(&repo.project, &[]);
    let stops = "case type `referral` shared by `chw`, `clinic`, `supervision` → `chw`, `supervision` (`clinic` stops sharing it)";
    assert!(human.contains(stops), "{human}");
    assert!(human.contains("case type `referral` renamed to `referal` in app `clinic`"), "{human}");
}

#[test]
fn a_renamed_file_with_reordered_entries_reports_nothing() {
    let repo = Repo::new("reorder", "");
    // An old problem in the file that moves: it must move with it.
    repo.edit("users/chws.yaml", "{username: joseph, role: chw}", "{username: joseph, role: chw, nickname: jo}");
    repo.commit("a misspelt key");
    let text = repo.read("users/chws.yaml");
    let (head, entries): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| !l.starts_with("  - "));
    let mut reordered: Vec<&str> = head.into_iter().filter(|l| !l.trim_start().starts_with('#')).collect();
    reordered.extend(entries.iter().rev());
    std::fs::remove_file(repo.path("users/chws.yaml")).expect("rm");
    repo.write("users/field-workers.yaml", &(reordered.join("\n") + "\n"));
    let groups =
        repo.read("groups/villages.yaml").replace("[david, maria, grace, fatima]", "[fatima, grace, maria, david]");
    repo.write("groups/villages.yaml", &groups);
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["diagnostics"]["introduced"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["diagnostics"]["resolved"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["users"], serde_json::json!([]));
    assert_eq!(doc["groups"]["access"], serde_json::json!([]));
    let (_, human, _) = repo.diff_in(&repo.project, &[]);
    assert!(human.contains("no change to case sharing"), "{human}");
    assert!(!human.contains("Users"), "{human}");
}

/// Old errors whose messages depend on order or name their file: C004 names
/// the first form that opens the type, D001 the spelling defined first (in
/// file order), S003 on a file's top level the file itself. Swapping the forms
/// and renaming the files introduces and resolves nothing.
#[test]
fn old_errors_that_name_the_first_of_several_keep_their_key() {
    let repo = Repo::new("first-of-several", "");
    let first = "      - {name: First note, requires: case, opens: [{case_type: note, owner: explicit}]}\n";
    let second = "      - {name: Second note, requires: case, opens: [{case_type: note, owner: explicit}]}\n";
    let app = repo.read("apps/supervision.yaml");
    repo.write(
        "apps/supervision.yaml",
        &format!("{app}  - name: Notes\n    case_type: visit\n    forms:\n{first}{second}"),
    );
    repo.write("users/zz.yaml", "format_version: 2\nusers:\n  - {username: David, role: chw}\n");
    // A third spelling: which two a message pairs depends on the order too.
    repo.write("users/aaa.yaml", "format_version: 2\nusers:\n  - {username: DAVID, role: chw}\n");
    repo.write("users/broken.yaml", "- not a mapping\n");
    repo.commit("old errors");
    let (_, base, _) = repo.diff_in(&repo.project, &["--base", "HEAD~1", "--format", "json"]);
    let base: Value = serde_json::from_str(&base).expect("JSON");
    let mut old = codes(&base["diagnostics"]["introduced"]);
    old.sort();
    assert_eq!(old, ["C004", "D001", "D001", "S003"], "{base:#}");
    let app = repo.read("apps/supervision.yaml");
    repo.write("apps/supervision.yaml", &app.replace(&format!("{first}{second}"), &format!("{second}{first}")));
    repo.git(&["mv", "users/zz.yaml", "users/aa.yaml"]);
    repo.git(&["mv", "users/aaa.yaml", "users/zzz.yaml"]);
    repo.git(&["mv", "users/broken.yaml", "users/broken2.yaml"]);
    let (code, doc) = repo.json(&[]);
    assert_eq!(doc["diagnostics"]["introduced"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["diagnostics"]["resolved"], serde_json::json!([]), "{doc:#}");
    assert_eq!(code, 0, "{doc:#}");
}

/// A file the working tree cannot read at all (a link left dangling by a
/// move): exit 2, and the report does not tell the users it defined as
/// removed, but names it.
#[cfg(unix)]
#[test]
fn a_file_that_cannot_be_read_is_unread_not_emptied() {
    let repo = Repo::new("io-error", "");
    std::fs::remove_file(repo.path("users/staff.yaml")).expect("rm");
    std::os::unix::fs::symlink("../moved/staff.yaml", repo.path("users/staff.yaml")).expect("link");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(doc["head"]["unread"], serde_json::json!(["users/staff.yaml"]), "{doc:#}");
    assert_eq!(doc["head"]["io_errors"][0]["file"], "users/staff.yaml", "{doc:#}");
    assert_eq!(doc["users"], serde_json::json!([]), "grace and fatima are not removed: {doc:#}");
    let (code, markdown, _) = repo.diff_in(&repo.project, &["--format", "markdown"]);
    assert_eq!(code, 2);
    assert!(
        markdown.contains(
            "**The head could not read 1 file at all (`users/staff.yaml`): `caseshare diff` failed (exit 2).**"
        ),
        "{markdown}"
    );
}

/// A role that is not defined (R001) reaches apps no one knows: the user is
/// not told to lose the apps the old role reached.
#[test]
fn an_undefined_role_is_not_taken_for_no_apps() {
    let repo = Repo::new("role-typo", "");
    repo.edit("users/chws.yaml", "{username: david, role: chw}", "{username: david, role: chv}");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 1, "{doc:#}");
    let david = user(&doc, "david");
    assert_eq!((&david["role_before"], &david["role_after"]), (&serde_json::json!("chw"), &serde_json::json!("chv")));
    assert_eq!(david["apps_removed"], serde_json::json!([]), "{david:#}");
    assert_eq!(david["apps_added"], serde_json::json!([]), "{david:#}");
}

#[test]
fn an_error_present_at_both_revisions_is_not_introduced() {
    let repo = Repo::new("old-error", "");
    repo.edit("groups/villages.yaml", VILLAGE_B, "members: [joseph, grace, fatima, david]");
    repo.commit("david in two groups");
    repo.edit("apps/chw.yaml", "name: CHW App", "name: CHW App (2026)");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["diagnostics"]["introduced"], serde_json::json!([]));
    // check still fails on it
    let check =
        Command::cargo_bin("caseshare").expect("binary").arg("check").arg(&repo.project).output().expect("runs");
    assert_eq!(check.status.code(), Some(1));
    // and fixing it resolves it
    repo.edit("groups/villages.yaml", "members: [joseph, grace, fatima, david]", VILLAGE_B);
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 0);
    assert_eq!(codes(&doc["diagnostics"]["resolved"]), ["G002"]);
}

#[test]
fn a_project_in_a_subfolder() {
    let repo = Repo::new("subfolder", "deploy/demo");
    repo.edit("groups/villages.yaml", VILLAGE_B, "members: [joseph, grace, fatima, david]");
    // From the repository's top, naming the project's folder, and from a folder inside it.
    let (code, out, err) = repo.diff_in(&repo.top, &["--format", "json", "deploy/demo"]);
    assert_eq!(code, 1, "{out}{err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["base"]["project"], "deploy/demo");
    assert_eq!(doc["base"]["source"], "git");
    assert_eq!(doc["head"]["source"], "worktree");
    assert_eq!(codes(&doc["diagnostics"]["introduced"]), ["G002"]);
    assert_eq!(doc["diagnostics"]["introduced"][0]["file"], "deploy/demo/groups/villages.yaml");
    let (code, out, _) = repo.diff_in(&repo.path("users"), &["--format", "json"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["diagnostics"]["introduced"][0]["file"], "../groups/villages.yaml");
}

#[test]
fn an_unknown_revision_exits_2() {
    let repo = Repo::new("unknown-rev", "");
    let (code, out, err) = repo.diff_in(&repo.project, &["--base", "no-such-branch"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.starts_with("error: unknown revision `no-such-branch`: no commit of this repository has that name; if it is a branch of another clone, fetch it first"), "{err}");
    let (code, _, err) = repo.diff_in(&repo.project, &["--head=--output=/tmp/x"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown revision"), "{err}");
    // In a shallow clone, the commit may be there to fetch: say how.
    repo.edit("groups/villages.yaml", VILLAGE_B, "members: [joseph, grace, fatima, david]");
    repo.commit("second");
    let shallow = repo.top.with_extension("shallow");
    let _ = std::fs::remove_dir_all(&shallow);
    let url = format!("file://{}", repo.top.display());
    let cloned = Process::new("git").args(["clone", "-q", "--depth", "1", &url]).arg(&shallow).output().expect("git");
    assert!(cloned.status.success(), "{}", String::from_utf8_lossy(&cloned.stderr));
    let out = Command::cargo_bin("caseshare")
        .expect("binary")
        .current_dir(&shallow)
        .args(["diff", "--base", "HEAD~1"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown revision `HEAD~1`; in a shallow clone fetch it first"), "{err}");
    let _ = std::fs::remove_dir_all(&shallow);
}

#[test]
fn not_a_repository_and_no_project_at_the_revision_exit_2() {
    let dir = std::env::temp_dir().join(format!("caseshare-diff-{}-nogit", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::copy_tree(&common::fixtures().join("demo"), &dir);
    let out = Command::cargo_bin("caseshare").expect("binary").current_dir(&dir).arg("diff").output().expect("runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in a git repository"));

    let repo = Repo::new("no-project", "");
    repo.write("later/project.yaml", &repo.read("project.yaml"));
    let (code, _, err) = repo.diff_in(&repo.path("later"), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no project.yaml in `later` at revision `HEAD`"), "{err}");
}

#[test]
fn untracked_files_count_and_two_revisions_compare() {
    let repo = Repo::new("untracked", "");
    repo.write("users/new.yaml", "format_version: 2\nusers:\n  - {username: eve, role: chw}\n");
    let (code, doc) = repo.json(&[]);
    let eve = user(&doc, "eve");
    assert_eq!(eve["change"], "added");
    assert_eq!(eve["apps_added"], serde_json::json!(["chw"]));
    assert_eq!(eve["can_create_after"], true);
    // eve has no case owner and reaches a sharing app
    assert_eq!(codes(&doc["diagnostics"]["introduced"]), ["G001"]);
    assert_eq!(code, 1);
    // Committed, compared as two revisions: the same, with the head named.
    repo.commit("eve");
    let (code, doc) = repo.json(&["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(doc["head"]["source"], "git");
    assert_eq!(doc["head"]["rev"], "HEAD");
    assert_eq!(user(&doc, "eve")["change"], "added");
    // A file that caseshare.toml excludes is not read, as in check.
    repo.write("caseshare.toml", "[files]\nexclude = [\"users/new.yaml\"]\n");
    let (code, doc) = repo.json(&["--base", "HEAD~1"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["users"], serde_json::json!([]));
}

#[test]
fn two_folders_compare() {
    let repo = Repo::new("folders", "old");
    common::copy_tree(&repo.project, &repo.top.join("new"));
    let project = std::fs::read_to_string(repo.top.join("new/project.yaml")).expect("read");
    let project = project.replace("supervisor: {apps: [supervision]}", "supervisor: {apps: [supervision, clinic]}");
    std::fs::write(repo.top.join("new/project.yaml"), project).expect("write");
    let (code, out, err) = repo.diff_in(&repo.top, &["--format", "json", "old", "new"]);
    assert_eq!(code, 0, "{out}{err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        doc["base"],
        serde_json::json!({"source": "folder", "path": "old", "loaded": true, "unread": [], "io_errors": []})
    );
    let grace = user(&doc, "grace");
    assert_eq!(grace["apps_added"], serde_json::json!(["clinic"]));
    // the clinic's registration form sets the owner explicitly
    assert_eq!((&grace["can_create_before"], &grace["can_create_after"]), (&Value::Bool(false), &Value::Bool(false)));
    assert_eq!(doc["diagnostics"]["introduced"], serde_json::json!([]));
    let (code, _, err) = repo.diff_in(&repo.top, &["old", "new", "--base", "HEAD"]);
    assert_eq!(code, 2, "{err}");
    // Two folders (or files) of one project would compare it with itself.
    let (code, out, err) = repo.diff_in(&repo.top.join("old"), &["users", "groups"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(
        err,
        "error: `users` and `groups` are in one project, at `.`: give two folders that each hold a project, or compare revisions with --base and --head\n"
    );
}

/// A name is any string YAML holds: in the human report its control
/// characters are escapes, so a group named with `\n::notice::` and `\e[8m`
/// adds no line of its own (a forged summary, a workflow command in a CI log)
/// and hides nothing after it.
#[test]
fn names_with_control_characters_are_shown_escaped() {
    let repo = Repo::new("control", "old");
    common::copy_tree(&repo.project, &repo.top.join("new"));
    let evil = "format_version: 2\ngroups:\n  - name: \"Z\\n::notice::nothing found\\n\\n0 errors introduced\\e[8m\\u2028x\\u202e\"\n    case_sharing: true\n    members: [david]\n";
    std::fs::write(repo.top.join("new/groups/evil.yaml"), evil).expect("write");
    let (code, out, err) = repo.diff_in(&repo.top, &["old", "new"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.chars().any(|c| c.is_control() && c != '\n' || matches!(c, '\u{2028}' | '\u{202e}')), "{out:?}");
    assert!(!out.lines().any(|l| l.starts_with("::") || l.starts_with("0 errors")), "{out}");
    assert!(
        out.contains("group `Z\\n::notice::nothing found\\n\\n0 errors introduced\\u{1b}[8m\\u{2028}x\\u{202e}`"),
        "{out}"
    );
    // The concise lines of its diagnostics, and what follows, are there.
    assert!(out.contains("G002"), "{out}");
    assert!(out.lines().last().is_some_and(|l| l.starts_with("1 error, 0 warnings introduced")), "{out}");
}

/// A pull request adds a user whose name differs from David's by a zero-width
/// space, and puts that user in Village B: shown as it is, the comment would
/// say David joined. Every report shows the character as an escape.
#[test]
fn a_name_with_an_invisible_character_is_not_shown_as_another() {
    let repo = Repo::new("invisible", "");
    let users = repo.read("users/chws.yaml");
    repo.write("users/chws.yaml", &format!("{users}  - {{username: \"da\\u200bvid\", role: chw}}\n"));
    repo.edit("groups/villages.yaml", VILLAGE_B, "members: [joseph, grace, fatima, \"da\\u200bvid\"]");
    let shown = "`da\\u{200b}vid`";
    for format in ["human", "markdown"] {
        let (_, out, err) = repo.diff_in(&repo.project, &["--format", format]);
        assert!(!out.contains('\u{200b}'), "{format}: {out:?}");
        assert!(out.contains(shown), "{format}: {out}{err}");
        assert!(!out.contains("`david`"), "{format}: {out}");
    }
}

#[test]
fn the_base_uses_its_own_caseshare_toml_and_old_errors_do_not_fail() {
    let repo = Repo::new("config", "");
    repo.edit("groups/villages.yaml", VILLAGE_B, "members: [joseph, grace, fatima, david]");
    repo.write("caseshare.toml", "[rules]\nG002 = \"off\"\n");
    repo.commit("G002 off");
    // Turning the rule back on brings the old problem to light: an introduced error.
    std::fs::remove_file(repo.path("caseshare.toml")).expect("rm");
    let (code, doc) = repo.json(&[]);
    assert_eq!(codes(&doc["diagnostics"]["introduced"]), ["G002"]);
    assert_eq!(code, 1);
    // An invalid caseshare.toml at the base cannot be read: exit 2, named by revision.
    repo.write("caseshare.toml", "[rules]\nG999 = \"off\"\n");
    repo.commit("bad config");
    let (code, _, err) = repo.diff_in(&repo.project, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("HEAD:caseshare.toml:2: unknown rule code `G999`"), "{err}");
}

#[cfg(unix)]
/// `caseshare.toml` as a link inside the project is read through it at a
/// revision, as `check` reads it on disk (it was taken for no configuration).
#[test]
fn a_linked_caseshare_toml_is_read_at_a_revision() {
    let repo = Repo::new("linked-toml", "");
    repo.write("settings.toml", "[rules]\nG002 = \"off\"\n");
    std::os::unix::fs::symlink("settings.toml", repo.path("caseshare.toml")).expect("link");
    repo.edit("groups/villages.yaml", "members: [joseph, grace, fatima]", "members: [joseph, grace, fatima, david]");
    repo.commit("david in both villages, G002 off");
    repo.edit("groups/villages.yaml", "members: [joseph, grace, fatima, david]", "members: [joseph, grace, fatima]");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 0, "{doc:#}");
    // Off at the base too: no G002 resolved (G003 warned of David there instead).
    assert_eq!(codes(&doc["diagnostics"]["resolved"]), ["G003"], "{doc:#}");
}

#[test]
fn links_in_git_are_never_followed_out_of_the_project() {
    let repo = Repo::new("links", "proj");
    std::fs::write(repo.top.join("secret.yaml"), "format_version: 2\nusers: [{username: root-secret}]\n").expect("w");
    std::os::unix::fs::symlink("../../secret.yaml", repo.path("users/secret.yaml")).expect("link");
    std::os::unix::fs::symlink("/etc", repo.path("apps/system")).expect("link");
    std::os::unix::fs::symlink("chws.yaml", repo.path("users/same.yaml")).expect("link");
    repo.commit("links");
    std::fs::remove_file(repo.path("users/secret.yaml")).expect("rm");
    std::fs::remove_file(repo.path("apps/system")).expect("rm");
    let (code, out, _) = repo.diff_in(&repo.project, &["--format", "json"]);
    assert!(!out.contains("root-secret") && !out.contains("/etc"), "{out}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    // At the base the two links out are F005 (not read); gone at the head: resolved.
    let resolved = codes(&doc["diagnostics"]["resolved"]);
    assert_eq!(resolved.iter().filter(|c| *c == "F005").count(), 2, "{doc:#}");
    // A link inside the project is read at both revisions: the same users twice (D001), not new.
    assert!(!codes(&doc["diagnostics"]["introduced"]).contains(&"D001".to_string()));
    assert_eq!(code, 0);
}

/// The working tree and its own commit read the same files when folders are
/// linked: `users -> src/users` (a kind folder kept elsewhere) and a link to
/// `groups/` from another folder. The revision listed the linked-to folder's
/// files under both names (F003 and the users' D001 that `check` does not
/// report): an unchanged tree showed changes.
#[cfg(unix)]
#[test]
fn linked_folders_are_read_as_check_reads_them_at_a_revision() {
    let repo = Repo::new("linked-folders", "proj");
    let link = |target: &str, at: &str| std::os::unix::fs::symlink(target, repo.path(at)).expect("link");
    std::fs::create_dir_all(repo.path("src")).expect("mkdir");
    std::fs::rename(repo.path("users"), repo.path("src/users")).expect("move");
    // `users` through two links; a file link and a second name for a folder in it.
    link("src", "lib");
    link("lib/users", "users");
    repo.write(".shared/extra.yaml", "format_version: 2\nusers:\n  - {username: zed}\n");
    link("../../.shared/extra.yaml", "src/users/extra.yaml");
    repo.write("src/users/team/x.yaml", "format_version: 2\nusers:\n  - {username: yan}\n");
    link("team", "src/users/team-old");
    // `users/team-old` sorts before `users/team/…` as a path, after `team` as a name.
    repo.write("caseshare.toml", "[files]\nexclude = [\"users/team-old/**\"]\n");
    std::fs::create_dir_all(repo.path("alias")).expect("mkdir");
    link("../groups", "alias/teams");
    repo.commit("linked folders");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["diagnostics"]["introduced"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["diagnostics"]["resolved"], serde_json::json!([]), "{doc:#}");
    let changed: Vec<&Value> = doc["users"].as_array().expect("users").iter().collect();
    assert!(changed.is_empty(), "{changed:#?}");
    // And the revision reads what `check` reads: the demo's diagnostics, no F003.
    let check = Command::cargo_bin("caseshare")
        .expect("binary")
        .args(["check", "--format", "concise"])
        .arg(&repo.project)
        .output()
        .expect("runs");
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(!out.contains("F003") && !out.contains("src/users") && !out.contains("alias"), "{out}");
    assert!(out.contains("users/extra.yaml") && out.contains("users/team/x.yaml"), "zed and yan are users: {out}");
}

/// A file that does not load is its own diagnostic and nothing more: the
/// groups in it are not "removed" nor their members' owners lost (SPEC section
/// 3: no cascades); when it is fixed, they are not "added". What files both
/// sides read still counts: a group added beside a broken file is told, with
/// whom it gives access, and so are an app removed, an app added and the case
/// type it starts sharing. The sides say what they could not read.
#[test]
fn a_file_that_does_not_load_is_not_a_removal() {
    let repo = Repo::new("unread", "");
    repo.edit("groups/villages.yaml", "members: [joseph, grace, fatima]", "members: [joseph, grace, fatima]]");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(codes(&doc["diagnostics"]["introduced"]), ["Y001"], "{doc:#}");
    assert_eq!(doc["users"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["groups"]["removed"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["groups"]["access"], serde_json::json!([]), "{doc:#}");
    assert_eq!(
        (&doc["base"]["unread"], &doc["head"]["unread"]),
        (&serde_json::json!([]), &serde_json::json!(["groups/villages.yaml"]))
    );
    let (_, human, _) = repo.diff_in(&repo.project, &[]);
    assert!(
        human.contains("note: the head could not read 1 file (`groups/villages.yaml`; see its diagnostics and errors)"),
        "{human}"
    );
    assert!(human.trim_end().ends_with("no change to case sharing in what both sides read"), "{human}");
    // Fixed in the next change: nothing is added.
    repo.commit("broken");
    repo.edit("groups/villages.yaml", "members: [joseph, grace, fatima]]", "members: [joseph, grace, fatima]");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(codes(&doc["diagnostics"]["resolved"]), ["Y001"], "{doc:#}");
    assert_eq!(doc["users"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["groups"]["added"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["base"]["unread"], serde_json::json!(["groups/villages.yaml"]));
    // A broken groups file beside a readable one that gains a group: the group,
    // and the access it gives, are told.
    repo.commit("fixed");
    repo.write("groups/extra.yaml", "format_version: 2\ngroups: [\n");
    repo.edit(
        "groups/villages.yaml",
        "  - name: Clinic staff",
        "  - name: HIV records\n    case_sharing: true\n    members: [joseph]\n  - name: Clinic staff",
    );
    let (_, doc) = repo.json(&[]);
    assert_eq!(doc["groups"]["added"][0]["name"], "HIV records", "{doc:#}");
    assert_eq!(user(&doc, "joseph")["owners_added"], serde_json::json!([{"group": "HIV records"}]), "{doc:#}");
    assert_eq!(access(&doc, &group("HIV records"))["users_gained"], serde_json::json!(["joseph"]), "{doc:#}");
    assert_eq!(doc["head"]["unread"], serde_json::json!(["groups/extra.yaml"]));
    std::fs::remove_file(repo.path("groups/extra.yaml")).expect("rm");
    repo.edit("groups/villages.yaml", "  - name: HIV records\n    case_sharing: true\n    members: [joseph]\n", "");
    // A broken locations file: location owners are left out, groups still
    // count (joseph joins Village A beside it).
    repo.edit("locations/district.yaml", "locations:", "locations: [");
    repo.edit(
        "groups/villages.yaml",
        "members: [david, maria, grace, fatima]",
        "members: [david, maria, grace, fatima, joseph]",
    );
    let (_, doc) = repo.json(&[]);
    assert_eq!(user(&doc, "joseph")["owners_added"], serde_json::json!([{"group": "Village A"}]), "{doc:#}");
    assert_eq!(access(&doc, &group("Village A"))["users_gained"], serde_json::json!(["joseph"]), "{doc:#}");
    let users: Vec<&str> =
        doc["users"].as_array().expect("users").iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(users, ["joseph"], "no one loses a location: {doc:#}");
    repo.edit("locations/district.yaml", "locations: [", "locations:");
    repo.edit(
        "groups/villages.yaml",
        "members: [david, maria, grace, fatima, joseph]",
        "members: [david, maria, grace, fatima]",
    );
    // A users file that does not load: its users are not removed.
    repo.edit("users/chws.yaml", "users:", "users: [");
    let (_, doc) = repo.json(&[]);
    assert_eq!(doc["users"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["head"]["unread"], serde_json::json!(["users/chws.yaml"]));
    repo.edit("users/chws.yaml", "users: [", "users:");
    // An app file that does not load: that app is not removed, and no user loses
    // it; an app deleted, and one added that shares a case type, are told.
    repo.edit("apps/clinic.yaml", "format_version: 2", "format_version: 2\nname: [");
    std::fs::remove_file(repo.path("apps/supervision.yaml")).expect("rm");
    repo.write(
        "apps/lab.yaml",
        "format_version: 2\nname: Lab\ncommcare_version: \"2.53.0\"\ncase_sharing: true\nmodules:\n  - name: Samples\n    case_type: pregnancy\n    forms:\n      - {name: Record, requires: case}\n",
    );
    let (_, doc) = repo.json(&[]);
    let apps: Vec<(&str, &str)> = doc["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["change"].as_str().unwrap()))
        .collect();
    assert_eq!(apps, [("lab", "added"), ("supervision", "removed")], "{doc:#}");
    let shared = doc["case_types"]["sharing"].as_array().expect("sharing");
    assert!(
        shared
            .iter()
            .any(|s| s["case_type"] == "pregnancy" && s["apps_after"].as_array().unwrap().iter().any(|a| a == "lab")),
        "{doc:#}"
    );
    assert!(
        !doc["users"]
            .as_array()
            .expect("users")
            .iter()
            .any(|u| u["apps_removed"].as_array().is_some_and(|a| a.iter().any(|a| a == "clinic"))),
        "{doc:#}"
    );
    assert_eq!(doc["head"]["unread"], serde_json::json!(["apps/clinic.yaml"]));
}

#[test]
fn a_project_yaml_that_does_not_load_compares_diagnostics_only() {
    let repo = Repo::new("broken", "");
    repo.edit("groups/villages.yaml", VILLAGE_B, "members: [joseph, grace, fatima, david]");
    repo.write("project.yaml", &(repo.read("project.yaml") + "roles: [\n"));
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 1);
    assert_eq!((&doc["base"]["loaded"], &doc["head"]["loaded"]), (&Value::Bool(true), &Value::Bool(false)));
    assert_eq!(codes(&doc["diagnostics"]["introduced"]), ["Y001"]);
    assert_eq!(doc["users"], serde_json::json!([]), "nothing is known of the head's users");
    let (_, human, _) = repo.diff_in(&repo.project, &[]);
    assert!(human.contains("only diagnostics are compared"), "{human}");
}

#[test]
fn json_has_exactly_the_documented_top_level_keys() {
    let repo = Repo::new("keys", "");
    let (code, doc) = repo.json(&[]);
    assert_eq!(code, 0);
    let keys: Vec<&str> = doc.as_object().expect("object").keys().map(String::as_str).collect();
    let mut expected = ["version", "base", "head", "diagnostics", "users", "groups", "apps", "case_types"];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(doc["version"], 1);
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diff-format.md"))
        .expect("docs/diff-format.md");
    for key in expected {
        assert!(docs.contains(&format!("`{key}`")), "docs/diff-format.md does not document `{key}`");
    }
}

/// The human and markdown reports of one change, with the commit hash masked.
#[test]
fn reports_snapshot() {
    let repo = Repo::new("snapshot", "");
    repo.edit("groups/villages.yaml", "members: [david, maria, grace, fatima]", "members: [maria, grace, fatima]");
    repo.edit("groups/villages.yaml", VILLAGE_B, "members: [joseph, grace, fatima, david]");
    repo.edit("project.yaml", "supervisor: {apps: [supervision]}", "supervisor: {apps: [supervision, chw]}");
    repo.edit("apps/supervision.yaml", "commcare_version: \"2.53.0\"", "commcare_version: \"2.54.0\"");
    let short = repo.git(&["rev-parse", "--short=7", "HEAD"]);
    let mask = |s: String| s.replace(&short, "0000000");
    let (code, human, _) = repo.diff_in(&repo.project, &[]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("diff_human", mask(human));
    let (_, markdown, _) = repo.diff_in(&repo.project, &["--format", "markdown"]);
    insta::assert_snapshot!("diff_markdown", mask(markdown));
}

#[test]
fn markdown_stays_under_60000_characters_and_says_what_was_cut() {
    let repo = Repo::new("big", "");
    let mut users = String::from("format_version: 2\nusers:\n");
    let mut groups = String::from("format_version: 2\ngroups:\n");
    for i in 0..3000 {
        users.push_str(&format!("  - {{username: worker-with-a-long-name-{i:05}, role: chw}}\n"));
        groups.push_str(&format!(
            "  - {{name: \"Sub-village {i:05} of the district\", case_sharing: true, members: [worker-with-a-long-name-{i:05}]}}\n"
        ));
    }
    repo.write("users/many.yaml", &users);
    repo.write("groups/many.yaml", &groups);
    let (code, markdown, _) = repo.diff_in(&repo.project, &["--format", "markdown"]);
    assert_eq!(code, 0, "{}", &markdown[..markdown.len().min(2000)]);
    let chars = markdown.chars().count();
    assert!(chars <= 60_000, "{chars} characters");
    assert!(chars > 30_000, "cut more than needed: {chars}");
    assert!(markdown.starts_with("### caseshare diff"));
    assert!(markdown.contains("| users changed | 3,000 |"), "the summary table counts everything");
    assert!(markdown.contains("more not shown, to fit a pull request comment"), "says what was cut");
    assert!(markdown.contains("<details><summary>"), "long lists are folded");
    let (_, json) = repo.json(&[]);
    assert_eq!(json["users"].as_array().unwrap().len(), 3000, "json lists everything");
}

/// Each side of a diff (src/diff/side.rs: its own index, shared with the facts)
/// has check's diagnostics on every fixture project, from a folder and from files
/// read into memory, staged on its own or taking the per-file results of the
/// same project or of the previous fixture (src/diff/stage.rs: the files with the
/// same path and text, at other ids).
#[test]
fn each_side_has_checks_diagnostics() {
    let mut roots: Vec<PathBuf> = vec![common::fixtures().join("demo"), common::fixtures().join("multibyte")];
    for r in caseshare::rules::REGISTRY {
        if common::fixtures().join("rules").join(r.code).is_dir() {
            roots.push(common::rule_fixture(r.code, "invalid"));
            roots.push(common::rule_fixture(r.code, "valid"));
        }
    }
    let lines = |files: &[caseshare::source::SourceFile], ds: &[caseshare::diagnostic::Diagnostic]| {
        ds.iter().map(|d| concise::line(files, d)).collect::<Vec<_>>()
    };
    let mut previous = Staged::default();
    for root in roots {
        let check = caseshare::check_root(&root, &root).expect("check");
        let expected = lines(&check.project.files, &check.diagnostics);
        let origin = Origin::Folder { path: ".".into() };
        let side = Side::from_folder(&root, &root, origin.clone()).expect("side");
        assert_eq!(lines(&side.files, &side.diagnostics), expected, "{}", root.display());
        let config = caseshare::config::Config::load(&root).expect("config");
        let sources = caseshare::read::read_project(&root, &root, &config);
        if root.join(".caseshare/journal").exists() {
            continue; // a journal is never in git (a dot-folder), and never read from memory
        }
        let (side, staged) = Side::from_sources_reusing(sources.clone(), &config, origin.clone(), Reuse::Keep);
        assert_eq!(lines(&side.files, &side.diagnostics), expected, "{} (in memory)", root.display());
        let (side, _) = Side::from_folder_reusing(&root, &root, origin.clone(), Reuse::From(staged)).expect("side");
        assert_eq!(lines(&side.files, &side.diagnostics), expected, "{} (its own results)", root.display());
        let (side, staged) = Side::from_folder_reusing(&root, &root, origin.clone(), Reuse::Keep).expect("side");
        assert_eq!(lines(&side.files, &side.diagnostics), expected, "{} (kept)", root.display());
        let (side, _) = Side::from_sources_reusing(sources, &config, origin, Reuse::From(previous));
        assert_eq!(lines(&side.files, &side.diagnostics), expected, "{} (the previous one's results)", root.display());
        previous = staged;
    }
}
