//! S004: a value outside an enum or pattern.
use crate::diagnostic::{Diagnostic, Place, did_you_mean};

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
    pub static RULE = "S004", "invalid-value", Error, Schema, summary = "a value outside an enum or pattern";
}

/// S004 for `field: value` outside its `options`, with the nearest option.
pub fn not_one_of(at: Place, field: &str, shown: &str, options: &[&str]) -> Diagnostic {
    let help = match did_you_mean(shown, options.iter().copied()) {
        Some(m) => format!("did you mean `{m}`?"),
        None => format!("use one of: {}", options.join(", ")),
    };
    diagnostic(at, format!("`{field}: {shown}` is not one of {}", options.join(", ")), help)
}

/// S004 for a domain with characters HQ does not allow.
pub fn domain(at: Place, shown: &str) -> Diagnostic {
    diagnostic(
        at,
        format!("domain `{shown}` may only hold lowercase letters, digits and `-`"),
        format!("write it as `{}`", crate::model::slug(shown)),
    )
}

/// S004 for a version that is not dot-separated numbers.
pub fn version(at: Place, shown: &str) -> Diagnostic {
    diagnostic(
        at,
        format!("`{shown}` is not a version"),
        "write the CommCare version as dot-separated numbers, e.g. \"2.53.0\"".to_string(),
    )
}

/// S004 for a format 1 yes/no key whose value is neither.
pub fn not_yes_no(at: Place, key: &str, shown: &str) -> Diagnostic {
    diagnostic(at, format!("`{key}` is `{shown}`, not yes or no"), format!("write `{key}: yes` or `{key}: no`"))
        .label("expected yes or no")
}

/// S004 with its message and help.
pub fn diagnostic(at: Place, message: String, help: String) -> Diagnostic {
    Diagnostic::new(&RULE, at, message).label("invalid value").help(help)
}
