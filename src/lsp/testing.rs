//! For tests of the server: a bug in caseshare, on demand. The analysis of a
//! project panics where a bug in the index or a rule would; the tests show
//! that the server tells the user, goes on serving, and recovers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static ASKED: Mutex<Option<HashMap<PathBuf, usize>>> = Mutex::new(None);

/// The next `times` analyses of the project at `root` (its real path) panic.
pub fn panic_in_analyses(root: &Path, times: usize) {
    let mut asked = ASKED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    asked.get_or_insert_with(HashMap::new).insert(root.to_path_buf(), times);
}

/// Panics when asked to for `root`.
pub(super) fn panic_if_asked(root: &Path) {
    let mut asked = ASKED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(left) = asked.as_mut().and_then(|a| a.get_mut(root)) else { return };
    if *left > 0 {
        *left -= 1;
        drop(asked);
        panic!("a panic the test asked for");
    }
}
