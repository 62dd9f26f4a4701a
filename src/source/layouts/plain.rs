//! A plain folder: every `.sql` file in natural name order, except those named as reversals
//! (`.down.sql`, `_down.sql`, `.undo.`, `rollback`, `revert`): no tool says which files run, so
//! a file that reads as undoing another is never replayed.

use std::path::PathBuf;

use super::{Ordered, natural_order, without_reversals};
use crate::source::folder::FolderListing;
use crate::source::markers::{self, Markers};
use crate::source::{Notice, display_path};

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let (names, reversals) = without_reversals(listing, &listing.sql_files, true);
    ordered.notices.extend(reversals);
    let paths: Vec<PathBuf> = names.iter().map(|name| listing.path.join(name)).collect();
    let marked: Vec<(Markers, &String)> = markers::files_markers(&paths)
        .into_iter()
        .zip(&names)
        .filter_map(|(found, name)| Some((found?, *name)))
        .collect();
    if let Some((found, first)) = marked.first() {
        let folder = display_path(&listing.path);
        let count = if marked.len() == 1 { "1 file".to_string() } else { format!("{} files", marked.len()) };
        ordered.notices.push(Notice {
            path: Some(folder.clone()),
            message: format!(
                "{count} in `{folder}` (`{first}`, …) carry `{}` markers: neonlint replays only their up part",
                found.up_marker()
            ),
        });
    }
    ordered.files = natural_order(names).into_iter().map(|name| listing.path.join(name)).collect();
    ordered
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn plain_folders_use_natural_order() {
        let folder = folder_with(&[("10_c.sql", ""), ("2_b.sql", ""), ("1_a.sql", ""), ("sub/3_x.sql", "")]);
        let ordered = ordered(Layout::Plain, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["1_a.sql", "2_b.sql", "10_c.sql"]);
        assert!(ordered.notices.is_empty());
    }

    #[test]
    fn plain_never_replays_a_reversal_and_says_how_many_it_skipped() {
        let folder = folder_with(&[
            ("1_init.sql", ""),
            ("1_init_down.sql", ""),
            ("2_policies.sql", ""),
            ("2_policies.undo.sql", ""),
            ("3_revert_policies.sql", ""),
            ("rollback.sql", ""),
        ]);
        let ordered = ordered(Layout::Plain, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["1_init.sql", "2_policies.sql"]);
        assert_eq!(
            messages(&ordered),
            ["skipped 4 files named as a down, undo, rollback or revert migration (`1_init_down.sql`, \
              `2_policies.undo.sql`, `3_revert_policies.sql`, and 1 more): such a migration undoes another and \
              never runs when migrating up; rename a file if it is in fact a forward migration"]
        );
    }

    #[test]
    fn plain_files_with_markers_are_noted() {
        let folder = folder_with(&[
            ("1627205500879-extensions.sql", "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n"),
            ("1627205500880-tables.sql", "SELECT 3;\n"),
        ]);
        let ordered = ordered(Layout::Plain, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["1627205500879-extensions.sql", "1627205500880-tables.sql"]
        );
        assert_eq!(ordered.notices.len(), 1);
        assert!(
            ordered.notices[0].message.starts_with("1 file in `")
                && ordered.notices[0].message.ends_with(
                    "(`1627205500879-extensions.sql`, …) carry `-- +goose Up` markers: neonlint replays only their \
                     up part"
                ),
            "{}",
            ordered.notices[0].message
        );
    }
}
