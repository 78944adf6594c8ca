//! F003: a YAML file outside the known folders.
use crate::diagnostic::{Diagnostic, Place};

declare_rule! {
    /// ### What it does
    /// Reports a YAML file that is neither `project.yaml` nor inside `apps/`, `groups/`,
    /// `users/` or `locations/`. Dot-files and dot-folders (`.github/`,
    /// `.pre-commit-config.yaml`) are ignored.
    ///
    /// ### Why is this bad
    /// A definition in the wrong place is silently left out of every check, which is
    /// worse than an error: a `group/villages.yaml` (singular) defines no groups.
    ///
    /// ### Example
    /// ```yaml
    /// # group/villages.yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [david]}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// # groups/villages.yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [david]}
    /// ```
    pub static RULE = "F003", "unknown-file", Warning, Format, summary = "a YAML file outside the known folders";
}

/// F003 for the file `rel`, labelled at its first line.
pub fn diagnostic(at: Place, rel: &str) -> Diagnostic {
    Diagnostic::new(&RULE, at, format!("`{rel}` is outside the known folders"))
        .label("not checked")
        .help("move it to apps/, groups/, users/ or locations/, or rename it if it is not a definition file")
}
