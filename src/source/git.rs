//! `--changed-since REF`: the files git says changed since REF (committed, staged or not)
//! plus the untracked ones, as absolute paths. Runs the `git` command; reads nothing else.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Files changed, added or renamed since `reference`, and untracked files, under the git
/// repository that holds `directory`. Deleted files are left out.
pub fn changed_since(directory: &Path, reference: &str) -> Result<Vec<PathBuf>, String> {
    let root = git(directory, &["rev-parse", "--show-toplevel"]).map_err(|error| {
        format!(
            "--changed-since needs a git repository, and `{}` is not in one ({error})",
            directory.display()
        )
    })?;
    let root = PathBuf::from(root.trim_end_matches(['\n', '\r']));
    let commit = format!("{reference}^{{commit}}");
    git(&root, &["rev-parse", "--verify", "--quiet", &commit]).map_err(|_| {
        format!(
            "--changed-since: git does not know `{reference}`; check the name, and in CI fetch enough history \
             (actions/checkout with `fetch-depth: 0`)"
        )
    })?;
    let changed = git(&root, &["diff", "--name-only", "-z", "--diff-filter=d", reference, "--"])?;
    let untracked = git(&root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    let mut paths: Vec<PathBuf> = changed
        .split('\0')
        .chain(untracked.split('\0'))
        .filter(|path| !path.is_empty())
        .map(|path| {
            let path = root.join(path);
            path.canonicalize().unwrap_or(path)
        })
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// Runs git in `directory` and returns its stdout, or its stderr as the error.
fn git(directory: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(directory)
        .args(args)
        .output()
        .map_err(|error| format!("cannot run git: {error}; is it installed?"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(directory: &Path, args: &[&str]) {
        let status = Command::new("git").arg("-C").arg(directory).args(args).output().unwrap();
        assert!(status.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&status.stderr));
    }

    #[test]
    fn committed_staged_unstaged_and_untracked_changes_count_deleted_do_not() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        run(root, &["init", "-q"]);
        run(root, &["config", "user.email", "test@example.com"]);
        run(root, &["config", "user.name", "test"]);
        for name in ["a.sql", "b.sql", "c.sql", "gone.sql"] {
            std::fs::write(root.join(name), "SELECT 1;\n").unwrap();
        }
        run(root, &["add", "."]);
        run(root, &["commit", "-qm", "base"]);
        std::fs::write(root.join("a.sql"), "SELECT 2;\n").unwrap();
        run(root, &["commit", "-qam", "change a"]);
        std::fs::write(root.join("b.sql"), "SELECT 2;\n").unwrap();
        run(root, &["add", "b.sql"]);
        std::fs::write(root.join("c.sql"), "SELECT 2;\n").unwrap();
        std::fs::write(root.join("new.sql"), "SELECT 1;\n").unwrap();
        std::fs::remove_file(root.join("gone.sql")).unwrap();
        let changed = changed_since(root, "HEAD~1").unwrap();
        let names: Vec<String> =
            changed.iter().map(|path| path.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.sql", "b.sql", "c.sql", "new.sql"]);
    }

    #[test]
    fn unknown_reference_and_no_repository_are_clear_errors() {
        let repo = tempfile::tempdir().unwrap();
        let error = changed_since(repo.path(), "main").unwrap_err();
        assert!(error.contains("needs a git repository"), "{error}");
        run(repo.path(), &["init", "-q"]);
        let error = changed_since(repo.path(), "no-such-branch").unwrap_err();
        assert!(error.contains("does not know `no-such-branch`") && error.contains("fetch-depth"), "{error}");
    }
}
