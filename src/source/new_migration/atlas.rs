//! Atlas: `<next version>_neonlint_fix.sql`, named to sort after every other file (Atlas runs
//! them in name order), and `atlas.sum` rewritten with the new file, computed as Atlas does:
//! a running SHA-256 over each file's name and bytes in name order, base64, and a sum over the
//! names and hashes. The sum is rewritten only when neonlint computes the same sum for the
//! files as they are; otherwise the note says to run `atlas migrate hash`.

use std::fs;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::versions::{Clock, next_version_like};
use super::{
    FixText, NewMigration, NewMigrationError, Separator, ensure_runs_last, exists, free_change_name,
};
use crate::source::folder::FolderListing;
use crate::source::order::numbered_prefix;
use crate::source::{MigrationSet, display_path};

pub(super) fn plan(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    // The last file by name decides: its version, continued, sorts after it.
    let version = match listing.sql_files.iter().max().and_then(|name| numbered_prefix(name)) {
        Some(last) => next_version_like(last, clock),
        None => clock.utc().compact(),
    };
    let change =
        free_change_name(&set.root, |change| exists(&set.root.join(format!("{version}_{change}.sql"))))?;
    let name = format!("{version}_{change}.sql");
    let text = fix.file(&[], &fix.statements_joined(Separator::BlankLine));
    let sum_path = set.root.join("atlas.sum");
    let mut files = Vec::new();
    let mut readable = true;
    for existing in &listing.sql_files {
        match fs::read(set.root.join(existing)) {
            Ok(bytes) => files.push((existing.clone(), bytes)),
            Err(_) => readable = false,
        }
    }
    let current_sum = fs::read_to_string(&sum_path).ok();
    let uses_directives = files.iter().any(|(_, bytes)| String::from_utf8_lossy(bytes).contains("atlas:sum"));
    let mut plan = NewMigration { created: Vec::new(), updated: Vec::new(), notes: Vec::new() };
    if readable && !uses_directives && current_sum.as_deref() == Some(sum_file(&files).as_str()) {
        files.push((name.clone(), text.clone().into_bytes()));
        files.sort();
        plan.updated.push((sum_path, sum_file(&files)));
    } else {
        plan.notes.push(format!(
            "`{}` does not match the migrations as they are, so neonlint left it alone: run `atlas migrate hash` \
             in `{}` before `atlas migrate apply`",
            display_path(&sum_path),
            display_path(&set.root)
        ));
    }
    ensure_runs_last(set, listing, &[name.as_str()], None)?;
    plan.created.push((set.root.join(name), text));
    Ok(plan)
}

/// `atlas.sum` for `files` (name and bytes, in name order), as `atlas migrate hash` writes it.
fn sum_file(files: &[(String, Vec<u8>)]) -> String {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut running = Sha256::new();
    let mut lines = Vec::new();
    for (name, bytes) in files {
        running.update(name.as_bytes());
        running.update(bytes);
        lines.push((name.as_str(), encode(&running.clone().finalize())));
    }
    let mut total = Sha256::new();
    for (name, hash) in &lines {
        total.update(name.as_bytes());
        total.update(hash.as_bytes());
    }
    let mut text = format!("h1:{}\n", encode(&total.finalize()));
    for (name, hash) in lines {
        text.push_str(&format!("{name} h1:{hash}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn atlas_gets_a_name_that_sorts_last_and_an_updated_sum() {
        let project = copy_fixture("atlas");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        // `3_notes.sql` is the last name in byte order: `4_…` sorts after it, where `11_…`
        // would sort before `1_init.sql`.
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["4_neonlint_fix.sql".to_string()], vec!["atlas.sum".to_string()])
        );
        assert!(plan.notes.is_empty(), "{:?}", plan.notes);
        write_and_check(project.path(), &plan, &[]);
        // The rewritten sum is what Atlas computes for the folder now.
        let listing = FolderListing::read(&set.root).expect("listing");
        let files: Vec<(String, Vec<u8>)> = listing
            .sql_files
            .iter()
            .map(|name| (name.clone(), fs::read(set.root.join(name)).expect("read")))
            .collect();
        assert_eq!(fs::read_to_string(set.root.join("atlas.sum")).expect("sum"), sum_file(&files));
    }

    #[test]
    fn a_stale_sum_is_left_alone_with_a_note() {
        let project = copy_fixture("atlas");
        let set = discover_set(project.path());
        fs::write(set.root.join("atlas.sum"), "h1:stale\n").expect("write");
        let plan = plan_at(&set, now());
        assert!(plan.updated.is_empty());
        assert_eq!(plan.notes.len(), 1);
        assert!(plan.notes[0].contains("run `atlas migrate hash`"), "{}", plan.notes[0]);
    }
}
