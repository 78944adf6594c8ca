//! G003: in a project that shares cases, a user with other than one case owner.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// When the project shares cases, reports every active user with other than
    /// exactly one case owner, including users who never create cases
    /// (supervisors, reviewers). Not repeated where G001 or G002 already reported
    /// the user (unless `caseshare.toml` turns that rule off: the user is then
    /// reported here). The project shares cases as HQ decides it
    /// (`Domain.case_sharing_included()`): when the project setting `case_sharing`
    /// is true *or* any app has `case_sharing: true`; the project setting alone
    /// changes nothing once an app shares cases.
    ///
    /// ### Why is this bad
    /// HQ's users page used to warn of it in such a project ("To use basic case
    /// sharing, a user must belong to exactly one case sharing group",
    /// `CommCareUser.cannot_share`, gated by `case_sharing_included()`). A reviewer
    /// in several groups is a deliberate exception: allow it with a reason.
    ///
    /// caseshare is stricter than HQ here: current HQ has no such warning, and a
    /// user with several case owners only fails on the phone in a form that
    /// creates a case with an automatic owner (G002), one with none in any form of
    /// a case-sharing app (G001). G003 is a warning for the rest.
    ///
    /// ### Example
    /// ```yaml
    /// # apps/supervision.yaml has case_sharing: true
    /// format_version: 2
    /// users:
    ///   - {username: grace, role: supervisor}   # in groups Village A and Village B
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// users:
    ///   # caseshare: allow G003 -- Grace reviews both villages and creates no cases
    ///   - {username: grace, role: supervisor}
    /// ```
    pub static RULE = "G003", "not-exactly-one-owner", Warning, Project, summary = "in a project that shares cases (the project setting or any app's, as HQ's `case_sharing_included()`): any active user with other than exactly one case owner";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    check_where(ix, out, |c| !c.without_owner() && !c.creator_with_many_owners());
}

/// G003 for the users G001 (`g001_off`) or G002 (`g002_off`) would report,
/// when `caseshare.toml` turns that rule off: they are not left unreported.
pub fn fallback(ix: &Index, out: &mut Vec<Diagnostic>, g001_off: bool, g002_off: bool) {
    check_where(ix, out, |c| (g001_off && c.without_owner()) || (g002_off && c.creator_with_many_owners()));
}

fn check_where(ix: &Index, out: &mut Vec<Diagnostic>, reported: impl Fn(&crate::index::OwnerCheck) -> bool) {
    if ix.sharing_included() != Some(true) {
        return;
    }
    for c in ix.owner_checks.iter() {
        if c.count == 1 || c.at_least || !reported(c) {
            continue;
        }
        let name = &c.user.username.value;
        let message = if c.count == 0 {
            format!("user `{name}` has no case owner; the project expects exactly one")
        } else {
            format!("user `{name}` has {} case owners; the project expects exactly one", c.count)
        };
        let mut d = Diagnostic::new(&RULE, Place::new(c.user.file, c.user.username.span()), message)
            .label(format!("{} case owners", c.count))
            .help("keep the user in exactly one case sharing group, or allow it for a reviewer: `# caseshare: allow G003 -- reason`");
        for (place, label) in ix.owner_places(c) {
            d = d.also(place, label);
        }
        out.push(d);
    }
}
