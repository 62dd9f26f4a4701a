//! `neonlint db` as users run it: the binary against a real database.

mod common;

use common::live::live;
use neonlint::source;

fn url(database: &str) -> String {
    let admin = common::live::admin_url();
    let (base, _) = admin.rsplit_once('/').expect("the test URL names a database");
    format!("{base}/{database}?sslmode=disable")
}

#[test]
fn db_reports_the_demo_like_check_does_and_its_fix_clears_it() {
    let Some(live) = live("db_demo") else { return };
    let _cluster = common::live::lock_cluster_objects();
    let database = live.create_database("db_demo");
    let selection = source::discover(&common::fixture("demo"), None).unwrap();
    let demo =
        neonlint::check::run(std::slice::from_ref(&selection), &neonlint::config::Config::default(), None)
            .unwrap();
    // Leftovers of an interrupted run carry the demo's names; remove them first.
    common::live::cleanup(&live, &demo.catalogs[0], &Default::default());
    let roles_before = common::live::existing_roles(&live);
    database.apply(&selection).unwrap();

    let run = common::neonlint(&["db", "--url", &url(&database.name), "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["location"].is_null()));
    let mut live_found: Vec<(String, String)> = common::parse_findings(&run.stdout)
        .into_iter()
        .filter(|f| f.code != "NL005")
        .map(|f| (f.code, f.object))
        .collect();
    live_found.sort();
    let mut static_found: Vec<(String, String)> =
        common::findings(&[common::fixture("demo").to_str().unwrap()])
            .into_iter()
            .filter(|f| f.code != "NL005")
            .map(|f| (f.code, f.object))
            .collect();
    static_found.sort();
    assert_eq!(live_found, static_found);

    // DATABASE_URL is read when --url is absent; the fix file applies and clears the errors.
    let dir = tempfile::tempdir().unwrap();
    let fix = dir.path().join("fix.sql");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_neonlint"))
        .args(["db", "--fix-out", fix.to_str().unwrap(), "--fail-on", "error"])
        .env("DATABASE_URL", url(&database.name))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let human = String::from_utf8_lossy(&output.stdout);
    assert!(human.contains(&format!("in database `{}`", database.name)), "{human}");
    database.execute(&std::fs::read_to_string(&fix).unwrap());
    let run = common::neonlint(&["db", "--url", &url(&database.name), "--fail-on", "error"]);
    assert_eq!(run.code, 0, "errors left after the fix:\n{}", run.stdout);

    drop(database);
    common::live::cleanup(&live, &demo.catalogs[0], &roles_before);
}

#[test]
fn plain_postgres_without_neon_roles_says_so_once_per_role() {
    use common::server::{ServerOptions, TestServer};
    let Some(server) = TestServer::start(ServerOptions::default()) else { return };
    let url = server.url("127.0.0.1", "sslmode=disable");
    let run = common::neonlint(&["db", "--url", &url, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let messages: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert_eq!(messages[0].0, "NL003");
    assert!(messages[0].1.starts_with("role `authenticated` does not exist in `postgres`"), "{messages:#?}");
    assert_eq!(messages[1].0, "NL005");
    assert!(messages[1].1.starts_with("role `neon_superuser` does not exist"), "{messages:#?}");
}

#[test]
fn db_applies_config_ignores_and_reports_unused_ones() {
    let Some(live) = live("db_config_ignores") else { return };
    let database = live.create_database("db_config_ignores");
    database.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;
         CREATE TABLE public.audit_log (id int); CREATE TABLE public.todos (id int);",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("neonlint.toml"),
        "[[ignore]]\nrule = \"rls-disabled\"\nobject = \"public.audit_*\"\n\n[[ignore]]\nrule = \"NL002\"\nobject = \"*\"\n",
    )
    .unwrap();
    let run = common::neonlint_in(dir.path(), &["db", "--url", &url(&database.name), "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found: Vec<(String, String)> =
        common::parse_findings(&run.stdout).into_iter().map(|f| (f.code, f.object)).collect();
    assert_eq!(
        found,
        [
            ("NL001".to_string(), "public.todos".to_string()),
            ("NL900".to_string(), "neonlint.toml".to_string())
        ]
    );
}
