//! Y003: alias expansion, nesting depth or file size over the safe limits.
use crate::diagnostic::{Diagnostic, Place};
use crate::source::FileId;

declare_rule! {
    /// ### What it does
    /// Reports a file whose aliases expand too far (the "billion laughs" attack), whose
    /// nesting is deeper than 32 levels, or which is larger than 32 MiB.
    ///
    /// ### Why is this bad
    /// Such a file makes YAML tools hang or run out of memory; no project definition
    /// needs it. caseshare stops reading at the limit, so it never hangs.
    ///
    /// ### Example
    /// ```yaml
    /// a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
    /// b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    /// c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    /// # ... and so on: 9^9 strings
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// users:
    ///   - {username: david}
    /// ```
    pub static RULE = "Y003", "yaml-limits", Error, Parse, summary = "alias expansion, nesting depth or file size over the safe limits";
}

/// Y003 from the parser's budgets (aliases, depth).
pub fn diagnostic(at: Place, message: &str) -> Diagnostic {
    Diagnostic::new(&RULE, at, format!("over the safe limits: {message}")).label("here").help(format!(
        "keep nesting under {} levels and use few aliases; definition files need neither",
        crate::yaml::MAX_DEPTH
    ))
}

/// Y003 for a file of `len` bytes, over `limit`: it is not read.
pub fn too_large(file: FileId, len: u64, limit: u64) -> Diagnostic {
    Diagnostic::new(&RULE, Place::new(file, 0..0), format!("the file is {len} bytes, over the limit of {limit} bytes"))
        .label("not read")
        .help("split the definitions over several files")
}
