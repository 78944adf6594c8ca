//! The journal of a write, its lock, and recovery (SPEC section 7).
//!
//! `.caseshare/journal` at the project root holds one JSON object per line: a
//! header, the folders to create, one entry per file (target, staged file,
//! backup, hashes of the old and new content), and last the commit line, which
//! counts the entries and hashes every byte before it. A journal with a valid
//! commit line is complete: its staged files were all written and fsynced before
//! it, so recovery rolls forward. Without it the write never reached its commit
//! point and no target was touched, so recovery rolls back. A `done` line
//! after it says every file was in place when the clean-up began: such a write
//! is only finished, never undone.
//!
//! The folder `.caseshare/` is locked (`flock`) while a write or a recovery
//! runs, so two caseshare processes never write one project at once.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::WriteError;

/// The folder of the journal, at the project root.
pub const DIR: &str = ".caseshare";
/// The journal's file name in [`DIR`].
pub const FILE: &str = "journal";

/// The journal of a project rooted at `root`.
pub fn path(root: &Path) -> PathBuf {
    root.join(DIR).join(FILE)
}

/// Whether a write into the project at `root` was interrupted (a journal is left).
pub fn pending(root: &Path) -> bool {
    path(root).exists()
}

/// One file of a write.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub target: PathBuf,
    /// The new content, staged beside the target.
    pub staged: PathBuf,
    /// The original, kept until the write is done; `None` for a new file.
    pub backup: Option<PathBuf>,
    /// Hash of the original content; `None` for a new file.
    pub old: Option<String>,
    pub new: String,
}

/// A content hash for the journal: the length and 64-bit FNV-1a of the bytes.
/// It tells a complete staged file from a torn one, and old content from new.
pub fn hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}:{h:016x}", bytes.len())
}

/// The folders that hold the entries' files, each once.
pub fn folders(entries: &[Entry]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = entries.iter().filter_map(|e| e.target.parent().map(Path::to_path_buf)).collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// fsyncs a folder, so renames and new names in it survive a power cut.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The project's write lock: `.caseshare/`, locked. Dropping it unlocks and
/// removes the folder when nothing is left in it.
pub struct Lock {
    root: PathBuf,
    dir: PathBuf,
    _handle: fs::File,
}

impl Lock {
    /// Takes the lock of the project at `root`; [`WriteError::Busy`] when another
    /// process holds it.
    pub fn take(root: &Path) -> Result<Lock, WriteError> {
        let dir = root.join(DIR);
        let io = |source| WriteError::Failed { path: dir.clone(), source };
        for _ in 0..5 {
            match fs::create_dir(&dir) {
                Ok(()) => sync_dir(root),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(e)),
            }
            let handle = match fs::File::open(&dir) {
                Ok(h) => h,
                // Removed by the process that held it, between the two calls.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e)),
            };
            match handle.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Err(WriteError::Busy(root.to_path_buf())),
                Err(fs::TryLockError::Error(e)) => return Err(io(e)),
            }
            // The folder may have been removed (and made anew) while we waited.
            if same_file(&handle, &dir) {
                return Ok(Lock { root: root.to_path_buf(), dir, _handle: handle });
            }
        }
        Err(WriteError::Busy(root.to_path_buf()))
    }

    pub fn journal_exists(&self) -> bool {
        self.dir.join(FILE).exists()
    }

    /// Writes the journal's intent (every entry, no commit line yet) and fsyncs it.
    pub fn begin(self, mkdirs: &[PathBuf], entries: &[Entry]) -> std::io::Result<Tx> {
        let mut text = json!({"journal": 1}).to_string() + "\n";
        for d in mkdirs {
            text.push_str(&json!({"mkdir": self.show(d)}).to_string());
            text.push('\n');
        }
        for e in entries {
            let line = json!({
                "target": self.show(&e.target),
                "staged": self.show(&e.staged),
                "backup": e.backup.as_ref().map(|b| self.show(b)),
                "old": e.old,
                "new": e.new,
            });
            text.push_str(&line.to_string());
            text.push('\n');
        }
        let journal = self.dir.join(FILE);
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&journal)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        sync_dir(&self.dir);
        Ok(Tx { lock: self, file: f, text, mkdirs: mkdirs.to_vec(), entries: entries.to_vec() })
    }

    /// A path as the journal holds it: relative to the root when inside it.
    fn show(&self, p: &Path) -> String {
        p.strip_prefix(&self.root).unwrap_or(p).to_string_lossy().into_owned()
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if fs::remove_dir(&self.dir).is_ok() {
            sync_dir(&self.root);
        }
    }
}

#[cfg(unix)]
fn same_file(handle: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (handle.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &fs::File, path: &Path) -> bool {
    path.exists()
}

/// A write in progress, between its intent and its end.
pub struct Tx {
    lock: Lock,
    file: fs::File,
    text: String,
    mkdirs: Vec<PathBuf>,
    entries: Vec<Entry>,
}

impl Tx {
    /// Appends the commit line and fsyncs it: from here on the write rolls forward.
    pub fn commit(&mut self) -> std::io::Result<()> {
        let line = json!({"commit": self.entries.len(), "check": hash(self.text.as_bytes())}).to_string() + "\n";
        self.file.write_all(line.as_bytes())?;
        self.file.sync_all()
    }

    /// Before the commit point: removes everything staged, then the journal.
    pub fn abandon(&mut self) {
        for e in &self.entries {
            let _ = fs::remove_file(&e.staged);
            if let Some(b) = &e.backup {
                let _ = fs::remove_file(b);
            }
        }
        remove_dirs(&self.mkdirs);
        self.remove_journal();
    }

    /// After the commit point, when renaming failed: puts back the originals of
    /// the first `renamed` entries, removes the rest, then the journal. On failure
    /// the journal stays, for `caseshare recover`.
    pub fn roll_back(&mut self, renamed: usize) -> std::io::Result<()> {
        for e in &self.entries[..renamed] {
            match &e.backup {
                Some(b) => fs::rename(b, &e.target)?,
                None => fs::remove_file(&e.target)?,
            }
        }
        for dir in folders(&self.entries) {
            sync_dir(&dir);
        }
        self.abandon();
        Ok(())
    }

    /// Every file is in place: marks the journal done (a kill from here on
    /// leaves a finished write, which no rollback can undo once backups go),
    /// removes the backups, then the journal.
    pub fn finish(&mut self) {
        let done = json!({"done": true}).to_string() + "\n";
        if self.file.write_all(done.as_bytes()).and_then(|()| self.file.sync_all()).is_err() {
            // Without the mark, keep the backups: recovery can still undo or finish.
            return;
        }
        for e in &self.entries {
            if let Some(b) = &e.backup {
                let _ = fs::remove_file(b);
            }
        }
        self.remove_journal();
    }

    fn remove_journal(&mut self) {
        let _ = fs::remove_file(self.lock.dir.join(FILE));
        sync_dir(&self.lock.dir);
    }
}

fn remove_dirs(dirs: &[PathBuf]) {
    for d in dirs.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

/// What recovery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Forward (the write was finished) or back (the tree is as before it).
    pub forward: bool,
    /// The files of the interrupted write.
    pub files: Vec<PathBuf>,
    /// A rollback was asked for, but the write had already finished (only its
    /// clean-up was interrupted): it stays.
    pub finished_already: bool,
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.files.len();
        let files = if n == 1 { "file" } else { "files" };
        if self.finished_already {
            write!(
                f,
                "the interrupted write had already finished ({n} {files} written), so it cannot be undone; its leftovers were removed"
            )
        } else if self.forward {
            write!(f, "finished an interrupted write: {n} {files} written")
        } else {
            write!(f, "undid an interrupted write: {n} {files} as they were before it")
        }
    }
}

/// Why a journal could not be recovered.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot recover `{}`: {message}; the journal is left as it is", path.display())]
    Stuck { path: PathBuf, message: String },
}

/// Finishes or undoes an interrupted write of the project at `root`: forward when
/// its journal is complete (unless `rollback`), back when it is not. `None` when
/// there is nothing to recover.
pub fn recover(root: &Path, rollback: bool) -> Result<Option<Recovery>, RecoverError> {
    let lock = Lock::take(root)?;
    let journal = lock.dir.join(FILE);
    let text = match fs::read(&journal) {
        Ok(t) => String::from_utf8_lossy(&t).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(WriteError::Failed { path: journal, source: e }.into()),
    };
    let read = parse(root, &text);
    let stuck = |path: &Path, message: String| RecoverError::Stuck { path: path.to_path_buf(), message };
    // A finished write (its clean-up interrupted) can only be finished.
    let finished_already = read.done && rollback;
    let forward = read.complete && (!rollback || read.done);
    // Forward: every file is checked before any is moved in. One not moved in
    // yet must hold its old content (or not be there, if it is new): a change
    // made to it since (an edit after the crash) is not overwritten.
    if forward {
        for e in &read.entries {
            let now = fs::read(&e.target).map(|t| hash(&t)).ok();
            if e.staged.exists() {
                let staged = fs::read(&e.staged).map_err(|x| stuck(&e.staged, x.to_string()))?;
                if hash(&staged) != e.new {
                    return Err(stuck(&e.staged, "the staged file does not hold the journalled content".into()));
                }
                if now != e.old && now.as_deref() != Some(e.new.as_str()) {
                    return Err(stuck(
                        &e.target,
                        "it was changed after the write was interrupted: `caseshare recover --rollback` keeps that \
                         change and puts the other files back"
                            .into(),
                    ));
                }
            } else if now.as_deref() != Some(e.new.as_str()) {
                return Err(stuck(&e.target, "neither it nor its staged file holds the new content".into()));
            }
        }
    }
    for e in &read.entries {
        if forward {
            if e.staged.exists() {
                fs::rename(&e.staged, &e.target).map_err(|x| stuck(&e.target, x.to_string()))?;
            }
        } else {
            let now = fs::read(&e.target).map(|t| hash(&t)).ok();
            let written = now.as_deref() == Some(e.new.as_str()) && now != e.old;
            match (&e.backup, written) {
                (Some(b), true) => {
                    if !b.exists() {
                        return Err(stuck(&e.target, "its backup is missing".into()));
                    }
                    fs::rename(b, &e.target).map_err(|x| stuck(&e.target, x.to_string()))?;
                }
                (None, true) => fs::remove_file(&e.target).map_err(|x| stuck(&e.target, x.to_string()))?,
                _ => {}
            }
            let _ = fs::remove_file(&e.staged);
        }
    }
    for dir in folders(&read.entries) {
        sync_dir(&dir);
    }
    for e in &read.entries {
        if let Some(b) = &e.backup {
            let _ = fs::remove_file(b);
        }
        let _ = fs::remove_file(&e.staged);
    }
    if !forward {
        remove_dirs(&read.mkdirs);
    }
    fs::remove_file(&journal).map_err(|x| stuck(&journal, x.to_string()))?;
    sync_dir(&lock.dir);
    Ok(Some(Recovery { forward, files: read.entries.iter().map(|e| e.target.clone()).collect(), finished_already }))
}

/// A journal as read back.
struct Read {
    mkdirs: Vec<PathBuf>,
    entries: Vec<Entry>,
    complete: bool,
    /// Every file was in place when the clean-up began.
    done: bool,
}

/// Reads a journal's lines; a torn or missing commit line makes it incomplete.
fn parse(root: &Path, text: &str) -> Read {
    let path = |v: &Value| -> Option<PathBuf> { v.as_str().map(|s| root.join(s)) };
    let mut read = Read { mkdirs: Vec::new(), entries: Vec::new(), complete: false, done: false };
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let before = &text[..offset];
        offset += line.len();
        if !line.ends_with('\n') {
            break; // torn
        }
        let Ok(v) = serde_json::from_str::<Value>(line) else { break };
        if let Some(dir) = v.get("mkdir").and_then(path) {
            read.mkdirs.push(dir);
        } else if let Some(n) = v.get("commit").and_then(Value::as_u64) {
            read.complete = n as usize == read.entries.len()
                && v.get("check").and_then(Value::as_str) == Some(hash(before.as_bytes()).as_str());
            if !read.complete {
                break;
            }
        } else if v.get("done").is_some() {
            read.done = read.complete;
            break;
        } else if let (Some(target), Some(staged), Some(new)) =
            (v.get("target").and_then(path), v.get("staged").and_then(path), v.get("new").and_then(Value::as_str))
        {
            read.entries.push(Entry {
                target,
                staged,
                backup: v.get("backup").and_then(path),
                old: v.get("old").and_then(Value::as_str).map(str::to_string),
                new: new.to_string(),
            });
        }
    }
    read
}
