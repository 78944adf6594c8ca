//! `check`: the whole pipeline for one project, from its root (or from files in
//! memory) to sorted diagnostics: read → load (parse, schema, model) → index →
//! rules → levels and suppressions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::{Error, IoProblem};
use crate::project::Project;
use crate::read::{self, Sources};
use crate::rules::interrupted_write;
use crate::source::{FileId, FileKind, SourceFile};
use crate::write::journal;
use crate::{discover, index, load, rules, suppress};

/// The outcome of checking one project.
#[derive(Debug)]
pub struct CheckResult {
    pub project: Project,
    pub diagnostics: Vec<Diagnostic>,
    pub io_problems: Vec<IoProblem>,
}

impl CheckResult {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == severity).count()
    }
}

/// Checks the project that contains each path (one result per distinct project).
pub fn check_paths(paths: &[PathBuf]) -> Result<Vec<CheckResult>, Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Io { path: ".".into(), source })?;
    let mut roots: Vec<PathBuf> = Vec::new();
    let defaults = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &defaults[..] } else { paths };
    for p in paths {
        let root = discover::find_root(p)?;
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    roots.iter().map(|root| check_root(root, &cwd)).collect()
}

/// Checks the project at `root` with its `caseshare.toml`, showing paths relative to `cwd`.
pub fn check_root(root: &Path, cwd: &Path) -> Result<CheckResult, Error> {
    if journal::pending(root) {
        return Ok(interrupted(root, cwd));
    }
    let config = Config::load(root)?;
    let (project, diagnostics, io_problems) = load::load_listing(read::list(root, cwd, &config));
    Ok(finish(project, diagnostics, io_problems, &config))
}

/// A project with a left-over journal is half-written: F006, and nothing else.
fn interrupted(root: &Path, cwd: &Path) -> CheckResult {
    let rel = format!("{}/{}", journal::DIR, journal::FILE);
    let base = discover::relative_to(root, cwd);
    let display = if base == "." || base.is_empty() { rel.clone() } else { format!("{base}/{rel}") };
    let file = SourceFile::new(rel, display, journal::path(root), FileKind::Unknown, "".into());
    let project = Project { root: root.to_path_buf(), files: vec![file], ..Project::default() };
    let diagnostics = vec![interrupted_write::diagnostic(FileId::new(0))];
    CheckResult { project, diagnostics, io_problems: Vec::new() }
}

/// Checks a project given as in-memory files `(path relative to the root, content)`.
pub fn check_memory(files: &[(&str, &str)]) -> CheckResult {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    check_bytes(&bytes)
}

/// [`check_memory`] for contents that may not be UTF-8 (F004).
pub fn check_bytes(files: &[(&str, &[u8])]) -> CheckResult {
    check_sources(Sources::memory(files), &Config::default())
}

/// Checks the project listed, read as [`check_root`] reads it (file by file,
/// each text let go once its model is made), with the texts of some files
/// `given` (by path relative to the root) in place of what is on disk.
pub fn check_listing(listing: read::Listing, given: &HashMap<&str, &str>, config: &Config) -> CheckResult {
    let (project, diagnostics, io_problems) = load::load_listing_with(listing, given);
    finish(project, diagnostics, io_problems, config)
}

/// Checks a project that was read.
pub fn check_sources(sources: Sources, config: &Config) -> CheckResult {
    let (project, diagnostics, io_problems) = load::load(sources);
    finish(project, diagnostics, io_problems, config)
}

fn finish(project: Project, diagnostics: Vec<Diagnostic>, io_problems: Vec<IoProblem>, config: &Config) -> CheckResult {
    let diagnostics = {
        let index = project.def.as_ref().map(|_| index::Index::build(&project));
        diagnose(&project, index.as_ref(), diagnostics, config)
    };
    // Files whose text was set aside and that a diagnostic points into are read again.
    let mut io_problems = io_problems;
    let mut project = project;
    let mut needed = vec![false; project.files.len()];
    for d in &diagnostics {
        needed[d.file.index()] = true;
        d.related.iter().for_each(|r| needed[r.file.index()] = true);
    }
    for (file, _) in project.files.iter_mut().zip(needed).filter(|(f, n)| *n && f.set_aside) {
        if let Err(message) = file.restore() {
            io_problems.push(IoProblem {
                path: file.display.clone(),
                message,
                kind: Some(file.kind),
                rel: Some(file.rel.clone()),
            });
        }
    }
    CheckResult { project, diagnostics, io_problems }
}

/// The rest of the pipeline on a loaded project and its index (none when
/// `project.yaml` did not load): the cross-file rules, rule levels and
/// suppressions, then the diagnostics in order (by file path, then place). The
/// language server runs the same on the project it keeps up to date.
pub fn diagnose(
    project: &Project,
    index: Option<&index::Index<'_>>,
    mut diagnostics: Vec<Diagnostic>,
    config: &Config,
) -> Vec<Diagnostic> {
    if let Some(index) = index {
        rules::run(index, &mut diagnostics);
        // G003 leaves to G001 and G002 the users they report: to none when
        // `caseshare.toml` turns them off.
        let off = |code: &str| matches!(config.levels.get(code), Some(None));
        if off("G001") || off("G002") {
            rules::not_exactly_one_owner::fallback(index, &mut diagnostics, off("G001"), off("G002"));
        }
    }
    let diagnostics = config.apply(diagnostics);
    // Cross-file rules skip what they cannot know when a file did not load: their
    // `allow` comments are then not reported as unused.
    let complete = project.def.is_some() && project.failed.is_empty();
    let mut diagnostics = config.apply(suppress::apply(&project.files, diagnostics, complete));
    let files = &project.files;
    diagnostics.sort_by(|a, b| {
        (&files[a.file].rel, a.span.start, a.code(), &a.message).cmp(&(
            &files[b.file].rel,
            b.span.start,
            b.code(),
            &b.message,
        ))
    });
    diagnostics
}
