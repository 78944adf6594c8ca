//! `caseshare migrate` (format 1 → 2) and `caseshare enable-sharing`.
//!
//! The flow is one way: read every definition file → parse with spans (a file
//! that does not parse stops everything) → each migration plans its edits as
//! data ([`edit::Edit`]s on the original text) → apply them in memory → load
//! the new tree as format 2 and refuse if a changed file would not pass (its
//! problems are mapped back to the original text) → print a diff, or write every
//! file or none ([`write`]).
//!
//! One migration per file, each a row of SPEC section 2's table:
//! [`format_version`], [`project_space`], [`case_sharing`], [`app_version`],
//! [`form_opens`] (registration, subcases, sets_owner), [`group_users`],
//! [`user_groups`] (memberships move from users to groups, across files).

pub mod app_version;
pub mod case_sharing;

pub mod enable_sharing;
pub mod form_opens;
pub mod format_version;
pub mod group_users;
pub mod project_space;
pub mod user_groups;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::check::CheckResult;
use crate::diagnostic::{Diagnostic, Place, Related};
use crate::project::Project;
pub use crate::read::Sources;
use crate::rules::{invalid_value, wrong_type};
use crate::source::{FileId, FileKind, SourceFile, Span};
pub use crate::write::Change;
use crate::yaml::edit::{self, Edit};
use crate::yaml::{Node, Value};

/// Why nothing can be changed.
#[derive(Debug)]
pub enum Refusal {
    /// Problems in the project's files, as diagnostics on the original text.
    Problems(Box<CheckResult>),
    /// The command needs more from its user (e.g. `--group`).
    Usage(String),
    /// A migration planned edits that overlap, or its result does not hold: a bug
    /// in caseshare.
    Internal(String),
}

/// A definition file, parsed.
#[derive(Debug)]
pub struct Doc {
    pub id: FileId,
    pub kind: FileKind,
    pub text: Arc<str>,
    /// The root mapping.
    pub root: Node,
    /// Format 1: no `format_version`, or `format_version: 1`.
    pub legacy: bool,
}

/// The edits and refusals gathered from the migrations.
pub struct Plan {
    /// Edits per file (indexed by `FileId`).
    pub edits: Vec<Vec<Edit>>,
    /// Problems that stop the migration.
    pub problems: Vec<Diagnostic>,
    /// Files to create, `(path relative to the root, content)`.
    pub created: Vec<(String, String)>,
}

impl Plan {
    pub fn new(files: usize) -> Plan {
        Plan { edits: vec![Vec::new(); files], problems: Vec::new(), created: Vec::new() }
    }

    pub fn edit(&mut self, doc: &Doc, edits: impl IntoIterator<Item = Edit>) {
        self.edits[doc.id.index()].extend(edits);
    }
}

/// The parsed project: its files (for diagnostics) and the definition files that loaded.
pub struct Parsed {
    /// The project root; `None` in memory.
    pub root: Option<PathBuf>,
    pub files: Vec<SourceFile>,
    pub docs: Vec<Doc>,
    pub problems: Vec<Diagnostic>,
}

/// Parses the definition files: a file that cannot be read as text or parsed
/// (F004, Y001–Y003) or has an unknown `format_version` (F001) is a problem;
/// empty files have nothing to migrate and are left out. Files outside the known
/// folders are not migrated. Only the trees of the files `keep` takes are kept:
/// of the others, the root's span and whether the file is format 1 (a command
/// that edits a few files of a project of 500,000 users does not hold the tree
/// of every users file; [`parse_file`] parses one again).
pub fn parse_keeping(sources: &Sources, keep: impl Fn(&Doc) -> bool + Sync) -> Parsed {
    let readable = sources.readable();
    let each: Vec<(Option<Doc>, Vec<Diagnostic>)> = sources
        .files
        .par_iter()
        .enumerate()
        .map(|(i, file)| {
            if file.kind == FileKind::Unknown || !readable[i] {
                return (None, Vec::new());
            }
            let (mut doc, problems) = parse_one(FileId::new(i), file);
            if let Some(doc) = doc.as_mut().filter(|d| !keep(d)) {
                doc.root.value = Value::Null;
            }
            (doc, problems)
        })
        .collect();
    let mut problems: Vec<Diagnostic> =
        sources.problems.iter().filter(|d| sources.files[d.file].kind != FileKind::Unknown).cloned().collect();
    let mut docs = Vec::new();
    for (doc, p) in each {
        docs.extend(doc);
        problems.extend(p);
    }
    Parsed { root: sources.root.clone(), files: sources.files.clone(), docs, problems }
}

/// One file of `sources` parsed with its tree (one [`parse_keeping`] did not keep),
/// if it parses to a mapping.
pub fn parse_file(sources: &Sources, id: FileId) -> Option<Doc> {
    parse_one(id, &sources.files[id.index()]).0
}

fn parse_one(id: FileId, file: &SourceFile) -> (Option<Doc>, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let text = file.text.clone();
    let Some(root) = crate::load::parse(id, &text, &mut problems) else { return (None, problems) };
    match &root.value {
        Value::Null => return (None, problems),
        Value::Map(_) => {}
        other => {
            problems.push(wrong_type::must_be(
                Place::new(id, root.span.clone()),
                &format!("`{}`", file.rel),
                "a mapping",
                other.kind(),
            ));
            return (None, problems);
        }
    }
    let legacy = match crate::load::format_of(&root, &text) {
        crate::load::Format::Current => false,
        crate::load::Format::Legacy(_) => true,
        crate::load::Format::Unsupported(v) => {
            problems.push(crate::load::unsupported(id, v, &text));
            return (None, problems);
        }
    };
    (Some(Doc { id, kind: file.kind, text, root, legacy }), problems)
}

/// Plans the migration of a project: the files that change, or why nothing can.
pub fn migrate(sources: &Sources) -> Result<Vec<Change>, Refusal> {
    // The migrations read format 1 files, and the groups files that format 1
    // users' memberships move into: only those trees are kept (a project at
    // format 2 does not hold the tree of every file to find nothing to do).
    let mut parsed = parse_keeping(sources, |d| d.legacy);
    if !parsed.problems.is_empty() {
        return Err(refuse(parsed.files, parsed.problems));
    }
    if parsed.docs.iter().any(|d| d.legacy && d.kind == FileKind::Users) {
        for doc in parsed.docs.iter_mut().filter(|d| !d.legacy && d.kind == FileKind::Groups) {
            if let Some(full) = parse_file(sources, doc.id) {
                *doc = full;
            }
        }
    }
    let mut plan = Plan::new(parsed.files.len());
    let docs = &parsed.docs;
    format_version::plan(docs, &mut plan);
    project_space::plan(docs, &mut plan);
    case_sharing::plan(docs, &mut plan);
    app_version::plan(docs, &mut plan);
    form_opens::plan(docs, &mut plan);
    group_users::plan(docs, &mut plan);
    user_groups::plan(docs, &mut plan);
    finish(parsed, plan)
}

/// Applies a plan in memory, re-checks the result, and lists the changes.
pub fn finish(parsed: Parsed, plan: Plan) -> Result<Vec<Change>, Refusal> {
    if !plan.problems.is_empty() {
        return Err(refuse(parsed.files, plan.problems));
    }
    let mut changes = Vec::new();
    for (file, edits) in parsed.files.iter().zip(&plan.edits) {
        if edits.is_empty() {
            continue;
        }
        let after = edit::apply(&file.text, edits)
            .map_err(|e| Refusal::Internal(format!("{}: {e}; please report this bug", file.display)))?;
        if after != *file.text {
            changes.push(Change {
                rel: file.rel.clone(),
                display: file.display.clone(),
                abs: file.abs.clone(),
                before: Some(file.text.to_string()),
                after,
            });
        }
    }
    // Shown like the other files: from the working folder.
    let prefix = parsed.files.first().and_then(|f| f.display.strip_suffix(f.rel.as_str())).unwrap_or("");
    for (rel, after) in &plan.created {
        let abs = parsed.root.as_ref().map_or_else(|| PathBuf::from(rel), |r| r.join(rel));
        let display = format!("{prefix}{rel}");
        changes.push(Change { rel: rel.clone(), display, abs, before: None, after: after.clone() });
    }
    gate(&parsed.files, &plan.edits, &changes)?;
    Ok(changes)
}

/// Loads the changed files as format 2: a changed file that would not load, or
/// not pass the schema, stops the migration. Problems are shown at the original text.
fn gate(files: &[SourceFile], edits: &[Vec<Edit>], changes: &[Change]) -> Result<(), Refusal> {
    let changed: HashSet<&str> = changes.iter().map(|c| c.rel.as_str()).collect();
    let ids: HashMap<&str, FileId> = files.iter().enumerate().map(|(i, f)| (f.rel.as_str(), FileId::new(i))).collect();
    // What blocks a rewrite is about one file each: loading the changed files is enough.
    let tree: Vec<(&str, &[u8])> = changes.iter().map(|c| (c.rel.as_str(), c.after.as_bytes())).collect();
    let (project, diags, _) = crate::load::load(Sources::memory(&tree));
    let original = |rel: &str| ids.get(rel).copied();
    let back = |file: FileId, span: &Span| -> (FileId, Span, bool) {
        let rel = &project.files[file].rel;
        match original(rel) {
            Some(id) => {
                let s = &edits[id.index()];
                (id, edit::map_back(s, span.start)..edit::map_back(s, span.end), !s.is_empty())
            }
            None => (file, span.clone(), false),
        }
    };
    let mut problems = Vec::new();
    let mut new_files = Vec::new();
    for d in diags.iter().filter(|d| d.rule.blocks_rewrite()) {
        let rel = &project.files[d.file].rel;
        if !changed.contains(rel.as_str()) {
            continue;
        }
        if original(rel).is_none() {
            // A created file: a bug in caseshare, shown in the new text.
            new_files.push(format!("{rel}: {}", d.message));
            continue;
        }
        let (file, span, _) = back(d.file, &d.span);
        let related = d
            .related
            .iter()
            .filter(|r| original(&project.files[r.file].rel).is_some())
            .map(|r| {
                let (file, span, _) = back(r.file, &r.span);
                Related { file, span, message: r.message.clone(), label: r.label }
            })
            .collect();
        let labels = d
            .labels
            .iter()
            .map(|l| {
                let (_, span, _) = back(d.file, &l.span);
                crate::diagnostic::Label { span, text: l.text.clone() }
            })
            .collect();
        let help = format!(
            "{}; the migrated file would not be valid format 2, so fix this before migrating",
            d.help.as_deref().unwrap_or("fix the value")
        );
        problems.push(Diagnostic {
            file,
            span,
            labels,
            related,
            help: Some(help.into()),
            fix: Vec::new(),
            ..d.clone()
        });
    }
    if !new_files.is_empty() {
        return Err(Refusal::Internal(format!("a created file would not load: {}", new_files.join("; "))));
    }
    if problems.is_empty() { Ok(()) } else { Err(refuse(files.to_vec(), problems)) }
}

fn refuse(files: Vec<SourceFile>, diagnostics: Vec<Diagnostic>) -> Refusal {
    let mut diagnostics = diagnostics;
    diagnostics.sort_by(|a, b| {
        (&files[a.file].rel, a.span.start, a.code()).cmp(&(&files[b.file].rel, b.span.start, b.code()))
    });
    diagnostics.dedup_by(|a, b| a.file == b.file && a.span == b.span && a.message == b.message);
    let project = Project { files, ..Project::default() };
    Refusal::Problems(Box::new(CheckResult { project, diagnostics, io_problems: Vec::new() }))
}

/// [`migrate`] for in-memory files `(path relative to the root, content)`.
pub fn migrate_memory(files: &[(&str, &str)]) -> Result<Vec<Change>, Refusal> {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    migrate(&Sources::memory(&bytes))
}

/// Yes/no in format 1: a boolean, or `yes`/`no`/`on`/`off`/`y`/`n` in any case.
pub fn legacy_bool(node: &Node, text: &str) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        // An alias (`*yes_please`) stands for its anchored value.
        Value::Str(s) if node.is_plain(text) || node.source(text).starts_with('*') => crate::model::yaml11_bool(s),
        _ => None,
    }
}

/// S004 for a format 1 yes/no key whose value is neither.
pub fn not_yes_no(doc: &Doc, key: &str, value: &Node) -> Diagnostic {
    invalid_value::not_yes_no(Place::new(doc.id, value.span.clone()), key, value.source(&doc.text).trim())
}

/// Y002 for a format 1 key whose format 2 name the mapping already has.
pub fn both_keys(doc: &Doc, old: &Node, new: &Node) -> Diagnostic {
    let (o, n) = (old.as_str().unwrap_or(""), new.as_str().unwrap_or(""));
    crate::rules::duplicate_key::renamed_twice(
        Place::new(doc.id, old.span.clone()),
        Place::new(doc.id, new.span.clone()),
        o,
        n,
    )
}

/// The list items of `key` in a mapping, as maps (e.g. the groups of a groups file).
pub fn maps_under<'n>(map: &'n Node, key: &str) -> Vec<&'n Node> {
    edit::entry(map, key)
        .map(|(_, _, v)| edit::items(v).into_iter().filter(|n| matches!(n.value, Value::Map(_))).collect())
        .unwrap_or_default()
}
