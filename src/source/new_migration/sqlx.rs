//! sqlx: `<next version>_neonlint_fix.sql`, or, in a folder of reversible migrations,
//! `<next version>_neonlint_fix.up.sql` and a `.down.sql` of comments only. `sqlx migrate add`
//! names files by UTC time (`20240101120000`) unless told `--sequential`; the newest version
//! tells which.

use super::versions::{Clock, next_version_like};
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
    let version = match highest_version(listing.sql_files.iter().filter_map(|name| numbered_prefix(name))) {
        Some(highest) => next_version_like(highest, clock),
        None => clock.utc().compact(),
    };
    let reversible = listing.sql_files.iter().any(|name| name.ends_with(".up.sql"));
    let suffixes: &[&str] = if reversible { &[".up.sql", ".down.sql"] } else { &[".sql"] };
    let change = free_change_name(&set.root, |change| {
        suffixes.iter().any(|suffix| exists(&set.root.join(format!("{version}_{change}{suffix}"))))
    })?;
    let names: Vec<String> = suffixes.iter().map(|suffix| format!("{version}_{change}{suffix}")).collect();
    let mut created =
        vec![(set.root.join(&names[0]), fix.file(&[], &fix.statements_joined(Separator::BlankLine)))];
    if reversible {
        let down = no_reversal_comment("Reverting this migration changes nothing", &names[0]);
        created.push((set.root.join(&names[1]), fix.file(&[], &down)));
    }
    let new_names: Vec<&str> = names.iter().map(String::as_str).collect();
    ensure_runs_last(set, listing, &new_names, None)?;
    Ok(NewMigration { created, updated: Vec::new(), notes: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::source::test_support::folder_with;

    #[test]
    fn sqlx_reversible_folders_get_an_up_and_a_down_file() {
        let project = copy_fixture("sqlx");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan).0,
            ["20261127044000_neonlint_fix.up.sql", "20261127044000_neonlint_fix.down.sql"]
        );
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn sqlx_simple_folders_get_one_file_with_the_next_sequence_number() {
        let project = folder_with(&[
            ("Cargo.toml", "[dependencies]\nsqlx = \"0.8\"\n"),
            ("migrations/0001_init.sql", "SELECT 1;\n"),
            ("migrations/0002_more.sql", "SELECT 2;\n"),
        ]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["0003_neonlint_fix.sql"]);
        write_and_check(project.path(), &plan, &[]);
    }
}
