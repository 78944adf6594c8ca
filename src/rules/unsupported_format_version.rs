//! F001: a `format_version` this tool does not know.
use crate::diagnostic::{Diagnostic, Place};

declare_rule! {
    /// ### What it does
    /// Reports a file whose `format_version` is neither 2 (current) nor 1 (legacy):
    /// a newer format, or a value that is not the integer 2.
    ///
    /// ### Why is this bad
    /// caseshare cannot know what a newer format means, so it does not check the file
    /// rather than check it wrongly.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 3
    /// name: CHW App
    /// ```
    ///
    /// ### Use instead
    /// Upgrade caseshare, or write the current format:
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// commcare_version: "2.53.0"
    /// ```
    pub static RULE = "F001", "unsupported-format-version", Error, Format, summary = "`format_version` newer or other than this tool knows";
}

/// F001 for `format_version: shown`; `as_text` when it is 2 written as a string or float.
pub fn diagnostic(at: Place, shown: &str, as_text: bool) -> Diagnostic {
    let help = if as_text {
        "write `format_version: 2`, an integer"
    } else {
        "upgrade caseshare, or write `format_version: 2`"
    };
    Diagnostic::new(
        &RULE,
        at,
        format!("format_version `{shown}` is not supported; caseshare reads format 2 and migrates format 1"),
    )
    .label("unknown format")
    .help(help)
}
