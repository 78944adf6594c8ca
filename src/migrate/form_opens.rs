//! Format 1 → 2: a form's `registration: yes` (a case of the module's type, with an
//! automatic owner), `subcases: [..]` (child cases) and `sets_owner: yes` become
//! `opens` entries: `opens: [{}]`, `{case_type: x, relationship: child}` per
//! subcase, and `owner: explicit` on every entry of a form that sets the owner.
//! The new `opens` takes the place of the first of these keys; the others go.

use super::{Doc, Plan, legacy_bool, maps_under, not_yes_no};
use crate::diagnostic::{Diagnostic, Place};
use crate::rules::wrong_type;
use crate::source::FileKind;
use crate::yaml::edit::{
    append_items, entry, insert_entry, items, remove_entries, replace_entry, replace_value, scalar, with_properties,
};
use crate::yaml::{Node, Value};

const LEGACY: &[&str] = &["registration", "subcases", "sets_owner"];

pub fn plan(docs: &[Doc], plan: &mut Plan) {
    for doc in docs.iter().filter(|d| d.legacy && d.kind == FileKind::App) {
        for module in maps_under(&doc.root, "modules") {
            for form in maps_under(module, "forms") {
                migrate_form(doc, form, plan);
            }
        }
    }
}

fn migrate_form(doc: &Doc, form: &Node, plan: &mut Plan) {
    let text = &*doc.text;
    let Value::Map(entries) = &form.value else { return };
    let legacy: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| LEGACY.contains(&k.as_str().unwrap_or("")))
        .map(|(i, _)| i)
        .collect();
    if legacy.is_empty() {
        return;
    }
    let yes_no = |key: &str, plan: &mut Plan| -> bool {
        let Some((_, _, v)) = entry(form, key) else { return false };
        if v.value == Value::Null {
            return false;
        }
        legacy_bool(v, text).unwrap_or_else(|| {
            plan.problems.push(not_yes_no(doc, key, v));
            false
        })
    };
    let registration = yes_no("registration", plan);
    let sets_owner = yes_no("sets_owner", plan);
    let owner = if sets_owner { ", owner: explicit" } else { "" };
    let mut new: Vec<String> = Vec::new();
    if registration {
        new.push(if sets_owner { "{owner: explicit}".into() } else { "{}".into() });
    }
    if let Some((_, _, subcases)) = entry(form, "subcases") {
        for case_type in items(subcases) {
            match &case_type.value {
                Value::Str(s) => {
                    new.push(format!("{{case_type: {}, relationship: child{owner}}}", written(case_type, s, text)))
                }
                _ => plan.problems.push(
                    Diagnostic::new(
                        &wrong_type::RULE,
                        Place::new(doc.id, case_type.span.clone()),
                        format!("a subcase is {}, not a case type", case_type.value.kind()),
                    )
                    .label("expected a case type")
                    .help("list case types: `subcases: [child, referral]`"),
                ),
            }
        }
    }
    match entry(form, "opens") {
        // Rare in format 1: the new entries join the form's own.
        Some((_, key, opens)) => {
            // `owner` goes into the existing entries first: an insertion after the last
            // entry and the new items may fall at one offset, and keep this order.
            if sets_owner {
                for existing in items(opens).into_iter().filter(|n| matches!(n.value, Value::Map(_))) {
                    match entry(existing, "owner") {
                        Some((_, k, v)) => plan.edit(doc, [replace_value(text, k, v, "explicit")]),
                        None => plan.edit(doc, [insert_entry(existing, None, "owner", "explicit", text)]),
                    }
                }
            }
            plan.edit(doc, append_items(key, opens, &new, text));
            plan.edit(doc, remove_entries(form, &legacy, text));
        }
        None => {
            if new.is_empty() {
                plan.edit(doc, remove_entries(form, &legacy, text));
            } else {
                let (first, rest) = legacy.split_first().expect("not empty");
                plan.edit(doc, replace_entry(form, *first, &format!("opens: [{}]", new.join(", ")), text));
                plan.edit(doc, remove_entries(form, rest, text));
            }
        }
    }
}

/// A case type as written (with its anchor or tag), when that reads the same
/// inside a flow mapping.
fn written(node: &Node, value: &str, text: &str) -> String {
    let source = node.source(text).trim();
    let quoted = source.starts_with(['"', '\'']);
    let properties = &text[with_properties(text, node.span.start)..node.span.start];
    if quoted || scalar(value) == value {
        format!("{properties}{source}")
    } else {
        format!("{properties}{}", scalar(value))
    }
}
