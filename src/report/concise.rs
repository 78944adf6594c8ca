//! `path:line:col: severity[CODE] message`, one line per diagnostic.

use std::fmt::Write;

use crate::CheckResult;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

pub fn render(result: &CheckResult) -> String {
    let mut out = String::new();
    for d in &result.diagnostics {
        let _ = writeln!(out, "{}", line(&result.project.files, d));
    }
    out
}

/// One diagnostic as `path:line:col: severity[CODE] message` (no line end);
/// `files` are the files of its project. `caseshare diff` lists its diagnostics this way too.
pub fn line(files: &[SourceFile], d: &Diagnostic) -> String {
    let file = &files[d.file];
    let (line, col) = file.line_col(d.span.start);
    let (display, message) = (super::printable(&file.display), super::printable(&d.message));
    format!("{display}:{line}:{col}: {}[{}] {message}", d.severity.as_str(), d.code())
}
