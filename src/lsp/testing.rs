//! For tests of the server: a bug in caseshare, on demand. The loading or the
//! analysis of a project panics where a bug in a parser, the index or a rule
//! would; the tests show that the server tells the user, goes on serving, and
//! recovers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A step of the server's work on a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Reading every file (at start-up, and again after a panic).
    Load,
    /// Parsing what changed, the index and the rules.
    Analysis,
    /// Sending the diagnostics.
    Publish,
    /// Working out a rename's edits and what they would raise.
    Rename,
}

static ASKED: Mutex<Option<HashMap<(PathBuf, Step), usize>>> = Mutex::new(None);

/// The next `times` steps `step` of the project at `root` (its real path) panic.
pub fn panic_in(root: &Path, step: Step, times: usize) {
    let mut asked = ASKED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    asked.get_or_insert_with(HashMap::new).insert((root.to_path_buf(), step), times);
}

/// How many of the steps asked for with [`panic_in`] have not panicked yet.
pub fn left(root: &Path, step: Step) -> usize {
    let asked = ASKED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    asked.as_ref().and_then(|a| a.get(&(root.to_path_buf(), step))).copied().unwrap_or(0)
}

/// Panics when asked to for `root` and `step`.
pub(super) fn panic_if_asked(root: &Path, step: Step) {
    let mut asked = ASKED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(left) = asked.as_mut().and_then(|a| a.get_mut(&(root.to_path_buf(), step))) else { return };
    if *left > 0 {
        *left -= 1;
        drop(asked);
        panic!("a panic the test asked for");
    }
}
