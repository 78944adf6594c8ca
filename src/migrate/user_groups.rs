//! Format 1 → 2: memberships move from users to groups. A format 1 user's
//! `groups: [Village A, ..]` appends the user to each named group's `members` (no
//! duplicates: a member HQ takes for the same user, `David` for `david`, is
//! one), in whichever file defines the group, and the key leaves the user.
//! A group name that no file defines stops the migration (R001), with nothing written.

use std::collections::{HashMap, HashSet};

use super::{Doc, Plan, maps_under};
use crate::diagnostic::{Diagnostic, Place, did_you_mean};
use crate::fold;
use crate::rules::{invalid_value, missing_field, unknown_reference, wrong_type};
use crate::source::FileKind;
use crate::yaml::edit::{append_items, entry, insert_entry, items, remove_entry, scalar, shared_list};
use crate::yaml::{Node, Value};

/// A group definition: its file (index into the docs) and mapping.
struct Target<'d> {
    doc: usize,
    group: &'d Node,
    /// Its members as HQ folds them, and the users who join it (in order).
    members: HashSet<String>,
    joining: Vec<String>,
}

pub fn plan(docs: &[Doc], plan: &mut Plan) {
    // Groups by name; the first definition (by path, then position) wins, as in D001.
    let mut targets: Vec<Target<'_>> = Vec::new();
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (d, doc) in docs.iter().enumerate().filter(|(_, d)| d.kind == FileKind::Groups) {
        for group in maps_under(&doc.root, "groups") {
            let Some(name) = entry(group, "name").and_then(|(_, _, v)| v.as_str()) else { continue };
            if by_name.contains_key(name) {
                continue;
            }
            let list = members_of(doc, group).map(|(_, list)| items(list)).unwrap_or_default();
            let members = list.iter().filter_map(|n| n.as_str().map(|m| fold::username(m).into_owned())).collect();
            by_name.insert(name, targets.len());
            targets.push(Target { doc: d, group, members, joining: Vec::new() });
        }
    }
    for doc in docs.iter().filter(|d| d.legacy && d.kind == FileKind::Users) {
        for user in maps_under(&doc.root, "users") {
            let Some((index, key, groups)) = entry(user, "groups") else { continue };
            let username = entry(user, "username").and_then(|(_, _, v)| v.as_str());
            let Some(username) = username else {
                plan.problems.push(
                    Diagnostic::new(
                        &missing_field::RULE,
                        Place::new(doc.id, key.span.clone()),
                        "this user has `groups` but no `username`, so its memberships cannot move to the groups",
                    )
                    .label("memberships of a user without a username")
                    .help("add the user's `username`, then migrate"),
                );
                continue;
            };
            for name in items(groups) {
                let Value::Str(name_value) = &name.value else {
                    plan.problems.push(
                        Diagnostic::new(
                            &wrong_type::RULE,
                            Place::new(doc.id, name.span.clone()),
                            format!("a group name is {}, not a string", name.value.kind()),
                        )
                        .label("expected a group name")
                        .help("list group names: `groups: [Village A]`"),
                    );
                    continue;
                };
                match by_name.get(name_value.as_str()) {
                    Some(&t) => {
                        let t = &mut targets[t];
                        if t.members.insert(fold::username(username).into_owned()) {
                            t.joining.push(username.to_string());
                        }
                    }
                    None => {
                        let mut d = Diagnostic::new(
                            &unknown_reference::RULE,
                            Place::new(doc.id, name.span.clone()),
                            format!("user `{username}` is in group `{name_value}`, which no file defines"),
                        )
                        .label("no such group");
                        d = match did_you_mean(name_value, by_name.keys().copied()) {
                            Some(near) => d.help(format!("did you mean `{near}`? nothing was migrated")),
                            None => d.help(format!(
                                "define group `{name_value}` in groups/, or remove it from the user; nothing was migrated"
                            )),
                        };
                        plan.problems.push(d);
                    }
                }
            }
            plan.edit(doc, remove_entry(user, index, &doc.text));
        }
    }
    for t in targets.iter().filter(|t| !t.joining.is_empty()) {
        let doc = &docs[t.doc];
        let new: Vec<String> = t.joining.iter().map(|u| scalar(u)).collect();
        match members_of(doc, t.group) {
            Some((key, list)) if shared_list(&doc.text, key, list) => {
                let name = entry(t.group, "name").and_then(|(_, _, v)| v.as_str()).unwrap_or("");
                plan.problems.push(
                    Diagnostic::new(
                        &invalid_value::RULE,
                        Place::new(doc.id, key.span.clone()),
                        format!(
                            "the members of group `{name}` are a YAML anchor or alias, so adding `{}` would change other lists too",
                            t.joining.join("`, `")
                        ),
                    )
                    .label("anchored or aliased list")
                    .help("write the list out in full in each group, then migrate"),
                );
            }
            Some((key, list)) => plan.edit(doc, append_items(key, list, &new, &doc.text)),
            None => {
                let list = format!("[{}]", new.join(", "));
                plan.edit(doc, [insert_entry(t.group, None, "members", &list, &doc.text)]);
            }
        }
    }
}

/// A group's member list: `members`, or format 1's `users`.
fn members_of<'n>(doc: &Doc, group: &'n Node) -> Option<(&'n Node, &'n Node)> {
    let key =
        if doc.legacy { entry(group, "members").or_else(|| entry(group, "users")) } else { entry(group, "members") };
    key.map(|(_, k, v)| (k, v))
}
