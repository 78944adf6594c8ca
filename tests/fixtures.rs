//! The fixture harness: for every rule, its projects `fixtures/rules/<CODE>/
//! {invalid,valid}` (overlays on `fixtures/rules/base/`) are checked and their
//! output snapshotted (no colour, fixed width); the invalid project must raise
//! the rule's code and the valid one must be clean. One test per rule, named
//! after its code (`cargo test --test fixtures G002`), and one for the demo.
//! Adding a rule means adding its fixtures, not a test.

mod common;

use std::path::PathBuf;

use caseshare::report::{self, Format, Style};
use caseshare::rules::REGISTRY;
use caseshare::{CheckResult, check_root};
use common::{fixtures, rule_fixture};
use libtest_mimic::{Arguments, Failed, Trial};

/// Concise lines, the graphical report and the summary, as a user sees them.
fn rendered(result: &CheckResult) -> String {
    let concise = report::render(result, Format::Concise, Style::default());
    let human = report::render(result, Format::Human, Style { color: false, width: 100 });
    let summary = report::summary(std::slice::from_ref(result));
    format!("{concise}\n{human}{summary}\n")
}

/// A rule's two fixture projects.
fn rule(code: &'static str) -> Result<(), Failed> {
    for kind in ["invalid", "valid"] {
        if !fixtures().join("rules").join(code).join(kind).is_dir() {
            return Err(format!("missing fixture fixtures/rules/{code}/{kind}").into());
        }
        let root = rule_fixture(code, kind);
        let result = check_root(&root, &root).map_err(|e| e.to_string())?;
        let fired = result.diagnostics.iter().any(|d| d.code() == code);
        if kind == "invalid" && !fired {
            return Err(format!("{code}/invalid does not raise {code}:\n{}", rendered(&result)).into());
        }
        if kind == "valid" && !result.diagnostics.is_empty() {
            return Err(format!("{code}/valid is not clean:\n{}", rendered(&result)).into());
        }
        insta::assert_snapshot!(format!("{code}_{kind}"), rendered(&result));
    }
    Ok(())
}

/// Every folder of fixtures/rules is a rule's (or the base).
fn folders_are_rules() -> Result<(), Failed> {
    for e in std::fs::read_dir(fixtures().join("rules")).map_err(|e| e.to_string())? {
        let name = e.map_err(|e| e.to_string())?.file_name().to_string_lossy().into_owned();
        if name != "base" && caseshare::rules::by_code(&name).is_none() {
            return Err(format!("fixtures/rules/{name} is not a rule").into());
        }
    }
    Ok(())
}

fn demo_checks_clean() -> Result<(), Failed> {
    let root: PathBuf = fixtures().join("demo");
    let result = check_root(&root, &root).map_err(|e| e.to_string())?;
    if !result.diagnostics.is_empty() || !result.io_problems.is_empty() {
        return Err(rendered(&result).into());
    }
    if (result.project.apps.len(), result.project.users.len()) != (3, 7) {
        return Err("the demo has 3 apps and 7 users".into());
    }
    Ok(())
}

fn main() {
    let mut trials: Vec<Trial> = REGISTRY.iter().map(|r| Trial::test(r.code, move || rule(r.code))).collect();
    trials.push(Trial::test("folders_are_rules", folders_are_rules));
    trials.push(Trial::test("demo_checks_clean", demo_checks_clean));
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
