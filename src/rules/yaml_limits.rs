//! Y003: alias expansion, nesting depth or file size over the safe limits.

declare_rule! {
    /// ### What it does
    /// Reports a file whose aliases expand too far (the "billion laughs" attack), whose
    /// nesting is deeper than 32 levels, or which is larger than 32 MiB.
    ///
    /// ### Why is this bad
    /// Such a file makes YAML tools hang or run out of memory; no project definition
    /// needs it. caseshare stops reading at the limit, so it never hangs.
    ///
    /// ### Example
    /// ```yaml
    /// a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
    /// b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    /// c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    /// # ... and so on: 9^9 strings
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// users:
    ///   - {username: david}
    /// ```
    pub static RULE = "Y003", "yaml-limits", Error, summary = "alias expansion, nesting depth or file size over the safe limits";
}
