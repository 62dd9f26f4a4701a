//! Prisma: `<timestamp>_name/migration.sql`, in folder order; drizzle-kit's newer layout too.

use super::{Ordered, skipped};
use crate::source::folder::FolderListing;
use crate::source::{Notice, display_path};

pub(super) fn order(listing: &FolderListing) -> Ordered {
    migration_folders(listing, "Prisma")
}

/// Prisma's layout, also drizzle-kit's newer one: `<folder>/migration.sql`, by folder name.
pub(super) fn migration_folders(listing: &FolderListing, tool: &str) -> Ordered {
    let mut ordered = Ordered::default();
    for folder in &listing.migration_folders {
        ordered.files.push(listing.path.join(folder).join("migration.sql"));
    }
    for folder in &listing.numbered_folders_without_migration {
        ordered.notices.push(Notice {
            path: Some(display_path(&listing.path.join(folder))),
            message: format!(
                "skipped `{folder}`: the folder has no `migration.sql`, so {tool} will not run it"
            ),
        });
    }
    for name in &listing.sql_files {
        let why = format!("{tool} only runs `<folder>/migration.sql` files");
        ordered.notices.push(skipped(listing, name, &why));
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn prisma_runs_migration_sql_by_folder_name() {
        let folder = folder_with(&[
            ("migration_lock.toml", ""),
            ("20240102000000_b/migration.sql", ""),
            ("20240101000000_a/migration.sql", ""),
            ("20240103000000_empty/notes.md", ""),
            ("notes.sql", ""),
        ]);
        let ordered = ordered(Layout::Prisma, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["20240101000000_a/migration.sql", "20240102000000_b/migration.sql"]
        );
        assert_eq!(
            messages(&ordered),
            [
                "skipped `20240103000000_empty`: the folder has no `migration.sql`, so Prisma will not run it",
                "skipped `notes.sql`: Prisma only runs `<folder>/migration.sql` files",
            ]
        );
    }
}
