//! G006: a group lists a user twice.

use std::borrow::Cow;

use crate::fold;
use crate::model::{Name, Sp};
use crate::source::{FileId, Span};

use crate::diagnostic::{Diagnostic, Place};
use crate::hash::Map;
use crate::index::{Index, NO_USER};

declare_rule! {
    /// ### What it does
    /// Reports a username listed twice in one group's `members`, labelling both.
    ///
    /// ### Why is this bad
    /// It means nothing more than listing the user once, and it usually hides a
    /// different intended name (two Marias, one listed twice).
    ///
    /// caseshare agrees with HQ: `groups/models.py:Group.add_user` ignores a user who is
    /// already a member; the repeat is only noise.
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
    // A file's text, for the fixes: read again, once, when it was set aside.
    let mut texts: Map<FileId, Option<Cow<str>>> = Map::default();
    for (gi, g) in ix.groups.iter().enumerate() {
        // Groups are small: a repeat is looked for among the members before it,
        // by user position where the name is a user's; a large group uses a map.
        let positions = ix.member_positions(gi);
        let mut seen: Map<Cow<str>, &Sp<Name>> = Map::default();
        for (mi, m) in g.members.iter().enumerate() {
            let first = if g.members.len() <= 32 {
                let same = |j: usize| match positions[mi] {
                    NO_USER => fold::username(g.members[j].as_str()) == fold::username(m.as_str()),
                    u => positions[j] == u,
                };
                (0..mi).find(|&j| same(j)).map(|j| &g.members[j])
            } else {
                seen.get(&*fold::username(m.as_str())).copied()
            };
            let Some(first) = first else {
                if g.members.len() > 32 {
                    seen.insert(fold::username(m.as_str()), m);
                }
                continue;
            };
            let text = texts.entry(g.file).or_insert_with(|| ix.file_text(g.file));
            let mut d = Diagnostic::new(
                &RULE,
                Place::new(g.file, m.span()),
                format!("user `{}` is listed twice in group `{}`", m.value, g.name.value),
            )
            .label("listed again")
            .also(
                Place::new(g.file, first.span()),
                if first.value == m.value {
                    "first listed here".to_string()
                } else {
                    format!("first listed here as `{}`: HQ takes the two for one username", first.value)
                },
            )
            .help("remove the repeated entry");
            if let Some(span) = text.as_deref().and_then(|text| removal(text, &m.span())) {
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
    let line_start = crate::yaml::edit::line_start(text, item.start);
    if before[line_start..].trim() == "-" {
        return Some(line_start..crate::yaml::edit::line_end(text, item.end));
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
        // A `\r` alone ends a line too: the next entry stays.
        let mixed = "members:\n  - david\n  - david\r  - joseph\n";
        let at = mixed.rfind("david").unwrap();
        let r = removal(mixed, &(at..at + 5)).unwrap();
        assert_eq!(format!("{}{}", &mixed[..r.start], &mixed[r.end..]), "members:\n  - david\n  - joseph\n");
    }
}
