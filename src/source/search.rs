//! Finding the migrations folders of a repository whose root has none of its own: a monorepo
//! with `packages/db/migrations`, `apps/api/migrations`, `platform/app/db-core/migrations`.
//!
//! The search is bounded (`MAX_DEPTH` folders down), skips what is never a project's own
//! migrations (hidden folders, dependencies, build output, test data, reversal folders), and is
//! conservative: a folder counts only when its structure says so (a drizzle journal, a sqitch
//! plan, migration subfolders, an `atlas.sum`, graphile's `committed/`, a liquibase master
//! changelog) or when it holds `.sql` files and is named like a migrations folder, or its files
//! carry a tool's naming or markers. Loose SQL elsewhere (`scripts/`, `seeds/`, pgTAP tests)
//! is never taken for migrations. It reads names, and file heads only as `folder.rs` does.

use std::path::{Path, PathBuf};

use super::folder::{FolderListing, detect_layout};
use super::layouts::liquibase;
use super::{Layout, SourceError};

/// How many folders below the searched one a migrations folder may be
/// (`services/api/src/main/resources/db/migration` is seven).
pub const MAX_DEPTH: usize = 8;

/// Folder names the search never enters.
const SKIPPED_FOLDERS: [&str; 18] = [
    "node_modules",
    "target",
    "vendor",
    "dist",
    "build",
    "out",
    "coverage",
    "tmp",
    "__pycache__",
    "venv",
    "testdata",
    "fixtures",
    "__fixtures__",
    "bower_components",
    "down",
    "revert",
    "rollback",
    "undo",
];

/// Folder names that say "migrations" whatever the files look like.
const MIGRATION_FOLDER_NAMES: [&str; 5] = ["migrations", "migration", "migrate", "changelog", "changelogs"];

/// The migrations folders below `root`, in a stable (name) order, outermost first; none
/// inside another. `layout`, when forced, applies to each, so only the folder's own evidence
/// (its name or structure) counts then.
pub fn migrations_folders_below(root: &Path, layout: Option<Layout>) -> Result<Vec<PathBuf>, SourceError> {
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(root).min_depth(1).max_depth(MAX_DEPTH).sort_by_file_name();
    let mut entries = walker.into_iter().filter_entry(|entry| {
        let name = entry.file_name().to_string_lossy();
        entry.file_type().is_dir() && !name.starts_with('.') && !SKIPPED_FOLDERS.contains(&name.as_ref())
    });
    while let Some(entry) = entries.next() {
        let Ok(entry) = entry else { continue };
        let Ok(listing) = FolderListing::read(entry.path()) else { continue };
        if is_migrations_folder(&listing, layout) {
            found.push(entry.path().to_path_buf());
            entries.skip_current_dir();
        }
    }
    Ok(found)
}

fn is_migrations_folder(listing: &FolderListing, layout: Option<Layout>) -> bool {
    if listing.holds_structured_migrations() || liquibase::master_changelog(listing).is_some() {
        return true;
    }
    if listing.sql_files.is_empty() {
        return false;
    }
    let name =
        listing.path.file_name().map(|name| name.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if MIGRATION_FOLDER_NAMES.contains(&name.as_str()) {
        return true;
    }
    layout.is_none() && detect_layout(listing).0 != Layout::Plain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::test_support::folder_with;

    fn found(root: &Path) -> Vec<String> {
        migrations_folders_below(root, None)
            .expect("search")
            .iter()
            .map(|path| path.strip_prefix(root).expect("below").to_string_lossy().replace('\\', "/"))
            .collect()
    }

    #[test]
    fn finds_the_migrations_folders_of_a_monorepo() {
        let repo = folder_with(&[
            ("platform/app/db-core/migrations/0001_init.sql", ""),
            ("packages/db/migrations/meta/_journal.json", "{\"entries\": []}"),
            ("packages/db/migrations/0000_a.sql", ""),
            ("apps/api/db/20240101000000_a/up.sql", ""),
            ("apps/web/supabase/migrations/20240101000000_a.sql", ""),
            ("apps/web/supabase/seed.sql", ""),
            ("apps/worker/sql/00001_jobs.sql", "-- +goose Up\nSELECT 1;\n"),
            ("scripts/report.sql", "SELECT 1;\n"),
            ("node_modules/pkg/migrations/1_x.sql", ""),
            ("target/migrations/1_x.sql", ""),
            (".git/migrations/1_x.sql", ""),
            ("tests/fixtures/migrations/1_x.sql", ""),
            // A reversal folder is never entered, so `db/migrations` holds nothing found.
            ("db/migrations/down/1_x.sql", ""),
        ]);
        assert_eq!(
            found(repo.path()),
            [
                "apps/api/db",
                "apps/web/supabase/migrations",
                "apps/worker/sql",
                "packages/db/migrations",
                "platform/app/db-core/migrations"
            ]
        );
    }

    #[test]
    fn the_search_stops_at_its_depth() {
        let deep = format!("{}/migrations/1_x.sql", ["a"; MAX_DEPTH].join("/"));
        let repo = folder_with(&[(deep.as_str(), ""), ("b/migrations/1_x.sql", "")]);
        assert_eq!(found(repo.path()), ["b/migrations"]);
    }
}
