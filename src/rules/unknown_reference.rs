//! R001: a reference to a name that is not defined.
use crate::diagnostic::{Diagnostic, Place, did_you_mean};
use crate::index::Index;
use crate::model::{RoleApps, Sp};
use crate::source::{FileId, FileKind};

declare_rule! {
    /// ### What it does
    /// Reports a reference to an app, role, module, user, location or location type
    /// that no file defines, with the nearest defined name. References to names of a
    /// kind whose file could not be loaded are not reported (the definition may be in
    /// that file).
    ///
    /// ### Why is this bad
    /// HQ drops unknown members and locations on upload, so the user silently ends up
    /// with no case sharing group.
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
    pub static RULE = "R001", "unknown-reference", Error, summary = "a reference to an app, role, module, user, location or location type that is not defined", check = check;
}

fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    let p = ix.project;
    let def = ix.def;
    let apps_known = !p.kind_failed(FileKind::App);
    let users_known = !p.kind_failed(FileKind::Users);
    let locations_known = !p.kind_failed(FileKind::Locations);
    let app_ids = || ix.app_by_id.keys().copied();
    let mut r = Refs { out };

    if apps_known {
        for role in &def.roles {
            if let RoleApps::List(apps) = &role.apps {
                for a in apps {
                    r.check("app", a, def.file, ix.app_by_id.contains_key(a.as_str()), app_ids(), "apps/");
                }
            }
        }
        for s in &def.shared_case_types {
            for a in &s.apps {
                r.check("app", a, def.file, ix.app_by_id.contains_key(a.as_str()), app_ids(), "apps/");
            }
        }
    }
    for t in &def.location_types {
        if let Some(parent) = &t.parent {
            let known = ix.location_types.contains_key(parent.as_str());
            r.check(
                "location type",
                parent,
                def.file,
                known,
                ix.location_types.keys().copied(),
                "project.yaml `location_types`",
            );
        }
    }
    for facts in &ix.apps {
        for m in &facts.app.modules {
            if let Some(src) = &m.source_module {
                let known = facts.modules.contains_key(src.as_str());
                r.check("module", src, facts.app.file, known, facts.modules.keys().copied(), "this app's `modules`");
            }
        }
    }
    if users_known {
        for g in &ix.groups {
            for m in &g.members {
                let known = ix.user_by_name.contains_key(m.as_str());
                r.check("user", m, g.file, known, ix.user_by_name.keys().copied(), "users/");
            }
        }
    }
    for u in &ix.users {
        if let Some(role) = &u.role {
            r.check(
                "role",
                role,
                u.file,
                ix.roles.contains_key(role.as_str()),
                ix.roles.keys().copied(),
                "project.yaml `roles`",
            );
        }
        if locations_known {
            for l in &u.locations {
                let known = ix.location_by_code.contains_key(l.as_str());
                r.check("location", l, u.file, known, ix.location_by_code.keys().copied(), "locations/");
            }
        }
    }
    for l in &ix.locations {
        let known = ix.location_types.contains_key(l.location_type.as_str());
        r.check(
            "location type",
            &l.location_type,
            l.file,
            known,
            ix.location_types.keys().copied(),
            "project.yaml `location_types`",
        );
        if let (Some(parent), true) = (&l.parent, locations_known) {
            let known = ix.location_by_code.contains_key(parent.as_str());
            r.check("location", parent, l.file, known, ix.location_by_code.keys().copied(), "locations/");
        }
    }
}

struct Refs<'o> {
    out: &'o mut Vec<Diagnostic>,
}

impl Refs<'_> {
    fn check<'a>(
        &mut self,
        what: &str,
        name: &Sp<String>,
        file: FileId,
        known: bool,
        candidates: impl Iterator<Item = &'a str>,
        defined_in: &str,
    ) {
        if known {
            return;
        }
        let d = Diagnostic::new(&RULE, Place::new(file, name.span.clone()), format!("unknown {what} `{}`", name.value))
            .label(format!("no {what} has this name"));
        let d = match did_you_mean(&name.value, candidates) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("define the {what} in {defined_in}, or fix the name")),
        };
        self.out.push(d);
    }
}
