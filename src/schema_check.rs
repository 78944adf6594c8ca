//! The one schema checker: each loaded file is validated with the jsonschema
//! crate against the schema editors use, and each error's JSON Pointer is mapped
//! back to the YAML span it names, as taplo does for TOML. It reports S001–S004,
//! and Y004 and Y005 where YAML's typing is what went wrong (`on` is a YAML 1.1
//! boolean, an unquoted version a number); A003 owns case type patterns. The
//! typed conversion that follows reports nothing of its own.

use std::collections::HashSet;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{JsonType, Validator};
use serde_json::{Map, Number, Value as Json};

use crate::diagnostic::{Diagnostic, Place};
use crate::model::{Version, describe, yaml11_bool};
use crate::rules::{invalid_value, missing_field, unknown_field, unquoted_version, wrong_type, yaml11_boolean};
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

/// One step of the path to a node: a key of a mapping or an index of a list.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// The node a JSON Pointer names, with the path to it.
fn lookup<'n>(root: &'n Node, path: &jsonschema::paths::Location, text: &str) -> (Option<&'n Node>, Vec<Seg>) {
    let mut node = Some(root);
    let mut segs = Vec::new();
    for seg in path.segments() {
        let Some(n) = node else { break };
        node = match (&n.value, &seg) {
            (Value::Seq(items), LocationSegment::Index(i)) => {
                segs.push(Seg::Index(*i));
                items.get(*i)
            }
            (Value::Map(entries), seg) => {
                let name = match seg {
                    LocationSegment::Property(p) => p.to_string(),
                    LocationSegment::Index(i) => i.to_string(),
                };
                let found = entries.iter().find(|(k, _)| key_text(k, text) == name).map(|(_, v)| v);
                segs.push(Seg::Key(name));
                found
            }
            _ => None,
        };
    }
    (node, segs)
}

/// What a mapping at `segs` is, in words (`an app`, `a group`, `` role `chw` ``),
/// and the keys it allows, in the order the format lists them; `None` where the
/// format has no mapping.
fn context(kind: FileKind, segs: &[Seg]) -> Option<(String, &'static [&'static str])> {
    use crate::model::{app, groups, locations, project, users};
    use Seg::{Index as I, Key as K};
    let key = |s: &Seg, name: &str| matches!(s, K(k) if k == name);
    let found: (&str, &'static [&'static str]) = match (kind, segs) {
        (FileKind::App, []) => ("an app", app::KEYS),
        (FileKind::App, [m, I(_)]) if key(m, "modules") => ("a module", app::MODULE_KEYS),
        (FileKind::App, [m, I(_), f, I(_)]) if key(m, "modules") && key(f, "forms") => ("a form", app::FORM_KEYS),
        (FileKind::App, [m, I(_), f, I(_), o, I(_)]) if key(m, "modules") && key(f, "forms") && key(o, "opens") => {
            ("an `opens` entry", app::OPENS_KEYS)
        }
        (FileKind::Project, []) => ("project.yaml", project::KEYS),
        (FileKind::Project, [r, K(name)]) if key(r, "roles") => {
            return Some((format!("role `{name}`"), project::ROLE_KEYS));
        }
        (FileKind::Project, [t, I(_)]) if key(t, "location_types") => ("a location type", project::LOCATION_TYPE_KEYS),
        (FileKind::Project, [t, I(_)]) if key(t, "shared_case_types") => {
            ("a shared case type", project::SHARED_CASE_TYPE_KEYS)
        }
        (FileKind::Groups, []) => ("a groups file", groups::FILE_KEYS),
        (FileKind::Groups, [g, I(_)]) if key(g, "groups") => ("a group", groups::KEYS),
        (FileKind::Users, []) => ("a users file", users::FILE_KEYS),
        (FileKind::Users, [u, I(_)]) if key(u, "users") => ("a user", users::KEYS),
        (FileKind::Locations, []) => ("a locations file", locations::FILE_KEYS),
        (FileKind::Locations, [l, I(_)]) if key(l, "locations") => ("a location", locations::KEYS),
        _ => return None,
    };
    Some((found.0.to_string(), found.1))
}

/// The key a value hangs from: the list's key for a list item (`members` for
/// `members[2]`), empty for the file itself.
fn field_of(segs: &[Seg]) -> &str {
    segs.iter()
        .rev()
        .find_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .unwrap_or("")
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
    let end = text[start.min(text.len())..].find(['\n', '\r']).map_or(text.len(), |i| start + i);
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

/// Validates one loaded file (`rel`, relative to the root) against its schema:
/// S001–S004, and Y004 and Y005 where YAML's typing gave a value the wrong type.
pub fn validate(kind: FileKind, file: FileId, root: &Node, text: &str, rel: &str) -> Vec<Diagnostic> {
    let Some(c) = compiled(kind) else { return Vec::new() };
    let json = to_json(root, text);
    // Most files are valid: the quick yes/no answer avoids collecting errors.
    if c.validator.is_valid(&json) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for e in c.validator.iter_errors(&json) {
        let (node, segs) = lookup(root, e.instance_path(), text);
        let Some(node) = node else { continue };
        if let Some(d) = diagnose(c, &e, kind, file, node, &segs, text, rel) {
            out.extend(d);
        }
    }
    // One value can fail several keywords (`type` and `enum`): one diagnostic.
    let mut seen = HashSet::new();
    let keep: Vec<bool> = out.iter().map(|d| seen.insert(problem(d))).collect();
    let mut keep = keep.into_iter();
    out.retain(|_| keep.next().unwrap_or(true));
    out
}

/// The diagnostics of one schema error at `node`.
#[allow(clippy::too_many_arguments)]
fn diagnose(
    c: &Compiled,
    e: &jsonschema::ValidationError<'_>,
    kind: FileKind,
    file: FileId,
    node: &Node,
    segs: &[Seg],
    text: &str,
    rel: &str,
) -> Option<Vec<Diagnostic>> {
    let at = Place::new(file, node.span.clone());
    let shown = node.source(text).trim();
    let field = field_of(segs);
    let is_item = matches!(segs.last(), Some(Seg::Index(_)));
    let found = describe(&node.value, node, text);
    // What a misshapen value is called: the mapping it should be, or its key.
    let subject = || match context(kind, segs) {
        Some(_) if segs.is_empty() => format!("`{rel}`"),
        Some((what, _)) => what,
        None => format!("`{field}`"),
    };
    let one = |d: Diagnostic| Some(vec![d]);
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = context(kind, segs).map_or(&[][..], |(_, keys)| keys);
            let entries = node.as_map().unwrap_or(&[]);
            Some(
                unexpected
                    .iter()
                    .filter_map(|name| entries.iter().find(|(k, _)| key_text(k, text) == *name))
                    .map(|(k, _)| {
                        unknown_field::diagnostic(Place::new(file, k.span.clone()), &key_text(k, text), allowed)
                    })
                    .collect(),
            )
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let what = context(kind, segs).map_or_else(|| format!("`{field}`"), |(what, _)| what);
            one(missing_field::diagnostic(Place::new(file, head(node, text)), &what, name))
        }
        _ if node.value == Value::Null && !is_item && matches!(field, "commcare_version" | "apps") => {
            one(wrong_type::no_value(at, field))
        }
        ValidationErrorKind::Type { kind: expected_kind } => {
            let plain = node.is_plain(text);
            match &node.value {
                Value::Str(s) if plain && expects(expected_kind, JsonType::Boolean) => {
                    if let Some(b) = yaml11_bool(s) {
                        return one(yaml11_boolean::diagnostic(at, field, s, b));
                    }
                }
                Value::Int(_) | Value::Float(_) if plain && field == "commcare_version" => {
                    return one(match Version::parse(shown) {
                        Some(_) => unquoted_version::diagnostic(at, field, shown, &number_read(&node.value, shown)),
                        None => invalid_value::version(at, shown),
                    });
                }
                _ => {}
            }
            if field == "roles" && !is_item && segs.len() == 1 {
                return one(wrong_type::diagnostic(
                    at,
                    "`roles` must be a mapping of role names to `{apps: [...]}`".to_string(),
                ));
            }
            let expected = expected(expected_kind);
            if expects(expected_kind, JsonType::String)
                && matches!(node.value, Value::Int(_) | Value::Float(_) | Value::Bool(_))
            {
                return one(wrong_type::must_be_string(at, &subject(), &found, node.source(text)));
            }
            one(wrong_type::must_be(at, &subject(), &expected, &found))
        }
        ValidationErrorKind::Enum { .. } if node.as_str().is_none() => one(mistyped_string(at, &subject(), node, text)),
        ValidationErrorKind::Enum { options } => {
            let names: Vec<&str> =
                options.as_array().map(|o| o.iter().filter_map(Json::as_str).collect()).unwrap_or_default();
            one(invalid_value::not_one_of(at, field, shown, &names))
        }
        ValidationErrorKind::Pattern { pattern } => match field {
            "case_type" => None, // A003 reports case types HQ does not accept.
            "domain" => one(invalid_value::domain(at, shown)),
            "commcare_version" => one(invalid_value::version(at, node.as_str().unwrap_or(shown))),
            _ => one(invalid_value::diagnostic(
                at,
                format!("`{field}` value `{shown}` does not match `{pattern}`"),
                format!("write a value matching `{pattern}`"),
            )),
        },
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            let schema = resolve(&c.schema, &parent(e.schema_path()));
            // An optional enum (`anyOf: [enum, null]`): the enum is what failed.
            let options = optional_enum(schema, &c.schema);
            match options {
                Some(_) if node.as_str().is_none() => one(mistyped_string(at, &subject(), node, text)),
                Some(options) => one(invalid_value::not_one_of(at, field, shown, &options)),
                None if field == "apps" => {
                    one(wrong_type::diagnostic(at, "`apps` must be `all` or a list of app ids".to_string()))
                }
                None => {
                    let accepted = alternatives(schema, &c.schema).unwrap_or_else(|| "a value of another shape".into());
                    one(wrong_type::none_of(at, field, &accepted, &found))
                }
            }
        }
        ValidationErrorKind::Constant { .. } if field == "format_version" => None, // F001
        _ => {
            let key = segs.iter().fold(String::new(), |mut out, s| {
                match s {
                    Seg::Key(k) => out = k.clone(),
                    Seg::Index(i) => out.push_str(&format!("[{i}]")),
                }
                out
            });
            one(invalid_value::diagnostic(at, format!("`{key}`: {e}"), "see the schema of this file".into()))
        }
    }
}

/// Whether a `type` keyword allows `t`.
fn expects(kind: &TypeKind, t: JsonType) -> bool {
    match kind {
        TypeKind::Single(x) => *x == t,
        TypeKind::Multiple(set) => set.contains(t),
    }
}

/// How YAML read a number written as a version (`2.10` is 2.1, `2.0` is 2.0).
fn number_read(value: &Value, written: &str) -> String {
    match value {
        Value::Float(f) if f.fract() == 0.0 => format!("{f:.1}"),
        Value::Float(f) => f.to_string(),
        Value::Int(i) => i.to_string(),
        _ => written.to_string(),
    }
}

/// S003 where a string belongs.
fn mistyped_string(at: Place, subject: &str, node: &Node, text: &str) -> Diagnostic {
    let found = describe(&node.value, node, text);
    if matches!(node.value, Value::Int(_) | Value::Float(_) | Value::Bool(_)) {
        wrong_type::must_be_string(at, subject, &found, node.source(text))
    } else {
        wrong_type::must_be(at, subject, "a string", &found)
    }
}

/// What a diagnostic is about: a wrong type and a wrong value of the same value
/// are one problem. Missing keys of one mapping share its span: the label names the key.
fn problem(d: &Diagnostic) -> (FileId, &'static str, usize, &str) {
    match d.code() {
        "S003" | "S004" | "Y004" | "Y005" => (d.file, "value", d.span.start, ""),
        "S002" => (d.file, "S002", d.span.start, d.label.as_ref()),
        code => (d.file, code, d.span.start, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_rules_keep_their_values() {
        let text = "format_version: 2\nname: A\ncommcare_version: 2.10\ncase_sharing: on\n";
        let root = crate::yaml::parse(text).expect("parses");
        let found: Vec<&str> =
            validate(FileKind::App, FileId::new(0), &root, text, "apps/a.yaml").iter().map(|d| d.code()).collect();
        assert_eq!(found, ["Y004", "Y005"]);
    }
}
