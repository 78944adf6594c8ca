//! The `caseshare` command line: parses arguments, calls the library, maps the
//! outcome to an exit code (0 clean, 1 problems found, 2 could not do the job).

mod allocator;
mod cli;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use caseshare::diagnostic::Severity;
use caseshare::migrate::{self, Refusal};
use caseshare::read::{self, Sources};
use caseshare::report::{self, Format, Style};
use caseshare::write::{self, Change};
use caseshare::{discover, fix, hq, rules};
use clap::Parser;
use cli::{Cli, Command, ExportCommand, ImportCommand, Mode};

fn main() -> ExitCode {
    allocator::init();
    let cli = Cli::parse();
    caseshare::memory::set_after_load(allocator::collect_every_thread);
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Schema { check: Some(dir), .. } => {
            let stale = caseshare::schema::check(&dir);
            if stale.is_empty() {
                return ExitCode::SUCCESS;
            }
            err(&format!("error: schemas differ from this caseshare's in `{}`: {}", dir.display(), stale.join(", ")));
            err("help: run `caseshare schema --out DIR` to write them");
            ExitCode::from(1)
        }
        Command::Schema { out: dir, check: None } => {
            // Written inside the project or repository around the folder,
            // whose journal is finished first if a write there was interrupted.
            let root = discover::write_root(&dir);
            if root.is_dir()
                && let Err(e) = recover_first(&root)
            {
                return fail(&e);
            }
            let changes = match caseshare::schema::changes(&root, &dir) {
                Ok(c) => c,
                Err(e) => return fail(&format!("cannot write `{}`: {e}", dir.display())),
            };
            match write::commit(&root, &changes) {
                Ok(()) => {
                    err(&format!("wrote {} schemas to `{}`", caseshare::schema::schemas().len(), dir.display()));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e.to_string()),
            }
        }
        Command::Init { dir } => {
            let root = discover::write_root(&dir);
            if root.is_dir()
                && let Err(e) = recover_first(&root)
            {
                return fail(&e);
            }
            let written = caseshare::init::init(&dir)
                .map_err(|e| e.to_string())
                .and_then(|changes| write::commit(&root, &changes).map(|()| changes.len()).map_err(|e| e.to_string()));
            match written {
                Ok(n) => {
                    let shown = dir.display();
                    err(&format!("created a project in `{shown}` ({n} files); try `caseshare check {shown}`"));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        Command::Migrate { path, mode } => {
            let path = path.unwrap_or_else(|| PathBuf::from("."));
            rewrite(&path, &mode, "migrate", |sources| Ok((migrate::migrate(sources)?, Vec::new())))
        }
        Command::EnableSharing { apps, group, project, mode } => {
            rewrite(&project, &mode, "enable-sharing", |sources| {
                migrate::enable_sharing::enable_sharing(sources, &apps, group.as_deref()).map(|p| (p.changes, p.notes))
            })
        }
        Command::Rename { kind, old, new, path, mode } => {
            let path = path.unwrap_or_else(|| PathBuf::from("."));
            rename(&path, &mode, kind.into(), &old, &new)
        }
        Command::Import(ImportCommand::HqApp { files, project, write }) => {
            import(&project, write, |p| hq::import_apps(&files, p))
        }
        Command::Import(ImportCommand::HqUsers { file, project, write }) => {
            import(&project, write, |p| hq::import_users(&file, p))
        }
        Command::Import(ImportCommand::HqLocations { file, project, write }) => {
            import(&project, write, |p| hq::import_locations(&file, p))
        }
        Command::Export(ExportCommand::HqUsers { path, out }) => export_hq_users(path.as_deref(), &out),
        Command::Export(ExportCommand::HqLocations { path, out }) => export_hq_locations(path.as_deref(), &out),
        Command::Recover { path, rollback } => recover(path.as_deref(), rollback),
        Command::Lsp => match caseshare::lsp::run_stdio(allocator::purge_at_once) {
            Ok(code) => ExitCode::from(code),
            Err(e) => fail(&format!("the language server stopped: {e}")),
        },
        Command::Diff(args) => diff(&args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "caseshare", &mut out);
            out_bytes(&out);
            ExitCode::SUCCESS
        }
        Command::Explain { code } => match rules::by_code(&code) {
            Some(rule) => {
                let fixable = if rule.fixable { ", fixable" } else { "" };
                out(&format!(
                    "# {} ({})\n\nDefault severity: {}{fixable}\n\n{}",
                    rule.code,
                    rule.name,
                    rule.severity.as_str(),
                    unindent(rule.doc)
                ));
                ExitCode::SUCCESS
            }
            None => fail(&format!("unknown rule code `{code}`; `caseshare rules` lists them")),
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

/// Writes a line (or lines) on standard error; what a message quotes (a
/// name, a workbook's cell) is shown as `check` shows names
/// ([`report::printable`]).
fn err(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", report::printable_lines(text));
}

/// Reports why caseshare could not do its job: exit code 2.
fn fail(message: &str) -> ExitCode {
    err(&format!("error: {message}"));
    ExitCode::from(2)
}

/// Doc comments carry one leading space per line.
fn unindent(doc: &str) -> String {
    doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n") + "\n"
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn color(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Before a command writes into the project at `root`: finishes (or undoes) a
/// write that was interrupted there, and says so.
fn recover_first(root: &Path) -> Result<(), String> {
    match write::recover(root, false) {
        Ok(Some(done)) => {
            err(&format!("note: {done}"));
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn check(args: &cli::CheckArgs) -> ExitCode {
    if args.fix {
        // `--fix` writes: an interrupted write is finished first, as every writer does.
        let defaults = [PathBuf::from(".")];
        let paths = if args.paths.is_empty() { &defaults[..] } else { &args.paths[..] };
        for path in paths {
            if let Err(e) = discover::find_root(path).map_err(|e| e.to_string()).and_then(|root| recover_first(&root)) {
                return fail(&e);
            }
        }
    }
    let mut results = match caseshare::check_paths(&args.paths) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    if args.fix || args.diff {
        let (changes, fixed): (Vec<Vec<Change>>, Vec<usize>) = results.iter().map(fix::plan).unzip();
        if args.diff {
            let changes: Vec<Change> = changes.into_iter().flatten().collect();
            out(&write::diff(&changes));
            return if changes.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) };
        }
        for (result, changes) in results.iter().zip(&changes) {
            if let Err(e) = write::commit(&result.project.root, changes) {
                return fail(&format!("cannot write the fixes: {e}"));
            }
        }
        let files: usize = changes.iter().map(Vec::len).sum();
        if files > 0 {
            let n: usize = fixed.iter().sum();
            err(&format!("fixed {n} problem{} in {files} file{}", plural(n), plural(files)));
            results = match caseshare::check_paths(&args.paths) {
                Ok(r) => r,
                Err(e) => return fail(&e.to_string()),
            };
        }
    }
    let format = Format::from(args.format);
    let style = Style { color: color(&std::io::stdout()), ..Style::default() };
    if args.statistics {
        out(&report::statistics(&results));
    } else {
        out(&report::render_all(&results, format, style));
    }
    let mut io_failed = false;
    for p in results.iter().flat_map(|r| &r.io_problems) {
        err(&format!("error: cannot read `{}`: {}", p.path, p.message));
        io_failed = true;
    }
    if !args.quiet && !format.is_document() {
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

/// The project containing `path`, read whole: a file that cannot be read stops a
/// rewrite (it might hold memberships).
/// The project containing `path`, for a command that rewrites it: its root
/// (an interrupted write there finished first when the command writes; a run
/// that writes nothing stops at it), the working directory and its
/// `caseshare.toml`.
fn for_rewrite(path: &Path, mode: &Mode) -> Result<(PathBuf, PathBuf, caseshare::config::Config), String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read `.`: {e}"))?;
    let root = discover::find_root(path).map_err(|e| e.to_string())?;
    if mode.write {
        recover_first(&root)?;
    } else if write::journal::pending(&root) {
        let journal = discover::relative_to(&write::journal::path(&root), &cwd);
        return Err(format!(
            "a write was interrupted here (`{journal}`): run `caseshare recover` first, or run again with --write, which finishes it first; nothing was written"
        ));
    }
    let config = caseshare::config::Config::load(&root).map_err(|e| e.to_string())?;
    Ok((root, cwd, config))
}

fn read_for_rewrite(path: &Path, mode: &Mode) -> Result<Sources, String> {
    let (root, cwd, config) = for_rewrite(path, mode)?;
    let sources = read::read_project(&root, &cwd, &config);
    match sources.io.first() {
        Some(p) => Err(format!("cannot read `{}`: {}", p.path, p.message)),
        None => Ok(sources),
    }
}

type Planned = Result<(Vec<Change>, Vec<String>), Refusal>;

/// Plans a rewrite of the project containing `path`, then shows, checks or writes it.
fn rewrite(path: &Path, mode: &Mode, what: &str, plan: impl FnOnce(&Sources) -> Planned) -> ExitCode {
    let sources = match read_for_rewrite(path, mode) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let planned = plan(&sources);
    let root = sources.root.unwrap_or_default();
    apply(&root, mode, what, planned)
}

/// `rename`: the project is read as `check` reads it, file by file
/// ([`caseshare::rename::rename_on_disk`]), not held whole.
fn rename(path: &Path, mode: &Mode, kind: caseshare::rename::NameKind, old: &str, new: &str) -> ExitCode {
    let (root, cwd, config) = match for_rewrite(path, mode) {
        Ok(found) => found,
        Err(e) => return fail(&e),
    };
    let planned = caseshare::rename::rename_on_disk(&root, &cwd, &config, kind, old, new)
        .map(|renamed| (renamed.changes, renamed.notes))
        .map_err(Refusal::from);
    apply(&root, mode, "rename", planned)
}

/// Tells what stopped a planned rewrite, or shows, checks or writes it.
fn apply(root: &Path, mode: &Mode, what: &str, planned: Planned) -> ExitCode {
    let changes = match planned {
        Ok((changes, notes)) => {
            for note in notes {
                err(&format!("warning: {note}"));
            }
            changes
        }
        Err(Refusal::Problems(result)) => {
            let style = Style { color: color(&std::io::stderr()), ..Style::default() };
            let _ = std::io::stderr().lock().write_all(report::render(&result, Format::Human, style).as_bytes());
            let n = result.diagnostics.len();
            err(&format!("error: {what} stopped: {n} problem{} to fix first; nothing was written", plural(n)));
            return ExitCode::from(1);
        }
        Err(Refusal::Usage(message) | Refusal::Internal(message)) => {
            return fail(&format!("{message}; nothing was written"));
        }
    };
    show_check_or_write(root, &changes, mode, what)
}

/// Shows the changes as a diff, lists them (`--check`, exit 1 when any), or
/// writes them (`--write`).
fn show_check_or_write(root: &Path, changes: &[Change], mode: &Mode, what: &str) -> ExitCode {
    let n = changes.len();
    if changes.is_empty() {
        err(&format!("{what}: nothing to change"));
        return ExitCode::SUCCESS;
    }
    if mode.check {
        for c in changes {
            out(&format!("would {} {}\n", if c.before.is_some() { "rewrite" } else { "create" }, c.display));
        }
        err(&format!("{what}: {n} file{} would change; run again with --write instead of --check to apply", plural(n)));
        return ExitCode::from(1);
    }
    if !mode.write {
        out(&write::diff(changes));
        err(&format!("{what}: {n} file{} would change; run again with --write to apply", plural(n)));
        return ExitCode::SUCCESS;
    }
    match write::commit(root, changes) {
        Ok(()) => {
            err(&format!("{what}: wrote {n} file{}", plural(n)));
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

/// `import …`: shows the planned files as a diff, or writes them.
fn import(project: &Path, write: bool, plan: impl FnOnce(&Path) -> Result<hq::Import, hq::HqError>) -> ExitCode {
    // The journal lives at the project root; a folder that is not in a project yet is its own root.
    let root = discover::find_root(project).unwrap_or_else(|_| project.to_path_buf());
    if write && let Err(e) = recover_first(&root) {
        return fail(&e);
    }
    let planned = match plan(project) {
        Ok(p) => p,
        Err(e) => return fail(&e.to_string()),
    };
    for note in &planned.notes {
        err(note);
    }
    if !write {
        out(&write::diff(&planned.changes));
        return ExitCode::SUCCESS;
    }
    if let Err(e) = write::commit(&root, &planned.changes) {
        return fail(&e.to_string());
    }
    for c in &planned.changes {
        err(&format!("wrote `{}`", c.display));
    }
    ExitCode::SUCCESS
}

fn export_hq_users(path: Option<&Path>, out_file: &Path) -> ExitCode {
    let project = match loaded(path) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let export = match hq::export_users(&project) {
        Ok(x) => x,
        Err(e) => return fail(&e.to_string()),
    };
    if let Err(e) = write_workbook(out_file, export.bytes) {
        return fail(&e);
    }
    err(&format!("wrote {} users and {} groups to `{}`", export.users, export.groups, out_file.display()));
    for note in &export.notes {
        err(note);
    }
    ExitCode::SUCCESS
}

fn export_hq_locations(path: Option<&Path>, out_file: &Path) -> ExitCode {
    let project = match loaded(path) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let export = match hq::export_locations(&project) {
        Ok(x) => x,
        Err(e) => return fail(&e.to_string()),
    };
    for note in &export.notes {
        err(note);
    }
    if let Err(e) = write_workbook(out_file, export.bytes) {
        return fail(&e);
    }
    let (t, l) = (export.types, export.locations);
    err(&format!("wrote {t} location type{} and {l} location{} to `{}`", plural(t), plural(l), out_file.display()));
    ExitCode::SUCCESS
}

/// The project containing `path` (default: the current folder), loaded.
fn loaded(path: Option<&Path>) -> Result<caseshare::Project, String> {
    let start = path.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let result = discover::find_root(&start).and_then(|root| caseshare::check_root(&root, &root));
    result.map(|r| r.project).map_err(|e| e.to_string())
}

/// A write's journal in a folder below `dir` (a few levels down; not in
/// `.git`, `node_modules` or `target`).
fn journal_below(dir: &Path) -> Option<PathBuf> {
    let skipped = |e: &walkdir::DirEntry| {
        e.depth() > 0 && matches!(e.file_name().to_str(), Some(".git" | "node_modules" | "target"))
    };
    walkdir::WalkDir::new(dir)
        .max_depth(5)
        .into_iter()
        .filter_entry(|e| !skipped(e))
        .flatten()
        .find(|e| e.file_name() == "journal" && e.path().parent().is_some_and(|p| p.ends_with(".caseshare")))
        .map(|e| e.into_path())
}

/// Writes an exported workbook through the one writer.
fn write_workbook(out_file: &Path, bytes: Vec<u8>) -> Result<(), String> {
    // Only a workbook is written: `--out users/chws.yaml` would replace a
    // definition file with it.
    if !out_file.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) {
        return Err(format!(
            "`{}` is not an .xlsx file: an export writes an Excel workbook; name it `….xlsx`; nothing was written",
            out_file.display()
        ));
    }
    let dir = out_file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let root = discover::write_root(dir);
    if root.is_dir() {
        recover_first(&root)?;
    }
    let file = write::FileWrite { path: out_file.to_path_buf(), contents: bytes, create: false, read: None };
    write::commit_files(&root, &[file]).map_err(|e| e.to_string())
}

fn recover(path: Option<&Path>, rollback: bool) -> ExitCode {
    let start = path.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    // A folder that holds a journal itself (`schema --out`, `init` and an
    // export keep theirs in the folder they write), else the project's root.
    let journal_in = |d: &Path| std::fs::symlink_metadata(write::journal::path(d)).is_ok();
    let root = if journal_in(&start) {
        start.clone()
    } else {
        match discover::find_root(&start) {
            Ok(r) => r,
            // A git repository's, around a folder written outside any project.
            Err(e) => match discover::write_root(&start) {
                around if journal_in(&around) => around,
                // Outside any project and with no journal: nothing was being
                // written here, unless in a project below (a CI step run at the
                // top of a repository).
                _ if start.is_dir() => {
                    if let Some(journal) = journal_below(&start) {
                        let project = journal.parent().and_then(Path::parent).unwrap_or(&start);
                        let project = project.strip_prefix(".").unwrap_or(project);
                        return fail(&format!(
                            "`{}` is in no project, but a write was interrupted in `{}`: run `caseshare recover {}`",
                            start.display(),
                            project.display(),
                            project.display()
                        ));
                    }
                    err(&format!("recover: no interrupted write to finish (`{}` is in no project)", start.display()));
                    return ExitCode::SUCCESS;
                }
                _ => return fail(&e.to_string()),
            },
        }
    };
    match write::recover(&root, rollback) {
        Ok(Some(done)) => {
            err(&done.to_string());
            ExitCode::SUCCESS
        }
        Ok(None) => {
            err("recover: no interrupted write to finish");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

/// `caseshare diff`: exit 1 only when the change introduces an error.
fn diff(args: &cli::DiffArgs) -> ExitCode {
    use caseshare::diff::{self, Target};
    let target = match (&args.paths[..], &args.base, &args.head) {
        ([old, new], None, None) => Target::Folders { old: old.clone(), new: new.clone() },
        ([_, _], _, _) => return fail("--base and --head compare git revisions; with two folders, give neither"),
        (paths, base, head) => Target::Git {
            path: paths.first().cloned().unwrap_or_else(|| PathBuf::from(".")),
            base: base.clone().unwrap_or_else(|| "HEAD".into()),
            head: head.clone(),
        },
    };
    let cwd = match std::env::current_dir() {
        Ok(c) => c,
        Err(e) => return fail(&format!("cannot read `.`: {e}")),
    };
    let result = match diff::run(&target, &cwd) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    match args.format {
        cli::DiffFormat::Human => out(&diff::human::render(&result, color(&std::io::stdout()))),
        cli::DiffFormat::Markdown => out(&diff::markdown::render(&result)),
        cli::DiffFormat::Json => {
            // Streamed: a large change is one line per entry, never one tree in memory.
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            let _ = diff::json::write(&result, &mut w).and_then(|()| w.flush());
        }
    }
    let mut io_failed = false;
    for p in result.base.io_problems.iter().chain(&result.head.io_problems) {
        err(&format!("error: cannot read `{}`: {}", p.path, p.message));
        io_failed = true;
    }
    if io_failed {
        ExitCode::from(2)
    } else if result.introduces_error() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// mimalloc for small values: loading allocates many on two threads, where
/// glibc's allocator took half the time of a check; large blocks are mapped on
/// their own (`allocator`, README, Performance).
#[global_allocator]
static GLOBAL: allocator::Split = allocator::Split;
