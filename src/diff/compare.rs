//! The comparison of two sides: diagnostics by key ([`super::subject`]), and the
//! facts user by user, group by group, app by app.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::fold;
use crate::hash::{Map, NameTable, Set};
use crate::model::{Name, Version};

use super::facts::{AppFacts, Facts, GroupFacts, Owner, OwnerKind, RoleFacts, UseAt, UsePlace, UserFacts};
use super::side::Side;
use super::subject::{self, Key};

/// Whether an entry is new, gone, or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }
}

/// What changed for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChange {
    pub username: Name,
    pub change: Change,
    pub owners_added: Vec<Owner>,
    pub owners_removed: Vec<Owner>,
    pub apps_added: Vec<Name>,
    pub apps_removed: Vec<Name>,
    /// `None` when unknown (see [`RoleFacts::can_create`]); `Some(false)` for a user who is not there.
    pub can_create_before: Option<bool>,
    pub can_create_after: Option<bool>,
    pub role_before: Option<Name>,
    pub role_after: Option<Name>,
    /// `false` for a user who is not there.
    pub active_before: bool,
    pub active_after: bool,
}

/// Who gains or loses access to one case owner's cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerAccess {
    pub owner: Owner,
    /// Active users who are now among the owner's users and were not before.
    pub gained: Vec<Name>,
    pub lost: Vec<Name>,
}

/// A group added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    pub name: Name,
    pub case_sharing: bool,
    /// How many usernames it lists.
    pub members: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    pub added: Vec<GroupSummary>,
    pub removed: Vec<GroupSummary>,
    pub sharing_on: Vec<Name>,
    pub sharing_off: Vec<Name>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppChange {
    pub id: Name,
    pub change: Change,
    /// For an added app, `false` and `None` before; for a removed one, after.
    pub case_sharing_before: bool,
    pub case_sharing_after: bool,
    pub commcare_version_before: Option<Version>,
    pub commcare_version_after: Option<Version>,
}

impl AppChange {
    /// What changed in an app present on both sides, a phrase each
    /// (`case sharing off → on`), with versions written by `version`.
    pub fn changes(&self, version: impl Fn(&Option<Version>) -> String) -> Vec<String> {
        let on = |b: bool| if b { "on" } else { "off" };
        let mut parts = Vec::new();
        if self.case_sharing_before != self.case_sharing_after {
            parts.push(format!("case sharing {} → {}", on(self.case_sharing_before), on(self.case_sharing_after)));
        }
        if self.commcare_version_before != self.commcare_version_after {
            parts.push(format!(
                "CommCare version {} → {}",
                version(&self.commcare_version_before),
                version(&self.commcare_version_after)
            ));
        }
        parts
    }
}

/// A case type whose sharing apps changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sharing {
    pub case_type: Name,
    /// The apps with case sharing on that use it, sorted.
    pub apps_before: Vec<Name>,
    pub apps_after: Vec<Name>,
}

impl Sharing {
    /// Apps that start sharing it.
    pub fn started(&self) -> Vec<&Name> {
        self.apps_after.iter().filter(|a| !self.apps_before.contains(a)).collect()
    }
    /// Apps that stop sharing it.
    pub fn stopped(&self) -> Vec<&Name> {
        self.apps_before.iter().filter(|a| !self.apps_after.contains(a)).collect()
    }

    /// In words, names shown by `code`: `` case type `x` shared by `a`, `b` → `a` (`b` stops sharing it) ``.
    pub fn text(&self, code: &dyn Fn(&str) -> String) -> String {
        let list = |l: &[Name]| {
            if l.is_empty() { "no app".to_string() } else { l.iter().map(|n| code(n)).collect::<Vec<_>>().join(", ") }
        };
        let mut notes = Vec::new();
        for (apps, one, many) in [(self.started(), "starts", "start"), (self.stopped(), "stops", "stop")] {
            if !apps.is_empty() {
                let names: Vec<String> = apps.iter().map(|n| code(n)).collect();
                notes.push(format!("{} {} sharing it", names.join(", "), if apps.len() == 1 { one } else { many }));
            }
        }
        format!(
            "case type {} shared by {} → {} ({})",
            code(&self.case_type),
            list(&self.apps_before),
            list(&self.apps_after),
            notes.join("; ")
        )
    }
}

/// A case type renamed in some apps: each place of those apps that used `from`
/// uses `to` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub from: Name,
    pub to: Name,
    pub apps: Vec<Name>,
}

/// What the change does to the model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// By username.
    pub users: Vec<UserChange>,
    pub groups: GroupChanges,
    /// By owner (groups first, then locations, by name).
    pub access: Vec<OwnerAccess>,
    /// By id.
    pub apps: Vec<AppChange>,
    pub sharing: Vec<Sharing>,
    pub renames: Vec<Rename>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

/// The diagnostics of `head` that `base` does not have (introduced) and those of
/// `base` that `head` does not have (resolved), as indexes into each side's
/// list, compared as multisets of keys. A diagnostic of a file that exists on
/// one side only (a renamed file) may match one of a file that exists on the
/// other side only.
pub fn diagnostics(base: &Side, head: &Side) -> (Vec<usize>, Vec<usize>) {
    let key = |side: &Side, i: usize| subject::key(&side.files, &side.diagnostics[i]);
    let mut left: Map<Key, Vec<usize>> = Map::default();
    for i in (0..base.diagnostics.len()).rev() {
        left.entry(key(base, i)).or_default().push(i);
    }
    let mut introduced: Vec<usize> = Vec::new();
    for j in 0..head.diagnostics.len() {
        match left.get_mut(&key(head, j)).and_then(Vec::pop) {
            Some(_) => {}
            None => introduced.push(j),
        }
    }
    fn rels(side: &Side) -> BTreeSet<&str> {
        side.files.iter().map(|f| f.rel.as_str()).collect()
    }
    let (base_files, head_files) = (rels(base), rels(head));
    // Per-file diagnostics left over in files that are gone, by key without the file.
    let mut moved: Map<Key, Vec<usize>> = Map::default();
    for list in left.values() {
        for &i in list.iter().rev() {
            let mut k = key(base, i);
            if k.file.as_deref().is_some_and(|f| !head_files.contains(f)) {
                k.file = None;
                moved.entry(k).or_default().push(i);
            }
        }
    }
    let mut taken: BTreeSet<usize> = BTreeSet::new();
    introduced.retain(|&j| {
        let mut k = key(head, j);
        if k.file.as_deref().is_none_or(|f| base_files.contains(f)) {
            return true;
        }
        k.file = None;
        match moved.get_mut(&k).and_then(Vec::pop) {
            Some(i) => {
                taken.insert(i);
                false
            }
            None => true,
        }
    });
    let mut resolved: Vec<usize> = left.into_values().flatten().filter(|i| !taken.contains(i)).collect();
    resolved.sort_unstable();
    (introduced, resolved)
}

/// The changes between two sides' facts.
///
/// What a side could not read ([`Facts::unread`]) is not compared: a group,
/// user or app whose file the other side could not read is not reported added
/// or removed, nor as a case owner or an app reached; when a side could not
/// read a locations file, case-owning locations are left out on both sides;
/// whether users can create cases on a side that could not read an apps file
/// is unknown.
pub fn facts(base: &Facts, head: &Facts) -> Changes {
    let unknown = Unknown::of(base, head);
    let (users, access) = users(base, head, &unknown);
    let known = |apps: &[AppFacts]| -> Vec<AppFacts> {
        apps.iter().filter(|a| !unknown.apps.contains(a.id.as_str())).cloned().collect()
    };
    let sharing = if unknown.apps.is_empty() {
        sharing(&base.apps, &head.apps)
    } else {
        sharing(&known(&base.apps), &known(&head.apps))
    };
    Changes {
        users,
        groups: groups(base, head, &unknown),
        access,
        apps: apps(base, head, &unknown),
        sharing,
        renames: renames(&base.apps, &head.apps),
    }
}

/// What one side defines in a file the other could not read.
struct Unknown {
    /// By file of each side: whether the other side could not read it.
    base_files: Vec<bool>,
    head_files: Vec<bool>,
    /// The names of the groups and apps so defined, on either side.
    groups: Set<Name>,
    apps: Set<Name>,
    /// Whether each side read every apps file (else whether a user can create
    /// cases there is not known).
    apps_read: (bool, bool),
    /// Whether a side could not read a locations file: location owners are
    /// left out on both.
    locations: bool,
}

impl Unknown {
    fn of(base: &Facts, head: &Facts) -> Unknown {
        let (base_files, head_files) = (base.unread_by(head), head.unread_by(base));
        let mut groups = Set::default();
        let mut apps = Set::default();
        for (facts, unread) in [(base, &base_files), (head, &head_files)] {
            if !unread.contains(&true) {
                continue;
            }
            groups.extend(facts.groups.iter().filter(|g| unread[g.file as usize]).map(|g| g.name.clone()));
            apps.extend(facts.apps.iter().filter(|a| unread[a.file as usize]).map(|a| a.id.clone()));
        }
        Unknown {
            base_files,
            head_files,
            groups,
            apps,
            apps_read: (!base.unread.apps, !head.unread.apps),
            locations: base.unread.locations || head.unread.locations,
        }
    }

    /// The apps of a list that both sides can speak of.
    fn apps_known(&self, list: &[Name]) -> Vec<Name> {
        list.iter().filter(|a| !self.apps.contains(a.as_str())).cloned().collect()
    }
}

/// What a user's role gives on each side, compared once per pair of roles.
#[derive(Debug, Clone)]
struct RoleDelta {
    same: bool,
    apps_added: Vec<Name>,
    apps_removed: Vec<Name>,
}

/// Apps a side could not speak of ([`Unknown`]) are left out; whether users
/// can create cases is compared where both sides read every app.
/// A side whose apps are not known (a role that is not defined, or whose
/// `apps` was reported) gains and loses none: they are not guessed at.
fn role_delta(b: &RoleFacts, h: &RoleFacts, unknown: &Unknown) -> RoleDelta {
    let known = |a: &&Name| !unknown.apps.contains(a.as_str());
    let (apps_added, apps_removed): (Vec<Name>, Vec<Name>) = match (b.apps.as_deref(), h.apps.as_deref()) {
        (Some(before), Some(after)) => (
            after.iter().filter(known).filter(|a| before.binary_search(a).is_err()).cloned().collect(),
            before.iter().filter(known).filter(|a| after.binary_search(a).is_err()).cloned().collect(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let can_create_same = b.can_create == h.can_create || unknown.apps_read != (true, true);
    let apps_same = if unknown.apps.is_empty() {
        b.apps == h.apps
    } else {
        b.apps.is_some() == h.apps.is_some() && apps_added.is_empty() && apps_removed.is_empty()
    };
    let same = b.name == h.name && can_create_same && apps_same;
    RoleDelta { same, apps_added, apps_removed }
}

/// A changed user, with the case owners they have access to on each side
/// (`None` where unknown; empty where absent or inactive).
struct Found {
    change: UserChange,
    access_before: Option<Vec<Owner>>,
    access_after: Option<Vec<Owner>>,
}

/// The users who changed, by username, and per owner who gains or loses access.
///
/// Most users of a large project do not change, and finding each one's groups
/// costs a lookup: so the users a change can touch are found first (their role,
/// activity or locations differ, they are listed in a group that changed, or
/// they are added or removed), and only their groups are gathered, in one pass
/// over each side's groups.
///
/// Usernames are compared as HQ folds them (`David` is `david`), on each side
/// as in the index and from one side to the other.
fn users(base: &Facts, head: &Facts, unknown: &Unknown) -> (Vec<UserChange>, Vec<OwnerAccess>) {
    // Groups whose memberships may differ: new, gone, case sharing switched, or
    // other members; the names listed there (where the group shares cases), folded.
    let mut touched: Set<Cow<str>> = Set::default();
    {
        let base_groups: Map<&str, &GroupFacts> = base.groups.iter().map(|g| (g.name.as_str(), g)).collect();
        let mut seen: Set<&str> = Set::default();
        for hg in &head.groups {
            seen.insert(hg.name.as_str());
            let bg = base_groups.get(hg.name.as_str());
            if bg.is_some_and(|bg| bg.case_sharing == hg.case_sharing && bg.members == hg.members) {
                continue;
            }
            for g in bg.into_iter().copied().chain([hg]).filter(|g| g.case_sharing) {
                touched.extend(g.members.iter().map(|m| fold::username(m)));
            }
        }
        for bg in base.groups.iter().filter(|g| g.case_sharing && !seen.contains(g.name.as_str())) {
            touched.extend(bg.members.iter().map(|m| fold::username(m)));
        }
    }
    // Users by folded name: in file order, a username found elsewhere is looked up.
    let mut pairs: Vec<(Option<usize>, Option<usize>)> = Vec::new();
    let mut matched = vec![false; base.users.len()];
    let mut by_name: Option<NameTable> = None;
    let mut deltas: Map<(u32, u32), RoleDelta> = Map::default();
    let mut last_roles: Option<((u32, u32), bool)> = None;
    for (j, hu) in head.users.iter().enumerate() {
        let same_place = base.users.get(j).is_some_and(|bu| {
            bu.username == hu.username || fold::username(&bu.username) == fold::username(&hu.username)
        });
        let i = if same_place {
            Some(j)
        } else {
            let name = |k: u32| fold::username(base.users[k as usize].username.as_str());
            let table = by_name.get_or_insert_with(|| {
                let mut t = NameTable::with_capacity(base.users.len());
                for (i, u) in base.users.iter().enumerate() {
                    let folded = fold::username(&u.username);
                    if t.find(&folded, name).is_none() {
                        t.insert(&folded, i as u32, name);
                    }
                }
                t
            });
            table.find(&fold::username(&hu.username), name).map(|k| k as usize)
        };
        let Some(i) = i else {
            // New, unless the base could not read the file it is in.
            if !unknown.head_files[head.user_file(j)] {
                pairs.push((None, Some(j)));
            }
            continue;
        };
        matched[i] = true;
        let bu = &base.users[i];
        let roles = (bu.role, hu.role);
        let same_role = match last_roles {
            Some((r, same)) if r == roles => same,
            _ => {
                let same = deltas
                    .entry(roles)
                    .or_insert_with(|| {
                        role_delta(&base.roles[roles.0 as usize], &head.roles[roles.1 as usize], unknown)
                    })
                    .same;
                last_roles = Some((roles, same));
                same
            }
        };
        let same_record = same_role && bu.is_active == hu.is_active && bu.locations == hu.locations;
        if !same_record || (!touched.is_empty() && touched.contains(&fold::username(&hu.username))) {
            pairs.push((Some(i), Some(j)));
        }
    }
    // Gone, unless the head could not read the file it was in.
    pairs.extend(
        matched
            .iter()
            .enumerate()
            .filter(|&(i, m)| !*m && !unknown.base_files[base.user_file(i)])
            .map(|(i, _)| (Some(i), None)),
    );
    if pairs.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let (base_groups, head_groups) =
        (groups_of(base, pairs.iter().filter_map(|p| p.0)), groups_of(head, pairs.iter().filter_map(|p| p.1)));
    let mut out = Vec::new();
    let mut access = Access::default();
    for (i, j) in pairs {
        let before = i.map(|i| (&base.users[i], owners(base, i, &base_groups, unknown)));
        let after = j.map(|j| (&head.users[j], owners(head, j, &head_groups, unknown)));
        if let Some(found) = change(base, head, before, after, &mut deltas, unknown) {
            access.add(&found);
            out.push(found.change);
        }
    }
    out.sort_by(|a, b| a.username.cmp(&b.username));
    (out, access.into_list())
}

/// The case sharing groups of some users of a side, by folded username: one
/// pass over the side's groups (first definitions with case sharing on; a name
/// listed twice in a group is one membership; names fold as in the index).
fn groups_of(facts: &Facts, users: impl Iterator<Item = usize>) -> Map<Cow<'_, str>, Vec<&Name>> {
    let mut out: Map<Cow<str>, Vec<&Name>> =
        users.map(|i| (fold::username(facts.users[i].username.as_str()), Vec::new())).collect();
    for g in facts.groups.iter().filter(|g| g.case_sharing) {
        for m in &g.members {
            if let Some(list) = out.get_mut(&*fold::username(m))
                && list.last().is_none_or(|l| !std::ptr::eq(*l, &g.name))
            {
                list.push(&g.name);
            }
        }
    }
    out
}

/// A user's case owners on a side, sorted (groups, then locations), but groups
/// one side could not read ([`Unknown`]), and no location when either side
/// could not read a locations file; `None` when their locations are not known.
fn owners(facts: &Facts, i: usize, groups: &Map<Cow<str>, Vec<&Name>>, unknown: &Unknown) -> Option<Vec<Owner>> {
    let u = &facts.users[i];
    let locations = if unknown.locations { &[][..] } else { u.locations.as_deref()? };
    let mut out: Vec<Owner> = groups
        .get(&*fold::username(&u.username))
        .into_iter()
        .flatten()
        .filter(|g| !unknown.groups.contains(g.as_str()))
        .map(|g| Owner { kind: OwnerKind::Group, name: (*g).clone() })
        .collect();
    out.sort_unstable();
    out.dedup();
    out.extend(locations.iter().map(|l| Owner { kind: OwnerKind::Location, name: l.clone() }));
    Some(out)
}

type Seen<'f> = (&'f UserFacts, Option<Vec<Owner>>);

/// What changed for one user seen on either side; `None` when nothing did.
fn change(
    base: &Facts,
    head: &Facts,
    before: Option<Seen>,
    after: Option<Seen>,
    deltas: &mut Map<(u32, u32), RoleDelta>,
    unknown: &Unknown,
) -> Option<Found> {
    // Apps a side could not read are left out; whether users can create cases
    // is unknown there.
    let role = |f: &Facts, u: &UserFacts| {
        let r = f.roles[u.role as usize].clone();
        let apps = r.apps.map(|a| unknown.apps_known(&a));
        let can_create = if f.unread.apps { None } else { r.can_create };
        RoleFacts { apps, can_create, ..r }
    };
    let access = |seen: &Option<Seen>| match seen {
        None => Some(Vec::new()),
        Some((u, owners)) => owners.as_ref().map(|o| if u.is_active { o.clone() } else { Vec::new() }),
    };
    let (access_before, access_after) = (access(&before), access(&after));
    let change = match (&before, &after) {
        (None, Some((u, owners))) => {
            let r = role(head, u);
            UserChange {
                username: u.username.clone(),
                change: Change::Added,
                owners_added: owners.clone().unwrap_or_default(),
                owners_removed: Vec::new(),
                apps_added: r.apps.unwrap_or_default(),
                apps_removed: Vec::new(),
                can_create_before: Some(false),
                can_create_after: r.can_create,
                role_before: None,
                role_after: r.name,
                active_before: false,
                active_after: u.is_active,
            }
        }
        (Some((u, owners)), None) => {
            let r = role(base, u);
            UserChange {
                username: u.username.clone(),
                change: Change::Removed,
                owners_added: Vec::new(),
                owners_removed: owners.clone().unwrap_or_default(),
                apps_added: Vec::new(),
                apps_removed: r.apps.unwrap_or_default(),
                can_create_before: r.can_create,
                can_create_after: Some(false),
                role_before: r.name,
                role_after: None,
                active_before: u.is_active,
                active_after: false,
            }
        }
        (Some((bu, bo)), Some((hu, ho))) => {
            let delta = deltas
                .entry((bu.role, hu.role))
                .or_insert_with(|| role_delta(&base.roles[bu.role as usize], &head.roles[hu.role as usize], unknown));
            let (owners_added, owners_removed) = match (bo, ho) {
                (Some(b), Some(h)) => (
                    h.iter().filter(|o| b.binary_search(o).is_err()).cloned().collect(),
                    b.iter().filter(|o| h.binary_search(o).is_err()).cloned().collect(),
                ),
                _ => (Vec::new(), Vec::new()),
            };
            if delta.same && bu.is_active == hu.is_active && owners_added.is_empty() && owners_removed.is_empty() {
                return None;
            }
            let (br, hr) = (&role(base, bu), &role(head, hu));
            UserChange {
                username: hu.username.clone(),
                change: Change::Changed,
                owners_added,
                owners_removed,
                apps_added: delta.apps_added.clone(),
                apps_removed: delta.apps_removed.clone(),
                can_create_before: br.can_create,
                can_create_after: hr.can_create,
                role_before: br.name.clone(),
                role_after: hr.name.clone(),
                active_before: bu.is_active,
                active_after: hu.is_active,
            }
        }
        (None, None) => return None,
    };
    Some(Found { change, access_before, access_after })
}

/// Per owner, the users who gain or lose access to its cases: an active user who
/// is among its users after the change and was not (or was not active) before.
/// Only changed users can gain or lose anything.
#[derive(Default)]
struct Access(BTreeMap<Owner, (Vec<Name>, Vec<Name>)>);

impl Access {
    fn add(&mut self, f: &Found) {
        let (Some(before), Some(after)) = (&f.access_before, &f.access_after) else { return };
        for o in after.iter().filter(|o| before.binary_search(o).is_err()) {
            self.0.entry(o.clone()).or_default().0.push(f.change.username.clone());
        }
        for o in before.iter().filter(|o| after.binary_search(o).is_err()) {
            self.0.entry(o.clone()).or_default().1.push(f.change.username.clone());
        }
    }

    /// By owner; each owner's users sorted.
    fn into_list(self) -> Vec<OwnerAccess> {
        self.0
            .into_iter()
            .map(|(owner, (mut gained, mut lost))| {
                gained.sort();
                lost.sort();
                OwnerAccess { owner, gained, lost }
            })
            .collect()
    }
}

/// A group is added, or removed, only where the other side read the file it is in.
fn groups(base_facts: &Facts, head_facts: &Facts, unknown: &Unknown) -> GroupChanges {
    let (base, head) = (&base_facts.groups[..], &head_facts.groups[..]);
    let summary =
        |g: &GroupFacts| GroupSummary { name: g.name.clone(), case_sharing: g.case_sharing, members: g.members.len() };
    let b: Map<&str, &GroupFacts> = base.iter().map(|g| (g.name.as_str(), g)).collect();
    let h: Set<&str> = head.iter().map(|g| g.name.as_str()).collect();
    let mut out = GroupChanges::default();
    for hg in head {
        match b.get(hg.name.as_str()) {
            None if !unknown.head_files[hg.file as usize] => out.added.push(summary(hg)),
            None => {}
            Some(bg) if bg.case_sharing != hg.case_sharing => {
                let list = if hg.case_sharing { &mut out.sharing_on } else { &mut out.sharing_off };
                list.push(hg.name.clone());
            }
            Some(_) => {}
        }
    }
    out.removed = base
        .iter()
        .filter(|g| !h.contains(g.name.as_str()) && !unknown.base_files[g.file as usize])
        .map(summary)
        .collect();
    out.added.sort_by(|x, y| x.name.cmp(&y.name));
    out.removed.sort_by(|x, y| x.name.cmp(&y.name));
    out.sharing_on.sort();
    out.sharing_off.sort();
    out
}

/// As for [`groups`], of apps.
fn apps(base_facts: &Facts, head_facts: &Facts, unknown: &Unknown) -> Vec<AppChange> {
    let (base, head) = (&base_facts.apps[..], &head_facts.apps[..]);
    fn index(list: &[AppFacts]) -> BTreeMap<&Name, &AppFacts> {
        list.iter().map(|a| (&a.id, a)).collect()
    }
    let (b, h) = (index(base), index(head));
    let ids: BTreeSet<&Name> = b.keys().chain(h.keys()).copied().collect();
    let mut out = Vec::new();
    for id in ids {
        let (ba, ha) = (b.get(id), h.get(id));
        let change = match (ba, ha) {
            (None, Some(a)) if !unknown.head_files[a.file as usize] => Change::Added,
            (Some(a), None) if !unknown.base_files[a.file as usize] => Change::Removed,
            (Some(x), Some(y)) if x.case_sharing != y.case_sharing || x.commcare_version != y.commcare_version => {
                Change::Changed
            }
            _ => continue,
        };
        out.push(AppChange {
            id: id.clone(),
            change,
            case_sharing_before: ba.is_some_and(|a| a.case_sharing),
            case_sharing_after: ha.is_some_and(|a| a.case_sharing),
            commcare_version_before: ba.and_then(|a| a.commcare_version.clone()),
            commcare_version_after: ha.and_then(|a| a.commcare_version.clone()),
        });
    }
    out
}

/// Case types that apps with case sharing on share (two or more use it) on
/// either side, where those apps differ.
fn sharing(base: &[AppFacts], head: &[AppFacts]) -> Vec<Sharing> {
    let sharers = |apps: &[AppFacts]| {
        let mut by_type: BTreeMap<Name, Vec<Name>> = BTreeMap::new();
        for a in apps.iter().filter(|a| a.case_sharing) {
            for t in a.case_types() {
                by_type.entry(Name::new(t)).or_default().push(a.id.clone());
            }
        }
        by_type.values_mut().for_each(|v| v.sort());
        by_type
    };
    let (b, h) = (sharers(base), sharers(head));
    let types: BTreeSet<&Name> = b.keys().chain(h.keys()).collect();
    let none = Vec::new();
    types
        .into_iter()
        .filter_map(|t| {
            let (before, after) = (b.get(t).unwrap_or(&none), h.get(t).unwrap_or(&none));
            (before != after && (before.len() > 1 || after.len() > 1)).then(|| Sharing {
                case_type: t.clone(),
                apps_before: before.clone(),
                apps_after: after.clone(),
            })
        })
        .collect()
}

/// Renamed case types: an app that stops using `from` and starts using `to`, where
/// every place of the app that used `from` (a module's `case_type`, a form's
/// `opens` or `updates` entry, found by module and form id, or else by their
/// positions) uses `to` instead. Other parts of the app may change too.
fn renames(base: &[AppFacts], head: &[AppFacts]) -> Vec<Rename> {
    let head_by_id: BTreeMap<&Name, &AppFacts> = head.iter().map(|a| (&a.id, a)).collect();
    let mut found: BTreeMap<(Name, Name), Vec<Name>> = BTreeMap::new();
    for ba in base {
        let Some(ha) = head_by_id.get(&ba.id) else { continue };
        let (before, after) = (ba.case_types(), ha.case_types());
        let by_place: BTreeMap<&UsePlace, &Name> = ha.uses.iter().map(|u| (&u.place, &u.case_type)).collect();
        let by_at: BTreeMap<&UseAt, &Name> = ha.uses.iter().map(|u| (&u.at, &u.case_type)).collect();
        for from in before.difference(&after) {
            let mut to: BTreeSet<&Name> = BTreeSet::new();
            let mut all_there = true;
            for u in ba.uses.iter().filter(|u| u.case_type.as_str() == *from) {
                match by_place.get(&u.place).or_else(|| by_at.get(&u.at)) {
                    Some(t) => {
                        to.insert(t);
                    }
                    None => all_there = false,
                }
            }
            if let (true, [single]) = (all_there, to.into_iter().collect::<Vec<_>>().as_slice())
                && !before.contains(single.as_str())
            {
                found.entry((Name::new(from), (*single).clone())).or_default().push(ba.id.clone());
            }
        }
    }
    found.into_iter().map(|((from, to), apps)| Rename { from, to, apps }).collect()
}
