//! `caseshare lsp`: the language server (SPEC section 9), over stdio.
//!
//! The main thread reads messages: notifications update the open buffers and
//! tell the analysis thread what changed; requests (definition, references,
//! completion, hover, code actions, rename) are answered from the latest
//! [`state::Snapshot`] of the project. The analysis thread keeps each project
//! ([`state::ProjectState`]): after a short quiet time (the debounce) it parses
//! the changed files again, runs the index and the cross-file rules, and
//! publishes the diagnostics of every file, clearing those that were fixed. A
//! change that arrives meanwhile makes the running analysis stale: it stops and
//! starts over with the newer text.

mod features;
mod poll;
mod position;
pub mod state;
#[doc(hidden)]
pub mod testing;
pub mod transport;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, PublishDiagnosticsParams, Uri,
};

use crate::diagnostic::{Diagnostic, Severity};
use crate::report::printable;
use crate::source::FileId;
use position::Lines;
use state::{ProjectState, Published, Snapshot};

/// How long the analysis waits for the next keystroke before it runs.
const DEBOUNCE: Duration = Duration::from_millis(15);

/// Where a rule's documentation is, for the `codeDescription` of each
/// diagnostic: `initializationOptions.rulesUrl` when the client gives one (a
/// team's own copy of `docs/rules.md`, on its intranet or its git host), else
/// the reference this binary was built with, written once to the user's cache
/// folder (`$XDG_CACHE_HOME`, or `~/.cache`, then `caseshare/VERSION/rules.md`)
/// so that the link opens offline and describes the rules in use. None when
/// that cannot be written: the diagnostics then have no link (hover still
/// shows the rule's documentation).
fn rules_url(params: &serde_json::Value, cache: Option<&Path>) -> Option<String> {
    if let Some(url) = params.pointer("/initializationOptions/rulesUrl").and_then(serde_json::Value::as_str) {
        return Some(url.trim_end_matches(['#', '/']).to_string());
    }
    let path = write_rules_reference(&cache?.join("caseshare").join(env!("CARGO_PKG_VERSION")))?;
    Some(path_to_uri(&path))
}

/// The user's cache folder, where the rules reference is written: `$XDG_CACHE_HOME`,
/// else `~/.cache` (an absolute path only).
fn user_cache() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME").filter(|d| Path::new(d).is_absolute()).map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME").filter(|d| Path::new(d).is_absolute()).map(|h| Path::new(&h).join(".cache"))
    })
}

/// Writes the rules reference as `rules.md` in `dir` unless it holds it already
/// (as a regular file: a link or anything else there is replaced, never read
/// or written through); its path. The text is staged in a file of its own,
/// made new (never one that exists, or a link), then renamed over.
fn write_rules_reference(dir: &Path) -> Option<PathBuf> {
    use std::io::Write;
    let path = dir.join("rules.md");
    let reference = crate::rules::reference_markdown();
    let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
    if regular && std::fs::read(&path).is_ok_and(|held| held == reference.as_bytes()) {
        return Some(path);
    }
    std::fs::create_dir_all(dir).ok()?;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let staged = dir.join(format!(".rules.md.{}.{nanos}.{n}", std::process::id()));
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&staged).ok()?;
    let written = file.write_all(reference.as_bytes()).and_then(|()| std::fs::rename(&staged, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&staged);
        return None;
    }
    Some(path)
}

/// Serves the protocol on stdin and stdout until `exit`; the process's exit
/// code: 0 after `shutdown` then `exit`, else 1.
///
/// `settled` is called once, after the first analysis is published: the
/// binary then tells its allocator to give freed memory back at once, which
/// would slow the loading of a large project twofold.
pub fn run_stdio(settled: fn()) -> Result<u8, String> {
    let (connection, threads) = transport::stdio();
    let result = serve_with(connection, settled, user_cache());
    threads.join();
    result
}

/// What the analysis thread is told. `seq` numbers the events of a project,
/// in the order they are sent.
enum Event {
    /// A file's text: a buffer's (`Some`, with the path the client names the
    /// buffer by), or what is on disk (`None`).
    Text { root: PathBuf, rel: String, text: Option<(Arc<str>, PathBuf)>, seq: u64 },
    /// A project to load (its first file was opened), and its root as the
    /// client names it (through a symbolic link: not `root`).
    Open { root: PathBuf, shown: PathBuf, seq: u64 },
    /// A rename, before the client applies it: its edits, and the errors and
    /// warnings the project would have after it beyond those tallied now; or
    /// why it cannot be made. Told on `reply` (`None`: no such project). Nothing
    /// is kept or published.
    Rename { root: PathBuf, ask: Box<RenameAsk>, reply: Sender<Option<RenameAnswer>> },
}

/// A rename the request found the tokens of: the snapshot it saw, without
/// its index and diagnostics, and its errors and warnings tallied.
struct RenameAsk {
    on: Snapshot,
    kind: crate::rename::NameKind,
    old: String,
    new: String,
    found: std::collections::BTreeMap<crate::source::FileId, Vec<crate::source::Span>>,
    errors: crate::rename::Tally,
    warnings: crate::rename::Tally,
}

/// A rename's edits for the client and the errors and warnings it would add
/// (each `CODE message`), or why not.
type RenameAnswer = Result<RenameOutcome, String>;

struct RenameOutcome {
    changes: HashMap<lsp_types::Uri, Vec<lsp_types::TextEdit>>,
    errors: Vec<String>,
    warnings: Vec<String>,
}

/// What the client can do, from its `initialize` params, and where to tell it
/// things while a request is answered.
pub(super) struct Client {
    /// A workspace edit may carry `changeAnnotations` the user confirms.
    pub annotations: bool,
    pub sender: Sender<Message>,
}

impl Event {
    /// The event's number; a rename's question changes nothing, and has none.
    fn seq(&self) -> Option<u64> {
        match self {
            Event::Text { seq, .. } | Event::Open { seq, .. } => Some(*seq),
            Event::Rename { .. } => None,
        }
    }
}

/// What both threads share: the latest snapshot of each project, and the last
/// event sent for it. A request waits for a snapshot that took in every event
/// sent before it (the buffers it sees), so that its answer is about the same
/// text: a rename right after a keystroke edits the text as it is now.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<Latest>,
    changed: Condvar,
    /// Where the rules' documentation is ([`rules_url`]).
    rules: Option<String>,
}

#[derive(Default)]
struct Latest {
    snapshots: HashMap<PathBuf, Arc<Snapshot>>,
    sent: HashMap<PathBuf, u64>,
    /// Projects whose last analysis panicked, with the last event it took in:
    /// requests that saw no later change do not wait for an analysis that
    /// comes at the next change only.
    broken: HashMap<PathBuf, u64>,
}

type Snapshots = Arc<Shared>;

/// How long a request waits for the analysis of the text it sees (the first
/// analysis of a project of 500,000 users takes a third of a second).
const WAIT: Duration = Duration::from_secs(10);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Latest> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Numbers the next event for `root`.
    fn next_seq(&self, root: &Path) -> u64 {
        let mut latest = self.lock();
        let seq = latest.sent.entry(root.to_path_buf()).or_default();
        *seq += 1;
        *seq
    }

    fn put(&self, root: &Path, snapshot: Arc<Snapshot>) {
        self.lock().snapshots.insert(root.to_path_buf(), snapshot);
        self.changed.notify_all();
    }

    /// Whether the last analysis of `root` panicked (only the analysis
    /// thread sets or clears this).
    fn is_broken(&self, root: &Path) -> bool {
        self.lock().broken.contains_key(root)
    }

    /// Notes that the project's analysis that took in event `seq` panicked
    /// (`None`: the last one did not). Requests that wait are woken by the
    /// caller (once it told the user).
    fn set_broken(&self, root: &Path, seq: Option<u64>) {
        let mut latest = self.lock();
        match seq {
            Some(seq) => latest.broken.insert(root.to_path_buf(), seq),
            None => latest.broken.remove(root),
        };
    }

    fn latest(&self, root: &Path) -> Option<Arc<Snapshot>> {
        self.lock().snapshots.get(root).cloned()
    }

    /// The snapshot of `root` that took in every event sent for it, waiting
    /// for it up to [`WAIT`]; then the latest there is, with `false`. With
    /// `analysed`, one whose index is built and whose diagnostics are known
    /// (not the one requests see while the index is built).
    pub(crate) fn current(&self, root: &Path, analysed: bool) -> Option<(Arc<Snapshot>, bool)> {
        let deadline = Instant::now() + WAIT;
        let mut latest = self.lock();
        loop {
            let sent = latest.sent.get(root).copied().unwrap_or(0);
            let snapshot = latest.snapshots.get(root);
            if let Some(s) = snapshot.filter(|s| s.seq >= sent && (!analysed || s.analysis.is_some())) {
                return Some((s.clone(), true));
            }
            let now = Instant::now();
            if now >= deadline || latest.broken.get(root).is_some_and(|&failed| failed >= sent) {
                return snapshot.map(|s| (s.clone(), false));
            }
            latest = self.changed.wait_timeout(latest, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

/// An open document.
struct Document {
    root: PathBuf,
    rel: String,
    text: Arc<str>,
    /// Its path, as the client names it.
    path: PathBuf,
    /// The buffer's version, as the client last numbered it.
    version: i32,
}

impl Document {
    fn event(&self, shared: &Shared) -> Event {
        Event::Text {
            root: self.root.clone(),
            rel: self.rel.clone(),
            text: Some((self.text.clone(), self.path.clone())),
            seq: shared.next_seq(&self.root),
        }
    }
}

/// The server's main loop over a connection (stdio, or in memory for tests),
/// writing the rules reference its diagnostics link to in `cache` (none: no
/// links, unless the client names where the reference is).
pub fn serve(connection: Connection, cache: Option<PathBuf>) -> Result<(), String> {
    serve_with(connection, || {}, cache).map(|_| ())
}

/// [`serve`], calling `settled` once after the first analysis is published;
/// the exit code [`run_stdio`] returns.
pub fn serve_with(connection: Connection, settled: fn(), cache: Option<PathBuf>) -> Result<u8, String> {
    let Some(params) = initialize(&connection)? else { return Ok(1) };
    // Clients send changes on disk only for the files the server asks to watch.
    let watch = params
        .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let edits = params.pointer("/capabilities/workspace/workspaceEdit");
    let client = Client {
        annotations: edits.and_then(|e| e.get("changeAnnotationSupport")).is_some_and(serde_json::Value::is_object)
            && edits.and_then(|e| e.get("documentChanges")).and_then(serde_json::Value::as_bool).unwrap_or(false),
        sender: connection.sender.clone(),
    };
    let snapshots: Snapshots = Arc::new(Shared { rules: rules_url(&params, cache.as_deref()), ..Shared::default() });
    let (events, events_rx) = unbounded::<Event>();
    let worker = {
        let sender = connection.sender.clone();
        let snapshots = snapshots.clone();
        thread::Builder::new()
            .name("caseshare-analysis".into())
            .spawn(move || analysis_loop(&events_rx, &sender, &snapshots, settled))
            .map_err(|e| e.to_string())?
    };
    let mut docs: HashMap<String, Document> = HashMap::new();
    let mut strays: HashMap<String, Stray> = HashMap::new();
    // The server looks at the disk itself too: a client that watches files may
    // report only its own saves (Helix), and one may not watch at all.
    let mut poll = poll::Poll::new(poll::EVERY);
    let mut shutdown = false;
    // `exit` without `shutdown` first (or the end of the input): 1, as the protocol asks.
    let mut exit_code = 1;
    loop {
        // Looked at when due, also while messages keep coming.
        if poll.wait().is_zero() {
            for path in poll.changes() {
                on_disk(uri(&path).as_str(), &docs, &events, &snapshots);
            }
        }
        let msg = connection.receiver.recv_timeout(poll.wait());
        let msg = match msg {
            Ok(msg) => msg,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match msg {
            Message::Request(req) => {
                if req.method == lsp_types::request::Shutdown::METHOD {
                    shutdown = true;
                    let _ = connection.sender.send(Message::Response(Response::new_ok(req.id, ())));
                    continue;
                }
                if shutdown {
                    let _ = connection.sender.send(Message::Response(Response::new_err(
                        req.id,
                        ErrorCode::InvalidRequest as i32,
                        "the server is shutting down".into(),
                    )));
                    continue;
                }
                // `initialize` is the first request and only that.
                if req.method == lsp_types::request::Initialize::METHOD {
                    let _ = connection.sender.send(Message::Response(Response::new_err(
                        req.id,
                        ErrorCode::InvalidRequest as i32,
                        "the server is initialized already".into(),
                    )));
                    continue;
                }
                let response = guarded(&req, || respond(&req, &docs, &snapshots, &events, &client));
                let _ = connection.sender.send(Message::Response(response));
            }
            Message::Notification(n) => {
                if n.method == lsp_types::notification::Exit::METHOD {
                    exit_code = if shutdown { 0 } else { 1 };
                    break;
                }
                if n.method == lsp_types::notification::Initialized::METHOD && watch {
                    let _ = connection.sender.send(watch_files());
                }
                notify(n, &mut docs, &mut strays, &events, &snapshots, &mut poll);
            }
            // The registration's answer (refused or not, the server looks
            // itself), and answers to nothing asked.
            Message::Response(_) => {}
        }
    }
    drop(events);
    let _ = worker.join();
    Ok(exit_code)
}

fn watch_id() -> RequestId {
    RequestId::from("caseshare/watch".to_string())
}

/// A request's answer, or an internal error if answering it panicked (the
/// panic is told on standard error, as any): one request that trips on a bug
/// does not end the server, whose state requests only read.
fn guarded(req: &Request, answer: impl FnOnce() -> Response) -> Response {
    caught(answer).unwrap_or_else(|why| {
        Response::new_err(
            req.id.clone(),
            ErrorCode::InternalError as i32,
            format!("caseshare failed to answer `{}`: {why}", req.method),
        )
    })
}

/// What `step` returns, or what it panicked with.
fn caught<T>(step: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

/// Asks the client to send changes on disk of the project's files, its
/// `caseshare.toml` and a write's journal (`workspace/didChangeWatchedFiles`).
fn watch_files() -> Message {
    let watchers: Vec<serde_json::Value> = ["**/*.yaml", "**/*.yml", "**/caseshare.toml", "**/.caseshare/journal"]
        .iter()
        .map(|glob| serde_json::json!({"globPattern": glob}))
        .collect();
    Message::Request(Request {
        id: watch_id(),
        method: lsp_types::request::RegisterCapability::METHOD.to_string(),
        params: serde_json::json!({"registrations": [{
            "id": "caseshare/watch",
            "method": lsp_types::notification::DidChangeWatchedFiles::METHOD,
            "registerOptions": {"watchers": watchers},
        }]}),
    })
}

/// The handshake: waits for `initialize` (other requests are refused, as the
/// protocol asks), answers with the capabilities, waits for `initialized`.
/// `None` when the client exits first.
fn initialize(connection: &Connection) -> Result<Option<serde_json::Value>, String> {
    loop {
        let msg = connection.receiver.recv().map_err(|e| e.to_string())?;
        match msg {
            Message::Request(req) if req.method == lsp_types::request::Initialize::METHOD => {
                let result = serde_json::json!({
                    "capabilities": features::capabilities(),
                    "serverInfo": {"name": "caseshare", "version": env!("CARGO_PKG_VERSION")},
                });
                connection
                    .sender
                    .send(Message::Response(Response::new_ok(req.id, result)))
                    .map_err(|e| e.to_string())?;
                return Ok(Some(req.params));
            }
            Message::Request(req) => {
                let _ = connection.sender.send(Message::Response(Response::new_err(
                    req.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized yet".into(),
                )));
            }
            Message::Notification(n) if n.method == lsp_types::notification::Exit::METHOD => return Ok(None),
            _ => {}
        }
    }
}

/// The path of a `file:` URI.
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let mut bytes = Vec::with_capacity(rest.len());
    let raw = rest.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' && i + 2 < raw.len() {
            let hex = std::str::from_utf8(&raw[i + 1..i + 3]).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            bytes.push(raw[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(String::from_utf8(bytes).ok()?))
}

/// The `file:` URI of a path.
pub fn path_to_uri(path: &Path) -> String {
    format!("file://{}", crate::report::uri_path(&path.to_string_lossy()))
}

fn uri(path: &Path) -> Uri {
    path_to_uri(path).parse().unwrap_or_else(|_| "file:///".parse().expect("a URI"))
}

/// The project root and path relative to it of a document; also of a file
/// that is not on disk (a new buffer not saved yet, a file just deleted), by
/// the folders above it that are. The folders are resolved, not the file: a
/// file that is a link is known by its own name (as `check` knows it), and a
/// file of a kind folder that is a link by that folder's name. A file that is
/// a link out of the project is located too (the disk's version of it is
/// F005); [`leads_out`] tells a buffer not to take it.
fn locate(uri: &str) -> Option<(PathBuf, String)> {
    let path = uri_to_path(uri)?;
    let mut existing = path.parent()?;
    let mut missing: Vec<&std::ffi::OsStr> = vec![path.file_name()?];
    while std::fs::symlink_metadata(existing).is_err() {
        missing.push(existing.file_name()?);
        existing = existing.parent()?;
    }
    let mut real = std::fs::canonicalize(existing).ok()?;
    real.extend(missing.iter().rev());
    let root = crate::discover::find_root(existing).ok()?;
    let rel = crate::discover::name_in(&root, &real)?;
    Some((root, rel))
}

/// Whether the file at `uri` is a link that leads out of its project (`root`):
/// not read, as for `check` (F005), so its buffer is not taken in either.
fn leads_out(uri: &str, root: &Path) -> bool {
    uri_to_path(uri).and_then(|p| std::fs::canonicalize(p).ok()).is_some_and(|target| !target.starts_with(root))
}

/// The root of a project as a client names it: the path of one of its files
/// without the file's path in the project.
fn shown_root(path: &Path, rel: &str) -> Option<PathBuf> {
    let mut root = path.to_path_buf();
    for part in rel.split('/').collect::<Vec<_>>().into_iter().rev() {
        if root.file_name()? != part {
            return None;
        }
        root.pop();
    }
    Some(root)
}

/// A notification, taken whole: a buffer's text (a file's worth at every
/// keystroke, for clients that send it whole) is moved, never copied.
fn notify(
    n: Notification,
    docs: &mut HashMap<String, Document>,
    strays: &mut HashMap<String, Stray>,
    events: &Sender<Event>,
    shared: &Shared,
    poll: &mut poll::Poll,
) {
    use lsp_types::notification::{
        DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    };
    match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params) else {
                return;
            };
            let key = p.text_document.uri.as_str().to_string();
            let (text, version) = (p.text_document.text.into(), p.text_document.version);
            if let Err(text) = open(&key, text, version, docs, events, shared, poll) {
                strays.insert(key, Stray { text, version });
            }
            // A file opened (`project.yaml` made and opened) may make a folder a project.
            adopt(strays, docs, events, shared, poll);
        }
        DidChangeTextDocument::METHOD => {
            let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params) else {
                return;
            };
            let key = p.text_document.uri.as_str();
            if let Some(doc) = docs.get_mut(key) {
                doc.version = p.text_document.version;
                if let Some(text) = changed(&doc.text, p.content_changes) {
                    doc.text = text.into();
                    let _ = events.send(doc.event(shared));
                }
            } else if let Some(stray) = strays.get_mut(key) {
                stray.version = p.text_document.version;
                if let Some(text) = changed(&stray.text, p.content_changes) {
                    stray.text = text.into();
                }
                adopt(strays, docs, events, shared, poll);
            }
        }
        DidCloseTextDocument::METHOD => {
            let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params) else {
                return;
            };
            strays.remove(p.text_document.uri.as_str());
            if let Some(doc) = docs.remove(p.text_document.uri.as_str()) {
                // The same file may be open under another name: its buffer stays.
                match docs.values().find(|d| d.root == doc.root && d.rel == doc.rel) {
                    Some(other) => {
                        let _ = events.send(other.event(shared));
                    }
                    None => {
                        let seq = shared.next_seq(&doc.root);
                        let _ = events.send(Event::Text { root: doc.root, rel: doc.rel, text: None, seq });
                    }
                }
            }
        }
        DidSaveTextDocument::METHOD => {
            // A saved `caseshare.toml` (for clients that do not watch files),
            // taken in once: the server's own look does not tell it again.
            let uri = n.params.pointer("/textDocument/uri").and_then(serde_json::Value::as_str);
            if let Some((root, rel)) = uri.and_then(locate)
                && rel == crate::config::FILE
            {
                poll.saw(&root.join(&rel));
                reload(&root, docs, events, shared);
            }
        }
        DidChangeWatchedFiles::METHOD => {
            let Ok(p) = serde_json::from_value::<lsp_types::DidChangeWatchedFilesParams>(n.params) else {
                return;
            };
            for change in p.changes {
                // Told once: the server's own look does not tell it again.
                if let Some(path) = uri_to_path(change.uri.as_str()) {
                    poll.saw(&path);
                }
                on_disk(change.uri.as_str(), docs, events, shared);
            }
            adopt(strays, docs, events, shared, poll);
        }
        _ => {}
    }
}

/// A buffer open in no project (no `project.yaml` above it, yet).
struct Stray {
    text: Arc<str>,
    version: i32,
}

/// Takes in the buffer at `key` (a URI) of the project it is in, or gives its
/// text back when it is in none.
fn open(
    key: &str,
    text: Arc<str>,
    version: i32,
    docs: &mut HashMap<String, Document>,
    events: &Sender<Event>,
    shared: &Shared,
    poll: &mut poll::Poll,
) -> Result<(), Arc<str>> {
    let Some((root, rel)) = locate(key).filter(|(root, _)| !leads_out(key, root)) else { return Err(text) };
    // `caseshare.toml` counts as saved, not as typed: a half-typed one
    // would load the project again at every keystroke.
    if rel == crate::config::FILE {
        return Ok(());
    }
    let path = uri_to_path(key).unwrap_or_else(|| root.join(&rel));
    let shown = shown_root(&path, &rel).unwrap_or_else(|| root.clone());
    poll.watch(&root);
    let _ = events.send(Event::Open { root: root.clone(), shown, seq: shared.next_seq(&root) });
    let doc = Document { root, rel, text, path, version };
    let _ = events.send(doc.event(shared));
    docs.insert(key.to_string(), doc);
    Ok(())
}

/// The buffers open in no project that are in one now (its `project.yaml`
/// was made since) are taken in, as if opened now.
fn adopt(
    strays: &mut HashMap<String, Stray>,
    docs: &mut HashMap<String, Document>,
    events: &Sender<Event>,
    shared: &Shared,
    poll: &mut poll::Poll,
) {
    let keys: Vec<String> = strays.keys().cloned().collect();
    for key in keys {
        let Some(Stray { text, version }) = strays.remove(&key) else { continue };
        if let Err(text) = open(&key, text, version, docs, events, shared, poll) {
            strays.insert(key, Stray { text, version });
        }
    }
}

/// A buffer's text after a `didChange`'s changes (`None`: none changed it);
/// it is copied only for a change of a range in it.
fn changed(now: &Arc<str>, changes: Vec<lsp_types::TextDocumentContentChangeEvent>) -> Option<String> {
    let mut text: Option<String> = None;
    for change in changes {
        match change.range {
            Some(range) => {
                let text = text.get_or_insert_with(|| now.to_string());
                let lines = Lines::new(text);
                let (start, end) = (lines.offset(range.start), lines.offset(range.end));
                if start <= end {
                    text.replace_range(start..end, &change.text);
                }
            }
            None => text = Some(change.text),
        }
    }
    text
}

/// The file at `uri` was made, changed or deleted on disk (the client's
/// watcher says so, or the server saw it).
fn on_disk(uri: &str, docs: &HashMap<String, Document>, events: &Sender<Event>, shared: &Shared) {
    match locate(uri) {
        Some((root, rel)) if rel == crate::config::FILE => reload(&root, docs, events, shared),
        // The buffer wins over the disk (under whichever name it is open).
        Some((root, rel)) if docs.values().any(|d| d.root == root && d.rel == rel) => {}
        Some((root, rel)) => {
            let seq = shared.next_seq(&root);
            let _ = events.send(Event::Text { root, rel, text: None, seq });
        }
        None => {}
    }
}

/// `caseshare.toml` changed: the project is loaded again, then its open
/// buffers are given again (a file it no longer excludes counts as typed).
fn reload(root: &Path, docs: &HashMap<String, Document>, events: &Sender<Event>, shared: &Shared) {
    let seq = shared.next_seq(root);
    let _ = events.send(Event::Text { root: root.to_path_buf(), rel: crate::config::FILE.into(), text: None, seq });
    for doc in docs.values().filter(|d| d.root == root) {
        let _ = events.send(doc.event(shared));
    }
}

fn respond(
    req: &Request,
    docs: &HashMap<String, Document>,
    snapshots: &Snapshots,
    events: &Sender<Event>,
    client: &Client,
) -> Response {
    match features::handle(req, docs, snapshots, events, client) {
        Ok(value) => Response::new_ok(req.id.clone(), value),
        Err(features::Failure::Unknown) => Response::new_err(
            req.id.clone(),
            ErrorCode::MethodNotFound as i32,
            format!("caseshare does not serve `{}`", req.method),
        ),
        Err(features::Failure::BadParams(why)) => {
            Response::new_err(req.id.clone(), ErrorCode::InvalidParams as i32, why)
        }
        Err(features::Failure::Refused(why)) => {
            let why = crate::report::printable_lines(&why).into_owned();
            Response::new_err(req.id.clone(), ErrorCode::RequestFailed as i32, why)
        }
        Err(features::Failure::Nothing) => Response::new_ok(req.id.clone(), serde_json::Value::Null),
    }
}

/// The analysis thread: keeps the projects, analyses after each burst of
/// changes, publishes diagnostics.
fn analysis_loop(events: &Receiver<Event>, sender: &Sender<Message>, snapshots: &Snapshots, settled: fn()) {
    let mut settled = Some(settled);
    let mut projects: HashMap<PathBuf, ProjectState> = HashMap::new();
    let mut dirty: Vec<PathBuf> = Vec::new();
    loop {
        // Wait for a change, then for the changes to pause.
        let first = if dirty.is_empty() {
            match events.recv() {
                Ok(e) => Some(e),
                Err(_) => return,
            }
        } else {
            None
        };
        let mut pending: Vec<Event> = Vec::new();
        first.into_iter().for_each(|e| take_in(&mut pending, e));
        loop {
            match events.recv_timeout(DEBOUNCE) {
                Ok(e) => take_in(&mut pending, e),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        // `caseshare.toml` saved (as `didSave` and as a change on disk, or
        // twice): the project is loaded again once, at the last of them.
        let is_reload = |e: &Event| matches!(e, Event::Text { rel, .. } if rel == crate::config::FILE);
        let last_reload: HashMap<PathBuf, usize> = pending
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                Event::Text { root, .. } if is_reload(e) => Some((root.clone(), i)),
                _ => None,
            })
            .collect();
        // A project loaded now reads its open files from the buffers this batch
        // gives it (the last text of each file), not from disk.
        let mut fresh: Vec<(PathBuf, ProjectState)> = Vec::new();
        for event in &pending {
            if let Event::Open { root, .. } = event
                && !projects.contains_key(root)
                && !fresh.iter().any(|(r, _)| r == root)
            {
                let mut open: HashMap<String, (Arc<str>, PathBuf)> = HashMap::new();
                for event in &pending {
                    if let Event::Text { root: r, rel, text: Some(text), .. } = event
                        && r == root
                    {
                        open.insert(rel.clone(), text.clone());
                    }
                }
                match caught(|| ProjectState::load(root, &open)) {
                    Ok(state) => fresh.push((root.clone(), state)),
                    Err(why) => recover(&mut projects, &mut dirty, root, &why, false, snapshots, sender),
                }
            }
        }
        for (i, event) in pending.into_iter().enumerate() {
            let seq = event.seq().unwrap_or_default();
            match event {
                Event::Rename { root, ask, reply } => {
                    let Some(state) = projects.get_mut(&root) else {
                        let _ = reply.send(None);
                        continue;
                    };
                    // The last analysis's index and diagnostics are let go first
                    // (the rename let go of its snapshot, and tallied the errors):
                    // the renamed files' trees, the rename's analysis and the
                    // project's index, or two lists of half a million
                    // diagnostics, are not held at once. Requests that need them
                    // wait for the analysis that follows. Every change sent
                    // before the rename was taken in above.
                    if let Some(old) = snapshots.latest(&root) {
                        let mut light = old.without_index();
                        light.diagnostics = Arc::default();
                        drop(old);
                        snapshots.put(&root, Arc::new(light));
                    }
                    let RenameAsk { on, kind, old, new, found, errors, warnings } = *ask;
                    let answer = caught(|| {
                        testing::panic_if_asked(&root, testing::Step::Rename);
                        let renamed = features::rename_edits(&on, kind, &old, &new, found);
                        drop(on);
                        renamed.map(|renaming| {
                            let after = state.what_if(&renaming.texts);
                            RenameOutcome {
                                changes: renaming.changes,
                                errors: errors.added(&after),
                                warnings: warnings.added(&after),
                            }
                        })
                    });
                    let answer = match answer {
                        Ok(answer) => answer,
                        Err(why) => {
                            let _ = reply.send(Some(Err(format!("caseshare failed to rename: {why}"))));
                            recover(&mut projects, &mut dirty, &root, &why, true, snapshots, sender);
                            continue;
                        }
                    };
                    let _ = reply.send(Some(answer));
                    // Its index was freed here and in the pool; the project's
                    // own is built again next, for the requests that wait for it.
                    crate::memory::after_load();
                    if !dirty.contains(&root) {
                        dirty.push(root);
                    }
                }
                Event::Open { root, shown, .. } => {
                    if let Some(at) = fresh.iter().position(|(r, _)| *r == root) {
                        let mut state = fresh.swap_remove(at).1;
                        state.seq = seq;
                        state.shown_root = shown;
                        if let Some(settled) = settled.take() {
                            settled();
                        }
                        if let Some(why) = &state.config_error {
                            show_message(sender, &format!("caseshare: {why}; the default configuration is used"));
                        }
                        projects.insert(root.clone(), state);
                        dirty.push(root);
                    }
                }
                Event::Text { root, rel, text, .. } => {
                    let Some(state) = projects.get_mut(&root) else { continue };
                    state.seq = seq;
                    let config = rel == crate::config::FILE;
                    if config && last_reload.get(&root) != Some(&i) {
                        continue;
                    }
                    let taken = caught(|| {
                        if config {
                            state.reload()
                        } else {
                            state.set_text(&rel, text);
                            None
                        }
                    });
                    match taken {
                        Ok(Some(why)) => {
                            show_message(sender, &format!("caseshare: {why}; the default configuration is used"));
                        }
                        Ok(None) => {}
                        Err(why) => {
                            recover(&mut projects, &mut dirty, &root, &why, false, snapshots, sender);
                            continue;
                        }
                    }
                    if !dirty.contains(&root) {
                        dirty.push(root);
                    }
                }
            }
        }
        while let Some(root) = dirty.first().cloned() {
            // The projects served inside this one: their files are theirs to tell of.
            let inner: Vec<PathBuf> =
                projects.keys().filter(|r| **r != root && r.starts_with(&root)).cloned().collect();
            let Some(state) = projects.get_mut(&root) else {
                dirty.remove(0);
                continue;
            };
            // The index of the last analysis is let go before the next is built.
            if let Some(old) = snapshots.latest(&root) {
                let light = Arc::new(old.without_index());
                drop(old);
                snapshots.put(&root, light);
            }
            // A newer change makes this analysis stale: stop, take it, start over.
            let cancelled = || !events.is_empty();
            let mut assembled = |light: Snapshot| snapshots.put(&root, Arc::new(light));
            match caught(|| state.analyze(&cancelled, &mut assembled)) {
                Ok(Some(snapshot)) => {
                    dirty.remove(0);
                    let snapshot = Arc::new(snapshot);
                    // Requests see the snapshot before the client hears of its diagnostics.
                    snapshots.put(&root, snapshot.clone());
                    if cancelled() {
                        // Its diagnostics are already stale: analyse again first.
                        dirty.push(root);
                    } else if let Err(why) =
                        caught(|| publish(state, &snapshot, &inner, sender, snapshots.rules.as_deref()))
                    {
                        recover(&mut projects, &mut dirty, &root, &why, false, snapshots, sender);
                    } else {
                        // Published: what panicked before, if anything, is behind.
                        snapshots.set_broken(&root, None);
                        // The old index and the edited file's old model were
                        // freed on this thread and the pool's: their pages go
                        // back now, not when the next edit allocates there.
                        crate::memory::after_load();
                    }
                }
                Ok(None) => break,
                Err(why) => recover(&mut projects, &mut dirty, &root, &why, false, snapshots, sender),
            }
            if !events.is_empty() {
                break;
            }
        }
    }
}

/// Adds an event to those waiting for the pause in typing. A file's text
/// replaces the one it had waiting since the last rename asked (a burst of
/// edits holds one copy of the file, not one per keystroke; a rename sees
/// every change sent before it); the events' order is otherwise kept.
fn take_in(pending: &mut Vec<Event>, e: Event) {
    if let Event::Text { root, rel, .. } = &e
        && rel != crate::config::FILE
    {
        let since = pending.iter().rposition(|p| matches!(p, Event::Rename { .. })).map_or(0, |i| i + 1);
        let same = |p: &Event| matches!(p, Event::Text { root: r, rel: f, .. } if r == root && f == rel);
        if let Some(at) = pending[since..].iter().position(same) {
            pending.remove(since + at);
        }
    }
    pending.push(e);
}

/// A step of a project's analysis panicked: a bug in caseshare (the panic is
/// printed on standard error, which editors log). The project's state is in
/// doubt: it is loaded again from disk and the open buffers. The first time
/// since an analysis last succeeded, the user is told and the project is
/// analysed again at once (a bug that does not come back heals); after that,
/// at the next change. Requests stop waiting for an analysis that takes in the
/// changes they saw. If even the loading panics, the project is let go, and
/// loaded when a file of it is opened.
///
/// With `told`, the answer to the user's request already said what failed:
/// the project is analysed again at once, and the user told only if it is
/// let go.
#[allow(clippy::too_many_arguments)]
fn recover(
    projects: &mut HashMap<PathBuf, ProjectState>,
    dirty: &mut Vec<PathBuf>,
    root: &Path,
    why: &str,
    told: bool,
    snapshots: &Shared,
    sender: &Sender<Message>,
) {
    dirty.retain(|r| r != root);
    let shown = projects.get(root).map_or_else(|| root.to_path_buf(), |state| state.shown_root.clone());
    let kept = match projects.get_mut(root) {
        Some(state) => caught(|| state.load_again()).is_ok(),
        None => false,
    };
    let seq = match projects.get(root) {
        Some(state) if kept => state.seq,
        // No project: no later change is analysed until a file of it is opened.
        _ => {
            projects.remove(root);
            u64::MAX
        }
    };
    if told && kept {
        // Analysed again at once; a panic there is told as any.
        dirty.push(root.to_path_buf());
        snapshots.changed.notify_all();
        return;
    }
    // The user is told before the requests waiting for this analysis are
    // answered without it.
    let first = !snapshots.is_broken(root);
    if first {
        let then = if kept { "it is analysed again" } else { "it is read again when one of its files is opened" };
        let text = format!(
            "caseshare: analysing `{}` failed on a bug in caseshare (`{why}`; the details are in the server's log): {then}",
            shown.display()
        );
        show(sender, lsp_types::MessageType::ERROR, &text);
        if kept {
            dirty.push(root.to_path_buf());
        }
    }
    snapshots.set_broken(root, Some(seq));
    snapshots.changed.notify_all();
}

fn show_message(sender: &Sender<Message>, text: &str) {
    show(sender, lsp_types::MessageType::WARNING, text);
}

fn show(sender: &Sender<Message>, typ: lsp_types::MessageType, text: &str) {
    let params = lsp_types::ShowMessageParams { typ, message: crate::report::printable_lines(text).into_owned() };
    let _ = sender.send(Message::Notification(Notification::new(
        lsp_types::notification::ShowMessage::METHOD.to_string(),
        params,
    )));
}

/// Publishes the diagnostics of every file that has some, and empty lists for
/// the files that had some last time and have none now. A diagnostic stands at
/// each place it labels (a G002 on every membership line, a D001 on both
/// definitions), in whichever file, each with the others as related information.
///
/// The open files' lists go first: what the user is looking at. A closed
/// file's list is made again only when what it is made from changed (its
/// diagnostics, the stagings of the files they point into, the paths those are
/// told by), and sent again only when it then differs: a project where every
/// user lacks an owner has as many diagnostics as users, and an edit changes
/// few of them. One file's list is made and sent at a time.
fn publish(
    state: &mut ProjectState,
    snapshot: &Snapshot,
    inner: &[PathBuf],
    sender: &Sender<Message>,
    rules: Option<&str>,
) {
    testing::panic_if_asked(&state.root, testing::Step::Publish);
    let project = snapshot.project();
    let diagnostics = &snapshot.diagnostics;
    // A file of a project served inside this one (a folder of it with its own
    // `project.yaml`) is told of by that project only: this one's view of it
    // (F003, outside the known folders) is neither sent nor cleared.
    let theirs = |path: &Path| inner.iter().any(|r| path.starts_with(r));
    // (diagnostic, place) pairs by the file of the place.
    let mut by_file: BTreeMap<FileId, Vec<(usize, usize)>> = BTreeMap::new();
    for (k, d) in diagnostics.iter().enumerate() {
        let labelled = 1 + d.labels.len() + d.related.iter().filter(|r| r.label).count();
        for (i, (file, _, _)) in places(d).iter().enumerate().take(labelled) {
            by_file.entry(*file).or_default().push((k, i));
        }
    }
    by_file.retain(|file, _| !theirs(&project.files[*file].abs));
    // Each file's path as the client is told it, and that as a number (read
    // for every place of every diagnostic: not copied there).
    let shown_of: std::cell::RefCell<HashMap<FileId, (PathBuf, u64)>> = Default::default();
    let shown_of_file = |file: FileId| {
        std::cell::RefMut::map(shown_of.borrow_mut(), |known| {
            known.entry(file).or_insert_with(|| {
                let shown = snapshot.shown(&project.files[file].abs);
                let mut h = std::collections::hash_map::DefaultHasher::new();
                shown.hash(&mut h);
                (shown, h.finish())
            })
        })
    };
    let shown = |file: FileId| -> PathBuf { shown_of_file(file).0.clone() };
    let made_from = |file: FileId| -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for &(k, i) in &by_file[&file] {
            let d = &diagnostics[k];
            (d.code(), d.rule.name, d.severity as u8, &d.message, &d.help, i).hash(&mut h);
            for (f, span, message) in places(d) {
                (f.index(), state.generation(f), shown_of_file(f).1, span.start, span.end, message).hash(&mut h);
            }
        }
        h.finish()
    };
    let open: Vec<FileId> = state.open_files().into_iter().filter(|f| !theirs(&project.files[*f].abs)).collect();
    let mut sent: BTreeMap<PathBuf, Published> = BTreeMap::new();
    let mut send = |file: FileId, list: Vec<lsp_types::Diagnostic>, made_from: u64| {
        let print = fingerprint(&list);
        let path = &project.files[file].abs;
        let shown = shown(file);
        match state.published.get(path) {
            // Told under another name before (a buffer open through a link
            // was closed): that list is cleared.
            Some(before) if before.shown != shown => {
                send_diagnostics(sender, &before.shown, Vec::new());
                send_diagnostics(sender, &shown, list);
            }
            Some(before) if before.sent == print && !open.contains(&file) => {}
            _ => send_diagnostics(sender, &shown, list),
        }
        sent.insert(path.clone(), Published { sent: print, made_from, shown });
    };
    let opened: Vec<FileId> = open.iter().filter(|f| by_file.contains_key(f)).copied().collect();
    make_lists(snapshot, diagnostics, &by_file, &opened, &shown, rules, |file, list| send(file, list, made_from(file)));
    // The closed files: made again when what they are made from changed (the
    // others are kept as sent, once `send` is done with `sent`).
    let mut prints: HashMap<FileId, u64> = HashMap::new();
    let mut kept: Vec<(PathBuf, Published)> = Vec::new();
    for &file in by_file.keys().filter(|f| !open.contains(f)) {
        let print = made_from(file);
        let path = &project.files[file].abs;
        match state.published.get(path) {
            Some(before) if before.made_from == print && before.shown == shown(file) => {
                kept.push((path.clone(), before.clone()));
            }
            _ => {
                prints.insert(file, print);
            }
        }
    }
    let remake: Vec<FileId> = by_file.keys().filter(|f| prints.contains_key(f)).copied().collect();
    make_lists(snapshot, diagnostics, &by_file, &remake, &shown, rules, |file, list| send(file, list, prints[&file]));
    sent.extend(kept);
    // Open files without diagnostics get an empty list (clients wait for one),
    // and so do files that had some last time.
    let mut cleared: BTreeSet<PathBuf> = BTreeSet::new();
    for (path, before) in state.published.iter().filter(|(p, _)| !sent.contains_key(*p) && !theirs(p)) {
        cleared.insert(before.shown.clone());
        cleared.insert(snapshot.shown(path));
    }
    for file in &open {
        let path = &project.files[*file].abs;
        if !sent.contains_key(path) {
            cleared.insert(snapshot.shown(path));
        }
    }
    for path in cleared {
        send_diagnostics(sender, &path, Vec::new());
    }
    state.published = sent;
}

/// Makes the lists of `files`, in order, handing each to `f`: the texts, line
/// starts and URIs of the files their places are in are taken once.
fn make_lists(
    snapshot: &Snapshot,
    diagnostics: &[Diagnostic],
    by_file: &BTreeMap<FileId, Vec<(usize, usize)>>,
    files: &[FileId],
    shown: &dyn Fn(FileId) -> PathBuf,
    rules: Option<&str>,
    mut f: impl FnMut(FileId, Vec<lsp_types::Diagnostic>),
) {
    let mut texts: HashMap<FileId, Arc<str>> = HashMap::new();
    for file in files {
        for &(k, _) in &by_file[file] {
            for (place, _, _) in places(&diagnostics[k]) {
                texts.entry(place).or_insert_with(|| snapshot.text(place));
            }
        }
    }
    let lines: HashMap<FileId, Lines<'_>> = texts.iter().map(|(file, text)| (*file, Lines::new(text))).collect();
    let uris: HashMap<FileId, Uri> = texts.keys().map(|file| (*file, uri(&shown(*file)))).collect();
    for &file in files {
        let list: Vec<lsp_types::Diagnostic> = by_file[&file]
            .iter()
            .map(|&(k, i)| {
                let d = &diagnostics[k];
                let located: Vec<(Location, &str)> = places(d)
                    .into_iter()
                    .map(|(file, span, message)| {
                        (Location { uri: uris[&file].clone(), range: lines[&file].range(&span) }, message)
                    })
                    .collect();
                let related: Vec<DiagnosticRelatedInformation> = located
                    .iter()
                    .enumerate()
                    .filter(|(j, (_, message))| *j != i && !message.is_empty())
                    .map(|(_, (location, message))| DiagnosticRelatedInformation {
                        location: location.clone(),
                        message: printable(message).into_owned(),
                    })
                    .collect();
                to_lsp(d, located[i].0.range, related, rules)
            })
            .collect();
        f(file, list);
    }
}

/// What a client is shown of a file's diagnostics, as a number: two lists with
/// the same ranges, codes, severities, messages and related places are the same.
fn fingerprint(list: &[lsp_types::Diagnostic]) -> u64 {
    fn range(r: &lsp_types::Range, h: &mut impl Hasher) {
        (r.start.line, r.start.character, r.end.line, r.end.character).hash(h);
    }
    let severities = [DiagnosticSeverity::ERROR, DiagnosticSeverity::WARNING, DiagnosticSeverity::INFORMATION];
    let mut h = std::collections::hash_map::DefaultHasher::new();
    list.len().hash(&mut h);
    for d in list {
        range(&d.range, &mut h);
        d.severity.map(|s| severities.iter().position(|x| *x == s)).hash(&mut h);
        d.code.hash(&mut h);
        d.message.hash(&mut h);
        for r in d.related_information.iter().flatten() {
            r.location.uri.as_str().hash(&mut h);
            range(&r.location.range, &mut h);
            r.message.hash(&mut h);
        }
    }
    h.finish()
}

/// Every place of a diagnostic with its text: the primary place, the labels in
/// its file, the labels in other files, then the notes.
fn places(d: &Diagnostic) -> Vec<(FileId, crate::source::Span, &str)> {
    let mut out = vec![(d.file, d.span.clone(), d.label.as_ref())];
    out.extend(d.labels.iter().map(|l| (d.file, l.span.clone(), l.text.as_str())));
    out.extend(d.related.iter().filter(|r| r.label).map(|r| (r.file, r.span.clone(), r.message.as_str())));
    out.extend(d.related.iter().filter(|r| !r.label).map(|r| (r.file, r.span.clone(), r.message.as_str())));
    out
}

fn send_diagnostics(sender: &Sender<Message>, path: &Path, diagnostics: Vec<lsp_types::Diagnostic>) {
    let params = PublishDiagnosticsParams { uri: uri(path), diagnostics, version: None };
    let _ = sender.send(transport::raw_notification(lsp_types::notification::PublishDiagnostics::METHOD, &params));
}

/// A diagnostic as the protocol carries it, at one of its places.
fn to_lsp(
    d: &Diagnostic,
    range: lsp_types::Range,
    related: Vec<DiagnosticRelatedInformation>,
    rules: Option<&str>,
) -> lsp_types::Diagnostic {
    let severity = match d.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    };
    // As on a terminal: a name's invisible characters are escapes (`printable`).
    let mut message = printable(&d.message).into_owned();
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {}", printable(help)));
    }
    let href = rules.map(|rules| format!("{rules}#{}-{}", d.code().to_ascii_lowercase(), d.rule.name));
    lsp_types::Diagnostic {
        range,
        severity: Some(severity),
        code: Some(NumberOrString::String(d.code().to_string())),
        code_description: href.and_then(|h| h.parse().ok()).map(|href| lsp_types::CodeDescription { href }),
        source: Some("caseshare".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// For tests: a server on a thread over an in-memory connection, and the
/// client's end of it. Its rules reference is written in the system's
/// temporary folder ([`test_cache`]), not in the user's cache.
pub fn spawn_in_memory() -> (Connection, thread::JoinHandle<Result<(), String>>) {
    let (server, client) = Connection::memory();
    // What the server sends reaches the client as a client reads it from the
    // frames: params written as JSON text are read back (`transport::read_back`).
    let (out, sent) = unbounded::<Message>();
    let to_client = server.sender;
    thread::spawn(move || {
        for msg in sent {
            if to_client.send(transport::read_back(msg)).is_err() {
                break;
            }
        }
    });
    let handle =
        thread::spawn(move || serve(Connection { sender: out, receiver: server.receiver }, Some(test_cache())));
    (client, handle)
}

/// The cache folder of servers started by [`spawn_in_memory`] (the reference
/// is written whole and renamed in place: test processes can share it).
pub fn test_cache() -> PathBuf {
    std::env::temp_dir().join("caseshare-test-cache")
}

/// A request id for the helpers of tests and benchmarks.
pub fn request(id: i32, method: &str, params: serde_json::Value) -> Message {
    Message::Request(Request { id: RequestId::from(id), method: method.to_string(), params })
}

#[cfg(test)]
mod tests {
    /// A burst of edits to one file waits as its last text; other files'
    /// texts, `caseshare.toml`'s reloads and the order stay.
    #[test]
    fn a_file_waits_as_its_last_text() {
        let root = PathBuf::from("/p");
        let text = |rel: &str, t: &str, seq: u64| Event::Text {
            root: root.clone(),
            rel: rel.into(),
            text: Some((Arc::from(t), PathBuf::from(rel))),
            seq,
        };
        let mut pending = Vec::new();
        for (i, (rel, t)) in
            [("groups/a.yaml", "1"), ("users/b.yaml", "1"), ("caseshare.toml", ""), ("groups/a.yaml", "2")]
                .into_iter()
                .chain([("caseshare.toml", ""), ("groups/a.yaml", "3")])
                .enumerate()
        {
            take_in(&mut pending, text(rel, t, i as u64));
        }
        let left: Vec<(String, String, u64)> = pending
            .iter()
            .map(|e| match e {
                Event::Text { rel, text, seq, .. } => {
                    (rel.clone(), text.as_ref().map(|(t, _)| t.to_string()).unwrap_or_default(), *seq)
                }
                _ => unreachable!(),
            })
            .collect();
        let want =
            [("users/b.yaml", "1", 1), ("caseshare.toml", "", 2), ("caseshare.toml", "", 4), ("groups/a.yaml", "3", 5)];
        assert_eq!(left, want.map(|(r, t, s)| (r.to_string(), t.to_string(), s)));
    }

    use super::*;

    #[test]
    fn a_request_that_panics_is_answered_with_an_internal_error() {
        let req = Request::new(RequestId::from(7), "textDocument/hover".into(), serde_json::Value::Null);
        let failed = guarded(&req, || panic!("index {} out of range", 3));
        assert_eq!(failed.id, RequestId::from(7));
        let error = failed.response_result.expect_err("an error");
        assert_eq!(error.code, ErrorCode::InternalError as i32);
        assert_eq!(error.message, "caseshare failed to answer `textDocument/hover`: index 3 out of range");
        let fine = guarded(&req, || Response::new_ok(req.id.clone(), 1));
        assert_eq!(fine.response_result.expect("answered"), serde_json::json!(1));
    }

    /// The rules reference is written whole, as a regular file: a link in its
    /// place is replaced, and what it points at is neither read nor written.
    #[test]
    fn the_rules_reference_replaces_a_link_and_keeps_its_target() {
        let dir = std::env::temp_dir().join(format!("caseshare-rules-ref-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("target.txt"), "keep me").expect("write");
        std::os::unix::fs::symlink(dir.join("target.txt"), dir.join("rules.md")).expect("link");
        let path = write_rules_reference(&dir).expect("written");
        assert_eq!(path, dir.join("rules.md"));
        assert!(std::fs::symlink_metadata(&path).expect("there").file_type().is_file());
        assert_eq!(std::fs::read_to_string(&path).expect("read"), crate::rules::reference_markdown());
        assert_eq!(std::fs::read_to_string(dir.join("target.txt")).expect("read"), "keep me");
        // Written once: a second server finds it and leaves it.
        let modified = std::fs::metadata(&path).expect("there").modified().expect("time");
        assert_eq!(write_rules_reference(&dir), Some(path.clone()));
        assert_eq!(std::fs::metadata(&path).expect("there").modified().expect("time"), modified);
        let left: Vec<_> = std::fs::read_dir(&dir).expect("list").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(left.len(), 2, "nothing staged is left: {left:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
