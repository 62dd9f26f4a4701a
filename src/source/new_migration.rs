//! Writing corrective SQL as a new migration that the project's own tool runs next.
//!
//! `plan` picks the file names, folders and text a layout's tool expects (a Supabase or dbmate
//! timestamp, the next golang-migrate or Flyway version, a drizzle journal entry, a sqitch plan
//! line), such that the new migration sorts after every existing one; `write` creates the files
//! without ever replacing one and rewrites the index files (drizzle's journal, sqitch's plan)
//! atomically. This module does not decide what to fix and knows no SQL: it joins complete
//! statements and adds only dbmate's and drizzle's marker lines and sqitch's `BEGIN`/`COMMIT`.
//! It never edits or renames an existing migration.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::calendar::{civil_from_days, days_from_civil, days_in_month};

use super::folder::FolderListing;
use super::layouts::{self, DRIZZLE_JOURNAL, DrizzleJournal};
use super::order::{
    FlywayName, compare_digit_strings, compare_flyway_versions, natural_cmp, numbered_prefix,
    parse_flyway_name, parse_golang_migrate_name,
};
use super::{Layout, MigrationSet, SourceError, display_path};

/// What `neonlint fix` will write: new files, and the rewritten index files some layouts keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMigration {
    /// Files to create. None of them exists; `write` refuses to overwrite. The first is the
    /// migration the tool runs; golang-migrate's down file and sqitch's revert and verify
    /// scripts follow it.
    pub created: Vec<(PathBuf, String)>,
    /// Non-migration files the tool needs updated (drizzle's `meta/_journal.json`,
    /// `sqitch.plan`), with their full new text.
    pub updated: Vec<(PathBuf, String)>,
}

/// Why no new migration could be planned. Each message says what failed, where, and what to do.
#[derive(Debug)]
pub enum NewMigrationError {
    /// No statement to write (all were empty).
    NoStatements,
    /// A header line that is not an SQL comment; it would run as SQL.
    HeaderNotComment { line: String },
    /// A statement that does not end with `;`: it would run together with the next one.
    StatementWithoutSemicolon { number: usize, first_line: String },
    /// Reading the migrations folder, drizzle's journal or sqitch's plan failed.
    Source(SourceError),
    /// No name this module can write sorts after every existing migration in the tool's order.
    CannotRunLast {
        folder: PathBuf,
        layout: Layout,
        /// The name tried, relative to the folder.
        tried: String,
        /// A migration the tool would run after it; `None` when it would not run the file at all.
        runs_after_it: Option<String>,
    },
    /// `neonlint_fix`, `neonlint_fix_2`, … up to the limit are all taken.
    NoFreeName { folder: PathBuf },
}

impl fmt::Display for NewMigrationError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NewMigrationError::NoStatements => formatter.write_str(
                "there is no statement to write into a new migration, so no migration was planned",
            ),
            NewMigrationError::HeaderNotComment { line } => write!(
                formatter,
                "the migration header line `{line}` is not an SQL comment: every header line must start \
                 with `--`, or it would run as SQL"
            ),
            NewMigrationError::StatementWithoutSemicolon { number, first_line } => write!(
                formatter,
                "statement {number} (`{first_line}`) does not end with `;`: each statement must be complete, \
                 or it would run together with the next one"
            ),
            NewMigrationError::Source(error) => error.fmt(formatter),
            NewMigrationError::CannotRunLast { folder, layout, tried, runs_after_it } => {
                let tool = layout.tool_name();
                match runs_after_it {
                    Some(later) => write!(
                        formatter,
                        "cannot name a new migration that {tool} runs last in `{}`: `{tried}` would run before \
                         `{later}`; write the fix into a new migration by hand, named so that {tool} runs it \
                         after `{later}`",
                        display_path(folder)
                    ),
                    None => write!(
                        formatter,
                        "cannot name a new migration that {tool} runs last in `{}`: {tool} would not run \
                         `{tried}`; write the fix into a new migration by hand, named so that {tool} runs it \
                         last",
                        display_path(folder)
                    ),
                }
            }
            NewMigrationError::NoFreeName { folder } => write!(
                formatter,
                "every name from `{CHANGE_NAME}` to `{CHANGE_NAME}_{MAX_NAME_NUMBER}` is taken in `{}`: remove \
                 or rename old neonlint fix migrations that never ran, then try again",
                display_path(folder)
            ),
        }
    }
}

/// A `Source` error's message already includes its cause, so `source` returns `None`.
impl std::error::Error for NewMigrationError {}

impl From<SourceError> for NewMigrationError {
    fn from(error: SourceError) -> NewMigrationError {
        NewMigrationError::Source(error)
    }
}

/// Plans a new migration of `set`'s layout holding `statements`, to run after every existing
/// migration.
///
/// `statements`: each one complete SQL statement (ending in `;`), possibly preceded by its own
/// `--` comment lines. `header`: comment lines (each starting with `-- `) to put at the top of
/// the migration. `now`: the time to stamp, so tests are deterministic.
pub fn plan(
    set: &MigrationSet,
    header: &str,
    statements: &[String],
    now: SystemTime,
) -> Result<NewMigration, NewMigrationError> {
    let fix = FixText::new(header, statements)?;
    let clock = Clock::at(now);
    match set.layout {
        Layout::Supabase => plan_supabase(set, &fix, clock),
        Layout::Drizzle => plan_drizzle(set, &fix, clock),
        Layout::Prisma => plan_migration_folder(set, &fix, clock, Separator::BlankLine),
        Layout::GolangMigrate => plan_golang_migrate(set, &fix, clock),
        Layout::Dbmate => plan_dbmate(set, &fix, clock),
        Layout::Flyway => plan_flyway(set, &fix, clock),
        Layout::Sqitch => plan_sqitch(set, &fix, clock),
        Layout::Plain => plan_plain(set, &fix, clock, Separator::BlankLine),
    }
}

/// Creates the files (`create_new`: never replaces an existing file) and rewrites the index
/// files atomically (a temporary file beside, then a rename). If anything fails half way, what
/// was created is removed and rewritten index files get their old text back, so nothing the
/// user had changes.
pub fn write(plan: &NewMigration) -> io::Result<()> {
    // Refuse before touching anything; `create_new` still guards against a file appearing later.
    for (path, _) in &plan.created {
        if exists(path) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "`{}` already exists: neonlint never replaces a file, so nothing was written; plan the new \
                     migration again so that it picks a free name",
                    display_path(path)
                ),
            ));
        }
    }
    let mut created = CreatedSoFar::default();
    let result = create_files(&plan.created, &mut created).and_then(|()| replace_files(&plan.updated));
    if result.is_err() {
        created.remove();
    }
    result
}

/// The name every layout gives the new migration, before a number that makes it unique.
const CHANGE_NAME: &str = "neonlint_fix";

/// How many names (`neonlint_fix`, `neonlint_fix_2`, …) are tried before giving up.
const MAX_NAME_NUMBER: usize = 1000;

/// The line drizzle-kit puts between statements; its migrator runs each chunk on its own.
const DRIZZLE_BREAKPOINT: &str = "--> statement-breakpoint";

/// The journal's `version` when no entry has one: drizzle-kit's current journal format.
const DEFAULT_DRIZZLE_JOURNAL_VERSION: &str = "\"7\"";

/// The header and statements, checked and trimmed.
struct FixText<'text> {
    header: Vec<&'text str>,
    statements: Vec<&'text str>,
}

/// What goes between two statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Separator {
    BlankLine,
    /// drizzle-kit's `--> statement-breakpoint` line: one statement per chunk.
    DrizzleBreakpoint,
}

impl<'text> FixText<'text> {
    fn new(header: &'text str, statements: &'text [String]) -> Result<FixText<'text>, NewMigrationError> {
        let mut header_lines: Vec<&str> = header.lines().map(str::trim_end).collect();
        while header_lines.first().is_some_and(|line| line.is_empty()) {
            header_lines.remove(0);
        }
        while header_lines.last().is_some_and(|line| line.is_empty()) {
            header_lines.pop();
        }
        if let Some(line) =
            header_lines.iter().find(|line| !line.is_empty() && !line.trim_start().starts_with("--"))
        {
            return Err(NewMigrationError::HeaderNotComment { line: line.to_string() });
        }

        let mut kept = Vec::new();
        for (index, statement) in statements.iter().enumerate() {
            let statement = statement.trim();
            if statement.is_empty() {
                continue;
            }
            if !statement.ends_with(';') {
                let first_line = statement.lines().next().unwrap_or_default().to_string();
                return Err(NewMigrationError::StatementWithoutSemicolon { number: index + 1, first_line });
            }
            kept.push(statement);
        }
        if kept.is_empty() {
            return Err(NewMigrationError::NoStatements);
        }
        Ok(FixText { header: header_lines, statements: kept })
    }

    fn statements_joined(&self, separator: Separator) -> String {
        let glue = match separator {
            Separator::BlankLine => "\n\n".to_string(),
            Separator::DrizzleBreakpoint => format!("\n{DRIZZLE_BREAKPOINT}\n"),
        };
        self.statements.join(&glue)
    }

    /// A whole file: the header and `extra_header` lines, a blank line, then `body`, ending
    /// with one newline.
    fn file(&self, extra_header: &[String], body: &str) -> String {
        let mut lines: Vec<&str> = self.header.clone();
        lines.extend(extra_header.iter().map(String::as_str));
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(body.trim_end());
        text.push('\n');
        text
    }
}

/// The comment that fills a down, revert or verify script: the fix has no automatic reversal.
fn no_reversal_comment(what_does_nothing: &str, migration_name: &str) -> String {
    [
        format!("-- {what_does_nothing}."),
        "-- neonlint's Data API fixes have no automatic reversal. To undo them by hand, reverse each"
            .to_string(),
        format!("-- statement of `{migration_name}`: REVOKE what it grants, DROP POLICY what it creates,"),
        "-- DISABLE ROW LEVEL SECURITY where it enables it. That exposes again what neonlint reported,"
            .to_string(),
        "-- so do it only on purpose. This script is only comments: valid SQL that changes nothing."
            .to_string(),
    ]
    .join("\n")
}

fn plan_supabase(set: &MigrationSet, fix: &FixText, clock: Clock) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    let newest = highest_version(listing.sql_files.iter().filter_map(|name| numbered_prefix(name)));
    let version = next_utc_stamp(newest, clock);
    let change =
        free_change_name(&set.root, |change| exists(&set.root.join(format!("{version}_{change}.sql"))))?;
    let name = format!("{version}_{change}.sql");
    let text = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
    ensure_runs_last(set, listing, &[name.as_str()], None)?;
    Ok(NewMigration { created: vec![(set.root.join(name), text)], updated: Vec::new() })
}

fn plan_drizzle(set: &MigrationSet, fix: &FixText, clock: Clock) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    if listing.has_journal {
        return plan_drizzle_journal(set, fix, clock);
    }
    if !listing.migration_folders.is_empty() {
        return plan_migration_folder(set, fix, clock, Separator::DrizzleBreakpoint);
    }
    // Without journal or folders drizzle's order is unknown and `source` uses natural order.
    plan_plain(set, fix, clock, Separator::DrizzleBreakpoint)
}

/// Prisma's `<timestamp>_name/migration.sql`, also drizzle-kit's layout without a journal.
fn plan_migration_folder(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
    separator: Separator,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    let newest = highest_version(listing.migration_folders.iter().filter_map(|name| numbered_prefix(name)));
    let version = next_utc_stamp(newest, clock);
    let change = free_change_name(&set.root, |change| exists(&set.root.join(format!("{version}_{change}"))))?;
    let folder = format!("{version}_{change}");
    let text = fix.file(&[], &fix.statements_joined(separator));
    ensure_runs_last(set, listing, &[], Some(folder.as_str()))?;
    Ok(NewMigration {
        created: vec![(set.root.join(folder).join("migration.sql"), text)],
        updated: Vec::new(),
    })
}

fn plan_golang_migrate(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    // Down files count too: a version with only a down file is still taken.
    let versions = listing
        .sql_files
        .iter()
        .filter(|name| parse_golang_migrate_name(name).is_some())
        .filter_map(|name| numbered_prefix(name));
    let version = match highest_version(versions) {
        Some(highest) => next_version_like(highest, clock),
        // `migrate create` names files by UTC time unless told `-seq`.
        None => clock.utc().compact(),
    };
    let change = free_change_name(&set.root, |change| {
        exists(&set.root.join(format!("{version}_{change}.up.sql")))
            || exists(&set.root.join(format!("{version}_{change}.down.sql")))
    })?;
    let up_name = format!("{version}_{change}.up.sql");
    let down_name = format!("{version}_{change}.down.sql");
    let up_text = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
    let down_text =
        fix.file(&[], &no_reversal_comment("Migrating down through this version changes nothing", &up_name));
    ensure_runs_last(set, listing, &[up_name.as_str(), down_name.as_str()], None)?;
    Ok(NewMigration {
        created: vec![(set.root.join(up_name), up_text), (set.root.join(down_name), down_text)],
        updated: Vec::new(),
    })
}

fn plan_dbmate(set: &MigrationSet, fix: &FixText, clock: Clock) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    let newest = highest_version(listing.sql_files.iter().filter_map(|name| numbered_prefix(name)));
    let version = next_utc_stamp(newest, clock);
    let change =
        free_change_name(&set.root, |change| exists(&set.root.join(format!("{version}_{change}.sql"))))?;
    let name = format!("{version}_{change}.sql");
    // dbmate accepts comments before `-- migrate:up` and requires a `-- migrate:down` block.
    let body = format!(
        "-- migrate:up\n{}\n\n-- migrate:down\n{}",
        fix.statements_joined(Separator::BlankLine),
        no_reversal_comment("Migrating down through this version changes nothing", &name)
    );
    let text = fix.file(&[], &body);
    ensure_runs_last(set, listing, &[name.as_str()], None)?;
    Ok(NewMigration { created: vec![(set.root.join(name), text)], updated: Vec::new() })
}

fn plan_flyway(set: &MigrationSet, fix: &FixText, clock: Clock) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    // Repeatable and undo migrations have no place in the version order.
    let highest = listing
        .sql_files
        .iter()
        .filter_map(|name| match parse_flyway_name(name) {
            Some(FlywayName::Versioned { version }) => Some(version),
            _ => None,
        })
        .max_by(|left, right| compare_flyway_versions(left, right));
    let version = match highest.as_ref().and_then(|parts| parts.first()) {
        Some(first_part) => next_version_like(first_part, clock),
        None => "1".to_string(),
    };
    let change =
        free_change_name(&set.root, |change| exists(&set.root.join(format!("V{version}__{change}.sql"))))?;
    let name = format!("V{version}__{change}.sql");
    let text = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
    ensure_runs_last(set, listing, &[name.as_str()], None)?;
    Ok(NewMigration { created: vec![(set.root.join(name), text)], updated: Vec::new() })
}

/// A plain folder, in natural name order: the next leading number, or, when the names do not
/// all start with one, a name that sorts after all of them.
fn plan_plain(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
    separator: Separator,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    let highest = highest_version(listing.sql_files.iter().filter_map(|name| leading_digits(name)));
    let version = match highest {
        Some(highest) => next_version_like(highest, clock),
        None => "1".to_string(),
    };
    let change =
        free_change_name(&set.root, |change| exists(&set.root.join(format!("{version}_{change}.sql"))))?;
    let numbered_name = format!("{version}_{change}.sql");
    let sorts_after_every_name =
        |candidate: &str| listing.sql_files.iter().all(|name| natural_cmp(name, candidate).is_lt());

    let mut extra_header = Vec::new();
    let name = if sorts_after_every_name(&numbered_name) {
        numbered_name
    } else {
        let last = listing.sql_files.iter().max_by(|left, right| natural_cmp(left, right));
        let prefix =
            "z".repeat(last.map_or(0, |name| name.bytes().take_while(|byte| *byte == b'z').count()) + 1);
        let change =
            free_change_name(&set.root, |change| exists(&set.root.join(format!("{prefix}_{change}.sql"))))?;
        let name = format!("{prefix}_{change}.sql");
        extra_header.push(format!(
            "-- Named `{name}` so that it sorts after every other file of this folder in natural name order:"
        ));
        extra_header.push("-- not every file here starts with a number to continue.".to_string());
        name
    };
    let text = fix.file(&extra_header, &fix.statements_joined(separator));
    ensure_runs_last(set, listing, &[name.as_str()], None)?;
    Ok(NewMigration { created: vec![(set.root.join(name), text)], updated: Vec::new() })
}

fn plan_sqitch(set: &MigrationSet, fix: &FixText, clock: Clock) -> Result<NewMigration, NewMigrationError> {
    let plan_path = set.root.join("sqitch.plan");
    if !plan_path.is_file() {
        return Err(SourceError::MissingSqitchPlan { path: set.root.clone() }.into());
    }
    let plan_text = fs::read_to_string(&plan_path)
        .map_err(|error| SourceError::Unreadable { path: plan_path.clone(), error })?;
    let planned = sqitch_change_names(&plan_text);
    let script = |folder: &str, change: &str| set.root.join(folder).join(format!("{change}.sql"));
    let change = free_change_name(&set.root, |change| {
        planned.contains(&change)
            || ["deploy", "revert", "verify"].iter().any(|folder| exists(&script(folder, change)))
    })?;

    // `sqitch add` wraps a PostgreSQL deploy script in a transaction.
    let deploy_body = format!("BEGIN;\n\n{}\n\nCOMMIT;", fix.statements_joined(Separator::BlankLine));
    let deploy_name = format!("deploy/{change}.sql");
    let revert_body = no_reversal_comment(&format!("Reverting `{change}` changes nothing"), &deploy_name);
    let verify_body = [
        format!("-- Verifying `{change}` checks nothing: neonlint writes no verify query for its fixes."),
        "-- Run neonlint again to confirm that the problems it reported are gone.".to_string(),
    ]
    .join("\n");

    let newline = if plan_text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut new_plan = plan_text.clone();
    if !new_plan.is_empty() && !new_plan.ends_with('\n') {
        new_plan.push_str(newline);
    }
    new_plan.push_str(&format!(
        "{change} {} neonlint <neonlint@localhost> # Data API fixes written by neonlint{newline}",
        clock.utc().iso()
    ));

    Ok(NewMigration {
        created: vec![
            (script("deploy", &change), fix.file(&[], &deploy_body)),
            (script("revert", &change), fix.file(&[], &revert_body)),
            (script("verify", &change), fix.file(&[], &verify_body)),
        ],
        updated: vec![(plan_path, new_plan)],
    })
}

/// The change names of a sqitch plan: the first word of each line that is no blank, comment
/// (`#`), pragma (`%`) or tag (`@`), without the `+`/`-` of a deploy or revert mark.
fn sqitch_change_names(plan: &str) -> Vec<&str> {
    plan.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with(['#', '%', '@']))
        .map(|line| line.trim_start_matches(['+', '-']).trim_start())
        .filter_map(|line| line.split(|character: char| character.is_whitespace() || character == '[').next())
        .filter(|name| !name.is_empty())
        .collect()
}

fn plan_drizzle_journal(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let journal_path = set.root.join(DRIZZLE_JOURNAL);
    let invalid = |error: String| SourceError::InvalidJournal { path: journal_path.clone(), error };
    let journal_text = fs::read_to_string(&journal_path)
        .map_err(|error| SourceError::Unreadable { path: journal_path.clone(), error })?;
    let journal: DrizzleJournal =
        serde_json::from_str(&journal_text).map_err(|error| invalid(error.to_string()))?;
    let entries = &journal.entries;

    let next_idx = entries
        .iter()
        .filter_map(|entry| entry.idx)
        .max()
        .map_or(entries.len() as u64, |highest| highest.saturating_add(1));
    // drizzle's migrator skips a migration whose `when` is not after the last applied one's.
    let latest_when = entries.iter().filter_map(|entry| entry.when.as_ref()?.as_u64()).max();
    let when = latest_when.map_or(clock.millis(), |latest| clock.millis().max(latest.saturating_add(1)));
    let last_entry = entries.last();
    let version = last_entry
        .and_then(|entry| entry.version.as_ref())
        .map_or(DEFAULT_DRIZZLE_JOURNAL_VERSION.to_string(), |version| version.to_string());

    // drizzle-kit's `prefix` setting: `index` (`0001_`), `timestamp`/`supabase` (14 digits),
    // `unix` (10 digits) or `none`; the newest tag tells which one the project uses.
    let tag_prefix = match last_entry.and_then(|entry| numbered_prefix(&entry.tag)) {
        None if last_entry.is_some() => String::new(),
        None => format!("{next_idx:04}_"),
        Some(last_prefix) => match VersionStyle::of(last_prefix) {
            VersionStyle::Counter { width } => format!("{next_idx:0width$}_"),
            _ => {
                let highest = highest_version(entries.iter().filter_map(|entry| numbered_prefix(&entry.tag)));
                format!("{}_", next_version_like(highest.unwrap_or(last_prefix), clock))
            }
        },
    };
    let change = free_change_name(&set.root, |change| {
        let tag = format!("{tag_prefix}{change}");
        entries.iter().any(|entry| entry.tag == tag) || exists(&set.root.join(format!("{tag}.sql")))
    })?;
    let tag = format!("{tag_prefix}{change}");

    let fields = [
        ("idx", next_idx.to_string()),
        ("version", version),
        ("when", when.to_string()),
        ("tag", format!("\"{tag}\"")),
        ("breakpoints", "true".to_string()),
    ];
    let new_journal = journal_with_entry(&journal_text, &fields)
        .ok_or_else(|| invalid("neonlint could not find its `entries` array in the text".to_string()))?;
    // The edit was made on text: read it back, so a journal drizzle cannot read is never written.
    let check: DrizzleJournal =
        serde_json::from_str(&new_journal).map_err(|error| invalid(error.to_string()))?;
    let added = check.entries.last().is_some_and(|entry| entry.tag == tag && entry.idx == Some(next_idx));
    if !added || check.entries.len() != entries.len() + 1 {
        return Err(invalid("neonlint could not add an entry to its `entries` array".to_string()).into());
    }

    let text = fix.file(&[], &fix.statements_joined(Separator::DrizzleBreakpoint));
    Ok(NewMigration {
        created: vec![(set.root.join(format!("{tag}.sql")), text)],
        updated: vec![(journal_path, new_journal)],
    })
}

/// The journal text with one more entry at the end of `entries`, written in the style of the
/// last entry (indentation, line breaks, space after `:`), every other byte unchanged.
/// `fields` are keys with their JSON text. `None` when the array cannot be found.
fn journal_with_entry(text: &str, fields: &[(&str, String)]) -> Option<String> {
    let array = find_entries_array(text)?;
    let style = match array.elements.last() {
        Some(&(start, end)) => EntryStyle::of_entry(text, start, end)
            .unwrap_or_else(|| EntryStyle::default_for(text, array.key_start)),
        None => EntryStyle::default_for(text, array.key_start),
    };
    let mut entry = String::from("{");
    for (index, (key, value)) in fields.iter().enumerate() {
        if index > 0 {
            entry.push(',');
        }
        entry.push_str(&style.before_key);
        entry.push_str(&format!("\"{key}\"{}{value}", style.colon));
    }
    entry.push_str(&style.before_close);
    entry.push('}');

    let (before, after) = match array.elements.last() {
        Some(&(_, end)) => (text.get(..end)?, text.get(end..)?),
        None => (text.get(..array.open + 1)?, text.get(array.close..)?),
    };
    let mut new_text = String::with_capacity(text.len() + entry.len() + 64);
    new_text.push_str(before);
    if !array.elements.is_empty() {
        new_text.push(',');
    }
    new_text.push_str(&style.before_entry);
    new_text.push_str(&entry);
    if array.elements.is_empty() {
        new_text.push_str(&style.before_array_close);
    }
    new_text.push_str(after);
    Some(new_text)
}

/// Where the `entries` array of the journal's top-level object is, as byte offsets.
struct EntriesArray {
    /// The `"` starting the `entries` key.
    key_start: usize,
    /// The `[` and the `]` of the array.
    open: usize,
    close: usize,
    /// Each element's first byte and the byte after its last.
    elements: Vec<(usize, usize)>,
}

/// The white space a journal puts around an entry and its keys.
struct EntryStyle {
    /// Between the `,` (or `[`) and the entry's `{`.
    before_entry: String,
    /// Between `{` or `,` and a key.
    before_key: String,
    /// From a key's closing quote to its value: `": "` as drizzle writes it.
    colon: String,
    /// Between the last value and `}`.
    before_close: String,
    /// Between the only entry and `]`, when the array was empty.
    before_array_close: String,
}

impl EntryStyle {
    /// The style of the entry at `start..end`; `None` if it is not an object with a key.
    fn of_entry(text: &str, start: usize, end: usize) -> Option<EntryStyle> {
        let entry = text.get(start..end)?;
        let mut cursor = JsonCursor { bytes: entry.as_bytes(), position: 0 };
        cursor.expect(b'{')?;
        cursor.skip_whitespace();
        let before_key = entry.get(1..cursor.position)?.to_string();
        cursor.string()?;
        let key_end = cursor.position;
        cursor.skip_whitespace();
        cursor.expect(b':')?;
        cursor.skip_whitespace();
        let colon = entry.get(key_end..cursor.position)?.to_string();
        let body = entry.strip_suffix('}')?;
        let before_close = body.get(body.trim_end().len()..)?.to_string();
        let before_entry = text.get(..start)?;
        let before_entry = before_entry.get(before_entry.trim_end().len()..)?.to_string();
        Some(EntryStyle { before_entry, before_key, colon, before_close, before_array_close: String::new() })
    }

    /// drizzle-kit's style (two spaces per level), indented from the `entries` key's line; on
    /// one line when the whole journal is on one line.
    fn default_for(text: &str, key_start: usize) -> EntryStyle {
        if !text.contains('\n') {
            return EntryStyle {
                before_entry: String::new(),
                before_key: String::new(),
                colon: ":".to_string(),
                before_close: String::new(),
                before_array_close: String::new(),
            };
        }
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let before_key_on_line = text.get(..key_start).unwrap_or_default();
        let line = before_key_on_line.rsplit('\n').next().unwrap_or_default();
        let indent: String =
            line.chars().take_while(|character| *character == ' ' || *character == '\t').collect();
        EntryStyle {
            before_entry: format!("{newline}{indent}  "),
            before_key: format!("{newline}{indent}    "),
            colon: ": ".to_string(),
            before_close: format!("{newline}{indent}  "),
            before_array_close: format!("{newline}{indent}"),
        }
    }
}

/// Finds the top-level `entries` array. The text must already be valid JSON (serde_json read
/// it), which also bounds the nesting this walks through.
fn find_entries_array(text: &str) -> Option<EntriesArray> {
    let mut cursor = JsonCursor { bytes: text.as_bytes(), position: 0 };
    cursor.skip_whitespace();
    cursor.expect(b'{')?;
    loop {
        cursor.skip_whitespace();
        let key_start = cursor.position;
        let (name_start, name_end) = cursor.string()?;
        cursor.skip_whitespace();
        cursor.expect(b':')?;
        cursor.skip_whitespace();
        if text.get(name_start..name_end) == Some("entries") {
            return cursor.array_elements(key_start);
        }
        cursor.value()?;
        cursor.skip_whitespace();
        cursor.expect(b',')?;
    }
}

/// A position in JSON text, moved token by token.
struct JsonCursor<'text> {
    bytes: &'text [u8],
    position: usize,
}

impl JsonCursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.position += 1)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.position += 1;
        }
    }

    /// Moves past a string; returns the range between its quotes.
    fn string(&mut self) -> Option<(usize, usize)> {
        self.expect(b'"')?;
        let start = self.position;
        loop {
            match self.peek()? {
                b'\\' => self.position += 2,
                b'"' => {
                    let end = self.position;
                    self.position += 1;
                    return Some((start, end));
                }
                _ => self.position += 1,
            }
        }
    }

    /// Moves past any value.
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => self.container(),
            _ => {
                let start = self.position;
                while self.peek().is_some_and(|byte| !b",}] \t\n\r".contains(&byte)) {
                    self.position += 1;
                }
                (self.position > start).then_some(())
            }
        }
    }

    fn container(&mut self) -> Option<()> {
        let close = if self.peek()? == b'{' { b'}' } else { b']' };
        self.position += 1;
        self.skip_whitespace();
        if self.expect(close).is_some() {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            if close == b'}' {
                self.string()?;
                self.skip_whitespace();
                self.expect(b':')?;
                self.skip_whitespace();
            }
            self.value()?;
            self.skip_whitespace();
            if self.expect(close).is_some() {
                return Some(());
            }
            self.expect(b',')?;
        }
    }

    fn array_elements(&mut self, key_start: usize) -> Option<EntriesArray> {
        let open = self.position;
        self.expect(b'[')?;
        let mut elements = Vec::new();
        self.skip_whitespace();
        if self.peek()? == b']' {
            return Some(EntriesArray { key_start, open, close: self.position, elements });
        }
        loop {
            self.skip_whitespace();
            let start = self.position;
            self.value()?;
            elements.push((start, self.position));
            self.skip_whitespace();
            if self.peek()? == b']' {
                return Some(EntriesArray { key_start, open, close: self.position, elements });
            }
            self.expect(b',')?;
        }
    }
}

/// Checks, with the layout's own ordering, that the new migration runs after every other:
/// the folder's listing plus the new names goes through `layouts::order_files`. Flyway runs
/// repeatable `R__` migrations after every versioned one, so only those may follow it there.
fn ensure_runs_last(
    set: &MigrationSet,
    mut listing: FolderListing,
    new_files: &[&str],
    new_folder: Option<&str>,
) -> Result<(), NewMigrationError> {
    listing.sql_files.extend(new_files.iter().map(|name| name.to_string()));
    listing.sql_files.sort();
    let new_migration = match new_folder {
        Some(folder) => {
            listing.migration_folders.push(folder.to_string());
            listing.migration_folders.sort();
            listing.numbered_folders_without_migration.retain(|other| other != folder);
            set.root.join(folder).join("migration.sql")
        }
        None => set.root.join(new_files.first().copied().unwrap_or_default()),
    };
    let ordered = layouts::order_files(set.layout, &listing)?;
    let relative = |path: &Path| {
        let relative = path.strip_prefix(&set.root).unwrap_or(path);
        relative.to_string_lossy().replace('\\', "/")
    };
    let position = ordered.files.iter().position(|path| *path == new_migration);
    let runs_after_it = match position {
        None => None,
        Some(position) => {
            let may_follow = |path: &&PathBuf| {
                set.layout == Layout::Flyway
                    && path.file_name().and_then(|name| name.to_str()).is_some_and(|name| {
                        matches!(parse_flyway_name(name), Some(FlywayName::Repeatable { .. }))
                    })
            };
            match ordered.files[position + 1..].iter().find(|path| !may_follow(path)) {
                None => return Ok(()),
                Some(later) => Some(relative(later)),
            }
        }
    };
    Err(NewMigrationError::CannotRunLast {
        folder: set.root.clone(),
        layout: set.layout,
        tried: relative(&new_migration),
        runs_after_it,
    })
}

/// The first of `neonlint_fix`, `neonlint_fix_2`, `neonlint_fix_3`, … that `is_taken` refuses.
fn free_change_name(folder: &Path, is_taken: impl Fn(&str) -> bool) -> Result<String, NewMigrationError> {
    (1..=MAX_NAME_NUMBER)
        .map(|number| if number == 1 { CHANGE_NAME.to_string() } else { format!("{CHANGE_NAME}_{number}") })
        .find(|name| !is_taken(name))
        .ok_or_else(|| NewMigrationError::NoFreeName { folder: folder.to_path_buf() })
}

/// Whether anything is at `path`, a broken link included.
fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// The leading run of ASCII digits of a name, if any.
fn leading_digits(name: &str) -> Option<&str> {
    let end = name.bytes().position(|byte| !byte.is_ascii_digit()).unwrap_or(name.len());
    name.get(..end).filter(|digits| !digits.is_empty())
}

/// The highest of some digit strings, compared as numbers.
fn highest_version<'name>(versions: impl IntoIterator<Item = &'name str>) -> Option<&'name str> {
    versions.into_iter().max_by(|left, right| compare_digit_strings(left, right))
}

/// `now` as a 14-digit UTC stamp (`YYYYMMDDHHMMSS`), unless `newest` is not below it (clock
/// skew, files dated in the future): then the version right after `newest`, one second later
/// for a stamp.
fn next_utc_stamp(newest: Option<&str>, clock: Clock) -> String {
    let stamp = clock.utc().compact();
    match newest {
        Some(newest) if compare_digit_strings(newest, &stamp).is_ge() => {
            VersionStyle::of(newest).successor(newest)
        }
        _ => stamp,
    }
}

/// The version after `newest`, written like it: `now` in the same timestamp format if that is
/// later, else `newest` plus one (second, minute or unit), keeping its zero padding.
fn next_version_like(newest: &str, clock: Clock) -> String {
    let style = VersionStyle::of(newest);
    match style.stamp(clock) {
        Some(stamp) if compare_digit_strings(&stamp, newest).is_gt() => stamp,
        _ => style.successor(newest),
    }
}

/// How a project writes its version numbers, judged from one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VersionStyle {
    /// `YYYYMMDDHHMMSS` in UTC: Supabase, dbmate, Prisma, `migrate create`, drizzle's
    /// `timestamp` prefix.
    UtcSeconds,
    /// `YYYYMMDDHHMM` in UTC.
    UtcMinutes,
    /// Unix time in units of `1 / per_second` seconds: 10 digits for seconds (`migrate create
    /// -format unix`, drizzle's `unix` prefix), 13 for milliseconds, 16 and 19 for micro- and
    /// nanoseconds.
    Unix { per_second: u128 },
    /// A counter, zero-padded to `width` digits.
    Counter { width: usize },
}

impl VersionStyle {
    fn of(version: &str) -> VersionStyle {
        let width = version.len();
        if width == 14 && UtcTime::parse_compact(version).is_some() {
            return VersionStyle::UtcSeconds;
        }
        if width == 12 && UtcTime::parse_compact(&format!("{version}00")).is_some() {
            return VersionStyle::UtcMinutes;
        }
        let per_second = match width {
            10 => 1,
            13 => 1_000,
            16 => 1_000_000,
            19 => 1_000_000_000,
            _ => return VersionStyle::Counter { width },
        };
        // A Unix time from this century; anything else of that width is a counter.
        const YEAR_2000: u128 = 946_684_800;
        const YEAR_2100: u128 = 4_102_444_800;
        let seconds = version
            .parse::<u128>()
            .ok()
            .filter(|_| !version.starts_with('0'))
            .map(|value| value / per_second);
        match seconds {
            Some(seconds) if (YEAR_2000..YEAR_2100).contains(&seconds) => VersionStyle::Unix { per_second },
            _ => VersionStyle::Counter { width },
        }
    }

    /// `now` in this style; `None` for a counter.
    fn stamp(self, clock: Clock) -> Option<String> {
        match self {
            VersionStyle::UtcSeconds => Some(clock.utc().compact()),
            VersionStyle::UtcMinutes => clock.utc().compact().get(..12).map(str::to_string),
            VersionStyle::Unix { per_second } => {
                Some((clock.since_epoch.as_nanos() / (1_000_000_000 / per_second)).to_string())
            }
            VersionStyle::Counter { .. } => None,
        }
    }

    /// The version right after `version` in this style.
    fn successor(self, version: &str) -> String {
        let later_time = |step: i64, digits: usize| {
            let stamp = if digits == 12 { format!("{version}00") } else { version.to_string() };
            let time = UtcTime::parse_compact(&stamp)?;
            let later = UtcTime::from_unix_seconds(time.unix_seconds() + step).compact();
            later.get(..digits).map(str::to_string)
        };
        let successor = match self {
            VersionStyle::UtcSeconds => later_time(1, 14),
            VersionStyle::UtcMinutes => later_time(60, 12),
            VersionStyle::Unix { .. } | VersionStyle::Counter { .. } => None,
        };
        successor.unwrap_or_else(|| increment_digits(version))
    }
}

/// A digit string plus one, keeping its width unless it is all nines: `0099` → `0100`,
/// `999` → `1000`.
fn increment_digits(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for byte in bytes.iter_mut().rev() {
        if *byte == b'9' {
            *byte = b'0';
        } else {
            *byte += 1;
            return bytes.iter().map(|&byte| char::from(byte)).collect();
        }
    }
    std::iter::once('1').chain(bytes.iter().map(|&byte| char::from(byte))).collect()
}

/// The time to stamp, from the caller.
#[derive(Clone, Copy, Debug)]
struct Clock {
    since_epoch: Duration,
}

impl Clock {
    /// A clock set before 1970 counts as 1970; the versions still sort after the newest.
    fn at(now: SystemTime) -> Clock {
        Clock { since_epoch: now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO) }
    }

    fn utc(self) -> UtcTime {
        UtcTime::from_unix_seconds(i64::try_from(self.since_epoch.as_secs()).unwrap_or(i64::MAX))
    }

    fn millis(self) -> u64 {
        u64::try_from(self.since_epoch.as_millis()).unwrap_or(u64::MAX)
    }
}

/// A moment of the proleptic Gregorian calendar in UTC, to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct UtcTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

const SECONDS_PER_DAY: i64 = 86_400;

impl UtcTime {
    fn from_unix_seconds(seconds: i64) -> UtcTime {
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        // `second_of_day` is below 86 400, so each part fits.
        let part = |value: i64| u32::try_from(value).unwrap_or(0);
        UtcTime {
            year,
            month,
            day,
            hour: part(second_of_day / 3_600),
            minute: part(second_of_day / 60 % 60),
            second: part(second_of_day % 60),
        }
    }

    fn unix_seconds(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * SECONDS_PER_DAY
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// Reads `YYYYMMDDHHMMSS`; `None` unless it is 14 digits naming a real moment.
    fn parse_compact(digits: &str) -> Option<UtcTime> {
        if digits.len() != 14 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let number = |range: std::ops::Range<usize>| digits.get(range)?.parse::<u32>().ok();
        let time = UtcTime {
            year: i64::from(number(0..4)?),
            month: number(4..6)?,
            day: number(6..8)?,
            hour: number(8..10)?,
            minute: number(10..12)?,
            second: number(12..14)?,
        };
        let valid = (1..=12).contains(&time.month)
            && (1..=days_in_month(time.year, time.month)).contains(&time.day)
            && time.hour < 24
            && time.minute < 60
            && time.second < 60;
        valid.then_some(time)
    }

    /// `YYYYMMDDHHMMSS`.
    fn compact(self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// ISO 8601 with a `Z`, as sqitch writes plan lines: `2026-11-27T04:40:00Z`.
    fn iso(self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// What `write` made so far, to remove if a later step fails.
#[derive(Default)]
struct CreatedSoFar {
    files: Vec<PathBuf>,
    folders: Vec<PathBuf>,
}

impl CreatedSoFar {
    /// Removes the files, then the folders (only if empty), newest first. Failures are
    /// ignored: this runs after an error that is already being returned.
    fn remove(&self) {
        for file in self.files.iter().rev() {
            let _ = fs::remove_file(file);
        }
        for folder in self.folders.iter().rev() {
            let _ = fs::remove_dir(folder);
        }
    }
}

fn create_files(files: &[(PathBuf, String)], created: &mut CreatedSoFar) -> io::Result<()> {
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            create_folders(parent, created)?;
        }
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|error| with_context(error, "create", path))?;
        created.files.push(path.clone());
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|error| with_context(error, "write", path))?;
    }
    Ok(())
}

/// Creates `folder` and its missing parents, remembering each one made.
fn create_folders(folder: &Path, created: &mut CreatedSoFar) -> io::Result<()> {
    let missing: Vec<&Path> = folder
        .ancestors()
        .take_while(|ancestor| !ancestor.as_os_str().is_empty() && !exists(ancestor))
        .collect();
    for folder in missing.into_iter().rev() {
        match fs::create_dir(folder) {
            Ok(()) => created.folders.push(folder.to_path_buf()),
            // Made meanwhile by someone else: it is not ours to remove.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && folder.is_dir() => {}
            Err(error) => return Err(with_context(error, "create the folder", folder)),
        }
    }
    Ok(())
}

/// One index file on its way to being replaced.
struct StagedReplacement {
    /// The real file (a link is followed, so the link stays a link).
    target: PathBuf,
    /// The new text, written beside the target.
    temporary: PathBuf,
    /// The target's bytes before, to put back if a later replacement fails.
    original: Option<Vec<u8>>,
}

/// Writes every new text to a temporary file first, then renames them over their targets, so a
/// failure before the renames changes nothing and one during them is undone.
fn replace_files(files: &[(PathBuf, String)]) -> io::Result<()> {
    let mut staged = Vec::new();
    for (path, text) in files {
        match stage_replacement(path, text.as_bytes()) {
            Ok(replacement) => staged.push(replacement),
            Err(error) => {
                for replacement in &staged {
                    let _ = fs::remove_file(&replacement.temporary);
                }
                return Err(error);
            }
        }
    }
    for (index, replacement) in staged.iter().enumerate() {
        if let Err(error) = fs::rename(&replacement.temporary, &replacement.target) {
            for later in &staged[index..] {
                let _ = fs::remove_file(&later.temporary);
            }
            for earlier in staged[..index].iter().rev() {
                restore(earlier);
            }
            return Err(with_context(error, "replace", &replacement.target));
        }
    }
    Ok(())
}

fn stage_replacement(path: &Path, text: &[u8]) -> io::Result<StagedReplacement> {
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let original = match fs::read(&target) {
        Ok(bytes) => Some(bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(with_context(error, "read", &target)),
    };
    let temporary = write_beside(&target, text)?;
    if let Ok(metadata) = fs::metadata(&target) {
        // The rewritten file keeps the old one's permissions.
        if let Err(error) = fs::set_permissions(&temporary, metadata.permissions()) {
            let _ = fs::remove_file(&temporary);
            return Err(with_context(error, "copy the permissions of", &target));
        }
    }
    Ok(StagedReplacement { target, temporary, original })
}

/// Writes `text` to a new hidden file in `target`'s folder and returns its path.
fn write_beside(target: &Path, text: &[u8]) -> io::Result<PathBuf> {
    let folder = target.parent().unwrap_or(Path::new("."));
    let file_name = target.file_name().map(|name| name.to_string_lossy()).unwrap_or_default();
    let mut last_error = None;
    for attempt in 0..100 {
        let temporary = folder.join(format!(".{file_name}.neonlint-{}-{attempt}.tmp", std::process::id()));
        let mut file = match fs::OpenOptions::new().write(true).create_new(true).open(&temporary) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                last_error = Some(error);
                continue;
            }
            Err(error) => return Err(with_context(error, "create a temporary file beside", target)),
        };
        if let Err(error) = file.write_all(text).and_then(|()| file.sync_all()) {
            let _ = fs::remove_file(&temporary);
            return Err(with_context(error, "write a temporary file beside", target));
        }
        return Ok(temporary);
    }
    let error = last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists));
    Err(with_context(error, "create a temporary file beside", target))
}

/// Puts a replaced file's old bytes back, the same atomic way. Best effort: it runs only while
/// another error is being returned.
fn restore(replacement: &StagedReplacement) {
    match &replacement.original {
        Some(bytes) => {
            if let Ok(temporary) = write_beside(&replacement.target, bytes) {
                if fs::rename(&temporary, &replacement.target).is_err() {
                    let _ = fs::remove_file(&temporary);
                }
            }
        }
        None => {
            let _ = fs::remove_file(&replacement.target);
        }
    }
}

/// An I/O error whose message says what failed, on which path, and that nothing changed.
fn with_context(error: io::Error, action: &str, path: &Path) -> io::Error {
    let folder = path.parent().map(display_path).unwrap_or_else(|| ".".to_string());
    io::Error::new(
        error.kind(),
        format!(
            "cannot {action} `{}`: {error}; nothing was changed: check that you may write to `{folder}`",
            display_path(path)
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::source::test_support::folder_with;
    use crate::source::{discover, up_part};

    /// 2026-11-27T04:40:00Z.
    const NOW_SECONDS: u64 = 1_795_754_400;

    const HEADER: &str = "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`";

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW_SECONDS)
    }

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn statements() -> Vec<String> {
        vec![
            "ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;".to_string(),
            "-- NL006: grant what the policy already restricts\nGRANT SELECT ON public.todos TO authenticated;"
                .to_string(),
        ]
    }

    /// The header and the two statements joined by blank lines, as most layouts write them.
    const PLAIN_TEXT: &str = "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\n\
                              ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n\n\
                              -- NL006: grant what the policy already restricts\n\
                              GRANT SELECT ON public.todos TO authenticated;\n";

    const DRIZZLE_TEXT: &str = "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\n\
                                ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n\
                                --> statement-breakpoint\n\
                                -- NL006: grant what the policy already restricts\n\
                                GRANT SELECT ON public.todos TO authenticated;\n";

    /// A copy of `fixtures/layouts/<name>` in a temporary folder.
    fn copy_fixture(name: &str) -> tempfile::TempDir {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/layouts").join(name);
        let copy = tempfile::tempdir().expect("temp dir");
        for entry in walkdir::WalkDir::new(&source) {
            let entry = entry.expect("fixture entry");
            let relative = entry.path().strip_prefix(&source).expect("inside the fixture");
            let destination = copy.path().join(relative);
            if entry.file_type().is_dir() {
                fs::create_dir_all(&destination).expect("create folder");
            } else {
                fs::copy(entry.path(), &destination).expect("copy file");
            }
        }
        copy
    }

    fn canonical(path: &Path) -> PathBuf {
        fs::canonicalize(path).expect("canonical path")
    }

    fn discover_set(project: &Path) -> MigrationSet {
        match discover(project, None) {
            Ok(selection) => selection.set,
            Err(error) => panic!("discover({}) failed: {error}", project.display()),
        }
    }

    fn plan_at(set: &MigrationSet, now: SystemTime) -> NewMigration {
        match plan(set, HEADER, &statements(), now) {
            Ok(plan) => plan,
            Err(error) => panic!("plan failed: {error}"),
        }
    }

    /// Every file below `root` with its bytes.
    fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        walkdir::WalkDir::new(canonical(root))
            .into_iter()
            .map(|entry| entry.expect("entry"))
            .filter(|entry| entry.file_type().is_file())
            .map(|entry| (entry.path().to_path_buf(), fs::read(entry.path()).expect("read")))
            .collect()
    }

    /// The plan's created and updated paths below the set's root, with `/`.
    fn relative_paths(set: &MigrationSet, plan: &NewMigration) -> (Vec<String>, Vec<String>) {
        let relative = |files: &[(PathBuf, String)]| {
            files
                .iter()
                .map(|(path, _)| {
                    path.strip_prefix(&set.root).expect("inside the root").to_string_lossy().into_owned()
                })
                .collect()
        };
        (relative(&plan.created), relative(&plan.updated))
    }

    fn created_text(plan: &NewMigration, index: usize) -> &str {
        plan.created.get(index).map(|(_, text)| text.as_str()).expect("created file")
    }

    /// Writes `plan` into `project` and checks what must hold for every layout: existing files
    /// are unchanged but for the index files the plan rewrites, the only new files are the
    /// planned ones, and `discover` finds the new migration after every other, holding every
    /// statement in the part that runs. `may_follow` names the files (relative to the root)
    /// allowed after it: Flyway's repeatable migrations. Returns the set found afterwards.
    fn write_and_check(project: &Path, plan: &NewMigration, may_follow: &[&str]) -> MigrationSet {
        let set_before = discover_set(project);
        let before = snapshot(project);
        if let Err(error) = write(plan) {
            panic!("write failed: {error}");
        }
        let after = snapshot(project);
        for (path, bytes) in &before {
            match plan.updated.iter().find(|(updated, _)| updated == path) {
                Some((_, text)) => assert_eq!(after.get(path), Some(&text.as_bytes().to_vec()), "{path:?}"),
                None => assert_eq!(after.get(path), Some(bytes), "{path:?} changed"),
            }
        }
        let mut new_files: Vec<&PathBuf> = after.keys().filter(|path| !before.contains_key(*path)).collect();
        new_files.sort();
        let mut planned: Vec<&PathBuf> = plan.created.iter().map(|(path, _)| path).collect();
        planned.sort();
        assert_eq!(new_files, planned);
        for (path, text) in &plan.created {
            assert_eq!(fs::read_to_string(path).expect("created file"), *text);
        }

        let set = discover_set(project);
        assert_eq!(set.layout, set_before.layout);
        let migration = &plan.created[0].0;
        let mut files: Vec<&PathBuf> = set.files.iter().map(|file| &file.path).collect();
        let following: Vec<String> = files
            .iter()
            .skip_while(|path| **path != migration)
            .skip(1)
            .map(|path| path.strip_prefix(&set.root).expect("inside the root").to_string_lossy().into_owned())
            .collect();
        assert!(files.contains(&migration), "{migration:?} is not run: {files:?}");
        assert_eq!(following, may_follow);
        files.retain(|path| *path != migration);
        let files_before: Vec<&PathBuf> = set_before.files.iter().map(|file| &file.path).collect();
        assert_eq!(files, files_before, "the existing order changed");

        let text = fs::read_to_string(migration).expect("new migration");
        let running = up_part(set.layout, &text);
        for statement in statements() {
            assert!(running.contains(&statement), "{statement} missing from {running}");
        }
        set
    }

    #[test]
    fn utc_conversion_of_known_moments() {
        let cases: [(i64, &str); 9] = [
            (0, "1970-01-01T00:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_709_210_096, "2024-02-29T12:34:56Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
            (-2_203_977_600, "1900-02-28T00:00:00Z"),
            (2_147_483_648, "2038-01-19T03:14:08Z"),
            (-11_670_912_000, "1600-03-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ];
        for (seconds, iso) in cases {
            let time = UtcTime::from_unix_seconds(seconds);
            assert_eq!(time.iso(), iso, "{seconds}");
            assert_eq!(time.unix_seconds(), seconds, "{iso}");
        }
        assert_eq!(UtcTime::from_unix_seconds(NOW_SECONDS as i64).compact(), "20261127044000");
        // 2100 is no leap year: the day after 28 February is 1 March.
        assert_eq!(UtcTime::from_unix_seconds(4_107_542_400 - 86_400).iso(), "2100-02-28T00:00:00Z");
    }

    #[test]
    fn compact_stamps_must_name_a_real_moment() {
        assert!(UtcTime::parse_compact("20240229235959").is_some());
        assert!(UtcTime::parse_compact("20000229000000").is_some());
        assert!(UtcTime::parse_compact("20230229000000").is_none());
        assert!(UtcTime::parse_compact("19000229000000").is_none());
        assert!(UtcTime::parse_compact("20241301000000").is_none());
        assert!(UtcTime::parse_compact("20240101240000").is_none());
        assert!(UtcTime::parse_compact("2024010100000").is_none());
        assert!(UtcTime::parse_compact("2024010100000a").is_none());
    }

    #[test]
    fn versions_continue_in_their_own_style() {
        let clock = Clock::at(now());
        let next = |newest: &str| next_version_like(newest, clock);
        assert_eq!(next("7"), "8");
        assert_eq!(next("000007"), "000008");
        assert_eq!(next("0099"), "0100");
        assert_eq!(next("999"), "1000");
        assert_eq!(next("20240101000000"), "20261127044000");
        assert_eq!(next("202401010000"), "202611270440");
        assert_eq!(next("1704067200"), "1795754400");
        assert_eq!(next("1704067200000"), "1795754400000");
        // Later than now: one step after the newest, in its format.
        assert_eq!(next("20291231235959"), "20300101000000");
        assert_eq!(next("202912312359"), "203001010000");
        assert_eq!(next("1900000000"), "1900000001");
        // Ten digits that are no Unix time of this century: a counter.
        assert_eq!(next("0000000042"), "0000000043");
        assert_eq!(next("9999999999"), "10000000000");
        assert_eq!(next_utc_stamp(None, clock), "20261127044000");
        assert_eq!(next_utc_stamp(Some("20261127044000"), clock), "20261127044001");
        assert_eq!(next_utc_stamp(Some("20261127043959"), clock), "20261127044000");
        assert_eq!(next_utc_stamp(Some("002"), clock), "20261127044000");
    }

    #[test]
    fn supabase_gets_a_utc_stamp() {
        let project = copy_fixture("supabase");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["20261127044000_neonlint_fix.sql".to_string()], vec![])
        );
        assert_eq!(set.root, canonical(&project.path().join("supabase/migrations")));
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn supabase_files_dated_in_the_future_get_the_newest_plus_one_second() {
        let project = folder_with(&[
            ("supabase/migrations/20240101000000_init.sql", ""),
            ("supabase/migrations/20261231235959_from_a_fast_clock.sql", ""),
        ]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["20270101000000_neonlint_fix.sql"]);
        write_and_check(project.path(), &plan, &[]);

        // A second fix in the same second comes after the first.
        let set = discover_set(project.path());
        let second = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &second).0, ["20270101000001_neonlint_fix.sql"]);
    }

    #[test]
    fn supabase_names_that_cannot_be_followed_are_an_error() {
        // Supabase sorts names as strings: nothing this module writes sorts after `9_b.sql`.
        let project =
            folder_with(&[("supabase/migrations/10_a.sql", ""), ("supabase/migrations/9_b.sql", "")]);
        let set = discover_set(project.path());
        let error = plan(&set, HEADER, &statements(), now()).expect_err("no name runs last");
        assert_eq!(
            error.to_string(),
            format!(
                "cannot name a new migration that Supabase runs last in `{}`: `20261127044000_neonlint_fix.sql` \
                 would run before `9_b.sql`; write the fix into a new migration by hand, named so that Supabase \
                 runs it after `9_b.sql`",
                display_path(&set.root)
            )
        );
    }

    #[test]
    fn drizzle_gets_the_next_index_and_a_journal_entry() {
        let project = copy_fixture("drizzle");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["0002_neonlint_fix.sql".to_string()], vec!["meta/_journal.json".to_string()])
        );
        assert_eq!(created_text(&plan, 0), DRIZZLE_TEXT);
        let journal = &plan.updated[0].1;
        let expected_journal = r#"{
  "version": "7",
  "dialect": "postgresql",
  "entries": [
    {
      "idx": 0,
      "version": "7",
      "when": 1704067200000,
      "tag": "0000_init",
      "breakpoints": true
    },
    {
      "idx": 1,
      "version": "7",
      "when": 1704153600000,
      "tag": "0001_enable_rls",
      "breakpoints": true
    },
    {
      "idx": 2,
      "version": "7",
      "when": 1795754400000,
      "tag": "0002_neonlint_fix",
      "breakpoints": true
    }
  ]
}
"#;
        assert_eq!(journal, expected_journal);
        write_and_check(project.path(), &plan, &[]);

        let written: serde_json::Value =
            serde_json::from_slice(&fs::read(&plan.updated[0].0).expect("journal")).expect("journal parses");
        let entries = written["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2]["tag"], "0002_neonlint_fix");
        assert_eq!(entries[2]["idx"], 2);
    }

    #[test]
    fn drizzle_stray_file_with_the_same_tag_gets_2() {
        // A fix written before, whose journal entry was then reverted: drizzle does not run it.
        let project = copy_fixture("drizzle");
        fs::write(project.path().join("drizzle/0002_neonlint_fix.sql"), "SELECT 1;\n").expect("write");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["0002_neonlint_fix_2.sql"]);
        assert!(plan.updated[0].1.contains("\"tag\": \"0002_neonlint_fix_2\""));
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn drizzle_compact_journal_keeps_its_style_and_when_stays_increasing() {
        let journal = r#"{"version":"7","dialect":"postgresql","entries":[{"idx":0,"version":"6","when":1900000000000,"tag":"0000_first","breakpoints":true}]}"#;
        let project = folder_with(&[("drizzle/meta/_journal.json", journal), ("drizzle/0000_first.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            plan.updated[0].1,
            r#"{"version":"7","dialect":"postgresql","entries":[{"idx":0,"version":"6","when":1900000000000,"tag":"0000_first","breakpoints":true},{"idx":1,"version":"6","when":1900000000001,"tag":"0001_neonlint_fix","breakpoints":true}]}"#
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn drizzle_empty_journal_gets_its_first_entry() {
        let journal = "{\n  \"version\": \"7\",\n  \"dialect\": \"postgresql\",\n  \"entries\": []\n}";
        let project = folder_with(&[("drizzle/meta/_journal.json", journal)]);
        let set = discover_set(project.path());
        assert_eq!(set.layout, Layout::Drizzle);
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["0000_neonlint_fix.sql"]);
        assert_eq!(
            plan.updated[0].1,
            "{\n  \"version\": \"7\",\n  \"dialect\": \"postgresql\",\n  \"entries\": [\n    {\n      \"idx\": 0,\n      \
             \"version\": \"7\",\n      \"when\": 1795754400000,\n      \"tag\": \"0000_neonlint_fix\",\n      \
             \"breakpoints\": true\n    }\n  ]\n}"
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn drizzle_timestamp_prefixes_get_a_stamp() {
        let journal = "{\n  \"entries\": [\n    {\n      \"idx\": 0,\n      \"version\": \"7\",\n      \"when\": 1,\n      \
                       \"tag\": \"20240101000000_init\",\n      \"breakpoints\": true\n    }\n  ]\n}\n";
        let project =
            folder_with(&[("drizzle/meta/_journal.json", journal), ("drizzle/20240101000000_init.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["20261127044000_neonlint_fix.sql"]);
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn drizzle_migration_folders_get_a_new_folder() {
        let project = folder_with(&[
            ("drizzle/20240101000000_init/migration.sql", "SELECT 1;\n"),
            ("drizzle/20240101000000_init/snapshot.json", "{}"),
        ]);
        let set = discover_set(project.path());
        assert_eq!(set.layout, Layout::Drizzle);
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["20261127044000_neonlint_fix/migration.sql".to_string()], vec![])
        );
        assert_eq!(created_text(&plan, 0), DRIZZLE_TEXT);
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn prisma_gets_a_new_migration_folder() {
        let project = copy_fixture("prisma");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["20261127044000_neonlint_fix/migration.sql".to_string()], vec![])
        );
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn prisma_folder_name_taken_gets_2() {
        let project = copy_fixture("prisma");
        let taken = project.path().join("prisma/migrations/20261127044000_neonlint_fix");
        fs::create_dir(&taken).expect("create folder");
        fs::write(taken.join("README.md"), "draft\n").expect("write");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["20261127044000_neonlint_fix_2/migration.sql"]);
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn golang_migrate_gets_the_next_version_and_a_harmless_down_file() {
        let project = copy_fixture("golang-migrate");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["11_neonlint_fix.up.sql", "11_neonlint_fix.down.sql"]);
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        assert_eq!(
            created_text(&plan, 1),
            "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\n\
             -- Migrating down through this version changes nothing.\n\
             -- neonlint's Data API fixes have no automatic reversal. To undo them by hand, reverse each\n\
             -- statement of `11_neonlint_fix.up.sql`: REVOKE what it grants, DROP POLICY what it creates,\n\
             -- DISABLE ROW LEVEL SECURITY where it enables it. That exposes again what neonlint reported,\n\
             -- so do it only on purpose. This script is only comments: valid SQL that changes nothing.\n"
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn golang_migrate_keeps_zero_padding_and_counts_down_files() {
        let project = folder_with(&[
            ("migrations/000006_init.up.sql", ""),
            ("migrations/000006_init.down.sql", ""),
            ("migrations/000007_orphan.down.sql", ""),
        ]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan).0,
            ["000008_neonlint_fix.up.sql", "000008_neonlint_fix.down.sql"]
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn golang_migrate_timestamps_get_a_stamp_of_the_same_kind() {
        let project = folder_with(&[("migrations/20240101000000_init.up.sql", "")]);
        let set = discover_set(project.path());
        assert_eq!(relative_paths(&set, &plan_at(&set, now())).0[0], "20261127044000_neonlint_fix.up.sql");

        let project = folder_with(&[("migrations/1704067200_init.up.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0[0], "1795754400_neonlint_fix.up.sql");
        write_and_check(project.path(), &plan, &[]);

        // A clock behind the newest version: one after it.
        let set = discover_set(project.path());
        assert_eq!(
            relative_paths(&set, &plan_at(&set, at(1_704_067_100))).0[0],
            "1795754401_neonlint_fix.up.sql"
        );
    }

    #[test]
    fn dbmate_gets_a_stamp_with_up_and_down_blocks() {
        let project = copy_fixture("dbmate");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["20261127044000_neonlint_fix.sql".to_string()], vec![])
        );
        let text = created_text(&plan, 0);
        assert_eq!(
            text,
            "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\n\
             -- migrate:up\n\
             ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n\n\
             -- NL006: grant what the policy already restricts\n\
             GRANT SELECT ON public.todos TO authenticated;\n\n\
             -- migrate:down\n\
             -- Migrating down through this version changes nothing.\n\
             -- neonlint's Data API fixes have no automatic reversal. To undo them by hand, reverse each\n\
             -- statement of `20261127044000_neonlint_fix.sql`: REVOKE what it grants, DROP POLICY what it \
             creates,\n\
             -- DISABLE ROW LEVEL SECURITY where it enables it. That exposes again what neonlint reported,\n\
             -- so do it only on purpose. This script is only comments: valid SQL that changes nothing.\n"
        );
        let set = write_and_check(project.path(), &plan, &[]);
        let up_half = up_part(set.layout, text);
        assert!(!up_half.contains("migrate:down") && !up_half.contains("no automatic reversal"));
    }

    #[test]
    fn flyway_gets_the_next_major_version_before_the_repeatables() {
        let project = copy_fixture("flyway");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan), (vec!["V11__neonlint_fix.sql".to_string()], vec![]));
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        // Flyway runs repeatable migrations after every versioned one; no `V` name can follow them.
        write_and_check(project.path(), &plan, &["R__touch.sql"]);
    }

    #[test]
    fn flyway_versions_continue_from_the_highest_first_part() {
        let project = folder_with(&[
            ("db/migration/V1_1__x.sql", ""),
            ("db/migration/V2__y.sql", ""),
            ("db/migration/U9__undo.sql", ""),
        ]);
        let set = discover_set(project.path());
        assert_eq!(relative_paths(&set, &plan_at(&set, now())).0, ["V3__neonlint_fix.sql"]);

        let project =
            folder_with(&[("db/migration/V20240101120000__x.sql", ""), ("db/migration/R__views.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["V20261127044000__neonlint_fix.sql"]);
        write_and_check(project.path(), &plan, &["R__views.sql"]);

        let project = folder_with(&[("db/migration/R__views.sql", "")]);
        let set = discover_set(project.path());
        assert_eq!(relative_paths(&set, &plan_at(&set, now())).0, ["V1__neonlint_fix.sql"]);
    }

    #[test]
    fn sqitch_gets_a_change_and_a_plan_line() {
        let project = copy_fixture("sqitch");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (
                vec![
                    "deploy/neonlint_fix.sql".to_string(),
                    "revert/neonlint_fix.sql".to_string(),
                    "verify/neonlint_fix.sql".to_string()
                ],
                vec!["sqitch.plan".to_string()]
            )
        );
        assert_eq!(
            created_text(&plan, 0),
            "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\nBEGIN;\n\n\
             ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n\n\
             -- NL006: grant what the policy already restricts\n\
             GRANT SELECT ON public.todos TO authenticated;\n\nCOMMIT;\n"
        );
        assert!(created_text(&plan, 1).contains("-- Reverting `neonlint_fix` changes nothing"));
        assert!(created_text(&plan, 2).lines().all(|line| line.is_empty() || line.starts_with("--")));
        let original = fs::read_to_string(project.path().join("sqitch.plan")).expect("plan");
        assert_eq!(
            plan.updated[0].1,
            format!(
                "{original}neonlint_fix 2026-11-27T04:40:00Z neonlint <neonlint@localhost> # Data API fixes \
                 written by neonlint\n"
            )
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn sqitch_change_name_taken_gets_2() {
        let plan_text =
            "%project=p\ninit 2024-01-01T00:00:00Z A <a@b>\nneonlint_fix 2024-01-02T00:00:00Z A <a@b>";
        let project = folder_with(&[
            ("sqitch.plan", plan_text),
            ("deploy/init.sql", "SELECT 1;\n"),
            ("deploy/neonlint_fix.sql", "SELECT 2;\n"),
        ]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan).0,
            ["deploy/neonlint_fix_2.sql", "revert/neonlint_fix_2.sql", "verify/neonlint_fix_2.sql"]
        );
        // The plan had no final newline: one is added before the new line, nothing else changes.
        assert_eq!(
            plan.updated[0].1,
            format!(
                "{plan_text}\nneonlint_fix_2 2026-11-27T04:40:00Z neonlint <neonlint@localhost> # Data API \
                 fixes written by neonlint\n"
            )
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn sqitch_change_names_skip_pragmas_tags_and_comments() {
        let plan =
            "%project=p\n# note\n\n+a [b] 2024 X <x>\n-b 2024 X <x>\n@v1 2024 X <x>\nc[a] 2024 X <x>\n";
        assert_eq!(sqitch_change_names(plan), ["a", "b", "c"]);
    }

    #[test]
    fn plain_gets_the_next_number() {
        let project = copy_fixture("plain");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan), (vec!["11_neonlint_fix.sql".to_string()], vec![]));
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        write_and_check(project.path(), &plan, &[]);

        let project = folder_with(&[("migrations/001_a.sql", ""), ("migrations/002_b.sql", "")]);
        let set = discover_set(project.path());
        assert_eq!(relative_paths(&set, &plan_at(&set, now())).0, ["003_neonlint_fix.sql"]);
    }

    #[test]
    fn plain_without_leading_numbers_sorts_last_by_name_and_says_so() {
        let project = folder_with(&[("migrations/init.sql", ""), ("migrations/policies.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["z_neonlint_fix.sql"]);
        assert_eq!(
            created_text(&plan, 0),
            "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\
             -- Named `z_neonlint_fix.sql` so that it sorts after every other file of this folder in natural name \
             order:\n\
             -- not every file here starts with a number to continue.\n\n\
             ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n\n\
             -- NL006: grant what the policy already restricts\n\
             GRANT SELECT ON public.todos TO authenticated;\n"
        );
        write_and_check(project.path(), &plan, &[]);

        // Run again, the new name must sort after `z_neonlint_fix.sql`.
        let set = discover_set(project.path());
        let again = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &again).0, ["zz_neonlint_fix.sql"]);
        write_and_check(project.path(), &again, &[]);
    }

    #[test]
    fn plain_with_mixed_names_sorts_after_the_unnumbered_ones() {
        let project = folder_with(&[("migrations/1_init.sql", ""), ("migrations/zeta.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["zz_neonlint_fix.sql"]);
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn header_and_statements_are_checked() {
        let project = copy_fixture("plain");
        let set = discover_set(project.path());
        let error = plan(&set, HEADER, &[], now()).expect_err("no statements");
        assert_eq!(
            error.to_string(),
            "there is no statement to write into a new migration, so no migration was planned"
        );
        let error = plan(&set, HEADER, &["  \n".to_string()], now()).expect_err("only blanks");
        assert!(matches!(error, NewMigrationError::NoStatements));

        let error = plan(&set, "-- fine\nDROP TABLE x;", &statements(), now()).expect_err("header with SQL");
        assert_eq!(
            error.to_string(),
            "the migration header line `DROP TABLE x;` is not an SQL comment: every header line must start with \
             `--`, or it would run as SQL"
        );

        let unfinished = vec!["SELECT 1;".to_string(), "GRANT SELECT ON t\n  TO authenticated".to_string()];
        let error = plan(&set, HEADER, &unfinished, now()).expect_err("no semicolon");
        assert_eq!(
            error.to_string(),
            "statement 2 (`GRANT SELECT ON t`) does not end with `;`: each statement must be complete, or it would \
             run together with the next one"
        );
    }

    #[test]
    fn an_empty_header_starts_with_the_statements() {
        let project = copy_fixture("plain");
        let set = discover_set(project.path());
        let statements = vec!["\n\nSELECT 1;  \n".to_string()];
        let plan = plan(&set, "\n", &statements, now()).expect("plan");
        assert_eq!(created_text(&plan, 0), "SELECT 1;\n");
    }

    #[test]
    fn write_refuses_an_existing_target_and_writes_nothing() {
        let project = copy_fixture("golang-migrate");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        let down = &plan.created[1].0;
        fs::write(down, "-- mine\n").expect("write");
        let before = snapshot(project.path());
        let error = write(&plan).expect_err("target exists");
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            error.to_string(),
            format!(
                "`{}` already exists: neonlint never replaces a file, so nothing was written; plan the new \
                 migration again so that it picks a free name",
                display_path(down)
            )
        );
        assert_eq!(snapshot(project.path()), before);
    }

    #[test]
    fn write_removes_what_it_created_when_a_later_file_fails() {
        let project = folder_with(&[("blocker", "a file where a folder should be\n")]);
        let root = canonical(project.path());
        let plan = NewMigration {
            created: vec![
                (root.join("new/deeper/first.sql"), "SELECT 1;\n".to_string()),
                (root.join("blocker/sub/second.sql"), "SELECT 2;\n".to_string()),
            ],
            updated: Vec::new(),
        };
        let before = snapshot(&root);
        let error = write(&plan).expect_err("blocked");
        assert!(error.to_string().starts_with("cannot create the folder `"), "{error}");
        assert_eq!(snapshot(&root), before);
        assert!(!root.join("new").exists(), "the folders made for the first file are removed too");
    }

    #[test]
    fn write_removes_what_it_created_when_an_index_file_cannot_be_rewritten() {
        let project = copy_fixture("sqitch");
        let set = discover_set(project.path());
        let mut plan = plan_at(&set, now());
        plan.updated.push((set.root.join("gone/sqitch.plan"), "x\n".to_string()));
        let before = snapshot(project.path());
        let error = write(&plan).expect_err("missing folder");
        assert!(error.to_string().starts_with("cannot create a temporary file beside `"), "{error}");
        assert_eq!(snapshot(project.path()), before);
        assert!(!set.root.join("deploy/neonlint_fix.sql").exists());
    }

    #[cfg(unix)]
    #[test]
    fn rewriting_an_index_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let project = copy_fixture("sqitch");
        let plan_path = project.path().join("sqitch.plan");
        fs::set_permissions(&plan_path, fs::Permissions::from_mode(0o640)).expect("chmod");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        write_and_check(project.path(), &plan, &[]);
        let mode = fs::metadata(&plan_path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let leftovers: Vec<_> = fs::read_dir(project.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
