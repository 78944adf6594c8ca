//! Reporters: one file per output format. Each renders a [`CheckResult`] to text.

pub mod concise;
pub mod human;

use std::collections::BTreeMap;

use crate::CheckResult;
use crate::diagnostic::Severity;

/// The output formats of `caseshare check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// miette's graphical report: source lines with labels.
    Human,
    /// `path:line:col: severity[CODE] message`, one line each.
    Concise,
}

/// How to render.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Default for Style {
    fn default() -> Self {
        Style { color: false, width: 100 }
    }
}

/// Renders the diagnostics of one project, without the summary.
pub fn render(result: &CheckResult, format: Format, style: Style) -> String {
    match format {
        Format::Human => human::render(result, style),
        Format::Concise => concise::render(result),
    }
}

/// The summary line: counts per severity and per code.
pub fn summary(results: &[CheckResult]) -> String {
    let files: usize = results.iter().map(|r| r.project.files.len()).sum();
    let mut per_code: BTreeMap<&str, usize> = BTreeMap::new();
    let mut counts = [0usize; 3];
    for d in results.iter().flat_map(|r| &r.diagnostics) {
        *per_code.entry(d.code()).or_default() += 1;
        counts[d.severity as usize] += 1;
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let files = plural(files, "file");
    if per_code.is_empty() {
        return format!("checked {files}: no problems found");
    }
    let mut parts =
        vec![plural(counts[Severity::Error as usize], "error"), plural(counts[Severity::Warning as usize], "warning")];
    if counts[Severity::Info as usize] > 0 {
        parts.push(plural(counts[Severity::Info as usize], "info"));
    }
    let codes: Vec<String> = per_code.iter().map(|(c, n)| format!("{c}: {n}")).collect();
    format!("checked {files}: {} ({})", parts.join(", "), codes.join(", "))
}
