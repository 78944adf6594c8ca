//! YAML parsing into a small tree that keeps the byte span of every key and value.
//!
//! serde-saphyr does the parsing (YAML 1.2, strict booleans, budgets against
//! billion-laughs and deep nesting); this module only records what it reports, so
//! every later stage can point at the exact bytes of a value.

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use crate::source::Span;

pub mod edit;
pub mod fast;

/// A YAML node and the bytes it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// What the value is, for messages (`a string`, `a mapping`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// Whether the scalar was written plain (no quotes, no block style, no tag), so
    /// that YAML's implicit typing applied to it.
    pub fn is_plain(&self, text: &str) -> bool {
        if matches!(text.as_bytes().get(self.span.start), Some(b'"' | b'\'' | b'|' | b'>' | b'!' | b'*')) {
            return false;
        }
        // Block scalars and tagged values are reported at their content: look at
        // what stands before it (on its line, or at the end of the line above).
        let before = &text[..self.span.start.min(text.len())];
        let same_line = before.rsplit('\n').next().unwrap_or("");
        let token = if same_line.trim().is_empty() {
            let above = before[..before.len() - same_line.len()].trim_end_matches(['\n', '\r']);
            let line = above.rsplit('\n').next().unwrap_or("");
            let line = line.split(" #").next().unwrap_or(line).trim_end();
            line.rsplit([' ', '\t']).next().unwrap_or("")
        } else {
            same_line.trim_end().rsplit([' ', '\t', ',', '[', '{']).next().unwrap_or("")
        };
        !(token.starts_with('!')
            || (token.starts_with(['|', '>']) && token[1..].chars().all(|c| matches!(c, '-' | '+' | '0'..='9'))))
    }

    /// The source text of the node.
    pub fn source<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.span.clone()).unwrap_or("")
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
}

/// Why a file could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// Not valid YAML (Y001).
    #[error("{message}")]
    Syntax { message: String, span: Span },
    /// Over the safe limits: aliases, depth, size (Y003).
    #[error("{message}")]
    Limits { message: String, span: Span },
}

/// A key that a mapping repeats (Y002).
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateKey {
    pub key: String,
    pub first: Span,
    pub second: Span,
}

/// Largest nesting depth accepted; deeper documents are Y003.
pub const MAX_DEPTH: usize = 32;
/// Most nodes (scalars, lists, mappings) in one file, aliases expanded.
pub const MAX_NODES: usize = 1_000_000;
/// Most parser events that aliases may replay in one file (billion laughs).
pub const MAX_REPLAYED_EVENTS: usize = 50_000;

/// Parses one YAML document, keeping spans: the fast path when the text keeps to
/// the simple part of YAML, serde-saphyr otherwise.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    // A `\r` alone is a line break in YAML, as `\n` and `\r\n` are (content
    // reads every one as `\n`). The parsers here read `\n`: they are given one
    // in its place, a byte for a byte, so every span stays true.
    parse_lf(&crate::source::with_lf(text))
}

/// [`parse`] of a text whose line breaks are `\n` or `\r\n`.
fn parse_lf(text: &str) -> Result<Node, ParseError> {
    if is_blank(text) {
        return Ok(Node { span: 0..0, value: Value::Null });
    }
    match parse_fast(text) {
        Some(node) => Ok(node),
        None => parse_general(text),
    }
}

/// Empty, or only blank lines and comments (blanks as YAML counts them: spaces
/// and tabs, not every Unicode space).
fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim_matches([' ', '\t', '\r']);
        l.is_empty() || l.starts_with('#')
    })
}

/// The fast path alone ([`fast`]): `None` when the text needs the general parser.
pub fn parse_fast(text: &str) -> Option<Node> {
    let mut node = fast::parse(text)?;
    close_flow_spans(&mut node, text);
    Some(node)
}

/// serde-saphyr alone, without the fast path.
pub fn parse_general(text: &str) -> Result<Node, ParseError> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        with_snippet: false,
        budget: serde_saphyr::budget! { max_depth: MAX_DEPTH, max_nodes: MAX_NODES, },
        alias_limits: serde_saphyr::alias_limits! { max_total_replayed_events: MAX_REPLAYED_EVENTS, },
    };
    if is_blank(text) {
        return Ok(Node { span: 0..0, value: Value::Null });
    }
    match serde_saphyr::from_str_with_options::<Node>(text, options) {
        Ok(mut node) => {
            close_flow_spans(&mut node, text);
            Ok(node)
        }
        Err(e) => Err(classify(text, &e)),
    }
}

/// Flow collections (`{…}`, `[…]`) are reported at their opening bracket: stretch
/// their spans to the closing one, so labels cover the whole value.
fn close_flow_spans(node: &mut Node, text: &str) {
    let close = match text.as_bytes().get(node.span.start) {
        Some(b'{') => b'}',
        Some(b'[') => b']',
        _ => 0,
    };
    let mut end = node.span.end;
    match &mut node.value {
        Value::Seq(items) => {
            for item in items.iter_mut() {
                close_flow_spans(item, text);
                end = end.max(item.span.end);
            }
        }
        Value::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                close_flow_spans(k, text);
                close_flow_spans(v, text);
                end = end.max(k.span.end).max(v.span.end);
            }
        }
        _ => return,
    }
    if close != 0 {
        // Skip blanks, commas and comments up to the closing bracket.
        let rest = &text.as_bytes()[end.min(text.len())..];
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
                b'#' => i += rest[i..].iter().position(|b| *b == b'\n').unwrap_or(rest.len() - i),
                _ => break,
            }
        }
        if rest.get(i) == Some(&close) {
            end += i + 1;
        }
    }
    node.span.end = end;
}

fn classify(text: &str, e: &serde_saphyr::Error) -> ParseError {
    let span = e.location().map_or(0..0, |loc| span_of(text, &loc));
    let message = match e {
        serde_saphyr::Error::Budget { breach, .. } => breach_message(breach),
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. }
        | serde_saphyr::Error::AliasReplayCounterOverflow { .. } => {
            format!("aliases expand to more than {MAX_REPLAYED_EVENTS} values (a \"billion laughs\" file)")
        }
        _ => first_line(&e.without_snippet().to_string()),
    };
    let message = if message.contains("from_str_multiple") {
        "the file holds more than one YAML document; keep one per file".to_string()
    } else if message.contains("alias replay") || message.contains("alias expansion") {
        format!("aliases expand to more than {MAX_REPLAYED_EVENTS} values (a \"billion laughs\" file)")
    } else {
        message
    };
    let lower = message.to_lowercase();
    let limits = matches!(
        e,
        serde_saphyr::Error::Budget { .. }
            | serde_saphyr::Error::AliasReplayLimitExceeded { .. }
            | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
            | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. }
            | serde_saphyr::Error::AliasReplayCounterOverflow { .. }
    ) || lower.contains("recursion limit")
        || lower.contains("nesting")
        || lower.contains("budget")
        || lower.contains("aliases expand");
    if limits { ParseError::Limits { message, span } } else { ParseError::Syntax { message, span } }
}

fn breach_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Depth { .. } => format!("nesting deeper than {MAX_DEPTH} levels"),
        B::Nodes { .. } => format!("more than {MAX_NODES} values, aliases expanded"),
        B::Aliases { aliases } => format!("too many aliases ({aliases})"),
        B::Anchors { anchors } => format!("too many anchors ({anchors})"),
        B::Events { events } => format!("too many YAML events ({events})"),
        B::Documents { documents } => format!("too many documents ({documents})"),
        B::ScalarBytes { total_scalar_bytes } => format!("too much scalar text ({total_scalar_bytes} bytes)"),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    // serde-saphyr appends " at line X column Y"; the diagnostic shows that itself.
    let line = line.split(" at line ").next().unwrap_or(line);
    let mut out = line.to_string();
    if let Some(first) = out.get(..1) {
        let lowered = first.to_lowercase();
        out.replace_range(..1, &lowered);
    }
    out.trim_end_matches('.').to_string()
}

/// The byte span of a serde-saphyr location, falling back to line/column.
fn span_of(text: &str, loc: &Location) -> Span {
    let s = loc.span();
    if let (Some(o), Some(l)) = (s.byte_offset(), s.byte_len()) {
        let start = (o as usize).min(text.len());
        return start..(start + l as usize).min(text.len());
    }
    // Walk to the line and column (both 1-based, columns in characters).
    let line = loc.line().max(1) as usize;
    let col = loc.column().max(1) as usize;
    let mut offset = 0;
    for (i, l) in crate::source::lines_with_ends(text).enumerate() {
        if i + 1 == line {
            let within = l.char_indices().nth(col - 1).map_or(l.len(), |(b, _)| b);
            let start = offset + within;
            let end = text[start..].chars().next().map_or(start, |c| start + c.len_utf8());
            return start..end;
        }
        offset += l.len();
    }
    text.len()..text.len()
}

/// Keys that a mapping repeats, anywhere in the tree.
pub fn duplicate_keys(root: &Node) -> Vec<DuplicateKey> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    let mut seen: HashMap<Key<'_>, &Span> = HashMap::new();
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(entries) => {
                if entries.len() <= 8 {
                    // Small mappings, most of them: compare each key with those before it.
                    for (i, (k, _)) in entries.iter().enumerate() {
                        let Some(key) = Key::of(&k.value) else { continue };
                        if let Some((first, _)) = entries[..i].iter().find(|(f, _)| Key::of(&f.value) == Some(key)) {
                            out.push(duplicate(k, &first.span));
                        }
                    }
                } else {
                    seen.clear();
                    for (k, _) in entries {
                        let Some(key) = Key::of(&k.value) else { continue };
                        match seen.get(&key) {
                            Some(first) => out.push(duplicate(k, first)),
                            None => {
                                seen.insert(key, &k.span);
                            }
                        }
                    }
                }
                stack.extend(entries.iter().map(|(_, v)| v));
            }
            _ => {}
        }
    }
    out.sort_by_key(|d| d.second.start);
    out
}

fn duplicate(key: &Node, first: &Span) -> DuplicateKey {
    DuplicateKey { key: display_key(&key.value), first: first.clone(), second: key.span.clone() }
}

/// A scalar key as YAML compares them: by type and value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Float(u64),
    Str(&'a str),
}

impl<'a> Key<'a> {
    fn of(v: &'a Value) -> Option<Key<'a>> {
        Some(match v {
            Value::Null => Key::Null,
            Value::Bool(b) => Key::Bool(*b),
            Value::Int(i) => Key::Int(*i),
            Value::Float(f) => Key::Float(f.to_bits()),
            Value::Str(s) => Key::Str(s),
            Value::Seq(_) | Value::Map(_) => return None,
        })
    }
}

fn display_key(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => "~".into(),
    }
}

fn byte_span(loc: &Location) -> Span {
    let s = loc.span();
    match (s.byte_offset(), s.byte_len()) {
        (Some(o), Some(l)) => o as usize..(o + l) as usize,
        _ => 0..0,
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<Value>::deserialize(d)?;
        let mut span = byte_span(&s.referenced);
        // Block collections report a point at their start: stretch over the children
        // (not for aliases, whose children point back at the alias).
        let last_end = match &s.value {
            Value::Seq(items) => items.last().map(|n| n.span.end),
            Value::Map(entries) => entries.last().map(|(_, v)| v.span.end.max(v.span.start)),
            _ => None,
        };
        if let Some(end) = last_end.filter(|end| *end > span.end) {
            span.end = end;
        }
        Ok(Node { span, value: s.value })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Value, D2::Error> {
                Value::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Int(v.into()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
                Ok(Value::Int(v))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
                Ok(i128::try_from(v).map_or(Value::Float(v as f64), Value::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
                Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut items = Vec::with_capacity(a.size_hint().unwrap_or(0).min(1024));
                while let Some(x) = a.next_element()? {
                    items.push(x);
                }
                Ok(Value::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut entries = Vec::with_capacity(a.size_hint().unwrap_or(0).min(1024));
                while let Some(k) = a.next_key::<Node>()? {
                    let v: Node = a.next_value()?;
                    entries.push((k, v));
                }
                Ok(Value::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_values() {
        let text = "a: \"x\"\nb: 2.10\nc:\n  - on\n";
        let root = parse(text).unwrap();
        let m = root.as_map().unwrap();
        assert_eq!(m[0].1.source(text), "\"x\"");
        let flow = "a: [{}, {b: [1, 2] }]\n";
        let root = parse(flow).unwrap();
        let v = &root.as_map().unwrap()[0].1;
        assert_eq!(v.source(flow), "[{}, {b: [1, 2] }]");
        let Value::Seq(items) = &v.value else { panic!("not a list") };
        assert_eq!(items[0].source(flow), "{}");
        assert!(!m[0].1.is_plain(text));
        assert_eq!(m[1].1.source(text), "2.10");
        assert_eq!(m[1].1.value, Value::Float(2.1));
        let Value::Seq(items) = &m[2].1.value else { panic!("not a list") };
        assert_eq!(items[0].value, Value::Str("on".into()));
        assert!(items[0].is_plain(text));
    }

    #[test]
    fn duplicates_are_found_with_both_spans() {
        let text = "a: 1\nb: 2\na: 3\n";
        let d = duplicate_keys(&parse(text).unwrap());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].key, "a");
        assert_eq!(d[0].first, 0..1);
        assert_eq!(d[0].second, 10..11);
    }

    #[test]
    fn limits_and_syntax_errors_are_told_apart() {
        assert!(matches!(parse("a: [b"), Err(ParseError::Syntax { .. })));
        let deep = format!("a: {}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(parse(&deep), Err(ParseError::Limits { .. })));
        let mut laughs =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (prev, name) in
            ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            laughs.push_str(&format!("{name}: &{name} [{}]\n", vec![format!("*{prev}"); 9].join(",")));
        }
        assert!(matches!(parse(&laughs), Err(ParseError::Limits { .. })));
    }
}
