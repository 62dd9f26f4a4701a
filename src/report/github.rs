//! The GitHub Actions report: one workflow command per finding
//! (`::error file=…,line=…,col=…,title=…::…`), which the runner turns into an annotation
//! on the file and the pull request, then one plain summary line for the log.
//!
//! It is for a workflow step's output only; code scanning reads SARIF instead. The
//! escaping follows GitHub's "Workflow commands for GitHub Actions": `%`, CR and LF in
//! the message; also `:` and `,` in property values.

use std::io;

use super::human::{files_subject, plain_text, summary_line};
use super::{Sources, Summary};
use crate::rules::{Finding, Severity};

pub fn render_github(findings: &[Finding], sources: &dyn Sources, summary: Summary) -> String {
    let mut out = Vec::new();
    // Writing into a `Vec` cannot fail.
    let _ = write_github(&mut out, findings, sources, summary);
    String::from_utf8(out).unwrap_or_default()
}

/// `render_github`, written to `out` a command at a time.
pub fn write_github(
    out: &mut dyn io::Write,
    findings: &[Finding],
    sources: &dyn Sources,
    summary: Summary,
) -> io::Result<()> {
    for finding in findings {
        writeln!(out, "{}", command(finding, sources))?;
    }
    // `neonlint db` reads no files: its summary names none.
    let subject = if summary.files == 0 { String::new() } else { files_subject(summary) };
    // Not a command (it does not start with `::`), so the runner prints it as it is.
    out.write_all(summary_line(summary, &subject).as_bytes())
}

/// `::error file=PATH,line=L,col=C,title=NL001 rls-disabled::MESSAGE`, without `file`,
/// `line` and `col` for a finding that has no statement. The message holds the help and
/// the fix, so the annotation says what to do.
fn command(finding: &Finding, sources: &dyn Sources) -> String {
    let name = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut properties = Vec::new();
    if let Some(span) = finding.location
        && let Some(path) = sources.path(span.file)
    {
        properties.push(format!("file={}", escape_property(path)));
        properties.push(format!("line={}", span.line));
        properties.push(format!("col={}", span.column));
    }
    let title = format!("{} {}", finding.rule.code, finding.rule.name);
    properties.push(format!("title={}", escape_property(&title)));
    format!("::{name} {}::{}", properties.join(","), escape_data(&plain_text(finding)))
}

/// Escapes a command's message, so that a line break does not end the command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value: as the message, and `:` and `,`, which would end the value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_and_line_breaks_only() {
        assert_eq!(escape_data("100% done\r\nnext: a, b"), "100%25 done%0D%0Anext: a, b");
        // `%` first: an escape that is already in the text is not read as one.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn properties_also_escape_colons_and_commas() {
        assert_eq!(escape_property("C:\\a,b%\n.sql"), "C%3A\\a%2Cb%25%0A.sql");
        assert_eq!(escape_property("NL001 rls-disabled"), "NL001 rls-disabled");
    }
}
