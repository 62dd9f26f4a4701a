//! diesel: a `<version>_neonlint_fix/` folder with `up.sql` and a `down.sql` of comments only.
//! The version is written as `diesel migration generate` writes it, `%Y-%m-%d-%H%M%S` in UTC
//! (`2024-06-03-034617`), after the newest one.

use super::versions::{Clock, UtcTime};
use super::{
    FixText, NewMigration, NewMigrationError, Separator, ensure_runs_last, exists, free_change_name,
    no_reversal_comment,
};
use crate::source::MigrationSet;
use crate::source::folder::FolderListing;

pub(super) fn plan(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    let newest = listing
        .up_folders
        .iter()
        .filter_map(|folder| dashed_stamp(folder))
        .max_by_key(|time| time.unix_seconds());
    let now = clock.utc();
    let version = match newest {
        Some(newest) if newest.unix_seconds() >= now.unix_seconds() => {
            dashed(UtcTime::from_unix_seconds(newest.unix_seconds() + 1))
        }
        _ => dashed(now),
    };
    let change = free_change_name(&set.root, |change| exists(&set.root.join(format!("{version}_{change}"))))?;
    let folder = format!("{version}_{change}");
    let up_text = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
    let up_name = format!("{folder}/up.sql");
    let down_text = fix.file(&[], &no_reversal_comment("Reverting this migration changes nothing", &up_name));
    ensure_runs_last(set, listing, &[], Some(folder.as_str()))?;
    Ok(NewMigration {
        created: vec![
            (set.root.join(&folder).join("up.sql"), up_text),
            (set.root.join(&folder).join("down.sql"), down_text),
        ],
        updated: Vec::new(),
        notes: Vec::new(),
    })
}

/// The moment a `YYYY-MM-DD-HHMMSS_name` folder names.
fn dashed_stamp(folder: &str) -> Option<UtcTime> {
    let version = folder.get(..17)?;
    let bytes = version.as_bytes();
    if bytes[4] != b'-' || bytes[7] != b'-' || bytes[10] != b'-' {
        return None;
    }
    let compact: String = version.chars().filter(char::is_ascii_digit).collect();
    UtcTime::parse_compact(&compact)
}

fn dashed(time: UtcTime) -> String {
    let compact = time.compact();
    format!("{}-{}-{}-{}", &compact[..4], &compact[4..6], &compact[6..8], &compact[8..])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::source::test_support::folder_with;

    #[test]
    fn diesel_gets_a_dashed_stamp_folder_with_up_and_down() {
        let project = copy_fixture("diesel");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan).0,
            ["2026-11-27-044000_neonlint_fix/up.sql", "2026-11-27-044000_neonlint_fix/down.sql"]
        );
        assert_eq!(created_text(&plan, 0), PLAIN_TEXT);
        assert!(created_text(&plan, 1).lines().all(|line| line.is_empty() || line.starts_with("--")));
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn diesel_folders_dated_in_the_future_get_the_newest_plus_one_second() {
        let project = folder_with(&[("migrations/2030-01-01-000000_x/up.sql", ""), ("diesel.toml", "")]);
        let set = discover_set(project.path());
        assert_eq!(relative_paths(&set, &plan_at(&set, now())).0[0], "2030-01-01-000001_neonlint_fix/up.sql");
    }
}
