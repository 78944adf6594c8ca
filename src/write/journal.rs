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
use std::io::{Read as _, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};

use super::WriteError;

/// The folder of the journal, at the project root.
pub const DIR: &str = ".caseshare";
/// The journal's file name in [`DIR`].
pub const FILE: &str = "journal";

/// No journal caseshare writes is larger (a line of about 200 bytes per file).
const MAX_JOURNAL: u64 = 64 * 1024 * 1024;

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
            // A folder of the project, not a link (committed in a pull request,
            // it would take the journal, and its removal, anywhere).
            match fs::symlink_metadata(&dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(WriteError::NotOurs(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
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
                // Resolved: the journal names the files by their resolved paths
                // from it (a relative or linked root would leave them absolute,
                // which recovery refuses).
                let root = fs::canonicalize(root).map_err(io)?;
                return Ok(Lock { root, dir, _handle: handle });
            }
        }
        Err(WriteError::Busy(root.to_path_buf()))
    }

    pub fn journal_exists(&self) -> bool {
        fs::symlink_metadata(self.dir.join(FILE)).is_ok()
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
        // A journal torn by a full disk is no journal: nothing was staged yet.
        if let Err(e) = f.write_all(text.as_bytes()).and_then(|()| f.sync_all()) {
            drop(f);
            let _ = fs::remove_file(&journal);
            return Err(e);
        }
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
    /// the journal stays, for `caseshare recover`, marked as being undone first
    /// (a recovery goes on undoing it, not forward over files put back).
    pub fn roll_back(&mut self, renamed: usize) -> std::io::Result<()> {
        let mark = json!({"rollback": true}).to_string() + "\n";
        self.file.write_all(mark.as_bytes())?;
        self.file.sync_all()?;
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
    let stuck = |path: &Path, message: String| RecoverError::Stuck { path: path.to_path_buf(), message };
    let not_ours = |why: &str| {
        stuck(
            &journal,
            format!("{why}: caseshare did not write it (remove it, after a look, if nobody ran caseshare here)"),
        )
    };
    // Only a regular file of the size caseshare writes is read (committed in a
    // pull request, a link to `/dev/zero` or a FIFO would be read for ever).
    let meta = match fs::symlink_metadata(&journal) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(WriteError::Failed { path: journal, source: e }.into()),
    };
    if !meta.is_file() {
        return Err(not_ours("it is not a regular file"));
    }
    if meta.len() > MAX_JOURNAL {
        return Err(not_ours("it is larger than any journal caseshare writes (64 MiB)"));
    }
    let mut bytes = Vec::new();
    fs::File::open(&journal)
        .and_then(|f| f.take(MAX_JOURNAL + 1).read_to_end(&mut bytes))
        .map_err(|source| WriteError::Failed { path: journal.clone(), source })?;
    let text = String::from_utf8_lossy(&bytes);
    let read = parse(root, &text).map_err(|bad| {
        not_ours(&format!("it names `{bad}`, which is no file or folder a write of caseshare makes in the project"))
    })?;
    // Every path stays in the project as resolved: no folder on the way, and
    // no file, is a link that leads out of it.
    let real_root = fs::canonicalize(root).map_err(|e| stuck(root, e.to_string()))?;
    let named = read
        .mkdirs
        .iter()
        .chain(read.entries.iter().flat_map(|e| [&e.target, &e.staged]))
        .chain(read.entries.iter().filter_map(|e| e.backup.as_ref()));
    for path in named {
        if !stays_inside(&real_root, path) {
            return Err(not_ours(&format!(
                "it names `{}`, which a symbolic link leads out of the project",
                path.display()
            )));
        }
    }
    // A finished write (its clean-up interrupted) can only be finished.
    let finished_already = read.done && rollback;
    let forward = read.complete && !read.rolling_back && (!rollback || read.done);
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
    } else if read.complete && !read.rolling_back && !read.done {
        // Undoing a complete write: marked first, so that a recovery killed
        // half-way goes on undoing it rather than forward over files put back.
        mark(&journal, "rollback").map_err(|x| stuck(&journal, x.to_string()))?;
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
    // Every file in place: marked done before the backups go, as the writer
    // does, so that a later `--rollback` knows the write is finished.
    if forward && !read.done {
        mark(&journal, "done").map_err(|x| stuck(&journal, x.to_string()))?;
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

/// Appends `{"<what>": true}` to the journal and fsyncs it.
fn mark(journal: &Path, what: &str) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new().append(true).open(journal)?;
    f.write_all((json!({ what: true }).to_string() + "\n").as_bytes())?;
    f.sync_all()
}

/// Whether `path` is reached without leaving the project (`real_root`, resolved):
/// it is no symbolic link, and the nearest folder above it that exists is
/// inside the project as resolved, in no folder a journal may not name.
fn stays_inside(real_root: &Path, path: &Path) -> bool {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return false;
    }
    let mut dir = path.parent();
    while let Some(d) = dir {
        match fs::canonicalize(d) {
            // And not, as resolved, in a folder [`in_project`] refuses (`g -> .git`).
            Ok(real) => {
                return real.strip_prefix(real_root).is_ok_and(|rel| {
                    rel.to_str().is_some_and(|rel| rel.is_empty() || in_project(real_root, rel).is_some())
                });
            }
            Err(_) => dir = d.parent(),
        }
    }
    false
}

/// A journal as read back.
struct Read {
    mkdirs: Vec<PathBuf>,
    entries: Vec<Entry>,
    complete: bool,
    /// Every file was in place when the clean-up began.
    done: bool,
    /// A complete write being undone (a recovery or the writer's own rollback began).
    rolling_back: bool,
}

/// A path as a journal names it: relative to the root, with no `..`, `.` or
/// root in it, and not in a repository's own folders (`.git`, which a pull
/// request cannot otherwise touch) or the journal's.
fn in_project(root: &Path, s: &str) -> Option<PathBuf> {
    let rel = Path::new(s);
    let fit = |c: Component| match c {
        Component::Normal(name) => {
            let name = name.to_string_lossy();
            ![".git", ".hg", ".svn", DIR].iter().any(|kept| name.eq_ignore_ascii_case(kept))
        }
        _ => false,
    };
    (!s.is_empty() && rel.components().all(fit)).then(|| root.join(rel))
}

/// Whether `other` is a name the writer gives beside `target`:
/// `.<name>.caseshare-<pid>.<ext>` in the same folder.
fn beside(target: &Path, other: &Path, ext: &str) -> bool {
    let (Some(name), Some(got)) =
        (target.file_name().and_then(|n| n.to_str()), other.file_name().and_then(|n| n.to_str()))
    else {
        return false;
    };
    let pid = got
        .strip_prefix('.')
        .and_then(|g| g.strip_prefix(name))
        .and_then(|g| g.strip_prefix(".caseshare-"))
        .and_then(|g| g.strip_suffix(ext))
        .and_then(|g| g.strip_suffix('.'));
    other.parent() == target.parent() && pid.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Reads a journal's lines; a torn or missing commit line makes it incomplete.
/// A path no write of caseshare makes (outside the project, or a staged file or
/// backup not named as the writer names them) is the error.
fn parse(root: &Path, text: &str) -> Result<Read, String> {
    let mut read = Read { mkdirs: Vec::new(), entries: Vec::new(), complete: false, done: false, rolling_back: false };
    let path = |v: Option<&Value>| -> Result<Option<PathBuf>, String> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => in_project(root, s).map(Some).ok_or_else(|| s.clone()),
            Some(other) => Err(other.to_string()),
        }
    };
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let before = &text[..offset];
        offset += line.len();
        if !line.ends_with('\n') {
            break; // torn
        }
        let Ok(v) = serde_json::from_str::<Value>(line) else { break };
        if let Some(dir) = path(v.get("mkdir"))? {
            read.mkdirs.push(dir);
        } else if let Some(n) = v.get("commit").and_then(Value::as_u64) {
            read.complete = n as usize == read.entries.len()
                && v.get("check").and_then(Value::as_str) == Some(hash(before.as_bytes()).as_str());
            if !read.complete {
                break;
            }
        } else if v.get("rollback").is_some() {
            read.rolling_back = read.complete;
        } else if v.get("done").is_some() {
            read.done = read.complete && !read.rolling_back;
            break;
        } else if let (Some(target), Some(staged), Some(new)) =
            (path(v.get("target"))?, path(v.get("staged"))?, v.get("new").and_then(Value::as_str))
        {
            let backup = path(v.get("backup"))?;
            if !beside(&target, &staged, "tmp") {
                return Err(staged.strip_prefix(root).unwrap_or(&staged).display().to_string());
            }
            if let Some(b) = backup.as_ref().filter(|b| !beside(&target, b, "orig")) {
                return Err(b.strip_prefix(root).unwrap_or(b).display().to_string());
            }
            read.entries.push(Entry {
                target,
                staged,
                backup,
                old: v.get("old").and_then(Value::as_str).map(str::to_string),
                new: new.to_string(),
            });
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_names_paths_in_the_project_only() {
        let root = Path::new("/p");
        let entry = |target: &str, staged: &str, backup: &str| {
            let line = json!({"target": target, "staged": staged, "backup": backup, "old": "1:0", "new": "2:0"});
            format!("{}\n{line}\n", json!({"journal": 1}))
        };
        let ok =
            parse(root, &entry("users/a.yaml", "users/.a.yaml.caseshare-12.tmp", "users/.a.yaml.caseshare-12.orig"));
        assert_eq!(ok.expect("read").entries[0].target, Path::new("/p/users/a.yaml"));
        for (target, staged, backup) in [
            ("../outside/bin/git", "../outside/bin/.git.caseshare-1.tmp", "../outside/bin/.git.caseshare-1.orig"),
            ("/etc/passwd", "/etc/.passwd.caseshare-1.tmp", "/etc/.passwd.caseshare-1.orig"),
            ("users/a.yaml", "users/b.yaml", "users/.a.yaml.caseshare-1.orig"),
            ("users/a.yaml", "users/.a.yaml.caseshare-1.tmp", "project.yaml"),
            ("users/a.yaml", "users/.a.yaml.caseshare-1.tmp", "users/.a.yaml.caseshare-x.orig"),
            ("", "users/.a.yaml.caseshare-1.tmp", "users/.a.yaml.caseshare-1.orig"),
            (".git/HEAD", ".git/.HEAD.caseshare-1.tmp", ".git/.HEAD.caseshare-1.orig"),
            (".Git/config", ".Git/.config.caseshare-1.tmp", ".Git/.config.caseshare-1.orig"),
            (".caseshare/journal", ".caseshare/.journal.caseshare-1.tmp", ".caseshare/.journal.caseshare-1.orig"),
        ] {
            assert!(parse(root, &entry(target, staged, backup)).is_err(), "{target} {staged} {backup}");
        }
        let mkdir = format!("{}\n{}\n", json!({"journal": 1}), json!({"mkdir": "../x"}));
        assert_eq!(parse(root, &mkdir).err().as_deref(), Some("../x"));
    }
}
