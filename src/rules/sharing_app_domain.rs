//! A002: an app in another project space.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// Reports an app whose `domain` differs from the project's `domain` in
    /// `project.yaml`, with a related note at the project's domain.
    ///
    /// ### Why is this bad
    /// Apps share cases only within one project space (HQ merges case properties
    /// across the case-sharing apps of one domain); an app deployed to another domain
    /// never sees these cases.
    ///
    /// caseshare agrees with HQ: `app_manager/dbaccessors.py:get_case_sharing_apps_in_domain`
    /// looks only at the apps of one domain.
    ///
    /// ### Example
    /// ```yaml
    /// # project.yaml has `domain: demo-district`
    /// format_version: 2
    /// name: Clinic App
    /// domain: demo-distrct
    /// commcare_version: "2.53.0"
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// name: Clinic App
    /// domain: demo-district
    /// commcare_version: "2.53.0"
    /// ```
    pub static RULE = "A002", "sharing-app-domain", Error, Project, summary = "an app whose `domain` differs from the project's";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    let Some(project_domain) = &ix.def.domain else { return };
    for facts in &ix.apps {
        let app = facts.app;
        let Some(domain) = &app.domain else { continue };
        if domain.value != project_domain.value {
            out.push(
                Diagnostic::new(
                    &RULE,
                    Place::new(app.file, domain.span()),
                    format!(
                        "app `{}` is in domain `{}`, not the project's `{}`",
                        app.id.value, domain.value, project_domain.value
                    ),
                )
                .label("another project space")
                .also(Place::new(ix.def.file, project_domain.span()), "the project's domain")
                .help(format!("set `domain: {}`, or remove the key", project_domain.value)),
            );
        }
    }
}
