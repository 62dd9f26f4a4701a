//! Adopting neonlint in a workflow: suppressions, `[[ignore]]`, `--changed-since`,
//! baselines.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{assert_findings, found, neonlint_in};

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn findings_in(dir: &Path, args: &[&str]) -> Vec<common::Found> {
    let mut full = vec!["check", "--format", "json"];
    full.extend_from_slice(args);
    let run = neonlint_in(dir, &full);
    assert!(run.code < 2, "exit {}: {}", run.code, run.stderr);
    common::parse_findings(&run.stdout)
}

const GRANTS: &str = "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;\n";

#[test]
fn unknown_rule_in_a_comment_is_exit_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("migrations/1_init.sql"),
        &format!("{GRANTS}\n-- neonlint-ignore rls-disable\nCREATE TABLE public.t ();\n"),
    );
    let run = neonlint_in(dir.path(), &["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("migrations/1_init.sql:3: unknown rule `rls-disable`; did you mean `rls-disabled`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn config_ignores_match_objects_by_glob_and_unused_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("migrations/1_init.sql"),
        &format!(
            "{GRANTS}CREATE TABLE public.audit_log (id int);\nCREATE TABLE public.audit_2024 (id int);\nCREATE TABLE public.todos (id int);\nNOTIFY pgrst, 'reload schema';\n"
        ),
    );
    write(
        &dir.path().join("neonlint.toml"),
        "[[ignore]]\nrule = \"rls-disabled\"\nobject = \"public.audit_*\"\nreason = \"written by triggers\"\n\n\
         [[ignore]]\nrule = \"*\"\nobject = \"schema:legacy\"\n",
    );
    assert_findings(
        findings_in(dir.path(), &[]),
        vec![found("NL001", "public.todos", "1_init.sql", 4), found("NL900", "neonlint.toml", "", 0)],
        "config ignores",
    );
    // --no-suppressions shows what they hide, and reports no unused ones.
    assert_findings(
        findings_in(dir.path(), &["--no-suppressions"]),
        vec![
            found("NL001", "public.audit_log", "1_init.sql", 2),
            found("NL001", "public.audit_2024", "1_init.sql", 3),
            found("NL001", "public.todos", "1_init.sql", 4),
        ],
        "--no-suppressions",
    );
}

#[test]
fn a_statement_comment_covers_findings_about_what_the_statement_touches() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("migrations/1_init.sql"),
        &format!("{GRANTS}CREATE TABLE public.lookup (id int);\nNOTIFY pgrst, 'reload schema';\n"),
    );
    // The finding points at 1_init.sql; the comment sits above a later statement on the table.
    write(
        &dir.path().join("migrations/2_comment.sql"),
        "-- neonlint-ignore rls-disabled -- lookup data, public on purpose\nCOMMENT ON TABLE public.lookup IS 'x';\n\
         -- neonlint-ignore NL001\nGRANT SELECT ON public.lookup TO anonymous;\n",
    );
    // COMMENT ON changes nothing the model holds: that comment is unused; the GRANT one is not.
    // It silences only NL001: the anonymous role reading a table without RLS stays reported.
    assert_findings(
        findings_in(dir.path(), &[]),
        vec![
            found("NL015", "public.lookup", "1_init.sql", 2),
            found("NL900", "2_comment.sql", "2_comment.sql", 1),
        ],
        "comment above a statement that touches the table",
    );
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn changed_since_reports_only_what_changed_files_cause_or_touch() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    git(root, &["config", "user.email", "test@example.com"]);
    git(root, &["config", "user.name", "test"]);
    let migrations = root.join("supabase/migrations");
    write(
        &migrations.join("20240101000000_init.sql"),
        &format!("{GRANTS}CREATE TABLE public.old_debt (id int);\nNOTIFY pgrst, 'reload schema';\n"),
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);

    let run = neonlint_in(root, &["check", "--changed-since", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("no migration changed since `HEAD`"), "{}", run.stderr);
    assert_findings(common::parse_findings(&run.stdout), vec![], "nothing changed");

    write(
        &migrations.join("20240102000000_todos.sql"),
        "CREATE TABLE public.todos (id int);\nNOTIFY pgrst, 'reload schema';\n",
    );
    assert_findings(
        findings_in(root, &["--changed-since", "HEAD"]),
        vec![found("NL001", "public.todos", "20240102000000_todos.sql", 1)],
        "an untracked new migration",
    );
    // A full run still sees the old debt.
    assert_eq!(findings_in(root, &[]).len(), 2);
    let run = neonlint_in(root, &["check", "--changed-since", "no-such-ref"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("git does not know `no-such-ref`"), "{}", run.stderr);
}

#[test]
fn baseline_hides_known_findings_and_only_new_ones_fail() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let migrations = root.join("migrations");
    write(
        &migrations.join("1_init.sql"),
        &format!("{GRANTS}CREATE TABLE public.old_debt (id int);\nNOTIFY pgrst, 'reload schema';\n"),
    );
    let run = neonlint_in(root, &["baseline", "neonlint-baseline.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("wrote neonlint-baseline.json with 1 finding"), "{}", run.stderr);
    let run = neonlint_in(root, &["check", "--baseline", "neonlint-baseline.json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);

    // Lines above the known finding move; a new table arrives.
    write(
        &migrations.join("1_init.sql"),
        &format!(
            "-- moved down\n\n{GRANTS}CREATE TABLE public.old_debt (id int);\nNOTIFY pgrst, 'reload schema';\n"
        ),
    );
    write(
        &migrations.join("2_new.sql"),
        "CREATE TABLE public.fresh (id int);\nNOTIFY pgrst, 'reload schema';\n",
    );
    assert_findings(
        findings_in(root, &["--baseline", "neonlint-baseline.json"]),
        vec![found("NL001", "public.fresh", "2_new.sql", 1)],
        "baseline",
    );
    let run = neonlint_in(root, &["check", "--baseline", "missing.json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("neonlint baseline missing.json"), "{}", run.stderr);
}

#[test]
fn a_file_outside_any_migrations_folder_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("docs/notes.txt"), "not a migration\n");
    let run = neonlint_in(dir.path(), &["check", "docs/notes.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("docs/notes.txt") && run.stderr.contains("not inside a migrations folder"),
        "{}",
        run.stderr
    );
}

/// Whether `relative` (with `/`) matches the hook's `files` pattern,
/// `(^|/)(NAME|NAME/NAME|…)/.+\.sql$`, read from `.pre-commit-hooks.yaml`.
fn hook_matches(relative: &str) -> bool {
    let hooks = fs::read_to_string(common::root().join(".pre-commit-hooks.yaml")).unwrap();
    let pattern =
        hooks.lines().find_map(|line| line.trim().strip_prefix("files: ")).expect("a files pattern");
    let folders = pattern
        .strip_prefix("(^|/)(")
        .and_then(|rest| rest.strip_suffix(")/.+\\.sql$"))
        .unwrap_or_else(|| panic!("the hook's pattern changed shape: {pattern}"));
    relative.ends_with(".sql")
        && folders.split('|').any(|folder| {
            let with_slashes = format!("/{relative}");
            with_slashes.match_indices(&format!("/{folder}/")).any(|(at, matched)| {
                // `.+` needs at least one character after the folder.
                with_slashes.len() > at + matched.len()
            })
        })
}

#[test]
fn the_pre_commit_hook_sees_every_layout_fixture_and_resolves_each_file_to_its_set() {
    for entry in fs::read_dir(common::fixture("layouts")).unwrap() {
        let project = entry.unwrap().path();
        if !project.is_dir() {
            continue;
        }
        let set = neonlint::source::discover(&project, None).unwrap().set;
        let project = project.canonicalize().unwrap();
        assert!(!set.files.is_empty(), "{}", project.display());
        for file in &set.files {
            let relative = file.path.strip_prefix(&project).unwrap().to_string_lossy().replace('\\', "/");
            assert!(hook_matches(&relative), "the hook does not pass `{relative}` of {}", project.display());
            // A staged file, passed alone, is checked with the whole set it belongs to.
            let selection = neonlint::source::discover(&file.path, None).unwrap();
            assert_eq!(selection.set.root, set.root, "{relative}");
            assert_eq!(selection.only.as_deref(), Some(std::slice::from_ref(&file.path)), "{relative}");
        }
    }
}
