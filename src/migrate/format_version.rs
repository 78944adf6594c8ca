//! Format 1 → 2: `format_version: 2` as the first key (after any leading comment),
//! or `format_version: 1` rewritten to 2.

use super::edit::{Splice, entry, insert_entry};
use super::{Doc, Plan};

pub fn plan(docs: &[Doc], plan: &mut Plan) {
    for doc in docs.iter().filter(|d| d.legacy) {
        let splice = match entry(&doc.root, "format_version") {
            Some((_, _, v)) => Splice::new(v.span.clone(), "2"),
            None => insert_entry(&doc.root, Some(0), "format_version", "2", &doc.text),
        };
        plan.edit(doc, [splice]);
    }
}
