//! Each layout's rules for which files run and in what order, given one folder's listing.
//!
//! One function per layout, each saying in a notice what it leaves out unless the tool
//! leaves it out by design (down, undo and revert scripts). This file does not detect the
//! layout (`folder.rs`) and reads no migration text; it reads only drizzle's journal, sqitch's
//! plan and the names in sqitch's `deploy/` folder.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::folder::FolderListing;
use super::order::{
    FlywayName, GolangMigrateDirection, compare_digit_strings, compare_flyway_versions, natural_cmp,
    numbered_prefix, parse_flyway_name, parse_golang_migrate_name,
};
use super::{Layout, Notice, SourceError, display_path};

/// The files a layout runs from one folder, in the order it runs them, and what it warns about.
#[derive(Debug, Default)]
pub struct Ordered {
    pub files: Vec<PathBuf>,
    pub notices: Vec<Notice>,
}

/// Orders the migrations of `listing`'s folder as `layout`'s tool would run them.
pub fn order_files(layout: Layout, listing: &FolderListing) -> Result<Ordered, SourceError> {
    let mut ordered = match layout {
        Layout::Supabase => supabase(listing),
        Layout::Drizzle => drizzle(listing)?,
        Layout::Prisma => prisma(listing),
        Layout::GolangMigrate => golang_migrate(listing),
        Layout::Dbmate => dbmate(listing),
        Layout::Flyway => flyway(listing),
        Layout::Sqitch => sqitch(listing)?,
        Layout::Plain => plain(listing),
    };
    if let Some(notice) = mixed_naming_notice(layout, listing) {
        ordered.notices.insert(0, notice);
    }
    Ok(ordered)
}

/// Where drizzle-kit keeps its journal, relative to the migrations folder.
pub const DRIZZLE_JOURNAL: &str = "meta/_journal.json";

/// The kinds of `.sql` file names that imply an order. A folder with more than one of them
/// was likely written for two tools, or renamed halfway, and no single order is certain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum NamingScheme {
    Flyway,
    GolangMigrate,
    Numbered,
    Unnumbered,
}

impl NamingScheme {
    fn of(name: &str) -> NamingScheme {
        if parse_flyway_name(name).is_some() {
            NamingScheme::Flyway
        } else if parse_golang_migrate_name(name).is_some() {
            NamingScheme::GolangMigrate
        } else if numbered_prefix(name).is_some() {
            NamingScheme::Numbered
        } else {
            NamingScheme::Unnumbered
        }
    }

    fn description(self) -> &'static str {
        match self {
            NamingScheme::Flyway => "Flyway `V<version>__name.sql`",
            NamingScheme::GolangMigrate => "golang-migrate `<version>_name.up.sql`",
            NamingScheme::Numbered => "numbered `<number>_name.sql`",
            NamingScheme::Unnumbered => "unnumbered `name.sql`",
        }
    }
}

fn supabase(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    for name in &listing.sql_files {
        if numbered_prefix(name).is_some() {
            ordered.files.push(listing.path.join(name));
        } else {
            ordered.notices.push(skipped(
                listing,
                name,
                "Supabase only runs files named `<timestamp>_name.sql`",
            ));
        }
    }
    ordered
}

/// The parts of drizzle's `meta/_journal.json` neonlint reads.
#[derive(Deserialize)]
pub(super) struct DrizzleJournal {
    pub(super) entries: Vec<DrizzleJournalEntry>,
}

#[derive(Deserialize)]
pub(super) struct DrizzleJournalEntry {
    pub(super) idx: Option<u64>,
    pub(super) version: Option<serde_json::Value>,
    pub(super) when: Option<serde_json::Value>,
    pub(super) tag: String,
}

fn drizzle(listing: &FolderListing) -> Result<Ordered, SourceError> {
    if listing.has_journal {
        return drizzle_from_journal(listing);
    }
    if !listing.migration_folders.is_empty() {
        return Ok(migration_folders(listing, "drizzle"));
    }
    let mut ordered = plain(listing);
    if !ordered.files.is_empty() {
        let message = format!(
            "`{}` has no `{DRIZZLE_JOURNAL}`, so drizzle's order is unknown: the `.sql` files are taken in \
             natural name order",
            display_path(&listing.path)
        );
        ordered.notices.insert(0, Notice { path: Some(display_path(&listing.path)), message });
    }
    Ok(ordered)
}

fn drizzle_from_journal(listing: &FolderListing) -> Result<Ordered, SourceError> {
    let journal_path = listing.path.join(DRIZZLE_JOURNAL);
    let bytes = fs::read(&journal_path)
        .map_err(|error| SourceError::Unreadable { path: journal_path.clone(), error })?;
    let journal: DrizzleJournal = serde_json::from_slice(&bytes).map_err(|error| {
        SourceError::InvalidJournal { path: journal_path.clone(), error: error.to_string() }
    })?;
    let mut entries = journal.entries;
    if entries.iter().all(|entry| entry.idx.is_some()) {
        // A stable sort: entries with equal `idx` keep their order in the file.
        entries.sort_by_key(|entry| entry.idx);
    }

    let mut ordered = Ordered::default();
    let mut listed_names = HashSet::new();
    for entry in &entries {
        let file_name = format!("{}.sql", entry.tag);
        let path = listing.path.join(&file_name);
        if path.is_file() {
            ordered.files.push(path);
        } else {
            ordered.notices.push(Notice {
                path: Some(display_path(&journal_path)),
                message: format!(
                    "`{DRIZZLE_JOURNAL}` lists `{}`, but `{file_name}` does not exist, so it is not linted",
                    entry.tag
                ),
            });
        }
        listed_names.insert(file_name);
    }
    for name in &listing.sql_files {
        if !listed_names.contains(name) {
            let why = format!("it is not listed in `{DRIZZLE_JOURNAL}`, so drizzle will not run it");
            ordered.notices.push(skipped(listing, name, &why));
        }
    }
    Ok(ordered)
}

fn prisma(listing: &FolderListing) -> Ordered {
    migration_folders(listing, "Prisma")
}

/// Prisma's layout, also drizzle-kit's newer one: `<folder>/migration.sql`, by folder name.
fn migration_folders(listing: &FolderListing, tool: &str) -> Ordered {
    let mut ordered = Ordered::default();
    for folder in &listing.migration_folders {
        ordered.files.push(listing.path.join(folder).join("migration.sql"));
    }
    for folder in &listing.numbered_folders_without_migration {
        ordered.notices.push(Notice {
            path: Some(display_path(&listing.path.join(folder))),
            message: format!(
                "skipped `{folder}`: the folder has no `migration.sql`, so {tool} will not run it"
            ),
        });
    }
    for name in &listing.sql_files {
        let why = format!("{tool} only runs `<folder>/migration.sql` files");
        ordered.notices.push(skipped(listing, name, &why));
    }
    ordered
}

fn golang_migrate(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let mut up_files = Vec::new();
    for name in &listing.sql_files {
        match parse_golang_migrate_name(name) {
            Some((version, GolangMigrateDirection::Up)) => up_files.push((version, name)),
            // Down files undo a migration; migrating up never runs them.
            Some((_, GolangMigrateDirection::Down)) => {}
            None => ordered.notices.push(skipped(
                listing,
                name,
                "golang-migrate only runs files named `<version>_name.up.sql`",
            )),
        }
    }
    up_files.sort();
    for pair in up_files.windows(2) {
        let ((version, first), (next_version, second)) = (pair[0], pair[1]);
        if version == next_version {
            ordered.notices.push(Notice {
                path: Some(display_path(&listing.path.join(second))),
                message: format!(
                    "`{first}` and `{second}` have the same version {version}: golang-migrate refuses to run \
                     them, so they are taken in name order"
                ),
            });
        }
    }
    ordered.files = up_files.into_iter().map(|(_, name)| listing.path.join(name)).collect();
    ordered
}

fn dbmate(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let mut versioned = Vec::new();
    for name in &listing.sql_files {
        match numbered_prefix(name) {
            Some(version) => versioned.push((version, name)),
            None => ordered.notices.push(skipped(
                listing,
                name,
                "dbmate only runs files named `<version>_name.sql`",
            )),
        }
    }
    versioned.sort_by(|(left_version, left_name), (right_version, right_name)| {
        compare_digit_strings(left_version, right_version).then_with(|| left_name.cmp(right_name))
    });
    ordered.files = versioned.into_iter().map(|(_, name)| listing.path.join(name)).collect();
    ordered
}

fn flyway(listing: &FolderListing) -> Ordered {
    let mut ordered = Ordered::default();
    let mut versioned = Vec::new();
    let mut repeatable = Vec::new();
    for name in &listing.sql_files {
        match parse_flyway_name(name) {
            Some(FlywayName::Versioned { version }) => versioned.push((version, name)),
            Some(FlywayName::Repeatable { description }) => repeatable.push((description, name)),
            // Undo migrations run only on `flyway undo`, never when migrating.
            Some(FlywayName::Undo) => {}
            None => ordered.notices.push(skipped(
                listing,
                name,
                "Flyway only runs files named `V<version>__name.sql` and `R__name.sql`",
            )),
        }
    }
    versioned.sort_by(|(left_version, left_name), (right_version, right_name)| {
        compare_flyway_versions(left_version, right_version).then_with(|| left_name.cmp(right_name))
    });
    for pair in versioned.windows(2) {
        let ((version, first), (next_version, second)) = (&pair[0], &pair[1]);
        if compare_flyway_versions(version, next_version).is_eq() {
            ordered.notices.push(Notice {
                path: Some(display_path(&listing.path.join(second))),
                message: format!(
                    "`{first}` and `{second}` have the same version: Flyway refuses to migrate with both, so \
                     they are taken in name order"
                ),
            });
        }
    }
    // Flyway applies repeatable migrations after every versioned one, by description.
    repeatable.sort();
    ordered.files = versioned
        .into_iter()
        .map(|(_, name)| name)
        .chain(repeatable.into_iter().map(|(_, name)| name))
        .map(|name| listing.path.join(name))
        .collect();
    ordered
}

/// A change line of `sqitch.plan`, with the deploy script it runs.
#[derive(Debug, PartialEq, Eq)]
struct SqitchChange {
    name: String,
    /// The script's path below `deploy/`, without `.sql`: the name, or `name@tag` for a
    /// change that was reworked later in the plan.
    script: String,
}

fn sqitch(listing: &FolderListing) -> Result<Ordered, SourceError> {
    let plan_path = listing.path.join("sqitch.plan");
    if !listing.has_sqitch_plan {
        return Err(SourceError::MissingSqitchPlan { path: listing.path.clone() });
    }
    let bytes =
        fs::read(&plan_path).map_err(|error| SourceError::Unreadable { path: plan_path.clone(), error })?;
    let (changes, mut notices) = parse_sqitch_plan(&String::from_utf8_lossy(&bytes), &plan_path);

    let deploy_folder = listing.path.join("deploy");
    let mut files = Vec::new();
    for change in &changes {
        let path = deploy_folder.join(format!("{}.sql", change.script));
        if path.is_file() {
            files.push(path);
        } else {
            notices.push(Notice {
                path: Some(display_path(&plan_path)),
                message: format!(
                    "`sqitch.plan` lists `{}`, but `deploy/{}.sql` does not exist, so it is not linted",
                    change.name, change.script
                ),
            });
        }
    }
    for name in sql_files_in(&deploy_folder) {
        let path = deploy_folder.join(&name);
        if !files.contains(&path) {
            notices.push(Notice {
                path: Some(display_path(&path)),
                message: format!(
                    "skipped `deploy/{name}`: it is not in `sqitch.plan`, so sqitch will not deploy it"
                ),
            });
        }
    }
    Ok(Ordered { files, notices })
}

enum PlanItem {
    Change(String),
    Tag(String),
}

/// Reads the change lines of a sqitch plan in order. Blank lines, comments (`#`) and pragmas
/// (`%`) are skipped; tags (`@name`) matter only for reworked changes, whose earlier
/// versions live in `deploy/<name>@<tag>.sql` (the first tag after that earlier version).
fn parse_sqitch_plan(text: &str, plan_path: &Path) -> (Vec<SqitchChange>, Vec<Notice>) {
    let mut items = Vec::new();
    let mut notices = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('%') {
            continue;
        }
        if let Some(tag) = line.strip_prefix('@') {
            items.push(PlanItem::Tag(first_plan_word(tag).to_string()));
            continue;
        }
        if let Some(reverted) = line.strip_prefix('-') {
            notices.push(Notice {
                path: Some(display_path(plan_path)),
                message: format!(
                    "skipped line {} of `sqitch.plan`: it reverts `{}`, which neonlint does not follow",
                    index + 1,
                    first_plan_word(reverted.trim_start())
                ),
            });
            continue;
        }
        let name = first_plan_word(line.strip_prefix('+').unwrap_or(line).trim_start());
        if !name.is_empty() {
            items.push(PlanItem::Change(name.to_string()));
        }
    }

    let mut changes = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let PlanItem::Change(name) = item else {
            continue;
        };
        let later = &items[index + 1..];
        let reworked_later =
            later.iter().any(|item| matches!(item, PlanItem::Change(other) if other == name));
        let next_tag = later.iter().find_map(|item| match item {
            PlanItem::Tag(tag) => Some(tag),
            PlanItem::Change(_) => None,
        });
        let script = match next_tag {
            Some(tag) if reworked_later => format!("{name}@{tag}"),
            _ => name.clone(),
        };
        changes.push(SqitchChange { name: name.clone(), script });
    }
    (changes, notices)
}

/// A plan line's first word: the change or tag name, which ends at a blank or at the `[` of
/// a dependency list.
fn first_plan_word(line: &str) -> &str {
    let end =
        line.find(|character: char| character.is_whitespace() || character == '[').unwrap_or(line.len());
    &line[..end]
}

/// Names of the `.sql` files directly in `folder`, sorted; an unreadable or missing folder
/// has none.
fn sql_files_in(folder: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.ends_with(".sql") && !name.starts_with('.'))
        .collect();
    names.sort();
    names
}

fn plain(listing: &FolderListing) -> Ordered {
    let mut names: Vec<&String> = listing.sql_files.iter().collect();
    names.sort_by(|left, right| natural_cmp(left, right));
    Ordered { files: names.into_iter().map(|name| listing.path.join(name)).collect(), notices: Vec::new() }
}

fn skipped(listing: &FolderListing, name: &str, why: &str) -> Notice {
    Notice { path: Some(display_path(&listing.path.join(name))), message: format!("skipped `{name}`: {why}") }
}

/// A warning when the folder's `.sql` names follow more than one ordering scheme. Layouts
/// whose order comes from a journal, a plan or subfolders never get one; unnumbered names
/// count only in a plain folder, since the other layouts skip them with their own notice.
fn mixed_naming_notice(layout: Layout, listing: &FolderListing) -> Option<Notice> {
    let order = match layout {
        Layout::Supabase => "the Supabase order (`<timestamp>_name.sql` by name)",
        Layout::GolangMigrate => "the golang-migrate order (`.up.sql` files by version)",
        Layout::Dbmate => "the dbmate order (by version)",
        Layout::Flyway => "the Flyway order (`V` files by version, then `R` files)",
        Layout::Plain => "natural name order",
        Layout::Drizzle | Layout::Prisma | Layout::Sqitch => return None,
    };
    let mut counts: Vec<(NamingScheme, usize)> = Vec::new();
    for name in &listing.sql_files {
        let scheme = NamingScheme::of(name);
        if scheme == NamingScheme::Unnumbered && layout != Layout::Plain {
            continue;
        }
        match counts.iter_mut().find(|(counted, _)| *counted == scheme) {
            Some((_, count)) => *count += 1,
            None => counts.push((scheme, 1)),
        }
    }
    if counts.len() < 2 {
        return None;
    }
    counts.sort();
    let schemes: Vec<String> = counts
        .iter()
        .map(|(scheme, count)| {
            let files = if *count == 1 { "file" } else { "files" };
            format!("{}: {count} {files}", scheme.description())
        })
        .collect();
    let folder = display_path(&listing.path);
    Some(Notice {
        path: Some(folder.clone()),
        message: format!(
            "`{folder}` mixes naming schemes ({}), so the order may be wrong: neonlint used {order}; set \
             `layout` in neonlint.toml if another tool runs these migrations",
            schemes.join("; ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::test_support::folder_with;

    fn ordered(layout: Layout, folder: &Path) -> Ordered {
        let listing = FolderListing::read(folder).expect("listing");
        order_files(layout, &listing).expect("ordered")
    }

    /// The files' paths below `folder`, with `/`, so tests can compare plain strings.
    fn relative_names(ordered: &Ordered, folder: &Path) -> Vec<String> {
        ordered
            .files
            .iter()
            .map(|path| {
                let relative = path.strip_prefix(folder).unwrap_or(path);
                relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect()
    }

    fn messages(ordered: &Ordered) -> Vec<&str> {
        ordered.notices.iter().map(|notice| notice.message.as_str()).collect()
    }

    #[test]
    fn supabase_runs_numbered_files_in_byte_order_and_skips_others_with_a_notice() {
        let folder = folder_with(&[
            ("20240102_b.sql", ""),
            ("20240101_a.sql", ""),
            ("notes.sql", ""),
            ("README.md", ""),
        ]);
        let ordered = ordered(Layout::Supabase, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["20240101_a.sql", "20240102_b.sql"]);
        assert_eq!(
            messages(&ordered),
            ["skipped `notes.sql`: Supabase only runs files named `<timestamp>_name.sql`"]
        );
        assert_eq!(ordered.notices[0].path, Some(display_path(&folder.path().join("notes.sql"))));
    }

    #[test]
    fn supabase_order_is_byte_order_not_numeric() {
        // The Supabase CLI sorts names as strings; timestamps of equal length make that right.
        let folder = folder_with(&[("9_b.sql", ""), ("10_a.sql", "")]);
        assert_eq!(
            relative_names(&ordered(Layout::Supabase, folder.path()), folder.path()),
            ["10_a.sql", "9_b.sql"]
        );
    }

    #[test]
    fn drizzle_follows_the_journal_by_idx() {
        let journal = r#"{"version":"7","dialect":"postgresql","entries":[
            {"idx":1,"version":"7","when":2,"tag":"0001_second","breakpoints":true},
            {"idx":0,"version":"7","when":1,"tag":"0000_first","breakpoints":true},
            {"idx":2,"version":"7","when":3,"tag":"0002_missing","breakpoints":true}]}"#;
        let folder = folder_with(&[
            ("meta/_journal.json", journal),
            ("0000_first.sql", ""),
            ("0001_second.sql", ""),
            ("0003_stray.sql", ""),
        ]);
        let ordered = ordered(Layout::Drizzle, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["0000_first.sql", "0001_second.sql"]);
        assert_eq!(
            messages(&ordered),
            [
                "`meta/_journal.json` lists `0002_missing`, but `0002_missing.sql` does not exist, so it is not linted",
                "skipped `0003_stray.sql`: it is not listed in `meta/_journal.json`, so drizzle will not run it",
            ]
        );
        assert_eq!(ordered.notices[0].path, Some(display_path(&folder.path().join("meta/_journal.json"))));
        assert_eq!(ordered.notices[1].path, Some(display_path(&folder.path().join("0003_stray.sql"))));
    }

    #[test]
    fn drizzle_journal_without_idx_keeps_array_order() {
        let journal = r#"{"entries":[{"tag":"b"},{"idx":0,"tag":"a"}]}"#;
        let folder = folder_with(&[("meta/_journal.json", journal), ("a.sql", ""), ("b.sql", "")]);
        assert_eq!(
            relative_names(&ordered(Layout::Drizzle, folder.path()), folder.path()),
            ["b.sql", "a.sql"]
        );
    }

    #[test]
    fn drizzle_invalid_journal_is_an_error_naming_the_file_and_the_json_error() {
        let folder = folder_with(&[("meta/_journal.json", r#"{"entries": [{"idx": 0}]}"#)]);
        let listing = FolderListing::read(folder.path()).expect("listing");
        let error = order_files(Layout::Drizzle, &listing).expect_err("invalid journal");
        let journal = display_path(&folder.path().join("meta/_journal.json"));
        assert_eq!(
            error.to_string(),
            format!(
                "cannot read the drizzle journal `{journal}`: missing field `tag` at line 1 column 23; fix the \
                 JSON, or restore the file from version control (drizzle-kit writes it on `drizzle-kit generate`)"
            )
        );

        let not_json = folder_with(&[("meta/_journal.json", "not json")]);
        let listing = FolderListing::read(not_json.path()).expect("listing");
        let error = order_files(Layout::Drizzle, &listing).expect_err("invalid journal");
        assert!(error.to_string().contains("expected ident at line 1 column 2"), "{error}");
    }

    #[test]
    fn drizzle_folders_without_journal_run_in_folder_order() {
        let folder = folder_with(&[
            ("20240102000000_b/migration.sql", ""),
            ("20240101000000_a/migration.sql", ""),
            ("20240101000000_a/snapshot.json", "{}"),
            ("loose.sql", ""),
        ]);
        let ordered = ordered(Layout::Drizzle, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["20240101000000_a/migration.sql", "20240102000000_b/migration.sql"]
        );
        assert_eq!(
            messages(&ordered),
            ["skipped `loose.sql`: drizzle only runs `<folder>/migration.sql` files"]
        );
    }

    #[test]
    fn drizzle_without_journal_or_folders_warns_and_uses_natural_order() {
        let folder = folder_with(&[("10_b.sql", ""), ("2_a.sql", "")]);
        let ordered = ordered(Layout::Drizzle, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["2_a.sql", "10_b.sql"]);
        let shown = display_path(folder.path());
        assert_eq!(
            messages(&ordered),
            [format!(
                "`{shown}` has no `meta/_journal.json`, so drizzle's order is unknown: the `.sql` files are \
                 taken in natural name order"
            )]
        );
    }

    #[test]
    fn prisma_runs_migration_sql_by_folder_name() {
        let folder = folder_with(&[
            ("migration_lock.toml", ""),
            ("20240102000000_b/migration.sql", ""),
            ("20240101000000_a/migration.sql", ""),
            ("20240103000000_empty/notes.md", ""),
            ("notes.sql", ""),
        ]);
        let ordered = ordered(Layout::Prisma, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["20240101000000_a/migration.sql", "20240102000000_b/migration.sql"]
        );
        assert_eq!(
            messages(&ordered),
            [
                "skipped `20240103000000_empty`: the folder has no `migration.sql`, so Prisma will not run it",
                "skipped `notes.sql`: Prisma only runs `<folder>/migration.sql` files",
            ]
        );
    }

    #[test]
    fn golang_migrate_orders_up_files_by_numeric_version() {
        let folder = folder_with(&[
            ("10_disable.up.sql", ""),
            ("10_disable.down.sql", ""),
            ("2_enable.up.sql", ""),
            ("1_init.up.sql", ""),
            ("1_init.down.sql", ""),
            ("seed.sql", ""),
        ]);
        let ordered = ordered(Layout::GolangMigrate, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["1_init.up.sql", "2_enable.up.sql", "10_disable.up.sql"]
        );
        assert_eq!(
            messages(&ordered),
            ["skipped `seed.sql`: golang-migrate only runs files named `<version>_name.up.sql`"]
        );
    }

    #[test]
    fn golang_migrate_duplicate_versions_get_a_notice() {
        let folder = folder_with(&[("1_b.up.sql", ""), ("01_a.up.sql", "")]);
        let ordered = ordered(Layout::GolangMigrate, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["01_a.up.sql", "1_b.up.sql"]);
        assert_eq!(
            messages(&ordered),
            [
                "`01_a.up.sql` and `1_b.up.sql` have the same version 1: golang-migrate refuses to run them, so \
                 they are taken in name order"
            ]
        );
    }

    #[test]
    fn dbmate_orders_by_numeric_version_then_name() {
        let folder = folder_with(&[("10_c.sql", ""), ("2_b.sql", ""), ("2_a.sql", ""), ("schema.sql", "")]);
        let ordered = ordered(Layout::Dbmate, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["2_a.sql", "2_b.sql", "10_c.sql"]);
        assert_eq!(
            messages(&ordered),
            ["skipped `schema.sql`: dbmate only runs files named `<version>_name.sql`"]
        );
    }

    #[test]
    fn flyway_orders_versions_numerically_then_repeatables_by_description() {
        let folder = folder_with(&[
            ("V10__disable_rls.sql", ""),
            ("V2__enable_rls.sql", ""),
            ("V1_1__comment.sql", ""),
            ("V1__init.sql", ""),
            ("U10__undo.sql", ""),
            ("R__touch.sql", ""),
            ("R__a_view.sql", ""),
            ("notes.sql", ""),
        ]);
        let ordered = ordered(Layout::Flyway, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            [
                "V1__init.sql",
                "V1_1__comment.sql",
                "V2__enable_rls.sql",
                "V10__disable_rls.sql",
                "R__a_view.sql",
                "R__touch.sql"
            ]
        );
        assert_eq!(
            messages(&ordered),
            ["skipped `notes.sql`: Flyway only runs files named `V<version>__name.sql` and `R__name.sql`"]
        );
    }

    #[test]
    fn flyway_equal_versions_get_a_notice() {
        let folder = folder_with(&[("V1__a.sql", ""), ("V1.0__b.sql", "")]);
        let ordered = ordered(Layout::Flyway, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["V1.0__b.sql", "V1__a.sql"]);
        assert_eq!(
            messages(&ordered),
            ["`V1.0__b.sql` and `V1__a.sql` have the same version: Flyway refuses to migrate with both, so \
                 they are taken in name order"]
        );
    }

    #[test]
    fn mixed_flyway_and_numbered_names_get_a_notice_saying_which_order_was_used() {
        let folder = folder_with(&[("V1__a.sql", ""), ("V2__b.sql", ""), ("001_c.sql", "")]);
        let ordered = ordered(Layout::Flyway, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["V1__a.sql", "V2__b.sql"]);
        let shown = display_path(folder.path());
        assert_eq!(
            messages(&ordered),
            [
                format!(
                    "`{shown}` mixes naming schemes (Flyway `V<version>__name.sql`: 2 files; numbered \
                     `<number>_name.sql`: 1 file), so the order may be wrong: neonlint used the Flyway order \
                     (`V` files by version, then `R` files); set `layout` in neonlint.toml if another tool runs \
                     these migrations"
                ),
                "skipped `001_c.sql`: Flyway only runs files named `V<version>__name.sql` and `R__name.sql`"
                    .to_string(),
            ]
        );
        assert_eq!(ordered.notices[0].path, Some(shown));
    }

    #[test]
    fn mixed_numbered_and_unnumbered_names_warn_only_in_a_plain_folder() {
        let folder = folder_with(&[("1_a.sql", ""), ("b.sql", "")]);
        let plain = ordered(Layout::Plain, folder.path());
        assert_eq!(relative_names(&plain, folder.path()), ["1_a.sql", "b.sql"]);
        assert_eq!(plain.notices.len(), 1);
        assert!(
            plain.notices[0].message.contains(
                "(numbered `<number>_name.sql`: 1 file; unnumbered `name.sql`: 1 file), so the order may be \
                 wrong: neonlint used natural name order"
            ),
            "{}",
            plain.notices[0].message
        );
        let supabase = ordered(Layout::Supabase, folder.path());
        assert_eq!(
            messages(&supabase),
            ["skipped `b.sql`: Supabase only runs files named `<timestamp>_name.sql`"]
        );
    }

    #[test]
    fn plain_folders_use_natural_order() {
        let folder = folder_with(&[("10_c.sql", ""), ("2_b.sql", ""), ("1_a.sql", ""), ("sub/3_x.sql", "")]);
        let ordered = ordered(Layout::Plain, folder.path());
        assert_eq!(relative_names(&ordered, folder.path()), ["1_a.sql", "2_b.sql", "10_c.sql"]);
        assert!(ordered.notices.is_empty());
    }

    #[test]
    fn sqitch_follows_the_plan_and_reads_only_deploy() {
        let plan = "%syntax-version=1.0.0\n%project=p\n\n# a comment\ninit 2024-01-01T00:00:00Z A <a@b> # first\n\
                    zz_last [init] 2024-01-02T00:00:00Z A <a@b>\n+aa_after 2024-01-03T00:00:00Z A <a@b>\n\
                    gone 2024-01-03T00:00:00Z A <a@b>\n@v1 2024-01-04T00:00:00Z A <a@b>\n";
        let folder = folder_with(&[
            ("sqitch.plan", plan),
            ("deploy/init.sql", ""),
            ("deploy/zz_last.sql", ""),
            ("deploy/aa_after.sql", ""),
            ("deploy/unplanned.sql", ""),
            ("revert/init.sql", ""),
            ("verify/init.sql", ""),
        ]);
        let ordered = ordered(Layout::Sqitch, folder.path());
        assert_eq!(
            relative_names(&ordered, folder.path()),
            ["deploy/init.sql", "deploy/zz_last.sql", "deploy/aa_after.sql"]
        );
        assert_eq!(
            messages(&ordered),
            [
                "`sqitch.plan` lists `gone`, but `deploy/gone.sql` does not exist, so it is not linted",
                "skipped `deploy/unplanned.sql`: it is not in `sqitch.plan`, so sqitch will not deploy it",
            ]
        );
    }

    #[test]
    fn sqitch_reworked_changes_use_the_tagged_script() {
        let plan = "users 2024-01-01T00:00:00Z A <a@b>\n@v1 2024-01-02T00:00:00Z A <a@b>\n\
                    @v1.1 2024-01-02T00:00:00Z A <a@b>\nusers [users@v1] 2024-01-03T00:00:00Z A <a@b>\n\
                    -dropped 2024-01-04T00:00:00Z A <a@b>\n";
        let (changes, notices) = parse_sqitch_plan(plan, Path::new("sqitch.plan"));
        assert_eq!(
            changes,
            [
                SqitchChange { name: "users".into(), script: "users@v1".into() },
                SqitchChange { name: "users".into(), script: "users".into() },
            ]
        );
        assert_eq!(notices.len(), 1);
        assert_eq!(
            notices[0].message,
            "skipped line 5 of `sqitch.plan`: it reverts `dropped`, which neonlint does not follow"
        );
    }

    #[test]
    fn sqitch_without_plan_is_an_error() {
        let folder = folder_with(&[("deploy/init.sql", "")]);
        let listing = FolderListing::read(folder.path()).expect("listing");
        let error = order_files(Layout::Sqitch, &listing).expect_err("no plan");
        assert_eq!(
            error.to_string(),
            format!(
                "the layout is sqitch but `{}` has no `sqitch.plan`: pass the sqitch project folder (the one \
                 holding `sqitch.plan`), or change `layout` in neonlint.toml",
                display_path(folder.path())
            )
        );
    }

    #[test]
    fn first_plan_word_stops_at_blanks_and_dependencies() {
        assert_eq!(first_plan_word("users [appschema] 2024"), "users");
        assert_eq!(first_plan_word("users[appschema]"), "users");
        assert_eq!(first_plan_word("users"), "users");
        assert_eq!(first_plan_word(""), "");
    }
}
