//! S004: a value outside an enum or pattern.

declare_rule! {
    /// ### What it does
    /// Reports a value outside the allowed set (a module `kind`, a form's `requires`,
    /// an `owner` or `relationship`) or pattern (the domain's characters, a version's
    /// digits). The field then takes its default.
    ///
    /// ### Why is this bad
    /// HQ accepts only these values; anything else is a typo that changes meaning,
    /// e.g. `owner: explict` would leave the owner automatic.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// domain: Demo District
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// domain: demo-district
    /// ```
    pub static RULE = "S004", "invalid-value", Error, summary = "a value outside an enum or pattern";
}
