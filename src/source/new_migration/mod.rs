//! Writing corrective SQL as a new migration that the project's own tool runs next.
//!
//! `plan` picks the file names, folders and text a layout's tool expects (a Supabase or dbmate
//! timestamp, the next golang-migrate or Flyway version, a drizzle journal entry, a sqitch plan
//! line), such that the new migration sorts after every existing one; `write` creates the files
//! without ever replacing one and rewrites the index files (drizzle's journal, sqitch's plan)
//! atomically. This module does not decide what to fix and knows no SQL: it joins complete
//! statements and adds only the marker lines a tool needs (dbmate's, goose's, drizzle's,
//! liquibase's) and sqitch's `BEGIN`/`COMMIT`. It never edits or renames an existing migration.
//!
//! One file per layout holds its naming (`supabase.rs`, `drizzle.rs`, …); this file holds what
//! they share: the checked fix text, the name search and `ensure_runs_last`. `versions.rs`
//! continues a project's version numbers and stamps; `write.rs` puts the files on disk.

mod atlas;
mod dbmate;
mod diesel;
mod drizzle;
mod flyway;
mod golang_migrate;
mod goose;
mod graphile;
mod liquibase;
mod plain;
mod postgrator;
mod prisma;
mod sqitch;
mod sqlx;
mod supabase;
mod versions;
mod write;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::folder::FolderListing;
use super::layouts;
use super::order::{FlywayName, compare_digit_strings, parse_flyway_name};
use super::{Layout, MigrationSet, SourceError, display_path};
use versions::Clock;

pub use write::write;

/// What `neonlint fix` will write: new files, and the rewritten index files some layouts keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMigration {
    /// Files to create. None of them exists; `write` refuses to overwrite. The first is the
    /// migration the tool runs; golang-migrate's down file and sqitch's revert and verify
    /// scripts follow it.
    pub created: Vec<(PathBuf, String)>,
    /// Non-migration files the tool needs updated (drizzle's `meta/_journal.json`,
    /// `sqitch.plan`, Atlas's `atlas.sum`, liquibase's master changelog), with their full new
    /// text.
    pub updated: Vec<(PathBuf, String)>,
    /// What the user still has to do by hand (run `atlas migrate hash`), one sentence each.
    pub notes: Vec<String>,
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
    /// A file the tool's convention needs cannot be followed (a graphile-migrate migration
    /// without its hash header); `message` says what and what to do.
    Convention { path: PathBuf, message: String },
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
            NewMigrationError::Convention { path, message } => {
                write!(formatter, "cannot follow `{}`: {message}", display_path(path))
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
        Layout::Supabase => supabase::plan(set, &fix, clock),
        Layout::Drizzle => drizzle::plan(set, &fix, clock),
        Layout::Prisma => prisma::plan_migration_folder(set, &fix, clock, Separator::BlankLine),
        Layout::GolangMigrate => golang_migrate::plan(set, &fix, clock),
        Layout::Dbmate => dbmate::plan(set, &fix, clock),
        Layout::Flyway => flyway::plan(set, &fix, clock),
        Layout::Sqitch => sqitch::plan(set, &fix, clock),
        Layout::Goose => goose::plan(set, &fix, clock),
        Layout::Diesel => diesel::plan(set, &fix, clock),
        Layout::Sqlx => sqlx::plan(set, &fix, clock),
        Layout::Postgrator => postgrator::plan(set, &fix, clock),
        Layout::GraphileMigrate => graphile::plan(set, &fix),
        Layout::Atlas => atlas::plan(set, &fix, clock),
        Layout::Liquibase => liquibase::plan(set, &fix, clock),
        Layout::Plain => plain::plan_numbered(set, &fix, clock, Separator::BlankLine),
    }
}

/// The name every layout gives the new migration, before a number that makes it unique.
const CHANGE_NAME: &str = "neonlint_fix";

/// How many names (`neonlint_fix`, `neonlint_fix_2`, …) are tried before giving up.
const MAX_NAME_NUMBER: usize = 1000;

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
            Separator::DrizzleBreakpoint => format!("\n{}\n", drizzle::BREAKPOINT),
        };
        self.statements.join(&glue)
    }

    /// `file`, after a first line the tool requires at the very top (liquibase's
    /// `-- liquibase formatted sql`, goose's `-- +goose Up`).
    fn file_starting_with(&self, first_line: &str, extra_header: &[String], body: &str) -> String {
        format!("{first_line}\n{}", self.file(extra_header, body))
    }

    /// The statements one by one.
    fn statements(&self) -> &[&'text str] {
        &self.statements
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

/// Checks, with the layout's own ordering, that the new migration runs after every other:
/// the folder's listing plus the new names goes through `layouts::order_files`. Flyway runs
/// repeatable `R__` migrations after every versioned one, so only those may follow it there.
fn ensure_runs_last(
    set: &MigrationSet,
    mut listing: FolderListing,
    new_files: &[&str],
    new_folder: Option<&str>,
) -> Result<(), NewMigrationError> {
    if set.layout == Layout::GraphileMigrate {
        let names = new_files.iter().filter_map(|name| name.strip_prefix("committed/"));
        listing.committed_files.extend(names.map(str::to_string));
        listing.committed_files.sort();
    } else {
        listing.sql_files.extend(new_files.iter().map(|name| name.to_string()));
        listing.sql_files.sort();
    }
    let new_migration = match new_folder {
        Some(folder) => {
            let (folders, file_name) = match set.layout {
                Layout::Diesel => (&mut listing.up_folders, "up.sql"),
                _ => (&mut listing.migration_folders, "migration.sql"),
            };
            folders.push(folder.to_string());
            folders.sort();
            listing.numbered_folders_without_migration.retain(|other| other != folder);
            set.root.join(folder).join(file_name)
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
            // Flyway's repeatable migrations run after every versioned one, and
            // graphile-migrate's work in progress (`current.sql`, `current/`) after every
            // committed one: only those may follow the new migration.
            let may_follow = |path: &&PathBuf| match set.layout {
                Layout::Flyway => path.file_name().and_then(|name| name.to_str()).is_some_and(|name| {
                    matches!(parse_flyway_name(name), Some(FlywayName::Repeatable { .. }))
                }),
                Layout::GraphileMigrate => !path.starts_with(set.root.join("committed")),
                _ => false,
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

#[cfg(test)]
pub(super) mod test_support {
    //! What the layouts' tests share: a fixed clock, the fix text, and `write_and_check`.
    use std::collections::BTreeMap;
    use std::fs;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::{NewMigration, plan, write};
    use crate::source::{MigrationSet, discover, up_part};

    /// 2026-11-27T04:40:00Z.
    pub const NOW_SECONDS: u64 = 1_795_754_400;

    pub const HEADER: &str = "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`";

    pub fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW_SECONDS)
    }

    pub fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    pub fn statements() -> Vec<String> {
        vec![
            "ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;".to_string(),
            "-- NL006: grant what the policy already restricts\nGRANT SELECT ON public.todos TO authenticated;"
                .to_string(),
        ]
    }

    /// The header and the two statements joined by blank lines, as most layouts write them.
    pub const PLAIN_TEXT: &str = "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\n\
                              ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n\n\
                              -- NL006: grant what the policy already restricts\n\
                              GRANT SELECT ON public.todos TO authenticated;\n";

    pub const DRIZZLE_TEXT: &str = "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\n\
                                ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n\
                                --> statement-breakpoint\n\
                                -- NL006: grant what the policy already restricts\n\
                                GRANT SELECT ON public.todos TO authenticated;\n";

    /// A copy of `fixtures/layouts/<name>` in a temporary folder.
    pub fn copy_fixture(name: &str) -> tempfile::TempDir {
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

    pub fn canonical(path: &Path) -> PathBuf {
        fs::canonicalize(path).expect("canonical path")
    }

    pub fn discover_set(project: &Path) -> MigrationSet {
        match discover(project, None) {
            Ok(selection) => selection.set,
            Err(error) => panic!("discover({}) failed: {error}", project.display()),
        }
    }

    pub fn plan_at(set: &MigrationSet, now: SystemTime) -> NewMigration {
        match plan(set, HEADER, &statements(), now) {
            Ok(plan) => plan,
            Err(error) => panic!("plan failed: {error}"),
        }
    }

    /// Every file below `root` with its bytes.
    pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        walkdir::WalkDir::new(canonical(root))
            .into_iter()
            .map(|entry| entry.expect("entry"))
            .filter(|entry| entry.file_type().is_file())
            .map(|entry| (entry.path().to_path_buf(), fs::read(entry.path()).expect("read")))
            .collect()
    }

    /// The plan's created and updated paths below the set's root, with `/`.
    pub fn relative_paths(set: &MigrationSet, plan: &NewMigration) -> (Vec<String>, Vec<String>) {
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

    pub fn created_text(plan: &NewMigration, index: usize) -> &str {
        plan.created.get(index).map(|(_, text)| text.as_str()).expect("created file")
    }

    /// Writes `plan` into `project` and checks what must hold for every layout: existing files
    /// are unchanged but for the index files the plan rewrites, the only new files are the
    /// planned ones, and `discover` finds the new migration after every other, holding every
    /// statement in the part that runs. `may_follow` names the files (relative to the root)
    /// allowed after it: Flyway's repeatable migrations. Returns the set found afterwards.
    pub fn write_and_check(project: &Path, plan: &NewMigration, may_follow: &[&str]) -> MigrationSet {
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
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

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
}
