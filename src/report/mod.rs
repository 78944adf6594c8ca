//! Reporters: one file per output format. Each renders [`CheckResult`]s to text.

pub mod concise;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::collections::BTreeMap;

use serde_json::json;

use crate::CheckResult;
use crate::diagnostic::Severity;

/// A path as the path of a URI: each byte but letters, digits, `/-_.~`
/// percent-encoded (a space, `#`, `%` or `é` in a file's name would otherwise
/// make another URI, or none).
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The output formats of `caseshare check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// miette's graphical report: source lines with labels.
    Human,
    /// `path:line:col: severity[CODE] message`, one line each.
    Concise,
    /// A versioned JSON document (docs/json-format.md).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

impl Format {
    /// Whether the output is one machine-readable document (no summary line).
    pub fn is_document(self) -> bool {
        matches!(self, Format::Json | Format::Sarif)
    }
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

/// Text for a terminal or a log (the human and concise formats, GitHub's
/// workflow commands, `diff`'s report, the editor's messages): each control
/// character, each one that moves or hides text (line and paragraph
/// separators, bidirectional overrides and isolates) and each one a reader
/// cannot see or tell from a space ([`unseen`]) written as an escape (`\n`,
/// `\u{1b}`, `\u{200b}`). A name is any string YAML can hold: written as it
/// is, `"Z\n::notice::…\e[8m"` would add report lines of its own and hide the
/// rest, and `da\u{200b}vid` would read as `david`.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(unseen) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unseen(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`printable`], line by line: for a message of several lines (what the
/// command line writes on standard error, what the editor shows), whose
/// names may hold anything.
pub fn printable_lines(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && unseen(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.split('\n').map(printable).collect::<Vec<_>>().join("\n"))
}

/// A character that, in a name, a reader cannot see or cannot tell from
/// another: [`hidden`] ones; those Unicode ignores by default (zero-width
/// spaces and joiners, the soft hyphen, fillers, variation selectors, tags);
/// and the spaces other than U+0020 (a no-break space). Two users whose names
/// differ only by one of these would look like one in a report.
pub(crate) fn unseen(c: char) -> bool {
    hidden(c)
        || (c.is_whitespace() && c != ' ')
        || matches!(
            c as u32,
            0xad | 0x34f
                | 0x115f..=0x1160
                | 0x17b4..=0x17b5
                | 0x180b..=0x180f
                | 0x200b..=0x200f
                | 0x2060..=0x206f
                | 0x3164
                | 0xfe00..=0xfe0f
                | 0xfeff
                | 0xffa0
                | 0xfff0..=0xfff8
                | 0x1bca0..=0x1bca3
                | 0x1d173..=0x1d17a
                | 0xe0000..=0xe0fff
        )
}

/// A character a terminal would act on or show as nothing ([`printable`]).
pub(crate) fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{61c}' | '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Renders the diagnostics of one project, without the summary (line formats).
pub fn render(result: &CheckResult, format: Format, style: Style) -> String {
    match format {
        Format::Human => human::render(result, style),
        Format::Concise => concise::render(result),
        Format::Github => github::render(result),
        Format::Json => json::render(std::slice::from_ref(result)),
        Format::Sarif => sarif::render(std::slice::from_ref(result)),
    }
}

/// Renders all projects checked in one run.
pub fn render_all(results: &[CheckResult], format: Format, style: Style) -> String {
    match format {
        Format::Json => json::render(results),
        Format::Sarif => sarif::render(results),
        _ => results.iter().map(|r| render(r, format, style)).collect(),
    }
}

/// Diagnostics per code, sorted by code.
pub fn per_code(results: &[CheckResult]) -> BTreeMap<&'static str, (usize, &'static str, Severity)> {
    let mut map: BTreeMap<&'static str, (usize, &'static str, Severity)> = BTreeMap::new();
    for d in results.iter().flat_map(|r| &r.diagnostics) {
        let e = map.entry(d.code()).or_insert((0, d.rule.name, d.severity));
        e.0 += 1;
        e.2 = e.2.max(d.severity);
    }
    map
}

/// The counts as JSON (for `--format json`).
pub fn counts(results: &[CheckResult]) -> serde_json::Value {
    let files: usize = results.iter().map(|r| r.project.files.len()).sum();
    let count = |s: Severity| results.iter().map(|r| r.count(s)).sum::<usize>();
    let by_code: BTreeMap<&str, usize> = per_code(results).into_iter().map(|(c, (n, _, _))| (c, n)).collect();
    json!({
        "files": files,
        "errors": count(Severity::Error),
        "warnings": count(Severity::Warning),
        "infos": count(Severity::Info),
        "by_code": by_code,
    })
}

/// `--statistics`: one line per code with its count, most frequent first.
pub fn statistics(results: &[CheckResult]) -> String {
    let mut rows: Vec<_> = per_code(results).into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    rows.iter().map(|(code, (n, name, sev))| format!("{n:>6}  {code}  {:<8} {name}\n", sev.as_str())).collect()
}

/// The summary line: counts per severity and per code.
pub fn summary(results: &[CheckResult]) -> String {
    let files: usize = results.iter().map(|r| r.project.files.len()).sum();
    let per_code = per_code(results);
    let count = |s: Severity| results.iter().map(|r| r.count(s)).sum::<usize>();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let files = plural(files, "file");
    if per_code.is_empty() {
        return format!("checked {files}: no problems found");
    }
    let mut parts = vec![plural(count(Severity::Error), "error"), plural(count(Severity::Warning), "warning")];
    if count(Severity::Info) > 0 {
        parts.push(plural(count(Severity::Info), "info"));
    }
    let codes: Vec<String> = per_code.iter().map(|(c, (n, _, _))| format!("{c}: {n}")).collect();
    format!("checked {files}: {} ({})", parts.join(", "), codes.join(", "))
}
