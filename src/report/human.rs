//! The default format: miette's graphical report, with a label at every place
//! involved and related diagnostics for other files.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use crate::CheckResult;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceFile, Span};

/// One diagnostic (or related note) shaped for miette.
#[derive(Debug)]
struct Shown {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    src: NamedSource<Arc<str>>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
    related: Vec<Shown>,
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown {}

impl MietteDiagnostic for Shown {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.as_ref().map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn MietteDiagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn MietteDiagnostic)))
    }
}

fn source(file: &SourceFile) -> NamedSource<Arc<str>> {
    NamedSource::new(file.display.clone(), file.text.clone())
}

fn span(file: &SourceFile, s: &Span) -> miette::SourceSpan {
    let start = file.clamp(s.start);
    let end = file.clamp(s.end.max(start));
    (start, end - start).into()
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn shown(result: &CheckResult, d: &Diagnostic) -> Shown {
    let files = &result.project.files;
    let file = &files[d.file];
    let label = (!d.label.is_empty()).then(|| d.label.clone());
    let mut labels = vec![LabeledSpan::new_primary_with_span(label, span(file, &d.span))];
    labels.extend(d.labels.iter().map(|l| LabeledSpan::new_with_span(Some(l.text.clone()), span(file, &l.span))));
    let related = d
        .related
        .iter()
        .map(|r| {
            let rf = &files[r.file];
            Shown {
                message: r.message.clone(),
                code: None,
                severity: miette::Severity::Advice,
                src: source(rf),
                labels: vec![LabeledSpan::new_primary_with_span(None, span(rf, &r.span))],
                help: None,
                related: Vec::new(),
            }
        })
        .collect();
    Shown {
        message: d.message.clone(),
        code: Some(format!("{}({})", d.code(), d.rule.name)),
        severity: severity(d.severity),
        src: source(file),
        labels,
        help: d.help.clone(),
        related,
    }
}

pub fn render(result: &CheckResult, style: super::Style) -> String {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(style.width).with_links(false);
    let mut out = String::new();
    for d in &result.diagnostics {
        let s = shown(result, d);
        if handler.render_report(&mut out, &s).is_err() {
            out.push_str(&d.message);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}
