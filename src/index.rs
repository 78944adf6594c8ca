//! The cross-file index, built once per check: first definitions by name (D001 for
//! the rest), memberships by user, the location tree with its case-owning counts,
//! what each app uses and creates, and what each role reaches. Every rule reads it;
//! nothing in it scans all groups or all users per user.

use std::collections::{HashMap, HashSet};

use crate::Project;
use crate::diagnostic::{Diagnostic, Place, did_you_mean};
use crate::model::{
    App, Form, Group, Location, LocationType, Module, ModuleKind, Opens, Owner, ProjectDef, Relationship, Role,
    RoleApps, Sp, User,
};
use crate::rules::duplicate_definition;
use crate::source::{FileId, FileKind, Span};

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
}

impl Creation<'_> {
    /// Whether HQ assigns the owner on the phone, which needs exactly one case owner.
    pub fn auto_owner(&self) -> bool {
        self.opens.owner == Owner::Auto && self.relationship != Relationship::Extension
    }
}

/// What the index knows of one app.
#[derive(Debug)]
pub struct AppFacts<'p> {
    pub app: &'p App,
    /// Modules by id (first definitions).
    pub modules: HashMap<&'p str, &'p Module>,
    /// Every use of a case type, in file order.
    pub uses: Vec<CaseUse<'p>>,
    /// The first use of each case type.
    pub first_use: HashMap<&'p str, usize>,
    pub creations: Vec<Creation<'p>>,
}

impl<'p> AppFacts<'p> {
    /// The first creation with an automatic owner, if case sharing is on.
    pub fn auto_creator(&self) -> Option<&Creation<'p>> {
        if !self.app.case_sharing() {
            return None;
        }
        self.creations.iter().find(|c| c.auto_owner())
    }

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
    /// Index into `Index::apps` of a reachable app with case sharing on.
    pub sharing_app: Option<usize>,
    /// A reachable app (index) whose form creates cases with an automatic owner, and the creation's index.
    pub creator: Option<(usize, usize)>,
}

/// A user's membership of a case-sharing group.
#[derive(Debug, Clone)]
pub struct Membership<'p> {
    pub group: &'p Group,
    /// The username in the group's `members`.
    pub member: &'p Sp<String>,
}

/// A case owner that comes from an assigned location.
#[derive(Debug, Clone)]
pub struct LocationOwner<'p> {
    /// The location code in the user's `locations`.
    pub assigned: &'p Sp<String>,
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
    pub app_by_id: HashMap<&'p str, usize>,
    pub groups: Vec<&'p Group>,
    pub group_by_name: HashMap<&'p str, &'p Group>,
    pub users: Vec<&'p User>,
    pub user_by_name: HashMap<&'p str, &'p User>,
    pub locations: Vec<&'p Location>,
    pub location_by_code: HashMap<&'p str, &'p Location>,
    pub location_types: HashMap<&'p str, &'p LocationType>,
    pub roles: HashMap<&'p str, &'p Role>,
    /// Case-sharing group memberships by username (a user listed twice in a group counts once).
    pub memberships: HashMap<&'p str, Vec<Membership<'p>>>,
    /// Case-owning locations strictly below each location.
    pub owning_below: HashMap<&'p str, usize>,
    /// Users whose case sharing memberships are in doubt: the likely intended name
    /// of an unknown member, or a scalar in a misshapen `members`. Owner rules skip
    /// them rather than repeat the R001 or S003 as a G001.
    pub in_doubt: HashSet<&'p str>,
    reach_all: Reach,
    reach_by_role: HashMap<&'p str, Reach>,
    /// Active users with other than exactly one case owner, in file order.
    pub owner_checks: Vec<OwnerCheck<'p>>,
}

impl<'p> Index<'p> {
    /// Builds the index and reports duplicate definitions (D001).
    ///
    /// # Panics
    /// Never: callers build it only when `project.def` is present, and it returns
    /// early otherwise.
    pub fn build(project: &'p Project, out: &mut Vec<Diagnostic>) -> Index<'p> {
        let def = project.def.as_ref().expect("index needs project.yaml");
        let files = &project.files;
        let mut dups = Dups { out, files };

        let mut apps = Vec::new();
        let mut app_by_id = HashMap::new();
        let mut seen = HashMap::new();
        for app in &project.apps {
            if dups.first(&mut seen, &app.id, app.file, "app id") {
                app_by_id.insert(app.id.as_str(), apps.len());
                apps.push(app_facts(app, &mut dups));
            }
        }
        let (groups, group_by_name) = dups.firsts(project.groups.iter().map(|g| (g, &g.name, g.file)), "group name");
        let (users, user_by_name) = dups.firsts(project.users.iter().map(|u| (u, &u.username, u.file)), "username");
        let (locations, location_by_code) =
            dups.firsts(project.locations.iter().map(|l| (l, &l.code, l.file)), "location code");
        let (_, location_types) =
            dups.firsts(def.location_types.iter().map(|t| (t, &t.name, def.file)), "location type");
        let roles = def.roles.iter().map(|r| (r.name.as_str(), r)).collect();

        let mut memberships: HashMap<&str, Vec<Membership>> = HashMap::new();
        for g in groups.iter().filter(|g| g.case_sharing()) {
            for m in &g.members {
                let list = memberships.entry(m.as_str()).or_default();
                // G006 reports the repeat; it is one membership.
                if !list.last().is_some_and(|l| std::ptr::eq(l.group, *g)) {
                    list.push(Membership { group: g, member: m });
                }
            }
        }

        let owning_below = owning_below(&locations, &location_by_code, &location_types);
        let mut in_doubt: HashSet<&str> = HashSet::new();
        for g in groups.iter().filter(|g| g.case_sharing() || g.case_sharing_doubt) {
            if let Some(names) = &g.members_doubt {
                in_doubt.extend(names.iter().filter_map(|n| user_by_name.get_key_value(n.as_str()).map(|(k, _)| *k)));
            }
            for m in g.members.iter().filter(|m| !user_by_name.contains_key(m.as_str())) {
                in_doubt.extend(did_you_mean(&m.value, user_by_name.keys().copied()));
            }
        }
        let mut index = Index {
            project,
            def,
            apps,
            app_by_id,
            groups,
            group_by_name,
            users,
            user_by_name,
            locations,
            location_by_code,
            location_types,
            roles,
            memberships,
            owning_below,
            in_doubt,
            reach_all: Reach::default(),
            reach_by_role: HashMap::new(),
            owner_checks: Vec::new(),
        };
        index.reach_all = index.reach_of(None);
        index.reach_by_role = def.roles.iter().map(|r| (r.name.as_str(), index.reach_of(Some(&r.apps)))).collect();
        index.owner_checks = index.owner_problems();
        index
    }

    fn reach_of(&self, apps: Option<&RoleApps>) -> Reach {
        let list: Vec<usize> = match apps {
            None | Some(RoleApps::All) => (0..self.apps.len()).collect(),
            Some(RoleApps::List(ids)) => ids.iter().filter_map(|id| self.app_by_id.get(id.as_str()).copied()).collect(),
        };
        let mut reach = Reach::default();
        for i in list {
            let facts = &self.apps[i];
            if facts.app.case_sharing() && reach.sharing_app.is_none() {
                reach.sharing_app = Some(i);
            }
            if reach.creator.is_none() && facts.app.case_sharing() {
                reach.creator = facts.creations.iter().position(|c| c.auto_owner()).map(|c| (i, c));
            }
        }
        reach
    }

    /// What the user's role reaches; `None` when the role is not defined (R001).
    pub fn reach(&self, user: &User) -> Option<Reach> {
        match &user.role {
            None => Some(self.reach_all),
            Some(role) => self.reach_by_role.get(role.as_str()).copied(),
        }
    }

    /// Whether owner counts can be trusted: every file that defines groups,
    /// users or locations was loaded.
    pub fn owners_known(&self) -> bool {
        ![FileKind::Groups, FileKind::Locations, FileKind::Users].iter().any(|k| self.project.kind_failed(*k))
    }

    /// The user's case owners; `None` when one of their locations is not defined (R001).
    pub fn owners(&self, user: &'p User) -> Option<Owners<'p>> {
        let groups = self.memberships.get(user.username.as_str()).cloned().unwrap_or_default();
        let mut assigned = Vec::with_capacity(user.locations.len());
        for (i, code) in user.locations.iter().enumerate() {
            let loc = *self.location_by_code.get(code.as_str())?;
            // HQ keeps a set of assigned locations: a repeat is one assignment.
            if user.locations[..i].iter().any(|c| c.value == code.value) {
                continue;
            }
            let ty = self.location_types.get(loc.location_type.as_str());
            assigned.push((code, loc, ty.is_some_and(|t| t.shares_cases), ty.is_some_and(|t| t.view_descendants)));
        }
        let viewing: Vec<&str> = assigned.iter().filter(|a| a.3).map(|a| a.1.code.as_str()).collect();
        let locations = assigned
            .iter()
            .map(|&(code, loc, owns, views)| {
                // Descendants are one set in HQ: a viewing location below another
                // viewing location adds nothing.
                let below = if views && !self.has_ancestor_in(loc, &viewing) {
                    self.owning_below.get(loc.code.as_str()).copied().unwrap_or(0)
                } else {
                    0
                };
                LocationOwner { assigned: code, location: loc, owns, below }
            })
            .collect();
        Some(Owners { groups, locations })
    }

    fn has_ancestor_in(&self, loc: &Location, codes: &[&str]) -> bool {
        let mut cur = loc;
        for _ in 0..self.locations.len() {
            let Some(parent) = cur.parent.as_ref().and_then(|p| self.location_by_code.get(p.as_str())) else {
                return false;
            };
            if codes.contains(&parent.code.as_str()) {
                return true;
            }
            cur = parent;
        }
        false
    }

    pub fn file_text(&self, file: FileId) -> &'p str {
        &self.project.files[file].text
    }
}

/// Counts, for every location, the case-owning locations strictly below it, in one
/// pass over the tree (locations in a parent cycle count nothing).
fn owning_below<'p>(
    locations: &[&'p Location],
    by_code: &HashMap<&'p str, &'p Location>,
    types: &HashMap<&'p str, &'p LocationType>,
) -> HashMap<&'p str, usize> {
    let mut children: HashMap<&str, Vec<&Location>> = HashMap::new();
    let mut order: Vec<&Location> = Vec::with_capacity(locations.len());
    for l in locations {
        match l.parent.as_ref().filter(|p| by_code.contains_key(p.as_str())) {
            Some(p) => children.entry(p.as_str()).or_default().push(l),
            None => order.push(l),
        }
    }
    let mut i = 0;
    while i < order.len() {
        if let Some(kids) = children.get(order[i].code.as_str()) {
            order.extend(kids.iter().copied());
        }
        i += 1;
    }
    let shares = |l: &Location| types.get(l.location_type.as_str()).is_some_and(|t| t.shares_cases);
    let mut below: HashMap<&str, usize> = HashMap::with_capacity(order.len());
    for l in order.iter().rev() {
        let n = children.get(l.code.as_str()).map_or(0, |kids| {
            kids.iter().map(|k| usize::from(shares(k)) + below.get(k.code.as_str()).copied().unwrap_or(0)).sum()
        });
        below.insert(l.code.as_str(), n);
    }
    below
}

fn app_facts<'p>(app: &'p App, dups: &mut Dups<'_>) -> AppFacts<'p> {
    let (_, modules) = dups.firsts(app.modules.iter().map(|m| (m, &m.id, app.file)), "module id in this app");
    dups.firsts(app.modules.iter().flat_map(|m| &m.forms).map(|f| (f, &f.id, app.file)), "form id in this app");
    let mut facts = AppFacts { app, modules, uses: Vec::new(), first_use: HashMap::new(), creations: Vec::new() };
    for m in &app.modules {
        let module_type = facts.module_case_type(m);
        if let Some(ct) = &m.case_type {
            facts.uses.push(CaseUse {
                case_type: ct.as_str(),
                file: app.file,
                span: ct.span.clone(),
                kind: UseKind::Module,
            });
        }
        for f in &m.forms {
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
                    let span = o.case_type.as_ref().map_or(o.span.clone(), |c| c.span.clone());
                    facts.uses.push(CaseUse { case_type: ct, file: app.file, span, kind: UseKind::Opens });
                }
                facts.creations.push(Creation {
                    module: m,
                    form: f,
                    opens: o,
                    case_type,
                    module_case_type: module_type,
                    relationship,
                });
            }
            for u in &f.updates {
                facts.uses.push(CaseUse {
                    case_type: u.as_str(),
                    file: app.file,
                    span: u.span.clone(),
                    kind: UseKind::Updates,
                });
            }
        }
    }
    for (i, u) in facts.uses.iter().enumerate() {
        facts.first_use.entry(u.case_type).or_insert(i);
    }
    facts
}

/// Keeps first definitions and reports the others (D001).
struct Dups<'a> {
    out: &'a mut Vec<Diagnostic>,
    files: &'a [crate::source::SourceFile],
}

impl Dups<'_> {
    /// Records `name` unless taken; reports D001 and returns false when taken.
    fn first<'p>(
        &mut self,
        seen: &mut HashMap<&'p str, (FileId, Span)>,
        name: &'p Sp<String>,
        file: FileId,
        what: &str,
    ) -> bool {
        if let Some((first_file, first_span)) = seen.get(name.as_str()) {
            let d = Diagnostic::new(
                &duplicate_definition::RULE,
                Place::new(file, name.span.clone()),
                format!("{what} `{}` is defined twice", name.value),
            )
            .label("defined again here")
            .related(
                Place::new(*first_file, first_span.clone()),
                format!("first defined here, in {}", self.files[*first_file].display),
            )
            .help("rename or remove one of the two; only the first takes part in the other checks");
            self.out.push(d);
            false
        } else {
            seen.insert(name.as_str(), (file, name.span.clone()));
            true
        }
    }

    /// The first definition of each name, in order, and a map by name.
    fn firsts<'p, T: 'p>(
        &mut self,
        items: impl Iterator<Item = (&'p T, &'p Sp<String>, FileId)>,
        what: &str,
    ) -> (Vec<&'p T>, HashMap<&'p str, &'p T>) {
        let mut seen = HashMap::new();
        let mut list = Vec::new();
        let mut by_name = HashMap::new();
        for (item, name, file) in items {
            if self.first(&mut seen, name, file, what) {
                list.push(item);
                by_name.insert(name.as_str(), item);
            }
        }
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
}

impl OwnerCheck<'_> {
    /// G001: reaches an app with case sharing on, and has no case owner.
    pub fn without_owner(&self) -> bool {
        self.reach.sharing_app.is_some() && self.count == 0
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
        if !self.owners_known() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for &user in &self.users {
            let name = user.username.as_str();
            if !user.is_active || user.doubt || self.in_doubt.contains(name) {
                continue;
            }
            // The common case, one group and no location, needs nothing more.
            if user.locations.is_empty() && self.memberships.get(name).is_some_and(|m| m.len() == 1) {
                continue;
            }
            let (Some(reach), Some(owners)) = (self.reach(user), self.owners(user)) else { continue };
            let count = owners.count();
            if count != 1 {
                out.push(OwnerCheck { user, owners, count, reach });
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
                    Place::new(m.group.file, m.member.span.clone()),
                    format!("member of case sharing group `{}`", m.group.name.value),
                )
            })
            .collect();
        for l in &check.owners.locations {
            let place = Place::new(check.user.file, l.assigned.span.clone());
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
