//! The rule catalogue (SPEC section 3): one rule per file, each declared with its
//! code, name, default severity, stage and documentation in clippy's template,
//! and owning the messages of its diagnostics. The stage that finds a problem
//! builds the diagnostic with its rule's functions: the Y, F and S rules while a
//! file is loaded ([`crate::load`], [`crate::schema_check`]); the others run on
//! the [`crate::index::Index`], in the order of [`REGISTRY`].
//!
//! Adding a rule: its file here, a `mod` line and a [`registry!`] line below, and
//! its fixtures in `fixtures/rules/<CODE>/`.

use crate::diagnostic::Diagnostic;
use crate::index::Index;
pub use crate::rule::{Rule, Severity, Stage};

/// Declares a rule: its doc comment becomes the text of `caseshare explain`.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        pub static $id:ident = $code:literal, $name:literal, $sev:ident, $stage:ident, summary = $summary:literal
            $(, fixable = $fixable:literal)?;
    ) => {
        $(#[doc = $doc])+
        pub static $id: $crate::rule::Rule = $crate::rule::Rule {
            code: $code,
            name: $name,
            severity: $crate::rule::Severity::$sev,
            stage: $crate::rule::Stage::$stage,
            summary: $summary,
            fixable: false $(|| $fixable)?,
            doc: concat!($($doc, "\n"),+),
        };
    };
}

/// The registry: every rule module, sorted by code; `=> check` for the rules that
/// run on the index.
macro_rules! registry {
    ($($module:ident $(=> $check:ident)?),* $(,)?) => {
        /// Every rule, sorted by code.
        pub static REGISTRY: &[&Rule] = &[$(&$module::RULE),*];

        /// Runs every cross-file rule.
        pub fn run(index: &Index, out: &mut Vec<Diagnostic>) {
            $($($module::$check(index, out);)?)*
        }
    };
}

pub mod case_hierarchy_cycle;
pub mod case_type_near_miss;
pub mod case_type_never_listed;
pub mod creator_in_multiple_owners;
pub mod duplicate_definition;
pub mod duplicate_key;
pub mod duplicate_member;
pub mod empty_sharing_group;
pub mod interrupted_write;
pub mod invalid_case_type;
pub mod invalid_value;
pub mod legacy_format;
pub mod location_cycle;
pub mod location_parent_type;
pub mod missing_field;
pub mod module_without_case_type;
pub mod not_exactly_one_owner;
pub mod not_utf8;
pub mod outside_project;
pub mod shared_case_type_missing;
pub mod sharing_app_domain;
pub mod sharing_app_version;
pub mod sharing_group_without_sharing_app;
pub mod sharing_off_for_shared_type;
pub mod sharing_setting_off;
pub mod unknown_field;
pub mod unknown_file;
pub mod unknown_reference;
pub mod unquoted_version;
pub mod unsupported_format_version;
pub mod unused_suppression;
pub mod user_without_case_owner;
pub mod wrong_type;
pub mod yaml11_boolean;
pub mod yaml_limits;
pub mod yaml_syntax;

registry! {
    sharing_app_version => check,
    sharing_app_domain => check,
    invalid_case_type => check,
    case_hierarchy_cycle => check,
    module_without_case_type => check,
    shared_case_type_missing => check,
    case_type_near_miss => check,
    sharing_off_for_shared_type => check,
    case_type_never_listed => check,
    duplicate_definition => check,
    unsupported_format_version,
    legacy_format,
    unknown_file,
    not_utf8,
    outside_project,
    interrupted_write,
    user_without_case_owner => check,
    creator_in_multiple_owners => check,
    not_exactly_one_owner => check,
    sharing_group_without_sharing_app => check,
    empty_sharing_group => check,
    duplicate_member => check,
    sharing_setting_off => check,
    location_cycle => check,
    location_parent_type => check,
    unknown_reference => check,
    unknown_field,
    missing_field,
    wrong_type,
    invalid_value,
    unused_suppression,
    yaml_syntax,
    duplicate_key,
    yaml_limits,
    yaml11_boolean,
    unquoted_version,
}

/// The rules as a markdown table: code, name, severity and summary (README's table).
pub fn table_markdown() -> String {
    let mut out = String::from("| code | name | severity | what |\n|---|---|---|---|\n");
    for r in REGISTRY {
        out.push_str(&format!("| {} | {} | {} | {} |\n", r.code, r.name, r.severity.as_str(), r.summary));
    }
    out
}

/// The rules reference (`docs/rules.md`): every rule's documentation, as
/// `caseshare explain` prints it, generated from the rules themselves.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Rules reference\n\n<!-- Generated from the rules' documentation (src/rules/); `CASESHARE_BLESS=1 cargo test --test docs` rewrites it. -->\n\n",
    );
    out.push_str(&table_markdown());
    for r in REGISTRY {
        let fixable = if r.fixable { ", fixable" } else { "" };
        out.push_str(&format!(
            "\n## {} `{}`\n\nDefault severity: {}{fixable}.\n\n",
            r.code,
            r.name,
            r.severity.as_str()
        ));
        let doc: Vec<&str> = r.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect();
        // The doc's own headings sit one level below the rule's.
        for line in doc {
            match line.strip_prefix("### ") {
                Some(h) => out.push_str(&format!("#### {h}\n")),
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// The rule with this code (case-insensitive).
pub fn by_code(code: &str) -> Option<&'static Rule> {
    REGISTRY.iter().copied().find(|r| r.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted() {
        for pair in REGISTRY.windows(2) {
            assert!(pair[0].code < pair[1].code, "{} must sort before {}", pair[0].code, pair[1].code);
        }
    }

    #[test]
    fn names_are_unique_kebab_case() {
        let mut names: Vec<_> = REGISTRY.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len());
        for r in REGISTRY {
            assert!(r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()), "{}", r.name);
        }
    }

    #[test]
    fn every_rule_is_documented_in_the_clippy_template() {
        for r in REGISTRY {
            for heading in ["### What it does", "### Why is this bad", "### Example", "### Use instead"] {
                assert!(r.doc.contains(heading), "{} lacks `{heading}`", r.code);
            }
            assert!(!r.summary.is_empty(), "{} has no summary", r.code);
            assert!(r.doc.contains("```yaml"), "{} has no YAML example", r.code);
        }
    }
}
