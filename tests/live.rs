//! Live tests on a real PostgreSQL: migrations applied in their layout's order and read
//! back through the catalog give the same findings as the static replay; the fix SQL
//! applies to the real database and leaves nothing it can fix; the catalog is read with
//! a fixed number of queries; a role with only CONNECT sees the same; the model's
//! privilege arithmetic matches `has_table_privilege`.

mod common;

use std::collections::BTreeSet;

use common::live::{cleanup, existing_roles, live};
use neonlint::check;
use neonlint::config::Config;
use neonlint::fix;
use neonlint::introspect::Scope;
use neonlint::model::{Catalog, Privileges};
use neonlint::rules::{self, Finding, Settings};
use neonlint::source;

/// Every rule that runs in both modes.
const COMPARED: &[&str] = &[
    "NL001", "NL002", "NL003", "NL004", "NL005", "NL006", "NL007", "NL008", "NL009", "NL010", "NL011",
    "NL012", "NL013", "NL014", "NL015", "NL018", "NL020", "NL028",
];
/// The rules whose fix must leave nothing to report.
const FIXABLE: &[&str] = &[
    "NL001", "NL003", "NL004", "NL005", "NL006", "NL007", "NL008", "NL009", "NL011", "NL012", "NL013",
    "NL014", "NL015",
];

fn live_settings() -> Settings {
    Settings { explain_console_grants: false, ..Config::default().settings() }
}

/// (code, object) of the compared rules; NL005 only for the databases in `databases`.
fn keys(findings: &[Finding], databases: &BTreeSet<String>) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .filter(|f| COMPARED.contains(&f.rule.code))
        .filter(|f| f.rule.code != "NL005" || databases.contains(&f.object.name))
        .map(|f| (f.rule.code.to_string(), f.object.to_string()))
        .collect()
}

#[test]
fn static_and_live_agree_and_every_fix_applies_on_the_real_server() {
    let Some(live) = live("static_and_live_agree") else { return };
    let _cluster = common::live::lock_cluster_objects();
    // Comments cannot be read from a database: compare what both modes find before them.
    let mut config = Config::default();
    config.suppressions = false;
    // Replay follows the server's version (PostgreSQL 14 differs: `public`, `security_invoker`).
    let major = live.postgres_major();
    config.postgres_version = major;
    let mut compared = 0;
    let mut skipped = Vec::new();
    for project in common::fixture_projects() {
        // A statement PostgreSQL rejects cannot be applied: NL000 exists only statically.
        if project.ends_with("parse-error/bad") {
            continue;
        }
        let refused = common::refused_by_the_server(&project);
        let name = project.strip_prefix(common::fixture("")).unwrap().display().to_string();
        let selection = source::discover(&project, None).unwrap();
        let static_run = check::run(std::slice::from_ref(&selection), &config, None).unwrap();
        let static_catalog = &static_run.catalogs[0];
        let created: BTreeSet<String> = static_catalog.databases.keys().cloned().collect();
        // Leftovers of an interrupted run carry our fixture names; remove them first.
        cleanup(&live, static_catalog, &BTreeSet::new());
        let roles_before = existing_roles(&live);

        let database = live.create_database(&name);
        // NL021's bad fixture names Supabase's `anon`, which a Neon database does not have, and
        // NL020's Supabase's `auth.role()`: the server must refuse them as the rules say.
        if let Some(expected) = refused {
            let error = database.apply(&selection).expect_err("a statement naming what does not exist");
            assert!(error.contains(expected), "{name}: {error}");
            drop(database);
            cleanup(&live, static_catalog, &roles_before);
            continue;
        }
        if let Err(error) = database.apply(&selection) {
            // A fixture written for 15 and later (a `security_invoker` view) cannot run on 14.
            if live.before_15() && error.contains("unrecognized parameter \"security_invoker\"") {
                drop(database);
                cleanup(&live, static_catalog, &roles_before);
                skipped.push(name);
                continue;
            }
            panic!("{name}: applying the migrations failed: {error}");
        }
        let scope = Scope { all_databases: true, migration_role: None };
        let (catalog, _) = database.catalog(&scope);
        let live_findings = rules::check(&catalog, &live_settings());
        assert_eq!(
            keys(&live_findings, &created),
            keys(&static_run.findings, &created),
            "{name}: `neonlint db` (left) and `neonlint check` (right) disagree"
        );

        // The fixes agree too: the same SQL from both modes. Not NL013, which rewrites the
        // expression text (`pg_get_expr` spells it with more parentheses), nor NL004, whose
        // `FOR ROLE` names the migration role a live database knows.
        let same_fix = |f: &&Finding| {
            COMPARED.contains(&f.rule.code) && !matches!(f.rule.code, "NL004" | "NL005" | "NL013")
        };
        for live_finding in live_findings.iter().filter(same_fix) {
            let static_finding = static_run
                .findings
                .iter()
                .find(|f| f.rule.code == live_finding.rule.code && f.object == live_finding.object);
            let sql =
                |finding: Option<&Finding>| finding.and_then(|f| f.fix.as_ref()).map(|fix| fix.sql.clone());
            assert_eq!(
                sql(Some(live_finding)),
                sql(static_finding),
                "{name}: {} {}: `neonlint db` (left) and `neonlint check` (right) write different fixes",
                live_finding.rule.code,
                live_finding.object
            );
        }

        let fixable: Vec<Finding> = live_findings
            .iter()
            .filter(|f| f.rule.code != "NL005" || created.contains(&f.object.name))
            .cloned()
            .collect();
        let sql = fix::render(&fixable, "neonlint db");
        // One statement at a time, as `psql -f` runs it (CREATE INDEX CONCURRENTLY cannot
        // run in a transaction block).
        let client = database.client();
        let applied = database.apply_file(&client, &sql).map_err(|e| format!("the fix failed: {e}\n{sql}"));
        // Idempotent: the same file again changes nothing and does not fail.
        let applied = applied.and_then(|()| {
            database.apply_file(&client, &sql).map_err(|e| format!("the fix is not idempotent: {e}"))
        });
        if let Err(error) = applied {
            panic!("{name}: {error}");
        }
        let (after, _) = database.catalog(&scope);
        let after = rules::check(&after, &live_settings());
        // What a fix can do, it did: no finding is left that still carries SQL. A finding
        // it cannot take further stays without SQL (NL012 for a function policies need).
        let with_fix: Vec<Finding> = after.iter().filter(|f| f.fix.is_some()).cloned().collect();
        let left: Vec<_> = keys(&with_fix, &created)
            .into_iter()
            .filter(|(code, _)| FIXABLE.contains(&code.as_str()))
            .collect();
        assert!(left.is_empty(), "{name}: after the fix, still {left:?}\n{sql}");
        let allowed = common::allowed_after_fix(&live_findings);
        let new: Vec<_> = keys(&after, &created)
            .difference(&keys(&live_findings, &created))
            .filter(|key| !allowed.contains(*key))
            .cloned()
            .collect();
        assert!(new.is_empty(), "{name}: the fix added {new:?}\n{sql}");

        drop(database);
        cleanup(&live, static_catalog, &roles_before);
        compared += 1;
    }
    if !skipped.is_empty() {
        eprintln!(
            "static_and_live_agree: PostgreSQL {}: {} fixtures skipped (they use security_invoker, which came in 15): {}",
            major.unwrap_or_default(),
            skipped.len(),
            skipped.join(", ")
        );
    }
    assert!(compared >= 20, "only {compared} fixtures compared ({} skipped)", skipped.len());
}

#[test]
fn catalog_is_read_with_a_fixed_number_of_queries() {
    let Some(live) = live("fixed_number_of_queries") else { return };
    let small = live.create_database("queries_small");
    small.execute("CREATE TABLE public.t (id int); ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;");
    let large = live.create_database("queries_large");
    let mut sql = String::new();
    for i in 0..60 {
        sql.push_str(&format!(
            "CREATE TABLE public.t{i} (id int, user_id text); ALTER TABLE public.t{i} ENABLE ROW LEVEL SECURITY;
             CREATE POLICY p{i} ON public.t{i} FOR SELECT TO authenticated USING (true);
             CREATE POLICY q{i} ON public.t{i} FOR INSERT TO authenticated WITH CHECK (true);
             GRANT SELECT (id) ON public.t{i} TO anonymous; GRANT SELECT, INSERT ON public.t{i} TO authenticated;"
        ));
    }
    large.execute(&sql);
    let scope = Scope::default();
    let (small_catalog, small_queries) = small.catalog(&scope);
    let (large_catalog, large_queries) = large.catalog(&scope);
    assert_eq!(small_catalog.tables().count(), 1);
    assert_eq!(large_catalog.tables().count(), 60);
    assert_eq!(large_catalog.tables().map(|t| t.policies.len()).sum::<usize>(), 120);
    assert_eq!(small_queries, large_queries, "the query count grew with the schema");
    assert!(large_queries <= 16, "{large_queries} queries");
}

#[test]
fn a_role_with_only_connect_sees_what_the_owner_sees() {
    let Some(live) = live("read_only_role") else { return };
    let _cluster = common::live::lock_cluster_objects();
    let database = live.create_database("read_only_role");
    let selection = source::discover(&common::fixture("demo"), None).unwrap();
    let demo = check::run(std::slice::from_ref(&selection), &Config::default(), None).unwrap();
    // Leftovers of an interrupted run carry the demo's names; remove them first.
    cleanup(&live, &demo.catalogs[0], &BTreeSet::new());
    let roles_before = existing_roles(&live);
    database.apply(&selection).unwrap();
    let reader = format!("neonlint_t_reader_{}", std::process::id());
    live.admin_execute(&format!(
        "DROP ROLE IF EXISTS {reader}; CREATE ROLE {reader} LOGIN;
         REVOKE ALL ON DATABASE \"{db}\" FROM PUBLIC; GRANT CONNECT ON DATABASE \"{db}\" TO {reader};",
        db = database.name
    ));
    let scope = Scope { all_databases: false, migration_role: None };
    let (owner_view, _) = database.catalog(&scope);
    let mut reader_config = database.config.clone();
    reader_config.user(&reader);
    let reader_view = live.block_on(async {
        let mut client = common::live::connect(&reader_config).await.unwrap();
        neonlint::introspect::read(&mut client, &scope, std::time::Duration::from_secs(30)).await
    });
    let (reader_view, _) = reader_view.expect("a role with only CONNECT can read the catalog");
    let all = |catalog: &Catalog| -> Vec<(String, String, String)> {
        rules::check(catalog, &live_settings())
            .iter()
            .map(|f| (f.rule.code.to_string(), f.object.to_string(), f.message.clone()))
            .collect()
    };
    assert!(!all(&owner_view).is_empty());
    assert_eq!(all(&reader_view), all(&owner_view));
    drop(database);
    live.admin_execute(&format!("DROP ROLE IF EXISTS {reader}"));
    cleanup(&live, &demo.catalogs[0], &roles_before);
}

#[test]
fn model_privileges_match_has_table_privilege() {
    let Some(live) = live("has_table_privilege") else { return };
    let database = live.create_database("has_table_privilege");
    let group = format!("neonlint_t_group_{}", std::process::id());
    let sql = format!(
        "DROP ROLE IF EXISTS {group}; CREATE ROLE {group} NOLOGIN; GRANT {group} TO authenticated;
         CREATE TABLE public.direct (id int); GRANT SELECT, UPDATE ON public.direct TO authenticated;
         CREATE TABLE public.via_public (id int); GRANT SELECT ON public.via_public TO PUBLIC;
         CREATE TABLE public.via_group (id int); GRANT INSERT, DELETE ON public.via_group TO {group};
         CREATE TABLE public.columns_only (id int, secret text); GRANT SELECT (id) ON public.columns_only TO authenticated;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO anonymous;
         CREATE TABLE public.by_default (id int);
         CREATE TABLE public.owned (id int); ALTER TABLE public.owned OWNER TO {group};"
    );
    database.execute(&sql);
    let (catalog, _) = database.catalog(&Scope::default());
    let client = database.client();
    for table in catalog.tables() {
        for role in ["authenticated", "anonymous"] {
            let (held, columns) = catalog.table_privileges(table, role);
            for (privilege, name) in [
                (Privileges::SELECT, "SELECT"),
                (Privileges::INSERT, "INSERT"),
                (Privileges::UPDATE, "UPDATE"),
                (Privileges::DELETE, "DELETE"),
            ] {
                let table_level: bool = live
                    .block_on(client.query_one(
                        "SELECT has_table_privilege($1, $2::text::regclass, $3)",
                        &[&role, &format!("public.{}", table.name), &name],
                    ))
                    .unwrap()
                    .get(0);
                assert_eq!(held.contains(privilege), table_level, "{role} {name} on {}", table.name);
                if privilege == Privileges::DELETE {
                    continue; // DELETE has no column form.
                }
                let any_column: bool = live
                    .block_on(client.query_one(
                        "SELECT has_any_column_privilege($1, $2::text::regclass, $3)",
                        &[&role, &format!("public.{}", table.name), &name],
                    ))
                    .unwrap()
                    .get(0);
                let modelled = held.contains(privilege) || columns.contains(privilege);
                assert_eq!(modelled, any_column, "{role} {name} (any column) on {}", table.name);
            }
        }
    }
    drop(database);
    live.admin_execute(&format!("DROP ROLE IF EXISTS {group}"));
}
