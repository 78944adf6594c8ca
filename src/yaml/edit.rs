//! Edits of YAML text computed from the spanned tree: remove, replace or insert
//! mapping entries, append list items, quote a scalar. Every byte outside an edit
//! stays as it was; comments inside a removed range are kept as comment lines.

use super::{Node, Value};
pub use crate::edit::{Edit, apply, map_back};
use crate::source::Span;

/// The text's line ending: as its first line ends (`\r\n`, or `\r` alone), else `\n`.
pub fn newline(text: &str) -> &'static str {
    match text.find(['\n', '\r']).map(|i| &text[i..]) {
        Some(rest) if rest.starts_with("\r\n") => "\r\n",
        Some(rest) if rest.starts_with('\r') => "\r",
        _ => "\n",
    }
}

/// Start of the line holding `offset` (after a byte-order mark on the first line).
pub fn line_start(text: &str, offset: usize) -> usize {
    let start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    if start == 0 && text.starts_with('\u{feff}') { 3.min(offset) } else { start }
}

/// End of the line holding `offset`, after its line break (or the end of the text).
pub fn line_end(text: &str, offset: usize) -> usize {
    crate::source::line_ends(&text.as_bytes()[offset..]).next().map_or(text.len(), |e| offset + e)
}

/// Whether only spaces stand between the start of the line and `offset`.
pub fn begins_line(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset].bytes().all(|b| b == b' ' || b == b'\t')
}

/// Spaces as wide as the text from the line start to `offset` (so `- key` gives
/// the indentation of the keys below `key`).
pub fn indent_at(text: &str, offset: usize) -> String {
    " ".repeat(text[line_start(text, offset)..offset].chars().count())
}

/// Where a node's properties start: its anchor (`&a`) and tag (`!t`), written
/// before the span the parser reports.
pub fn with_properties(text: &str, start: usize) -> usize {
    let mut start = start;
    loop {
        let trimmed = text[..start].trim_end_matches([' ', '\t']);
        let token_start = trimmed.rfind([' ', '\t', '[', '{', ',', '\n']).map_or(0, |i| i + 1);
        if token_start < trimmed.len() && trimmed[token_start..].starts_with(['&', '!']) {
            start = token_start;
        } else {
            return start;
        }
    }
}

/// Whether a node is written in flow style (`{…}` or `[…]`).
pub fn is_flow(node: &Node, text: &str) -> bool {
    matches!(text.as_bytes().get(node.span.start), Some(b'{' | b'['))
}

/// The entry `key` of a mapping node.
pub fn entry<'n>(map: &'n Node, key: &str) -> Option<(usize, &'n Node, &'n Node)> {
    let Value::Map(entries) = &map.value else { return None };
    entries.iter().enumerate().find(|(_, (k, _))| k.as_str() == Some(key)).map(|(i, (k, v))| (i, k, v))
}

/// The items of a list node (a lone scalar counts as a list of one; null as none).
pub fn items(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        _ => vec![node],
    }
}

/// The spans of every scalar (keys included) inside a node.
fn scalar_spans(node: &Node, out: &mut Vec<Span>) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| scalar_spans(n, out)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| {
            scalar_spans(k, out);
            scalar_spans(v, out);
        }),
        _ => out.push(node.span.clone()),
    }
}

/// The comments inside `range` (each `#…` up to its line end), skipping `#` inside
/// the given scalars.
fn comments_in(text: &str, range: Span, scalars: &[Span]) -> Vec<String> {
    comments_at(text, range, scalars).into_iter().map(|(_, c)| c).collect()
}

/// [`comments_in`], with the offset of each comment.
fn comments_at(text: &str, range: Span, scalars: &[Span]) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = range.start;
    while i < range.end {
        if let Some(s) = scalars.iter().find(|s| s.start <= i && i < s.end) {
            i = s.end;
            continue;
        }
        if bytes[i] == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r')) {
            let end = text[i..].find(['\r', '\n']).map_or(text.len(), |e| i + e);
            out.push((i, text[i..end].trim_end().to_string()));
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// The mapping entry at `index` and the bytes it occupies for removal or
/// replacement: from its key to the end of its value, or to the next key.
fn entry_range(map: &Node, index: usize, text: &str) -> Option<(Span, Vec<Span>)> {
    let Value::Map(entries) = &map.value else { return None };
    let (k, v) = entries.get(index)?;
    let mut scalars = Vec::new();
    scalar_spans(k, &mut scalars);
    scalar_spans(v, &mut scalars);
    Some((entry_start(text, k)..entry_end(text, k, v), scalars))
}

/// Where a mapping entry starts: its key, or the `?` of an explicit key (`? key`).
pub fn entry_start(text: &str, key: &Node) -> usize {
    let from = line_start(text, key.span.start);
    let before = text[from..key.span.start].trim_end();
    if before.ends_with('?') && (before.len() == 1 || before[..before.len() - 1].ends_with([' ', '\t', '-'])) {
        from + before.len() - 1
    } else {
        key.span.start
    }
}

/// Removes the entry at `index` of a mapping (see [`remove_entries`]).
pub fn remove_entry(map: &Node, index: usize, text: &str) -> Vec<Edit> {
    remove_entries(map, &[index], text)
}

/// Removes entries of a mapping. In block style their lines go, but the comments
/// on them stay, as comment lines at the key's indentation; in flow style each
/// entry goes with one comma. A mapping left with no entries becomes `{}`.
pub fn remove_entries(map: &Node, indices: &[usize], text: &str) -> Vec<Edit> {
    let Value::Map(entries) = &map.value else { return Vec::new() };
    let removed = |i: usize| indices.contains(&i);
    let n = entries.len();
    let end_of = |i: usize| entry_end(text, &entries[i].0, &entries[i].1);
    if indices.is_empty() || n == 0 {
        return Vec::new();
    }
    if (0..n).all(removed) {
        return vec![Edit::new(entry_start(text, &entries[0].0)..end_of(n - 1), "{}")];
    }
    let nl = newline(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if !removed(i) {
            i += 1;
            continue;
        }
        // A run of removed entries i..j (j is kept, or the end).
        let mut j = i;
        while j < n && removed(j) {
            j += 1;
        }
        let mut scalars = Vec::new();
        for (k, v) in &entries[i..j] {
            scalar_spans(k, &mut scalars);
            scalar_spans(v, &mut scalars);
        }
        let start = entry_start(text, &entries[i].0);
        let next_start = |j: usize| entry_start(text, &entries[j].0);
        if is_flow(map, text) {
            // Comments inside stay, each ending its line.
            let (span, indent) = if j < n {
                (start..next_start(j), indent_at(text, next_start(j)))
            } else {
                (end_of(i - 1)..end_of(j - 1), line_indent(text, map.span.start))
            };
            let kept = flow_comments(text, &span, &scalars, &indent);
            out.push(Edit::new(span, kept));
        } else if begins_line(text, start) {
            let indent = indent_at(text, start);
            let span = line_start(text, start)..line_end(text, end_of(j - 1));
            let kept: String =
                comments_in(text, span.clone(), &scalars).iter().map(|c| format!("{indent}{c}{nl}")).collect();
            let kept = if span.end == text.len() && !text.ends_with(['\n', '\r']) {
                kept.trim_end().to_string()
            } else {
                kept
            };
            out.push(Edit::new(span, kept));
        } else {
            // The first key of a list item (`- key: …`): the next kept key moves up.
            let indent = indent_at(text, start);
            let span = start..if j < n { next_start(j) } else { end_of(j - 1) };
            let kept: String =
                comments_in(text, span.clone(), &scalars).iter().map(|c| format!("{c}{nl}{indent}")).collect();
            out.push(Edit::new(span, kept));
        }
        i = j;
    }
    out
}

/// The comments inside a removed flow range, each ending its line, so that what
/// follows the range starts the next line at `indent`; empty when there are none.
fn flow_comments(text: &str, span: &Span, scalars: &[Span], indent: &str) -> String {
    let comments = comments_at(text, span.clone(), scalars);
    if comments.is_empty() {
        return String::new();
    }
    let nl = newline(text);
    let mut out = String::new();
    for (at, comment) in comments {
        if out.is_empty() && begins_line(text, at) && span.start > 0 && begins_line(text, span.start) {
            // The range starts a line, after its indentation: the comment takes its place.
        } else if begins_line(text, at) {
            // A comment on its own line stays on its own line, as indented.
            out.push_str(nl);
            out.push_str(&text[line_start(text, at)..at]);
        } else if !out.is_empty() || (span.start > 0 && !matches!(text.as_bytes()[span.start - 1], b' ' | b'\t')) {
            out.push(' ');
        }
        out.push_str(&comment);
    }
    // A comment ends its line: what follows the range starts the next one.
    if !text[span.end..].starts_with(['\r', '\n']) {
        out.push_str(nl);
        out.push_str(indent);
    }
    out
}

/// The leading blanks of the line holding `offset`.
fn line_indent(text: &str, offset: usize) -> String {
    let start = line_start(text, offset);
    text[start..].chars().take_while(|c| *c == ' ').collect()
}

/// Replaces the entry at `index` of a mapping with `new` (`key: value`, one line);
/// comments inside the replaced value stay, on lines after it.
pub fn replace_entry(map: &Node, index: usize, new: &str, text: &str) -> Vec<Edit> {
    let Some((range, scalars)) = entry_range(map, index, text) else { return Vec::new() };
    let comments = comments_in(text, range.clone(), &scalars);
    if comments.is_empty() {
        return vec![Edit::new(range, new)];
    }
    if is_flow(map, text) {
        // In a flow mapping a comment ends its line; what follows goes on the next.
        let (nl, indent) = (newline(text), indent_at(text, range.start));
        let kept: String = comments.iter().map(|c| format!(" {c}{nl}{indent}")).collect();
        return vec![Edit::new(range, format!("{new}{kept}"))];
    }
    // The comments go on lines below the new entry; a comment after the old value's
    // last line joins them, in order (else it would trail the last of them).
    let eol = text[range.end..].find(['\r', '\n']).map_or(text.len(), |i| range.end + i);
    let range = if text[range.end..eol].trim_start().starts_with('#') { range.start..eol } else { range };
    let comments = comments_in(text, range.clone(), &scalars);
    let nl = newline(text);
    let indent = indent_at(text, range.start);
    let kept: String = comments.iter().map(|c| format!("{nl}{indent}{c}")).collect();
    vec![Edit::new(range, format!("{new}{kept}"))]
}

/// Inserts `key: value` into a mapping: before the entry at `before`, or after the
/// last entry.
pub fn insert_entry(map: &Node, before: Option<usize>, key: &str, value: &str, text: &str) -> Edit {
    let Value::Map(entries) = &map.value else { return Edit::insert(map.span.start, "") };
    let nl = newline(text);
    if is_flow(map, text) || entries.is_empty() {
        if entries.is_empty() {
            // `{}`: write inside the braces.
            let at =
                if text.as_bytes().get(map.span.start) == Some(&b'{') { map.span.start + 1 } else { map.span.start };
            return Edit::insert(at, format!("{key}: {value}"));
        }
        return match before {
            Some(i) => Edit::insert(entry_start(text, &entries[i].0), format!("{key}: {value}, ")),
            None => {
                let (k, v) = entries.last().expect("not empty");
                Edit::insert(entry_end(text, k, v), format!(", {key}: {value}"))
            }
        };
    }
    match before {
        Some(i) => {
            let at = entry_start(text, &entries[i].0);
            let indent = indent_at(text, at);
            if begins_line(text, at) {
                Edit::insert(line_start(text, at), format!("{indent}{key}: {value}{nl}"))
            } else {
                Edit::insert(at, format!("{key}: {value}{nl}{indent}"))
            }
        }
        None => {
            let (k, v) = entries.last().expect("not empty");
            let indent = indent_at(text, entry_start(text, &entries[0].0));
            let at = after_value(text, k, v);
            let lead = if at == text.len() && !text.ends_with(['\n', '\r']) { nl } else { "" };
            Edit::insert(at, format!("{lead}{indent}{key}: {value}{nl}"))
        }
    }
}

/// Where a line after a mapping entry goes: after the line its value ends on; for
/// a block scalar (`|`, `>`), after its last line, trailing blank lines included
/// (with `|+` they are part of the value).
fn after_value(text: &str, key: &Node, value: &Node) -> usize {
    let block = matches!(value.value, Value::Str(_))
        && !value.is_plain(text)
        && !matches!(text.as_bytes().get(value.span.start), Some(b'"' | b'\'' | b'*' | b'!'));
    if block {
        let end = value.span.end.min(text.len());
        return if text[line_start(text, end)..end].trim().is_empty() {
            line_start(text, end)
        } else {
            line_end(text, end)
        };
    }
    line_end(text, entry_end(text, key, value))
}

/// The end of a mapping entry's text: its value's, or for a value left empty
/// (`key:`), the colon's.
pub fn entry_end(text: &str, key: &Node, value: &Node) -> usize {
    if value.span.is_empty() && value.value == Value::Null {
        return colon_after(text, key);
    }
    content_end(text, value).max(key.span.end)
}

/// The offset just after the colon that follows a key, or the key's end when
/// no colon does (`{name: T, members}`).
fn colon_after(text: &str, key: &Node) -> usize {
    colon(text, key).unwrap_or(key.span.end)
}

fn colon(text: &str, key: &Node) -> Option<usize> {
    let rest = &text[key.span.end..];
    let blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    (rest[blanks..].starts_with(':')).then_some(key.span.end + blanks + 1)
}

/// Replaces a mapping value with `new`; a value left empty (`key:`, or a bare
/// `key` in a flow mapping) gets it after the colon.
pub fn replace_value(text: &str, key: &Node, value: &Node, new: &str) -> Edit {
    if value.span.is_empty() && value.value == Value::Null {
        return match colon(text, key) {
            Some(at) => Edit::insert(at, format!(" {new}")),
            None => Edit::insert(key.span.end, format!(": {new}")),
        };
    }
    Edit::new(value.span.clone(), new)
}

/// Whether a list is shared through YAML: anchored (`&a [..]`) or an alias (`*a`),
/// so that appending to it would change every list it stands for.
pub fn shared_list(text: &str, key: &Node, list: &Node) -> bool {
    let properties = &text[with_properties(text, list.span.start)..list.span.start];
    list.span.start < key.span.end || text[list.span.clone()].starts_with('*') || properties.contains('&')
}

/// The end of a node's text, before the line breaks and indentation that block
/// scalars count as theirs.
pub fn content_end(text: &str, node: &Node) -> usize {
    let trimmed = text[node.span.start..node.span.end].trim_end_matches([' ', '\t', '\r', '\n']);
    node.span.start + trimmed.len()
}

/// Appends items (YAML text, one line each) to the list that is the value of
/// `key`: after the last item, in the list's own style.
pub fn append_items(key: &Node, list: &Node, new: &[String], text: &str) -> Vec<Edit> {
    if new.is_empty() {
        return Vec::new();
    }
    let nl = newline(text);
    match &list.value {
        // `key: ~` or `key: null`: the list takes the null's place.
        Value::Null if !list.span.is_empty() => vec![Edit::new(list.span.clone(), format!("[{}]", new.join(", ")))],
        // `key:` with no value: a flow list after the colon.
        Value::Null => vec![replace_value(text, key, list, &format!("[{}]", new.join(", ")))],
        Value::Seq(items) if is_flow(list, text) => match items.last() {
            Some(last) => vec![Edit::insert(last.span.end, format!(", {}", new.join(", ")))],
            None => vec![Edit::insert(list.span.start + 1, new.join(", "))],
        },
        Value::Seq(items) => {
            let Some(last) = items.last() else { return Vec::new() };
            // The dash of the last item sets the indentation of the new ones.
            let dash = text[..last.span.start].rfind('-').unwrap_or(last.span.start);
            let indent = indent_at(text, dash);
            let at = line_end(text, content_end(text, last));
            let lead = if at == text.len() && !text.ends_with(['\n', '\r']) { nl } else { "" };
            let lines: String = new.iter().map(|n| format!("{indent}- {n}{nl}")).collect();
            vec![Edit::insert(at, format!("{lead}{lines}"))]
        }
        // A lone scalar: make it a flow list of it and the new items.
        _ => {
            vec![Edit::insert(list.span.start, "["), Edit::insert(list.span.end, format!(", {}]", new.join(", ")))]
        }
    }
}

/// A string as a YAML scalar: plain where YAML reads it back as the same string,
/// else double-quoted.
pub fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '@' | '+' | '/' | ' '))
        && !s.starts_with(['-', '.', ' ', '@'])
        && !s.ends_with(' ')
        && !looks_typed(s);
    if plain {
        return s.to_string();
    }
    format!("\"{}\"", escape_double(s))
}

/// A string as the inside of a double-quoted scalar: `"`, `\` and the
/// characters YAML cannot hold as they are ([`escaped`]) written as escapes.
pub fn escape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if escaped(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Whether a character is written as an escape in a double-quoted scalar (and
/// so cannot stand in a single-quoted one): a control character; and line and
/// paragraph separators, which a YAML 1.1 reader (HQ's Python) takes for line
/// breaks, and a byte order mark, which may not stand inside a document.
pub fn escaped(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Whether a plain scalar would be read as something other than a string (null,
/// a boolean in YAML 1.1 or 1.2, a number).
fn looks_typed(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    matches!(lower.as_str(), "null" | "~" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n")
        || s.starts_with(|c: char| c.is_ascii_digit() || c == '+')
        || lower.starts_with(".inf")
        || lower == ".nan"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn edit(text: &str, f: impl Fn(&Node) -> Vec<Edit>) -> String {
        let root = parse(text).unwrap();
        apply(text, &f(&root)).unwrap()
    }

    fn item(root: &Node, key: &str, i: usize) -> Node {
        let (_, _, v) = entry(root, key).unwrap();
        items(v)[i].clone()
    }

    /// An entry added after the last, in a file whose last line ends with a
    /// `\r` alone: on the next line, with no blank line between.
    #[test]
    fn an_entry_added_at_the_end_of_a_file_with_carriage_return_line_ends() {
        let text = "a: 1\rb: 2\r";
        let out = edit(text, |r| vec![insert_entry(r, None, "c", "3", text)]);
        assert_eq!(out, "a: 1\rb: 2\rc: 3\r");
    }

    #[test]
    fn lines_end_at_every_kind_of_line_break() {
        assert_eq!(
            [newline("a\r\nb\n"), newline("a\rb\r"), newline("a\nb\r\n"), newline("a")],
            ["\r\n", "\r", "\n", "\n"]
        );
        let text = "a: 1\rb: 2\r\nc: 3";
        let b = text.find('b').unwrap();
        assert_eq!((line_start(text, b + 2), line_end(text, b)), (b, text.find('c').unwrap()));
        assert_eq!((line_start(text, 2), line_end(text, 2)), (0, b));
    }

    #[test]
    fn removing_a_block_entry_keeps_its_comments() {
        let text = "a: 1\nb: [x,  # one\n  y]  # two\nc: 3\n";
        let out = edit(text, |r| remove_entry(r, 1, text));
        assert_eq!(out, "a: 1\n# one\n# two\nc: 3\n");
    }

    #[test]
    fn removing_the_first_key_of_a_list_item() {
        let text = "l:\n  - groups: [A]  # note\n    username: d\n";
        let out = edit(text, |r| remove_entry(&item(r, "l", 0), 0, text));
        assert_eq!(out, "l:\n  - # note\n    username: d\n");
        parse(&out).unwrap();
        let text = "l:\n  - groups: [A]\n    username: d\n";
        assert_eq!(edit(text, |r| remove_entry(&item(r, "l", 0), 0, text)), "l:\n  - username: d\n");
    }

    #[test]
    fn removing_flow_entries() {
        let text = "l: [{username: d, groups: [A, B]}, {groups: x, username: e}]\n";
        let out = edit(text, |r| {
            let mut s = remove_entry(&item(r, "l", 0), 1, text);
            s.extend(remove_entry(&item(r, "l", 1), 0, text));
            s
        });
        assert_eq!(out, "l: [{username: d}, {username: e}]\n");
    }

    #[test]
    fn removing_flow_entries_keeps_their_comments() {
        let text = "l:\n  - {username: jon, groups: [A, # home\n      B]}\n  - {username: ines,\n     groups: [B],  # moved\n     role: chw}\n  - {groups: [x, # c\n     y], b: 1}\n";
        let out = edit(text, |r| {
            let mut s = remove_entry(&item(r, "l", 0), 1, text);
            s.extend(remove_entry(&item(r, "l", 1), 1, text));
            s.extend(remove_entry(&item(r, "l", 2), 0, text));
            s
        });
        assert_eq!(
            out,
            "l:\n  - {username: jon # home\n  }\n  - {username: ines,\n     # moved\n     role: chw}\n  - { # c\n         b: 1}\n"
        );
        parse(&out).unwrap();
    }

    #[test]
    fn own_line_comments_in_flow_mappings_stay_on_their_lines() {
        let text = "f:\n  - {\n      name: F1,\n      # about registration\n      registration: no,\n      # about subcases\n      subcases: []\n    }\n  - {\n      # about a\n      a: 1,\n      b: 2\n    }\n";
        let out = edit(text, |r| {
            let mut s = remove_entries(&item(r, "f", 0), &[1, 2], text);
            s.extend(remove_entry(&item(r, "f", 1), 0, text));
            s
        });
        assert_eq!(
            out,
            "f:\n  - {\n      name: F1\n      # about registration\n      # about subcases\n    }\n  - {\n      # about a\n      b: 2\n    }\n"
        );
        parse(&out).unwrap();
    }

    #[test]
    fn inserting_entries_in_each_style() {
        let text = "l:\n  - name: a\n    x: 1\n  - {name: b}\n  - {}\n";
        let out = edit(text, |r| {
            vec![
                insert_entry(&item(r, "l", 0), Some(0), "k", "v", text),
                insert_entry(&item(r, "l", 0), None, "z", "w", text),
                insert_entry(&item(r, "l", 1), None, "k", "v", text),
                insert_entry(&item(r, "l", 2), None, "k", "v", text),
            ]
        });
        assert_eq!(out, "l:\n  - k: v\n    name: a\n    x: 1\n    z: w\n  - {name: b, k: v}\n  - {k: v}\n");
    }

    #[test]
    fn appending_to_lists_in_each_style() {
        let text = "a: [x]\nb: []\nc:\nd:\n  - x\n  # between\n  - y # end\ne: x";
        let out = edit(text, |r| {
            let Value::Map(m) = &r.value else { panic!() };
            m.iter().flat_map(|(k, v)| append_items(k, v, &["n".into(), "o".into()], text)).collect()
        });
        assert_eq!(
            out,
            "a: [x, n, o]\nb: [n, o]\nc: [n, o]\nd:\n  - x\n  # between\n  - y # end\n  - n\n  - o\ne: [x, n, o]"
        );
    }

    #[test]
    fn empty_and_null_values() {
        // An empty value ends at the colon; an explicit null is replaced.
        let text = "f:\n  subcases:\n  registration: yes\n  name: R\n";
        let out = edit(text, |r| {
            let (_, _, f) = entry(r, "f").unwrap();
            let mut s = replace_entry(f, 0, "opens: [{}]", text);
            s.extend(remove_entry(f, 1, text));
            s
        });
        assert_eq!(out, "f:\n  opens: [{}]\n  name: R\n");
        let text = "a: ~\nb: null\nc: {d: ~}\n";
        let out = edit(text, |r| {
            let (_, ka, a) = entry(r, "a").unwrap();
            let (_, kb, b) = entry(r, "b").unwrap();
            let (_, _, c) = entry(r, "c").unwrap();
            let (_, kd, d) = entry(c, "d").unwrap();
            let mut s = append_items(ka, a, &["x".into()], text);
            s.extend(append_items(kb, b, &["y".into()], text));
            s.extend(append_items(kd, d, &["z".into()], text));
            s
        });
        assert_eq!(out, "a: [x]\nb: [y]\nc: {d: [z]}\n");
    }

    #[test]
    fn inserting_after_a_block_scalar_keeps_its_trailing_lines() {
        let text = "g:\n  id: |+\n    abc\n\n  name: x\nh:\n  id: |+\n    abc\n\n";
        let out = edit(text, |r| {
            let (_, _, g) = entry(r, "g").unwrap();
            let (_, _, h) = entry(r, "h").unwrap();
            vec![insert_entry(g, None, "m", "[a]", text), insert_entry(h, None, "m", "[a]", text)]
        });
        assert_eq!(out, "g:\n  id: |+\n    abc\n\n  name: x\n  m: [a]\nh:\n  id: |+\n    abc\n\n  m: [a]\n");
        let root = parse(&out).unwrap();
        let (_, _, h) = entry(&root, "h").unwrap();
        assert_eq!(entry(h, "id").unwrap().2.as_str(), Some("abc\n\n"));
    }

    #[test]
    fn values_left_empty_get_one() {
        let text = "a:\nb: {c: 1, d}\ne: {f: , g: 1}\n";
        let out = edit(text, |r| {
            let (_, ka, a) = entry(r, "a").unwrap();
            let (_, _, b) = entry(r, "b").unwrap();
            let (_, kd, d) = entry(b, "d").unwrap();
            let (_, _, e) = entry(r, "e").unwrap();
            let (_, kf, f) = entry(e, "f").unwrap();
            vec![
                replace_value(text, ka, a, "true"),
                replace_value(text, kd, d, "true"),
                replace_value(text, kf, f, "true"),
            ]
        });
        assert_eq!(out, "a: true\nb: {c: 1, d: true}\ne: {f: true , g: 1}\n");
        parse(&out).unwrap();
    }

    #[test]
    fn crlf_and_bom_are_kept() {
        let text = "\u{feff}a: 1\r\nl:\r\n  - x\r\n";
        let out = edit(text, |r| {
            let (_, k, v) = entry(r, "l").unwrap();
            let mut s = append_items(k, v, &["y".into()], text);
            s.push(insert_entry(r, Some(0), "f", "2", text));
            s
        });
        assert_eq!(out, "\u{feff}f: 2\r\na: 1\r\nl:\r\n  - x\r\n  - y\r\n");
    }

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        for (s, want) in [
            ("david", "david"),
            ("Village A", "Village A"),
            ("d.k@x.org", "d.k@x.org"),
            ("yes", "\"yes\""),
            ("on", "\"on\""),
            ("123", "\"123\""),
            ("2.9.0", "\"2.9.0\""),
            ("a: b", "\"a: b\""),
            ("a, b", "\"a, b\""),
            ("", "\"\""),
            ("-x", "\"-x\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            // A YAML 1.1 reader breaks a line at U+2028 and U+2029 (and at NEL);
            // a byte order mark may not stand inside a document.
            ("North \u{2028} team", "\"North \\u2028 team\""),
            ("a\u{2029}b", "\"a\\u2029b\""),
            ("a\u{85}b", "\"a\\u0085b\""),
            ("\u{feff}a", "\"\\ufeffa\""),
        ] {
            assert_eq!(scalar(s), want, "{s}");
            let doc = format!("k: {}\n", scalar(s));
            let root = parse(&doc).unwrap();
            assert_eq!(entry(&root, "k").unwrap().2.as_str(), Some(s), "{doc}");
        }
    }
}
