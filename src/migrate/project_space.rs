//! Format 1 → 2: project.yaml `project_space: x` becomes `domain: x`.

use super::{Doc, Plan, both_keys};
use crate::source::FileKind;
use crate::yaml::edit::{Edit, entry};

pub fn plan(docs: &[Doc], plan: &mut Plan) {
    for doc in docs.iter().filter(|d| d.legacy && d.kind == FileKind::Project) {
        let Some((_, key, _)) = entry(&doc.root, "project_space") else { continue };
        match entry(&doc.root, "domain") {
            Some((_, domain, _)) => plan.problems.push(both_keys(doc, key, domain)),
            None => plan.edit(doc, [Edit::new(key.span.clone(), "domain")]),
        }
    }
}
