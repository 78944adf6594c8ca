//! Y005: a version written as a number.
use crate::diagnostic::{Diagnostic, Place};

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
    pub static RULE = "Y005", "unquoted-version", Error, Schema, summary = "a version written as a number", fixable = true;
}

/// Y005 for a version `written` as a number that YAML reads as `read`; the fix quotes it.
pub fn diagnostic(at: Place, key: &str, written: &str, read: &str) -> Diagnostic {
    let how = if read == written {
        format!("YAML reads it as the number {read}")
    } else {
        format!("YAML reads it as {read}")
    };
    let span = at.span.clone();
    Diagnostic::new(&RULE, at, format!("version `{written}` is written as a number; {how}"))
        .label(format!("the number {read}"))
        .edit(span, format!("\"{written}\""))
        .help(format!("quote it: `{key}: \"{written}\"`"))
}
