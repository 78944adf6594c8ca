//! The HQ bulk user upload workbook: sheet `users` (`username`, `role`,
//! `is_active`, `group 1…N`, `location_code 1…N`) and sheet `groups` (`id`,
//! `name`, `case-sharing?`, `reporting?`, yes/no values as HQ requires), to and
//! from `users/` and `groups/`. Other columns (passwords, phone numbers, custom
//! data) have no place in the format and are reported as left out.

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
    Sheets { users, groups, left_out: Vec::new() }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The workbook, as HQ's bulk upload reads it.
pub fn write_xlsx(sheets: &Sheets) -> Result<Vec<u8>, WorkbookError> {
    let e = |x: rust_xlsxwriter::XlsxError| WorkbookError::Write(x.to_string());
    let mut book = Workbook::new();
    let max_groups = sheets.users.iter().map(|u| u.groups.len()).max().unwrap_or(0);
    let max_locations = sheets.users.iter().map(|u| u.locations.len()).max().unwrap_or(0);
    let users = book.add_worksheet();
    users.set_name("users").map_err(e)?;
    let mut header = vec!["username".to_string(), "role".into(), "is_active".into()];
    header.extend((1..=max_groups).map(|i| format!("group {i}")));
    header.extend((1..=max_locations).map(|i| format!("location_code {i}")));
    for (c, h) in header.iter().enumerate() {
        users.write_string(0, c as u16, h).map_err(e)?;
    }
    for (r, u) in sheets.users.iter().enumerate() {
        let row = r as u32 + 1;
        users.write_string(row, 0, &u.username).map_err(e)?;
        users.write_string(row, 1, u.role.as_deref().unwrap_or("")).map_err(e)?;
        users.write_string(row, 2, if u.is_active { "True" } else { "False" }).map_err(e)?;
        for (i, g) in u.groups.iter().enumerate() {
            users.write_string(row, (3 + i) as u16, g).map_err(e)?;
        }
        for (i, l) in u.locations.iter().enumerate() {
            users.write_string(row, (3 + max_groups + i) as u16, l).map_err(e)?;
        }
    }
    let groups = book.add_worksheet();
    groups.set_name("groups").map_err(e)?;
    for (c, h) in ["id", "name", "case-sharing?", "reporting?"].iter().enumerate() {
        groups.write_string(0, c as u16, *h).map_err(e)?;
    }
    for (r, g) in sheets.groups.iter().enumerate() {
        let row = r as u32 + 1;
        groups.write_string(row, 0, g.id.as_deref().unwrap_or("")).map_err(e)?;
        groups.write_string(row, 1, &g.name).map_err(e)?;
        groups.write_string(row, 2, yes_no(g.case_sharing)).map_err(e)?;
        groups.write_string(row, 3, yes_no(g.reporting)).map_err(e)?;
    }
    book.save_to_buffer().map_err(e)
}

fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        other => other.to_string().trim().to_string(),
    }
}

/// `yes`/`true` or `no`/`false`/blank, as HQ's `?` columns take them.
fn parse_yes_no(
    sheet: &'static str,
    row: usize,
    column: &str,
    value: &str,
    blank: bool,
) -> Result<bool, WorkbookError> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        "" => Ok(blank),
        _ => Err(WorkbookError::NotYesNo { sheet, row, column: column.into(), value: value.into() }),
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
    bounds::workbook(bytes)?;
    let mut book: Xlsx<Cursor<&[u8]>> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| WorkbookError::NotXlsx(e.to_string()))?;
    let mut sheets = Sheets::default();
    let mut refused: Vec<String> = Vec::new();
    let mut folded_rows: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let users = book.worksheet_range("users").map_err(|e| sheet_error(e, "users"))?;
    within_caps("users", &users)?;
    let mut rows = users.rows();
    let header: Vec<String> = rows.next().map(|r| r.iter().map(cell).collect()).unwrap_or_default();
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
    let location_cols = numbered("location_code ");
    let (role, active) = (col("role"), col("is_active"));
    for (i, h) in header.iter().enumerate() {
        let known =
            [Some(username), role, active].contains(&Some(i)) || group_cols.contains(&i) || location_cols.contains(&i);
        if !known && !h.is_empty() {
            sheets.left_out.push(format!("users: `{h}`"));
        }
    }
    for (r, row) in rows.enumerate() {
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).map(cell).unwrap_or_default();
        let name = get(Some(username));
        if name.is_empty() {
            continue;
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
        let is_active = parse_yes_no("users", r + 2, "is_active", &get(active), true)?;
        let pick = |cols: &[usize]| cols.iter().map(|c| get(Some(*c))).filter(|v| !v.is_empty()).collect::<Vec<_>>();
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
                case_sharing: parse_yes_no("groups", r + 2, "case-sharing?", &get(sharing), false)?,
                reporting: parse_yes_no("groups", r + 2, "reporting?", &get(reporting), true)?,
            });
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
fn within_caps(sheet: &str, range: &calamine::Range<Data>) -> Result<(), OverCap> {
    if range.height() > bounds::MAX_ROWS {
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
fn column_letter(mut c: usize) -> String {
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

/// `users/<name>.yaml` and `groups/<name>.yaml` texts for the rows. Groups named
/// only in a user's `group N` column are created, as HQ's upload does.
pub fn to_yaml(sheets: &Sheets, source: &str) -> (String, String) {
    let mut groups = sheets.groups.clone();
    for u in &sheets.users {
        for g in &u.groups {
            if !groups.iter().any(|x| &x.name == g) {
                groups.push(GroupRow { id: None, name: g.clone(), case_sharing: false, reporting: true });
            }
        }
    }
    let mut g_out = format!("# Imported from the CommCare HQ bulk user workbook: {source}\nformat_version: 2\n");
    if groups.is_empty() {
        g_out.push_str("groups: []\n");
    } else {
        g_out.push_str("groups:\n");
    }
    for g in &groups {
        let members: Vec<String> =
            sheets.users.iter().filter(|u| u.groups.contains(&g.name)).map(|u| scalar(&u.username)).collect();
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
