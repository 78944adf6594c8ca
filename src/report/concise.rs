//! `path:line:col: severity[CODE] message`, one line per diagnostic.

use std::fmt::Write;

use crate::CheckResult;

pub fn render(result: &CheckResult) -> String {
    let mut out = String::new();
    for d in &result.diagnostics {
        let file = &result.project.files[d.file];
        let (line, col) = file.line_col(d.span.start);
        let _ = writeln!(out, "{}:{line}:{col}: {}[{}] {}", file.display, d.severity.as_str(), d.code(), d.message);
    }
    out
}
