//! F006: a write was interrupted and left its journal.
use crate::diagnostic::{Diagnostic, Place};
use crate::source::FileId;

declare_rule! {
    /// ### What it does
    /// Reports a project whose last write (`migrate --write`, `enable-sharing
    /// --write`, `rename --write`, `check --fix`, an import or export, `init`,
    /// `schema --out`) was interrupted: the process
    /// was killed or the machine lost power, and its journal `.caseshare/journal`
    /// is left at the project root. `check` reports only this, since the tree may
    /// hold some files as they were before the write and some as after.
    ///
    /// ### Why is this bad
    /// A half-written migration can lose memberships: users whose `groups:` were
    /// removed while their groups did not get the `members` yet. Checked as it is,
    /// the tree would give misleading diagnostics.
    ///
    /// ### Example
    /// ```yaml
    /// # .caseshare/journal is left at the project root
    /// ```
    ///
    /// ### Use instead
    /// Run `caseshare recover` (it finishes the write; `--rollback` undoes it), or
    /// any command that writes, which recovers first:
    /// ```yaml
    /// # no .caseshare/journal: the write finished or was undone
    /// ```
    pub static RULE = "F006", "interrupted-write", Error, Journal, summary = "a write by caseshare (`migrate`, `rename`, `--fix`, an import, …) was interrupted and left its journal";
}

/// F006 at the journal (the file `file`).
pub fn diagnostic(file: FileId) -> Diagnostic {
    Diagnostic::new(&RULE, Place::new(file, 0..0), "a write to this project was interrupted and left its journal")
        .label("the journal of the interrupted write")
        .help("run `caseshare recover` to finish it (or `caseshare recover --rollback` to undo it), then check again")
}
