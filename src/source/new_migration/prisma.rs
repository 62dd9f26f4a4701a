//! Prisma: `<UTC stamp>_neonlint_fix/migration.sql`; drizzle-kit's folder layout too.

use super::versions::{Clock, next_utc_stamp};
use super::{
    FixText, NewMigration, NewMigrationError, Separator, ensure_runs_last, exists, free_change_name,
    highest_version,
};
use crate::source::MigrationSet;
use crate::source::folder::FolderListing;
use crate::source::order::numbered_prefix;

/// Prisma's `<timestamp>_name/migration.sql`, also drizzle-kit's layout without a journal.
pub(super) fn plan_migration_folder(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
    separator: Separator,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    let newest = highest_version(listing.migration_folders.iter().filter_map(|name| numbered_prefix(name)));
    let version = next_utc_stamp(newest, clock);
    let change = free_change_name(&set.root, |change| exists(&set.root.join(format!("{version}_{change}"))))?;
    let folder = format!("{version}_{change}");
    let text = fix.file(&[], &fix.statements_joined(separator));
    ensure_runs_last(set, listing, &[], Some(folder.as_str()))?;
    Ok(NewMigration {
        created: vec![(set.root.join(folder).join("migration.sql"), text)],
        updated: Vec::new(),
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::test_support::*;

    #[test]
    fn prisma_gets_a_new_migration_folder() {
        let project = copy_fixture("prisma");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["20261127044000_neonlint_fix/migration.sql".to_string()], vec![])
        );
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn prisma_folder_name_taken_gets_2() {
        let project = copy_fixture("prisma");
        let taken = project.path().join("prisma/migrations/20261127044000_neonlint_fix");
        fs::create_dir(&taken).expect("create folder");
        fs::write(taken.join("README.md"), "draft\n").expect("write");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["20261127044000_neonlint_fix_2/migration.sql"]);
        write_and_check(project.path(), &plan, &[]);
    }
}
