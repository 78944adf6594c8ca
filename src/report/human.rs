//! The default format: miette's graphical report, with a label at every place
//! involved and related diagnostics for other files.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use crate::CheckResult;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{FileId, SourceFile, Span};

/// A file as miette's source: it reads only the lines around a span, using the
/// file's line index, so a report costs the size of its snippets, not of the file.
#[derive(Debug)]
struct Window<'f> {
    file: &'f SourceFile,
    /// The file's text, or a copy whose line breaks miette sees ([`Texts`]).
    text: &'f str,
}

impl SourceCode for Window<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let f = self.file;
        let text: &'a str = self.text;
        let end = span.offset() + span.len();
        if end > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = f.line_index(span.offset()).saturating_sub(context_lines_before);
        let last_line = f.line_index(end) + context_lines_after + 1;
        let base = f.line_start(first_line);
        let slice = &text[base..f.line_start(last_line)];
        let local = SourceSpan::new((span.offset() - base).into(), span.len());
        let inner = slice.read_span(&local, context_lines_before, context_lines_after)?;
        let window = SourceSpan::new((inner.span().offset() + base).into(), inner.span().len());
        // miette counts the column of `[file:line:col]` in bytes; caseshare counts
        // characters, as in every other format.
        let column = if context_lines_before == 0 { f.line_col(span.offset()).1 - 1 } else { inner.column() };
        Ok(Box::new(MietteSpanContents::new_named(
            super::printable(&f.display).into_owned(),
            inner.data(),
            window,
            inner.line() + first_line,
            column,
            // Counted from the start of the file, as miette's own sources do (its
            // renderer merges snippets by it).
            inner.line_count() + first_line,
        )))
    }
}

/// One diagnostic (or related note) shaped for miette.
#[derive(Debug)]
struct Shown<'f> {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    src: Window<'f>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
    related: Vec<Shown<'f>>,
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown<'_> {}

impl MietteDiagnostic for Shown<'_> {
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

/// A file's text as its snippets may be shown on a terminal: a `\n` for each
/// `\r` that ends a line alone (miette breaks lines at `\n` only), and a
/// placeholder of as many bytes (`?`, `¿`, `�`) for each character a terminal
/// would act on ([`super::hidden`]: an escape sequence in a file that does not
/// parse would hide the report); tabs and line ends stay. A byte for a byte:
/// spans and the line index stay true.
fn for_terminal(text: &str) -> Cow<'_, str> {
    let lf = crate::source::with_lf(text);
    let shown = |c: char| !super::hidden(c) || matches!(c, '\t' | '\n' | '\r');
    if lf.chars().all(shown) {
        return lf;
    }
    let out = lf
        .chars()
        .map(|c| match c {
            c if shown(c) => c,
            c if c.len_utf8() == 1 => '?',
            c if c.len_utf8() == 2 => '¿',
            _ => '\u{fffd}',
        })
        .collect();
    Cow::Owned(out)
}

/// The texts miette is shown ([`for_terminal`]). Made once per file.
struct Texts<'r> {
    files: &'r [SourceFile],
    copies: HashMap<FileId, Option<String>>,
}

impl<'r> Texts<'r> {
    fn new(result: &'r CheckResult) -> Self {
        let mut copies = HashMap::new();
        for d in &result.diagnostics {
            for file in std::iter::once(d.file).chain(d.related.iter().map(|r| r.file)) {
                copies.entry(file).or_insert_with(|| match for_terminal(&result.project.files[file].text) {
                    Cow::Owned(copy) => Some(copy),
                    Cow::Borrowed(_) => None,
                });
            }
        }
        Texts { files: &result.project.files, copies }
    }

    fn source(&self, file: FileId) -> Window<'_> {
        let f = &self.files[file];
        Window { file: f, text: self.copies.get(&file).and_then(|c| c.as_deref()).unwrap_or(&f.text) }
    }
}

fn span(file: &SourceFile, s: &Span) -> miette::SourceSpan {
    let start = file.clamp(s.start);
    let end = file.clamp(s.end.max(start));
    (start, end - start).into()
}

/// A message, label or help as the terminal is shown it ([`super::printable`]).
fn shown_text(s: &str) -> String {
    super::printable(s).into_owned()
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn shown<'f>(result: &'f CheckResult, texts: &'f Texts<'f>, d: &Diagnostic) -> Shown<'f> {
    let files = &result.project.files;
    let file = &files[d.file];
    let label = (!d.label.is_empty()).then(|| shown_text(&d.label));
    let mut labels = vec![LabeledSpan::new_primary_with_span(label, span(file, &d.span))];
    labels.extend(d.labels.iter().map(|l| LabeledSpan::new_with_span(Some(shown_text(&l.text)), span(file, &l.span))));
    let related = d
        .related
        .iter()
        .map(|r| {
            let rf = &files[r.file];
            Shown {
                message: shown_text(&r.message),
                code: None,
                severity: miette::Severity::Advice,
                src: texts.source(r.file),
                labels: vec![LabeledSpan::new_primary_with_span(None, span(rf, &r.span))],
                help: None,
                related: Vec::new(),
            }
        })
        .collect();
    Shown {
        message: shown_text(&d.message),
        code: Some(format!("{}({})", d.code(), d.rule.name)),
        severity: severity(d.severity),
        src: texts.source(d.file),
        labels,
        help: d.help.as_deref().map(shown_text),
        related,
    }
}

pub fn render(result: &CheckResult, style: super::Style) -> String {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(style.width).with_links(false);
    let mut out = String::new();
    let texts = Texts::new(result);
    for d in &result.diagnostics {
        let s = shown(result, &texts, d);
        if handler.render_report(&mut out, &s).is_err() {
            out.push_str(&shown_text(&d.message));
            out.push('\n');
        }
        out.push('\n');
    }
    out
}
