//! S001: a key the schema does not allow.

declare_rule! {
    /// ### What it does
    /// Reports a key that the file's schema does not allow, with the nearest allowed
    /// key. The key is then ignored.
    ///
    /// ### Why is this bad
    /// A misspelt key is silently ignored by most tools: `case_shareing: true` leaves
    /// case sharing off.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// commcare_version: "2.53.0"
    /// case_shareing: true
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// commcare_version: "2.53.0"
    /// case_sharing: true
    /// ```
    pub static RULE = "S001", "unknown-field", Error, summary = "a key the schema does not allow";
}
