//! HQ's bulk location upload workbook (`locations/bulk_management.py`,
//! `locations/const.py`): sheet `types` (`code`, `name`, `parent_code`,
//! `Delete(Y/N)`, `Shares Cases Y/N`, `View Child Cases (Y/N)`) and one sheet per
//! location type, titled with the type's code (`location_id`, `site_code`, `name`,
//! `parent_site_code`, `external_id`, `latitude`, `longitude`, `Delete(Y/N)`, and
//! optionally `data: <field>`, `uncategorized_data`, `Delete Uncategorized
//! Data(Y/N)`), to and from `locations/` and project.yaml's `location_types`.
//!
//! The workbook is read as HQ's reader reads it (`workbook_json/excel.py`): the
//! headers from A1 up to the first blank cell, the rows up to the first blank one.
//! What HQ's upload refuses about single rows (headers, yes/no values, blank or
//! over-long codes and names, a latitude that is no number, a type code used
//! twice, two siblings with one name) is refused naming the sheet, row and
//! column. What it refuses about the tree (a type's unknown parent, a cycle of
//! types, a location of an unknown type or with an unknown parent, a parent of the
//! wrong type, a site code used twice) is left to `caseshare check` (R001, L001,
//! L002, D001) once imported: the import writes what the workbook says.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::Workbook;

use super::bounds;
use super::users::{WorkbookError, cell, column_letter, within_caps};
use crate::Project;
use crate::fold;
use crate::yaml::edit::{self, scalar};
use crate::yaml::{Node, Value};

/// The title of the sheet of location types.
pub const TYPES_SHEET: &str = "types";
/// The headers of the `types` sheet, in HQ's order (`LOCATION_TYPE_SHEET_HEADERS`).
pub const TYPE_HEADERS: [&str; 6] =
    ["code", "name", "parent_code", "Delete(Y/N)", "Shares Cases Y/N", "View Child Cases (Y/N)"];
/// The headers of a location sheet, in HQ's order (`LOCATION_SHEET_HEADERS_BASE`).
pub const LOCATION_HEADERS: [&str; 8] =
    ["location_id", "site_code", "name", "parent_site_code", "external_id", "latitude", "longitude", "Delete(Y/N)"];
/// Headers a location sheet may have besides those (`LOCATION_SHEET_HEADERS_OPTIONAL`),
/// and any `data: <field>`.
pub const OPTIONAL_LOCATION_HEADERS: [&str; 2] = ["uncategorized_data", "Delete Uncategorized Data(Y/N)"];
/// HQ's parent code of a top-level type (`ROOT_LOCATION_TYPE`).
pub const ROOT: &str = "TOP";
/// HQ's `SQLLocation.site_code` and `name` hold at most this many characters.
const MAX_LOCATION_CHARS: usize = 255;
/// An Excel sheet title holds at most this many characters.
const MAX_TITLE_CHARS: usize = 31;

/// A row of the `types` sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRow {
    pub code: String,
    pub name: String,
    /// `None` for a top-level type (blank, or HQ's `TOP`).
    pub parent_code: Option<String>,
    pub shares_cases: bool,
    pub view_descendants: bool,
}

/// A row of a location sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRow {
    /// The title of its sheet: its type's code.
    pub type_code: String,
    /// Lowercased, as HQ stores it.
    pub site_code: String,
    pub name: String,
    /// Lowercased; `None` at the top level.
    pub parent_site_code: Option<String>,
}

/// The content of a workbook.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheets {
    pub types: Vec<TypeRow>,
    pub locations: Vec<LocationRow>,
    /// Columns with values that the definitions have no place for, one line each.
    pub left_out: Vec<String>,
}

/// A location type as the import writes it into project.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeDef {
    pub name: String,
    /// Written only when it differs from [`derived_code`] of the name.
    pub code: Option<String>,
    pub parent: Option<String>,
    pub view_descendants: bool,
    pub shares_cases: bool,
}

/// HQ's code for a location type that has none (`LocationType.save`:
/// `unicode_slug(name)`, i.e. Django's `slugify`): lowercase; characters other
/// than ASCII letters, digits, `_`, `-` and white space left out; each run of
/// white space and `-` one `-`; `-` and `_` trimmed from both ends. HQ first
/// transliterates other characters to ASCII (`unidecode`), which caseshare does
/// not: a name with non-ASCII characters gives `None`, as does one with nothing left.
pub fn derived_code(name: &str) -> Option<String> {
    if !name.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if c == '-' || c.is_ascii_whitespace() {
            separator = true;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            if separator {
                out.push('-');
                separator = false;
            }
            out.push(c.to_ascii_lowercase());
        }
    }
    let code = out.trim_matches(['-', '_']);
    (!code.is_empty()).then(|| code.to_string())
}

/// Why a type code cannot be the title of its sheet, if it cannot.
fn title_problem(code: &str) -> Option<String> {
    if code.chars().count() > MAX_TITLE_CHARS {
        Some(format!("an Excel sheet title holds at most {MAX_TITLE_CHARS} characters"))
    } else if code.contains(['[', ']', ':', '*', '?', '/', '\\']) {
        Some("an Excel sheet title holds none of `[ ] : * ? / \\`".into())
    } else if code.starts_with('\'') || code.ends_with('\'') {
        Some("an Excel sheet title neither starts nor ends with `'`".into())
    } else if code.eq_ignore_ascii_case(TYPES_SHEET) {
        Some("`types` is the title of the sheet of types".into())
    } else if code.eq_ignore_ascii_case("history") {
        Some("Excel reserves the sheet title `History`".into())
    } else if code == ROOT {
        Some("HQ reads `TOP` as the top level".into())
    } else {
        None
    }
}

/// The workbook rows of a project's location types and locations, in file order
/// (locations by type, each type's sheet in `location_types` order), and notes
/// for the user; or why the project cannot be written as HQ's workbook, one line
/// each: a type whose code cannot be derived or cannot be a sheet title, two types
/// with one code, a location with no type or one that `location_types` lacks.
pub fn from_project(project: &Project) -> Result<(Sheets, Vec<String>), Vec<String>> {
    let mut refused = Vec::new();
    let mut notes = Vec::new();
    let types: &[crate::model::LocationType] = project.def.as_ref().map_or(&[], |d| &d.location_types);
    let mut codes: Vec<String> = Vec::with_capacity(types.len());
    let mut by_folded: HashMap<String, usize> = HashMap::new();
    for t in types {
        let name = t.name.as_str();
        let code = match &t.code {
            Some(c) => c.value.to_string(),
            None => match derived_code(name) {
                Some(c) => c,
                None => {
                    refused.push(format!(
                        "location type `{name}` has no `code`, and caseshare derives one only from a name of ASCII characters with a letter or digit: give it a `code`"
                    ));
                    String::new()
                }
            },
        };
        if !code.is_empty() {
            if let Some(why) = title_problem(&code) {
                refused.push(format!("location type `{name}`: its code `{code}` cannot be a sheet title: {why}"));
            }
            if let Some(first) = by_folded.insert(code.to_lowercase(), codes.len()) {
                refused.push(format!(
                    "location types `{}` and `{name}` have one code, `{code}` (sheet titles ignore case): give one of them another `code`",
                    types[first].name.as_str()
                ));
            }
        }
        codes.push(code);
    }
    let code_of = |type_name: &str| types.iter().position(|t| t.name.as_str() == type_name).map(|i| &codes[i]);
    let rows: Vec<TypeRow> = types
        .iter()
        .zip(&codes)
        .map(|(t, code)| TypeRow {
            code: code.clone(),
            name: t.name.value.to_string(),
            // A parent that is not a type stays as written: HQ refuses it, and `check` reports it (R001).
            parent_code: t.parent.as_ref().map(|p| code_of(p.as_str()).cloned().unwrap_or_else(|| p.value.to_string())),
            shares_cases: t.shares_cases,
            view_descendants: t.view_descendants,
        })
        .collect();
    let mut by_type: Vec<Vec<LocationRow>> = vec![Vec::new(); types.len()];
    let mut uppercase: Vec<&str> = Vec::new();
    for l in &project.locations {
        let code = l.code.as_str();
        let Some(type_name) = l.location_type.as_ref() else {
            refused.push(format!("location `{code}` has no `type`, so it has no sheet: give it one"));
            continue;
        };
        let Some(i) = types.iter().position(|t| t.name.as_str() == type_name.as_str()) else {
            refused.push(format!(
                "location `{code}` has type `{}`, which project.yaml `location_types` lacks, so it has no sheet: add the type or fix the location",
                type_name.value
            ));
            continue;
        };
        let Some(name) = l.name.as_ref() else {
            refused.push(format!("location `{code}` has no `name`, which HQ requires: give it one"));
            continue;
        };
        if fold::site_code(code) != code {
            uppercase.push(code);
        }
        by_type[i].push(LocationRow {
            type_code: codes[i].clone(),
            site_code: code.to_string(),
            name: name.value.to_string(),
            parent_site_code: l.parent.as_ref().map(|p| p.value.to_string()),
        });
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    if let Some(first) = uppercase.first() {
        let more = match uppercase.len() - 1 {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        notes.push(format!(
            "note: HQ lowercases site codes: `{first}`{more} will be lowercase in HQ and when imported back"
        ));
    }
    let locations: Vec<LocationRow> = by_type.into_iter().flatten().collect();
    if !locations.is_empty() {
        notes.push(
            "note: the workbook has no `location_id`s, so HQ's upload creates these locations and refuses a site code HQ already has; to update locations already in HQ, fill in their `location_id` from HQ's own download".into(),
        );
    }
    let mut first_of: HashMap<(Option<String>, &str), &str> = HashMap::new();
    for l in &locations {
        let parent = l.parent_site_code.as_deref().map(|p| fold::site_code(p).into_owned());
        if let Some(first) = first_of.insert((parent, l.name.as_str()), l.site_code.as_str()) {
            let under = l
                .parent_site_code
                .as_deref()
                .map_or_else(|| "at the top level".to_string(), |p| format!("under `{p}`"));
            notes.push(format!(
                "warning: locations `{first}` and `{}` {under} have one name, `{}`, which HQ's upload refuses: rename one",
                l.site_code, l.name
            ));
        }
    }
    Ok((Sheets { types: rows, locations, left_out: Vec::new() }, notes))
}

fn y_n(b: bool) -> &'static str {
    if b { "Y" } else { "N" }
}

/// The workbook, as HQ's bulk location upload reads it: the `types` sheet, then a
/// sheet per type (in the order of the types, with headers only when the type has
/// no locations). Columns the definitions have no place for are left blank.
pub fn write_xlsx(sheets: &Sheets) -> Result<Vec<u8>, WorkbookError> {
    let e = |x: rust_xlsxwriter::XlsxError| WorkbookError::Write(x.to_string());
    let mut book = Workbook::new();
    let types = super::headed_sheet(&mut book, TYPES_SHEET, TYPE_HEADERS).map_err(e)?;
    for (r, t) in sheets.types.iter().enumerate() {
        let row = r as u32 + 1;
        types.write_string(row, 0, &t.code).map_err(e)?;
        types.write_string(row, 1, &t.name).map_err(e)?;
        if let Some(p) = &t.parent_code {
            types.write_string(row, 2, p).map_err(e)?;
        }
        types.write_string(row, 3, "N").map_err(e)?;
        types.write_string(row, 4, y_n(t.shares_cases)).map_err(e)?;
        types.write_string(row, 5, y_n(t.view_descendants)).map_err(e)?;
    }
    // A sheet per type code, then per other title that locations name (a workbook
    // read with a sheet that no type has).
    let mut titles: Vec<&str> = Vec::new();
    let mut sheet_of: HashMap<&str, usize> = HashMap::new();
    let codes = sheets.types.iter().map(|t| t.code.as_str());
    for code in codes.chain(sheets.locations.iter().map(|l| l.type_code.as_str())) {
        if !sheet_of.contains_key(code) {
            sheet_of.insert(code, titles.len());
            titles.push(code);
        }
    }
    let mut rows_of: Vec<Vec<&LocationRow>> = vec![Vec::new(); titles.len()];
    for l in &sheets.locations {
        rows_of[sheet_of[l.type_code.as_str()]].push(l);
    }
    for (title, rows) in titles.iter().zip(&rows_of) {
        let sheet = super::headed_sheet(&mut book, title, LOCATION_HEADERS).map_err(e)?;
        for (r, l) in rows.iter().enumerate() {
            let row = r as u32 + 1;
            sheet.write_string(row, 1, &l.site_code).map_err(e)?;
            sheet.write_string(row, 2, &l.name).map_err(e)?;
            if let Some(p) = &l.parent_site_code {
                sheet.write_string(row, 3, p).map_err(e)?;
            }
            sheet.write_string(row, 7, "N").map_err(e)?;
        }
    }
    book.save_to_buffer().map_err(e)
}

/// HQ's `to_boolean`: blank is false; else `string_to_boolean`, any case.
fn parse_bool(value: &str) -> Option<bool> {
    match value.to_lowercase().as_str() {
        "" | "false" | "f" | "no" | "n" | "0" => Some(false),
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        _ => None,
    }
}

/// A sheet's header row as HQ's reader takes it (`workbook_json/excel.py`:
/// `WorksheetJSONReader`): row 1 from column A up to the first blank cell.
struct Header {
    /// Header text → column.
    columns: HashMap<String, usize>,
    /// Every header, in order, with its column.
    all: Vec<(String, usize)>,
    /// How many columns HQ reads: cells to the right of them are not read.
    width: usize,
    /// Headers right of the first blank cell, which HQ does not read.
    beyond: Vec<String>,
    /// The sheet's first cell is not A1: HQ finds its header row blank.
    not_at_a1: bool,
}

impl Header {
    fn read(range: &calamine::Range<Data>) -> Header {
        let not_at_a1 = range.start().is_some_and(|start| start != (0, 0));
        let cells: Vec<String> = if not_at_a1 {
            Vec::new()
        } else {
            range.rows().next().map(|r| r.iter().map(cell).collect()).unwrap_or_default()
        };
        let width = cells.iter().position(String::is_empty).unwrap_or(cells.len());
        let beyond = cells[width..].iter().filter(|h| !h.is_empty()).cloned().collect();
        let all: Vec<(String, usize)> = cells.into_iter().take(width).enumerate().map(|(i, h)| (h, i)).collect();
        let mut columns = HashMap::new();
        for (h, i) in &all {
            columns.entry(h.clone()).or_insert(*i);
        }
        Header { columns, all, width, beyond, not_at_a1 }
    }

    /// Refusal lines for this sheet's headers, as HQ checks them: the set of
    /// headers must be `expected`, with `optional` ones allowed besides.
    fn check(&self, sheet: &str, expected: &[&str], optional: bool, refused: &mut Vec<String>) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (h, _) in &self.all {
            *seen.entry(h.as_str()).or_default() += 1;
        }
        for (h, _) in &self.all {
            if seen.get(h.as_str()).is_some_and(|n| *n > 1) {
                refused.push(format!("sheet `{sheet}`: the header `{h}` is there twice"));
                seen.remove(h.as_str());
            }
        }
        let missing: Vec<String> =
            expected.iter().filter(|h| !self.columns.contains_key(**h)).map(|h| format!("`{h}`")).collect();
        let extra: Vec<String> = self
            .all
            .iter()
            .map(|(h, _)| h.as_str())
            .filter(|h| !(expected.contains(h) || (optional && is_optional_location_header(h))))
            .map(|h| format!("`{h}`"))
            .collect();
        if missing.is_empty() && extra.is_empty() {
            return;
        }
        let mut line = format!(
            "sheet `{sheet}` must have exactly the headers {}",
            expected.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")
        );
        if optional {
            line.push_str(", and may have `data: <field>`, `uncategorized_data` and `Delete Uncategorized Data(Y/N)`");
        }
        if !missing.is_empty() {
            line.push_str(&format!("; missing: {}", missing.join(", ")));
        }
        if !extra.is_empty() {
            line.push_str(&format!("; not recognized: {}", extra.join(", ")));
        }
        if self.not_at_a1 {
            line.push_str("; HQ reads the headers from row 1, starting in column A");
        } else if !self.beyond.is_empty() {
            line.push_str(&format!(
                "; HQ reads the headers up to the first blank cell, column {}, so it does not see {}",
                column_letter(self.width),
                self.beyond.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        refused.push(line);
    }

    /// A note for headers HQ does not read, when the check passed.
    fn note_beyond(&self, sheet: &str, left_out: &mut Vec<String>) {
        if !self.beyond.is_empty() {
            left_out.push(format!(
                "sheet `{sheet}`: HQ reads the headers up to the first blank cell, column {}, so {} after it {} left out",
                column_letter(self.width),
                self.beyond.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
                if self.beyond.len() == 1 { "is" } else { "are" }
            ));
        }
    }
}

/// A location sheet's optional header, as HQ's reader names it: `data: <field>`
/// (or `data`), `uncategorized_data` (or `uncategorized_data: <key>`),
/// `Delete Uncategorized Data(Y/N)`.
fn is_optional_location_header(h: &str) -> bool {
    OPTIONAL_LOCATION_HEADERS.contains(&h)
        || h == "data"
        // HQ's reader takes `field: key` for `field` (a dictionary): its
        // download writes `uncategorized_data: <key>` for each value no field
        // of the type defines.
        || h.split_once(':').is_some_and(|(field, sub)| {
            matches!(field.trim(), "data" | "uncategorized_data") && !sub.contains(':')
        })
}

/// One sheet's rows after the header as HQ's reader takes them: the header's
/// columns only, up to the first blank row; with their row numbers as a
/// spreadsheet shows them (from 1). A row after that blank one that holds a
/// value is noted in `left_out`.
fn data_rows<'a>(
    sheet: &str,
    range: &'a calamine::Range<Data>,
    header: &Header,
    left_out: &mut Vec<String>,
) -> Vec<(usize, &'a [Data])> {
    let mut out = Vec::new();
    let mut rows = range.rows().enumerate().skip(1).map(|(i, row)| (i + 1, &row[..header.width.min(row.len())]));
    let blank = |row: &[Data]| row.iter().all(|d| cell(d).is_empty());
    for (number, row) in rows.by_ref() {
        if blank(row) {
            if let Some((next, _)) = rows.find(|(_, row)| !blank(row)) {
                left_out.push(format!(
                    "sheet `{sheet}`: row {number} is blank, and HQ reads no row after it, so rows {next} and on are left out"
                ));
            }
            break;
        }
        out.push((number, row));
    }
    out
}

/// Reads a bulk location workbook, within the caps of [`super::bounds`] (the
/// same as the user workbook's): the archive is measured before it is inflated,
/// then each sheet's rows and cells are counted. Headers that are not HQ's, yes/no
/// values HQ does not take, rows marked for deletion, blank or over-long codes and
/// names, and a type code on two rows are refused, one line each naming the sheet,
/// row and column.
pub fn read_xlsx(bytes: &[u8]) -> Result<Sheets, WorkbookError> {
    bounds::workbook(bytes)?;
    let mut book: Xlsx<Cursor<&[u8]>> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| WorkbookError::NotXlsx(e.to_string()))?;
    let titles = book.sheet_names();
    if !titles.iter().any(|t| t == TYPES_SHEET) {
        return Err(WorkbookError::NoSheet(TYPES_SHEET));
    }
    let mut ranges = Vec::with_capacity(titles.len());
    for title in &titles {
        let range = book.worksheet_range(title).map_err(|e| WorkbookError::NotXlsx(e.to_string()))?;
        within_caps(title, &range)?;
        ranges.push(range);
    }
    let mut refused: Vec<String> = Vec::new();
    let mut sheets = Sheets::default();
    let at = |sheet: &str, row: usize, column: &str| format!("sheet `{sheet}`, row {row}, column `{column}`");
    let boolean = |refused: &mut Vec<String>, sheet: &str, row: usize, column: &str, value: &str| {
        parse_bool(value).unwrap_or_else(|| {
            refused.push(format!(
                "{}: `{value}` is not a yes/no value; HQ takes `true`, `t`, `yes`, `y`, `1`, `false`, `f`, `no`, `n` or `0` (any case), and blank for no",
                at(sheet, row, column)
            ));
            false
        })
    };
    let types = titles.iter().position(|t| t == TYPES_SHEET).map(|i| &ranges[i]).expect("found above");
    let header = Header::read(types);
    header.check(TYPES_SHEET, &TYPE_HEADERS, false, &mut refused);
    if refused.is_empty() {
        let mut code_rows: HashMap<String, usize> = HashMap::new();
        header.note_beyond(TYPES_SHEET, &mut sheets.left_out);
        for (row, cells) in data_rows(TYPES_SHEET, types, &header, &mut sheets.left_out) {
            let get = |h: &str| header.columns.get(h).and_then(|c| cells.get(*c)).map(cell).unwrap_or_default();
            let (code, name, parent) = (get("code"), get("name"), get("parent_code"));
            if boolean(&mut refused, TYPES_SHEET, row, "Delete(Y/N)", &get("Delete(Y/N)")) {
                refused.push(format!(
                    "{}: the location type `{code}` is marked for deletion, which caseshare does not import: clear the mark, and remove the type from project.yaml to delete it",
                    at(TYPES_SHEET, row, "Delete(Y/N)")
                ));
            }
            let shares_cases = boolean(&mut refused, TYPES_SHEET, row, "Shares Cases Y/N", &get("Shares Cases Y/N"));
            let view_descendants =
                boolean(&mut refused, TYPES_SHEET, row, "View Child Cases (Y/N)", &get("View Child Cases (Y/N)"));
            if code.is_empty() {
                refused.push(format!(
                    "{}: blank; a location type needs a code, its sheet's title",
                    at(TYPES_SHEET, row, "code")
                ));
            } else if let Some(first) = code_rows.insert(code.clone(), row) {
                refused.push(format!(
                    "{}: the type code `{code}` is also on row {first}; HQ refuses a type code used twice",
                    at(TYPES_SHEET, row, "code")
                ));
            }
            if name.is_empty() {
                refused.push(format!(
                    "{}: blank; a location type needs a name in project.yaml",
                    at(TYPES_SHEET, row, "name")
                ));
            }
            let parent_code = (!parent.is_empty() && parent != ROOT).then_some(parent);
            sheets.types.push(TypeRow { code, name, parent_code, shares_cases, view_descendants });
        }
    }
    // Each location's sheet and row.
    let mut placed: Vec<(&str, usize)> = Vec::new();
    for (title, range) in titles.iter().zip(&ranges) {
        if title == TYPES_SHEET {
            continue;
        }
        let header = Header::read(range);
        let before = refused.len();
        header.check(title, &LOCATION_HEADERS, true, &mut refused);
        if refused.len() > before {
            continue;
        }
        let unkept: Vec<(&str, usize)> = header
            .all
            .iter()
            .filter(|(h, _)| {
                ["location_id", "external_id", "latitude", "longitude"].contains(&h.as_str())
                    || is_optional_location_header(h)
            })
            .map(|(h, c)| (h.as_str(), *c))
            .collect();
        let mut unkept_counts = vec![0usize; unkept.len()];
        header.note_beyond(title, &mut sheets.left_out);
        for (row, cells) in data_rows(title, range, &header, &mut sheets.left_out) {
            let get = |h: &str| header.columns.get(h).and_then(|c| cells.get(*c)).map(cell).unwrap_or_default();
            let site_code = fold::site_code(&get("site_code")).into_owned();
            let name = get("name");
            let parent = fold::site_code(&get("parent_site_code")).into_owned();
            if boolean(&mut refused, title, row, "Delete(Y/N)", &get("Delete(Y/N)")) {
                refused.push(format!(
                    "{}: the location `{site_code}` is marked for deletion, which caseshare does not import: clear the mark, and remove the location from `locations/` to delete it",
                    at(title, row, "Delete(Y/N)")
                ));
            }
            for (i, (h, c)) in unkept.iter().enumerate() {
                let value = cells.get(*c).map(cell).unwrap_or_default();
                let kept_nothing = if *h == "Delete Uncategorized Data(Y/N)" {
                    boolean(&mut refused, title, row, h, &value)
                } else {
                    !value.is_empty()
                };
                if kept_nothing {
                    unkept_counts[i] += 1;
                }
            }
            for column in ["latitude", "longitude"] {
                let value = get(column);
                if !value.is_empty() && !is_decimal(&value) {
                    refused.push(format!(
                        "{}: `{value}` is not a decimal number, which HQ requires here",
                        at(title, row, column)
                    ));
                }
            }
            for (column, value) in [("site_code", &site_code), ("name", &name), ("parent_site_code", &parent)] {
                if value.chars().count() > MAX_LOCATION_CHARS {
                    refused.push(format!(
                        "{}: HQ's locations hold at most {MAX_LOCATION_CHARS} characters here",
                        at(title, row, column)
                    ));
                }
            }
            if site_code.is_empty() {
                refused.push(format!("{}: blank; HQ requires a site code", at(title, row, "site_code")));
            }
            if name.is_empty() {
                refused.push(format!("{}: blank; HQ requires a location's name", at(title, row, "name")));
            }
            placed.push((title.as_str(), row));
            sheets.locations.push(LocationRow {
                type_code: title.clone(),
                site_code,
                name,
                parent_site_code: (!parent.is_empty()).then_some(parent),
            });
        }
        for ((h, _), n) in unkept.iter().zip(unkept_counts) {
            if n > 0 {
                let what = if *h == "Delete Uncategorized Data(Y/N)" { "marked yes" } else { "with a value" };
                sheets.left_out.push(format!(
                    "sheet `{title}`, column `{h}`: {n} row{} {what}; the definitions have no place for it, so it is left out",
                    if n == 1 { "" } else { "s" }
                ));
            }
        }
    }
    // HQ's `_check_location_names`: names are unique among siblings.
    let mut first_of: HashMap<(Option<&str>, &str), usize> = HashMap::new();
    for (i, l) in sheets.locations.iter().enumerate() {
        if l.name.is_empty() {
            continue;
        }
        if let Some(first) = first_of.insert((l.parent_site_code.as_deref(), l.name.as_str()), i) {
            let (sheet, row) = placed[i];
            let (first_sheet, first_row) = placed[first];
            let under = l
                .parent_site_code
                .as_deref()
                .map_or_else(|| "at the top level".to_string(), |p| format!("under `{p}`"));
            refused.push(format!(
                "{}: the location `{}` {under} has the name of sheet `{first_sheet}`, row {first_row}; HQ refuses two locations with one name under one parent",
                at(sheet, row, "name"),
                l.site_code
            ));
        }
    }
    if !refused.is_empty() {
        return Err(WorkbookError::Refused(refused));
    }
    Ok(sheets)
}

/// A number as Python's `Decimal` reads it (HQ's `maybe_decimal`): an optional
/// sign, then digits with an optional `.` and exponent (`_` between digits), or
/// `Infinity`, `Inf`, `NaN` or `sNaN` with optional digits, any case.
fn is_decimal(value: &str) -> bool {
    let s = value.trim();
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = s.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return true;
    }
    if let Some(rest) = lower.strip_prefix("nan").or_else(|| lower.strip_prefix("snan")) {
        return rest.is_empty() || digits(rest);
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (lower.as_str(), None),
    };
    if let Some(e) = exponent
        && !digits(e.strip_prefix(['+', '-']).unwrap_or(e))
    {
        return false;
    }
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (digits(whole) && (fraction.is_empty() || digits(fraction))) || (whole.is_empty() && digits(fraction))
        }
        None => digits(mantissa),
    }
}

/// One or more ASCII digits, with single `_` between them.
fn digits(s: &str) -> bool {
    !s.is_empty() && s.split('_').all(|run| !run.is_empty() && run.bytes().all(|b| b.is_ascii_digit()))
}

/// The location types of the rows, as project.yaml holds them: a parent code
/// becomes the parent type's name (a code that is no type's stays as it is, for
/// `check` to report), and a code equal to the one derived from the name is left
/// out.
pub fn type_defs(sheets: &Sheets) -> Vec<TypeDef> {
    let name_of: HashMap<&str, &str> = sheets.types.iter().map(|t| (t.code.as_str(), t.name.as_str())).collect();
    sheets
        .types
        .iter()
        .map(|t| TypeDef {
            name: t.name.clone(),
            code: (derived_code(&t.name).as_deref() != Some(t.code.as_str())).then(|| t.code.clone()),
            parent: t
                .parent_code
                .as_ref()
                .map(|p| name_of.get(p.as_str()).map_or_else(|| p.clone(), |n| n.to_string())),
            view_descendants: t.view_descendants,
            shares_cases: t.shares_cases,
        })
        .collect()
}

/// `locations/<file>.yaml` for the rows: each location's type is the name of the
/// type whose code is its sheet's title (or that title, when no type has it).
pub fn to_yaml(sheets: &Sheets, source: &str) -> String {
    let name_of: HashMap<&str, &str> = sheets.types.iter().map(|t| (t.code.as_str(), t.name.as_str())).collect();
    let mut out = format!("# Imported from the CommCare HQ bulk location workbook: {source}\nformat_version: 2\n");
    if sheets.locations.is_empty() {
        out.push_str("locations: []\n");
        return out;
    }
    out.push_str("locations:\n");
    for l in &sheets.locations {
        let ty = name_of.get(l.type_code.as_str()).copied().unwrap_or(&l.type_code);
        out.push_str(&format!("  - {{code: {}, name: {}, type: {}", scalar(&l.site_code), scalar(&l.name), scalar(ty)));
        if let Some(p) = &l.parent_site_code {
            out.push_str(&format!(", parent: {}", scalar(p)));
        }
        out.push_str("}\n");
    }
    out
}

/// A type as one flow mapping.
fn type_yaml(t: &TypeDef) -> String {
    let mut out = format!("{{name: {}", scalar(&t.name));
    if let Some(c) = &t.code {
        out.push_str(&format!(", code: {}", scalar(c)));
    }
    if let Some(p) = &t.parent {
        out.push_str(&format!(", parent: {}", scalar(p)));
    }
    if t.view_descendants {
        out.push_str(", view_descendants: true");
    }
    if t.shares_cases {
        out.push_str(", shares_cases: true");
    }
    out.push('}');
    out
}

/// Why project.yaml cannot take the location types.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProjectYamlError {
    #[error("it does not load; run `caseshare check` and fix it first")]
    NotLoaded,
    #[error("it is format 1; run `caseshare migrate --write` first")]
    Legacy,
}

/// project.yaml's text with `location_types` replaced by `types` (or added, before
/// `shared_case_types` or at the end); every other byte stays, and comments inside
/// the old list stay as comment lines after the new one. `None` when the file
/// already holds these types (codes compared as HQ would give them).
pub fn with_location_types(text: &str, types: &[TypeDef]) -> Result<Option<String>, ProjectYamlError> {
    let root = crate::yaml::parse(text).map_err(|_| ProjectYamlError::NotLoaded)?;
    let Value::Map(entries) = &root.value else { return Err(ProjectYamlError::NotLoaded) };
    match crate::load::format_of(&root, text) {
        crate::load::Format::Current => {}
        crate::load::Format::Legacy(_) => return Err(ProjectYamlError::Legacy),
        crate::load::Format::Unsupported(_) => return Err(ProjectYamlError::NotLoaded),
    }
    let existing = edit::entry(&root, "location_types");
    if let Some((_, _, list)) = existing
        && types_of(list).is_some_and(|now| same_types(&now, types))
    {
        return Ok(None);
    }
    let nl = edit::newline(text);
    let flow = edit::is_flow(&root, text);
    let value = if types.is_empty() || flow {
        format!("[{}]", types.iter().map(type_yaml).collect::<Vec<_>>().join(", "))
    } else {
        types.iter().map(|t| format!("{nl}  - {}", type_yaml(t))).collect()
    };
    let new_entry = format!("location_types:{}{value}", if value.starts_with('[') { " " } else { "" });
    let edits = match existing {
        Some((i, _, _)) => edit::replace_entry(&root, i, &new_entry, text),
        None => {
            // Added as `location_types: []`, then replaced like an existing one.
            let before = entries.iter().position(|(k, _)| k.as_str() == Some("shared_case_types"));
            let added = edit::apply(text, &[edit::insert_entry(&root, before, "location_types", "[]", text)])
                .map_err(|_| ProjectYamlError::NotLoaded)?;
            return with_location_types(&added, types).map(|t| t.or(Some(added)));
        }
    };
    edit::apply(text, &edits).map(Some).map_err(|_| ProjectYamlError::NotLoaded)
}

/// The types a `location_types` node holds, when it is a list of mappings of
/// the known keys with plain values.
fn types_of(list: &Node) -> Option<Vec<TypeDef>> {
    let items = match &list.value {
        Value::Seq(items) => items,
        Value::Null => return Some(Vec::new()),
        _ => return None,
    };
    items
        .iter()
        .map(|item| {
            let entries = item.as_map()?;
            let mut t =
                TypeDef { name: String::new(), code: None, parent: None, view_descendants: false, shares_cases: false };
            let mut named = false;
            for (k, v) in entries {
                match (k.as_str()?, &v.value) {
                    ("name", Value::Str(s)) => {
                        t.name = s.clone();
                        named = true;
                    }
                    ("code", Value::Str(s)) => t.code = Some(s.clone()),
                    ("parent", Value::Str(s)) => t.parent = Some(s.clone()),
                    ("code" | "parent", Value::Null) => {}
                    ("view_descendants", Value::Bool(b)) => t.view_descendants = *b,
                    ("shares_cases", Value::Bool(b)) => t.shares_cases = *b,
                    _ => return None,
                }
            }
            named.then_some(t)
        })
        .collect()
}

/// Two lists of types that HQ would take as the same: codes compared as HQ gives
/// them (written, or derived from the name).
fn same_types(a: &[TypeDef], b: &[TypeDef]) -> bool {
    let code = |t: &TypeDef| t.code.clone().or_else(|| derived_code(&t.name));
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.name == y.name
                && code(x) == code(y)
                && x.parent == y.parent
                && x.view_descendants == y.view_descendants
                && x.shares_cases == y.shares_cases
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_derived_as_django_slugify_does() {
        for (name, code) in [
            ("district", Some("district")),
            ("Health Facility", Some("health-facility")),
            ("  Sub - District (old) ", Some("sub-district-old")),
            ("_block_", Some("block")),
            ("a_-_b", Some("a_-_b")),
            ("Région", None),
            ("!!", None),
        ] {
            assert_eq!(derived_code(name).as_deref(), code, "{name}");
        }
    }

    #[test]
    fn decimals_are_read_as_python_reads_them() {
        for good in ["12", "-1.5", "+.5", "3.", "1e5", "2.5E-3", "1_000.25", "NaN", "-Infinity", "inf", "sNaN12", " 7 "]
        {
            assert!(is_decimal(good), "{good}");
        }
        for bad in ["", ".", "e5", "1e", "1.2.3", "1__0", "_1", "12°", "N 12", "0x1f", "1,5"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn sheet_titles_excel_and_hq_refuse() {
        assert!(title_problem("village").is_none());
        for bad in ["a/b", "[x]", "'q", &"x".repeat(32), "Types", "History", "TOP"] {
            assert!(title_problem(bad).is_some(), "{bad}");
        }
    }

    fn t(name: &str, parent: Option<&str>) -> TypeDef {
        TypeDef {
            name: name.into(),
            code: None,
            parent: parent.map(Into::into),
            view_descendants: false,
            shares_cases: false,
        }
    }

    #[test]
    fn project_yaml_gets_its_types_and_keeps_the_rest() {
        let types = [t("district", None), t("village", Some("district"))];
        let text = "# top\nformat_version: 2\ndomain: d  # the domain\nshared_case_types: []\n";
        let out = with_location_types(text, &types).unwrap().unwrap();
        assert_eq!(
            out,
            "# top\nformat_version: 2\ndomain: d  # the domain\nlocation_types:\n  - {name: district}\n  - {name: village, parent: district}\nshared_case_types: []\n"
        );
        // The same types again: nothing to change, whatever their style.
        assert_eq!(with_location_types(&out, &types), Ok(None));
        let block = "format_version: 2\ndomain: d\nlocation_types:\n  - name: district\n    code: district\n  # below\n  - name: village\n    parent: district\n";
        assert_eq!(with_location_types(block, &types), Ok(None));
        // Other types: the entry is replaced; its comments stay after it.
        let out = with_location_types(block, &types[..1]).unwrap().unwrap();
        assert_eq!(out, "format_version: 2\ndomain: d\nlocation_types:\n  - {name: district}\n# below\n");
        let flow = "{format_version: 2, domain: d}";
        assert_eq!(
            with_location_types(flow, &types).unwrap().unwrap(),
            "{format_version: 2, domain: d, location_types: [{name: district}, {name: village, parent: district}]}"
        );
        assert_eq!(with_location_types("domain: d\n", &types), Err(ProjectYamlError::Legacy));
        assert_eq!(with_location_types("format_version: 2\n{", &types), Err(ProjectYamlError::NotLoaded));
    }
}
