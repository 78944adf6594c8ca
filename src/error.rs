//! Why caseshare could not do its job (exit code 2), and files it could not read.

use std::path::PathBuf;

use crate::source::FileKind;

/// Why caseshare could not do its job (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no project.yaml in `{0}` or any folder above it")]
    NoProject(PathBuf),
    #[error("cannot read `{path}`: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("`{}` exists already; caseshare init writes only new files", .0.display())]
    Exists(PathBuf),
    #[error("{}:{line}: {message}", path.display())]
    Config { path: PathBuf, line: usize, message: String },
}

/// A file that could not be read; the rest of the project is still checked.
#[derive(Debug, Clone)]
pub struct IoProblem {
    pub path: String,
    pub message: String,
    /// What the file would have defined (`None` for a folder).
    pub kind: Option<FileKind>,
    /// The file's path in the project (`None` for a folder).
    pub rel: Option<String>,
}
