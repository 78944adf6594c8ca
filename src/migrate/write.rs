//! Writing every changed file or none.
//!
//! 1. Refuse a read-only target before touching anything.
//! 2. Stage: write each new content to a temporary file beside its target, with
//!    the target's permissions, and fsync it.
//! 3. Keep the originals: hard-link each target to a backup name (a copy where
//!    links are not possible).
//! 4. Rename each temporary file over its target; on any failure, rename the
//!    backups back (and remove created files), so the tree is as it was.
//! 5. fsync the folders, remove the backups.
//!
//! Temporary and backup files are dot-files, which caseshare never reads.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file to write: where, and its new content.
#[derive(Debug, Clone)]
pub struct FileWrite {
    pub path: PathBuf,
    pub contents: Vec<u8>,
    /// A new file: it must not exist yet.
    pub create: bool,
}

/// A point in the commit where a test may inject a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Before writing the temporary file of the n-th file.
    Stage(usize),
    /// Before renaming the n-th temporary file over its target.
    Rename(usize),
}

/// Why nothing (or, in the worst case, not everything) was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("`{}` is read-only; nothing was written", .0.display())]
    ReadOnly(PathBuf),
    #[error("`{}` exists already; nothing was written", .0.display())]
    Exists(PathBuf),
    #[error("`{}` and `{}` are one file (a link); nothing was written", .0.display(), .1.display())]
    SameFile(PathBuf, PathBuf),
    #[error("cannot write `{}`: {source}; nothing was written", path.display())]
    Failed { path: PathBuf, source: std::io::Error },
    #[error(
        "cannot write `{}`: {source}; restoring the other files failed too, check: {}",
        path.display(),
        unrestored.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
    )]
    Unrestored { path: PathBuf, source: std::io::Error, unrestored: Vec<PathBuf> },
}

/// Writes every file or none.
pub fn commit(files: &[FileWrite]) -> Result<(), WriteError> {
    commit_with(files, &mut |_| Ok(()))
}

/// [`commit`], calling `hook` before each step; an error from the hook fails the
/// commit there (for fault tests).
pub fn commit_with(files: &[FileWrite], hook: &mut dyn FnMut(Step) -> std::io::Result<()>) -> Result<(), WriteError> {
    // Resolve symbolic links: the file they point at is rewritten, not the link.
    let mut targets: Vec<(PathBuf, Option<fs::Metadata>)> = Vec::with_capacity(files.len());
    let mut seen: std::collections::HashMap<PathBuf, &Path> = std::collections::HashMap::new();
    for f in files {
        let exists = fs::symlink_metadata(&f.path).is_ok();
        if exists && f.create {
            return Err(WriteError::Exists(f.path.clone()));
        }
        let path = if exists {
            fs::canonicalize(&f.path).map_err(|source| WriteError::Failed { path: f.path.clone(), source })?
        } else {
            f.path.clone()
        };
        let meta = if exists {
            let m = fs::metadata(&path).map_err(|source| WriteError::Failed { path: f.path.clone(), source })?;
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
        targets.push((path, meta));
    }
    let mut tx = Transaction { created_dirs: Vec::new(), temps: Vec::new(), backups: Vec::new(), renamed: Vec::new() };
    let result = tx.run(files, &targets, hook);
    match result {
        Ok(()) => {
            tx.clean();
            Ok(())
        }
        Err((path, source)) => {
            let unrestored = tx.roll_back(&targets);
            if unrestored.is_empty() {
                Err(WriteError::Failed { path, source })
            } else {
                Err(WriteError::Unrestored { path, source, unrestored })
            }
        }
    }
}

struct Transaction {
    created_dirs: Vec<PathBuf>,
    temps: Vec<PathBuf>,
    /// Per file: the backup of its original (`None` for a created file).
    backups: Vec<Option<PathBuf>>,
    /// Indices of the files renamed into place.
    renamed: Vec<usize>,
}

type Failure = (PathBuf, std::io::Error);

impl Transaction {
    fn run(
        &mut self,
        files: &[FileWrite],
        targets: &[(PathBuf, Option<fs::Metadata>)],
        hook: &mut dyn FnMut(Step) -> std::io::Result<()>,
    ) -> Result<(), Failure> {
        let pid = std::process::id();
        for (i, (f, (path, meta))) in files.iter().zip(targets).enumerate() {
            let fail = |source| (path.clone(), source);
            hook(Step::Stage(i)).map_err(fail)?;
            let dir = path.parent().unwrap_or(Path::new("."));
            if !dir.exists() {
                let mut missing: Vec<&Path> =
                    dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).collect();
                fs::create_dir_all(dir).map_err(fail)?;
                missing.reverse();
                self.created_dirs.extend(missing.into_iter().map(Path::to_path_buf));
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let temp = dir.join(format!(".{name}.caseshare-{pid}.tmp"));
            let mut out = fs::OpenOptions::new().write(true).create_new(true).open(&temp).map_err(fail)?;
            self.temps.push(temp.clone());
            out.write_all(&f.contents).map_err(fail)?;
            if let Some(meta) = meta {
                fs::set_permissions(&temp, meta.permissions()).map_err(fail)?;
            }
            out.sync_all().map_err(fail)?;
            let backup = match meta {
                Some(_) => {
                    let backup = dir.join(format!(".{name}.caseshare-{pid}.orig"));
                    if fs::hard_link(path, &backup).is_err() {
                        fs::copy(path, &backup).map_err(fail)?;
                    }
                    Some(backup)
                }
                None => None,
            };
            self.backups.push(backup);
        }
        for (i, (path, _)) in targets.iter().enumerate() {
            let fail = |source| (path.clone(), source);
            hook(Step::Rename(i)).map_err(fail)?;
            fs::rename(&self.temps[i], path).map_err(fail)?;
            self.renamed.push(i);
        }
        let mut dirs: Vec<&Path> = targets.iter().filter_map(|(p, _)| p.parent()).collect();
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            sync_dir(dir);
        }
        Ok(())
    }

    /// Puts the originals back; returns the files that could not be restored.
    fn roll_back(&mut self, targets: &[(PathBuf, Option<fs::Metadata>)]) -> Vec<PathBuf> {
        let mut unrestored = Vec::new();
        for &i in self.renamed.iter().rev() {
            let path = &targets[i].0;
            let restored = match &self.backups[i] {
                Some(backup) => fs::rename(backup, path),
                None => fs::remove_file(path),
            };
            if restored.is_err() {
                unrestored.push(path.clone());
            }
        }
        for (i, temp) in self.temps.iter().enumerate() {
            if !self.renamed.contains(&i) {
                let _ = fs::remove_file(temp);
            }
        }
        for (i, backup) in self.backups.iter().enumerate() {
            if let Some(backup) = backup
                && !self.renamed.contains(&i)
            {
                let _ = fs::remove_file(backup);
            }
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
        unrestored
    }

    fn clean(&mut self) {
        for backup in self.backups.iter().flatten() {
            let _ = fs::remove_file(backup);
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) {}
