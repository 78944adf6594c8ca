//! `caseshare diff` for a terminal, in the manner of `terraform plan`: `+` added
//! or gained, `-` removed or lost, `~` changed, then a summary line.

use std::fmt::Write;

use super::compare::{AppChange, Change, UserChange};
use super::facts::Owner;
use super::{Diff, count, describe, plural, yes_no};
use crate::diagnostic::Severity;
use crate::model::Name;
use crate::report::{concise, printable};

struct Paint {
    color: bool,
}

impl Paint {
    fn mark(&self, mark: char) -> String {
        let code = match mark {
            '+' => "32",
            '-' => "31",
            _ => "33",
        };
        if self.color { format!("\x1b[{code}m{mark}\x1b[0m") } else { mark.to_string() }
    }

    fn heading(&self, text: &str) -> String {
        if self.color { format!("\x1b[1m{text}\x1b[0m") } else { text.to_string() }
    }
}

/// The report; `color` only on a terminal (never with NO_COLOR).
pub fn render(diff: &Diff, color: bool) -> String {
    let p = Paint { color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "caseshare diff: {} → {}{}",
        printable(&describe(&diff.base.origin)),
        printable(&describe(&diff.head.origin)),
        printable(&project(diff))
    );
    for (side, name) in [(&diff.base, "base"), (&diff.head, "head")] {
        if !side.loaded {
            let _ = writeln!(
                out,
                "note: the project at the {name} cannot be read as a whole (see its diagnostics): only diagnostics are compared"
            );
        }
        if !side.unread.is_empty() {
            let _ = writeln!(out, "note: {}", printable(&super::unread_note(name, &side.unread, tick)));
        }
    }
    section(&mut out, &p, "Diagnostics introduced", diff.introduced.len(), |out| {
        for d in diff.introduced() {
            let _ = writeln!(out, "  {} {}", p.mark('+'), concise::line(&diff.head.files, d));
        }
    });
    section(&mut out, &p, "Diagnostics resolved", diff.resolved.len(), |out| {
        for d in diff.resolved() {
            let _ = writeln!(out, "  {} {}", p.mark('-'), concise::line(&diff.base.files, d));
        }
    });
    let Some(c) = &diff.changes else {
        out.push('\n');
        out.push_str(&summary(diff));
        out.push('\n');
        return out;
    };
    section(&mut out, &p, "Users", c.users.len(), |out| {
        for u in &c.users {
            user(out, &p, u);
        }
    });
    section(&mut out, &p, "Case access", c.access.len(), |out| {
        for a in &c.access {
            let _ = write!(out, "  {} {}:", p.mark('~'), owner(&a.owner));
            if !a.gained.is_empty() {
                let _ = write!(
                    out,
                    " {} {} access to its cases ({})",
                    count(a.gained.len(), "user"),
                    gain_verb(a.gained.len()),
                    names(&a.gained)
                );
            }
            if !a.lost.is_empty() {
                let sep = if a.gained.is_empty() { "" } else { ";" };
                let _ = write!(
                    out,
                    "{sep} {} {} access ({})",
                    count(a.lost.len(), "user"),
                    lose_verb(a.lost.len()),
                    names(&a.lost)
                );
            }
            out.push('\n');
        }
    });
    let g = &c.groups;
    let groups = g.added.len() + g.removed.len() + g.sharing_on.len() + g.sharing_off.len();
    section(&mut out, &p, "Groups", groups, |out| {
        for x in &g.added {
            let sharing = if x.case_sharing { "case sharing on" } else { "case sharing off" };
            let _ =
                writeln!(out, "  {} group {} ({sharing}, {})", p.mark('+'), tick(&x.name), count(x.members, "member"));
        }
        for x in &g.removed {
            let _ = writeln!(out, "  {} group {}", p.mark('-'), tick(&x.name));
        }
        for n in &g.sharing_on {
            let _ = writeln!(out, "  {} group {}: case sharing turned on", p.mark('~'), tick(n));
        }
        for n in &g.sharing_off {
            let _ = writeln!(out, "  {} group {}: case sharing turned off", p.mark('~'), tick(n));
        }
    });
    section(&mut out, &p, "Apps", c.apps.len(), |out| {
        for a in &c.apps {
            let _ = writeln!(out, "  {} {}", p.mark(mark(a.change)), app(a));
        }
    });
    section(&mut out, &p, "Case types", c.sharing.len() + c.renames.len(), |out| {
        for s in &c.sharing {
            let _ = writeln!(out, "  {} {}", p.mark('~'), s.text(&|n| tick(n)));
        }
        for r in &c.renames {
            let _ = writeln!(
                out,
                "  {} case type {} renamed to {} in {} {}",
                p.mark('~'),
                tick(&r.from),
                tick(&r.to),
                if r.apps.len() == 1 { "app" } else { "apps" },
                names(&r.apps)
            );
        }
    });
    out.push('\n');
    out.push_str(&summary(diff));
    out.push('\n');
    out
}

fn project(diff: &Diff) -> String {
    match &diff.head.origin {
        super::Origin::Git { project, .. } | super::Origin::WorkTree { project } if project != "." => {
            format!(" (project `{project}`)")
        }
        _ => String::new(),
    }
}

fn section(out: &mut String, p: &Paint, title: &str, n: usize, body: impl FnOnce(&mut String)) {
    if n == 0 {
        return;
    }
    let _ = writeln!(out, "\n{}", p.heading(&format!("{title} ({n}):")));
    body(out);
}

fn mark(c: Change) -> char {
    match c {
        Change::Added => '+',
        Change::Removed => '-',
        Change::Changed => '~',
    }
}

fn gain_verb(n: usize) -> &'static str {
    if n == 1 { "gains" } else { "gain" }
}

fn lose_verb(n: usize) -> &'static str {
    if n == 1 { "loses" } else { "lose" }
}

fn user(out: &mut String, p: &Paint, u: &UserChange) {
    let _ = writeln!(
        out,
        "  {} user {}{}",
        p.mark(mark(u.change)),
        tick(&u.username),
        match u.change {
            Change::Added => " (new)",
            Change::Removed => " (removed)",
            Change::Changed => "",
        }
    );
    for o in &u.owners_added {
        let _ = writeln!(out, "      {} case owner {}", p.mark('+'), owner(o));
    }
    for o in &u.owners_removed {
        let _ = writeln!(out, "      {} case owner {}", p.mark('-'), owner(o));
    }
    if !u.apps_added.is_empty() {
        let _ = writeln!(out, "      {} {}: {}", p.mark('+'), count(u.apps_added.len(), "app"), names(&u.apps_added));
    }
    if !u.apps_removed.is_empty() {
        let _ =
            writeln!(out, "      {} {}: {}", p.mark('-'), count(u.apps_removed.len(), "app"), names(&u.apps_removed));
    }
    if u.change == Change::Changed && u.role_before != u.role_after {
        let _ = writeln!(out, "      {} role {} → {}", p.mark('~'), role(&u.role_before), role(&u.role_after));
    }
    if u.change == Change::Added && u.role_after.is_some() {
        let _ = writeln!(out, "      role {}", role(&u.role_after));
    }
    if u.can_create_before != u.can_create_after {
        let _ = writeln!(
            out,
            "      {} can create cases with an automatic owner: {} → {}",
            p.mark('~'),
            yes_no(u.can_create_before),
            yes_no(u.can_create_after)
        );
    }
    if u.change == Change::Changed && u.active_before != u.active_after {
        let (b, a) = if u.active_after { ("inactive", "active") } else { ("active", "inactive") };
        let _ = writeln!(out, "      {} {b} → {a}", p.mark('~'));
    }
}

fn app(a: &AppChange) -> String {
    let version = |v: &Option<crate::model::Version>| v.as_ref().map_or_else(|| "none".into(), |v| format!("`{v}`"));
    let on = |b: bool| if b { "on" } else { "off" };
    match a.change {
        Change::Added => format!(
            "app {} (case sharing {}, CommCare {})",
            tick(&a.id),
            on(a.case_sharing_after),
            version(&a.commcare_version_after)
        ),
        Change::Removed => format!("app {}", tick(&a.id)),
        Change::Changed => format!("app {}: {}", tick(&a.id), a.changes(version).join(", ")),
    }
}

/// The last line: what the change introduces and resolves, and what it changes.
pub fn summary(diff: &Diff) -> String {
    let by = |sev: Severity| diff.introduced().filter(|d| d.severity == sev).count();
    let mut introduced =
        vec![plural(by(Severity::Error), "error", "errors"), plural(by(Severity::Warning), "warning", "warnings")];
    if by(Severity::Info) > 0 {
        introduced.push(plural(by(Severity::Info), "info", "infos"));
    }
    let mut text = format!(
        "{} introduced, {} resolved",
        introduced.join(", "),
        plural(diff.resolved.len(), "diagnostic", "diagnostics")
    );
    match &diff.changes {
        Some(c) if !c.is_empty() => {
            let g = &c.groups;
            let parts = [
                (c.users.len(), "user", "users"),
                (c.access.len(), "case owner's access", "case owners' access"),
                (g.added.len() + g.removed.len() + g.sharing_on.len() + g.sharing_off.len(), "group", "groups"),
                (c.apps.len(), "app", "apps"),
                (c.sharing.len() + c.renames.len(), "case type", "case types"),
            ];
            let changed: Vec<String> =
                parts.iter().filter(|(n, _, _)| *n > 0).map(|(n, one, many)| plural(*n, one, many)).collect();
            let _ = write!(text, "; changed: {}", changed.join(", "));
        }
        Some(_) if diff.base.unread.is_empty() && diff.head.unread.is_empty() => {
            text.push_str("; no change to case sharing")
        }
        Some(_) => text.push_str("; no change to case sharing in what both sides read"),
        None => {}
    }
    text
}

/// A name in backticks, as a terminal can show it ([`printable`]).
fn tick(s: &str) -> String {
    format!("`{}`", printable(s))
}

fn names(list: &[Name]) -> String {
    super::names(list, tick)
}

fn role(r: &Option<Name>) -> String {
    super::role(r, tick)
}

/// `` group `Village A` `` or `` location `village-a` ``.
pub fn owner(o: &Owner) -> String {
    super::owner(o, tick)
}
