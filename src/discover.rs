//! Finding the project root and the files to check.

use std::path::{Component, Path, PathBuf};

use crate::Error;
use crate::source::FileKind;

/// Walks up from `start` (a file or folder) to the folder holding `project.yaml`.
pub fn find_root(start: &Path) -> Result<PathBuf, Error> {
    let abs = std::fs::canonicalize(start).map_err(|source| Error::Io { path: start.to_path_buf(), source })?;
    let mut dir = if abs.is_dir() { abs.as_path() } else { abs.parent().unwrap_or(&abs) };
    loop {
        if dir.join("project.yaml").is_file() || dir.join("project.yml").is_file() {
            return Ok(dir.to_path_buf());
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => return Err(Error::NoProject(start.to_path_buf())),
        }
    }
}

/// The folder that a write into `dir` (`schema --out`, an export's folder,
/// `init`) must stay inside, and that keeps its journal: the nearest folder
/// around `dir`, as named (links not followed), that is a project (holds
/// `project.yaml`) or a git repository (holds `.git`), else `dir` itself. A
/// folder on the way committed as a link out of it is then refused by the
/// writer, as for a project's own files.
pub fn write_root(dir: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut abs = PathBuf::new();
    for c in cwd.join(dir).components() {
        match c {
            Component::ParentDir => {
                abs.pop();
            }
            Component::CurDir => {}
            c => abs.push(c.as_os_str()),
        }
    }
    let marked = |d: &Path| {
        ["project.yaml", "project.yml"].iter().any(|f| d.join(f).is_file())
            || std::fs::symlink_metadata(d.join(".git")).is_ok()
    };
    abs.ancestors().find(|d| marked(d)).map_or_else(|| dir.to_path_buf(), Path::to_path_buf)
}

/// The folders whose files have a kind (apps, groups, users, locations).
pub const KIND_FOLDERS: [&str; 4] = ["apps", "groups", "users", "locations"];

/// A file to load: its path relative to the root and its kind.
#[derive(Debug, Clone)]
pub struct Entry {
    pub rel: String,
    pub abs: PathBuf,
    pub kind: FileKind,
    /// The file, or the folder `via` on its path, is a symbolic link that leads
    /// outside the project (F005): it is not read.
    pub outside: Option<Outside>,
    /// The folder's listing says it is a regular file (not a link, a FIFO or a
    /// device): it is opened without a stat of its path first.
    pub regular: bool,
}

/// How an entry leads outside the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outside {
    /// The file itself is a link out.
    File,
    /// The entry is a folder that links out; nothing below it is listed.
    Folder,
}

/// Every YAML file below `root` that caseshare looks at, sorted by relative path
/// (byte order), skipping dot-files and dot-folders. Symbolic links are followed
/// while they stay inside the project: a link (to a file or a folder) that leads
/// outside is an entry marked [`Entry::outside`], and nothing below or behind it
/// is read or listed. A folder reached by several paths is walked once: a folder
/// in `apps/`, `groups/`, `users/` or `locations/` (as resolved) under that
/// folder's name (`users -> src/users`, or a link elsewhere to `users/`); any
/// other under a path in one of those folders if there is one (in that order),
/// else the first by name, folder by folder. Errors while walking (a folder
/// that cannot be read) are returned beside the entries.
pub fn walk(root: &Path) -> (Vec<Entry>, Vec<(String, String)>) {
    let mut entries = Vec::new();
    let errors = visit(root, &mut |e| entries.push(e));
    entries.sort_by(|a, b| a.rel.as_bytes().cmp(b.rel.as_bytes()));
    (entries, errors)
}

/// [`walk`], giving each entry to `each` as it is found (in no set order)
/// instead of gathering them: the errors are returned.
pub fn visit(root: &Path, each: &mut dyn FnMut(Entry)) -> Vec<(String, String)> {
    visit_in(&Disk, root, each)
}

/// What the walk needs of a file system: the disk, or a revision's tree, which
/// `diff` reads through git. One walk for both: a revision is read as `check`
/// reads the same files on disk.
pub trait Fs {
    /// `path` with every symbolic link on it followed (as `std::fs::canonicalize`).
    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf>;
    /// Whether a resolved path is a folder.
    fn is_dir(&self, path: &Path) -> bool;
    /// A folder's entries, and why any could not be listed.
    fn read_dir(&self, dir: &Path) -> std::io::Result<(Vec<Child>, Vec<String>)>;
}

/// An entry of a folder: its name, path, and type as the folder lists it
/// (`None` when it does not tell).
pub struct Child {
    pub name: String,
    pub path: PathBuf,
    pub kind: Option<ChildKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    File,
    Folder,
    Link,
    /// A FIFO, a device, a socket: read, it says what it is.
    Other,
}

/// The disk.
struct Disk;

impl Fs for Disk {
    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn read_dir(&self, dir: &Path) -> std::io::Result<(Vec<Child>, Vec<String>)> {
        let mut children = Vec::new();
        let mut errors = Vec::new();
        for item in std::fs::read_dir(dir)? {
            match item {
                // The type as the folder lists it (no stat of each file, where
                // the file system tells).
                Ok(e) => children.push(Child {
                    name: e.file_name().to_string_lossy().into_owned(),
                    path: e.path(),
                    kind: e.file_type().ok().map(|t| {
                        if t.is_symlink() {
                            ChildKind::Link
                        } else if t.is_dir() {
                            ChildKind::Folder
                        } else if t.is_file() {
                            ChildKind::File
                        } else {
                            ChildKind::Other
                        }
                    }),
                }),
                Err(e) => errors.push(e.to_string()),
            }
        }
        Ok((children, errors))
    }
}

/// [`visit`] on a file system.
pub fn visit_in(fs: &dyn Fs, root: &Path, each: &mut dyn FnMut(Entry)) -> Vec<(String, String)> {
    let real_root = fs.canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let homes = homes(fs, root, &real_root);
    let mut w = Walk { fs, root: real_root, homes, each, errors: Vec::new(), visited: Default::default() };
    w.folder(root, "");
    w.errors
}

/// The kind folders of the project at `root` (`real_root` resolved), each
/// with the folder it is as resolved, inside the project.
fn homes(fs: &dyn Fs, root: &Path, real_root: &Path) -> Vec<(&'static str, PathBuf)> {
    KIND_FOLDERS
        .into_iter()
        .filter_map(|name| {
            let real = fs.canonicalize(&root.join(name)).ok()?;
            (fs.is_dir(&real) && real.starts_with(real_root) && real != real_root).then_some((name, real))
        })
        .collect()
}

/// The path by which the walk names a file of the project at `root` (its
/// real path, both resolved; the file itself need not be there): in a kind
/// folder as resolved, under that folder's name (`groups -> realgroups`: a
/// file of `realgroups/` is `groups/…`), else its path from the root.
pub fn name_in(root: &Path, real: &Path) -> Option<String> {
    let homes = homes(&Disk, root, root);
    let home = homes.iter().filter(|(_, h)| real.starts_with(h)).max_by_key(|(_, h)| h.as_os_str().len());
    let rel = match home {
        Some((name, h)) => Path::new(name).join(real.strip_prefix(h).ok()?),
        None => real.strip_prefix(root).ok()?.to_path_buf(),
    };
    Some(rel.to_string_lossy().replace('\\', "/"))
}

struct Walk<'a> {
    fs: &'a dyn Fs,
    /// The root, resolved: links must resolve below it.
    root: PathBuf,
    each: &'a mut dyn FnMut(Entry),
    errors: Vec<(String, String)>,
    /// Folders walked, resolved: a link back to one of them is not walked again.
    visited: std::collections::HashSet<PathBuf>,
    /// The kind folders (`users`, …), resolved, inside the project: what is in
    /// one is walked under its name only.
    homes: Vec<(&'static str, PathBuf)>,
}

impl Walk<'_> {
    fn folder(&mut self, dir: &Path, rel: &str) {
        if let Ok(real) = self.fs.canonicalize(dir) {
            // In a kind folder, as resolved: under another name, its files would
            // be of no kind (or another), and the walk under its own name, if
            // later, would skip it as walked.
            let home = self.homes.iter().filter(|(_, h)| real.starts_with(h)).max_by_key(|(_, h)| h.as_os_str().len());
            if let Some((name, _)) = home
                && rel.split('/').next() != Some(*name)
            {
                return;
            }
            if !self.visited.insert(real) {
                return;
            }
        }
        let mut children = match self.fs.read_dir(dir) {
            Ok((children, errors)) => {
                self.errors.extend(errors.into_iter().map(|e| (rel.to_string(), e)));
                children
            }
            Err(e) => {
                self.errors.push((rel.to_string(), e.to_string()));
                return;
            }
        };
        // At the root, the kind folders first, in the order of [`KIND_FOLDERS`]:
        // a folder they reach through a link is theirs, not a sibling's that
        // sorts before them.
        let rank = |name: &str| match rel {
            "" => KIND_FOLDERS.iter().position(|k| *k == name).unwrap_or(KIND_FOLDERS.len()),
            _ => 0,
        };
        children.sort_by(|a, b| rank(&a.name).cmp(&rank(&b.name)).then_with(|| a.name.cmp(&b.name)));
        for Child { name, path, kind } in children {
            if name.starts_with('.') {
                continue;
            }
            let child_rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let Some(kind) = kind else { continue };
            let (is_dir, outside) = if kind == ChildKind::Link {
                match self.fs.canonicalize(&path) {
                    Ok(target) => (self.fs.is_dir(&target), !target.starts_with(&self.root)),
                    // A loop or a dangling link: reading it reports why.
                    Err(_) => (false, false),
                }
            } else {
                (kind == ChildKind::Folder, false)
            };
            let regular = kind == ChildKind::File;
            match (is_dir, outside) {
                (true, false) => self.folder(&path, &child_rel),
                (true, true) => {
                    let kind = FileKind::of_folder(&child_rel);
                    (self.each)(Entry {
                        rel: child_rel,
                        abs: path,
                        kind,
                        outside: Some(Outside::Folder),
                        regular: false,
                    });
                }
                (false, outside) => {
                    if let Some(kind) = FileKind::of(&child_rel) {
                        let outside = outside.then_some(Outside::File);
                        (self.each)(Entry { rel: child_rel, abs: path, kind, outside, regular });
                    }
                }
            }
        }
    }
}

/// `path` relative to `base` (both absolute), e.g. `../demo/apps/chw.yaml`.
pub fn relative_to(path: &Path, base: &Path) -> String {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return path.display().to_string();
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    let s = out.display().to_string();
    if s.is_empty() { ".".into() } else { s.replace('\\', "/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(relative_to(Path::new("/a/b/c.yaml"), Path::new("/a")), "b/c.yaml");
        assert_eq!(relative_to(Path::new("/a/b/c.yaml"), Path::new("/a/x")), "../b/c.yaml");
    }
}
