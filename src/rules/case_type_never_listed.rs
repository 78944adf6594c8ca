//! C004: a form opens cases of a type that no module lists.
use std::collections::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Place};
use crate::index::{Index, UseKind};
use crate::source::FileKind;

declare_rule! {
    /// ### What it does
    /// Reports a case type that forms open but that no module of any app lists as its
    /// `case_type`: one diagnostic per case type, at the first form that opens it.
    ///
    /// ### Why is this bad
    /// The cases are created and synced to phones, but no case list shows them, so
    /// nobody can follow up (HQ: "Child case specifies no case list").
    ///
    /// ### Example
    /// ```yaml
    /// modules:
    ///   - name: Pregnancy
    ///     case_type: pregnancy
    ///     forms:
    ///       - {name: Refer, requires: case, opens: [{case_type: referral}]}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// modules:
    ///   - name: Pregnancy
    ///     case_type: pregnancy
    ///     forms:
    ///       - {name: Refer, requires: case, opens: [{case_type: referral}]}
    ///   - name: Referrals
    ///     case_type: referral
    ///     forms: [{name: Follow up referral, requires: case}]
    /// ```
    pub static RULE = "C004", "case-type-never-listed", Warning, Project, summary = "a form opens cases of a type that no module of any app lists";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    // The module that lists the type may be in an apps file that did not load.
    if ix.project.kind_failed(FileKind::App) {
        return;
    }
    let listed: HashSet<&str> =
        ix.apps.iter().flat_map(|f| f.modules_in_order.iter().filter_map(move |m| f.module_case_type(m))).collect();
    let mut opened: HashMap<&str, Vec<Place>> = HashMap::new();
    let mut order = Vec::new();
    for facts in &ix.apps {
        for u in facts.uses.iter().filter(|u| u.kind == UseKind::Opens && !listed.contains(u.case_type)) {
            let places = opened.entry(u.case_type).or_default();
            if places.is_empty() {
                order.push(u.case_type);
            }
            places.push(u.place());
        }
    }
    for ct in order {
        let places = &opened[ct];
        let mut d = Diagnostic::new(
            &RULE,
            places[0].clone(),
            format!("cases of type `{ct}` are opened, but no module lists `{ct}`"),
        )
        .label("opened here")
        .help(format!("add a module with `case_type: {ct}` so the cases can be followed up"));
        for p in places[1..].iter().take(5) {
            d = d.also(p.clone(), "also opened here");
        }
        out.push(d);
    }
}
