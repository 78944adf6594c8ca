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

/// A file to load: its path relative to the root and its kind.
#[derive(Debug, Clone)]
pub struct Entry {
    pub rel: String,
    pub abs: PathBuf,
    pub kind: FileKind,
}

/// Every YAML file below `root` that caseshare looks at, sorted by relative path
/// (byte order), skipping dot-files and dot-folders. Errors while walking (a
/// folder that cannot be read, a symlink loop) are returned beside the entries.
pub fn walk(root: &Path) -> (Vec<Entry>, Vec<(String, String)>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for item in walker {
        match item {
            Ok(e) => {
                if e.file_type().is_dir() {
                    continue;
                }
                let Ok(rel) = e.path().strip_prefix(root) else { continue };
                let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                // A symlink to a folder is not followed.
                if e.path_is_symlink() && e.path().is_dir() {
                    continue;
                }
                if let Some(kind) = FileKind::of(&rel) {
                    entries.push(Entry { rel, abs: e.path().to_path_buf(), kind });
                }
            }
            Err(err) => {
                let path =
                    err.path().map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string()).unwrap_or_default();
                errors.push((path, err.to_string()));
            }
        }
    }
    entries.sort_by(|a, b| a.rel.as_bytes().cmp(b.rel.as_bytes()));
    (entries, errors)
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
