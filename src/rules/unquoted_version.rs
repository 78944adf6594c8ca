//! Y005: a version written as a number.

declare_rule! {
    /// ### What it does
    /// Reports a version written as a bare number, showing how YAML reads it. The file
    /// still loads, with the version as written (`2.10` is "2.10").
    ///
    /// ### Why is this bad
    /// YAML reads `commcare_version: 2.10` as the number 2.1, so any tool that goes
    /// through an ordinary YAML parser sees CommCare 2.1, and `2.0` is no longer a string.
    /// Versions compare per component ("2.10" is newer than "2.9"); numbers do not.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// commcare_version: 2.10
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// commcare_version: "2.10"
    /// ```
    pub static RULE = "Y005", "unquoted-version", Error, summary = "a version written as a number", fixable = true;
}
