//! golang-migrate: `<next version>_neonlint_fix.up.sql` and a down file of comments only.

use super::versions::{Clock, next_version_like};
use super::{
    FixText, NewMigration, NewMigrationError, Separator, ensure_runs_last, exists, free_change_name,
    highest_version, no_reversal_comment,
};
use crate::source::MigrationSet;
use crate::source::folder::FolderListing;
use crate::source::order::{numbered_prefix, parse_golang_migrate_name};

pub(super) fn plan(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    // Down files count too: a version with only a down file is still taken.
    let versions = listing
        .sql_files
        .iter()
        .filter(|name| parse_golang_migrate_name(name).is_some())
        .filter_map(|name| numbered_prefix(name));
    let version = match highest_version(versions) {
        Some(highest) => next_version_like(highest, clock),
        // `migrate create` names files by UTC time unless told `-seq`.
        None => clock.utc().compact(),
    };
    let change = free_change_name(&set.root, |change| {
        exists(&set.root.join(format!("{version}_{change}.up.sql")))
            || exists(&set.root.join(format!("{version}_{change}.down.sql")))
    })?;
    let up_name = format!("{version}_{change}.up.sql");
    let down_name = format!("{version}_{change}.down.sql");
    let up_text = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
    let down_text =
        fix.file(&[], &no_reversal_comment("Migrating down through this version changes nothing", &up_name));
    ensure_runs_last(set, listing, &[up_name.as_str(), down_name.as_str()], None)?;
    Ok(NewMigration {
        created: vec![(set.root.join(up_name), up_text), (set.root.join(down_name), down_text)],
        updated: Vec::new(),
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {

    use super::super::test_support::*;

    use crate::source::test_support::folder_with;

    #[test]
    fn golang_migrate_gets_the_next_version_and_a_harmless_down_file() {
        let project = copy_fixture("golang-migrate");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["11_neonlint_fix.up.sql", "11_neonlint_fix.down.sql"]);
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        assert_eq!(
            created_text(&plan, 1),
            "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\n\
             -- Migrating down through this version changes nothing.\n\
             -- neonlint's Data API fixes have no automatic reversal. To undo them by hand, reverse each\n\
             -- statement of `11_neonlint_fix.up.sql`: REVOKE what it grants, DROP POLICY what it creates,\n\
             -- DISABLE ROW LEVEL SECURITY where it enables it. That exposes again what neonlint reported,\n\
             -- so do it only on purpose. This script is only comments: valid SQL that changes nothing.\n"
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn golang_migrate_keeps_zero_padding_and_counts_down_files() {
        let project = folder_with(&[
            ("migrations/000006_init.up.sql", ""),
            ("migrations/000006_init.down.sql", ""),
            ("migrations/000007_orphan.down.sql", ""),
        ]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan).0,
            ["000008_neonlint_fix.up.sql", "000008_neonlint_fix.down.sql"]
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn golang_migrate_timestamps_get_a_stamp_of_the_same_kind() {
        let project = folder_with(&[("migrations/20240101000000_init.up.sql", "")]);
        let set = discover_set(project.path());
        assert_eq!(relative_paths(&set, &plan_at(&set, now())).0[0], "20261127044000_neonlint_fix.up.sql");

        let project = folder_with(&[("migrations/1704067200_init.up.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0[0], "1795754400_neonlint_fix.up.sql");
        write_and_check(project.path(), &plan, &[]);

        // A clock behind the newest version: one after it.
        let set = discover_set(project.path());
        assert_eq!(
            relative_paths(&set, &plan_at(&set, at(1_704_067_100))).0[0],
            "1795754401_neonlint_fix.up.sql"
        );
    }
}
