//! `caseshare diff --format json`: one document, versioned and documented in
//! `docs/diff-format.md`. Its diagnostics are the entries of `check --format
//! json` (`docs/json-format.md`), rendered by the same code.

use serde_json::{Value, json};

use super::compare::{AppChange, Change, UserChange};
use super::facts::{Owner, OwnerKind};
use super::{Diff, Origin};
use crate::report::json::diagnostic;

/// The version of the layout; it changes only when a field changes meaning or goes.
pub const VERSION: u32 = 1;

pub fn render(diff: &Diff) -> String {
    let introduced: Vec<Value> = diff.introduced().map(|d| diagnostic(&diff.head.files, d)).collect();
    let resolved: Vec<Value> = diff.resolved().map(|d| diagnostic(&diff.base.files, d)).collect();
    let changes = diff.changes.clone().unwrap_or_default();
    let group = |g: &super::compare::GroupSummary| json!({"name": g.name.as_str(), "case_sharing": g.case_sharing, "members": g.members});
    let doc = json!({
        "version": VERSION,
        "base": side(&diff.base),
        "head": side(&diff.head),
        "diagnostics": {"introduced": introduced, "resolved": resolved},
        "users": changes.users.iter().map(user).collect::<Vec<_>>(),
        "groups": {
            "added": changes.groups.added.iter().map(group).collect::<Vec<_>>(),
            "removed": changes.groups.removed.iter().map(group).collect::<Vec<_>>(),
            "case_sharing_on": names(&changes.groups.sharing_on),
            "case_sharing_off": names(&changes.groups.sharing_off),
            "access": changes.access.iter().map(|a| json!({
                "owner": owner(&a.owner),
                "users_gained": names(&a.gained),
                "users_lost": names(&a.lost),
            })).collect::<Vec<_>>(),
        },
        "apps": changes.apps.iter().map(app).collect::<Vec<_>>(),
        "case_types": {
            "sharing": changes.sharing.iter().map(|s| json!({
                "case_type": s.case_type.as_str(),
                "apps_before": names(&s.apps_before),
                "apps_after": names(&s.apps_after),
                "apps_started": s.started().iter().map(|n| n.as_str()).collect::<Vec<_>>(),
                "apps_stopped": s.stopped().iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "renamed": changes.renames.iter().map(|r| json!({
                "from": r.from.as_str(),
                "to": r.to.as_str(),
                "apps": names(&r.apps),
            })).collect::<Vec<_>>(),
        },
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

fn side(s: &super::Side) -> Value {
    let mut v = match &s.origin {
        Origin::Git { rev, commit, project } => {
            json!({"source": "git", "rev": rev, "commit": commit, "project": project})
        }
        Origin::WorkTree { project } => json!({"source": "worktree", "project": project}),
        Origin::Folder { path } => json!({"source": "folder", "path": path}),
    };
    v["loaded"] = json!(s.loaded);
    v["io_errors"] = s.io_problems.iter().map(|p| json!({"file": p.path, "message": p.message})).collect();
    v
}

/// `{"group": "Village A"}` or `{"location": "village-a"}`.
pub fn owner(o: &Owner) -> Value {
    match o.kind {
        OwnerKind::Group => json!({"group": o.name.as_str()}),
        OwnerKind::Location => json!({"location": o.name.as_str()}),
    }
}

fn user(u: &UserChange) -> Value {
    json!({
        "username": u.username.as_str(),
        "change": u.change.as_str(),
        "owners_added": u.owners_added.iter().map(owner).collect::<Vec<_>>(),
        "owners_removed": u.owners_removed.iter().map(owner).collect::<Vec<_>>(),
        "apps_added": names(&u.apps_added),
        "apps_removed": names(&u.apps_removed),
        "can_create_before": u.can_create_before,
        "can_create_after": u.can_create_after,
        "role_before": u.role_before.as_ref().map(|r| r.as_str()),
        "role_after": u.role_after.as_ref().map(|r| r.as_str()),
        "active_before": u.active_before,
        "active_after": u.active_after,
    })
}

fn app(a: &AppChange) -> Value {
    let version = |v: &Option<crate::model::Version>| v.as_ref().map(|v| v.text.clone());
    let mut v = json!({"id": a.id.as_str(), "change": a.change.as_str()});
    if a.change != Change::Added {
        v["case_sharing_before"] = json!(a.case_sharing_before);
        v["commcare_version_before"] = json!(version(&a.commcare_version_before));
    }
    if a.change != Change::Removed {
        v["case_sharing_after"] = json!(a.case_sharing_after);
        v["commcare_version_after"] = json!(version(&a.commcare_version_after));
    }
    v
}

fn names(list: &[crate::model::Name]) -> Vec<&str> {
    list.iter().map(|n| n.as_str()).collect()
}
