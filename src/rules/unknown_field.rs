//! S001: a key the schema does not allow.
use crate::diagnostic::{Diagnostic, Place, did_you_mean};

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
    pub static RULE = "S001", "unknown-field", Error, Schema, summary = "a key the schema does not allow";
}

/// S001 for key `name`, with the nearest allowed key or the list of them.
pub fn diagnostic(at: Place, name: &str, allowed: &[&str]) -> Diagnostic {
    let d = Diagnostic::new(&RULE, at, format!("unknown key `{name}`")).label("not allowed here");
    match did_you_mean(name, allowed.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(format!("remove it; allowed keys: {}", allowed.join(", "))),
    }
}
