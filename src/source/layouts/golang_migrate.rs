//! golang-migrate: `<version>_name.up.sql` by numeric version; `.down.sql` never runs.

use super::{Ordered, skipped};
use crate::source::folder::FolderListing;
use crate::source::order::{GolangMigrateDirection, parse_golang_migrate_name};
use crate::source::{Notice, display_path};

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let mut up_files = Vec::new();
    for name in &listing.sql_files {
        match parse_golang_migrate_name(name) {
            Some((version, GolangMigrateDirection::Up)) => up_files.push((version, name)),
            // Down files undo a migration; migrating up never runs them.
            Some((_, GolangMigrateDirection::Down)) => {}
            None => ordered.notices.push(skipped(
                listing,
                name,
                "golang-migrate only runs files named `<version>_name.up.sql`",
            )),
        }
    }
    up_files.sort();
    for pair in up_files.windows(2) {
        let ((version, first), (next_version, second)) = (pair[0], pair[1]);
        if version == next_version {
            ordered.notices.push(Notice {
                path: Some(display_path(&listing.path.join(second))),
                message: format!(
                    "`{first}` and `{second}` have the same version {version}: golang-migrate refuses to run \
                     them, so they are taken in name order"
                ),
            });
        }
    }
    ordered.files = up_files.into_iter().map(|(_, name)| listing.path.join(name)).collect();
    ordered
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn golang_migrate_orders_up_files_by_numeric_version() {
        let folder = folder_with(&[
            ("10_disable.up.sql", ""),
            ("10_disable.down.sql", ""),
            ("2_enable.up.sql", ""),
            ("1_init.up.sql", ""),
            ("1_init.down.sql", ""),
            ("seed.sql", ""),
        ]);
        let ordered = ordered(Layout::GolangMigrate, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["1_init.up.sql", "2_enable.up.sql", "10_disable.up.sql"]
        );
        assert_eq!(
            messages(&ordered),
            ["skipped `seed.sql`: golang-migrate only runs files named `<version>_name.up.sql`"]
        );
    }

    #[test]
    fn golang_migrate_duplicate_versions_get_a_notice() {
        let folder = folder_with(&[("1_b.up.sql", ""), ("01_a.up.sql", "")]);
        let ordered = ordered(Layout::GolangMigrate, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["01_a.up.sql", "1_b.up.sql"]);
        assert_eq!(
            messages(&ordered),
            [
                "`01_a.up.sql` and `1_b.up.sql` have the same version 1: golang-migrate refuses to run them, so \
                 they are taken in name order"
            ]
        );
    }
}
