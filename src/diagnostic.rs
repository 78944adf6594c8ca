//! Diagnostics as data: what the rules produce and the reporters print.

use crate::edit::Edit;
use crate::rule::Rule;
pub use crate::rule::Severity;
use crate::source::{FileId, Span};

/// A label's or a help's text: most are the same words in every diagnostic of
/// a rule (`&'static str`, kept once in the program), the others made for one.
/// A project where each of 500,000 users lacks an owner has as many of each.
pub type Text = std::borrow::Cow<'static, str>;

/// A secondary label in the primary file.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// A place in another file (or a second message) that belongs to the diagnostic.
#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub file: FileId,
    pub span: Span,
    pub message: String,
    /// A secondary label in another file (one of the places the diagnostic is
    /// about, as a G002 membership), rather than a note (the form behind it).
    pub label: bool,
}

/// One problem found in the project.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub file: FileId,
    pub span: Span,
    /// The text of the primary label.
    pub label: Text,
    pub labels: Vec<Label>,
    pub help: Option<Text>,
    pub related: Vec<Related>,
    /// Edits of the primary file that repair it, for `--fix`.
    pub fix: Vec<Edit>,
}

/// A place in the project: a file and a byte span.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub file: FileId,
    pub span: Span,
}

impl Place {
    pub fn new(file: FileId, span: Span) -> Self {
        Place { file, span }
    }
}

impl Diagnostic {
    pub fn new(rule: &'static Rule, at: Place, message: impl Into<String>) -> Self {
        Diagnostic {
            rule,
            severity: rule.severity,
            message: message.into(),
            file: at.file,
            span: at.span,
            label: Text::Borrowed(""),
            labels: Vec::new(),
            help: None,
            related: Vec::new(),
            fix: Vec::new(),
        }
    }

    pub fn code(&self) -> &'static str {
        self.rule.code
    }

    /// The text of the primary label.
    pub fn label(mut self, text: impl Into<Text>) -> Self {
        self.label = text.into();
        self
    }

    pub fn help(mut self, text: impl Into<Text>) -> Self {
        self.help = Some(text.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Another place involved: a label when it is in the primary file, else a related
    /// diagnostic (miette cannot label two files in one diagnostic).
    pub fn also(mut self, at: Place, text: impl Into<String>) -> Self {
        if at.file == self.file {
            self.labels.push(Label { span: at.span, text: text.into() });
        } else {
            self.related.push(Related { file: at.file, span: at.span, message: text.into(), label: true });
        }
        self
    }

    /// An edit that repairs the problem (`--fix`).
    pub fn edit(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self.fix.push(Edit::new(span, replacement));
        self
    }

    /// Every place the diagnostic labels, where an `allow` of its code may
    /// stand (SPEC section 5): its primary place and its labels, in any file
    /// (a G002's memberships, a D001's two definitions). Not its notes: the
    /// form a G002 notes is every such user's, and an `allow` there would
    /// silence them all.
    pub fn places(&self) -> impl Iterator<Item = (FileId, &Span)> {
        std::iter::once((self.file, &self.span))
            .chain(self.labels.iter().map(|l| (self.file, &l.span)))
            .chain(self.related.iter().filter(|r| r.label).map(|r| (r.file, &r.span)))
    }

    /// A related diagnostic, even when it is in the same file.
    pub fn related(mut self, at: Place, text: impl Into<String>) -> Self {
        self.related.push(Related { file: at.file, span: at.span, message: text.into(), label: false });
        self
    }
}

/// Appends " (did you mean `x`?)"-style suggestions: the nearest candidate, if any is near.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let score = strsim::jaro_winkler(&lower, &c.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, b)| score > s || (score == s && c < b)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}
