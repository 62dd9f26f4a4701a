//! sqitch: the changes of `sqitch.plan`, in order, each its `deploy/<change>.sql`.

use crate::input;
use std::path::Path;

use super::{Ordered, sql_files_in};
use crate::source::folder::FolderListing;
use crate::source::{Notice, SourceError, display_path};

/// A change line of `sqitch.plan`, with the deploy script it runs.
#[derive(Debug, PartialEq, Eq)]
struct SqitchChange {
    name: String,
    /// The script's path below `deploy/`, without `.sql`: the name, or `name@tag` for a
    /// change that was reworked later in the plan.
    script: String,
}

pub(super) fn order(listing: &FolderListing) -> Result<Ordered, SourceError> {
    let plan_path = listing.path.join("sqitch.plan");
    if !listing.has_sqitch_plan {
        return Err(SourceError::MissingSqitchPlan { path: listing.path.clone() });
    }
    let bytes = input::read_bytes(&plan_path, input::SETTINGS_LIMIT)
        .map_err(|error| SourceError::UnreadableFile { path: plan_path.clone(), error })?;
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::source::layouts::order_files;
    use crate::source::test_support::folder_with;
    use crate::source::{Layout, display_path};
    use std::path::Path;

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
