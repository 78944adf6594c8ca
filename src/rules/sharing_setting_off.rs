//! G007: apps share cases but the project setting is off.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// Advises, once, when some app has case sharing on but the project setting
    /// `case_sharing` in `project.yaml` is off.
    ///
    /// ### Why is this bad
    /// Nothing breaks, but turning the setting on makes caseshare (like HQ's users
    /// page) check that every active user is in exactly one case sharing group
    /// (G003), which catches reviewers and supervisors set up by mistake.
    ///
    /// ### Example
    /// ```yaml
    /// # apps/chw.yaml has case_sharing: true
    /// format_version: 2
    /// domain: demo-district
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// domain: demo-district
    /// case_sharing: true
    /// ```
    pub static RULE = "G007", "sharing-setting-off", Info, Project, summary = "some app has case sharing on but the project setting is off: turning it on adds the G003 checks";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    if ix.def.case_sharing() || ix.def.case_sharing_doubt {
        return;
    }
    let Some(facts) = ix.apps.iter().find(|f| f.app.case_sharing()) else {
        return;
    };
    let def = ix.def;
    let span =
        def.case_sharing.as_ref().map(|c| c.span()).or_else(|| def.domain.as_ref().map(|d| d.span())).unwrap_or(0..0);
    let mut d = Diagnostic::new(
        &RULE,
        Place::new(def.file, span),
        "apps share cases, but the project setting `case_sharing` is off",
    )
    .label("project setting off")
    .help("set `case_sharing: true` in project.yaml to check that every user has exactly one case owner");
    if let Some(c) = &facts.app.case_sharing {
        d = d.also(Place::new(facts.app.file, c.span()), format!("app `{}` shares cases", facts.app.id.value));
    }
    out.push(d);
}
