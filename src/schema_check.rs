//! S001–S004 from the JSON Schemas: each loaded file is validated with the
//! jsonschema crate against the schema editors use, and each error's JSON Pointer
//! is mapped back to the YAML span it names. The typed conversion finds the same
//! problems with its own messages; [`merge`] keeps one diagnostic per problem.
//! The Y rules keep priority on their values (`on` is Y004 and an unquoted
//! version Y005, not a type error), and A003 on case type patterns.

use std::collections::HashSet;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{JsonType, Validator};
use serde_json::{Map, Number, Value as Json};

use crate::diagnostic::{Diagnostic, Place, did_you_mean};
use crate::model::{describe, yaml11_bool};
use crate::rules::{invalid_value, missing_field, unknown_field, wrong_type};
use crate::source::{FileId, FileKind, Span};
use crate::yaml::{Node, Value};

struct Compiled {
    schema: Json,
    validator: Validator,
}

/// The compiled schema of a file kind (built once per process).
fn compiled(kind: FileKind) -> Option<&'static Compiled> {
    static ALL: OnceLock<Vec<(FileKind, Compiled)>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        crate::schema::schemas()
            .into_iter()
            .filter_map(|(name, text)| {
                let kind = match name {
                    "project.schema.json" => FileKind::Project,
                    "app.schema.json" => FileKind::App,
                    "groups.schema.json" => FileKind::Groups,
                    "users.schema.json" => FileKind::Users,
                    "locations.schema.json" => FileKind::Locations,
                    _ => return None,
                };
                let schema: Json = serde_json::from_str(&text).ok()?;
                let validator = jsonschema::draft7::new(&schema).ok()?;
                Some((kind, Compiled { schema, validator }))
            })
            .collect()
    });
    all.iter().find(|(k, _)| *k == kind).map(|(_, c)| c)
}

/// The YAML tree as the JSON a schema validator sees.
fn to_json(node: &Node, text: &str) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => i64::try_from(*i).map_or_else(|_| Json::String(i.to_string()), |i| Json::Number(i.into())),
        Value::Float(f) => {
            Number::from_f64(*f).map_or_else(|| Json::String(node.source(text).to_string()), Json::Number)
        }
        Value::Str(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(|n| to_json(n, text)).collect()),
        Value::Map(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for (k, v) in entries {
                map.insert(key_text(k, text), to_json(v, text));
            }
            Json::Object(map)
        }
    }
}

fn key_text(k: &Node, text: &str) -> String {
    k.as_str().map_or_else(|| k.source(text).trim().to_string(), str::to_string)
}

/// The node a JSON Pointer names, with the key it hangs from (`name`, or
/// `members[2]` for a list item).
fn lookup<'n>(root: &'n Node, path: &jsonschema::paths::Location, text: &str) -> (Option<&'n Node>, String) {
    let mut node = Some(root);
    let mut key = String::new();
    for seg in path.segments() {
        let Some(n) = node else { break };
        node = match (&n.value, &seg) {
            (Value::Seq(items), LocationSegment::Index(i)) => {
                key = format!("{key}[{i}]");
                items.get(*i)
            }
            (Value::Map(entries), seg) => {
                let name = match seg {
                    LocationSegment::Property(p) => p.to_string(),
                    LocationSegment::Index(i) => i.to_string(),
                };
                key = name.clone();
                entries.iter().find(|(k, _)| key_text(k, text) == name).map(|(_, v)| v)
            }
            _ => None,
        };
    }
    (node, key)
}

/// The schema object a keyword location (a JSON Pointer) points into,
/// following local `$ref`s.
fn resolve<'s>(root: &'s Json, path: &str) -> Option<&'s Json> {
    let mut node = root;
    for raw in path.split('/').filter(|p| !p.is_empty()) {
        let name = raw.replace("~1", "/").replace("~0", "~");
        node = if name == "$ref" {
            let target = node.get("$ref")?.as_str()?.strip_prefix("#/")?;
            target.split('/').try_fold(root, |n, part| n.get(part))?
        } else if let (Some(list), Ok(i)) = (node.as_array(), name.parse::<usize>()) {
            list.get(i)?
        } else {
            node.get(&name)?
        };
    }
    Some(node)
}

/// The first line of a mapping, where a missing key is labelled.
fn head(node: &Node, text: &str) -> Span {
    let start = node.as_map().and_then(|m| m.first()).map_or(node.span.start, |(k, _)| k.span.start);
    let end = text[start.min(text.len())..].find('\n').map_or(text.len(), |i| start + i);
    start..end.max(start)
}

fn expected(kind: &TypeKind) -> String {
    let name = |t: &JsonType| match t {
        JsonType::String => "a string",
        JsonType::Array => "a list",
        JsonType::Object => "a mapping",
        JsonType::Boolean => "`true` or `false`",
        JsonType::Integer => "an integer",
        JsonType::Number => "a number",
        JsonType::Null => "null",
    };
    match kind {
        TypeKind::Single(t) => name(t).to_string(),
        TypeKind::Multiple(set) => {
            let names: Vec<&str> = set.iter().filter(|t| *t != JsonType::Null).map(|t| name(&t)).collect();
            names.join(" or ")
        }
    }
}

/// What a schema's `anyOf`/`oneOf` alternatives accept, in words.
fn alternatives(schema: Option<&Json>, root: &Json) -> Option<String> {
    let list = schema?.get("anyOf").or_else(|| schema?.get("oneOf"))?.as_array()?;
    let words: Vec<String> = list
        .iter()
        .map(|alt| {
            let alt = match alt.get("$ref").and_then(Json::as_str).and_then(|r| r.strip_prefix("#/")) {
                Some(target) => target.split('/').try_fold(root, |n, p| n.get(p)).unwrap_or(alt),
                None => alt,
            };
            if let Some(c) = alt.get("const") {
                format!("`{}`", c.as_str().map_or_else(|| c.to_string(), str::to_string))
            } else if alt.get("type").and_then(Json::as_str) == Some("array") {
                let item = alt.pointer("/items/type").and_then(Json::as_str).unwrap_or("value");
                format!("a list of {item}s")
            } else {
                alt.get("type").and_then(Json::as_str).map_or_else(|| "a value".to_string(), |t| format!("a {t}"))
            }
        })
        .collect();
    Some(words.join(" or "))
}

/// The schema location one keyword up (`…/additionalProperties` → `…`).
fn parent(path: &jsonschema::paths::Location) -> String {
    path.as_str().rsplit_once('/').map_or(String::new(), |(p, _)| p.to_string())
}

/// The options of an `anyOf` of one enum and null.
fn optional_enum<'s>(schema: Option<&'s Json>, root: &'s Json) -> Option<Vec<&'s str>> {
    let list = schema?.get("anyOf")?.as_array()?;
    let mut rest = list.iter().filter(|alt| alt.get("type").and_then(Json::as_str) != Some("null"));
    let alt = rest.next()?;
    if rest.next().is_some() {
        return None;
    }
    let alt = match alt.get("$ref").and_then(Json::as_str).and_then(|r| r.strip_prefix("#/")) {
        Some(target) => target.split('/').try_fold(root, |n, p| n.get(p))?,
        None => alt,
    };
    Some(alt.get("enum")?.as_array()?.iter().filter_map(Json::as_str).collect())
}

/// Validates one loaded file against its schema.
pub fn validate(kind: FileKind, file: FileId, root: &Node, text: &str) -> Vec<Diagnostic> {
    let Some(c) = compiled(kind) else { return Vec::new() };
    let json = to_json(root, text);
    // Most files are valid: the quick yes/no answer avoids collecting errors.
    if c.validator.is_valid(&json) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for e in c.validator.iter_errors(&json) {
        let (node, key) = lookup(root, e.instance_path(), text);
        let Some(node) = node else { continue };
        let at = |span: Span| Place::new(file, span);
        let shown = node.source(text).trim();
        let field = key.split('[').next().unwrap_or(&key).to_string();
        match e.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let object = resolve(&c.schema, &parent(e.schema_path()));
                let allowed: Vec<&str> = object
                    .and_then(|o| o.get("properties"))
                    .and_then(Json::as_object)
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                for name in unexpected {
                    let entry = node.as_map().and_then(|m| m.iter().find(|(k, _)| key_text(k, text) == *name));
                    if let Some((k, _)) = entry {
                        out.push(unknown(at(k.span.clone()), name, &allowed));
                    }
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let what = if key.is_empty() { "this file".to_string() } else { format!("`{key}`") };
                out.push(
                    Diagnostic::new(
                        &missing_field::RULE,
                        at(head(node, text)),
                        format!("{what} is missing the required key `{name}`"),
                    )
                    .label(format!("this mapping has no `{name}`"))
                    .help(format!("add `{name}:`")),
                );
            }
            ValidationErrorKind::Type { kind } => {
                // Y004 and Y005 own these values.
                let y004 = matches!(&node.value, Value::Str(s) if node.is_plain(text) && yaml11_bool(s).is_some());
                let y005 = field == "commcare_version"
                    && node.is_plain(text)
                    && matches!(node.value, Value::Int(_) | Value::Float(_));
                if y004 || y005 {
                    continue;
                }
                out.push(mistyped(at(node.span.clone()), &key, &expected(kind), node, text));
            }
            ValidationErrorKind::Enum { .. } if node.as_str().is_none() => {
                out.push(mistyped(at(node.span.clone()), &key, "a string", node, text));
            }
            ValidationErrorKind::Enum { options } => {
                let names: Vec<&str> =
                    options.as_array().map(|o| o.iter().filter_map(Json::as_str).collect()).unwrap_or_default();
                let help = match did_you_mean(shown, names.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("use one of: {}", names.join(", ")),
                };
                out.push(invalid(
                    at(node.span.clone()),
                    format!("`{field}: {shown}` is not one of {}", names.join(", ")),
                    help,
                ));
            }
            ValidationErrorKind::Pattern { pattern } => {
                if field == "case_type" {
                    continue; // A003 reports case types HQ does not accept.
                }
                let (message, help) = match field.as_str() {
                    "domain" => (
                        format!("domain `{shown}` may only hold lowercase letters, digits and `-`"),
                        format!("write it as `{}`", crate::model::slug(shown)),
                    ),
                    "commcare_version" => (
                        format!("`{}` is not a version", node.as_str().unwrap_or(shown)),
                        "write the CommCare version as dot-separated numbers, e.g. \"2.53.0\"".to_string(),
                    ),
                    _ => (
                        format!("`{field}` value `{shown}` does not match `{pattern}`"),
                        format!("write a value matching `{pattern}`"),
                    ),
                };
                out.push(invalid(at(node.span.clone()), message, help));
            }
            ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
                let schema = resolve(&c.schema, &parent(e.schema_path()));
                // An optional enum (`anyOf: [enum, null]`): the enum is what failed.
                let options = optional_enum(schema, &c.schema);
                if options.is_some() && node.as_str().is_none() {
                    out.push(mistyped(at(node.span.clone()), &key, "a string", node, text));
                    continue;
                }
                if let Some(options) = options {
                    let help = match did_you_mean(shown, options.iter().copied()) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => format!("use one of: {}", options.join(", ")),
                    };
                    let message = format!("`{field}: {shown}` is not one of {}", options.join(", "));
                    out.push(invalid(at(node.span.clone()), message, help));
                    continue;
                }
                let accepted = alternatives(schema, &c.schema).unwrap_or_else(|| "a value of another shape".into());
                let found = describe(&node.value, node, text);
                out.push(
                    Diagnostic::new(
                        &wrong_type::RULE,
                        at(node.span.clone()),
                        format!("`{field}` must be {accepted}, found {found}"),
                    )
                    .label("wrong type")
                    .help(format!("write {accepted}")),
                );
            }
            ValidationErrorKind::Constant { .. } if field == "format_version" => {} // F001
            _ => {
                let message = e.to_string();
                out.push(invalid(
                    at(node.span.clone()),
                    format!("`{key}`: {message}"),
                    "see the schema of this file".into(),
                ));
            }
        }
    }
    // One value can fail several keywords (`type` and `enum`): one diagnostic.
    let mut seen = HashSet::new();
    let keep: Vec<bool> = out.iter().map(|d| seen.insert(problem(d))).collect();
    let mut keep = keep.into_iter();
    out.retain(|_| keep.next().unwrap_or(true));
    out
}

fn mistyped(at: Place, key: &str, expected: &str, node: &Node, text: &str) -> Diagnostic {
    let found = describe(&node.value, node, text);
    Diagnostic::new(&wrong_type::RULE, at, format!("`{key}` must be {expected}, found {found}"))
        .label("wrong type")
        .help("change the value to the expected type")
}

fn invalid(at: Place, message: String, help: String) -> Diagnostic {
    Diagnostic::new(&invalid_value::RULE, at, message).label("invalid value").help(help)
}

fn unknown(at: Place, name: &str, allowed: &[&str]) -> Diagnostic {
    let d = Diagnostic::new(&unknown_field::RULE, at, format!("unknown key `{name}`")).label("not allowed here");
    match did_you_mean(name, allowed.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(format!("remove it; allowed keys: {}", allowed.join(", "))),
    }
}

/// What a diagnostic is about, for [`merge`]: a wrong type and a wrong value of
/// the same value are one problem.
/// Missing keys of one mapping share its span: the label names the key.
fn problem(d: &Diagnostic) -> (FileId, &'static str, usize, &str) {
    match d.code() {
        "S003" | "S004" | "Y004" | "Y005" => (d.file, "value", d.span.start, ""),
        "S002" => (d.file, "S002", d.span.start, d.label.as_str()),
        code => (d.file, code, d.span.start, ""),
    }
}

/// Adds the schema's diagnostics to the typed conversion's, once per problem: a
/// schema diagnostic about a key or value already reported is dropped.
pub fn merge(found: &mut Vec<Diagnostic>, schema: Vec<Diagnostic>) {
    let seen: HashSet<(FileId, &'static str, usize, &str)> = found.iter().map(problem).collect();
    let new: Vec<Diagnostic> = schema.into_iter().filter(|d| !seen.contains(&problem(d))).collect();
    found.extend(new);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_rules_keep_their_values() {
        let text = "format_version: 2\nname: A\ncommcare_version: 2.10\ncase_sharing: on\n";
        let root = crate::yaml::parse(text).expect("parses");
        assert!(validate(FileKind::App, 0, &root, text).is_empty());
    }
}
