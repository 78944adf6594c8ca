//! `caseshare diff --format json`: one document, versioned and documented in
//! `docs/diff-format.md`. Its diagnostics are the entries of `check --format
//! json` (`docs/json-format.md`), rendered by the same code.

use std::io::Write;

use serde_json::{Value, json};

use super::compare::{AppChange, Change, Changes, GroupSummary, UserChange};
use super::facts::{Owner, OwnerKind};
use super::{Diff, Origin};
use crate::report::json::diagnostic;

/// The version of the layout; it changes only when a field changes meaning or goes.
pub const VERSION: u32 = 1;

/// The document as text.
pub fn render(diff: &Diff) -> String {
    let mut out = Vec::new();
    let _ = write(diff, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes the document as it goes: the outline indented, each entry of a list on
/// one line. A change that touches half a million users is one entry per user, not
/// one tree of values in memory.
pub fn write(diff: &Diff, out: &mut impl Write) -> std::io::Result<()> {
    let none = Changes::default();
    let changes = diff.changes.as_ref().unwrap_or(&none);
    let group =
        |g: &GroupSummary| json!({"name": g.name.as_str(), "case_sharing": g.case_sharing, "members": g.members});
    let g = &changes.groups;
    writeln!(out, "{{\n  \"version\": {VERSION},")?;
    writeln!(out, "  \"base\": {},", side(&diff.base))?;
    writeln!(out, "  \"head\": {},", side(&diff.head))?;
    writeln!(out, "  \"diagnostics\": {{")?;
    list(out, 4, "introduced", diff.introduced().map(|d| diagnostic(&diff.head.files, d)), ",")?;
    list(out, 4, "resolved", diff.resolved().map(|d| diagnostic(&diff.base.files, d)), "")?;
    writeln!(out, "  }},")?;
    list(out, 2, "users", changes.users.iter().map(user), ",")?;
    writeln!(out, "  \"groups\": {{")?;
    list(out, 4, "added", g.added.iter().map(group), ",")?;
    list(out, 4, "removed", g.removed.iter().map(group), ",")?;
    list(out, 4, "case_sharing_on", g.sharing_on.iter().map(|n| json!(n.as_str())), ",")?;
    list(out, 4, "case_sharing_off", g.sharing_off.iter().map(|n| json!(n.as_str())), ",")?;
    let access = changes
        .access
        .iter()
        .map(|a| json!({"owner": owner(&a.owner), "users_gained": names(&a.gained), "users_lost": names(&a.lost)}));
    list(out, 4, "access", access, "")?;
    writeln!(out, "  }},")?;
    list(out, 2, "apps", changes.apps.iter().map(app), ",")?;
    writeln!(out, "  \"case_types\": {{")?;
    let sharing = changes.sharing.iter().map(|s| {
        json!({
            "case_type": s.case_type.as_str(),
            "apps_before": names(&s.apps_before),
            "apps_after": names(&s.apps_after),
            "apps_started": s.started().iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            "apps_stopped": s.stopped().iter().map(|n| n.as_str()).collect::<Vec<_>>(),
        })
    });
    list(out, 4, "sharing", sharing, ",")?;
    let renamed =
        changes.renames.iter().map(|r| json!({"from": r.from.as_str(), "to": r.to.as_str(), "apps": names(&r.apps)}));
    list(out, 4, "renamed", renamed, "")?;
    writeln!(out, "  }}\n}}")?;
    Ok(())
}

/// `"key": [` then one entry per line, `]` and `after` (a comma or nothing).
fn list(
    out: &mut impl Write,
    indent: usize,
    key: &str,
    items: impl Iterator<Item = Value>,
    after: &str,
) -> std::io::Result<()> {
    let pad = " ".repeat(indent);
    write!(out, "{pad}\"{key}\": [")?;
    let mut empty = true;
    for item in items {
        write!(out, "{}\n{pad}  {item}", if empty { "" } else { "," })?;
        empty = false;
    }
    if empty { writeln!(out, "]{after}") } else { writeln!(out, "\n{pad}]{after}") }
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
    v["unread"] = json!(s.unread);
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
