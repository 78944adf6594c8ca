//! Edits as data: byte-range replacements on a file's original text. Every byte
//! outside an edit stays as it was. `--fix`, `migrate`, `enable-sharing`,
//! `rename` and the language server all produce edits; [`apply`] refuses two
//! that touch the same bytes, and [`map_back`] takes an offset of the edited
//! text back to the original (to show a problem of the result at the source).

use crate::source::Span;

/// Replace the bytes of `span` with `text` (an insertion when the span is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

impl Edit {
    pub fn new(span: Span, text: impl Into<String>) -> Self {
        Edit { span, text: text.into() }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Edit { span: at..at, text: text.into() }
    }
}

/// Two edits that touch the same bytes: a bug in a migration, never applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("two edits overlap at bytes {first:?} and {second:?}")]
pub struct Overlap {
    pub first: Span,
    pub second: Span,
}

/// Applies the edits (in any order; insertions at one offset keep their order).
pub fn apply(text: &str, edits: &[Edit]) -> Result<String, Overlap> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|s| (s.span.start, s.span.end));
    let mut out = String::with_capacity(text.len() + edits.iter().map(|s| s.text.len()).sum::<usize>());
    let mut at = 0;
    let mut last: Option<&Span> = None;
    for s in sorted {
        if s.span.start < at || s.span.end > text.len() || !text.is_char_boundary(s.span.start) {
            let first = last.cloned().unwrap_or(0..0);
            return Err(Overlap { first, second: s.span.clone() });
        }
        out.push_str(&text[at..s.span.start]);
        out.push_str(&s.text);
        at = s.span.end;
        last = Some(&s.span);
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// Whether two edits touch the same bytes (an insertion at the edge of a
/// replacement does not).
pub fn overlap(a: &Edit, b: &Edit) -> bool {
    a.span.start < b.span.end && b.span.start < a.span.end
}

/// Edits of one text that do not overlap, kept sorted: fixes are added whole or
/// not at all, in time proportional to their number.
#[derive(Debug, Default, Clone)]
pub struct EditSet {
    edits: Vec<Edit>,
}

impl EditSet {
    /// Adds every edit of `group`, or none when one overlaps an edit already taken.
    pub fn try_add(&mut self, group: &[Edit]) -> bool {
        let clash = group.iter().any(|e| {
            // The taken edits are disjoint and sorted: only the neighbours of `e` can touch it.
            let i = self.edits.partition_point(|t| t.span.start < e.span.end);
            self.edits[..i].last().is_some_and(|t| overlap(t, e))
                || self.edits[i..].first().is_some_and(|t| overlap(t, e))
        });
        if clash {
            return false;
        }
        for e in group {
            let i = self.edits.partition_point(|t| (t.span.start, t.span.end) <= (e.span.start, e.span.end));
            self.edits.insert(i, e.clone());
        }
        true
    }

    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }
}

/// Maps a byte offset of the edited text back to the original text: offsets
/// outside every edit move by the edits before them; offsets inside a edit
/// map to its start.
pub fn map_back(edits: &[Edit], offset: usize) -> usize {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|s| (s.span.start, s.span.end));
    // `shift` is (edited offset) - (original offset) before the current edit.
    let mut shift: isize = 0;
    for s in sorted {
        let start_after = (s.span.start as isize + shift) as usize;
        if offset < start_after {
            break;
        }
        let end_after = start_after + s.text.len();
        if offset < end_after {
            return s.span.start;
        }
        shift += s.text.len() as isize - s.span.len() as isize;
    }
    (offset as isize - shift).max(0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_back_across_edits() {
        let edits = [Edit::new(2..4, "xyz"), Edit::insert(6, "ab")];
        // "01[23]45|6789" -> "01xyz45ab6789"
        assert_eq!(map_back(&edits, 0), 0);
        assert_eq!(map_back(&edits, 3), 2);
        assert_eq!(map_back(&edits, 5), 4);
        assert_eq!(map_back(&edits, 8), 6);
        assert_eq!(map_back(&edits, 9), 6);
        assert_eq!(map_back(&edits, 12), 9);
    }
}
