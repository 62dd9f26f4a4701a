//! Reading one folder: the migration files it directly holds, and the layout they follow.
//!
//! Reads names, not contents, except the first 64 KiB of `.sql` files when only a marker
//! (dbmate's, goose's, liquibase's header) can tell the layout, and the `Cargo.toml` files
//! above the folder when only a sqlx dependency can. It does not order files (`layouts/`)
//! nor decide which folder of a project to read (`mod.rs`). Hidden entries and
//! `node_modules` are never looked at.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::layouts::liquibase;
use super::markers::{self, Markers};
use super::order::{FlywayName, parse_flyway_name, parse_postgrator_name};
use super::{Layout, Notice, SourceError, display_path};

/// What one folder directly holds that matters to migration tools. Names are sorted byte by
/// byte, so everything built from a listing is deterministic.
#[derive(Debug)]
pub struct FolderListing {
    /// The folder, canonical.
    pub path: PathBuf,
    /// Regular files (or links to them) directly inside whose names end in `.sql`.
    pub sql_files: Vec<String>,
    /// Subfolders holding a `migration.sql` (Prisma's and drizzle-kit's newer layout).
    pub migration_folders: Vec<String>,
    /// Subfolders whose names start with a digit, like a migration's, but hold no
    /// `migration.sql`.
    pub numbered_folders_without_migration: Vec<String>,
    /// `meta/_journal.json` exists (drizzle-kit).
    pub has_journal: bool,
    /// `sqitch.plan` exists (the folder is a sqitch project).
    pub has_sqitch_plan: bool,
    /// `migration_lock.toml` exists (Prisma).
    pub has_migration_lock: bool,
    /// Subfolders holding an `up.sql` (diesel).
    pub up_folders: Vec<String>,
    /// `atlas.sum` exists (Atlas).
    pub has_atlas_sum: bool,
    /// The `.sql` files of a `committed/` subfolder named as graphile-migrate names them
    /// (`000001.sql`, `000002-message.sql`).
    pub committed_files: Vec<String>,
    /// `current.sql` exists, or a `current/` folder (graphile-migrate's work in progress).
    pub has_current: bool,
    /// `.xml`, `.yaml`, `.yml` and `.json` files: liquibase master changelogs, maybe.
    pub changelog_files: Vec<String>,
    /// Warnings about entries that could not be considered.
    pub notices: Vec<Notice>,
}

impl FolderListing {
    /// Lists `path`, which must be a folder.
    pub fn read(path: &Path) -> Result<FolderListing, SourceError> {
        let unreadable = |error| SourceError::Unreadable { path: path.to_path_buf(), error };
        let mut listing = FolderListing {
            path: path.to_path_buf(),
            sql_files: Vec::new(),
            migration_folders: Vec::new(),
            numbered_folders_without_migration: Vec::new(),
            has_journal: false,
            has_sqitch_plan: false,
            has_migration_lock: false,
            up_folders: Vec::new(),
            has_atlas_sum: false,
            committed_files: Vec::new(),
            has_current: false,
            changelog_files: Vec::new(),
            notices: Vec::new(),
        };
        // One level, in a stable order; a folder we cannot list is an error naming it.
        let entries = walkdir::WalkDir::new(path).min_depth(1).max_depth(1).sort_by_file_name();
        for entry in entries {
            let entry = entry.map_err(|error| unreadable(std::io::Error::other(error.to_string())))?;
            listing.add_entry(entry.path(), entry.file_name(), entry.file_type());
        }
        listing.sql_files.sort();
        listing.migration_folders.sort();
        listing.numbered_folders_without_migration.sort();
        listing.up_folders.sort();
        listing.changelog_files.sort();
        listing.notices.sort_by(|left, right| left.path.cmp(&right.path));
        Ok(listing)
    }

    /// Whether the folder directly holds anything a migration tool would run: `.sql` files,
    /// migration subfolders, a drizzle journal or a sqitch plan.
    pub fn holds_migrations(&self) -> bool {
        !self.sql_files.is_empty() || self.holds_structured_migrations()
    }

    /// Whether the folder is a migrations folder beyond doubt: it has a drizzle journal, a
    /// sqitch plan or migration subfolders. Loose `.sql` files alone are weaker evidence: a
    /// project folder may hold a `seed.sql` or a schema dump next to its migrations folder.
    pub fn holds_structured_migrations(&self) -> bool {
        self.has_journal
            || self.has_sqitch_plan
            || !self.migration_folders.is_empty()
            || !self.up_folders.is_empty()
            || !self.committed_files.is_empty()
            || self.has_atlas_sum
    }

    fn add_entry(&mut self, entry_path: &Path, file_name: &std::ffi::OsStr, file_type: fs::FileType) {
        let Some(name) = file_name.to_str() else {
            if file_name.as_encoded_bytes().ends_with(b".sql") {
                self.notices.push(Notice {
                    path: Some(display_path(entry_path)),
                    message: format!(
                        "skipped `{}`: its file name is not valid UTF-8, so it cannot be ordered",
                        file_name.to_string_lossy()
                    ),
                });
            }
            return;
        };
        if name.starts_with('.') || name == "node_modules" {
            return;
        }
        // The listing gives each entry's type; only a link needs following. A link that loops
        // or points nowhere is no migration; a `.sql` one is named, since a tool following
        // the link would run it.
        let file_type = if file_type.is_symlink() {
            match fs::metadata(entry_path) {
                Ok(metadata) => metadata.file_type(),
                Err(error) => {
                    if name.ends_with(".sql") {
                        self.skip(entry_path, name, &unfollowable(entry_path, &error));
                    }
                    return;
                }
            }
        } else {
            file_type
        };
        if file_type.is_dir() {
            if name == "meta" && entry_path.join("_journal.json").is_file() {
                self.has_journal = true;
            }
            if name == "committed" {
                self.committed_files = graphile_committed_files(entry_path);
            }
            if name == "current" {
                self.has_current = true;
            }
            if entry_path.join("migration.sql").is_file() {
                self.migration_folders.push(name.to_string());
            } else if entry_path.join("up.sql").is_file() {
                self.up_folders.push(name.to_string());
            } else if name.starts_with(|character: char| character.is_ascii_digit()) {
                self.numbered_folders_without_migration.push(name.to_string());
            }
        } else if file_type.is_file() {
            match name {
                "sqitch.plan" => self.has_sqitch_plan = true,
                "migration_lock.toml" => self.has_migration_lock = true,
                "atlas.sum" => self.has_atlas_sum = true,
                "current.sql" => {
                    self.has_current = true;
                    self.sql_files.push(name.to_string());
                }
                _ if name.ends_with(".sql") => self.sql_files.push(name.to_string()),
                _ if [".xml", ".yaml", ".yml", ".json"].iter().any(|suffix| name.ends_with(suffix)) => {
                    self.changelog_files.push(name.to_string())
                }
                _ => {}
            }
        } else if name.ends_with(".sql") {
            // A FIFO or a device would never end; no migration tool reads one either.
            self.skip(entry_path, name, "it is not a regular file (a named pipe, a device or a socket)");
        }
    }

    fn skip(&mut self, entry_path: &Path, name: &str, why: &str) {
        self.notices.push(Notice {
            path: Some(display_path(entry_path)),
            message: format!("skipped `{name}`: {why}"),
        });
    }
}

/// Why the entry at `path` cannot be followed, for a notice.
fn unfollowable(path: &Path, error: &std::io::Error) -> String {
    let is_link = fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_symlink());
    // ELOOP has no stable `io::ErrorKind`; its OS code is 40 on Linux and 62 on macOS.
    let loops = matches!(error.raw_os_error(), Some(40 | 62)) || error.to_string().contains("symbolic links");
    match (is_link, error.kind()) {
        (true, _) if loops => "it is a symbolic link that loops back on itself".to_string(),
        (true, std::io::ErrorKind::NotFound) => match fs::read_link(path) {
            Ok(target) => format!("it is a symbolic link to `{}`, which does not exist", target.display()),
            Err(_) => "it is a symbolic link to a file that does not exist".to_string(),
        },
        _ => format!("it cannot be read ({error})"),
    }
}

/// The layout of a migrations folder, judged by the first of these that holds: a drizzle
/// journal; a sqitch plan; migration subfolders (Prisma with a `migration_lock.toml` or a
/// `prisma` folder in the path, else drizzle-kit's newer layout); `up.sql` subfolders (diesel);
/// a graphile-migrate `committed/` folder; an `atlas.sum`; liquibase's formatted-SQL header or
/// a master changelog; Flyway `V`/`R` names; postgrator `.do.` names; `.up.sql` names (sqlx
/// when a `Cargo.toml` above depends on sqlx, else golang-migrate); goose's or dbmate's
/// markers; a sqlx crate; a path ending in `supabase/migrations`; else a plain folder. The
/// notices say when the evidence was mixed.
pub fn detect_layout(listing: &FolderListing) -> (Layout, Vec<Notice>) {
    let mut notices = Vec::new();
    let layout = detect(listing, &mut notices);
    (layout, notices)
}

fn detect(listing: &FolderListing, notices: &mut Vec<Notice>) -> Layout {
    if listing.has_journal {
        return Layout::Drizzle;
    }
    if listing.has_sqitch_plan {
        return Layout::Sqitch;
    }
    if !listing.migration_folders.is_empty() {
        let in_prisma_folder = listing.path.components().any(|component| component.as_os_str() == "prisma");
        return if listing.has_migration_lock || in_prisma_folder { Layout::Prisma } else { Layout::Drizzle };
    }
    if !listing.up_folders.is_empty() {
        return Layout::Diesel;
    }
    if !listing.committed_files.is_empty() || (listing.has_current && has_graphile_config(&listing.path)) {
        return Layout::GraphileMigrate;
    }
    if listing.has_atlas_sum {
        return Layout::Atlas;
    }
    // What each file's start says, read once and in parallel: a folder may hold thousands.
    let heads: Vec<(bool, Option<Markers>)> = listing
        .sql_files
        .par_iter()
        .map(|name| match markers::read_head(&listing.path.join(name)) {
            Some(head) => (liquibase::head_is_formatted(&head), markers::markers_in(&head)),
            None => (false, None),
        })
        .collect();
    if heads.iter().any(|&(formatted, _)| formatted) || liquibase::master_changelog(listing).is_some() {
        return Layout::Liquibase;
    }
    let is_flyway_run_name = |name: &String| {
        matches!(parse_flyway_name(name), Some(FlywayName::Versioned { .. } | FlywayName::Repeatable { .. }))
    };
    if listing.sql_files.iter().any(is_flyway_run_name) {
        return Layout::Flyway;
    }
    if listing.sql_files.iter().any(|name| parse_postgrator_name(name).is_some_and(|(_, run)| run)) {
        return Layout::Postgrator;
    }
    let sqlx_crate = in_sqlx_crate(&listing.path);
    if listing.sql_files.iter().any(|name| name.ends_with(".up.sql")) {
        return if sqlx_crate { Layout::Sqlx } else { Layout::GolangMigrate };
    }
    let marked: Vec<(Markers, &String)> =
        heads.iter().zip(&listing.sql_files).filter_map(|(&(_, found), name)| Some((found?, name))).collect();
    if let Some(&(first, _)) = marked.first() {
        if let Some((other, name)) = marked.iter().find(|(found, _)| *found != first) {
            let folder = display_path(&listing.path);
            notices.push(Notice {
                path: Some(folder.clone()),
                message: format!(
                    "`{folder}` has files with `{}` and files with `{}` (`{name}`): neonlint reads the folder as \
                     {}; set `layout` in neonlint.toml if another tool runs these migrations",
                    first.up_marker(),
                    other.up_marker(),
                    marker_layout(first)
                ),
            });
        }
        return marker_layout(first);
    }
    if sqlx_crate && listing.path.file_name().is_some_and(|name| name == "migrations") {
        return Layout::Sqlx;
    }
    if listing.path.ends_with("supabase/migrations") {
        return Layout::Supabase;
    }
    Layout::Plain
}

fn marker_layout(markers: Markers) -> Layout {
    match markers {
        Markers::Dbmate => Layout::Dbmate,
        Markers::Goose => Layout::Goose,
    }
}

/// graphile-migrate's committed migrations: `<digits>[-message].sql`, sorted by name (the
/// numbers are zero-padded, so this is their order).
fn graphile_committed_files(folder: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| is_graphile_name(name))
        .collect();
    names.sort();
    names
}

/// graphile-migrate's file names: digits, optionally `-` and a message of letters, digits,
/// `-` and `_`, then `.sql`.
pub fn is_graphile_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".sql") else {
        return false;
    };
    let digits_end = stem.bytes().position(|byte| !byte.is_ascii_digit()).unwrap_or(stem.len());
    if digits_end == 0 {
        return false;
    }
    match stem[digits_end..].strip_prefix('-') {
        None => digits_end == stem.len(),
        Some(message) => {
            message.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        }
    }
}

/// Whether a graphile-migrate configuration (`.gmrc`, `.gmrc.js`, `.gmrc.cjs`) sits in the
/// folder or one of its three nearest ancestors.
pub fn has_graphile_config(folder: &Path) -> bool {
    graphile_config(folder).is_some()
}

/// The nearest graphile-migrate configuration file at or above `folder` (three levels up).
pub fn graphile_config(folder: &Path) -> Option<PathBuf> {
    folder.ancestors().take(4).find_map(|dir| {
        [".gmrc", ".gmrc.js", ".gmrc.cjs"].iter().map(|name| dir.join(name)).find(|path| path.is_file())
    })
}

/// Whether a `Cargo.toml` at or above `folder` (up to the repository root, four levels at
/// most) depends on sqlx: then `<version>_name.sql` files are sqlx's migrations.
fn in_sqlx_crate(folder: &Path) -> bool {
    for dir in folder.ancestors().take(5) {
        if let Ok(text) = fs::read_to_string(dir.join("Cargo.toml")) {
            // `sqlx = …`, `sqlx.workspace = true` or a `[dependencies.sqlx]` table.
            if text.lines().any(|line| {
                let line = line.trim_start();
                (line.starts_with("sqlx") && line[4..].trim_start().starts_with(['=', '.']))
                    || line.starts_with('[') && line.trim_end().ends_with(".sqlx]")
            }) {
                return true;
            }
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::test_support::folder_with;

    fn detect(folder: &Path) -> Layout {
        detect_layout(&FolderListing::read(folder).expect("listing")).0
    }

    #[test]
    fn listing_sorts_and_skips_hidden_entries_and_node_modules() {
        let folder = folder_with(&[
            ("b.sql", ""),
            ("a.sql", ""),
            ("notes.txt", ""),
            (".hidden.sql", ""),
            (".git/x.sql", ""),
            ("node_modules/1_x/migration.sql", ""),
            ("2_second/migration.sql", ""),
            ("1_first/migration.sql", ""),
            ("3_empty/readme.md", ""),
            ("docs/migration.md", ""),
        ]);
        let listing = FolderListing::read(folder.path()).expect("listing");
        assert_eq!(listing.sql_files, ["a.sql", "b.sql"]);
        assert_eq!(listing.migration_folders, ["1_first", "2_second"]);
        assert_eq!(listing.numbered_folders_without_migration, ["3_empty"]);
        assert!(!listing.has_journal && !listing.has_sqitch_plan && !listing.has_migration_lock);
        assert!(listing.holds_migrations() && listing.holds_structured_migrations());
        assert!(listing.notices.is_empty());
    }

    #[test]
    fn a_folder_named_like_a_sql_file_is_not_one() {
        let folder = folder_with(&[("x.sql/inner.txt", "")]);
        let listing = FolderListing::read(folder.path()).expect("listing");
        assert!(listing.sql_files.is_empty());
        assert!(!listing.holds_migrations());
    }

    #[test]
    fn reading_a_missing_folder_is_an_error_naming_it() {
        let folder = tempfile::tempdir().expect("temp dir");
        let missing = folder.path().join("gone");
        let error = FolderListing::read(&missing).expect_err("missing folder");
        assert!(
            error.to_string().starts_with(&format!("cannot read `{}`: ", display_path(&missing))),
            "{error}"
        );
    }

    #[test]
    fn detection_order() {
        let journal = folder_with(&[("meta/_journal.json", "{}"), ("sqitch.plan", ""), ("V1__x.sql", "")]);
        assert_eq!(detect(journal.path()), Layout::Drizzle);
        let sqitch = folder_with(&[("sqitch.plan", ""), ("1_x/migration.sql", "")]);
        assert_eq!(detect(sqitch.path()), Layout::Sqitch);
        let prisma =
            folder_with(&[("migration_lock.toml", ""), ("1_x/migration.sql", ""), ("V1__x.sql", "")]);
        assert_eq!(detect(prisma.path()), Layout::Prisma);
        let drizzle_folders = folder_with(&[("20240101000000_x/migration.sql", "")]);
        assert_eq!(detect(drizzle_folders.path()), Layout::Drizzle);
        let flyway = folder_with(&[("R__x.sql", ""), ("1_x.up.sql", "")]);
        assert_eq!(detect(flyway.path()), Layout::Flyway);
        let undo_only = folder_with(&[("U1__x.sql", ""), ("1_x.up.sql", "")]);
        assert_eq!(detect(undo_only.path()), Layout::GolangMigrate);
        let dbmate = folder_with(&[("1_a.sql", "SELECT 1;\n"), ("2_b.sql", "-- migrate:up\nSELECT 1;\n")]);
        assert_eq!(detect(dbmate.path()), Layout::Dbmate);
        let plain = folder_with(&[("1_a.sql", "SELECT 1; -- migrate:up\n")]);
        assert_eq!(detect(plain.path()), Layout::Plain);
    }

    #[test]
    fn a_sqlx_crate_makes_numbered_files_sqlx() {
        for manifest in [
            "[dependencies]\nsqlx = \"0.8\"\n",
            "[dependencies.sqlx]\nversion = \"0.8\"\n",
            "[dependencies]\nsqlx.workspace = true\n",
        ] {
            let project = folder_with(&[
                ("Cargo.toml", manifest),
                ("migrations/1_a.sql", ""),
                ("migrations/2_b.up.sql", ""),
            ]);
            assert_eq!(detect(&project.path().join("migrations")), Layout::Sqlx, "{manifest}");
        }
        let not_sqlx =
            folder_with(&[("Cargo.toml", "[dependencies]\nsqlxx = \"1\"\n"), ("migrations/1_a.up.sql", "")]);
        assert_eq!(detect(&not_sqlx.path().join("migrations")), Layout::GolangMigrate);
    }

    #[test]
    fn each_new_layout_is_detected_from_its_own_evidence() {
        let cases: [(&[(&str, &str)], Layout); 7] = [
            (&[("00001_a.sql", "-- +goose Up\nSELECT 1;\n")], Layout::Goose),
            (&[("2024-01-01-000000_a/up.sql", ""), ("2024-01-01-000000_a/down.sql", "")], Layout::Diesel),
            (&[("1.do.a.sql", ""), ("1.undo.a.sql", "")], Layout::Postgrator),
            (&[("committed/000001.sql", ""), ("current.sql", "")], Layout::GraphileMigrate),
            (&[("atlas.sum", ""), ("1_a.sql", "")], Layout::Atlas),
            (&[("a.sql", "-- liquibase formatted sql\n--changeset a:1\nSELECT 1;\n")], Layout::Liquibase),
            (&[("1_a.sql", "SELECT 1; -- +goose Up\n")], Layout::Plain),
        ];
        for (files, layout) in cases {
            let folder = folder_with(files);
            assert_eq!(detect(folder.path()), layout, "{files:?}");
        }
        // graphile's work in progress alone needs its configuration nearby.
        let wip = folder_with(&[(".gmrc", "{}"), ("migrations/current.sql", "")]);
        assert_eq!(detect(&wip.path().join("migrations")), Layout::GraphileMigrate);
        let just_current = folder_with(&[("migrations/current.sql", "")]);
        assert_eq!(detect(&just_current.path().join("migrations")), Layout::Plain);
    }

    #[test]
    fn mixed_markers_are_never_silent() {
        let folder = folder_with(&[
            ("1_a.sql", "-- migrate:up\nSELECT 1;\n"),
            ("2_b.sql", "-- +goose Up\nSELECT 2;\n"),
        ]);
        let (layout, notices) = detect_layout(&FolderListing::read(folder.path()).expect("listing"));
        assert_eq!(layout, Layout::Dbmate);
        assert_eq!(notices.len(), 1);
        assert!(
            notices[0]
                .message
                .contains("has files with `-- migrate:up` and files with `-- +goose Up` (`2_b.sql`)"),
            "{}",
            notices[0].message
        );
    }

    #[test]
    fn migration_folders_under_a_prisma_folder_are_prisma() {
        let project = folder_with(&[("prisma/migrations/1_x/migration.sql", "")]);
        assert_eq!(detect(&project.path().join("prisma/migrations")), Layout::Prisma);
    }

    #[test]
    fn a_supabase_migrations_path_is_supabase() {
        let project = folder_with(&[("supabase/migrations/1_x.sql", ""), ("other/migrations/1_x.sql", "")]);
        assert_eq!(detect(&project.path().join("supabase/migrations")), Layout::Supabase);
        assert_eq!(detect(&project.path().join("other/migrations")), Layout::Plain);
    }

    #[cfg(unix)]
    #[test]
    fn a_sql_name_that_is_not_utf8_gets_a_notice() {
        use std::os::unix::ffi::OsStrExt;
        let folder = tempfile::tempdir().expect("temp dir");
        let bad_name = std::ffi::OsStr::from_bytes(b"1_\xff.sql");
        let Ok(()) = fs::write(folder.path().join(bad_name), "") else {
            // Some file systems refuse such names; there is nothing to test then.
            return;
        };
        fs::write(folder.path().join(std::ffi::OsStr::from_bytes(b"\xff.txt")), "").expect("write");
        let listing = FolderListing::read(folder.path()).expect("listing");
        assert!(listing.sql_files.is_empty());
        assert_eq!(listing.notices.len(), 1);
        assert_eq!(
            listing.notices[0].message,
            "skipped `1_\u{fffd}.sql`: its file name is not valid UTF-8, so it cannot be ordered"
        );
    }
}
