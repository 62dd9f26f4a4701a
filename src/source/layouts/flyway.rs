//! Flyway: `V<version>__name.sql` by version, part by part, then `R__name.sql` by description.

use super::{Ordered, skipped};
use crate::source::folder::FolderListing;
use crate::source::order::{FlywayName, compare_flyway_versions, parse_flyway_name};
use crate::source::{Notice, display_path};

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let mut versioned = Vec::new();
    let mut repeatable = Vec::new();
    for name in &listing.sql_files {
        match parse_flyway_name(name) {
            Some(FlywayName::Versioned { version }) => versioned.push((version, name)),
            Some(FlywayName::Repeatable { description }) => repeatable.push((description, name)),
            // Undo migrations run only on `flyway undo`, never when migrating.
            Some(FlywayName::Undo) => {}
            None => ordered.notices.push(skipped(
                listing,
                name,
                "Flyway only runs files named `V<version>__name.sql` and `R__name.sql`",
            )),
        }
    }
    versioned.sort_by(|(left_version, left_name), (right_version, right_name)| {
        compare_flyway_versions(left_version, right_version).then_with(|| left_name.cmp(right_name))
    });
    for pair in versioned.windows(2) {
        let ((version, first), (next_version, second)) = (&pair[0], &pair[1]);
        if compare_flyway_versions(version, next_version).is_eq() {
            ordered.notices.push(Notice {
                path: Some(display_path(&listing.path.join(second))),
                message: format!(
                    "`{first}` and `{second}` have the same version: Flyway refuses to migrate with both, so \
                     they are taken in name order"
                ),
            });
        }
    }
    // Flyway applies repeatable migrations after every versioned one, by description.
    repeatable.sort();
    ordered.files = versioned
        .into_iter()
        .map(|(_, name)| name)
        .chain(repeatable.into_iter().map(|(_, name)| name))
        .map(|name| listing.path.join(name))
        .collect();
    ordered
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn flyway_orders_versions_numerically_then_repeatables_by_description() {
        let folder = folder_with(&[
            ("V10__disable_rls.sql", ""),
            ("V2__enable_rls.sql", ""),
            ("V1_1__comment.sql", ""),
            ("V1__init.sql", ""),
            ("U10__undo.sql", ""),
            ("R__touch.sql", ""),
            ("R__a_view.sql", ""),
            ("notes.sql", ""),
        ]);
        let ordered = ordered(Layout::Flyway, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            [
                "V1__init.sql",
                "V1_1__comment.sql",
                "V2__enable_rls.sql",
                "V10__disable_rls.sql",
                "R__a_view.sql",
                "R__touch.sql"
            ]
        );
        assert_eq!(
            messages(&ordered),
            ["skipped `notes.sql`: Flyway only runs files named `V<version>__name.sql` and `R__name.sql`"]
        );
    }

    #[test]
    fn flyway_equal_versions_get_a_notice() {
        let folder = folder_with(&[("V1__a.sql", ""), ("V1.0__b.sql", "")]);
        let ordered = ordered(Layout::Flyway, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["V1.0__b.sql", "V1__a.sql"]);
        assert_eq!(
            messages(&ordered),
            ["`V1.0__b.sql` and `V1__a.sql` have the same version: Flyway refuses to migrate with both, so \
                 they are taken in name order"]
        );
    }
}
