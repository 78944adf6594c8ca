//! A001: a case-sharing app below CommCare 2.0.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;
use crate::model::Version;

declare_rule! {
    /// ### What it does
    /// Reports an app with `case_sharing: true` whose `commcare_version` is below 2.0.
    /// Versions compare per numeric component, so "2.10" is above "2.9".
    ///
    /// ### Why is this bad
    /// Case sharing is a CommCare 2.0 feature: HQ offers the setting only from 2.0
    /// (`since: "2.0"` in HQ's app settings), and older phones ignore it.
    ///
    /// caseshare is stricter than HQ: HQ only hides the setting below 2.0 in its app
    /// settings page (`app_manager/static/app_manager/json/commcare-app-settings.yml`)
    /// and builds the app all the same; caseshare makes it an error, since such phones
    /// do not share cases.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// commcare_version: "1.3"
    /// case_sharing: true
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// name: CHW App
    /// commcare_version: "2.0"
    /// case_sharing: true
    /// ```
    pub static RULE = "A001", "sharing-app-version", Error, Project, summary = "an app with `case_sharing: true` whose `commcare_version` is below 2.0";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    let two = Version::parse("2.0").expect("2.0 is a version");
    for facts in &ix.apps {
        let app = facts.app;
        let (Some(sharing), Some(version)) = (&app.case_sharing, &app.commcare_version) else {
            continue;
        };
        if sharing.value && version.value < two {
            out.push(
                Diagnostic::new(
                    &RULE,
                    Place::new(app.file, version.span()),
                    format!("app `{}` shares cases but targets CommCare `{}`, below 2.0", app.id.value, version.value),
                )
                .label("below 2.0")
                .also(Place::new(app.file, sharing.span()), "case sharing turned on here")
                .help("set `commcare_version` to \"2.0\" or later, or turn case sharing off"),
            );
        }
    }
}
