//! Y002: a mapping repeats a key.

declare_rule! {
    /// ### What it does
    /// Reports a mapping that repeats a key, labelling both occurrences.
    ///
    /// ### Why is this bad
    /// YAML does not allow repeated keys, and tools disagree on what they mean: some
    /// keep the first, most keep the last ("last one wins"), so one of the two values
    /// is silently lost. caseshare never guesses.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// case_sharing: false
    /// case_sharing: true
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// case_sharing: true
    /// ```
    pub static RULE = "Y002", "duplicate-key", Error, summary = "a mapping repeats a key";
}
