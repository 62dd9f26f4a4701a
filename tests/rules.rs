//! Each rule's fixtures: `fixtures/rules/<name>/bad` gives exactly the expected findings
//! (code, object, file, line) and `good` gives none at all.

mod common;

use common::{assert_findings, findings, fixture, found};

fn check(dir: &str) -> Vec<common::Found> {
    findings(&[fixture(dir).to_str().unwrap()])
}

fn assert_clean(rule: &str) {
    let dir = format!("rules/{rule}/good");
    assert_findings(check(&dir), vec![], &dir);
}

#[test]
fn parse_error() {
    assert_findings(
        check("rules/parse-error/bad"),
        vec![
            found("NL000", "001_typo.sql", "001_typo.sql", 4),
            found("NL000", "002_unterminated.sql", "002_unterminated.sql", 2),
        ],
        "parse-error/bad",
    );
    assert_clean("parse-error");
}

#[test]
fn rls_disabled() {
    assert_findings(
        check("rules/rls-disabled/bad"),
        vec![
            found("NL001", "public.todos", "001_tables.sql", 4),
            found("NL001", "public.events_2024", "001_tables.sql", 20),
        ],
        "rls-disabled/bad",
    );
    assert_clean("rls-disabled");
}

#[test]
fn rls_no_policy() {
    assert_findings(
        check("rules/rls-no-policy/bad"),
        vec![
            found("NL002", "public.notes", "001_tables.sql", 5),
            found("NL002", "public.settings", "001_tables.sql", 9),
        ],
        "rls-no-policy/bad",
    );
    assert_clean("rls-no-policy");
}

#[test]
fn missing_table_grants() {
    assert_findings(
        check("rules/missing-table-grants/bad"),
        vec![
            found("NL003", "public.todos", "001_todos.sql", 2),
            found("NL003", "public.products", "002_grants.sql", 6),
        ],
        "missing-table-grants/bad",
    );
    assert_clean("missing-table-grants");
}

#[test]
fn missing_default_privileges() {
    assert_findings(
        check("rules/missing-default-privileges/bad"),
        vec![found("NL004", "public", "", 0)],
        "missing-default-privileges/bad",
    );
    assert_clean("missing-default-privileges");
}

#[test]
fn database_missing_neon_superuser() {
    assert_findings(
        check("rules/database-missing-neon-superuser/bad"),
        vec![
            found("NL005", "neonlint_fixture_analytics", "001_databases.sql", 4),
            found("NL005", "neonlint_fixture_reports", "001_databases.sql", 7),
        ],
        "database-missing-neon-superuser/bad",
    );
    assert_clean("database-missing-neon-superuser");
}

#[test]
fn policy_rls_disabled() {
    assert_findings(
        check("rules/policy-rls-disabled/bad"),
        vec![
            found("NL001", "public.todos", "001_tables.sql", 4),
            found("NL006", "public.todos", "001_tables.sql", 5),
            found("NL006", "private.jobs", "001_tables.sql", 14),
        ],
        "policy-rls-disabled/bad",
    );
    assert_clean("policy-rls-disabled");
}

#[test]
fn every_rule_with_a_check_has_fixtures() {
    for rule in neonlint::rules::RULES {
        for kind in ["bad", "good"] {
            let dir = fixture(&format!("rules/{}/{kind}", rule.name));
            assert!(dir.is_dir(), "missing fixture folder {}", dir.display());
        }
    }
}
