//! Helpers shared by the test files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The repository's `fixtures/` folder.
pub fn fixtures() -> PathBuf {
    sweep_once();
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Removes, once per test process, the scratch folders of test processes that
/// are gone (`caseshare-…-<pid>…` in the temporary folder, an hour old): tests
/// that keep theirs to the end of the process (the language server's
/// projects, the rule fixtures) would otherwise pile up run after run.
fn sweep_once() {
    static SWEPT: OnceLock<()> = OnceLock::new();
    SWEPT.get_or_init(|| {
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix("caseshare-") else { continue };
            let pid = rest.split('-').find(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
            let Some(pid) = pid else { continue };
            let gone = !Path::new("/proc").join(pid).exists() && Path::new("/proc/self").exists();
            let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < hour_ago);
            if gone && old && entry.file_type().is_ok_and(|t| t.is_dir()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    });
}

/// A rule's fixture project (`kind` is `invalid` or `valid`) as a folder on disk:
/// `fixtures/rules/base/` with the rule's overlay `fixtures/rules/<CODE>/<kind>/`
/// over it (its files replace the base's; `.without` lists base files to leave
/// out). Made once per test process, in a temporary folder.
pub fn rule_fixture(code: &str, kind: &str) -> PathBuf {
    static MADE: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let dir = std::env::temp_dir().join(format!("caseshare-fixtures-{}", std::process::id())).join(code);
    let mut made = MADE
        .get_or_init(|| {
            remove_stale_fixture_folders();
            Mutex::default()
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if !made.iter().any(|c| c == code) {
        let _ = std::fs::remove_dir_all(&dir);
        let rules = fixtures().join("rules");
        copy_tree(&rules.join(code), &dir);
        for k in ["invalid", "valid"] {
            let tree = dir.join(k);
            let without = std::fs::read_to_string(tree.join(".without")).unwrap_or_default();
            let _ = std::fs::remove_file(tree.join(".without"));
            for file in files(&rules.join("base")) {
                let rel = file.strip_prefix(rules.join("base")).expect("below base");
                let skip = without.lines().any(|l| Path::new(l.trim()) == rel);
                if !skip && std::fs::symlink_metadata(tree.join(rel)).is_err() {
                    std::fs::create_dir_all(tree.join(rel).parent().expect("a folder")).expect("mkdir");
                    std::fs::copy(&file, tree.join(rel)).expect("copy");
                }
            }
        }
        made.push(code.to_string());
    }
    dir.join(kind)
}

/// Removes the fixture folders of earlier test processes that have ended (the
/// folders outlive their process: each test in it may still be reading them).
fn remove_stale_fixture_folders() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("caseshare-fixtures-").and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        // Where /proc tells which processes are alive (Linux); elsewhere nothing is removed.
        if pid != std::process::id() && Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Copies a folder, keeping symbolic links as links.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        let ty = e.file_type().expect("type");
        if ty.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).expect("link"), &target).expect("symlink");
        } else if ty.is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// Every file below a folder.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.is_dir() { out.extend(files(&p)) } else { out.push(p) }
    }
    out.sort();
    out
}

/// Runs a property over generated values: `cases` of them (`PROPTEST_CASES`
/// overrides it), failures shrunk and reported as proptest does. `test` says
/// whether the case reached the property's assertion (a case can be vacuous: a
/// file that did not load, a project with nothing to migrate); the run fails when
/// fewer than `floor` of the cases did, since the property then says little.
pub fn property<S: proptest::strategy::Strategy>(
    cases: u32,
    floor: f64,
    strategy: S,
    test: impl Fn(S::Value) -> Result<bool, proptest::test_runner::TestCaseError>,
) {
    use proptest::test_runner::{Config, TestRunner};
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let reached = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |v| {
        if test(v)? {
            reached.set(reached.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (reached, needed) = (reached.get(), (f64::from(cases) * floor).ceil() as u32);
    eprintln!("{reached} of {cases} cases reached the assertion (at least {needed} must)");
    assert!(reached >= needed, "only {reached} of {cases} cases reached the assertion; at least {needed} must");
}
