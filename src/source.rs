//! Source files: their text, their place in the project, and line/column lookup.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// A file of a project: its index in [`crate::Project::files`] (and in every
/// list of a project's files, which are kept in path order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

impl FileId {
    pub fn new(index: usize) -> FileId {
        FileId(u32::try_from(index).expect("fewer than 2^32 files"))
    }

    /// The index, for lists that run parallel to the project's files.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::ops::Index<FileId> for [SourceFile] {
    type Output = SourceFile;
    fn index(&self, id: FileId) -> &SourceFile {
        &self[id.index()]
    }
}

impl std::ops::Index<FileId> for Vec<SourceFile> {
    type Output = SourceFile;
    fn index(&self, id: FileId) -> &SourceFile {
        &self[id.index()]
    }
}

/// A byte range into a file's text.
pub type Span = Range<usize>;

/// What a file defines, from the folder it lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Project,
    App,
    Groups,
    Users,
    Locations,
    /// A YAML file outside the known folders (F003).
    Unknown,
}

impl FileKind {
    /// The kind of a path relative to the project root, or `None` for a file caseshare ignores.
    pub fn of(rel: &str) -> Option<FileKind> {
        let is_yaml = rel.ends_with(".yaml") || rel.ends_with(".yml");
        if !is_yaml {
            return None;
        }
        if rel.split('/').any(|part| part.starts_with('.')) {
            return None;
        }
        if rel == "project.yaml" || rel == "project.yml" {
            return Some(FileKind::Project);
        }
        let folder = rel.split('/').next().unwrap_or("");
        let nested = rel.contains('/');
        Some(match folder {
            "apps" if nested => FileKind::App,
            "groups" if nested => FileKind::Groups,
            "users" if nested => FileKind::Users,
            "locations" if nested => FileKind::Locations,
            _ => FileKind::Unknown,
        })
    }
}

impl FileKind {
    /// The kind of what a folder (relative to the root) would hold: `apps/…` apps,
    /// and so on; anything else is [`FileKind::Unknown`].
    pub fn of_folder(rel: &str) -> FileKind {
        match rel.split('/').next().unwrap_or("") {
            "apps" => FileKind::App,
            "groups" => FileKind::Groups,
            "users" => FileKind::Users,
            "locations" => FileKind::Locations,
            _ => FileKind::Unknown,
        }
    }
}

/// Where a file is and what it defines: shared by every copy of a
/// [`SourceFile`] (the language server's projects, one per analysis, and its
/// list of files hold one each; a project of 50,000 files copied its paths 50,000
/// times per edit).
#[derive(Debug)]
pub struct FileName {
    /// Path relative to the project root, with `/` separators.
    pub rel: String,
    /// Path as shown to the user (relative to the working directory where possible).
    pub display: String,
    pub abs: PathBuf,
    pub kind: FileKind,
}

/// A file of the project, read into memory. Its [`FileName`]'s fields read as
/// its own (`file.rel`).
#[derive(Clone, Debug)]
pub struct SourceFile {
    name: Arc<FileName>,
    /// The text; empty when the file could not be read as UTF-8, or while it is
    /// set aside (see [`SourceFile::set_aside`]).
    pub text: Arc<str>,
    /// The text's length in bytes as read, kept when the text is set aside.
    pub len: usize,
    /// Whether the text was set aside after the file was loaded: a file without
    /// diagnostics is not kept in memory, and is read again only if a cross-file
    /// rule reports something in it.
    pub set_aside: bool,
    /// Byte offsets where lines start, computed when first asked.
    line_starts: OnceLock<Box<[u32]>>,
}

impl std::ops::Deref for SourceFile {
    type Target = FileName;

    fn deref(&self) -> &FileName {
        &self.name
    }
}

impl SourceFile {
    pub fn new(rel: String, display: String, abs: PathBuf, kind: FileKind, text: Arc<str>) -> Self {
        let len = text.len();
        let name = Arc::new(FileName { rel, display, abs, kind });
        SourceFile { name, text, len, set_aside: false, line_starts: OnceLock::new() }
    }

    /// The same file with another text (an editor's buffer), its name shared.
    pub fn with_text(&self, text: Arc<str>) -> Self {
        let len = text.len();
        SourceFile { name: self.name.clone(), text, len, set_aside: false, line_starts: OnceLock::new() }
    }

    /// Drops the text from memory (its length is kept); [`SourceFile::restore`]
    /// reads it again.
    pub fn set_aside(&mut self) {
        self.text = Arc::from("");
        self.line_starts = OnceLock::new();
        self.set_aside = true;
    }

    /// The text, read again when it was set aside (`None` when it cannot be, or
    /// the file changed in between: its length differs).
    pub fn text_again(&self) -> Option<std::borrow::Cow<'_, str>> {
        if !self.set_aside {
            return Some(std::borrow::Cow::Borrowed(&self.text));
        }
        let text = std::fs::read_to_string(&self.abs).ok()?;
        (text.len() == self.len).then_some(std::borrow::Cow::Owned(text))
    }

    /// Reads a set-aside text again; fails when the file changed in between (its
    /// length differs) or cannot be read.
    pub fn restore(&mut self) -> Result<(), String> {
        if !self.set_aside {
            return Ok(());
        }
        let text = std::fs::read_to_string(&self.abs).map_err(|e| e.to_string())?;
        if text.len() != self.len {
            return Err("the file changed while it was being checked".into());
        }
        self.text = text.into();
        // Lines counted while the text was set aside (by suppressions, which now
        // run before texts are read again) counted an empty text.
        self.line_starts = OnceLock::new();
        self.set_aside = false;
        Ok(())
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            starts.extend(line_ends(self.text.as_bytes()).map(|e| e as u32));
            starts.into_boxed_slice()
        })
    }

    /// The file stem (`apps/chw.yaml` → `chw`).
    pub fn stem(&self) -> &str {
        let name = self.rel.rsplit('/').next().unwrap_or(&self.rel);
        name.strip_suffix(".yaml").or_else(|| name.strip_suffix(".yml")).unwrap_or(name)
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        match self.line_starts().binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// 1-based line and column (in characters) of a byte offset. A UTF-8 byte
    /// order mark is not a column, as editors show it.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.clamp(offset);
        let line = self.line_index(offset);
        let start = self.line_start_after_bom(line);
        let col = self.text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        (line + 1, col)
    }

    fn line_start_after_bom(&self, line: usize) -> usize {
        let start = self.line_starts()[line] as usize;
        if line == 0 && self.text.starts_with('\u{feff}') { start + '\u{feff}'.len_utf8() } else { start }
    }

    /// 1-based column in UTF-16 code units (as SARIF counts) of a byte offset.
    pub fn utf16_col(&self, offset: usize) -> usize {
        let offset = self.clamp(offset);
        let start = self.line_start_after_bom(self.line_index(offset));
        self.text.get(start..offset).map_or(0, |s| s.encode_utf16().count()) + 1
    }

    /// The byte offset where a 0-based line starts (the text's end past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts().get(line).map_or(self.text.len(), |s| *s as usize)
    }

    /// An offset moved back onto a character boundary inside the text.
    pub fn clamp(&self, offset: usize) -> usize {
        let mut o = offset.min(self.text.len());
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }
}

/// The offsets just after each line break: `\n`, `\r\n`, or a `\r` alone, as
/// YAML and the Language Server Protocol count them and editors show them
/// (files are under 4 GiB: the read caps them).
pub fn line_ends(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, b)| *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .map(|(i, _)| i + 1)
}

/// The lines of a text, each with its line break ([`line_ends`]).
pub fn lines_with_ends(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let ends = line_ends(text.as_bytes()).chain(std::iter::once(text.len()));
    ends.filter_map(move |end| {
        let line = (end > start).then(|| &text[start..end]);
        start = end;
        line
    })
}

/// The text with a `\n` in place of each `\r` that is a line break alone, a
/// byte for a byte (so every offset stays true), for readers that break lines
/// at `\n` only; the text itself when it has none.
pub fn with_lf(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    if !bytes.contains(&b'\r') || !line_ends(bytes).any(|end| bytes[end - 1] == b'\r') {
        return std::borrow::Cow::Borrowed(text);
    }
    let lf = text.char_indices().map(|(i, c)| if c == '\r' && bytes.get(i + 1) != Some(&b'\n') { '\n' } else { c });
    std::borrow::Cow::Owned(lf.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("a".into(), "a".into(), "a".into(), FileKind::App, "ab\nनम x\n".into());
        let x = f.text.find('x').unwrap();
        assert_eq!(f.line_col(x), (2, 4));
        let g = SourceFile::new("a".into(), "a".into(), "a".into(), FileKind::App, "a: 🏥 x\n".into());
        let y = g.text.find('x').unwrap();
        assert_eq!(g.line_col(y), (1, 6));
        assert_eq!(g.utf16_col(y), 7);
        let bom = SourceFile::new("a".into(), "a".into(), "a".into(), FileKind::App, "\u{feff}ab: x\n".into());
        let b = bom.text.find('b').unwrap();
        assert_eq!((bom.line_col(b), bom.utf16_col(b)), ((1, 2), 2));
    }

    /// A `\r` alone ends a line, as in YAML and in editors: a file saved with
    /// old Mac line ends is not one long line.
    #[test]
    fn every_kind_of_line_break_ends_a_line() {
        let text = "a: 1\rb: 2\r\nc: x\n\rd";
        let f = SourceFile::new("a".into(), "a".into(), "a".into(), FileKind::App, text.into());
        assert_eq!(f.line_col(text.find('x').unwrap()), (3, 4));
        assert_eq!(f.line_col(text.find('d').unwrap()), (5, 1));
        assert_eq!(f.line_col(text.find('b').unwrap()), (2, 1));
        let lines: Vec<&str> = lines_with_ends(text).collect();
        assert_eq!(lines, ["a: 1\r", "b: 2\r\n", "c: x\n", "\r", "d"]);
        assert_eq!(lines_with_ends("").count(), 0);
        assert_eq!(lines_with_ends("a\n").collect::<Vec<_>>(), ["a\n"]);
    }

    #[test]
    fn a_restored_text_has_its_own_lines() {
        let path = std::env::temp_dir().join(format!("caseshare-restore-{}.yaml", std::process::id()));
        std::fs::write(&path, "a: 1\nb: 2\n").expect("write");
        let mut f = SourceFile::new("a".into(), "a".into(), path.clone(), FileKind::App, "a: 1\nb: 2\n".into());
        f.set_aside();
        assert_eq!(f.line_index(6), 0, "an empty text has one line");
        f.restore().expect("restore");
        let _ = std::fs::remove_file(&path);
        assert_eq!(f.line_col(6), (2, 2));
    }

    #[test]
    fn kinds_by_folder() {
        assert_eq!(FileKind::of("project.yaml"), Some(FileKind::Project));
        assert_eq!(FileKind::of("apps/chw.yml"), Some(FileKind::App));
        assert_eq!(FileKind::of("apps/drafts/x.yaml"), Some(FileKind::App));
        assert_eq!(FileKind::of("misc/x.yaml"), Some(FileKind::Unknown));
        assert_eq!(FileKind::of("apps.yaml"), Some(FileKind::Unknown));
        assert_eq!(FileKind::of(".pre-commit-config.yaml"), None);
        assert_eq!(FileKind::of(".github/workflows/ci.yaml"), None);
        assert_eq!(FileKind::of("README.md"), None);
    }
}
