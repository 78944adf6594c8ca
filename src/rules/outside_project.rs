//! F005: a definition file, or a folder on its path, is a symbolic link that
//! resolves outside the project root.
use crate::diagnostic::{Diagnostic, Place};
use crate::source::FileId;

declare_rule! {
    /// ### What it does
    /// Reports a definition file (or a folder on its path, such as `groups/`) that is
    /// a symbolic link resolving outside the project root. caseshare does not read
    /// it, and shows nothing of what it points at: not a line, not its size.
    ///
    /// ### Why is this bad
    /// caseshare runs in CI on pull requests from strangers, and CI logs are often
    /// public. A link such as `groups/x.yaml -> /proc/self/environ` would otherwise
    /// print a runner's secrets in a diagnostic. A project is the files under its
    /// root; links between its own files keep working.
    ///
    /// ### Example
    /// ```yaml
    /// # groups/shared.yaml is a link to ../../other-project/groups/villages.yaml
    /// ```
    ///
    /// ### Use instead
    /// Copy the definitions into the project, or link to a file inside it:
    /// ```yaml
    /// # groups/shared.yaml is a regular file (or a link to ../common/groups.yaml
    /// # inside the same project)
    /// format_version: 2
    /// groups: []
    /// ```
    pub static RULE = "F005", "outside-project", Error, Read, summary = "a definition file (or a folder on its path) is a symbolic link that resolves outside the project root";
}

/// F005 for `rel`, a link out of the project: a file, or a folder (nothing in it
/// is listed or read).
pub fn diagnostic(file: FileId, rel: &str, folder: bool) -> Diagnostic {
    let message = if folder {
        format!("`{rel}` is a symbolic link to a folder outside the project; nothing in it was read")
    } else {
        format!("`{rel}` is a symbolic link to a file outside the project; it was not read")
    };
    Diagnostic::new(&RULE, Place::new(file, 0..0), message)
        .label("not read")
        .help("copy the definitions into the project, or link to a file inside it")
}
