//! The per-file stage: parsing, schema-checking and converting each file that was
//! read. Every file is loaded on its own: a file that fails is reported and the
//! others still take part.

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Place};
use crate::error::IoProblem;
use crate::model::{self, Conv};
use crate::project::Project;
use crate::read::Sources;
use crate::rules::{duplicate_key, legacy_format, unknown_file, unsupported_format_version, yaml_limits, yaml_syntax};
use crate::schema_check;
use crate::source::{FileId, FileKind, SourceFile, Span};
use crate::yaml::{self, Node, ParseError, Value};

/// What a file held, once converted.
enum Loaded {
    Project(model::ProjectDef),
    App(model::App),
    Groups((Vec<model::Group>, bool)),
    Users((Vec<model::User>, bool)),
    Locations((Vec<model::Location>, bool)),
}

/// Loads the files that were read: each is parsed, checked and converted on its
/// own, in parallel, then gathered in path order, so the result does not depend
/// on the number of threads. A file that cannot be loaded is reported, and the
/// kinds of names it could define are noted in [`Project::failed`].
pub fn load(sources: Sources) -> (Project, Vec<Diagnostic>, Vec<IoProblem>) {
    let readable = sources.readable();
    let mut project = Project { root: sources.root.clone().unwrap_or_default(), ..Project::default() };
    let mut diags = sources.problems;
    let loaded: Vec<(Vec<Diagnostic>, Option<Loaded>)> = sources
        .files
        .par_iter()
        .enumerate()
        .map(|(i, file)| {
            let mut diags = Vec::new();
            let loaded = if readable[i] { load_text(FileId::new(i), file, &mut diags) } else { None };
            (diags, loaded)
        })
        .collect();
    for kind in sources.io.iter().filter_map(|p| p.kind) {
        fail(&mut project, kind);
    }
    for (file, (file_diags, loaded)) in sources.files.iter().zip(loaded) {
        diags.extend(file_diags);
        let complete = match loaded {
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
            None => file.kind == FileKind::Unknown,
        };
        if !complete {
            fail(&mut project, file.kind);
        }
    }
    project.files = sources.files;
    (project, diags, sources.io)
}

fn fail(project: &mut Project, kind: FileKind) {
    if !project.failed.contains(&kind) {
        project.failed.push(kind);
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
