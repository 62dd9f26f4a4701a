//! Supabase: `supabase/migrations/<UTC stamp>_neonlint_fix.sql`.

use super::versions::{Clock, next_utc_stamp};
use super::{
    FixText, NewMigration, NewMigrationError, Separator, ensure_runs_last, exists, free_change_name,
    highest_version,
};
use crate::source::MigrationSet;
use crate::source::folder::FolderListing;
use crate::source::order::numbered_prefix;

pub(super) fn plan(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    let newest = highest_version(listing.sql_files.iter().filter_map(|name| numbered_prefix(name)));
    let version = next_utc_stamp(newest, clock);
    let change =
        free_change_name(&set.root, |change| exists(&set.root.join(format!("{version}_{change}.sql"))))?;
    let name = format!("{version}_{change}.sql");
    let text = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
    ensure_runs_last(set, listing, &[name.as_str()], None)?;
    Ok(NewMigration { created: vec![(set.root.join(name), text)], updated: Vec::new(), notes: Vec::new() })
}

#[cfg(test)]
mod tests {

    use super::super::test_support::*;

    use super::super::plan;
    use crate::source::display_path;
    use crate::source::test_support::folder_with;

    #[test]
    fn supabase_gets_a_utc_stamp() {
        let project = copy_fixture("supabase");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["20261127044000_neonlint_fix.sql".to_string()], vec![])
        );
        assert_eq!(set.root, canonical(&project.path().join("supabase/migrations")));
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn supabase_files_dated_in_the_future_get_the_newest_plus_one_second() {
        let project = folder_with(&[
            ("supabase/migrations/20240101000000_init.sql", ""),
            ("supabase/migrations/20261231235959_from_a_fast_clock.sql", ""),
        ]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["20270101000000_neonlint_fix.sql"]);
        write_and_check(project.path(), &plan, &[]);

        // A second fix in the same second comes after the first.
        let set = discover_set(project.path());
        let second = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &second).0, ["20270101000001_neonlint_fix.sql"]);
    }

    #[test]
    fn supabase_names_that_cannot_be_followed_are_an_error() {
        // Supabase sorts names as strings: nothing this module writes sorts after `9_b.sql`.
        let project =
            folder_with(&[("supabase/migrations/10_a.sql", ""), ("supabase/migrations/9_b.sql", "")]);
        let set = discover_set(project.path());
        let error = plan(&set, HEADER, &statements(), now()).expect_err("no name runs last");
        assert_eq!(
            error.to_string(),
            format!(
                "cannot name a new migration that Supabase runs last in `{}`: `20261127044000_neonlint_fix.sql` \
                 would run before `9_b.sql`; write the fix into a new migration by hand, named so that Supabase \
                 runs it after `9_b.sql`",
                display_path(&set.root)
            )
        );
    }
}
