//! The JSON Schemas of the definition files (draft-07, which the YAML language
//! server in VS Code and other editors reads), generated from the model types:
//! their doc comments become descriptions, with enums, defaults and examples.

use std::path::Path;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

use crate::model::{App, ProjectDef, groups::GroupsFile, locations::LocationsFile, users::UsersFile};

fn schema_for<T: JsonSchema>() -> String {
    let schema = SchemaSettings::draft07().into_generator().into_root_schema_for::<T>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
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

/// Writes the schemas into `dir`.
pub fn write(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in schemas() {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// The schema files in `dir` that are missing or differ from the generated ones.
pub fn check(dir: &Path) -> Vec<&'static str> {
    schemas()
        .into_iter()
        .filter(|(name, text)| std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str()))
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
