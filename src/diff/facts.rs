//! What one side of a diff knows about case sharing, taken from the index while
//! it is alive and kept in a compact, owned form: each user's role, activity and
//! case-owning locations; each role's apps and whether its users can create cases
//! with an automatic owner; the groups with their members as listed; apps and the
//! places where they use case types. The project and its index are dropped
//! afterwards, so two sides cost one project plus two of these.
//!
//! A user's case sharing groups are not listed per user: looking each user up
//! was most of the cost on large projects. They are found from the groups, and
//! only for the users a change can touch ([`super::compare`]): a membership is a
//! first definition of a group with case sharing on that lists the username of a
//! user (the index's rule).

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::fold;
use crate::hash::Map;
use crate::index::{Index, UseKind};
use crate::model::{Form, Location, Module, Name, RoleApps, User, Version};
use crate::source::FileKind;

/// What owns cases: a case sharing group, or a case-owning location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OwnerKind {
    Group,
    Location,
}

/// A case owner: a group by name, a location by code. Codes compare as HQ
/// folds them (`Village-C` is `village-c`); the name is kept as written.
#[derive(Debug, Clone)]
pub struct Owner {
    pub kind: OwnerKind,
    pub name: Name,
}

impl Owner {
    /// The name as HQ compares it: a group's as written, a location's code folded.
    fn key(&self) -> Cow<'_, str> {
        match self.kind {
            OwnerKind::Group => Cow::Borrowed(self.name.as_str()),
            OwnerKind::Location => fold::site_code(self.name.as_str()),
        }
    }
}

impl PartialEq for Owner {
    fn eq(&self, other: &Owner) -> bool {
        self.kind == other.kind && self.key() == other.key()
    }
}

impl Eq for Owner {}

impl PartialOrd for Owner {
    fn partial_cmp(&self, other: &Owner) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Owner {
    fn cmp(&self, other: &Owner) -> std::cmp::Ordering {
        self.kind.cmp(&other.kind).then_with(|| self.key().cmp(&other.key()))
    }
}

impl std::hash::Hash for Owner {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        self.key().hash(state);
    }
}

/// One user (the first definition of the username).
#[derive(Debug, Clone)]
pub struct UserFacts {
    pub username: Name,
    /// Index into [`Facts::roles`].
    pub role: u32,
    pub is_active: bool,
    /// The codes of the user's case-owning locations, sorted as HQ folds them;
    /// `None` when they are not known (an undefined location, R001).
    pub locations: Option<Box<[Name]>>,
}

/// What a role gives its users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFacts {
    /// The role's name; `None` for users with no role (they reach every app).
    pub name: Option<Name>,
    /// The ids of the apps it reaches, sorted; `None` when unknown (an undefined
    /// role, or a role whose `apps` was reported).
    pub apps: Option<Vec<Name>>,
    /// Whether its users can create cases with an automatic owner; `None` when
    /// unknown (as for `apps`, or an app whose `case_sharing` was reported).
    pub can_create: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFacts {
    pub name: Name,
    /// The file it is defined in ([`Facts::rels`]).
    pub file: u32,
    pub case_sharing: bool,
    /// The usernames listed, in order (repeats and unknown names included).
    pub members: Vec<Name>,
}

/// A place where an app uses a case type, by ids rather than by position in a
/// file: a module's `case_type`, or the `n`-th `opens` or `updates` entry of a form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsePlace {
    pub module: Name,
    pub form: Option<Name>,
    pub kind: u8,
    pub ordinal: u32,
}

/// The same place by position: the module's and the form's index (a module or
/// form whose name changed keeps its position).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UseAt {
    pub module: u32,
    pub form: u32,
    pub kind: u8,
    pub ordinal: u32,
}

/// One use of a case type by an app.
#[derive(Debug, Clone)]
pub struct Use {
    pub place: UsePlace,
    pub at: UseAt,
    pub case_type: Name,
}

#[derive(Debug, Clone)]
pub struct AppFacts {
    pub id: Name,
    /// The file it is defined in ([`Facts::rels`]).
    pub file: u32,
    pub case_sharing: bool,
    pub commcare_version: Option<Version>,
    /// Every use of a case type, with its place.
    pub uses: Vec<Use>,
}

impl AppFacts {
    /// The case types the app uses (SPEC section 3, C rules).
    pub fn case_types(&self) -> BTreeSet<&str> {
        self.uses.iter().map(|u| u.case_type.as_str()).collect()
    }
}

/// What a side could not read: the files that did not load whole (Y001–Y003,
/// F001, F002, F004, F005), by path; and whether a locations or an apps file is
/// among them. What such a file defines is not known on that side, so nothing
/// is reported added or removed for want of it (SPEC section 3: one mistake,
/// one diagnostic), and what depends on it is unknown ([`super::compare`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Unread {
    pub files: Vec<Box<str>>,
    pub locations: bool,
    pub apps: bool,
}

/// One side's facts.
#[derive(Debug, Default)]
pub struct Facts {
    /// Users in the index's order (file order).
    pub users: Vec<UserFacts>,
    /// The file of the users from each index on ([`Facts::user_file`]): one
    /// entry per run of users from one file, not a field of each user (half a
    /// million users, two sides).
    pub user_files: Vec<(u32, u32)>,
    pub roles: Vec<RoleFacts>,
    /// Groups (first definitions) in file order.
    pub groups: Vec<GroupFacts>,
    pub apps: Vec<AppFacts>,
    /// Each file's path relative to the project, by file id.
    pub rels: Vec<Box<str>>,
    pub unread: Unread,
}

impl Facts {
    /// The file user `i` is defined in ([`Facts::rels`]).
    pub fn user_file(&self, i: usize) -> usize {
        let run = self.user_files.partition_point(|&(from, _)| from as usize <= i);
        self.user_files[run.saturating_sub(1)].1 as usize
    }

    /// For each file of this side, whether `other` could not read the file of
    /// that path: what this side defines there is unknown on the other.
    pub fn unread_by(&self, other: &Facts) -> Vec<bool> {
        self.rels.iter().map(|rel| other.unread.files.binary_search(rel).is_ok()).collect()
    }
}

impl Facts {
    /// Reads the facts off a project's index.
    pub fn of(ix: &Index) -> Facts {
        let owning = |l: &Location| {
            l.location_type.as_ref().and_then(|t| ix.location_types.get(t.as_str())).is_some_and(|t| t.shares_cases)
        };
        let tree = (!ix.locations.is_empty()).then(|| Preorder::of(ix, owning));
        let mut roles: Vec<RoleFacts> = Vec::new();
        let mut role_ids: Map<Option<&str>, u32> = Map::default();
        // Neighbours in a file mostly share a role: the last one is remembered.
        let mut last: Option<(Option<&str>, u32)> = None;
        let mut users = Vec::with_capacity(ix.users.len());
        let mut user_files: Vec<(u32, u32)> = Vec::new();
        for u in &ix.users {
            let key = u.role.as_ref().map(|r| r.as_str());
            let role = match last {
                Some((k, id)) if k == key => id,
                _ => *role_ids.entry(key).or_insert_with(|| {
                    roles.push(role_facts(ix, u));
                    roles.len() as u32 - 1
                }),
            };
            last = Some((key, role));
            let locations = if u.locations.is_empty() { Some(Box::default()) } else { locations(ix, u, tree.as_ref()) };
            let file = u.file.index() as u32;
            if user_files.last().is_none_or(|&(_, f)| f != file) {
                user_files.push((users.len() as u32, file));
            }
            users.push(UserFacts { username: u.username.value.clone(), role, is_active: u.is_active, locations });
        }
        let groups = ix
            .groups
            .iter()
            .map(|g| GroupFacts {
                name: g.name.value.clone(),
                file: g.file.index() as u32,
                case_sharing: g.case_sharing(),
                members: g.members.iter().map(|m| m.value.clone()).collect(),
            })
            .collect();
        let apps = ix.apps.iter().map(app_facts).collect();
        let p = ix.project;
        let rels: Vec<Box<str>> = p.files.iter().map(|f| Box::from(f.rel.as_str())).collect();
        let mut files: Vec<Box<str>> = p.unread.iter().map(|f| rels[f.index()].clone()).collect();
        files.sort();
        files.dedup();
        let unread =
            Unread { files, locations: p.kind_failed(FileKind::Locations), apps: p.kind_failed(FileKind::App) };
        Facts { users, user_files, roles, groups, apps, rels, unread }
    }
}

/// The codes of a user's case-owning locations ([`Index::owners`]): assigned
/// locations that own cases, and the case-owning locations below those whose
/// type has `view_descendants`; `None` when not known.
fn locations(ix: &Index, u: &User, tree: Option<&Preorder>) -> Option<Box<[Name]>> {
    let owners = ix.owners(u)?;
    let mut codes: Vec<Name> = Vec::new();
    for l in &owners.locations {
        let code = l.location.code.as_str();
        if l.owns {
            codes.push(Name::new(code));
        }
        if l.below > 0
            && let Some(tree) = tree
        {
            codes.extend(tree.owning_below(ix, code).map(Name::new));
        }
    }
    // In the order of their owners ([`Owner`]'s).
    codes.sort_unstable_by(|a, b| fold::site_code(a).cmp(&fold::site_code(b)));
    codes.dedup_by(|a, b| fold::site_code(a) == fold::site_code(b));
    Some(codes.into_boxed_slice())
}

/// What the role of `user` gives: the apps it reaches and whether it can create
/// cases with an automatic owner ([`Index::reach`]).
fn role_facts(ix: &Index, user: &User) -> RoleFacts {
    let all = || ix.apps.iter().map(|a| a.app.id.value.clone()).collect::<Vec<_>>();
    let apps = match &user.role {
        None => Some(all()),
        Some(r) => match ix.roles.get(r.as_str()).map(|r| &r.apps) {
            None | Some(RoleApps::Unknown) => None,
            Some(RoleApps::All) => Some(all()),
            Some(RoleApps::List(ids)) => Some(
                ids.iter().filter(|id| ix.app_by_id.contains_key(id.as_str())).map(|id| id.value.clone()).collect(),
            ),
        },
    };
    let apps = apps.map(|mut a| {
        a.sort_unstable();
        a.dedup();
        a
    });
    RoleFacts {
        name: user.role.as_ref().map(|r| r.value.clone()),
        apps,
        can_create: ix.reach(user).map(|r| r.creator.is_some()),
    }
}

fn app_facts(f: &crate::index::AppFacts) -> AppFacts {
    let kind = |k: UseKind| match k {
        UseKind::Module => 0,
        UseKind::Opens => 1,
        UseKind::Updates => 2,
    };
    // Positions of modules and forms (first definitions), for places by position.
    let module_at = |m: &Module| f.modules_in_order.iter().position(|x| std::ptr::eq(*x, m)).unwrap_or(0) as u32;
    let form_at = |m: &Module, form: &Form| m.forms.iter().position(|x| std::ptr::eq(x, form)).unwrap_or(0) as u32 + 1;
    let mut uses = Vec::new();
    for (mi, m) in f.modules_in_order.iter().enumerate() {
        if let Some(ct) = &m.case_type {
            let k = kind(UseKind::Module);
            let place = UsePlace { module: m.id.value.clone(), form: None, kind: k, ordinal: 0 };
            let at = UseAt { module: mi as u32, form: 0, kind: k, ordinal: 0 };
            uses.push(Use { place, at, case_type: ct.value.clone() });
        }
    }
    // Creations come form by form, in the order of each form's `opens`.
    let mut last: Option<&Form> = None;
    let mut ordinal = 0;
    for c in &f.creations {
        ordinal = if last.is_some_and(|l| std::ptr::eq(l, c.form)) { ordinal + 1 } else { 0 };
        last = Some(c.form);
        if let Some(ct) = c.case_type {
            let k = kind(UseKind::Opens);
            let place =
                UsePlace { module: c.module.id.value.clone(), form: Some(c.form.id.value.clone()), kind: k, ordinal };
            let at = UseAt { module: module_at(c.module), form: form_at(c.module, c.form), kind: k, ordinal };
            uses.push(Use { place, at, case_type: Name::new(ct) });
        }
    }
    for (m, form) in &f.forms {
        for (i, u) in form.updates.iter().enumerate() {
            let k = kind(UseKind::Updates);
            let place =
                UsePlace { module: m.id.value.clone(), form: Some(form.id.value.clone()), kind: k, ordinal: i as u32 };
            let at = UseAt { module: module_at(m), form: form_at(m, form), kind: k, ordinal: i as u32 };
            uses.push(Use { place, at, case_type: u.value.clone() });
        }
    }
    AppFacts {
        id: f.app.id.value.clone(),
        file: f.app.file.index() as u32,
        case_sharing: f.app.case_sharing(),
        commcare_version: f.app.commcare_version.as_ref().map(|v| v.value.clone()),
        uses,
    }
}

/// The location tree in pre-order (the index's numbering): the case-owning
/// locations below one are a range.
struct Preorder<'p> {
    codes: Vec<&'p str>,
    owning: Vec<bool>,
}

impl<'p> Preorder<'p> {
    fn of(ix: &Index<'p>, owning: impl Fn(&Location) -> bool) -> Preorder<'p> {
        // Every location in the tree is a first definition; those left out of it
        // (a parent cycle) have no place.
        let mut codes = vec![""; ix.locations.len()];
        let mut own = vec![false; ix.locations.len()];
        for &l in &ix.locations {
            if let Some(t) = ix.tree_of(l.code.as_str())
                && let Some(slot) = codes.get_mut(t.enter as usize)
            {
                *slot = l.code.as_str();
                own[t.enter as usize] = owning(l);
            }
        }
        Preorder { codes, owning: own }
    }

    /// The codes of the case-owning locations strictly below `code`.
    fn owning_below<'a>(&'a self, ix: &Index<'p>, code: &str) -> impl Iterator<Item = &'p str> + 'a {
        let range = ix.tree_of(code).map_or(0..0, |t| (t.enter as usize + 1)..(t.exit as usize));
        range.filter(|&i| self.owning.get(i) == Some(&true)).map(|i| self.codes[i])
    }
}
