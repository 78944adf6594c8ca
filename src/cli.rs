//! The command line's shape (clap): commands, arguments and their help. The
//! library knows nothing of clap; `main` maps these to library calls.

use std::path::PathBuf;

use caseshare::rename::NameKind;
use caseshare::report::Format;
use caseshare::rules::REGISTRY;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "caseshare", version, about = "Validate CommCare project definitions kept as YAML in git")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Validate the project containing each PATH (default: the current folder).
    Check(CheckArgs),
    /// Print a rule's documentation.
    Explain {
        /// A rule code, e.g. G002.
        code: String,
    },
    /// List every rule.
    Rules,
    /// Create a new project: an example that checks clean, JSON Schemas with editor
    /// modelines, a VS Code mapping, caseshare.toml and a pre-commit configuration.
    Init {
        /// The folder of the new project (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Write the JSON Schemas of the definition files (for editors), or check a copy.
    Schema {
        /// Where to write them.
        #[arg(long, default_value = "schemas", conflicts_with = "check")]
        out: PathBuf,
        /// Fail (exit 1) when the schemas in DIR differ from this caseshare's.
        #[arg(long, value_name = "DIR")]
        check: Option<PathBuf>,
    },
    /// Rewrite format 1 (legacy) files to format 2: shows a unified diff; `--write`
    /// applies it to every file or none; `--check` exits with 1 when anything would change.
    Migrate {
        /// A folder or file inside the project (default: the current folder).
        path: Option<PathBuf>,
        #[command(flatten)]
        mode: Mode,
    },
    /// Turn case sharing on for apps, the wiki's way: raise them to CommCare 2.0,
    /// turn app and project case sharing on, and put every active user of those apps
    /// who has no case owner into group NAME. Shows a diff; `--write` applies it.
    EnableSharing {
        /// The id of an app (repeat for several).
        #[arg(long = "app", value_name = "ID", required = true, num_args = 1..)]
        apps: Vec<String>,
        /// The case sharing group for users without a case owner (created if missing).
        #[arg(long, value_name = "NAME")]
        group: Option<String>,
        /// A folder inside the project (default: the current folder).
        #[arg(long, default_value = ".")]
        project: PathBuf,
        #[command(flatten)]
        mode: Mode,
    },
    /// Rename a user, group, case type, role or location code in every file that
    /// defines or refers to it, changing only those names: shows a unified diff;
    /// `--write` applies it to every file or none; `--check` exits with 1 when
    /// anything would change.
    Rename {
        /// What the name is.
        kind: NameKindArg,
        /// The name now.
        old: String,
        /// The new name; no name of the kind may have it yet.
        new: String,
        /// A folder or file inside the project (default: the current folder).
        path: Option<PathBuf>,
        #[command(flatten)]
        mode: Mode,
    },
    /// Import definitions from CommCare HQ.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export definitions for CommCare HQ.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Finish (or with --rollback, undo) a write that was interrupted: a killed
    /// `migrate`, `enable-sharing`, `rename`, `check --fix`, import, export,
    /// `init` or `schema --out`.
    Recover {
        /// A folder inside the project (default: the current folder).
        path: Option<PathBuf>,
        /// Undo the write instead of finishing it.
        #[arg(long)]
        rollback: bool,
    },
    /// The language server, over stdio: the project's diagnostics as you type,
    /// go to definition, references, completion, hover, quick fixes and rename.
    Lsp,
    /// Show what a change does to case sharing: diagnostics introduced and resolved,
    /// case owners, apps and access gained and lost per user, groups, apps and shared
    /// case types. Compares the project at `--base` (default HEAD) with `--head`
    /// (default: the working tree), or two folders. Exits with 1 only when the change
    /// introduces an error.
    Diff(DiffArgs),
    /// Print shell completions.
    Completions {
        /// The shell: bash, elvish, fish, powershell or zsh.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
#[allow(clippy::enum_variant_names)] // the variants are the subcommands' names: hq-app, hq-users, hq-locations
pub enum ImportCommand {
    /// HQ app source exports (JSON) to `apps/<slug>.yaml`: shows each new file, or a
    /// diff against the existing one; `--write` writes them.
    HqApp {
        /// App source exports (`/a/<domain>/apps/source/<app_id>/`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The project to import into.
        #[arg(long, default_value = ".")]
        project: PathBuf,
        /// Write the files.
        #[arg(long)]
        write: bool,
    },
    /// An HQ bulk user upload workbook (sheets `users` and `groups`) to
    /// `users/hq-users.yaml` and `groups/hq-groups.yaml`: shows them, or a diff;
    /// `--write` writes them. As in HQ, each row replaces that user's groups (in
    /// other groups files too), and a group a row names must exist.
    HqUsers {
        file: PathBuf,
        /// The project to import into.
        #[arg(long, default_value = ".")]
        project: PathBuf,
        /// Write the files.
        #[arg(long)]
        write: bool,
    },
    /// An HQ bulk location upload workbook (sheet `types` and a sheet per type) to
    /// `locations/hq-locations.yaml` and project.yaml's `location_types`: shows
    /// them as a diff; `--write` writes them.
    HqLocations {
        file: PathBuf,
        /// The project to import into (its project.yaml must exist).
        #[arg(long, default_value = ".")]
        project: PathBuf,
        /// Write the files.
        #[arg(long)]
        write: bool,
    },
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// The project's users and groups as an HQ bulk user upload workbook; it says
    /// what to fill in before uploading (passwords of users without an `id`).
    HqUsers {
        /// A folder inside the project (default: the current one).
        path: Option<PathBuf>,
        /// The workbook to write (.xlsx).
        #[arg(long)]
        out: PathBuf,
    },
    /// The project's location types and locations as an HQ bulk location upload workbook.
    HqLocations {
        /// A folder inside the project (default: the current one).
        path: Option<PathBuf>,
        /// The workbook to write (.xlsx).
        #[arg(long)]
        out: PathBuf,
    },
}

/// The kinds of names `caseshare rename` renames.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NameKindArg {
    /// A username (`username`, groups' `members`).
    User,
    /// A group name.
    Group,
    /// A case type, in every app and in `shared_case_types`.
    CaseType,
    /// A role (a key of project.yaml `roles`, users' `role`).
    Role,
    /// A location code (`code`, `parent`, users' `locations`).
    Location,
}

impl From<NameKindArg> for NameKind {
    fn from(k: NameKindArg) -> NameKind {
        match k {
            NameKindArg::User => NameKind::User,
            NameKindArg::Group => NameKind::Group,
            NameKindArg::CaseType => NameKind::CaseType,
            NameKindArg::Role => NameKind::Role,
            NameKindArg::Location => NameKind::Location,
        }
    }
}

/// Show a diff (default), write, or check.
#[derive(clap::Args)]
pub struct Mode {
    /// Write the changes: every file or none.
    #[arg(long, conflicts_with = "check")]
    pub write: bool,
    /// Write nothing; exit with 1 when anything would change (for CI).
    #[arg(long)]
    pub check: bool,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Files or folders inside the project; the whole project is always checked.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Exit with 1 when there are warnings, not only errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Show how many diagnostics each rule raised instead of the diagnostics.
    #[arg(long)]
    pub statistics: bool,
    /// Print the diagnostics only, without the summary line.
    #[arg(short, long)]
    pub quiet: bool,
    /// Apply the fixes of fixable diagnostics, then report what remains.
    #[arg(long, conflicts_with = "diff", long_help = fix_help())]
    pub fix: bool,
    /// Show the fixes as a unified diff, without writing; exit with 1 when there are any.
    #[arg(long)]
    pub diff: bool,
}

/// The output formats of `caseshare check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// miette's graphical report: source lines with labels.
    Human,
    /// `path:line:col: severity[CODE] message`, one line each.
    Concise,
    /// A versioned JSON document (docs/json-format.md).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

impl From<OutputFormat> for Format {
    fn from(f: OutputFormat) -> Format {
        match f {
            OutputFormat::Human => Format::Human,
            OutputFormat::Concise => Format::Concise,
            OutputFormat::Json => Format::Json,
            OutputFormat::Sarif => Format::Sarif,
            OutputFormat::Github => Format::Github,
        }
    }
}

/// `--fix`'s long help, naming the fixable rules from the registry.
fn fix_help() -> String {
    let codes: Vec<&str> = REGISTRY.iter().filter(|r| r.fixable).map(|r| r.code).collect();
    format!("Apply the fixes of fixable diagnostics ({}), then report what remains.", codes.join(", "))
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// A folder inside the project (default: the current one); or two folders,
    /// OLD_DIR NEW_DIR, to compare instead of git revisions.
    #[arg(value_name = "PATH", num_args = 0..=2)]
    pub paths: Vec<PathBuf>,
    /// The revision to compare from; in CI, the merge base:
    /// `--base $(git merge-base origin/main HEAD)`.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The revision to compare to (default: the working tree, uncommitted and
    /// untracked definition files included).
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
}

/// The output formats of `caseshare diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// For a terminal, like `terraform plan`.
    Human,
    /// For a pull request comment or `$GITHUB_STEP_SUMMARY` (at most 60,000 characters).
    Markdown,
    /// A versioned JSON document (docs/diff-format.md).
    Json,
}
