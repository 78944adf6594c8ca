//! `--format json`: every diagnostic with its file, position, byte span, code,
//! name, severity, message, help, labels and related places. The layout is
//! versioned (`"version": 1`) and documented in `docs/json-format.md`.

use serde_json::{Value, json};

use crate::CheckResult;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};

/// The version of the JSON layout; it changes only when a field changes meaning or goes.
pub const VERSION: u32 = 1;

/// The position of a span: 1-based lines, columns in characters, byte offsets.
pub fn position(file: &SourceFile, span: &Span) -> Value {
    let (line, column) = file.line_col(span.start);
    let (end_line, end_column) = file.line_col(span.end.max(span.start));
    json!({
        "line": line,
        "column": column,
        "end": {"line": end_line, "column": end_column},
        "span": {"start": span.start, "end": span.end.max(span.start)},
    })
}

fn place(file: &SourceFile, span: &Span, message: &str) -> Value {
    let mut v = position(file, span);
    v["file"] = json!(file.display);
    v["message"] = json!(message);
    v
}

/// One diagnostic as a JSON object (the entries of `diagnostics`); `files` are
/// the files of its project. `caseshare diff` lists its diagnostics this way too.
pub fn diagnostic(files: &[SourceFile], d: &Diagnostic) -> Value {
    let file = &files[d.file];
    let mut v = position(file, &d.span);
    v["file"] = json!(file.display);
    v["code"] = json!(d.code());
    v["name"] = json!(d.rule.name);
    v["severity"] = json!(d.severity.as_str());
    v["message"] = json!(d.message);
    v["label"] = json!(d.label);
    v["help"] = json!(d.help);
    v["labels"] = d.labels.iter().map(|l| place(file, &l.span, &l.text)).collect();
    v["related"] = d.related.iter().map(|x| place(&files[x.file], &x.span, &x.message)).collect();
    v["fixable"] = json!(d.rule.fixable);
    v
}

/// One JSON document for all projects checked.
pub fn render(results: &[CheckResult]) -> String {
    let mut diagnostics = Vec::new();
    for r in results {
        diagnostics.extend(r.diagnostics.iter().map(|d| diagnostic(&r.project.files, d)));
    }
    let io: Vec<Value> =
        results.iter().flat_map(|r| &r.io_problems).map(|p| json!({"file": p.path, "message": p.message})).collect();
    let doc = json!({
        "version": VERSION,
        "tool": {"name": "caseshare", "version": env!("CARGO_PKG_VERSION")},
        "diagnostics": diagnostics,
        "io_errors": io,
        "summary": super::counts(results),
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
