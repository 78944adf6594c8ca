//! Format 1 → 2: app `version: 2.0` becomes `commcare_version: "2.0"`, quoted, with
//! the digits exactly as written (`2.10` stays "2.10", never 2.1).

use super::{Doc, Plan, both_keys};
use crate::source::FileKind;
use crate::yaml::Value;
use crate::yaml::edit::{Edit, entry, scalar};

pub fn plan(docs: &[Doc], plan: &mut Plan) {
    for doc in docs.iter().filter(|d| d.legacy && d.kind == FileKind::App) {
        let Some((_, key, value)) = entry(&doc.root, "version") else { continue };
        if let Some((_, new, _)) = entry(&doc.root, "commcare_version") {
            plan.problems.push(both_keys(doc, key, new));
            continue;
        }
        plan.edit(doc, [Edit::new(key.span.clone(), "commcare_version")]);
        let written = value.source(&doc.text).trim();
        let plain_scalar = matches!(value.value, Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Bool(_));
        if plain_scalar && value.is_plain(&doc.text) {
            let quoted = if written.contains(['"', '\\']) { scalar(written) } else { format!("\"{written}\"") };
            plan.edit(doc, [Edit::new(value.span.start..value.span.start + written.len(), quoted)]);
        }
    }
}
