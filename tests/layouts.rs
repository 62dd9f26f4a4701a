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

#[test]
fn goose_replays_the_up_part_in_numeric_version_order() {
    // Whole files would re-enable RLS in the last file's Down part; byte order would disable
    // RLS before the table exists.
    let (findings, stderr) = check("goose");
    assert_findings(findings, disabled_at("10_disable_rls.sql", 2), "goose");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn diesel_runs_up_sql_in_folder_order() {
    // `down.sql` would enable RLS again.
    let (findings, _) = check("diesel");
    assert_findings(findings, disabled_at("up.sql", 1), "diesel");
}

#[test]
fn sqlx_never_replays_a_down_file() {
    // The down file drops the table: replayed, it would leave nothing to report.
    let (findings, _) = check("sqlx");
    assert_findings(findings, disabled_at("20240102000000_disable_rls.up.sql", 1), "sqlx");
}

#[test]
fn postgrator_runs_do_files_only() {
    // Replaying each `undo` right after its `do` drops the table: no finding at all.
    let (findings, _) = check("postgrator");
    assert_findings(findings, disabled_at("0002.do.disable-rls.sql", 1), "postgrator");
}

#[test]
fn graphile_migrate_runs_committed_then_current() {
    let (findings, stderr) = check("graphile-migrate");
    assert_findings(findings, disabled_at("current.sql", 2), "graphile-migrate");
    assert!(!stderr.contains("NL000"), "{stderr}");
}

#[test]
fn atlas_runs_files_in_byte_order_of_names() {
    // Atlas sorts names as strings: `10_disable_rls.sql` runs first, before the table exists.
    // Natural order would run it last and report NL001 and NL006 on `public.todos` too.
    let (findings, _) = check("atlas");
    assert_findings(findings, vec![found("NL001", "public.notes", "3_notes.sql", 1)], "atlas");
}

#[test]
fn liquibase_follows_the_master_changelog_and_skips_rollbacks() {
    // Name order would run `disable-rls.sql` before `init.sql`; the rollback lines and the
    // Oracle-only changeset would enable RLS again.
    let (findings, _) = check("liquibase");
    assert_findings(findings, disabled_at("disable-rls.sql", 4), "liquibase");
}

#[test]
fn a_folder_where_nothing_runs_reports_nothing_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("supabase/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(migrations.join("notes.sql"), "CREATE TABLE public.t (id int);\n").unwrap();
    let run = neonlint(&["check", "--format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_findings(common::parse_findings(&run.stdout), vec![], "nothing replayed");
    assert!(run.stderr.contains("found no migrations that Supabase runs"), "{}", run.stderr);
}

#[test]
fn dbmate_markers_with_other_names_replay_every_up_part_in_natural_order() {
    // Named as another tool names files (`<millis>-name.sql`), with dbmate's markers: before,
    // dbmate's naming skipped every file and NL004 was reported on nothing.
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    let base = std::fs::read_to_string(fixture("layouts/golang-migrate/migrations/1_init.up.sql")).unwrap();
    std::fs::write(
        migrations.join("1627205500879-init.sql"),
        format!("-- migrate:up\n{base}\n-- migrate:down\nDROP TABLE public.todos;\n"),
    )
    .unwrap();
    std::fs::write(
        migrations.join("1627205500880-disable.sql"),
        "-- migrate:up\nALTER TABLE public.todos DISABLE ROW LEVEL SECURITY;\n-- migrate:down\nALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n",
    )
    .unwrap();
    let run = neonlint(&["check", "--format", "json", dir.path().to_str().unwrap()]);
    assert_findings(
        common::parse_findings(&run.stdout),
        disabled_at("1627205500880-disable.sql", 2),
        "dbmate markers",
    );
    assert!(
        run.stderr.contains("neonlint replays the up part of every file, in natural name order"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_monorepo_root_checks_each_migrations_folder_as_its_own_set() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let copy = |from: &str, to: &str| {
        let source = fixture(from);
        for entry in std::fs::read_dir(&source).unwrap() {
            let entry = entry.unwrap();
            let target = root.join(to).join(entry.file_name());
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), target).unwrap();
        }
    };
    copy("layouts/plain/migrations", "platform/app/db-core/migrations");
    copy("layouts/golang-migrate/migrations", "packages/db/migrations");
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    std::fs::write(root.join("scripts/report.sql"), "CREATE TABLE public.report (id int);\n").unwrap();
    let run = common::neonlint_in(root, &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut findings = common::parse_findings(&run.stdout);
    findings.sort_by(|a, b| a.file.cmp(&b.file));
    let mut expected = disabled_at("10_disable_rls.up.sql", 1);
    expected.extend(disabled_at("10_disable_rls.sql", 1));
    assert_findings(findings, expected, "monorepo");
    assert!(
        run.stderr.contains("checking 2 migrations folders found below it, each on its own: `packages/db/migrations` (golang-migrate), `platform/app/db-core/migrations` (plain)"),
        "{}",
        run.stderr
    );

    // `paths` in neonlint.toml pins the sets.
    std::fs::write(root.join("neonlint.toml"), "paths = [\"packages/db/migrations\"]\n").unwrap();
    let run = common::neonlint_in(root, &["--format", "json"]);
    assert_findings(common::parse_findings(&run.stdout), disabled_at("10_disable_rls.up.sql", 1), "paths");
    assert!(!run.stderr.contains("found below"), "{}", run.stderr);
}
