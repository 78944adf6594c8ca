//! G005: a case sharing group with no members.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// Reports a group with case sharing on and no members.
    ///
    /// ### Why is this bad
    /// Cases assigned to it are seen by nobody; usually its members were moved to
    /// another group and this one was left behind, or the list was misspelt.
    ///
    /// A check HQ does not have.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village C, case_sharing: true, members: []}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village C, case_sharing: true, members: [amina]}
    /// ```
    pub static RULE = "G005", "empty-sharing-group", Warning, Project, summary = "a case-sharing group with no members";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    for g in ix.groups.iter().filter(|g| g.case_sharing() && g.members.is_empty() && g.members_doubt.is_none()) {
        out.push(
            Diagnostic::new(
                &RULE,
                Place::new(g.file, g.name.span()),
                format!("case sharing group `{}` has no members", g.name.value),
            )
            .label("no members")
            .help("add the users who share these cases to `members`, or remove the group"),
        );
    }
}
