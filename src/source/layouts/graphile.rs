//! graphile-migrate: `committed/<number>[-message].sql` in name order (the numbers are
//! zero-padded), then the work in progress, `current.sql` or the files of `current/` in name
//! order. The `--! Previous:` / `--! Hash:` header lines are comments and run as such.

use std::fs;

use super::{Ordered, skipped};
use crate::source::folder::{FolderListing, is_graphile_name};
use crate::source::{Notice, display_path};

pub(super) fn order(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let committed = listing.path.join("committed");
    ordered.files.extend(listing.committed_files.iter().map(|name| committed.join(name)));
    let current_folder = listing.path.join("current");
    if current_folder.is_dir() {
        let mut names: Vec<String> = fs::read_dir(&current_folder)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.path().is_file())
                    .filter_map(|entry| entry.file_name().into_string().ok())
                    .filter(|name| name.ends_with(".sql"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        for name in names {
            if is_graphile_name(&name) {
                ordered.files.push(current_folder.join(name));
            } else {
                ordered.notices.push(Notice {
                    path: Some(display_path(&current_folder.join(&name))),
                    message: format!(
                        "skipped `current/{name}`: graphile-migrate only runs files named `<number>[-message].sql` \
                         there"
                    ),
                });
            }
        }
    }
    for name in &listing.sql_files {
        if name == "current.sql" {
            if !current_folder.is_dir() {
                ordered.files.push(listing.path.join(name));
            }
            continue;
        }
        let why = "graphile-migrate only runs `committed/` migrations and `current.sql`";
        ordered.notices.push(skipped(listing, name, why));
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn graphile_runs_committed_then_current() {
        let folder = folder_with(&[
            ("committed/000002-policies.sql", ""),
            ("committed/000001.sql", ""),
            ("committed/notes.md", ""),
            ("current.sql", ""),
            ("afterReset.sql", ""),
        ]);
        let ordered = ordered(Layout::GraphileMigrate, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["committed/000001.sql", "committed/000002-policies.sql", "current.sql"]
        );
        assert_eq!(
            messages(&ordered),
            [
                "skipped `afterReset.sql`: graphile-migrate only runs `committed/` migrations and `current.sql`"
            ]
        );
    }

    #[test]
    fn graphile_current_folder_runs_in_name_order() {
        let folder = folder_with(&[
            ("committed/000001.sql", ""),
            ("current/2-b.sql", ""),
            ("current/1-a.sql", ""),
            ("current/readme.sql", ""),
        ]);
        let ordered = ordered(Layout::GraphileMigrate, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["committed/000001.sql", "current/1-a.sql", "current/2-b.sql"]
        );
        assert_eq!(ordered.notices.len(), 1);
    }
}
