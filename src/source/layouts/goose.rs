//! goose: `<version>_name.sql` by numeric version (timestamps or sequence numbers); only the
//! part between `-- +goose Up` and `-- +goose Down` runs (`markers.rs` keeps it). goose's Go
//! migrations (`.go` files) cannot be read and are not listed.

use super::{Ordered, by_numbered_version};
use crate::source::Notice;
use crate::source::display_path;
use crate::source::folder::FolderListing;
use crate::source::order::numbered_prefix;

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = by_numbered_version(listing, "goose", "-- +goose Up");
    // goose refuses a folder where two files share a version.
    let mut versions: Vec<(u128, &String)> = listing
        .sql_files
        .iter()
        .filter_map(|name| Some((numbered_prefix(name)?.parse::<u128>().ok()?, name)))
        .collect();
    versions.sort();
    for pair in versions.windows(2) {
        let ((version, first), (next_version, second)) = (pair[0], pair[1]);
        if version == next_version && ordered.files.contains(&listing.path.join(first)) {
            ordered.notices.push(Notice {
                path: Some(display_path(&listing.path.join(second))),
                message: format!(
                    "`{first}` and `{second}` have the same version {version}: goose refuses to run them, so they \
                     are taken in name order"
                ),
            });
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn goose_orders_by_numeric_version_and_skips_other_names() {
        let folder = folder_with(&[
            ("00010_c.sql", ""),
            ("00002_b.sql", ""),
            ("20240101000000_a.sql", ""),
            ("seed.sql", ""),
            ("main.go", ""),
        ]);
        let ordered = ordered(Layout::Goose, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["00002_b.sql", "00010_c.sql", "20240101000000_a.sql"]
        );
        assert_eq!(
            messages(&ordered),
            ["skipped `seed.sql`: goose only runs files named `<version>_name.sql`"]
        );
    }

    #[test]
    fn goose_markers_with_other_names_take_every_file_in_natural_order() {
        let folder = folder_with(&[("1627205500880-b.sql", ""), ("1627205500879-a.sql", "")]);
        let ordered = ordered(Layout::Goose, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["1627205500879-a.sql", "1627205500880-b.sql"]);
        assert_eq!(ordered.notices.len(), 1);
        assert!(
            ordered.notices[0].message.ends_with(
                "has goose's `-- +goose Up` markers but no file named `<version>_name.sql` as goose needs: \
                 neonlint replays the up part of every file, in natural name order; set `layout` in neonlint.toml \
                 if another tool runs these migrations"
            ),
            "{}",
            ordered.notices[0].message
        );
    }

    #[test]
    fn goose_duplicate_versions_get_a_notice() {
        let folder = folder_with(&[("1_a.sql", ""), ("01_b.sql", "")]);
        let ordered = ordered(Layout::Goose, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["01_b.sql", "1_a.sql"]);
        assert_eq!(
            messages(&ordered),
            [
                "`01_b.sql` and `1_a.sql` have the same version 1: goose refuses to run them, so they are taken in \
              name order"
            ]
        );
    }
}
