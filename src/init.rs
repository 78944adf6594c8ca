//! `caseshare init [DIR]`: a new project with a small example that checks clean,
//! the JSON Schemas with `yaml-language-server` modelines, a VS Code mapping of
//! the folders to the schemas, `caseshare.toml` and a pre-commit configuration.

use std::path::Path;

use crate::error::Error;
use crate::write::Change;

const PROJECT: &str = "# yaml-language-server: $schema=schemas/project.schema.json
format_version: 2
domain: my-project           # the CommCare project space
case_sharing: true           # warn about users without exactly one case owner
roles:
  chw: {apps: [chw]}
";

const APP: &str = "# yaml-language-server: $schema=../schemas/app.schema.json
format_version: 2
name: CHW App
commcare_version: \"2.53.0\"   # quoted: a version is a string
case_sharing: true
modules:
  - name: Pregnancy
    case_type: pregnancy
    forms:
      - name: Register pregnancy
        opens: [{}]          # owner: auto, so each user needs exactly one case owner
      - name: Pregnancy visit
        requires: case
";

const GROUPS: &str = "# yaml-language-server: $schema=../schemas/groups.schema.json
format_version: 2
groups:
  - name: Village A
    case_sharing: true
    members: [david, maria]
";

const USERS: &str = "# yaml-language-server: $schema=../schemas/users.schema.json
format_version: 2
users:
  - {username: david, role: chw}
  - {username: maria, role: chw}
";

const LOCATIONS: &str = "# yaml-language-server: $schema=../schemas/locations.schema.json
format_version: 2
locations: []
";

const CONFIG: &str = "# caseshare configuration: rule levels and excluded files.
# Levels: \"error\" | \"warning\" | \"info\" | \"off\"; `caseshare rules` lists the codes.
[rules]
# G003 = \"off\"

[files]
exclude = []
";

const PRE_COMMIT: &str = "# Checks the project on every commit that changes a definition file.
repos:
  - repo: local
    hooks:
      - id: caseshare
        name: caseshare
        entry: caseshare check
        language: system
        files: (^|/)(project\\.ya?ml|caseshare\\.toml|(apps|groups|users|locations)/.+\\.ya?ml)$
        require_serial: true
";

const VSCODE: &str = r#"{
  "yaml.schemas": {
    "./schemas/project.schema.json": ["project.yaml"],
    "./schemas/app.schema.json": ["apps/*.yaml", "apps/**/*.yaml"],
    "./schemas/groups.schema.json": ["groups/*.yaml", "groups/**/*.yaml"],
    "./schemas/users.schema.json": ["users/*.yaml", "users/**/*.yaml"],
    "./schemas/locations.schema.json": ["locations/*.yaml", "locations/**/*.yaml"]
  }
}
"#;

/// The files `init` writes, relative to the project folder.
pub fn files() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&str, String)> = vec![
        ("project.yaml", PROJECT.into()),
        ("apps/chw.yaml", APP.into()),
        ("groups/villages.yaml", GROUPS.into()),
        ("users/chws.yaml", USERS.into()),
        ("locations/locations.yaml", LOCATIONS.into()),
        ("caseshare.toml", CONFIG.into()),
        (".pre-commit-config.yaml", PRE_COMMIT.into()),
        (".vscode/settings.json", VSCODE.into()),
    ];
    for (name, text) in crate::schema::schemas() {
        let path: &'static str = match name {
            "project.schema.json" => "schemas/project.schema.json",
            "app.schema.json" => "schemas/app.schema.json",
            "groups.schema.json" => "schemas/groups.schema.json",
            "users.schema.json" => "schemas/users.schema.json",
            _ => "schemas/locations.schema.json",
        };
        out.push((path, text));
    }
    out
}

/// The files of a new project in `dir`, for the writer; refuses when any of them
/// exists (nothing is overwritten).
pub fn init(dir: &Path) -> Result<Vec<Change>, Error> {
    let files = files();
    if let Some((existing, _)) = files.iter().find(|(rel, _)| dir.join(rel).exists()) {
        return Err(Error::Exists(dir.join(existing)));
    }
    Ok(files
        .into_iter()
        .map(|(rel, after)| Change {
            rel: rel.to_string(),
            display: dir.join(rel).display().to_string(),
            abs: dir.join(rel),
            before: None,
            after,
        })
        .collect())
}
