//! A project at a git revision, read straight from the object store without
//! checking anything out: `git ls-tree -r -z -l` lists the revision's files under
//! the project's folder, and one `git cat-file --batch` process reads their
//! contents. No new dependency, and about a tenth of a `check` on the benchmark's
//! `huge` project (README, `diff`).
//!
//! Files are chosen as `check` chooses them on disk: the known folders, dot-files
//! and dot-folders skipped, `caseshare.toml` (the revision's own) excludes honoured.
//! A symbolic link (mode 120000) is resolved by its text, never by the file
//! system: a link that stays inside the project reads the file (or folder) it
//! names at the same revision; one that leads outside, or is absolute, is not
//! read (F005), and nothing of its target is shown.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::config::{self, Config};
use crate::discover::{Child, ChildKind, Entry, Fs, Outside, relative_to, visit_in};
use crate::read::{self, Content, MAX_FILE_BYTES, Sources};
use crate::source::{FileId, FileKind};

use super::DiffError;

/// Links followed on one path before giving up (a loop), as Linux does.
const MAX_LINK_HOPS: usize = 40;

/// The revision's project folder as the walk sees it: paths below it name the
/// tree's entries; any other path is outside the project.
const REV_ROOT: &str = "/revision";

/// The git repository that holds a project.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The repository's top folder.
    pub top: PathBuf,
    /// The project's folder relative to the top, `/`-separated, with a trailing
    /// `/`; empty when the project is at the top.
    pub prefix: String,
}

/// One entry of `git ls-tree`.
#[derive(Debug, Clone)]
struct TreeEntry {
    mode: String,
    oid: String,
    size: Option<u64>,
}

impl TreeEntry {
    fn is_link(&self) -> bool {
        self.mode == "120000"
    }

    fn is_file(&self) -> bool {
        self.mode == "100644" || self.mode == "100755"
    }
}

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    // Paths given to git are literal paths, never patterns.
    c.arg("--literal-pathspecs").arg("-C").arg(dir);
    c
}

/// Runs a git command and returns its standard output; `Err` with its standard error.
fn output(mut cmd: Command) -> Result<Result<Vec<u8>, String>, DiffError> {
    let out = cmd.stdin(Stdio::null()).output().map_err(DiffError::NoGit)?;
    if out.status.success() {
        Ok(Ok(out.stdout))
    } else {
        Ok(Err(String::from_utf8_lossy(&out.stderr).trim().to_string()))
    }
}

impl Repo {
    /// The repository that holds the project at `root`.
    pub fn locate(root: &Path) -> Result<Repo, DiffError> {
        let mut cmd = git(root);
        cmd.args(["rev-parse", "--show-toplevel", "--show-prefix"]);
        let out = output(cmd)?.map_err(|message| {
            if message.contains("not a git repository") {
                DiffError::NotGit(root.to_path_buf())
            } else {
                DiffError::Git { what: "rev-parse".into(), message }
            }
        })?;
        let text = String::from_utf8_lossy(&out);
        let mut lines = text.lines();
        let top = lines.next().unwrap_or_default();
        if top.is_empty() {
            // Inside `.git` itself, or a bare repository.
            return Err(DiffError::NotGit(root.to_path_buf()));
        }
        let prefix = lines.next().unwrap_or_default().to_string();
        Ok(Repo { top: PathBuf::from(top), prefix })
    }

    /// The project's folder relative to the repository's top, as shown (`.` at the top).
    pub fn project(&self) -> String {
        let p = self.prefix.trim_end_matches('/');
        if p.is_empty() { ".".into() } else { p.into() }
    }

    /// The commit that `rev` names.
    pub fn resolve(&self, rev: &str) -> Result<String, DiffError> {
        let mut cmd = git(&self.top);
        cmd.args(["rev-parse", "--verify", "--quiet", "--end-of-options"]).arg(format!("{rev}^{{commit}}"));
        match output(cmd)? {
            Ok(out) => Ok(String::from_utf8_lossy(&out).trim().to_string()),
            // The hint to fetch is for a shallow clone, where a commit may be missing.
            Err(_) if self.shallow() => Err(DiffError::UnknownRevision(rev.to_string())),
            Err(_) => Err(DiffError::NoSuchRevision(rev.to_string())),
        }
    }

    /// Whether the repository is a shallow clone (when git cannot tell: yes).
    fn shallow(&self) -> bool {
        let mut cmd = git(&self.top);
        cmd.args(["rev-parse", "--is-shallow-repository"]);
        !matches!(output(cmd), Ok(Ok(out)) if out.trim_ascii() == b"false")
    }

    /// The project at `commit` (named `rev` in messages), read as `check` reads a
    /// folder: its files and its `caseshare.toml`. `root` is the project's folder
    /// in the working tree, for the paths shown (relative to `cwd`).
    pub fn read(&self, commit: &str, rev: &str, root: &Path, cwd: &Path) -> Result<(Sources, Config), DiffError> {
        let tree = self.ls_tree(commit)?;
        if !tree.contains_key("project.yaml") && !tree.contains_key("project.yml") {
            return Err(DiffError::NoProjectAt { rev: rev.to_string(), path: self.project() });
        }
        let links = self.link_targets(&tree)?;
        // A link is followed inside the project, as every file is (one out of it
        // is not read at a revision: the defaults apply).
        let config_oid = RevFs { tree: &tree, links: &links }
            .file(&Path::new(REV_ROOT).join(config::FILE))
            .ok()
            .map(|e| e.oid.clone());
        let config = match config_oid {
            Some(oid) => {
                let mut text = String::new();
                self.cat(std::slice::from_ref(&oid), |_, bytes| text = String::from_utf8_lossy(&bytes).into_owned())?;
                let shown = format!("{rev}:{}{}", self.prefix, config::FILE);
                Config::parse(&text, Path::new(&shown))?
            }
            None => Config::default(),
        };
        let files = choose(&tree, &links, &config);
        let base = relative_to(root, cwd);
        let display =
            |rel: &str| if base == "." || base.is_empty() { rel.to_string() } else { format!("{base}/{rel}") };
        // Read what is read: regular files within the size limit.
        let wanted: Vec<String> = files
            .iter()
            .filter_map(|f| match &f.source {
                Chosen::Blob { oid, size } if *size <= MAX_FILE_BYTES => Some(oid.clone()),
                _ => None,
            })
            .collect();
        let mut blobs: Vec<Option<Vec<u8>>> = vec![None; wanted.len()];
        self.cat(&wanted, |i, bytes| blobs[i] = Some(bytes))?;
        let mut blobs = blobs.into_iter();
        let mut sources = Sources { root: Some(root.to_path_buf()), ..Sources::default() };
        for f in files {
            let (content, outside) = match f.source {
                Chosen::Blob { size, .. } if size > MAX_FILE_BYTES => (Ok(Content::TooLarge(size)), None),
                Chosen::Blob { .. } => {
                    (blobs.next().flatten().map(read::decode).ok_or_else(|| "missing from git".to_string()), None)
                }
                Chosen::Outside(o) => (Ok(Content::Outside), Some(o)),
                Chosen::Broken(why) => (Err(why), None),
            };
            // Its content is read already: the entry is never opened.
            let entry = Entry { abs: root.join(&f.rel), kind: f.kind, outside, rel: f.rel, regular: false };
            let shown = display(&entry.rel);
            match read::source(FileId::new(sources.files.len()), &entry, shown.clone(), content) {
                Ok((file, problem)) => {
                    sources.files.push(file);
                    sources.problems.extend(problem);
                }
                Err(message) => sources.io.push(crate::IoProblem {
                    path: shown,
                    message,
                    kind: Some(entry.kind),
                    rel: Some(entry.rel.clone()),
                }),
            }
        }
        Ok((sources, config))
    }

    /// The files and links under the project's folder at `commit`, by path
    /// relative to the project root.
    fn ls_tree(&self, commit: &str) -> Result<BTreeMap<String, TreeEntry>, DiffError> {
        let mut cmd = git(&self.top);
        cmd.args(["ls-tree", "-r", "-z", "-l", "--full-tree", commit]);
        if !self.prefix.is_empty() {
            cmd.arg("--").arg(&self.prefix);
        }
        let out = output(cmd)?.map_err(|message| DiffError::Git { what: "ls-tree".into(), message })?;
        let mut tree = BTreeMap::new();
        for record in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let record = String::from_utf8_lossy(record);
            let Some((meta, path)) = record.split_once('\t') else { continue };
            let mut meta = meta.split_whitespace();
            let (Some(mode), Some(_), Some(oid), size) = (meta.next(), meta.next(), meta.next(), meta.next()) else {
                continue;
            };
            let Some(rel) = path.strip_prefix(&self.prefix) else { continue };
            let size = size.and_then(|s| s.parse().ok());
            tree.insert(rel.to_string(), TreeEntry { mode: mode.into(), oid: oid.into(), size });
        }
        Ok(tree)
    }

    /// The text of every link in the tree (a link's blob is the path it names).
    fn link_targets(&self, tree: &BTreeMap<String, TreeEntry>) -> Result<BTreeMap<String, String>, DiffError> {
        let links: Vec<(&String, &TreeEntry)> = tree.iter().filter(|(_, e)| e.is_link()).collect();
        let oids: Vec<String> = links.iter().map(|(_, e)| e.oid.clone()).collect();
        let mut targets = BTreeMap::new();
        self.cat(&oids, |i, bytes| {
            targets.insert(links[i].0.clone(), String::from_utf8_lossy(&bytes).into_owned());
        })?;
        Ok(targets)
    }

    /// Reads objects with one `git cat-file --batch`: `each(i, contents)` in the
    /// order of `oids`. The requests are written from a second thread, so git
    /// never waits for its output to be read.
    fn cat(&self, oids: &[String], mut each: impl FnMut(usize, Vec<u8>)) -> Result<(), DiffError> {
        if oids.is_empty() {
            return Ok(());
        }
        let mut cmd = git(&self.top);
        cmd.args(["cat-file", "--batch"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(DiffError::NoGit)?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let fail = |message: String| DiffError::Git { what: "cat-file".into(), message };
        let read = std::thread::scope(|s| {
            s.spawn(move || {
                if let Some(stdin) = stdin {
                    let mut w = std::io::BufWriter::new(stdin);
                    for oid in oids {
                        if writeln!(w, "{oid}").is_err() {
                            break;
                        }
                    }
                    let _ = w.flush();
                }
            });
            let Some(stdout) = stdout else { return Err("no output".to_string()) };
            let mut r = BufReader::with_capacity(1 << 16, stdout);
            let mut header = String::new();
            for (i, oid) in oids.iter().enumerate() {
                header.clear();
                r.read_line(&mut header).map_err(|e| e.to_string())?;
                let mut parts = header.split_whitespace();
                let (Some(_), Some(kind), Some(size)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(format!("object `{oid}`: {}", header.trim()));
                };
                let size: usize = size.parse().map_err(|_| format!("object `{oid}`: {}", header.trim()))?;
                if kind != "blob" {
                    return Err(format!("object `{oid}` is a {kind}, not a file"));
                }
                let mut bytes = vec![0; size];
                r.read_exact(&mut bytes).map_err(|e| e.to_string())?;
                let mut newline = [0u8; 1];
                r.read_exact(&mut newline).map_err(|e| e.to_string())?;
                each(i, bytes);
            }
            Ok(())
        });
        let status = child.wait().map_err(DiffError::NoGit)?;
        read.map_err(fail)?;
        if !status.success() {
            let mut message = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut message);
            }
            return Err(fail(message.trim().to_string()));
        }
        Ok(())
    }
}

/// A file of the project as chosen, and what to read for it.
struct ChosenFile {
    rel: String,
    kind: FileKind,
    source: Chosen,
}

enum Chosen {
    Blob {
        oid: String,
        size: u64,
    },
    /// A link out of the project (F005): not read.
    Outside(Outside),
    /// A link that names nothing at this revision, or a loop.
    Broken(String),
}

/// The files `check` would read in this tree, in path order (byte order):
/// the walk of the disk ([`crate::discover::visit_in`]) on the revision's tree.
fn choose(tree: &BTreeMap<String, TreeEntry>, links: &BTreeMap<String, String>, config: &Config) -> Vec<ChosenFile> {
    let fs = RevFs { tree, links };
    let mut out: Vec<ChosenFile> = Vec::new();
    visit_in(&fs, Path::new(REV_ROOT), &mut |e| {
        if config.excluded(&e.rel) {
            return;
        }
        let source = match e.outside {
            Some(o) => Chosen::Outside(o),
            None => match fs.file(&e.abs) {
                Ok(file) => Chosen::Blob { oid: file.oid.clone(), size: file.size.unwrap_or(0) },
                Err(why) => Chosen::Broken(why),
            },
        };
        out.push(ChosenFile { rel: e.rel, kind: e.kind, source });
    });
    out.sort_by(|a, b| a.rel.as_bytes().cmp(b.rel.as_bytes()));
    out
}

/// A revision's tree as a file system for the walk: folders are the paths
/// its files are under; a symbolic link is followed by its text, never on disk.
struct RevFs<'t> {
    tree: &'t BTreeMap<String, TreeEntry>,
    links: &'t BTreeMap<String, String>,
}

/// Where a path leads in a revision's tree.
#[derive(Debug, PartialEq)]
enum Resolved {
    /// A path relative to the project root (empty: the root).
    Inside(String),
    /// Out of the project; the last name the link that led out named.
    Outside(String),
}

impl RevFs<'_> {
    /// A path of the walk relative to the project root; `None` outside it.
    fn rel<'p>(&self, path: &'p Path) -> Option<&'p str> {
        let rest = path.to_str()?.strip_prefix(REV_ROOT)?;
        if rest.is_empty() { Some("") } else { rest.strip_prefix('/') }
    }

    fn is_folder(&self, rel: &str) -> bool {
        let under = format!("{rel}/");
        rel.is_empty()
            || self
                .tree
                .range::<str, _>((std::ops::Bound::Included(under.as_str()), std::ops::Bound::Unbounded))
                .next()
                .is_some_and(|(k, _)| k.starts_with(&under))
    }

    /// `rel` with every link on it followed by its text; why not, for a link
    /// that names nothing at this revision, a loop, or a path through a file.
    fn resolve(&self, rel: &str) -> Result<Resolved, String> {
        // The path so far, and where each of its parts starts.
        let mut at = String::with_capacity(rel.len());
        let mut starts: Vec<usize> = Vec::new();
        let mut todo: std::collections::VecDeque<&str> = rel.split('/').collect();
        let mut hops = 0;
        let mut named = "";
        while let Some(part) = todo.pop_front() {
            match part {
                "" | "." => {}
                ".." => match starts.pop() {
                    Some(start) => at.truncate(start.saturating_sub(1)),
                    None => return Ok(Resolved::Outside(named.to_string())),
                },
                name => {
                    starts.push(if at.is_empty() { 0 } else { at.len() + 1 });
                    if !at.is_empty() {
                        at.push('/');
                    }
                    at.push_str(name);
                    match self.tree.get(&at) {
                        Some(e) if e.is_link() => {
                            let start = starts.pop().unwrap_or(0);
                            hops += 1;
                            if hops > MAX_LINK_HOPS {
                                return Err("a loop of symbolic links".into());
                            }
                            let Some(target) = self.links.get(&at) else {
                                return Err("a link git could not read".into());
                            };
                            at.truncate(start.saturating_sub(1));
                            named = target.rsplit('/').find(|p| !p.is_empty() && *p != "." && *p != "..").unwrap_or("");
                            if target.starts_with('/') {
                                return Ok(Resolved::Outside(named.to_string()));
                            }
                            for p in target.split('/').rev() {
                                todo.push_front(p);
                            }
                        }
                        Some(e) if e.is_file() => {
                            if todo.iter().any(|p| !p.is_empty() && *p != ".") {
                                return Err(format!("a path through `{at}`, which is a file"));
                            }
                        }
                        Some(_) => return Err("a link to something that is not a file".into()),
                        None if self.is_folder(&at) => {}
                        None => return Err(format!("a link to `{at}`, which does not exist at this revision")),
                    }
                }
            }
        }
        Ok(Resolved::Inside(at))
    }

    /// The file a path of the walk reads.
    fn file(&self, path: &Path) -> Result<&TreeEntry, String> {
        let rel = self.rel(path).ok_or("a path out of the project")?;
        match self.resolve(rel)? {
            Resolved::Inside(real) => self
                .tree
                .get(&real)
                .filter(|e| e.is_file())
                .ok_or_else(|| "a link to something that is not a file".into()),
            Resolved::Outside(_) => Err("a path out of the project".into()),
        }
    }
}

impl Fs for RevFs<'_> {
    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        let Some(rel) = self.rel(path) else { return Ok(path.to_path_buf()) };
        match self.resolve(rel).map_err(std::io::Error::other)? {
            Resolved::Inside(real) if real.is_empty() => Ok(PathBuf::from(REV_ROOT)),
            Resolved::Inside(real) => Ok(Path::new(REV_ROOT).join(real)),
            // Never read; its name alone is kept, for [`Fs::is_dir`].
            Resolved::Outside(name) => Ok(Path::new("/outside").join(name)),
        }
    }

    /// Out of the project, where the tree does not tell: a name without an
    /// extension is taken for a folder, as the disk mostly reports such links.
    fn is_dir(&self, path: &Path) -> bool {
        match self.rel(path) {
            Some(rel) => self.is_folder(rel) && self.tree.get(rel).is_none(),
            None => path.file_name().is_none_or(|n| !n.to_string_lossy().contains('.')),
        }
    }

    fn read_dir(&self, dir: &Path) -> std::io::Result<(Vec<Child>, Vec<String>)> {
        let rel = self.rel(dir).ok_or_else(|| std::io::Error::other("a folder out of the project"))?;
        // Through the links on its path; the children keep the path walked.
        let rel = match self.resolve(rel).map_err(std::io::Error::other)? {
            Resolved::Inside(real) => real,
            Resolved::Outside(_) => return Err(std::io::Error::other("a folder out of the project")),
        };
        let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
        let mut children: Vec<Child> = Vec::new();
        let below = self.tree.range::<str, _>((std::ops::Bound::Included(prefix.as_str()), std::ops::Bound::Unbounded));
        // The paths below a folder are together, in order: a folder's name
        // comes once for all the paths below it.
        let mut last_folder: Option<&str> = None;
        for (key, e) in below {
            let Some(rest) = key.strip_prefix(&prefix) else { break };
            match rest.split_once('/') {
                None => {
                    // A submodule is no file of the project.
                    let kind = (e.is_link() || e.is_file()).then_some(if e.is_link() {
                        ChildKind::Link
                    } else {
                        ChildKind::File
                    });
                    children.push(Child { name: rest.to_string(), path: dir.join(rest), kind });
                }
                Some((name, _)) if last_folder != Some(name) => {
                    last_folder = Some(name);
                    children.push(Child {
                        name: name.to_string(),
                        path: dir.join(name),
                        kind: Some(ChildKind::Folder),
                    });
                }
                Some(_) => {}
            }
        }
        Ok((children, Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(mode: &str) -> TreeEntry {
        TreeEntry { mode: mode.into(), oid: "0".into(), size: Some(1) }
    }

    #[test]
    fn links_resolve_by_their_text_inside_the_project_only() {
        let mut tree = BTreeMap::new();
        let mut links = BTreeMap::new();
        for file in ["apps/chw.yaml", "common/chw.yaml", "src/users/u.yaml"] {
            tree.insert(file.to_string(), entry("100644"));
        }
        for (link, target) in [
            ("apps/alias.yaml", "../common/chw.yaml"),
            ("apps/out.yaml", "../../secret.yaml"),
            ("apps/etc", "/etc"),
            ("users", "src/users"),
            ("lib", "src"),
            ("people", "lib/users"),
            ("loop", "loop"),
            ("root", "."),
            ("gone.yaml", "nothing.yaml"),
        ] {
            tree.insert(link.to_string(), entry("120000"));
            links.insert(link.to_string(), target.to_string());
        }
        let fs = RevFs { tree: &tree, links: &links };
        let inside = |p: &str| Ok(Resolved::Inside(p.to_string()));
        assert_eq!(fs.resolve("apps/alias.yaml"), inside("common/chw.yaml"));
        assert_eq!(fs.resolve("people/u.yaml"), inside("src/users/u.yaml"), "through two linked folders");
        assert_eq!(fs.resolve("users"), inside("src/users"));
        assert_eq!(fs.resolve("root/apps"), inside("apps"));
        assert_eq!(fs.resolve("apps/out.yaml"), Ok(Resolved::Outside("secret.yaml".into())));
        assert_eq!(fs.resolve("apps/etc"), Ok(Resolved::Outside("etc".into())));
        assert_eq!(fs.resolve("loop"), Err("a loop of symbolic links".into()));
        assert_eq!(
            fs.resolve("gone.yaml"),
            Err("a link to `nothing.yaml`, which does not exist at this revision".into())
        );
        assert_eq!(fs.resolve("apps/chw.yaml/x"), Err("a path through `apps/chw.yaml`, which is a file".into()));
        // The walk lists a linked folder's files under the link's name, once.
        let mut rels = Vec::new();
        visit_in(&fs, Path::new(REV_ROOT), &mut |e| rels.push((e.rel, e.outside)));
        rels.sort_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<&str> = rels.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "apps/alias.yaml",
                "apps/chw.yaml",
                "apps/etc",
                "apps/out.yaml",
                "common/chw.yaml",
                "gone.yaml",
                "users/u.yaml"
            ]
        );
    }
}
