//! `caseshare migrate` (format 1 → 2) and `caseshare enable-sharing`.
//!
//! The flow is one way: read every definition file → parse with spans (a file
//! that does not parse stops everything) → each migration plans its edits as
//! data ([`edit::Splice`]s on the original text) → apply them in memory → load
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
pub mod edit;
pub mod enable_sharing;
pub mod form_opens;
pub mod format_version;
pub mod group_users;
pub mod project_space;
pub mod user_groups;
pub mod write;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Place, Related};
use crate::discover;
use crate::rules::{invalid_value, wrong_type};
use crate::source::{FileId, FileKind, SourceFile, Span};
use crate::yaml::{Node, Value};
use crate::{CheckResult, Error, Project};
use edit::Splice;

/// A file of the project as read from disk (or given by a test).
#[derive(Debug, Clone)]
pub struct Input {
    /// The path relative to the project root, with `/`.
    pub rel: String,
    /// The path as shown to the user.
    pub display: String,
    pub abs: PathBuf,
    pub bytes: Vec<u8>,
}

impl Input {
    pub fn memory(rel: &str, text: &str) -> Input {
        Input { rel: rel.into(), display: rel.into(), abs: PathBuf::from(rel), bytes: text.as_bytes().to_vec() }
    }
}

/// The new content of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub rel: String,
    pub display: String,
    pub abs: PathBuf,
    /// `None` for a file that does not exist yet.
    pub before: Option<String>,
    pub after: String,
}

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
    /// Splices per file (indexed by `FileId`).
    pub splices: Vec<Vec<Splice>>,
    /// Problems that stop the migration.
    pub problems: Vec<Diagnostic>,
    /// Files to create, `(path relative to the root, content)`.
    pub created: Vec<(String, String)>,
}

impl Plan {
    pub fn edit(&mut self, doc: &Doc, splices: impl IntoIterator<Item = Splice>) {
        self.splices[doc.id].extend(splices);
    }
}

/// The parsed project: its files (for diagnostics) and the definition files that loaded.
pub struct Parsed {
    pub files: Vec<SourceFile>,
    pub docs: Vec<Doc>,
    pub problems: Vec<Diagnostic>,
}

/// Reads every file of the project at `root`, showing paths relative to `cwd`;
/// files excluded by `caseshare.toml` and files outside the known folders are left
/// out. An unreadable file stops the migration: it might hold memberships.
pub fn read_project(root: &Path, cwd: &Path) -> Result<Vec<Input>, Error> {
    let config = crate::config::Config::load(root)?;
    let (entries, walk_errors) = discover::walk(root);
    if let Some((path, message)) = walk_errors.into_iter().next() {
        return Err(Error::Io { path: root.join(path), source: std::io::Error::other(message) });
    }
    let base = discover::relative_to(root, cwd);
    let mut inputs = Vec::new();
    for e in entries {
        if config.excluded(&e.rel) || e.kind == FileKind::Unknown {
            continue;
        }
        let meta = std::fs::metadata(&e.abs).map_err(|source| Error::Io { path: e.abs.clone(), source })?;
        if !meta.is_file() {
            let source = std::io::Error::other("not a regular file");
            return Err(Error::Io { path: e.abs.clone(), source });
        }
        let bytes = std::fs::read(&e.abs).map_err(|source| Error::Io { path: e.abs.clone(), source })?;
        let display = if base == "." || base.is_empty() { e.rel.clone() } else { format!("{base}/{}", e.rel) };
        inputs.push(Input { rel: e.rel, display, abs: e.abs, bytes });
    }
    Ok(inputs)
}

/// Parses the definition files: Y001–Y003, F001 and F004 are problems; empty files
/// have nothing to migrate and are left out.
pub fn parse(inputs: &[Input]) -> Parsed {
    let mut sorted: Vec<(&Input, FileKind)> = inputs
        .iter()
        .filter_map(|i| FileKind::of(&i.rel).filter(|k| *k != FileKind::Unknown).map(|k| (i, k)))
        .collect();
    sorted.sort_by(|a, b| a.0.rel.as_bytes().cmp(b.0.rel.as_bytes()));
    let each: Vec<(SourceFile, Option<Doc>, Vec<Diagnostic>)> =
        sorted.into_par_iter().enumerate().map(|(id, (input, kind))| parse_one(id, input, kind)).collect();
    let mut parsed = Parsed { files: Vec::with_capacity(each.len()), docs: Vec::new(), problems: Vec::new() };
    for (file, doc, problems) in each {
        parsed.files.push(file);
        parsed.docs.extend(doc);
        parsed.problems.extend(problems);
    }
    parsed
}

fn parse_one(id: FileId, input: &Input, kind: FileKind) -> (SourceFile, Option<Doc>, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let (text, utf8): (Arc<str>, bool) = match std::str::from_utf8(&input.bytes) {
        Ok(t) => (t.into(), true),
        Err(e) => {
            problems.push(crate::rules::not_utf8::diagnostic(id, e.valid_up_to()));
            (String::from_utf8_lossy(&input.bytes).into(), false)
        }
    };
    let file = SourceFile::new(input.rel.clone(), input.display.clone(), input.abs.clone(), kind, text.clone());
    if !utf8 {
        return (file, None, problems);
    }
    if input.bytes.len() as u64 > crate::load::MAX_FILE_BYTES {
        problems.push(crate::rules::yaml_limits::too_large(id, input.bytes.len() as u64, crate::load::MAX_FILE_BYTES));
        return (file, None, problems);
    }
    let Some(root) = crate::load::parse(id, &text, &mut problems) else { return (file, None, problems) };
    match &root.value {
        Value::Null => return (file, None, problems),
        Value::Map(_) => {}
        other => {
            problems.push(wrong_type::must_be(
                Place::new(id, root.span.clone()),
                &format!("`{}`", input.rel),
                "a mapping",
                other.kind(),
            ));
            return (file, None, problems);
        }
    }
    let legacy = match crate::load::format_of(&root, &text) {
        crate::load::Format::Current => false,
        crate::load::Format::Legacy(_) => true,
        crate::load::Format::Unsupported(v) => {
            problems.push(crate::load::unsupported(id, v, &text));
            return (file, None, problems);
        }
    };
    (file, Some(Doc { id, kind, text, root, legacy }), problems)
}

/// The codes that a changed file must not have once migrated: it would not load
/// as format 2.
const GATE: &[&str] = &["Y001", "Y002", "Y003", "F001", "F002", "F004", "S001", "S002", "S003", "S004"];

/// Plans the migration of a project: the files that change, or why nothing can.
pub fn migrate(inputs: &[Input]) -> Result<Vec<Change>, Refusal> {
    let parsed = parse(inputs);
    if !parsed.problems.is_empty() {
        return Err(refuse(parsed.files, parsed.problems));
    }
    let mut plan = Plan { splices: vec![Vec::new(); parsed.files.len()], problems: Vec::new(), created: Vec::new() };
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
    for (file, splices) in parsed.files.iter().zip(&plan.splices) {
        if splices.is_empty() {
            continue;
        }
        let after = edit::apply(&file.text, splices)
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
    let root = root_of(&parsed.files);
    // Shown like the other files: from the working folder.
    let prefix = parsed.files.first().and_then(|f| f.display.strip_suffix(f.rel.as_str())).unwrap_or("");
    for (rel, after) in &plan.created {
        let abs = root.as_ref().map_or_else(|| PathBuf::from(rel), |r| r.join(rel));
        let display = format!("{prefix}{rel}");
        changes.push(Change { rel: rel.clone(), display, abs, before: None, after: after.clone() });
    }
    gate(&parsed.files, &plan.splices, &changes)?;
    Ok(changes)
}

/// The project root, from a file's absolute and relative paths (`None` in memory).
pub fn root_of(files: &[SourceFile]) -> Option<PathBuf> {
    files.first().and_then(|f| {
        let depth = f.rel.split('/').count();
        f.abs.ancestors().nth(depth).map(Path::to_path_buf)
    })
}

/// Loads the changed files as format 2: a changed file that would not load, or
/// not pass the schema, stops the migration. Problems are shown at the original text.
fn gate(files: &[SourceFile], splices: &[Vec<Splice>], changes: &[Change]) -> Result<(), Refusal> {
    let changed: HashSet<&str> = changes.iter().map(|c| c.rel.as_str()).collect();
    let ids: HashMap<&str, FileId> = files.iter().enumerate().map(|(i, f)| (f.rel.as_str(), i)).collect();
    // The gate's codes are about one file each: loading the changed files is enough.
    let tree: Vec<(&str, &[u8])> = changes.iter().map(|c| (c.rel.as_str(), c.after.as_bytes())).collect();
    let (project, diags) = crate::load::load_memory(&tree);
    let original = |rel: &str| ids.get(rel).copied();
    let back = |file: FileId, span: &Span| -> (FileId, Span, bool) {
        let rel = &project.files[file].rel;
        match original(rel) {
            Some(id) => {
                let s = &splices[id];
                (id, edit::map_back(s, span.start)..edit::map_back(s, span.end), !s.is_empty())
            }
            None => (file, span.clone(), false),
        }
    };
    let mut problems = Vec::new();
    let mut new_files = Vec::new();
    for d in diags.iter().filter(|d| GATE.contains(&d.code())) {
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
                Related { file, span, message: r.message.clone() }
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
        problems.push(Diagnostic { file, span, labels, related, help: Some(help), fix: Vec::new(), ..d.clone() });
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
    let root = PathBuf::new();
    let project = Project { root, files, ..Project::default() };
    Refusal::Problems(Box::new(CheckResult { project, diagnostics, io_problems: Vec::new() }))
}

/// Writes the changes: every file or none ([`write::commit`]).
pub fn apply(changes: &[Change]) -> Result<(), write::WriteError> {
    write::commit(&writes(changes))
}

/// The changes as files to write.
pub fn writes(changes: &[Change]) -> Vec<write::FileWrite> {
    changes
        .iter()
        .map(|c| write::FileWrite {
            path: c.abs.clone(),
            contents: c.after.as_bytes().to_vec(),
            create: c.before.is_none(),
        })
        .collect()
}

/// [`migrate`] for in-memory files `(path relative to the root, content)`.
pub fn migrate_memory(files: &[(&str, &str)]) -> Result<Vec<Change>, Refusal> {
    let inputs: Vec<Input> = files.iter().map(|(p, t)| Input::memory(p, t)).collect();
    migrate(&inputs)
}

/// A unified diff of the changes (`/dev/null` for created files).
pub fn diff(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let before = c.before.as_deref().unwrap_or("");
        let old = if c.before.is_some() { format!("a/{}", c.display) } else { "/dev/null".to_string() };
        let d = similar::TextDiff::from_lines(before, &c.after);
        out.push_str(&d.unified_diff().context_radius(3).header(&old, &format!("b/{}", c.display)).to_string());
    }
    out
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
