//! Y002: a mapping repeats a key.
use crate::diagnostic::{Diagnostic, Place};

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
    pub static RULE = "Y002", "duplicate-key", Error, Parse, summary = "a mapping repeats a key";
}

/// Y002 for `key`, labelled at both entries.
pub fn diagnostic(again: Place, first: Place, key: &str) -> Diagnostic {
    Diagnostic::new(&RULE, again, format!("duplicate key `{key}`"))
        .label("repeated here")
        .also(first, "first defined here")
        .help("remove one of the two entries: YAML does not allow repeated keys")
}

/// Y002 for a format 1 key `old` whose format 2 name `new` the mapping has already.
pub fn renamed_twice(old_at: Place, new_at: Place, old: &str, new: &str) -> Diagnostic {
    Diagnostic::new(&RULE, old_at, format!("`{old}` becomes `{new}` in format 2, and this mapping has `{new}` already"))
        .label(format!("becomes `{new}`"))
        .also(new_at, format!("`{new}` is here"))
        .help(format!("keep one of the two, then migrate: format 2 has only `{new}`"))
}
