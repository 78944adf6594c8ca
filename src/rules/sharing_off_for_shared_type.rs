//! C003: an app with case sharing off uses a case type that a sharing app uses.
use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::index::{CaseUse, Index};

declare_rule! {
    /// ### What it does
    /// Reports an app with case sharing off that uses a case type which an app with
    /// case sharing on also uses: one diagnostic per app and case type, with a related
    /// note at the sharing app's use. It is an error when `shared_case_types` names
    /// the app for that case type.
    ///
    /// ### Why is this bad
    /// Cases created by the app without sharing are owned by the user alone: the
    /// sharing app's users never see them, though the two apps look as if they share
    /// the list. (A supervisor app may keep sharing off on purpose; then leave the
    /// type out of `shared_case_types` and allow this warning.)
    ///
    /// HQ gives a new case to the user's group only in an app with case sharing on
    /// (`app_manager/xform.py:XFormCaseBlock.add_create_block`), else to the user; it
    /// does not warn of the mix, caseshare does.
    ///
    /// ### Example
    /// ```yaml
    /// # apps/chw.yaml has case_sharing: true and a `referral` module
    /// format_version: 2
    /// name: Clinic App
    /// commcare_version: "2.53.0"
    /// modules: [{name: Referrals, case_type: referral}]
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// name: Clinic App
    /// commcare_version: "2.53.0"
    /// case_sharing: true
    /// modules: [{name: Referrals, case_type: referral}]
    /// ```
    pub static RULE = "C003", "sharing-off-for-shared-type", Warning, Project, summary = "an app with case sharing off uses a case type that an app with case sharing on also uses";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    // The first use of each case type by an app with sharing on.
    let mut shared: HashMap<&str, (&str, &CaseUse)> = HashMap::new();
    for facts in ix.apps.iter().filter(|f| f.app.case_sharing()) {
        for u in &facts.uses {
            shared.entry(u.case_type).or_insert((facts.app.id.as_str(), u));
        }
    }
    if shared.is_empty() {
        return;
    }
    for facts in ix.apps.iter().filter(|f| !f.app.case_sharing() && !f.app.case_sharing_doubt) {
        let app = facts.app.id.as_str();
        let mut types: Vec<(&str, usize)> = facts.first_use.iter().map(|(t, i)| (*t, *i)).collect();
        types.sort_by_key(|(_, i)| *i);
        for (ct, i) in types {
            let Some((sharing_app, sharing_use)) = shared.get(ct) else {
                continue;
            };
            let declared = ix
                .def
                .shared_case_types
                .iter()
                .any(|s| s.case_type.value == ct && s.apps.iter().any(|a| a.value == app));
            let mut d = Diagnostic::new(
                &RULE,
                facts.uses[i].place(),
                format!("app `{app}` has case sharing off but uses case type `{ct}`, which app `{sharing_app}` shares"),
            )
            .label("cases of this type will not be shared")
            .also(sharing_use.place(), format!("app `{sharing_app}` shares `{ct}`"))
            .help(format!("set `case_sharing: true` in app `{app}`"));
            if declared {
                d = d.severity(Severity::Error);
                d.message.push_str("; project.yaml lists it in `shared_case_types`");
            }
            out.push(d);
        }
    }
}
