//! C001: a `shared_case_types` entry names an app that does not use the case type.
use crate::diagnostic::{Diagnostic, Place, did_you_mean};
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// Checks each `shared_case_types` entry of `project.yaml`: every app it names must
    /// use the case type (a module lists it, or a form opens or updates it). Suggests
    /// the app's nearest case type.
    ///
    /// ### Why is this bad
    /// The wiki's rule for sharing across apps: "make sure the case type matches
    /// between all the modules you want to share case lists". HQ checks nothing; a
    /// clinic app that calls the type `referal` never sees the CHW's `referral` cases.
    ///
    /// A check HQ does not have: `shared_case_types` is caseshare's own.
    ///
    /// ### Example
    /// ```yaml
    /// # project.yaml; apps/clinic.yaml lists `case_type: referal`
    /// shared_case_types:
    ///   - {case_type: referral, apps: [chw, clinic]}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// # and rename the clinic module's case type to `referral`
    /// shared_case_types:
    ///   - {case_type: referral, apps: [chw, clinic]}
    /// ```
    pub static RULE = "C001", "shared-case-type-missing", Error, Project, summary = "a `shared_case_types` entry names an app that does not use that case type";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    for entry in &ix.def.shared_case_types {
        let ct = entry.case_type.as_str();
        for app_ref in &entry.apps {
            let Some(&i) = ix.app_by_id.get(app_ref.as_str()) else {
                continue;
            };
            let facts = &ix.apps[i];
            if facts.first_use.contains_key(ct) {
                continue;
            }
            let mut d = Diagnostic::new(
                &RULE,
                Place::new(ix.def.file, app_ref.span()),
                format!("app `{}` does not use case type `{ct}`", app_ref.value),
            )
            .label(format!("shares `{ct}`, but uses no such case type"));
            let mut types: Vec<&str> = facts.first_use.keys().copied().collect();
            types.sort_unstable();
            d = match did_you_mean(ct, types.iter().copied()) {
                Some(near) => {
                    let u = &facts.uses[facts.first_use[near]];
                    d.also(u.place(), format!("app `{}` uses `{near}`", app_ref.value))
                        .help(format!("did you mean `{near}`? use one spelling in every app"))
                }
                None => d.help(format!(
                    "add a module with `case_type: {ct}` to app `{}`, or remove the app from this entry",
                    app_ref.value
                )),
            };
            out.push(d);
        }
    }
}
