//! F002: a format 1 (legacy) file.

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
    pub static RULE = "F002", "legacy-format", Error, summary = "a format 1 file";
}
