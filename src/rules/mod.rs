//! The rule catalogue (SPEC section 3): one rule per file, each declared with its
//! code, name, default severity and documentation in clippy's template.
//!
//! Rules of the Y, F and S groups are found while files are loaded
//! ([`crate::load`]); the others run on the loaded [`crate::Project`] and its
//! [`crate::index::Index`], in the order of [`REGISTRY`].

use crate::diagnostic::{Diagnostic, Severity};
use crate::index::Index;

/// A rule of the catalogue.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line for `caseshare rules` (SPEC section 3's "what").
    pub summary: &'static str,
    /// Whether `--fix` can repair it.
    pub fixable: bool,
    /// The documentation that `caseshare explain` prints (markdown).
    pub doc: &'static str,
    /// The cross-file check; `None` for rules found while loading files.
    pub check: Option<fn(&Index, &mut Vec<Diagnostic>)>,
}

/// Declares a rule: its doc comment becomes the text of `caseshare explain`.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        pub static $id:ident = $code:literal, $name:literal, $sev:ident, summary = $summary:literal
            $(, check = $check:path)? $(, fixable = $fixable:literal)?;
    ) => {
        $(#[doc = $doc])+
        pub static $id: $crate::rules::Rule = $crate::rules::Rule {
            code: $code,
            name: $name,
            severity: $crate::diagnostic::Severity::$sev,
            summary: $summary,
            fixable: false $(|| $fixable)?,
            doc: concat!($($doc, "\n"),+),
            check: declare_rule!(@check $($check)?),
        };
    };
    (@check) => { None };
    (@check $check:path) => { Some($check) };
}

pub mod case_hierarchy_cycle;
pub mod case_type_near_miss;
pub mod case_type_never_listed;
pub mod creator_in_multiple_owners;
pub mod duplicate_definition;
pub mod duplicate_key;
pub mod duplicate_member;
pub mod empty_sharing_group;
pub mod invalid_case_type;
pub mod invalid_value;
pub mod legacy_format;
pub mod location_cycle;
pub mod location_parent_type;
pub mod missing_field;
pub mod module_without_case_type;
pub mod not_exactly_one_owner;
pub mod not_utf8;
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

/// Every rule, sorted by code.
pub static REGISTRY: &[&Rule] = &[
    &sharing_app_version::RULE,
    &sharing_app_domain::RULE,
    &invalid_case_type::RULE,
    &case_hierarchy_cycle::RULE,
    &module_without_case_type::RULE,
    &shared_case_type_missing::RULE,
    &case_type_near_miss::RULE,
    &sharing_off_for_shared_type::RULE,
    &case_type_never_listed::RULE,
    &duplicate_definition::RULE,
    &unsupported_format_version::RULE,
    &legacy_format::RULE,
    &unknown_file::RULE,
    &not_utf8::RULE,
    &user_without_case_owner::RULE,
    &creator_in_multiple_owners::RULE,
    &not_exactly_one_owner::RULE,
    &sharing_group_without_sharing_app::RULE,
    &empty_sharing_group::RULE,
    &duplicate_member::RULE,
    &sharing_setting_off::RULE,
    &location_cycle::RULE,
    &location_parent_type::RULE,
    &unknown_reference::RULE,
    &unknown_field::RULE,
    &missing_field::RULE,
    &wrong_type::RULE,
    &invalid_value::RULE,
    &unused_suppression::RULE,
    &yaml_syntax::RULE,
    &duplicate_key::RULE,
    &yaml_limits::RULE,
    &yaml11_boolean::RULE,
    &unquoted_version::RULE,
];

/// The rule with this code (case-insensitive).
pub fn by_code(code: &str) -> Option<&'static Rule> {
    REGISTRY.iter().copied().find(|r| r.code.eq_ignore_ascii_case(code))
}

/// Runs every cross-file rule.
pub fn run(index: &Index, out: &mut Vec<Diagnostic>) {
    for rule in REGISTRY {
        if let Some(check) = rule.check {
            check(index, out);
        }
    }
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
