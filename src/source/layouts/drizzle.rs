//! drizzle-kit: the order of `meta/_journal.json`, or `<timestamp>_name/migration.sql` folders.

use crate::input;
use std::collections::HashSet;

use serde::Deserialize;

use super::{Ordered, skipped};
use crate::source::folder::FolderListing;
use crate::source::{Notice, SourceError, display_path};

/// Where drizzle-kit keeps its journal, relative to the migrations folder.
pub const DRIZZLE_JOURNAL: &str = "meta/_journal.json";

/// The parts of drizzle's `meta/_journal.json` neonlint reads.
#[derive(Deserialize)]
pub struct DrizzleJournal {
    pub entries: Vec<DrizzleJournalEntry>,
}

#[derive(Deserialize)]
pub struct DrizzleJournalEntry {
    pub idx: Option<u64>,
    pub version: Option<serde_json::Value>,
    pub when: Option<serde_json::Value>,
    pub tag: String,
}

pub(super) fn order(listing: &FolderListing) -> Result<Ordered, SourceError> {
    if listing.has_journal {
        return drizzle_from_journal(listing);
    }
    if !listing.migration_folders.is_empty() {
        return Ok(super::prisma::migration_folders(listing, "drizzle"));
    }
    let mut ordered = super::plain::order(listing);
    if !ordered.files.is_empty() {
        let message = format!(
            "`{}` has no `{DRIZZLE_JOURNAL}`, so drizzle's order is unknown: the `.sql` files are taken in \
             natural name order",
            display_path(&listing.path)
        );
        ordered.notices.insert(0, Notice { path: Some(display_path(&listing.path)), message });
    }
    Ok(ordered)
}

fn drizzle_from_journal(listing: &FolderListing) -> Result<Ordered, SourceError> {
    let journal_path = listing.path.join(DRIZZLE_JOURNAL);
    let bytes = input::read_bytes(&journal_path, input::SETTINGS_LIMIT)
        .map_err(|error| SourceError::UnreadableFile { path: journal_path.clone(), error })?;
    let journal: DrizzleJournal = serde_json::from_slice(&bytes).map_err(|error| {
        SourceError::InvalidJournal { path: journal_path.clone(), error: error.to_string() }
    })?;
    let mut entries = journal.entries;
    if entries.iter().all(|entry| entry.idx.is_some()) {
        // A stable sort: entries with equal `idx` keep their order in the file.
        entries.sort_by_key(|entry| entry.idx);
    }

    let mut ordered = Ordered::default();
    let mut listed_names = HashSet::new();
    for entry in &entries {
        let file_name = format!("{}.sql", entry.tag);
        let path = listing.path.join(&file_name);
        if path.is_file() {
            ordered.files.push(path);
        } else {
            ordered.notices.push(Notice {
                path: Some(display_path(&journal_path)),
                message: format!(
                    "`{DRIZZLE_JOURNAL}` lists `{}`, but `{file_name}` does not exist, so it is not linted",
                    entry.tag
                ),
            });
        }
        listed_names.insert(file_name);
    }
    for name in &listing.sql_files {
        if !listed_names.contains(name) {
            let why = format!("it is not listed in `{DRIZZLE_JOURNAL}`, so drizzle will not run it");
            ordered.notices.push(skipped(listing, name, &why));
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::source::layouts::order_files;
    use crate::source::test_support::folder_with;
    use crate::source::{Layout, display_path};

    #[test]
    fn drizzle_follows_the_journal_by_idx() {
        let journal = r#"{"version":"7","dialect":"postgresql","entries":[
            {"idx":1,"version":"7","when":2,"tag":"0001_second","breakpoints":true},
            {"idx":0,"version":"7","when":1,"tag":"0000_first","breakpoints":true},
            {"idx":2,"version":"7","when":3,"tag":"0002_missing","breakpoints":true}]}"#;
        let folder = folder_with(&[
            ("meta/_journal.json", journal),
            ("0000_first.sql", ""),
            ("0001_second.sql", ""),
            ("0003_stray.sql", ""),
        ]);
        let ordered = ordered(Layout::Drizzle, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["0000_first.sql", "0001_second.sql"]);
        assert_eq!(
            messages(&ordered),
            [
                "`meta/_journal.json` lists `0002_missing`, but `0002_missing.sql` does not exist, so it is not linted",
                "skipped `0003_stray.sql`: it is not listed in `meta/_journal.json`, so drizzle will not run it",
            ]
        );
        assert_eq!(ordered.notices[0].path, Some(display_path(&folder.path().join("meta/_journal.json"))));
        assert_eq!(ordered.notices[1].path, Some(display_path(&folder.path().join("0003_stray.sql"))));
    }

    #[test]
    fn drizzle_journal_without_idx_keeps_array_order() {
        let journal = r#"{"entries":[{"tag":"b"},{"idx":0,"tag":"a"}]}"#;
        let folder = folder_with(&[("meta/_journal.json", journal), ("a.sql", ""), ("b.sql", "")]);
        assert_eq!(
            relative_names(&ordered(Layout::Drizzle, folder.path()), folder.path()),
            ["b.sql", "a.sql"]
        );
    }

    #[test]
    fn drizzle_invalid_journal_is_an_error_naming_the_file_and_the_json_error() {
        let folder = folder_with(&[("meta/_journal.json", r#"{"entries": [{"idx": 0}]}"#)]);
        let listing = FolderListing::read(folder.path()).expect("listing");
        let error = order_files(Layout::Drizzle, &listing).expect_err("invalid journal");
        let journal = display_path(&folder.path().join("meta/_journal.json"));
        assert_eq!(
            error.to_string(),
            format!(
                "cannot read the drizzle journal `{journal}`: missing field `tag` at line 1 column 23; fix the \
                 JSON, or restore the file from version control (drizzle-kit writes it on `drizzle-kit generate`)"
            )
        );

        let not_json = folder_with(&[("meta/_journal.json", "not json")]);
        let listing = FolderListing::read(not_json.path()).expect("listing");
        let error = order_files(Layout::Drizzle, &listing).expect_err("invalid journal");
        assert!(error.to_string().contains("expected ident at line 1 column 2"), "{error}");
    }

    #[test]
    fn drizzle_folders_without_journal_run_in_folder_order() {
        let folder = folder_with(&[
            ("20240102000000_b/migration.sql", ""),
            ("20240101000000_a/migration.sql", ""),
            ("20240101000000_a/snapshot.json", "{}"),
            ("loose.sql", ""),
        ]);
        let ordered = ordered(Layout::Drizzle, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["20240101000000_a/migration.sql", "20240102000000_b/migration.sql"]
        );
        assert_eq!(
            messages(&ordered),
            ["skipped `loose.sql`: drizzle only runs `<folder>/migration.sql` files"]
        );
    }

    #[test]
    fn drizzle_without_journal_or_folders_warns_and_uses_natural_order() {
        let folder = folder_with(&[("10_b.sql", ""), ("2_a.sql", "")]);
        let ordered = ordered(Layout::Drizzle, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["2_a.sql", "10_b.sql"]);
        let shown = display_path(folder.path());
        assert_eq!(
            messages(&ordered),
            [format!(
                "`{shown}` has no `meta/_journal.json`, so drizzle's order is unknown: the `.sql` files are \
                 taken in natural name order"
            )]
        );
    }
}
