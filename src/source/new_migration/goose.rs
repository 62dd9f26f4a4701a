//! goose: `<next version>_neonlint_fix.sql` with a `-- +goose Up` part, each statement that
//! holds a `;` of its own between `-- +goose StatementBegin` and `-- +goose StatementEnd`
//! (goose ends a statement at every line that ends with `;`), and a `-- +goose Down` part of
//! comments only. The annotation comes first: goose reads the file from its first line.

use super::versions::{Clock, next_version_like};
use super::{
    FixText, NewMigration, NewMigrationError, ensure_runs_last, exists, free_change_name, highest_version,
    no_reversal_comment,
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
    let version = match highest_version(listing.sql_files.iter().filter_map(|name| numbered_prefix(name))) {
        Some(highest) => next_version_like(highest, clock),
        // `goose create` names files by UTC time unless told `-s`.
        None => clock.utc().compact(),
    };
    let change =
        free_change_name(&set.root, |change| exists(&set.root.join(format!("{version}_{change}.sql"))))?;
    let name = format!("{version}_{change}.sql");
    let statements: Vec<String> =
        fix.statements().iter().map(|statement| goose_statement(statement)).collect();
    let body = format!(
        "{}\n\n-- +goose Down\n{}",
        statements.join("\n\n"),
        no_reversal_comment("Migrating down through this version changes nothing", &name)
    );
    let text = fix.file_starting_with("-- +goose Up", &[], &body);
    ensure_runs_last(set, listing, &[name.as_str()], None)?;
    Ok(NewMigration { created: vec![(set.root.join(name), text)], updated: Vec::new(), notes: Vec::new() })
}

/// A statement as goose must see it: wrapped in `StatementBegin` / `StatementEnd` when a `;`
/// other than its last one could end it early.
fn goose_statement(statement: &str) -> String {
    let without_last = statement.strip_suffix(';').unwrap_or(statement);
    if without_last.contains(';') {
        format!("-- +goose StatementBegin\n{statement}\n-- +goose StatementEnd")
    } else {
        statement.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::source::up_part;

    #[test]
    fn goose_gets_the_next_version_with_up_and_down_parts() {
        let project = copy_fixture("goose");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan), (vec!["11_neonlint_fix.sql".to_string()], vec![]));
        let text = created_text(&plan, 0);
        assert!(text.starts_with("-- +goose Up\n-- Written by neonlint fix\n"), "{text}");
        assert!(text.contains("\n-- +goose Down\n-- Migrating down through this version changes nothing."));
        let set = write_and_check(project.path(), &plan, &[]);
        assert!(!up_part(set.layout, text).contains("Migrating down"));
    }

    #[test]
    fn statements_with_inner_semicolons_are_wrapped() {
        assert_eq!(goose_statement("GRANT SELECT ON t TO r;"), "GRANT SELECT ON t TO r;");
        assert_eq!(
            goose_statement("DO $$ BEGIN PERFORM 1; END $$;"),
            "-- +goose StatementBegin\nDO $$ BEGIN PERFORM 1; END $$;\n-- +goose StatementEnd"
        );
    }
}
