//! C004: a form opens cases of a type that no module of its own app lists.
use std::collections::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Place};
use crate::index::{Creation, Index};

declare_rule! {
    /// ### What it does
    /// Reports a case type that a form opens (a basic form's subcase, an advanced
    /// form's `open_cases` action: any `opens` entry) but that no module of the
    /// form's own app lists as its `case_type`: one diagnostic per app and case type,
    /// at the first form that opens it, with the others labelled. A module of
    /// another app does not count, even one that shares the case type; `commcare-user`
    /// (the user case) always counts as listed.
    ///
    /// ### Why is this bad
    /// HQ refuses to build the app: "Case type (referral) for form (Refer to clinic)
    /// does not exist" (`app_manager/xform.py`: `_create_casexml` and
    /// `_create_casexml_advanced` ask `Application.case_type_exists`, which looks only
    /// at the modules of the same app, plus the user case when the project has it).
    /// The action's condition does not matter: HQ checks every subcase and every
    /// `open_cases` action. Without a case list in the app, nobody could follow the
    /// cases up there either.
    ///
    /// caseshare agrees with HQ here, with one difference: it takes `commcare-user`
    /// as listed, as HQ does only when the project has the user case feature (A003
    /// keeps it to advanced modules).
    ///
    /// ### Example
    /// ```yaml
    /// # apps/chw.yaml: the clinic app lists `referral`, this app does not
    /// modules:
    ///   - name: Pregnancy
    ///     case_type: pregnancy
    ///     forms:
    ///       - {name: Refer to clinic, requires: case, opens: [{case_type: referral}]}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// modules:
    ///   - name: Pregnancy
    ///     case_type: pregnancy
    ///     forms:
    ///       - {name: Refer to clinic, requires: case, opens: [{case_type: referral}]}
    ///   - name: Referrals
    ///     case_type: referral
    ///     forms: [{name: Follow up referral, requires: case}]
    /// ```
    pub static RULE = "C004", "case-type-never-listed", Error, Project, summary = "a form opens cases of a type that no module of its own app lists (HQ refuses to build the app)";
}

/// HQ's user case type, a case type of every app of a project with the user case.
const USERCASE: &str = "commcare-user";

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    // Which apps list each case type, to say so when another app does.
    let mut listed_by: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut listed: Vec<HashSet<&str>> = Vec::with_capacity(ix.apps.len());
    for (i, facts) in ix.apps.iter().enumerate() {
        // Every module counts, a repeated id (D001) too: HQ has no module ids.
        let types: HashSet<&str> = facts.app.modules.iter().filter_map(|m| facts.module_case_type(m)).collect();
        for t in &types {
            listed_by.entry(t).or_default().push(i);
        }
        listed.push(types);
    }
    for (i, facts) in ix.apps.iter().enumerate() {
        let mut opened: HashMap<&str, Vec<&Creation>> = HashMap::new();
        let mut order = Vec::new();
        for c in &facts.creations {
            let Some(ct) = c.case_type else { continue };
            if ct == USERCASE || listed[i].contains(ct) {
                continue;
            }
            let list = opened.entry(ct).or_default();
            if list.is_empty() {
                order.push(ct);
            }
            list.push(c);
        }
        let app = &facts.app.id.value;
        for ct in order {
            let creations = &opened[ct];
            let place = |c: &Creation| {
                Place::new(facts.app.file, c.opens.case_type.as_ref().map_or(c.opens.span.clone(), |t| t.span()))
            };
            let first = creations[0];
            let form_name = first.form.name.as_ref().map_or(first.form.id.value.as_str(), |n| n.value.as_str());
            let mut d = Diagnostic::new(
                &RULE,
                place(first),
                format!(
                    "form `{}` opens cases of type `{ct}`, but no module of app `{app}` lists `{ct}`",
                    first.form.id.value
                ),
            )
            .label(format!("HQ: \"Case type ({ct}) for form ({form_name}) does not exist\""))
            .help(format!("add a module with `case_type: {ct}` to app `{app}`, or open a case type it lists"));
            for c in creations[1..].iter().take(5) {
                d = d.also(place(c), format!("form `{}` opens it too", c.form.id.value));
            }
            if let Some(&other) = listed_by.get(ct).and_then(|l| l.first()) {
                let o = &ix.apps[other];
                let at = o
                    .app
                    .modules
                    .iter()
                    .find_map(|m| m.case_type.as_ref().filter(|t| t.as_str() == ct))
                    .map_or(o.app.id.span(), |t| t.span());
                d = d.related(
                    Place::new(o.app.file, at),
                    format!(
                        "app `{}` lists `{ct}`, but HQ looks only at the modules of the form's own app",
                        o.app.id.value
                    ),
                );
            }
            out.push(d);
        }
    }
}
