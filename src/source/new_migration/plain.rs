//! A plain folder: the next leading number, or a name that sorts after every other in natural
//! order.

use super::versions::{Clock, next_version_like};
use super::{
    FixText, NewMigration, NewMigrationError, Separator, ensure_runs_last, exists, free_change_name,
    highest_version, leading_digits,
};
use crate::source::MigrationSet;
use crate::source::folder::FolderListing;
use crate::source::order::natural_cmp;

/// A plain folder, in natural name order: the next leading number, or, when the names do not
/// all start with one, a name that sorts after all of them.
pub(super) fn plan_numbered(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
    separator: Separator,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    let highest = highest_version(listing.sql_files.iter().filter_map(|name| leading_digits(name)));
    let version = match highest {
        Some(highest) => next_version_like(highest, clock),
        None => "1".to_string(),
    };
    let change =
        free_change_name(&set.root, |change| exists(&set.root.join(format!("{version}_{change}.sql"))))?;
    let numbered_name = format!("{version}_{change}.sql");
    let sorts_after_every_name =
        |candidate: &str| listing.sql_files.iter().all(|name| natural_cmp(name, candidate).is_lt());

    let mut extra_header = Vec::new();
    let name = if sorts_after_every_name(&numbered_name) {
        numbered_name
    } else {
        let last = listing.sql_files.iter().max_by(|left, right| natural_cmp(left, right));
        let prefix =
            "z".repeat(last.map_or(0, |name| name.bytes().take_while(|byte| *byte == b'z').count()) + 1);
        let change =
            free_change_name(&set.root, |change| exists(&set.root.join(format!("{prefix}_{change}.sql"))))?;
        let name = format!("{prefix}_{change}.sql");
        extra_header.push(format!(
            "-- Named `{name}` so that it sorts after every other file of this folder in natural name order:"
        ));
        extra_header.push("-- not every file here starts with a number to continue.".to_string());
        name
    };
    let text = fix.file(&extra_header, &fix.statements_joined(separator));
    ensure_runs_last(set, listing, &[name.as_str()], None)?;
    Ok(NewMigration { created: vec![(set.root.join(name), text)], updated: Vec::new(), notes: Vec::new() })
}

#[cfg(test)]
mod tests {

    use super::super::test_support::*;

    use crate::source::test_support::folder_with;

    #[test]
    fn plain_gets_the_next_number() {
        let project = copy_fixture("plain");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan), (vec!["11_neonlint_fix.sql".to_string()], vec![]));
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        write_and_check(project.path(), &plan, &[]);

        let project = folder_with(&[("migrations/001_a.sql", ""), ("migrations/002_b.sql", "")]);
        let set = discover_set(project.path());
        assert_eq!(relative_paths(&set, &plan_at(&set, now())).0, ["003_neonlint_fix.sql"]);
    }

    #[test]
    fn plain_without_leading_numbers_sorts_last_by_name_and_says_so() {
        let project = folder_with(&[("migrations/init.sql", ""), ("migrations/policies.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["z_neonlint_fix.sql"]);
        assert_eq!(
            created_text(&plan, 0),
            "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\
             -- Named `z_neonlint_fix.sql` so that it sorts after every other file of this folder in natural name \
             order:\n\
             -- not every file here starts with a number to continue.\n\n\
             ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n\n\
             -- NL006: grant what the policy already restricts\n\
             GRANT SELECT ON public.todos TO authenticated;\n"
        );
        write_and_check(project.path(), &plan, &[]);

        // Run again, the new name must sort after `z_neonlint_fix.sql`.
        let set = discover_set(project.path());
        let again = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &again).0, ["zz_neonlint_fix.sql"]);
        write_and_check(project.path(), &again, &[]);
    }

    #[test]
    fn plain_with_mixed_names_sorts_after_the_unnumbered_ones() {
        let project = folder_with(&[("migrations/1_init.sql", ""), ("migrations/zeta.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["zz_neonlint_fix.sql"]);
        write_and_check(project.path(), &plan, &[]);
    }
}
