//! Each layout's rules for which files run and in what order, given one folder's listing.
//!
//! One file per layout (`supabase.rs`, `drizzle.rs`, …), each saying in a notice what it leaves
//! out unless the tool leaves it out by design (down, undo and revert scripts). This module does
//! not detect the layout (`folder.rs`) and reads no migration text beyond what a layout needs
//! to order its files (drizzle's journal, sqitch's plan, liquibase's master changelog).

mod atlas;
mod dbmate;
mod diesel;
mod drizzle;
mod flyway;
mod golang_migrate;
mod goose;
mod graphile;
pub mod liquibase;
mod plain;
mod postgrator;
mod prisma;
mod sqitch;
mod sqlx;
mod supabase;

use std::fs;
use std::path::{Path, PathBuf};

use super::folder::FolderListing;
use super::order::{
    Reversal, compare_digit_strings, natural_cmp, numbered_prefix, parse_flyway_name,
    parse_golang_migrate_name, reversal_name,
};
use super::{Layout, Notice, SourceError, display_path};

pub use drizzle::{DRIZZLE_JOURNAL, DrizzleJournal};

#[derive(Debug, Default)]
pub struct Ordered {
    pub files: Vec<PathBuf>,
    pub notices: Vec<Notice>,
}

/// Orders the migrations of `listing`'s folder as `layout`'s tool would run them.
pub fn order_files(layout: Layout, listing: &FolderListing) -> Result<Ordered, SourceError> {
    let mut ordered = match layout {
        Layout::Supabase => supabase::order(listing),
        Layout::Drizzle => drizzle::order(listing)?,
        Layout::Prisma => prisma::order(listing),
        Layout::GolangMigrate => golang_migrate::order(listing),
        Layout::Dbmate => dbmate::order(listing),
        Layout::Flyway => flyway::order(listing),
        Layout::Sqitch => sqitch::order(listing)?,
        Layout::Goose => goose::order(listing),
        Layout::Diesel => diesel::order(listing),
        Layout::Sqlx => sqlx::order(listing),
        Layout::Postgrator => postgrator::order(listing),
        Layout::GraphileMigrate => graphile::order(listing),
        Layout::Atlas => atlas::order(listing),
        Layout::Liquibase => liquibase::order(listing),
        Layout::Plain => plain::order(listing),
    };
    if let Some(notice) = mixed_naming_notice(layout, listing) {
        ordered.notices.insert(0, notice);
    }
    Ok(ordered)
}

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

/// The folder's `.sql` files in natural name order.
fn natural_order<'name>(names: impl IntoIterator<Item = &'name String>) -> Vec<&'name String> {
    let mut names: Vec<&String> = names.into_iter().collect();
    names.sort_by(|left, right| natural_cmp(left, right));
    names
}

/// Leaves out the files named as reversals (`Reversal::Named`, and `Reversal::Worded` too when
/// `worded` is set), with one notice that names how many and which.
fn without_reversals<'name>(
    listing: &FolderListing,
    names: &'name [String],
    worded: bool,
) -> (Vec<&'name String>, Option<Notice>) {
    let (reversals, kept): (Vec<&String>, Vec<&String>) =
        names.iter().partition(|name| match reversal_name(name) {
            Some(Reversal::Named) => true,
            Some(Reversal::Worded) => worded,
            None => false,
        });
    if reversals.is_empty() {
        return (kept, None);
    }
    (kept, Some(reversals_notice(&listing.path, &reversals)))
}

/// The one notice for the down, undo, rollback and revert migrations left out of a folder.
pub(super) fn reversals_notice(folder: &Path, names: &[&String]) -> Notice {
    const SHOWN: usize = 3;
    let mut shown: Vec<String> = names.iter().take(SHOWN).map(|name| format!("`{name}`")).collect();
    if names.len() > SHOWN {
        shown.push(format!("and {} more", names.len() - SHOWN));
    }
    let count = if names.len() == 1 { "1 file".to_string() } else { format!("{} files", names.len()) };
    Notice {
        path: Some(display_path(folder)),
        message: format!(
            "skipped {count} named as a down, undo, rollback or revert migration ({}): such a migration undoes \
             another and never runs when migrating up; rename a file if it is in fact a forward migration",
            shown.join(", ")
        ),
    }
}

/// Files named `<version>_name.sql`, by numeric version then name, as dbmate and goose order
/// them; `<version>` must be digits followed by `_`. Files named otherwise are skipped with a
/// notice, unless no file is named that way: the markers then tell the tool but the names do
/// not, so every file is taken in natural name order, with a note (never skip them all).
fn by_numbered_version(listing: &FolderListing, tool: &str, marker: &str) -> Ordered {
    let mut ordered = Ordered::default();
    let (names, reversals) = without_reversals(listing, &listing.sql_files, false);
    ordered.notices.extend(reversals);
    let numbered: Vec<(&str, &String)> =
        names.iter().filter_map(|name| numbered_prefix(name).map(|version| (version, *name))).collect();
    if numbered.is_empty() && !names.is_empty() {
        let folder = display_path(&listing.path);
        ordered.notices.push(Notice {
            path: Some(folder.clone()),
            message: format!(
                "`{folder}` has {tool}'s `{marker}` markers but no file named `<version>_name.sql` as {tool} \
                 needs: neonlint replays the up part of every file, in natural name order; set `layout` in \
                 neonlint.toml if another tool runs these migrations"
            ),
        });
        ordered.files = natural_order(names).into_iter().map(|name| listing.path.join(name)).collect();
        return ordered;
    }
    for name in &names {
        if numbered_prefix(name).is_none() {
            let why = format!("{tool} only runs files named `<version>_name.sql`");
            ordered.notices.push(skipped(listing, name, &why));
        }
    }
    let mut numbered = numbered;
    numbered.sort_by(|(left_version, left_name), (right_version, right_name)| {
        compare_digit_strings(left_version, right_version).then_with(|| left_name.cmp(right_name))
    });
    ordered.files = numbered.into_iter().map(|(_, name)| listing.path.join(name)).collect();
    ordered
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
        Layout::Goose => "the goose order (by version)",
        Layout::Postgrator => "the postgrator order (by version)",
        Layout::Atlas => "the Atlas order (by name)",
        Layout::Drizzle
        | Layout::Prisma
        | Layout::Sqitch
        | Layout::Diesel
        | Layout::Sqlx
        | Layout::GraphileMigrate
        | Layout::Liquibase => return None,
    };
    let mut counts: Vec<(NamingScheme, usize)> = Vec::new();
    for name in listing.sql_files.iter().filter(|name| reversal_name(name).is_none()) {
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
pub(super) mod test_support {
    //! What the layouts' tests share.
    use std::path::Path;

    use super::{Ordered, order_files};
    use crate::source::Layout;
    use crate::source::folder::FolderListing;

    pub fn ordered(layout: Layout, folder: &Path) -> Ordered {
        let listing = FolderListing::read(folder).expect("listing");
        order_files(layout, &listing).expect("ordered")
    }

    /// The files' paths below `folder`, with `/`, so tests can compare plain strings.
    pub fn relative_names(ordered: &Ordered, folder: &Path) -> Vec<String> {
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

    pub fn messages(ordered: &Ordered) -> Vec<&str> {
        ordered.notices.iter().map(|notice| notice.message.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::source::test_support::folder_with;

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
}
