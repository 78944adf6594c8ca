//! The `caseshare` command line: parses arguments, calls the library, maps the
//! outcome to an exit code (0 clean, 1 problems found, 2 could not do the job).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use caseshare::diagnostic::Severity;
use caseshare::report::{self, Format, Style};
use caseshare::{fix, migrate, rules};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "caseshare", version, about = "Validate CommCare project definitions kept as YAML in git")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// Import definitions from CommCare HQ.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export definitions for CommCare HQ.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Print shell completions.
    Completions {
        /// The shell: bash, elvish, fish, powershell or zsh.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
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
    /// `--write` writes them.
    HqUsers {
        file: PathBuf,
        /// The project to import into.
        #[arg(long, default_value = ".")]
        project: PathBuf,
        /// Write the files.
        #[arg(long)]
        write: bool,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// The project's users and groups as an HQ bulk user upload workbook.
    HqUsers {
        /// A folder inside the project (default: the current one).
        path: Option<PathBuf>,
        /// The workbook to write (.xlsx).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Show a diff (default), write, or check.
#[derive(clap::Args)]
struct Mode {
    /// Write the changes: every file or none.
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// Write nothing; exit with 1 when anything would change (for CI).
    #[arg(long)]
    check: bool,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or folders inside the project; the whole project is always checked.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit with 1 when there are warnings, not only errors.
    #[arg(long)]
    deny_warnings: bool,
    /// Show how many diagnostics each rule raised instead of the diagnostics.
    #[arg(long)]
    statistics: bool,
    /// Print the diagnostics only, without the summary line.
    #[arg(short, long)]
    quiet: bool,
    /// Apply the fixes of fixable diagnostics (Y004, Y005, G006), then report what remains.
    #[arg(long, conflicts_with = "diff")]
    fix: bool,
    /// Show the fixes as a unified diff, without writing; exit with 1 when there are any.
    #[arg(long)]
    diff: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Schema { out: dir, check: Some(check) } => {
            let _ = dir;
            let stale = caseshare::schema::check(&check);
            if stale.is_empty() {
                ExitCode::SUCCESS
            } else {
                err(&format!(
                    "error: schemas differ from this caseshare's in `{}`: {}",
                    check.display(),
                    stale.join(", ")
                ));
                err("help: run `caseshare schema --out DIR` to write them");
                ExitCode::from(1)
            }
        }
        Command::Schema { out: dir, check: None } => match caseshare::schema::write(&dir) {
            Ok(()) => {
                err(&format!("wrote {} schemas to `{}`", caseshare::schema::schemas().len(), dir.display()));
                ExitCode::SUCCESS
            }
            Err(e) => {
                err(&format!("error: cannot write `{}`: {e}", dir.display()));
                ExitCode::from(2)
            }
        },
        Command::Init { dir } => match caseshare::init::init(&dir) {
            Ok(files) => {
                err(&format!(
                    "created a project in `{}` ({} files); try `caseshare check {}`",
                    dir.display(),
                    files.len(),
                    dir.display()
                ));
                ExitCode::SUCCESS
            }
            Err(e) => {
                err(&format!("error: {e}"));
                ExitCode::from(2)
            }
        },
        Command::Migrate { path, mode } => {
            let path = path.unwrap_or_else(|| PathBuf::from("."));
            rewrite(&path, &mode, "migrate", |inputs| Ok((caseshare::migrate::migrate(inputs)?, Vec::new())))
        }
        Command::EnableSharing { apps, group, project, mode } => rewrite(&project, &mode, "enable-sharing", |inputs| {
            caseshare::migrate::enable_sharing::enable_sharing(inputs, &apps, group.as_deref())
                .map(|p| (p.changes, p.notes))
        }),
        Command::Import(ImportCommand::HqApp { files, project, write }) => import_hq_apps(&files, &project, write),
        Command::Import(ImportCommand::HqUsers { file, project, write }) => import_hq_users(&file, &project, write),
        Command::Export(ExportCommand::HqUsers { path, out }) => export_hq_users(path.as_deref(), &out),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "caseshare", &mut out);
            out_bytes(&out);
            ExitCode::SUCCESS
        }
        Command::Explain { code } => match rules::by_code(&code) {
            Some(rule) => {
                let severity = rule.severity.as_str();
                let fix = if rule.fixable { ", fixable" } else { "" };
                let text = format!(
                    "# {} ({})\n\nDefault severity: {severity}{fix}\n\n{}",
                    rule.code,
                    rule.name,
                    unindent(rule.doc)
                );
                out(&text);
                ExitCode::SUCCESS
            }
            None => {
                err(&format!("error: unknown rule code `{code}`; `caseshare rules` lists them"));
                ExitCode::from(2)
            }
        },
        Command::Rules => {
            let table: String = rules::REGISTRY
                .iter()
                .map(|r| format!("{:<5} {:<34} {:<8} {}\n", r.code, r.name, r.severity.as_str(), r.summary))
                .collect();
            out(&table);
            ExitCode::SUCCESS
        }
    }
}

/// Writes to stdout; a closed pipe (`caseshare rules | head`) is not an error.
fn out(text: &str) {
    out_bytes(text.as_bytes());
}

fn out_bytes(bytes: &[u8]) {
    let _ = std::io::stdout().lock().write_all(bytes);
}

fn err(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Doc comments carry one leading space per line.
fn unindent(doc: &str) -> String {
    doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n") + "\n"
}

fn check(args: &CheckArgs) -> ExitCode {
    let mut results = match caseshare::check_paths(&args.paths) {
        Ok(r) => r,
        Err(e) => {
            err(&format!("error: {e}"));
            return ExitCode::from(2);
        }
    };
    if args.fix || args.diff {
        let planned: Vec<_> = results.iter().flat_map(fix::plan).collect();
        if args.diff {
            out(&fix::diff(&planned));
            return if planned.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) };
        }
        if let Err(e) = fix::write(&planned) {
            err(&format!("error: cannot write the fixes: {e}"));
            return ExitCode::from(2);
        }
        if !planned.is_empty() {
            let n: usize = planned.iter().map(|p| p.fixes).sum();
            err(&format!("fixed {n} problem{} in {} file{}", plural(n), planned.len(), plural(planned.len())));
            results = match caseshare::check_paths(&args.paths) {
                Ok(r) => r,
                Err(e) => {
                    err(&format!("error: {e}"));
                    return ExitCode::from(2);
                }
            };
        }
    }
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let style = Style { color, ..Style::default() };
    if args.statistics {
        out(&report::statistics(&results));
    } else {
        out(&report::render_all(&results, args.format, style));
    }
    let mut io_failed = false;
    for p in results.iter().flat_map(|r| &r.io_problems) {
        err(&format!("error: cannot read `{}`: {}", p.path, p.message));
        io_failed = true;
    }
    if !args.quiet && !args.format.is_document() {
        out(&format!("{}\n", report::summary(&results)));
    }
    let count = |s: Severity| results.iter().map(|r| r.count(s)).sum::<usize>();
    if io_failed {
        ExitCode::from(2)
    } else if count(Severity::Error) > 0 || (args.deny_warnings && count(Severity::Warning) > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Plans a rewrite of the project containing `path`, then shows, checks or writes it.
fn rewrite(
    path: &std::path::Path,
    mode: &Mode,
    what: &str,
    plan: impl FnOnce(&[migrate::Input]) -> Result<(Vec<migrate::Change>, Vec<String>), migrate::Refusal>,
) -> ExitCode {
    let planned = std::env::current_dir()
        .map_err(|source| caseshare::Error::Io { path: ".".into(), source })
        .and_then(|cwd| Ok((caseshare::discover::find_root(path)?, cwd)))
        .and_then(|(root, cwd)| migrate::read_project(&root, &cwd));
    let inputs = match planned {
        Ok(inputs) => inputs,
        Err(e) => {
            err(&format!("error: {e}"));
            return ExitCode::from(2);
        }
    };
    let changes = match plan(&inputs) {
        Ok((changes, notes)) => {
            for note in notes {
                err(&format!("warning: {note}"));
            }
            changes
        }
        Err(migrate::Refusal::Problems(result)) => {
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let _ = std::io::stderr()
                .lock()
                .write_all(report::render(&result, Format::Human, Style { color, ..Style::default() }).as_bytes());
            let n = result.diagnostics.len();
            err(&format!("error: {what} stopped: {n} problem{} to fix first; nothing was written", plural(n)));
            return ExitCode::from(1);
        }
        Err(migrate::Refusal::Usage(message)) => {
            err(&format!("error: {message}; nothing was written"));
            return ExitCode::from(2);
        }
        Err(migrate::Refusal::Internal(message)) => {
            err(&format!("error: {message}; nothing was written"));
            return ExitCode::from(2);
        }
    };
    let n = changes.len();
    if changes.is_empty() {
        err(&format!("{what}: nothing to change"));
        return ExitCode::SUCCESS;
    }
    if mode.check {
        for c in &changes {
            out(&format!("would {} {}\n", if c.before.is_some() { "rewrite" } else { "create" }, c.display));
        }
        err(&format!("{what}: {n} file{} would change; run again with --write instead of --check to apply", plural(n)));
        return ExitCode::from(1);
    }
    if !mode.write {
        out(&migrate::diff(&changes));
        err(&format!("{what}: {n} file{} would change; run again with --write to apply", plural(n)));
        return ExitCode::SUCCESS;
    }
    match migrate::apply(&changes) {
        Ok(()) => {
            err(&format!("{what}: wrote {n} file{}", plural(n)));
            ExitCode::SUCCESS
        }
        Err(e) => {
            err(&format!("error: {e}"));
            ExitCode::from(2)
        }
    }
}

fn import_hq_apps(files: &[PathBuf], project: &std::path::Path, write: bool) -> ExitCode {
    let mut planned = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                err(&format!("error: cannot read `{}`: {e}", file.display()));
                return ExitCode::from(2);
            }
        };
        let source = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        match caseshare::hq::app::import(&text, &source) {
            Ok(imported) => {
                for w in &imported.warnings {
                    err(&format!("warning: {}: {w}", file.display()));
                }
                let target = project.join("apps").join(format!("{}.yaml", imported.slug));
                let before = std::fs::read_to_string(&target).unwrap_or_default();
                planned.push(fix::Planned {
                    display: target.display().to_string(),
                    path: target,
                    before,
                    after: imported.yaml,
                    fixes: 1,
                });
            }
            Err(e) => {
                err(&format!("error: `{}`: {e}", file.display()));
                return ExitCode::from(2);
            }
        }
    }
    show_or_write(&planned, write)
}

/// Shows planned files as a diff against what is there, or writes them.
fn show_or_write(planned: &[fix::Planned], write: bool) -> ExitCode {
    if !write {
        out(&fix::diff(planned));
        return ExitCode::SUCCESS;
    }
    for p in planned {
        if let Some(dir) = p.path.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            err(&format!("error: cannot create `{}`: {e}", dir.display()));
            return ExitCode::from(2);
        }
        if let Err(e) = std::fs::write(&p.path, &p.after) {
            err(&format!("error: cannot write `{}`: {e}", p.path.display()));
            return ExitCode::from(2);
        }
        err(&format!("wrote `{}`", p.display));
    }
    ExitCode::SUCCESS
}

fn planned(target: PathBuf, after: String) -> fix::Planned {
    let before = std::fs::read_to_string(&target).unwrap_or_default();
    fix::Planned { display: target.display().to_string(), path: target, before, after, fixes: 1 }
}

fn import_hq_users(file: &std::path::Path, project: &std::path::Path, write: bool) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            err(&format!("error: cannot read `{}`: {e}", file.display()));
            return ExitCode::from(2);
        }
    };
    let sheets = match caseshare::hq::users::read_xlsx(&bytes) {
        Ok(s) => s,
        Err(e) => {
            err(&format!("error: `{}`: {e}", file.display()));
            return ExitCode::from(2);
        }
    };
    for column in &sheets.left_out {
        err(&format!("note: column {column} has no place in the definitions and is left out"));
    }
    let source = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    let (users, groups) = caseshare::hq::users::to_yaml(&sheets, &source);
    let plan = [
        planned(project.join("users").join("hq-users.yaml"), users),
        planned(project.join("groups").join("hq-groups.yaml"), groups),
    ];
    show_or_write(&plan, write)
}

fn export_hq_users(path: Option<&std::path::Path>, out_file: &std::path::Path) -> ExitCode {
    let start = path.map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf);
    let root = match caseshare::discover::find_root(&start) {
        Ok(r) => r,
        Err(e) => {
            err(&format!("error: {e}"));
            return ExitCode::from(2);
        }
    };
    let result = match caseshare::check_root(&root, &root) {
        Ok(r) => r,
        Err(e) => {
            err(&format!("error: {e}"));
            return ExitCode::from(2);
        }
    };
    if result.project.kind_failed(caseshare::source::FileKind::Users)
        || result.project.kind_failed(caseshare::source::FileKind::Groups)
    {
        err("error: some users or groups files do not load; run `caseshare check` and fix them first");
        return ExitCode::from(2);
    }
    let sheets = caseshare::hq::users::from_project(&result.project);
    let bytes = match caseshare::hq::users::write_xlsx(&sheets) {
        Ok(b) => b,
        Err(e) => {
            err(&format!("error: {e}"));
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::write(out_file, bytes) {
        err(&format!("error: cannot write `{}`: {e}", out_file.display()));
        return ExitCode::from(2);
    }
    err(&format!("wrote {} users and {} groups to `{}`", sheets.users.len(), sheets.groups.len(), out_file.display()));
    ExitCode::SUCCESS
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// mimalloc: loading allocates many small values on two threads, where glibc's
/// allocator took half the time of a check (README, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
