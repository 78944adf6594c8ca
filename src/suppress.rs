//! Inline suppressions: `# caseshare: allow CODE[, CODE…] -- reason` on the
//! offending line or the line above it. One that suppresses nothing is X001.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Place};
use crate::rules::unused_suppression;
use crate::source::{FileId, SourceFile, Span};

const MARKER: &str = "caseshare: allow";

/// One `allow` comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Allow {
    /// 0-based line of the comment.
    pub line: usize,
    pub codes: Vec<(String, Span)>,
}

/// Whether a text may hold `allow` comments.
pub fn has_allows(text: &str) -> bool {
    text.contains(MARKER)
}

/// The `allow` comments of a text.
pub fn parse(file: &SourceFile) -> Vec<Allow> {
    let text = &*file.text;
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut offset = 0;
    for (line, raw) in crate::source::lines_with_ends(text).enumerate() {
        let line_start = offset;
        offset += raw.len();
        let Some(hash) = comment_start(raw) else { continue };
        let comment = &raw[hash + 1..];
        let Some(at) = comment.find(MARKER) else { continue };
        if !comment[..at].trim().is_empty() {
            continue;
        }
        let rest_start = hash + 1 + at + MARKER.len();
        let rest = &raw[rest_start..];
        let list = rest.split("--").next().unwrap_or("");
        let mut codes = Vec::new();
        let mut pos = rest_start;
        for piece in list.split_inclusive([',', ' ', '\t', '\n', '\r']) {
            let code = piece.trim_matches([',', ' ', '\t', '\n', '\r']);
            if !code.is_empty() {
                let start = line_start + pos + piece.find(code).unwrap_or(0);
                codes.push((code.to_ascii_uppercase(), start..start + code.len()));
            }
            pos += piece.len();
        }
        if !codes.is_empty() {
            out.push(Allow { line, codes });
        }
    }
    out
}

/// The byte where a line's comment starts: a `#` at the start or after white space,
/// outside quotes (a byte order mark before it, at the start of a file, is no
/// character of the line: YAML reads the stream without it).
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '#' && prev_space => return Some(i),
            None if (c == '"' || c == '\'') && prev_space => quote = Some(c),
            None => {}
        }
        prev_space = c.is_whitespace() || c == '[' || c == '{' || c == ',' || (c == '\u{feff}' && i == 0);
    }
    None
}

/// Drops suppressed diagnostics and adds X001 for each code that suppressed
/// nothing. A diagnostic is suppressed by an `allow` of its code on, or on the
/// line above, any line it labels: its primary place or a secondary label, in
/// any file (the user puts the `allow` beside the place they consider
/// intended), not a note ([`Diagnostic::places`]). Files whose diagnostics show they were not loaded are not
/// asked for X001 (their rules did not run); when the project is not `complete`
/// (a file did not load), only the per-file codes (Y, F, S) are.
pub fn apply(files: &[SourceFile], diagnostics: Vec<Diagnostic>, complete: bool) -> Vec<Diagnostic> {
    let mut allows: Vec<Vec<Allow>> = files.iter().map(parse).collect();
    let mut used: Vec<Vec<Vec<bool>>> =
        allows.iter().map(|a| a.iter().map(|x| vec![false; x.codes.len()]).collect()).collect();
    // The allows that cover each line: (file, line) → (allow index).
    let mut covering: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (file, list) in allows.iter().enumerate() {
        for (a, allow) in list.iter().enumerate() {
            covering.entry((file, allow.line)).or_default().push(a);
            covering.entry((file, allow.line + 1)).or_default().push(a);
        }
    }
    let mut kept = Vec::with_capacity(diagnostics.len());
    let mut not_loaded = vec![false; files.len()];
    for d in diagnostics {
        if d.rule.stops_loading() {
            not_loaded[d.file.index()] = true;
        }
        let mut suppressed = false;
        if d.rule.suppressible() && !covering.is_empty() {
            for (file, span) in d.places() {
                let offset = span.start;
                let src = &files[file];
                let line = src.line_index(offset.min(src.text.len()));
                for &a in covering.get(&(file.index(), line)).map_or(&[][..], Vec::as_slice) {
                    for (c, (code, _)) in allows[file.index()][a].codes.iter().enumerate() {
                        if code == d.code() {
                            used[file.index()][a][c] = true;
                            suppressed = true;
                        }
                    }
                }
            }
        }
        if !suppressed {
            kept.push(d);
        }
    }
    for (file, file_allows) in allows.iter_mut().enumerate() {
        if not_loaded[file] {
            continue;
        }
        for (a, allow) in file_allows.iter().enumerate() {
            for (c, (code, span)) in allow.codes.iter().enumerate() {
                let per_file = crate::rules::by_code(code).map_or(code.starts_with(['Y', 'F', 'S']), |r| r.per_file());
                if used[file][a][c] || !(complete || per_file) {
                    continue;
                }
                kept.push(unused_suppression::diagnostic(Place::new(FileId::new(file), span.clone()), code));
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("u.yaml".into(), "u.yaml".into(), "u.yaml".into(), FileKind::Users, text.into())
    }

    #[test]
    fn parses_codes_and_reason() {
        let f = file(
            "users:\n  # caseshare: allow G003, g002 -- reviews both\n  - {username: a} # caseshare: allow X9\n  - {username: '# caseshare: allow G1'}\n",
        );
        let a = parse(&f);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].line, 1);
        assert_eq!(a[0].codes.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["G003", "G002"]);
        assert_eq!(&f.text[a[0].codes[0].1.clone()], "G003");
        assert_eq!(a[1].line, 2);
        assert_eq!(a[1].codes[0].0, "X9");
    }
}
