//! Putting a planned migration on disk: new files are created, never replaced; index files
//! (drizzle's journal, sqitch's plan, Atlas's sum) are rewritten atomically; a failure half
//! way removes what was made and restores what was rewritten.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{NewMigration, exists};
use crate::source::display_path;

/// Creates the files (`create_new`: never replaces an existing file) and rewrites the index
/// files atomically (a temporary file beside, then a rename). If anything fails half way, what
/// was created is removed and rewritten index files get their old text back, so nothing the
/// user had changes.
pub fn write(plan: &NewMigration) -> io::Result<()> {
    // Refuse before touching anything; `create_new` still guards against a file appearing later.
    for (path, _) in &plan.created {
        if exists(path) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "`{}` already exists: neonlint never replaces a file, so nothing was written; plan the new \
                     migration again so that it picks a free name",
                    display_path(path)
                ),
            ));
        }
    }
    let mut created = CreatedSoFar::default();
    let result = create_files(&plan.created, &mut created).and_then(|()| replace_files(&plan.updated));
    if result.is_err() {
        created.remove();
    }
    result
}

/// What `write` made so far, to remove if a later step fails.
#[derive(Default)]
struct CreatedSoFar {
    files: Vec<PathBuf>,
    folders: Vec<PathBuf>,
}

impl CreatedSoFar {
    /// Removes the files, then the folders (only if empty), newest first. Failures are
    /// ignored: this runs after an error that is already being returned.
    fn remove(&self) {
        for file in self.files.iter().rev() {
            let _ = fs::remove_file(file);
        }
        for folder in self.folders.iter().rev() {
            let _ = fs::remove_dir(folder);
        }
    }
}

fn create_files(files: &[(PathBuf, String)], created: &mut CreatedSoFar) -> io::Result<()> {
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            create_folders(parent, created)?;
        }
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|error| with_context(error, "create", path))?;
        created.files.push(path.clone());
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|error| with_context(error, "write", path))?;
    }
    Ok(())
}

/// Creates `folder` and its missing parents, remembering each one made.
fn create_folders(folder: &Path, created: &mut CreatedSoFar) -> io::Result<()> {
    let missing: Vec<&Path> = folder
        .ancestors()
        .take_while(|ancestor| !ancestor.as_os_str().is_empty() && !exists(ancestor))
        .collect();
    for folder in missing.into_iter().rev() {
        match fs::create_dir(folder) {
            Ok(()) => created.folders.push(folder.to_path_buf()),
            // Made meanwhile by someone else: it is not ours to remove.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && folder.is_dir() => {}
            Err(error) => return Err(with_context(error, "create the folder", folder)),
        }
    }
    Ok(())
}

/// One index file on its way to being replaced.
struct StagedReplacement {
    /// The real file (a link is followed, so the link stays a link).
    target: PathBuf,
    /// The new text, written beside the target.
    temporary: PathBuf,
    /// The target's bytes before, to put back if a later replacement fails.
    original: Option<Vec<u8>>,
}

/// Writes every new text to a temporary file first, then renames them over their targets, so a
/// failure before the renames changes nothing and one during them is undone.
fn replace_files(files: &[(PathBuf, String)]) -> io::Result<()> {
    let mut staged = Vec::new();
    for (path, text) in files {
        match stage_replacement(path, text.as_bytes()) {
            Ok(replacement) => staged.push(replacement),
            Err(error) => {
                for replacement in &staged {
                    let _ = fs::remove_file(&replacement.temporary);
                }
                return Err(error);
            }
        }
    }
    for (index, replacement) in staged.iter().enumerate() {
        if let Err(error) = fs::rename(&replacement.temporary, &replacement.target) {
            for later in &staged[index..] {
                let _ = fs::remove_file(&later.temporary);
            }
            for earlier in staged[..index].iter().rev() {
                restore(earlier);
            }
            return Err(with_context(error, "replace", &replacement.target));
        }
    }
    Ok(())
}

fn stage_replacement(path: &Path, text: &[u8]) -> io::Result<StagedReplacement> {
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let original = match fs::read(&target) {
        Ok(bytes) => Some(bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(with_context(error, "read", &target)),
    };
    let temporary = write_beside(&target, text)?;
    if let Ok(metadata) = fs::metadata(&target) {
        // The rewritten file keeps the old one's permissions.
        if let Err(error) = fs::set_permissions(&temporary, metadata.permissions()) {
            let _ = fs::remove_file(&temporary);
            return Err(with_context(error, "copy the permissions of", &target));
        }
    }
    Ok(StagedReplacement { target, temporary, original })
}

/// Writes `text` to a new hidden file in `target`'s folder and returns its path.
fn write_beside(target: &Path, text: &[u8]) -> io::Result<PathBuf> {
    let folder = target.parent().unwrap_or(Path::new("."));
    let file_name = target.file_name().map(|name| name.to_string_lossy()).unwrap_or_default();
    let mut last_error = None;
    for attempt in 0..100 {
        let temporary = folder.join(format!(".{file_name}.neonlint-{}-{attempt}.tmp", std::process::id()));
        let mut file = match fs::OpenOptions::new().write(true).create_new(true).open(&temporary) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                last_error = Some(error);
                continue;
            }
            Err(error) => return Err(with_context(error, "create a temporary file beside", target)),
        };
        if let Err(error) = file.write_all(text).and_then(|()| file.sync_all()) {
            let _ = fs::remove_file(&temporary);
            return Err(with_context(error, "write a temporary file beside", target));
        }
        return Ok(temporary);
    }
    let error = last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists));
    Err(with_context(error, "create a temporary file beside", target))
}

/// Puts a replaced file's old bytes back, the same atomic way. Best effort: it runs only while
/// another error is being returned.
fn restore(replacement: &StagedReplacement) {
    match &replacement.original {
        Some(bytes) => {
            if let Ok(temporary) = write_beside(&replacement.target, bytes) {
                if fs::rename(&temporary, &replacement.target).is_err() {
                    let _ = fs::remove_file(&temporary);
                }
            }
        }
        None => {
            let _ = fs::remove_file(&replacement.target);
        }
    }
}

/// An I/O error whose message says what failed, on which path, and that nothing changed.
fn with_context(error: io::Error, action: &str, path: &Path) -> io::Error {
    let folder = path.parent().map(display_path).unwrap_or_else(|| ".".to_string());
    io::Error::new(
        error.kind(),
        format!(
            "cannot {action} `{}`: {error}; nothing was changed: check that you may write to `{folder}`",
            display_path(path)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::source::test_support::folder_with;

    #[test]
    fn write_refuses_an_existing_target_and_writes_nothing() {
        let project = copy_fixture("golang-migrate");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        let down = &plan.created[1].0;
        fs::write(down, "-- mine\n").expect("write");
        let before = snapshot(project.path());
        let error = write(&plan).expect_err("target exists");
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            error.to_string(),
            format!(
                "`{}` already exists: neonlint never replaces a file, so nothing was written; plan the new \
                 migration again so that it picks a free name",
                display_path(down)
            )
        );
        assert_eq!(snapshot(project.path()), before);
    }

    #[test]
    fn write_removes_what_it_created_when_a_later_file_fails() {
        let project = folder_with(&[("blocker", "a file where a folder should be\n")]);
        let root = canonical(project.path());
        let plan = NewMigration {
            created: vec![
                (root.join("new/deeper/first.sql"), "SELECT 1;\n".to_string()),
                (root.join("blocker/sub/second.sql"), "SELECT 2;\n".to_string()),
            ],
            updated: Vec::new(),
            notes: Vec::new(),
        };
        let before = snapshot(&root);
        let error = write(&plan).expect_err("blocked");
        assert!(error.to_string().starts_with("cannot create the folder `"), "{error}");
        assert_eq!(snapshot(&root), before);
        assert!(!root.join("new").exists(), "the folders made for the first file are removed too");
    }

    #[test]
    fn write_removes_what_it_created_when_an_index_file_cannot_be_rewritten() {
        let project = copy_fixture("sqitch");
        let set = discover_set(project.path());
        let mut plan = plan_at(&set, now());
        plan.updated.push((set.root.join("gone/sqitch.plan"), "x\n".to_string()));
        let before = snapshot(project.path());
        let error = write(&plan).expect_err("missing folder");
        assert!(error.to_string().starts_with("cannot create a temporary file beside `"), "{error}");
        assert_eq!(snapshot(project.path()), before);
        assert!(!set.root.join("deploy/neonlint_fix.sql").exists());
    }

    #[cfg(unix)]
    #[test]
    fn rewriting_an_index_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let project = copy_fixture("sqitch");
        let plan_path = project.path().join("sqitch.plan");
        fs::set_permissions(&plan_path, fs::Permissions::from_mode(0o640)).expect("chmod");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        write_and_check(project.path(), &plan, &[]);
        let mode = fs::metadata(&plan_path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let leftovers: Vec<_> = fs::read_dir(project.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
