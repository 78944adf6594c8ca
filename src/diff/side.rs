//! One side of a diff: the project at one revision (or in one folder), through
//! the pipeline of `check` (config, rules, levels, suppressions), reduced to its
//! diagnostics and its [`Facts`]. A file that is the same on the other side is
//! staged once ([`stage`]).

use std::path::Path;
use std::sync::Arc;

use crate::check;
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::error::IoProblem;
use crate::index::Index;
use crate::project::Project;
use crate::read::{self, Sources};
use crate::source::SourceFile;
use crate::write::journal;

use super::facts::Facts;
use super::stage::{self, Reuse, Staged};

/// Where a side's project came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A git revision: as given, the commit it names, and the project's folder
    /// relative to the repository's top (`.` at the top).
    Git { rev: String, commit: String, project: String },
    /// The working tree of that repository, uncommitted and untracked files included.
    WorkTree { project: String },
    /// A folder given on the command line.
    Folder { path: String },
}

/// One side, checked.
#[derive(Debug)]
pub struct Side {
    pub origin: Origin,
    /// The project's files; the texts of those no diagnostic points at are dropped.
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    pub io_problems: Vec<IoProblem>,
    /// `None` when project.yaml did not load (then only diagnostics are compared)
    /// or the tree is half-written (F006).
    pub facts: Option<Facts>,
    /// Whether project.yaml loaded: else only the side's diagnostics are known.
    pub loaded: bool,
    /// The files that did not load whole, by path in the project (kept when
    /// the facts go; [`super::facts::Unread`]).
    pub unread: Vec<Box<str>>,
}

impl Side {
    /// Checks the project in the folder `root`, as `caseshare check` does:
    /// streaming, with its `caseshare.toml`; paths are shown relative to `cwd`.
    pub fn from_folder(root: &Path, cwd: &Path, origin: Origin) -> Result<Side, crate::Error> {
        Side::from_folder_reusing(root, cwd, origin, Reuse::No).map(|(side, _)| side)
    }

    /// [`Side::from_folder`], with the per-file stage's results kept for the
    /// other side, or taken from it ([`stage`]).
    pub fn from_folder_reusing(
        root: &Path,
        cwd: &Path,
        origin: Origin,
        reuse: Reuse,
    ) -> Result<(Side, Staged), crate::Error> {
        if journal::pending(root) {
            // F006 and nothing else, as check reports a half-written tree.
            let result = check::check_root(root, cwd)?;
            let (files, diagnostics, io_problems) = (result.project.files, result.diagnostics, result.io_problems);
            let side = Side { origin, files, diagnostics, io_problems, facts: None, loaded: false, unread: Vec::new() };
            return Ok((side, Staged::default()));
        }
        let config = Config::load(root)?;
        let (project, diagnostics, io, staged) = stage::listing(read::list(root, cwd, &config), reuse);
        Ok((finish(origin, project, diagnostics, io, &config), staged))
    }

    /// Checks a project that was read (from git) with its `caseshare.toml`.
    pub fn from_sources(sources: Sources, config: &Config, origin: Origin) -> Side {
        Side::from_sources_reusing(sources, config, origin, Reuse::No).0
    }

    /// [`Side::from_sources`], with the per-file stage's results kept for the
    /// other side, or taken from it ([`stage`]).
    pub fn from_sources_reusing(sources: Sources, config: &Config, origin: Origin, reuse: Reuse) -> (Side, Staged) {
        let (project, diagnostics, io, staged) = stage::sources(sources, reuse);
        (finish(origin, project, diagnostics, io, config), staged)
    }
}

/// `check`'s last steps (src/check.rs `finish`: [`check::diagnose`], then the
/// texts that diagnostics point into read again), keeping the facts that the
/// index knows before it is dropped: the index is built once (a third of a check
/// of a large project), and the diff's facts are taken beside the rules.
fn finish(
    origin: Origin,
    project: Project,
    diagnostics: Vec<Diagnostic>,
    mut io_problems: Vec<IoProblem>,
    config: &Config,
) -> Side {
    let (diagnostics, facts) = match project.def {
        Some(_) => {
            let index = Index::build(&project);
            // The rules and the facts only read the index: side by side, on two threads.
            std::thread::scope(|s| {
                let facts = s.spawn(|| Facts::of(&index));
                let diagnostics = check::diagnose(&project, Some(&index), diagnostics, config);
                (diagnostics, Some(facts.join().unwrap_or_else(|e| std::panic::resume_unwind(e))))
            })
        }
        None => (check::diagnose(&project, None, diagnostics, config), None),
    };
    // A file that could not be read at all is unread as one that did not load:
    // what the other side defines in a file of its path is not reported added
    // or removed.
    let mut facts = facts;
    if let Some(f) = facts.as_mut() {
        f.unread.files.extend(io_problems.iter().filter_map(|p| p.rel.as_deref()).map(Box::from));
        f.unread.files.sort();
        f.unread.files.dedup();
    }
    let mut project = project;
    let mut needed = vec![false; project.files.len()];
    for d in &diagnostics {
        needed[d.file.index()] = true;
        d.related.iter().for_each(|r| needed[r.file.index()] = true);
    }
    for (file, _) in project.files.iter_mut().zip(&needed).filter(|(f, n)| **n && f.set_aside) {
        if let Err(message) = file.restore() {
            io_problems.push(IoProblem {
                path: file.display.clone(),
                message,
                kind: Some(file.kind),
                rel: Some(file.rel.clone()),
            });
        }
    }
    let mut files = std::mem::take(&mut project.files);
    drop(project);
    // Only the files that a diagnostic points into are shown: the others' texts go.
    for (file, _) in files.iter_mut().zip(needed).filter(|(_, n)| !*n) {
        file.text = Arc::from("");
    }
    let loaded = facts.is_some();
    let unread = facts.as_ref().map(|f| f.unread.files.clone()).unwrap_or_default();
    Side { origin, files, diagnostics, io_problems, facts, loaded, unread }
}
