//! caseshare validates CommCare project definitions kept as YAML in git.
//!
//! The pipeline flows one way:
//! [`discover`] (find the root, walk the tree) → [`load`] (read, parse with spans,
//! check YAML and typing, convert to the [`model`]) → [`index::Index`] (built once:
//! names, memberships, case owners) → [`rules`] → [`suppress`] → [`report`].
//! [`check`] runs all of it; the binary only parses arguments and prints.

pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod fix;
pub mod hash;
pub mod hq;
pub mod index;
pub mod init;
pub mod load;
pub mod migrate;
pub mod model;
pub mod near;
pub mod report;
pub mod rule;
pub mod rules;
pub mod schema;
pub mod schema_check;
pub mod source;
pub mod suppress;
pub mod yaml;

use std::path::{Path, PathBuf};

use diagnostic::{Diagnostic, Severity};
use model::{App, Group, Location, ProjectDef, User};
use source::{FileKind, SourceFile};

/// Why caseshare could not do its job (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no project.yaml in `{0}` or any folder above it")]
    NoProject(PathBuf),
    #[error("cannot read `{path}`: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("`{}` exists already; caseshare init writes only new files", .0.display())]
    Exists(PathBuf),
    #[error("{}:{line}: {message}", path.display())]
    Config { path: PathBuf, line: usize, message: String },
}

/// A file that could not be read; the rest of the project is still checked.
#[derive(Debug, Clone)]
pub struct IoProblem {
    pub path: String,
    pub message: String,
}

/// A loaded project: its files and the definitions they hold.
#[derive(Debug, Default)]
pub struct Project {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    pub def: Option<ProjectDef>,
    pub apps: Vec<App>,
    pub groups: Vec<Group>,
    pub users: Vec<User>,
    pub locations: Vec<Location>,
    /// Kinds of which some file could not be loaded: references to names of these
    /// kinds are not reported as unknown (the definition may be in that file).
    pub failed: Vec<FileKind>,
}

impl Project {
    pub fn kind_failed(&self, kind: FileKind) -> bool {
        self.failed.contains(&kind)
    }
}

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
    let config = config::Config::load(root)?;
    let (project, diagnostics, io_problems) = load::load(root, cwd, &config);
    Ok(finish(project, diagnostics, io_problems, &config))
}

/// Checks a project given as in-memory files `(path relative to the root, content)`.
pub fn check_memory(files: &[(&str, &str)]) -> CheckResult {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    check_bytes(&bytes)
}

/// [`check_memory`] for contents that may not be UTF-8 (F004).
pub fn check_bytes(files: &[(&str, &[u8])]) -> CheckResult {
    let (project, diagnostics) = load::load_memory(files);
    finish(project, diagnostics, Vec::new(), &config::Config::default())
}

fn finish(
    project: Project,
    mut diagnostics: Vec<Diagnostic>,
    io_problems: Vec<IoProblem>,
    config: &config::Config,
) -> CheckResult {
    if project.def.is_some() {
        let index = index::Index::build(&project);
        rules::run(&index, &mut diagnostics);
    }
    let diagnostics = config.apply(diagnostics);
    // Cross-file rules skip what they cannot know when a file did not load: their
    // `allow` comments are then not reported as unused.
    let complete = project.def.is_some() && project.failed.is_empty();
    let diagnostics = config.apply(suppress::apply(&project.files, diagnostics, complete));
    let mut result = CheckResult { project, diagnostics, io_problems };
    sort(&mut result);
    result
}

fn sort(result: &mut CheckResult) {
    let files = &result.project.files;
    result.diagnostics.sort_by(|a, b| {
        (&files[a.file].rel, a.span.start, a.code(), &a.message).cmp(&(
            &files[b.file].rel,
            b.span.start,
            b.code(),
            &b.message,
        ))
    });
}
