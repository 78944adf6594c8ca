//! `--fix` and `--diff`: the edits of fixable diagnostics (Y004, Y005, G006) are
//! byte-range replacements on the original text; every other byte stays as it was.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use crate::CheckResult;
use crate::diagnostic::Edit;
use crate::source::FileId;

/// The new text of one file.
#[derive(Debug)]
pub struct Planned {
    pub path: PathBuf,
    pub display: String,
    pub before: String,
    pub after: String,
    /// How many diagnostics the edits repair.
    pub fixes: usize,
}

/// Applies every fix of the result, file by file; a fix whose edits overlap an
/// earlier one is left for the next run.
pub fn plan(result: &CheckResult) -> Vec<Planned> {
    let mut by_file: BTreeMap<FileId, Vec<&[Edit]>> = BTreeMap::new();
    for d in result.diagnostics.iter().filter(|d| !d.fix.is_empty()) {
        by_file.entry(d.file).or_default().push(&d.fix);
    }
    let mut out = Vec::new();
    for (file, fixes) in by_file {
        let src = &result.project.files[file];
        let text = &*src.text;
        let mut taken: Vec<&Edit> = Vec::new();
        let mut count = 0;
        for fix in fixes {
            let overlaps = fix.iter().any(|e| {
                e.file != file
                    || e.span.end > text.len()
                    || taken.iter().any(|t| e.span.start < t.span.end && t.span.start < e.span.end)
            });
            if !overlaps {
                taken.extend(fix.iter());
                count += 1;
            }
        }
        taken.sort_by_key(|e| e.span.start);
        let mut after = String::with_capacity(text.len());
        let mut at = 0;
        for e in taken {
            after.push_str(&text[at..e.span.start]);
            after.push_str(&e.replacement);
            at = e.span.end;
        }
        after.push_str(&text[at..]);
        if after != text {
            out.push(Planned {
                path: src.abs.clone(),
                display: src.display.clone(),
                before: text.to_string(),
                after,
                fixes: count,
            });
        }
    }
    out
}

/// A unified diff of the planned changes.
pub fn diff(planned: &[Planned]) -> String {
    let mut out = String::new();
    for p in planned {
        let d = similar::TextDiff::from_lines(&p.before, &p.after);
        out.push_str(
            &d.unified_diff()
                .context_radius(3)
                .header(&format!("a/{}", p.display), &format!("b/{}", p.display))
                .to_string(),
        );
    }
    out
}

/// Writes the planned files, each atomically (a temporary file renamed over the
/// original, keeping its permissions).
pub fn write(planned: &[Planned]) -> std::io::Result<()> {
    for p in planned {
        let path = std::fs::canonicalize(&p.path)?;
        let mut f = atomic_write_file::AtomicWriteFile::open(&path)?;
        f.write_all(p.after.as_bytes())?;
        f.commit()?;
    }
    Ok(())
}
