//! What every rule of the catalogue is, as data: code, name, default severity,
//! the stage of the pipeline that finds it, and its documentation. A leaf module:
//! it needs nothing else of the crate, so diagnostics, configuration and every
//! stage can name rules without depending on the rules that run on the index.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// The stage of the pipeline that finds a rule's problems, in pipeline order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// A left-over journal of an interrupted write: the tree is half-written.
    Journal,
    /// Reading a file: links, encoding, size.
    Read,
    /// Parsing a file's YAML.
    Parse,
    /// The file's place and `format_version`.
    Format,
    /// The file against its JSON Schema, with YAML's typing traps.
    Schema,
    /// The cross-file rules, on the index.
    Project,
    /// Suppressions.
    Suppress,
}

/// A rule of the catalogue.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub stage: Stage,
    /// One line for `caseshare rules` (what the rule reports).
    pub summary: &'static str,
    /// Whether `--fix` can repair it.
    pub fixable: bool,
    /// The documentation that `caseshare explain` prints (markdown).
    pub doc: &'static str,
}

impl Rule {
    /// A file with this problem is not loaded: nothing of it takes part in the
    /// other rules.
    pub fn stops_loading(&self) -> bool {
        matches!(self.stage, Stage::Read | Stage::Parse | Stage::Format)
    }

    /// Found in one file on its own (the Y, F and S rules), not across files.
    pub fn per_file(&self) -> bool {
        self.stage <= Stage::Schema
    }

    /// An `allow` comment can silence it. Not a left-over journal or a link out of
    /// the project (there is no line of the project to put it on), nor X001 itself.
    pub fn suppressible(&self) -> bool {
        !matches!(self.stage, Stage::Journal | Stage::Suppress) && self.code != "F005"
    }

    /// A file with this problem cannot be rewritten: `migrate`, `enable-sharing`
    /// and the other writers refuse it (fixable problems and warnings do not count).
    pub fn blocks_rewrite(&self) -> bool {
        self.per_file() && self.stage != Stage::Journal && self.severity == Severity::Error && !self.fixable
    }
}
