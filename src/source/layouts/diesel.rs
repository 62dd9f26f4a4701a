//! diesel: `<version>_name/up.sql` folders, in folder-name order (diesel sorts by the version,
//! `2024-06-03-034617` or `00000000000000`, which leads the name); `down.sql` never runs.

use super::{Ordered, skipped};
use crate::source::folder::FolderListing;
use crate::source::{Notice, display_path};

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    for folder in &listing.up_folders {
        ordered.files.push(listing.path.join(folder).join("up.sql"));
    }
    for folder in &listing.numbered_folders_without_migration {
        ordered.notices.push(Notice {
            path: Some(display_path(&listing.path.join(folder))),
            message: format!("skipped `{folder}`: the folder has no `up.sql`, so diesel will not run it"),
        });
    }
    for name in &listing.sql_files {
        ordered.notices.push(skipped(listing, name, "diesel only runs `<folder>/up.sql` files"));
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn diesel_runs_up_sql_by_folder_name() {
        let folder = folder_with(&[
            ("2024-06-03-034617_create_users/up.sql", ""),
            ("2024-06-03-034617_create_users/down.sql", ""),
            ("00000000000000_diesel_initial_setup/up.sql", ""),
            ("00000000000000_diesel_initial_setup/down.sql", ""),
            ("2024-07-01-000000_empty/notes.md", ""),
            ("notes.sql", ""),
        ]);
        let ordered = ordered(Layout::Diesel, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["00000000000000_diesel_initial_setup/up.sql", "2024-06-03-034617_create_users/up.sql"]
        );
        assert_eq!(
            messages(&ordered),
            [
                "skipped `2024-07-01-000000_empty`: the folder has no `up.sql`, so diesel will not run it",
                "skipped `notes.sql`: diesel only runs `<folder>/up.sql` files",
            ]
        );
    }
}
