//! Format 1 → 2: a group's `users: [..]` becomes `members: [..]`.

use super::{Doc, Plan, both_keys, maps_under};
use crate::source::FileKind;
use crate::yaml::edit::{Edit, entry};

pub fn plan(docs: &[Doc], plan: &mut Plan) {
    for doc in docs.iter().filter(|d| d.legacy && d.kind == FileKind::Groups) {
        for group in maps_under(&doc.root, "groups") {
            let Some((_, key, _)) = entry(group, "users") else { continue };
            match entry(group, "members") {
                Some((_, members, _)) => plan.problems.push(both_keys(doc, key, members)),
                None => plan.edit(doc, [Edit::new(key.span.clone(), "members")]),
            }
        }
    }
}
