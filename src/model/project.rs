//! `project.yaml`: the project space and its settings.

use super::{Conv, Fields, Sp};
use crate::source::FileId;
use crate::yaml::{Node, Value};

/// The project settings (`project.yaml`).
#[derive(Debug, Clone)]
pub struct ProjectDef {
    pub file: FileId,
    /// The CommCare project space: lowercase letters, digits and `-`.
    pub domain: Option<Sp<String>>,
    /// The project setting "Case Sharing" (default false).
    pub case_sharing: Option<Sp<bool>>,
    /// `case_sharing` was reported (mistyped or misspelt).
    pub case_sharing_doubt: bool,
    pub roles: Vec<Role>,
    pub location_types: Vec<LocationType>,
    pub shared_case_types: Vec<SharedCaseType>,
}

impl ProjectDef {
    pub fn case_sharing(&self) -> bool {
        self.case_sharing.as_ref().is_some_and(|s| s.value)
    }
}

/// A user role and the apps it reaches.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: Sp<String>,
    pub apps: RoleApps,
}

#[derive(Debug, Clone)]
pub enum RoleApps {
    All,
    /// `apps` was missing or misshapen (reported): users of the role are not checked.
    Unknown,
    List(Vec<Sp<String>>),
}

/// A level of the location hierarchy.
#[derive(Debug, Clone)]
pub struct LocationType {
    pub name: Sp<String>,
    pub parent: Option<Sp<String>>,
    /// "View Child Data": users here also own the case-owning locations below.
    pub view_descendants: bool,
    /// "Owns Cases": locations of this type act as case sharing groups.
    pub shares_cases: bool,
}

/// A case list that apps intend to share.
#[derive(Debug, Clone)]
pub struct SharedCaseType {
    pub case_type: Sp<String>,
    pub apps: Vec<Sp<String>>,
}

pub const KEYS: &[&str] = &["format_version", "domain", "case_sharing", "roles", "location_types", "shared_case_types"];

pub fn convert(cx: &mut Conv<'_>, mut f: Fields<'_>) -> ProjectDef {
    f.entry("format_version");
    let domain = cx.required_string(&mut f, "domain", "project.yaml");
    if let Some(d) = &domain {
        let ok =
            !d.value.is_empty() && d.value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            let node = Node { span: d.span.clone(), value: Value::Str(d.value.clone()) };
            cx.invalid_value(
                &node,
                format!("domain `{}` may only hold lowercase letters, digits and `-`", d.value),
                format!("write it as `{}`", super::slug(&d.value)),
            );
        }
    }
    let case_sharing = cx.boolean(&mut f, "case_sharing");
    let roles = match f.get("roles") {
        Some(node) => roles(cx, node),
        None => Vec::new(),
    };
    let location_types = cx
        .list(&mut f, "location_types")
        .iter()
        .filter_map(|n| {
            let mut m = cx.map(n, "a location type")?;
            let name = cx.required_string(&mut m, "name", "a location type");
            let parent = cx.opt_string(&mut m, "parent");
            let view_descendants = cx.boolean(&mut m, "view_descendants").is_some_and(|b| b.value);
            let shares_cases = cx.boolean(&mut m, "shares_cases").is_some_and(|b| b.value);
            cx.finish(m, &["name", "parent", "view_descendants", "shares_cases"]);
            Some(LocationType { name: name?, parent, view_descendants, shares_cases })
        })
        .collect();
    let shared_case_types = cx
        .list(&mut f, "shared_case_types")
        .iter()
        .filter_map(|n| {
            let mut m = cx.map(n, "a shared case type")?;
            let case_type = cx.required_string(&mut m, "case_type", "a shared case type");
            if m.get("apps").is_none() {
                cx.missing(&m, "apps", "a shared case type");
            }
            let apps = cx.string_list(&mut m, "apps");
            cx.finish(m, &["case_type", "apps"]);
            Some(SharedCaseType { case_type: case_type?, apps })
        })
        .collect();
    let file = cx.file;
    cx.finish(f, KEYS);
    let case_sharing_doubt = cx.take_trouble().iter().any(|k| k == "case_sharing");
    ProjectDef { file, domain, case_sharing, case_sharing_doubt, roles, location_types, shared_case_types }
}

fn roles(cx: &mut Conv<'_>, node: &Node) -> Vec<Role> {
    let Some(entries) = node.as_map() else {
        cx.wrong_type(node, "`roles` must be a mapping of role names to `{apps: [...]}`");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        let Some(name) = cx.string(k, "role name") else {
            continue;
        };
        let role = Sp::new(name.value.clone(), k.span.clone());
        let Some(mut m) = cx.map(v, &format!("role `{}`", name.value)) else {
            out.push(Role { name: role, apps: RoleApps::Unknown });
            continue;
        };
        let apps = match m.get("apps").map(|a| (a, &a.value)) {
            Some((_, Value::Str(s))) if s == "all" => RoleApps::All,
            Some((_, Value::Seq(items))) => RoleApps::List(items.iter().filter_map(|n| cx.string(n, "apps")).collect()),
            Some((a, _)) => {
                cx.wrong_type(a, "`apps` must be `all` or a list of app ids");
                RoleApps::Unknown
            }
            None => {
                cx.missing(&m, "apps", &format!("role `{}`", name.value));
                RoleApps::Unknown
            }
        };
        cx.finish(m, &["apps"]);
        out.push(Role { name: role, apps });
    }
    out
}
