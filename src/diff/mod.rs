//! `caseshare diff`: what a change does to case sharing (SPEC section 8).
//!
//! Each side (a git revision, the working tree, or a folder) goes through the
//! pipeline of `check` ([`side`]), the base first: a file that is the same at
//! the head takes the base's per-file results ([`stage`]). The comparison works
//! on what the index knows ([`facts`]), never on lines of text: diagnostics are
//! matched by code and subject ([`subject`]), users, groups and apps by name
//! ([`compare`]). The reports are in [`human`], [`markdown`] and [`json`].

pub mod compare;
pub mod facts;
pub mod git;
pub mod human;
pub mod json;
pub mod markdown;
pub mod side;
pub mod stage;
pub mod subject;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Severity};
use crate::discover;

pub use compare::Changes;
pub use side::{Origin, Side};
pub use stage::{Reuse, Staged};

/// What to compare.
#[derive(Debug, Clone)]
pub enum Target {
    /// The project containing `path` (found by walking up to project.yaml), at
    /// revision `base` of its git repository and at `head` (`None`: the working
    /// tree, uncommitted and untracked files included).
    Git { path: PathBuf, base: String, head: Option<String> },
    /// The projects in two folders.
    Folders { old: PathBuf, new: PathBuf },
}

/// Why a diff could not be made (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Check(#[from] crate::Error),
    #[error(
        "`{}` is not in a git repository; to compare two folders, run `caseshare diff OLD_DIR NEW_DIR`",
        .0.display()
    )]
    NotGit(PathBuf),
    #[error(
        "unknown revision `{0}`; in a shallow clone fetch it first (`git fetch origin <branch>`, or `fetch-depth: 0` in actions/checkout)"
    )]
    UnknownRevision(String),
    #[error(
        "unknown revision `{0}`: no commit of this repository has that name; if it is a branch of another clone, fetch it first (`git fetch origin <branch>`)"
    )]
    NoSuchRevision(String),
    #[error("no project.yaml in `{path}` at revision `{rev}`")]
    NoProjectAt { rev: String, path: String },
    #[error("git {what} failed: {message}")]
    Git { what: String, message: String },
    #[error("cannot run git: {0}")]
    NoGit(std::io::Error),
    #[error(
        "`{}` and `{}` are in one project, at `{}`: give two folders that each hold a project, or compare revisions with --base and --head",
        .old.display(), .new.display(), .root.display()
    )]
    OneProject { old: PathBuf, new: PathBuf, root: PathBuf },
}

/// The comparison of two sides.
#[derive(Debug)]
pub struct Diff {
    pub base: Side,
    pub head: Side,
    /// Indexes into `head.diagnostics`, in its order.
    pub introduced: Vec<usize>,
    /// Indexes into `base.diagnostics`, in its order.
    pub resolved: Vec<usize>,
    /// `None` when project.yaml did not load on a side: then only diagnostics compare.
    pub changes: Option<Changes>,
}

impl Diff {
    /// Compares two checked sides; their facts are dropped once compared.
    pub fn new(mut base: Side, mut head: Side) -> Diff {
        let (introduced, resolved) = compare::diagnostics(&base, &head);
        let changes = match (base.facts.take(), head.facts.take()) {
            (Some(b), Some(h)) => Some(compare::facts(&b, &h)),
            _ => None,
        };
        Diff { base, head, introduced, resolved, changes }
    }

    pub fn introduced(&self) -> impl Iterator<Item = &Diagnostic> {
        self.introduced.iter().map(|&i| &self.head.diagnostics[i])
    }

    pub fn resolved(&self) -> impl Iterator<Item = &Diagnostic> {
        self.resolved.iter().map(|&i| &self.base.diagnostics[i])
    }

    /// Whether the change introduces an error: the exit code is then 1. Errors
    /// already at the base do not count, nor warnings.
    pub fn introduces_error(&self) -> bool {
        self.introduced().any(|d| d.severity == Severity::Error)
    }
}

/// Reads, checks and compares both sides of `target`; paths are shown relative to `cwd`.
pub fn run(target: &Target, cwd: &Path) -> Result<Diff, DiffError> {
    match target {
        Target::Folders { old, new } => {
            let (old_root, new_root) = (discover::find_root(old)?, discover::find_root(new)?);
            let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
                (Ok(a), Ok(b)) => a == b,
                _ => a == b,
            };
            if same(&old_root, &new_root) {
                let root = PathBuf::from(discover::relative_to(&old_root, cwd));
                return Err(DiffError::OneProject { old: old.clone(), new: new.clone(), root });
            }
            let side = |dir: &Path, root: &Path, reuse: Reuse| -> Result<(Side, Staged), DiffError> {
                let origin = Origin::Folder { path: dir.display().to_string() };
                Ok(Side::from_folder_reusing(root, cwd, origin, reuse)?)
            };
            let (base, staged) = side(old, &old_root, Reuse::Keep)?;
            let (head, _) = side(new, &new_root, Reuse::From(staged))?;
            Ok(Diff::new(base, head))
        }
        Target::Git { path, base, head } => {
            let root = discover::find_root(path)?;
            let repo = git::Repo::locate(&root)?;
            // Both revisions are resolved before any work, so a wrong one fails at once.
            let base_commit = repo.resolve(base)?;
            let head_commit = head.as_deref().map(|h| repo.resolve(h)).transpose()?;
            let at = |rev: &str, commit: &str| Origin::Git {
                rev: rev.to_string(),
                commit: commit.to_string(),
                project: repo.project(),
            };
            // The base first: the head takes its per-file results where a file is the same.
            let (sources, config) = repo.read(&base_commit, base, &root, cwd)?;
            let (base_side, staged) = Side::from_sources_reusing(sources, &config, at(base, &base_commit), Reuse::Keep);
            let reuse = Reuse::From(staged);
            let head_side = match (head, head_commit) {
                (Some(rev), Some(commit)) => {
                    let (sources, config) = repo.read(&commit, rev, &root, cwd)?;
                    Side::from_sources_reusing(sources, &config, at(rev, &commit), reuse).0
                }
                _ => Side::from_folder_reusing(&root, cwd, Origin::WorkTree { project: repo.project() }, reuse)?.0,
            };
            Ok(Diff::new(base_side, head_side))
        }
    }
}

/// A side as a reader names it: `HEAD (1a2b3c4)`, `the working tree`, `old/`.
pub fn describe(origin: &Origin) -> String {
    match origin {
        Origin::Git { rev, commit, .. } => {
            let short = &commit[..commit.len().min(7)];
            if rev.starts_with(short) { format!("`{short}`") } else { format!("`{rev}` ({short})") }
        }
        Origin::WorkTree { .. } => "the working tree".into(),
        Origin::Folder { path } => format!("`{path}`"),
    }
}

/// What a side that could not read some files leaves out ([`Side::unread`],
/// each path shown by `quote`), for the human and markdown reports.
pub(crate) fn unread_note(side: &str, unread: &[Box<str>], quote: fn(&str) -> String) -> String {
    const SHOWN: usize = 5;
    let mut files: Vec<String> = unread.iter().take(SHOWN).map(|f| quote(f)).collect();
    if unread.len() > SHOWN {
        files.push(format!("{} more", unread.len() - SHOWN));
    }
    format!(
        "the {side} could not read {} ({}; see its diagnostics and errors): what they define is not compared, nor case owners in them",
        count(unread.len(), "file"),
        files.join(", ")
    )
}

/// `n thing` or `n things`.
pub(crate) fn count(n: usize, thing: &str) -> String {
    plural(n, thing, &format!("{thing}s"))
}

/// `1 one` or `n many`, `n` with thousands separated.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// How many names a list shows before `and N more`.
const NAMES: usize = 8;

/// `` `a`, `b` and 3 more ``, each name written by `quote` (the human output's
/// backticks, or markdown's code spans).
fn names(list: &[crate::model::Name], quote: fn(&str) -> String) -> String {
    let mut text = list.iter().take(NAMES).map(|n| quote(n)).collect::<Vec<_>>().join(", ");
    if list.len() > NAMES {
        text.push_str(&format!(" and {} more", thousands(list.len() - NAMES)));
    }
    text
}

/// A role, or `none`.
fn role(r: &Option<crate::model::Name>, quote: fn(&str) -> String) -> String {
    r.as_ref().map_or_else(|| "none".to_string(), |r| quote(r))
}

/// `group X` or `location X`.
fn owner(o: &facts::Owner, quote: fn(&str) -> String) -> String {
    match o.kind {
        facts::OwnerKind::Group => format!("group {}", quote(&o.name)),
        facts::OwnerKind::Location => format!("location {}", quote(&o.name)),
    }
}

/// Whether a user can create cases: `yes`, `no` or `unknown`.
fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

/// 1234567 as `1,234,567`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
