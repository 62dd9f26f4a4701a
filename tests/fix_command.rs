//! `neonlint fix` writes the corrective SQL as a new migration in each layout's own
//! convention: afterwards the layout's order runs it last and `neonlint check` finds
//! nothing it could fix. Existing migrations are never touched.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::neonlint_in;

const FIXABLE: &[&str] = &["NL001", "NL003", "NL004", "NL005", "NL006"];

fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `root` with its bytes.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn fixable_codes(root: &Path) -> Vec<String> {
    let run = neonlint_in(root, &["check", "--format", "json"]);
    assert!(run.code < 2, "{}", run.stderr);
    common::parse_findings(&run.stdout)
        .into_iter()
        .map(|f| f.code)
        .filter(|code| FIXABLE.contains(&code.as_str()))
        .collect()
}

/// Runs `neonlint fix` on a copy of `fixture` and checks the result; returns the copy and
/// the paths it created (relative to the project).
fn fix(fixture: &Path) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(fixture, root);
    assert!(!fixable_codes(root).is_empty(), "{}: nothing to fix in the fixture", fixture.display());
    let before = snapshot(root);

    let dry = neonlint_in(root, &["fix", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("neonlint_fix") && dry.stdout.contains("ENABLE ROW LEVEL SECURITY"),
        "{}",
        dry.stdout
    );
    assert_eq!(snapshot(root), before, "--dry-run changed files");

    let run = neonlint_in(root, &["fix"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = snapshot(root);
    for (path, bytes) in &before {
        // Index files, and graphile-migrate's work in progress, which the fix joins.
        let is_index =
            ["meta/_journal.json", "sqitch.plan", "atlas.sum", "db.changelog-master.yaml", "current.sql"]
                .iter()
                .any(|index| path.ends_with(index));
        if !is_index {
            assert_eq!(after.get(path), Some(bytes), "{} changed", path.display());
        }
    }
    let created: Vec<String> = after
        .keys()
        .filter(|path| !before.contains_key(*path))
        .map(|path| path.strip_prefix(root).unwrap().display().to_string())
        .collect();
    for path in &created {
        assert!(run.stdout.contains(path.rsplit('/').next().unwrap()), "{path} not reported: {}", run.stdout);
    }
    assert_eq!(
        fixable_codes(root),
        Vec::<String>::new(),
        "{}: still fixable after `neonlint fix`",
        fixture.display()
    );
    (dir, created)
}

#[test]
fn supabase_gets_a_timestamped_migration() {
    let (_dir, created) = fix(&common::fixture("demo"));
    assert_eq!(created.len(), 1, "{created:?}");
    let name = created[0].strip_prefix("supabase/migrations/").unwrap();
    assert!(
        name.len() == "20261127050048_neonlint_fix.sql".len() && name.ends_with("_neonlint_fix.sql"),
        "{name}"
    );
}

#[test]
fn golang_migrate_gets_up_and_down_files() {
    let (_dir, mut created) = fix(&common::fixture("layouts/golang-migrate"));
    created.sort();
    assert_eq!(created, ["migrations/11_neonlint_fix.down.sql", "migrations/11_neonlint_fix.up.sql"]);
}

#[test]
fn flyway_gets_the_next_version() {
    assert_eq!(
        fix(&common::fixture("layouts/flyway")).1,
        ["src/main/resources/db/migration/V11__neonlint_fix.sql"]
    );
}

#[test]
fn plain_folders_get_the_next_number() {
    assert_eq!(fix(&common::fixture("layouts/plain")).1, ["migrations/11_neonlint_fix.sql"]);
}

#[test]
fn drizzle_gets_a_journal_entry_and_statement_breakpoints() {
    // The drizzle fixture with its unlisted migration added to the journal, so it runs.
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path();
    copy_tree(&common::fixture("layouts/drizzle"), project);
    let journal = project.join("drizzle/meta/_journal.json");
    let mut value: serde_json::Value = serde_json::from_str(&fs::read_to_string(&journal).unwrap()).unwrap();
    let entries = value["entries"].as_array_mut().unwrap();
    let mut entry = entries.last().unwrap().clone();
    entry["idx"] = serde_json::json!(2);
    entry["tag"] = serde_json::json!("0002_disable_rls");
    entries.push(entry);
    fs::write(&journal, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    // And a second table without RLS, so the fix has several statements.
    let migration = project.join("drizzle/0002_disable_rls.sql");
    let text = fs::read_to_string(&migration).unwrap();
    fs::write(
        &migration,
        format!("{text}--> statement-breakpoint\nCREATE TABLE public.notes (id int, owner_id uuid);\n"),
    )
    .unwrap();

    let (fixed, created) = fix(project);
    assert_eq!(created, ["drizzle/0003_neonlint_fix.sql"]);
    let migration = fs::read_to_string(fixed.path().join("drizzle/0003_neonlint_fix.sql")).unwrap();
    assert!(migration.contains(";\n--> statement-breakpoint\n"), "{migration}");
    let journal: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fixed.path().join("drizzle/meta/_journal.json")).unwrap())
            .unwrap();
    let last = journal["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["idx"].as_u64(), last["tag"].as_str()), (Some(3), Some("0003_neonlint_fix")));
}

#[test]
fn nothing_to_fix_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&common::fixture("rules/rls-disabled/good"), dir.path());
    let before = snapshot(dir.path());
    let run = neonlint_in(dir.path(), &["fix"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("nothing to fix"), "{}", run.stderr);
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn goose_gets_the_next_version_with_goose_annotations() {
    let (dir, created) = fix(&common::fixture("layouts/goose"));
    assert_eq!(created, ["db/migrations/11_neonlint_fix.sql"]);
    let text = fs::read_to_string(dir.path().join(&created[0])).unwrap();
    assert!(text.starts_with("-- +goose Up\n") && text.contains("\n-- +goose Down\n"), "{text}");
}

#[test]
fn diesel_gets_a_migration_folder_with_up_and_down() {
    let (_dir, mut created) = fix(&common::fixture("layouts/diesel"));
    created.sort();
    assert_eq!(created.len(), 2, "{created:?}");
    let folder = created[0].strip_suffix("/down.sql").unwrap();
    assert_eq!(created[1], format!("{folder}/up.sql"));
    // `diesel migration generate`'s version: `YYYY-MM-DD-HHMMSS`.
    let version = folder.strip_prefix("migrations/").unwrap().strip_suffix("_neonlint_fix").unwrap();
    assert!(
        version.len() == 17 && version.as_bytes()[4] == b'-' && version.as_bytes()[10] == b'-',
        "{version}"
    );
}

#[test]
fn sqlx_gets_a_reversible_pair_like_its_neighbours() {
    let (_dir, mut created) = fix(&common::fixture("layouts/sqlx"));
    created.sort();
    assert_eq!(created.len(), 2, "{created:?}");
    assert!(
        created[0].ends_with("_neonlint_fix.down.sql") && created[1].ends_with("_neonlint_fix.up.sql"),
        "{created:?}"
    );
}

#[test]
fn postgrator_gets_do_and_undo_files() {
    let (_dir, mut created) = fix(&common::fixture("layouts/postgrator"));
    created.sort();
    assert_eq!(created, ["migrations/0003.do.neonlint_fix.sql", "migrations/0003.undo.neonlint_fix.sql"]);
}

#[test]
fn graphile_migrate_appends_the_fix_to_the_work_in_progress() {
    // `current.sql` disables RLS and runs after every committed migration: the fix joins it.
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&common::fixture("layouts/graphile-migrate"), dir.path());
    assert!(!fixable_codes(dir.path()).is_empty());
    let current = dir.path().join("migrations/current.sql");
    let before = fs::read_to_string(&current).unwrap();
    let run = neonlint_in(dir.path(), &["fix"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("updated migrations/current.sql"), "{}", run.stdout);
    assert!(run.stderr.contains("run `graphile-migrate commit`"), "{}", run.stderr);
    let after = fs::read_to_string(&current).unwrap();
    assert!(after.starts_with(before.trim_end()) && after.contains("ENABLE ROW LEVEL SECURITY"), "{after}");
    assert_eq!(fixable_codes(dir.path()), Vec::<String>::new());
}

#[test]
fn graphile_migrate_commits_the_fix_when_nothing_is_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&common::fixture("layouts/graphile-migrate"), dir.path());
    // The work in progress holds only its comment; a committed migration disables RLS.
    fs::write(dir.path().join("migrations/current.sql"), "-- Enter migration here\n").unwrap();
    let hash = "sha1:0123456789abcdef0123456789abcdef01234567";
    let disable = "ALTER TABLE public.todos DISABLE ROW LEVEL SECURITY;";
    fs::write(
        dir.path().join("migrations/committed/000003.sql"),
        format!("--! Previous: sha1:x\n--! Hash: {hash}\n\n{disable}\n"),
    )
    .unwrap();
    let (fixed, created) = fix(dir.path());
    assert_eq!(created, ["migrations/committed/000004-neonlint_fix.sql"]);
    let written = fs::read_to_string(fixed.path().join(&created[0])).unwrap();
    assert!(written.starts_with(&format!("--! Previous: {hash}\n--! Hash: sha1:")), "{written}");
}

#[test]
fn atlas_gets_a_migration_and_an_updated_sum() {
    let (dir, created) = fix(&common::fixture("layouts/atlas"));
    assert_eq!(created, ["migrations/4_neonlint_fix.sql"]);
    let sum = fs::read_to_string(dir.path().join("migrations/atlas.sum")).unwrap();
    assert!(sum.contains("\n4_neonlint_fix.sql h1:"), "{sum}");
}

#[test]
fn liquibase_gets_a_formatted_changelog_included_last() {
    let (dir, created) = fix(&common::fixture("layouts/liquibase"));
    assert_eq!(created, ["src/main/resources/db/changelog/changes/neonlint_fix.sql"]);
    let master =
        fs::read_to_string(dir.path().join("src/main/resources/db/changelog/db.changelog-master.yaml"))
            .unwrap();
    assert!(
        master.ends_with("      file: changes/neonlint_fix.sql\n      relativeToChangelogFile: true\n"),
        "{master}"
    );
}
