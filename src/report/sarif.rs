//! `--format sarif`: SARIF 2.1.0 for code scanning (GitHub, Azure DevOps). Columns
//! are UTF-16 code units, as SARIF requires; each rule carries its documentation.

use serde_json::{Value, json};

use crate::CheckResult;
use crate::diagnostic::Severity;
use crate::rules::REGISTRY;
use crate::source::{SourceFile, Span};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn physical(file: &SourceFile, span: &Span) -> Value {
    let end = span.end.max(span.start);
    let (line, _) = file.line_col(span.start);
    let (end_line, _) = file.line_col(end);
    json!({
        "artifactLocation": {"uri": super::uri_path(&file.display.replace('\\', "/"))},
        "region": {
            "startLine": line,
            "startColumn": file.utf16_col(span.start),
            "endLine": end_line,
            "endColumn": file.utf16_col(end),
            "byteOffset": span.start,
            "byteLength": end - span.start,
        }
    })
}

fn rules() -> Vec<Value> {
    REGISTRY
        .iter()
        .map(|r| {
            let doc: String = r.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n");
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.summary},
                "help": {"text": doc, "markdown": doc},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"fixable": r.fixable},
            })
        })
        .collect()
}

pub fn render(results: &[CheckResult]) -> String {
    let mut out_results = Vec::new();
    for r in results {
        let files = &r.project.files;
        for d in &r.diagnostics {
            let file = &files[d.file];
            let rule_index = REGISTRY.iter().position(|x| x.code == d.code()).unwrap_or(0);
            // Code scanning shows the texts to people: what they could not see
            // in a name is an escape, as on a terminal.
            let text = |s: &str| super::printable(s).into_owned();
            let mut message = text(&d.message);
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(&text(help));
            }
            let mut related: Vec<Value> = Vec::new();
            for l in &d.labels {
                let mut loc = json!({"physicalLocation": physical(file, &l.span), "message": {"text": text(&l.text)}});
                loc["id"] = json!(related.len() + 1);
                related.push(loc);
            }
            for x in &d.related {
                let mut loc = json!({"physicalLocation": physical(&files[x.file], &x.span), "message": {"text": text(&x.message)}});
                loc["id"] = json!(related.len() + 1);
                related.push(loc);
            }
            let mut result = json!({
                "ruleId": d.code(),
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": {"text": message},
                "locations": [{"physicalLocation": physical(file, &d.span), "message": {"text": text(&d.label)}}],
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            out_results.push(result);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "caseshare",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules(),
            }},
            "columnKind": "utf16CodeUnits",
            "results": out_results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
