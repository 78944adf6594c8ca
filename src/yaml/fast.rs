//! A fast path for the plain YAML that definition files are written in.
//!
//! Definition files use a small part of YAML: block mappings and lists indented
//! with spaces, flow lists and mappings on one line, one-line plain and quoted
//! scalars, and comments. This module reads exactly that part, about ten times
//! faster than the general parser, and gives up (`None`) on anything else:
//! anchors, aliases, tags, block scalars, multi-line scalars, escapes, tabs,
//! carriage returns, control characters, explicit keys, documents after the
//! first, numbers YAML spells in more than one way, deep nesting, and every
//! error. serde-saphyr then parses the file and reports what is wrong with it.
//!
//! What it returns is the tree serde-saphyr gives, spans included (before
//! [`super::close_flow_spans`], which both paths share). `tests/yaml_parity.rs`
//! compares the two on generated text, on every fixture and on generated projects.

use super::{Node, Value};

/// Collections nested deeper than this go to serde-saphyr, which reports Y003
/// past [`super::MAX_DEPTH`].
const MAX_DEPTH: usize = super::MAX_DEPTH - 4;
/// Files with more values go to serde-saphyr, whose budgets then apply.
const MAX_NODES: usize = 300_000;
/// Longest implicit key YAML allows.
const MAX_KEY: usize = 1000;

/// Parses `text` when it keeps to the simple part of YAML; `None` otherwise.
pub fn parse(text: &str) -> Option<Node> {
    if !printable(text.as_bytes()) {
        return None;
    }
    let mut p = Parser { s: text.as_bytes(), text, pos: 0, nodes: 0, started: false };
    let line = p.peek()?;
    if line.eof {
        return None;
    }
    let root = p.block(line, 1)?;
    p.peek()?.eof.then_some(root)
}

/// False when the text holds a character the fast path leaves to serde-saphyr:
/// tabs, carriage returns other than in a CRLF line break, control characters, a
/// byte order mark, NEL, the Unicode line and paragraph separators, and
/// non-characters.
fn printable(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\n' | 0x20..=0x7e => {}
            b'\r' if s.get(i + 1) == Some(&b'\n') => {}
            0..=0x1f | 0x7f => return false,
            0xc2 if matches!(s.get(i + 1), Some(0x80..=0x9f)) => return false,
            0xe2 if s.get(i + 1) == Some(&0x80) && matches!(s.get(i + 2), Some(0xa8 | 0xa9)) => return false,
            0xef if matches!(
                (s.get(i + 1), s.get(i + 2)),
                (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
            ) =>
            {
                return false;
            }
            _ => {}
        }
        i += 1;
    }
    true
}

/// A line with content: where it starts, its indentation, or the end of the text.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    indent: usize,
    eof: bool,
}

struct Parser<'t> {
    s: &'t [u8],
    text: &'t str,
    /// The start of the next line not yet read.
    pos: usize,
    nodes: usize,
    /// Whether a line with content was seen: a `---` after it starts another document.
    started: bool,
}

impl<'t> Parser<'t> {
    fn node(&mut self, start: usize, end: usize, value: Value) -> Option<Node> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(Node { span: start..end, value })
    }

    /// Whether `i` is at a line break (`\n`, or the `\r` of `\r\n`: a lone `\r`
    /// never reaches the fast path) or the end.
    fn at_eol(&self, i: usize) -> bool {
        i >= self.s.len() || matches!(self.s[i], b'\n' | b'\r')
    }

    /// The start of the line after the one holding `i`.
    fn next_line(&self, i: usize) -> usize {
        match self.s[i.min(self.s.len())..].iter().position(|b| *b == b'\n') {
            Some(n) => i + n + 1,
            None => self.s.len(),
        }
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.s.get(i) == Some(&b' ') {
            i += 1;
        }
        i
    }

    /// After a value at `i`: only blanks and a comment may follow on the line.
    /// Returns where the line ends; `None` when something else follows.
    fn rest_is_empty(&self, i: usize) -> Option<usize> {
        let j = self.skip_spaces(i);
        if self.at_eol(j) {
            return Some(j);
        }
        // A comment needs a blank before it.
        (self.s[j] == b'#' && j > i).then(|| self.line_end(j))
    }

    /// The position of the line break ending the line that holds `i` (or the end).
    fn line_end(&self, i: usize) -> usize {
        self.s[i..].iter().position(|b| matches!(b, b'\n' | b'\r')).map_or(self.s.len(), |n| i + n)
    }

    /// The next line with content (blank and comment lines skipped), from `pos`;
    /// `None` on a document marker, which the fast path leaves alone.
    fn peek(&mut self) -> Option<Line> {
        loop {
            if self.pos >= self.s.len() {
                return Some(Line { start: self.s.len(), indent: 0, eof: true });
            }
            let start = self.pos;
            let c = self.skip_spaces(start);
            if self.at_eol(c) || self.s[c] == b'#' {
                self.pos = self.next_line(c);
                continue;
            }
            let indent = c - start;
            if indent == 0 {
                let head = &self.s[c..];
                if (head.starts_with(b"---") || head.starts_with(b"..."))
                    && matches!(head.get(3), None | Some(b' ' | b'\n' | b'\r'))
                {
                    // `---` on a line of its own may open the document.
                    if self.started || head[0] == b'.' {
                        return None;
                    }
                    self.started = true;
                    self.rest_is_empty(c + 3)?;
                    self.pos = self.next_line(c + 3);
                    continue;
                }
                if head[0] == b'%' {
                    return None;
                }
            }
            self.started = true;
            return Some(Line { start, indent, eof: false });
        }
    }

    /// A block node whose first line is `line`.
    fn block(&mut self, line: Line, depth: usize) -> Option<Node> {
        let c = line.start + line.indent;
        if self.is_dash(c) { self.seq(line.indent, false, depth) } else { self.map(c, line.indent, depth) }
    }

    /// `-` followed by a blank or the end of the line.
    fn is_dash(&self, i: usize) -> bool {
        self.s.get(i) == Some(&b'-') && (self.at_eol(i + 1) || self.s[i + 1] == b' ')
    }

    /// A block mapping whose first key starts at `first` and whose keys stand in
    /// column `indent`.
    fn map(&mut self, first: usize, indent: usize, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut entries = Vec::new();
        let mut at = first;
        loop {
            let key = self.key(at)?;
            let colon = key.1;
            let value = self.value(colon + 1, colon, indent, depth)?;
            entries.push((key.0, value));
            let line = self.peek()?;
            if line.eof || line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None;
            }
            at = line.start + indent;
        }
        let start = entries[0].0.span.start;
        let end = entries.last().map_or(start, |(_, v)| v.span.end.max(v.span.start));
        self.node(start, end.max(start), Value::Map(entries))
    }

    /// A block list with its dashes in column `indent`; `indentless` when it is
    /// the value of a key in the same column.
    fn seq(&mut self, indent: usize, indentless: bool, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let line = self.peek()?;
            if line.eof || line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let dash = line.start + indent;
            if !self.is_dash(dash) {
                if indentless {
                    break;
                }
                return None;
            }
            let (item, at) = self.item(dash, line.start, depth)?;
            // serde-saphyr starts an indentless list where its first item does
            // on the dash's line (its end, when the item is below it).
            start.get_or_insert(if indentless { at } else { dash });
            items.push(item);
        }
        let start = start?;
        let end = items.last().map_or(start + 1, |n| n.span.end).max(start + usize::from(!indentless));
        self.node(start, end, Value::Seq(items))
    }

    /// The item after the dash at `dash`, on the line starting at `line_start`,
    /// and where it starts on that line.
    fn item(&mut self, dash: usize, line_start: usize, depth: usize) -> Option<(Node, usize)> {
        let indent = dash - line_start;
        let i = self.skip_spaces(dash + 1);
        if self.at_eol(i) || self.s[i] == b'#' {
            // Nothing on the line: a nested block below, or null at the line's end.
            let eol = self.rest_is_empty(dash + 1)?;
            self.pos = self.next_line(eol);
            let line = self.peek()?;
            if !line.eof && line.indent > indent {
                return Some((self.block(line, depth + 1)?, eol));
            }
            return Some((self.node(eol, eol, Value::Null)?, eol));
        }
        let item = match self.s[i] {
            b'[' | b'{' => self.flow_then_eol(i, depth + 1),
            b'"' | b'\'' => {
                let (scalar, end) = self.quoted(i)?;
                let j = self.skip_spaces(end);
                if self.s.get(j) == Some(&b':') && (self.at_eol(j + 1) || self.s[j + 1] == b' ') {
                    self.map(i, i - line_start, depth + 1)
                } else {
                    self.scalar_then_eol(scalar, end)
                }
            }
            _ => {
                if self.key_colon(i).is_some() {
                    self.map(i, i - line_start, depth + 1)
                } else {
                    let (scalar, end) = self.plain_block(i)?;
                    self.scalar_then_eol(scalar, end)
                }
            }
        };
        Some((item?, i))
    }

    /// The value after a key's colon (at `colon`), `i` just past it; the key
    /// stands in column `indent`.
    fn value(&mut self, i: usize, colon: usize, indent: usize, depth: usize) -> Option<Node> {
        let j = self.skip_spaces(i);
        if self.at_eol(j) || self.s[j] == b'#' {
            let eol = self.rest_is_empty(i)?;
            self.pos = self.next_line(eol);
            let line = self.peek()?;
            if !line.eof && line.indent > indent {
                return self.block(line, depth + 1);
            }
            if !line.eof && line.indent == indent && self.is_dash(line.start + indent) {
                return self.seq(indent, true, depth + 1);
            }
            return self.node(colon, colon, Value::Null);
        }
        match self.s[j] {
            b'[' | b'{' => self.flow_then_eol(j, depth + 1),
            b'"' | b'\'' => {
                let (scalar, end) = self.quoted(j)?;
                self.scalar_then_eol(scalar, end)
            }
            _ => {
                let (scalar, end) = self.plain_block(j)?;
                self.scalar_then_eol(scalar, end)
            }
        }
    }

    fn scalar_then_eol(&mut self, scalar: Node, end: usize) -> Option<Node> {
        let eol = self.rest_is_empty(end)?;
        self.pos = self.next_line(eol);
        Some(scalar)
    }

    fn flow_then_eol(&mut self, i: usize, depth: usize) -> Option<Node> {
        let (node, end) = self.flow(i, depth)?;
        let eol = self.rest_is_empty(end)?;
        self.pos = self.next_line(eol);
        Some(node)
    }

    /// A key at `i` and the position of its colon.
    fn key(&mut self, i: usize) -> Option<(Node, usize)> {
        if matches!(self.s.get(i), Some(b'"' | b'\'')) {
            let (key, end) = self.quoted(i)?;
            let j = self.skip_spaces(end);
            let colon_ok = self.s.get(j) == Some(&b':') && (self.at_eol(j + 1) || self.s[j + 1] == b' ');
            // YAML's limit counts up to the colon, spaces before it included.
            return (colon_ok && j - i <= MAX_KEY).then_some((key, j));
        }
        let colon = self.key_colon(i)?;
        let end = trim_end(self.s, i, colon);
        if end == i || colon - i > MAX_KEY || !plain_start(self.s, i) {
            return None;
        }
        let value = resolve(&self.text[i..end])?;
        Some((self.node(i, end, value)?, colon))
    }

    /// The colon that makes the plain text at `i` a key (`: ` or `:` at the
    /// end of the line), if it comes before any comment.
    fn key_colon(&self, i: usize) -> Option<usize> {
        let mut j = i;
        while !self.at_eol(j) {
            match self.s[j] {
                b':' if self.at_eol(j + 1) || self.s[j + 1] == b' ' => return Some(j),
                b'#' if j > i && self.s[j - 1] == b' ' => return None,
                _ => {}
            }
            j += 1;
        }
        None
    }

    /// A plain scalar in block context at `i`, up to a comment or the line's end.
    fn plain_block(&mut self, i: usize) -> Option<(Node, usize)> {
        if !plain_start(self.s, i) {
            return None;
        }
        let mut j = i;
        while !self.at_eol(j) {
            match self.s[j] {
                // `a: b: c` and `a: b:` are errors.
                b':' if self.at_eol(j + 1) || self.s[j + 1] == b' ' => return None,
                b'#' if self.s[j - 1] == b' ' => break,
                _ => {}
            }
            j += 1;
        }
        let end = trim_end(self.s, i, j);
        let value = resolve(&self.text[i..end])?;
        Some((self.node(i, end, value)?, end))
    }

    /// A quoted scalar on one line, without escapes; the node and the position after it.
    fn quoted(&mut self, i: usize) -> Option<(Node, usize)> {
        let quote = self.s[i];
        let mut j = i + 1;
        let mut doubled = false;
        loop {
            match self.s.get(j) {
                None | Some(b'\n' | b'\r' | b'\\') if quote == b'"' => return None,
                None | Some(b'\n' | b'\r') => return None,
                Some(&q) if q == quote => {
                    if quote == b'\'' && self.s.get(j + 1) == Some(&b'\'') {
                        doubled = true;
                        j += 2;
                        continue;
                    }
                    break;
                }
                _ => j += 1,
            }
        }
        let inner = &self.text[i + 1..j];
        let value = if doubled { inner.replace("''", "'") } else { inner.to_string() };
        Some((self.node(i, j + 1, Value::Str(value))?, j + 1))
    }

    /// A flow list or mapping at `i` that closes on the same line; the node and
    /// the position after its closing bracket.
    fn flow(&mut self, i: usize, depth: usize) -> Option<(Node, usize)> {
        if depth > MAX_DEPTH {
            return None;
        }
        let map = self.s[i] == b'{';
        let close = if map { b'}' } else { b']' };
        let mut j = self.skip_spaces(i + 1);
        let mut items = Vec::new();
        let mut entries = Vec::new();
        if self.s.get(j) != Some(&close) {
            loop {
                if map {
                    let start = j;
                    let (key, end) = self.flow_scalar(j)?;
                    j = self.skip_spaces(end);
                    // A key longer than YAML allows, up to its colon: serde-saphyr says so.
                    if self.s.get(j) != Some(&b':') || j - start > MAX_KEY {
                        return None;
                    }
                    let colon = j;
                    j = self.skip_spaces(j + 1);
                    let value = if matches!(self.s.get(j), Some(b',' | b'}')) {
                        self.node(colon, colon, Value::Null)?
                    } else {
                        let (value, end) = self.flow_item(j, depth)?;
                        j = self.skip_spaces(end);
                        value
                    };
                    entries.push((key, value));
                } else {
                    let (item, end) = self.flow_item(j, depth)?;
                    items.push(item);
                    j = self.skip_spaces(end);
                }
                match self.s.get(j) {
                    Some(b',') => {
                        j = self.skip_spaces(j + 1);
                        // A trailing comma, or the next item on another line.
                        if matches!(self.s.get(j), None | Some(b'\n' | b'\r' | b']' | b'}' | b',')) {
                            return None;
                        }
                    }
                    Some(&c) if c == close => break,
                    _ => return None,
                }
            }
        }
        let end_of_items = if map {
            entries.last().map(|(_, v)| v.span.end.max(v.span.start))
        } else {
            items.last().map(|n| n.span.end)
        };
        let end = end_of_items.unwrap_or(i + 1).max(i + 1);
        let value = if map { Value::Map(entries) } else { Value::Seq(items) };
        Some((self.node(i, end, value)?, j + 1))
    }

    /// A value inside a flow collection: a nested collection or a scalar.
    fn flow_item(&mut self, j: usize, depth: usize) -> Option<(Node, usize)> {
        match self.s.get(j)? {
            b'[' | b'{' => self.flow(j, depth + 1),
            _ => {
                let (node, end) = self.flow_scalar(j)?;
                // `[a: b]` is a mapping inside the list: left to serde-saphyr.
                (self.s.get(self.skip_spaces(end)) != Some(&b':')).then_some((node, end))
            }
        }
    }

    /// A quoted or plain scalar inside a flow collection.
    fn flow_scalar(&mut self, j: usize) -> Option<(Node, usize)> {
        if matches!(self.s.get(j), Some(b'"' | b'\'')) {
            let (node, end) = self.quoted(j)?;
            return matches!(self.s.get(self.skip_spaces(end)), Some(b',' | b']' | b'}' | b':')).then_some((node, end));
        }
        if !plain_start(self.s, j) {
            return None;
        }
        let mut k = j;
        loop {
            match self.s.get(k) {
                None | Some(b'\n' | b'\r' | b'[' | b'{' | b'#') => return None,
                Some(b',' | b']' | b'}') => break,
                Some(b':') => {
                    if matches!(self.s.get(k + 1), Some(b' ' | b',' | b']' | b'}')) {
                        break;
                    }
                    return None;
                }
                _ => k += 1,
            }
        }
        let end = trim_end(self.s, j, k);
        if end == j {
            return None;
        }
        let value = resolve(&self.text[j..end])?;
        Some((self.node(j, end, value)?, end))
    }
}

/// The end of `s[start..end]` without trailing blanks.
fn trim_end(s: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && s[end - 1] == b' ' {
        end -= 1;
    }
    end
}

/// Whether a plain scalar may start at `i` as far as the fast path goes: a
/// letter, a digit, `_`, a non-ASCII character, or `-` before one of these.
fn plain_start(s: &[u8], i: usize) -> bool {
    match s.get(i) {
        Some(b) if b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80 => true,
        Some(b'-') => matches!(s.get(i + 1), Some(b) if b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80),
        _ => false,
    }
}

/// The value of a plain scalar, as serde-saphyr resolves it (YAML 1.2 core
/// schema, strict booleans); `None` for spellings the fast path leaves to it.
fn resolve(t: &str) -> Option<Value> {
    match t {
        "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let b = t.as_bytes();
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    let u = unsigned.as_bytes();
    let first = *u.first()?;
    if first.is_ascii_alphabetic() || first == b'_' || first >= 0x80 {
        // Words a float parser might take for infinity or not-a-number.
        if ["inf", "infinity", "nan"].iter().any(|w| unsigned.eq_ignore_ascii_case(w)) {
            return None;
        }
        return Some(Value::Str(t.to_string()));
    }
    if !first.is_ascii_digit() || b.len() > 20 {
        return None;
    }
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    // Leading zeros (`007`) are read in more than one way: left to serde-saphyr.
    let no_leading_zero = |s: &[u8]| s.len() == 1 || s[0] != b'0';
    let parts: Vec<&[u8]> = u.split(|c| *c == b'.').collect();
    match parts.as_slice() {
        [int] if digits(int) && no_leading_zero(int) && int.len() <= 18 => Some(Value::Int(t.parse().ok()?)),
        [int, frac] if digits(int) && digits(frac) && no_leading_zero(int) => Some(Value::Float(t.parse().ok()?)),
        // Version numbers such as `2.49.0` are strings.
        [_, _, _, ..] if t.len() == unsigned.len() && parts.iter().all(|p| digits(p)) => {
            Some(Value::Str(t.to_string()))
        }
        _ => None,
    }
}
