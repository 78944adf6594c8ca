//! `caseshare diff --format markdown`: for a pull request comment or
//! `$GITHUB_STEP_SUMMARY`. A summary table first, then one section per kind of
//! change; a section's first rows are shown and the rest folded in `<details>`.
//! The whole never exceeds [`LIMIT`] characters (a comment holds 65,536): when
//! it would, each section keeps fewer rows and says how many were cut.
//!
//! Names come from the project, so they are shown as code spans (no markdown,
//! HTML or @mention in them takes effect) and `|` is escaped in tables.

use std::fmt::Write;

use super::compare::{AppChange, Change, Changes, UserChange};
use super::facts::Owner;
use super::{Diff, describe, plural, thousands, yes_no};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Name;
use crate::report::printable;
use crate::source::SourceFile;

/// The most characters the report may have.
pub const LIMIT: usize = 60_000;

/// Rows of a section shown before the rest is folded in `<details>`.
const VISIBLE: usize = 10;

/// The characters of a name shown: a longer one is cut (with `…`), so that one
/// absurd name does not crowd every other row out of the comment (the JSON
/// output has it whole).
const NAME_MAX: usize = 200;

/// Rows of a section made at most: more than this never fit in [`LIMIT`].
const ROWS: usize = 5_000;

/// The report, within [`LIMIT`] characters.
pub fn render(diff: &Diff) -> String {
    let sections = sections(diff);
    // Fewer rows per section until it fits.
    for limit in [ROWS, 2_000, 1_000, 500, 200, 100, 50, 20, 10, 5, 2, 0] {
        let text = render_with(diff, &sections, limit);
        if text.chars().count() <= LIMIT {
            return text;
        }
    }
    // Only names of absurd length get here: cut the text itself.
    let mut text: String = render_with(diff, &sections, 0).chars().take(LIMIT - 200).collect();
    text.push_str(
        "\n\n_The report was cut to fit a pull request comment; `caseshare diff --format json` has it all._\n",
    );
    text
}

/// A section: a title, what the summary table calls its rows, a table header
/// and its rows.
struct Section {
    title: &'static str,
    counted: &'static str,
    header: &'static str,
    /// The first [`ROWS`] rows.
    rows: Vec<String>,
    /// How many rows there are.
    total: usize,
}

impl Section {
    fn new<T>(
        title: &'static str,
        counted: &'static str,
        header: &'static str,
        items: &[T],
        row: impl Fn(&T) -> String,
    ) -> Section {
        Section { title, counted, header, rows: items.iter().take(ROWS).map(row).collect(), total: items.len() }
    }
}

/// The report with at most `limit` rows per section.
fn render_with(diff: &Diff, sections: &[Section], limit: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### caseshare diff\n");
    let _ = writeln!(out, "{} → {}{}\n", describe(&diff.base.origin), describe(&diff.head.origin), project(diff));
    let errors = diff.introduced().filter(|d| d.severity == Severity::Error).count();
    if errors > 0 {
        let _ = writeln!(out, "**This change introduces {}.**\n", plural(errors, "error", "errors"));
    } else {
        let _ = writeln!(out, "This change introduces no error.\n");
    }
    for (side, name) in [(&diff.base, "base"), (&diff.head, "head")] {
        if !side.loaded {
            let _ = writeln!(
                out,
                "> The project at the {name} cannot be read as a whole (see its diagnostics): only diagnostics are compared.\n"
            );
        }
        if !side.unread.is_empty() {
            let note = super::unread_note(name, &side.unread, code);
            let _ = writeln!(out, "> {}{}.\n", note[..1].to_uppercase(), &note[1..]);
        }
        if !side.io_problems.is_empty() {
            // Standard error says why; a comment is all a reviewer sees.
            let files: Vec<String> = side.io_problems.iter().take(5).map(|p| code(&p.path)).collect();
            let more = side.io_problems.len().saturating_sub(files.len());
            let more = if more > 0 { format!(", {more} more") } else { String::new() };
            let _ = writeln!(
                out,
                "> **The {name} could not read {} at all ({}{more}): `caseshare diff` failed (exit 2).**\n",
                super::count(side.io_problems.len(), "file"),
                files.join(", ")
            );
        }
    }
    // The summary table: every count, always complete.
    out.push_str("| | |\n|---|--:|\n");
    let warnings = diff.introduced.len() - errors;
    let _ = writeln!(out, "| errors introduced | {} |", thousands(errors));
    let _ = writeln!(out, "| warnings and infos introduced | {} |", thousands(warnings));
    let _ = writeln!(out, "| diagnostics resolved | {} |", thousands(diff.resolved.len()));
    for s in sections.iter().skip(2) {
        let _ = writeln!(out, "| {} | {} |", s.counted, thousands(s.total));
    }
    out.push('\n');
    let mut cut_total = 0;
    for s in sections {
        if s.total == 0 {
            continue;
        }
        let _ = writeln!(out, "#### {}\n", s.title);
        let shown = s.rows.len().min(limit);
        let visible = shown.min(VISIBLE);
        if visible > 0 {
            let _ = writeln!(out, "{}", s.header);
            for r in &s.rows[..visible] {
                let _ = writeln!(out, "{r}");
            }
            out.push('\n');
        }
        if shown > visible {
            let _ = writeln!(out, "<details><summary>{} more</summary>\n", thousands(shown - visible));
            let _ = writeln!(out, "{}", s.header);
            for r in &s.rows[visible..shown] {
                let _ = writeln!(out, "{r}");
            }
            out.push_str("\n</details>\n\n");
        }
        let cut = s.total - shown;
        if cut > 0 {
            cut_total += cut;
            let _ = writeln!(out, "_… and {} more not shown, to fit a pull request comment._\n", thousands(cut));
        }
    }
    if cut_total > 0 {
        let _ = writeln!(
            out,
            "_{} rows were cut to keep this under {} characters; `caseshare diff --format json` lists everything._",
            thousands(cut_total),
            thousands(LIMIT)
        );
    }
    out
}

fn project(diff: &Diff) -> String {
    match &diff.head.origin {
        super::Origin::Git { project, .. } | super::Origin::WorkTree { project } if project != "." => {
            format!(", project {}", code(project))
        }
        _ => String::new(),
    }
}

fn sections(diff: &Diff) -> Vec<Section> {
    const DIAGNOSTICS: &str = "| | where | rule | message |\n|---|---|---|---|";
    let introduced: Vec<&Diagnostic> = diff.introduced().collect();
    let resolved: Vec<&Diagnostic> = diff.resolved().collect();
    let none = Changes::default();
    let c = diff.changes.as_ref().unwrap_or(&none);
    let g = &c.groups;
    let mut groups: Vec<String> = Vec::new();
    for x in &g.added {
        let sharing = if x.case_sharing { "case sharing on" } else { "case sharing off" };
        groups.push(format!(
            "| {} | added: {sharing}, {} |",
            cell(&code(&x.name)),
            plural(x.members, "member", "members")
        ));
    }
    groups.extend(g.removed.iter().map(|x| format!("| {} | removed |", cell(&code(&x.name)))));
    groups.extend(g.sharing_on.iter().map(|n| format!("| {} | case sharing turned on |", cell(&code(n)))));
    groups.extend(g.sharing_off.iter().map(|n| format!("| {} | case sharing turned off |", cell(&code(n)))));
    let mut types: Vec<String> =
        c.sharing.iter().map(|s| format!("| {} | {} |", cell(&code(&s.case_type)), cell(&s.text(&code)))).collect();
    types.extend(c.renames.iter().map(|r| {
        format!("| {} | renamed to {} in {} |", cell(&code(&r.from)), cell(&code(&r.to)), cell(&names(&r.apps)))
    }));
    vec![
        Section::new("Diagnostics introduced", "diagnostics introduced", DIAGNOSTICS, &introduced, |d| {
            diagnostic_row(&diff.head.files, d)
        }),
        Section::new("Diagnostics resolved", "diagnostics resolved", DIAGNOSTICS, &resolved, |d| {
            diagnostic_row(&diff.base.files, d)
        }),
        Section::new(
            "Case access",
            "case owners whose users change",
            "| case owner | users who gain access to its cases | users who lose access |\n|---|---|---|",
            &c.access,
            |a| format!("| {} | {} | {} |", cell(&owner(&a.owner)), counted(&a.gained), counted(&a.lost)),
        ),
        Section::new(
            "Users",
            "users changed",
            "| user | | case owners | apps | can create cases with an automatic owner |\n|---|---|---|---|---|",
            &c.users,
            user_row,
        ),
        Section::new("Groups", "group changes", "| group | change |\n|---|---|", &groups, String::clone),
        Section::new("Apps", "app changes", "| app | change |\n|---|---|", &c.apps, app_row),
        Section::new("Case types", "case type changes", "| case type | change |\n|---|---|", &types, String::clone),
    ]
}

fn diagnostic_row(files: &[SourceFile], d: &Diagnostic) -> String {
    let file = &files[d.file];
    let (line, col) = file.line_col(d.span.start);
    let severity = match d.severity {
        Severity::Error => "**error**",
        Severity::Warning => "warning",
        Severity::Info => "info",
    };
    format!(
        "| {severity} | {} | `{}` | {} |",
        cell(&code(&format!("{}:{line}:{col}", file.display))),
        d.code(),
        cell(&message(&d.message))
    )
}

fn user_row(u: &UserChange) -> String {
    let change = match u.change {
        Change::Added => "new",
        Change::Removed => "removed",
        Change::Changed => "",
    };
    let mut owners: Vec<String> = u.owners_added.iter().map(|o| format!("+ {}", owner(o))).collect();
    owners.extend(u.owners_removed.iter().map(|o| format!("− {}", owner(o))));
    let mut apps = Vec::new();
    if !u.apps_added.is_empty() {
        apps.push(format!("+ {}", names(&u.apps_added)));
    }
    if !u.apps_removed.is_empty() {
        apps.push(format!("− {}", names(&u.apps_removed)));
    }
    if u.change == Change::Changed && u.role_before != u.role_after {
        apps.push(format!("role {} → {}", role(&u.role_before), role(&u.role_after)));
    }
    let mut create = if u.can_create_before == u.can_create_after {
        yes_no(u.can_create_after).to_string()
    } else {
        format!("**{} → {}**", yes_no(u.can_create_before), yes_no(u.can_create_after))
    };
    if u.change == Change::Changed && u.active_before != u.active_after {
        let _ = write!(create, "<br>{}", if u.active_after { "activated" } else { "deactivated" });
    }
    format!(
        "| {} | {change} | {} | {} | {} |",
        cell(&code(&u.username)),
        cell(&owners.join("<br>")),
        cell(&apps.join("<br>")),
        create
    )
}

fn app_row(a: &AppChange) -> String {
    let version = |v: &Option<crate::model::Version>| v.as_ref().map_or_else(|| "none".into(), |v| code(&v.text));
    let on = |b: bool| if b { "on" } else { "off" };
    let change = match a.change {
        Change::Added => {
            format!("added: case sharing {}, CommCare {}", on(a.case_sharing_after), version(&a.commcare_version_after))
        }
        Change::Removed => "removed".into(),
        Change::Changed => a.changes(version).join("; "),
    };
    format!("| {} | {} |", cell(&code(&a.id)), cell(&change))
}

/// `2: a, b` (with a few names), or nothing.
fn counted(list: &[Name]) -> String {
    if list.is_empty() {
        return String::new();
    }
    cell(&format!("{}: {}", thousands(list.len()), names(list)))
}

fn names(list: &[Name]) -> String {
    super::names(list, code)
}

fn role(r: &Option<Name>) -> String {
    super::role(r, code)
}

fn owner(o: &Owner) -> String {
    super::owner(o, code)
}

/// A name as a code span: nothing in it is markdown, HTML or a mention, and
/// what a reader could not see (a line break, a bidirectional override, a
/// zero-width space) is an escape, as on a terminal ([`printable`]). The fence
/// is longer than any run of backticks inside.
pub fn code(s: &str) -> String {
    let shown = printable(s);
    let long = shown.chars().nth(NAME_MAX).is_some();
    let mut s: String = shown.chars().take(NAME_MAX).collect();
    if long {
        s.push('…');
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.starts_with(' ') || s.ends_with(' ') || s.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A diagnostic's message: its names (in backticks) as code spans, the words
/// between them with HTML's special characters escaped.
fn message(m: &str) -> String {
    let mut out = String::with_capacity(m.len() + 8);
    for (i, piece) in m.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&code(piece));
        } else {
            for c in piece.chars() {
                match c {
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '&' => out.push_str("&amp;"),
                    '*' | '_' | '[' | ']' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    '\n' | '\r' | '\t' => out.push(' '),
                    c if crate::report::unseen(c) => out.push_str(&printable(&c.to_string())),
                    c => out.push(c),
                }
            }
        }
    }
    out
}

/// A table cell: `|` escaped (also inside code spans, as GitHub requires).
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_code_spans_that_hold_anything() {
        assert_eq!(code("Village A"), "`Village A`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("<img src=x>\n@team"), "`<img src=x>\\n@team`");
        // What would not be seen, or would turn the line around, is an escape.
        assert_eq!(code("da\u{200b}vid"), "`da\\u{200b}vid`");
        assert_eq!(code("Village\u{a0}A"), "`Village\\u{a0}A`");
        assert_eq!(code("evil\u{202e}txt.exe"), "`evil\\u{202e}txt.exe`");
        assert_eq!(cell(&code("a|b")), "`a\\|b`");
    }

    /// A name of absurd length is cut, so that it alone cannot push every
    /// other row out of the comment (one of 61,000 characters once did).
    #[test]
    fn a_long_name_is_cut() {
        let long = "G".repeat(61_000);
        assert_eq!(code(&long), format!("`{}…`", "G".repeat(NAME_MAX)));
        let just = "G".repeat(NAME_MAX);
        assert_eq!(code(&just), format!("`{just}`"));
        // Escapes count: a name of invisible characters is cut as well.
        let unseen = code(&"\u{200b}".repeat(NAME_MAX));
        assert_eq!(unseen.chars().count(), NAME_MAX + 3, "{unseen}");
        let row = message(&format!("group `{long}` and group `b`"));
        assert!(row.chars().count() < 2 * NAME_MAX, "{row}");
    }

    #[test]
    fn messages_escape_html_between_names() {
        assert_eq!(message("user `<b>` has <2> owners"), "user `<b>` has &lt;2&gt; owners");
    }
}
