//! Supabase: `<timestamp>_name.sql`, in byte order of names, as the Supabase CLI sorts them.

use super::{Ordered, skipped, without_reversals};
use crate::source::folder::FolderListing;
use crate::source::order::numbered_prefix;

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let (names, reversals) = without_reversals(listing, &listing.sql_files, false);
    ordered.notices.extend(reversals);
    for name in names {
        if numbered_prefix(name).is_some() {
            ordered.files.push(listing.path.join(name));
        } else {
            ordered.notices.push(skipped(
                listing,
                name,
                "Supabase only runs files named `<timestamp>_name.sql`",
            ));
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    use crate::source::test_support::folder_with;
    use crate::source::{Layout, display_path};

    #[test]
    fn supabase_runs_numbered_files_in_byte_order_and_skips_others_with_a_notice() {
        let folder = folder_with(&[
            ("20240102_b.sql", ""),
            ("20240101_a.sql", ""),
            ("notes.sql", ""),
            ("README.md", ""),
        ]);
        let ordered = ordered(Layout::Supabase, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["20240101_a.sql", "20240102_b.sql"]);
        assert_eq!(
            messages(&ordered),
            ["skipped `notes.sql`: Supabase only runs files named `<timestamp>_name.sql`"]
        );
        assert_eq!(ordered.notices[0].path, Some(display_path(&folder.path().join("notes.sql"))));
    }

    #[test]
    fn supabase_order_is_byte_order_not_numeric() {
        // The Supabase CLI sorts names as strings; timestamps of equal length make that right.
        let folder = folder_with(&[("9_b.sql", ""), ("10_a.sql", "")]);
        assert_eq!(
            relative_names(&ordered(Layout::Supabase, folder.path()), folder.path()),
            ["10_a.sql", "9_b.sql"]
        );
    }
}
