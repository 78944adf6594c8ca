//! F002: a format 1 (legacy) file.
use crate::diagnostic::{Diagnostic, Place};

declare_rule! {
    /// ### What it does
    /// Reports a file without `format_version`, or with `format_version: 1`: the legacy
    /// format, which `caseshare migrate` rewrites to format 2.
    ///
    /// ### Why is this bad
    /// Format 1 keeps memberships on users, spells booleans as `on`/`yes` and versions
    /// as numbers; the case sharing rules are defined on format 2 only, so the file is
    /// not checked until it is migrated.
    ///
    /// ### Example
    /// ```yaml
    /// project_space: demo-district
    /// case_sharing: yes
    /// ```
    ///
    /// ### Use instead
    /// Run `caseshare migrate --write`, which gives:
    /// ```yaml
    /// format_version: 2
    /// domain: demo-district
    /// case_sharing: true
    /// ```
    pub static RULE = "F002", "legacy-format", Error, Format, summary = "a format 1 file";
}

/// F002 for a format 1 file.
pub fn diagnostic(at: Place) -> Diagnostic {
    Diagnostic::new(&RULE, at, "this is a format 1 (legacy) file")
        .label("format 1")
        .help("run `caseshare migrate` to rewrite it to format 2")
}

/// F002 for an empty file: it has no `format_version`.
pub fn empty(at: Place) -> Diagnostic {
    Diagnostic::new(&RULE, at, "the file is empty: it has no `format_version`")
        .label("format 1")
        .help("add `format_version: 2` and the definitions, or delete the file")
}
