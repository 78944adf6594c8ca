//! G006: a group lists a user twice.
use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// Reports a username listed twice in one group's `members`, labelling both.
    ///
    /// ### Why is this bad
    /// It means nothing more than listing the user once, and it usually hides a
    /// different intended name (two Marias, one listed twice).
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [david, maria, david]}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [david, maria]}
    /// ```
    pub static RULE = "G006", "duplicate-member", Warning, summary = "a group lists a user twice", check = check, fixable = true;
}

fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    for g in &ix.groups {
        let mut seen: HashMap<&str, &crate::model::Sp<String>> = HashMap::with_capacity(g.members.len());
        for m in &g.members {
            if let Some(first) = seen.get(m.as_str()) {
                out.push(
                    Diagnostic::new(
                        &RULE,
                        Place::new(g.file, m.span.clone()),
                        format!("user `{}` is listed twice in group `{}`", m.value, g.name.value),
                    )
                    .label("listed again")
                    .also(Place::new(g.file, first.span.clone()), "first listed here")
                    .help("remove the repeated entry"),
                );
            } else {
                seen.insert(m.as_str(), m);
            }
        }
    }
}
