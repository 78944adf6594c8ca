//! The language server's requests: go to definition, find references,
//! completion, hover, code actions (the `--fix` repairs, and "allow CODE
//! here") and rename. The name under the cursor is found in the buffer as it is
//! now (the file is parsed again, alone, which takes little); the places it
//! stands in across the project come from the latest snapshot.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use lsp_server::Request;
use lsp_types::{
    CodeAction, CodeActionKind, CompletionItem, CompletionItemKind, CompletionList, CompletionTextEdit, Hover,
    HoverContents, Location, MarkupContent, MarkupKind, Position, Range, TextEdit, WorkspaceEdit,
};
use serde_json::{Value, json};

use super::position::Lines;
use super::state::Snapshot;
use super::{Client, Document, Event, Snapshots};
use crate::diagnostic::Severity;
use crate::diff::markdown::code;
use crate::load;
use crate::names::{self, Kind, Token};
use crate::source::{FileId, FileKind, SourceFile};
use crossbeam_channel::Sender;

/// Why a request gets an error instead of a result.
pub enum Failure {
    Unknown,
    /// The document is not one the server serves (not open, or in no project):
    /// nothing to say of it.
    Nothing,
    BadParams(String),
    Refused(String),
}

/// What the server offers (the `initialize` result's `capabilities`).
pub fn capabilities() -> Value {
    json!({
        "textDocumentSync": {"openClose": true, "change": 2, "save": {"includeText": false}},
        "definitionProvider": true,
        "referencesProvider": true,
        "hoverProvider": true,
        "completionProvider": {"triggerCharacters": [" ", "[", ",", ":"]},
        "codeActionProvider": {"codeActionKinds": ["quickfix"]},
        "renameProvider": {"prepareProvider": true},
    })
}

pub fn handle(
    req: &Request,
    docs: &HashMap<String, Document>,
    snapshots: &Snapshots,
    events: &Sender<Event>,
    client: &Client,
) -> Result<Value, Failure> {
    use lsp_types::request::{
        CodeActionRequest, Completion, GotoDefinition, HoverRequest, PrepareRenameRequest, References, Rename,
        Request as _,
    };
    let params = &req.params;
    match req.method.as_str() {
        GotoDefinition::METHOD => {
            let (doc, pos) = position_params(params, docs)?;
            Ok(with_cursor(doc, pos, snapshots, |cx| {
                let defs: Vec<Location> = cx.places(true);
                json!(defs)
            }))
        }
        References::METHOD => {
            let (doc, pos) = position_params(params, docs)?;
            let include = params.pointer("/context/includeDeclaration").and_then(Value::as_bool).unwrap_or(true);
            Ok(with_cursor(doc, pos, snapshots, |cx| {
                // The references, then (when asked) the definitions, each place once.
                let mut places = cx.places(false);
                if include {
                    for p in cx.places(true) {
                        if !places.contains(&p) {
                            places.push(p);
                        }
                    }
                }
                json!(places)
            }))
        }
        HoverRequest::METHOD => {
            let (doc, pos) = position_params(params, docs)?;
            Ok(hover(doc, pos, snapshots))
        }
        Completion::METHOD => {
            let (doc, pos) = position_params(params, docs)?;
            Ok(completion(doc, pos, snapshots))
        }
        CodeActionRequest::METHOD => {
            let doc = document(params, docs)?;
            let range: Range = serde_json::from_value(params.get("range").cloned().unwrap_or_default())
                .map_err(|e| Failure::BadParams(e.to_string()))?;
            Ok(code_actions(doc, range, snapshots))
        }
        PrepareRenameRequest::METHOD => {
            let (doc, pos) = position_params(params, docs)?;
            Ok(with_cursor(doc, pos, snapshots, |cx| {
                // Not a name `rename` renames, or a write is half done (see `rename`).
                if renamable(&cx.token.kind).is_none() || crate::write::journal::pending(&cx.doc.root) {
                    return Value::Null;
                }
                let lines = Lines::new(&cx.doc.text);
                json!({"range": lines.range(&cx.token.span), "placeholder": cx.token.name})
            }))
        }
        Rename::METHOD => {
            let (doc, pos) = position_params(params, docs)?;
            let new = params.get("newName").and_then(Value::as_str).ok_or(Failure::BadParams("no newName".into()))?;
            rename(doc, pos, new, snapshots, events).map(|r| renamed(r, docs, client))
        }
        _ => Err(Failure::Unknown),
    }
}

fn document<'d>(params: &Value, docs: &'d HashMap<String, Document>) -> Result<&'d Document, Failure> {
    let uri = params
        .pointer("/textDocument/uri")
        .and_then(Value::as_str)
        .ok_or(Failure::BadParams("no textDocument".into()))?;
    docs.get(uri).ok_or(Failure::Nothing)
}

fn position_params<'d>(
    params: &Value,
    docs: &'d HashMap<String, Document>,
) -> Result<(&'d Document, Position), Failure> {
    let doc = document(params, docs)?;
    let pos: Position = serde_json::from_value(params.get("position").cloned().unwrap_or_default())
        .map_err(|e| Failure::BadParams(e.to_string()))?;
    Ok((doc, pos))
}

/// The snapshot of the document's project that took in the buffers as they
/// are now (waiting for its analysis); with `analysed`, with its diagnostics.
fn snapshot(doc: &Document, snapshots: &Snapshots, analysed: bool) -> Option<Arc<Snapshot>> {
    snapshots.current(&doc.root, analysed).map(|(snapshot, _)| snapshot)
}

/// A token of the buffer, owning its name (the buffer's model lives only while
/// its tokens are read).
struct Here {
    kind: Kind,
    name: String,
    span: crate::source::Span,
}

/// The token at `offset` in the document as it is now (`named`: only one with
/// a name): from the snapshot's model of the file when the snapshot took in
/// this very buffer, else from the file parsed alone (a 200 KB groups file
/// takes 2.5 MB to parse, and every request would).
fn token_at(doc: &Document, offset: usize, named: bool, snap: Option<&Snapshot>) -> Option<Here> {
    let kind = FileKind::of(&doc.rel)?;
    let at = |t: &Token| t.span.start <= offset && offset <= t.span.end && !(named && t.name.is_empty());
    let here = |t: Token| Here { kind: t.kind, name: t.name.to_string(), span: t.span };
    let analysed = snap.and_then(|snap| {
        let file = snap.file_of(&doc.rel)?;
        Arc::ptr_eq(&snap.project().files[file].text, &doc.text).then_some((snap, file))
    });
    if let Some((snap, file)) = analysed {
        let mut found = None;
        names::each_token_of(snap.project(), file, &mut |t| {
            if found.is_none() && at(&t) {
                found = Some(here(t));
            }
        });
        return found;
    }
    let file = SourceFile::new(doc.rel.clone(), doc.rel.clone(), doc.rel.clone().into(), kind, doc.text.clone());
    let (_, loaded) = load::stage(FileId(0), &file);
    let loaded = loaded?;
    names::file_tokens(&loaded).into_iter().find(at).map(here)
}

/// The name under the cursor, with the project around it.
struct Cursor<'a> {
    doc: &'a Document,
    token: Here,
    snapshot: Option<Arc<Snapshot>>,
}

impl Cursor<'_> {
    /// The places the token's name is defined (`defines`) or referred to.
    fn places(&self, defines: bool) -> Vec<Location> {
        let Some(snap) = &self.snapshot else { return Vec::new() };
        let (kind, name) = (&self.token.kind, names::folded(&self.token.kind, &self.token.name));
        let mut matching: Vec<Token> = Vec::new();
        names::each_token(snap.project(), Some(kind), &mut |t| {
            if names::folded(kind, t.name) == name {
                matching.push(t);
            }
        });
        // A case type has no one definition: where modules list it, else every use.
        if defines && self.token.kind == Kind::CaseType && !matching.iter().any(|t| t.defines) {
            return locations(snap, &matching);
        }
        matching.retain(|t| t.defines == defines);
        locations(snap, &matching)
    }
}

fn locations(snap: &Snapshot, tokens: &[Token]) -> Vec<Location> {
    let mut texts: BTreeMap<FileId, Arc<str>> = BTreeMap::new();
    tokens
        .iter()
        .map(|t| {
            let text = texts.entry(t.file).or_insert_with(|| snap.text(t.file));
            Location { uri: snap.uri(t.file), range: Lines::new(text).range(&t.span) }
        })
        .collect()
}

/// Runs `f` with the name under the cursor; `null` when there is none.
fn with_cursor(doc: &Document, pos: Position, snapshots: &Snapshots, f: impl FnOnce(&Cursor<'_>) -> Value) -> Value {
    let offset = Lines::new(&doc.text).offset(pos);
    let snapshot = snapshot(doc, snapshots, false);
    match token_at(doc, offset, true, snapshot.as_deref()) {
        Some(token) => f(&Cursor { doc, token, snapshot }),
        None => Value::Null,
    }
}

fn hover(doc: &Document, pos: Position, snapshots: &Snapshots) -> Value {
    let offset = Lines::new(&doc.text).offset(pos);
    let snap = snapshot(doc, snapshots, true);
    let mut parts: Vec<String> = Vec::new();
    let token = token_at(doc, offset, false, snap.as_deref());
    if let (Some(t), Some(snap)) = (&token, &snap) {
        parts.extend(describe(t, snap));
    }
    // The documentation of the rules whose diagnostics cover the cursor.
    if let Some(snap) = &snap
        && let Some(file) = snap.file_of(&doc.rel)
        && *snap.text(file) == *doc.text
    {
        let mut seen = Vec::new();
        for d in snap
            .diagnostics
            .iter()
            .filter(|d| labelled_in(d, file).any(|s| s.start <= offset && offset <= s.end.max(s.start + 1)))
        {
            if !seen.contains(&d.code()) {
                seen.push(d.code());
                let doc_text: String =
                    d.rule.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n");
                parts.push(format!("**{} ({})**\n\n{doc_text}", d.code(), d.rule.name));
            }
        }
    }
    if parts.is_empty() {
        return Value::Null;
    }
    json!(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: parts.join("\n\n---\n\n") }),
        range: None
    })
}

/// What hover says of a name: a user's case owners and apps, a case type's apps.
fn describe(t: &Here, snap: &Snapshot) -> Option<String> {
    snap.analysis.as_ref()?.with_dependent(|project, index| {
        let ix = index.as_ref()?;
        match &t.kind {
            Kind::User => {
                let user = ix.user(&t.name)?;
                let owners = ix.owners(user);
                let mut lines = vec![format!("**user {}**", code(&t.name))];
                match owners {
                    Some(o) => {
                        let mut names: Vec<String> =
                            o.groups.iter().map(|m| format!("group {}", code(&m.group.name.value))).collect();
                        for l in &o.locations {
                            if l.owns {
                                names.push(format!("location {}", code(&l.location.code.value)));
                            }
                            if l.below > 0 {
                                names.push(format!(
                                    "{} case-owning locations below {}",
                                    l.below,
                                    code(&l.location.code.value)
                                ));
                            }
                        }
                        let list = if names.is_empty() { "none".to_string() } else { names.join(", ") };
                        lines.push(format!("case owners ({}): {list}", o.count()));
                    }
                    None => lines.push("case owners: unknown (a location is not defined)".into()),
                }
                let apps: Vec<String> = match user.role.as_ref().and_then(|r| ix.roles.get(r.as_str())) {
                    Some(role) => match &role.apps {
                        crate::model::RoleApps::List(ids) => ids.iter().map(|a| code(&a.value)).collect(),
                        _ => ix.apps.iter().map(|a| code(&a.app.id.value)).collect(),
                    },
                    None => ix.apps.iter().map(|a| code(&a.app.id.value)).collect(),
                };
                lines.push(format!(
                    "reaches apps: {}",
                    if apps.is_empty() { "none".to_string() } else { apps.join(", ") }
                ));
                Some(lines.join("\n\n"))
            }
            Kind::CaseType => {
                let users: Vec<String> = ix
                    .apps
                    .iter()
                    .filter(|a| a.first_use.contains_key(t.name.as_str()))
                    .map(|a| {
                        format!(
                            "{} (case sharing {})",
                            code(&a.app.id.value),
                            if a.app.case_sharing() { "on" } else { "off" }
                        )
                    })
                    .collect();
                Some(format!(
                    "**case type {}**\n\nused by apps: {}",
                    code(&t.name),
                    if users.is_empty() { "none".into() } else { users.join(", ") }
                ))
            }
            Kind::Group => {
                let g = ix.group(t.name.as_str())?;
                Some(format!(
                    "**group {}**\n\ncase sharing {}; {} members",
                    code(&t.name),
                    if g.case_sharing() { "on" } else { "off" },
                    g.members.len()
                ))
            }
            Kind::Role => {
                let role = ix.roles.get(t.name.as_str())?;
                let apps = match &role.apps {
                    crate::model::RoleApps::List(ids) => {
                        ids.iter().map(|a| code(&a.value)).collect::<Vec<_>>().join(", ")
                    }
                    crate::model::RoleApps::All => "all".into(),
                    crate::model::RoleApps::Unknown => "unknown".into(),
                };
                let users =
                    project.users.iter().filter(|u| u.role.as_ref().is_some_and(|r| r.value == *t.name)).count();
                Some(format!("**role {}**\n\napps: {apps}; {users} users", code(&t.name)))
            }
            _ => None,
        }
    })
}

/// The key whose value the cursor is in, from the text before it (the buffer may
/// not parse while it is being typed): `members` in `members: [david, ma|`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = crate::yaml::edit::line_start(text, offset);
    let before = &text[start..offset];
    let key_in = |s: &str| -> Option<String> {
        // Not a colon of the line's comment (`members:  # team: north`).
        let s = code_of(s).1.map_or(s, |c| &s[..c]).trim_end();
        let cut = s.rfind(':')?;
        let head = &s[..cut];
        let key: String = head
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        (!key.is_empty()).then_some(key)
    };
    // On this line: `key: value`, `key: [a, b`, `{key: v, key2: w`.
    if let Some(colon) =
        before.rfind(": ").or_else(|| before.trim_end().ends_with(':').then(|| before.trim_end().len() - 1))
    {
        let after = &before[colon + 1..];
        if !after.contains(['{', '}']) || after.rfind('[') > after.rfind(']') {
            return key_in(&before[..colon + 1]);
        }
    }
    // In a flow list opened on a line above: `members: [david,⏎  ma|`.
    if let Some(open) = unclosed_list(&text[..offset]) {
        let line = crate::yaml::edit::line_start(text, open);
        return key_in(&text[line..open]);
    }
    // A block list item: the key of the first line above that is less indented.
    let indent = before.len() - before.trim_start().len();
    if before.trim_start().starts_with('-') {
        for line in text[..start].lines().rev() {
            let trimmed = line.trim_start();
            let ind = line.len() - trimmed.len();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if ind < indent || (ind == indent && !trimmed.starts_with('-')) {
                return key_in(trimmed);
            }
        }
    }
    None
}

/// A line read as YAML reads it: its characters outside quotes, with their
/// offsets, up to its comment (a `#` at its start or after white space,
/// outside quotes), and where that comment starts.
fn code_of(line: &str) -> (Vec<(usize, char)>, Option<usize>) {
    let mut code = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            // `\"` in double quotes (`''` in single quotes closes and opens again).
            (Some('"'), _) if escaped => escaped = false,
            (Some('"'), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') if i == 0 || line[..i].ends_with([' ', '\t']) => return (code, Some(i)),
            (None, c) => code.push((i, c)),
        }
    }
    (code, None)
}

/// The lines of `text` from the last up, each with where it starts (and its
/// line break), without a collected list (a file may be large).
fn lines_back(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut end = text.len();
    std::iter::from_fn(move || {
        if end == 0 {
            return None;
        }
        // The line's own break is not where it starts (the cursor's line may
        // end in a character of several bytes: no byte is stepped back over).
        let before = &text[..end];
        let body = before.strip_suffix('\n').unwrap_or(before);
        let body = body.strip_suffix('\r').unwrap_or(body);
        let start = body.rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let line = &text[start..end];
        end = start;
        Some((start, line))
    })
}

/// Where the flow list (`[`) that `text` ends inside opens, if it does, back to
/// the start of the block entry it is in; quotes and comments are skipped.
fn unclosed_list(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (start, line) in lines_back(text) {
        let (code, _) = code_of(line);
        for &(at, c) in code.iter().rev() {
            match c {
                ']' | '}' => depth += 1,
                '[' | '{' if depth > 0 => depth -= 1,
                '[' => return Some(start + at),
                '{' => return None,
                _ => {}
            }
        }
        // A line of a block entry (`key: …`, `- …`) outside any list: stop there.
        let code: String = code.iter().map(|(_, c)| *c).collect();
        let trimmed = code.trim();
        if depth == 0 && (trimmed.starts_with("- ") || trimmed.contains(": ") || trimmed.ends_with(':')) {
            return None;
        }
    }
    None
}

fn completion(doc: &Document, pos: Position, snapshots: &Snapshots) -> Value {
    let Some(snap) = snapshot(doc, snapshots, false) else { return Value::Null };
    let Some(file_kind) = FileKind::of(&doc.rel) else { return Value::Null };
    let lines = Lines::new(&doc.text);
    let offset = lines.offset(pos);
    let line_start = crate::yaml::edit::line_start(&doc.text, offset);
    // Not in a comment.
    if code_of(&doc.text[line_start..offset]).1.is_some() {
        return Value::Null;
    }
    let Some(key) = key_at(&doc.text, offset) else { return Value::Null };
    let kind = match (file_kind, key.as_str()) {
        (FileKind::Groups, "members") => Kind::User,
        (FileKind::Users, "role") => Kind::Role,
        // Format 1 kept memberships on users: named while a project is migrated.
        (FileKind::Users, "groups") => Kind::Group,
        (FileKind::Users, "locations") | (FileKind::Locations, "parent") => Kind::Location,
        (FileKind::Locations, "type") => Kind::LocationType,
        (FileKind::Project, "parent") => Kind::LocationType,
        (FileKind::Project, "apps") => Kind::App,
        (FileKind::App | FileKind::Project, "case_type" | "updates") => Kind::CaseType,
        _ => return Value::Null,
    };
    // What is typed of the name so far, from where its scalar starts: a name
    // may hold spaces (`role: Community Hea|`, `["Jane Do|`), and a client's
    // own idea of a word stops at `-` or `.`, which names hold. The item
    // replaces it and the rest of the name after the cursor, written as YAML
    // needs it there.
    let (start, quote, after) = scalar_start(&doc.text[line_start..offset]);
    let start = line_start + start;
    let typed = &doc.text[start..offset];
    let spaced = doc.text[..offset].ends_with([' ', '\t']);
    let end = offset + scalar_rest(&doc.text[offset..crate::yaml::edit::line_end(&doc.text, offset)], quote, spaced);
    let replace = Range { start: lines.position(start), end: lines.position(end) };
    // After the name and its closing quote, if it has one.
    let past = end + quote.map_or(0, |q| usize::from(doc.text[end..].starts_with(q)));
    // Right after `key:` or a block entry's `-` (a client asks as `:` is
    // typed): a space first, and after `key:` a list where the key holds one,
    // or the value would not read as meant.
    let gap = if doc.text[..start].ends_with([':', '-']) { " " } else { "" };
    let list = after == Some(':')
        && quote.is_none()
        && matches!(key.as_str(), "members" | "locations" | "updates" | "apps" | "groups");
    // The names the list already holds are not offered again (a repeated member
    // is G006), nor the token being typed, which counts among the names used.
    let listed: crate::hash::Set<std::borrow::Cow<'_, str>> =
        listed_with(&doc.text, offset, start, past, after).into_iter().map(|n| names::folded(&kind, n)).collect();
    let this = snap.file_of(&doc.rel);
    let mut seen = crate::hash::Set::default();
    let mut items = Vec::new();
    let mut incomplete = false;
    names::each_token(snap.project(), Some(&kind), &mut |t| {
        if incomplete
            || !(t.defines || kind == Kind::CaseType)
            || (Some(t.file) == this && (t.span.start..=t.span.end).contains(&start))
            || !starts_with_folded(t.name, typed)
            || listed.contains(names::folded(&kind, t.name).as_ref())
            || !seen.insert(t.name)
        {
            return;
        }
        if items.len() == MAX_COMPLETIONS {
            incomplete = true;
            return;
        }
        let name = match quote {
            // Inside quotes the client closes itself (or has closed already);
            // a name that needs an escape cannot stand in single quotes.
            Some('"') => crate::yaml::edit::escape_double(t.name),
            Some(_) if t.name.chars().any(crate::yaml::edit::escaped) => return,
            Some(_) => t.name.replace('\'', "''"),
            None => crate::yaml::edit::scalar(t.name),
        };
        let new_text = if list { format!("{gap}[{name}]") } else { format!("{gap}{name}") };
        items.push(CompletionItem {
            label: t.name.to_string(),
            kind: Some(CompletionItemKind::VALUE),
            detail: Some(kind.noun().to_string()),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit { range: replace, new_text })),
            ..CompletionItem::default()
        });
    });
    json!(CompletionList { is_incomplete: incomplete, items })
}

/// Where the scalar the cursor is in starts, in `line` (the cursor's line up to
/// it, outside a comment): after the last `[`, `{`, `,`, `key:` or `- ` outside
/// quotes and after the white space that follows, or after an opening quote
/// that is not closed yet (returned with it); and the character it follows
/// (none at the start of the line: a list's item on a line of its own).
fn scalar_start(line: &str) -> (usize, Option<char>, Option<char>) {
    let mut start = 0;
    let mut after = None;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, c)| c);
        match (quote, c) {
            (Some('"'), _) if escaped => escaped = false,
            (Some('"'), '\\') => escaped = true,
            // `''` in single quotes is a quote, not the end.
            (Some('\''), '\'') if next == Some('\'') => {
                chars.next();
            }
            (Some(q), c) if c == q => {
                quote = None;
                start = i + 1;
            }
            (Some(_), _) => {}
            (None, '\'' | '"') if line[start..i].trim().is_empty() => {
                quote = Some(c);
                start = i + 1;
            }
            (None, '[' | ']' | '{' | '}' | ',') => {
                start = i + 1;
                after = Some(c);
            }
            (None, ':' | '-') if matches!(next, None | Some(' ' | '\t')) => {
                // `key:` ends a key; `-` is a block entry only where a scalar starts.
                if c == ':' || line[start..i].trim().is_empty() {
                    start = i + 1;
                    after = Some(c);
                }
            }
            (None, _) => {}
        }
    }
    if quote.is_none() {
        start += line[start..].len() - line[start..].trim_start().len();
    }
    (start, quote, after)
}

/// The names already in the list the cursor (at `offset`, in the scalar that
/// starts at `start` and whose text, closing quote included, ends at `past`)
/// is in, but the one at the cursor: the items of the flow
/// list (`[a, b, |]`, over lines too), or the block entries (`- a`) in the
/// column of the cursor's, above and below it.
fn listed_with(text: &str, offset: usize, start: usize, past: usize, after: Option<char>) -> Vec<&str> {
    fn unquoted(item: &str) -> &str {
        let item = item.trim();
        match item.as_bytes() {
            [b'"', .., b'"'] | [b'\'', .., b'\''] if item.len() > 1 => &item[1..item.len() - 1],
            _ => item,
        }
    }
    // Blank and comment lines are skipped (`Some(None)`); any other line than
    // an entry in the column `dash` ends the list.
    fn item_of(line: &str, dash: usize) -> Option<Option<&str>> {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            return Some(None);
        }
        let indent = line.len() - body.len();
        (indent == dash && (body.starts_with("- ") || body == "-")).then(|| {
            let value = &body[1..];
            // Only a line that may hold a comment is read for one.
            let value = if value.contains('#') { code_of(value).1.map_or(value, |c| &value[..c]) } else { value };
            Some(unquoted(value)).filter(|v| !v.is_empty())
        })
    }
    // A block entry's `-`: the items in its column, above and below.
    let dash = (after == Some('-'))
        .then(|| {
            let line_start = crate::yaml::edit::line_start(text, start);
            text[line_start..start].rfind('-')
        })
        .flatten();
    if let Some(dash) = dash {
        let mut out = Vec::new();
        let line_start = crate::yaml::edit::line_start(text, start);
        for (_, line) in lines_back(&text[..line_start]) {
            match item_of(line.trim_end_matches(['\n', '\r']), dash) {
                Some(Some(name)) => out.push(name),
                Some(None) => {}
                None => break,
            }
        }
        let line_end = crate::yaml::edit::line_end(text, offset);
        for line in crate::source::lines_with_ends(&text[line_end..]) {
            match item_of(line.trim_end_matches(['\n', '\r']), dash) {
                Some(Some(name)) => out.push(name),
                Some(None) => {}
                None => break,
            }
        }
        return out;
    }
    let Some(open) = unclosed_list(&text[..offset]) else { return Vec::new() };
    let close = past + flow_rest(&text[past..]);
    // The items between the brackets: split at the commas outside quotes and
    // comments; a comment (`[maria, # the nurse⏎ david]`) is no part of one.
    let mut out = Vec::new();
    // Where the item began (after the last comma), and the extent of its
    // characters other than white space.
    let (mut from, mut body) = (open + 1, None::<(usize, usize)>);
    let mut take = |raw: std::ops::RangeInclusive<usize>, body: Option<(usize, usize)>| {
        if let Some((a, b)) = body
            && !raw.contains(&offset)
        {
            out.push(unquoted(&text[a..b]));
        }
    };
    let mut line_at = open + 1;
    for line in crate::source::lines_with_ends(&text[open + 1..close]) {
        let (code, comment) = code_of(line);
        let mut commas = code.iter().filter(|(_, c)| *c == ',').map(|&(i, _)| i).peekable();
        for (i, c) in line[..comment.unwrap_or(line.len())].char_indices() {
            let at = line_at + i;
            if commas.next_if_eq(&i).is_some() {
                take(from..=at, body.take());
                from = at + 1;
            } else if !c.is_whitespace() {
                body = Some((body.map_or(at, |(a, _)| a), at + c.len_utf8()));
            }
        }
        line_at += line.len();
    }
    take(from..=close, body);
    out
}

/// Where the flow list the cursor is in ends, in `rest` (the text after the
/// cursor): at its `]`, over lines too; while it is being typed, at the end of
/// the line before one that reads as a block entry (`key: …` or `- …`), or
/// before a list or mapping opened inside it.
fn flow_rest(rest: &str) -> usize {
    for (n, (start, line)) in crate::source::lines_with_ends(rest)
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l))
        })
        .enumerate()
    {
        let (code, _) = code_of(line);
        if n > 0 {
            let code: String = code.iter().map(|(_, c)| *c).collect();
            let trimmed = code.trim();
            if trimmed.starts_with("- ") || trimmed.contains(": ") || trimmed.ends_with(':') {
                return start;
            }
        }
        if let Some(&(at, _)) = code.iter().find(|(_, c)| matches!(c, ']' | '[' | '{' | '}')) {
            return start + at;
        }
    }
    rest.len()
}

/// How far the scalar the cursor is in goes on after it, in `rest` (the rest of
/// its line): to its closing quote (not included), or, unquoted, to the next
/// `,`, `]`, `}` or comment, white space before it left out.
/// `spaced`: white space stands right before the cursor (a `#` right after it
/// starts a comment).
fn scalar_rest(rest: &str, quote: Option<char>, spaced: bool) -> usize {
    let rest = rest.trim_end_matches(['\n', '\r']);
    match quote {
        Some('"') => {
            let mut escaped = false;
            for (i, c) in rest.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => return i,
                    _ => {}
                }
            }
            rest.len()
        }
        Some(q) => {
            let mut chars = rest.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if c == q {
                    if chars.peek().is_some_and(|&(_, n)| n == q) {
                        chars.next();
                        continue;
                    }
                    return i;
                }
            }
            rest.len()
        }
        None => {
            let end = rest
                .char_indices()
                .find(|&(i, c)| {
                    matches!(c, ',' | ']' | '}')
                        || (c == '#' && (rest[..i].ends_with([' ', '\t']) || (i == 0 && spaced)))
                })
                .map_or(rest.len(), |(i, _)| i);
            rest[..end].trim_end().len()
        }
    }
}

/// Whether `name` starts with `typed`, letters compared without their case
/// (a case type typed `Preg` is offered `pregnancy`).
fn starts_with_folded(name: &str, typed: &str) -> bool {
    if typed.is_ascii() {
        // Bytes, as fast as a plain prefix (500,000 usernames are asked).
        return name.len() >= typed.len() && name.as_bytes()[..typed.len()].eq_ignore_ascii_case(typed.as_bytes());
    }
    let mut name = name.chars().flat_map(char::to_lowercase);
    typed.chars().flat_map(char::to_lowercase).all(|c| name.next() == Some(c))
}

/// Completions sent at most (a project may have half a million users; the
/// list says it is incomplete and the client asks again as the user types).
const MAX_COMPLETIONS: usize = 200;

/// The places a diagnostic labels (where it is published), in `file`.
fn labelled_in(d: &crate::diagnostic::Diagnostic, file: FileId) -> impl Iterator<Item = &crate::source::Span> {
    let primary = std::iter::once(&d.span).chain(d.labels.iter().map(|l| &l.span)).filter(move |_| d.file == file);
    primary.chain(d.related.iter().filter(move |r| r.label && r.file == file).map(|r| &r.span))
}

/// Quick fixes and "allow CODE here" for the diagnostics at any place they
/// label in the range: a G002 is allowed above either membership line, in
/// either file (SPEC section 5); its fix edits the file it is about.
fn code_actions(doc: &Document, range: Range, snapshots: &Snapshots) -> Value {
    let Some(snap) = snapshot(doc, snapshots, true) else { return json!([]) };
    let Some(file) = snap.file_of(&doc.rel) else { return json!([]) };
    // Edits are made on the analysed text: only when the buffer is still that text.
    if *snap.text(file) != *doc.text {
        return json!([]);
    }
    let lines = Lines::new(&doc.text);
    // The lines of the range: a cursor anywhere on a line a diagnostic labels
    // (clients send the cursor, or the line) is at the diagnostic.
    let from = lines.offset(Position { line: range.start.line, character: 0 });
    let to = lines.offset(Position { line: range.end.line.saturating_add(1), character: 0 });
    let mut actions = Vec::new();
    let doc_uri = snap.uri(file);
    let source =
        SourceFile::new(doc.rel.clone(), doc.rel.clone(), doc.rel.clone().into(), FileKind::Unknown, doc.text.clone());
    let allows = crate::suppress::parse(&source);
    let in_range = |s: &&crate::source::Span| s.start < to.max(from + 1) && from <= s.end;
    let mut allowed = HashSet::new();
    for d in snap.diagnostics.iter() {
        // An `allow` may stand at any place the diagnostic names (a D001's first
        // definition, its related note, too); the fix is offered where it is shown.
        let Some(span) = d.places().filter(|(f, _)| *f == file).map(|(_, s)| s).find(in_range) else { continue };
        if !d.fix.is_empty() && labelled_in(d, file).any(|s| in_range(&s)) {
            let text = snap.text(d.file);
            let fix_lines = Lines::new(&text);
            let edits: Vec<TextEdit> =
                d.fix.iter().map(|e| TextEdit { range: fix_lines.range(&e.span), new_text: e.text.clone() }).collect();
            actions.push(CodeAction {
                title: format!(
                    "fix {}: {}",
                    d.code(),
                    crate::report::printable_lines(d.help.as_deref().unwrap_or(&d.message))
                ),
                kind: Some(CodeActionKind::QUICKFIX),
                edit: Some(workspace_edit(&snap.uri(d.file), edits)),
                is_preferred: Some(true),
                ..CodeAction::default()
            });
        }
        // One "allow" per code and line: a line can be a related place of many
        // diagnostics (the form a G002 notes, for each user in two groups).
        if d.rule.suppressible() && allowed.insert((d.code(), lines.position(span.start).line)) {
            let edit = allow_edit(&doc.text, &lines, &allows, span.start, d.code());
            actions.push(CodeAction {
                title: format!("allow {} here", d.code()),
                kind: Some(CodeActionKind::QUICKFIX),
                edit: Some(workspace_edit(&doc_uri, vec![edit])),
                ..CodeAction::default()
            });
        }
    }
    json!(actions)
}

/// The edit that allows `code` on the line of `offset`: its code added to an
/// `allow` comment on that line or the line above (a second comment above it
/// would leave the first one allowing nothing), else a comment above the line.
fn allow_edit(text: &str, lines: &Lines<'_>, allows: &[crate::suppress::Allow], offset: usize, code: &str) -> TextEdit {
    let line = lines.position(offset).line as usize;
    let existing = allows.iter().find(|a| a.line == line).or_else(|| allows.iter().find(|a| a.line + 1 == line));
    if let Some(allow) = existing
        && let Some((_, last)) = allow.codes.last()
    {
        let at = lines.position(last.end);
        let new_text = if allow.codes.iter().any(|(c, _)| c == code) { String::new() } else { format!(", {code}") };
        return TextEdit { range: Range { start: at, end: at }, new_text };
    }
    let line_start = crate::yaml::edit::line_start(text, offset.min(text.len()));
    let indent: String = text[line_start..].chars().take_while(|c| *c == ' ').collect();
    let newline = crate::yaml::edit::newline(text);
    let at = lines.position(line_start);
    TextEdit {
        range: Range { start: at, end: at },
        new_text: format!("{indent}# caseshare: allow {code} -- reason{newline}"),
    }
}

// `Uri` caches its parts inside; the protocol's type still keys edits by it.
#[allow(clippy::mutable_key_type)]
fn workspace_edit(uri: &lsp_types::Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    let mut changes = HashMap::new();
    changes.insert(uri.clone(), edits);
    WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }
}

/// The kind of name `caseshare rename` renames, if a token's is one.
fn renamable(kind: &Kind) -> Option<crate::rename::NameKind> {
    use crate::rename::NameKind;
    match kind {
        Kind::User => Some(NameKind::User),
        Kind::Group => Some(NameKind::Group),
        Kind::CaseType => Some(NameKind::CaseType),
        Kind::Role => Some(NameKind::Role),
        Kind::Location => Some(NameKind::Location),
        _ => None,
    }
}

#[allow(clippy::mutable_key_type)] // see `workspace_edit`
fn rename(
    doc: &Document,
    pos: Position,
    new: &str,
    snapshots: &Snapshots,
    events: &Sender<Event>,
) -> Result<Renamed, Failure> {
    let offset = Lines::new(&doc.text).offset(pos);
    // Edits are made on the texts the snapshot took in: only on the buffers as they are.
    let snap = match snapshots.current(&doc.root, true) {
        Some((snap, true)) => snap,
        _ => return Err(Failure::Refused("the project is still being analysed; try again".into())),
    };
    let token =
        token_at(doc, offset, true, Some(&snap)).ok_or_else(|| Failure::Refused("no name to rename here".into()))?;
    let Some(kind) = renamable(&token.kind) else {
        return Err(Failure::Refused(format!("the {} `{}` cannot be renamed here", token.kind.noun(), token.name)));
    };
    // A half-done write: its files are neither the old nor the new ones.
    if crate::write::journal::pending(&snap.project().root) {
        return Err(Failure::Refused(
            "a write to this project was interrupted; run `caseshare recover` first, then rename".into(),
        ));
    }
    // What stops `caseshare rename` stops it here: a file that could hold the
    // name does not load, or a misshapen value may hide a reference.
    let problems = crate::rename::blocking(snap.project(), &snap.diagnostics, kind, &token.name, new);
    if let Some(first) = problems.first() {
        let file = &snap.project().files[first.file];
        let text = snap.text(first.file);
        let at = Lines::new(&text).position(first.span.start);
        let more = match problems.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        return Err(Failure::Refused(format!(
            "{}:{}:{}: {} {}{more} stops the rename; fix it first",
            file.rel,
            at.line + 1,
            at.character + 1,
            first.code(),
            first.message
        )));
    }
    // What refuses a rename without reading a file (NEW exists, OLD is not
    // defined, NEW is not a name of its kind) is asked now; the edits at the
    // tokens found are made on the analysis thread, on this snapshot's project,
    // once it has let go of the project's index: each renamed file is parsed
    // twice there to compare them (2.8 MB for a groups file of 1,000 groups),
    // and the index and they are not held at once.
    let text = |f| snap.text(f);
    let found = crate::rename::find_tokens(snap.project(), &text, kind, &token.name, new)
        .map_err(|e| Failure::Refused(e.to_string()))?;
    if found.is_empty() {
        return Ok(Renamed::default());
    }
    // As `caseshare rename` does: a rename after which the project has an
    // error it has not now is refused, and the warnings it brings out are
    // told. This snapshot, which holds the index and the diagnostics, goes
    // first, its errors and warnings tallied.
    let errors = crate::rename::Tally::of(&snap.diagnostics, Severity::Error, kind, &token.name, new);
    let warnings = crate::rename::Tally::of(&snap.diagnostics, Severity::Warning, kind, &token.name, new);
    let mut on = snap.without_index();
    on.diagnostics = Arc::default();
    drop(snap);
    let (reply, answer) = crossbeam_channel::bounded(1);
    let ask = Box::new(super::RenameAsk { on, kind, old: token.name, new: new.to_string(), found, errors, warnings });
    let asked = events.send(Event::Rename { root: doc.root.clone(), ask, reply }).is_ok();
    match answer.recv_timeout(super::WAIT) {
        Ok(Some(Ok(super::RenameOutcome { changes, errors, warnings }))) if asked => {
            if !errors.is_empty() {
                return Err(Failure::Refused(crate::rename::RenameError::NewErrors(errors).to_string()));
            }
            Ok(Renamed { changes, notes: crate::rename::warning_notes(warnings) })
        }
        Ok(Some(Err(why))) if asked => Err(Failure::Refused(why)),
        _ => Err(Failure::Refused("the project is still being analysed; try again".into())),
    }
}

/// A rename the client is to apply: its edits, and what it tells of the
/// warnings it brings out.
#[derive(Default)]
struct Renamed {
    changes: HashMap<lsp_types::Uri, Vec<TextEdit>>,
    notes: Vec<String>,
}

/// The workspace edit of a rename. When it brings out warnings, a client that
/// takes change annotations is given the edits annotated with them, for the
/// user to confirm before they are applied (the open buffers' edits at the
/// versions the rename saw); another is given the plain edits and the notes
/// as a message, as `caseshare rename` prints them.
#[allow(clippy::mutable_key_type)] // see `workspace_edit`
fn renamed(renamed: Renamed, docs: &HashMap<String, Document>, client: &Client) -> Value {
    use lsp_types::{
        AnnotatedTextEdit, ChangeAnnotation, DocumentChanges, OneOf, OptionalVersionedTextDocumentIdentifier,
        TextDocumentEdit,
    };
    let Renamed { changes, notes } = renamed;
    if notes.is_empty() {
        return json!(WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() });
    }
    if !client.annotations {
        super::show_message(&client.sender, &notes.join("\n"));
        return json!(WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() });
    }
    const ID: &str = "caseshare/new-warnings";
    let mut files: Vec<(lsp_types::Uri, Vec<TextEdit>)> = changes.into_iter().collect();
    files.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let edits = files
        .into_iter()
        .map(|(uri, edits)| TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier {
                version: docs.values().find(|d| super::uri(&d.path) == uri).map(|d| d.version),
                uri,
            },
            edits: edits
                .into_iter()
                .map(|text_edit| OneOf::Right(AnnotatedTextEdit { text_edit, annotation_id: ID.to_string() }))
                .collect(),
        })
        .collect();
    let label = match notes.len() {
        1 => "this rename brings out a new warning".to_string(),
        n => format!("this rename brings out {n} new warnings"),
    };
    let annotation = ChangeAnnotation { label, needs_confirmation: Some(true), description: Some(notes.join("\n")) };
    json!(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Edits(edits)),
        change_annotations: Some(HashMap::from([(ID.to_string(), annotation)])),
        ..WorkspaceEdit::default()
    })
}

/// The edits of a rename at the tokens found in the project the request saw
/// (its texts: the buffers as they were), for the client and as the renamed
/// texts by path in the project; or why not, as `caseshare rename` says it.
#[allow(clippy::mutable_key_type)] // see `workspace_edit`
pub(super) fn rename_edits(
    snap: &Snapshot,
    kind: crate::rename::NameKind,
    old: &str,
    new: &str,
    found: std::collections::BTreeMap<FileId, Vec<crate::source::Span>>,
) -> Result<Renaming, String> {
    let text = |f| snap.text(f);
    let edits = crate::rename::edits_at(snap.project(), &text, kind, old, new, found).map_err(|e| e.to_string())?;
    let mut changes: HashMap<lsp_types::Uri, Vec<TextEdit>> = HashMap::new();
    let mut texts: Vec<(String, Arc<str>)> = Vec::with_capacity(edits.len());
    for (file, file_edits) in edits {
        let text = snap.text(file);
        let rel = &snap.project().files[file].rel;
        let after = crate::edit::apply(&text, &file_edits).map_err(|e| format!("{rel}: {e}"))?;
        texts.push((rel.clone(), Arc::from(after)));
        let lines = Lines::new(&text);
        let list =
            file_edits.iter().map(|e| TextEdit { range: lines.range(&e.span), new_text: e.text.clone() }).collect();
        changes.insert(snap.uri(file), list);
    }
    Ok(Renaming { changes, texts })
}

/// A rename's edits: for the client, and the renamed texts by path.
pub(super) struct Renaming {
    pub changes: HashMap<lsp_types::Uri, Vec<TextEdit>>,
    pub texts: Vec<(String, Arc<str>)>,
}
