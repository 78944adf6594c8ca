//! Format 1 → 2: `format_version: 2` as the first key (after any leading comment):
//! inserted, or `format_version: 1` rewritten to 2 in place when it is first, moved
//! there when it is not.

use super::{Doc, Plan};
use crate::yaml::edit::{Edit, entry, insert_entry, remove_entry};

pub fn plan(docs: &[Doc], plan: &mut Plan) {
    for doc in docs.iter().filter(|d| d.legacy) {
        match entry(&doc.root, "format_version") {
            Some((0, _, v)) => plan.edit(doc, [Edit::new(v.span.clone(), "2")]),
            Some((i, _, _)) => {
                plan.edit(doc, remove_entry(&doc.root, i, &doc.text));
                plan.edit(doc, [insert_entry(&doc.root, Some(0), "format_version", "2", &doc.text)]);
            }
            None => plan.edit(doc, [insert_entry(&doc.root, Some(0), "format_version", "2", &doc.text)]),
        }
    }
}
