//! Property test of `caseshare migrate` (SPEC section 2): random format 1 projects,
//! written in random YAML styles, migrate to format 2 without changing what they mean.
//!
//! Each case generates an abstract format 1 project (a project space, 1–3 apps with
//! modules and forms using `registration`, `subcases`, `sets_owner` and `requires`,
//! 0–4 groups over 0–2 groups files with `users: [..]`, 1–6 users over 1–2 users files
//! with `is_active` and `groups: [..]`), then renders it as YAML with random style
//! choices: `format_version: 1` or none, every spelling of a format 1 boolean, versions
//! quoted or not (`2.10`, `2`, `'1.3'`), random key order, block or flow mappings and
//! lists, indentless block lists, 2- or 4-space indentation, a single string for a
//! lone subcase, an empty list as `[]` or as a null (`key:` or `~`), names now and then
//! quoted, comments at line ends, on their own line between items and entries, before
//! the first key of a file and after a list item's dash, blank lines, `---`, CRLF line
//! endings, a byte order mark and a missing final newline. The choices come from a
//! list of bytes that shrinks towards the plainest style, so a failure shrinks to a
//! small input.
//!
//! For each case it checks that:
//! 1. `migrate_memory` accepts the project (format 1 that is valid must migrate);
//! 2. the migrated tree loads as format 2: no Y, F or S diagnostic from `check_memory`;
//! 3. the migrated tree means what the format 1 project meant, per SPEC section 2's
//!    table: the domain and project case sharing; each app's id, name, CommCare version
//!    (digits exactly as written), case sharing, modules (id, case type) and forms (id,
//!    name, `requires`, and the cases each opens: case type or the module's own, owner
//!    explicit or automatic, relationship none or child); the users (username, active);
//!    the groups (name, case sharing); and the memberships, the union of each group's
//!    own `users` and each user's `groups`;
//! 4. migration is idempotent: migrating the migrated tree changes nothing.
//!
//! On failure the rendered files, the migrated files and the diagnostics are printed.
//! 512 cases by default (about 2 s in debug); `PROPTEST_CASES=N` runs more,
//! `MIGRATE_PROPS_SHOW=1` prints every case before and after (with `--nocapture`),
//! and `MIGRATE_PROPS_NO_NULLS=1` writes no nulls. The plain tests at the end keep
//! the two bugs it found (empty values and `~` lists) as regressions.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use caseshare::check_memory;
use caseshare::migrate::{Refusal, migrate_memory};
use caseshare::model::{Owner, Relationship, Requires, slug};
use common::property;
use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};

// ---------------------------------------------------------------------------
// Pools of safe names: none needs quoting, and none reads as a YAML boolean,
// number or null.

const DOMAINS: &[&str] = &["demo-district", "d1", "kenya-chw"];
const APP_IDS: &[&str] = &["chw", "clinic", "supervision", "nutrition"];
const MODULE_NAMES: &[&str] = &["Patients", "Households", "Pregnancy", "Referrals", "Survey"];
const FORM_NAMES: &[&str] = &["Register", "Follow up", "Visit", "Close", "Refer"];
const CASE_TYPES: &[&str] = &["patient", "household", "pregnancy", "child", "referral", "visit"];
const GROUP_NAMES: &[&str] = &["Village A", "Village B", "Supervisors", "Clinic team", "North"];
const USERNAMES: &[&str] = &["david", "maria", "eve", "frank", "ines", "jon", "grace"];
/// CommCare versions as a format 1 file may write them (the digits that must survive).
const VERSIONS: &[&str] = &["1.3", "2.0", "2.10", "2", "2.53.0", "1.0", "2.9"];

const GROUP_FILES: &[&str] = &["groups/villages.yaml", "groups/teams.yml"];
const USER_FILES: &[&str] = &["users/chws.yaml", "users/staff.yml"];

// ---------------------------------------------------------------------------
// The abstract format 1 project: what it means, without how it is written.

#[derive(Debug, Clone)]
struct Proj {
    domain: &'static str,
    case_sharing: Option<bool>,
    apps: Vec<AppSpec>,
    groups: Vec<GroupSpec>,
    users: Vec<UserSpec>,
    /// The style choices, consumed in order while rendering (0 = plainest).
    style: Vec<u8>,
}

#[derive(Debug, Clone)]
struct AppSpec {
    id: &'static str,
    /// Whether the file says `id:` (then its file name differs from the id).
    id_in_file: bool,
    version: &'static str,
    case_sharing: Option<bool>,
    modules: Vec<ModuleSpec>,
}

#[derive(Debug, Clone)]
struct ModuleSpec {
    name: &'static str,
    /// Whether the module has an `id:` (else its id is the slug of its name).
    explicit_id: bool,
    case_type: Option<&'static str>,
    forms: Vec<FormSpec>,
}

#[derive(Debug, Clone)]
struct FormSpec {
    /// Unique in the app (a number is added when rendering).
    name: String,
    requires: Option<&'static str>,
    registration: Option<bool>,
    subcases: Option<Vec<&'static str>>,
    sets_owner: Option<bool>,
}

#[derive(Debug, Clone)]
struct GroupSpec {
    name: &'static str,
    file: usize,
    case_sharing: Option<bool>,
    /// Indexes into `Proj::users` (repeats allowed).
    users: Option<Vec<usize>>,
}

#[derive(Debug, Clone)]
struct UserSpec {
    username: &'static str,
    file: usize,
    is_active: Option<bool>,
    /// Indexes into `Proj::groups` (repeats allowed).
    groups: Option<Vec<usize>>,
}

impl AppSpec {
    fn name(&self) -> String {
        format!("{} App", self.id.to_uppercase())
    }
    fn path(&self) -> String {
        if self.id_in_file { format!("apps/{}-app.yaml", self.id) } else { format!("apps/{}.yaml", self.id) }
    }
}

impl ModuleSpec {
    fn id(&self) -> String {
        if self.explicit_id { format!("{}-mod", slug(self.name)) } else { slug(self.name) }
    }
}

// ---------------------------------------------------------------------------
// Strategies.

fn form_spec() -> impl Strategy<Value = FormSpec> {
    (
        select(FORM_NAMES),
        proptest::option::of(select(&["none", "case"][..])),
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop::collection::vec(select(CASE_TYPES), 0..=3)),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(name, requires, registration, subcases, sets_owner)| FormSpec {
            name: name.to_string(),
            requires,
            registration,
            subcases,
            sets_owner,
        })
}

fn app_spec(id: &'static str) -> impl Strategy<Value = AppSpec> {
    let module = (any::<bool>(), proptest::option::of(select(CASE_TYPES)), prop::collection::vec(form_spec(), 0..=3));
    (
        any::<bool>(),
        select(VERSIONS),
        proptest::option::of(any::<bool>()),
        subsequence(MODULE_NAMES, 0..=3),
        prop::collection::vec(module, 3),
    )
        .prop_map(move |(id_in_file, version, case_sharing, names, modules)| {
            let mut n = 0;
            let modules = names
                .into_iter()
                .zip(modules)
                .map(|(name, (explicit_id, case_type, mut forms))| {
                    // Form names unique in the app, so that form ids are too.
                    for f in &mut forms {
                        n += 1;
                        f.name = format!("{} {n}", f.name);
                    }
                    ModuleSpec { name, explicit_id, case_type, forms }
                })
                .collect();
            AppSpec { id, id_in_file, version, case_sharing, modules }
        })
}

fn apps() -> impl Strategy<Value = Vec<AppSpec>> {
    subsequence(APP_IDS, 1..=3).prop_flat_map(|ids| ids.into_iter().map(app_spec).collect::<Vec<_>>())
}

fn proj() -> impl Strategy<Value = Proj> {
    let group = (
        0..2usize,
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop::collection::vec(any::<Index>(), 0..=4)),
    );
    let user = (
        0..2usize,
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop::collection::vec(any::<Index>(), 0..=4)),
    );
    (
        select(DOMAINS),
        proptest::option::of(any::<bool>()),
        apps(),
        (subsequence(GROUP_NAMES, 0..=4), prop::collection::vec(group, 4)),
        (subsequence(USERNAMES, 1..=6), prop::collection::vec(user, 6)),
        prop::collection::vec(any::<u8>(), 0..1000),
    )
        .prop_map(|(domain, case_sharing, apps, (group_names, group_attrs), (usernames, user_attrs), style)| {
            let (ng, nu) = (group_names.len(), usernames.len());
            let groups = group_names
                .into_iter()
                .zip(group_attrs)
                .map(|(name, (file, case_sharing, users))| GroupSpec {
                    name,
                    file,
                    case_sharing,
                    users: users.map(|v| v.iter().map(|i| i.index(nu)).collect()),
                })
                .collect();
            let users = usernames
                .into_iter()
                .zip(user_attrs)
                .map(|(username, (file, is_active, groups))| UserSpec {
                    username,
                    file,
                    is_active,
                    // A user can only name groups that exist.
                    groups: if ng == 0 { None } else { groups.map(|v| v.iter().map(|i| i.index(ng)).collect()) },
                })
                .collect();
            Proj { domain, case_sharing, apps, groups, users, style }
        })
}

// ---------------------------------------------------------------------------
// Style choices and a small YAML writer.

/// Style decisions, read from the generated bytes; 0 (and the end of the bytes)
/// means the plainest choice.
struct Style {
    bytes: Vec<u8>,
    pos: usize,
    comments: usize,
}

impl Style {
    /// A choice among `n` (0 when the bytes run out).
    fn pick(&mut self, n: usize) -> usize {
        let b = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b as usize % n
    }
    /// True about once in `n`.
    fn one_in(&mut self, n: usize) -> bool {
        self.pick(n) == n - 1
    }
    /// Permutes entries (identity when every choice is 0).
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = i - self.pick(i + 1);
            v.swap(i, j);
        }
    }
    fn comment_text(&mut self) -> String {
        self.comments += 1;
        format!("# note {}", self.comments)
    }
    /// A comment at the end of a line, or nothing.
    fn eol(&mut self) -> String {
        if self.one_in(4) { format!("   {}", self.comment_text()) } else { String::new() }
    }
    /// A comment on its own line at `indent`, a blank line, or nothing.
    fn own_line(&mut self, indent: usize) -> String {
        match self.pick(8) {
            6 => format!("{}{}\n", " ".repeat(indent), self.comment_text()),
            7 => "\n".into(),
            _ => String::new(),
        }
    }
    /// A name as a scalar: plain, or now and then quoted.
    fn name(&mut self, name: &str) -> Y {
        match self.pick(10) {
            8 => Y::Scalar(format!("\"{name}\"")),
            9 => Y::Scalar(format!("'{name}'")),
            _ => s(name),
        }
    }
    /// A format 1 yes/no value in one of its spellings.
    fn yes_no(&mut self, b: bool) -> &'static str {
        const YES: &[&str] = &["yes", "on", "Yes", "true", "ON", "YES", "On"];
        const NO: &[&str] = &["no", "off", "No", "false", "OFF", "NO", "Off"];
        if b { YES[self.pick(YES.len())] } else { NO[self.pick(NO.len())] }
    }
}

/// A YAML node to write; the `bool` of a collection says whether it may be written
/// in flow style (an empty one always is).
#[derive(Debug, Clone)]
enum Y {
    /// A scalar as written (quotes included); empty for a null written as nothing.
    Scalar(String),
    Seq(Vec<Y>, bool),
    Map(Vec<(&'static str, Y)>, bool),
}

fn s(text: &str) -> Y {
    Y::Scalar(text.to_string())
}

/// A list of names, flow or block as the writer chooses. An empty list is now and
/// then written as a null instead (`key:` with nothing, or `~`), which format 1 files
/// use for "none" too (a group's `users:` in fixtures/migrate/group-users).
fn list(st: &mut Style, items: &[&str]) -> Y {
    if items.is_empty() && nulls() && st.one_in(3) {
        return s("");
    }
    Y::Seq(items.iter().map(|i| st.name(i)).collect(), true)
}

/// Whether empty lists may be written as nulls: `MIGRATE_PROPS_NO_NULLS=1` turns
/// them off, to look for other problems while the known ones with nulls are open
/// (see the tests at the end of this file).
fn nulls() -> bool {
    std::env::var_os("MIGRATE_PROPS_NO_NULLS").is_none()
}

struct Writer<'a> {
    st: &'a mut Style,
    out: String,
    /// Indentation per level (2 or 4), also the width of `- ` before a mapping.
    step: usize,
}

impl Writer<'_> {
    fn flow(&mut self, y: &Y) -> String {
        match y {
            Y::Scalar(t) if t.is_empty() => "~".into(),
            Y::Scalar(t) => t.clone(),
            Y::Seq(items, _) => format!("[{}]", items.iter().map(|i| self.flow(i)).collect::<Vec<_>>().join(", ")),
            Y::Map(entries, _) => format!(
                "{{{}}}",
                entries.iter().map(|(k, v)| format!("{k}: {}", self.flow(v))).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// Whether to write a collection in flow style.
    fn wants_flow(&mut self, y: &Y) -> bool {
        match y {
            Y::Seq(items, ok) => items.is_empty() || (*ok && self.st.one_in(3)),
            Y::Map(entries, ok) => entries.is_empty() || (*ok && self.st.one_in(3)),
            Y::Scalar(_) => true,
        }
    }

    /// A block mapping at `indent`; `after_dash`: the first entry goes on the
    /// current line, after a list item's `- `.
    fn block_map(&mut self, entries: &[(&'static str, Y)], indent: usize, after_dash: bool) {
        let pad = " ".repeat(indent);
        for (i, (k, v)) in entries.iter().enumerate() {
            if i == 0 && after_dash {
                if self.st.one_in(8) {
                    // `- # comment` and the mapping on the next line.
                    let c = self.st.comment_text();
                    self.out.push_str(&format!("{c}\n{pad}"));
                }
            } else {
                let c = self.st.own_line(indent);
                self.out.push_str(&c);
                self.out.push_str(&pad);
            }
            self.out.push_str(k);
            self.out.push(':');
            self.value(v, indent);
        }
    }

    /// The value of a block mapping entry whose `key:` is written.
    fn value(&mut self, v: &Y, indent: usize) {
        match v {
            Y::Scalar(t) if t.is_empty() => {
                let null = if self.st.one_in(3) { " ~" } else { "" };
                let c = self.st.eol();
                self.out.push_str(&format!("{null}{c}\n"));
            }
            Y::Scalar(_) => {
                let (f, c) = (self.flow(v), self.st.eol());
                self.out.push_str(&format!(" {f}{c}\n"));
            }
            _ if self.wants_flow(v) => {
                let (f, c) = (self.flow(v), self.st.eol());
                self.out.push_str(&format!(" {f}{c}\n"));
            }
            Y::Seq(items, _) => {
                let c = self.st.eol();
                self.out.push_str(&format!("{c}\n"));
                // Indentless (`key:\n- item`) or indented.
                let inner = if self.st.one_in(4) { indent } else { indent + self.step };
                self.block_seq(items, inner);
            }
            Y::Map(entries, _) => {
                let c = self.st.eol();
                self.out.push_str(&format!("{c}\n"));
                self.block_map(entries, indent + self.step, false);
            }
        }
    }

    fn block_seq(&mut self, items: &[Y], indent: usize) {
        let pad = " ".repeat(indent);
        for item in items {
            let c = self.st.own_line(indent);
            self.out.push_str(&c);
            self.out.push_str(&pad);
            match item {
                Y::Map(entries, _) if !self.wants_flow(item) => {
                    self.out.push_str(&format!("{:<1$}", "-", self.step));
                    self.block_map(entries, indent + self.step, true)
                }
                _ => {
                    self.out.push_str("- ");
                    let (f, c) = (self.flow(item), self.st.eol());
                    self.out.push_str(&format!("{f}{c}\n"));
                }
            }
        }
    }
}

/// Writes a file whose root mapping has `entries`.
fn document(st: &mut Style, entries: Vec<(&'static str, Y)>, root_flow_ok: bool) -> String {
    let step = if st.one_in(4) { 4 } else { 2 };
    let mut w = Writer { st: &mut *st, out: String::new(), step };
    if w.st.one_in(10) {
        w.out.push_str(if w.st.pick(2) == 1 { "--- # document start\n" } else { "---\n" });
    }
    if w.st.one_in(4) {
        let c = w.st.comment_text();
        w.out.push_str(&format!("{c}\n"));
        if w.st.pick(2) == 1 {
            w.out.push('\n');
        }
    }
    if root_flow_ok && w.st.one_in(6) {
        let f = w.flow(&Y::Map(entries, true));
        w.out.push_str(&f);
        w.out.push('\n');
    } else {
        w.block_map(&entries, 0, false);
    }
    let mut text = w.out;
    if st.one_in(6) {
        text.pop();
    }
    if st.one_in(8) {
        text = text.replace('\n', "\r\n");
    }
    if st.one_in(10) {
        text.insert(0, '\u{feff}');
    }
    text
}

/// `format_version: 1`, or nothing.
fn format_version(st: &mut Style, entries: &mut Vec<(&'static str, Y)>) {
    if st.pick(3) == 2 {
        entries.push(("format_version", s("1")));
    }
}

fn opt_flag(st: &mut Style, entries: &mut Vec<(&'static str, Y)>, key: &'static str, value: Option<bool>) {
    if let Some(b) = value {
        let spelling = st.yes_no(b);
        entries.push((key, s(spelling)));
    }
}

/// A version as written: plain (a number, or a string for `2.53.0`) or quoted.
fn version(st: &mut Style, v: &str) -> Y {
    match st.pick(4) {
        2 => Y::Scalar(format!("\"{v}\"")),
        3 => Y::Scalar(format!("'{v}'")),
        _ => s(v),
    }
}

fn form_yaml(st: &mut Style, f: &FormSpec) -> Y {
    let mut e: Vec<(&'static str, Y)> = vec![("name", s(&f.name))];
    if let Some(r) = f.requires {
        e.push(("requires", s(r)));
    }
    opt_flag(st, &mut e, "registration", f.registration);
    if let Some(sub) = &f.subcases {
        let y = match sub.as_slice() {
            [one] if st.one_in(3) => st.name(one),
            _ => list(st, sub),
        };
        e.push(("subcases", y));
    }
    opt_flag(st, &mut e, "sets_owner", f.sets_owner);
    st.shuffle(&mut e);
    Y::Map(e, true)
}

fn app_file(st: &mut Style, a: &AppSpec) -> String {
    let mut e: Vec<(&'static str, Y)> = Vec::new();
    format_version(st, &mut e);
    if a.id_in_file {
        e.push(("id", s(a.id)));
    }
    e.push(("name", s(&a.name())));
    e.push(("version", version(st, a.version)));
    opt_flag(st, &mut e, "case_sharing", a.case_sharing);
    let modules: Vec<Y> = a
        .modules
        .iter()
        .map(|m| {
            let mut me: Vec<(&'static str, Y)> = vec![("name", s(m.name))];
            if m.explicit_id {
                me.push(("id", s(&m.id())));
            }
            if let Some(ct) = m.case_type {
                me.push(("case_type", st.name(ct)));
            }
            let forms: Vec<Y> = m.forms.iter().map(|f| form_yaml(st, f)).collect();
            if !forms.is_empty() || st.pick(2) == 1 {
                me.push(("forms", Y::Seq(forms, true)));
            }
            st.shuffle(&mut me);
            Y::Map(me, true)
        })
        .collect();
    if !modules.is_empty() || st.pick(2) == 1 {
        e.push(("modules", Y::Seq(modules, true)));
    }
    st.shuffle(&mut e);
    document(st, e, true)
}

fn project_file(st: &mut Style, p: &Proj) -> String {
    let mut e: Vec<(&'static str, Y)> = Vec::new();
    format_version(st, &mut e);
    e.push(("project_space", s(p.domain)));
    opt_flag(st, &mut e, "case_sharing", p.case_sharing);
    st.shuffle(&mut e);
    document(st, e, false)
}

fn groups_file(st: &mut Style, p: &Proj, file: usize) -> String {
    let groups: Vec<Y> = p
        .groups
        .iter()
        .filter(|g| g.file == file)
        .map(|g| {
            let mut e: Vec<(&'static str, Y)> = vec![("name", st.name(g.name))];
            opt_flag(st, &mut e, "case_sharing", g.case_sharing);
            if let Some(users) = &g.users {
                let names: Vec<&str> = users.iter().map(|&u| p.users[u].username).collect();
                e.push(("users", list(st, &names)));
            }
            st.shuffle(&mut e);
            Y::Map(e, true)
        })
        .collect();
    let mut e = Vec::new();
    format_version(st, &mut e);
    e.push(("groups", Y::Seq(groups, true)));
    document(st, e, false)
}

fn users_file(st: &mut Style, p: &Proj, file: usize) -> String {
    let users: Vec<Y> = p
        .users
        .iter()
        .filter(|u| u.file == file)
        .map(|u| {
            let mut e: Vec<(&'static str, Y)> = vec![("username", st.name(u.username))];
            if let Some(a) = u.is_active {
                e.push(("is_active", s(if a { "true" } else { "false" })));
            }
            if let Some(groups) = &u.groups {
                let names: Vec<&str> = groups.iter().map(|&g| p.groups[g].name).collect();
                e.push(("groups", list(st, &names)));
            }
            st.shuffle(&mut e);
            Y::Map(e, true)
        })
        .collect();
    let mut e = Vec::new();
    format_version(st, &mut e);
    e.push(("users", Y::Seq(users, true)));
    document(st, e, false)
}

/// The project's files, `(path, text)`.
fn render(p: &Proj) -> Vec<(String, String)> {
    let st = &mut Style { bytes: p.style.clone(), pos: 0, comments: 0 };
    let mut files = vec![("project.yaml".to_string(), project_file(st, p))];
    for a in &p.apps {
        files.push((a.path(), app_file(st, a)));
    }
    for (file, path) in GROUP_FILES.iter().enumerate() {
        if p.groups.iter().any(|g| g.file == file) {
            files.push((path.to_string(), groups_file(st, p, file)));
        }
    }
    for (file, path) in USER_FILES.iter().enumerate() {
        if p.users.iter().any(|u| u.file == file) {
            files.push((path.to_string(), users_file(st, p, file)));
        }
    }
    files
}

// ---------------------------------------------------------------------------
// Meaning: what the project says, comparable between the abstract format 1
// project and the loaded format 2 model.

/// A case a form opens: its type (`None`: the module's own), whether the owner is
/// explicit, and the relationship to the module's case (`none` or `child`).
type OpensM = (Option<String>, bool, &'static str);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct FormM {
    id: String,
    name: String,
    requires_case: bool,
    opens: Vec<OpensM>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ModuleM {
    id: String,
    name: String,
    case_type: Option<String>,
    forms: Vec<FormM>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct AppM {
    name: String,
    version: String,
    case_sharing: bool,
    modules: Vec<ModuleM>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Meaning {
    domain: String,
    case_sharing: bool,
    apps: BTreeMap<String, AppM>,
    /// username → active
    users: BTreeMap<String, bool>,
    /// group name → case sharing
    groups: BTreeMap<String, bool>,
    /// (group name, username)
    members: BTreeSet<(String, String)>,
}

/// The meaning of the abstract format 1 project, per SPEC section 2.
fn expected(p: &Proj) -> Meaning {
    let apps = p
        .apps
        .iter()
        .map(|a| {
            let modules = a
                .modules
                .iter()
                .map(|m| {
                    let forms = m
                        .forms
                        .iter()
                        .map(|f| {
                            let explicit = f.sets_owner == Some(true);
                            let mut opens: Vec<OpensM> = Vec::new();
                            if f.registration == Some(true) {
                                opens.push((None, explicit, Relationship::None.as_str()));
                            }
                            for ct in f.subcases.iter().flatten() {
                                opens.push((Some(ct.to_string()), explicit, Relationship::Child.as_str()));
                            }
                            FormM {
                                id: slug(&f.name),
                                name: f.name.clone(),
                                requires_case: f.requires == Some("case"),
                                opens,
                            }
                        })
                        .collect();
                    ModuleM { id: m.id(), name: m.name.to_string(), case_type: m.case_type.map(str::to_string), forms }
                })
                .collect();
            let app = AppM {
                name: a.name(),
                version: a.version.to_string(),
                case_sharing: a.case_sharing == Some(true),
                modules,
            };
            (a.id.to_string(), app)
        })
        .collect();
    let mut members = BTreeSet::new();
    for g in &p.groups {
        for &u in g.users.iter().flatten() {
            members.insert((g.name.to_string(), p.users[u].username.to_string()));
        }
    }
    for u in &p.users {
        for &g in u.groups.iter().flatten() {
            members.insert((p.groups[g].name.to_string(), u.username.to_string()));
        }
    }
    Meaning {
        domain: p.domain.to_string(),
        case_sharing: p.case_sharing == Some(true),
        apps,
        users: p.users.iter().map(|u| (u.username.to_string(), u.is_active != Some(false))).collect(),
        groups: p.groups.iter().map(|g| (g.name.to_string(), g.case_sharing == Some(true))).collect(),
        members,
    }
}

/// The meaning of the loaded format 2 project.
fn actual(project: &caseshare::Project) -> Meaning {
    let def = project.def.as_ref().expect("project.yaml loads");
    let apps = project
        .apps
        .iter()
        .map(|a| {
            let modules = a
                .modules
                .iter()
                .map(|m| {
                    let own = m.case_type.as_ref().map(|c| c.value.to_string());
                    let forms = m
                        .forms
                        .iter()
                        .map(|f| {
                            let opens = f
                                .opens
                                .iter()
                                .map(|o| {
                                    let ct = o.case_type.as_ref().map(|c| c.value.to_string());
                                    // The relationship's default: none for the module's own type.
                                    let rel = o.relationship.as_ref().map(|r| r.value).unwrap_or(
                                        if ct.is_none() || ct == own {
                                            Relationship::None
                                        } else {
                                            Relationship::Child
                                        },
                                    );
                                    (ct, o.owner == Owner::Explicit, rel.as_str())
                                })
                                .collect();
                            FormM {
                                id: f.id.value.to_string(),
                                name: f.name.as_ref().map(|n| n.value.to_string()).unwrap_or_default(),
                                requires_case: f.requires == Requires::Case,
                                opens,
                            }
                        })
                        .collect();
                    ModuleM {
                        id: m.id.value.to_string(),
                        name: m.name.as_ref().map(|n| n.value.to_string()).unwrap_or_default(),
                        case_type: own,
                        forms,
                    }
                })
                .collect();
            let app = AppM {
                name: a.name.as_ref().map(|n| n.value.to_string()).unwrap_or_default(),
                version: a.commcare_version.as_ref().map(|v| v.value.text.clone()).unwrap_or_default(),
                case_sharing: a.case_sharing(),
                modules,
            };
            (a.id.value.to_string(), app)
        })
        .collect();
    let mut members = BTreeSet::new();
    for g in &project.groups {
        for m in &g.members {
            members.insert((g.name.value.to_string(), m.value.to_string()));
        }
    }
    Meaning {
        domain: def.domain.as_ref().map(|d| d.value.to_string()).unwrap_or_default(),
        case_sharing: def.case_sharing(),
        apps,
        users: project.users.iter().map(|u| (u.username.value.to_string(), u.is_active)).collect(),
        groups: project.groups.iter().map(|g| (g.name.value.to_string(), g.case_sharing())).collect(),
        members,
    }
}

// ---------------------------------------------------------------------------
// The property.

fn show(files: &[(String, String)]) -> String {
    files.iter().map(|(p, t)| format!("--- {p}\n{t}\n")).collect()
}

fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::Problems(result) => result
            .diagnostics
            .iter()
            .map(|d| format!("{} {}: {}", d.code(), result.project.files[d.file].rel, d.message))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{other:?}"),
    }
}

fn as_refs(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect()
}

/// The property for one project; reached when the migration changed something.
fn check(p: &Proj) -> Result<bool, TestCaseError> {
    let before = render(p);
    let changes = match migrate_memory(&as_refs(&before)) {
        Ok(c) => c,
        Err(r) => return Err(TestCaseError::fail(format!("refused:\n{}\n\n{}", refusal(&r), show(&before)))),
    };
    let after: Vec<(String, String)> = before
        .iter()
        .map(|(path, text)| {
            let new = changes.iter().find(|c| &c.rel == path).map_or(text, |c| &c.after);
            (path.clone(), new.clone())
        })
        .collect();
    prop_assert!(
        changes.iter().all(|c| before.iter().any(|(p, _)| *p == c.rel)),
        "a change to a file that was not there: {:?}",
        changes.iter().map(|c| &c.rel).collect::<Vec<_>>()
    );
    if std::env::var_os("MIGRATE_PROPS_SHOW").is_some() {
        eprintln!("===== before\n{}===== after\n{}", show(&before), show(&after));
    }
    let context = || format!("before:\n{}\nafter:\n{}", show(&before), show(&after));

    let result = check_memory(&as_refs(&after));
    let load_problems: Vec<String> = result
        .diagnostics
        .iter()
        .filter(|d| d.code().starts_with(['Y', 'F', 'S']))
        .map(|d| format!("{} {}: {}", d.code(), result.project.files[d.file].rel, d.message))
        .collect();
    prop_assert!(
        load_problems.is_empty(),
        "the migrated tree does not load:\n{}\n\n{}",
        load_problems.join("\n"),
        context()
    );

    let (want, got) = (expected(p), actual(&result.project));
    prop_assert_eq!(&want, &got, "the meaning changed\n{}", context());

    match migrate_memory(&as_refs(&after)) {
        Ok(again) => prop_assert!(
            again.is_empty(),
            "a second migration changes {:?}\n{}\nsecond:\n{}",
            again.iter().map(|c| &c.rel).collect::<Vec<_>>(),
            context(),
            show(&again.iter().map(|c| (c.rel.clone(), c.after.clone())).collect::<Vec<_>>())
        ),
        Err(r) => prop_assert!(false, "a second migration refuses:\n{}\n{}", refusal(&r), context()),
    }
    Ok(!changes.is_empty())
}

#[test]
fn format1_projects_migrate_without_changing_meaning() {
    property(512, 0.9, proj(), |p| check(&p));
}

// ---------------------------------------------------------------------------
// Minimal reproductions of the problems the property found. Each is valid format 1
// (an empty list written as a null, as the group-users golden fixture does with
// `users:`), so each must migrate.

/// Migrates `files` and loads the result; panics with the details when the
/// migration refuses or the result does not load as format 2.
fn migrate_and_load(files: &[(&str, &str)]) -> caseshare::CheckResult {
    let changes = migrate_memory(files).unwrap_or_else(|r| panic!("refused:\n{}", refusal(&r)));
    let after: Vec<(String, String)> = files
        .iter()
        .map(|(path, text)| {
            let new = changes.iter().find(|c| c.rel == *path).map_or(*text, |c| c.after.as_str());
            (path.to_string(), new.to_string())
        })
        .collect();
    let result = check_memory(&as_refs(&after));
    let problems: Vec<_> = result.diagnostics.iter().filter(|d| d.code().starts_with(['Y', 'F', 'S'])).collect();
    assert!(problems.is_empty(), "{:?}\n{}", problems.iter().map(|d| &d.message).collect::<Vec<_>>(), show(&after));
    result
}

/// A form's first format 1 key with no value (`subcases:`), in a form that opens a
/// case: the replacement must not leave the key's colon behind (`opens: [{}]:`).
#[test]
fn empty_legacy_key_first_in_a_form_that_opens_cases() {
    let app = "name: A\nversion: \"2.0\"\nmodules:\n  - name: M\n    case_type: patient\n    forms:\n      - name: R\n        subcases:\n        registration: yes\n";
    let result = migrate_and_load(&[("project.yaml", "project_space: d1\n"), ("apps/a.yaml", app)]);
    let opens = &result.project.apps[0].modules[0].forms[0].opens;
    assert_eq!(opens.len(), 1);
    assert!(opens[0].case_type.is_none() && opens[0].relationship.is_none() && opens[0].owner == Owner::Auto);
}

/// A group whose member list is `~` (null) and a user who joins it from `groups:`:
/// the new member must replace the null, not stand before it (`members: [grace] ~`).
#[test]
fn user_joins_a_group_whose_users_is_null() {
    let result = migrate_and_load(&[
        ("project.yaml", "project_space: d1\n"),
        ("groups/g.yaml", "groups:\n  - name: North\n    users: ~\n"),
        ("users/u.yaml", "users:\n  - username: grace\n    groups: [North]\n"),
    ]);
    let members: Vec<&str> = result.project.groups[0].members.iter().map(|m| m.value.as_str()).collect();
    assert_eq!(members, ["grace"]);
}
