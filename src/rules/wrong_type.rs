//! S003: a value of the wrong type.
use crate::diagnostic::{Diagnostic, Place};

declare_rule! {
    /// ### What it does
    /// Reports a value of the wrong type: a list where a mapping belongs, a number
    /// where a string belongs. The field then takes its default, as if absent.
    /// (Booleans spelt `on`/`yes` are Y004 and numeric versions Y005 instead.)
    ///
    /// ### Why is this bad
    /// HQ and the JSON Schemas reject it, and each tool coerces it differently.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - name: Village A
    ///     members: david
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - name: Village A
    ///     members: [david]
    /// ```
    pub static RULE = "S003", "wrong-type", Error, Schema, summary = "a value of the wrong type";
}

/// S003: `subject` (`` `name` ``, `a group`, …) must be `expected` and is `found`.
pub fn must_be(at: Place, subject: &str, expected: &str, found: &str) -> Diagnostic {
    diagnostic(at, format!("{subject} must be {expected}, found {found}"))
}

/// S003 where a string belongs and a number or boolean stands: how to quote it.
pub fn must_be_string(at: Place, subject: &str, found: &str, written: &str) -> Diagnostic {
    diagnostic(at, format!("{subject} must be a string, found {found}; quote it: `\"{written}\"`"))
}

/// S003 for a required key whose value is null.
pub fn no_value(at: Place, key: &str) -> Diagnostic {
    diagnostic(at, format!("`{key}` must have a value, found null"))
}

/// S003 where the value may take one of several shapes (`accepted`, in words).
pub fn none_of(at: Place, field: &str, accepted: &str, found: &str) -> Diagnostic {
    Diagnostic::new(&RULE, at, format!("`{field}` must be {accepted}, found {found}"))
        .label("wrong type")
        .help(format!("write {accepted}"))
}

/// S003 with its message.
pub fn diagnostic(at: Place, message: String) -> Diagnostic {
    Diagnostic::new(&RULE, at, message).label("wrong type").help("change the value to the expected type")
}
