//! R001: a reference to a name that is not defined.
use std::cell::OnceCell;

use crate::diagnostic::{Diagnostic, Place, did_you_mean};
use crate::hash::Map;
use crate::index::Index;
use crate::model::{Name, RoleApps, Sp, User};
use crate::near;
use crate::source::{FileId, FileKind};

declare_rule! {
    /// ### What it does
    /// Reports a reference to an app, role, module, user, location or location type
    /// that no file defines, with the nearest defined name. References to names of a
    /// kind whose file could not be loaded are not reported (the definition may be in
    /// that file).
    ///
    /// ### Why is this bad
    /// The definition the name stands for is not there: a member who is no user
    /// has no row in the workbook `caseshare export hq-users` writes, so the
    /// membership is lost, and HQ refuses a row with an unknown location code
    /// ("Could not find organization with site code") or group ("Group '…' does
    /// not exist"). caseshare reports it before any upload.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [davd]}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [david]}
    /// ```
    pub static RULE = "R001", "unknown-reference", Error, Project, summary = "a reference to an app, role, module, user, location or location type that is not defined";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    let p = ix.project;
    let def = ix.def;
    let apps_known = !p.kind_failed(FileKind::App);
    let users_known = !p.kind_failed(FileKind::Users);
    let locations_known = !p.kind_failed(FileKind::Locations);
    let app_ids = || ix.app_by_id.keys().copied();
    let type_names = || ix.location_types.keys().copied();
    // Location codes may be many: the first unknown one has every unknown
    // code (of users and of parents) looked up at once, in one pass over the codes.
    let unknown_codes = || {
        let of_users = ix.user_columns.located().flat_map(|i| ix.users.get(i).locations.iter());
        let parents = ix.locations.iter().filter_map(|l| l.parent.as_ref());
        of_users.chain(parents).map(|c| c.as_str()).filter(|c| ix.location(c).is_none())
    };
    let location_guesses: OnceCell<Map<&str, Option<&str>>> = OnceCell::new();
    let location_guess = |code: &str| {
        let guesses = location_guesses.get_or_init(|| {
            let mut codes: Vec<&str> = unknown_codes().collect();
            codes.sort_unstable();
            codes.dedup();
            let found = near::nearest_each(ix.locations.iter().map(|l| l.code.as_str()), &codes);
            codes.into_iter().zip(found).collect()
        });
        guesses.get(code).copied().flatten()
    };
    let mut r = Refs { out };

    if apps_known {
        let role_apps = def.roles.iter().filter_map(|role| match &role.apps {
            RoleApps::List(apps) => Some(apps),
            _ => None,
        });
        for a in role_apps.flatten().chain(def.shared_case_types.iter().flat_map(|s| &s.apps)) {
            if !ix.app_by_id.contains_key(a.as_str()) {
                r.report("app", a, def.file, did_you_mean(&a.value, app_ids()), "apps/");
            }
        }
    }
    for parent in def.location_types.iter().filter_map(|t| t.parent.as_ref()) {
        if !ix.location_types.contains_key(parent.as_str()) {
            let guess = did_you_mean(&parent.value, type_names());
            r.report("location type", parent, def.file, guess, "project.yaml `location_types`");
        }
    }
    for facts in &ix.apps {
        for src in facts.modules_in_order.iter().filter_map(|m| m.source_module.as_ref()) {
            if !facts.modules.contains_key(src.as_str()) {
                let guess = did_you_mean(&src.value, facts.modules.keys().copied());
                r.report("module", src, facts.app.file, guess, "this app's `modules`");
            }
        }
    }
    if users_known {
        for (i, g) in ix.groups.iter().enumerate() {
            for m in ix.unknown_members(i) {
                let guess = ix.member_guess.get(m.as_str()).copied().flatten();
                r.report("user", m, g.file, guess, "users/");
            }
        }
    }
    // Each role the users give is looked up once; only the users of a role
    // that is not defined are read (the users' roles as kept in a column).
    let unknown_role = |u: &User, r: &mut Refs| {
        if let Some(role) = u.role.as_ref().filter(|r| !ix.roles.contains_key(r.as_str())) {
            r.report("role", role, u.file, did_you_mean(&role.value, ix.roles.keys().copied()), "project.yaml `roles`");
        }
    };
    match ix.user_columns.roles() {
        Some((of_user, names)) => {
            let unknown: Vec<bool> = names.iter().map(|n| !ix.roles.contains_key(n.as_str())).collect();
            if unknown.iter().any(|u| *u) {
                for (i, &id) in of_user.iter().enumerate() {
                    if id != 0 && unknown[id as usize - 1] {
                        unknown_role(ix.users.get(i), &mut r);
                    }
                }
            }
        }
        None => ix.users.iter().for_each(|u| unknown_role(u, &mut r)),
    }
    if locations_known {
        for u in ix.user_columns.located().map(|i| ix.users.get(i)) {
            for l in u.locations.iter().filter(|l| ix.location(l.as_str()).is_none()) {
                r.report("location", l, u.file, location_guess(l.as_str()), "locations/");
            }
        }
    }
    for l in &ix.locations {
        if let Some(t) = l.location_type.as_ref().filter(|t| !ix.location_types.contains_key(t.as_str())) {
            r.report("location type", t, l.file, did_you_mean(&t.value, type_names()), "project.yaml `location_types`");
        }
        let unknown_parent = l.parent.as_ref().filter(|p| locations_known && ix.location(p.as_str()).is_none());
        if let Some(parent) = unknown_parent {
            r.report("location", parent, l.file, location_guess(parent.as_str()), "locations/");
        }
    }
}

struct Refs<'o> {
    out: &'o mut Vec<Diagnostic>,
}

impl Refs<'_> {
    fn report(&mut self, what: &str, name: &Sp<Name>, file: FileId, guess: Option<&str>, defined_in: &str) {
        let d = Diagnostic::new(&RULE, Place::new(file, name.span()), format!("unknown {what} `{}`", name.value))
            .label(format!("no {what} has this name"));
        let d = match guess {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("define the {what} in {defined_in}, or fix the name")),
        };
        self.out.push(d);
    }
}
