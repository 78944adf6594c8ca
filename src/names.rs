//! Every place a name stands in the definitions: where it is defined and where it
//! is referred to, with the byte span of its token. Go to definition, find
//! references, completion and rename in the language server, and the `rename`
//! command, all stand on this one walk over the model.

use std::borrow::Cow;

use crate::fold;
use crate::load::Loaded;
use crate::model::{App, Group, Location, Name, ProjectDef, RoleApps, Sp, User};
use crate::project::Project;
use crate::source::{FileId, Span};

/// What kind of name a token is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    User,
    Group,
    Role,
    Location,
    LocationType,
    CaseType,
    App,
    /// A module id, within the app of that id.
    Module(String),
}

impl Kind {
    /// The kind as users say it: `user`, `case type`, …
    pub fn noun(&self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
            Kind::Location => "location",
            Kind::LocationType => "location type",
            Kind::CaseType => "case type",
            Kind::App => "app",
            Kind::Module(_) => "module",
        }
    }
}

/// One token: a name, its kind, whether it defines the name, and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Token<'p> {
    pub kind: Kind,
    pub name: &'p str,
    /// It defines the name (a username in `users/`, a module's `case_type`, …)
    /// rather than refer to it.
    pub defines: bool,
    pub file: FileId,
    pub span: Span,
}

/// Collects tokens into `out`.
struct Walk<'o, 'p> {
    out: &'o mut Vec<Token<'p>>,
}

impl<'p> Walk<'_, 'p> {
    fn push(&mut self, kind: Kind, defines: bool, file: FileId, sp: &'p Sp<Name>) {
        self.out.push(Token { kind, name: sp.as_str(), defines, file, span: sp.span() });
    }

    fn users(&mut self, users: impl IntoIterator<Item = &'p User>) {
        for u in users {
            self.push(Kind::User, true, u.file, &u.username);
            if let Some(r) = &u.role {
                self.push(Kind::Role, false, u.file, r);
            }
            for l in &u.locations {
                self.push(Kind::Location, false, u.file, l);
            }
        }
    }

    fn groups(&mut self, groups: impl IntoIterator<Item = &'p Group>) {
        for g in groups {
            self.push(Kind::Group, true, g.file, &g.name);
            for m in &g.members {
                self.push(Kind::User, false, g.file, m);
            }
        }
    }

    fn locations(&mut self, locations: impl IntoIterator<Item = &'p Location>) {
        for l in locations {
            self.push(Kind::Location, true, l.file, &l.code);
            if let Some(p) = &l.parent {
                self.push(Kind::Location, false, l.file, p);
            }
            if let Some(t) = &l.location_type {
                self.push(Kind::LocationType, false, l.file, t);
            }
        }
    }

    fn def(&mut self, def: &'p ProjectDef) {
        let f = def.file;
        for r in &def.roles {
            self.push(Kind::Role, true, f, &r.name);
            if let RoleApps::List(apps) = &r.apps {
                for a in apps {
                    self.push(Kind::App, false, f, a);
                }
            }
        }
        for t in &def.location_types {
            self.push(Kind::LocationType, true, f, &t.name);
            if let Some(p) = &t.parent {
                self.push(Kind::LocationType, false, f, p);
            }
        }
        for s in &def.shared_case_types {
            self.push(Kind::CaseType, false, f, &s.case_type);
            for a in &s.apps {
                self.push(Kind::App, false, f, a);
            }
        }
    }

    fn app(&mut self, app: &'p App) {
        let f = app.file;
        self.push(Kind::App, true, f, &app.id);
        let module = Kind::Module(app.id.value.to_string());
        for m in &app.modules {
            self.push(module.clone(), true, f, &m.id);
            if let Some(ct) = &m.case_type {
                self.push(Kind::CaseType, true, f, ct);
            }
            if let Some(s) = &m.source_module {
                self.push(module.clone(), false, f, s);
            }
            for form in &m.forms {
                for o in &form.opens {
                    if let Some(ct) = &o.case_type {
                        self.push(Kind::CaseType, false, f, ct);
                    }
                }
                for u in &form.updates {
                    self.push(Kind::CaseType, false, f, u);
                }
            }
        }
    }
}

/// Every token of a project: project.yaml's, the apps', the users', the
/// groups', the locations'.
pub fn project_tokens(project: &Project) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut w = Walk { out: &mut out };
    if let Some(def) = &project.def {
        w.def(def);
    }
    for app in &project.apps {
        w.app(app);
    }
    w.users(&project.users);
    w.groups(&project.groups);
    w.locations(&project.locations);
    out
}

/// The tokens of one file's definitions (as the per-file stage gave them).
pub fn file_tokens(loaded: &Loaded) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut w = Walk { out: &mut out };
    match loaded {
        Loaded::Project(def) => w.def(def),
        Loaded::App(app) => w.app(app),
        Loaded::Groups(g, _) => w.groups(g.iter()),
        Loaded::Users(u, _) => w.users(u.iter()),
        Loaded::Locations(l, _) => w.locations(l.iter()),
    }
    out
}

/// A name as HQ compares names of its kind: usernames and site codes folded
/// ([`crate::fold`]), other names as written.
pub fn folded<'n>(kind: &Kind, name: &'n str) -> Cow<'n, str> {
    match kind {
        Kind::User => fold::username(name),
        Kind::Location => fold::site_code(name),
        _ => Cow::Borrowed(name),
    }
}

/// The tokens of a project that name `name` of `kind` (in any spelling HQ takes
/// for it).
pub fn find<'t, 'p>(tokens: &'t [Token<'p>], kind: &Kind, name: &str) -> impl Iterator<Item = &'t Token<'p>> {
    let name = folded(kind, name).into_owned();
    tokens.iter().filter(move |t| &t.kind == kind && folded(kind, t.name) == name.as_str())
}
