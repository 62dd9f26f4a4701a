//! The pre-commit hook of `.pre-commit-hooks.yaml`, run by the real pre-commit from a real
//! `git commit`: a migration that keeps row-level security on is committed, and a commit
//! adding a table without it is rejected with NL001 and the file's name.
//!
//! pre-commit clones the hook's repository at a commit and builds it with `cargo install`, so
//! this tests what is committed, not the working tree: this repository at `HEAD`, unless
//! `NEONLINT_PRE_COMMIT_REPO` (another clone) and `NEONLINT_PRE_COMMIT_REV` (a commit in it)
//! say otherwise. The hook's build is cached in `target/tmp/pre-commit-home` and
//! `target/tmp/pre-commit-cargo`, so only the first run compiles the dependencies.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// A migration with nothing to report: RLS on, an owner policy, the grants the policy needs,
/// and default privileges for the tables later migrations create.
const CLEAN_MIGRATION: &str = "\
create table public.todos (
  id bigint generated always as identity primary key,
  user_id text not null default (auth.user_id()),
  task text not null
);
alter table public.todos enable row level security;
create policy todos_owner on public.todos for all to authenticated
  using ((select auth.user_id()) = user_id)
  with check ((select auth.user_id()) = user_id);
grant usage on schema public to authenticated;
grant select, insert, update, delete on public.todos to authenticated;
alter default privileges in schema public grant select, insert, update, delete on tables to authenticated;
";

/// A table without row-level security: NL001. The default privileges of the first migration
/// give it its grants, so NL001 is the only finding.
const TABLE_WITHOUT_RLS: &str = "create table public.notes (id bigint primary key, body text);\n";

#[test]
fn commit_without_rls_is_rejected_and_clean_commit_passes() {
    let Some(pre_commit) = find_pre_commit() else {
        if std::env::var("CI").is_ok_and(|value| value == "true") {
            panic!("pre-commit is not installed and CI=true: install it with `pip install pre-commit`");
        }
        println!("skipped: pre-commit is not installed (`pip install pre-commit` to run this test)");
        return;
    };

    let (hook_repo, rev) = hook_repository();
    let sandbox = tempfile::tempdir().unwrap();
    let project = sandbox.path().join("project");
    let tools = Tools::new(sandbox.path(), &hook_repo);

    fs::create_dir(&project).unwrap();
    tools.git(&project, &["init", "--quiet"]);
    tools.git(&project, &["config", "user.name", "neonlint test"]);
    tools.git(&project, &["config", "user.email", "neonlint-test@example.invalid"]);
    fs::write(
        project.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: neonlint\n",
            yaml_string(&hook_repo.to_string_lossy())
        ),
    )
    .unwrap();
    let install =
        tools.command(&pre_commit[0]).args(&pre_commit[1..]).arg("install").current_dir(&project).output();
    let install = install.expect("pre-commit was found a moment ago");
    assert!(install.status.success(), "`pre-commit install` failed:\n{}", combined(&install));

    let migrations = project.join("supabase/migrations");
    fs::create_dir_all(&migrations).unwrap();
    fs::write(migrations.join("20240101000000_init.sql"), CLEAN_MIGRATION).unwrap();
    tools.git(&project, &["add", "."]);
    let started = Instant::now();
    let clean = tools
        .command("git")
        .args(["commit", "--message", "Todos with row-level security"])
        .current_dir(&project)
        .output()
        .unwrap();
    // Shown with `--nocapture`: the first run builds the hook, later ones reuse it.
    println!("clean commit (builds the hook unless cached): {:.1?}", started.elapsed());
    let clean_output = combined(&clean);
    assert!(clean.status.success(), "the clean migration was not committed:\n{clean_output}");
    assert!(hook_result(&clean_output) == Some("Passed"), "the hook did not run and pass:\n{clean_output}");

    fs::write(migrations.join("20240102000000_notes.sql"), TABLE_WITHOUT_RLS).unwrap();
    tools.git(&project, &["add", "."]);
    let started = Instant::now();
    let rejected = tools
        .command("git")
        .args(["commit", "--message", "Notes without row-level security"])
        .current_dir(&project)
        .output()
        .unwrap();
    println!("rejected commit (hook cached): {:.1?}", started.elapsed());
    let rejected_output = combined(&rejected);
    assert!(!rejected.status.success(), "the table without RLS was committed:\n{rejected_output}");
    assert!(hook_result(&rejected_output) == Some("Failed"), "the hook did not fail:\n{rejected_output}");
    assert!(
        rejected_output.contains("NL001")
            && rejected_output.contains("supabase/migrations/20240102000000_notes.sql"),
        "the rejection does not name NL001 and the file:\n{rejected_output}"
    );
    let commits = tools.git(&project, &["rev-list", "--count", "HEAD"]);
    assert_eq!(commits.trim(), "1", "only the clean migration is committed");
}

/// How to run pre-commit: the `pre-commit` on PATH, else the Python module.
fn find_pre_commit() -> Option<Vec<OsString>> {
    [vec!["pre-commit"], vec!["python3", "-m", "pre_commit"]]
        .into_iter()
        .map(|command| command.into_iter().map(OsString::from).collect::<Vec<_>>())
        .find(|command| {
            Command::new(&command[0])
                .args(&command[1..])
                .arg("--version")
                .output()
                .is_ok_and(|output| output.status.success())
        })
}

/// The repository the hook comes from and the commit to use, which must hold the hook's
/// definition.
fn hook_repository() -> (PathBuf, String) {
    let repo = std::env::var_os("NEONLINT_PRE_COMMIT_REPO")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let repo = repo.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", repo.display()));
    let rev = match std::env::var("NEONLINT_PRE_COMMIT_REV") {
        Ok(rev) => rev,
        Err(_) => {
            let output = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(&repo).output();
            let output = output.expect("git is needed to test the pre-commit hook");
            assert!(
                output.status.success(),
                "`git rev-parse HEAD` failed in {}: set NEONLINT_PRE_COMMIT_REPO to a clone of neonlint\n{}",
                repo.display(),
                combined(&output)
            );
            String::from_utf8(output.stdout).unwrap().trim().to_owned()
        }
    };
    let manifest = Command::new("git")
        .args(["cat-file", "-e", &format!("{rev}:.pre-commit-hooks.yaml")])
        .current_dir(&repo)
        .status()
        .unwrap();
    assert!(
        manifest.success(),
        "commit {rev} of {} has no `.pre-commit-hooks.yaml`, and pre-commit reads the hook from the \
         commit: commit it, or point NEONLINT_PRE_COMMIT_REPO and NEONLINT_PRE_COMMIT_REV at a clone \
         where it is committed",
        repo.display()
    );
    (repo, rev)
}

/// Runs git and pre-commit apart from the user's and the system's git configuration (a
/// `core.hooksPath` makes `pre-commit install` refuse; `commit.gpgsign` would ask for a key)
/// and from a `GIT_DIR` left by a hook that runs these tests, with pre-commit's cache and
/// the hook's build under `target/`.
struct Tools {
    global_config: PathBuf,
}

impl Tools {
    fn new(sandbox: &Path, hook_repo: &Path) -> Tools {
        let global_config = sandbox.join("gitconfig");
        // pre-commit clones the hook's repository, which may belong to another user.
        let config = format!(
            "[init]\n\tdefaultBranch = main\n[safe]\n\tdirectory = {}\n",
            hook_repo.to_string_lossy()
        );
        fs::write(&global_config, config).unwrap();
        Tools { global_config }
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env("GIT_CONFIG_GLOBAL", &self.global_config)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("PRE_COMMIT_HOME", pre_commit_home())
            .env("CARGO_TARGET_DIR", cargo_target_dir())
            .env("PRE_COMMIT_COLOR", "never")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE");
        command
    }

    /// Runs a git command that must succeed; returns its stdout.
    fn git(&self, dir: &Path, args: &[&str]) -> String {
        let output = self.command("git").args(args).current_dir(dir).output().unwrap();
        assert!(output.status.success(), "git {} failed:\n{}", args.join(" "), combined(&output));
        String::from_utf8(output.stdout).unwrap()
    }
}

/// pre-commit's store: the clone of the hook's repository and the installed binary, per commit.
fn pre_commit_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-home")
}

/// Where `cargo install` builds the hook. pre-commit leaves the variable alone, and cargo
/// would otherwise build in each clone's own `target/`: a new commit would compile every
/// dependency again. Not the `target/` of `cargo test`, whose lock it holds.
fn cargo_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-cargo")
}

/// The result pre-commit prints on the hook's line, `neonlint.....Passed`.
fn hook_result(output: &str) -> Option<&str> {
    let line = output.lines().find(|line| line.starts_with("neonlint..."))?;
    line.rsplit('.').next()
}

/// A YAML double-quoted string, for a path that may hold any character.
fn yaml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn combined(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}
