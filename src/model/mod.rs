//! The typed format-2 model, one file per file kind, and the conversion from the
//! spanned YAML tree. The schema check before it has reported every value that
//! does not fit (S001–S004, Y004, Y005); the conversion gives such a value its
//! default and reports nothing.

pub mod app;
pub mod groups;
pub mod locations;
pub mod project;
pub mod users;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::diagnostic::did_you_mean;
use crate::source::{FileId, Span};
use crate::yaml::{Node, Value};

pub use app::{App, Form, Module, ModuleKind, Opens, Owner, Relationship, Requires};
pub use groups::Group;
pub use locations::Location;
pub use project::{LocationType, ProjectDef, Role, RoleApps, SharedCaseType};
pub use users::User;

/// A name or other short string of a definition, kept inline when it is short
/// (up to 24 bytes) rather than allocated: a project of half a million users
/// holds a million of them.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(compact_str::CompactString);

impl Name {
    pub fn new(s: &str) -> Name {
        Name(compact_str::CompactString::new(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name::new(s)
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name(compact_str::CompactString::from(s))
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// A name has the schema of a string.
impl JsonSchema for Name {
    fn schema_name() -> Cow<'static, str> {
        String::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        String::json_schema(generator)
    }
    fn inline_schema() -> bool {
        String::inline_schema()
    }
}

/// A value and the bytes it came from (kept as two 32-bit offsets: files are
/// far smaller than 4 GiB, and a project holds millions of these).
#[derive(Clone, Debug, PartialEq)]
pub struct Sp<T> {
    pub value: T,
    start: u32,
    end: u32,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        let at = |o: usize| u32::try_from(o).unwrap_or(u32::MAX);
        Sp { value, start: at(span.start), end: at(span.end) }
    }

    /// The bytes the value came from.
    pub fn span(&self) -> Span {
        self.start as usize..self.end as usize
    }
}

/// A spanned value has the schema of its value.
impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

/// A schema transform: these properties may be left out (they have defaults
/// that the model does not express as values, such as an id from the file name).
pub struct Optional(pub &'static [&'static str]);

impl schemars::transform::Transform for Optional {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(serde_json::Value::Array(required)) = schema.get_mut("required") {
            required.retain(|r| r.as_str().is_none_or(|r| !self.0.contains(&r)));
        }
    }
}

/// `format_version: 2`, the first key of every definition file.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FormatVersion;

impl JsonSchema for FormatVersion {
    fn schema_name() -> Cow<'static, str> {
        "FormatVersion".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The definition format of this file. 2 is current; files without it, or with 1, are the legacy format that `caseshare migrate` rewrites.",
            "const": 2
        })
    }
}

impl JsonSchema for Version {
    fn schema_name() -> Cow<'static, str> {
        "Version".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9]+(\\.[0-9]+)*$",
            "examples": ["2.53.0"]
        })
    }
}

/// The pattern HQ requires of case types (`CASE_TYPE_REGEX`).
pub const CASE_TYPE_PATTERN: &str = r"^[\w-]+$";

impl Sp<Name> {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl Sp<Name> {
    /// A name at a span.
    pub fn name(value: &str, span: Span) -> Self {
        Sp::new(Name::new(value), span)
    }
}

/// A CommCare version, compared per numeric component ("2.10" > "2.9", "2.0" == "2.0.0").
#[derive(Clone, Debug)]
pub struct Version {
    pub text: String,
    pub parts: Vec<u64>,
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let parts: Option<Vec<u64>> = text
            .split('.')
            .map(|p| if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) { p.parse().ok() } else { None })
            .collect();
        parts.map(|parts| Version { text: text.to_string(), parts })
    }

    fn part(&self, i: usize) -> u64 {
        self.parts.get(i).copied().unwrap_or(0)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        (0..n).map(|i| self.part(i).cmp(&other.part(i))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The slug that stands in for a missing id: lowercase, runs of other characters as `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The spellings that YAML 1.1 reads as booleans and YAML 1.2 as strings.
pub fn yaml11_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "yes" | "y" => Some(true),
        "off" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// Converts the nodes of one file into the model. It reports nothing: the schema
/// check has reported every value that does not fit, and such a value takes its
/// default here. It notes which keys those were ([`Conv::take_trouble`]), so the
/// rules that would only repeat the problem can skip them.
pub struct Conv<'a> {
    pub file: FileId,
    pub text: &'a str,
    /// Keys whose value did not fit (or the key a misspelt one was likely meant
    /// to be) since the last [`Conv::take_trouble`].
    pub trouble: Vec<String>,
}

/// The entries of a mapping, with the keys taken so far.
pub struct Fields<'n> {
    pub span: Span,
    entries: &'n [(Node, Node)],
    used: Vec<bool>,
}

impl<'n> Fields<'n> {
    /// The value of `key`, if the mapping has it (null counts as absent).
    pub fn get(&mut self, key: &str) -> Option<&'n Node> {
        self.entry(key).and_then(|(_, v)| (v.value != Value::Null).then_some(v))
    }

    /// The key and value of `key`.
    pub fn entry(&mut self, key: &str) -> Option<(&'n Node, &'n Node)> {
        let i = self.entries.iter().position(|(k, _)| k.as_str() == Some(key))?;
        self.used[i] = true;
        let (k, v) = &self.entries[i];
        Some((k, v))
    }

    /// The value of a key not taken that looks like a misspelling of `key`.
    pub fn misspelt(&self, key: &str, allowed: &[&str]) -> Option<&'n Node> {
        self.entries.iter().enumerate().find_map(|(i, (k, v))| {
            let name = k.as_str()?;
            (!self.used[i] && did_you_mean(name, allowed.iter().copied()) == Some(key)).then_some(v)
        })
    }

    /// The span of the mapping's first line, where "missing key" is labelled.
    pub fn head(&self, text: &str) -> Span {
        let start = self.entries.first().map_or(self.span.start, |(k, _)| k.span.start);
        let end = text[start.min(text.len())..].find(['\n', '\r']).map_or(text.len(), |i| start + i);
        start..end.max(start)
    }
}

impl<'a> Conv<'a> {
    pub fn new(file: FileId, text: &'a str) -> Self {
        Conv { file, text, trouble: Vec::new() }
    }

    fn trouble(&mut self, key: &str) {
        self.trouble.push(key.to_string());
    }

    /// The keys whose value did not fit since the last call.
    pub fn take_trouble(&mut self) -> Vec<String> {
        std::mem::take(&mut self.trouble)
    }

    /// The mapping in `node`, if it is one.
    pub fn map<'n>(&mut self, node: &'n Node) -> Option<Fields<'n>> {
        match &node.value {
            Value::Map(entries) => Some(Fields { span: node.span.clone(), entries, used: vec![false; entries.len()] }),
            _ => None,
        }
    }

    /// Notes the key that each key not taken was likely meant to be.
    pub fn finish(&mut self, fields: Fields<'_>, allowed: &[&str]) {
        for (i, (k, _)) in fields.entries.iter().enumerate() {
            if fields.used[i] {
                continue;
            }
            let name = k.as_str().map_or_else(|| k.source(self.text).to_string(), str::to_string);
            if let Some(s) = did_you_mean(&name, allowed.iter().copied()) {
                self.trouble.push(s.to_string());
            }
        }
    }

    /// A string value; other scalars are trouble.
    pub fn string(&mut self, node: &Node, key: &str) -> Option<Sp<Name>> {
        match &node.value {
            Value::Str(s) => Some(Sp::name(s, node.span.clone())),
            _ => {
                self.trouble(key);
                None
            }
        }
    }

    /// Whether a required key has a value (null is trouble).
    pub fn require(&mut self, fields: &mut Fields<'_>, key: &str) -> bool {
        match fields.entry(key) {
            None => false,
            Some((_, v)) if v.value == Value::Null => {
                self.trouble(key);
                false
            }
            Some(_) => true,
        }
    }

    /// A required string field.
    pub fn required_string(&mut self, fields: &mut Fields<'_>, key: &str) -> Option<Sp<Name>> {
        match fields.entry(key) {
            Some((_, v)) if v.value != Value::Null => self.string(v, key),
            Some(_) => {
                self.trouble(key);
                None
            }
            None => None,
        }
    }

    pub fn opt_string(&mut self, fields: &mut Fields<'_>, key: &str) -> Option<Sp<Name>> {
        fields.get(key).and_then(|v| self.string(v, key))
    }

    /// A boolean; `on`/`yes`/… (Y004) read with their YAML 1.1 meaning.
    pub fn boolean(&mut self, fields: &mut Fields<'_>, key: &str) -> Option<Sp<bool>> {
        let node = fields.get(key)?;
        match &node.value {
            Value::Bool(b) => Some(Sp::new(*b, node.span.clone())),
            Value::Str(s) if node.is_plain(self.text) && yaml11_bool(s).is_some() => {
                Some(Sp::new(yaml11_bool(s).unwrap_or(false), node.span.clone()))
            }
            _ => {
                self.trouble(key);
                None
            }
        }
    }

    /// A version string; a number written as a version (Y005) is read as written.
    pub fn version(&mut self, fields: &mut Fields<'_>, key: &str) -> Option<Sp<Version>> {
        let node = fields.get(key)?;
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(_) | Value::Float(_) => node.source(self.text).trim().to_string(),
            _ => {
                self.trouble(key);
                return None;
            }
        };
        match Version::parse(&text) {
            Some(v) => Some(Sp::new(v, node.span.clone())),
            None => {
                self.trouble(key);
                None
            }
        }
    }

    /// The items of a list field (empty when absent or not a list).
    pub fn list<'n>(&mut self, fields: &mut Fields<'n>, key: &str) -> &'n [Node] {
        let Some(node) = fields.get(key) else { return &[] };
        match &node.value {
            Value::Seq(items) => items,
            _ => {
                self.trouble(key);
                &[]
            }
        }
    }

    /// A list of strings, in a vector of the list's length: collected through
    /// `filter_map`, whose length is not known ahead, a group's 10 members grew
    /// through 4, 8 and 16 places (9.4 MB of `huge`'s 50,000 groups).
    pub fn string_list(&mut self, fields: &mut Fields<'_>, key: &str) -> Vec<Sp<Name>> {
        let items = self.list(fields, key);
        let mut out = Vec::with_capacity(items.len());
        out.extend(items.iter().filter_map(|n| self.string(n, key)));
        out
    }

    /// One of a fixed set of words; anything else is trouble.
    pub fn choice<T: Copy>(&mut self, fields: &mut Fields<'_>, key: &str, choices: &[(&str, T)]) -> Option<Sp<T>> {
        let node = fields.get(key)?;
        let s = self.string(node, key)?;
        if let Some((_, v)) = choices.iter().find(|(name, _)| s.value == *name) {
            return Some(Sp::new(*v, s.span()));
        }
        self.trouble(key);
        None
    }
}

/// Converts a file's top-level list (`groups:`, `users:`, `locations:`): `item`
/// reads each entry's mapping (and calls [`Conv::finish`] on it). Returns the
/// items and whether the list was there to read; when it was not, names the file
/// may define are not reported as unknown elsewhere.
pub fn top_list<'n, T>(
    cx: &mut Conv<'_>,
    mut f: Fields<'n>,
    key: &str,
    mut item: impl FnMut(&mut Conv<'_>, Fields<'n>) -> Option<T>,
) -> (Vec<T>, bool) {
    f.entry("format_version");
    let complete = matches!(f.get(key).map(|n| &n.value), Some(Value::Seq(_)));
    let items = cx.list(&mut f, key);
    cx.take_trouble();
    let mut out = Vec::with_capacity(items.len());
    for node in items {
        if let Some(m) = cx.map(node) {
            out.extend(item(cx, m));
        }
    }
    cx.finish(f, &["format_version", key]);
    (out, complete)
}

/// "an integer `3`", "a mapping", … for messages.
pub fn describe(v: &Value, node: &Node, text: &str) -> String {
    match v {
        Value::Map(_) | Value::Seq(_) | Value::Null => v.kind().to_string(),
        _ => format!("{} `{}`", v.kind(), node.source(text).trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_per_component() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("2.10") > v("2.9"));
        assert!(v("2.0") == v("2.0.0"));
        assert!(v("1.9.9") < v("2"));
        assert!(Version::parse("2.x").is_none());
        assert!(Version::parse("").is_none());
        assert!(Version::parse("2..1").is_none());
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Register pregnancy"), "register-pregnancy");
        assert_eq!(slug("  CHW -- App! "), "chw-app");
    }
}
