//! `caseshare rename`: one name renamed in every file that defines or refers to
//! it (SPEC section 4), for the command line and the language server alike.
//!
//! - [`occurrences`]: every token that names a user, group, case type, role or
//!   location code, on a loaded [`Project`].
//! - [`token_edits`]: the edits that rename one of them, on a loaded project and
//!   its files' texts (the language server passes its own, buffers included):
//!   it refuses an unknown OLD (with did-you-mean), a NEW that is not a valid
//!   name of its kind or that exists already, and a token that YAML shares with
//!   another value (an alias, an anchor used elsewhere, a block scalar). Each
//!   file's result is parsed again and compared with the original, value by
//!   value: only the renamed tokens may differ.
//! - [`rename`]: the command. It reads nothing itself: it checks the project
//!   given as [`Sources`], refuses while a file that could hold the name does
//!   not load (or is format 1), plans the edits, applies them in memory and
//!   checks the result, refusing a rename that would add an error.
//!
//! Only the tokens change: comments, layout, line ends and quoting elsewhere stay
//! byte for byte. A quoted token keeps its quotes where the new name allows.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::check::{CheckResult, check_listing, check_sources};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity, did_you_mean};
use crate::edit::{self, Edit};
use crate::migrate::Refusal;
use crate::names::{self, Token};
use crate::near;
use crate::project::Project;
use crate::read::{self, Sources};
use crate::source::{FileId, FileKind, Span};
use crate::write::Change;
use crate::yaml::{self, Node, Value};

/// The kinds of names that can be renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A username: `users/*` `username`, groups' `members`.
    User,
    /// A group name: groups' `name` (nothing refers to groups in format 2).
    Group,
    /// A case type: modules' `case_type`, forms' `opens` entries and `updates`,
    /// project.yaml `shared_case_types`, in every app.
    CaseType,
    /// A role: a key of project.yaml `roles`, users' `role`.
    Role,
    /// A location code: locations' `code` and `parent`, users' `locations`.
    Location,
}

impl NameKind {
    /// The kind among all the names of [`crate::names`].
    fn names_kind(self) -> names::Kind {
        match self {
            NameKind::User => names::Kind::User,
            NameKind::Group => names::Kind::Group,
            NameKind::CaseType => names::Kind::CaseType,
            NameKind::Role => names::Kind::Role,
            NameKind::Location => names::Kind::Location,
        }
    }

    pub const ALL: [NameKind; 5] =
        [NameKind::User, NameKind::Group, NameKind::CaseType, NameKind::Role, NameKind::Location];

    /// The kind as the command line spells it: `user`, `case-type`, …
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::User => "user",
            NameKind::Group => "group",
            NameKind::CaseType => "case-type",
            NameKind::Role => "role",
            NameKind::Location => "location",
        }
    }

    /// The kind as the command line spells it, read back.
    pub fn parse(s: &str) -> Option<NameKind> {
        NameKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind in a sentence: `user`, `case type`, `location`, …
    pub fn noun(self) -> &'static str {
        match self {
            NameKind::CaseType => "case type",
            k => k.as_str(),
        }
    }

    /// The files that define or refer to names of this kind (format 1 users
    /// referred to groups too; project.yaml always counts).
    pub fn file_kinds(self) -> &'static [FileKind] {
        match self {
            NameKind::User | NameKind::Group => &[FileKind::Project, FileKind::Users, FileKind::Groups],
            NameKind::CaseType => &[FileKind::Project, FileKind::App],
            NameKind::Role => &[FileKind::Project, FileKind::Users],
            NameKind::Location => &[FileKind::Project, FileKind::Users, FileKind::Locations],
        }
    }

    /// Names that HQ takes for one: usernames fold case and white space, location
    /// codes case (`users/util.py:normalize_username`, site codes lowercased).
    fn fold(self, name: &str) -> std::borrow::Cow<'_, str> {
        names::folded(&self.names_kind(), name)
    }

    /// What a name of this kind is called: `username`, `location code`, …
    pub fn what(self) -> &'static str {
        match self {
            NameKind::User => "username",
            NameKind::Group => "group name",
            NameKind::CaseType => "case type",
            NameKind::Role => "role name",
            NameKind::Location => "location code",
        }
    }

    /// How HQ folds names of this kind ([`NameKind::fold`]), for messages.
    fn folding(self) -> &'static str {
        match self {
            NameKind::User => "it lowercases usernames and writes white space as `.`",
            NameKind::Location => "it lowercases location codes",
            _ => "",
        }
    }

    /// Whether names of this kind are defined somewhere (case types are only used).
    fn has_definitions(self) -> bool {
        self != NameKind::CaseType
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// One token that names a user, group, case type, role or location code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub file: FileId,
    /// The token's bytes in its file (quotes included).
    pub span: Span,
    /// It defines the name (a `username`, a group's `name`, a `roles` key, a
    /// location's `code`, a module's `case_type`) rather than refer to it.
    pub defines: bool,
}

/// Calls `f` on every token of a kind: the name, its file, and whether it defines it.
fn each_token<'p>(project: &'p Project, kind: NameKind, mut f: impl FnMut(&Token<'p>)) {
    names::each_token(project, Some(&kind.names_kind()), &mut |t| f(&t));
}

/// Every token of a project that names `name` as a `kind`, by file and position.
pub fn occurrences(project: &Project, kind: NameKind, name: &str) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let folded = kind.fold(name);
    each_token(project, kind, |t| {
        if kind.fold(t.name) == folded {
            out.push(Occurrence { file: t.file, span: t.span.clone(), defines: t.defines });
        }
    });
    out.sort_by_key(|o| (o.file, o.span.start, o.span.end));
    out.dedup();
    out
}

/// Why a name cannot be renamed. Every variant but [`RenameError::Problems`]
/// reads as one sentence (its `Display`), for the command line and the editor.
#[derive(Debug)]
pub enum RenameError {
    /// Files that could define or refer to the name did not load (or
    /// `project.yaml` did not): a reference in them could not be renamed.
    NotLoaded { kinds: Vec<FileKind> },
    /// OLD is not defined: the nearest defined name, and how many references
    /// name OLD anyway (unknown references, R001), the first at `at`.
    Unknown { kind: NameKind, name: String, suggestion: Option<String>, references: usize, at: Option<String> },
    /// NEW is not a valid name of its kind.
    Invalid { kind: NameKind, name: String, reason: String },
    /// NEW (or a name HQ takes for the same, such as `David` for `david`) is
    /// defined or referred to already, at `file`/`span` (`at`: `path:line:col`).
    Exists { kind: NameKind, name: String, new: String, defines: bool, file: FileId, span: Span, at: String },
    /// A token that cannot be changed alone: an alias, an anchored value used
    /// again elsewhere, a block scalar; or a value that YAML shares with it.
    Unsupported { file: FileId, span: Span, at: String, reason: String },
    /// Problems in the project's files that stop the rename (the command line
    /// renders them as diagnostics): files that do not load, format 1 files, a
    /// misshapen value that may hide a reference.
    Problems(Box<CheckResult>),
    /// Errors that `check` would report after the rename and not before
    /// (`CODE message` each).
    NewErrors(Vec<String>),
    /// A file could not be read (or read again: it changed meanwhile).
    Unreadable { path: String, message: String },
    /// The rename went wrong inside caseshare (a bug).
    Internal(String),
}

impl fmt::Display for RenameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenameError::NotLoaded { kinds } => {
                let folders: Vec<&str> = kinds.iter().map(|k| folder(*k)).collect();
                write!(
                    f,
                    "{} did not load, so the names in them cannot be renamed; fix them first",
                    folders.join(" and ")
                )
            }
            RenameError::Unknown { kind, name, suggestion, references, at } => {
                let noun = kind.noun();
                if kind.has_definitions() {
                    write!(f, "no {noun} named `{name}` is defined")?;
                } else {
                    write!(f, "no app uses a {noun} named `{name}`")?;
                }
                if let Some(at) = at {
                    let n = *references;
                    let (s, verb) = if n == 1 { ("", "names") } else { ("s", "name") };
                    write!(f, " ({n} unknown reference{s} {verb} it, the first at {at})")?;
                }
                match suggestion {
                    Some(s) => write!(f, " (did you mean `{s}`?)"),
                    None => Ok(()),
                }
            }
            RenameError::Invalid { kind, name, .. } if name.is_empty() => write!(f, "the new {} is empty", kind.what()),
            RenameError::Invalid { kind, name, reason } => {
                write!(f, "`{name}` is not a valid {}: {reason}", kind.what())
            }
            RenameError::Exists { kind, name, new, defines, at, .. } => {
                if *defines {
                    write!(f, "a {kind} named `{name}` exists already, defined at {at}")?;
                } else {
                    write!(
                        f,
                        "the {} `{name}` is in use already: it is referred to at {at}, though nothing defines it",
                        kind.what()
                    )?;
                }
                if name != new {
                    write!(f, " (HQ takes `{new}` for `{name}`: {})", kind.folding())?;
                }
                f.write_str("; choose another name")
            }
            RenameError::Unsupported { at, reason, .. } => write!(f, "cannot rename the value at {at}: {reason}"),
            RenameError::Problems(result) => {
                let n = result.diagnostics.len();
                let verb = if n == 1 { "stops" } else { "stop" };
                write!(f, "{n} problem{} in the project's files {verb} the rename", plural(n))
            }
            RenameError::NewErrors(errors) => {
                write!(f, "the rename would add {} error{}: {}", errors.len(), plural(errors.len()), errors.join("; "))
            }
            RenameError::Unreadable { path, message } => write!(f, "cannot read `{path}`: {message}"),
            RenameError::Internal(message) => write!(f, "{message}; please report this bug"),
        }
    }
}

impl std::error::Error for RenameError {}

/// The command line shows problems in files as diagnostics (exit 1); everything
/// else says why the rename cannot be done (exit 2), as `migrate` does.
impl From<RenameError> for Refusal {
    fn from(e: RenameError) -> Refusal {
        match e {
            RenameError::Problems(result) => Refusal::Problems(result),
            RenameError::Internal(_) => Refusal::Internal(e.to_string()),
            other => Refusal::Usage(other.to_string()),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn folder(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Project => "project.yaml",
        FileKind::App => "files in apps/",
        FileKind::Groups => "files in groups/",
        FileKind::Users => "files in users/",
        FileKind::Locations => "files in locations/",
        FileKind::Unknown => "other files",
    }
}

/// What keeps `name` from being a `kind` name; `None` when it can be one.
/// `domain` is the project's (HQ's username rules depend on it).
pub fn name_problem(kind: NameKind, name: &str, domain: Option<&str>) -> Option<String> {
    if name.is_empty() {
        return Some("a name cannot be empty".into());
    }
    if name.trim() != name {
        return Some("it starts or ends with white space".into());
    }
    if name.chars().any(char::is_control) {
        return Some("it holds a line break or another control character".into());
    }
    match kind {
        NameKind::User => crate::hq::users::username_problem(name, domain),
        NameKind::CaseType if !crate::rules::invalid_case_type::valid_case_type(name) => {
            Some("HQ allows only letters, digits, `_` and `-` in a case type".into())
        }
        NameKind::CaseType if name == "commcare-user" => {
            Some("`commcare-user` is HQ's user case, not a case type of your own".into())
        }
        NameKind::Location if name.chars().count() > MAX_SITE_CODE => {
            Some(format!("HQ's location codes hold at most {MAX_SITE_CODE} characters"))
        }
        // A role is a key of `roles`, and YAML reads no key longer than this.
        NameKind::Role if yaml::edit::scalar(name).chars().count() > MAX_KEY => {
            Some(format!("a role name is a key in project.yaml, and YAML keys hold at most {MAX_KEY} characters"))
        }
        _ => None,
    }
}

/// HQ's `SQLLocation.site_code` holds at most this many characters.
const MAX_SITE_CODE: usize = 255;

/// YAML reads an implicit key (`key: value`) of at most this many characters.
const MAX_KEY: usize = 1024;

/// The edits that rename `old` to `new` as a `kind`, per file (in file order,
/// each file's edits in text order): one edit per token that defines or names
/// `old`, and nothing else. `text` gives a file's text, the one the project was
/// loaded from (the language server passes its buffers); it is asked only for
/// the files that change and the file where a clash is reported.
///
/// Every spelling that HQ takes for `old` becomes `new`; a token that reads
/// `new` already is no edit (renaming `david` to `david` writes a `David`
/// elsewhere as `david`, and is no edit when there is none). Refused ([`RenameError`]): files of the
/// kinds that hold such names did not load (`NotLoaded`); `old` is not defined
/// (`Unknown`, with did-you-mean); `new` is not a valid name (`Invalid`), or is
/// defined or referred to already, also as a spelling HQ takes for the same
/// (`Exists`); a token that YAML shares with another value (`Unsupported`).
pub fn token_edits(
    project: &Project,
    text: impl Fn(FileId) -> Arc<str>,
    kind: NameKind,
    old: &str,
    new: &str,
) -> Result<Vec<(FileId, Vec<Edit>)>, RenameError> {
    let found = find_tokens(project, &text, kind, old, new)?;
    edits_at(project, &text, kind, old, new, found)
}

/// The tokens to edit, by file (each file's spans in text order), found
/// without reading a file: [`token_edits`]' refusals but `Unsupported` (and
/// `Internal`). The language server asks this while it holds the project's
/// index, and makes the edits after letting go of it.
pub fn find_tokens(
    project: &Project,
    text: &impl Fn(FileId) -> Arc<str>,
    kind: NameKind,
    old: &str,
    new: &str,
) -> Result<BTreeMap<FileId, Vec<Span>>, RenameError> {
    let Some(def) = &project.def else {
        return Err(RenameError::NotLoaded { kinds: vec![FileKind::Project] });
    };
    let failed: Vec<FileKind> = kind.file_kinds().iter().copied().filter(|k| project.kind_failed(*k)).collect();
    if !failed.is_empty() {
        return Err(RenameError::NotLoaded { kinds: failed });
    }
    let folded_new = kind.fold(new);
    // HQ takes names that fold alike for one: each spelling of OLD is renamed.
    let folded_old = kind.fold(old);
    let mut found: Vec<Occurrence> = Vec::new();
    // Which of them read NEW already (`david` when `David` becomes `david`):
    // they need no edit.
    let mut already: Vec<bool> = Vec::new();
    // The first token that NEW (or a name HQ takes for it) already stands in: a
    // definition if there is one.
    let mut clash: Option<Token<'_>> = None;
    each_token(project, kind, |t| {
        if kind.fold(t.name) == folded_old {
            found.push(Occurrence { file: t.file, span: t.span.clone(), defines: t.defines });
            already.push(t.name == new);
        } else if clash.as_ref().is_none_or(|c| !c.defines && t.defines) && kind.fold(t.name) == folded_new {
            clash = Some(t.clone());
        }
    });
    let defined = found.iter().any(|o| o.defines || !kind.has_definitions());
    if !defined {
        return Err(unknown(project, text, kind, old, &found));
    }
    let mut already = already.into_iter();
    found.retain(|_| !already.next().unwrap_or(false));
    if found.is_empty() {
        // A name renamed to itself, spelt so everywhere.
        return Ok(BTreeMap::new());
    }
    if let Some(reason) = name_problem(kind, new, def.domain.as_ref().map(|d| d.as_str())) {
        return Err(RenameError::Invalid { kind, name: new.to_string(), reason });
    }
    if let Some(c) = clash {
        let at = place(project, &text(c.file), c.file, c.span.start);
        return Err(RenameError::Exists {
            kind,
            name: c.name.to_string(),
            new: new.to_string(),
            defines: c.defines,
            file: c.file,
            span: c.span,
            at,
        });
    }
    let mut by_file: BTreeMap<FileId, Vec<Span>> = BTreeMap::new();
    for o in found {
        by_file.entry(o.file).or_default().push(o.span);
    }
    for spans in by_file.values_mut() {
        spans.sort_by_key(|s| (s.start, s.end));
        spans.dedup();
    }
    Ok(by_file)
}

/// The edits at the tokens [`find_tokens`] found: each renamed file is parsed
/// again and compared value by value with the original (`Unsupported` when
/// YAML takes another value from a renamed token).
pub fn edits_at(
    project: &Project,
    text: &impl Fn(FileId) -> Arc<str>,
    kind: NameKind,
    old: &str,
    new: &str,
    found: BTreeMap<FileId, Vec<Span>>,
) -> Result<Vec<(FileId, Vec<Edit>)>, RenameError> {
    let mut out = Vec::with_capacity(found.len());
    for (file, spans) in found {
        let text = text(file);
        let unsupported = |span: &Span, reason: String| RenameError::Unsupported {
            file,
            span: span.clone(),
            at: place(project, &text, file, span.start),
            reason,
        };
        let mut edits = Vec::with_capacity(spans.len());
        for span in spans {
            let style = style_of(&text, &span, old).map_err(|reason| unsupported(&span, reason))?;
            edits.push(Edit::new(span, token(style, old, new)));
        }
        let after = edit::apply(&text, &edits)
            .map_err(|e| RenameError::Internal(format!("{}: {e}", project.files[file].display)))?;
        match same_but_tokens(&text, &after, &edits, kind, old, new) {
            Ok(()) => {}
            Err(Mismatch::Value(at)) => {
                let back = edit::map_back(&edits, at.start);
                return Err(unsupported(
                    &(back..back),
                    format!(
                        "renaming `{old}` would change this value too: YAML takes it from a renamed one (an anchor `&` with an alias `*` or a merge key `<<`); write it out in full first"
                    ),
                ));
            }
            Err(Mismatch::Token(why)) => {
                return Err(RenameError::Internal(format!("{}: {why}", project.files[file].display)));
            }
        }
        out.push((file, edits));
    }
    Ok(out)
}

/// `Unknown`: OLD names no definition; the nearest name, and the references to OLD.
fn unknown(
    project: &Project,
    text: &impl Fn(FileId) -> Arc<str>,
    kind: NameKind,
    old: &str,
    references: &[Occurrence],
) -> RenameError {
    let mut names: Vec<&str> = Vec::new();
    each_token(project, kind, |t| {
        if t.defines || !kind.has_definitions() {
            names.push(t.name);
        }
    });
    names.sort_unstable();
    names.dedup();
    let suggestion = near::nearest(names.iter().copied(), old)
        .or_else(|| did_you_mean(old, names.iter().copied()))
        .map(str::to_string);
    let at = references.first().map(|o| place(project, &text(o.file), o.file, o.span.start));
    RenameError::Unknown { kind, name: old.to_string(), suggestion, references: references.len(), at }
}

/// `path:line:col` of an offset (1-based, columns in characters).
fn place(project: &Project, text: &str, file: FileId, offset: usize) -> String {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = crate::source::line_ends(before.as_bytes()).count() + 1;
    let start = crate::yaml::edit::line_start(text, offset);
    let col = before[start..].trim_start_matches('\u{feff}').chars().count() + 1;
    format!("{}:{line}:{col}", project.files[file].display)
}

/// How a token is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

/// How the token at `span` is written, or why it cannot be changed alone.
fn style_of(text: &str, span: &Span, old: &str) -> Result<Style, String> {
    let src = text.get(span.clone()).unwrap_or("");
    let shared = |anchor: &str| {
        format!(
            "it is anchored as `&{anchor}` and used again as `*{anchor}`, so renaming it would change that value too; write the value out in full first"
        )
    };
    if src.starts_with('*') {
        return Err(format!(
            "it is written as a YAML alias (`{}`); write the value out in full first",
            src.lines().next().unwrap_or(src)
        ));
    }
    let properties = &text[yaml::edit::with_properties(text, span.start)..span.start];
    if let Some(anchor) = properties.split_whitespace().find_map(|p| p.strip_prefix('&'))
        && aliased(text, anchor)
    {
        return Err(shared(anchor));
    }
    let style = match src.as_bytes().first() {
        Some(b'\'') => Style::Single,
        Some(b'"') => Style::Double,
        _ => Style::Plain,
    };
    let node = Node { span: span.clone(), value: Value::Str(old.to_string()) };
    if style == Style::Plain && !node.is_plain(text) && !properties.contains('!') {
        return Err("it is written as a block scalar (`|` or `>`); write it on one line first".into());
    }
    Ok(style)
}

/// Whether an alias `*anchor` stands somewhere in the text.
fn aliased(text: &str, anchor: &str) -> bool {
    let alias = format!("*{anchor}");
    text.match_indices(&alias).any(|(i, _)| {
        let next = text[i + alias.len()..].chars().next();
        next.is_none_or(|c| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}'))
    })
}

/// The new token: plain where YAML reads it back as the name ([`scalar`]); a
/// quoted token keeps its quotes when NEW needs quotes or OLD did not (quotes the
/// author chose), so that renaming back gives the original bytes.
///
/// [`scalar`]: crate::yaml::edit::scalar
fn token(style: Style, old: &str, new: &str) -> String {
    let minimal = yaml::edit::scalar(new);
    let needs_quotes = |s: &str| yaml::edit::scalar(s) != s;
    if style == Style::Plain || (!needs_quotes(new) && needs_quotes(old)) {
        return minimal;
    }
    match style {
        // Names hold no control characters (see `name_problem`); one that holds
        // a line separator is written double-quoted, as an escape.
        Style::Single if !new.chars().any(yaml::edit::escaped) => format!("'{}'", new.replace('\'', "''")),
        Style::Single => minimal,
        // A name that needs no quotes needs no escapes either.
        _ if minimal.starts_with('"') => minimal,
        _ => format!("\"{new}\""),
    }
}

/// How an edited file differs from the original beyond the renamed tokens.
#[derive(Debug)]
enum Mismatch {
    /// A value other than the renamed tokens reads differently (at this span of
    /// the edited text): YAML took it from a renamed token.
    Value(Span),
    /// A renamed token does not read back as the new name, or an edit is not at
    /// a token that read the old name, or a text does not parse: a bug, or a
    /// text that is not the one the project was loaded from.
    Token(String),
}

/// Checks that the edited text reads as the original with only the renamed
/// tokens changed: parsed again, every value equals the original's, except the
/// tokens at the edits' spans, which read `new` where they read `old`.
fn same_but_tokens(
    before: &str,
    after: &str,
    edits: &[Edit],
    kind: NameKind,
    old: &str,
    new: &str,
) -> Result<(), Mismatch> {
    let b = yaml::parse(before).map_err(|e| Mismatch::Token(format!("the file does not parse: {e}")))?;
    let a = yaml::parse(after).map_err(|e| Mismatch::Token(format!("the renamed file would not parse: {e}")))?;
    let spans = edits.iter().map(|e| &e.span).collect();
    let mut walk = Compare { text: before, spans, kind, old: kind.fold(old), new, renamed: 0 };
    walk.same(&b, &a)?;
    if walk.renamed == walk.spans.len() {
        Ok(())
    } else {
        Err(Mismatch::Token(format!(
            "{} of {} edits are not at a value",
            walk.spans.len() - walk.renamed,
            walk.spans.len()
        )))
    }
}

/// A walk over the original tree and the edited one, side by side.
struct Compare<'a> {
    text: &'a str,
    /// The edits' spans, sorted.
    spans: Vec<&'a Span>,
    kind: NameKind,
    /// The old name, folded as HQ folds names of its kind.
    old: std::borrow::Cow<'a, str>,
    new: &'a str,
    /// The edited tokens met so far.
    renamed: usize,
}

impl Compare<'_> {
    fn same(&mut self, b: &Node, a: &Node) -> Result<(), Mismatch> {
        // Only a scalar is a token: a list written without indentation starts
        // where its first item does, and one of one item has that item's span.
        let scalar = !matches!(b.value, Value::Seq(_) | Value::Map(_));
        if scalar && self.spans.binary_search_by_key(&(b.span.start, b.span.end), |s| (s.start, s.end)).is_ok() {
            self.renamed += 1;
            // A key that is not a string (a role `1:`) is named by its text.
            let was_old = b.as_str().unwrap_or_else(|| b.source(self.text).trim());
            let was_old = self.kind.fold(was_old) == self.old;
            return match (was_old, a.as_str() == Some(self.new)) {
                (true, true) => Ok(()),
                (false, _) => Err(Mismatch::Token(format!("the value at byte {} is not `{}`", b.span.start, self.old))),
                (true, false) => Err(Mismatch::Token(format!("`{}` does not read back as itself", self.new))),
            };
        }
        match (&b.value, &a.value) {
            (Value::Seq(bs), Value::Seq(as_)) if bs.len() == as_.len() => {
                bs.iter().zip(as_).try_for_each(|(b, a)| self.same(b, a))
            }
            (Value::Map(bm), Value::Map(am)) if bm.len() == am.len() => {
                bm.iter().zip(am).try_for_each(|((bk, bv), (ak, av))| {
                    self.same(bk, ak)?;
                    self.same(bv, av)
                })
            }
            (Value::Float(x), Value::Float(y)) if x.to_bits() == y.to_bits() => Ok(()),
            (Value::Null, Value::Null) => Ok(()),
            (Value::Bool(x), Value::Bool(y)) if x == y => Ok(()),
            (Value::Int(x), Value::Int(y)) if x == y => Ok(()),
            (Value::Str(x), Value::Str(y)) if x == y => Ok(()),
            _ => Err(Mismatch::Value(a.span.clone())),
        }
    }
}

/// A planned rename: the files that change, and what the user should know
/// (warnings that `check` would report after it and not before).
#[derive(Debug)]
pub struct Renamed {
    pub changes: Vec<Change>,
    pub notes: Vec<String>,
}

/// Plans `caseshare rename KIND OLD NEW` on a project that was read: the new
/// content of every file that defines or refers to `old`. Nothing is written.
///
/// Refused, besides [`token_edits`]'s reasons: while a file that could hold such
/// names does not load (Y001–Y003, F001, F004, F005), any file is format 1
/// (F002: migrate first), or a misshapen value that mentions `old` (S001–S003)
/// may hide a reference (`Problems`, as diagnostics); and when `check` would
/// report an error afterwards that it does not report now (`NewErrors`).
pub fn rename(sources: &Sources, kind: NameKind, old: &str, new: &str) -> Result<Renamed, RenameError> {
    rename_from(Input::Read(sources), &sources.config, kind, old, new)
}

/// [`rename`] of the project on disk at `root` (paths shown relative to `cwd`,
/// files excluded by `config` left out), read as `check` reads it: file by
/// file, each text let go once its model is made, and read again where the
/// name stands; the result is checked the same way, with the new texts of the
/// files renamed in. The project's texts are never all held at once.
pub fn rename_on_disk(
    root: &Path,
    cwd: &Path,
    config: &Config,
    kind: NameKind,
    old: &str,
    new: &str,
) -> Result<Renamed, RenameError> {
    rename_from(Input::Disk { root, cwd }, config, kind, old, new)
}

/// Where [`rename_from`] finds the project's files.
#[derive(Clone, Copy)]
enum Input<'a> {
    /// Files read already, texts and all.
    Read(&'a Sources),
    /// The disk, read file by file.
    Disk { root: &'a Path, cwd: &'a Path },
}

impl Input<'_> {
    /// The project checked with the default levels, with `changes` made.
    fn check(self, config: &Config, changes: &[Change]) -> CheckResult {
        match self {
            Input::Read(sources) if changes.is_empty() => check_sources(sources.clone(), &Config::default()),
            Input::Read(sources) => check_sources(sources.with_changes(changes), &Config::default()),
            Input::Disk { root, cwd } => {
                let given: HashMap<&str, &str> = changes.iter().map(|c| (c.rel.as_str(), c.after.as_str())).collect();
                check_listing(read::list(root, cwd, config), &given, &Config::default())
            }
        }
    }
}

fn rename_from(input: Input, config: &Config, kind: NameKind, old: &str, new: &str) -> Result<Renamed, RenameError> {
    let mut checked = input.check(config, &[]);
    if let Some(p) = checked.io_problems.first() {
        return Err(RenameError::Unreadable { path: p.path.clone(), message: p.message.clone() });
    }
    let blocking = blocking(&checked.project, &checked.diagnostics, kind, old, new);
    if !blocking.is_empty() {
        return Err(RenameError::Problems(Box::new(CheckResult { diagnostics: blocking, ..checked })));
    }
    // The texts of the files where OLD or NEW stands (in any spelling HQ takes
    // for them), set aside as they were loaded from disk, are read again
    // (unless they changed since): the edits and the messages need them.
    let (folded_old, folded_new) = (kind.fold(old), kind.fold(new));
    let mut with_name: Vec<FileId> = Vec::new();
    each_token(&checked.project, kind, |t| {
        if with_name.last() != Some(&t.file) && [&folded_old, &folded_new].contains(&&kind.fold(t.name)) {
            with_name.push(t.file);
        }
    });
    with_name.sort_unstable_by_key(|f| f.index());
    with_name.dedup();
    for file in with_name {
        let f = &mut checked.project.files[file.index()];
        if let Err(message) = f.restore() {
            return Err(RenameError::Unreadable { path: f.display.clone(), message });
        }
    }
    let project = &checked.project;
    let edits = token_edits(project, |f| project.files[f].text.clone(), kind, old, new)?;
    let mut changes = Vec::with_capacity(edits.len());
    for (file, edits) in &edits {
        let f = &project.files[*file];
        let after = edit::apply(&f.text, edits).map_err(|e| RenameError::Internal(format!("{}: {e}", f.display)))?;
        changes.push(Change {
            rel: f.rel.clone(),
            display: f.display.clone(),
            abs: f.abs.clone(),
            before: Some(f.text.to_string()),
            after,
        });
    }
    if changes.is_empty() {
        return Ok(Renamed { changes, notes: Vec::new() });
    }
    // What the comparison needs of the project as it is now is taken from it
    // (counts, and its diagnostics tallied as `check` reports them, at the
    // levels `caseshare.toml` gives them); then it goes, before the project
    // after the rename is checked: the two are not held at once (huge: a
    // rename's peak went from two checks' memory to one).
    let (before_new, _) = spellings(project, kind, old, new);
    let planned: usize = edits.iter().map(|(_, e)| e.len()).sum();
    let before = config.apply(checked.diagnostics);
    let (errors, warnings) =
        (Tally::of(&before, Severity::Error, kind, old, new), Tally::of(&before, Severity::Warning, kind, old, new));
    drop(before);
    drop(checked.project);
    let after = input.check(config, &changes);
    // Every token of OLD (in any spelling HQ takes for it) reads NEW now: those
    // renamed, and those that read it already.
    let (after_new, left) = spellings(&after.project, kind, old, new);
    let renamed = after_new.saturating_sub(before_new);
    if left > 0 || renamed != planned {
        return Err(RenameError::Internal(format!(
            "after the rename, {left} token{} still read `{old}` and {renamed} of {planned} read `{new}`",
            plural(left)
        )));
    }
    // The files that stop a rename are found at the rules' own levels above:
    // no setting lets a broken file through.
    drop(after.project);
    let after = config.apply(after.diagnostics);
    let errors = errors.added(&after);
    if !errors.is_empty() {
        return Err(RenameError::NewErrors(errors));
    }
    Ok(Renamed { changes, notes: warning_notes(warnings.added(&after)) })
}

/// What a rename tells of the warnings it brings out (each `CODE message`, as
/// [`Tally::added`] gives them): the command prints them, the editor shows them
/// before the edit is applied or with it.
pub fn warning_notes(added: Vec<String>) -> Vec<String> {
    added.into_iter().map(|w| format!("after this rename `caseshare check` reports a new warning: {w}")).collect()
}

/// How many diagnostics of a severity a project has, by code and message (a
/// message's `old` and `new` names, in any spelling HQ takes for either, as one
/// placeholder: an error about `David` is the one about `dave` after `david`
/// becomes `dave`), to tell what a rename
/// adds ([`Tally::added`]: each as `CODE message`; a diagnostic that names the
/// old name before and the new one after is the same diagnostic, one reported
/// twice before and three times after is added once). Each is kept as a 64-bit hash, not as its text: a
/// project where every one of half a million users lacks an owner has as many
/// errors, and the language server holds this while it analyses the rename's
/// result. Two different messages would have to hash alike for an added error
/// to go unseen.
#[derive(Debug)]
pub struct Tally {
    severity: Severity,
    kind: NameKind,
    /// `old` and `new` as given (a name may hold a backtick).
    given: [String; 2],
    /// `old` and `new` as HQ folds them.
    names: [String; 2],
    counts: HashMap<u64, u32, foldhash::fast::FixedState>,
}

impl Tally {
    pub fn of(diagnostics: &[Diagnostic], severity: Severity, kind: NameKind, old: &str, new: &str) -> Tally {
        let mut tally = Tally {
            severity,
            kind,
            given: [old.to_string(), new.to_string()],
            names: [kind.fold(old).into_owned(), kind.fold(new).into_owned()],
            counts: HashMap::with_hasher(foldhash::fast::FixedState::default()),
        };
        for d in diagnostics.iter().filter(|d| d.severity == severity) {
            *tally.counts.entry(tally.key(d)).or_default() += 1;
        }
        tally
    }

    fn key(&self, d: &Diagnostic) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = self.counts.hasher().build_hasher();
        d.code().hash(&mut h);
        // The message, each value in backticks that is `old` or `new` (as
        // given, which may hold a backtick, or in another spelling HQ takes for
        // either) replaced by a NUL (which no message holds).
        let mut rest = d.message.as_str();
        while let Some(at) = rest.find('`') {
            h.write(&rest.as_bytes()[..at]);
            let after = &rest[at + 1..];
            let quoted = |n: &String| after.strip_prefix(n.as_str()).and_then(|r| r.strip_prefix('`'));
            if let Some(next) = self.given.iter().find_map(quoted) {
                h.write_u8(0);
                rest = next;
                continue;
            }
            let Some(end) = after.find('`') else {
                h.write(&rest.as_bytes()[at..]);
                rest = "";
                break;
            };
            let value = &after[..end];
            if self.names.iter().any(|n| *n == self.kind.fold(value)) {
                h.write_u8(0);
            } else {
                h.write(&rest.as_bytes()[at..at + end + 2]);
            }
            rest = &after[end + 1..];
        }
        h.write(rest.as_bytes());
        h.finish()
    }

    /// The diagnostics of the severity in `after` beyond those tallied, each as
    /// `CODE message` (the tally is used up).
    pub fn added(mut self, after: &[Diagnostic]) -> Vec<String> {
        let mut added = Vec::new();
        for d in after.iter().filter(|d| d.severity == self.severity) {
            match self.counts.get_mut(&self.key(d)) {
                Some(n) if *n > 0 => *n -= 1,
                _ => added.push(format!("{} {}", d.code(), d.message)),
            }
        }
        added
    }
}

/// Tokens that name `old` or `new` (in any spelling HQ takes for either): how
/// many read `new` as it is written, and how many do not.
fn spellings(project: &Project, kind: NameKind, old: &str, new: &str) -> (usize, usize) {
    let (old, folded_new) = (kind.fold(old), kind.fold(new));
    let (mut reading, mut other) = (0, 0);
    each_token(project, kind, |t| {
        let folded = kind.fold(t.name);
        if t.name == new {
            reading += 1;
        } else if folded == old || folded == folded_new {
            other += 1;
        }
    });
    (reading, other)
}

/// The problems that stop a rename: a file that could hold such names and does
/// not load; any format 1 file; a value the schema check reported (S001–S003),
/// in such a file, whose mapping mentions `old` (a misspelt `members`, a group
/// without `name`: the model leaves it out, so a reference in it would be
/// missed) or `new` (a group whose `name: [x]` is misshapen: renamed to `x`, a
/// group would be defined twice once it is fixed).
///
/// The language server asks the same of its latest analysis before a rename.
pub fn blocking(
    project: &Project,
    diagnostics: &[Diagnostic],
    kind: NameKind,
    old: &str,
    new: &str,
) -> Vec<Diagnostic> {
    let files = &project.files;
    let relevant = |d: &Diagnostic| kind.file_kinds().contains(&files[d.file].kind);
    let mut parsed: HashMap<FileId, Option<Node>> = HashMap::new();
    let domain = project.def.as_ref().and_then(|d| d.domain.as_ref()).map(|d| d.as_str());
    // Each diagnostic that stops the rename, with the name its misshapen value
    // mentions (`old` first), if any.
    let stopping = diagnostics
        .iter()
        .filter(|d| files[d.file].kind != FileKind::Unknown && d.rule.blocks_rewrite())
        .filter_map(|d| match d.code() {
            "F002" => Some((d, None)),
            "S001" | "S002" | "S003" if relevant(d) => {
                let text = &files[d.file].text;
                let root = parsed.entry(d.file).or_insert_with(|| yaml::parse(text).ok());
                let around = root.as_ref().map_or(0..text.len(), |r| mapping_around(r, d.span.start));
                // NEW as a whole value, when it is a name at all (else the
                // rename is refused for that, later).
                let mentioned = [(old, false), (new, true)]
                    .into_iter()
                    .filter(|&(n, whole)| !whole || name_problem(kind, n, domain).is_none())
                    .find(|&(n, whole)| mentions(text, root.as_ref(), &around, kind, n, whole))
                    .map(|(n, _)| n);
                (mentioned.is_some() || incomplete(d.file, &files[d.file])).then_some((d, mentioned))
            }
            "S001" | "S002" | "S003" | "S004" => None,
            _ => relevant(d).then_some((d, None)),
        });
    stopping
        .map(|(d, named)| match d.code() {
            // An empty file keeps its own help (migrate leaves it as it is).
            "F002" if !blank(&files[d.file].text) => d.clone().help("run `caseshare migrate --write` first, then rename"),
            c if c.starts_with('S') => {
                let fix = d.help.as_deref().unwrap_or("fix the value");
                let help = match named {
                    Some(n) if n != old => format!(
                        "{fix}; this value may hold `{n}` already, which the rename would then define twice, so fix it first"
                    ),
                    _ => format!("{fix}; this value may hold a reference to `{old}` that the rename would miss, so fix it first"),
                };
                Diagnostic { help: Some(help.into()), ..d.clone() }
            }
            _ => d.clone(),
        })
        .collect()
}

/// Whether the text at `around` may name `old`, in any spelling HQ takes for
/// it: its text does (`David` for `david`, also within a longer value), or one
/// of the values in it reads so once YAML's escapes are read (`"d\u0061vid"`).
fn mentions(text: &str, root: Option<&Node>, around: &Span, kind: NameKind, old: &str, whole: bool) -> bool {
    let folded = kind.fold(old);
    if !whole && text.get(around.clone()).is_some_and(|t| kind.fold(t).contains(&*folded)) {
        return true;
    }
    // Values written there: an alias (`*m`) repeats a value written elsewhere,
    // which a rename there finds.
    let any_value = |node: &Node, f: &dyn Fn(&str) -> bool| {
        fn walk(node: &Node, text: &str, around: &Span, f: &dyn Fn(&str) -> bool) -> bool {
            let span = &node.span;
            if span.end <= around.start
                || span.start >= around.end
                || text.get(span.start..).is_none_or(|t| t.starts_with('*'))
            {
                return false;
            }
            match &node.value {
                Value::Str(s) => f(s),
                Value::Seq(items) => items.iter().any(|n| walk(n, text, around, f)),
                Value::Map(entries) => {
                    entries.iter().any(|(k, v)| walk(k, text, around, f) || walk(v, text, around, f))
                }
                _ => false,
            }
        }
        walk(node, text, around, f)
    };
    let matches = |s: &str| if whole { kind.fold(s) == folded } else { kind.fold(s).contains(&*folded) };
    root.is_some_and(|r| any_value(r, &matches))
}

/// Whether a text holds no YAML value (nothing, or only comments).
fn blank(text: &str) -> bool {
    matches!(yaml::parse(text), Ok(Node { value: Value::Null, .. }))
}

/// Whether a file's definitions were not all read: it did not load, or its top
/// list (`users:`, …) was missing or misshapen.
fn incomplete(id: FileId, file: &crate::source::SourceFile) -> bool {
    use crate::load::Loaded;
    match crate::load::stage(id, file).1 {
        None => true,
        Some(Loaded::Groups(_, complete) | Loaded::Users(_, complete) | Loaded::Locations(_, complete)) => !complete,
        Some(Loaded::Project(_) | Loaded::App(_)) => false,
    }
}

/// The span of the innermost mapping that holds `offset` (the whole text's when none).
fn mapping_around(root: &Node, offset: usize) -> Span {
    let mut best = root.span.clone();
    let mut node = root;
    loop {
        let children: Vec<&Node> = match &node.value {
            Value::Map(entries) => {
                best = node.span.clone();
                entries.iter().flat_map(|(k, v)| [k, v]).collect()
            }
            Value::Seq(items) => items.iter().collect(),
            _ => return best,
        };
        match children.into_iter().find(|c| c.span.start <= offset && offset < c.span.end.max(c.span.start + 1)) {
            Some(c) => node = c,
            None => return best,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a rename adds: a message that names the old name before and the
    /// new one after is the same; one more of the same message is one added;
    /// warnings are tallied apart from errors.
    #[test]
    fn a_tally_counts_messages_with_the_names_as_one() {
        use crate::diagnostic::Place;
        use crate::rules::{case_type_near_miss, unknown_reference};
        let at = || Place::new(FileId::new(0), 0..1);
        let error = |m: &str| Diagnostic::new(&unknown_reference::RULE, at(), m);
        let warning = |m: &str| Diagnostic::new(&case_type_near_miss::RULE, at(), m);
        let before = [
            error("unknown role `chw` of `david`"),
            error("unknown app `x`"),
            error("unknown app `x`"),
            warning("case type `visit` nearly matches `visits`"),
        ];
        let after = [
            error("unknown role `health.worker` of `david`"),
            error("unknown app `x`"),
            error("unknown app `x`"),
            error("unknown app `x`"),
            error("unknown app `chw`, `health.worker`"),
            warning("case type `visit` nearly matches `visits`"),
            warning("case type `health.worker` nearly matches `visits`"),
        ];
        let errors = Tally::of(&before, Severity::Error, NameKind::Role, "chw", "health.worker").added(&after);
        assert_eq!(errors, ["R001 unknown app `x`", "R001 unknown app `chw`, `health.worker`"]);
        let warnings = Tally::of(&before, Severity::Warning, NameKind::Role, "chw", "health.worker").added(&after);
        assert_eq!(warnings, ["C002 case type `health.worker` nearly matches `visits`"]);
        assert!(Tally::of(&before, Severity::Error, NameKind::Role, "chw", "health.worker").added(&before).is_empty());
    }

    #[test]
    fn tokens_keep_chosen_quotes() {
        assert_eq!(token(Style::Plain, "david", "dave"), "dave");
        assert_eq!(token(Style::Plain, "david", "yes"), "\"yes\"");
        assert_eq!(token(Style::Single, "david", "dave"), "'dave'");
        assert_eq!(token(Style::Single, "david", "it's"), "'it''s'");
        assert_eq!(token(Style::Double, "david", "dave"), "\"dave\"");
        assert_eq!(token(Style::Double, "david", "a: b"), "\"a: b\"");
        // Quotes that OLD needed are not kept for a NEW that needs none.
        assert_eq!(token(Style::Double, "yes", "david"), "david");
        assert_eq!(token(Style::Single, "yes", "no"), "'no'");
        // A line separator is an escape, in double quotes whatever OLD had.
        for style in [Style::Plain, Style::Single, Style::Double] {
            assert_eq!(token(style, "a b", "North \u{2028} team"), "\"North \\u2028 team\"");
        }
    }

    #[test]
    fn an_edit_that_does_not_read_back_is_caught() {
        let text = "a: [david, x]\nb: david\n";
        let check = |edits: &[Edit]| {
            let after = edit::apply(text, edits).unwrap();
            same_but_tokens(text, &after, edits, NameKind::User, "david", "true")
        };
        // Written plain, `true` is a boolean.
        let plain = [Edit::new(4..9, "true"), Edit::new(17..22, "true")];
        assert!(matches!(check(&plain), Err(Mismatch::Token(_))));
        let quoted = [Edit::new(4..9, "\"true\""), Edit::new(17..22, "\"true\"")];
        assert!(check(&quoted).is_ok());
        // An edit that is not at a value that read the old name.
        assert!(matches!(check(&[Edit::new(11..12, "\"true\"")]), Err(Mismatch::Token(_))));
    }

    #[test]
    fn aliases_are_found_whole() {
        assert!(aliased("a: &x 1\nb: *x\n", "x"));
        assert!(aliased("a: &x 1\nb: [*x]\n", "x"));
        assert!(!aliased("a: &x 1\nb: *xy\n", "x"));
    }

    #[test]
    fn kinds_read_back() {
        for k in NameKind::ALL {
            assert_eq!(NameKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(NameKind::CaseType.noun(), "case type");
    }
}
