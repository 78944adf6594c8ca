//! The one writer: every command that writes files (`migrate`, `enable-sharing`,
//! `check --fix`, `import`, `rename`, `init`, `schema --out`, `export`) hands it
//! [`Change`]s, and it writes all of them or none, even when the process is
//! killed at any instant (SPEC section 7):
//!
//! 1. Preflight: refuse a read-only target, a "new" file that exists, and two
//!    paths that are one file (a symbolic or a hard link), before anything is
//!    written.
//! 2. Take the project's lock; refuse a file that changed since the command
//!    read it (another writer's, or an editor's save) or a new one that came
//!    meanwhile; write the journal's intent
//!    (`.caseshare/journal` at the root: every target with the hashes of its old
//!    and new content, and the names of its staged file and backup), fsynced.
//! 3. Stage every new content beside its target (same mode, fsynced) and keep
//!    each original as a hard-linked backup.
//! 4. Append the commit line to the journal and fsync it: the commit point.
//! 5. Rename each staged file over its target; fsync the folders.
//! 6. Remove the backups, then the journal and its folder.
//!
//! A failure before the commit point removes what was staged; a failure after it
//! puts the backups back. A process killed on the way leaves the journal, which
//! the next writing command (or `caseshare recover`) finishes ([`journal`]):
//! forward when the commit line is there, back when it is not. Staged files and
//! backups are dot-files, which caseshare never reads.

pub mod journal;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use journal::{Recovery, recover};

/// The new content of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The path relative to the project root, with `/`.
    pub rel: String,
    /// The path as shown to the user.
    pub display: String,
    pub abs: PathBuf,
    /// `None` for a file that does not exist yet.
    pub before: Option<String>,
    pub after: String,
}

impl Change {
    /// The change that makes `abs` (in the folder `root`) hold `after`: a
    /// rewrite when the file exists (`before` is what it holds), else a new
    /// file. What it holds is read as [`crate::read::within`] reads: never
    /// through a link out of `root`.
    pub fn to(root: &Path, abs: PathBuf, rel: &str, display: String, after: String) -> std::io::Result<Change> {
        let before = crate::read::within(root, &abs)?.map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        Ok(Change { rel: rel.to_string(), display, abs, before, after })
    }
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

/// Writes the changes of a project rooted at `root`: every file or none.
pub fn commit(root: &Path, changes: &[Change]) -> Result<(), WriteError> {
    commit_files(root, &files_of(changes))
}

/// The changes as files to write.
pub fn files_of(changes: &[Change]) -> Vec<FileWrite> {
    changes
        .iter()
        .map(|c| FileWrite {
            path: c.abs.clone(),
            contents: c.after.as_bytes().to_vec(),
            create: c.before.is_none(),
            read: c.before.as_ref().map(|b| journal::hash(b.as_bytes())),
        })
        .collect()
}

/// A file to write: where, and its new content.
#[derive(Debug, Clone)]
pub struct FileWrite {
    pub path: PathBuf,
    pub contents: Vec<u8>,
    /// A new file: it must not exist yet.
    pub create: bool,
    /// What the command read of the file and made the new content from, as
    /// [`journal::hash`] gives it: the file must hold it still when the
    /// project's lock is taken (`None`: whatever it holds is replaced).
    pub read: Option<String>,
}

/// A point in the commit where a test may inject a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Before writing the staged file of the n-th file.
    Stage(usize),
    /// Before renaming the n-th staged file over its target.
    Rename(usize),
}

/// Why nothing (or, in the worst case, not everything) was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("`{}` is read-only; nothing was written", .0.display())]
    ReadOnly(PathBuf),
    #[error("`{}` exists already; nothing was written", .0.display())]
    Exists(PathBuf),
    #[error("`{}` leads outside `{}` (a symbolic link); nothing was written", .0.display(), .1.display())]
    Outside(PathBuf, PathBuf),
    #[error(
        "`{}` is not the folder caseshare keeps its journal in (it is a link or a file); nothing was written: remove it",
        .0.display()
    )]
    NotOurs(PathBuf),
    #[error("`{}` and `{}` are one file (a link); nothing was written", .0.display(), .1.display())]
    SameFile(PathBuf, PathBuf),
    #[error("`{}` changed since caseshare read it; nothing was written: run the command again", .0.display())]
    Changed(PathBuf),
    #[error("another caseshare is writing to the project in `{}`; nothing was written", .0.display())]
    Busy(PathBuf),
    #[error(
        "an interrupted write left its journal in `{}`; nothing was written: run `caseshare recover` first",
        .0.display()
    )]
    Interrupted(PathBuf),
    #[error("cannot write `{}`: {source}; nothing was written", path.display())]
    Failed { path: PathBuf, source: std::io::Error },
    #[error(
        "cannot write `{}`: {source}; putting the other files back failed too: run `caseshare recover` to finish",
        path.display()
    )]
    Unrestored { path: PathBuf, source: std::io::Error },
}

/// Writes every file or none ([`commit_files_with`] without a hook).
///
/// `CASESHARE_WRITE_PACE_US`, when set, waits that many microseconds before each
/// step (staging a file, renaming a file). It changes nothing of what is written;
/// the kill tests use it so that kills land in every phase of a write, not only
/// in the longest one.
pub fn commit_files(root: &Path, files: &[FileWrite]) -> Result<(), WriteError> {
    let pace = std::env::var("CASESHARE_WRITE_PACE_US").ok().and_then(|v| v.parse().ok());
    commit_files_with(root, files, &mut |_| {
        if let Some(us) = pace {
            std::thread::sleep(std::time::Duration::from_micros(us));
        }
        Ok(())
    })
}

/// Writes every file or none, calling `hook` before each step; an error from the
/// hook fails the commit there (for fault tests).
pub fn commit_files_with(
    root: &Path,
    files: &[FileWrite],
    hook: &mut dyn FnMut(Step) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    if files.is_empty() {
        return Ok(());
    }
    let targets = preflight(root, files)?;
    // A new project (`init`) writes its own folder.
    fs::create_dir_all(root).map_err(|source| failed(root, source))?;
    let lock = journal::Lock::take(root)?;
    if lock.journal_exists() {
        return Err(WriteError::Interrupted(root.to_path_buf()));
    }
    let pid = std::process::id();
    let mut entries = Vec::with_capacity(files.len());
    for (f, (path, meta)) in files.iter().zip(&targets) {
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Under the lock, the files are as the command read them: a second
        // writer that read them before this one wrote would lose its changes.
        let old = match meta {
            Some(_) => Some(journal::hash(&fs::read(path).map_err(|source| failed(path, source))?)),
            None if fs::symlink_metadata(path).is_ok() => return Err(WriteError::Exists(f.path.clone())),
            None => None,
        };
        if f.read.is_some() && old != f.read {
            return Err(WriteError::Changed(f.path.clone()));
        }
        let entry = journal::Entry {
            target: path.clone(),
            staged: dir.join(format!(".{name}.caseshare-{pid}.tmp")),
            backup: meta.as_ref().map(|_| dir.join(format!(".{name}.caseshare-{pid}.orig"))),
            old,
            new: journal::hash(&f.contents),
        };
        // The names are this write's own: one that is there already (a link
        // planted for it) is never written through, nor removed.
        for name in std::iter::once(&entry.staged).chain(&entry.backup) {
            if fs::symlink_metadata(name).is_ok() {
                return Err(WriteError::Exists(name.clone()));
            }
        }
        entries.push(entry);
    }
    // Folders to create for new files, outermost first.
    let mut mkdirs: Vec<PathBuf> = Vec::new();
    for (path, _) in &targets {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut missing: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .filter(|d| !mkdirs.contains(d))
            .collect();
        missing.reverse();
        mkdirs.extend(missing);
    }
    let mut tx = lock.begin(&mkdirs, &entries).map_err(|source| failed(root, source))?;
    // Stage: folders, then every new content and a backup of every original.
    let staged = (|| -> Result<(), (PathBuf, std::io::Error)> {
        for dir in &mkdirs {
            fs::create_dir(dir).map_err(|e| (dir.clone(), e))?;
        }
        for (i, (f, e)) in files.iter().zip(&entries).enumerate() {
            let fail = |source| (e.target.clone(), source);
            hook(Step::Stage(i)).map_err(fail)?;
            let mut out = fs::OpenOptions::new().write(true).create_new(true).open(&e.staged).map_err(fail)?;
            out.write_all(&f.contents).map_err(fail)?;
            if let Some(meta) = &targets[i].1 {
                // The file's owner too, where the process may set it (root in a
                // container, on a checkout of the host's user): else it is the
                // writer's, as any new file.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::MetadataExt;
                    let _ = std::os::unix::fs::fchown(&out, Some(meta.uid()), Some(meta.gid()));
                }
                fs::set_permissions(&e.staged, meta.permissions()).map_err(fail)?;
            }
            out.sync_all().map_err(fail)?;
            if let Some(backup) = &e.backup {
                match fs::hard_link(&e.target, backup) {
                    Ok(()) => {}
                    // Never through a name that came meanwhile.
                    Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => return Err(fail(err)),
                    // A file system without hard links: a copy, made new.
                    Err(_) => {
                        let mut to = fs::OpenOptions::new().write(true).create_new(true).open(backup).map_err(fail)?;
                        std::io::copy(&mut fs::File::open(&e.target).map_err(fail)?, &mut to).map_err(fail)?;
                        to.sync_all().map_err(fail)?;
                    }
                }
            }
        }
        for dir in journal::folders(&entries) {
            journal::sync_dir(&dir);
        }
        Ok(())
    })();
    if let Err((path, source)) = staged {
        tx.abandon();
        return Err(WriteError::Failed { path, source });
    }
    tx.commit().map_err(|source| {
        tx.abandon();
        failed(root, source)
    })?;
    // Past the commit point: move everything in; on failure, put the originals back.
    let mut renamed = 0;
    let moved = (|| -> Result<(), (PathBuf, std::io::Error)> {
        for (i, e) in entries.iter().enumerate() {
            let fail = |source| (e.target.clone(), source);
            hook(Step::Rename(i)).map_err(fail)?;
            fs::rename(&e.staged, &e.target).map_err(fail)?;
            renamed += 1;
        }
        Ok(())
    })();
    match moved {
        Ok(()) => {
            for dir in journal::folders(&entries) {
                journal::sync_dir(&dir);
            }
            tx.finish();
            Ok(())
        }
        Err((path, source)) => match tx.roll_back(renamed) {
            Ok(()) => Err(WriteError::Failed { path, source }),
            Err(_) => Err(WriteError::Unrestored { path, source }),
        },
    }
}

fn failed(path: &Path, source: std::io::Error) -> WriteError {
    WriteError::Failed { path: path.to_path_buf(), source }
}

/// Resolves every target (a symbolic link is followed, not replaced) and refuses
/// what cannot be written, before anything is: a target that a link leads out
/// of `root` (a file or a folder on its way: committed in a pull request, it
/// would have caseshare write anywhere).
fn preflight(root: &Path, files: &[FileWrite]) -> Result<Vec<(PathBuf, Option<fs::Metadata>)>, WriteError> {
    let real_root = crate::read::resolved(root).map_err(|e| failed(root, e))?;
    for f in files {
        if !crate::read::resolved(&f.path).map_err(|e| failed(&f.path, e))?.starts_with(&real_root) {
            return Err(WriteError::Outside(f.path.clone(), root.to_path_buf()));
        }
    }
    let mut targets = Vec::with_capacity(files.len());
    let mut seen: std::collections::HashMap<PathBuf, &Path> = std::collections::HashMap::new();
    #[cfg(unix)]
    let mut inodes: std::collections::HashMap<(u64, u64), &Path> = std::collections::HashMap::new();
    for f in files {
        let exists = fs::symlink_metadata(&f.path).is_ok();
        if exists && f.create {
            return Err(WriteError::Exists(f.path.clone()));
        }
        let path = if exists { fs::canonicalize(&f.path) } else { crate::read::resolved(&f.path) }
            .map_err(|e| failed(&f.path, e))?;
        let meta = if exists {
            let m = fs::metadata(&path).map_err(|e| failed(&f.path, e))?;
            if m.permissions().readonly() {
                return Err(WriteError::ReadOnly(f.path.clone()));
            }
            Some(m)
        } else {
            None
        };
        if let Some(other) = seen.insert(path.clone(), &f.path) {
            return Err(WriteError::SameFile(other.to_path_buf(), f.path.clone()));
        }
        // Two names of one file (a hard link): writing one would split them.
        #[cfg(unix)]
        if let Some(m) = &meta {
            use std::os::unix::fs::MetadataExt;
            if let Some(other) = inodes.insert((m.dev(), m.ino()), &f.path) {
                return Err(WriteError::SameFile(other.to_path_buf(), f.path.clone()));
            }
        }
        targets.push((path, meta));
    }
    Ok(targets)
}
