//! S002: a required key is missing.
use crate::diagnostic::{Diagnostic, Place};

declare_rule! {
    /// ### What it does
    /// Reports a mapping that lacks a required key (an app's `name` or
    /// `commcare_version`, a user's `username`, …), labelling the mapping.
    ///
    /// ### Why is this bad
    /// Without it the definition cannot be identified or checked.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// users:
    ///   - role: chw
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// users:
    ///   - username: david
    ///     role: chw
    /// ```
    pub static RULE = "S002", "missing-field", Error, Schema, summary = "a required key is missing";
}

/// S002: `what` (`an app`, `a group`, …) has no `key`; labelled at the mapping's first line.
pub fn diagnostic(at: Place, what: &str, key: &str) -> Diagnostic {
    Diagnostic::new(&RULE, at, format!("{what} is missing the required key `{key}`"))
        .label(format!("this mapping has no `{key}`"))
        .help(format!("add `{key}:`"))
}
