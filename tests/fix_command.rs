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
        let is_index = path.ends_with("meta/_journal.json") || path.ends_with("sqitch.plan");
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
