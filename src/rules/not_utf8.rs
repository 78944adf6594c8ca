//! F004: the file is not UTF-8 text.
use crate::diagnostic::{Diagnostic, Place};
use crate::source::FileId;

declare_rule! {
    /// ### What it does
    /// Reports a definition file that is not UTF-8 text, at its first invalid byte.
    ///
    /// ### Why is this bad
    /// YAML is UTF-8 (or UTF-16) text; a file saved as Latin-1 or Windows-1252 turns
    /// names such as "Pokuaa" with accents into garbage on HQ and on phones.
    ///
    /// ### Example
    /// ```yaml
    /// # saved as Latin-1: the byte 0xE9 for "é"
    /// format_version: 2
    /// locations:
    ///   - {code: bobo, name: Bobo-Dioulasso Secteur 2 (Dafra - Kôkô), type: village}
    /// ```
    ///
    /// ### Use instead
    /// Save the same text as UTF-8.
    /// ```yaml
    /// format_version: 2
    /// ```
    pub static RULE = "F004", "not-utf8", Error, Read, summary = "the file is not UTF-8 text";
}

/// F004 at the first byte that is not UTF-8.
pub fn diagnostic(file: FileId, at: usize) -> Diagnostic {
    Diagnostic::new(&RULE, Place::new(file, at..at), "the file is not UTF-8 text")
        .label("this byte is not UTF-8")
        .help("save the file as UTF-8")
}
