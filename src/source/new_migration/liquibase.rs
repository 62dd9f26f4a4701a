//! Liquibase formatted SQL: a new changelog file starting `-- liquibase formatted sql`, one
//! `--changeset neonlint:<id>` per statement (`splitStatements:false`, so a function body's
//! `;` stays inside its statement), and no `--rollback` (the header says how to undo by hand).
//! With a master changelog the file goes beside the last SQL file it includes and an `include`
//! entry is appended in the master's own style (YAML or XML), or, when the master ends with an
//! `includeAll`, into that folder under a name that sorts last. Without a master, the file is
//! named to sort after every other by name.

use std::fs;
use std::path::{Path, PathBuf};

use super::versions::{Clock, next_version_like};
use super::{
    FixText, NewMigration, NewMigrationError, ensure_runs_last, exists, free_change_name, highest_version,
};
use crate::source::folder::FolderListing;
use crate::source::layouts::liquibase as reading;
use crate::source::{MigrationSet, SourceError, display_path};

pub(super) fn plan(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    let stamp = clock.utc().compact();
    let Some(master) = reading::master_changelog(&listing) else {
        let (name, text) = new_file(&set.root, &listing.sql_files, fix, clock, &stamp)?;
        ensure_runs_last(set, listing, &[name.as_str()], None)?;
        return Ok(NewMigration {
            created: vec![(set.root.join(name), text)],
            updated: Vec::new(),
            notes: Vec::new(),
        });
    };
    let master_text = fs::read_to_string(&master)
        .map_err(|error| SourceError::Unreadable { path: master.clone(), error })?;
    // Where the last file the master runs is: the new one goes beside it.
    let last = set.files.last().map(|file| file.path.clone());
    let folder = last.as_deref().and_then(Path::parent).unwrap_or(&set.root).to_path_buf();
    let names = sql_names(&folder);
    let (name, text) = new_file(&folder, &names, fix, clock, &stamp)?;
    let path = folder.join(&name);
    let mut plan =
        NewMigration { created: vec![(path.clone(), text)], updated: Vec::new(), notes: Vec::new() };
    if ends_with_include_all_of(&master_text, &master, &folder) {
        return Ok(plan);
    }
    let relative = relative_to(&path, master.parent().unwrap_or(&set.root));
    match with_include(&master, &master_text, &relative) {
        Some(updated) => plan.updated.push((master, updated)),
        None => plan.notes.push(format!(
            "add an `include` of `{relative}` (relative to the changelog) at the end of `{}`: neonlint edits only \
             YAML and XML master changelogs",
            display_path(&master)
        )),
    }
    Ok(plan)
}

/// The file's name, sorting after `names` by name, and its text.
fn new_file(
    folder: &Path,
    names: &[String],
    fix: &FixText,
    clock: Clock,
    stamp: &str,
) -> Result<(String, String), NewMigrationError> {
    let leading = names.iter().filter_map(|name| {
        let end = name.bytes().position(|byte| !byte.is_ascii_digit()).unwrap_or(name.len());
        name.get(..end).filter(|digits| !digits.is_empty())
    });
    let prefix = match highest_version(leading) {
        Some(highest) => format!("{}_", next_version_like(highest, clock)),
        None => String::new(),
    };
    let sorts_last = |candidate: &str| names.iter().all(|name| name.as_str() < candidate);
    let mut prefix = prefix;
    let change = loop {
        let change =
            free_change_name(folder, |change| exists(&folder.join(format!("{prefix}{change}.sql"))))?;
        if sorts_last(&format!("{prefix}{change}.sql")) {
            break change;
        }
        prefix = format!("z{prefix}");
    };
    let name = format!("{prefix}{change}.sql");
    let changesets: Vec<String> = fix
        .statements()
        .iter()
        .enumerate()
        .map(|(index, statement)| {
            format!("-- changeset neonlint:{change}-{stamp}-{} splitStatements:false\n{statement}", index + 1)
        })
        .collect();
    let extra = vec![
        "-- No `--rollback`: neonlint's Data API fixes have no automatic reversal; to undo one, reverse its"
            .to_string(),
        "-- statement by hand (REVOKE what it grants, DROP POLICY what it creates).".to_string(),
    ];
    Ok((name, fix.file_starting_with("-- liquibase formatted sql", &extra, &changesets.join("\n\n"))))
}

fn sql_names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.file_name().into_string().ok())
                .filter(|name| name.ends_with(".sql"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Whether the master's last entry is an `includeAll` of `folder`: a new file there runs last
/// when its name sorts last.
fn ends_with_include_all_of(text: &str, master: &Path, folder: &Path) -> bool {
    let last_include = text.rfind("include:").into_iter().chain(text.rfind("<include ")).max();
    let last_all = text.rfind("includeAll").filter(|all| last_include.is_none_or(|one| *all > one));
    last_all.is_some() && folder.starts_with(master.parent().unwrap_or(Path::new(".")))
}

/// The master changelog's text with an `include` of `relative` appended in its own style.
fn with_include(master: &Path, text: &str, relative: &str) -> Option<String> {
    match master.extension().and_then(|extension| extension.to_str()) {
        Some("yaml" | "yml") => {
            let lines: Vec<&str> = text.lines().collect();
            let item = lines.iter().rposition(|line| line.trim_start().starts_with("- include"))?;
            let item_indent = indent(lines[item]);
            let key_indent = lines.get(item + 1).map_or(format!("{item_indent}    "), |line| indent(line));
            let mut updated = text.to_string();
            if !updated.ends_with('\n') {
                updated.push('\n');
            }
            updated.push_str(&format!(
                "{item_indent}- include:\n{key_indent}file: {relative}\n{key_indent}relativeToChangelogFile: true\n"
            ));
            Some(updated)
        }
        Some("xml") => {
            let start = text.rfind("<include")?;
            let end = start
                + text[start..]
                    .find("/>")
                    .map(|end| end + 2)
                    .or_else(|| text[start..].find("</include>").map(|end| end + "</include>".len()))?;
            let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
            let indentation = &text[line_start..start];
            let entry =
                format!("\n{indentation}<include file=\"{relative}\" relativeToChangelogFile=\"true\"/>");
            Some(format!("{}{entry}{}", &text[..end], &text[end..]))
        }
        _ => None,
    }
}

fn indent(line: &str) -> String {
    line.chars().take_while(|character| *character == ' ' || *character == '\t').collect()
}

fn relative_to(path: &Path, base: &Path) -> String {
    let relative: PathBuf =
        path.strip_prefix(base).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf());
    relative.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::source::test_support::folder_with;

    #[test]
    fn liquibase_gets_a_formatted_file_and_an_include_in_the_master() {
        let project = copy_fixture("liquibase");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["changes/neonlint_fix.sql".to_string()], vec!["db.changelog-master.yaml".to_string()])
        );
        let text = created_text(&plan, 0);
        assert!(text.starts_with("-- liquibase formatted sql\n-- Written by neonlint fix\n"), "{text}");
        assert!(text.contains(
            "-- changeset neonlint:neonlint_fix-20261127044000-1 splitStatements:false\nALTER TABLE public.todos \
             ENABLE ROW LEVEL SECURITY;"
        ));
        assert!(plan.updated[0].1.ends_with(
            "  - include:\n      file: changes/neonlint_fix.sql\n      relativeToChangelogFile: true\n"
        ));
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn xml_masters_get_an_include_line_like_the_last_one() {
        let xml = "<databaseChangeLog>\n    <include file=\"a.sql\" relativeToChangelogFile=\"true\"/>\n</databaseChangeLog>\n";
        assert_eq!(
            with_include(Path::new("master.xml"), xml, "b.sql").expect("include"),
            "<databaseChangeLog>\n    <include file=\"a.sql\" relativeToChangelogFile=\"true\"/>\n    <include \
             file=\"b.sql\" relativeToChangelogFile=\"true\"/>\n</databaseChangeLog>\n"
        );
    }

    #[test]
    fn without_a_master_the_file_sorts_last_by_name() {
        let project = folder_with(&[
            ("db/changelog/001-init.sql", "-- liquibase formatted sql\n-- changeset a:1\nSELECT 1;\n"),
            ("db/changelog/002-more.sql", "-- liquibase formatted sql\n-- changeset a:2\nSELECT 2;\n"),
        ]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["003_neonlint_fix.sql"]);
        write_and_check(project.path(), &plan, &[]);
    }
}
