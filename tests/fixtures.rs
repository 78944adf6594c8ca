//! The fixture harness: every tree under `fixtures/rules/<CODE>/{invalid,valid}` and
//! the demo project is checked, its output snapshotted (no colour, fixed width),
//! invalid trees must raise their code and valid trees must be clean.
//! Adding a rule means adding its fixtures here, not a test.

use std::path::{Path, PathBuf};

use caseshare::report::{self, Format, Style};
use caseshare::rules::REGISTRY;
use caseshare::{CheckResult, check_root};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Concise lines, the graphical report and the summary, as a user sees them.
fn rendered(result: &CheckResult) -> String {
    let concise = report::render(result, Format::Concise, Style::default());
    let human = report::render(result, Format::Human, Style { color: false, width: 100 });
    let summary = report::summary(std::slice::from_ref(result));
    format!("{concise}\n{human}{summary}\n")
}

#[test]
fn every_rule_has_an_invalid_and_a_valid_fixture() {
    for rule in REGISTRY {
        for kind in ["invalid", "valid"] {
            let dir = fixtures().join("rules").join(rule.code).join(kind);
            assert!(dir.join("project.yaml").is_file(), "missing fixture {}", dir.display());
        }
    }
}

#[test]
fn rule_fixtures() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures().join("rules"))
        .expect("fixtures/rules")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= REGISTRY.len());
    let mut failures = Vec::new();
    for dir in dirs {
        let code = dir.file_name().and_then(|n| n.to_str()).expect("code").to_string();
        assert!(caseshare::rules::by_code(&code).is_some(), "fixtures/rules/{code} is not a rule");
        for kind in ["invalid", "valid"] {
            let root = dir.join(kind);
            let result = check_root(&root, &root).expect("checks");
            let fired = result.diagnostics.iter().any(|d| d.code() == code);
            if kind == "invalid" && !fired {
                failures.push(format!("{code}/invalid does not raise {code}"));
            }
            if kind == "valid" && !result.diagnostics.is_empty() {
                failures.push(format!(
                    "{code}/valid is not clean:\n{}",
                    report::render(&result, Format::Concise, Style::default())
                ));
            }
            insta::assert_snapshot!(format!("{code}_{kind}"), rendered(&result));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn demo_checks_clean() {
    let root = fixtures().join("demo");
    let result = check_root(&root, &root).expect("checks");
    assert!(result.diagnostics.is_empty(), "{}", rendered(&result));
    assert!(result.io_problems.is_empty());
    assert_eq!(result.project.apps.len(), 3);
    assert_eq!(result.project.users.len(), 7);
}
