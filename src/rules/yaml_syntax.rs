//! Y001: the file is not valid YAML.
use crate::diagnostic::{Diagnostic, Place};

declare_rule! {
    /// ### What it does
    /// Reports a file that is not valid YAML, at the place where the parser gave up.
    ///
    /// ### Why is this bad
    /// Nothing in the file can be checked or deployed: HQ, editors and caseshare all
    /// reject it. A file that cannot be loaded is reported on its own, and names it
    /// might define are not reported as unknown elsewhere.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// modules: [ {name: Pregnancy
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// modules: [ {name: Pregnancy} ]
    /// ```
    pub static RULE = "Y001", "yaml-syntax", Error, Parse, summary = "the file is not valid YAML";
}

/// Y001 with the parser's message.
pub fn diagnostic(at: Place, message: &str) -> Diagnostic {
    Diagnostic::new(&RULE, at, format!("invalid YAML: {message}")).label("here").help("fix the YAML syntax")
}
