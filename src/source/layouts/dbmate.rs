//! dbmate: `<version>_name.sql` by numeric version, then name.

use super::{Ordered, skipped};
use crate::source::folder::FolderListing;
use crate::source::order::*;

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let mut versioned = Vec::new();
    for name in &listing.sql_files {
        match numbered_prefix(name) {
            Some(version) => versioned.push((version, name)),
            None => ordered.notices.push(skipped(
                listing,
                name,
                "dbmate only runs files named `<version>_name.sql`",
            )),
        }
    }
    versioned.sort_by(|(left_version, left_name), (right_version, right_name)| {
        compare_digit_strings(left_version, right_version).then_with(|| left_name.cmp(right_name))
    });
    ordered.files = versioned.into_iter().map(|(_, name)| listing.path.join(name)).collect();
    ordered
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
