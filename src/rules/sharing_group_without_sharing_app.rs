//! G004: case sharing groups while no app shares cases.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;
use crate::source::FileKind;

declare_rule! {
    /// ### What it does
    /// Reports each group with case sharing on while no app has case sharing on.
    ///
    /// ### Why is this bad
    /// The groups do nothing: HQ warns "Case sharing will not work until enabled
    /// under application settings."
    ///
    /// caseshare is stricter than HQ: HQ's groups page warns only while the project
    /// does not share cases at all (`case_sharing_included()`: the project setting or
    /// any app's); caseshare warns while no app shares cases, whatever the project
    /// setting, since only an app's setting makes its forms give cases to groups.
    ///
    /// ### Example
    /// ```yaml
    /// # no app has case_sharing: true
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [david, maria]}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// # apps/chw.yaml
    /// format_version: 2
    /// name: CHW App
    /// commcare_version: "2.53.0"
    /// case_sharing: true
    /// ```
    pub static RULE = "G004", "sharing-group-without-sharing-app", Warning, Project, summary = "each group with case sharing on, while no app has case sharing on";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    let sharing_or_unsure = |f: &crate::index::AppFacts| f.app.case_sharing() || f.app.case_sharing_doubt;
    if ix.project.kind_failed(FileKind::App) || ix.apps.iter().any(sharing_or_unsure) {
        return;
    }
    for g in ix.groups.iter().filter(|g| g.case_sharing()) {
        let span = g.case_sharing.as_ref().map_or(g.name.span(), |c| c.span());
        out.push(
            Diagnostic::new(
                &RULE,
                Place::new(g.file, span),
                format!("group `{}` shares cases, but no app has case sharing on", g.name.value),
            )
            .label("case sharing will not work until enabled under application settings")
            .help("set `case_sharing: true` in the apps whose users share cases"),
        );
    }
}
