//! Imports are bounded: a workbook's archive is measured before it is inflated
//! (a zip bomb is refused fast and small), and rows and cells have caps; over a
//! cap the import stops with exit 2 and a message naming it.

use std::path::{Path, PathBuf};
use std::process::Command;

use caseshare::hq::bounds::{MAX_CELL_CHARS, MAX_ROWS, OverCap};
use caseshare::hq::users::{WorkbookError, read_xlsx};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caseshare-bounds-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("project.yaml"), "format_version: 2\ndomain: d\n").expect("write");
    dir
}

/// An .xlsx whose users sheet inflates to `mb` megabytes of rows (Python's zlib
/// builds it in a moment); with `lie`, the archive declares a small size instead.
fn zip_bomb(path: &Path, mb: usize, lie: bool) {
    let script = r#"
import sys, zipfile, zlib, struct
path, mb, lie = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
ct = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
rels = '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
wb = '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="users" sheetId="1" r:id="rId1"/></sheets></workbook>'
wbrels = '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
row = '<row><c t="inlineStr"><is><t>' + 'u' * 1000 + '</t></is></c></row>'
head = '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>username</t></is></c></row>'
n = mb * 1024 * 1024 // len(row)
z = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9)
for name, text in [("[Content_Types].xml", ct), ("_rels/.rels", rels), ("xl/workbook.xml", wb), ("xl/_rels/workbook.xml.rels", wbrels)]:
    z.writestr(name, text)
with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=False) as f:
    f.write(head.encode())
    chunk = (row * 1024).encode()
    for _ in range(n // 1024):
        f.write(chunk)
    f.write(b"</sheetData></worksheet>")
z.close()
if lie:
    data = bytearray(open(path, "rb").read())
    name = b"xl/worksheets/sheet1.xml"
    for sig, off in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)]:
        at = 0
        while True:
            at = data.find(sig, at)
            if at < 0:
                break
            nlen_off = 26 if sig == b"PK\x03\x04" else 28
            nlen = struct.unpack_from("<H", data, at + nlen_off)[0]
            start = at + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(data[start:start + nlen]) == name:
                struct.pack_into("<I", data, at + off, 1000)
            at += 4
    open(path, "wb").write(bytes(data))
"#;
    let status = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .arg(mb.to_string())
        .arg(if lie { "1" } else { "0" })
        .status()
        .expect("python3 runs");
    assert!(status.success());
}

/// Runs caseshare and measures it: exit code, output, seconds, peak memory in MB
/// (the child's maximum resident set, from Python's getrusage).
fn measured(args: &[&str], dir: &Path) -> (i32, String, f64, f64) {
    let script = r#"
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
dt = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(p.returncode, dt, rss)
print(p.stdout + p.stderr)
"#;
    let out = Command::new("python3")
        .args(["-c", script, env!("CARGO_BIN_EXE_caseshare")])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, rest) = text.split_once('\n').expect("a first line");
    let v: Vec<f64> = head.split_whitespace().map(|x| x.parse().expect("a number")).collect();
    (v[0] as i32, rest.to_string(), v[1], v[2])
}

#[test]
fn a_zip_bomb_workbook_is_refused_fast_and_small() {
    let dir = scratch("bomb");
    for lie in [false, true] {
        let bomb = dir.join(if lie { "lying.xlsx" } else { "bomb.xlsx" });
        zip_bomb(&bomb, 200, lie);
        let size = std::fs::metadata(&bomb).expect("built").len();
        assert!(size < 2 * 1024 * 1024, "the bomb is small: {size} bytes");
        let (code, out, secs, mb) = measured(&["import", "hq-users", bomb.to_str().expect("utf-8"), "--write"], &dir);
        eprintln!("lie={lie}: {size} bytes refused in {secs:.3} s, peak {mb:.1} MB: {out}");
        assert_eq!(code, 2, "{out}");
        if lie {
            // Parts are read no further than the archive declares: the sheet is cut short.
            assert!(out.contains("not an .xlsx workbook"), "{out}");
        } else {
            assert!(out.contains("inflates to more than 67108864 bytes (the cap)"), "{out}");
        }
        assert!(secs < 1.0, "took {secs} s");
        assert!(mb < 100.0, "peak {mb} MB");
        assert!(!dir.join("users").exists(), "nothing was written");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A users sheet of `rows` rows (the header included): usernames, and `cell` in
/// the `name` column.
fn workbook(rows: usize, cell: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("users").expect("name");
    sheet.write_string(0, 0, "username").expect("write");
    sheet.write_string(0, 1, "name").expect("write");
    for r in 1..rows {
        sheet.write_string(r as u32, 0, format!("u{r}")).expect("write");
        sheet.write_string(r as u32, 1, cell).expect("write");
    }
    book.save_to_buffer().expect("saves")
}

#[test]
fn rows_and_cells_have_caps() {
    let long = "d".repeat(MAX_CELL_CHARS + 1);
    assert_eq!(
        read_xlsx(&workbook(3, &long)),
        Err(WorkbookError::OverCap(OverCap::Cell { sheet: "users".into(), row: 2, column: "name".into() }))
    );
    assert!(read_xlsx(&workbook(3, &"d".repeat(MAX_CELL_CHARS))).is_ok());
    // The cap counts the rows below the header: an export of that many users is read back.
    assert_eq!(read_xlsx(&workbook(MAX_ROWS + 2, "u")), Err(WorkbookError::OverCap(OverCap::Rows("users".into()))));
    assert_eq!(read_xlsx(&workbook(MAX_ROWS + 1, "u")).map(|s| s.users.len()), Ok(MAX_ROWS));
    // On the command line: exit 2, naming the cap.
    let dir = scratch("cell");
    std::fs::write(dir.join("long.xlsx"), workbook(3, &long)).expect("write");
    let (code, out, _, _) = measured(&["import", "hq-users", "long.xlsx"], &dir);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("sheet `users`, row 2, column `name`: the cell holds more than 1000 characters (the cap)"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Usernames, group names and location codes that HQ's upload refuses
/// (`generate_mobile_username`, duplicate group rows, `site_code` length), named
/// by sheet, row and column; HQ's own test cases among them.
#[test]
fn names_hq_refuses_are_errors_naming_sheet_row_and_column() {
    use caseshare::hq::users::{read_xlsx_for, username_problem};
    // HQ's tests: `..bad username` and `test%user` are refused, `test-user-1` and `123` accepted.
    for bad in ["..bad username", "test%user", "o'brien", "a..b", ".amina", "amina.", "é", "a,b"] {
        assert!(username_problem(bad, Some("demo")).is_some(), "{bad}");
    }
    for good in ["test-user-1", "123", "Amina", "amina  b", "a+b", "a_b", "amina@demo.commcarehq.org"] {
        assert_eq!(username_problem(good, Some("demo")), None, "{good}");
    }
    assert!(username_problem("amina@other.commcarehq.org", Some("demo")).is_some());
    assert!(username_problem(&"u".repeat(81), None).is_some());
    // A 40-character project space leaves 72 characters for usernames.
    assert!(username_problem(&"u".repeat(73), Some(&"d".repeat(40))).is_some());
    assert!(username_problem(&"u".repeat(72), Some(&"d".repeat(40))).is_none());

    let mut book = rust_xlsxwriter::Workbook::new();
    let users = book.add_worksheet();
    users.set_name("users").expect("name");
    for (r, row) in [
        ["username", "group 1", "location_code 1"],
        ["david", "Village A", "v-a"],
        ["test%user", "", ""],
        ["David", "", ""],
        ["maria", "", &"x".repeat(256)],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            users.write_string(r as u32, c as u16, *v).expect("write");
        }
    }
    let groups = book.add_worksheet();
    groups.set_name("groups").expect("name");
    for (r, row) in [["name", "case-sharing?"], ["Village A", "yes"], ["Village A", "no"]].iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            groups.write_string(r as u32, c as u16, *v).expect("write");
        }
    }
    let bytes = book.save_to_buffer().expect("saves");
    let Err(WorkbookError::Refused(lines)) = read_xlsx_for(&bytes, Some("demo")) else { panic!("refused") };
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(
        lines[0].starts_with("sheet `users`, row 3, column `username`: HQ refuses the username `test%user`"),
        "{lines:#?}"
    );
    assert!(
        lines[1].starts_with("sheet `users`, row 4, column `username`: the username `David` is the user of row 2"),
        "{lines:#?}"
    );
    assert!(
        lines[2].starts_with("sheet `users`, row 5, column `location_code 1`: HQ's location codes hold at most 255"),
        "{lines:#?}"
    );
    assert!(
        lines[3].starts_with("sheet `groups`, row 3, column `name`: the group `Village A` is also on row 2"),
        "{lines:#?}"
    );
}
