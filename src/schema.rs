//! The JSON Schemas of the definition files (draft-07, which the YAML language
//! server in VS Code and other editors reads), generated from the model types:
//! their doc comments become descriptions, with enums, defaults and examples.

use std::path::Path;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::model::{App, ProjectDef, groups::GroupsFile, locations::LocationsFile, users::UsersFile};

fn schema_for<T: JsonSchema>() -> String {
    let schema = SchemaSettings::draft07().into_generator().into_root_schema_for::<T>();
    let mut json = schema.to_value();
    null_means_absent(&mut json);
    let mut text = serde_json::to_string_pretty(&json).unwrap_or_default();
    text.push('\n');
    text
}

/// As in `caseshare check`, an optional key written with no value (`key:`, null)
/// counts as absent, and a required key must have a value: optional properties
/// accept null, required ones do not. An optional enum is written inline with
/// `null` among its values, so editors offer the values and name them on a
/// mistake (rather than "not valid under any of the given schemas").
fn null_means_absent(root: &mut Value) {
    let definitions = root.get("definitions").cloned().unwrap_or(Value::Null);
    walk(root, &definitions);
}

fn walk(node: &mut Value, definitions: &Value) {
    match node {
        Value::Object(map) => {
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                .unwrap_or_default();
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for (name, prop) in props.iter_mut() {
                    if required.contains(name) { forbid_null(prop) } else { allow_null(prop, definitions) }
                }
            }
            for v in map.values_mut() {
                walk(v, definitions);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, definitions)),
        _ => {}
    }
}

fn is_null_type(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

fn forbid_null(prop: &mut Value) {
    if let Some(Value::Array(types)) = prop.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types[0].clone();
            prop["type"] = only;
        }
    }
}

/// The definition a property refers to (`$ref`, or `allOf: [{$ref}]`).
fn referenced<'d>(map: &serde_json::Map<String, Value>, definitions: &'d Value) -> Option<&'d Value> {
    let reference = map
        .get("$ref")
        .or_else(|| map.get("allOf").and_then(Value::as_array).filter(|a| a.len() == 1)?.first()?.get("$ref"))?;
    definitions.get(reference.as_str()?.strip_prefix("#/definitions/")?)
}

fn allow_null(prop: &mut Value, definitions: &Value) {
    let Some(map) = prop.as_object_mut() else { return };
    let definition = referenced(map, definitions).cloned();
    if let Some(Value::Array(options)) = definition.as_ref().and_then(|d| d.get("enum")).cloned() {
        if let Some(description) = definition.as_ref().and_then(|d| d.get("description")) {
            map.entry("description").or_insert_with(|| description.clone());
        }
        map.remove("$ref");
        map.remove("allOf");
        let mut options = options;
        options.push(Value::Null);
        map.insert("type".into(), serde_json::json!(["string", "null"]));
        map.insert("enum".into(), Value::Array(options));
        return;
    }
    match map.get_mut("type") {
        Some(Value::String(t)) => {
            let t = t.clone();
            map.insert("type".into(), serde_json::json!([t, "null"]));
            return;
        }
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                types.push("null".into());
            }
            return;
        }
        _ => {}
    }
    if let Some(Value::Array(alts)) = map.get_mut("anyOf") {
        // An optional enum that schemars wrote as `anyOf: [{$ref}, null]`.
        let enum_ref = alts.iter().find_map(|a| {
            let target = a.get("$ref")?.as_str()?.strip_prefix("#/definitions/")?;
            let definition = definitions.get(target)?;
            Some((definition.get("enum").cloned()?, definition.get("description").cloned()))
        });
        if let Some((Value::Array(mut options), description)) = enum_ref {
            if let Some(description) = description {
                map.entry("description").or_insert(description);
            }
            options.push(Value::Null);
            map.remove("anyOf");
            map.insert("type".into(), serde_json::json!(["string", "null"]));
            map.insert("enum".into(), Value::Array(options));
        } else if !alts.iter().any(is_null_type) {
            alts.push(serde_json::json!({"type": "null"}));
        }
    } else if let Some(reference) = map.remove("$ref") {
        map.insert("anyOf".into(), serde_json::json!([{"$ref": reference}, {"type": "null"}]));
    }
}

/// `(file name, schema text)` for each file kind.
pub fn schemas() -> Vec<(&'static str, String)> {
    vec![
        ("project.schema.json", schema_for::<ProjectDef>()),
        ("app.schema.json", schema_for::<App>()),
        ("groups.schema.json", schema_for::<GroupsFile>()),
        ("users.schema.json", schema_for::<UsersFile>()),
        ("locations.schema.json", schema_for::<LocationsFile>()),
    ]
}

/// The schema files of `dir` as changes, for the writer (which writes them
/// inside `root`, [`crate::discover::write_root`]).
pub fn changes(root: &Path, dir: &Path) -> std::io::Result<Vec<crate::write::Change>> {
    schemas()
        .into_iter()
        .map(|(name, text)| {
            crate::write::Change::to(root, dir.join(name), name, dir.join(name).display().to_string(), text)
        })
        .filter(|c| c.as_ref().map_or(true, |c| c.before.as_deref() != Some(c.after.as_str())))
        .collect()
}

/// The schema files in `dir` that are missing or differ from the generated ones.
pub fn check(dir: &Path) -> Vec<&'static str> {
    // Read as a project's files are: not through a link out of the project or
    // repository around `dir` (nor out of `dir` alone), not a FIFO.
    let root = crate::discover::write_root(dir);
    schemas()
        .into_iter()
        .filter(|(name, text)| {
            crate::read::within(&root, &dir.join(name)).ok().flatten().as_deref() != Some(text.as_bytes())
        })
        .map(|(name, _)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;
    use crate::model::{app, groups, locations, project, users};

    fn properties(schema: &Value, definition: Option<&str>) -> BTreeSet<String> {
        let node = match definition {
            Some(d) => &schema["definitions"][d],
            None => schema,
        };
        node["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default()
    }

    fn set(keys: &[&str]) -> BTreeSet<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    /// The keys the typed conversion reads are the keys the schemas allow, so
    /// editors and `caseshare check` agree on what is unknown (S001).
    #[test]
    fn the_conversion_reads_the_keys_the_schemas_allow() {
        let all: Vec<(&str, Value)> =
            schemas().into_iter().map(|(n, t)| (n, serde_json::from_str(&t).expect("schema is JSON"))).collect();
        let get = |name: &str| &all.iter().find(|(n, _)| *n == name).expect("schema").1;
        let project_schema = get("project.schema.json");
        assert_eq!(properties(project_schema, None), set(project::KEYS));
        assert_eq!(properties(project_schema, Some("LocationType")), set(project::LOCATION_TYPE_KEYS));
        assert_eq!(properties(project_schema, Some("SharedCaseType")), set(project::SHARED_CASE_TYPE_KEYS));
        assert_eq!(properties(project_schema, Some("Role")), set(project::ROLE_KEYS));
        let app_schema = get("app.schema.json");
        assert_eq!(properties(app_schema, None), set(app::KEYS));
        assert_eq!(properties(app_schema, Some("Module")), set(app::MODULE_KEYS));
        assert_eq!(properties(app_schema, Some("Form")), set(app::FORM_KEYS));
        assert_eq!(properties(app_schema, Some("Opens")), set(app::OPENS_KEYS));
        assert_eq!(properties(get("groups.schema.json"), Some("Group")), set(groups::KEYS));
        assert_eq!(properties(get("users.schema.json"), Some("User")), set(users::KEYS));
        assert_eq!(properties(get("locations.schema.json"), Some("Location")), set(locations::KEYS));
        for (name, schema) in &all {
            assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#", "{name}");
            assert_eq!(schema["additionalProperties"], false, "{name}");
        }
    }

    /// The committed schemas are the ones the types generate.
    #[test]
    fn committed_schemas_match_the_types() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let stale = check(&dir);
        assert!(
            stale.is_empty(),
            "schemas/ differs from the types: {stale:?}; run `cargo run -- schema --out schemas`"
        );
    }
}
