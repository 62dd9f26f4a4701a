//! dbmate: `<UTC stamp>_neonlint_fix.sql` with a `-- migrate:up` block and a `-- migrate:down`
//! block of comments only.

use super::versions::{Clock, next_utc_stamp};
use super::{
    FixText, NewMigration, NewMigrationError, Separator, ensure_runs_last, exists, free_change_name,
    highest_version, no_reversal_comment,
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
    // dbmate accepts comments before `-- migrate:up` and requires a `-- migrate:down` block.
    let body = format!(
        "-- migrate:up\n{}\n\n-- migrate:down\n{}",
        fix.statements_joined(Separator::BlankLine),
        no_reversal_comment("Migrating down through this version changes nothing", &name)
    );
    let text = fix.file(&[], &body);
    ensure_runs_last(set, listing, &[name.as_str()], None)?;
    Ok(NewMigration { created: vec![(set.root.join(name), text)], updated: Vec::new(), notes: Vec::new() })
}

#[cfg(test)]
mod tests {

    use super::super::test_support::*;

    use crate::source::up_part;

    #[test]
    fn dbmate_gets_a_stamp_with_up_and_down_blocks() {
        let project = copy_fixture("dbmate");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["20261127044000_neonlint_fix.sql".to_string()], vec![])
        );
        let text = created_text(&plan, 0);
        assert_eq!(
            text,
            "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\n\
             -- migrate:up\n\
             ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n\n\
             -- NL006: grant what the policy already restricts\n\
             GRANT SELECT ON public.todos TO authenticated;\n\n\
             -- migrate:down\n\
             -- Migrating down through this version changes nothing.\n\
             -- neonlint's Data API fixes have no automatic reversal. To undo them by hand, reverse each\n\
             -- statement of `20261127044000_neonlint_fix.sql`: REVOKE what it grants, DROP POLICY what it \
             creates,\n\
             -- DISABLE ROW LEVEL SECURITY where it enables it. That exposes again what neonlint reported,\n\
             -- so do it only on purpose. This script is only comments: valid SQL that changes nothing.\n"
        );
        let set = write_and_check(project.path(), &plan, &[]);
        let up_half = up_part(set.layout, text);
        assert!(!up_half.contains("migrate:down") && !up_half.contains("no automatic reversal"));
    }
}
