//! What a diagnostic is about, independent of where it sits: its key for
//! matching the diagnostics of two revisions. A diagnostic keeps its key when its
//! definition moves, is reordered or reformatted, so that such a change
//! introduces and resolves nothing.
//!
//! A key is the rule's code, the severity, and the subject: the names in the
//! message that say what the problem is about (the user, group, app, case
//! type…), never a line or an offset. Rules found in one file on their own (the
//! Y, F and S rules, and X001) also key on the file's path relative to the
//! project root; [`super::compare`] lets a file that was renamed keep them.

use crate::diagnostic::{Diagnostic, Severity};
use crate::fold;
use crate::source::SourceFile;

/// The key of a diagnostic: equal keys are the same problem.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: &'static str,
    pub severity: Severity,
    /// The file, for the rules that look at one file on its own.
    pub file: Option<String>,
    pub subject: String,
}

/// How a rule's subject is read from its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The file is the whole subject: the message is fixed, names the file, or
    /// quotes the parser (which may name a line).
    File,
    /// The whole message: it names its subjects and nothing that moves.
    Message,
    /// The first `n` values in backticks: the rest of the message may change
    /// without the problem changing (a count of owners, the first app found).
    Names(usize),
    /// The first value in backticks, a username, as HQ folds it (`David` is
    /// `david`).
    User,
    /// The first value in backticks, a location's site code, as HQ folds it.
    Location,
    /// `…: a → b → c → a`: the same cycle, whichever member it starts from.
    Cycle,
    /// C002: two spellings, each in an app, in either order.
    Pair,
    /// The values in backticks at these places: C004 names the first form
    /// that opens the type, which reordering the forms changes.
    At(&'static [usize]),
    /// D001: the words before the first value, and the name in lowercase
    /// (which spelling the message names first, and which it is paired with,
    /// depend on the order of the files; the spellings fold alike).
    Folded,
}

/// The subject of every rule's diagnostics; `None` for a code not listed
/// here (a test keeps every rule of the registry listed).
pub fn subject_of(code: &str) -> Option<Subject> {
    use Subject::*;
    Some(match code {
        "Y001" | "Y003" | "F002" | "F003" | "F004" | "F005" | "F006" => File,
        "Y002" | "Y004" | "Y005" | "F001" | "S001" | "S002" | "S003" | "S004" | "X001" => Message,
        "A003" | "A005" | "C001" | "G004" | "G005" | "G006" | "G007" | "R001" => Message,
        // the case type and the app
        "C004" => At(&[1, 2]),
        "D001" => Folded,
        // app
        "A001" | "A002" => Names(1),
        // user (G001 also names the first sharing app the role reaches, G002 and
        // G003 the count of owners)
        "G001" | "G002" | "G003" => User,
        "L002" => Location,
        // the app and the case type (not which sharing app was found first)
        "C003" => Names(2),
        "A004" | "L001" => Cycle,
        "C002" => Pair,
        _ => return None,
    })
}

/// The key of a diagnostic of a project whose files are `files`.
pub fn key(files: &[SourceFile], d: &Diagnostic) -> Key {
    let rule = d.rule;
    let file = (rule.per_file() || rule.code == "X001").then(|| files[d.file].rel.clone());
    let subject = match subject_of(rule.code).unwrap_or(Subject::Message) {
        Subject::File => String::new(),
        // A message that names its own file (S003 on a file's top level) keeps
        // its key when the file is renamed.
        Subject::Message => match &file {
            Some(rel) => without_indexes(&d.message.replace(&format!("`{rel}`"), "`.`")),
            None => without_indexes(&d.message),
        },
        Subject::Names(n) => names(&d.message).take(n).collect::<Vec<_>>().join("\u{1f}"),
        Subject::User => names(&d.message).next().map(fold::username).unwrap_or_default().into_owned(),
        Subject::Location => names(&d.message).next().map(fold::site_code).unwrap_or_default().into_owned(),
        Subject::Cycle => cycle(&d.message),
        Subject::At(at) => {
            let n: Vec<&str> = names(&d.message).collect();
            at.iter().map(|&i| n.get(i).copied().unwrap_or_default()).collect::<Vec<_>>().join("\u{1f}")
        }
        Subject::Folded => {
            let what = d.message.split('`').next().unwrap_or_default();
            format!("{what}{}", names(&d.message).next().unwrap_or_default().to_lowercase())
        }
        Subject::Pair => {
            let n: Vec<&str> = names(&d.message).collect();
            let mut pair = [n.get(..2).unwrap_or(&[]).join("\u{1f}"), n.get(2..4).unwrap_or(&[]).join("\u{1f}")];
            pair.sort();
            pair.join("\u{1e}")
        }
    };
    Key { code: rule.code, severity: d.severity, file, subject }
}

/// The values in backticks, in order.
fn names(message: &str) -> impl Iterator<Item = &str> {
    message.split('`').skip(1).step_by(2)
}

/// A list item's position (`members[3]`) moves when entries are reordered: it is
/// not part of the subject.
fn without_indexes(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..=open]);
        if digits > 0 && after[digits..].starts_with(']') {
            rest = &after[digits..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `what form a cycle: b → c → a → b` as `what: a → b → c`, started at its least member.
fn cycle(message: &str) -> String {
    let Some((what, chain)) = message.split_once(": ") else { return message.to_string() };
    let mut members: Vec<&str> = chain.split(" → ").collect();
    if members.len() > 1 && members.first() == members.last() {
        members.pop();
    }
    let start = members.iter().enumerate().min_by_key(|(_, m)| **m).map_or(0, |(i, _)| i);
    members.rotate_left(start);
    format!("{what}: {}", members.join(" → "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::REGISTRY;

    #[test]
    fn every_rule_has_a_subject() {
        for r in REGISTRY {
            assert!(subject_of(r.code).is_some(), "{} has no subject in diff/subject.rs", r.code);
        }
    }

    #[test]
    fn cycles_start_at_their_least_member() {
        let a = cycle("case types form a cycle: visit → child → visit");
        let b = cycle("case types form a cycle: child → visit → child");
        assert_eq!(a, b);
        assert_eq!(a, "case types form a cycle: child → visit");
    }

    #[test]
    fn list_positions_are_not_subjects() {
        assert_eq!(without_indexes("`members[3]`: 3 is not a string"), "`members[]`: 3 is not a string");
        assert_eq!(without_indexes("a [b] [12x] [7]"), "a [b] [12x] []");
    }

    #[test]
    fn names_are_the_values_in_backticks() {
        let n: Vec<&str> = names("user `david` has 2 case owners and can use `chw`").collect();
        assert_eq!(n, ["david", "chw"]);
    }
}
