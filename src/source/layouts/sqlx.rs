//! sqlx: `<version>_name.sql` (simple) and `<version>_name.up.sql` (reversible) by numeric
//! version; `.down.sql` never runs. sqlx reads the version up to the first `_` as an `i64`.

use super::{Ordered, skipped};
use crate::source::folder::FolderListing;
use crate::source::order::numbered_prefix;
use crate::source::{Notice, display_path};

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let mut versioned = Vec::new();
    for name in &listing.sql_files {
        if name.ends_with(".down.sql") {
            // Reversible migrations' down halves run only on `sqlx migrate revert`.
            continue;
        }
        match numbered_prefix(name).and_then(|version| version.parse::<i64>().ok()) {
            Some(version) => versioned.push((version, name)),
            None => ordered.notices.push(skipped(
                listing,
                name,
                "sqlx only runs files named `<version>_name.sql` or `<version>_name.up.sql`",
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
                    "`{first}` and `{second}` have the same version {version}: sqlx refuses to run them, so they \
                     are taken in name order"
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
    fn sqlx_runs_simple_and_up_files_by_version() {
        let folder = folder_with(&[
            ("20240102000000_b.up.sql", ""),
            ("20240102000000_b.down.sql", ""),
            ("20240101000000_a.sql", ""),
            ("3_c.sql", ""),
            ("schema.sql", ""),
        ]);
        let ordered = ordered(Layout::Sqlx, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["3_c.sql", "20240101000000_a.sql", "20240102000000_b.up.sql"]
        );
        assert_eq!(
            messages(&ordered),
            [
                "skipped `schema.sql`: sqlx only runs files named `<version>_name.sql` or `<version>_name.up.sql`"
            ]
        );
    }
}
