//! Renders findings: `human` (miette diagnostics with source snippets and the fix below
//! the help), `json` (the stable version-1 contract of DESIGN.md), `sarif` (2.1.0, for
//! GitHub code scanning), `github` (workflow commands) and `gcc` (`file:line:col:` lines).
//!
//! Reports go to the writer they are given (stdout); nothing here decides exit codes.

mod gcc;
mod github;
mod human;
mod json;
mod sarif;

use crate::model::FileId;
use crate::rules::{Finding, Severity};

pub use gcc::{render_gcc, write_gcc};
pub use github::{render_github, write_github};
pub use human::{ColorChoice, files_subject, render_human, write_human};
pub use json::{render_json, write_json};
pub use sarif::render_sarif;

/// Counts for the summary line and the JSON `summary`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub files: usize,
    pub statements: usize,
}

impl Summary {
    pub fn new(findings: &[Finding], files: usize, statements: usize) -> Summary {
        let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
        Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            files,
            statements,
        }
    }
}

/// What a report needs to show a location: the file's path and text.
pub trait Sources {
    fn path(&self, file: FileId) -> Option<&str>;
    fn text(&self, file: FileId) -> Option<std::sync::Arc<str>>;
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 { format!("1 {word}") } else { format!("{count} {word}s") }
}
