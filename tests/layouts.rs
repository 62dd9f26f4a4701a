//! Each layout fixture is a project root whose result depends on the order (or the
//! choice) of the files replayed; see fixtures/layouts/README.md for why each expectation
//! would differ under the usual wrong handling.

mod common;

use common::{Found, assert_findings, fixture, found, neonlint};

fn check(layout: &str) -> (Vec<Found>, String) {
    let path = fixture(&format!("layouts/{layout}"));
    let run = neonlint(&["check", "--format", "json", path.to_str().unwrap()]);
    assert!(run.code == 0 || run.code == 1, "{layout}: exit {}: {}", run.code, run.stderr);
    (common::parse_findings(&run.stdout), run.stderr)
}

fn disabled_at(file: &str, line: u64) -> Vec<Found> {
    vec![found("NL001", "public.todos", file, line), found("NL006", "public.todos", file, line)]
}

#[test]
fn supabase_skips_files_without_a_timestamp_prefix() {
    let (findings, stderr) = check("supabase");
    assert_findings(findings, vec![], "supabase");
    assert!(stderr.contains("skipped `notes.sql`: Supabase only runs files named"), "{stderr}");
}

#[test]
fn drizzle_replays_only_what_the_journal_lists() {
    let (findings, stderr) = check("drizzle");
    assert_findings(findings, vec![], "drizzle");
    assert!(
        stderr.contains("skipped `0002_disable_rls.sql`: it is not listed in `meta/_journal.json`"),
        "{stderr}"
    );
}

#[test]
fn prisma_runs_migration_sql_in_folder_order() {
    let (findings, stderr) = check("prisma");
    assert_findings(findings, vec![], "prisma");
    assert!(stderr.contains("skipped `notes.sql`"), "{stderr}");
}

#[test]
fn golang_migrate_orders_versions_numerically_and_skips_down_files() {
    let (findings, _) = check("golang-migrate");
    assert_findings(findings, disabled_at("10_disable_rls.up.sql", 1), "golang-migrate");
}

#[test]
fn dbmate_replays_only_the_up_half() {
    let (findings, _) = check("dbmate");
    assert_findings(findings, vec![], "dbmate");
}

#[test]
fn flyway_compares_versions_part_by_part_and_runs_repeatables_last() {
    let (findings, _) = check("flyway");
    assert_findings(findings, disabled_at("V10__disable_rls.sql", 1), "flyway");
}

#[test]
fn sqitch_follows_the_plan() {
    let (findings, _) = check("sqitch");
    assert_findings(findings, vec![], "sqitch");
}

#[test]
fn plain_folders_use_natural_order() {
    let (findings, _) = check("plain");
    assert_findings(findings, disabled_at("10_disable_rls.sql", 1), "plain");
}

#[test]
fn layout_in_config_overrides_detection() {
    // Forced to plain, the Supabase folder replays notes.sql too (natural order puts it
    // last), which disables RLS again.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("neonlint.toml");
    std::fs::write(&config, "layout = \"plain\"\n").unwrap();
    let path = fixture("layouts/supabase/supabase/migrations");
    let run = neonlint(&[
        "check",
        "--format",
        "json",
        "--config",
        config.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert_findings(common::parse_findings(&run.stdout), disabled_at("notes.sql", 2), "supabase as plain");
}
