//! A loaded project: its files and the definitions they hold.

use std::path::PathBuf;

use crate::model::{App, Group, Location, ProjectDef, User};
use crate::source::{FileKind, SourceFile};

/// A loaded project: its files and the definitions they hold.
#[derive(Debug, Default)]
pub struct Project {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    pub def: Option<ProjectDef>,
    pub apps: Vec<App>,
    pub groups: Vec<Group>,
    pub users: Vec<User>,
    pub locations: Vec<Location>,
    /// Kinds of which some file could not be loaded: references to names of these
    /// kinds are not reported as unknown (the definition may be in that file).
    pub failed: Vec<FileKind>,
}

impl Project {
    pub fn kind_failed(&self, kind: FileKind) -> bool {
        self.failed.contains(&kind)
    }
}
