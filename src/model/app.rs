//! `apps/<file>.yaml`: one CommCare application.

use schemars::JsonSchema;

use super::{Conv, Fields, FormatVersion, Name, Sp, Version, slug};
use crate::source::{FileId, Span};
use crate::yaml::Node;

/// `apps/<file>.yaml`: one CommCare application.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "caseshare app")]
#[schemars(transform = super::Optional(&["id", "modules"]))]
pub struct App {
    #[schemars(skip)]
    pub file: FileId,
    pub format_version: FormatVersion,
    /// The app's id, unique in the project; defaults to the file name without `.yaml`.
    #[schemars(example = &"chw")]
    pub id: Sp<Name>,
    /// The app's name, as HQ shows it.
    #[schemars(required, example = &"CHW App")]
    pub name: Option<Sp<Name>>,
    /// The project space; when present it must equal project.yaml's `domain`.
    pub domain: Option<Sp<Name>>,
    /// The CommCare build version (HQ's `build_spec.version`), as a quoted string:
    /// case sharing needs 2.0 or later.
    #[schemars(required)]
    pub commcare_version: Option<Sp<Version>>,
    /// The application setting "Case Sharing": users share case lists through
    /// their case sharing group (or case-owning location).
    #[schemars(extend("default" = false))]
    pub case_sharing: Option<Sp<bool>>,
    #[schemars(skip)]
    pub case_sharing_doubt: bool,
    /// The app's menus.
    pub modules: Vec<Module>,
}

impl App {
    pub fn case_sharing(&self) -> bool {
        self.case_sharing.as_ref().is_some_and(|s| s.value)
    }
}

/// `basic` (the default), `advanced` or `shadow` (a copy of another module's forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModuleKind {
    Basic,
    Advanced,
    Shadow,
}

/// A menu of forms, with the case list it works on.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::Optional(&["id", "kind", "forms"]))]
pub struct Module {
    /// Unique in the app; defaults to the name in lowercase with `-` for other characters.
    pub id: Sp<Name>,
    #[schemars(required, example = &"Pregnancy")]
    pub name: Option<Sp<Name>>,
    #[schemars(extend("default" = "basic"))]
    pub kind: ModuleKind,
    /// The case list of the module; absent or empty for a survey module. It must
    /// match between apps that share these cases.
    #[schemars(regex(pattern = r"^[\w-]+$"), example = &"pregnancy")]
    pub case_type: Option<Sp<Name>>,
    /// Shadow modules only: the id of the module whose case type and forms it inherits.
    pub source_module: Option<Sp<Name>>,
    pub forms: Vec<Form>,
    #[schemars(skip)]
    pub span: Span,
}

/// `none`: a registration form; `case`: a follow-up form on a selected case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Requires {
    None,
    Case,
}

/// A form of a module.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::Optional(&["id", "requires", "opens", "updates"]))]
pub struct Form {
    /// Unique in the app; defaults to the name in lowercase with `-` for other characters.
    pub id: Sp<Name>,
    #[schemars(required, example = &"Register pregnancy")]
    pub name: Option<Sp<Name>>,
    #[schemars(extend("default" = "none"))]
    pub requires: Requires,
    /// The cases this form creates.
    pub opens: Vec<Opens>,
    /// The case types this form updates.
    pub updates: Vec<Sp<Name>>,
    #[schemars(skip)]
    pub span: Span,
}

/// Who owns a new case: `auto` (the user's one case sharing group, which needs
/// exactly one) or `explicit` (a question of the form sets `owner_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    Auto,
    Explicit,
}

/// How a new case relates to the module's case: `none`, `child`, `extension`, or
/// `question` (advanced modules: a question of the form picks child or extension,
/// and the user, not a group, owns the case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    None,
    Child,
    Extension,
    Question,
}

impl Relationship {
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::None => "none",
            Relationship::Child => "child",
            Relationship::Extension => "extension",
            Relationship::Question => "question",
        }
    }
}

/// A case that a form creates.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::Optional(&["owner"]))]
pub struct Opens {
    #[schemars(skip)]
    pub span: Span,
    /// The new case's type; defaults to the module's case type.
    #[schemars(regex(pattern = r"^[\w-]+$"))]
    pub case_type: Option<Sp<Name>>,
    #[schemars(extend("default" = "auto"))]
    pub owner: Owner,
    /// Defaults to `none` for the module's own case type and `child` for any other:
    /// the new case's parent is then a case of the module's type. In a basic module
    /// HQ indexes every subcase as a child whatever it is marked, so an `extension`
    /// (or `question`) there is still owned automatically; in an advanced module an `extension` has no
    /// owner and a `question` is owned by the user.
    pub relationship: Option<Sp<Relationship>>,
}

pub const KEYS: &[&str] = &["format_version", "id", "name", "domain", "commcare_version", "case_sharing", "modules"];
pub const MODULE_KEYS: &[&str] = &["id", "name", "kind", "case_type", "source_module", "forms"];
pub const FORM_KEYS: &[&str] = &["id", "name", "requires", "opens", "updates"];
pub const OPENS_KEYS: &[&str] = &["case_type", "owner", "relationship"];

pub fn convert(cx: &mut Conv<'_>, mut f: Fields<'_>, stem: &str) -> App {
    f.entry("format_version");
    let head = f.head(cx.text);
    let id = cx.opt_string(&mut f, "id").unwrap_or_else(|| Sp::name(stem, head));
    let name = cx.required_string(&mut f, "name");
    let domain = cx.opt_string(&mut f, "domain");
    cx.require(&mut f, "commcare_version");
    let commcare_version = cx.version(&mut f, "commcare_version");
    let case_sharing = cx.boolean(&mut f, "case_sharing");
    let modules = cx.list(&mut f, "modules").iter().filter_map(|n| module(cx, n)).collect();
    let file = cx.file;
    cx.finish(f, KEYS);
    let case_sharing_doubt = cx.take_trouble().iter().any(|k| k == "case_sharing");
    let format_version = FormatVersion;
    App { file, format_version, id, name, domain, commcare_version, case_sharing, case_sharing_doubt, modules }
}

/// An id: given, or the slug of the name.
fn id_or_slug(cx: &mut Conv<'_>, m: &mut Fields<'_>, name: &Option<Sp<Name>>) -> Sp<Name> {
    let head = m.head(cx.text);
    cx.opt_string(m, "id").unwrap_or_else(|| match name {
        Some(n) => Sp::new(Name::from(slug(&n.value)), n.span()),
        None => Sp::name("", head),
    })
}

fn module(cx: &mut Conv<'_>, node: &Node) -> Option<Module> {
    let mut m = cx.map(node)?;
    let name = cx.required_string(&mut m, "name");
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
    let mut m = cx.map(node)?;
    let name = cx.required_string(&mut m, "name");
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
    let mut m = cx.map(node)?;
    let case_type = cx.opt_string(&mut m, "case_type").filter(|c| !c.value.is_empty());
    let owner = cx
        .choice(&mut m, "owner", &[("auto", Owner::Auto), ("explicit", Owner::Explicit)])
        .map_or(Owner::Auto, |o| o.value);
    let relationship = cx.choice(
        &mut m,
        "relationship",
        &[
            ("none", Relationship::None),
            ("child", Relationship::Child),
            ("extension", Relationship::Extension),
            ("question", Relationship::Question),
        ],
    );
    cx.finish(m, OPENS_KEYS);
    Some(Opens { span: node.span.clone(), case_type, owner, relationship })
}
