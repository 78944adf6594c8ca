//! Y004: a YAML 1.1 boolean spelling where a boolean is expected.
use crate::diagnostic::{Diagnostic, Place};

declare_rule! {
    /// ### What it does
    /// Reports `on`, `off`, `yes`, `no`, `y` or `n` (in any letter case) where a boolean
    /// is expected. The file still loads, with the YAML 1.1 meaning (`on` is true).
    ///
    /// ### Why is this bad
    /// YAML 1.1 read these words as booleans; YAML 1.2, which editors and most
    /// current tools follow, reads them as strings. The same file then means
    /// different things to different tools: "Case Sharing: on" may arrive as the
    /// string "on", or be rejected.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// commcare_version: "2.53.0"
    /// case_sharing: on
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// commcare_version: "2.53.0"
    /// case_sharing: true
    /// ```
    pub static RULE = "Y004", "yaml11-boolean", Error, Schema, summary = "`on`, `off`, `yes`, `no`, `y` or `n` (any case) where a boolean is expected", fixable = true;
}

/// Y004 for `key: written`, read as `value`; the fix writes `value`.
pub fn diagnostic(at: Place, key: &str, written: &str, value: bool) -> Diagnostic {
    let span = at.span.clone();
    Diagnostic::new(
        &RULE,
        at,
        format!("`{key}: {written}` is a YAML 1.1 boolean; YAML 1.2 tools read `{written}` as a string"),
    )
    .label(format!("read as `{value}` here"))
    .edit(span, value.to_string())
    .help(format!("write `{key}: {value}`"))
}
