//! The rendered reports, snapshotted: review `.snap` diffs like code.

mod common;

use common::neonlint;

#[test]
fn demo_human_report() {
    let run = neonlint(&["check", "fixtures/demo"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("demo_human", run.stdout);
}

#[test]
fn demo_json_report() {
    let run = neonlint(&["check", "--format", "json", "fixtures/demo"]);
    insta::assert_snapshot!("demo_json", run.stdout);
}

#[test]
fn demo_fix_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fix.sql");
    neonlint(&["check", "--fix-out", out.to_str().unwrap(), "fixtures/demo"]);
    let text = std::fs::read_to_string(out).unwrap();
    // The header quotes the command line, which holds the temporary path.
    let text = text.replace(dir.path().to_str().unwrap(), "<tmp>");
    insta::assert_snapshot!("demo_fix", text);
}
