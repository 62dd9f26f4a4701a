//! Liquibase formatted SQL: files that start with `-- liquibase formatted sql`, in the order of
//! the master changelog's `include` / `includeAll` entries (XML, YAML or JSON) when there is
//! one, else in name order. In each file only the `--changeset` blocks run: text before the
//! first changeset, `--rollback` lines, `--ignoreLines` ranges and changesets meant for
//! another database (`dbms:oracle`, `dbms:!postgresql`) or marked `ignore:true` are blanked,
//! keeping every byte offset and line. Changelogs written as XML/YAML/JSON changesets are not
//! SQL, and are not read.

use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};

use super::Ordered;
use crate::source::folder::FolderListing;
use crate::source::markers::push_blanked;
use crate::source::{Notice, display_path};

/// How deep nested changelogs are followed; deeper includes are a notice.
const MAX_NESTING: usize = 8;

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    match master_changelog(listing) {
        Some(master) => {
            let mut reader = ChangelogReader { ordered: &mut ordered, seen: Vec::new() };
            reader.read(&master, 0);
        }
        None => {
            let mut names: Vec<&String> = listing.sql_files.iter().collect();
            names.sort();
            ordered.files = names.into_iter().map(|name| listing.path.join(name)).collect();
        }
    }
    ordered
}

/// Whether a file starting with `head` starts with Liquibase's `-- liquibase formatted sql`
/// line (looked for in its first 4 KiB).
pub fn head_is_formatted(head: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&head[..head.len().min(FORMATTED_HEADER_LIMIT)]);
    head.lines().map(str::trim).find(|line| !line.is_empty()).is_some_and(is_header_line)
}

/// How far into a file the formatted-SQL header may be: past blank lines only.
const FORMATTED_HEADER_LIMIT: usize = 4096;

/// The folder's master changelog: an XML, YAML or JSON file declaring `databaseChangeLog` with
/// an `include` or `includeAll`; one whose name says `master` first.
pub fn master_changelog(listing: &FolderListing) -> Option<PathBuf> {
    let mut candidates: Vec<&String> = listing
        .changelog_files
        .iter()
        .filter(|name| {
            fs::read_to_string(listing.path.join(name)).is_ok_and(|text| {
                text.contains("databaseChangeLog")
                    && (text.contains("include") || text.contains("includeAll"))
            })
        })
        .collect();
    candidates.sort_by_key(|name| !name.to_ascii_lowercase().contains("master"));
    candidates.first().map(|name| listing.path.join(name))
}

/// The master changelog of the folders above `folder` (two levels) that includes it, if any:
/// Liquibase projects keep formatted SQL in `changes/` below the master.
pub fn master_above(folder: &Path) -> Option<PathBuf> {
    for dir in folder.ancestors().skip(1).take(2) {
        let Ok(listing) = FolderListing::read(dir) else { continue };
        let Some(master) = master_changelog(&listing) else { continue };
        let mut ordered = Ordered::default();
        ChangelogReader { ordered: &mut ordered, seen: Vec::new() }.read(&master, 0);
        if ordered.files.iter().any(|file| file.starts_with(folder)) {
            return Some(dir.to_path_buf());
        }
    }
    None
}

/// The part of a formatted SQL changelog that runs on PostgreSQL, same length, same lines.
/// A file without the formatted-SQL header runs whole, as Liquibase runs raw SQL.
pub fn keep_changesets(text: &str) -> Cow<'_, str> {
    let first_line = text.lines().map(str::trim).find(|line| !line.is_empty());
    if !first_line.is_some_and(is_header_line) {
        return Cow::Borrowed(text);
    }
    let mut kept = String::with_capacity(text.len());
    let mut in_changeset_that_runs = false;
    let mut ignored_lines = IgnoredLines::None;
    for line in text.split_inclusive('\n') {
        let keep = match directive(line) {
            Some(Directive::Changeset(attributes)) => {
                in_changeset_that_runs = changeset_runs_on_postgresql(attributes);
                false
            }
            Some(Directive::IgnoreStart) => {
                ignored_lines = IgnoredLines::UntilEnd;
                false
            }
            Some(Directive::IgnoreEnd) => {
                ignored_lines = IgnoredLines::None;
                false
            }
            Some(Directive::IgnoreCount(count)) => {
                ignored_lines = if count > 0 { IgnoredLines::Count(count) } else { IgnoredLines::None };
                false
            }
            Some(Directive::Rollback) => false,
            None => match ignored_lines {
                IgnoredLines::UntilEnd => false,
                IgnoredLines::Count(left) => {
                    ignored_lines = if left > 1 { IgnoredLines::Count(left - 1) } else { IgnoredLines::None };
                    false
                }
                IgnoredLines::None => in_changeset_that_runs,
            },
        };
        if keep {
            kept.push_str(line);
        } else {
            push_blanked(&mut kept, line);
        }
    }
    Cow::Owned(kept)
}

/// A Liquibase comment directive at the start of a line.
enum Directive<'line> {
    /// `--changeset author:id attributes…`, with what follows the keyword.
    Changeset(&'line str),
    /// `--rollback …`: runs only on `liquibase rollback`.
    Rollback,
    /// `--ignoreLines:start` / `--ignoreLines:end`.
    IgnoreStart,
    IgnoreEnd,
    /// `--ignoreLines:N`: the next N lines.
    IgnoreCount(usize),
}

enum IgnoredLines {
    None,
    UntilEnd,
    Count(usize),
}

/// `-- liquibase formatted sql`, with any blanks after `--` and in any case.
fn is_header_line(line: &str) -> bool {
    line.strip_prefix("--")
        .is_some_and(|rest| rest.trim_start().to_ascii_lowercase().starts_with("liquibase formatted sql"))
}

fn directive(line: &str) -> Option<Directive<'_>> {
    let rest = line.strip_prefix("--")?.trim_start();
    let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (word, after) = rest.split_at(word_end);
    let word = word.to_ascii_lowercase();
    match word.as_str() {
        "changeset" => Some(Directive::Changeset(after)),
        "rollback" => Some(Directive::Rollback),
        "ignorelines:start" => Some(Directive::IgnoreStart),
        "ignorelines:end" => Some(Directive::IgnoreEnd),
        _ => word.strip_prefix("ignorelines:")?.parse().ok().map(Directive::IgnoreCount),
    }
}

/// Whether a changeset with these attributes runs on PostgreSQL: no `dbms:` list, or one that
/// names `postgresql` (or `all`) and does not exclude it with `!postgresql`; not `ignore:true`.
fn changeset_runs_on_postgresql(attributes: &str) -> bool {
    let mut runs = true;
    for attribute in attributes.split_whitespace() {
        let lower = attribute.to_ascii_lowercase();
        if lower == "ignore:true" {
            return false;
        }
        if let Some(list) = lower.strip_prefix("dbms:") {
            let names: Vec<&str> = list.split(',').map(str::trim).filter(|name| !name.is_empty()).collect();
            let excluded = names.contains(&"!postgresql");
            let positives: Vec<&&str> = names.iter().filter(|name| !name.starts_with('!')).collect();
            let included = positives.is_empty()
                || positives.iter().any(|name| **name == "postgresql" || **name == "all");
            runs = included && !excluded;
        }
    }
    runs
}

/// Follows a changelog's includes, depth first, in the order Liquibase runs them.
struct ChangelogReader<'ordered> {
    ordered: &'ordered mut Ordered,
    seen: Vec<PathBuf>,
}

impl ChangelogReader<'_> {
    fn read(&mut self, changelog: &Path, depth: usize) {
        let canonical = fs::canonicalize(changelog).unwrap_or_else(|_| changelog.to_path_buf());
        if self.seen.contains(&canonical) {
            return;
        }
        self.seen.push(canonical);
        let Ok(text) = fs::read_to_string(changelog) else {
            self.notice(changelog, "cannot be read, so the files it includes are not linted".to_string());
            return;
        };
        let folder = changelog.parent().unwrap_or(Path::new(".")).to_path_buf();
        let includes = includes_of(changelog, &text);
        if text.contains("changeSet") {
            self.notice(
                changelog,
                "declares changesets in XML, YAML or JSON, which neonlint does not read; only formatted SQL is \
                 linted"
                    .to_string(),
            );
        }
        for include in includes {
            let Some(target) = resolve(&folder, &include.path, include.relative) else {
                self.notice(
                    changelog,
                    format!("includes `{}`, which does not exist, so it is not linted", include.path),
                );
                continue;
            };
            if include.all {
                let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&target)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|entry| entry.file_type().is_file())
                    .map(|entry| entry.into_path())
                    .collect();
                files.sort();
                for file in files {
                    self.take(&file, depth);
                }
            } else {
                self.take(&target, depth);
            }
        }
    }

    fn take(&mut self, file: &Path, depth: usize) {
        let extension = file.extension().and_then(|extension| extension.to_str()).unwrap_or("");
        match extension {
            "sql" if !self.ordered.files.iter().any(|known| known == file) => {
                self.ordered.files.push(file.to_path_buf());
            }
            "sql" => {}
            "xml" | "yaml" | "yml" | "json" if depth < MAX_NESTING => self.read(file, depth + 1),
            "xml" | "yaml" | "yml" | "json" => {
                self.notice(file, "is nested too deep, so the files it includes are not linted".to_string())
            }
            _ => {}
        }
    }

    fn notice(&mut self, path: &Path, what: String) {
        let shown = display_path(path);
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        self.ordered.notices.push(Notice { path: Some(shown), message: format!("`{name}` {what}") });
    }
}

/// One `include` or `includeAll` entry of a changelog.
#[derive(Debug, PartialEq, Eq)]
struct Include {
    path: String,
    relative: bool,
    all: bool,
}

fn includes_of(changelog: &Path, text: &str) -> Vec<Include> {
    match changelog.extension().and_then(|extension| extension.to_str()) {
        Some("xml") => xml_includes(text),
        Some("json") => json_includes(text),
        _ => yaml_includes(text),
    }
}

fn xml_includes(text: &str) -> Vec<Include> {
    let mut text = text.to_string();
    while let Some(start) = text.find("<!--") {
        let end = text[start..].find("-->").map_or(text.len(), |end| start + end + 3);
        text.replace_range(start..end, "");
    }
    let mut includes = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("<include") {
        let tag_end = rest[start..].find('>').map_or(rest.len(), |end| start + end);
        let tag = &rest[start..tag_end];
        rest = &rest[tag_end..];
        let all = tag.starts_with("<includeAll");
        if !all && !tag.starts_with("<include ") && !tag.starts_with("<include\n") {
            continue;
        }
        let attribute = |name: &str| {
            let at = tag.find(&format!("{name}="))? + name.len() + 1;
            let quote = tag[at..].chars().next()?;
            let value_end = tag[at + 1..].find(quote)?;
            Some(tag[at + 1..at + 1 + value_end].to_string())
        };
        if let Some(path) = attribute(if all { "path" } else { "file" }) {
            let relative = attribute("relativeToChangelogFile").is_some_and(|value| value == "true");
            includes.push(Include { path, relative, all });
        }
    }
    includes
}

fn yaml_includes(text: &str) -> Vec<Include> {
    let mut includes = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
        let all = trimmed.starts_with("includeAll:");
        if !all && !trimmed.starts_with("include:") {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let mut path = None;
        let mut relative = false;
        // `include: {file: x}` on one line, or the keys on the lines below, indented deeper.
        let mut fields: Vec<&str> = Vec::new();
        if let Some(inline) = trimmed.split_once('{').map(|(_, rest)| rest.trim_end_matches('}')) {
            fields.extend(inline.split(','));
        }
        for next in &lines[index + 1..] {
            let next_indent = next.len() - next.trim_start().len();
            if next.trim().is_empty() {
                continue;
            }
            if next_indent <= indent || next.trim_start().starts_with("- ") && next_indent <= indent + 2 {
                break;
            }
            fields.push(next.trim());
        }
        for field in fields {
            let Some((key, value)) = field.split_once(':') else { continue };
            let value = value.trim().trim_matches(['"', '\'']).to_string();
            match key.trim() {
                "file" | "path" => path = Some(value),
                "relativeToChangelogFile" => relative = value == "true",
                _ => {}
            }
        }
        if let Some(path) = path {
            includes.push(Include { path, relative, all });
        }
    }
    includes
}

fn json_includes(text: &str) -> Vec<Include> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let Some(entries) = value.get("databaseChangeLog").and_then(|entries| entries.as_array()) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let (body, all) = match (entry.get("include"), entry.get("includeAll")) {
                (Some(body), _) => (body, false),
                (None, Some(body)) => (body, true),
                (None, None) => return None,
            };
            let path = body.get(if all { "path" } else { "file" })?.as_str()?.to_string();
            let relative = body
                .get("relativeToChangelogFile")
                .is_some_and(|value| value.as_bool() == Some(true) || value.as_str() == Some("true"));
            Some(Include { path, relative, all })
        })
        .collect()
}

/// Where an included path is: beside the changelog when relative to it, else on the search
/// path, which for a project is the changelog's folder or one above it (the classpath root,
/// `src/main/resources`).
fn resolve(folder: &Path, path: &str, relative: bool) -> Option<PathBuf> {
    let path = path.strip_prefix("classpath:").unwrap_or(path).trim_start_matches('/');
    if relative {
        let candidate = folder.join(path);
        return candidate.exists().then_some(candidate);
    }
    folder.ancestors().map(|dir| dir.join(path)).find(|candidate| candidate.exists())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn changesets_run_and_rollbacks_do_not() {
        let text = "-- liquibase formatted sql\nSELECT 0;\n--changeset a:1\nCREATE TABLE t (id int);\n\
                    --rollback DROP TABLE t;\n--changeset a:2 dbms:oracle\nGRANT x;\n--changeset a:3 \
                    dbms:postgresql,h2\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n-- rollback ALTER TABLE t \
                    DISABLE ROW LEVEL SECURITY;\n--changeset a:4 dbms:!postgresql\nDROP TABLE t;\n";
        let kept = keep_changesets(text);
        assert_eq!(kept.len(), text.len());
        let lines: Vec<&str> = kept.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
        assert_eq!(lines, ["CREATE TABLE t (id int);", "ALTER TABLE t ENABLE ROW LEVEL SECURITY;"]);
        assert_eq!(kept.matches('\n').count(), text.matches('\n').count());
    }

    #[test]
    fn ignored_lines_and_ignored_changesets_do_not_run() {
        let text = "--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n--ignoreLines:start\nSELECT 2;\n\
                    --ignoreLines:end\nSELECT 3;\n--ignoreLines:1\nSELECT 4;\nSELECT 5;\n--changeset a:2 \
                    ignore:true\nSELECT 6;\n";
        let kept = keep_changesets(text);
        let lines: Vec<&str> = kept.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
        assert_eq!(lines, ["SELECT 1;", "SELECT 3;", "SELECT 5;"]);
    }

    #[test]
    fn a_file_without_the_header_runs_whole() {
        let text = "--changeset a:1\nSELECT 1;\n--rollback SELECT 2;\n";
        assert!(matches!(keep_changesets(text), Cow::Borrowed(_)));
    }

    #[test]
    fn the_master_changelog_orders_the_files() {
        let master = "databaseChangeLog:\n  - include:\n      file: changes/002-b.sql\n      \
                      relativeToChangelogFile: true\n  - include:\n      file: db/changelog/changes/001-a.sql\n  \
                      - includeAll:\n      path: later/\n      relativeToChangelogFile: true\n";
        let project = folder_with(&[
            ("db/changelog/db.changelog-master.yaml", master),
            ("db/changelog/changes/001-a.sql", "--liquibase formatted sql\n"),
            ("db/changelog/changes/002-b.sql", "--liquibase formatted sql\n"),
            ("db/changelog/changes/003-unlisted.sql", "--liquibase formatted sql\n"),
            ("db/changelog/later/2.sql", ""),
            ("db/changelog/later/1.sql", ""),
        ]);
        let folder = project.path().join("db/changelog");
        let ordered = ordered(Layout::Liquibase, &folder);
        assert_eq!(
            relative_names(&ordered, &folder),
            ["changes/002-b.sql", "changes/001-a.sql", "later/1.sql", "later/2.sql"]
        );
        assert!(ordered.notices.is_empty(), "{:?}", ordered.notices);
        assert_eq!(master_above(&folder.join("changes")), Some(folder.clone()));
    }

    #[test]
    fn xml_and_json_includes_are_read() {
        let xml = r#"<databaseChangeLog><!-- <include file="gone.sql"/> -->
            <include file="b.sql" relativeToChangelogFile="true"/>
            <includeAll path='all/' relativeToChangelogFile='true'/></databaseChangeLog>"#;
        assert_eq!(
            xml_includes(xml),
            [
                Include { path: "b.sql".into(), relative: true, all: false },
                Include { path: "all/".into(), relative: true, all: true }
            ]
        );
        let json =
            r#"{"databaseChangeLog": [{"include": {"file": "a.sql", "relativeToChangelogFile": true}}]}"#;
        assert_eq!(json_includes(json), [Include { path: "a.sql".into(), relative: true, all: false }]);
    }

    #[test]
    fn without_a_master_files_run_in_name_order() {
        let folder = folder_with(&[("b.sql", "--liquibase formatted sql\n"), ("a.sql", "")]);
        let ordered = ordered(Layout::Liquibase, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["a.sql", "b.sql"]);
    }
}
