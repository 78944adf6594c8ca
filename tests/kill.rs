//! Crash safety (SPEC section 7): a writing command killed with SIGKILL at any
//! moment leaves a tree that `check` reports as F006 (or a consistent tree), and
//! the next writing command (`recover`, or the same command again) leaves it
//! wholly as it was or wholly written, with every membership present (counted),
//! and no stray file. Each scenario generates a project of 200+ files, times an
//! uninterrupted run, and kills 40+ runs at moments spread over the whole run:
//! while planning, staging, journalling and renaming.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_caseshare"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caseshare-kill-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// Every file and folder below `dir` (dot-files included), with file contents.
fn snapshot(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            let rel = p.strip_prefix(root).expect("below").to_string_lossy().into_owned();
            if p.is_dir() {
                out.insert(format!("{rel}/"), None);
                walk(root, &p, out);
            } else {
                out.insert(rel, Some(std::fs::read(&p).expect("read")));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn copy(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    for (rel, content) in snapshot(from) {
        match content {
            Some(bytes) => {
                std::fs::create_dir_all(to.join(&rel).parent().expect("parent")).expect("mkdir");
                std::fs::write(to.join(&rel), bytes).expect("write");
            }
            None => std::fs::create_dir_all(to.join(rel.trim_end_matches('/'))).expect("mkdir"),
        }
    }
}

/// Each step of a write (staging a file, renaming one) waits this long, so that
/// kills at random moments land in every phase (`src/write/mod.rs`).
const PACE_US: &str = "400";

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(dir).args(args).env("NO_COLOR", "1").env("CASESHARE_WRITE_PACE_US", PACE_US);
    c
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = command(dir, args).output().expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Case-sharing memberships of a format 2 tree, counted with caseshare's own loader.
fn memberships(dir: &Path) -> usize {
    let result = caseshare::check_root(dir, dir).expect("checks");
    assert!(
        !result.diagnostics.iter().any(|d| d.rule.stops_loading()),
        "the tree does not load:\n{}",
        caseshare::report::concise::render(&result)
    );
    result.project.groups.iter().map(|g| g.members.len()).sum()
}

/// A deterministic stream of numbers in 0..1.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Where a killed run left the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    /// No journal; the tree as it was.
    Before,
    /// The journal's intent, no commit line: nothing was moved in.
    Intent,
    /// A complete journal: the write rolls forward.
    Committed,
    /// A journal marked done: every file was in place, its clean-up was cut
    /// short (backups may be gone): it is only finished, even on `--rollback`.
    Finishing,
    /// No journal; the tree as written.
    After,
}

struct Scenario {
    name: &'static str,
    /// The writing command, run in the project root.
    args: Vec<&'static str>,
    kills: usize,
    /// Case-sharing memberships the written tree must hold.
    members: usize,
}

impl Scenario {
    fn run(&self, template: &Path) {
        let write_args = &self.args;
        let before = snapshot(template);
        // An uninterrupted run: the tree as written, and how long it takes.
        let reference = scratch(&format!("{}-reference", self.name));
        copy(template, &reference);
        let start = Instant::now();
        let (code, out) = run(&reference, write_args);
        let total = start.elapsed();
        assert_eq!(code, 0, "{out}");
        let after = snapshot(&reference);
        assert_ne!(before, after, "the command changed nothing");
        assert_eq!(memberships(&reference), self.members, "memberships of the written tree");
        // When the journal appears: from there on the kills hit the write itself.
        let probe = scratch(&format!("{}-probe", self.name));
        copy(template, &probe);
        let start = Instant::now();
        let mut child = command(&probe, write_args).stderr(Stdio::null()).spawn().expect("spawns");
        let (mut journal_at, mut commit_at, mut done_at) = (None, None, None);
        while child.try_wait().expect("waits").is_none() {
            let journal = std::fs::read_to_string(probe.join(".caseshare/journal")).ok();
            match journal {
                Some(j) if j.contains("\"commit\"") => {
                    journal_at.get_or_insert(start.elapsed());
                    commit_at.get_or_insert(start.elapsed());
                }
                Some(_) => drop(journal_at.get_or_insert(start.elapsed())),
                None if commit_at.is_some() => drop(done_at.get_or_insert(start.elapsed())),
                None => {}
            }
            std::thread::sleep(Duration::from_micros(100));
        }
        let total = total.max(start.elapsed());
        let journal_at = journal_at.unwrap_or(total / 2).min(total);
        let commit_at = commit_at.unwrap_or(journal_at).max(journal_at);
        let done_at = done_at.unwrap_or(total).max(commit_at);
        eprintln!(
            "{}: {} files change; a run takes {total:?}: journal at {journal_at:?}, commit at {commit_at:?}, done at {done_at:?}",
            self.name,
            after.iter().filter(|(k, v)| before.get(*k) != Some(*v)).count()
        );

        let mut rng = Lcg(0x5eed_0000 + self.kills as u64);
        let mut states: BTreeMap<State, usize> = BTreeMap::new();
        let work = scratch(&format!("{}-work", self.name));
        for i in 0..self.kills {
            copy(template, &work);
            // A third each: before the journal (reading, planning), while staging
            // (before the commit line), and while renaming (after it). The last two
            // wait for their phase to begin, so a loaded machine moves the moments
            // with the run instead of missing the phase.
            let mut child = command(&work, write_args).stderr(Stdio::null()).spawn().expect("spawns");
            let journal = work.join(".caseshare/journal");
            let started = Instant::now();
            let wait_for = |ready: &dyn Fn() -> bool, child: &mut std::process::Child| {
                while !ready() && child.try_wait().expect("waits").is_none() {
                    std::thread::sleep(Duration::from_micros(100));
                }
            };
            let at = match i % 3 {
                0 => journal_at.mul_f64(rng.next()),
                1 => {
                    wait_for(&|| journal.exists(), &mut child);
                    (commit_at - journal_at).mul_f64(rng.next())
                }
                _ => {
                    let committed = || std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("\"commit\""));
                    wait_for(&committed, &mut child);
                    (done_at - commit_at).mul_f64(rng.next())
                }
            };
            std::thread::sleep(at);
            let at = started.elapsed();
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();

            let now = snapshot(&work);
            let journal = std::fs::read_to_string(work.join(".caseshare/journal")).ok();
            let state = match &journal {
                Some(j) if j.contains("\"done\"") => State::Finishing,
                Some(j) if j.contains("\"commit\"") => State::Committed,
                Some(_) => State::Intent,
                None => {
                    // An empty `.caseshare/` (the lock's folder) may stay; nothing else.
                    let mut now = now.clone();
                    now.remove(".caseshare/");
                    if now == before {
                        State::Before
                    } else if now == after {
                        State::After
                    } else {
                        let extra: Vec<&String> = now.keys().filter(|k| !before.contains_key(*k)).collect();
                        panic!("{}: kill {i} at {at:?} left a mixed tree without a journal: {extra:?}", self.name);
                    }
                }
            };
            *states.entry(state).or_default() += 1;

            // `check` never checks a half-written tree.
            let (code, out) = run(&work, &["check", "--format", "concise"]);
            if journal.is_some() {
                assert!(code == 1 && out.contains("error[F006]"), "{}: kill {i}: check says\n{out}", self.name);
                assert_eq!(out.lines().filter(|l| l.contains("error[")).count(), 1, "only F006:\n{out}");
            } else {
                assert!(!out.contains("F006"), "{out}");
            }

            // The next writing command: the command again, `recover`, or
            // `recover --rollback`.
            let again = i % 2 == 1;
            let rollback = i % 4 == 0;
            let (code, out) = match (again, rollback) {
                (true, _) => run(&work, write_args),
                (false, true) => run(&work, &["recover", "--rollback"]),
                (false, false) => run(&work, &["recover"]),
            };
            assert_eq!(code, 0, "{}: kill {i} ({state:?}): the next command failed:\n{out}", self.name);
            if journal.is_some() {
                // Finished, undone, or (killed after its last rename, a
                // rollback asked for) found finished already.
                assert!(
                    [
                        "finished an interrupted write",
                        "undid an interrupted write",
                        "the interrupted write had already finished"
                    ]
                    .iter()
                    .any(|said| out.contains(said)),
                    "it says what it recovered:\n{out}"
                );
            }
            let now = snapshot(&work);
            if again {
                assert!(now == after, "{}: kill {i} ({state:?}): not wholly written after running again", self.name);
            } else {
                let forward =
                    matches!(state, State::After | State::Finishing) || (state == State::Committed && !rollback);
                let want = if forward { &after } else { &before };
                if now != *want {
                    let stray: Vec<&String> = now.keys().filter(|k| !want.contains_key(*k)).collect();
                    panic!("{}: kill {i} ({state:?}): after recover the tree is mixed; extra: {stray:?}", self.name);
                }
                if !forward {
                    // Wholly as it was: the command still works and writes the same tree.
                    assert_eq!(run(&work, write_args).0, 0);
                    assert!(snapshot(&work) == after);
                }
            }
            assert_eq!(memberships(&work), self.members, "{}: kill {i}: memberships lost", self.name);
        }
        eprintln!("{}: where {} kills left the tree: {states:?}", self.name, self.kills);
        // The kills must have hit the write itself, on both sides of its commit point.
        let during = [State::Intent, State::Committed, State::Finishing]
            .iter()
            .map(|s| states.get(s).copied().unwrap_or(0))
            .sum::<usize>();
        assert!(
            during * 4 >= self.kills,
            "{}: only {during} of {} kills hit the write: {states:?}",
            self.name,
            self.kills
        );
        assert!(states.contains_key(&State::Committed), "{}: no kill after the commit point: {states:?}", self.name);
        for dir in [reference, probe, work] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A format 1 project: `groups` files of 10 groups, `users` files of 40 users,
/// each user naming two groups in another file; an app with registrations.
fn legacy_project(dir: &Path, group_files: usize, user_files: usize) -> usize {
    write(dir, "project.yaml", "# legacy\nproject_space: big\ncase_sharing: yes\n");
    write(
        dir,
        "apps/chw.yaml",
        "name: CHW\nversion: 2.10\ncase_sharing: on\nmodules:\n  - name: H\n    case_type: household\n    forms:\n      - {name: R, registration: yes, subcases: [member]}\n",
    );
    let groups = group_files * 10;
    for f in 0..group_files {
        let body: String =
            (0..10).map(|i| format!("  - name: Village {}\n    case_sharing: yes\n", f * 10 + i)).collect();
        write(dir, &format!("groups/g{f:03}.yaml"), &format!("groups:\n{body}"));
    }
    let mut members = 0;
    for f in 0..user_files {
        let mut body = String::new();
        for i in 0..40 {
            let n = f * 40 + i;
            body.push_str(&format!(
                "  - username: user{n:06}\n    groups: [Village {}, Village {}]   # home and market\n",
                n % groups,
                (n * 7 + 3) % groups
            ));
            members += if n % groups == (n * 7 + 3) % groups { 1 } else { 2 };
        }
        write(dir, &format!("users/u{f:03}.yaml"), &format!("users:\n{body}"));
    }
    members
}

#[test]
fn a_killed_migration_is_all_or_nothing() {
    let template = scratch("migrate-template");
    let members = legacy_project(&template, 100, 110);
    let scenario = Scenario { name: "migrate", args: vec!["migrate", "--write"], kills: 45, members };
    scenario.run(&template);
    let _ = std::fs::remove_dir_all(template);
}

#[test]
fn a_killed_fix_is_all_or_nothing() {
    // Format 2, with YAML 1.1 booleans (Y004) to fix in every file.
    let template = scratch("fix-template");
    write(&template, "project.yaml", "format_version: 2\ndomain: big\ncase_sharing: true\n");
    write(
        &template,
        "apps/chw.yaml",
        "format_version: 2\nname: CHW\ncommcare_version: \"2.53.0\"\ncase_sharing: on\nmodules:\n  - {name: H, case_type: household, forms: [{name: R, opens: [{}]}]}\n",
    );
    let mut members = 0;
    for f in 0..110 {
        let users: String = (0..40).map(|i| format!("  - {{username: u{f:03}x{i:02}, is_active: yes}}\n")).collect();
        write(&template, &format!("users/u{f:03}.yaml"), &format!("format_version: 2\nusers:\n{users}"));
        let names: Vec<String> = (0..40).map(|i| format!("u{f:03}x{i:02}")).collect();
        members += names.len();
        write(
            &template,
            &format!("groups/g{f:03}.yaml"),
            &format!(
                "format_version: 2\ngroups:\n  - name: G{f}\n    case_sharing: on\n    members: [{}]\n",
                names.join(", ")
            ),
        );
    }
    let scenario = Scenario { name: "fix", args: vec!["check", "--fix", "--quiet"], kills: 42, members };
    scenario.run(&template);
    let _ = std::fs::remove_dir_all(template);
}

#[test]
fn a_killed_enable_sharing_is_all_or_nothing() {
    // 200 apps below 2.0 with case sharing off; users with no case owner.
    let template = scratch("enable-template");
    write(&template, "project.yaml", "format_version: 2\ndomain: big\n");
    let mut args = vec!["enable-sharing"];
    let ids: Vec<String> = (0..200).map(|i| format!("a{i:03}")).collect();
    for id in &ids {
        write(
            &template,
            &format!("apps/{id}.yaml"),
            "format_version: 2\nname: App\ncommcare_version: \"1.9\"\ncase_sharing: false\nmodules:\n  - {name: H, case_type: household, forms: [{name: R, opens: [{}]}]}\n",
        );
    }
    for id in &ids {
        args.extend(["--app", Box::leak(id.clone().into_boxed_str())]);
    }
    let users: String = (0..300).map(|i| format!("  - {{username: u{i:03}}}\n")).collect();
    write(&template, "users/all.yaml", &format!("format_version: 2\nusers:\n{users}"));
    args.extend(["--group", "Field Team", "--write"]);
    let scenario = Scenario { name: "enable-sharing", args, kills: 42, members: 300 };
    scenario.run(&template);
    let _ = std::fs::remove_dir_all(template);
}

/// A full disk: the write fails while staging, nothing changes, exit 2 with the
/// reason, and no staged file or journal is left. Needs a small tmpfs, which only
/// a process allowed to mount can make; elsewhere the test says why it is skipped.
#[test]
fn a_full_disk_changes_nothing() {
    let dir = scratch("full-disk");
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=96k", "tmpfs"]).arg(&dir).status();
    if !mounted.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot mount a tmpfs here (needs CAP_SYS_ADMIN)");
        return;
    }
    legacy_project(&dir, 2, 4);
    // Fill the disk but for a few kilobytes: less than the migrated files need.
    let free = |d: &Path| -> u64 {
        let out = Command::new("df").args(["--output=avail", "-B1"]).arg(d).output().expect("df");
        String::from_utf8_lossy(&out.stdout).lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or(0)
    };
    let filler = vec![b'x'; free(&dir).saturating_sub(6 * 1024) as usize];
    let _ = std::fs::write(dir.join("filler.bin"), filler);
    let before = snapshot(&dir);
    let (code, out) = run(&dir, &["migrate", "--write"]);
    let after = snapshot(&dir);
    let _ = Command::new("umount").arg(&dir).status();
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{out}");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("No space left on device") && out.contains("nothing was written"), "{out}");
    assert!(before == after, "the tree changed");
}

/// `schema --out` into a folder named relatively, killed once its journal is
/// written (staging or renaming): `caseshare recover FOLDER` finishes or undoes
/// it, as the journal names the files by their resolved paths from that folder,
/// and nothing is left beside the schemas.
#[test]
fn a_killed_schema_write_into_a_relative_folder_is_recovered() {
    let dir = scratch("schema-out");
    let (code, said) = run(&dir, &["schema", "--out", "schemas"]);
    assert_eq!(code, 0, "{said}");
    let written = snapshot(&dir);
    for name in ["app", "users", "groups"] {
        write(&dir, &format!("schemas/{name}.schema.json"), "{}\n");
    }
    let before = snapshot(&dir);
    let journal = dir.join("schemas/.caseshare/journal");
    for wait in [0, 1, 2, 3, 4] {
        let mut child = command(&dir, &["schema", "--out", "schemas"])
            .env("CASESHARE_WRITE_PACE_US", "150000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let started = Instant::now();
        while !journal.exists() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(150 * wait));
        let _ = child.kill();
        let _ = child.wait();
        let (code, said) = run(&dir, &["recover", "schemas"]);
        assert_eq!(code, 0, "killed {wait} steps in: {said}");
        let now = snapshot(&dir);
        assert!(now == before || now == written, "killed {wait} steps in: neither old nor new: {now:#?}");
        if now == written {
            for name in ["app", "users", "groups"] {
                write(&dir, &format!("schemas/{name}.schema.json"), "{}\n");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
