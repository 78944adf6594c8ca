//! G006: a group lists a user twice.
use std::collections::HashMap;

use crate::model::{Name, Sp};
use crate::source::Span;

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
    pub static RULE = "G006", "duplicate-member", Warning, Project, summary = "a group lists a user twice", fixable = true;
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    for g in &ix.groups {
        let text = ix.file_text(g.file);
        let mut seen: HashMap<&str, &Sp<Name>> = HashMap::with_capacity(g.members.len());
        for m in &g.members {
            let Some(first) = seen.get(m.as_str()) else {
                seen.insert(m.as_str(), m);
                continue;
            };
            let mut d = Diagnostic::new(
                &RULE,
                Place::new(g.file, m.span()),
                format!("user `{}` is listed twice in group `{}`", m.value, g.name.value),
            )
            .label("listed again")
            .also(Place::new(g.file, first.span()), "first listed here")
            .help("remove the repeated entry");
            if let Some(span) = removal(text, &m.span()) {
                d = d.edit(span, "");
            }
            out.push(d);
        }
    }
}

/// The bytes to delete to remove a list entry: `, name` in a flow list (the entry
/// is never the first, since it repeats an earlier one), or the whole `- name`
/// line in a block list. `None` for any other layout.
fn removal(text: &str, item: &Span) -> Option<Span> {
    let before = text.get(..item.start)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if before[line_start..].trim() == "-" {
        let line_end = text[item.end..].find('\n').map_or(text.len(), |i| item.end + i + 1);
        return Some(line_start..line_end);
    }
    let comma = before.trim_end().strip_suffix(',')?.len();
    Some(comma..item.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals() {
        let flow = "members: [david, maria, david]";
        let at = flow.rfind("david").unwrap();
        let r = removal(flow, &(at..at + 5)).unwrap();
        assert_eq!(format!("{}{}", &flow[..r.start], &flow[r.end..]), "members: [david, maria]");
        let block = "members:\n  - david\n  - david  # again\n  - maria\n";
        let at = block.rfind("david").unwrap();
        let r = removal(block, &(at..at + 5)).unwrap();
        assert_eq!(format!("{}{}", &block[..r.start], &block[r.end..]), "members:\n  - david\n  - maria\n");
    }
}
