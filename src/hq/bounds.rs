//! Bounds on what an import reads, checked before anything is inflated or
//! parsed: a workbook is a zip archive, and a small one can inflate to gigabytes
//! (a zip bomb). README's "CommCare HQ" section lists these caps.

use std::io::{Cursor, Read};

/// A workbook file at most this large is read at all.
pub const MAX_WORKBOOK_BYTES: u64 = 20 * 1024 * 1024;
/// Its parts, inflated, at most this large in all (what the archive declares,
/// and what inflating them really gives).
pub const MAX_WORKBOOK_INFLATED: u64 = 64 * 1024 * 1024;
/// Parts in the archive.
pub const MAX_WORKBOOK_PARTS: usize = 1_000;
/// Rows of a sheet below its header (an export of this many users or
/// locations is read back).
pub const MAX_ROWS: usize = 100_000;
/// Characters in a cell.
pub const MAX_CELL_CHARS: usize = 1_000;
/// An app source export (JSON) at most this large is read at all.
pub const MAX_APP_EXPORT_BYTES: u64 = 50 * 1024 * 1024;

/// An input over a cap: nothing of it was read further.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OverCap {
    #[error("the file is {0} bytes, over the cap of {1} bytes")]
    File(u64, u64),
    #[error("the workbook has {0} parts, over the cap of {MAX_WORKBOOK_PARTS}")]
    Parts(usize),
    #[error(
        "the workbook inflates to more than {MAX_WORKBOOK_INFLATED} bytes (the cap); it is refused before reading its sheets"
    )]
    Inflated,
    #[error("sheet `{0}` has more than {MAX_ROWS} rows below its header (the cap)")]
    Rows(String),
    #[error(
        "sheet `{sheet}`, row {row}, column `{column}`: the cell holds more than {MAX_CELL_CHARS} characters (the cap)"
    )]
    Cell { sheet: String, row: usize, column: String },
}

/// Checks a file's size (from its metadata) before it is read.
pub fn file_size(len: u64, cap: u64) -> Result<(), OverCap> {
    if len > cap { Err(OverCap::File(len, cap)) } else { Ok(()) }
}

/// Checks that a workbook's archive inflates to no more than the cap: first what
/// its directory declares, then what inflating each part really gives (counted,
/// not kept), so an archive that lies about its sizes is caught as well. Bytes
/// that are not a zip archive are left for the workbook reader to refuse.
pub fn workbook(bytes: &[u8]) -> Result<(), OverCap> {
    file_size(bytes.len() as u64, MAX_WORKBOOK_BYTES)?;
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(()) };
    if zip.len() > MAX_WORKBOOK_PARTS {
        return Err(OverCap::Parts(zip.len()));
    }
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index_raw(i) else { return Ok(()) };
        declared = declared.saturating_add(part.size());
    }
    if declared > MAX_WORKBOOK_INFLATED {
        return Err(OverCap::Inflated);
    }
    let mut left = MAX_WORKBOOK_INFLATED;
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index(i) else { return Ok(()) };
        let read = std::io::copy(&mut part.take(left + 1), &mut std::io::sink()).unwrap_or(0);
        if read > left {
            return Err(OverCap::Inflated);
        }
        left -= read;
    }
    Ok(())
}
