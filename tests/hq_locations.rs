//! `caseshare import hq-locations` and `export hq-locations`: HQ's bulk location
//! workbook to and from `locations/` and project.yaml's `location_types`. Round
//! trips on the demo and on a generated tree of 10,111 locations, HQ's own tree
//! errors coming back from `check` as L001, L002, R001 and D001, refusals naming
//! sheet, row and column, the workbook caps, and HQ's headers in the export.

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use calamine::{Data, Reader, Xlsx};
use caseshare::hq::bounds::{MAX_CELL_CHARS, MAX_ROWS, MAX_WORKBOOK_BYTES, OverCap};
use caseshare::hq::locations::{Sheets, derived_code, from_project, read_xlsx};
use caseshare::hq::users::WorkbookError;
use caseshare::index::Index;
use caseshare::{CheckResult, check_memory, check_root};

const TYPE_HEADERS: [&str; 6] =
    ["code", "name", "parent_code", "Delete(Y/N)", "Shares Cases Y/N", "View Child Cases (Y/N)"];
const LOCATION_HEADERS: [&str; 8] =
    ["location_id", "site_code", "name", "parent_site_code", "external_id", "latitude", "longitude", "Delete(Y/N)"];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caseshare-locations-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// Runs caseshare: exit code, stdout, stderr.
fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("caseshare")
        .expect("binary")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn export(project: &Path, out: &Path) -> (i32, String, String) {
    run(&["export".as_ref(), "hq-locations".as_ref(), project.as_os_str(), "--out".as_ref(), out.as_os_str()])
}

fn import(xlsx: &Path, project: &Path, write: bool) -> (i32, String, String) {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["import".as_ref(), "hq-locations".as_ref(), xlsx.as_os_str(), "--project".as_ref(), project.as_os_str()];
    if write {
        args.push("--write".as_ref());
    }
    run(&args)
}

fn checked(root: &Path) -> CheckResult {
    check_root(root, root).expect("checks")
}

/// A location type as loaded: name, code, parent, view_descendants, shares_cases.
type TypeTuple = (String, Option<String>, Option<String>, bool, bool);
/// A location as loaded: code, name, type, parent.
type LocationTuple = (String, Option<String>, Option<String>, Option<String>);

/// The loaded location types, in order, without files and spans.
fn types_of(result: &CheckResult) -> Vec<TypeTuple> {
    let s = |v: &Option<caseshare::model::Sp<caseshare::model::Name>>| v.as_ref().map(|x| x.value.to_string());
    result
        .project
        .def
        .as_ref()
        .expect("project.yaml loads")
        .location_types
        .iter()
        .map(|t| (t.name.value.to_string(), s(&t.code), s(&t.parent), t.view_descendants, t.shares_cases))
        .collect()
}

/// The loaded locations, without files and spans, sorted (the workbook groups
/// them by type).
fn locations_of(result: &CheckResult) -> Vec<LocationTuple> {
    let s = |v: &Option<caseshare::model::Sp<caseshare::model::Name>>| v.as_ref().map(|x| x.value.to_string());
    let mut out: Vec<LocationTuple> = result
        .project
        .locations
        .iter()
        .map(|l| (l.code.value.to_string(), s(&l.name), s(&l.location_type), s(&l.parent)))
        .collect();
    out.sort();
    out
}

/// Each location as the index places it, by site code (as HQ folds it): its
/// type and parent as the index resolves them, and its place in the tree (the
/// size of its subtree, the case-owning locations below it, whether one below has
/// no known type), or `None` when it is in a parent cycle. Pre-order numbers are
/// left out: they follow the order of the files.
type Placed = (String, Option<String>, Option<String>, Option<(u32, usize, bool)>);

fn placed(result: &CheckResult) -> Vec<Placed> {
    let ix = Index::build(&result.project);
    let mut out: Vec<Placed> = result
        .project
        .locations
        .iter()
        .map(|l| {
            let code = caseshare::fold::site_code(l.code.as_str()).into_owned();
            let first = ix.location(&code).expect("the index has every code");
            let ty = first
                .location_type
                .as_ref()
                .and_then(|t| ix.location_types.get(t.as_str()))
                .map(|t| t.name.value.to_string());
            let parent = first.parent.as_ref().and_then(|p| ix.location(p.as_str())).map(|p| p.code.value.to_string());
            let tree = ix.tree_of(&code).map(|t| (t.exit - t.enter, t.owning_below, t.unknown_below));
            (code, ty, parent, tree)
        })
        .collect();
    out.sort();
    out
}

/// The diagnostics without their places: code, message, help; sorted.
fn diagnostics_of(result: &CheckResult) -> Vec<(String, String, Option<String>)> {
    let mut out: Vec<_> = result
        .diagnostics
        .iter()
        .map(|d| (d.code().to_string(), d.message.clone(), d.help.as_deref().map(String::from)))
        .collect();
    out.sort();
    out
}

/// project.yaml's text without its `location_types` entry (other bytes kept).
fn without_location_types(text: &str) -> String {
    use caseshare::yaml::edit;
    let root = caseshare::yaml::parse(text).expect("parses");
    let Some((i, _, _)) = edit::entry(&root, "location_types") else { return text.to_string() };
    edit::apply(text, &edit::remove_entry(&root, i, text)).expect("applies")
}

/// Copies a project, leaving out `locations/` and project.yaml's `location_types`:
/// the "empty copy" an import goes into.
fn empty_copy(from: &Path, to: &Path) {
    for entry in walk(from) {
        let rel = entry.strip_prefix(from).expect("inside");
        if rel.starts_with("locations") {
            continue;
        }
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("mkdir");
        let text = std::fs::read(&entry).expect("read");
        let text = if rel == Path::new("project.yaml") {
            without_location_types(&String::from_utf8(text).expect("utf-8")).into_bytes()
        } else {
            text
        };
        std::fs::write(target, text).expect("write");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

/// Figures of one round trip.
struct Trip {
    export_secs: f64,
    import_secs: f64,
    workbook_bytes: u64,
    xlsx: PathBuf,
}

/// Exports the project at `root` with the command, imports the workbook into an
/// empty copy with `--write`, and compares: the same location types and
/// locations, and the same diagnostics from `check`. A second import changes
/// nothing.
fn round_trip(root: &Path, dir: &Path) -> Trip {
    let before = checked(root);
    let xlsx = dir.join("exported.xlsx");
    let copy = dir.join("copy");
    let t = Instant::now();
    let (code, _, err) = export(root, &xlsx);
    let export_secs = t.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{err}");
    empty_copy(root, &copy);
    let emptied = checked(&copy);
    assert!(emptied.project.locations.is_empty() && types_of(&emptied).is_empty());
    let t = Instant::now();
    let (code, _, err) = import(&xlsx, &copy, true);
    let import_secs = t.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{err}");
    let after = checked(&copy);
    assert_eq!(types_of(&after), types_of(&before));
    assert_eq!(locations_of(&after), locations_of(&before));
    assert_eq!(placed(&after), placed(&before));
    assert_eq!(diagnostics_of(&after), diagnostics_of(&before));
    let (code, shown, err) = import(&xlsx, &copy, false);
    assert_eq!((code, shown.as_str()), (0, ""), "a second import changes nothing: {err}");
    let workbook_bytes = std::fs::metadata(&xlsx).expect("written").len();
    Trip { export_secs, import_secs, workbook_bytes, xlsx }
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn open(path: &Path) -> Xlsx<std::io::BufReader<std::fs::File>> {
    calamine::open_workbook(path).expect("calamine opens the exported workbook")
}

fn rows(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, sheet: &str) -> Vec<Vec<String>> {
    let range = book.worksheet_range(sheet).expect("the sheet is there");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|d| match d {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_demo_round_trips_and_the_export_has_hq_headers() {
    let dir = scratch("demo");
    let trip = round_trip(&demo(), &dir);
    let before = checked(&demo());
    assert_eq!(locations_of(&before).len(), 4);
    assert!(before.diagnostics.is_empty(), "{:?}", before.diagnostics);
    let mut book = open(&trip.xlsx);
    assert_eq!(book.sheet_names(), ["types", "district", "village"]);
    let types = rows(&mut book, "types");
    assert_eq!(types[0], TYPE_HEADERS);
    assert_eq!(types[1], ["district", "district", "", "N", "N", "Y"]);
    assert_eq!(types[2], ["village", "village", "district", "N", "Y", "N"]);
    for sheet in ["district", "village"] {
        assert_eq!(rows(&mut book, sheet)[0], LOCATION_HEADERS, "{sheet}");
    }
    let villages = rows(&mut book, "village");
    assert_eq!(villages.len(), 4);
    assert_eq!(villages[1], ["", "village-a", "Village A", "district-1", "", "", "", "N"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A project of 10,111 locations in four levels (10 regions, 100 districts, 1,000
/// health facilities, 9,000 villages, and one village again) over five files, with types with and
/// without `code`, names that need quoting, and three problems that `check`
/// reports (L002, R001, D001).
fn generated_tree(root: &Path) -> usize {
    std::fs::create_dir_all(root.join("locations")).expect("mkdir");
    std::fs::write(
        root.join("project.yaml"),
        "format_version: 2\ndomain: gen\nlocation_types:\n  - {name: region, code: reg}\n  - {name: district, parent: region, view_descendants: true}\n  - {name: Health Facility, parent: district, shares_cases: true}\n  - {name: village, code: vil, parent: Health Facility}\n",
    )
    .expect("write");
    let mut files: Vec<(&str, String)> = Vec::new();
    let mut count = 0;
    let mut text = String::from("format_version: 2\nlocations:\n");
    for r in 0..10 {
        text.push_str(&format!("  - {{code: r{r}, name: \"Region {r}, north\", type: region}}\n"));
        count += 1;
    }
    files.push(("locations/1-regions.yaml", text));
    let mut text = String::from("format_version: 2\nlocations:\n");
    for r in 0..10 {
        for d in 0..10 {
            text.push_str(&format!("  - {{code: d{r}-{d}, name: District {r}.{d}, type: district, parent: r{r}}}\n"));
            count += 1;
        }
    }
    files.push(("locations/2-districts.yaml", text));
    let mut text = String::from("format_version: 2\nlocations:\n");
    for r in 0..10 {
        for d in 0..10 {
            for f in 0..10 {
                text.push_str(&format!(
                    "  - {{code: hf{r}-{d}-{f}, name: \"O'Brien clinic {r}-{d}-{f}\", type: Health Facility, parent: d{r}-{d}}}\n"
                ));
                count += 1;
            }
        }
    }
    files.push(("locations/3-facilities.yaml", text));
    let mut text = String::from("format_version: 2\nlocations:\n");
    for r in 0..10 {
        for d in 0..10 {
            for f in 0..10 {
                for v in 0..9 {
                    let parent = match (r, d, f, v) {
                        (0, 0, 0, 0) => "r0".to_string(),      // L002: a region, not a health facility
                        (0, 0, 0, 1) => "nowhere".to_string(), // R001: no such location
                        _ => format!("hf{r}-{d}-{f}"),
                    };
                    text.push_str(&format!(
                        "  - {{code: v{r}-{d}-{f}-{v}, name: Village {v} of {r}-{d}-{f}, type: village, parent: {parent}}}\n"
                    ));
                    count += 1;
                }
            }
        }
    }
    files.push(("locations/4-villages.yaml", text));
    // D001: a village defined again, in another file.
    files.push((
        "locations/5-again.yaml",
        "format_version: 2\nlocations:\n  - {code: v9-9-9-8, name: Village 8 again, type: village, parent: hf9-9-9}\n"
            .to_string(),
    ));
    count += 1;
    for (rel, text) in files {
        std::fs::write(root.join(rel), text).expect("write");
    }
    count
}

#[test]
fn ten_thousand_locations_round_trip() {
    let dir = scratch("tree");
    let root = dir.join("tree");
    let n = generated_tree(&root);
    assert_eq!(n, 10_111);
    let before = checked(&root);
    assert_eq!(before.project.locations.len(), n);
    let mut codes: Vec<&str> = before.diagnostics.iter().map(|d| d.code()).collect();
    codes.sort_unstable();
    assert_eq!(codes, ["D001", "L002", "R001"], "{:#?}", before.diagnostics);
    let trip = round_trip(&root, &dir);
    eprintln!(
        "{n} locations: export {:.2} s, import --write {:.2} s (debug build, with process start), workbook {} bytes",
        trip.export_secs, trip.import_secs, trip.workbook_bytes
    );
    let mut book = open(&trip.xlsx);
    // Codes derived from names where project.yaml has none.
    assert_eq!(book.sheet_names(), ["types", "reg", "district", "health-facility", "vil"]);
    assert_eq!(rows(&mut book, "vil").len(), 9_001 + 1);
    let types = rows(&mut book, "types");
    assert_eq!(types[4], ["vil", "village", "health-facility", "N", "N", "N"]);
    // The import kept `code` only where HQ's would differ from the derived one.
    let project_yaml = std::fs::read_to_string(dir.join("copy/project.yaml")).expect("read");
    assert!(project_yaml.contains("  - {name: region, code: reg}\n"), "{project_yaml}");
    assert!(project_yaml.contains("  - {name: district, parent: region, view_descendants: true}\n"), "{project_yaml}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A workbook of the given sheets, each a list of rows of strings.
fn book(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).expect("name");
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    sheet.write_string(r as u32, c as u16, *v).expect("write");
                }
            }
        }
    }
    book.save_to_buffer().expect("saves")
}

/// A location sheet's row: site code, name, parent.
fn loc<'a>(site: &'a str, name: &'a str, parent: &'a str) -> [&'a str; 8] {
    ["", site, name, parent, "", "", "", ""]
}

/// A project with only project.yaml, into which `bytes` is imported with `--write`.
fn imported(name: &str, bytes: &[u8]) -> (PathBuf, CheckResult, String) {
    let dir = scratch(name);
    std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: d\n").expect("write");
    let xlsx = dir.join("in.xlsx");
    std::fs::write(&xlsx, bytes).expect("write");
    let (code, _, err) = import(&xlsx, &dir, true);
    assert_eq!(code, 0, "{err}");
    let result = checked(&dir);
    (dir, result, err)
}

/// HQ's own refusals of a tree (`bulk_management.py`: "refers to a parent which
/// doesn't exist", "has a parentage that loops", "points to a nonexistent
/// location-type", "does not have a parent set", "should have a parent that is a",
/// "site_code is used 2 times") are not the import's: it writes the tree, and
/// `check` reports each as its rule.
#[test]
fn hq_tree_errors_come_back_as_check_diagnostics() {
    let types: &[&[&str]] = &[
        &TYPE_HEADERS,
        &["state", "State", "", "", "", ""],
        &["cty", "County", "state", "N", "yes", ""],
        &["city", "City", "cty", "", "Y", "no"],
        &["loopa", "Loop A", "loopb", "", "", ""],
        &["loopb", "Loop B", "loopa", "", "", ""],
        &["orphan", "Orphan", "gone", "", "", ""],
    ];
    let bytes = book(&[
        ("types", types),
        ("state", &[&LOCATION_HEADERS, &loc("S1", "Mass", "")]),
        ("cty", &[&LOCATION_HEADERS, &loc("c1", "Middlesex", "S1"), &loc("c2", "Essex", "nowhere")]),
        (
            "city",
            &[
                &LOCATION_HEADERS,
                &loc("cambridge", "Cambridge", "c1"),
                &loc("boston", "Boston", "s1"),
                &loc("Cambridge", "Cambridge again", "c1"),
            ],
        ),
        ("ward", &[&LOCATION_HEADERS, &loc("w1", "Ward 1", "boston")]),
    ]);
    let (dir, result, _) = imported("tree-errors", &bytes);
    let written = std::fs::read_to_string(dir.join("locations/hq-locations.yaml")).expect("written");
    // Types by name, site codes lowercased as HQ stores them.
    assert!(written.contains("  - {code: boston, name: Boston, type: City, parent: s1}\n"), "{written}");
    assert!(written.contains("  - {code: s1, name: Mass, type: State}\n"), "{written}");
    let project_yaml = std::fs::read_to_string(dir.join("project.yaml")).expect("read");
    // A code is kept where it is not the one HQ derives from the name.
    assert!(
        project_yaml.contains("  - {name: County, code: cty, parent: State, shares_cases: true}\n"),
        "{project_yaml}"
    );
    assert!(project_yaml.contains("  - {name: City, parent: County, shares_cases: true}\n"), "{project_yaml}");
    let found: Vec<(String, String)> =
        result.diagnostics.iter().map(|d| (d.code().to_string(), d.message.clone())).collect();
    let has = |code: &str, words: &[&str]| found.iter().any(|(c, m)| c == code && words.iter().all(|w| m.contains(w)));
    assert!(has("L001", &["location types form a parent cycle", "Loop A", "Loop B"]), "{found:#?}");
    assert!(has("R001", &["unknown location type `gone`"]), "{found:#?}");
    assert!(has("R001", &["unknown location `nowhere`"]), "{found:#?}");
    assert!(has("R001", &["unknown location type `ward`"]), "{found:#?}");
    assert!(has("L002", &["location `boston` of type `City` has parent `s1` of type `State`"]), "{found:#?}");
    assert!(has("D001", &["`cambridge` is defined twice"]), "{found:#?}");
    assert_eq!(found.len(), 6, "{found:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Codes and messages of `check`'s diagnostics, sorted.
fn found(result: &CheckResult) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        result.diagnostics.iter().map(|d| (d.code().to_string(), d.message.clone())).collect();
    out.sort();
    out
}

/// One problem at a time, in an otherwise valid workbook (which checks clean):
/// each gives exactly its diagnostic once imported.
#[test]
fn a_cycle_an_unknown_parent_or_an_unknown_type_gives_its_diagnostic() {
    let types: &[&[&str]] =
        &[&TYPE_HEADERS, &["region", "Region", "", "", "", "Y"], &["vil", "Village", "region", "", "Y", ""]];
    let regions: &[&[&str]] = &[&LOCATION_HEADERS, &loc("R1", "North", "")];
    let villages: &[&[&str]] = &[&LOCATION_HEADERS, &loc("v1", "One", "r1"), &loc("v2", "Two", "R1")];
    let (dir, valid, _) = imported("one-valid", &book(&[("types", types), ("region", regions), ("vil", villages)]));
    assert_eq!(found(&valid), [], "parents match site codes whatever their case");
    let _ = std::fs::remove_dir_all(&dir);

    // The types loop: region under village under region.
    let looping: &[&[&str]] =
        &[&TYPE_HEADERS, &["region", "Region", "vil", "", "", ""], &["vil", "Village", "region", "", "", ""]];
    let (dir, result, _) = imported("one-type-cycle", &book(&[("types", looping)]));
    assert_eq!(
        found(&result),
        [("L001".to_string(), "location types form a parent cycle: Region → Village → Region".to_string())]
    );
    let _ = std::fs::remove_dir_all(&dir);

    // The locations loop (HQ: "has a parentage that loops"); each is then also
    // under a location of the wrong type.
    let flat: &[&[&str]] = &[&TYPE_HEADERS, &["region", "Region", "", "", "", ""]];
    let looping: &[&[&str]] = &[&LOCATION_HEADERS, &loc("a", "A", "B"), &loc("b", "B", "a")];
    let (dir, result, _) = imported("one-location-cycle", &book(&[("types", flat), ("region", looping)]));
    let codes: Vec<&str> = result.diagnostics.iter().map(|d| d.code()).collect();
    assert!(
        found(&result).contains(&("L001".into(), "locations form a parent cycle: a → b → a".into())),
        "{:#?}",
        found(&result)
    );
    assert!(codes.iter().all(|c| ["L001", "L002"].contains(c)), "{codes:?}");
    let _ = std::fs::remove_dir_all(&dir);

    // A location whose parent is no location (HQ: "refers to a parent which doesn't exist").
    let orphans: &[&[&str]] = &[&LOCATION_HEADERS, &loc("v1", "One", "r1"), &loc("v2", "Two", "Nowhere")];
    let (dir, result, _) =
        imported("one-unknown-parent", &book(&[("types", types), ("region", regions), ("vil", orphans)]));
    assert_eq!(found(&result), [("R001".to_string(), "unknown location `nowhere`".to_string())]);
    let _ = std::fs::remove_dir_all(&dir);

    // A sheet of locations whose type the `types` sheet lacks (HQ: "points to a nonexistent location-type").
    let wards: &[&[&str]] = &[&LOCATION_HEADERS, &loc("w1", "Ward", "v1")];
    let (dir, result, _) = imported(
        "one-unknown-type",
        &book(&[("types", types), ("region", regions), ("vil", villages), ("ward", wards)]),
    );
    assert_eq!(found(&result), [("R001".to_string(), "unknown location type `ward`".to_string())]);
    let _ = std::fs::remove_dir_all(&dir);

    // A type whose parent is no type.
    let orphan: &[&[&str]] =
        &[&TYPE_HEADERS, &["region", "Region", "", "", "", ""], &["vil", "Village", "county", "", "", ""]];
    let (dir, result, _) = imported("one-unknown-parent-type", &book(&[("types", orphan)]));
    assert_eq!(found(&result), [("R001".to_string(), "unknown location type `county`".to_string())]);
    let _ = std::fs::remove_dir_all(&dir);
}

fn refused(bytes: &[u8]) -> Vec<String> {
    match read_xlsx(bytes) {
        Err(WorkbookError::Refused(lines)) => lines,
        other => panic!("refused, not {other:?}"),
    }
}

#[test]
fn headers_that_are_not_hqs_are_refused_naming_the_sheet_and_the_headers() {
    let bytes = book(&[
        ("types", &[&["code", "parent_code", "Delete(Y/N)", "Shares Cases Y/N", "View Child Cases (Y/N)", "colour"]]),
        (
            "village",
            &[&[
                "location_id",
                "site_code",
                "name",
                "parent_site_code",
                "external_id",
                "longitude",
                "Delete(Y/N)",
                "data: colour",
                "Delete(Y/N)",
            ]],
        ),
    ]);
    let lines = refused(&bytes);
    assert_eq!(
        lines,
        [
            "sheet `types` must have exactly the headers `code`, `name`, `parent_code`, `Delete(Y/N)`, `Shares Cases Y/N`, `View Child Cases (Y/N)`; missing: `name`; not recognized: `colour`",
            "sheet `village`: the header `Delete(Y/N)` is there twice",
            "sheet `village` must have exactly the headers `location_id`, `site_code`, `name`, `parent_site_code`, `external_id`, `latitude`, `longitude`, `Delete(Y/N)`, and may have `data: <field>`, `uncategorized_data` and `Delete Uncategorized Data(Y/N)`; missing: `latitude`",
        ]
    );
    let no_types = book(&[("village", &[&LOCATION_HEADERS])]);
    assert_eq!(read_xlsx(&no_types), Err(WorkbookError::NoSheet("types")));
    assert!(matches!(read_xlsx(b"not a workbook"), Err(WorkbookError::NotXlsx(_))));
}

#[test]
fn values_hq_refuses_are_refused_naming_sheet_row_and_column() {
    let mut with_data = LOCATION_HEADERS.to_vec();
    with_data.extend(["data: colour", "Delete Uncategorized Data(Y/N)"]);
    let bytes = book(&[
        (
            "types",
            &[
                &TYPE_HEADERS,
                &["district", "District", "", "", "maybe", "T"],
                &["village", "Village", "district", "Y", "", ""],
                &["village", "", "district", "", "", "oui"],
            ],
        ),
        (
            "village",
            &[
                &with_data,
                &["", "v1", "Village 1", "d1", "", "", "", "yes", "", ""],
                &["", "", "Village 2", "d1", "", "", "", "", "", "2"],
                &["", "v3", "", "d1", "", "", "", "", "", ""],
            ],
        ),
    ]);
    assert_eq!(
        refused(&bytes),
        [
            "sheet `types`, row 2, column `Shares Cases Y/N`: `maybe` is not a yes/no value; HQ takes `true`, `t`, `yes`, `y`, `1`, `false`, `f`, `no`, `n` or `0` (any case), and blank for no",
            "sheet `types`, row 3, column `Delete(Y/N)`: the location type `village` is marked for deletion, which caseshare does not import: clear the mark, and remove the type from project.yaml to delete it",
            "sheet `types`, row 4, column `View Child Cases (Y/N)`: `oui` is not a yes/no value; HQ takes `true`, `t`, `yes`, `y`, `1`, `false`, `f`, `no`, `n` or `0` (any case), and blank for no",
            "sheet `types`, row 4, column `code`: the type code `village` is also on row 3; HQ refuses a type code used twice",
            "sheet `types`, row 4, column `name`: blank; a location type needs a name in project.yaml",
            "sheet `village`, row 2, column `Delete(Y/N)`: the location `v1` is marked for deletion, which caseshare does not import: clear the mark, and remove the location from `locations/` to delete it",
            "sheet `village`, row 3, column `Delete Uncategorized Data(Y/N)`: `2` is not a yes/no value; HQ takes `true`, `t`, `yes`, `y`, `1`, `false`, `f`, `no`, `n` or `0` (any case), and blank for no",
            "sheet `village`, row 3, column `site_code`: blank; HQ requires a site code",
            "sheet `village`, row 4, column `name`: blank; HQ requires a location's name",
        ]
    );
    let long = "x".repeat(256);
    let bytes = book(&[
        ("types", &[&TYPE_HEADERS, &["village", "Village", "", "", "", ""]]),
        ("village", &[&LOCATION_HEADERS, &loc(&long, "V", "")]),
    ]);
    assert_eq!(
        refused(&bytes),
        ["sheet `village`, row 2, column `site_code`: HQ's locations hold at most 255 characters here"]
    );
    // A latitude or longitude that Python's `Decimal` does not read (HQ's `_validate_geodata`),
    // and two locations with one name under one parent, in any sheets (`_check_location_names`).
    let bytes = book(&[
        (
            "types",
            &[
                &TYPE_HEADERS,
                &["district", "District", "", "", "", ""],
                &["village", "Village", "district", "", "", ""],
            ],
        ),
        ("district", &[&LOCATION_HEADERS, &loc("d1", "One", ""), &loc("d2", "One", "")]),
        (
            "village",
            &[
                &LOCATION_HEADERS,
                &["", "v1", "Hill", "d1", "", "-1.2833", "36.8167", ""],
                &["", "v2", "Hill", "D2", "", "12°N", "1e3", ""],
                &["", "v3", "Hill", "D1", "", "", "east", ""],
            ],
        ),
    ]);
    assert_eq!(
        refused(&bytes),
        [
            "sheet `village`, row 3, column `latitude`: `12°N` is not a decimal number, which HQ requires here",
            "sheet `village`, row 4, column `longitude`: `east` is not a decimal number, which HQ requires here",
            "sheet `district`, row 3, column `name`: the location `d2` at the top level has the name of sheet `district`, row 2; HQ refuses two locations with one name under one parent",
            "sheet `village`, row 4, column `name`: the location `v3` under `d1` has the name of sheet `village`, row 2; HQ refuses two locations with one name under one parent",
        ]
    );
}

#[test]
fn hq_yes_no_values_and_blank_rows_are_read_as_hq_reads_them() {
    let bytes = book(&[
        (
            "types",
            &[
                &TYPE_HEADERS,
                &["a", "A", "TOP", "no", "Yes", "1"],
                &["b", "B", "a", "F", "t", "FALSE"],
                &["c", "C", "b", "0", "y", "n"],
                &["", "", "", "", "", ""],
                &["d", "D", "c", "", "", ""],
            ],
        ),
        ("b", &[&LOCATION_HEADERS, &loc("B1", "B one", "")]),
        ("a", &[&LOCATION_HEADERS]),
    ]);
    let sheets: Sheets = read_xlsx(&bytes).expect("reads");
    let flags: Vec<(&str, Option<&str>, bool, bool)> = sheets
        .types
        .iter()
        .map(|t| (t.code.as_str(), t.parent_code.as_deref(), t.shares_cases, t.view_descendants))
        .collect();
    // HQ's reader stops at the first blank row: `d` is not read, and the import says so.
    assert_eq!(flags, [("a", None, true, true), ("b", Some("a"), true, false), ("c", Some("b"), true, false)]);
    assert_eq!(
        sheets.left_out,
        ["sheet `types`: row 5 is blank, and HQ reads no row after it, so rows 6 and on are left out"]
    );
    assert_eq!(sheets.locations.len(), 1);
    assert_eq!(sheets.locations[0].site_code, "b1");
}

/// HQ's reader takes the header row from A1 up to the first blank cell: a
/// header after the gap is not read, so a required one there is missing, and an
/// optional one is left out, with a note.
#[test]
fn the_header_row_ends_at_its_first_blank_cell() {
    let mut gap: Vec<&str> = LOCATION_HEADERS[..5].to_vec();
    gap.extend(["", "latitude", "longitude", "Delete(Y/N)"]);
    let bytes = book(&[("types", &[&TYPE_HEADERS]), ("village", &[&gap])]);
    assert_eq!(
        refused(&bytes),
        [
            "sheet `village` must have exactly the headers `location_id`, `site_code`, `name`, `parent_site_code`, `external_id`, `latitude`, `longitude`, `Delete(Y/N)`, and may have `data: <field>`, `uncategorized_data` and `Delete Uncategorized Data(Y/N)`; missing: `latitude`, `longitude`, `Delete(Y/N)`; HQ reads the headers up to the first blank cell, column F, so it does not see `latitude`, `longitude`, `Delete(Y/N)`"
        ]
    );
    let mut extra = LOCATION_HEADERS.to_vec();
    extra.extend(["", "data: colour"]);
    let bytes = book(&[
        ("types", &[&TYPE_HEADERS, &["village", "Village", "", "", "", ""]]),
        ("village", &[&extra, &["", "v1", "V1", "", "", "", "", "", "", "blue"]]),
    ]);
    let sheets = read_xlsx(&bytes).expect("reads");
    assert_eq!(
        sheets.left_out,
        [
            "sheet `village`: HQ reads the headers up to the first blank cell, column I, so `data: colour` after it is left out"
        ]
    );
    assert_eq!(sheets.locations.len(), 1);
}

/// HQ's download writes `uncategorized_data: <key>` for each value that no
/// field of the type defines, and its upload takes the workbook back (the
/// reader keys `field: key` headers by `field`): read, the column left out.
#[test]
fn hq_downloads_with_uncategorized_data_columns_are_read() {
    let mut headers = LOCATION_HEADERS.to_vec();
    headers.extend(["data: pop", "uncategorized_data: old_code"]);
    let bytes = book(&[
        ("types", &[&TYPE_HEADERS, &["village", "Village", "", "", "", ""]]),
        ("village", &[&headers, &["", "v1", "V1", "", "", "", "", "", "100", "X-1"]]),
    ]);
    let sheets = read_xlsx(&bytes).expect("reads");
    assert_eq!(sheets.locations.len(), 1);
    assert_eq!(
        sheets.left_out,
        [
            "sheet `village`, column `data: pop`: 1 row with a value; the definitions have no place for it, so it is left out",
            "sheet `village`, column `uncategorized_data: old_code`: 1 row with a value; the definitions have no place for it, so it is left out",
        ]
    );
}

#[test]
fn columns_without_a_place_are_reported_not_dropped_silently() {
    let mut with_data = LOCATION_HEADERS.to_vec();
    with_data.extend(["data: colour", "uncategorized_data", "Delete Uncategorized Data(Y/N)"]);
    let bytes = book(&[
        ("types", &[&TYPE_HEADERS, &["village", "Village", "", "", "", ""]]),
        (
            "village",
            &[
                &with_data,
                &["id-1", "v1", "V1", "", "ext-1", "12.5", "-3.25", "", "blue", "", "yes"],
                &["id-2", "v2", "V2", "", "", "12.6", "", "", "", "", "no"],
            ],
        ),
    ]);
    let sheets = read_xlsx(&bytes).expect("reads");
    assert_eq!(
        sheets.left_out,
        [
            "sheet `village`, column `location_id`: 2 rows with a value; the definitions have no place for it, so it is left out",
            "sheet `village`, column `external_id`: 1 row with a value; the definitions have no place for it, so it is left out",
            "sheet `village`, column `latitude`: 2 rows with a value; the definitions have no place for it, so it is left out",
            "sheet `village`, column `longitude`: 1 row with a value; the definitions have no place for it, so it is left out",
            "sheet `village`, column `data: colour`: 1 row with a value; the definitions have no place for it, so it is left out",
            "sheet `village`, column `Delete Uncategorized Data(Y/N)`: 1 row marked yes; the definitions have no place for it, so it is left out",
        ]
    );
    // On the command line: the notes, then the diff; nothing written without --write.
    let dir = scratch("left-out");
    std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: d\n").expect("write");
    let xlsx = dir.join("in.xlsx");
    std::fs::write(&xlsx, &bytes).expect("write");
    let (code, shown, err) = import(&xlsx, &dir, false);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("note: sheet `village`, column `latitude`: 2 rows with a value"), "{err}");
    assert!(shown.contains("+  - {code: v1, name: V1, type: Village}"), "{shown}");
    assert!(shown.contains("+location_types:\n+  - {name: Village}\n"), "{shown}");
    assert!(!dir.join("locations").exists(), "nothing is written without --write");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_import_needs_project_yaml() {
    let dir = scratch("no-project");
    let xlsx = dir.join("in.xlsx");
    std::fs::write(&xlsx, book(&[("types", &[&TYPE_HEADERS])])).expect("write");
    let (code, _, err) = import(&xlsx, &dir, true);
    assert_eq!(code, 2);
    assert!(err.contains("no `project.yaml` in"), "{err}");
    std::fs::write(dir.join("project.yaml"), "domain: d\n").expect("write");
    let (code, _, err) = import(&xlsx, &dir, true);
    assert_eq!(code, 2);
    assert!(err.contains("project.yaml`: it is format 1; run `caseshare migrate --write` first"), "{err}");
    assert!(!dir.join("locations").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The user workbook's caps hold for this one: file size, rows, cell length,
/// and the archive's inflated size.
#[test]
fn the_workbook_caps_of_the_user_workbook_apply() {
    let dir = scratch("caps");
    std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: d\n").expect("write");
    // Over the file size cap: refused before it is read.
    let big = dir.join("big.xlsx");
    std::fs::File::create(&big).expect("create").set_len(MAX_WORKBOOK_BYTES + 1).expect("size");
    let (code, _, err) = import(&big, &dir, true);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "the file is {} bytes, over the cap of {MAX_WORKBOOK_BYTES} bytes",
            MAX_WORKBOOK_BYTES + 1
        )),
        "{err}"
    );
    // Too many rows in a location sheet.
    let mut many = rust_xlsxwriter::Workbook::new();
    let types = many.add_worksheet();
    types.set_name("types").expect("name");
    for (c, h) in TYPE_HEADERS.iter().enumerate() {
        types.write_string(0, c as u16, *h).expect("write");
    }
    let sheet = many.add_worksheet();
    sheet.set_name("village").expect("name");
    for (c, h) in LOCATION_HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("write");
    }
    for r in 1..=MAX_ROWS + 1 {
        sheet.write_string(r as u32, 1, format!("v{r}")).expect("write");
    }
    let bytes = many.save_to_buffer().expect("saves");
    assert_eq!(read_xlsx(&bytes), Err(WorkbookError::OverCap(OverCap::Rows("village".into()))));
    // A cell over the cap, named by sheet, row and column.
    let long = "n".repeat(MAX_CELL_CHARS + 1);
    let bytes = book(&[
        ("types", &[&TYPE_HEADERS, &["village", "Village", "", "", "", ""]]),
        ("village", &[&LOCATION_HEADERS, &loc("v1", &long, "")]),
    ]);
    assert_eq!(
        read_xlsx(&bytes),
        Err(WorkbookError::OverCap(OverCap::Cell { sheet: "village".into(), row: 2, column: "name".into() }))
    );
    // A zip bomb: a small archive whose part inflates past the cap.
    let bomb = dir.join("bomb.xlsx");
    let script = r#"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED, compresslevel=9)
with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
    chunk = b"<row/>" * (1 << 20)
    for _ in range(16):
        f.write(chunk)
z.close()
"#;
    let status = std::process::Command::new("python3").args(["-c", script]).arg(&bomb).status().expect("python3 runs");
    assert!(status.success());
    assert!(std::fs::metadata(&bomb).expect("built").len() < 1024 * 1024);
    let (code, _, err) = import(&bomb, &dir, true);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("inflates to more than 67108864 bytes (the cap)"), "{err}");
    assert!(!dir.join("locations").exists(), "nothing was written");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_export_refuses_what_has_no_sheet_or_no_code() {
    let result = check_memory(&[
        (
            "project.yaml",
            "format_version: 2\ndomain: d\nlocation_types:\n  - {name: Région}\n  - {name: types}\n  - {name: Village}\n  - {name: village 2, code: VILLAGE}\n",
        ),
        ("locations/l.yaml", "format_version: 2\nlocations:\n  - {code: w1, name: W, type: ward}\n"),
    ]);
    let Err(lines) = from_project(&result.project) else { panic!("refused") };
    assert_eq!(
        lines,
        [
            "location type `Région` has no `code`, and caseshare derives one only from a name of ASCII characters with a letter or digit: give it a `code`",
            "location type `types`: its code `types` cannot be a sheet title: `types` is the title of the sheet of types",
            "location types `Village` and `village 2` have one code, `VILLAGE` (sheet titles ignore case): give one of them another `code`",
            "location `w1` has type `ward`, which project.yaml `location_types` lacks, so it has no sheet: add the type or fix the location",
        ]
    );
    assert_eq!(derived_code("Région"), None);
    // On the command line: exit 2, nothing written.
    let dir = scratch("unexportable");
    std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: d\nlocation_types:\n  - {name: Région}\n")
        .expect("write");
    let out = dir.join("out.xlsx");
    let (code, _, err) = export(&dir, &out);
    assert_eq!(code, 2);
    assert!(err.contains("error: cannot export the locations:\nlocation type `Région` has no `code`"), "{err}");
    assert!(!out.exists());
    // Capitals in site codes: HQ lowercases them, which the export says.
    std::fs::write(
        dir.join("project.yaml"),
        "format_version: 2\ndomain: d\nlocation_types:\n  - {name: Région, code: region}\n",
    )
    .expect("write");
    std::fs::create_dir_all(dir.join("locations")).expect("mkdir");
    std::fs::write(
        dir.join("locations/l.yaml"),
        "format_version: 2\nlocations:\n  - {code: North, name: N, type: Région}\n  - {code: SOUTH, name: S, type: Région}\n",
    )
    .expect("write");
    let (code, _, err) = export(&dir, &out);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("note: HQ lowercases site codes: `North` and 1 more will be lowercase"), "{err}");
    assert!(err.contains("wrote 1 location type and 2 locations to"), "{err}");
    assert!(err.contains("note: the workbook has no `location_id`s, so HQ's upload creates these locations"), "{err}");
    assert_eq!(open(&out).sheet_names(), ["types", "region"]);
    // A location without a name (HQ requires one) is refused; two siblings with one name are warned about.
    std::fs::write(
        dir.join("locations/l.yaml"),
        "format_version: 2\nlocations:\n  - {code: north, type: Région}\n  - {code: s1, name: S, type: Région}\n  - {code: S2, name: S, type: Région}\n",
    )
    .expect("write");
    let (code, _, err) = export(&dir, &out);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("location `north` has no `name`, which HQ requires: give it one"), "{err}");
    std::fs::write(
        dir.join("locations/l.yaml"),
        "format_version: 2\nlocations:\n  - {code: s1, name: S, type: Région}\n  - {code: S2, name: S, type: Région}\n",
    )
    .expect("write");
    let (code, _, err) = export(&dir, &out);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: locations `s1` and `S2` at the top level have one name, `S`, which HQ's upload refuses: rename one"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--out` names a workbook: a definition file given by mistake is not
/// replaced by one (it was, and its users were gone), for either export.
#[test]
fn an_export_writes_only_an_xlsx_file() {
    let dir = scratch("out-not-xlsx");
    common::copy_tree(&common::fixtures().join("demo"), &dir);
    let users = std::fs::read(dir.join("users/chws.yaml")).expect("read");
    for (what, out) in [("hq-locations", "users/chws.yaml"), ("hq-users", "users/chws.yaml"), ("hq-users", "out.yml")] {
        let out = dir.join(out);
        let (code, _, err) =
            run(&["export".as_ref(), what.as_ref(), dir.as_os_str(), "--out".as_ref(), out.as_os_str()]);
        assert_eq!(code, 2, "{what}: {err}");
        assert!(err.contains("is not an .xlsx file: an export writes an Excel workbook"), "{err}");
    }
    assert_eq!(std::fs::read(dir.join("users/chws.yaml")).expect("read"), users);
    assert!(!dir.join("out.yml").exists());
    let (code, _, err) = export(&dir, &dir.join("Locations.XLSX"));
    assert_eq!(code, 0, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Importing HQ's workbooks back into a project whose users and locations
/// live in files of their own would define each twice (D001): refused,
/// naming them, nothing written.
#[test]
fn an_import_does_not_define_again_what_other_files_define() {
    let dir = scratch("defined-elsewhere");
    common::copy_tree(&common::fixtures().join("demo"), &dir);
    let (users_xlsx, locations_xlsx) = (dir.join("users.xlsx"), dir.join("locations.xlsx"));
    let (code, _, err) = export(&dir, &locations_xlsx);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) =
        run(&["export".as_ref(), "hq-users".as_ref(), dir.as_os_str(), "--out".as_ref(), users_xlsx.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = import(&locations_xlsx, &dir, true);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the import writes locations to `locations/hq-locations.yaml`, but 4 of its locations are defined in other files already: `district-1` (locations/district.yaml)"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "import".as_ref(),
        "hq-users".as_ref(),
        users_xlsx.as_os_str(),
        "--project".as_ref(),
        dir.as_os_str(),
        "--write".as_ref(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the import writes users to `users/hq-users.yaml`, but 7 of its users are defined in other files already: `david` (users/chws.yaml)"), "{err}");
    assert!(!dir.join("users/hq-users.yaml").exists() && !dir.join("locations/hq-locations.yaml").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
