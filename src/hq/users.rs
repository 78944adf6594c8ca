//! The HQ bulk user upload workbook: sheet `users` (`username`, `user_id`,
//! `password`, `role`, `is_active`, `group 1…N`, `location_code 1…N`) and sheet
//! `groups` (`id`, `name`, `case-sharing?`, `reporting?`, yes/no values as HQ
//! requires), to and from `users/` and `groups/`, read as HQ's upload reads it
//! (`corehq/apps/user_importer/importer.py`, `validation.py`,
//! `corehq/util/workbook_json/excel.py`). Other columns (passwords, phone
//! numbers, custom data) have no place in the format and are reported as left out.
//!
//! HQ updates a user whose row has its `user_id` and creates one whose row has
//! none, which needs a `password`; it refuses a row without `user_id` whose
//! username exists. A row's `group` columns replace that user's groups, and a
//! group a row names must exist in HQ or in the `groups` sheet.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::Workbook;

use super::bounds::{self, OverCap};
use crate::Project;
use crate::yaml::edit::scalar;

/// A user row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserRow {
    pub username: String,
    /// HQ's `user_id`: with it the upload updates the user, without it the row
    /// creates one.
    pub id: Option<String>,
    pub role: Option<String>,
    pub is_active: bool,
    pub groups: Vec<String>,
    pub locations: Vec<String>,
}

/// A group row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupRow {
    pub id: Option<String>,
    pub name: String,
    pub case_sharing: bool,
    pub reporting: bool,
}

/// The content of a workbook.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheets {
    pub users: Vec<UserRow>,
    pub groups: Vec<GroupRow>,
    /// Columns read but left out, for the user to know.
    pub left_out: Vec<String>,
    /// What else of the workbook HQ's reader does not take, one line each.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WorkbookError {
    #[error("not an .xlsx workbook: {0}")]
    NotXlsx(String),
    #[error("the workbook has no `{0}` sheet")]
    NoSheet(&'static str),
    #[error("sheet `{0}` has no `{1}` column")]
    NoColumn(&'static str, &'static str),
    #[error("sheet `{sheet}`, row {row}: values for field `{column}` must be \"yes\" or \"no\", found `{value}`")]
    NotYesNo { sheet: &'static str, row: usize, column: String, value: String },
    #[error("sheet `{sheet}`, row {row}: column `{column}` can only contain true or false, found `{value}`")]
    NotTrueFalse { sheet: &'static str, row: usize, column: String, value: String },
    #[error("cannot write the workbook: {0}")]
    Write(String),
    #[error(transparent)]
    OverCap(#[from] OverCap),
    /// Values HQ's upload would refuse, one line each (sheet, row, column).
    #[error("{}", .0.join("\n"))]
    Refused(Vec<String>),
}

/// Why HQ's bulk upload refuses a username (`users/util.py:generate_mobile_username`
/// and `users/validation.py:validate_mobile_username`): without `@` it is
/// lowercased with runs of white space as `.`; the part before `@` must be dots
/// between runs of ASCII letters, digits and `+ - / = ? ^ _`; a full address must
/// end in `@<domain>.commcarehq.org`; and the lowercased part before `@` may hold at
/// most `min(112 - len(domain), 80)` characters (`users/forms.py`). `None` when HQ
/// accepts it.
pub fn username_problem(username: &str, domain: Option<&str>) -> Option<String> {
    let raw = username.trim();
    let folded;
    let local = match raw.rsplit_once('@') {
        Some((local, at)) => {
            if let Some(d) = domain
                && at != format!("{d}.commcarehq.org")
            {
                return Some(format!("its address must end in `@{d}.commcarehq.org`"));
            }
            local
        }
        None => {
            folded = raw.split_whitespace().collect::<Vec<_>>().join(".").to_lowercase();
            &folded
        }
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+-/=?^_".contains(c);
    if local.is_empty() || local.split('.').any(|part| part.is_empty() || !part.chars().all(allowed)) {
        return Some("HQ allows letters, digits and `+ - / = ? ^ _`, with single dots between them".into());
    }
    let max = domain.map_or(80, |d| 80.min(112usize.saturating_sub(d.len())));
    if local.chars().count() > max {
        return Some(format!("HQ allows at most {max} characters before the `@`"));
    }
    None
}

/// HQ's `SQLLocation.site_code` holds at most this many characters.
const MAX_SITE_CODE: usize = 255;

/// The rows of a project's users and groups (first definitions, file order).
pub fn from_project(project: &Project) -> Sheets {
    let mut memberships: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for g in &project.groups {
        for m in &g.members {
            let list = memberships.entry(m.as_str()).or_default();
            if !list.iter().any(|n| g.name.value == *n) {
                list.push(g.name.value.to_string());
            }
        }
    }
    let users = project
        .users
        .iter()
        .map(|u| UserRow {
            username: u.username.value.to_string(),
            id: u.id.as_ref().map(|i| i.value.to_string()),
            role: u.role.as_ref().map(|r| r.value.to_string()),
            is_active: u.is_active,
            groups: memberships.get(u.username.as_str()).cloned().unwrap_or_default(),
            locations: u.locations.iter().map(|l| l.value.to_string()).collect(),
        })
        .collect();
    let groups = project
        .groups
        .iter()
        .map(|g| GroupRow {
            id: g.id.as_ref().map(|i| i.value.to_string()),
            name: g.name.value.to_string(),
            case_sharing: g.case_sharing(),
            reporting: g.reporting,
        })
        .collect();
    Sheets { users, groups, left_out: Vec::new(), notes: Vec::new() }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The headers of the `users` sheet that [`write_xlsx`] writes before the
/// `group N` and `location_code N` columns: `username`, and what HQ needs to take
/// a row as an update (`user_id`) or as a new user (`password`).
pub const USER_HEADERS: [&str; 5] = ["username", "user_id", "password", "role", "is_active"];

/// The headers of the `groups` sheet, as HQ's own download writes them.
pub const GROUP_HEADERS: [&str; 4] = ["id", "name", "case-sharing?", "reporting?"];

/// The workbook, as HQ's bulk upload reads it: every user with their `user_id`
/// when known, the `password` cells left blank (HQ keeps a user's password when
/// the cell is blank; a new user, one without `user_id`, needs one filled in).
pub fn write_xlsx(sheets: &Sheets) -> Result<Vec<u8>, WorkbookError> {
    let e = |x: rust_xlsxwriter::XlsxError| WorkbookError::Write(x.to_string());
    let mut book = Workbook::new();
    let max_groups = sheets.users.iter().map(|u| u.groups.len()).max().unwrap_or(0);
    let max_locations = sheets.users.iter().map(|u| u.locations.len()).max().unwrap_or(0);
    let mut header: Vec<String> = USER_HEADERS.iter().map(|h| h.to_string()).collect();
    header.extend((1..=max_groups).map(|i| format!("group {i}")));
    header.extend((1..=max_locations).map(|i| format!("location_code {i}")));
    let users = super::headed_sheet(&mut book, "users", &header).map_err(e)?;
    let first_group = USER_HEADERS.len();
    for (r, u) in sheets.users.iter().enumerate() {
        let row = r as u32 + 1;
        users.write_string(row, 0, &u.username).map_err(e)?;
        users.write_string(row, 1, u.id.as_deref().unwrap_or("")).map_err(e)?;
        users.write_string(row, 2, "").map_err(e)?;
        users.write_string(row, 3, u.role.as_deref().unwrap_or("")).map_err(e)?;
        users.write_string(row, 4, if u.is_active { "True" } else { "False" }).map_err(e)?;
        for (i, g) in u.groups.iter().enumerate() {
            users.write_string(row, (first_group + i) as u16, g).map_err(e)?;
        }
        for (i, l) in u.locations.iter().enumerate() {
            users.write_string(row, (first_group + max_groups + i) as u16, l).map_err(e)?;
        }
    }
    let groups = super::headed_sheet(&mut book, "groups", GROUP_HEADERS).map_err(e)?;
    for (r, g) in sheets.groups.iter().enumerate() {
        let row = r as u32 + 1;
        groups.write_string(row, 0, g.id.as_deref().unwrap_or("")).map_err(e)?;
        groups.write_string(row, 1, &g.name).map_err(e)?;
        groups.write_string(row, 2, yes_no(g.case_sharing)).map_err(e)?;
        groups.write_string(row, 3, yes_no(g.reporting)).map_err(e)?;
    }
    book.save_to_buffer().map_err(e)
}

/// What the user must know before uploading the workbook of these rows to HQ:
/// whom HQ would take as new users (they need a password), that each row
/// replaces the user's groups, and that locations are left alone when no
/// `location_code` column is written.
pub fn export_notes(sheets: &Sheets) -> Vec<String> {
    let mut notes = Vec::new();
    for (rows, sheet) in [(sheets.users.len(), "users"), (sheets.groups.len(), "groups")] {
        if rows > bounds::MAX_ROWS {
            notes.push(format!(
                "warning: the `{sheet}` sheet has {rows} rows, more than the {} `caseshare import hq-users` reads back:                  split the project's {sheet} into uploads of at most that many",
                bounds::MAX_ROWS
            ));
        }
    }
    let new: Vec<&str> = sheets.users.iter().filter(|u| u.id.is_none()).map(|u| u.username.as_str()).collect();
    if !new.is_empty() {
        let shown: Vec<String> = new.iter().take(5).map(|n| format!("`{n}`")).collect();
        let more = if new.len() > 5 { format!(" and {} more", new.len() - 5) } else { String::new() };
        notes.push(format!(
            "note: {} user{} ha{} no `id` ({}{more}): HQ takes such a row as a new user, who needs a password; \
             fill in their `password` cells before uploading (caseshare keeps no passwords), or, for users who \
             already exist in HQ, give them their HQ `user_id` as `id` (`caseshare import hq-users` keeps it from \
             HQ's user download): HQ refuses an existing username without it (\"The username already belongs to a \
             user. Specify an ID to update the user.\")",
            new.len(),
            if new.len() == 1 { "" } else { "s" },
            if new.len() == 1 { "s" } else { "ve" },
            shown.join(", ")
        ));
    }
    notes.push(
        "note: HQ's upload replaces each listed user's groups with those of their row's `group` columns: \
         a user with none leaves every group"
            .to_string(),
    );
    if !sheets.users.iter().any(|u| !u.locations.is_empty()) {
        notes.push(
            "note: no user has locations, so the workbook has no `location_code` column and HQ leaves \
             users' locations as they are"
                .to_string(),
        );
    }
    notes
}

/// A cell's text as HQ's reader sees it: trimmed, a whole number without `.0`.
pub(super) fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        other => other.to_string().trim().to_string(),
    }
}

/// `yes`/`true` or `no`/`false`, any case, as HQ reads a `?` column
/// (`corehq/util/workbook_json/excel.py`); a blank cell is `no`.
fn parse_yes_no(sheet: &'static str, row: usize, column: &str, value: &str) -> Result<bool, WorkbookError> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" | "" => Ok(false),
        _ => Err(WorkbookError::NotYesNo { sheet, row, column: column.into(), value: value.into() }),
    }
}

/// A value HQ's `string_to_boolean` reads (`true t yes y 1`, `false f no n 0`,
/// any case); a blank cell leaves the setting as it is (`blank`).
fn parse_true_false(
    sheet: &'static str,
    row: usize,
    column: &str,
    value: &str,
    blank: bool,
) -> Result<bool, WorkbookError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Ok(true),
        "false" | "f" | "no" | "n" | "0" => Ok(false),
        "" => Ok(blank),
        _ => Err(WorkbookError::NotTrueFalse { sheet, row, column: column.into(), value: value.into() }),
    }
}

/// Reads a bulk user workbook, within the caps of [`super::bounds`]: the archive
/// is measured before it is inflated, then rows and cells are counted.
pub fn read_xlsx(bytes: &[u8]) -> Result<Sheets, WorkbookError> {
    read_xlsx_for(bytes, None)
}

/// [`read_xlsx`] for the project space `domain` (when known): usernames, group
/// names and location codes that HQ's upload would refuse are errors naming
/// their sheet, row and column.
pub fn read_xlsx_for(bytes: &[u8], domain: Option<&str>) -> Result<Sheets, WorkbookError> {
    read_xlsx_in(bytes, domain, &[])
}

/// [`read_xlsx_for`] in a project whose `groups/` define the groups `defined`: a
/// group named in a user row must be one of them or in the `groups` sheet, as
/// HQ's upload requires of the groups in HQ.
pub fn read_xlsx_in(bytes: &[u8], domain: Option<&str>, defined: &[&str]) -> Result<Sheets, WorkbookError> {
    bounds::workbook(bytes)?;
    let mut book: Xlsx<Cursor<&[u8]>> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| WorkbookError::NotXlsx(e.to_string()))?;
    let mut sheets = Sheets::default();
    let mut refused: Vec<String> = Vec::new();
    let mut folded_rows: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let users = book.worksheet_range("users").map_err(|e| sheet_error(e, "users"))?;
    within_caps("users", &users)?;
    let mut rows = users.rows();
    let mut header: Vec<String> = rows.next().map(|r| r.iter().map(cell).collect()).unwrap_or_default();
    // As HQ's reader (`workbook_json/excel.py`): the headers up to the first
    // blank cell, each once ("You have a repeat field"), the rows up to the
    // first blank one.
    if let Some(width) = header.iter().position(String::is_empty) {
        let beyond: Vec<String> = header[width..].iter().filter(|h| !h.is_empty()).map(|h| format!("`{h}`")).collect();
        if !beyond.is_empty() {
            sheets.notes.push(format!(
                "sheet `users`: HQ reads the headers up to the first blank cell, column {}, so {} after it {} left out",
                column_letter(width),
                beyond.join(", "),
                if beyond.len() == 1 { "is" } else { "are" }
            ));
        }
        header.truncate(width);
    }
    for (i, h) in header.iter().enumerate() {
        if header[..i].contains(h) {
            refused.push(format!(
                "sheet `users`, column {}: `{h}` is a header twice; HQ refuses the workbook (\"You have a repeat field: {h}\")",
                column_letter(i)
            ));
        }
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let username = col("username").ok_or(WorkbookError::NoColumn("users", "username"))?;
    let numbered = |prefix: &str| {
        let mut cols: Vec<(usize, usize)> = header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.strip_prefix(prefix)?.trim().parse::<usize>().ok().map(|n| (n, i)))
            .collect();
        cols.sort_unstable();
        cols.into_iter().map(|(_, i)| i).collect::<Vec<usize>>()
    };
    let group_cols = numbered("group ");
    // HQ takes one `location_code` as a list of one (`format_location_codes`).
    let mut location_cols = numbered("location_code ");
    location_cols.extend(col("location_code"));
    let (role, active, user_id) = (col("role"), col("is_active"), col("user_id"));
    // A `password` column is left out only when it holds passwords: blank cells,
    // and the `********` of HQ's download, are none (HQ's `is_password`).
    let password = col("password").filter(|&c| {
        users.rows().skip(1).any(|r| r.get(c).map(cell).is_some_and(|v| !v.is_empty() && !v.chars().all(|x| x == '*')))
    });
    // (row, column, group name) of every group a user row names.
    let mut named: Vec<(usize, String, String)> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let known = [Some(username), role, active, user_id].contains(&Some(i))
            || (h == "password" && password.is_none())
            || group_cols.contains(&i)
            || location_cols.contains(&i);
        if !known && !h.is_empty() {
            sheets.left_out.push(format!("users: `{h}`"));
        }
    }
    let width = header.len();
    let blank = |row: &[Data]| row.iter().take(width).all(|d| cell(d).is_empty());
    let mut rows = rows.enumerate();
    while let Some((r, row)) = rows.next() {
        if blank(row) {
            if let Some((next, _)) = rows.find(|(_, row)| !blank(row)) {
                sheets.notes.push(format!(
                    "sheet `users`: row {} is blank, and HQ reads no row after it, so rows {} and on are left out",
                    r + 2,
                    next + 2
                ));
            }
            break;
        }
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).map(cell).unwrap_or_default();
        let mut name = get(Some(username));
        if name.is_empty() {
            continue;
        }
        // HQ takes `david@<domain>.commcarehq.org` for `david` (`raw_username`).
        if let Some(local) = domain.and_then(|d| name.strip_suffix(&format!("@{d}.commcarehq.org"))) {
            name = local.to_string();
        }
        let at = |column: &str| format!("sheet `users`, row {}, column `{column}`", r + 2);
        if let Some(why) = username_problem(&name, domain) {
            refused.push(format!("{}: HQ refuses the username `{name}`: {why}", at("username")));
        } else if let Some(first) = folded_rows.insert(crate::fold::username(&name).into_owned(), r + 2) {
            refused.push(format!(
                "{}: the username `{name}` is the user of row {first} in HQ, which folds usernames to lowercase",
                at("username")
            ));
        }
        let role = get(role);
        let id = get(user_id);
        // A number in `is_active` (not the text `0` or `1`) is none of HQ's
        // values (`spec_value_to_boolean_or_none`): the user's status is left
        // as it is, active for a new user.
        let number = active.and_then(|c| row.get(c)).is_some_and(|d| matches!(d, Data::Int(_) | Data::Float(_)));
        if number {
            sheets.notes.push(format!(
                "{}: a number, which HQ's upload ignores (it leaves the user's status as it is): read as active",
                at("is_active")
            ));
        }
        let is_active =
            parse_true_false("users", r + 2, "is_active", &if number { String::new() } else { get(active) }, true)?;
        let pick = |cols: &[usize]| cols.iter().map(|c| get(Some(*c))).filter(|v| !v.is_empty()).collect::<Vec<_>>();
        for c in &group_cols {
            let group = get(Some(*c));
            if !group.is_empty() {
                named.push((r + 2, header[*c].clone(), group));
            }
        }
        for (n, c) in location_cols.iter().enumerate() {
            let code = get(Some(*c));
            if code.chars().count() > MAX_SITE_CODE {
                refused.push(format!(
                    "{}: HQ's location codes hold at most {MAX_SITE_CODE} characters",
                    at(&header.get(*c).cloned().unwrap_or_else(|| format!("location_code {}", n + 1)))
                ));
            }
        }
        sheets.users.push(UserRow {
            username: name,
            id: (!id.is_empty()).then_some(id),
            role: (!role.is_empty()).then_some(role),
            is_active,
            groups: pick(&group_cols),
            locations: pick(&location_cols),
        });
    }
    let groups = match book.worksheet_range("groups") {
        Ok(groups) => Some(groups),
        Err(calamine::XlsxError::WorksheetNotFound(_)) => None,
        Err(e) => return Err(sheet_error(e, "groups")),
    };
    let mut group_rows: Vec<usize> = Vec::new();
    if let Some(groups) = groups {
        within_caps("groups", &groups)?;
        let mut rows = groups.rows();
        let header: Vec<String> = rows.next().map(|r| r.iter().map(cell).collect()).unwrap_or_default();
        let col = |name: &str| header.iter().position(|h| h == name);
        let name = col("name").ok_or(WorkbookError::NoColumn("groups", "name"))?;
        let (id, sharing, reporting) = (col("id"), col("case-sharing?"), col("reporting?"));
        for (i, h) in header.iter().enumerate() {
            if ![Some(name), id, sharing, reporting].contains(&Some(i)) && !h.is_empty() {
                sheets.left_out.push(format!("groups: `{h}`"));
            }
        }
        for (r, row) in rows.enumerate() {
            let get = |c: Option<usize>| c.and_then(|c| row.get(c)).map(cell).unwrap_or_default();
            let group_name = get(Some(name));
            if group_name.is_empty() {
                continue;
            }
            let group_id = get(id);
            if let Some(first) = sheets.groups.iter().position(|g| g.name == group_name) {
                refused.push(format!(
                    "sheet `groups`, row {}, column `name`: the group `{group_name}` is also on row {}; HQ's upload would keep only the first",
                    r + 2,
                    group_rows[first]
                ));
            }
            group_rows.push(r + 2);
            sheets.groups.push(GroupRow {
                id: (!group_id.is_empty()).then_some(group_id),
                name: group_name,
                case_sharing: parse_yes_no("groups", r + 2, "case-sharing?", &get(sharing))?,
                reporting: parse_yes_no("groups", r + 2, "reporting?", &get(reporting))?,
            });
        }
    }
    // HQ's `GroupValidator`: a group a row names exists in HQ or in the sheet
    // (exact, case-sensitive names).
    for (row, column, group) in named {
        if !sheets.groups.iter().any(|g| g.name == group) && !defined.contains(&group.as_str()) {
            refused.push(format!(
                "sheet `users`, row {row}, column `{column}`: group `{group}` is neither in sheet `groups` nor in \
                 `groups/`; HQ refuses the row (\"Group '{group}' does not exist (try adding it to your spreadsheet)\")"
            ));
        }
    }
    if !refused.is_empty() {
        return Err(WorkbookError::Refused(refused));
    }
    Ok(sheets)
}

/// A sheet that is missing, or a workbook whose parts do not read (a broken
/// archive).
fn sheet_error(e: calamine::XlsxError, sheet: &'static str) -> WorkbookError {
    match e {
        calamine::XlsxError::WorksheetNotFound(_) => WorkbookError::NoSheet(sheet),
        e => WorkbookError::NotXlsx(e.to_string()),
    }
}

/// A sheet within [`bounds::MAX_ROWS`] rows of cells of at most
/// [`bounds::MAX_CELL_CHARS`] characters; an error names the sheet, row and column.
pub(super) fn within_caps(sheet: &str, range: &calamine::Range<Data>) -> Result<(), OverCap> {
    if range.height() > bounds::MAX_ROWS + 1 {
        return Err(OverCap::Rows(sheet.to_string()));
    }
    let header: Vec<String> = range.rows().next().map(|r| r.iter().map(cell).collect()).unwrap_or_default();
    for (r, row) in range.rows().enumerate() {
        for (c, value) in row.iter().enumerate() {
            if let Data::String(s) = value
                && s.chars().count() > bounds::MAX_CELL_CHARS
            {
                let column =
                    header.get(c).filter(|h| !h.is_empty() && r > 0).cloned().unwrap_or_else(|| column_letter(c));
                return Err(OverCap::Cell { sheet: sheet.to_string(), row: r + 1, column });
            }
        }
    }
    Ok(())
}

/// A spreadsheet column's letters: 0 → `A`, 26 → `AA`.
pub(super) fn column_letter(mut c: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The groups file an import writes.
pub const IMPORT_GROUPS_FILE: &str = "groups/hq-groups.yaml";

/// A group the project defines before an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectGroup {
    pub group: GroupRow,
    /// Its members, as written.
    pub members: Vec<String>,
    /// The file that defines it, relative to the project root.
    pub file: String,
}

/// A group of a file other than [`IMPORT_GROUPS_FILE`] whose members an import
/// changes, as a row's groups replace the user's.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberChange {
    pub file: String,
    pub group: String,
    /// Members to remove, as written in the file.
    pub remove: Vec<String>,
    /// Users to add, as their rows write them.
    pub add: Vec<String>,
}

/// What an import does to groups: HQ's upload keeps every group, takes the
/// settings of the `groups` sheet, and replaces the groups of each user it lists
/// with those of their row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupPlan {
    /// [`IMPORT_GROUPS_FILE`]: the sheet's groups, then the groups it defined
    /// before that the sheet does not list, each with its members.
    pub written: Vec<(GroupRow, Vec<String>)>,
    /// Groups of other files whose members change.
    pub elsewhere: Vec<MemberChange>,
    /// Groups of the sheet that another file defines: (group, file). Their
    /// members there follow the rows; their settings there are kept.
    pub defined_elsewhere: Vec<(String, String)>,
}

/// The groups of an import of `sheets` into a project whose groups are `existing`.
pub fn plan_groups(sheets: &Sheets, existing: &[ProjectGroup]) -> GroupPlan {
    use crate::fold;
    use std::collections::{HashMap, HashSet};
    // Each listed user's groups, by folded username.
    let rows: HashMap<String, &UserRow> =
        sheets.users.iter().map(|u| (fold::username(&u.username).into_owned(), u)).collect();
    let row_of = |member: &str| rows.get(&*fold::username(member)).copied();
    let joining = |group: &str| -> Vec<String> {
        sheets.users.iter().filter(|u| u.groups.iter().any(|g| g == group)).map(|u| u.username.clone()).collect()
    };
    // Members who stay: those no row lists (HQ leaves them alone).
    let staying =
        |members: &[String]| -> Vec<String> { members.iter().filter(|m| row_of(m).is_none()).cloned().collect() };
    let mut plan = GroupPlan::default();
    let elsewhere_names: HashSet<&str> =
        existing.iter().filter(|g| g.file != IMPORT_GROUPS_FILE).map(|g| g.group.name.as_str()).collect();
    for g in &sheets.groups {
        if elsewhere_names.contains(g.name.as_str()) {
            let file = existing.iter().find(|e| e.group.name == g.name).map(|e| e.file.clone()).unwrap_or_default();
            plan.defined_elsewhere.push((g.name.clone(), file));
            continue;
        }
        let before = existing.iter().find(|e| e.file == IMPORT_GROUPS_FILE && e.group.name == g.name);
        let mut members = before.map(|b| staying(&b.members)).unwrap_or_default();
        members.extend(joining(&g.name));
        plan.written.push((g.clone(), members));
    }
    for e in existing.iter().filter(|e| e.file == IMPORT_GROUPS_FILE) {
        if sheets.groups.iter().any(|g| g.name == e.group.name) || elsewhere_names.contains(e.group.name.as_str()) {
            continue;
        }
        let mut members = staying(&e.members);
        members.extend(joining(&e.group.name));
        plan.written.push((e.group.clone(), members));
    }
    for e in existing.iter().filter(|e| e.file != IMPORT_GROUPS_FILE) {
        let remove: Vec<String> = e
            .members
            .iter()
            .filter(|m| row_of(m).is_some_and(|u| !u.groups.contains(&e.group.name)))
            .cloned()
            .collect();
        let present: HashSet<String> = e.members.iter().map(|m| fold::username(m).into_owned()).collect();
        let add: Vec<String> =
            joining(&e.group.name).into_iter().filter(|u| !present.contains(&*fold::username(u))).collect();
        if !remove.is_empty() || !add.is_empty() {
            plan.elsewhere.push(MemberChange { file: e.file.clone(), group: e.group.name.clone(), remove, add });
        }
    }
    plan
}

/// `users/<name>.yaml` and `groups/<name>.yaml` texts for the rows, in a project
/// with no groups of its own.
pub fn to_yaml(sheets: &Sheets, source: &str) -> (String, String) {
    to_yaml_planned(sheets, source, &plan_groups(sheets, &[]))
}

/// `users/<name>.yaml` and [`IMPORT_GROUPS_FILE`] texts for the rows and the
/// planned groups.
pub fn to_yaml_planned(sheets: &Sheets, source: &str, plan: &GroupPlan) -> (String, String) {
    let mut g_out = format!("# Imported from the CommCare HQ bulk user workbook: {source}\nformat_version: 2\n");
    if plan.written.is_empty() {
        g_out.push_str("groups: []\n");
    } else {
        g_out.push_str("groups:\n");
    }
    for (g, members) in &plan.written {
        let members: Vec<String> = members.iter().map(|m| scalar(m)).collect();
        g_out.push_str(&format!("  - name: {}\n", scalar(&g.name)));
        if let Some(id) = &g.id {
            g_out.push_str(&format!("    id: {}\n", scalar(id)));
        }
        g_out.push_str(&format!("    case_sharing: {}\n", g.case_sharing));
        if !g.reporting {
            g_out.push_str("    reporting: false\n");
        }
        g_out.push_str(&format!("    members: [{}]\n", members.join(", ")));
    }
    let mut u_out = format!("# Imported from the CommCare HQ bulk user workbook: {source}\nformat_version: 2\n");
    if sheets.users.is_empty() {
        u_out.push_str("users: []\n");
    } else {
        u_out.push_str("users:\n");
    }
    for u in &sheets.users {
        u_out.push_str(&format!("  - username: {}\n", scalar(&u.username)));
        if let Some(id) = &u.id {
            u_out.push_str(&format!("    id: {}\n", scalar(id)));
        }
        if let Some(role) = &u.role {
            u_out.push_str(&format!("    role: {}\n", scalar(role)));
        }
        if !u.locations.is_empty() {
            let l: Vec<String> = u.locations.iter().map(|x| scalar(x)).collect();
            u_out.push_str(&format!("    locations: [{}]\n", l.join(", ")));
        }
        if !u.is_active {
            u_out.push_str("    is_active: false\n");
        }
    }
    (u_out, g_out)
}

/// A groups file's text with the members of its groups changed, everything else
/// as it was: a block list loses the lines of the members removed and gains lines
/// for those added; a flow list is written again with the members kept, as
/// written, and those added. `None` when the file is not a groups list this can
/// edit (it was loaded, so that is not expected).
pub fn member_edits(text: &str, changes: &[&MemberChange]) -> Option<String> {
    use crate::edit::{self, Edit};
    use crate::yaml::Value;
    use crate::yaml::edit::{append_items, content_end, entry, insert_entry, is_flow, line_end, line_start};
    let root = crate::yaml::parse(text).ok()?;
    let (_, _, list) = entry(&root, "groups")?;
    let Value::Seq(groups) = &list.value else { return None };
    let mut edits: Vec<Edit> = Vec::new();
    for change in changes {
        let group = groups.iter().find(|g| entry(g, "name").and_then(|(_, _, v)| v.as_str()) == Some(&change.group))?;
        let added: Vec<String> = change.add.iter().map(|a| scalar(a)).collect();
        let Some((_, key, members)) = entry(group, "members") else {
            edits.push(insert_entry(group, None, "members", &format!("[{}]", added.join(", ")), text));
            continue;
        };
        let items: Vec<&crate::yaml::Node> = match &members.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            _ => return None,
        };
        let removed = |n: &crate::yaml::Node| n.as_str().is_some_and(|m| change.remove.iter().any(|r| r == m));
        let kept: Vec<&crate::yaml::Node> = items.iter().copied().filter(|n| !removed(n)).collect();
        if items.is_empty() || is_flow(members, text) || kept.is_empty() {
            let mut all: Vec<String> = kept.iter().map(|n| n.source(text).trim().to_string()).collect();
            all.extend(added);
            let new = format!("[{}]", all.join(", "));
            if members.span.is_empty() {
                edits.push(crate::yaml::edit::replace_value(text, key, members, &new));
            } else {
                // From the colon, so that a block list's lines go as well.
                let colon = text[key.span.end..members.span.start].find(':')? + key.span.end + 1;
                edits.push(Edit::new(colon..content_end(text, members), format!(" {new}")));
            }
            continue;
        }
        for n in items.iter().filter(|n| removed(n)) {
            let start = line_start(text, n.span.start);
            // Only a line that holds nothing but `- name` (and a comment).
            if text[start..n.span.start].trim() != "-" {
                return None;
            }
            edits.push(Edit::new(start..line_end(text, n.span.end), ""));
        }
        // After the last item's line, in its style (an insertion at the end of a
        // removed line follows it).
        edits.extend(append_items(key, members, &added, text));
    }
    edit::apply(text, &edits).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An export the import would not read back whole says so.
    #[test]
    fn an_export_over_the_import_cap_warns() {
        let user = |i: usize| UserRow {
            username: format!("u{i}"),
            id: Some(format!("id{i}")),
            role: None,
            is_active: true,
            groups: Vec::new(),
            locations: Vec::new(),
        };
        let warned = |n: usize| {
            let sheets = Sheets { users: (0..n).map(user).collect(), ..Sheets::default() };
            export_notes(&sheets).iter().any(|n| n.starts_with("warning: the `users` sheet has"))
        };
        assert!(!warned(bounds::MAX_ROWS));
        assert!(warned(bounds::MAX_ROWS + 1));
    }

    fn change(group: &str, remove: &[&str], add: &[&str]) -> MemberChange {
        MemberChange {
            file: "groups/g.yaml".into(),
            group: group.into(),
            remove: remove.iter().map(|s| s.to_string()).collect(),
            add: add.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn member_edits_keep_the_rest_of_the_file() {
        let text = "format_version: 2
groups:
  - {name: A, members: [david, maria, joseph]}   # the first village
  - name: B
    members:
      - david   # moved here in May
      - joseph
  - name: C
  - {name: D, members: [david]}
";
        let changes = [
            change("A", &["david", "joseph"], &["amina"]),
            change("B", &["david"], &["amina"]),
            change("C", &[], &["amina"]),
            change("D", &["david"], &[]),
        ];
        let refs: Vec<&MemberChange> = changes.iter().collect();
        assert_eq!(
            member_edits(text, &refs).as_deref(),
            Some(
                "format_version: 2
groups:
  - {name: A, members: [maria, amina]}   # the first village
  - name: B
    members:
      - joseph
      - amina
  - name: C
    members: [amina]
  - {name: D, members: []}
"
            )
        );
        // A block list that loses every member becomes `[]`.
        let block = "format_version: 2\ngroups:\n  - name: B\n    members:\n      - david\n    reporting: false\n";
        let c = change("B", &["david"], &[]);
        assert_eq!(
            member_edits(block, &[&c]).as_deref(),
            Some("format_version: 2\ngroups:\n  - name: B\n    members: []\n    reporting: false\n")
        );
    }

    fn row(name: &str, groups: &[&str]) -> UserRow {
        UserRow {
            username: name.into(),
            id: None,
            role: None,
            is_active: true,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            locations: Vec::new(),
        }
    }

    fn group(name: &str, sharing: bool) -> GroupRow {
        GroupRow { id: None, name: name.into(), case_sharing: sharing, reporting: true }
    }

    fn existing(name: &str, members: &[&str], file: &str) -> ProjectGroup {
        ProjectGroup {
            group: group(name, true),
            members: members.iter().map(|m| m.to_string()).collect(),
            file: file.into(),
        }
    }

    #[test]
    fn groups_are_planned_as_hq_keeps_them() {
        let sheets = Sheets {
            users: vec![row("david", &["A", "Old"]), row("Maria", &[])],
            groups: vec![group("A", false), group("V", true)],
            left_out: Vec::new(),
            notes: Vec::new(),
        };
        let before = [
            // The file the import rewrites: `A` takes the sheet's settings and keeps
            // joseph, whom no row lists; `Old` is not in the sheet and stays.
            existing("A", &["joseph", "maria"], IMPORT_GROUPS_FILE),
            existing("Old", &["joseph"], IMPORT_GROUPS_FILE),
            // Another file: `V` is in the sheet too, so it stays there.
            existing("V", &["david", "maria"], "groups/villages.yaml"),
        ];
        let plan = plan_groups(&sheets, &before);
        let written: Vec<(&str, bool, Vec<&str>)> = plan
            .written
            .iter()
            .map(|(g, m)| (g.name.as_str(), g.case_sharing, m.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(written, [("A", false, vec!["joseph", "david"]), ("Old", true, vec!["joseph", "david"])]);
        assert_eq!(plan.defined_elsewhere, [("V".to_string(), "groups/villages.yaml".to_string())]);
        assert_eq!(
            plan.elsewhere,
            [MemberChange {
                file: "groups/villages.yaml".into(),
                group: "V".into(),
                remove: vec!["david".into(), "maria".into()],
                add: Vec::new(),
            }]
        );
    }
}
