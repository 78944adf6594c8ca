//! The fast YAML path (`yaml::fast`) must give exactly what serde-saphyr gives,
//! spans included, whenever it accepts a text; on anything else it must give up.
//! Checked on every YAML file under `fixtures/` and on generated documents,
//! valid ones and mutated ones.

mod common;

use std::path::Path;

use caseshare::yaml::{parse_fast, parse_general};
use common::property;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn fixtures_parse_alike_and_mostly_take_the_fast_path() {
    let mut files = Vec::new();
    yaml_files(Path::new("fixtures"), &mut files);
    // Distinct files: the rule fixtures are overlays on one shared base project.
    assert!(files.len() > 150, "fixtures not found: {}", files.len());
    // Fixtures of YAML errors, limits, CRLF, BOMs and unusual syntax need the
    // general parser; every other fixture takes the fast path.
    let general = [
        "rules/Y001/invalid/apps/chw.yaml",
        "rules/Y003/invalid/users/imported.yaml",
        "migrate/format-version/before/users/empty.yaml",
        "migrate/format-version/before/apps/crlf-bom.yaml",
        "migrate/format-version/after/users/empty.yaml",
        "migrate/format-version/after/apps/crlf-bom.yaml",
        "migrate/app-version/before/apps/flow.yaml",
        "migrate/app-version/after/apps/flow.yaml",
    ];
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue }; // F004's fixture
        let rel = path.strip_prefix("fixtures").unwrap_or(path).to_string_lossy().replace('\\', "/");
        match parse_fast(&text) {
            Some(node) => assert_eq!(parse_general(&text), Ok(node), "{}", path.display()),
            None => assert!(general.contains(&rel.as_str()), "{rel} left the fast path"),
        }
    }
    let mut demo = Vec::new();
    yaml_files(Path::new("fixtures/demo"), &mut demo);
    for path in demo {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(parse_fast(&text).is_some(), "{} left the fast path", path.display());
    }
}

/// Every fixture with Windows line ends (as `git config core.autocrlf true`
/// checks them out): the fast path takes the same files as with LF, and gives
/// serde-saphyr's tree, spans included (byte-exact, the `\r` outside every value).
#[test]
fn fixtures_with_crlf_parse_alike_on_the_fast_path() {
    let mut files = Vec::new();
    yaml_files(Path::new("fixtures"), &mut files);
    let (mut lf_fast, mut crlf_fast) = (0, 0);
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
        lf_fast += usize::from(parse_fast(&text.replace("\r\n", "\n")).is_some());
        if let Some(node) = parse_fast(&crlf) {
            crlf_fast += 1;
            assert_eq!(parse_general(&crlf), Ok(node), "{} with CRLF", path.display());
        }
    }
    assert_eq!(crlf_fast, lf_fast, "the fast path takes a file with CRLF exactly when it takes it with LF");
    assert!(crlf_fast > 150, "only {crlf_fast} fixtures with CRLF took the fast path");
}

/// Scalars as written, chosen to sit on the edges of YAML's typing: mostly ones
/// the fast path reads, some it must leave to serde-saphyr.
fn scalar() -> impl Strategy<Value = String> {
    let read = prop::sample::select(vec![
        "a",
        "user 1",
        "x-y",
        "über",
        "a:b",
        "a#b",
        "_x",
        "-x",
        "-1",
        "0",
        "-0",
        "1",
        "42",
        "2.10",
        "-2.5",
        "0.5",
        "2.49.0",
        "1.0.0",
        "true",
        "True",
        "TRUE",
        "tRue",
        "false",
        "FALSE",
        "yes",
        "on",
        "off",
        "y",
        "n",
        "null",
        "Null",
        "NULL",
        "~",
        "\"\"",
        "''",
        "\"a b\"",
        "'it''s'",
        "\"x: y\"",
        "'#'",
        "\"é\"",
        "'a'' '",
        "123456789012345678",
        "3.14159265358979323846",
        "a  b",
        "a b ",
        "x #c",
        "Infinity",
        "\u{a0}x",
        "a]",
        "a,b",
    ])
    .prop_map(str::to_string);
    let left = prop::sample::select(vec![
        "+1",
        "00",
        "007",
        "1e3",
        ".5",
        "1.",
        "inf",
        "-inf",
        ".inf",
        "nan",
        "NaN",
        "0x1F",
        "0o7",
        "1_000",
        "12:30",
        "2020-01-01",
        "\"a\\nb\"",
        "9223372036854775807",
        "18446744073709551616",
        "*x",
        "&x y",
        "!t y",
        "|",
        ">-",
        "? q",
        "@x",
        "`x",
        "%x",
        "[",
        "]",
        "{",
        "}",
        ",",
        "-",
        "- x",
        "a: b",
        "\u{85}",
        "\u{feff}x",
        "\u{2028}",
    ])
    .prop_map(str::to_string);
    let random = "[a-z0-9 ._:#'\"-]{1,8}".prop_map(|s| s);
    prop_oneof![30 => read, 2 => left, 1 => random]
}

#[derive(Debug, Clone)]
enum Doc {
    Scalar(String),
    Map(Vec<(String, Doc)>),
    Seq(Vec<Doc>),
    FlowSeq(Vec<String>),
    FlowMap(Vec<(String, String)>),
    Empty,
}

fn doc() -> impl Strategy<Value = Doc> {
    let leaf = prop_oneof![
        4 => scalar().prop_map(Doc::Scalar),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(Doc::FlowSeq),
        1 => prop::collection::vec((scalar(), scalar()), 0..3).prop_map(Doc::FlowMap),
        1 => Just(Doc::Empty),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec((scalar(), inner.clone()), 1..5).prop_map(Doc::Map),
            prop::collection::vec(inner, 1..5).prop_map(Doc::Seq),
        ]
    })
}

/// How a document is laid out.
#[derive(Debug, Clone)]
struct Style {
    indent: usize,
    indentless: bool,
    comments: Vec<bool>,
    flow_spaces: bool,
    start_marker: bool,
    /// `- key: value` rather than the mapping on the lines below the dash.
    compact: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (
        prop::sample::select(vec![1usize, 2, 4]),
        any::<bool>(),
        prop::collection::vec(any::<bool>(), 16),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(indent, indentless, comments, flow_spaces, start_marker, compact)| Style {
            indent,
            indentless,
            comments,
            flow_spaces,
            start_marker,
            compact,
        })
}

struct Out<'s> {
    text: String,
    style: &'s Style,
    lines: usize,
}

impl Out<'_> {
    fn end_line(&mut self) {
        let c = &self.style.comments;
        if c[self.lines % c.len()] && c[(self.lines * 7 + 3) % c.len()] {
            self.text.push_str("  # note");
        }
        self.text.push('\n');
        if c[(self.lines * 5 + 1) % c.len()] && c[(self.lines * 3 + 2) % c.len()] {
            self.text.push_str("\n# own line\n");
        }
        self.lines += 1;
    }

    fn flow(&self, doc: &Doc) -> String {
        let sep = if self.style.flow_spaces { ", " } else { "," };
        match doc {
            Doc::FlowSeq(items) => format!("[{}]", items.join(sep)),
            Doc::FlowMap(entries) => {
                format!("{{{}}}", entries.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(sep))
            }
            _ => unreachable!(),
        }
    }

    /// Writes `doc` as the value after a key or dash (already written) at `indent`.
    fn value(&mut self, doc: &Doc, indent: usize, after_key: bool) {
        match doc {
            Doc::Scalar(s) => {
                self.text.push(' ');
                self.text.push_str(s);
                self.end_line();
            }
            Doc::Empty => self.end_line(),
            Doc::FlowSeq(_) | Doc::FlowMap(_) => {
                let f = self.flow(doc);
                self.text.push(' ');
                self.text.push_str(&f);
                self.end_line();
            }
            Doc::Map(_) => {
                self.end_line();
                self.block(doc, indent + self.style.indent);
            }
            Doc::Seq(_) => {
                self.end_line();
                let deeper = if after_key && self.style.indentless { indent } else { indent + self.style.indent };
                self.block(doc, deeper);
            }
        }
    }

    fn block(&mut self, doc: &Doc, indent: usize) {
        let pad = " ".repeat(indent);
        match doc {
            Doc::Map(entries) => {
                for (k, v) in entries {
                    self.text.push_str(&pad);
                    self.text.push_str(k);
                    self.text.push(':');
                    self.value(v, indent, true);
                }
            }
            Doc::Seq(items) => {
                for item in items {
                    self.text.push_str(&pad);
                    self.text.push('-');
                    match item {
                        Doc::Map(entries) if self.style.compact => {
                            // `- key: value`, the other keys below the first.
                            for (i, (k, v)) in entries.iter().enumerate() {
                                self.text.push_str(if i == 0 { " " } else { "" });
                                if i > 0 {
                                    self.text.push_str(&" ".repeat(indent + 2));
                                }
                                self.text.push_str(k);
                                self.text.push(':');
                                self.value(v, indent + 2, true);
                            }
                        }
                        _ => self.value(item, indent, false),
                    }
                }
            }
            other => {
                self.text.push_str(&pad);
                self.value(other, indent, false);
            }
        }
    }
}

fn render(doc: &Doc, style: &Style) -> String {
    let mut out = Out { text: String::new(), style, lines: 0 };
    if style.start_marker {
        out.text.push_str("---\n");
    }
    out.block(doc, 0);
    out.text
}

/// A few characters inserted, deleted or replaced.
fn mutate(text: &str, edits: &[(usize, u8, usize)]) -> String {
    const CHARS: &[&str] = &[
        " ", "  ", "\n", ":", "-", "- ", "#", "'", "\"", "[", "]", "{", "}", ",", "\t", "\r", "&", "*", "!", "|", ">",
        "?", "x", "1", ".", "\\", "---\n", "...", "\u{85}", "é",
    ];
    let mut s: Vec<char> = text.chars().collect();
    for &(at, what, kind) in edits {
        if s.is_empty() {
            break;
        }
        let at = at % (s.len() + 1);
        let c: Vec<char> = CHARS[what as usize % CHARS.len()].chars().collect();
        match kind % 3 {
            0 => {
                s.splice(at..at, c);
            }
            1 if at < s.len() => {
                s.remove(at);
            }
            _ if at < s.len() => {
                s.splice(at..=at, c);
            }
            _ => {}
        }
    }
    s.into_iter().collect()
}

/// Both parsers give one tree; reached when the fast path took the text (else
/// there is nothing to compare).
fn check(text: &str) -> Result<bool, TestCaseError> {
    let Some(node) = parse_fast(text) else { return Ok(false) };
    prop_assert_eq!(parse_general(text), Ok(node), "text: {:?}", text);
    Ok(true)
}

/// The text with its line breaks as `\r\n` when `crlf`.
fn line_ends(text: String, crlf: bool) -> String {
    if crlf { text.replace('\n', "\r\n") } else { text }
}

#[test]
fn generated_documents_parse_alike() {
    property(3000, 0.25, (doc(), style(), any::<bool>()), |(d, s, crlf)| check(&line_ends(render(&d, &s), crlf)));
}

#[test]
fn mutated_documents_parse_alike() {
    let edits = prop::collection::vec((any::<usize>(), any::<u8>(), any::<usize>()), 1..4);
    property(
        3000,
        0.1,
        (doc(), style(), edits, any::<bool>()),
        |(d, s, e, crlf): (_, _, Vec<(usize, u8, usize)>, bool)| check(&mutate(&line_ends(render(&d, &s), crlf), &e)),
    );
}

#[test]
fn what_the_fast_path_leaves_to_serde_saphyr() {
    for text in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |\n  x\n",
        "a: >-\n  x\n",
        "a: x\n  y\n",
        "a: \"x\ny\"\n",
        "a: \"\\t\"\n",
        "a:\tb\n",
        "a: b\rc: d\n",
        "a: \"x\r\ny\"\r\n",
        "\u{feff}a: b\n",
        "a: b\n---\nc: d\n",
        "a: b\n...\n",
        "%YAML 1.2\n---\na: b\n",
        "? a\n: b\n",
        "a: [b,\n  c]\n",
        "a: [b: c]\n",
        "a: [b, ]\n",
        "a: 007\n",
        "a: 0x1F\n",
        "a: .inf\n",
        "a: inf\n",
        "a: 1e3\n",
        "a: b: c\n",
        "- - a\n",
        "[a, b]\n",
        "a\n",
        "a: 1\n b: 2\n",
    ] {
        assert_eq!(parse_fast(text), None, "{text:?}");
        // And the general parser still reads them (or reports them).
        let _ = parse_general(text);
    }
    // A key whose text is short but whose colon is far (spaces before it count
    // towards YAML's limit on implicit keys; found by the parity fuzz target), in
    // a block mapping, quoted, and in a flow mapping.
    let far = " ".repeat(1_100);
    for text in [format!("key{far}: 1\n"), format!("\"key\"{far}: 1\n"), format!("a: {{key{far}: 1}}\n")] {
        assert_eq!(parse_fast(&text), None, "a colon {} bytes after its key's start", far.len() + 3);
        assert!(parse_general(&text).is_err() || text.starts_with("a:"), "serde-saphyr refuses the block key");
    }
    let deep = format!("a:{}\n", (1..40).map(|d| format!("\n{}b:", " ".repeat(d))).collect::<String>());
    assert_eq!(parse_fast(&deep), None, "deep nesting is left to serde-saphyr's limits");
}
