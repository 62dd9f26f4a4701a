//! graphile-migrate. When the work in progress (`current.sql` or `current/`) holds statements,
//! the fix joins it, so it runs after them, as a developer would add it: appended to
//! `current.sql`, or a new `current/<number>-neonlint_fix.sql`; `graphile-migrate commit` then
//! commits it. `current.sql` is the work in progress, not a committed migration: it is the one
//! file neonlint appends to. Otherwise the fix is the next committed migration,
//! `committed/<number>-neonlint_fix.sql`, with the header `graphile-migrate commit --message
//! neonlint_fix` writes: `--! Previous:` (the newest committed migration's hash), `--! Hash:`
//! (SHA-1 of the previous hash and the body, as graphile-migrate computes it) and `--! Message:`.

use std::fs;
use std::path::Path;

use ring::digest::{SHA1_FOR_LEGACY_USE_ONLY, digest};

use super::{
    FixText, NewMigration, NewMigrationError, Separator, ensure_runs_last, exists, free_change_name,
};
use crate::source::folder::FolderListing;
use crate::source::{MigrationFile, MigrationSet};
use crate::sql::lexer::Lexer;

pub(super) fn plan(set: &MigrationSet, fix: &FixText) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    if let Some(plan) = join_work_in_progress(set, fix)? {
        return Ok(plan);
    }
    let committed = set.root.join("committed");
    let previous = match listing.committed_files.last() {
        Some(name) => {
            let path = committed.join(name);
            let text = fs::read_to_string(&path)
                .map_err(|error| crate::source::SourceError::Unreadable { path: path.clone(), error })?;
            Some(header(&text, "Hash").ok_or_else(|| {
                NewMigrationError::Convention {
                    path: path.clone(),
                    message:
                        "it has no `--! Hash:` header line, so the next migration cannot name it as its \
                          previous one; restore the file from version control, or commit the fix with \
                          `graphile-migrate commit`"
                            .to_string(),
                }
            })?)
        }
        None => None,
    };
    let number = listing
        .committed_files
        .iter()
        .filter_map(|name| name.split(['-', '.']).next()?.parse::<u64>().ok())
        .max()
        .map_or(1, |highest| highest + 1);
    let change =
        free_change_name(&set.root, |change| exists(&committed.join(format!("{number:06}-{change}.sql"))))?;
    let name = format!("{number:06}-{change}.sql");
    let body = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
    let hash = hash(previous.as_deref(), &body);
    let text = format!(
        "--! Previous: {}\n--! Hash: {hash}\n--! Message: {change}\n\n{}\n",
        previous.as_deref().unwrap_or("-"),
        body.trim()
    );
    let relative = format!("committed/{name}");
    ensure_runs_last(set, listing, &[relative.as_str()], None)?;
    Ok(NewMigration { created: vec![(committed.join(name), text)], updated: Vec::new(), notes: Vec::new() })
}

/// The fix as part of the work in progress, when that holds statements; `None` when it is
/// empty (only comments), so the fix can be committed on its own.
fn join_work_in_progress(
    set: &MigrationSet,
    fix: &FixText,
) -> Result<Option<NewMigration>, NewMigrationError> {
    let commit_note = "run `graphile-migrate commit` to commit the work in progress with the fix".to_string();
    let current_folder = set.root.join("current");
    if current_folder.is_dir() {
        let in_progress: Vec<&MigrationFile> =
            set.files.iter().filter(|file| file.path.starts_with(&current_folder)).collect();
        if !in_progress.iter().any(|file| holds_statements(&file.path)) {
            return Ok(None);
        }
        let number = in_progress
            .iter()
            .filter_map(|file| file.path.file_name()?.to_str()?.split(['-', '.']).next()?.parse::<u64>().ok())
            .max()
            .map_or(1, |highest| highest + 1);
        let change = free_change_name(&set.root, |change| {
            exists(&current_folder.join(format!("{number}-{change}.sql")))
        })?;
        let path = current_folder.join(format!("{number}-{change}.sql"));
        let text = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
        return Ok(Some(NewMigration {
            created: vec![(path, text)],
            updated: Vec::new(),
            notes: vec![commit_note],
        }));
    }
    let current = set.root.join("current.sql");
    if !holds_statements(&current) {
        return Ok(None);
    }
    let before = fs::read_to_string(&current)
        .map_err(|error| crate::source::SourceError::Unreadable { path: current.clone(), error })?;
    let mut text = before.trim_end().to_string();
    text.push_str("\n\n");
    text.push_str(&fix.file(&[], &fix.statements_joined(Separator::BlankLine)));
    Ok(Some(NewMigration { created: Vec::new(), updated: vec![(current, text)], notes: vec![commit_note] }))
}

/// Whether the file holds anything but comments and blanks.
fn holds_statements(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|text| Lexer::new(&text).any(|token| !token.is_comment()))
}

/// The value of a `--! Name: value` header line at the top of a committed migration.
fn header(text: &str, name: &str) -> Option<String> {
    text.lines()
        .take_while(|line| line.starts_with("--! "))
        .find_map(|line| line.strip_prefix("--! ")?.strip_prefix(name)?.strip_prefix(':'))
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// graphile-migrate's hash: `sha1:` and the hex SHA-1 of the previous hash (or nothing), a line
/// break and the body, trimmed, with one line break after.
fn hash(previous: Option<&str>, body: &str) -> String {
    let hashed = format!("{}\n{body}", previous.unwrap_or(""));
    let hashed = format!("{}\n", hashed.trim());
    let sum = digest(&SHA1_FOR_LEGACY_USE_ONLY, hashed.as_bytes());
    let hex: String = sum.as_ref().iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha1:{hex}")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn graphile_hashes_follow_graphile_migrate() {
        // graphile-migrate's own test: `create table foo (id serial primary key);` committed
        // first has this hash.
        assert_eq!(
            hash(None, "create table foo (id serial primary key);"),
            "sha1:bfe32129112f19d4cadd717c1c15ed7ccbca4408"
        );
    }

    #[test]
    fn graphile_appends_to_work_in_progress_that_holds_statements() {
        let project = copy_fixture("graphile-migrate");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert!(plan.created.is_empty());
        let (current, text) = &plan.updated[0];
        assert_eq!(current, &set.root.join("current.sql"));
        let before = fs::read_to_string(current).expect("current.sql");
        assert_eq!(text, &format!("{}\n\n{PLAIN_TEXT}", before.trim_end()));
        assert_eq!(plan.notes, ["run `graphile-migrate commit` to commit the work in progress with the fix"]);
    }

    #[test]
    fn graphile_gets_the_next_committed_migration_chained_to_the_last_hash() {
        let project = copy_fixture("graphile-migrate");
        fs::write(project.path().join("migrations/current.sql"), "-- Enter migration here\n").expect("write");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["committed/000003-neonlint_fix.sql"]);
        let last = fs::read_to_string(set.root.join("committed/000002-enable-rls.sql")).expect("last");
        let previous = header(&last, "Hash").expect("hash");
        let text = created_text(&plan, 0);
        assert!(text.starts_with(&format!("--! Previous: {previous}\n--! Hash: sha1:")), "{text}");
        let (head, body) = text.split_once("\n\n").expect("blank line after the header");
        assert!(head.ends_with("--! Message: neonlint_fix"), "{head}");
        assert_eq!(header(text, "Hash"), Some(hash(Some(&previous), body)));
        // current.sql still runs after every committed migration.
        write_and_check(project.path(), &plan, &["current.sql"]);
    }
}
