//! The cross-file index, built once per check: first definitions by name (D001 for
//! the rest), memberships by user, the location tree with its case-owning counts,
//! what each app uses and creates, and what each role reaches. Every rule reads it;
//! nothing in it scans all groups or all users per user.

use std::borrow::Cow;
use std::sync::Arc;

use rayon::prelude::*;

use crate::hash::{Map, NameTable, Set};

use crate::Project;
use crate::diagnostic::Place;
use crate::fold;
use crate::model::{
    App, Form, Group, Location, LocationType, Module, ModuleKind, Name, Opens, Owner, ProjectDef, Relationship, Role,
    RoleApps, Sp, User,
};
use crate::near;
use crate::source::{FileId, FileKind, Span};

/// In [`Index::member_positions`]: a member no user has.
pub const NO_USER: u32 = u32::MAX;

/// How an app uses a case type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseKind {
    /// A module's `case_type`.
    Module,
    /// A form's `opens` entry.
    Opens,
    /// A form's `updates` entry.
    Updates,
}

/// One use of a case type by an app, where a label can point.
#[derive(Debug, Clone)]
pub struct CaseUse<'p> {
    pub case_type: &'p str,
    pub file: FileId,
    pub span: Span,
    pub kind: UseKind,
}

impl CaseUse<'_> {
    pub fn place(&self) -> Place {
        Place::new(self.file, self.span.clone())
    }
}

/// An `opens` entry with its defaults resolved.
#[derive(Debug, Clone)]
pub struct Creation<'p> {
    pub module: &'p Module,
    pub form: &'p Form,
    pub opens: &'p Opens,
    /// The case type created: the entry's, else the module's (for shadow modules, the source's).
    pub case_type: Option<&'p str>,
    /// The module's case type, the parent of child and extension cases.
    pub module_case_type: Option<&'p str>,
    pub relationship: Relationship,
    /// The form is an advanced form: its module is advanced, or a shadow of an
    /// advanced module.
    pub advanced: bool,
}

impl Creation<'_> {
    /// Whether HQ assigns the owner on the phone, which needs exactly one case owner
    /// (`xform.py`: `autoset_owner_id_for_open_case`, `_for_subcase`,
    /// `_for_advanced_action`; the owner is then the user's one group).
    pub fn auto_owner(&self) -> bool {
        if self.opens.owner != Owner::Auto {
            return false;
        }
        match self.relationship {
            Relationship::None | Relationship::Child => true,
            // In an advanced form an extension has no owner, and a question picks
            // child or extension (the user owns the case, or nobody). A basic form's
            // subcase is indexed as a child whatever it is marked.
            Relationship::Extension | Relationship::Question => !self.advanced,
        }
    }
}

/// What the index knows of one app.
#[derive(Debug)]
pub struct AppFacts<'p> {
    pub app: &'p App,
    /// Modules by id (first definitions).
    pub modules: Map<&'p str, &'p Module>,
    /// The first definitions of modules, in file order; only these take part.
    pub modules_in_order: Vec<&'p Module>,
    /// The first definitions of forms, with their module, in file order.
    pub forms: Vec<(&'p Module, &'p Form)>,
    /// Every use of a case type, in file order.
    pub uses: Vec<CaseUse<'p>>,
    /// The first use of each case type.
    pub first_use: Map<&'p str, usize>,
    pub creations: Vec<Creation<'p>>,
}

impl<'p> AppFacts<'p> {
    /// A module's case type, following a shadow module to its source.
    pub fn module_case_type(&self, module: &'p Module) -> Option<&'p str> {
        if module.kind == ModuleKind::Shadow && module.case_type.is_none() {
            let source = self.modules.get(module.source_module.as_ref()?.as_str())?;
            return source.case_type.as_ref().map(|c| c.as_str());
        }
        module.case_type.as_ref().map(|c| c.as_str())
    }
}

/// The apps a role (or no role) reaches, reduced to what the G rules ask.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reach {
    /// Index into `Index::apps` of a reachable app with case sharing on and
    /// a case type (an app of surveys only has no cases to share).
    pub sharing_app: Option<usize>,
    /// A reachable app (index) whose form creates cases with an automatic owner, and the creation's index.
    pub creator: Option<(usize, usize)>,
}

/// A user's membership of a case-sharing group.
#[derive(Debug, Clone)]
pub struct Membership<'p> {
    pub group: &'p Group,
    /// The username in the group's `members`.
    pub member: &'p Sp<Name>,
}

/// A case owner that comes from an assigned location.
#[derive(Debug, Clone)]
pub struct LocationOwner<'p> {
    /// The location code in the user's `locations`.
    pub assigned: &'p Sp<Name>,
    pub location: &'p Location,
    /// The assigned location itself owns cases (its type `shares_cases`).
    pub owns: bool,
    /// Case-owning locations below it, counted because its type has `view_descendants`.
    pub below: usize,
}

/// A user's case owners: case-sharing groups plus case-owning locations.
#[derive(Debug, Clone, Default)]
pub struct Owners<'p> {
    pub groups: Vec<Membership<'p>>,
    pub locations: Vec<LocationOwner<'p>>,
}

impl Owners<'_> {
    /// How many case owners HQ gives the user (the phone's `count(groups)`).
    pub fn count(&self) -> usize {
        self.groups.len() + self.locations.iter().map(|l| usize::from(l.owns) + l.below).sum::<usize>()
    }
}

pub struct Index<'p> {
    pub project: &'p Project,
    pub def: &'p ProjectDef,
    /// Apps (first definitions), in file order, with what they use and create.
    pub apps: Vec<AppFacts<'p>>,
    pub app_by_id: Map<&'p str, usize>,
    pub groups: Vec<&'p Group>,
    /// Each group name's position in `groups` ([`Index::group`]).
    group_table: NameTable,
    pub users: Users<'p>,
    /// What the owner and reference rules ask of each of `users`.
    pub user_columns: Arc<UserColumns>,
    /// Each username's position in `users` ([`Index::user`]).
    user_by_name: Arc<NameTable>,
    pub locations: Vec<&'p Location>,
    /// Locations by folded site code ([`Index::location`]).
    location_by_code: Map<Cow<'p, str>, &'p Location>,
    pub location_types: Map<&'p str, &'p LocationType>,
    pub roles: Map<&'p str, &'p Role>,
    /// Case-sharing group memberships of each user (a user listed twice in a
    /// group counts once): those of `users[i]` are `memberships[member_start[i]..member_start[i + 1]]`.
    /// (group, member) positions in `groups` and its `members`.
    memberships: Vec<(u32, u32)>,
    member_start: Vec<u32>,
    /// For each group of `groups`, each member's position in `users`
    /// ([`NO_USER`] for a name no user has): the list and place in
    /// `resolved` of the group's positions.
    member_users: Vec<(u32, u32)>,
    resolved: Vec<Arc<Vec<Vec<u32>>>>,
    /// Each location's place in the tree, with the case-owning locations below
    /// it, by folded site code ([`Index::tree_of`]).
    tree: Map<Cow<'p, str>, Tree>,
    /// Users whose case sharing memberships are in doubt: the likely intended name
    /// of an unknown member, or a scalar in a misshapen `members`. Owner rules skip
    /// them rather than repeat the R001 or S003 as a G001.
    pub in_doubt: Set<&'p str>,
    /// The nearest username to each unknown group member.
    pub member_guess: Map<&'p str, Option<&'p str>>,
    reach_all: Option<Reach>,
    reach_by_role: Map<&'p str, Option<Reach>>,
    /// Active users with other than exactly one case owner, in file order.
    pub owner_checks: Vec<OwnerCheck<'p>>,
    /// Definitions whose name an earlier one took (D001), in the order found.
    pub duplicates: Vec<Duplicate<'p>>,
}

/// A definition whose name an earlier definition of its kind took: only the
/// first takes part in the rules.
#[derive(Debug, Clone)]
pub struct Duplicate<'p> {
    /// What the name is: `app id`, `username`, `module id in this app`, …
    pub what: &'static str,
    pub name: &'p str,
    /// The first definition's name: `name` itself, or a name HQ takes for it
    /// (`David` for `david`).
    pub first_name: &'p str,
    pub first: Place,
    pub again: Place,
}

impl<'p> Index<'p> {
    /// Builds the index, keeping the first definition of each name.
    ///
    /// # Panics
    /// Never: callers build it only when `project.def` is present, and it returns
    /// early otherwise.
    pub fn build(project: &'p Project) -> Index<'p> {
        Index::build_inner(project, &mut UserCache::default(), false)
    }

    /// [`Index::build`], reusing the table of usernames of an earlier build when
    /// no username changed since (the language server does, after each edit).
    pub fn build_with(project: &'p Project, cache: &mut UserCache) -> Index<'p> {
        Index::build_inner(project, cache, true)
    }

    fn build_inner(project: &'p Project, cache: &mut UserCache, keep: bool) -> Index<'p> {
        let def = project.def.as_ref().expect("index needs project.yaml");
        let mut dups = Dups { found: Vec::new() };

        let (app_list, _) =
            dups.firsts_indexed(project.apps.iter(), project.apps.len(), "app id", |a| &a.id, |a| a.file);
        let mut app_by_id = Map::with_capacity_and_hasher(app_list.len(), Default::default());
        let mut apps = Vec::with_capacity(app_list.len());
        for app in app_list {
            app_by_id.insert(app.id.as_str(), apps.len());
            apps.push(app_facts(app, &mut dups));
        }
        let (groups, group_table) =
            dups.firsts_indexed(project.groups.iter(), project.groups.len(), "group name", |g| &g.name, |g| g.file);
        let (users, user_by_name, user_columns) = cache.users(project, &mut dups, keep);
        let (locations, _) = dups.firsts_folded(
            project.locations.iter(),
            project.locations.len(),
            "location code",
            |l| &l.code,
            |l| l.file,
            fold::site_code,
        );
        let mut location_by_code = Map::with_capacity_and_hasher(locations.len(), Default::default());
        location_by_code.extend(locations.iter().map(|&l| (fold::site_code(l.code.as_str()), l)));
        let (_, location_types) = dups.firsts(
            def.location_types.iter(),
            def.location_types.len(),
            "location type",
            |t| &t.name,
            |_| def.file,
        );
        let roles = def.roles.iter().map(|r| (r.name.as_str(), r)).collect();

        // Each member of each group, resolved to the user's position once (every
        // later step reads this instead of looking the name up again); per
        // groups file, kept in the cache while neither it nor the users change.
        let resolved = cache.resolve(&users, project, &user_by_name, keep);
        let member_users: Vec<(u32, u32)> = {
            let mut at = project.groups.lists().iter().enumerate().flat_map(|(l, list)| {
                list.iter().enumerate().map(move |(g, group)| (group as *const Group, (l as u32, g as u32)))
            });
            groups
                .iter()
                .map(|g| {
                    let target = *g as *const Group;
                    at.by_ref().find(|(p, _)| *p == target).map_or((0, 0), |(_, place)| place)
                })
                .collect()
        };
        let member_users_of = |i: usize| -> &[u32] {
            let (l, g) = member_users[i];
            &resolved[l as usize][g as usize]
        };

        // Memberships by user, in one list (counted, then placed): most users
        // have one, and a list per user would cost an allocation each. A member
        // listed twice in a group is one membership (G006 reports the repeat).
        let each = |f: &mut dyn FnMut(usize, u32, u32)| {
            for (gi, g) in groups.iter().enumerate() {
                if !g.case_sharing() {
                    continue;
                }
                let resolved = member_users_of(gi);
                // Groups are small: a repeat is looked for among the members before;
                // a large group uses a set, so the cost stays linear.
                let mut seen: Set<u32> = Set::default();
                for (mi, &u) in resolved.iter().enumerate() {
                    let first = if resolved.len() <= 32 { !resolved[..mi].contains(&u) } else { seen.insert(u) };
                    if u != NO_USER && first {
                        f(u as usize, gi as u32, mi as u32);
                    }
                }
            }
        };
        // Counts, then each user's start; placing a membership moves its user's
        // start on, to where the next user's begins: one place over, the starts.
        // (No second list of cursors: on the huge benchmark, 2 MB at the peak.)
        let mut member_start = vec![0u32; users.len() + 1];
        each(&mut |u, _, _| member_start[u] += 1);
        let mut total = 0;
        for start in member_start.iter_mut() {
            let count = *start;
            *start = total;
            total += count;
        }
        let mut memberships: Vec<(u32, u32)> = vec![(0, 0); total as usize];
        each(&mut |u, gi, mi| {
            memberships[member_start[u] as usize] = (gi, mi);
            member_start[u] += 1;
        });
        member_start.copy_within(..users.len(), 1);
        member_start[0] = 0;

        let tree = location_tree(&locations, &location_by_code, &location_types);
        // One suggestion per distinct unknown member name (R001 shows it too).
        let mut member_guess: Map<&str, Option<&str>> = Map::default();
        let unknown: Vec<&str> = groups
            .iter()
            .enumerate()
            .flat_map(|(gi, g)| g.members.iter().zip(member_users_of(gi)))
            .filter(|(_, u)| **u == NO_USER)
            .map(|(m, _)| m.as_str())
            .collect();
        if !unknown.is_empty() {
            let mut distinct: Vec<&str> = unknown;
            distinct.sort_unstable();
            distinct.dedup();
            let guesses = near::nearest_each(users.iter().map(|u| u.username.as_str()), &distinct);
            member_guess.extend(distinct.into_iter().zip(guesses));
        }
        let mut in_doubt: Set<&str> = Set::default();
        for (gi, g) in groups.iter().enumerate() {
            let resolved = member_users_of(gi);
            let user_key = |n: &str| {
                user_by_name
                    .find(&fold::username(n), |i| fold::username(users[i as usize].username.as_str()))
                    .map(|i| users.get(i as usize).username.as_str())
            };
            let known = |u: u32| (u != NO_USER).then(|| users.get(u as usize).username.as_str());
            if g.case_sharing_doubt {
                // Whether the group shares cases is unknown: so is every member's count.
                in_doubt.extend(resolved.iter().filter_map(|&u| known(u)));
            }
            if !(g.case_sharing() || g.case_sharing_doubt) {
                continue;
            }
            if let Some(names) = &g.members_doubt {
                in_doubt.extend(names.iter().filter_map(|n| user_key(n.as_str())));
            }
            for (m, _) in g.members.iter().zip(resolved).filter(|(_, u)| **u == NO_USER) {
                in_doubt.extend(member_guess.get(m.as_str()).copied().flatten());
            }
        }
        let mut index = Index {
            project,
            def,
            apps,
            app_by_id,
            groups,
            group_table,
            users,
            user_columns,
            user_by_name,
            locations,
            location_by_code,
            location_types,
            roles,
            memberships,
            member_start,
            member_users,
            resolved,
            tree,
            in_doubt,
            member_guess,
            reach_all: None,
            reach_by_role: Map::default(),
            owner_checks: Vec::new(),
            duplicates: dups.found,
        };
        index.reach_all = index.reach_of(None);
        index.reach_by_role = def.roles.iter().map(|r| (r.name.as_str(), index.reach_of(Some(&r.apps)))).collect();
        index.owner_checks = index.owner_problems();
        index
    }

    /// What a role reaches; `None` when that is unknown: its `apps` was reported,
    /// or it reaches an app whose case sharing setting was reported.
    fn reach_of(&self, apps: Option<&RoleApps>) -> Option<Reach> {
        let list: Vec<usize> = match apps {
            None | Some(RoleApps::All) => (0..self.apps.len()).collect(),
            Some(RoleApps::List(ids)) => ids.iter().filter_map(|id| self.app_by_id.get(id.as_str()).copied()).collect(),
            Some(RoleApps::Unknown) => return None,
        };
        if list.iter().any(|i| self.apps[*i].app.case_sharing_doubt) {
            return None;
        }
        let mut reach = Reach::default();
        for i in list {
            let facts = &self.apps[i];
            // An app with no case type anywhere (surveys only) has no cases
            // to share: HQ asserts nothing on its phones (G001 stays quiet).
            if facts.app.case_sharing() && !facts.first_use.is_empty() && reach.sharing_app.is_none() {
                reach.sharing_app = Some(i);
            }
            if reach.creator.is_none() && facts.app.case_sharing() {
                reach.creator = facts.creations.iter().position(|c| c.auto_owner()).map(|c| (i, c));
            }
        }
        Some(reach)
    }

    /// What the user's role reaches; `None` when the role is not defined (R001).
    pub fn reach(&self, user: &User) -> Option<Reach> {
        match &user.role {
            None => self.reach_all,
            Some(role) => self.reach_by_role.get(role.as_str()).copied().flatten(),
        }
    }

    /// Whether the project shares cases as HQ decides it
    /// (`domain/models.py:Domain.case_sharing_included`): the project setting *or*
    /// any app's. `None` when that is unknown: neither is on, and the setting or an
    /// app's was reported, or an apps file did not load.
    pub fn sharing_included(&self) -> Option<bool> {
        if self.def.case_sharing() || self.apps.iter().any(|f| f.app.case_sharing()) {
            return Some(true);
        }
        let unsure = self.def.case_sharing_doubt
            || self.apps.iter().any(|f| f.app.case_sharing_doubt)
            || self.project.kind_failed(FileKind::App);
        (!unsure).then_some(false)
    }

    /// Whether every groups file was loaded; if not, owner counts are lower bounds.
    pub fn groups_complete(&self) -> bool {
        !self.project.kind_failed(FileKind::Groups)
    }

    /// The user's case owners; `None` when one of their locations, or a location
    /// type that decides their count, is not defined (R001) or was reported.
    pub fn owners(&self, user: &'p User) -> Option<Owners<'p>> {
        let groups = self.memberships_of(user.username.as_str());
        self.owners_with(user, groups)
    }

    /// [`Index::owners`] with the user's memberships known.
    fn owners_with(&self, user: &'p User, groups: Vec<Membership<'p>>) -> Option<Owners<'p>> {
        let mut seen: Set<Cow<str>> = Set::with_capacity_and_hasher(user.locations.len(), Default::default());
        let mut assigned = Vec::with_capacity(user.locations.len());
        for code in &user.locations {
            let folded = fold::site_code(code.as_str());
            let loc = *self.location_by_code.get(&*folded)?;
            let tree = self.tree.get(&*folded)?;
            // HQ keeps a set of assigned locations: a repeat is one assignment.
            if !seen.insert(folded) {
                continue;
            }
            let ty = *self.location_types.get(loc.location_type.as_ref()?.as_str())?;
            if ty.view_descendants && tree.unknown_below {
                return None;
            }
            assigned.push((code, loc, ty, tree));
        }
        // Descendants are one set in HQ: a viewing location inside another viewing
        // location's subtree adds nothing. Sorted by pre-order, nested ones follow
        // the location that contains them.
        let mut viewing: Vec<&Tree> = assigned.iter().filter(|a| a.2.view_descendants).map(|a| a.3).collect();
        viewing.sort_by_key(|t| t.enter);
        let mut outermost: Set<u32> = Set::default();
        let mut end = 0;
        for t in viewing {
            if t.enter >= end {
                outermost.insert(t.enter);
                end = t.exit;
            }
        }
        let locations = assigned
            .iter()
            .map(|&(code, loc, ty, tree)| {
                let below = if ty.view_descendants && outermost.contains(&tree.enter) { tree.owning_below } else { 0 };
                LocationOwner { assigned: code, location: loc, owns: ty.shares_cases, below }
            })
            .collect();
        Some(Owners { groups, locations })
    }

    /// The case-sharing group memberships of a user (first definitions).
    pub fn memberships_of(&self, username: &str) -> Vec<Membership<'p>> {
        match self.user_position(username) {
            Some(i) => self.memberships_at(i as usize),
            None => Vec::new(),
        }
    }

    /// How many case-sharing groups the user at a position of `users` is in.
    fn membership_count(&self, i: usize) -> usize {
        (self.member_start[i + 1] - self.member_start[i]) as usize
    }

    /// The memberships of the user at a position of `users`.
    fn memberships_at(&self, i: usize) -> Vec<Membership<'p>> {
        let (from, to) = (self.member_start[i], self.member_start[i + 1]);
        self.memberships[from as usize..to as usize]
            .iter()
            .map(|&(g, m)| {
                let group = self.groups[g as usize];
                Membership { group, member: &group.members[m as usize] }
            })
            .collect()
    }

    /// Each member of the group at a position of `groups`: its user's position
    /// in `users`, or [`NO_USER`].
    pub fn member_positions(&self, group: usize) -> &[u32] {
        let (l, i) = self.member_users[group];
        &self.resolved[l as usize][i as usize]
    }

    /// The members of the group at a position of `groups` that no user has.
    pub fn unknown_members(&self, group: usize) -> impl Iterator<Item = &'p Sp<Name>> + '_ {
        let g = self.groups[group];
        let (l, i) = self.member_users[group];
        g.members.iter().zip(&self.resolved[l as usize][i as usize]).filter(|(_, u)| **u == NO_USER).map(|(m, _)| m)
    }

    /// The location of a site code (first definition; codes fold as in HQ).
    pub fn location(&self, code: &str) -> Option<&'p Location> {
        self.location_by_code.get(&*fold::site_code(code)).copied()
    }

    /// The place in the tree of the location of a site code.
    pub fn tree_of(&self, code: &str) -> Option<&Tree> {
        self.tree.get(&*fold::site_code(code))
    }

    /// The group of this name (its first definition; group names are compared
    /// as written, as D001 compares them).
    pub fn group(&self, name: &str) -> Option<&'p Group> {
        let at = self.group_table.find(name, |i| self.groups[i as usize].name.as_str())?;
        Some(self.groups[at as usize])
    }

    /// The user of a username (first definition; usernames fold as in HQ).
    pub fn user(&self, username: &str) -> Option<&'p User> {
        self.user_position(username).map(|i| self.users.get(i as usize))
    }

    fn user_position(&self, username: &str) -> Option<u32> {
        self.user_by_name.find(&fold::username(username), |i| fold::username(self.users[i as usize].username.as_str()))
    }

    /// A file's text, read again when it was set aside after loading (`None`
    /// when it cannot be, or changed since).
    pub fn file_text(&self, file: FileId) -> Option<Cow<'p, str>> {
        self.project.files[file].text_again()
    }
}

/// A location's place in the tree: its pre-order interval and what lies below it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tree {
    /// Pre-order number; the subtree is `enter..exit`.
    pub enter: u32,
    pub exit: u32,
    /// Case-owning locations strictly below it.
    pub owning_below: usize,
    /// Some location below it has no known type (R001, S002).
    pub unknown_below: bool,
}

/// Numbers the location tree in pre-order and counts, for every location, the
/// case-owning locations below it, in one depth-first pass (locations in a
/// parent cycle, L001, are left out).
fn location_tree<'p>(
    locations: &[&'p Location],
    by_code: &Map<Cow<'p, str>, &'p Location>,
    types: &Map<&'p str, &'p LocationType>,
) -> Map<Cow<'p, str>, Tree> {
    let mut children: Map<Cow<str>, Vec<&Location>> = Map::default();
    let mut roots: Vec<&Location> = Vec::new();
    for l in locations {
        let parent = l.parent.as_ref().map(|p| fold::site_code(p.as_str())).filter(|p| by_code.contains_key(&**p));
        match parent {
            Some(p) => children.entry(p).or_default().push(l),
            None => roots.push(l),
        }
    }
    let ty = |l: &Location| l.location_type.as_ref().and_then(|t| types.get(t.as_str()));
    let mut tree: Map<Cow<str>, Tree> = Map::with_capacity_and_hasher(locations.len(), Default::default());
    let mut counter = 0u32;
    // (location, whether its children were pushed)
    let mut stack: Vec<(&Location, bool)> = roots.into_iter().rev().map(|l| (l, false)).collect();
    while let Some((l, expanded)) = stack.pop() {
        let code = fold::site_code(l.code.as_str());
        let kids = children.get(&*code).map(Vec::as_slice).unwrap_or(&[]);
        if !expanded {
            tree.insert(code, Tree { enter: counter, ..Tree::default() });
            counter += 1;
            stack.push((l, true));
            stack.extend(kids.iter().rev().map(|k| (*k, false)));
            continue;
        }
        let mut t = tree.get(&*code).copied().unwrap_or_default();
        t.exit = counter;
        for k in kids {
            let kt = tree.get(&*fold::site_code(k.code.as_str())).copied().unwrap_or_default();
            let kty = ty(k);
            t.owning_below += usize::from(kty.is_some_and(|x| x.shares_cases)) + kt.owning_below;
            t.unknown_below |= kty.is_none() || kt.unknown_below;
        }
        tree.insert(code, t);
    }
    tree
}

fn app_facts<'p>(app: &'p App, dups: &mut Dups<'p>) -> AppFacts<'p> {
    let (modules_in_order, modules) =
        dups.firsts(app.modules.iter(), app.modules.len(), "module id in this app", |m| &m.id, |_| app.file);
    let form_count = modules_in_order.iter().map(|m| m.forms.len()).sum();
    let (first_forms, _) = dups.firsts_indexed(
        modules_in_order.iter().flat_map(|m| &m.forms),
        form_count,
        "form id in this app",
        |f| &f.id,
        |_| app.file,
    );
    let first_forms: Set<*const Form> = first_forms.into_iter().map(|f| f as *const Form).collect();
    let forms: Vec<(&Module, &Form)> = modules_in_order
        .iter()
        .flat_map(|m| m.forms.iter().map(move |f| (*m, f)))
        .filter(|(_, f)| first_forms.contains(&(*f as *const Form)))
        .collect();
    let mut facts = AppFacts {
        app,
        modules,
        modules_in_order,
        forms: Vec::new(),
        uses: Vec::new(),
        first_use: Map::default(),
        creations: Vec::new(),
    };
    for m in facts.modules_in_order.clone() {
        let module_type = facts.module_case_type(m);
        let advanced = match m.kind {
            ModuleKind::Advanced => true,
            ModuleKind::Basic => false,
            ModuleKind::Shadow => m
                .source_module
                .as_ref()
                .and_then(|s| facts.modules.get(s.as_str()))
                .is_some_and(|s| s.kind == ModuleKind::Advanced),
        };
        if let Some(ct) = &m.case_type {
            facts.uses.push(CaseUse { case_type: ct.as_str(), file: app.file, span: ct.span(), kind: UseKind::Module });
        }
        for f in m.forms.iter().filter(|f| first_forms.contains(&(*f as *const Form))) {
            for o in &f.opens {
                let case_type = o.case_type.as_ref().map(|c| c.as_str()).or(module_type);
                let relationship = o.relationship.as_ref().map(|r| r.value).unwrap_or(
                    if case_type.is_some() && case_type == module_type {
                        Relationship::None
                    } else {
                        Relationship::Child
                    },
                );
                if let Some(ct) = case_type {
                    let span = o.case_type.as_ref().map_or(o.span.clone(), |c| c.span());
                    facts.uses.push(CaseUse { case_type: ct, file: app.file, span, kind: UseKind::Opens });
                }
                facts.creations.push(Creation {
                    module: m,
                    form: f,
                    opens: o,
                    case_type,
                    module_case_type: module_type,
                    relationship,
                    advanced,
                });
            }
            for u in &f.updates {
                facts.uses.push(CaseUse {
                    case_type: u.as_str(),
                    file: app.file,
                    span: u.span(),
                    kind: UseKind::Updates,
                });
            }
        }
    }
    for (i, u) in facts.uses.iter().enumerate() {
        facts.first_use.entry(u.case_type).or_insert(i);
    }
    facts.forms = forms;
    facts
}

/// The users that take part (the first definitions), by position: a view of
/// the project's lists of users, not a list of its own (a list of references
/// cost 4 MB on the huge benchmark project, built again after each edit in the
/// language server). A position is found from where each file's list starts.
pub struct Users<'p> {
    lists: &'p [Arc<Vec<User>>],
    /// Where each list starts among all users, then how many there are.
    starts: Vec<u32>,
    /// For each block of `1 << shift` positions, the list its first position
    /// is in: a position's list is looked for only among the few lists its
    /// block spans (blocks are about a list long), not among all of them.
    blocks: Vec<u32>,
    shift: u32,
    /// Positions among all users of the first definitions, when a username is
    /// defined twice (D001); `None` when every user is a first definition.
    firsts: Option<Arc<Vec<u32>>>,
}

impl<'p> Users<'p> {
    fn new(lists: &'p [Arc<Vec<User>>], firsts: Option<Arc<Vec<u32>>>) -> Users<'p> {
        let mut starts = Vec::with_capacity(lists.len() + 1);
        let mut at = 0u32;
        for list in lists {
            starts.push(at);
            at += list.len() as u32;
        }
        starts.push(at);
        let shift = (at as usize / lists.len().max(1)).max(1).ilog2();
        let last = lists.len().saturating_sub(1) as u32;
        let mut blocks = Vec::with_capacity((at >> shift) as usize + 1);
        let mut list = 0u32;
        for b in 0..=(at >> shift) {
            while list < last && starts[list as usize + 1] <= b << shift {
                list += 1;
            }
            blocks.push(list);
        }
        Users { lists, starts, blocks, shift, firsts }
    }

    /// The list that holds the user at a position among all users, and its
    /// place there.
    fn place(&self, at: u32) -> (usize, usize) {
        let block = (at >> self.shift) as usize;
        let first = self.blocks[block] as usize;
        let last = self.blocks.get(block + 1).map_or(self.lists.len() - 1, |&l| l as usize);
        let list = first + self.starts[first + 1..=last].partition_point(|&s| s <= at);
        (list, (at - self.starts[list]) as usize)
    }

    pub fn len(&self) -> usize {
        match &self.firsts {
            Some(firsts) => firsts.len(),
            None => self.starts.last().map_or(0, |&n| n as usize),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The user at a position.
    ///
    /// # Panics
    /// When `i` is not below [`Users::len`], as indexing a list does.
    pub fn get(&self, i: usize) -> &'p User {
        let at = match &self.firsts {
            Some(firsts) => firsts[i],
            None => i as u32,
        };
        let (list, place) = self.place(at);
        &self.lists[list][place]
    }

    /// The users in order.
    pub fn iter(&self) -> UsersIter<'_, 'p> {
        UsersIter { users: self, next: 0, list: 0 }
    }
}

impl std::ops::Index<usize> for Users<'_> {
    type Output = User;
    fn index(&self, i: usize) -> &User {
        self.get(i)
    }
}

impl<'a, 'p> IntoIterator for &'a Users<'p> {
    type Item = &'p User;
    type IntoIter = UsersIter<'a, 'p>;
    fn into_iter(self) -> UsersIter<'a, 'p> {
        self.iter()
    }
}

/// [`Users::iter`]: positions in order, so each list is found by moving on
/// from the last one.
pub struct UsersIter<'a, 'p> {
    users: &'a Users<'p>,
    next: usize,
    list: usize,
}

impl<'p> Iterator for UsersIter<'_, 'p> {
    type Item = &'p User;

    fn next(&mut self) -> Option<&'p User> {
        let users = self.users;
        let at = match &users.firsts {
            Some(firsts) => *firsts.get(self.next)?,
            None => {
                let n = *users.starts.last()?;
                if self.next as u32 >= n {
                    return None;
                }
                self.next as u32
            }
        };
        self.next += 1;
        while users.starts[self.list + 1] <= at {
            self.list += 1;
        }
        Some(&users.lists[self.list][(at - users.starts[self.list]) as usize])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.users.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for UsersIter<'_, '_> {}

/// What the owner and reference rules ask of every user that takes part, a
/// byte or so each, in the order of [`Index::users`]: the rules read these
/// instead of the users themselves (120 bytes each: on the huge benchmark
/// project, 60 MB read twice after each edit in the language server), and the
/// language server keeps them while no users file changes.
#[derive(Debug, Default)]
pub struct UserColumns {
    /// Per user: [`UserColumns::CHECKED`], [`UserColumns::LOCATED`].
    flags: Vec<u8>,
    /// Per user: one more than its role's place in `roles`; 0 for no role.
    /// `None` when the users name more roles than fit (their roles are read
    /// from the users then).
    role: Option<Vec<u16>>,
    /// The role names the users give, each once.
    roles: Vec<Name>,
}

impl UserColumns {
    /// Active, and `role`, `locations` and `is_active` were not reported: the
    /// owner rules check the user.
    pub const CHECKED: u8 = 1;
    /// Assigned to locations.
    pub const LOCATED: u8 = 2;

    fn of(users: &Users<'_>) -> UserColumns {
        let mut flags = Vec::with_capacity(users.len());
        let mut role = Some(Vec::with_capacity(users.len()));
        let mut roles: Vec<Name> = Vec::new();
        let mut ids: Map<&str, u16> = Map::default();
        // Neighbours mostly share a role: the last one is remembered.
        let mut last: Option<(&str, u16)> = None;
        for u in users {
            let mut f = 0;
            if u.is_active && !u.doubt {
                f |= Self::CHECKED;
            }
            if !u.locations.is_empty() {
                f |= Self::LOCATED;
            }
            flags.push(f);
            let Some(ids_out) = role.as_mut() else { continue };
            let id = match &u.role {
                None => 0,
                Some(r) => match last {
                    Some((name, id)) if name == r.as_str() => id,
                    _ => {
                        let next = roles.len() + 1;
                        let id = *ids.entry(r.as_str()).or_insert_with(|| {
                            roles.push(r.value.clone());
                            u16::try_from(next).unwrap_or(u16::MAX)
                        });
                        last = Some((r.as_str(), id));
                        id
                    }
                },
            };
            if id == u16::MAX {
                // More roles than fit: none are kept.
                (role, roles) = (None, Vec::new());
                continue;
            }
            ids_out.push(id);
        }
        UserColumns { flags, role, roles }
    }

    /// The flags of the user at a position of [`Index::users`].
    pub fn flags(&self, i: usize) -> u8 {
        self.flags[i]
    }

    /// Each user's role ([`UserColumns::role`]) and the role names, when kept.
    pub fn roles(&self) -> Option<(&[u16], &[Name])> {
        self.role.as_deref().map(|r| (r, self.roles.as_slice()))
    }

    /// The positions of the users assigned to locations.
    pub fn located(&self) -> impl Iterator<Item = usize> + '_ {
        self.flags.iter().enumerate().filter(|(_, f)| *f & Self::LOCATED != 0).map(|(i, _)| i)
    }
}

/// Per group of a groups file, its members as positions among all users.
type Positions = Arc<Vec<Vec<u32>>>;

/// The table of usernames of the last index built, kept for the next build while
/// the same users files (the same shared lists) make up the project.
#[derive(Default)]
pub struct UserCache {
    lists: Vec<Arc<Vec<User>>>,
    /// Per groups file: its groups' members resolved to positions in `users`.
    resolved: Vec<(Arc<Vec<Group>>, Positions)>,
    table: Arc<NameTable>,
    /// Positions, among all users in order, of the first definitions; empty
    /// when every user is one (no username defined twice): the usual case, where
    /// a long-lived cache would hold half a million positions for nothing.
    firsts: Arc<Vec<u32>>,
    /// (first, again) positions among all users of each username defined twice.
    twice: Vec<(u32, u32)>,
    columns: Arc<UserColumns>,
}

impl UserCache {
    /// The first definitions of users and their table; duplicates go to `dups`.
    /// With `keep`, the table stays in the cache for the next build.
    fn users<'p>(
        &mut self,
        project: &'p Project,
        dups: &mut Dups<'p>,
        keep: bool,
    ) -> (Users<'p>, Arc<NameTable>, Arc<UserColumns>) {
        let lists = project.users.lists();
        let mut users = Users::new(lists, None);
        let same = !self.lists.is_empty()
            && lists.len() == self.lists.len()
            && lists.iter().zip(&self.lists).all(|(a, b)| std::sync::Arc::ptr_eq(a, b));
        // A users file edited but for its usernames (a role, a location, a
        // comment): every user keeps its position, and the table, the first
        // definitions and the members resolved stay; only the columns are
        // counted again (huge: a role's edit took 200-280 ms, the table of
        // 500,000 names built again, where a groups file's takes 50).
        let same_names = !same
            && !self.lists.is_empty()
            && lists.len() == self.lists.len()
            && lists.iter().zip(&self.lists).all(|(a, b)| {
                Arc::ptr_eq(a, b)
                    || (a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| a.username.value == b.username.value))
            });
        if same_names {
            self.lists = if keep { lists.to_vec() } else { Vec::new() };
        } else if !same {
            // The old table goes before the new one is built (the last index,
            // which shared it, went before this build): a users file's edit
            // does not hold two tables of half a million names.
            self.table = Arc::default();
            // Positions among all users, not references, so that they outlive this project.
            let all = &users;
            let mut table = NameTable::with_capacity(all.len());
            let mut firsts: Vec<u32> = Vec::with_capacity(all.len());
            self.twice.clear();
            for (i, u) in all.iter().enumerate() {
                // A name made up for a definition without one (S002) is not a duplicate.
                if u.username.value.is_empty() {
                    firsts.push(i as u32);
                    continue;
                }
                let name = fold::username(u.username.as_str());
                let key = |j: u32| fold::username(all[firsts[j as usize] as usize].username.as_str());
                match table.find_or_insert(&name, firsts.len() as u32, key) {
                    Some(j) => self.twice.push((firsts[j as usize], i as u32)),
                    None => firsts.push(i as u32),
                }
            }
            self.table = Arc::new(table);
            // Pushed in order, one per user, when no name repeats: every
            // position, so none is kept.
            self.firsts = if firsts.len() == all.len() { Arc::default() } else { Arc::new(firsts) };
            self.lists = if keep { lists.to_vec() } else { Vec::new() };
            // Positions changed: every groups file is resolved again.
            self.resolved.clear();
        }
        for &(first, again) in &self.twice {
            let (f, a) = (users.get(first as usize), users.get(again as usize));
            dups.found.push(Duplicate {
                what: "username",
                name: a.username.as_str(),
                first_name: f.username.as_str(),
                first: Place::new(f.file, f.username.span()),
                again: Place::new(a.file, a.username.span()),
            });
        }
        // From here on, positions are those of the first definitions.
        users.firsts = (!self.firsts.is_empty()).then(|| share(&mut self.firsts, keep));
        if !same {
            // The old columns go first too.
            self.columns = Arc::default();
            self.columns = Arc::new(UserColumns::of(&users));
        }
        (users, share(&mut self.table, keep), share(&mut self.columns, keep))
    }

    /// Every groups file's members resolved to user positions, in the order of
    /// `project.groups.lists()`: from the cache for the files resolved before.
    fn resolve(&mut self, users: &Users<'_>, project: &Project, table: &NameTable, keep: bool) -> Vec<Positions> {
        let lists = project.groups.lists();
        let mut out = Vec::with_capacity(lists.len());
        let mut kept = Vec::new();
        let resolve = |m: &Sp<Name>| {
            table
                .find(&fold::username(m.as_str()), |i| fold::username(users[i as usize].username.as_str()))
                .unwrap_or(NO_USER)
        };
        for (at, list) in lists.iter().enumerate() {
            // An unchanged file, most often in the same place among the files
            // as before (large has 1,000 groups files: not a search each).
            let before = self.resolved.get(at);
            let known = before
                .filter(|(l, _)| Arc::ptr_eq(l, list))
                .or_else(|| self.resolved.iter().find(|(l, _)| Arc::ptr_eq(l, list)))
                .map(|(_, r)| r.clone());
            // A changed file: most often the one edited, in the same place among
            // the files, where a group whose members read as before keeps its
            // positions (they depend on the names alone).
            let before = before.filter(|(l, _)| l.len() == list.len());
            let resolved = known.unwrap_or_else(|| {
                Arc::new(
                    list.par_iter()
                        .enumerate()
                        .map(|(g, group)| match before {
                            Some((old, positions)) if same_names(&old[g].members, &group.members) => {
                                positions[g].clone()
                            }
                            _ => group.members.iter().map(resolve).collect(),
                        })
                        .collect(),
                )
            });
            if keep {
                kept.push((list.clone(), resolved.clone()));
            }
            out.push(resolved);
        }
        self.resolved = kept;
        out
    }
}

/// What the cache holds, for an index: shared with the cache (not copied) when
/// it keeps it for the next build, else taken out of it.
fn share<T: Default>(held: &mut Arc<T>, keep: bool) -> Arc<T> {
    if keep { held.clone() } else { std::mem::take(held) }
}

/// Whether two lists of names read alike (wherever they stand in their files).
fn same_names(a: &[Sp<Name>], b: &[Sp<Name>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.value == b.value)
}

/// Keeps first definitions and records the others (D001).
struct Dups<'p> {
    found: Vec<Duplicate<'p>>,
}

impl<'p> Dups<'p> {
    /// The first definition of each name, in order, and each name's index in that
    /// list; each later definition of a taken name is recorded as a duplicate
    /// (D001). `count` is how many items there are, to size the map once.
    fn firsts_indexed<T: 'p>(
        &mut self,
        items: impl Iterator<Item = &'p T>,
        count: usize,
        what: &'static str,
        name_of: impl Fn(&'p T) -> &'p Sp<Name>,
        file_of: impl Fn(&T) -> FileId,
    ) -> (Vec<&'p T>, NameTable) {
        self.firsts_folded(items, count, what, name_of, file_of, |n| Cow::Borrowed(n))
    }

    /// [`Dups::firsts_indexed`] for names that HQ folds: two names that `fold`
    /// alike are one name (the table holds folded names).
    fn firsts_folded<T: 'p>(
        &mut self,
        items: impl Iterator<Item = &'p T>,
        count: usize,
        what: &'static str,
        name_of: impl Fn(&'p T) -> &'p Sp<Name>,
        file_of: impl Fn(&T) -> FileId,
        fold: fn(&str) -> Cow<'_, str>,
    ) -> (Vec<&'p T>, NameTable) {
        let mut list: Vec<&T> = Vec::with_capacity(count);
        let mut by_name = NameTable::with_capacity(count);
        for item in items {
            let name = name_of(item);
            // A name made up for a definition without one (S002) is not a duplicate.
            if name.value.is_empty() {
                list.push(item);
                continue;
            }
            let folded = fold(name.as_str());
            match by_name.find_or_insert(&folded, list.len() as u32, |i| fold(name_of(list[i as usize]).as_str())) {
                Some(i) => {
                    let first = list[i as usize];
                    self.found.push(Duplicate {
                        what,
                        name: name.as_str(),
                        first_name: name_of(first).as_str(),
                        first: Place::new(file_of(first), name_of(first).span()),
                        again: Place::new(file_of(item), name.span()),
                    });
                }
                None => list.push(item),
            }
        }
        (list, by_name)
    }

    /// [`Dups::firsts_indexed`], with a map to the definitions themselves.
    fn firsts<T: 'p>(
        &mut self,
        items: impl Iterator<Item = &'p T>,
        count: usize,
        what: &'static str,
        name_of: impl Fn(&'p T) -> &'p Sp<Name>,
        file_of: impl Fn(&T) -> FileId,
    ) -> (Vec<&'p T>, Map<&'p str, &'p T>) {
        let (list, _) = self.firsts_indexed(items, count, what, &name_of, file_of);
        let mut by_name = Map::with_capacity_and_hasher(list.len(), Default::default());
        by_name.extend(list.iter().map(|&t| (name_of(t).as_str(), t)));
        (list, by_name)
    }
}

/// What the G rules need to know of one active user.
#[derive(Debug, Clone)]
pub struct OwnerCheck<'p> {
    pub user: &'p User,
    pub owners: Owners<'p>,
    pub count: usize,
    pub reach: Reach,
    /// A groups file did not load: the user may have more owners than counted.
    pub at_least: bool,
}

impl OwnerCheck<'_> {
    /// G001: reaches an app with case sharing on, and has no case owner.
    pub fn without_owner(&self) -> bool {
        self.reach.sharing_app.is_some() && self.count == 0 && !self.at_least
    }

    /// G002: several case owners, and can create cases with an automatic owner.
    pub fn creator_with_many_owners(&self) -> bool {
        self.reach.creator.is_some() && self.count > 1
    }
}

impl<'p> Index<'p> {
    /// The owner facts of every active user with other than exactly one case owner
    /// (the users G001–G003 may report), computed once. Users whose role, locations
    /// or memberships are not all known are left out (R001 or S003 says why).
    fn owner_problems(&self) -> Vec<OwnerCheck<'p>> {
        let at_least = !self.groups_complete();
        let locations_complete = !self.project.kind_failed(FileKind::Locations);
        let mut out = Vec::new();
        let columns = &self.user_columns;
        for i in 0..self.users.len() {
            let flags = columns.flags(i);
            if flags & UserColumns::CHECKED == 0 {
                continue;
            }
            // Their locations, or the ones below them, may be in the file that failed.
            if !locations_complete && flags & UserColumns::LOCATED != 0 {
                continue;
            }
            // The common case, one group and no location, needs nothing more.
            if flags & UserColumns::LOCATED == 0 && self.membership_count(i) == 1 {
                continue;
            }
            let user = self.users.get(i);
            if !self.in_doubt.is_empty() && self.in_doubt.contains(user.username.as_str()) {
                continue;
            }
            let Some(reach) = self.reach(user) else { continue };
            let Some(owners) = self.owners_with(user, self.memberships_at(i)) else { continue };
            let count = owners.count();
            if count != 1 {
                out.push(OwnerCheck { user, owners, count, reach, at_least });
            }
        }
        out
    }

    /// Every place that makes one of the user's case owners, with a label.
    pub fn owner_places(&self, check: &OwnerCheck<'p>) -> Vec<(Place, String)> {
        let mut places: Vec<(Place, String)> = check
            .owners
            .groups
            .iter()
            .map(|m| {
                (
                    Place::new(m.group.file, m.member.span()),
                    format!("member of case sharing group `{}`", m.group.name.value),
                )
            })
            .collect();
        for l in &check.owners.locations {
            let place = Place::new(check.user.file, l.assigned.span());
            let code = l.location.code.as_str();
            match (l.owns, l.below) {
                (false, 0) => {}
                (true, 0) => places.push((place, format!("location `{code}` owns cases"))),
                (owns, below) => places.push((
                    place,
                    format!(
                        "location `{code}`{} views {below} case-owning location{} below it",
                        if owns { " owns cases and" } else { "" },
                        if below == 1 { "" } else { "s" }
                    ),
                )),
            }
        }
        places
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::{UserColumns, Users};
    use crate::model::{Name, Sp, User};
    use crate::source::FileId;

    fn user(n: usize, role: Option<&str>, active: bool, doubt: bool, locations: usize) -> User {
        let name = |s: &str| Sp::new(Name::new(s), 0..0);
        User {
            file: FileId::new(0),
            username: name(&format!("user{n}")),
            id: None,
            role: role.map(name),
            locations: (0..locations).map(|_| name("site")).collect(),
            is_active: active,
            doubt,
        }
    }

    /// Lists of these lengths, numbered on from list to list.
    fn lists(sizes: &[usize]) -> Vec<Arc<Vec<User>>> {
        let mut n = 0;
        sizes
            .iter()
            .map(|&size| {
                let list = (n..n + size).map(|i| user(i, None, true, false, 0)).collect();
                n += size;
                Arc::new(list)
            })
            .collect()
    }

    proptest! {
        /// Whatever the lengths of the files' lists (a few long ones, many
        /// short ones, or both), a position finds the user a flat list has
        /// there, and the users come in that order; also when only some
        /// positions take part (a username defined twice).
        #[test]
        fn a_position_finds_the_user_a_flat_list_has_there(
            sizes in prop::collection::vec(prop_oneof![1usize..4, 1usize..300], 1..40),
            every in 1usize..4,
        ) {
            let lists = lists(&sizes);
            let flat: Vec<&User> = lists.iter().flat_map(|l| l.iter()).collect();
            let all = Users::new(&lists, None);
            prop_assert_eq!(all.len(), flat.len());
            for (i, u) in flat.iter().enumerate() {
                prop_assert!(std::ptr::eq(all.get(i), *u), "position {}", i);
            }
            prop_assert_eq!(all.iter().len(), flat.len());
            prop_assert!(all.iter().zip(&flat).all(|(a, b)| std::ptr::eq(a, *b)));
            prop_assert_eq!(all.iter().count(), flat.len());

            let firsts: Vec<u32> = (0..flat.len() as u32).filter(|p| (*p as usize).is_multiple_of(every)).collect();
            let some = Users::new(&lists, Some(Arc::new(firsts.clone())));
            prop_assert_eq!(some.len(), firsts.len());
            for (i, &p) in firsts.iter().enumerate() {
                prop_assert!(std::ptr::eq(some.get(i), flat[p as usize]), "position {}", i);
            }
            prop_assert_eq!(some.iter().count(), firsts.len());
            prop_assert!(some.iter().zip(&firsts).all(|(a, &p)| std::ptr::eq(a, flat[p as usize])));
        }
    }

    #[test]
    fn no_users_is_an_empty_view() {
        let users = Users::new(&[], None);
        assert_eq!(users.len(), 0);
        assert_eq!(users.iter().count(), 0);
    }

    #[test]
    fn columns_hold_what_the_rules_ask_of_each_user() {
        let list = Arc::new(vec![
            user(0, Some("chw"), true, false, 0),
            user(1, Some("chw"), false, false, 0),
            user(2, Some("supervisor"), true, true, 2),
            user(3, None, true, false, 1),
            user(4, Some("chw"), true, false, 0),
        ]);
        let lists = [list];
        let columns = UserColumns::of(&Users::new(&lists, None));
        let flags: Vec<u8> = (0..5).map(|i| columns.flags(i)).collect();
        let (c, l) = (UserColumns::CHECKED, UserColumns::LOCATED);
        assert_eq!(flags, [c, 0, l, c | l, c]);
        assert_eq!(columns.located().collect::<Vec<_>>(), [2, 3]);
        let (of_user, names) = columns.roles().expect("two roles fit");
        let named: Vec<Option<&str>> =
            of_user.iter().map(|&id| (id != 0).then(|| names[id as usize - 1].as_str())).collect();
        assert_eq!(named, [Some("chw"), Some("chw"), Some("supervisor"), None, Some("chw")]);
        assert_eq!(names.len(), 2);
    }

    /// 65,534 distinct roles fit in the column; one more and the column is not
    /// kept (the rules read the users' roles themselves).
    #[test]
    fn too_many_roles_are_not_kept() {
        let roles: Vec<String> = (0..u16::MAX as usize).map(|i| format!("role{i}")).collect();
        let users = |n: usize| Arc::new((0..n).map(|i| user(i, Some(&roles[i]), true, false, 0)).collect::<Vec<_>>());
        let fit = [users(u16::MAX as usize - 1)];
        assert!(UserColumns::of(&Users::new(&fit, None)).roles().is_some());
        let over = [users(u16::MAX as usize)];
        let columns = UserColumns::of(&Users::new(&over, None));
        assert!(columns.roles().is_none());
        assert_eq!(columns.flags(u16::MAX as usize - 1), UserColumns::CHECKED);
    }
}
