//! G007: apps share cases but the project setting is off.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// Advises, once, when some app has case sharing on but the project setting
    /// `case_sharing` in `project.yaml` is off.
    ///
    /// ### Why is this bad
    /// The setting says the project does not share cases, but it does: HQ decides
    /// with `Domain.case_sharing_included()`, the project setting *or* any app's,
    /// so once an app shares cases the project setting changes nothing, in HQ
    /// (its users and groups pages warn all the same) or in caseshare (G003 checks
    /// every user all the same). Only the file is misleading.
    ///
    /// caseshare adds this advice; HQ has no such check (its project setting
    /// survives only in old settings pages).
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
    pub static RULE = "G007", "sharing-setting-off", Info, Project, summary = "some app has case sharing on but the project setting is off, which changes nothing once an app shares cases";
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
        format!(
            "the project setting `case_sharing` is off, but app `{}` shares cases, so HQ takes the project as sharing cases",
            facts.app.id.value
        ),
    )
    .label("changes nothing while an app shares cases")
    .help("set `case_sharing: true` in project.yaml, so that it says what HQ does");
    if let Some(c) = &facts.app.case_sharing {
        d = d.also(Place::new(facts.app.file, c.span()), format!("app `{}` shares cases", facts.app.id.value));
    }
    out.push(d);
}
