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

/// The wiki's referral story as HQ builds it: the demo's CHW app opens `referral`
/// cases and lists `referral` in a module of its own. Without that module HQ refuses
/// to build the CHW app, although the clinic app lists `referral`: C004, alone.
fn demo_chw_app_needs_its_own_referral_module() -> Result<(), Failed> {
    let root = std::env::temp_dir().join(format!("caseshare-demo-referral-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    common::copy_tree(&fixtures().join("demo"), &root);
    let chw = root.join("apps/chw.yaml");
    let text = std::fs::read_to_string(&chw).map_err(|e| e.to_string())?;
    let cut = text.find("  - name: Referrals").ok_or("the demo's CHW app has a Referrals module")?;
    std::fs::write(&chw, &text[..cut]).map_err(|e| e.to_string())?;
    let result = check_root(&root, &root).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&root);
    let codes: Vec<&str> = result.diagnostics.iter().map(|d| d.code()).collect();
    if codes != ["C004"] {
        return Err(format!("want C004 alone:\n{}", rendered(&result)).into());
    }
    let d = &result.diagnostics[0];
    let clinic = d.related.iter().any(|r| result.project.files[r.file].rel == "apps/clinic.yaml");
    if d.severity != caseshare::diagnostic::Severity::Error || !d.message.contains("app `chw`") || !clinic {
        return Err(format!("want an error in app `chw` that points at the clinic app:\n{}", rendered(&result)).into());
    }
    Ok(())
}

fn main() {
    let mut trials: Vec<Trial> = REGISTRY.iter().map(|r| Trial::test(r.code, move || rule(r.code))).collect();
    trials.push(Trial::test("folders_are_rules", folders_are_rules));
    trials.push(Trial::test("demo_checks_clean", demo_checks_clean));
    trials.push(Trial::test("demo_chw_app_needs_its_own_referral_module", demo_chw_app_needs_its_own_referral_module));
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
