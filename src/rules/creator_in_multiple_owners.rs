//! G002: a user with several case owners who can create cases with an automatic owner.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;
use crate::model::Relationship;

declare_rule! {
    /// ### What it does
    /// Reports an active user with more than one case owner (case sharing groups plus
    /// case-owning locations, which HQ adds up) who can reach a form of a
    /// case-sharing app that creates a case with an automatic owner. Each membership
    /// is labelled; a related note points at one such form.
    ///
    /// An `opens` entry has an automatic owner when it is `owner: auto` (the
    /// default), except in an advanced form (an advanced module, or a shadow of one)
    /// with `relationship: extension` (the case has no owner) or `question` (the
    /// user owns it). A basic module's subcase marked `extension` (or `question`,
    /// which HQ's basic modules do not have) is still owned automatically: HQ
    /// indexes it as a child.
    ///
    /// ### Why is this bad
    /// HQ puts `count(instance('groups')/groups/group) = 1` into such forms
    /// (`suite_xml/sections/entries.py`, with `xform.py`'s
    /// `autoset_owner_id_for_open_case`, `_for_subcase` and `_for_advanced_action`):
    /// on the phone they fail with "This user must be in exactly one case sharing
    /// group". Being in several groups is fine for users who only review or update
    /// cases.
    ///
    /// caseshare follows HQ here. HQ ignores the conditions of subcases and advanced
    /// `open_cases` (the assertion is there even when the case is only opened on some
    /// answers), and counts an `owner_id` set by `update_case` only when that action
    /// is active: `caseshare import hq-app` writes the `opens` entries that way.
    /// It does not know HQ's attendance-tracking groups, which HQ also counts as case
    /// owners when that feature is on.
    ///
    /// ### Example
    /// ```yaml
    /// # apps/chw.yaml: case_sharing: true, a registration form with `opens: [{}]`
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [david]}
    ///   - {name: Village B, case_sharing: true, members: [david]}
    /// ```
    ///
    /// ### Use instead
    /// Keep the user in one group, or let the form choose the group
    /// ("Assigning cases to one of multiple groups"):
    /// ```yaml
    /// forms:
    ///   - name: Register pregnancy
    ///     opens: [{owner: explicit}]
    /// ```
    pub static RULE = "G002", "creator-in-multiple-owners", Error, Project, summary = "an active user with more than one case owner who can create cases with an automatic owner";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    for c in ix.owner_checks.iter().filter(|c| c.creator_with_many_owners()) {
        let Some((app_index, creation_index)) = c.reach.creator else {
            continue;
        };
        let facts = &ix.apps[app_index];
        let creation = &facts.creations[creation_index];
        let places = ix.owner_places(c);
        let Some((first, first_label)) = places.first().cloned() else {
            continue;
        };
        let name = &c.user.username.value;
        let mut d = Diagnostic::new(
            &RULE,
            first,
            format!("user `{name}` has {} case owners and can create cases with an automatic owner", c.count),
        )
        .label(first_label)
        .help("remove the extra memberships, or have the form set `owner: explicit` (\"Assigning cases to one of multiple groups\")");
        for (place, label) in places.into_iter().skip(1) {
            d = d.also(place, label);
        }
        let case_type = creation.case_type.map_or(String::new(), |t| format!(" `{t}`"));
        let marked = if matches!(creation.relationship, Relationship::Extension | Relationship::Question)
            && !creation.advanced
        {
            " (a basic module's subcase: HQ indexes it as a child whatever it is marked)"
        } else {
            ""
        };
        d = d.related(
            Place::new(facts.app.file, creation.opens.span.clone()),
            format!(
                "form `{}` of app `{}` creates{case_type} cases with an automatic owner{marked}, which needs exactly one case owner",
                creation.form.id.value, facts.app.id.value
            ),
        );
        out.push(d);
    }
}
