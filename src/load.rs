//! The per-file stage: parsing, schema-checking and converting each file that was
//! read. Every file is loaded on its own: a file that fails is reported and the
//! others still take part.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Place};
use crate::error::IoProblem;
use crate::model::{self, Conv};
use crate::project::Project;
use crate::read::{self, Listing, Sources};
use crate::rules::{duplicate_key, legacy_format, unknown_file, unsupported_format_version, yaml_limits, yaml_syntax};
use crate::source::{FileId, FileKind, SourceFile, Span};
use crate::yaml::{self, Node, ParseError, Value};
use crate::{schema_check, suppress};

/// What a file held, once converted. The lists of definitions are shared, so
/// that a project can be assembled again from files that did not change (the
/// language server does, after each edit).
#[derive(Debug, Clone)]
pub enum Loaded {
    /// Boxed: the other kinds are a pointer, and the language server keeps one
    /// of these per file (50,000 on the benchmark's large project).
    Project(Box<model::ProjectDef>),
    App(Arc<model::App>),
    Groups(Arc<Vec<model::Group>>, bool),
    Users(Arc<Vec<model::User>>, bool),
    Locations(Arc<Vec<model::Location>>, bool),
}

impl Loaded {
    /// Adds the definitions to a project; whether the file was read whole (a
    /// file whose top list is missing may hold names the others refer to).
    pub fn add_to(&self, project: &mut Project) -> bool {
        match self {
            Loaded::Project(def) => {
                project.def = Some((**def).clone());
                true
            }
            Loaded::App(a) => {
                project.apps.push(a.clone());
                true
            }
            Loaded::Groups(g, complete) => {
                project.groups.push_shared(g.clone());
                *complete
            }
            Loaded::Users(u, complete) => {
                project.users.push_shared(u.clone());
                *complete
            }
            Loaded::Locations(l, complete) => {
                project.locations.push_shared(l.clone());
                *complete
            }
        }
    }

    /// Gives the models the id of the file they came from (known once the files
    /// are gathered in order).
    pub fn set_file(&mut self, id: FileId) {
        // Definitions already at this id stay as they are (and shared, when
        // another project holds them too: `diff`'s two sides).
        if self.is_at(id) {
            return;
        }
        match self {
            Loaded::Project(def) => def.file = id,
            Loaded::App(a) => Arc::make_mut(a).file = id,
            Loaded::Groups(g, _) => Arc::make_mut(g).iter_mut().for_each(|g| g.file = id),
            Loaded::Users(u, _) => Arc::make_mut(u).iter_mut().for_each(|u| u.file = id),
            Loaded::Locations(l, _) => Arc::make_mut(l).iter_mut().for_each(|l| l.file = id),
        }
    }

    /// Whether every definition is already that of file `id`.
    fn is_at(&self, id: FileId) -> bool {
        match self {
            Loaded::Project(def) => def.file == id,
            Loaded::App(a) => a.file == id,
            Loaded::Groups(g, _) => g.iter().all(|g| g.file == id),
            Loaded::Users(u, _) => u.iter().all(|u| u.file == id),
            Loaded::Locations(l, _) => l.iter().all(|l| l.file == id),
        }
    }
}

/// One file after the per-file stage.
pub(crate) struct Staged {
    pub file: SourceFile,
    pub diags: Vec<Diagnostic>,
    pub loaded: Option<Loaded>,
}

/// Loads the files that were read: each is parsed, checked and converted on its
/// own, in parallel, then gathered in path order, so the result does not depend
/// on the number of threads. A file that cannot be loaded is reported, and the
/// kinds of names it could define are noted in [`Project::failed`].
pub fn load(sources: Sources) -> (Project, Vec<Diagnostic>, Vec<IoProblem>) {
    let readable = sources.readable();
    let staged: Vec<Result<Staged, IoProblem>> = sources
        .files
        .into_par_iter()
        .enumerate()
        .map(|(i, file)| {
            let mut diags = Vec::new();
            let loaded = if readable[i] { load_text(FileId::new(i), &file, &mut diags) } else { None };
            Ok(Staged { file, diags, loaded })
        })
        .collect();
    gather(sources.root, staged.into_iter().map(|s| s.map(|s| (s, ()))), sources.problems, sources.io, |_, _, _, ()| {})
}

/// Reads and loads the project listed, streaming: each file is read, parsed,
/// checked and converted in one step, in parallel, and then only its model is
/// kept. Its text is set aside too, unless the file has diagnostics or `allow`
/// comments: a cross-file diagnostic in it reads it again ([`SourceFile::restore`]).
pub fn load_listing(listing: Listing) -> (Project, Vec<Diagnostic>, Vec<IoProblem>) {
    load_listing_with(listing, &HashMap::new())
}

/// [`load_listing`], with the texts of some files `given` (by path relative to
/// the root) in place of what is on disk; their texts are kept (the disk holds
/// another).
pub fn load_listing_with(listing: Listing, given: &HashMap<&str, &str>) -> (Project, Vec<Diagnostic>, Vec<IoProblem>) {
    let staged: Vec<Result<Staged, IoProblem>> = listing
        .entries
        .into_par_iter()
        .map(|(entry, display)| {
            let text = given.get(entry.rel.as_str());
            let content = match text {
                Some(text) => Ok(read::decode(text.as_bytes().to_vec())),
                None => read::content(&entry),
            };
            // The file's id is known once the files are gathered: stage it as file 0.
            let (mut file, problem) = read::source(FileId(0), &entry, display.clone(), content).map_err(|message| {
                IoProblem { path: display, message, kind: Some(entry.kind), rel: Some(entry.rel.clone()) }
            })?;
            let mut diags: Vec<Diagnostic> = problem.into_iter().collect();
            let loaded = if diags.is_empty() { load_text(FileId(0), &file, &mut diags) } else { None };
            if diags.is_empty() && text.is_none() && !suppress::has_allows(&file.text) {
                file.set_aside();
            }
            Ok(Staged { file, diags, loaded })
        })
        .collect();
    let loaded = gather(
        Some(listing.root),
        staged.into_iter().map(|s| s.map(|s| (s, ()))),
        Vec::new(),
        listing.io,
        |_, _, _, ()| {},
    );
    crate::memory::after_load();
    loaded
}

/// Gathers the staged files in order: ids, models, failed kinds. `each` is
/// given every file with its diagnostics and definitions once they have the
/// file's id, and what came with the file (`diff` keeps them for its other side).
pub(crate) fn gather<E>(
    root: Option<std::path::PathBuf>,
    staged: impl IntoIterator<Item = Result<(Staged, E), IoProblem>>,
    mut diags: Vec<Diagnostic>,
    mut io: Vec<IoProblem>,
    mut each: impl FnMut(&SourceFile, &[Diagnostic], Option<Loaded>, E),
) -> (Project, Vec<Diagnostic>, Vec<IoProblem>) {
    let staged: Vec<Result<(Staged, E), IoProblem>> = staged.into_iter().collect();
    let mut project = Project { root: root.unwrap_or_default(), ..Project::default() };
    project.files.reserve_exact(staged.iter().flatten().count());
    for staged in staged {
        let (Staged { file, diags: file_diags, mut loaded }, extra) = match staged {
            Ok(s) => s,
            Err(problem) => {
                io.push(problem);
                continue;
            }
        };
        let id = FileId::new(project.files.len());
        let first = diags.len();
        diags.extend(file_diags.into_iter().map(|mut d| {
            d.file = id;
            d.related.iter_mut().for_each(|r| r.file = id);
            d
        }));
        let kind = file.kind;
        let complete = match &mut loaded {
            Some(loaded) => {
                loaded.set_file(id);
                loaded.add_to(&mut project)
            }
            None => kind == FileKind::Unknown,
        };
        if !complete {
            project.fail_file(id, kind);
        }
        each(&file, &diags[first..], loaded, extra);
        project.files.push(file);
    }
    for kind in io.iter().filter_map(|p| p.kind) {
        project.fail(kind);
    }
    (project, diags, io)
}

/// The per-file stage for one file that was read: parse, schema check, convert.
/// Its diagnostics, and its definitions unless it cannot be loaded.
pub fn stage(id: FileId, file: &SourceFile) -> (Vec<Diagnostic>, Option<Loaded>) {
    let mut diags = Vec::new();
    let loaded = load_text(id, file, &mut diags);
    (diags, loaded)
}

/// Parses, schema-checks and converts one file; `None` when it cannot be loaded.
fn load_text(file: FileId, src: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<Loaded> {
    let text = &*src.text;
    if src.kind == FileKind::Unknown {
        let head = 0..text.find(['\n', '\r']).unwrap_or(text.len());
        diags.push(unknown_file::diagnostic(Place::new(file, head), &src.rel));
        return None;
    }
    let root = parse(file, text, diags)?;
    if root.value == Value::Null {
        // No `format_version`, so format 1 by the letter of the spec; say why.
        diags.push(legacy_format::empty(Place::new(file, 0..0)));
        return None;
    }
    if root.as_map().is_some() && !format_is_current(file, &root, text, diags) {
        return None;
    }
    diags.extend(schema_check::validate(src.kind, file, &root, text, &src.rel));
    let mut cx = Conv::new(file, text);
    let fields = cx.map(&root)?;
    Some(match src.kind {
        FileKind::Project => Loaded::Project(Box::new(model::project::convert(&mut cx, fields))),
        FileKind::App => Loaded::App(Arc::new(model::app::convert(&mut cx, fields, src.stem()))),
        FileKind::Groups => {
            let (g, complete) = model::groups::convert(&mut cx, fields);
            Loaded::Groups(Arc::new(g), complete)
        }
        FileKind::Users => {
            let (u, complete) = model::users::convert(&mut cx, fields);
            Loaded::Users(Arc::new(u), complete)
        }
        FileKind::Locations => {
            let (l, complete) = model::locations::convert(&mut cx, fields);
            Loaded::Locations(Arc::new(l), complete)
        }
        FileKind::Unknown => return None,
    })
}

/// Parses one file's text: Y001 when it is not YAML, Y003 over the limits, Y002
/// for repeated keys; `None` when any of these stops it from loading.
pub fn parse(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> Option<yaml::Node> {
    let root = match yaml::parse(text) {
        Ok(root) => root,
        Err(ParseError::Syntax { message, span }) => {
            diags.push(yaml_syntax::diagnostic(Place::new(file, span), &message));
            return None;
        }
        Err(ParseError::Limits { message, span }) => {
            diags.push(yaml_limits::diagnostic(Place::new(file, span), &message));
            return None;
        }
    };
    let dups = yaml::duplicate_keys(&root);
    if !dups.is_empty() {
        for d in dups {
            diags.push(duplicate_key::diagnostic(Place::new(file, d.second), Place::new(file, d.first), &d.key));
        }
        return None;
    }
    Some(root)
}

/// The `format_version` of a file's root mapping: 2 (current), 1 (legacy: also
/// when absent), or another value (F001).
pub enum Format<'n> {
    Current,
    Legacy(Span),
    Unsupported(&'n Node),
}

/// Reads the format of a root mapping; a legacy file without `format_version` is
/// labelled at its first line.
pub fn format_of<'n>(root: &'n Node, text: &str) -> Format<'n> {
    let entries = root.as_map().unwrap_or(&[]);
    match entries.iter().find(|(k, _)| k.as_str() == Some("format_version")).map(|(_, v)| v) {
        Some(v) if v.value == Value::Int(2) => Format::Current,
        Some(v) if v.value == Value::Int(1) => Format::Legacy(v.span.clone()),
        None => {
            let start = entries.first().map_or(root.span.start, |(k, _)| k.span.start);
            let end = text[start.min(text.len())..].find(['\n', '\r']).map_or(text.len(), |i| start + i);
            Format::Legacy(start..end.max(start))
        }
        Some(v) => Format::Unsupported(v),
    }
}

/// F001/F002: only format 2 files are loaded.
fn format_is_current(file: FileId, root: &Node, text: &str, diags: &mut Vec<Diagnostic>) -> bool {
    match format_of(root, text) {
        Format::Current => true,
        Format::Legacy(span) => {
            diags.push(legacy_format::diagnostic(Place::new(file, span)));
            false
        }
        Format::Unsupported(v) => {
            diags.push(unsupported(file, v, text));
            false
        }
    }
}

/// F001 for a `format_version` other than 1 or 2.
pub fn unsupported(file: FileId, v: &Node, text: &str) -> Diagnostic {
    let shown = v.source(text).trim();
    let as_text = v.as_str() == Some("2") || v.value == Value::Float(2.0);
    unsupported_format_version::diagnostic(Place::new(file, v.span.clone()), shown, as_text)
}
