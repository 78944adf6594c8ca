//! The `caseshare` command line: parses arguments, calls the library, maps the
//! outcome to an exit code (0 clean, 1 problems found, 2 could not do the job).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use caseshare::diagnostic::Severity;
use caseshare::report::{self, Format, Style};
use caseshare::rules;
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
    Check {
        /// Files or folders inside the project; the whole project is always checked.
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print a rule's documentation.
    Explain {
        /// A rule code, e.g. G002.
        code: String,
    },
    /// List every rule.
    Rules,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { paths, format } => check(&paths, format),
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
                eprintln!("error: unknown rule code `{code}`; `caseshare rules` lists them");
                ExitCode::from(2)
            }
        },
        Command::Rules => {
            for rule in rules::REGISTRY {
                println!("{:<5} {:<34} {:<8} {}", rule.code, rule.name, rule.severity.as_str(), rule.summary);
            }
            ExitCode::SUCCESS
        }
    }
}

/// Writes to stdout; a closed pipe (`caseshare rules | head`) is not an error.
fn out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Doc comments carry one leading space per line.
fn unindent(doc: &str) -> String {
    doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n") + "\n"
}

fn check(paths: &[PathBuf], format: Format) -> ExitCode {
    let results = match caseshare::check_paths(paths) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let style = Style { color, ..Style::default() };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let mut io_failed = false;
    for r in &results {
        let _ = stdout.write_all(report::render(r, format, style).as_bytes());
        for p in &r.io_problems {
            let _ = writeln!(stderr, "error: cannot read `{}`: {}", p.path, p.message);
            io_failed = true;
        }
    }
    let _ = writeln!(stdout, "{}", report::summary(&results));
    let errors = results.iter().any(|r| r.count(Severity::Error) > 0);
    if io_failed {
        ExitCode::from(2)
    } else if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
