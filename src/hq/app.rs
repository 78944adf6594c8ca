//! `caseshare import hq-app`: a CommCare HQ app source export (the JSON at
//! `/a/<domain>/apps/source/<app_id>/`) to a format-2 `apps/<slug>.yaml`.
//!
//! What matters for case sharing is read as HQ itself decides it (see
//! `docs/hq-fidelity.md`): an active `open_case` opens the module's case type,
//! with an explicit owner when `owner_id` is among the keys of an active
//! `update_case` (`autoset_owner_id_for_open_case` reads the active actions);
//! every subcase opens a case, whatever its condition (`Form._get_active_actions`
//! keeps the whole list), explicit when `owner_id` is among its case properties,
//! and indexed as a child even when marked `extension` (caseshare keeps the mark
//! and owns it automatically all the same); every advanced `open_cases` action
//! opens a case whatever its `open_condition`, explicit with `owner_id` among its
//! case properties, else owned automatically with no index or a `child` index,
//! by the user with a `question` index, and by nobody with only `extension`
//! indices (`autoset_owner_id_for_advanced_action`). Only keys and conditions are
//! read, so the pre-2022 string actions and the current `{question_path,
//! update_mode}` objects import alike.

use std::collections::HashSet;
use std::fmt::Write;

use serde_json::Value;

use crate::yaml::edit::scalar;

use crate::model::slug;

/// Why an export cannot be imported.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ImportError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not an app source export: {0}")]
    NotAnApp(String),
    #[error("`{0}` apps cannot be imported: {1}")]
    Unsupported(String, &'static str),
    #[error("module {0} has doc_type `{1}`, which caseshare does not know")]
    UnknownModule(usize, String),
}

/// The YAML of one imported app.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The file stem: the slug of the app's name.
    pub slug: String,
    pub yaml: String,
    /// Things the user should know (a CommCare 1.0 app, …).
    pub warnings: Vec<String>,
}

/// The text of a translated name (`{"en": "Register"}`) in the app's first language.
fn text(v: &Value, langs: &[String]) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(map) => langs
            .iter()
            .find_map(|l| map.get(l).and_then(Value::as_str))
            .or_else(|| map.get("en").and_then(Value::as_str))
            .or_else(|| map.values().find_map(Value::as_str))
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    }
}

/// A basic form's `open_case` or `update_case` runs when its condition is `always`
/// or `if` (`FormActionCondition.is_active`); a missing condition is HQ's default,
/// `never`.
fn active(action: &Value) -> bool {
    matches!(action.pointer("/condition/type").and_then(Value::as_str), Some("always" | "if"))
}

fn has_key(map: Option<&Value>, key: &str) -> bool {
    map.and_then(Value::as_object).is_some_and(|m| m.contains_key(key))
}

/// One `opens` entry.
struct Open {
    case_type: Option<String>,
    relationship: Option<&'static str>,
    explicit: bool,
}

impl Open {
    fn yaml(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.case_type {
            parts.push(format!("case_type: {}", scalar(t)));
        }
        if let Some(r) = self.relationship {
            parts.push(format!("relationship: {r}"));
        }
        if self.explicit {
            parts.push("owner: explicit".to_string());
        }
        format!("{{{}}}", parts.join(", "))
    }
}

struct Module {
    id: String,
    name: String,
    kind: &'static str,
    case_type: String,
    source_module: Option<String>,
    forms: Vec<Form>,
}

struct Form {
    id: Option<String>,
    name: String,
    requires_case: bool,
    opens: Vec<Open>,
    updates: Vec<String>,
}

/// A case type HQ cannot build a form with: it refuses a subcase or an advanced
/// `open_cases` action without one ("subcase has no case type", and "Case type ()
/// for form (…) does not exist").
fn no_case_type(form: &str, warnings: &mut Vec<String>) {
    warnings.push(format!(
        "form `{form}` opens a case with no case type, which HQ refuses to build; the entry is left out"
    ));
}

fn basic_form(form: &Value, module_type: &str, langs: &[String], warnings: &mut Vec<String>) -> Form {
    let actions = form.get("actions").cloned().unwrap_or(Value::Null);
    let name = text(form.get("name").unwrap_or(&Value::Null), langs);
    // `update_case` counts only when active: HQ reads the active actions.
    let update_case = actions.get("update_case").filter(|u| active(u));
    let update_keys = update_case.and_then(|u| u.get("update"));
    let mut opens = Vec::new();
    if actions.get("open_case").is_some_and(active) {
        opens.push(Open { case_type: None, relationship: None, explicit: has_key(update_keys, "owner_id") });
    }
    // Every subcase, whatever its condition: HQ keeps the whole list.
    for sub in actions.get("subcases").and_then(Value::as_array).into_iter().flatten() {
        let case_type = sub.get("case_type").and_then(Value::as_str).unwrap_or("").to_string();
        if case_type.is_empty() {
            no_case_type(&name, warnings);
            continue;
        }
        let relationship = match sub.get("relationship").and_then(Value::as_str) {
            Some("extension") => "extension",
            _ => "child",
        };
        opens.push(Open {
            case_type: Some(case_type),
            relationship: Some(relationship),
            explicit: has_key(sub.get("case_properties"), "owner_id"),
        });
    }
    let updated = update_keys.and_then(Value::as_object).is_some_and(|m| !m.is_empty()) && !module_type.is_empty();
    Form {
        id: None,
        name,
        requires_case: form.get("requires").and_then(Value::as_str) == Some("case"),
        opens,
        updates: if updated { vec![module_type.to_string()] } else { Vec::new() },
    }
}

/// How an advanced `open_cases` action relates its case, and whether its owner
/// is explicit, from its index relationships, as
/// `xform.py:autoset_owner_id_for_advanced_action` decides: `owner_id` among the
/// case properties is explicit; no index is `none`; any `question` index lets a
/// question decide (the user owns the case); any `child` index is a child; only
/// extensions is an extension (no owner).
fn advanced_relationship(relationships: &[String], explicit: bool) -> (&'static str, bool) {
    let rel = if relationships.is_empty() {
        "none"
    } else if relationships.iter().any(|r| r == "question") {
        "question"
    } else if relationships.iter().any(|r| r == "child") {
        "child"
    } else {
        "extension"
    };
    (rel, explicit)
}

fn advanced_form(form: &Value, langs: &[String], warnings: &mut Vec<String>) -> Form {
    let actions = form.get("actions").cloned().unwrap_or(Value::Null);
    let name = text(form.get("name").unwrap_or(&Value::Null), langs);
    let mut opens = Vec::new();
    // Every action, whatever its `open_condition`: HQ's assertion and its case
    // type check loop over them all.
    for open in actions.get("open_cases").and_then(Value::as_array).into_iter().flatten() {
        let case_type = open.get("case_type").and_then(Value::as_str).unwrap_or("").to_string();
        if case_type.is_empty() {
            no_case_type(&name, warnings);
            continue;
        }
        // Indices: current `case_indices`, or the legacy `parent_tag` (a child index).
        let mut relationships: Vec<String> = open
            .get("case_indices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|i| i.get("relationship").and_then(Value::as_str).unwrap_or("child").to_string())
            .collect();
        if relationships.is_empty() && open.get("parent_tag").and_then(Value::as_str).is_some_and(|t| !t.is_empty()) {
            let legacy = open.get("parent_relationship").and_then(Value::as_str).unwrap_or("child");
            relationships.push(legacy.to_string());
        }
        let (relationship, explicit) =
            advanced_relationship(&relationships, has_key(open.get("case_properties"), "owner_id"));
        opens.push(Open { case_type: Some(case_type), relationship: Some(relationship), explicit });
    }
    let mut updates: Vec<String> = Vec::new();
    for load in actions.get("load_update_cases").and_then(Value::as_array).into_iter().flatten() {
        let case_type = load.get("case_type").and_then(Value::as_str).filter(|t| !t.is_empty());
        if let Some(t) = case_type.filter(|t| !updates.iter().any(|u| u == t)) {
            updates.push(t.to_string());
        }
    }
    Form { id: None, name, requires_case: !updates.is_empty(), opens, updates }
}

/// Imports one app source export; `source` names it in the header comment.
pub fn import(json: &str, source: &str) -> Result<Imported, ImportError> {
    let app: Value = serde_json::from_str(json).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let doc_type = app.get("doc_type").and_then(Value::as_str).unwrap_or("");
    match doc_type {
        "Application" | "LinkedApplication" => {}
        "" => return Err(ImportError::NotAnApp("no `doc_type`".into())),
        t if t.ends_with("-Deleted") => return Err(ImportError::Unsupported(t.into(), "the app was deleted in HQ")),
        "RemoteApp" => return Err(ImportError::Unsupported(doc_type.into(), "remote apps have no modules")),
        t => return Err(ImportError::NotAnApp(format!("doc_type `{t}`"))),
    }
    let langs: Vec<String> = app
        .get("langs")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default();
    let name = text(app.get("name").unwrap_or(&Value::Null), &langs);
    let version = app.pointer("/build_spec/version").and_then(Value::as_str).unwrap_or("").to_string();
    let case_sharing = app.get("case_sharing").and_then(Value::as_bool).unwrap_or(false);
    let mut warnings = Vec::new();
    if app.get("application_version").and_then(Value::as_str) == Some("1.0") {
        warnings.push(format!(
            "app `{name}` is a CommCare 1.0 app (`application_version: \"1.0\"`); case sharing needs 2.0"
        ));
    }
    if version.is_empty() {
        warnings.push(format!("app `{name}` has no `build_spec.version`; set `commcare_version`"));
    }

    let modules_json = app.get("modules").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(out, "# Imported from CommCare HQ: {source}");
    let _ = writeln!(out, "format_version: 2");
    let _ = writeln!(out, "name: {}", scalar(&name));
    let _ = writeln!(out, "commcare_version: {}", serde_json::to_string(&version).unwrap_or_default());
    let _ = writeln!(out, "case_sharing: {case_sharing}");
    if modules_json.is_empty() {
        let _ = writeln!(out, "modules: []");
    } else {
        let _ = writeln!(out, "modules:");
    }
    // Form ids default to the slug of the name; names repeated in the app get
    // the module's slug in front (HQ's own form ids change on every export).
    let mut modules: Vec<Module> = Vec::new();
    for (i, m) in modules_json.iter().enumerate() {
        let kind = match m.get("doc_type").and_then(Value::as_str).unwrap_or("Module") {
            "Module" | "ReportModule" => "basic",
            "AdvancedModule" => "advanced",
            "ShadowModule" => "shadow",
            other => return Err(ImportError::UnknownModule(i + 1, other.to_string())),
        };
        let module_name = text(m.get("name").unwrap_or(&Value::Null), &langs);
        let id = m
            .get("unique_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map_or_else(|| slug(&module_name), String::from);
        let case_type = m.get("case_type").and_then(Value::as_str).unwrap_or("").to_string();
        let source_module =
            (kind == "shadow").then(|| m.get("source_module_id").and_then(Value::as_str).unwrap_or("").to_string());
        let forms: Vec<Form> = m
            .get("forms")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|f| {
                if f.get("doc_type").and_then(Value::as_str) == Some("AdvancedForm") {
                    advanced_form(f, &langs, &mut warnings)
                } else {
                    basic_form(f, &case_type, &langs, &mut warnings)
                }
            })
            .collect();
        modules.push(Module { id, name: module_name, kind, case_type, source_module, forms });
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut repeated: HashSet<String> = HashSet::new();
    for m in &modules {
        for f in &m.forms {
            if !seen.insert(slug(&f.name)) {
                repeated.insert(slug(&f.name));
            }
        }
    }
    // The ids taken: those of forms whose name is not repeated, then each
    // given (a form named as another in the same module, or in a module named
    // alike, gets a number: two forms with one id, D001, would hide the second).
    let mut taken: HashSet<String> = seen.difference(&repeated).cloned().collect();
    for Module { id, name: module_name, kind, case_type, source_module, mut forms } in modules {
        let _ = writeln!(out, "  - id: {}", scalar(&id));
        let _ = writeln!(out, "    name: {}", scalar(&module_name));
        if kind != "basic" {
            let _ = writeln!(out, "    kind: {kind}");
        }
        if !case_type.is_empty() {
            let _ = writeln!(out, "    case_type: {}", scalar(&case_type));
        }
        if let Some(src) = source_module {
            let _ = writeln!(out, "    source_module: {}", scalar(&src));
        }
        if forms.is_empty() {
            continue;
        }
        let _ = writeln!(out, "    forms:");
        for f in &mut forms {
            if repeated.contains(&slug(&f.name)) {
                let base = format!("{}-{}", slug(&module_name), slug(&f.name));
                let id = (1..).map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") });
                let id = id.into_iter().find(|id| !taken.contains(id)).unwrap_or(base);
                taken.insert(id.clone());
                f.id = Some(id);
            }
            match &f.id {
                Some(fid) => {
                    let _ = writeln!(out, "      - id: {}", scalar(fid));
                    let _ = writeln!(out, "        name: {}", scalar(&f.name));
                }
                None => {
                    let _ = writeln!(out, "      - name: {}", scalar(&f.name));
                }
            }
            if f.requires_case {
                let _ = writeln!(out, "        requires: case");
            }
            if !f.opens.is_empty() {
                let _ = writeln!(out, "        opens:");
                for o in &f.opens {
                    let _ = writeln!(out, "          - {}", o.yaml());
                }
            }
            if !f.updates.is_empty() {
                let list: Vec<String> = f.updates.iter().map(|u| scalar(u)).collect();
                let _ = writeln!(out, "        updates: [{}]", list.join(", "));
            }
        }
    }
    // An app whose name has no letter or digit is `app` (`apps/.yaml` is a
    // dot-file, which caseshare never reads).
    let stem = Some(slug(&name)).filter(|s| !s.is_empty()).unwrap_or_else(|| "app".into());
    Ok(Imported { slug: stem, yaml: out, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HQ allows forms of one name in one module (its form ids are unique
    /// ids): each gets an id of its own, or D001 would hide the second.
    #[test]
    fn forms_named_alike_in_one_module_get_ids_of_their_own() {
        let form = r#"{"doc_type": "Form", "name": {"en": "Register"}, "requires": "none", "actions": {}}"#;
        let module = |name: &str| {
            format!(
                r#"{{"doc_type": "Module", "name": {{"en": "{name}"}}, "case_type": "person", "forms": [{form}, {form}]}}"#
            )
        };
        let app = format!(
            r#"{{"doc_type": "Application", "name": "A", "langs": ["en"], "modules": [{}, {}]}}"#,
            module("Visits"),
            module("Visits")
        );
        let imported = import(&app, "x").expect("imports");
        let ids: Vec<&str> = imported.yaml.lines().filter_map(|l| l.trim().strip_prefix("- id: ")).collect();
        let forms: Vec<&str> = ids.iter().copied().filter(|id| id.contains("register")).collect();
        assert_eq!(forms, ["visits-register", "visits-register-2", "visits-register-3", "visits-register-4"]);
        // A name with no letter or digit: a file `check` reads.
        let app = r#"{"doc_type": "Application", "name": "🚑", "langs": ["en"], "modules": []}"#;
        assert_eq!(import(app, "x").expect("imports").slug, "app");
    }

    #[test]
    fn refuses_what_it_cannot_import() {
        assert!(matches!(import("{", "x"), Err(ImportError::NotJson(_))));
        assert!(matches!(import(r#"{"doc_type": "Application-Deleted"}"#, "x"), Err(ImportError::Unsupported(..))));
        assert!(matches!(import(r#"{"doc_type": "RemoteApp"}"#, "x"), Err(ImportError::Unsupported(..))));
        let bad = r#"{"doc_type": "Application", "name": "A", "modules": [{"doc_type": "WeirdModule"}]}"#;
        assert_eq!(import(bad, "x"), Err(ImportError::UnknownModule(1, "WeirdModule".into())));
    }
}
