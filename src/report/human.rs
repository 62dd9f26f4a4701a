//! The human report: one miette diagnostic per finding, with the statement's first line
//! as the snippet and the fix SQL under the help, then a summary line.
//!
//! miette is handed only the lines around each finding (`Excerpt`), with the file's line
//! numbers, so the report's cost grows with the number of findings, not with findings
//! times file size.

use std::collections::HashMap;
use std::fmt::{self, Display};
use std::io;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::{Sources, Summary, plural};
use crate::model::FileId;
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
    let mut out = Vec::new();
    // Writing into a `Vec` cannot fail.
    let _ = write_human(&mut out, findings, sources, summary, color, subject);
    String::from_utf8(out).unwrap_or_default()
}

/// `render_human`, written to `out` one finding at a time.
pub fn write_human(
    out: &mut dyn io::Write,
    findings: &[Finding],
    sources: &dyn Sources,
    summary: Summary,
    color: ColorChoice,
    subject: &str,
) -> io::Result<()> {
    let theme = match color {
        ColorChoice::Always => GraphicalTheme::unicode(),
        ColorChoice::Never => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_context_lines(CONTEXT_LINES);
    let mut files = Files::default();
    let mut block = String::new();
    for finding in findings {
        block.clear();
        let diagnostic = FindingDiagnostic::new(finding, sources, &mut files);
        if handler.render_report(&mut block, &diagnostic).is_err() {
            // Rendering into a String only fails on a formatter bug; say it plainly.
            block.push_str(&format!("{}: {}\n", finding.rule.code, finding.message));
        }
        // The fix goes below miette's help, unwrapped, so it can be copied as it is.
        if let Some(fix) = finding.fix.as_ref().filter(|fix| !fix.sql.is_empty()) {
            block.push_str(match fix.applicability {
                Applicability::Safe => "  fix:\n",
                Applicability::Review => "  fix (review before applying):\n",
            });
            for line in fix.sql.lines() {
                block.push_str(&format!("      {}\n", printable(line)));
            }
        }
        block.push('\n');
        out.write_all(block.as_bytes())?;
    }
    out.write_all(summary_line(summary, subject).as_bytes())
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
    source: Option<Excerpt>,
    label: Option<LabeledSpan>,
}

/// The lines around one finding, which is all miette is given: it finds line numbers by
/// scanning its source from the start, so handing it the whole file made a report with
/// one finding per statement quadratic. `first_line` (0-based) puts the file's own line
/// numbers back in the snippet.
struct Excerpt {
    name: String,
    text: String,
    first_line: usize,
}

/// Each file's text and line starts, computed once per report.
#[derive(Default)]
struct Files {
    by_id: HashMap<FileId, (Arc<str>, Vec<usize>)>,
}

/// Lines of context miette shows above and below the underlined line (its default).
const CONTEXT_LINES: usize = 1;

impl<'a> FindingDiagnostic<'a> {
    fn new(finding: &'a Finding, sources: &dyn Sources, files: &mut Files) -> Self {
        let help = printable(&finding.help);
        let mut source = None;
        let mut label = None;
        if let Some(span) = finding.location
            && let Some(path) = sources.path(span.file)
            && let Some((text, line_starts)) = files.get(span.file, sources)
        {
            // Underline the statement's first line only; the rest is context.
            let start = span.start.min(text.len());
            let first_line_end = crate::text::line_end(text, start);
            let end = span.end.clamp(start, first_line_end).max(start);
            let end = text[start..end].trim_end().len() + start;
            let line = line_starts.partition_point(|&line_start| line_start <= start) - 1;
            let first_line = line.saturating_sub(CONTEXT_LINES);
            let excerpt_start = line_starts[first_line];
            let excerpt_end = line_starts.get(line + CONTEXT_LINES + 1).copied().unwrap_or(text.len());
            label = Some(LabeledSpan::new_primary_with_span(
                Some(printable(&finding.label)),
                start - excerpt_start..end - excerpt_start,
            ));
            source = Some(Excerpt {
                name: path.to_string(),
                text: lone_cr_as_lf(&text[excerpt_start..excerpt_end]),
                first_line,
            });
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

impl Files {
    fn get(&mut self, file: FileId, sources: &dyn Sources) -> Option<(&str, &[usize])> {
        let (text, line_starts) = match self.by_id.entry(file) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let text = sources.text(file)?;
                let line_starts = crate::text::line_starts(&text);
                entry.insert((text, line_starts))
            }
        };
        Some((&**text, line_starts.as_slice()))
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let contents = self.text.read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                contents.data(),
                *contents.span(),
                contents.line() + self.first_line,
                contents.column(),
                contents.line_count(),
            )
            .with_language("sql"),
        ))
    }
}

/// `text` with each lone CR written as LF. A lone CR ends a line for neonlint (and
/// PostgreSQL); miette's line splitting would print it raw, which moves the cursor.
fn lone_cr_as_lf(text: &str) -> String {
    let bytes = text.as_bytes();
    text.char_indices()
        .map(
            |(index, character)| {
                if character == '\r' && bytes.get(index + 1) != Some(&b'\n') { '\n' } else { character }
            },
        )
        .collect()
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

    struct OneFile(&'static str);

    impl Sources for OneFile {
        fn path(&self, _file: FileId) -> Option<&str> {
            Some("migrations/1_init.sql")
        }

        fn text(&self, _file: FileId) -> Option<Arc<str>> {
            Some(Arc::from(self.0))
        }
    }

    /// A finding on the statement that starts at `start` in `text`.
    fn finding_at(text: &str, start: usize) -> Finding {
        let end = text[start..].find(';').map_or(text.len(), |n| start + n);
        let index = crate::sql::LineIndex::new(text);
        let location = index.location(start, end);
        let span =
            crate::model::Span { file: FileId(0), line: location.line, column: location.column, start, end };
        Finding::new("NL001", crate::rules::Object::schema("s"), "m".to_string(), "h".to_string(), Some(span))
    }

    /// What miette prints when it is handed the whole file, as the report did before it
    /// was handed excerpts: the oracle for the excerpts' output.
    fn whole_file_rendering(text: &'static str, finding: &Finding) -> String {
        struct Whole<'a> {
            finding: &'a Finding,
            source: miette::NamedSource<Arc<str>>,
            label: LabeledSpan,
        }
        impl fmt::Debug for Whole<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.finding.message)
            }
        }
        impl Display for Whole<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.finding.message)
            }
        }
        impl std::error::Error for Whole<'_> {}
        impl Diagnostic for Whole<'_> {
            fn source_code(&self) -> Option<&dyn SourceCode> {
                Some(&self.source)
            }
            fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
                Some(Box::new(std::iter::once(self.label.clone())))
            }
        }
        let span = finding.location.unwrap();
        let first_line_end = text[span.start..].find('\n').map_or(text.len(), |n| span.start + n);
        let end = text[span.start..span.end.min(first_line_end)].trim_end().len() + span.start;
        let whole = Whole {
            finding,
            source: miette::NamedSource::new("migrations/1_init.sql", Arc::from(text)).with_language("sql"),
            label: LabeledSpan::new_primary_with_span(Some(finding.label.clone()), span.start..end),
        };
        let mut out = String::new();
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false)
            .render_report(&mut out, &whole)
            .unwrap();
        out
    }

    /// The snippet part of a rendering: from the `╭─[` header to the closing `╰──`.
    fn snippet(rendering: &str) -> String {
        let start = rendering.find("╭─[").unwrap_or_else(|| panic!("no snippet in {rendering}"));
        let end = rendering[start..].find("╰──").map_or(rendering.len(), |n| start + n);
        rendering[start..end].to_string()
    }

    #[test]
    fn excerpt_snippets_match_rendering_the_whole_file() {
        // First line, middle, last line without a newline, blank lines around, CRLF.
        let texts: [&'static str; 4] = [
            "CREATE TABLE a ();\nCREATE TABLE b ();\n\nCREATE TABLE c ();",
            "-- one\n-- two\nCREATE TABLE a (\n  id int\n);\n\n\nCREATE TABLE é ();\n",
            "CREATE TABLE a ();\r\nCREATE TABLE b ();\r\n-- end\r\n",
            "\n\nCREATE TABLE a ();",
        ];
        for text in texts {
            for (start, _) in text.match_indices("CREATE") {
                let finding = finding_at(text, start);
                let ours = render_human(
                    std::slice::from_ref(&finding),
                    &OneFile(text),
                    Summary::default(),
                    ColorChoice::Never,
                    "",
                );
                assert_eq!(
                    snippet(&ours),
                    snippet(&whole_file_rendering(text, &finding)),
                    "statement at {start} of {text:?}"
                );
            }
        }
    }

    #[test]
    fn lone_cr_ends_a_line_in_the_snippet() {
        let text = "-- note\rCREATE TABLE a ();\rCREATE TABLE b ();\r";
        let start = text.find("CREATE TABLE b").unwrap();
        let finding = finding_at(text, start);
        assert_eq!(finding.location.map(|span| span.line), Some(3));
        let rendering = render_human(&[finding], &OneFile(text), Summary::default(), ColorChoice::Never, "");
        assert!(!rendering.contains('\r'), "a raw CR in {rendering:?}");
        assert!(rendering.contains("[migrations/1_init.sql:3:1]"), "{rendering}");
        assert!(rendering.contains(" 3 │ CREATE TABLE b ();"), "{rendering}");
        assert!(rendering.contains(" 2 │ CREATE TABLE a ();"), "{rendering}");
    }
}
