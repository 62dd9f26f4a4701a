//! The SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers: a typed subset
//! of the format (only the objects and properties we fill), serialized with serde.
//!
//! It is not a general SARIF model, and it does not try to be read back. What GitHub does
//! with each property is in "SARIF support for code scanning" in GitHub's documentation;
//! `scripts/validate-sarif` runs Microsoft's validator on the demo's report.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Sources, Summary, human};
use crate::model::{FileId, Span};
use crate::rules::{Applicability, Finding, Object, ObjectKind, RULES, Rule, Severity};

/// The schema GitHub's documentation names; the validator reads the version from `version`.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The project's home page. A placeholder until the repository is public.
const INFORMATION_URI: &str = "https://github.com/neondatabase/neonlint";

/// The base that relative artifact paths resolve against: the folder neonlint ran in.
/// GitHub resolves relative paths against the repository root, which is where a workflow
/// runs neonlint unless it changes folder.
const SOURCE_ROOT: &str = "%SRCROOT%";

/// The key of our own fingerprint in `partialFingerprints`; bump the version if its
/// content ever changes, so that old and new fingerprints are not compared.
const FINGERPRINT_KEY: &str = "neonlint/v1";

pub fn render_sarif(findings: &[Finding], sources: &dyn Sources, summary: Summary) -> String {
    // The counts follow from the results; SARIF has no place for a summary line.
    let _ = summary;
    let mut fingerprints = Fingerprints::default();
    let results = findings.iter().map(|finding| result(finding, sources, &mut fingerprints)).collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "neonlint",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: RULES.iter().map(reporting_descriptor).collect(),
                },
            },
            invocations: [Invocation { execution_successful: true }],
            original_uri_base_ids: BTreeMap::from([(
                SOURCE_ROOT,
                BaseLocation {
                    description: Message {
                        text: "The folder neonlint ran in; file paths are relative to it".to_string(),
                    },
                },
            )]),
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    // Serializing these plain structs (string keys, no floats) cannot fail.
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    invocations: [Invocation; 1],
    original_uri_base_ids: BTreeMap<&'static str, BaseLocation>,
    /// Our columns count characters (`sql::LineIndex`), not UTF-16 code units.
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
}

#[derive(Serialize)]
struct BaseLocation {
    description: Message,
}

/// A rule, as SARIF describes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    /// The code, `NL001`: what `ruleId` refers to.
    id: &'static str,
    /// The PascalCase name SARIF prefers (`RlsDisabled`); the kebab-case name users write
    /// in suppressions is the first tag.
    name: String,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: Level,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    Error,
    Warning,
    Note,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: Level,
    message: Message,
    locations: [Location<'a>; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<ResultProperties<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    logical_locations: [LogicalLocation<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// 1-based lines and columns; `end_column` is the column after the region's last character.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
}

/// The database object a finding is about. SARIF's list of logical location kinds is
/// about programs (`function`, `type`, `namespace`); none fits a table or a policy, and
/// the specification lets a producer use its own, so the kind is the JSON report's.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    name: &'a str,
    fully_qualified_name: String,
    kind: ObjectKind,
}

/// The fix SQL, as data. It is not a SARIF `fix`: see `result`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    fix_sql: &'a str,
    fix_applicability: Applicability,
}

fn reporting_descriptor(rule: &'static Rule) -> ReportingDescriptor {
    ReportingDescriptor {
        id: rule.code,
        name: pascal_case(rule.name),
        short_description: Message { text: rule.summary.to_string() },
        full_description: Message { text: what_it_finds(rule) },
        help: MultiformatMessage { text: rule.page, markdown: rule.page },
        help_uri: format!("{INFORMATION_URI}/blob/main/rules/{}-{}.md", rule.code, rule.name),
        default_configuration: Configuration { level: level(rule.level) },
        properties: RuleProperties { tags: vec![rule.name] },
    }
}

/// One result. Two decisions shape it:
///
/// - **No SARIF `fixes`.** A SARIF fix is an edit to the file that holds the result, and
///   that file is a migration, which may already be applied: neonlint never edits one
///   (DESIGN.md), its fix is a new migration. GitHub ignores `fixes` as well. The SQL is in
///   the message, where GitHub shows it, and in `properties.fixSql` for tools.
/// - **Every result gets a file when there is one.** GitHub rejects the whole upload
///   ("expected a physical location") when one result has only a logical location. A
///   finding without a statement of its own (NL004 is about a schema's future tables) is
///   therefore placed at line 1 of the first migration file, with a location message
///   saying so, and keeps its logical location. `neonlint db` has no files: its results
///   have only the logical location. That is valid SARIF (the validator accepts it, and
///   SARIF viewers show the object), but GitHub code scanning refuses such a file; a live
///   database is not something code scanning can annotate.
fn result<'a>(
    finding: &'a Finding,
    sources: &dyn Sources,
    fingerprints: &mut Fingerprints,
) -> SarifResult<'a> {
    let fix = finding.fix.as_ref().filter(|fix| !fix.sql.is_empty());
    let (physical_location, location_message) = placement(finding, sources);
    SarifResult {
        rule_id: finding.rule.code,
        rule_index: RULES.iter().position(|rule| rule.code == finding.rule.code),
        level: level(finding.severity),
        // GitHub shows only `message.text` beside the code, so it carries what to do.
        message: Message { text: human::plain_text(finding) },
        locations: [Location {
            physical_location,
            logical_locations: [LogicalLocation {
                name: &finding.object.name,
                fully_qualified_name: qualified_name(&finding.object),
                kind: finding.object.kind,
            }],
            message: location_message,
        }],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprints.next(finding))]),
        properties: fix
            .map(|fix| ResultProperties { fix_sql: &fix.sql, fix_applicability: fix.applicability }),
    }
}

/// Where GitHub shows the result: its statement, or else the first migration with a
/// message saying why, or else nowhere (`neonlint db`).
fn placement(finding: &Finding, sources: &dyn Sources) -> (Option<PhysicalLocation>, Option<Message>) {
    if let Some(statement) = finding.location.and_then(|span| statement_location(span, sources)) {
        return (Some(statement), None);
    }
    match first_file_location(sources) {
        Some(first_file) => {
            let text = "This finding has no statement of its own; it is shown at the first migration";
            (Some(first_file), Some(Message { text: text.to_string() }))
        }
        None => (None, None),
    }
}

/// The statement's file and region, when the file is known.
fn statement_location(span: Span, sources: &dyn Sources) -> Option<PhysicalLocation> {
    let path = sources.path(span.file)?;
    let text = sources.text(span.file);
    Some(PhysicalLocation {
        artifact_location: artifact_location(path),
        region: region(span, text.as_deref()),
    })
}

/// Line 1 of the first file of the run: `check` numbers files from 0 in migration order.
fn first_file_location(sources: &dyn Sources) -> Option<PhysicalLocation> {
    let path = sources.path(FileId(0))?;
    Some(PhysicalLocation {
        artifact_location: artifact_location(path),
        region: Region { start_line: 1, start_column: 1, end_line: None, end_column: None },
    })
}

/// The region from the statement's first character to its last (trailing whitespace
/// left out); only the start when the text is not at hand.
fn region(span: Span, text: Option<&str>) -> Region {
    let mut region =
        Region { start_line: span.line, start_column: span.column, end_line: None, end_column: None };
    let Some(statement) = text.and_then(|text| text.get(span.start..span.end.min(text.len()))) else {
        return region;
    };
    let statement = statement.trim_end();
    if statement.is_empty() {
        return region;
    }
    // Lines end at LF, CRLF or a lone CR, as in every location neonlint prints.
    let starts = crate::text::line_starts(statement);
    let extra_lines = starts.len() - 1;
    let last_line = &statement[starts.last().copied().unwrap_or(0)..];
    let end_column = if extra_lines == 0 {
        span.column as usize + statement.chars().count()
    } else {
        last_line.chars().count() + 1
    };
    region.end_line = u32::try_from(extra_lines).ok().and_then(|extra| span.line.checked_add(extra));
    region.end_column = u32::try_from(end_column).ok();
    if region.end_line.is_none() || region.end_column.is_none() {
        region.end_line = None;
        region.end_column = None;
    }
    region
}

/// A path as a URI: relative paths stay relative (to `%SRCROOT%`), absolute ones become
/// `file:` URIs. Characters a URI cannot hold are percent-encoded.
fn artifact_location(path: &str) -> ArtifactLocation {
    let path = path.replace('\\', "/");
    let bytes = path.as_bytes();
    let windows_drive = bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && &bytes[1..3] == b":/";
    if windows_drive {
        let uri = format!("file:///{}:{}", &path[..1], encode_path(&path[2..]));
        ArtifactLocation { uri, uri_base_id: None }
    } else if path.starts_with('/') {
        ArtifactLocation { uri: format!("file://{}", encode_path(&path)), uri_base_id: None }
    } else {
        ArtifactLocation { uri: encode_path(&path), uri_base_id: Some(SOURCE_ROOT) }
    }
}

/// Percent-encodes every byte but unreserved characters, sub-delimiters, `@` and `/`.
/// `:` is encoded too, so that a relative path cannot be read as a scheme.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `public.todos`, `public.todos.todos_owner` for a policy, `public` for a schema.
fn qualified_name(object: &Object) -> String {
    let mut parts: Vec<&str> = Vec::with_capacity(3);
    parts.extend(object.schema.as_deref());
    parts.extend(object.table.as_deref());
    parts.push(&object.name);
    parts.join(".")
}

/// Fingerprints without a hash: the code, the object's kind and its qualified name, so a
/// result keeps its identity when lines move or messages are reworded. Two findings of
/// one rule on one object (one per API role) are told apart by their order, as GitHub's
/// own `primaryLocationLineHash` does (`…:2`).
///
/// GitHub's documentation says code scanning reads only `primaryLocationLineHash`;
/// `codeql-action/upload-sarif` adds it to each result, from the text around the result's
/// first line, when it is missing (as here). This fingerprint sits beside it for other
/// tools, and for GitHub if it reads more one day.
#[derive(Default)]
struct Fingerprints {
    seen: BTreeMap<String, usize>,
}

impl Fingerprints {
    fn next(&mut self, finding: &Finding) -> String {
        let kind = serde_json::to_value(finding.object.kind)
            .ok()
            .and_then(|kind| kind.as_str().map(str::to_string))
            .unwrap_or_default();
        let base = format!("{}:{kind}:{}", finding.rule.code, qualified_name(&finding.object));
        let count = self.seen.entry(base.clone()).or_insert(0);
        *count += 1;
        if *count == 1 { base } else { format!("{base}:{count}") }
    }
}

/// SARIF has no "info": its lowest level is `note`.
fn level(severity: Severity) -> Level {
    match severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
        Severity::Info => Level::Note,
    }
}

/// `rls-disabled` → `RlsDisabled`.
fn pascal_case(kebab: &str) -> String {
    kebab
        .split('-')
        .flat_map(|word| {
            let mut chars = word.chars();
            chars.next().map(|first| first.to_ascii_uppercase()).into_iter().chain(chars)
        })
        .collect()
}

/// The page's "What it finds" section as one paragraph; the summary if a page lacks it.
fn what_it_finds(rule: &Rule) -> String {
    let section: Vec<&str> = rule
        .page
        .lines()
        .skip_while(|line| line.trim() != "## What it finds")
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    if section.is_empty() { rule.summary.to_string() } else { section.join(" ") }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// One migration file, or none (as in `neonlint db`).
    struct OneFile(Option<&'static str>);

    impl Sources for OneFile {
        fn path(&self, file: FileId) -> Option<&str> {
            self.0.filter(|_| file == FileId(0))
        }

        fn text(&self, file: FileId) -> Option<Arc<str>> {
            self.path(file).map(|_| Arc::from("CREATE TABLE t ();\n"))
        }
    }

    fn schema_finding() -> Finding {
        Finding::new("NL004", Object::schema("public"), "m".to_string(), "h".to_string(), None)
    }

    #[test]
    fn a_finding_without_a_statement_is_shown_at_the_first_migration() {
        let (physical, message) = placement(&schema_finding(), &OneFile(Some("migrations/1_init.sql")));
        let physical = serde_json::to_value(physical).unwrap_or_default();
        assert_eq!(physical["artifactLocation"]["uri"], "migrations/1_init.sql");
        assert_eq!(physical["region"], serde_json::json!({ "startLine": 1, "startColumn": 1 }));
        assert!(message.is_some_and(|message| message.text.contains("first migration")));
    }

    #[test]
    fn without_files_a_result_has_only_its_logical_location() {
        let report = render_sarif(&[schema_finding()], &OneFile(None), Summary::default());
        let report: serde_json::Value = serde_json::from_str(&report).unwrap_or_default();
        let location = &report["runs"][0]["results"][0]["locations"][0];
        assert_eq!(
            *location,
            serde_json::json!({
                "logicalLocations": [{ "name": "public", "fullyQualifiedName": "public", "kind": "schema" }]
            })
        );
    }

    #[test]
    fn relative_paths_are_encoded_and_based_on_the_source_root() {
        let location = artifact_location("db/migrations/001 init#1.sql");
        assert_eq!(location.uri, "db/migrations/001%20init%231.sql");
        assert_eq!(location.uri_base_id, Some("%SRCROOT%"));
        assert_eq!(artifact_location("a:b/100%.sql").uri, "a%3Ab/100%25.sql");
        assert_eq!(artifact_location("é.sql").uri, "%C3%A9.sql");
    }

    #[test]
    fn absolute_paths_become_file_uris() {
        let location = artifact_location("/srv/app/migrations/1_init.sql");
        assert_eq!(location.uri, "file:///srv/app/migrations/1_init.sql");
        assert_eq!(location.uri_base_id, None);
        assert_eq!(artifact_location("C:\\app\\1 init.sql").uri, "file:///C:/app/1%20init.sql");
    }

    #[test]
    fn rule_names_become_pascal_case() {
        assert_eq!(pascal_case("rls-disabled"), "RlsDisabled");
        assert_eq!(pascal_case("database-missing-neon-superuser"), "DatabaseMissingNeonSuperuser");
    }

    #[test]
    fn full_descriptions_are_the_what_it_finds_paragraph_and_fit_github() {
        let rule = crate::rules::rule("NL001");
        assert_eq!(
            what_it_finds(rule),
            "A table or partitioned table in an exposed schema (default `public`) with row-level \
             security off, including a partition whose parent has it on."
        );
        for rule in RULES {
            // GitHub cuts descriptions at 1024 characters.
            let text = what_it_finds(rule);
            assert!(!text.is_empty() && text.len() <= 1024, "{}: {} characters", rule.code, text.len());
            assert_ne!(text, rule.summary, "{} has no \"What it finds\" section", rule.code);
        }
    }

    #[test]
    fn region_ends_after_the_statement_last_character() {
        let text = "-- c\nCREATE TABLE t (\n  id int\n);\n\n";
        let start = text.find("CREATE").unwrap_or_default();
        let span = Span { file: FileId(0), line: 2, column: 1, start, end: text.len() };
        let found = region(span, Some(text));
        assert_eq!((found.start_line, found.start_column), (2, 1));
        assert_eq!((found.end_line, found.end_column), (Some(4), Some(3)));

        let text = "SELECT 1; GRANT é;";
        let start = text.find("GRANT").unwrap_or_default();
        let span = Span { file: FileId(0), line: 1, column: 11, start, end: text.len() };
        let found = region(span, Some(text));
        assert_eq!((found.end_line, found.end_column), (Some(1), Some(19)));

        // A lone CR ends a line, as CRLF and LF do.
        let text = "-- c\rCREATE TABLE t (\r  id int\r\n);\r";
        let start = text.find("CREATE").unwrap_or_default();
        let span = Span { file: FileId(0), line: 2, column: 1, start, end: text.len() };
        let found = region(span, Some(text));
        assert_eq!((found.end_line, found.end_column), (Some(4), Some(3)));
    }

    #[test]
    fn region_without_text_has_only_a_start() {
        let span = Span { file: FileId(0), line: 3, column: 2, start: 10, end: 20 };
        let found = region(span, None);
        assert_eq!(
            (found.start_line, found.start_column, found.end_line, found.end_column),
            (3, 2, None, None)
        );
    }

    #[test]
    fn fingerprints_name_the_object_and_count_repeats() {
        let object = Object {
            kind: ObjectKind::Table,
            schema: Some("public".to_string()),
            name: "todos".to_string(),
            table: None,
            args: None,
        };
        let finding = Finding::new("NL003", object, "m".to_string(), "h".to_string(), None);
        let mut fingerprints = Fingerprints::default();
        assert_eq!(fingerprints.next(&finding), "NL003:table:public.todos");
        assert_eq!(fingerprints.next(&finding), "NL003:table:public.todos:2");
        let schema = Finding::new("NL004", Object::schema("public"), "m".to_string(), "h".to_string(), None);
        assert_eq!(fingerprints.next(&schema), "NL004:schema:public");
    }
}
