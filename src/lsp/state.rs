//! A project as the language server keeps it: every file's stage results
//! (diagnostics and definitions) cached, open buffers over the files on disk,
//! and after each change a new [`Snapshot`] assembled from the cache: only the
//! files that changed are parsed again; the index and the cross-file rules run
//! on the whole project, as `check` runs them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::check::diagnose;
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::Place;
use crate::error::IoProblem;
use crate::index::{Index, UserCache};
use crate::load::{self, Loaded};
use crate::project::Project;
use crate::read::{self, Content};
use crate::rules::interrupted_write;
use crate::source::{FileId, FileKind, SourceFile};
use crate::suppress;
use crate::write::journal;

/// One file of the project.
struct Slot {
    source: SourceFile,
    diags: Vec<Diagnostic>,
    loaded: Option<Loaded>,
    /// The file is gone (deleted, or left the known folders): it takes no part.
    gone: bool,
    /// Which staging of a file this is ([`ProjectState::generation`]).
    generation: u64,
}

impl Slot {
    /// A file that takes no part (not on disk, or not yet given).
    fn gone(source: SourceFile) -> Slot {
        Slot { source, diags: Vec::new(), loaded: None, gone: true, generation: generation() }
    }
}

/// A number no staging of a file had before, in this process.
fn generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// What was published of a file's diagnostics.
#[derive(Clone, Debug)]
pub struct Published {
    /// What the client was sent, as a number.
    pub sent: u64,
    /// What it was made from, as a number: the diagnostics at their places in
    /// this file, and the staging of every file they point into (a list is
    /// made again only when this changed).
    pub made_from: u64,
    /// The path the client was told the file by.
    pub shown: PathBuf,
}

/// A project root and everything the server knows of it.
pub struct ProjectState {
    pub root: PathBuf,
    config: Config,
    /// Why `caseshare.toml` could not be used (the defaults are, meanwhile).
    pub config_error: Option<String>,
    /// By file id: ids stay the same for the life of the server.
    slots: Vec<Slot>,
    /// Files by path, in path order (the order of first definitions, D001);
    /// shared with the snapshots, copied only when a file is added.
    by_rel: Arc<BTreeMap<String, FileId>>,
    /// Folders and files that could not be read.
    io: Vec<IoProblem>,
    /// Files that changed since the last analysis.
    dirty: BTreeSet<FileId>,
    /// Files whose diagnostics were published last time, with what was sent
    /// (a file that is not open is sent again only when its list changed; one
    /// without any now is cleared). By real path (a write's journal too, F006).
    pub published: BTreeMap<PathBuf, Published>,
    /// The usernames' table, kept while no username changes.
    users: UserCache,
    /// The last event taken in ([`Snapshot::seq`]).
    pub seq: u64,
    /// The open buffers, with the paths the client names them by (not in the
    /// slots: a project of 50,000 files would carry the field in each).
    buffers: BTreeMap<FileId, PathBuf>,
    /// The root as the client names it (`root` is the real path: a client
    /// that opened a file through a symbolic link is told of that path).
    pub shown_root: PathBuf,
}

self_cell::self_cell!(
    /// A project and its index (none when `project.yaml` did not load).
    pub struct Analysis {
        owner: Arc<Project>,
        #[not_covariant]
        dependent: MaybeIndex,
    }
);

type MaybeIndex<'p> = Option<Index<'p>>;

/// The state of a project after an analysis: what requests read.
pub struct Snapshot {
    project: Arc<Project>,
    /// The index, until a newer analysis starts: it is let go then, so that two
    /// indexes are never held at once (one, as `check` holds); requests
    /// meanwhile answer from the project alone.
    pub analysis: Option<Analysis>,
    /// Shared with the snapshot that stands in while the next analysis runs.
    pub diagnostics: Arc<Vec<Diagnostic>>,
    pub by_rel: Arc<BTreeMap<String, FileId>>,
    /// The last of the server's events (opened and changed buffers) it took in.
    pub seq: u64,
    /// [`ProjectState::shown_root`].
    pub shown_root: PathBuf,
    /// The open files' paths as the client names them, by their real paths.
    pub shown_files: Arc<HashMap<PathBuf, PathBuf>>,
}

impl Snapshot {
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// This snapshot without its index.
    pub fn without_index(&self) -> Snapshot {
        Snapshot {
            project: self.project.clone(),
            analysis: None,
            diagnostics: self.diagnostics.clone(),
            by_rel: self.by_rel.clone(),
            seq: self.seq,
            shown_root: self.shown_root.clone(),
            shown_files: self.shown_files.clone(),
        }
    }

    /// A file's text: kept in memory, or read again from disk when it was set aside.
    pub fn text(&self, file: FileId) -> Arc<str> {
        let f = &self.project().files[file];
        if f.set_aside {
            std::fs::read_to_string(&f.abs).map(Arc::from).unwrap_or_else(|_| Arc::from(""))
        } else {
            f.text.clone()
        }
    }

    pub fn file_of(&self, rel: &str) -> Option<FileId> {
        self.by_rel.get(rel).copied()
    }

    /// A path of the project as the client names it.
    pub fn shown(&self, path: &Path) -> PathBuf {
        if let Some(shown) = self.shown_files.get(path) {
            return shown.clone();
        }
        match path.strip_prefix(&self.project.root) {
            Ok(rel) => self.shown_root.join(rel),
            Err(_) => path.to_path_buf(),
        }
    }

    /// The URI of a file, as the client names it.
    pub fn uri(&self, file: FileId) -> lsp_types::Uri {
        super::uri(&self.shown(&self.project.files[file].abs))
    }
}

impl ProjectState {
    /// Loads the project at `root`: from disk, but a file open in the editor
    /// from its buffer (`open`: text and the path the client names it by, by
    /// path in the project), so that it is not parsed twice. Open buffers of
    /// files not on disk are given after ([`ProjectState::set_text`]).
    pub fn load(root: &Path, open: &HashMap<String, (Arc<str>, PathBuf)>) -> ProjectState {
        ProjectState::load_with(root, config_of(root), open)
    }

    fn load_with(
        root: &Path,
        (config, config_error): (Config, Option<String>),
        open: &HashMap<String, (Arc<str>, PathBuf)>,
    ) -> ProjectState {
        super::testing::panic_if_asked(root, super::testing::Step::Load);
        let listing = read::list(root, root, &config);
        let slots: Vec<Result<(Slot, Option<PathBuf>), IoProblem>> = listing
            .entries
            .into_par_iter()
            .enumerate()
            .map(|(i, (entry, _))| {
                let id = FileId::new(i);
                // The disk is read for an open file too: one that cannot be read
                // is an I/O problem whatever its buffer holds, as when it is
                // opened later (its buffer then makes a file of its own).
                let content = read::content(&entry);
                let buffer = open.get(&entry.rel).filter(|_| content.is_ok());
                let content = match buffer {
                    Some((text, _)) => Ok(Content::Text(text.clone())),
                    None => content,
                };
                let (source, problem) = read::source(id, &entry, entry.rel.clone(), content).map_err(|message| {
                    IoProblem { path: entry.rel.clone(), message, kind: Some(entry.kind), rel: Some(entry.rel.clone()) }
                })?;
                Ok((stage_slot(id, source, problem, buffer.is_some()), buffer.map(|(_, shown)| shown.clone())))
            })
            .collect();
        let mut state = ProjectState {
            root: root.to_path_buf(),
            config,
            config_error,
            slots: Vec::with_capacity(slots.len()),
            by_rel: Arc::default(),
            io: listing.io,
            dirty: BTreeSet::new(),
            published: BTreeMap::new(),
            users: UserCache::default(),
            seq: 0,
            shown_root: root.to_path_buf(),
            buffers: BTreeMap::new(),
        };
        let by_rel = Arc::make_mut(&mut state.by_rel);
        for slot in slots {
            match slot {
                Ok((mut slot, shown)) => {
                    // Ids are the slots' positions: renumber past files that could not be read.
                    let id = FileId::new(state.slots.len());
                    renumber(&mut slot, id);
                    if let Some(shown) = shown {
                        state.buffers.insert(id, shown);
                    }
                    by_rel.insert(slot.source.rel.clone(), id);
                    state.slots.push(slot);
                }
                Err(problem) => state.io.push(problem),
            }
        }
        // What the threads' parse trees freed goes back for the index, as in `check`.
        crate::memory::after_load();
        state
    }

    /// The file at `rel` now holds `text` (an editor's buffer, with the path
    /// the client names it by), or, with `None`, what is on disk (a buffer
    /// was closed, or the file changed on disk).
    pub fn set_text(&mut self, rel: &str, text: Option<(Arc<str>, PathBuf)>) {
        let Some(kind) = FileKind::of(rel) else { return };
        // Not part of the project, as for `check`.
        if self.config.excluded(rel) {
            return;
        }
        let id = match self.by_rel.get(rel) {
            Some(&id) => id,
            None => {
                let id = FileId::new(self.slots.len());
                let abs = self.root.join(rel);
                let source = SourceFile::new(rel.to_string(), rel.to_string(), abs, kind, Arc::from(""));
                self.slots.push(Slot::gone(source));
                Arc::make_mut(&mut self.by_rel).insert(rel.to_string(), id);
                id
            }
        };
        let slot = &mut self.slots[id.index()];
        // The buffer it already holds (it was loaded from it): nothing changed.
        if let Some((text, shown)) = &text
            && !slot.gone
            && Arc::ptr_eq(&slot.source.text, text)
            && self.buffers.get(&id) == Some(shown)
        {
            return;
        }
        slot.gone = false;
        match text {
            Some((text, shown)) => {
                slot.source = slot.source.with_text(text);
                self.buffers.insert(id, shown);
            }
            None => {
                slot.source.set_aside();
                self.buffers.remove(&id);
            }
        }
        self.dirty.insert(id);
    }

    /// Reads `caseshare.toml` again. When it excludes other files than before,
    /// the project is loaded again, as at start-up, keeping the open buffers;
    /// when only the levels changed, the files stay as they are. The files whose
    /// diagnostics were published: they are published again, or cleared, at the
    /// next analysis. Why `caseshare.toml` cannot be used, if it cannot (the
    /// defaults are, meanwhile).
    pub fn reload(&mut self) -> Option<String> {
        let config = config_of(&self.root);
        // The same files excluded: only the levels changed, and the files as
        // kept stay (a project of 300,000 users is not read again at each save).
        if config.0.exclude_patterns == self.config.exclude_patterns {
            (self.config, self.config_error) = config;
            return self.config_error.clone();
        }
        self.load_again_with(config);
        self.config_error.clone()
    }

    /// Loads the project again, as at start-up, from disk but the open files
    /// from their buffers, keeping what the client was told: after a panic in
    /// one of its steps, the state is in doubt.
    pub fn load_again(&mut self) {
        self.load_again_with(config_of(&self.root));
    }

    fn load_again_with(&mut self, config: (Config, Option<String>)) {
        let open: HashMap<String, (Arc<str>, PathBuf)> = self
            .buffers
            .iter()
            .map(|(id, shown)| {
                let s = &self.slots[id.index()];
                (s.source.rel.clone(), (s.source.text.clone(), shown.clone()))
            })
            .collect();
        let published = std::mem::take(&mut self.published);
        let (seq, shown_root) = (self.seq, std::mem::take(&mut self.shown_root));
        *self = ProjectState::load_with(&self.root, config, &open);
        (self.seq, self.shown_root) = (seq, shown_root);
        self.published = published;
        // Buffers of files not on disk, and of files the configuration no
        // longer excludes (loaded from them above, these change nothing).
        for (rel, text) in open {
            self.set_text(&rel, Some(text));
        }
    }

    /// The open files' paths as the client names them ([`Snapshot::shown`]).
    fn shown_files(&self) -> Arc<HashMap<PathBuf, PathBuf>> {
        let open = self.buffers.iter().filter(|(id, _)| !self.slots[id.index()].gone);
        Arc::new(open.map(|(id, shown)| (self.slots[id.index()].source.abs.clone(), shown.clone())).collect())
    }

    /// Which staging of the file the last analysis took in: another number
    /// whenever it was parsed again (and so its text may have changed), never
    /// one it had before; 0 for a file that is no slot (a write's journal).
    pub fn generation(&self, file: FileId) -> u64 {
        self.slots.get(file.index()).map_or(0, |s| s.generation)
    }

    /// The files open in the editor.
    pub fn open_files(&self) -> Vec<FileId> {
        self.buffers.keys().filter(|id| !self.slots[id.index()].gone).copied().collect()
    }

    /// Parses the files that changed again, then assembles the project and runs
    /// the index and the cross-file rules. `cancelled` is asked between steps: a
    /// newer change makes this analysis stale, and it stops (`None`).
    ///
    /// `assembled` is given the new project, without index or diagnostics, before
    /// the index is built: requests answer from it meanwhile, and the snapshot
    /// before it (its project, with the files' old models) can go.
    pub fn analyze(&mut self, cancelled: &dyn Fn() -> bool, assembled: &mut dyn FnMut(Snapshot)) -> Option<Snapshot> {
        super::testing::panic_if_asked(&self.root, super::testing::Step::Analysis);
        let dirty: Vec<FileId> = std::mem::take(&mut self.dirty).into_iter().collect();
        let restaged: Vec<(FileId, Slot)> = dirty.par_iter().map(|&id| (id, self.restage(id, None))).collect();
        for (id, slot) in restaged {
            self.slots[id.index()] = slot;
        }
        if cancelled() {
            return None;
        }
        let (project, diagnostics) = self.assemble(|id| &self.slots[id.index()]);
        if journal::pending(&self.root) {
            return Some(self.interrupted(project));
        }
        let shown_files = self.shown_files();
        let config = &self.config;
        let users = &mut self.users;
        let project = Arc::new(project);
        assembled(Snapshot {
            project: project.clone(),
            analysis: None,
            diagnostics: Arc::default(),
            by_rel: self.by_rel.clone(),
            seq: self.seq,
            shown_root: self.shown_root.clone(),
            shown_files: shown_files.clone(),
        });
        let analysis = Analysis::new(project.clone(), |p| p.def.as_ref().map(|_| Index::build_with(p, users)));
        if cancelled() {
            return None;
        }
        let diagnostics =
            analysis.with_dependent(|project, index| diagnose(project, index.as_ref(), diagnostics, config));
        Some(Snapshot {
            project,
            analysis: Some(analysis),
            diagnostics: Arc::new(diagnostics),
            by_rel: self.by_rel.clone(),
            seq: self.seq,
            shown_root: self.shown_root.clone(),
            shown_files,
        })
    }
}

impl ProjectState {
    /// The per-file stage of one file again: from `text` when given (a
    /// rename's result, [`ProjectState::what_if`]), else from its buffer when
    /// it is open, else from disk (a file gone from disk takes no part).
    fn restage(&self, id: FileId, text: Option<&Arc<str>>) -> Slot {
        let old = &self.slots[id.index()];
        let open = text.is_some() || self.buffers.contains_key(&id);
        let (source, problem) = match text {
            Some(text) => (old.source.with_text(text.clone()), None),
            None if open => (old.source.clone(), None),
            None => {
                let entry = crate::discover::Entry {
                    rel: old.source.rel.clone(),
                    abs: self.root.join(&old.source.rel),
                    kind: old.source.kind,
                    outside: None,
                    regular: false,
                };
                match read::source(id, &entry, entry.rel.clone(), reread(&self.root, &entry)) {
                    Ok(read) => read,
                    Err(_) => {
                        let mut gone =
                            SourceFile::new(entry.rel.clone(), entry.rel.clone(), entry.abs, entry.kind, Arc::from(""));
                        gone.set_aside();
                        return Slot::gone(gone);
                    }
                }
            }
        };
        stage_slot(id, source, problem, open)
    }

    /// The project the files make, each as `slot` gives it, with the per-file
    /// stage's diagnostics (the cross-file rules not run yet).
    fn assemble<'s>(&'s self, slot: impl Fn(FileId) -> &'s Slot) -> (Project, Vec<Diagnostic>) {
        let mut project = Project { root: self.root.clone(), ..Project::default() };
        project.files = (0..self.slots.len()).map(|i| slot(FileId::new(i)).source.clone()).collect();
        let mut diagnostics = Vec::new();
        for &id in self.by_rel.values() {
            let slot = slot(id);
            if slot.gone {
                continue;
            }
            diagnostics.extend(slot.diags.iter().cloned());
            let complete = match &slot.loaded {
                Some(loaded) => loaded.add_to(&mut project),
                None => slot.source.kind == FileKind::Unknown,
            };
            if !complete {
                project.fail_file(id, slot.source.kind);
            }
        }
        for kind in self.io.iter().filter_map(|p| p.kind) {
            project.fail(kind);
        }
        (project, diagnostics)
    }

    /// The diagnostics the project would have if the files at these paths held
    /// these texts (a rename's result, before the editor applies it), as
    /// [`ProjectState::analyze`] would find them: nothing is kept of the files
    /// and nothing is published. The usernames' table and the members resolved
    /// are the cache's, as for an edit, so that no second table is built.
    pub fn what_if(&mut self, texts: &[(String, Arc<str>)]) -> Vec<Diagnostic> {
        let mut changed: Vec<(FileId, Option<&Arc<str>>)> =
            texts.iter().filter_map(|(rel, text)| Some((*self.by_rel.get(rel)?, Some(text)))).collect();
        // Changes not analysed yet count too, as they stand.
        let stale: Vec<FileId> =
            self.dirty.iter().filter(|id| !changed.iter().any(|(c, _)| c == *id)).copied().collect();
        changed.extend(stale.into_iter().map(|id| (id, None)));
        let restaged: HashMap<FileId, Slot> =
            changed.par_iter().map(|&(id, text)| (id, self.restage(id, text))).collect();
        let (project, diagnostics) = self.assemble(|id| restaged.get(&id).unwrap_or(&self.slots[id.index()]));
        let users = &mut self.users;
        let index = project.def.as_ref().map(|_| Index::build_with(&project, users));
        diagnose(&project, index.as_ref(), diagnostics, &self.config)
    }
}

impl ProjectState {
    /// A write to the project was interrupted: F006 and nothing else, as
    /// `check` reports it (SPEC section 7), at the journal and at the top of
    /// every open file, until the journal goes (`caseshare recover`).
    fn interrupted(&self, mut project: Project) -> Snapshot {
        let journal = FileId::new(project.files.len());
        let rel = format!("{}/{}", journal::DIR, journal::FILE);
        project.files.push(SourceFile::new(rel.clone(), rel, journal::path(&self.root), FileKind::Unknown, "".into()));
        let mut diagnostics = vec![interrupted_write::diagnostic(journal)];
        for open in self.open_files() {
            let mut d = interrupted_write::diagnostic(open);
            d.label = crate::diagnostic::Text::Borrowed("");
            diagnostics.push(d.related(Place::new(journal, 0..0), "the journal of the interrupted write"));
        }
        let project = Arc::new(project);
        Snapshot {
            analysis: Some(Analysis::new(project.clone(), |_| None)),
            project,
            diagnostics: Arc::new(diagnostics),
            by_rel: self.by_rel.clone(),
            seq: self.seq,
            shown_root: self.shown_root.clone(),
            shown_files: self.shown_files(),
        }
    }
}

/// The project's `caseshare.toml`, and why it cannot be used if it cannot (the
/// defaults are, meanwhile).
fn config_of(root: &Path) -> (Config, Option<String>) {
    match Config::load(root) {
        Ok(c) => (c, None),
        Err(e) => (Config::default(), Some(e.to_string())),
    }
}

/// Reads a file of the project again; a link out of the project stays unread.
fn reread(root: &Path, entry: &crate::discover::Entry) -> Result<Content, String> {
    let real = std::fs::canonicalize(&entry.abs).map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if !real.starts_with(&root) {
        return Ok(Content::Outside);
    }
    read::read(&entry.abs)
}

/// The per-file stage for one file; its text is set aside when the file is
/// clean and not open (cross-file diagnostics read it again).
fn stage_slot(id: FileId, mut source: SourceFile, problem: Option<Diagnostic>, open: bool) -> Slot {
    let (diags, loaded) = match problem {
        Some(p) => (vec![p], None),
        None => load::stage(id, &source),
    };
    if !open && diags.is_empty() && !suppress::has_allows(&source.text) {
        source.set_aside();
    }
    Slot { source, diags, loaded, gone: false, generation: generation() }
}

/// Moves a staged file to another id.
fn renumber(slot: &mut Slot, id: FileId) {
    for d in &mut slot.diags {
        d.file = id;
        d.related.iter_mut().for_each(|r| r.file = id);
    }
    if let Some(l) = &mut slot.loaded {
        l.set_file(id);
    }
}
