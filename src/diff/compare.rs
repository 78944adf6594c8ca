//! The comparison of two sides: diagnostics by key ([`super::subject`]), and the
//! facts user by user, group by group, app by app.

use std::collections::{BTreeMap, BTreeSet};

use crate::hash::{Map, NameTable};
use crate::model::{Name, Version};

use super::facts::{AppFacts, Facts, GroupFacts, Owner, RoleFacts, UseAt, UsePlace};
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
pub struct Access {
    pub owner: Owner,
    /// Active users who are now among the owner's users and were not before.
    pub gained: Vec<Name>,
    pub lost: Vec<Name>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    pub added: Vec<GroupFacts>,
    pub removed: Vec<GroupFacts>,
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
    pub access: Vec<Access>,
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
pub fn facts(base: &Facts, head: &Facts) -> Changes {
    let found = users(base, head);
    let access = access(base, head, &found);
    Changes {
        users: found.into_iter().map(|(u, _, _)| u).collect(),
        groups: groups(&base.groups, &head.groups),
        access,
        apps: apps(&base.apps, &head.apps),
        sharing: sharing(&base.apps, &head.apps),
        renames: renames(&base.apps, &head.apps),
    }
}

/// What a user's role gives on each side, compared once per pair of roles.
#[derive(Debug, Clone)]
struct RoleDelta {
    same: bool,
    apps_added: Vec<Name>,
    apps_removed: Vec<Name>,
}

fn role_delta(b: &RoleFacts, h: &RoleFacts) -> RoleDelta {
    let (before, after) = (b.apps.as_deref().unwrap_or(&[]), h.apps.as_deref().unwrap_or(&[]));
    let apps_added: Vec<Name> = after.iter().filter(|a| before.binary_search(a).is_err()).cloned().collect();
    let apps_removed: Vec<Name> = before.iter().filter(|a| after.binary_search(a).is_err()).cloned().collect();
    let same = b.name == h.name && b.can_create == h.can_create && b.apps == h.apps;
    RoleDelta { same, apps_added, apps_removed }
}

fn owners(facts: &Facts, i: usize) -> impl Iterator<Item = &Owner> + Clone {
    facts.owners_of(i).iter().map(|&o| &facts.owners[o as usize])
}

/// The users who changed, by username, each with its position on either side.
fn users(base: &Facts, head: &Facts) -> Vec<(UserChange, Option<usize>, Option<usize>)> {
    let mut out = Vec::new();
    let mut matched = vec![false; base.users.len()];
    // Users are compared in file order; a username found elsewhere is looked up.
    let mut by_name: Option<NameTable> = None;
    let mut deltas: Map<(u32, u32), RoleDelta> = Map::default();
    for (j, hu) in head.users.iter().enumerate() {
        let same_place = base.users.get(j).is_some_and(|bu| bu.username == hu.username);
        let i = if same_place {
            Some(j)
        } else {
            let table = by_name.get_or_insert_with(|| {
                let mut t = NameTable::with_capacity(base.users.len());
                for (i, u) in base.users.iter().enumerate() {
                    let name = |k: u32| base.users[k as usize].username.as_str();
                    if t.find(u.username.as_str(), name).is_none() {
                        t.insert(u.username.as_str(), i as u32, name);
                    }
                }
                t
            });
            table.find(hu.username.as_str(), |k| base.users[k as usize].username.as_str()).map(|k| k as usize)
        };
        let Some(i) = i else {
            out.push((arrival(head, j, Change::Added), None, Some(j)));
            continue;
        };
        matched[i] = true;
        let bu = &base.users[i];
        let delta = deltas
            .entry((bu.role, hu.role))
            .or_insert_with(|| role_delta(&base.roles[bu.role as usize], &head.roles[hu.role as usize]));
        let known = bu.owners_known && hu.owners_known;
        let same_owners = !known || owners(base, i).eq(owners(head, j));
        if delta.same && same_owners && bu.is_active == hu.is_active {
            continue;
        }
        let (owners_added, owners_removed) = if known {
            let (b, h): (Vec<&Owner>, Vec<&Owner>) = (owners(base, i).collect(), owners(head, j).collect());
            (
                h.iter().filter(|o| b.binary_search(o).is_err()).map(|o| (*o).clone()).collect(),
                b.iter().filter(|o| h.binary_search(o).is_err()).map(|o| (*o).clone()).collect(),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let (br, hr) = (&base.roles[bu.role as usize], &head.roles[hu.role as usize]);
        let change = UserChange {
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
        };
        out.push((change, Some(i), Some(j)));
    }
    for (i, _) in matched.iter().enumerate().filter(|(_, m)| !**m) {
        out.push((arrival(base, i, Change::Removed), Some(i), None));
    }
    out.sort_by(|a, b| a.0.username.cmp(&b.0.username));
    out
}

/// A user who is on one side only: everything they have is added (or removed).
fn arrival(facts: &Facts, i: usize, change: Change) -> UserChange {
    let u = &facts.users[i];
    let role = &facts.roles[u.role as usize];
    let owners: Vec<Owner> = if u.owners_known { owners(facts, i).cloned().collect() } else { Vec::new() };
    let apps = role.apps.clone().unwrap_or_default();
    let added = change == Change::Added;
    let (owners_added, owners_removed) = if added { (owners, Vec::new()) } else { (Vec::new(), owners) };
    let (apps_added, apps_removed) = if added { (apps, Vec::new()) } else { (Vec::new(), apps) };
    UserChange {
        username: u.username.clone(),
        change,
        owners_added,
        owners_removed,
        apps_added,
        apps_removed,
        can_create_before: if added { Some(false) } else { role.can_create },
        can_create_after: if added { role.can_create } else { Some(false) },
        role_before: if added { None } else { role.name.clone() },
        role_after: if added { role.name.clone() } else { None },
        active_before: !added && u.is_active,
        active_after: added && u.is_active,
    }
}

/// Per owner, the users who gain or lose access to its cases: an active user who
/// is among its users after the change and was not (or was not active) before.
/// Only changed users can gain or lose anything.
fn access(base: &Facts, head: &Facts, users: &[(UserChange, Option<usize>, Option<usize>)]) -> Vec<Access> {
    // The owners a user has access to on a side: none if absent or inactive;
    // `None` when unknown.
    fn reach(facts: &Facts, i: Option<usize>) -> Option<BTreeSet<&Owner>> {
        let Some(i) = i else { return Some(BTreeSet::new()) };
        let u = &facts.users[i];
        match (u.owners_known, u.is_active) {
            (false, _) => None,
            (true, false) => Some(BTreeSet::new()),
            (true, true) => Some(owners(facts, i).collect()),
        }
    }
    let mut per_owner: BTreeMap<Owner, (Vec<Name>, Vec<Name>)> = BTreeMap::new();
    for (u, i, j) in users {
        let (Some(before), Some(after)) = (reach(base, *i), reach(head, *j)) else { continue };
        for o in after.difference(&before) {
            per_owner.entry((*o).clone()).or_default().0.push(u.username.clone());
        }
        for o in before.difference(&after) {
            per_owner.entry((*o).clone()).or_default().1.push(u.username.clone());
        }
    }
    per_owner.into_iter().map(|(owner, (gained, lost))| Access { owner, gained, lost }).collect()
}

fn groups(base: &[GroupFacts], head: &[GroupFacts]) -> GroupChanges {
    fn index(list: &[GroupFacts]) -> BTreeMap<&str, &GroupFacts> {
        list.iter().map(|g| (g.name.as_str(), g)).collect()
    }
    let (b, h) = (index(base), index(head));
    let mut out = GroupChanges::default();
    for (name, hg) in &h {
        match b.get(name) {
            None => out.added.push((*hg).clone()),
            Some(bg) if bg.case_sharing != hg.case_sharing => {
                let list = if hg.case_sharing { &mut out.sharing_on } else { &mut out.sharing_off };
                list.push(hg.name.clone());
            }
            Some(_) => {}
        }
    }
    out.removed = b.iter().filter(|(n, _)| !h.contains_key(*n)).map(|(_, g)| (*g).clone()).collect();
    out
}

fn apps(base: &[AppFacts], head: &[AppFacts]) -> Vec<AppChange> {
    fn index(list: &[AppFacts]) -> BTreeMap<&Name, &AppFacts> {
        list.iter().map(|a| (&a.id, a)).collect()
    }
    let (b, h) = (index(base), index(head));
    let ids: BTreeSet<&Name> = b.keys().chain(h.keys()).copied().collect();
    let mut out = Vec::new();
    for id in ids {
        let (ba, ha) = (b.get(id), h.get(id));
        let change = match (ba, ha) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
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
