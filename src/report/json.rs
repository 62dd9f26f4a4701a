//! The JSON report, version 1. Field names and shapes are public API (DESIGN.md, "JSON
//! output"): add fields only in a new version.

use serde::Serialize;

use super::{Sources, Summary};
use crate::rules::{Finding, Object, Severity};

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
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
    let findings = findings
        .iter()
        .map(|finding| JsonFinding {
            code: finding.rule.code,
            rule: finding.rule.name,
            severity: finding.severity,
            object: &finding.object,
            message: &finding.message,
            location: finding.location.and_then(|span| {
                Some(Location { file: sources.path(span.file)?, line: span.line, column: span.column })
            }),
            fix: finding.fix.as_ref().map(|fix| fix.sql.as_str()).filter(|sql| !sql.is_empty()),
        })
        .collect();
    let report = Report { version: 1, findings, summary };
    // Serializing these plain structs cannot fail.
    let mut out = serde_json::to_string_pretty(&report).unwrap_or_default();
    out.push('\n');
    out
}
