//! `caseshare.toml` at the project root: rule levels and excluded files.
//!
//! ```toml
//! [rules]
//! G003 = "off"          # "error" | "warning" | "info" | "off"
//! [files]
//! exclude = ["apps/drafts/**"]
//! ```
//! An unknown key, code or level, or a bad glob, is a usage error naming the line.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::Error;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules;

pub const FILE: &str = "caseshare.toml";

/// The tool configuration of one project.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// Rule code → its level; `None` turns the rule off.
    pub levels: HashMap<&'static str, Option<Severity>>,
    pub exclude: Option<GlobSet>,
    /// The patterns `exclude` was built from, as written.
    pub exclude_patterns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    files: Files,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Files {
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

impl Config {
    /// Reads `caseshare.toml` from `root`; no file is the default configuration.
    pub fn load(root: &Path) -> Result<Config, Error> {
        let path = root.join(FILE);
        // Read as the project's files are: not through a link out of the
        // project (its text would be shown in the errors), not a FIFO.
        match crate::read::within(root, &path) {
            Ok(Some(bytes)) => match String::from_utf8(bytes) {
                Ok(text) => Config::parse(&text, &path),
                Err(_) => Err(Error::Io { path, source: std::io::Error::other("not UTF-8") }),
            },
            Ok(None) => Ok(Config::default()),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    /// Parses the text of a `caseshare.toml` found at `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let fail = |span: Option<Range<usize>>, message: String| Error::Config {
            path: path.to_path_buf(),
            line: span.map_or(1, |s| line_of(text, s.start)),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| fail(e.span(), e.message().trim().to_string()))?;
        let mut config = Config::default();
        for (code, level) in &raw.rules {
            let Some(rule) = rules::by_code(code.get_ref()) else {
                return Err(fail(Some(code.span()), format!("unknown rule code `{}`", code.get_ref())));
            };
            let level = match level.get_ref().as_str() {
                "error" => Some(Severity::Error),
                "warning" => Some(Severity::Warning),
                "info" => Some(Severity::Info),
                "off" => None,
                other => {
                    return Err(fail(
                        Some(level.span()),
                        format!(
                            "unknown level `{other}` for {}; use \"error\", \"warning\", \"info\" or \"off\"",
                            rule.code
                        ),
                    ));
                }
            };
            config.levels.insert(rule.code, level);
        }
        if !raw.files.exclude.is_empty() {
            let mut set = GlobSetBuilder::new();
            for pattern in &raw.files.exclude {
                let glob = GlobBuilder::new(pattern.get_ref()).literal_separator(true).build().map_err(|e| {
                    fail(Some(pattern.span()), format!("bad glob `{}`: {}", pattern.get_ref(), e.kind()))
                })?;
                set.add(glob);
                config.exclude_patterns.push(pattern.get_ref().clone());
            }
            config.exclude = Some(set.build().map_err(|e| fail(None, e.to_string()))?);
        }
        Ok(config)
    }

    /// Whether a path relative to the root is excluded.
    pub fn excluded(&self, rel: &str) -> bool {
        self.exclude.as_ref().is_some_and(|set| set.is_match(rel))
    }

    /// Applies rule levels: drops rules turned off, changes severities.
    pub fn apply(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        if self.levels.is_empty() {
            return diagnostics;
        }
        diagnostics
            .into_iter()
            .filter_map(|mut d| {
                d.severity = self.severity(&d)?;
                Some(d)
            })
            .collect()
    }

    /// The severity a diagnostic has at these rule levels (`None`: its rule
    /// is turned off), as [`Config::apply`] gives it.
    pub fn severity(&self, d: &Diagnostic) -> Option<Severity> {
        match self.levels.get(d.code()) {
            None => Some(d.severity),
            Some(level) => *level,
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match Config::parse(text, Path::new("caseshare.toml")) {
            Err(e) => e.to_string(),
            Ok(_) => "ok".into(),
        }
    }

    #[test]
    fn levels_and_excludes() {
        let c = Config::parse(
            "[rules]\nG003 = \"off\"\nc002 = \"error\"\n[files]\nexclude = [\"apps/drafts/**\"]\n",
            Path::new("x"),
        )
        .expect("valid");
        assert_eq!(c.levels["G003"], None);
        assert_eq!(c.levels["C002"], Some(Severity::Error));
        assert!(c.excluded("apps/drafts/old.yaml"));
        assert!(!c.excluded("apps/chw.yaml"));
    }

    #[test]
    fn mistakes_name_their_line() {
        assert_eq!(err("[rules]\nG003 = \"off\"\nG999 = \"off\"\n"), "caseshare.toml:3: unknown rule code `G999`");
        assert!(err("[rules]\nG003 = \"loud\"\n").starts_with("caseshare.toml:2: unknown level `loud`"));
        assert!(
            err("[rulez]\nG003 = \"off\"\n").starts_with("caseshare.toml:1: unknown field `rulez`"),
            "{}",
            err("[rulez]\n")
        );
        assert!(err("[files]\nexclude = [\"a\"]\nexclud = []\n").starts_with("caseshare.toml:3:"));
        assert!(err("[files]\nexclude = [\"a[\"]\n").starts_with("caseshare.toml:2: bad glob"));
    }
}
