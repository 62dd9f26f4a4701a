//! Flyway: `V<next major version>__neonlint_fix.sql`, before the repeatable `R__` files.

use super::versions::{Clock, next_version_like};
use super::{
    FixText, NewMigration, NewMigrationError, Separator, ensure_runs_last, exists, free_change_name,
};
use crate::source::MigrationSet;
use crate::source::folder::FolderListing;
use crate::source::order::{FlywayName, compare_flyway_versions, parse_flyway_name};

pub(super) fn plan(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    // Repeatable and undo migrations have no place in the version order.
    let highest = listing
        .sql_files
        .iter()
        .filter_map(|name| match parse_flyway_name(name) {
            Some(FlywayName::Versioned { version }) => Some(version),
            _ => None,
        })
        .max_by(|left, right| compare_flyway_versions(left, right));
    let version = match highest.as_ref().and_then(|parts| parts.first()) {
        Some(first_part) => next_version_like(first_part, clock),
        None => "1".to_string(),
    };
    let change =
        free_change_name(&set.root, |change| exists(&set.root.join(format!("V{version}__{change}.sql"))))?;
    let name = format!("V{version}__{change}.sql");
    let text = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
    ensure_runs_last(set, listing, &[name.as_str()], None)?;
    Ok(NewMigration { created: vec![(set.root.join(name), text)], updated: Vec::new(), notes: Vec::new() })
}

#[cfg(test)]
mod tests {

    use super::super::test_support::*;

    use crate::source::test_support::folder_with;

    #[test]
    fn flyway_gets_the_next_major_version_before_the_repeatables() {
        let project = copy_fixture("flyway");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan), (vec!["V11__neonlint_fix.sql".to_string()], vec![]));
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        // Flyway runs repeatable migrations after every versioned one; no `V` name can follow them.
        write_and_check(project.path(), &plan, &["R__touch.sql"]);
    }

    #[test]
    fn flyway_versions_continue_from_the_highest_first_part() {
        let project = folder_with(&[
            ("db/migration/V1_1__x.sql", ""),
            ("db/migration/V2__y.sql", ""),
            ("db/migration/U9__undo.sql", ""),
        ]);
        let set = discover_set(project.path());
        assert_eq!(relative_paths(&set, &plan_at(&set, now())).0, ["V3__neonlint_fix.sql"]);

        let project =
            folder_with(&[("db/migration/V20240101120000__x.sql", ""), ("db/migration/R__views.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["V20261127044000__neonlint_fix.sql"]);
        write_and_check(project.path(), &plan, &["R__views.sql"]);

        let project = folder_with(&[("db/migration/R__views.sql", "")]);
        let set = discover_set(project.path());
        assert_eq!(relative_paths(&set, &plan_at(&set, now())).0, ["V1__neonlint_fix.sql"]);
    }
}
