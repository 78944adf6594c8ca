//! `project.yaml`: the project space and its settings.

use schemars::JsonSchema;

use super::{Conv, Fields, FormatVersion, Name, Sp};
use crate::source::FileId;
use crate::yaml::{Node, Value};

/// `project.yaml`: the CommCare project space and its settings. Its presence
/// marks the project root.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "caseshare project.yaml")]
#[schemars(transform = super::Optional(&["roles", "location_types", "shared_case_types"]))]
pub struct ProjectDef {
    #[schemars(skip)]
    pub file: FileId,
    pub format_version: FormatVersion,
    /// The CommCare project space (domain): lowercase letters, digits and `-`.
    #[schemars(required, regex(pattern = r"^[a-z0-9-]+$"), example = &"demo-district")]
    pub domain: Option<Sp<Name>>,
    /// The project setting "Case Sharing". HQ takes the project as sharing cases when
    /// it or any app's `case_sharing` is true; every active user of such a project
    /// should have exactly one case owner (G003).
    #[schemars(extend("default" = false))]
    pub case_sharing: Option<Sp<bool>>,
    #[schemars(skip)]
    pub case_sharing_doubt: bool,
    /// User roles by name, and the apps each reaches. A user with no role can
    /// reach every app.
    #[schemars(schema_with = "roles_schema")]
    pub roles: Vec<Role>,
    /// The levels of the location hierarchy, top first.
    pub location_types: Vec<LocationType>,
    /// The case lists that apps intend to share: each named app must use the case type.
    pub shared_case_types: Vec<SharedCaseType>,
}

impl ProjectDef {
    pub fn case_sharing(&self) -> bool {
        self.case_sharing.as_ref().is_some_and(|s| s.value)
    }
}

/// A user role and the apps it reaches.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    #[schemars(skip)]
    pub name: Sp<Name>,
    pub apps: RoleApps,
}

/// The apps a role reaches: `all`, or a list of app ids.
#[derive(Debug, Clone)]
pub enum RoleApps {
    All,
    /// `apps` was missing or misshapen (reported): users of the role are not checked.
    Unknown,
    List(Vec<Sp<Name>>),
}

impl JsonSchema for RoleApps {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RoleApps".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The apps users of this role can reach: `all`, or a list of app ids.",
            "anyOf": [
                {"const": "all"},
                {"type": "array", "items": {"type": "string"}}
            ],
            "examples": [["chw"], "all"]
        })
    }
}

fn roles_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let role = generator.subschema_for::<Role>();
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": role,
        "examples": [{"chw": {"apps": ["chw"]}, "supervisor": {"apps": ["supervision"]}, "data_manager": {"apps": "all"}}]
    })
}

/// A level of the location hierarchy.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::Optional(&["view_descendants", "shares_cases"]))]
pub struct LocationType {
    /// The type's name, as locations' `type` names it.
    pub name: Sp<Name>,
    /// HQ's location type code: the title of the type's sheet in HQ's bulk
    /// location workbook (at most 31 characters, none of `[ ] : * ? / \`).
    /// Without it, `caseshare export hq-locations` derives it from an ASCII
    /// `name` as HQ does: lowercase, runs of spaces and `-` as one `-`, other
    /// characters than letters, digits and `_` left out (`Health Facility` →
    /// `health-facility`). A name with other characters needs a `code`.
    #[schemars(example = &"village")]
    pub code: Option<Sp<Name>>,
    /// The type one level up; absent for the top level.
    pub parent: Option<Sp<Name>>,
    /// HQ's "View Child Data": users at a location of this type also own the
    /// case-owning locations below it.
    #[schemars(extend("default" = false))]
    pub view_descendants: bool,
    /// HQ's "Owns Cases": a location of this type is a case owner, like a case
    /// sharing group, for the users assigned to it.
    #[schemars(extend("default" = false))]
    pub shares_cases: bool,
}

/// A case list that apps intend to share.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedCaseType {
    /// The case type, spelt the same in every app.
    #[schemars(regex(pattern = r"^[\w-]+$"))]
    pub case_type: Sp<Name>,
    /// The ids of the apps that share it; each must use the case type.
    pub apps: Vec<Sp<Name>>,
}

pub const LOCATION_TYPE_KEYS: &[&str] = &["name", "code", "parent", "view_descendants", "shares_cases"];
pub const SHARED_CASE_TYPE_KEYS: &[&str] = &["case_type", "apps"];
pub const ROLE_KEYS: &[&str] = &["apps"];
pub const KEYS: &[&str] = &["format_version", "domain", "case_sharing", "roles", "location_types", "shared_case_types"];

pub fn convert(cx: &mut Conv<'_>, mut f: Fields<'_>) -> ProjectDef {
    f.entry("format_version");
    let domain = cx.required_string(&mut f, "domain");
    let case_sharing = cx.boolean(&mut f, "case_sharing");
    let roles = match f.get("roles") {
        Some(node) => roles(cx, node),
        None => Vec::new(),
    };
    let location_types = cx
        .list(&mut f, "location_types")
        .iter()
        .filter_map(|n| {
            let mut m = cx.map(n)?;
            let name = cx.required_string(&mut m, "name");
            let code = cx.opt_string(&mut m, "code");
            let parent = cx.opt_string(&mut m, "parent");
            let view_descendants = cx.boolean(&mut m, "view_descendants").is_some_and(|b| b.value);
            let shares_cases = cx.boolean(&mut m, "shares_cases").is_some_and(|b| b.value);
            cx.finish(m, LOCATION_TYPE_KEYS);
            Some(LocationType { name: name?, code, parent, view_descendants, shares_cases })
        })
        .collect();
    let shared_case_types = cx
        .list(&mut f, "shared_case_types")
        .iter()
        .filter_map(|n| {
            let mut m = cx.map(n)?;
            let case_type = cx.required_string(&mut m, "case_type");
            cx.require(&mut m, "apps");
            let apps = cx.string_list(&mut m, "apps");
            cx.finish(m, SHARED_CASE_TYPE_KEYS);
            Some(SharedCaseType { case_type: case_type?, apps })
        })
        .collect();
    let file = cx.file;
    cx.finish(f, KEYS);
    let case_sharing_doubt = cx.take_trouble().iter().any(|k| k == "case_sharing");
    ProjectDef {
        file,
        format_version: FormatVersion,
        domain,
        case_sharing,
        case_sharing_doubt,
        roles,
        location_types,
        shared_case_types,
    }
}

fn roles(cx: &mut Conv<'_>, node: &Node) -> Vec<Role> {
    let Some(entries) = node.as_map() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        // The name as the schema sees it: the key's text, whatever its type.
        let role = Sp::name(k.as_str().unwrap_or_else(|| k.source(cx.text).trim()), k.span.clone());
        let Some(mut m) = cx.map(v) else {
            out.push(Role { name: role, apps: RoleApps::Unknown });
            continue;
        };
        cx.require(&mut m, "apps");
        let apps = match m.get("apps").map(|a| (a, &a.value)) {
            Some((_, Value::Str(s))) if s == "all" => RoleApps::All,
            Some((_, Value::Seq(items))) => RoleApps::List(items.iter().filter_map(|n| cx.string(n, "apps")).collect()),
            _ => RoleApps::Unknown,
        };
        cx.finish(m, ROLE_KEYS);
        out.push(Role { name: role, apps });
    }
    out
}
