//! The JSON report, version 1. Field names and shapes are public API (DESIGN.md, "JSON
//! output"): add fields only in a new version.

use std::io;

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use super::{Sources, Summary};
use crate::rules::{Finding, Object, Severity};

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    findings: Findings<'a>,
    summary: Summary,
}

/// The findings, serialized one at a time as the report is written.
struct Findings<'a> {
    findings: &'a [Finding],
    sources: &'a dyn Sources,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    rule: &'static str,
    severity: Severity,
    object: &'a Object,
    message: &'a str,
    location: Option<Location<'a>>,
    fix: Option<&'a str>,
}

#[derive(Serialize)]
struct Location<'a> {
    file: &'a str,
    line: u32,
    column: u32,
}

pub fn render_json(findings: &[Finding], sources: &dyn Sources, summary: Summary) -> String {
    let mut out = Vec::new();
    // Writing plain structs into a `Vec` cannot fail.
    let _ = write_json(&mut out, findings, sources, summary);
    String::from_utf8(out).unwrap_or_default()
}

/// `render_json`, written to `out` as it is serialized: no report is built in memory.
pub fn write_json(
    out: &mut dyn io::Write,
    findings: &[Finding],
    sources: &dyn Sources,
    summary: Summary,
) -> io::Result<()> {
    let report = Report { version: 1, findings: Findings { findings, sources }, summary };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sequence = serializer.serialize_seq(Some(self.findings.len()))?;
        for finding in self.findings {
            sequence.serialize_element(&json_finding(finding, self.sources))?;
        }
        sequence.end()
    }
}

fn json_finding<'a>(finding: &'a Finding, sources: &'a dyn Sources) -> JsonFinding<'a> {
    JsonFinding {
        code: finding.rule.code,
        rule: finding.rule.name,
        severity: finding.severity,
        object: &finding.object,
        message: &finding.message,
        location: finding.location.and_then(|span| {
            Some(Location { file: sources.path(span.file)?, line: span.line, column: span.column })
        }),
        fix: finding.fix.as_ref().map(|fix| fix.sql.as_str()).filter(|sql| !sql.is_empty()),
    }
}
