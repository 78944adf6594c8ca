//! `--fix` and `--diff`: the edits of fixable diagnostics (Y004, Y005, G006) are
//! byte-range replacements on the original text; every other byte stays as it was.

use std::collections::BTreeMap;

use crate::check::CheckResult;
use crate::edit::{self, Edit, EditSet};
use crate::source::FileId;
use crate::write::Change;

/// The fixes of a result as changes, one per file, and how many diagnostics
/// they repair. A fix whose edits overlap an earlier one is left for the next run.
pub fn plan(result: &CheckResult) -> (Vec<Change>, usize) {
    let mut by_file: BTreeMap<FileId, Vec<&[Edit]>> = BTreeMap::new();
    for d in result.diagnostics.iter().filter(|d| !d.fix.is_empty()) {
        by_file.entry(d.file).or_default().push(&d.fix);
    }
    let mut out = Vec::new();
    let mut fixed = 0;
    for (file, fixes) in by_file {
        let src = &result.project.files[file];
        let text = &*src.text;
        let mut taken = EditSet::default();
        let count = fixes.into_iter().filter(|fix| taken.try_add(fix)).count();
        let Ok(after) = edit::apply(text, taken.edits()) else { continue };
        if after != text {
            fixed += count;
            out.push(Change {
                rel: src.rel.clone(),
                display: src.display.clone(),
                abs: src.abs.clone(),
                before: Some(text.to_string()),
                after,
            });
        }
    }
    (out, fixed)
}
