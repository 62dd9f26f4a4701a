//! NL028 against a real PostgreSQL: each table of the rule's fixtures gets a row of tenant
//! `t1`, then is read as `authenticated` with only `request.jwt.claims` set (what a Data
//! API request has, with a `tenant_id` claim of `t1`). A policy NL028 reports as an error
//! must fail the read with "unrecognized configuration parameter", one it reports as a
//! warning must show no row, and a table it does not report must show the row.

mod common;

use common::fixture;
use common::live::{cleanup, describe, existing_roles, live, lock_cluster_objects};
use neonlint::check;
use neonlint::config::Config;
use neonlint::introspect::Scope;
use neonlint::rules::{self, Finding, Severity};
use neonlint::source;

/// The fixtures and the tables they create.
const CASES: &[(&str, &[&str])] = &[
    ("rules/policy-reads-unset-setting/bad", &["invoices", "orders", "projects"]),
    ("rules/policy-reads-unset-setting/good", &["invoices", "orders"]),
];

#[test]
fn reported_policies_fail_or_hide_the_row_for_an_api_request() {
    let Some(live) = live("reported_policies_fail_or_hide_the_row") else { return };
    let _cluster = lock_cluster_objects();
    let mut checked = 0;
    for (folder, tables) in CASES {
        let roles_before = existing_roles(&live);
        let selection = source::discover(&fixture(folder), None).unwrap();
        let run = check::run(std::slice::from_ref(&selection), &Config::default(), None).unwrap();
        {
            let database = live.create_database("nl028");
            database.apply(&selection).unwrap_or_else(|e| panic!("{folder}: {e}"));
            let client = database.client();
            for table in *tables {
                database.execute(&format!("INSERT INTO public.{table} (id, tenant_id) VALUES (1, 't1')"));
                let read = live.block_on(async {
                    client
                        .batch_execute(
                            r#"SET request.jwt.claims = '{"sub": "u1", "tenant_id": "t1"}'; SET ROLE authenticated"#,
                        )
                        .await
                        .unwrap();
                    let read = client.query_one(&format!("SELECT count(*) FROM public.{table}"), &[]).await;
                    client.batch_execute("RESET ROLE; RESET request.jwt.claims").await.unwrap();
                    read.map(|row| row.get::<_, i64>(0)).map_err(|e| describe(&e))
                });
                let what = format!("{folder}: public.{table}");
                match reported(&run.findings, table) {
                    Some(Severity::Error) => {
                        let error = read.expect_err(&what);
                        assert!(error.contains("unrecognized configuration parameter"), "{what}: {error}");
                    }
                    Some(_) => assert_eq!(read, Ok(0), "{what}: reported as a warning, so no row shows"),
                    None => assert_eq!(read, Ok(1), "{what}: not reported, so the row shows"),
                }
                checked += 1;
            }
        }
        cleanup(&live, &run.catalogs[0], &roles_before);
    }
    assert_eq!(checked, 5);
}

/// The severity of NL028's finding about a policy on `public.<table>`, if any.
fn reported(findings: &[Finding], table: &str) -> Option<Severity> {
    findings
        .iter()
        .find(|f| f.rule.code == "NL028" && f.object.to_string().ends_with(&format!(" on public.{table}")))
        .map(|f| f.severity)
}

/// A database default (`ALTER DATABASE … SET app.tenant = …`) gives every session the
/// setting, API requests included: the live catalog reads it, NL028 says nothing about the
/// policies that read it, and a request sees the row.
#[test]
fn a_database_default_is_a_setting_requests_have() {
    let Some(live) = live("a_database_default_is_a_setting_requests_have") else { return };
    let selection = source::discover(&fixture("rules/policy-reads-unset-setting/bad"), None).unwrap();
    let database = live.create_database("nl028_default");
    database.apply(&selection).unwrap();
    database.execute(&format!("ALTER DATABASE \"{}\" SET app.tenant = 't1'", database.name));
    let (catalog, _) = database.catalog(&Scope { all_databases: false, migration_role: None });
    assert!(catalog.default_settings.contains("app.tenant"), "{:?}", catalog.default_settings);
    let findings = rules::check(&catalog, &Config::default().settings());
    assert_eq!(reported(&findings, "invoices"), None, "read without missing_ok");
    assert_eq!(reported(&findings, "projects"), None, "read through helpers");
    // A new session starts with the database's settings.
    let client = database.client();
    let read = live.block_on(async {
        client
            .batch_execute("INSERT INTO public.invoices VALUES (1, 't1'); SET ROLE authenticated")
            .await
            .unwrap();
        client.query_one("SELECT count(*) FROM public.invoices", &[]).await.map(|row| row.get::<_, i64>(0))
    });
    assert_eq!(read.map_err(|e| describe(&e)), Ok(1));
}
