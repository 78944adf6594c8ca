//! Format 1 → 2: `case_sharing: on` / `off` / `yes` / `no` (any letter case) becomes
//! `true` / `false`, in project.yaml, apps and groups. `y` / `n`, YAML 1.1's other
//! spellings, go the same way: format 1 read them as booleans too, and left as
//! they are they would fail the check (Y004) right after the migration.

use super::{Doc, Plan, maps_under};
use crate::model::yaml11_bool;
use crate::source::FileKind;
use crate::yaml::edit::{Edit, entry};
use crate::yaml::{Node, Value};

pub fn plan(docs: &[Doc], plan: &mut Plan) {
    for doc in docs.iter().filter(|d| d.legacy) {
        let maps: Vec<&Node> = match doc.kind {
            FileKind::Groups => maps_under(&doc.root, "groups"),
            _ => vec![&doc.root],
        };
        for map in maps {
            let Some((_, _, value)) = entry(map, "case_sharing") else { continue };
            if let Value::Str(s) = &value.value
                && value.is_plain(&doc.text)
                && let Some(b) = yaml11_bool(s)
            {
                plan.edit(doc, [Edit::new(value.span.clone(), b.to_string())]);
            }
        }
    }
}
