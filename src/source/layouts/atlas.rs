//! Atlas: the `.sql` files beside `atlas.sum`, in name order (Atlas sorts the directory's files
//! by name, and its versions are the leading timestamps). Files named as down migrations are
//! never replayed.

use super::{Ordered, without_reversals};
use crate::source::folder::FolderListing;

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let (names, reversals) = without_reversals(listing, &listing.sql_files, false);
    ordered.notices.extend(reversals);
    ordered.files = names.into_iter().map(|name| listing.path.join(name)).collect();
    ordered
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn atlas_runs_files_in_name_order() {
        let folder =
            folder_with(&[("atlas.sum", ""), ("20240102000000_b.sql", ""), ("20240101000000_a.sql", "")]);
        let ordered = ordered(Layout::Atlas, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["20240101000000_a.sql", "20240102000000_b.sql"]);
        assert!(ordered.notices.is_empty());
    }
}
