//! S002: a required key is missing.

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
    pub static RULE = "S002", "missing-field", Error, summary = "a required key is missing";
}
