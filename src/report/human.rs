//! The human report: one miette diagnostic per finding, with the statement's first line
//! as the snippet and the fix SQL under the help, then a summary line.

use std::fmt::{self, Display};
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};

use super::{Sources, Summary, plural};
use crate::rules::{Applicability, Finding, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Always,
    Never,
}

/// Renders `findings`, then a summary line ending with `subject` (what was checked, such
/// as "in 4 files (20 statements)").
pub fn render_human(
    findings: &[Finding],
    sources: &dyn Sources,
    summary: Summary,
    color: ColorChoice,
    subject: &str,
) -> String {
    let theme = match color {
        ColorChoice::Always => GraphicalTheme::unicode(),
        ColorChoice::Never => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    for finding in findings {
        let diagnostic = FindingDiagnostic::new(finding, sources);
        if handler.render_report(&mut out, &diagnostic).is_err() {
            // Rendering into a String only fails on a formatter bug; say it plainly.
            out.push_str(&format!("{}: {}\n", finding.rule.code, finding.message));
        }
        // The fix goes below miette's help, unwrapped, so it can be copied as it is.
        if let Some(fix) = finding.fix.as_ref().filter(|fix| !fix.sql.is_empty()) {
            out.push_str(match fix.applicability {
                Applicability::Safe => "  fix:\n",
                Applicability::Review => "  fix (review before applying):\n",
            });
            for line in fix.sql.lines() {
                out.push_str(&format!("      {}\n", printable(line)));
            }
        }
        out.push('\n');
    }
    out.push_str(&summary_line(summary, subject));
    out
}

/// "in 4 files (20 statements)", for a check of migration files.
pub fn files_subject(summary: Summary) -> String {
    format!("in {} ({})", plural(summary.files, "file"), plural(summary.statements, "statement"))
}

/// "neonlint: 1 error, 2 warnings, 0 infos in …", ending with `subject` unless it is
/// empty; the last line of the human and GitHub reports.
pub(super) fn summary_line(summary: Summary, subject: &str) -> String {
    let counts = if summary.errors + summary.warnings + summary.infos == 0 {
        "no findings".to_string()
    } else {
        format!(
            "{}, {}, {}",
            plural(summary.errors, "error"),
            plural(summary.warnings, "warning"),
            plural(summary.infos, "info")
        )
    };
    if subject.is_empty() {
        format!("neonlint: {counts}\n")
    } else {
        format!("neonlint: {counts} {subject}\n")
    }
}

/// The finding as one block of plain text: the message, the help, and the fix SQL under
/// a heading that says whether it needs review. For formats that show a single text per
/// finding (SARIF's message, GitHub's annotation). Control characters are escaped, except
/// the line breaks between the fix's lines.
pub(super) fn plain_text(finding: &Finding) -> String {
    let mut text = format!("{}\n\nHelp: {}", printable(&finding.message), printable(&finding.help));
    if let Some(fix) = finding.fix.as_ref().filter(|fix| !fix.sql.is_empty()) {
        text.push_str(match fix.applicability {
            Applicability::Safe => "\n\nFix (safe):",
            Applicability::Review => "\n\nFix (review before applying):",
        });
        for line in fix.sql.lines() {
            text.push('\n');
            text.push_str(&printable(line));
        }
    }
    text
}

struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    code: String,
    help: String,
    source: Option<NamedSource<Arc<str>>>,
    label: Option<LabeledSpan>,
}

impl<'a> FindingDiagnostic<'a> {
    fn new(finding: &'a Finding, sources: &dyn Sources) -> Self {
        let help = printable(&finding.help);
        let mut source = None;
        let mut label = None;
        if let Some(span) = finding.location
            && let (Some(path), Some(text)) = (sources.path(span.file), sources.text(span.file))
        {
            // Underline the statement's first line only; the rest is context.
            let start = span.start.min(text.len());
            let first_line_end = text[start..].find('\n').map_or(text.len(), |n| start + n);
            let end = span.end.clamp(start, first_line_end).max(start);
            let end = text[start..end].trim_end().len() + start;
            label = Some(LabeledSpan::new_primary_with_span(Some(printable(&finding.label)), start..end));
            source = Some(NamedSource::new(path, text).with_language("sql"));
        }
        FindingDiagnostic {
            finding,
            code: format!("{}[{}] {}", finding.severity, finding.rule.code, finding.rule.name),
            help,
            source,
            label,
        }
    }
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.finding.message)
    }
}

impl Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(&self.finding.message))
    }
}

/// Escapes control characters, which a name read from a live database may hold.
pub(super) fn printable(text: &str) -> String {
    crate::text::escape_control(text)
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn Display + 'b>> {
        Some(Box::new(&self.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label
            .clone()
            .map(|label| Box::new(std::iter::once(label)) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("table `a\u{1b}[31mb`"), "table `a\\u{1b}[31mb`");
        assert_eq!(printable("plain é"), "plain é");
    }

    #[test]
    fn plain_text_escapes_names_but_keeps_the_fix_lines() {
        use crate::rules::{Fix, Object, Phase};
        let finding = Finding::new(
            "NL001",
            Object::schema("a\u{7}b"),
            "table `a\u{7}b` has RLS off".to_string(),
            "enable it".to_string(),
            None,
        )
        .with_fix(Fix::new(
            "ALTER TABLE x ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON x;".to_string(),
            Applicability::Review,
            Phase::RowLevelSecurity,
        ));
        assert_eq!(
            plain_text(&finding),
            "table `a\\u{7}b` has RLS off\n\nHelp: enable it\n\nFix (review before applying):\n\
             ALTER TABLE x ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON x;"
        );
    }

    #[test]
    fn summary_line_counts_and_pluralizes() {
        let summary = Summary { errors: 1, warnings: 2, infos: 0, files: 1, statements: 12 };
        assert_eq!(
            summary_line(summary, &files_subject(summary)),
            "neonlint: 1 error, 2 warnings, 0 infos in 1 file (12 statements)\n"
        );
        let summary = Summary { files: 3, statements: 1, ..Summary::default() };
        assert_eq!(
            summary_line(summary, &files_subject(summary)),
            "neonlint: no findings in 3 files (1 statement)\n"
        );
        assert_eq!(
            summary_line(Summary { warnings: 1, ..Summary::default() }, ""),
            "neonlint: 0 errors, 1 warning, 0 infos\n"
        );
    }
}
