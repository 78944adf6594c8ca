//! G001: an active user of a case-sharing app with no case owner.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// Reports an active user who can reach an app with case sharing on (through
    /// their role, or every app when they have none) but has no case owner: no case
    /// sharing group, and no assigned location that owns cases (directly, or below
    /// a location whose type views descendants).
    ///
    /// ### Why is this bad
    /// The phone refuses every form that creates a case: "The case sharing settings
    /// for your user are incorrect. This user must be in exactly one case sharing
    /// group. Please contact your supervisor." HQ itself accepts the setup.
    ///
    /// caseshare is stricter than HQ: HQ puts its "exactly one group" assertion only
    /// into forms that create a case with an automatic owner
    /// (`suite_xml/sections/entries.py`), so a user with no case owner can still fill
    /// in follow-up forms. caseshare reports the user as soon as they can reach a
    /// case-sharing app that has a case type: they see none of its shared cases.
    /// An app of surveys only (no case type in any module or form) has none to
    /// share, and HQ asserts nothing there: its users are left to G003.
    ///
    /// ### Example
    /// ```yaml
    /// # apps/chw.yaml has case_sharing: true
    /// format_version: 2
    /// users:
    ///   - {username: david, role: chw}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// # groups/villages.yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [david]}
    /// ```
    pub static RULE = "G001", "user-without-case-owner", Error, Project, summary = "an active user who can reach an app with case sharing on has no case owner";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    for c in ix.owner_checks.iter().filter(|c| c.without_owner()) {
        let Some(app_index) = c.reach.sharing_app else { continue };
        let app = ix.apps[app_index].app;
        let mut d = Diagnostic::new(
            &RULE,
            Place::new(c.user.file, c.user.username.span()),
            format!("user `{}` can use app `{}`, which shares cases, but has no case owner", c.user.username.value, app.id.value),
        )
        .label("in no case sharing group and no case-owning location")
        .help("add the user to exactly one group with `case_sharing: true`, or assign one location whose type has `shares_cases: true`");
        if let Some(sharing) = &app.case_sharing {
            d = d.related(Place::new(app.file, sharing.span()), format!("app `{}` turns case sharing on here; on the phone: \"This user must be in exactly one case sharing group\"", app.id.value));
        }
        out.push(d);
    }
}
