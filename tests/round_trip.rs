//! The static fix round trip: for every fixture with findings, replaying its migrations
//! plus the `--fix-out` SQL leaves no finding of a rule that can fix, and no
//! finding appears that was not there before.

mod common;

use std::collections::BTreeSet;

use neonlint::check;
use neonlint::config::Config;
use neonlint::fix;
use neonlint::source;

fn keys(findings: &[neonlint::rules::Finding]) -> BTreeSet<(String, String)> {
    findings.iter().map(|f| (f.rule.code.to_string(), f.object.to_string())).collect()
}

#[test]
fn replaying_the_fix_leaves_nothing_it_can_fix_and_adds_nothing() {
    let config = Config::default();
    let mut fixed_something = 0;
    for project in common::fixture_projects() {
        let selection = source::discover(&project, None).unwrap();
        let before = check::run(std::slice::from_ref(&selection), &config, None).unwrap();
        let sql = fix::render(&before.findings, "neonlint check");
        let after = check::run(std::slice::from_ref(&selection), &config, Some(&sql)).unwrap();

        let fixable = [
            "NL001", "NL003", "NL004", "NL005", "NL006", "NL007", "NL008", "NL009", "NL011", "NL012",
            "NL013", "NL014", "NL015",
        ];
        // What a fix can do, it did: no finding is left that still carries SQL. A finding
        // it cannot take further stays without SQL (NL012 for a function policies need).
        let left: Vec<_> =
            after.findings.iter().filter(|f| fixable.contains(&f.rule.code) && f.fix.is_some()).collect();
        assert!(left.is_empty(), "{}: the fix left {left:#?}\n--- fix ---\n{sql}", project.display());
        let allowed = common::allowed_after_fix(&before.findings);
        let new: Vec<_> = keys(&after.findings)
            .difference(&keys(&before.findings))
            .filter(|key| !allowed.contains(*key))
            .cloned()
            .collect();
        assert!(new.is_empty(), "{}: the fix added {new:?}\n--- fix ---\n{sql}", project.display());
        if before.findings.iter().any(|f| fixable.contains(&f.rule.code)) {
            fixed_something += 1;
        }
    }
    assert!(fixed_something >= 8, "only {fixed_something} fixtures had something to fix");
}

#[test]
fn the_fix_file_is_idempotent_sql_in_apply_order() {
    let selection = source::discover(&common::fixture("demo"), None).unwrap();
    let run = check::run(std::slice::from_ref(&selection), &Config::default(), None).unwrap();
    let sql = fix::render(&run.findings, "neonlint check fixtures/demo");
    // Database grants first, then RLS, policies, table grants.
    let position = |needle: &str| sql.find(needle).unwrap_or_else(|| panic!("no `{needle}` in\n{sql}"));
    assert!(
        position("GRANT ALL PRIVILEGES ON DATABASE neonlint_demo_analytics")
            < position("ENABLE ROW LEVEL SECURITY")
    );
    assert!(position("ENABLE ROW LEVEL SECURITY") < position("CREATE POLICY"));
    assert!(
        position("CREATE POLICY") < position("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.projects")
    );
    // Every CREATE POLICY is preceded by a DROP POLICY IF EXISTS of the same policy.
    for line in sql.lines().filter(|line| line.starts_with("CREATE POLICY")) {
        let name_and_table: Vec<&str> = line.split_whitespace().skip(2).take(3).collect();
        let drop = format!("DROP POLICY IF EXISTS {} ON {};", name_and_table[0], name_and_table[2]);
        assert!(sql.contains(&drop), "{line} has no `{drop}`");
    }
    // `public.todos` appears in NL001 and NL006: its ENABLE is written once.
    assert_eq!(sql.matches("ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;").count(), 1, "{sql}");
}
