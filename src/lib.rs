//! caseshare validates CommCare project definitions kept as YAML in git.
//!
//! The pipeline flows one way:
//! [`discover`] (find the root, walk the tree) → [`read`] (each file's text) →
//! [`load`] (parse with spans, [`schema_check`], convert to the [`model`]) →
//! [`index::Index`] (built once: names, memberships, case owners) → [`rules`] →
//! [`config`] levels and [`suppress`] → [`report`]. [`check`] runs all of it;
//! the binary only parses arguments and prints.

pub mod check;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod discover;
pub mod edit;
pub mod error;
pub mod fix;
pub mod fold;
pub mod hash;
pub mod hq;
pub mod index;
pub mod init;
pub mod load;
pub mod lsp;
pub mod memory;
pub mod migrate;
pub mod model;
pub mod names;
pub mod near;
pub mod project;
pub mod read;
pub mod rename;
pub mod report;
pub mod rule;
pub mod rules;
pub mod schema;
pub mod schema_check;
pub mod source;
pub mod suppress;
pub mod write;
pub mod yaml;

pub use check::{CheckResult, check_bytes, check_memory, check_paths, check_root};
pub use error::{Error, IoProblem};
pub use project::Project;
