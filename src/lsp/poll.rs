//! Changes on disk, seen by the server itself: every [`EVERY`] it looks at
//! the files `check` would read in each project it serves, its
//! `caseshare.toml` and a write's journal, and takes what was made, changed or
//! deleted as a client's watcher would tell it. Clients are asked to watch
//! (`workspace/didChangeWatchedFiles`), but not every one can (Neovim on Linux
//! does not), and one that registers may tell only of its own saves (Helix:
//! helix-editor/helix#11882), not of a `git checkout` or of a `caseshare`
//! command run in a terminal. What a client tells is not told again by the
//! next look ([`Poll::saw`]).
//!
//! A file is seen as changed when its size or modification time is. A
//! project's files are first looked at before it is loaded, so a change made
//! while it loads is seen at the next look.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::discover;
use crate::write::journal;

/// How often the disk is looked at.
pub const EVERY: Duration = Duration::from_secs(1);

/// What a file was when last looked at, and at which look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp { len: meta.len(), modified: meta.modified().ok() }
    }
}

/// A project's files by path in it, each with its stamp and the last look
/// that found it. Kept up to date in place: a look allocates only the paths
/// it walks, one at a time, and those of files it had not seen.
#[derive(Default)]
struct Seen {
    files: HashMap<Box<str>, (Stamp, u64)>,
    looks: u64,
}

/// The projects looked at, and what their files were.
pub struct Poll {
    every: Duration,
    next: Instant,
    roots: HashMap<PathBuf, Seen>,
}

impl Poll {
    pub fn new(every: Duration) -> Poll {
        Poll { every, next: Instant::now() + every, roots: HashMap::new() }
    }

    /// Starts looking at the project at `root`, if it is new: what its files
    /// are now is what later looks compare with.
    pub fn watch(&mut self, root: &Path) {
        if self.roots.contains_key(root) {
            return;
        }
        let mut seen = Seen::default();
        look(root, &mut seen, &mut |_| {});
        self.roots.insert(root.to_path_buf(), seen);
        // A look's paths come and go on the thread that looks (the server's
        // main thread), whose heap is otherwise small: its pages go back to
        // the system at once (0.3 MB on `huge` when they stayed).
        crate::memory::after_load();
    }

    /// The client told of a change at `path`: what the file is now is what
    /// the next look compares with, so that the change is taken in once. A file
    /// the looks have not found yet is added only when it is one `check` would
    /// read (by its path; a look that does not find it tells it as deleted).
    pub fn saw(&mut self, path: &Path) {
        for (root, seen) in &mut self.roots {
            let Some(rel) = path.strip_prefix(root).ok().and_then(Path::to_str) else { continue };
            // Stamped as the look stamps it: a link out of the project as a link.
            let out = std::fs::canonicalize(path).map_or(true, |real| !real.starts_with(root));
            let meta = if out { std::fs::symlink_metadata(path) } else { std::fs::metadata(path) };
            match meta {
                Ok(meta) => {
                    let stamp = Stamp::of(&meta);
                    match seen.files.get_mut(rel) {
                        Some((was, _)) => *was = stamp,
                        None if crate::source::FileKind::of(rel).is_some()
                            || rel == crate::config::FILE
                            || rel == format!("{}/{}", journal::DIR, journal::FILE) =>
                        {
                            seen.files.insert(rel.into(), (stamp, seen.looks));
                        }
                        None => {}
                    }
                }
                Err(_) => {
                    seen.files.remove(rel);
                }
            }
        }
    }

    /// How long until the next look.
    pub fn wait(&self) -> Duration {
        self.next.saturating_duration_since(Instant::now())
    }

    /// Looks at every project's files: the paths made, changed or deleted
    /// since the last look.
    pub fn changes(&mut self) -> Vec<PathBuf> {
        let mut changed = Vec::new();
        for (root, seen) in &mut self.roots {
            look(root, seen, &mut |rel| changed.push(root.join(rel)));
        }
        self.next = Instant::now() + self.every;
        crate::memory::after_load();
        changed.sort();
        changed
    }
}

/// Looks at the files of the project at `root` that `check` would list (those
/// that lead out of it as links only), its `caseshare.toml`
/// and a write's journal: `changed` is given the path of each made, changed or
/// deleted since the last look (none at the first).
fn look(root: &Path, seen: &mut Seen, changed: &mut dyn FnMut(&str)) {
    let first = seen.looks == 0;
    seen.looks += 1;
    let at = seen.looks;
    // A link out of the project is looked at as a link (made, removed, pointed
    // elsewhere): what it points at is not.
    let mut found = |rel: &str, path: &Path, out: bool| {
        let meta = if out { std::fs::symlink_metadata(path) } else { std::fs::metadata(path) };
        let Ok(meta) = meta else { return };
        let stamp = Stamp::of(&meta);
        match seen.files.get_mut(rel) {
            Some((was, when)) => {
                *when = at;
                if *was != stamp {
                    *was = stamp;
                    changed(rel);
                }
            }
            None => {
                seen.files.insert(rel.into(), (stamp, at));
                if !first {
                    changed(rel);
                }
            }
        }
    };
    discover::visit(root, &mut |e| found(&e.rel, &e.abs, e.outside.is_some()));
    found(crate::config::FILE, &root.join(crate::config::FILE), false);
    let journal = format!("{}/{}", journal::DIR, journal::FILE);
    found(&journal, &root.join(&journal), false);
    seen.files.retain(|rel, (_, when)| {
        if *when != at {
            changed(rel);
        }
        *when == at
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_changed_and_deleted_files_are_told_once() {
        let root = std::env::temp_dir().join(format!("caseshare-poll-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("users")).unwrap();
        std::fs::write(root.join("project.yaml"), "format_version: 2\n").unwrap();
        std::fs::write(root.join("users/a.yaml"), "users: []\n").unwrap();
        std::fs::write(root.join("notes.txt"), "not a project file\n").unwrap();
        let mut poll = Poll::new(Duration::ZERO);
        poll.watch(&root);
        assert_eq!(poll.changes(), Vec::<PathBuf>::new());
        // Changed (a new size), made, deleted; a file `check` does not read is not told.
        std::fs::write(root.join("users/a.yaml"), "users: [{username: a}]\n").unwrap();
        std::fs::write(root.join("users/b.yml"), "users: []\n").unwrap();
        std::fs::write(root.join("notes.txt"), "still not\n").unwrap();
        std::fs::remove_file(root.join("project.yaml")).unwrap();
        std::fs::create_dir_all(root.join(".caseshare")).unwrap();
        std::fs::write(journal::path(&root), "caseshare journal 1\n").unwrap();
        std::fs::write(root.join("caseshare.toml"), "[rules]\n").unwrap();
        let mut expected = vec![
            root.join("users/a.yaml"),
            root.join("users/b.yml"),
            root.join("project.yaml"),
            journal::path(&root),
            root.join("caseshare.toml"),
        ];
        expected.sort();
        assert_eq!(poll.changes(), expected);
        assert_eq!(poll.changes(), Vec::<PathBuf>::new());
        // Watching a project again keeps what was seen.
        std::fs::remove_file(journal::path(&root)).unwrap();
        poll.watch(&root);
        assert_eq!(poll.changes(), [journal::path(&root)]);
        let _ = std::fs::remove_dir_all(&root);
    }

    /// What the client told of (changed, made, deleted) is not told again by
    /// the next look; what it did not tell of is.
    #[test]
    fn what_the_client_told_of_is_not_told_again() {
        let root = std::env::temp_dir().join(format!("caseshare-poll-saw-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("users")).unwrap();
        std::fs::write(root.join("project.yaml"), "format_version: 2\n").unwrap();
        std::fs::write(root.join("users/a.yaml"), "users: []\n").unwrap();
        std::fs::write(root.join("users/c.yaml"), "users: []\n").unwrap();
        let mut poll = Poll::new(Duration::ZERO);
        poll.watch(&root);
        std::fs::write(root.join("users/a.yaml"), "users: [{username: a}]\n").unwrap();
        std::fs::write(root.join("users/b.yaml"), "users: []\n").unwrap();
        std::fs::remove_file(root.join("project.yaml")).unwrap();
        std::fs::write(root.join("caseshare.toml"), "[rules]\n").unwrap();
        std::fs::write(root.join("users/c.yaml"), "users: [{username: c}]\n").unwrap();
        for told in ["users/a.yaml", "users/b.yaml", "project.yaml", "caseshare.toml"] {
            poll.saw(&root.join(told));
        }
        // A path outside every project changes nothing.
        poll.saw(Path::new("/elsewhere/users/a.yaml"));
        assert_eq!(poll.changes(), [root.join("users/c.yaml")]);
        assert_eq!(poll.changes(), Vec::<PathBuf>::new());
        let _ = std::fs::remove_dir_all(&root);
    }
}
