//! postgrator: `<version>.do.<name>.sql` by numeric version; `.undo.` files never run when
//! migrating up.

use super::{Ordered, skipped};
use crate::source::folder::FolderListing;
use crate::source::order::parse_postgrator_name;
use crate::source::{Notice, display_path};

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let mut versioned = Vec::new();
    for name in &listing.sql_files {
        match parse_postgrator_name(name) {
            Some((version, true)) => versioned.push((version, name)),
            Some((_, false)) => {}
            None => ordered.notices.push(skipped(
                listing,
                name,
                "postgrator only runs files named `<version>.do.<name>.sql`",
            )),
        }
    }
    versioned.sort();
    for pair in versioned.windows(2) {
        let ((version, first), (next_version, second)) = (pair[0], pair[1]);
        if version == next_version {
            ordered.notices.push(Notice {
                path: Some(display_path(&listing.path.join(second))),
                message: format!(
                    "`{first}` and `{second}` have the same version {version}: postgrator refuses to run them, so \
                     they are taken in name order"
                ),
            });
        }
    }
    ordered.files = versioned.into_iter().map(|(_, name)| listing.path.join(name)).collect();
    ordered
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn postgrator_runs_do_files_by_numeric_version() {
        let folder = folder_with(&[
            ("10.do.c.sql", ""),
            ("10.undo.c.sql", ""),
            ("2.do.sql", ""),
            ("0001.do.init.sql", ""),
            ("0001.undo.init.sql", ""),
            ("seed.sql", ""),
        ]);
        let ordered = ordered(Layout::Postgrator, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["0001.do.init.sql", "2.do.sql", "10.do.c.sql"]);
        assert_eq!(
            messages(&ordered),
            ["skipped `seed.sql`: postgrator only runs files named `<version>.do.<name>.sql`"]
        );
    }
}
