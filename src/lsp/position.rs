//! Positions as the Language Server Protocol counts them: 0-based lines and
//! UTF-16 code units within the line (a byte order mark at the start is no
//! column, as editors show it), to and from byte offsets.

use lsp_types::{Position, Range};

use crate::source::Span;

/// Line starts of a text, for converting offsets both ways.
pub struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(crate::source::line_ends(text.as_bytes()));
        Lines { text, starts }
    }

    fn line_start(&self, line: usize) -> usize {
        let start = self.starts[line];
        if line == 0 && self.text.starts_with('\u{feff}') { start + '\u{feff}'.len_utf8() } else { start }
    }

    /// The position of a byte offset (clamped into the text, onto a character).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_start(line).min(offset);
        let character = self.text[start..offset].encode_utf16().count();
        Position { line: line as u32, character: character as u32 }
    }

    pub fn range(&self, span: &Span) -> Range {
        Range { start: self.position(span.start), end: self.position(span.end.max(span.start)) }
    }

    /// The byte offset of a position; past the end of a line, the line's end
    /// (before its line break); past the last line, the text's end.
    pub fn offset(&self, pos: Position) -> usize {
        let line = pos.line as usize;
        if line >= self.starts.len() {
            return self.text.len();
        }
        let start = self.line_start(line);
        let end = self.starts.get(line + 1).map_or(self.text.len(), |s| *s);
        let content = self.text[start..end].trim_end_matches(['\n', '\r']);
        let mut units = 0usize;
        for (i, c) in content.char_indices() {
            if units >= pos.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + content.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_both_ways() {
        let text = "a: 🏥 x\r\nnम y\n";
        let lines = Lines::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(lines.position(x), Position { line: 0, character: 6 });
        assert_eq!(lines.offset(Position { line: 0, character: 6 }), x);
        let y = text.find('y').unwrap();
        assert_eq!(lines.position(y), Position { line: 1, character: 3 });
        assert_eq!(lines.offset(Position { line: 1, character: 3 }), y);
        // Past a line's end: its end, before the CRLF.
        assert_eq!(lines.offset(Position { line: 0, character: 99 }), text.find('\r').unwrap());
        let bom = Lines::new("\u{feff}ab: x\n");
        assert_eq!(bom.position(3 + 1), Position { line: 0, character: 1 });
    }

    /// The protocol counts `\r` alone as a line break, as `\n` and `\r\n`.
    #[test]
    fn a_carriage_return_alone_ends_a_line() {
        let text = "a: 1\rb: x\r\nc: y";
        let lines = Lines::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(lines.position(x), Position { line: 1, character: 3 });
        assert_eq!(lines.offset(Position { line: 1, character: 3 }), x);
        let y = text.find('y').unwrap();
        assert_eq!(lines.position(y), Position { line: 2, character: 3 });
        assert_eq!(lines.offset(Position { line: 0, character: 99 }), text.find('\r').unwrap());
    }
}
