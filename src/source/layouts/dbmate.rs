//! dbmate: `<version>_name.sql` by numeric version, then name; only the `-- migrate:up` part
//! of each file runs (`markers.rs` keeps it).

use super::{Ordered, by_numbered_version};
use crate::source::folder::FolderListing;

pub(super) fn order(listing: &FolderListing) -> Ordered {
    by_numbered_version(listing, "dbmate", "-- migrate:up")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn dbmate_orders_by_numeric_version_then_name() {
        let folder = folder_with(&[("10_c.sql", ""), ("2_b.sql", ""), ("2_a.sql", ""), ("schema.sql", "")]);
        let ordered = ordered(Layout::Dbmate, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["2_a.sql", "2_b.sql", "10_c.sql"]);
        assert_eq!(
            messages(&ordered),
            ["skipped `schema.sql`: dbmate only runs files named `<version>_name.sql`"]
        );
    }
}
