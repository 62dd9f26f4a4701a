//! Each rule's fixtures: `fixtures/rules/<name>/bad` gives exactly the expected findings
//! (code, object, file, line) and `good` gives none at all.

mod common;

use common::{assert_findings, findings, fixture, found};

fn check(dir: &str) -> Vec<common::Found> {
    findings(&[fixture(dir).to_str().unwrap()])
}

/// `bad` gives exactly `expected`; `good` gives nothing at all.
fn assert_rule(rule: &str, expected: Vec<common::Found>) {
    let bad = format!("rules/{rule}/bad");
    assert_findings(check(&bad), expected, &bad);
    let good = format!("rules/{rule}/good");
    assert_findings(check(&good), vec![], &good);
}

#[test]
fn parse_error() {
    assert_rule(
        "parse-error",
        vec![
            found("NL000", "001_typo.sql", "001_typo.sql", 4),
            found("NL000", "002_unterminated.sql", "002_unterminated.sql", 2),
        ],
    );
}

#[test]
fn rls_disabled() {
    assert_rule(
        "rls-disabled",
        vec![
            found("NL001", "public.todos", "001_tables.sql", 4),
            found("NL001", "public.events_2024", "001_tables.sql", 20),
        ],
    );
}

#[test]
fn rls_no_policy() {
    assert_rule(
        "rls-no-policy",
        vec![
            found("NL002", "public.notes", "001_tables.sql", 5),
            found("NL002", "public.settings", "001_tables.sql", 9),
            found("NL002", "public.documents", "001_tables.sql", 13),
        ],
    );
}

#[test]
fn missing_table_grants() {
    assert_rule(
        "missing-table-grants",
        vec![
            found("NL003", "public.todos", "001_todos.sql", 2),
            found("NL003", "public.products", "002_grants.sql", 6),
        ],
    );
}

#[test]
fn missing_default_privileges() {
    assert_rule("missing-default-privileges", vec![found("NL004", "public", "", 0)]);
}

#[test]
fn database_missing_neon_superuser() {
    assert_rule(
        "database-missing-neon-superuser",
        vec![
            found("NL005", "neonlint_fixture_analytics", "001_databases.sql", 4),
            found("NL005", "neonlint_fixture_reports", "001_databases.sql", 7),
        ],
    );
}

#[test]
fn policy_rls_disabled() {
    assert_rule(
        "policy-rls-disabled",
        vec![
            found("NL001", "public.todos", "001_tables.sql", 4),
            found("NL006", "public.todos", "001_tables.sql", 5),
            found("NL006", "private.jobs", "001_tables.sql", 14),
        ],
    );
}

#[test]
fn unused_ignore() {
    assert_rule(
        "unused-ignore",
        vec![
            found("NL900", "001_tables.sql", "001_tables.sql", 4),
            found("NL900", "001_tables.sql", "001_tables.sql", 10),
        ],
    );
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
