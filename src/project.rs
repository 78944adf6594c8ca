//! A loaded project: its files and the definitions they hold.

use std::path::PathBuf;
use std::sync::Arc;

use crate::model::{App, Group, Location, ProjectDef, User};
use crate::source::{FileKind, SourceFile};

/// A loaded project: its files and the definitions they hold.
#[derive(Debug, Default)]
pub struct Project {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    pub def: Option<ProjectDef>,
    /// Shared with the files' loaded definitions (the language server keeps
    /// those between analyses; `diff`'s two sides share them).
    pub apps: Vec<Arc<App>>,
    pub groups: Chunks<Group>,
    pub users: Chunks<User>,
    pub locations: Chunks<Location>,
    /// Kinds of which some file could not be loaded: references to names of these
    /// kinds are not reported as unknown (the definition may be in that file).
    pub failed: Vec<FileKind>,
    /// The files that could not be loaded whole (their kinds are in `failed`).
    pub unread: Vec<crate::source::FileId>,
}

impl Project {
    pub fn kind_failed(&self, kind: FileKind) -> bool {
        self.failed.contains(&kind)
    }

    /// Notes that this file could not be loaded whole.
    pub fn fail_file(&mut self, file: crate::source::FileId, kind: FileKind) {
        self.unread.push(file);
        self.fail(kind);
    }

    /// Notes that a file of this kind could not be loaded.
    pub fn fail(&mut self, kind: FileKind) {
        if !self.failed.contains(&kind) {
            self.failed.push(kind);
        }
    }
}

/// Definitions kept as their files gave them, one list per file, in file order:
/// gathering a project moves each file's list in, instead of copying every
/// definition into one list (which, for a project of half a million users, held
/// them twice at once).
///
/// The lists are shared (`Arc`): the language server assembles a new project
/// after each edit from the lists of the files that did not change.
#[derive(Debug, Clone)]
pub struct Chunks<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for Chunks<T> {
    fn default() -> Self {
        Chunks { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Chunks<T> {
    /// Adds a file's definitions after the others.
    pub fn push_file(&mut self, items: Vec<T>) {
        self.push_shared(Arc::new(items));
    }

    /// Adds a file's definitions, shared with whoever else holds them.
    pub fn push_shared(&mut self, items: Arc<Vec<T>>) {
        if !items.is_empty() {
            self.len += items.len();
            self.chunks.push(items);
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + Clone {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The files' lists, in order (shared with whoever else holds them).
    pub fn lists(&self) -> &[Arc<Vec<T>>] {
        &self.chunks
    }

    /// The `i`-th definition, in file order (a walk over the files' lists).
    pub fn get(&self, mut i: usize) -> Option<&T> {
        for c in &self.chunks {
            if i < c.len() {
                return c.get(i);
            }
            i -= c.len();
        }
        None
    }

    /// The first definition, if any.
    pub fn first(&self) -> Option<&T> {
        self.iter().next()
    }
}

impl<T> From<Vec<T>> for Chunks<T> {
    fn from(items: Vec<T>) -> Self {
        let mut c = Chunks::default();
        c.push_file(items);
        c
    }
}

impl<'a, T> IntoIterator for &'a Chunks<T> {
    type Item = &'a T;
    type IntoIter =
        std::iter::FlatMap<std::slice::Iter<'a, Arc<Vec<T>>>, &'a Vec<T>, fn(&'a Arc<Vec<T>>) -> &'a Vec<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flat_map(|c| &**c)
    }
}

impl<T> std::ops::Index<usize> for Chunks<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        self.get(i).expect("an index below len()")
    }
}
