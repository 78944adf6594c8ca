//! `caseshare enable-sharing --app ID… [--group NAME]`: the wiki's procedure as a
//! reviewable change. For each listed app: raise `commcare_version` below 2.0 to
//! "2.0" and turn `case_sharing` on; turn the project setting on; put every active
//! user who can reach one of those apps and has no case owner into group NAME
//! (created, with case sharing on, when no file defines it). Afterwards `check`
//! reports no A001 or G001 for those apps.

use std::collections::{HashMap, HashSet};

use super::{Change, Doc, Plan, Refusal, Sources, parse_keeping, refuse};
use crate::check::{CheckResult, check_sources};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::index::Index;
use crate::model::{RoleApps, User, Version};
use crate::source::FileId;
use crate::yaml::Node;
use crate::yaml::edit::{Edit, entry, insert_entry, items, scalar};

/// The planned change, and what the user should know about it (warnings).
#[derive(Debug)]
pub struct Planned {
    pub changes: Vec<Change>,
    pub notes: Vec<String>,
}

/// Plans the change; `group` is needed only when some user has no case owner.
pub fn enable_sharing(sources: &Sources, apps: &[String], group: Option<&str>) -> Result<Planned, Refusal> {
    // Every file is parsed for its problems and format; the trees are not kept:
    // the few files this edits are parsed again below (a project of 500,000
    // users does not hold the tree of every file beside its check).
    let parsed = parse_keeping(sources, |_| false);
    if !parsed.problems.is_empty() {
        return Err(refuse(parsed.files, parsed.problems));
    }
    let legacy: Vec<Diagnostic> = parsed
        .docs
        .iter()
        .filter(|d| d.legacy)
        .map(|d| {
            let head = d.root.span.start
                ..d.text[d.root.span.start..].find(['\n', '\r']).map_or(d.text.len(), |i| d.root.span.start + i);
            crate::rules::legacy_format::diagnostic(crate::diagnostic::Place::new(d.id, head))
                .help("run `caseshare migrate --write` first, then enable case sharing")
        })
        .collect();
    if !legacy.is_empty() {
        return Err(refuse(parsed.files, legacy));
    }
    let checked = check_sources(sources.clone(), &Config::default());
    let blocking = checked.diagnostics.iter().any(|d| d.rule.blocks_rewrite());
    if blocking || checked.project.def.is_none() {
        let diagnostics = checked.diagnostics.iter().filter(|d| d.rule.blocks_rewrite()).cloned().collect();
        return Err(Refusal::Problems(Box::new(CheckResult { diagnostics, ..checked })));
    }
    let project = &checked.project;
    let ix = Index::build(project);
    // The files this may edit, with their trees: the listed apps', project.yaml
    // and the group's. The check read the same sources: its file ids are theirs.
    let mut wanted: Vec<FileId> =
        apps.iter().filter_map(|id| ix.app_by_id.get(id.as_str())).map(|&a| ix.apps[a].app.file).collect();
    wanted.push(ix.def.file);
    wanted.extend(group.and_then(|name| ix.group(name)).map(|g| g.file));
    let docs_by_id: HashMap<FileId, Doc> =
        wanted.into_iter().filter_map(|id| Some((id, super::parse_file(sources, id)?))).collect();
    let doc_of = |file: FileId| -> &Doc { &docs_by_id[&file] };
    let mut plan = Plan::new(parsed.files.len());
    let two = Version::parse("2.0").expect("2.0 is a version");

    // The apps.
    let mut listed: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    for id in apps.iter().filter(|id| seen.insert(id.as_str())) {
        let Some(&a) = ix.app_by_id.get(id.as_str()) else {
            let hint = match did_you_mean(id, ix.app_by_id.keys().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => "pass the `id` of an app in apps/ (default: its file name without .yaml)".to_string(),
            };
            return Err(Refusal::Usage(format!("no app has id `{id}`; {hint}")));
        };
        let app = ix.apps[a].app;
        listed.push(&app.id.value);
        let doc = doc_of(app.file);
        if let Some(v) = &app.commcare_version
            && v.value < two
        {
            plan.edit(doc, [Edit::new(v.span(), "\"2.0\"")]);
        }
        turn_on(doc, &doc.root, &["modules"], &mut plan);
    }
    let def = ix.def;
    turn_on(doc_of(def.file), &doc_of(def.file).root, &["roles", "location_types", "shared_case_types"], &mut plan);

    // The users who would have no case owner; a user whose membership is in doubt
    // (a near-miss username in some group, R001) is left for that to be fixed.
    let mut notes = Vec::new();
    let (doubt, homeless): (Vec<&User>, Vec<&User>) =
        without_owner(&ix, &listed).into_iter().partition(|u| ix.in_doubt.contains(u.username.value.as_str()));
    for u in doubt {
        notes.push(format!(
            "user `{}` is not added to a group: a group lists a username like theirs (R001); fix that name first",
            u.username.value
        ));
    }
    let mut turned_on_group = false;
    if !homeless.is_empty() {
        let Some(name) = group else {
            let shown: Vec<String> = homeless.iter().take(5).map(|u| format!("`{}`", u.username.value)).collect();
            let more = if homeless.len() > 5 { format!(" and {} more", homeless.len() - 5) } else { String::new() };
            return Err(Refusal::Usage(format!(
                "{} active users of these apps have no case owner ({}{more}): pass `--group NAME` to put them in one case sharing group",
                homeless.len(),
                shown.join(", ")
            )));
        };
        let names: Vec<String> = homeless.iter().map(|u| u.username.value.to_string()).collect();
        match ix.group(name) {
            Some(g) => {
                let doc = doc_of(g.file);
                let node = group_node(doc, &g.name.span()).expect("a loaded group has a mapping");
                if let Some((_, key, list)) = entry(node, "members")
                    && crate::yaml::edit::shared_list(&doc.text, key, list)
                {
                    return Err(Refusal::Usage(format!(
                        "the members of group `{name}` are a YAML anchor or alias, so adding users would change other lists too; write the list out in full, or choose another group"
                    )));
                }
                let present: HashSet<&str> = g.members.iter().map(|m| m.value.as_str()).collect();
                let new: Vec<String> =
                    names.iter().filter(|n| !present.contains(n.as_str())).map(|n| scalar(n)).collect();
                match entry(node, "members") {
                    Some((_, key, list)) => plan.edit(doc, crate::yaml::edit::append_items(key, list, &new, &doc.text)),
                    None => plan
                        .edit(doc, [insert_entry(node, None, "members", &format!("[{}]", new.join(", ")), &doc.text)]),
                }
                turned_on_group = !g.case_sharing();
                turn_on(doc, node, &["reporting", "members"], &mut plan);
            }
            None => {
                // File names stay short: 64 characters of the slug at most.
                let stem: String = crate::model::slug(name).chars().take(64).collect();
                let stem = match stem.trim_end_matches('-') {
                    "" => "case-sharing".to_string(),
                    s => s.to_string(),
                };
                // A name no file has, on disk too (excluded files are not among the inputs).
                let taken: HashSet<&str> = sources.files.iter().map(|f| f.rel.as_str()).collect();
                let root = &sources.root;
                let rel = (1..)
                    .map(|n| if n == 1 { format!("groups/{stem}.yaml") } else { format!("groups/{stem}-{n}.yaml") })
                    .find(|r| {
                        !taken.contains(r.as_str())
                            && root.as_ref().is_none_or(|root| std::fs::symlink_metadata(root.join(r)).is_err())
                    })
                    .expect("a free name");
                let members: String = names.iter().map(|n| format!("      - {}\n", scalar(n))).collect();
                let text = format!(
                    "# yaml-language-server: $schema=../schemas/groups.schema.json\nformat_version: 2\ngroups:\n  - name: {}\n    case_sharing: true\n    members:\n{members}",
                    scalar(name)
                );
                plan.created.push((rel, text));
            }
        }
    }
    let before: HashSet<String> = errors(&checked, &sources.config);
    // The project as it is goes before the changed one is checked: the two are
    // not held at once.
    drop(ix);
    drop(checked);
    let changes = super::finish(parsed, plan)?;
    let new = verify(sources, &changes, apps, &before)?;
    if !new.is_empty() && turned_on_group {
        return Err(Refusal::Usage(format!(
            "turning case sharing on for group `{}` would add {}: {}; choose another group",
            group.unwrap_or(""),
            count(new.len(), "error"),
            new.join("; ")
        )));
    }
    notes.extend(new.into_iter().map(|e| format!("after this change `caseshare check` reports a new error: {e}")));
    Ok(Planned { changes, notes })
}

fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// Sets `case_sharing: true` in a mapping, unless it says so already: rewrites the
/// value (`false`, `yes`, empty), or adds the key before the first of `before`
/// that the mapping has (else at its end).
fn turn_on(doc: &Doc, map: &Node, before: &[&str], plan: &mut Plan) {
    match entry(map, "case_sharing") {
        Some((_, _, v)) if v.value == crate::yaml::Value::Bool(true) && v.source(&doc.text) == "true" => {}
        Some((_, k, v)) => plan.edit(doc, [crate::yaml::edit::replace_value(&doc.text, k, v, "true")]),
        None => {
            let at = before.iter().filter_map(|k| entry(map, k).map(|(i, _, _)| i)).min();
            plan.edit(doc, [insert_entry(map, at, "case_sharing", "true", &doc.text)]);
        }
    }
}

/// The mapping of the group whose `name` value has this span.
fn group_node<'d>(doc: &'d Doc, name: &crate::source::Span) -> Option<&'d Node> {
    let (_, _, list) = entry(&doc.root, "groups")?;
    items(list).into_iter().find(|g| entry(g, "name").is_some_and(|(_, _, v)| v.span == *name))
}

/// Active users who can reach one of the apps and have no case owner.
fn without_owner<'p>(ix: &Index<'p>, apps: &[&str]) -> Vec<&'p User> {
    let reaches = |user: &User| match &user.role {
        None => true,
        Some(role) => match ix.roles.get(role.value.as_str()).map(|r| &r.apps) {
            Some(RoleApps::All) => true,
            Some(RoleApps::List(list)) => list.iter().any(|a| apps.contains(&a.value.as_str())),
            _ => false,
        },
    };
    ix.users
        .iter()
        .filter(|u| u.is_active && reaches(u))
        .filter(|u| ix.owners(u).is_some_and(|o| o.count() == 0))
        .collect()
}

/// The errors of a checked project, as `CODE message` lines, at the levels
/// `caseshare.toml` gives them (as `check` reports them).
fn errors(checked: &CheckResult, config: &Config) -> HashSet<String> {
    checked
        .diagnostics
        .iter()
        .filter(|d| config.severity(d) == Some(crate::diagnostic::Severity::Error))
        .map(|d| format!("{} {}", d.code(), d.message))
        .collect()
}

/// Re-checks the changed project: the listed apps must be at 2.0 or later with
/// case sharing on, and none of their users without a case owner.
/// Returns the errors the change adds (sorted), for the user to know.
fn verify(
    sources: &Sources,
    changes: &[Change],
    apps: &[String],
    before: &HashSet<String>,
) -> Result<Vec<String>, Refusal> {
    let checked = check_sources(sources.with_changes(changes), &Config::default());
    let mut new: Vec<String> = errors(&checked, &sources.config).into_iter().filter(|e| !before.contains(e)).collect();
    new.sort();
    let ix = Index::build(&checked.project);
    let two = Version::parse("2.0").expect("2.0 is a version");
    let listed: Vec<&str> = apps.iter().map(String::as_str).collect();
    let mut wrong: Vec<String> = Vec::new();
    for id in &listed {
        let Some(&a) = ix.app_by_id.get(id) else { continue };
        let app = ix.apps[a].app;
        if !app.case_sharing() || app.commcare_version.as_ref().is_some_and(|v| v.value < two) {
            wrong.push(format!("app `{id}`"));
        }
    }
    if !ix.def.case_sharing() {
        wrong.push("the project setting".into());
    }
    wrong.extend(
        without_owner(&ix, &listed)
            .iter()
            .filter(|u| !ix.in_doubt.contains(u.username.value.as_str()))
            .map(|u| format!("user `{}`", u.username.value)),
    );
    if wrong.is_empty() {
        Ok(new)
    } else {
        Err(Refusal::Internal(format!(
            "after the change, still not right: {}; please report this bug",
            wrong.join(", ")
        )))
    }
}
