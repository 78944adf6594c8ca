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
use crate::discover::{Entry, KIND_FOLDERS, Outside, relative_to};
use crate::read::{self, Content, MAX_FILE_BYTES, Sources};
use crate::source::{FileId, FileKind};

use super::DiffError;

/// Links followed one after another before giving up (a loop).
const MAX_LINK_HOPS: usize = 8;

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
            Err(_) => Err(DiffError::UnknownRevision(rev.to_string())),
        }
    }

    /// The project at `commit` (named `rev` in messages), read as `check` reads a
    /// folder: its files and its `caseshare.toml`. `root` is the project's folder
    /// in the working tree, for the paths shown (relative to `cwd`).
    pub fn read(&self, commit: &str, rev: &str, root: &Path, cwd: &Path) -> Result<(Sources, Config), DiffError> {
        let tree = self.ls_tree(commit)?;
        if !tree.contains_key("project.yaml") && !tree.contains_key("project.yml") {
            return Err(DiffError::NoProjectAt { rev: rev.to_string(), path: self.project() });
        }
        let config = match tree.get(config::FILE).filter(|e| e.is_file()) {
            Some(e) => {
                let mut text = String::new();
                self.cat(std::slice::from_ref(&e.oid), |_, bytes| text = String::from_utf8_lossy(&bytes).into_owned())?;
                let shown = format!("{rev}:{}{}", self.prefix, config::FILE);
                Config::parse(&text, Path::new(&shown))?
            }
            None => Config::default(),
        };
        let links = self.link_targets(&tree)?;
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
                Err(message) => sources.io.push(crate::IoProblem { path: shown, message, kind: Some(entry.kind) }),
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

/// The files `check` would read in this tree, in path order (byte order).
fn choose(tree: &BTreeMap<String, TreeEntry>, links: &BTreeMap<String, String>, config: &Config) -> Vec<ChosenFile> {
    let mut out: Vec<ChosenFile> = Vec::new();
    let mut add = |rel: String, source: Chosen, kind: Option<FileKind>| {
        if let Some(kind) = kind.or_else(|| FileKind::of(&rel))
            && !config.excluded(&rel)
        {
            out.push(ChosenFile { rel, kind, source });
        }
    };
    // Files in folders, by the names they are reached by (a linked folder's
    // files by the link's too) and their own paths: each is read under one name.
    let mut reached: Vec<(String, &str, Chosen)> = Vec::new();
    for (rel, e) in tree {
        // Dot-files and dot-folders are never read (FileKind::of says so for files;
        // a linked folder's name is checked here).
        if rel.split('/').any(|p| p.starts_with('.')) {
            continue;
        }
        if e.is_file() {
            reached.push((rel.clone(), rel, Chosen::Blob { oid: e.oid.clone(), size: e.size.unwrap_or(0) }));
            continue;
        }
        if !e.is_link() {
            continue; // submodules
        }
        match follow(tree, links, rel) {
            Followed::File(target) => {
                add(rel.clone(), Chosen::Blob { oid: target.oid.clone(), size: target.size.unwrap_or(0) }, None)
            }
            Followed::Folder(folder) => {
                // A linked folder inside the project: its files, under the link's name.
                let under = format!("{folder}/");
                for (inner, ie) in tree.range(under.clone()..).take_while(|(p, _)| p.starts_with(&under)) {
                    if ie.is_file() {
                        let rel = format!("{rel}/{}", &inner[under.len()..]);
                        reached.push((rel, inner, Chosen::Blob { oid: ie.oid.clone(), size: ie.size.unwrap_or(0) }));
                    }
                }
            }
            Followed::Outside => {
                // A YAML file name is a file link; a name without an extension a
                // folder link, as the walk on disk reports them. Other names are
                // not definition files either way.
                let name = rel.rsplit('/').next().unwrap_or(rel);
                if FileKind::of(rel).is_some() {
                    add(rel.clone(), Chosen::Outside(Outside::File), None);
                } else if !name.contains('.') {
                    add(rel.clone(), Chosen::Outside(Outside::Folder), Some(FileKind::of_folder(rel)));
                }
            }
            Followed::Broken(why) => add(rel.clone(), Chosen::Broken(why), None),
        }
    }
    for (rel, source) in one_name_each(tree, links, reached) {
        add(rel, source, None);
    }
    out.sort_by(|a, b| a.rel.as_bytes().cmp(b.rel.as_bytes()));
    out
}

/// The name each file in a folder is read under, as the walk on disk names it
/// ([`crate::discover::walk`]): a file in a kind folder (`users/`, …, as the
/// folder's link resolves) under that folder's name; any other under a name in
/// a kind folder if it has one (in the order of [`KIND_FOLDERS`]), else the
/// first in byte order.
fn one_name_each(
    tree: &BTreeMap<String, TreeEntry>,
    links: &BTreeMap<String, String>,
    mut reached: Vec<(String, &str, Chosen)>,
) -> Vec<(String, Chosen)> {
    let homes: Vec<(&str, String)> = KIND_FOLDERS
        .iter()
        .filter_map(|&name| match tree.get(name) {
            Some(e) if e.is_link() => match follow(tree, links, name) {
                Followed::Folder(path) => Some((name, format!("{path}/"))),
                _ => None,
            },
            _ => Some((name, format!("{name}/"))),
        })
        .collect();
    let top = |rel: &str| rel.split('/').next().unwrap_or("").to_string();
    let rank = |rel: &str| KIND_FOLDERS.iter().position(|k| *k == top(rel)).unwrap_or(KIND_FOLDERS.len());
    // By own path, then the preferred name first.
    reached.sort_by(|a, b| a.1.cmp(b.1).then_with(|| rank(&a.0).cmp(&rank(&b.0))).then_with(|| a.0.cmp(&b.0)));
    let mut out = Vec::with_capacity(reached.len());
    let mut reached = reached.into_iter().peekable();
    while let Some((name, real, source)) = reached.next() {
        let mut names = vec![(name, source)];
        while let Some(next) = reached.next_if(|n| n.1 == real) {
            names.push((next.0, next.2));
        }
        let home = homes.iter().filter(|(_, h)| real.starts_with(h.as_str())).max_by_key(|(_, h)| h.len());
        let chosen = match home {
            Some((home, _)) => names.into_iter().find(|(n, _)| top(n) == *home),
            None => names.into_iter().next(),
        };
        out.extend(chosen);
    }
    out
}

enum Followed<'t> {
    File(&'t TreeEntry),
    /// A folder inside the project, by its path relative to the root.
    Folder(String),
    Outside,
    Broken(String),
}

/// Where the link at `rel` leads, by the paths the links name (never the disk).
fn follow<'t>(tree: &'t BTreeMap<String, TreeEntry>, links: &BTreeMap<String, String>, rel: &str) -> Followed<'t> {
    let mut at = rel.to_string();
    for _ in 0..MAX_LINK_HOPS {
        let Some(target) = links.get(&at) else { return Followed::Broken("a link git could not read".into()) };
        let Some(path) = join(&at, target) else { return Followed::Outside };
        match tree.get(&path) {
            Some(e) if e.is_link() => at = path,
            Some(e) if e.is_file() => return Followed::File(e),
            Some(_) => return Followed::Broken("a link to something that is not a file".into()),
            None => {
                let under = format!("{path}/");
                return if tree.range(under.clone()..).next().is_some_and(|(p, _)| p.starts_with(&under)) {
                    Followed::Folder(path)
                } else {
                    Followed::Broken(format!("a link to `{path}`, which does not exist at this revision"))
                };
            }
        }
    }
    Followed::Broken("a loop of symbolic links".into())
}

/// The path that `target`, written in the link at `link`, names, relative to the
/// project root; `None` when it leads out of the project (or is absolute).
fn join(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') || target.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() { None } else { Some(parts.join("/")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_inside_the_project_only() {
        assert_eq!(join("apps/chw.yaml", "../common/chw.yaml").as_deref(), Some("common/chw.yaml"));
        assert_eq!(join("apps/chw.yaml", "other.yaml").as_deref(), Some("apps/other.yaml"));
        assert_eq!(join("apps/chw.yaml", "../../secret.yaml"), None);
        assert_eq!(join("apps/chw.yaml", "/etc/passwd"), None);
        assert_eq!(join("chw.yaml", ".."), None);
    }
}
