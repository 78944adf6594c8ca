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

/// A part of the model, by the files it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Def,
    Apps,
    Users,
    Groups,
    Locations,
}

impl Kind {
    /// Whether names of this kind stand in a part of the model (what [`Walk`]
    /// finds there; a test holds the two together).
    fn stands_in(&self, part: Part) -> bool {
        match part {
            Part::Def => matches!(self, Kind::Role | Kind::App | Kind::LocationType | Kind::CaseType),
            Part::Apps => matches!(self, Kind::App | Kind::Module(_) | Kind::CaseType),
            Part::Users => matches!(self, Kind::User | Kind::Role | Kind::Location),
            Part::Groups => matches!(self, Kind::User | Kind::Group),
            Part::Locations => matches!(self, Kind::Location | Kind::LocationType),
        }
    }
}

/// Hands each token of the kind wanted (of every kind, with `None`) to `out`.
struct Walk<'w, 'p> {
    want: Option<&'w Kind>,
    out: &'w mut dyn FnMut(Token<'p>),
}

impl<'p> Walk<'_, 'p> {
    fn push(&mut self, kind: Kind, defines: bool, file: FileId, sp: &'p Sp<Name>) {
        if self.want.is_none_or(|w| *w == kind) {
            (self.out)(Token { kind, name: sp.as_str(), defines, file, span: sp.span() });
        }
    }

    /// Whether the part can hold a token wanted.
    fn wants(&self, part: Part) -> bool {
        self.want.is_none_or(|w| w.stands_in(part))
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

/// Hands every token of a project of the kind `want` (of every kind, with
/// `None`) to `f`: project.yaml's, the apps', the users', the groups', the
/// locations', each in file order. Nothing is collected, and the parts of the
/// model that hold no name of that kind are not walked: the `huge` benchmark
/// project's users and groups hold 1.5 million tokens, 97 MB as one list.
pub fn each_token<'p>(project: &'p Project, want: Option<&Kind>, f: &mut dyn FnMut(Token<'p>)) {
    let mut w = Walk { want, out: f };
    if let Some(def) = &project.def
        && w.wants(Part::Def)
    {
        w.def(def);
    }
    if w.wants(Part::Apps) {
        project.apps.iter().for_each(|app| w.app(app));
    }
    if w.wants(Part::Users) {
        w.users(&project.users);
    }
    if w.wants(Part::Groups) {
        w.groups(&project.groups);
    }
    if w.wants(Part::Locations) {
        w.locations(&project.locations);
    }
}

/// The tokens of one file's definitions (as the per-file stage gave them).
pub fn file_tokens(loaded: &Loaded) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut w = Walk { want: None, out: &mut |t| out.push(t) };
    match loaded {
        Loaded::Project(def) => w.def(def),
        Loaded::App(app) => w.app(app),
        Loaded::Groups(g, _) => w.groups(g.iter()),
        Loaded::Users(u, _) => w.users(u.iter()),
        Loaded::Locations(l, _) => w.locations(l.iter()),
    }
    out
}

/// Hands each token of one file of a loaded project to `f`, from the models:
/// what [`file_tokens`] gives of the file's own stage, without parsing it again
/// (nor collecting: a groups file of 1,000 groups holds 11,000 tokens).
pub fn each_token_of<'p>(project: &'p Project, file: FileId, f: &mut dyn FnMut(Token<'p>)) {
    let mut w = Walk { want: None, out: f };
    if let Some(def) = project.def.as_ref().filter(|d| d.file == file) {
        w.def(def);
    }
    project.apps.iter().filter(|a| a.file == file).for_each(|a| w.app(a));
    // Each file's definitions are one list, in the file's order.
    if let Some(list) = project.users.lists().iter().find(|l| l.first().is_some_and(|u| u.file == file)) {
        w.users(list.iter());
    }
    if let Some(list) = project.groups.lists().iter().find(|l| l.first().is_some_and(|g| g.file == file)) {
        w.groups(list.iter());
    }
    if let Some(list) = project.locations.lists().iter().find(|l| l.first().is_some_and(|l| l.file == file)) {
        w.locations(list.iter());
    }
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

#[cfg(test)]
mod tests {
    use super::{Kind, Token, each_token, each_token_of, file_tokens};
    use crate::source::FileId;

    /// Every kind's tokens, walked alone (past the parts that hold none),
    /// are those the whole walk finds of it, in the same order.
    #[test]
    fn a_walk_for_one_kind_finds_what_the_whole_walk_finds() {
        let checked = every_kind();
        let project = &checked.project;
        let mut all: Vec<Token> = Vec::new();
        each_token(project, None, &mut |t| all.push(t));
        let kinds = [
            Kind::User,
            Kind::Group,
            Kind::Role,
            Kind::Location,
            Kind::LocationType,
            Kind::CaseType,
            Kind::App,
            Kind::Module("chw".into()),
        ];
        for kind in &kinds {
            let mut alone: Vec<Token> = Vec::new();
            each_token(project, Some(kind), &mut |t| alone.push(t));
            let expected: Vec<Token> = all.iter().filter(|t| t.kind == *kind).cloned().collect();
            assert!(!expected.is_empty(), "the project has names of every kind: {kind:?}");
            assert_eq!(alone, expected, "{kind:?}");
        }
        // Every token is of one of these kinds: none is left out of the check.
        assert!(all.iter().all(|t| kinds.contains(&t.kind)), "{all:#?}");
    }

    /// A file's tokens taken from the project's models are those of the file
    /// parsed alone (the language server takes the one for the other).
    #[test]
    fn a_files_tokens_from_the_project_are_those_of_the_file_alone() {
        let checked = every_kind();
        let project = &checked.project;
        assert_eq!(project.files.len(), 5);
        for (i, file) in project.files.iter().enumerate() {
            let id = FileId::new(i);
            let (_, loaded) = crate::load::stage(id, file);
            let alone = file_tokens(loaded.as_ref().expect("loads"));
            assert!(!alone.is_empty(), "{}", file.rel);
            let mut from_project = Vec::new();
            each_token_of(project, id, &mut |t| from_project.push(t));
            assert_eq!(from_project, alone, "{}", file.rel);
        }
    }

    /// A project with names of every kind, one file of each kind.
    fn every_kind() -> crate::check::CheckResult {
        crate::check::check_memory(&[
            (
                "project.yaml",
                "format_version: 2\ncase_sharing: true\nroles:\n  chw: {apps: [chw]}\nlocation_types:\n  - {name: district}\n  - {name: village, parent: district, shares_cases: true}\nshared_case_types:\n  - {case_type: referral, apps: [chw]}\n",
            ),
            (
                "apps/chw.yaml",
                "format_version: 2\nname: CHW\ncommcare_version: \"2.53.0\"\ncase_sharing: true\nmodules:\n  - id: households\n    name: Households\n    case_type: household\n    forms:\n      - {name: Refer, requires: case, opens: [{case_type: referral}], updates: [household]}\n  - id: follow\n    name: Follow up\n    source_module: households\n",
            ),
            ("users/u.yaml", "format_version: 2\nusers:\n  - {username: david, role: chw, locations: [v1]}\n"),
            (
                "groups/g.yaml",
                "format_version: 2\ngroups:\n  - {name: Village A, case_sharing: true, members: [david]}\n",
            ),
            (
                "locations/l.yaml",
                "format_version: 2\nlocations:\n  - {code: d1, name: D, type: district}\n  - {code: v1, name: V, type: village, parent: d1}\n",
            ),
        ])
    }
}
