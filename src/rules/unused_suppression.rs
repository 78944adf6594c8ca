//! X001: an `allow` comment that suppressed nothing.
use crate::diagnostic::{Diagnostic, Place};

declare_rule! {
    /// ### What it does
    /// Reports a `# caseshare: allow CODE -- reason` comment that suppressed no
    /// diagnostic, on its own line or the line below.
    ///
    /// ### Why is this bad
    /// Stale suppressions pile up, hide the next real problem on that line, and
    /// mislead readers about what the line does.
    ///
    /// ### Example
    /// ```yaml
    /// users:
    ///   # caseshare: allow G003 -- reviews both villages
    ///   - {username: david}     # david is now in one group only
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// users:
    ///   - {username: david}
    /// ```
    pub static RULE = "X001", "unused-suppression", Warning, Suppress, summary = "an `allow` comment that suppressed nothing";
}

/// X001 for `allow CODE` at `at`.
pub fn diagnostic(at: Place, code: &str) -> Diagnostic {
    Diagnostic::new(&RULE, at, format!("`allow {code}` suppresses nothing"))
        .label("no such diagnostic on this line or the next")
        .help("remove the suppression")
}
