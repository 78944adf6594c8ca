//! Reading, parsing and converting the files of a project. Every file is loaded on
//! its own: a file that fails is reported and the others still take part.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Place};
use crate::discover::{self, relative_to};
use crate::model::{self, Conv};
use crate::rules::{
    duplicate_key, legacy_format, not_utf8, unknown_file, unsupported_format_version, yaml_limits, yaml_syntax,
};
use crate::schema_check;
use crate::source::{FileId, FileKind, SourceFile, Span};
use crate::yaml::{self, Node, ParseError, Value};
use crate::{IoProblem, Project};

/// Files larger than this are not parsed (Y003).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// What a file held, once converted.
enum Loaded {
    Project(model::ProjectDef),
    App(model::App),
    Groups((Vec<model::Group>, bool)),
    Users((Vec<model::User>, bool)),
    Locations((Vec<model::Location>, bool)),
}

/// Loads the project at `root`; paths are shown relative to `cwd`. Files are
/// read, parsed and converted in parallel, then gathered in path order, so the
/// result does not depend on the number of threads.
pub fn load(root: &Path, cwd: &Path, config: &Config) -> (Project, Vec<Diagnostic>, Vec<IoProblem>) {
    let (entries, walk_errors) = discover::walk(root);
    let mut loader = Loader {
        project: Project { root: root.to_path_buf(), ..Project::default() },
        diags: Vec::new(),
        io: Vec::new(),
    };
    for (path, message) in walk_errors {
        loader.io.push(IoProblem { path: relative_to(&root.join(&path), cwd), message });
    }
    let entries: Vec<discover::Entry> = entries.into_iter().filter(|e| !config.excluded(&e.rel)).collect();
    let contents: Vec<Result<Read, String>> = entries.par_iter().map(|e| read(&e.abs)).collect();
    // Paths are shown relative to the working directory: the root's, then the file's.
    let base = relative_to(root, cwd);
    let inputs = number(entries.into_iter().zip(contents).map(|(e, c)| {
        let display = if base == "." || base.is_empty() { e.rel.clone() } else { format!("{base}/{}", e.rel) };
        (e.rel, display, e.abs, e.kind, c)
    }));
    let prepared: Vec<Prepared> = inputs.into_par_iter().map(prepare).collect();
    for p in prepared {
        loader.merge(p);
    }
    (loader.project, loader.diags, loader.io)
}

/// Loads a project from in-memory files `(path relative to the root, content)`;
/// paths that caseshare ignores are skipped, as on disk.
pub fn load_memory(files: &[(&str, &[u8])]) -> (Project, Vec<Diagnostic>) {
    let mut sorted: Vec<&(&str, &[u8])> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut loader = Loader { project: Project::default(), diags: Vec::new(), io: Vec::new() };
    let inputs = number(sorted.into_iter().filter_map(|(rel, bytes)| {
        let kind = FileKind::of(rel)?;
        Some((rel.to_string(), rel.to_string(), std::path::PathBuf::from(rel), kind, Ok(decode(bytes.to_vec()))))
    }));
    let prepared: Vec<Prepared> = inputs.into_par_iter().map(prepare).collect();
    for p in prepared {
        loader.merge(p);
    }
    (loader.project, loader.diags)
}

/// A file to load: its id (none when it could not be read), paths, kind and content.
type Input = (Option<FileId>, String, String, std::path::PathBuf, FileKind, Result<Read, String>);

/// Numbers the files that were read, in order: their ids in `Project::files`.
fn number(
    files: impl Iterator<Item = (String, String, std::path::PathBuf, FileKind, Result<Read, String>)>,
) -> Vec<Input> {
    let mut next = 0;
    files
        .map(|(rel, display, abs, kind, content)| {
            let id = content.is_ok().then(|| {
                next += 1;
                next - 1
            });
            (id, rel, display, abs, kind, content)
        })
        .collect()
}

/// One file, loaded on its own.
struct Prepared {
    kind: FileKind,
    file: Option<SourceFile>,
    diags: Vec<Diagnostic>,
    loaded: Option<Loaded>,
    io: Option<IoProblem>,
}

fn prepare((id, rel, display, abs, kind, content): Input) -> Prepared {
    let mut p = Prepared { kind, file: None, diags: Vec::new(), loaded: None, io: None };
    let (Some(file_id), Ok(content)) = (id, content.as_ref().map_err(Clone::clone)) else {
        if let Err(message) = content {
            p.io = Some(IoProblem { path: display, message });
        }
        return p;
    };
    let text = match content {
        Read::Text(t) => t.clone(),
        Read::NotUtf8 { lossy, at } => {
            p.file = Some(SourceFile::new(rel, display, abs, kind, lossy.as_str().into()));
            p.diags.push(not_utf8::diagnostic(file_id, *at));
            return p;
        }
        Read::TooLarge(len) => {
            p.file = Some(SourceFile::new(rel, display, abs, kind, Arc::from("")));
            p.diags.push(yaml_limits::too_large(file_id, *len, MAX_FILE_BYTES));
            return p;
        }
    };
    let file = SourceFile::new(rel, display, abs, kind, text);
    p.loaded = load_text(file_id, &file, &mut p.diags);
    p.file = Some(file);
    p
}

struct Loader {
    project: Project,
    diags: Vec<Diagnostic>,
    io: Vec<IoProblem>,
}

impl Loader {
    /// Gathers one loaded file (files come in path order).
    fn merge(&mut self, p: Prepared) {
        let project = &mut self.project;
        self.diags.extend(p.diags);
        if let Some(io) = p.io {
            self.io.push(io);
            fail(project, p.kind);
            return;
        }
        let Some(file) = p.file else { return };
        project.files.push(file);
        let complete = match p.loaded {
            Some(Loaded::Project(def)) => {
                project.def = Some(def);
                true
            }
            Some(Loaded::App(a)) => {
                project.apps.push(a);
                true
            }
            Some(Loaded::Groups((g, complete))) => {
                project.groups.extend(g);
                complete
            }
            Some(Loaded::Users((u, complete))) => {
                project.users.extend(u);
                complete
            }
            Some(Loaded::Locations((l, complete))) => {
                project.locations.extend(l);
                complete
            }
            None => p.kind == FileKind::Unknown,
        };
        if !complete {
            fail(project, p.kind);
        }
    }
}

fn fail(project: &mut Project, kind: FileKind) {
    if !project.failed.contains(&kind) {
        project.failed.push(kind);
    }
}

enum Read {
    Text(Arc<str>),
    NotUtf8 { lossy: String, at: usize },
    TooLarge(u64),
}

fn read(path: &Path) -> Result<Read, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Ok(Read::TooLarge(meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    Ok(decode(bytes))
}

fn decode(bytes: Vec<u8>) -> Read {
    match String::from_utf8(bytes) {
        Ok(s) => Read::Text(s.into()),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            Read::NotUtf8 { lossy: String::from_utf8_lossy(e.as_bytes()).into_owned(), at }
        }
    }
}

/// Parses, schema-checks and converts one file; `None` when it cannot be loaded.
fn load_text(file: FileId, src: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<Loaded> {
    let text = &*src.text;
    if src.kind == FileKind::Unknown {
        let head = 0..text.find('\n').unwrap_or(text.len());
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
        FileKind::Project => Loaded::Project(model::project::convert(&mut cx, fields)),
        FileKind::App => Loaded::App(model::app::convert(&mut cx, fields, src.stem())),
        FileKind::Groups => Loaded::Groups(model::groups::convert(&mut cx, fields)),
        FileKind::Users => Loaded::Users(model::users::convert(&mut cx, fields)),
        FileKind::Locations => Loaded::Locations(model::locations::convert(&mut cx, fields)),
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
            let end = text[start.min(text.len())..].find('\n').map_or(text.len(), |i| start + i);
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
