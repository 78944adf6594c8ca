//! The one project reader: which files make up a project, and each file's bytes
//! as text, or why they cannot be (F004 not UTF-8, Y003 too large, an I/O error).
//! `check`, `migrate`, `enable-sharing` and the other commands all read through
//! here, so a file is read, decoded and refused the same way everywhere.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::discover::{self, Entry, Outside, relative_to};
use crate::error::IoProblem;
use crate::rules::{not_utf8, outside_project, yaml_limits};
use crate::source::{FileId, FileKind, SourceFile};

/// Files larger than this are not parsed (Y003).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// The files of a project, read: in path order (byte order), each with its id.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// The project root; `None` for a project given in memory.
    pub root: Option<PathBuf>,
    pub files: Vec<SourceFile>,
    /// Files that were read but cannot be parsed (F004, Y003): their text is
    /// lossy or empty.
    pub problems: Vec<Diagnostic>,
    /// Files that could not be read at all; they have no id.
    pub io: Vec<IoProblem>,
    /// The project's `caseshare.toml` (the defaults for a project in memory):
    /// commands that check a change compare what `check` would report.
    pub config: Config,
}

impl Sources {
    /// Whether a file was read as UTF-8 text of a size that can be parsed.
    pub fn readable(&self) -> Vec<bool> {
        let mut ok = vec![true; self.files.len()];
        for d in &self.problems {
            ok[d.file.index()] = false;
        }
        ok
    }

    /// A project given as in-memory files `(path relative to the root, content)`;
    /// paths that caseshare ignores are skipped, as on disk.
    pub fn memory(files: &[(&str, &[u8])]) -> Sources {
        let mut sorted: Vec<&(&str, &[u8])> = files.iter().collect();
        sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut sources = Sources::default();
        for (rel, bytes) in sorted {
            let Some(kind) = FileKind::of(rel) else { continue };
            let entry = Entry { rel: rel.to_string(), abs: PathBuf::from(rel), kind, outside: None, regular: false };
            sources.push(&entry, rel.to_string(), Ok(decode(bytes.to_vec())));
        }
        sources
    }

    /// The project as it would be after the changes: changed files hold their new
    /// text, created files are added in path order; the other files stay as they
    /// were read (a file that is not UTF-8 or too large keeps its F004 or Y003).
    pub fn with_changes(&self, changes: &[crate::write::Change]) -> Sources {
        enum Held<'a> {
            Kept(usize),
            New(&'a crate::write::Change),
        }
        let changed: std::collections::HashSet<&str> = changes.iter().map(|c| c.rel.as_str()).collect();
        let mut all: Vec<(&str, Held)> = self
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| !changed.contains(f.rel.as_str()))
            .map(|(i, f)| (f.rel.as_str(), Held::Kept(i)))
            .collect();
        all.extend(changes.iter().map(|c| (c.rel.as_str(), Held::New(c))));
        all.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut problems: Vec<Vec<&Diagnostic>> = vec![Vec::new(); self.files.len()];
        for d in &self.problems {
            problems[d.file.index()].push(d);
        }
        let mut out =
            Sources { root: self.root.clone(), io: self.io.clone(), config: self.config.clone(), ..Sources::default() };
        for (rel, held) in all {
            match held {
                Held::Kept(i) => {
                    let id = FileId::new(out.files.len());
                    out.files.push(self.files[i].clone());
                    out.problems.extend(problems[i].iter().map(|d| {
                        let mut d = (*d).clone();
                        d.file = id;
                        // A reading problem points into its own file only.
                        d.related.iter_mut().filter(|r| r.file.index() == i).for_each(|r| r.file = id);
                        d
                    }));
                }
                Held::New(change) => {
                    let Some(kind) = FileKind::of(rel) else { continue };
                    let entry =
                        Entry { rel: rel.to_string(), abs: change.abs.clone(), kind, outside: None, regular: false };
                    out.push(&entry, change.display.clone(), Ok(decode(change.after.clone().into_bytes())));
                }
            }
        }
        out
    }

    /// Adds one file as read, in path order.
    fn push(&mut self, entry: &Entry, display: String, content: Result<Content, String>) {
        match source(FileId::new(self.files.len()), entry, display.clone(), content) {
            Ok((file, problem)) => {
                self.files.push(file);
                self.problems.extend(problem);
            }
            Err(message) => {
                self.io.push(IoProblem { path: display, message, kind: Some(entry.kind), rel: Some(entry.rel.clone()) })
            }
        }
    }
}

/// A file as read: its source (lossy or empty text when it cannot be parsed) and
/// why it cannot be (F004, F005, Y003); `Err` with the reason when it could not
/// be read at all.
pub fn source(
    id: FileId,
    entry: &Entry,
    display: String,
    content: Result<Content, String>,
) -> Result<(SourceFile, Option<Diagnostic>), String> {
    let (text, problem): (Arc<str>, _) = match content? {
        Content::Text(t) => (t, None),
        Content::NotUtf8 { lossy, at } => (lossy.into(), Some(not_utf8::diagnostic(id, at))),
        Content::TooLarge(len) => (Arc::from(""), Some(yaml_limits::too_large(id, len, MAX_FILE_BYTES))),
        Content::Outside => {
            let folder = entry.outside == Some(Outside::Folder);
            (Arc::from(""), Some(outside_project::diagnostic(id, &entry.rel, folder)))
        }
    };
    Ok((SourceFile::new(entry.rel.clone(), display, entry.abs.clone(), entry.kind, text), problem))
}

/// The files of a project, not read yet: each with the path shown for it.
#[derive(Debug)]
pub struct Listing {
    pub root: PathBuf,
    pub entries: Vec<(Entry, String)>,
    /// Folders that could not be walked.
    pub io: Vec<IoProblem>,
}

/// Lists the project at `root` (its files not excluded by `config`); paths are
/// shown relative to `cwd`.
pub fn list(root: &Path, cwd: &Path, config: &Config) -> Listing {
    let (entries, walk_errors) = discover::walk(root);
    let io = walk_errors
        .into_iter()
        .map(|(path, message)| IoProblem { path: relative_to(&root.join(&path), cwd), message, kind: None, rel: None })
        .collect();
    // Paths are shown relative to the working directory: the root's, then the file's.
    let base = relative_to(root, cwd);
    let entries = entries
        .into_iter()
        .filter(|e| !config.excluded(&e.rel))
        .map(|e| {
            let display = if base == "." || base.is_empty() { e.rel.clone() } else { format!("{base}/{}", e.rel) };
            (e, display)
        })
        .collect();
    Listing { root: root.to_path_buf(), entries, io }
}

/// What an entry holds: a link out of the project is not read.
pub fn content(entry: &Entry) -> Result<Content, String> {
    match (&entry.outside, entry.regular) {
        (Some(_), _) => Ok(Content::Outside),
        (None, true) => read_regular(&entry.abs),
        (None, false) => read(&entry.abs),
    }
}

/// Reads the project at `root` (its files not excluded by `config`), in parallel;
/// paths are shown relative to `cwd`. A folder that cannot be walked is an I/O
/// problem beside the files.
pub fn read_project(root: &Path, cwd: &Path, config: &Config) -> Sources {
    let listing = list(root, cwd, config);
    let contents: Vec<Result<Content, String>> = listing.entries.par_iter().map(|(e, _)| content(e)).collect();
    let mut sources =
        Sources { root: Some(listing.root), io: listing.io, config: config.clone(), ..Sources::default() };
    for ((e, display), content) in listing.entries.into_iter().zip(contents) {
        sources.push(&e, display, content);
    }
    sources
}

/// What a file holds, as far as reading can tell.
pub enum Content {
    Text(Arc<str>),
    NotUtf8 {
        lossy: String,
        at: usize,
    },
    TooLarge(u64),
    /// A link out of the project (F005): not read.
    Outside,
}

/// Reads one file; `Err` with the reason when it cannot be read.
pub fn read(path: &Path) -> Result<Content, String> {
    // Its type first, by path: opening a FIFO would wait for a writer.
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    read_regular(path)
}

/// [`read`] for a file its folder listed as a regular file: opened first, its
/// size then taken from the open file (one path lookup instead of two; on a
/// project of 50,000 small files the lookups were a tenth of a check). Opened
/// anyway, it is still refused if it is not a regular file by then.
fn read_regular(path: &Path) -> Result<Content, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Ok(Content::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // One byte past the cap at most, should the file grow meanwhile.
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    Ok(decode(bytes))
}

/// `path` with its symbolic links followed; of a path that is not there yet,
/// the nearest folder above it that is, resolved, with the rest of the path.
pub fn resolved(path: &Path) -> std::io::Result<std::path::PathBuf> {
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    let mut at = path;
    loop {
        match std::fs::canonicalize(at) {
            Ok(mut real) => {
                real.extend(rest.iter().rev());
                return Ok(real);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                rest.push(at.file_name().ok_or(e)?);
                at = at.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            }
            Err(e) => return Err(e),
        }
    }
}

/// A file of the folder `root` read outside the project's listing (a file an
/// import rewrites, `caseshare.toml`, a committed schema), as the listing reads
/// one: not through a symbolic link that leads out of `root` (nothing of what
/// it points at is read), only a regular file (a FIFO or `/dev/zero` would be
/// read for ever), and no more than [`MAX_FILE_BYTES`]. `None` when it is not there.
pub fn within(root: &Path, path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let refuse = |why: &str| std::io::Error::other(why.to_string());
    if std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(None);
    }
    if !resolved(path)?.starts_with(resolved(root)?) {
        return Err(refuse("it is a symbolic link that leads outside the project, and is not read"));
    }
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(refuse("not a regular file"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(refuse(&format!("larger than {} MiB", MAX_FILE_BYTES >> 20)));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)?.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(refuse(&format!("larger than {} MiB", MAX_FILE_BYTES >> 20)));
    }
    Ok(Some(bytes))
}

/// Bytes as text: UTF-8, or the lossy text and the offset of the first bad byte.
pub fn decode(bytes: Vec<u8>) -> Content {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Content::TooLarge(bytes.len() as u64);
    }
    match String::from_utf8(bytes) {
        Ok(s) => Content::Text(s.into()),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            Content::NotUtf8 { lossy: String::from_utf8_lossy(e.as_bytes()).into_owned(), at }
        }
    }
}
