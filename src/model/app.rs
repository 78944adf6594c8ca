//! `apps/<file>.yaml`: one CommCare application.

use super::{Conv, Fields, Sp, Version, slug};
use crate::source::{FileId, Span};
use crate::yaml::Node;

/// A CommCare application.
#[derive(Debug, Clone)]
pub struct App {
    pub file: FileId,
    /// Unique in the project; defaults to the file stem (then `id_span` is the file's first key).
    pub id: Sp<String>,
    pub name: Option<Sp<String>>,
    /// When present it must equal the project's domain.
    pub domain: Option<Sp<String>>,
    /// The CommCare build version (HQ `build_spec.version`).
    pub commcare_version: Option<Sp<Version>>,
    /// The application setting "Case Sharing" (default false).
    pub case_sharing: Option<Sp<bool>>,
    /// `case_sharing` was reported (mistyped or misspelt): rules about apps that
    /// share cases do not guess.
    pub case_sharing_doubt: bool,
    pub modules: Vec<Module>,
}

impl App {
    pub fn case_sharing(&self) -> bool {
        self.case_sharing.as_ref().is_some_and(|s| s.value)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    Basic,
    Advanced,
    Shadow,
}

/// A menu of forms, with the case list it works on.
#[derive(Debug, Clone)]
pub struct Module {
    pub id: Sp<String>,
    pub name: Option<Sp<String>>,
    pub kind: ModuleKind,
    /// Absent or empty: a survey module.
    pub case_type: Option<Sp<String>>,
    /// Shadow modules: the module whose case type and forms they inherit.
    pub source_module: Option<Sp<String>>,
    pub forms: Vec<Form>,
    /// The module's mapping, for labels.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requires {
    None,
    Case,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub id: Sp<String>,
    pub name: Option<Sp<String>>,
    pub requires: Requires,
    pub opens: Vec<Opens>,
    pub updates: Vec<Sp<String>>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Auto,
    Explicit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relationship {
    None,
    Child,
    Extension,
}

impl Relationship {
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::None => "none",
            Relationship::Child => "child",
            Relationship::Extension => "extension",
        }
    }
}

/// A case that a form creates.
#[derive(Debug, Clone)]
pub struct Opens {
    /// The entry in the `opens` list.
    pub span: Span,
    /// Defaults to the module's case type.
    pub case_type: Option<Sp<String>>,
    pub owner: Owner,
    /// Defaults to `none` for the module's own type and `child` for any other.
    pub relationship: Option<Sp<Relationship>>,
}

pub const KEYS: &[&str] = &["format_version", "id", "name", "domain", "commcare_version", "case_sharing", "modules"];
const MODULE_KEYS: &[&str] = &["id", "name", "kind", "case_type", "source_module", "forms"];
const FORM_KEYS: &[&str] = &["id", "name", "requires", "opens", "updates"];
const OPENS_KEYS: &[&str] = &["case_type", "owner", "relationship"];

pub fn convert(cx: &mut Conv<'_>, mut f: Fields<'_>, stem: &str) -> App {
    f.entry("format_version");
    let head = f.head(cx.text);
    let id = cx.opt_string(&mut f, "id").unwrap_or_else(|| Sp::new(stem.to_string(), head));
    let name = cx.required_string(&mut f, "name", "an app");
    let domain = cx.opt_string(&mut f, "domain");
    if f.get("commcare_version").is_none() {
        cx.missing(&f, "commcare_version", "an app");
    }
    let commcare_version = cx.version(&mut f, "commcare_version");
    let case_sharing = cx.boolean(&mut f, "case_sharing");
    let modules = cx.list(&mut f, "modules").iter().filter_map(|n| module(cx, n)).collect();
    let file = cx.file;
    cx.finish(f, KEYS);
    let case_sharing_doubt = cx.take_trouble().iter().any(|k| k == "case_sharing");
    App { file, id, name, domain, commcare_version, case_sharing, case_sharing_doubt, modules }
}

/// An id: given, or the slug of the name.
fn id_or_slug(cx: &mut Conv<'_>, m: &mut Fields<'_>, name: &Option<Sp<String>>) -> Sp<String> {
    let head = m.head(cx.text);
    cx.opt_string(m, "id").unwrap_or_else(|| match name {
        Some(n) => Sp::new(slug(&n.value), n.span.clone()),
        None => Sp::new(String::new(), head),
    })
}

fn module(cx: &mut Conv<'_>, node: &Node) -> Option<Module> {
    let mut m = cx.map(node, "a module")?;
    let name = cx.required_string(&mut m, "name", "a module");
    let id = id_or_slug(cx, &mut m, &name);
    let kind = cx
        .choice(
            &mut m,
            "kind",
            &[("basic", ModuleKind::Basic), ("advanced", ModuleKind::Advanced), ("shadow", ModuleKind::Shadow)],
        )
        .map_or(ModuleKind::Basic, |k| k.value);
    let case_type = cx.opt_string(&mut m, "case_type").filter(|c| !c.value.is_empty());
    let source_module = cx.opt_string(&mut m, "source_module");
    let forms = cx.list(&mut m, "forms").iter().filter_map(|n| form(cx, n)).collect();
    cx.finish(m, MODULE_KEYS);
    Some(Module { id, name, kind, case_type, source_module, forms, span: node.span.clone() })
}

fn form(cx: &mut Conv<'_>, node: &Node) -> Option<Form> {
    let mut m = cx.map(node, "a form")?;
    let name = cx.required_string(&mut m, "name", "a form");
    let id = id_or_slug(cx, &mut m, &name);
    let requires = cx
        .choice(&mut m, "requires", &[("none", Requires::None), ("case", Requires::Case)])
        .map_or(Requires::None, |r| r.value);
    let opens = cx.list(&mut m, "opens").iter().filter_map(|n| opens(cx, n)).collect();
    let updates = cx.string_list(&mut m, "updates");
    cx.finish(m, FORM_KEYS);
    Some(Form { id, name, requires, opens, updates, span: node.span.clone() })
}

fn opens(cx: &mut Conv<'_>, node: &Node) -> Option<Opens> {
    let mut m = cx.map(node, "an `opens` entry")?;
    let case_type = cx.opt_string(&mut m, "case_type").filter(|c| !c.value.is_empty());
    let owner = cx
        .choice(&mut m, "owner", &[("auto", Owner::Auto), ("explicit", Owner::Explicit)])
        .map_or(Owner::Auto, |o| o.value);
    let relationship = cx.choice(
        &mut m,
        "relationship",
        &[("none", Relationship::None), ("child", Relationship::Child), ("extension", Relationship::Extension)],
    );
    cx.finish(m, OPENS_KEYS);
    Some(Opens { span: node.span.clone(), case_type, owner, relationship })
}
