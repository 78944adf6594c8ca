//! The per-file stage of a diff's two sides, done once for a file that is the
//! same on both.
//!
//! A change touches a few files; the others are the same at both revisions. The
//! per-file stage ([`load::stage`]: parse, schema check, convert) depends only on
//! a file's path (its kind, and an app's id from its name) and its text, so a
//! file with the same path and text on both sides is staged once: the second side
//! takes the first side's diagnostics and definitions (the lists shared, not
//! copied). Either side then goes on as `check` does: index, rules, levels,
//! suppressions. Parsing and schema checking are most of a check; on a large
//! project this leaves the second side little more than its index and rules.
//!
//! The files are read and gathered as in [`load::load`] and [`load::load_listing`]
//! (which stage every file and keep no results).

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::error::IoProblem;
use crate::hash::Map;
use crate::load::{self, Loaded};
use crate::project::Project;
use crate::read::{self, Listing, Sources};
use crate::source::{FileId, SourceFile};
use crate::suppress;

/// What the per-file stage gave one side's files, kept for the other side: by
/// path relative to the root.
#[derive(Debug, Default)]
pub struct Staged(Map<String, Kept>);

/// One file's text and what the stage gave it.
#[derive(Debug)]
struct Kept {
    text: Arc<str>,
    diags: Vec<Diagnostic>,
    loaded: Option<Loaded>,
}

impl Staged {
    /// How many files it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The results for a file with this path and text.
    fn get(&self, rel: &str, text: &str) -> Option<(Vec<Diagnostic>, Option<Loaded>)> {
        let kept = self.0.get(rel)?;
        (*kept.text == *text).then(|| (kept.diags.clone(), kept.loaded.clone()))
    }
}

/// Whether a side keeps its results for the other, or takes the other's.
#[derive(Debug)]
pub enum Reuse {
    /// Staged on its own; nothing kept.
    No,
    /// Staged on its own; the results kept ([`Staged`]).
    Keep,
    /// A file with the same path and text as one here takes its results. They
    /// are dropped once the side's files are staged, before its rules run.
    From(Staged),
}

/// One file after the per-file stage.
struct File {
    file: SourceFile,
    diags: Vec<Diagnostic>,
    loaded: Option<Loaded>,
    /// The text, for the other side ([`Reuse::Keep`]).
    kept: Option<Arc<str>>,
}

/// [`load::load`] with `reuse`: the files that were read (from git).
pub fn sources(sources: Sources, reuse: Reuse) -> (Project, Vec<Diagnostic>, Vec<IoProblem>, Staged) {
    let mut problems: Vec<Option<Diagnostic>> = vec![None; sources.files.len()];
    for d in sources.problems {
        let i = d.file.index();
        problems[i] = Some(d);
    }
    let files: Vec<Result<File, IoProblem>> = sources
        .files
        .into_par_iter()
        .zip(problems)
        .map(|(file, problem)| Ok(stage(file, problem, &reuse, false)))
        .collect();
    // The other side's results go before this side's rules run.
    drop(reuse);
    gather(sources.root.unwrap_or_default(), files, sources.io)
}

/// [`load::load_listing`] with `reuse`: each file read and staged in one step,
/// and its text set aside unless it has diagnostics or `allow` comments.
pub fn listing(listing: Listing, reuse: Reuse) -> (Project, Vec<Diagnostic>, Vec<IoProblem>, Staged) {
    let files: Vec<Result<File, IoProblem>> = listing
        .entries
        .into_par_iter()
        .map(|(entry, display)| {
            // The file's id is known once the files are gathered: it is file 0 until then.
            let (file, problem) =
                read::source(FileId(0), &entry, display.clone(), read::content(&entry)).map_err(|message| {
                    IoProblem { path: display, message, kind: Some(entry.kind), rel: Some(entry.rel.clone()) }
                })?;
            Ok(stage(file, problem, &reuse, true))
        })
        .collect();
    // The other side's results go before this side's rules run.
    drop(reuse);
    gather(listing.root, files, listing.io)
}

/// The per-file stage of one file that was read (as file 0), or the other side's
/// results for it.
fn stage(mut file: SourceFile, problem: Option<Diagnostic>, reuse: &Reuse, set_aside: bool) -> File {
    let mut diags: Vec<Diagnostic> = problem.into_iter().collect();
    let (mut loaded, mut kept) = (None, None);
    // A file that was not read as text (F004, F005, Y003) is not staged.
    if diags.is_empty() {
        let other = match reuse {
            Reuse::From(staged) => staged.get(&file.rel, &file.text),
            Reuse::No | Reuse::Keep => None,
        };
        (diags, loaded) = other.unwrap_or_else(|| load::stage(FileId(0), &file));
        if let Reuse::Keep = reuse {
            kept = Some(file.text.clone());
        }
    }
    if set_aside && diags.is_empty() && !suppress::has_allows(&file.text) {
        file.set_aside();
    }
    File { file, diags, loaded, kept }
}

/// Gathers the staged files in path order with [`load::gather`], as `check`
/// does; with [`Reuse::Keep`], their results by path for the other side.
fn gather(
    root: PathBuf,
    files: Vec<Result<File, IoProblem>>,
    io: Vec<IoProblem>,
) -> (Project, Vec<Diagnostic>, Vec<IoProblem>, Staged) {
    let mut staged = Staged::default();
    let files =
        files.into_iter().map(|f| f.map(|f| (load::Staged { file: f.file, diags: f.diags, loaded: f.loaded }, f.kept)));
    let (project, diags, io) = load::gather(Some(root), files, Vec::new(), io, |file, diags, loaded, kept| {
        if let Some(text) = kept {
            staged.0.insert(file.rel.clone(), Kept { text, diags: diags.to_vec(), loaded });
        }
    });
    (project, diags, io, staged)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "format_version: 2\nproject: demo\n";
    // An unknown key: a diagnostic of the file's own (S-rule), which moves with it.
    const CHWS: &str = "format_version: 2\nusers:\n  - {username: david, nickname: dave}\n  - {username: maria}\n";
    const STAFF: &str = "format_version: 2\nusers:\n  - {username: grace}\n";

    fn users_of(p: &Project) -> Vec<(String, FileId)> {
        p.users.iter().map(|u| (u.username.value.to_string(), u.file)).collect()
    }

    /// Diagnostics in a comparable form, sorted.
    fn summary(ds: &[Diagnostic]) -> Vec<(FileId, &'static str, String)> {
        let mut out: Vec<_> = ds.iter().map(|d| (d.file, d.code(), d.message.clone())).collect();
        out.sort();
        out
    }

    #[test]
    fn a_file_that_is_the_same_is_staged_once_and_shared() {
        let base = Sources::memory(&[
            ("project.yaml", PROJECT.as_bytes()),
            ("users/chws.yaml", CHWS.as_bytes()),
            ("users/staff.yaml", STAFF.as_bytes()),
        ]);
        let (old, _, _, staged) = sources(base, Reuse::Keep);
        assert_eq!(staged.len(), 3);
        // A file added before the others moves them to other ids; staff.yaml changes.
        let head = Sources::memory(&[
            ("project.yaml", PROJECT.as_bytes()),
            ("users/a-new.yaml", "format_version: 2\nusers: [{username: eve}]\n".as_bytes()),
            ("users/chws.yaml", CHWS.as_bytes()),
            ("users/staff.yaml", STAFF.replace("grace", "fatima").as_bytes()),
        ]);
        let (expected, expected_diags, _) = load::load(head.clone());
        let (new, diags, _, kept) = sources(head, Reuse::From(staged));
        assert!(kept.is_empty(), "nothing kept unless asked");
        assert_eq!(summary(&diags), summary(&expected_diags));
        assert!(summary(&diags).iter().any(|(file, _, m)| *file == FileId(2) && m.contains("nickname")), "{diags:?}");
        assert_eq!(users_of(&new), users_of(&expected));
        let (one, two, three) = (FileId(1), FileId(2), FileId(3));
        assert_eq!(
            users_of(&new),
            [("eve".into(), one), ("david".into(), two), ("maria".into(), two), ("fatima".into(), three)]
        );
        // chws.yaml's list is the base's, moved to its new id (a copy then);
        // project.yaml, at the same id, shares its definition's lists.
        assert_eq!(users_of(&old)[..2], [("david".into(), one), ("maria".into(), one)]);
        let (old_lists, new_lists) = (old.users.lists(), new.users.lists());
        assert!(!Arc::ptr_eq(&old_lists[0], &new_lists[1]), "moved to another id: its own list");
        assert!(!Arc::ptr_eq(&old_lists[1], &new_lists[2]), "changed: staged again");
    }

    #[test]
    fn definitions_at_the_same_id_stay_shared() {
        let files = [("project.yaml", PROJECT.as_bytes()), ("users/chws.yaml", CHWS.as_bytes())];
        let (old, _, _, staged) = sources(Sources::memory(&files), Reuse::Keep);
        let changed = [
            ("project.yaml", PROJECT.as_bytes()),
            ("users/chws.yaml", CHWS.as_bytes()),
            ("users/staff.yaml", STAFF.as_bytes()),
        ];
        let (new, _, _, _) = sources(Sources::memory(&changed), Reuse::From(staged));
        assert!(Arc::ptr_eq(&old.users.lists()[0], &new.users.lists()[0]), "the same list, not a copy");
        assert_eq!(users_of(&new).len(), 3);
    }
}
