//! postgrator: `<next version>.do.neonlint_fix.sql` and an `.undo.` file of comments only,
//! the version zero-padded like the newest one.

use super::versions::{Clock, next_version_like};
use super::{
    FixText, NewMigration, NewMigrationError, Separator, ensure_runs_last, exists, free_change_name,
    highest_version, no_reversal_comment,
};
use crate::source::MigrationSet;
use crate::source::folder::FolderListing;
use crate::source::order::parse_postgrator_name;

pub(super) fn plan(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    let versions = listing
        .sql_files
        .iter()
        .filter(|name| parse_postgrator_name(name).is_some())
        .filter_map(|name| name.split('.').next());
    let version = match highest_version(versions) {
        Some(highest) => next_version_like(highest, clock),
        None => "001".to_string(),
    };
    let change = free_change_name(&set.root, |change| {
        ["do", "undo"].iter().any(|action| exists(&set.root.join(format!("{version}.{action}.{change}.sql"))))
    })?;
    let do_name = format!("{version}.do.{change}.sql");
    let undo_name = format!("{version}.undo.{change}.sql");
    let do_text = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
    let undo_text =
        fix.file(&[], &no_reversal_comment("Migrating down through this version changes nothing", &do_name));
    ensure_runs_last(set, listing, &[do_name.as_str(), undo_name.as_str()], None)?;
    Ok(NewMigration {
        created: vec![(set.root.join(do_name), do_text), (set.root.join(undo_name), undo_text)],
        updated: Vec::new(),
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn postgrator_gets_the_next_padded_version_with_do_and_undo() {
        let project = copy_fixture("postgrator");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["0003.do.neonlint_fix.sql", "0003.undo.neonlint_fix.sql"]);
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        write_and_check(project.path(), &plan, &[]);
    }
}
