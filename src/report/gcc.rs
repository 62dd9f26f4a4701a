//! The gcc-style report: one line per finding, `file:line:col: severity: message [NL001]`,
//! which editors (Vim's quickfix, Emacs' compilation mode, VS Code problem matchers) and
//! `grep` read without a plugin.
//!
//! It carries no help, no fix and no summary line: every line is a finding, so a tool
//! that reads the lines never mistakes a summary for one. The exit code says whether
//! anything was found; the other formats say what to do.

use std::io;

use super::human::printable;
use super::{Sources, Summary};
use crate::rules::{Finding, Severity};

pub fn render_gcc(findings: &[Finding], sources: &dyn Sources, summary: Summary) -> String {
    let mut out = Vec::new();
    // Writing into a `Vec` cannot fail.
    let _ = write_gcc(&mut out, findings, sources, summary);
    String::from_utf8(out).unwrap_or_default()
}

/// `render_gcc`, written to `out` a line at a time.
pub fn write_gcc(
    out: &mut dyn io::Write,
    findings: &[Finding],
    sources: &dyn Sources,
    summary: Summary,
) -> io::Result<()> {
    // No summary line: see the module comment.
    let _ = summary;
    for finding in findings {
        writeln!(out, "{}", line(finding, sources))?;
    }
    Ok(())
}

/// `path:line:col: severity: message [code]`, or `neonlint: severity: message [code]` for a
/// finding without a statement (a schema's default privileges, any `neonlint db` finding).
fn line(finding: &Finding, sources: &dyn Sources) -> String {
    let severity = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let place = match finding.location.and_then(|span| Some((sources.path(span.file)?, span))) {
        Some((path, span)) => format!("{}:{}:{}", one_line(path), span.line, span.column),
        None => "neonlint".to_string(),
    };
    format!("{place}: {severity}: {} [{}]", one_line(&finding.message), finding.rule.code)
}

/// The text on one line: line breaks become spaces, other control characters are escaped.
fn one_line(text: &str) -> String {
    printable(&text.replace("\r\n", " ").replace(['\r', '\n'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_stay_on_one_line() {
        assert_eq!(one_line("a\nb\r\nc\rd"), "a b c d");
        assert_eq!(one_line("tab\there \u{1b}[31m"), "tab\\u{9}here \\u{1b}[31m");
    }
}
