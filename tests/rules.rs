//! Each rule's fixtures: `fixtures/rules/<name>/bad` gives exactly the expected findings
//! (code, object, file, line) and `good` gives none at all.

mod common;

use common::{assert_findings, findings, fixture, found};

/// The objects `code` reports in the migrations at `path`, checked with `config`.
fn reported_with(path: &std::path::Path, config: &neonlint::config::Config, code: &str) -> Vec<String> {
    let selection = neonlint::source::discover(path, None).unwrap();
    let run = neonlint::check::run(&[selection], config, None).unwrap();
    run.findings.iter().filter(|f| f.rule.code == code).map(|f| f.object.to_string()).collect()
}

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
            // Issue 9: an empty policy for PUBLIC, constant-false policies, a policy for
            // another role only, and no policy on a serial table (no NL003 or NL008 beside it).
            found("NL002", "public.u", "002_nothing_passes.sql", 6),
            found("NL002", "public.archive", "002_nothing_passes.sql", 11),
            found("NL002", "public.jobs", "002_nothing_passes.sql", 18),
            found("NL002", "public.outbox", "002_nothing_passes.sql", 24),
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
            // Issue 9: `anonymous`, which a policy names, lacks SELECT.
            found("NL003", "public.announcements", "003_anonymous_policy.sql", 4),
        ],
    );
}

#[test]
fn missing_default_privileges() {
    assert_rule("missing-default-privileges", vec![found("NL004", "public", "", 0)]);
    // Issue 9: schema `shop` grants each of its tables by hand, `reports` holds no table:
    // no NL004 for either when exposed.
    let good = fixture("rules/missing-default-privileges/good");
    assert_findings(
        findings(&["--schema", "public", "--schema", "shop", "--schema", "reports", good.to_str().unwrap()]),
        vec![],
        "missing-default-privileges/good with shop and reports exposed",
    );
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
            found("NL900", "001_tables.sql", "001_tables.sql", 11),
        ],
    );
}

#[test]
fn every_rule_with_a_check_has_fixtures() {
    // Token rules read tokens, not migrations: their cases are in `src/jwt.rs`, `tests/jwt.rs`
    // and their pages' examples (`tests/pages.rs`).
    for rule in neonlint::rules::RULES.iter().filter(|rule| rule.sources != neonlint::rules::Sources::Token) {
        for kind in ["bad", "good"] {
            let dir = fixture(&format!("rules/{}/{kind}", rule.name));
            assert!(dir.is_dir(), "missing fixture folder {}", dir.display());
        }
    }
}

#[test]
fn missing_schema_usage() {
    assert_rule("missing-schema-usage", vec![found("NL007", "public", "", 0)]);
    // A schema the migrations create is reported once it is exposed.
    let bad = fixture("rules/missing-schema-usage/bad");
    assert_findings(
        findings(&["--schema", "public", "--schema", "api", bad.to_str().unwrap()]),
        vec![found("NL007", "public", "", 0), found("NL007", "api", "001_schemas.sql", 7)],
        "missing-schema-usage/bad with api exposed",
    );
    let good = fixture("rules/missing-schema-usage/good");
    assert_findings(
        findings(&["--schema", "public", "--schema", "api", good.to_str().unwrap()]),
        vec![],
        "missing-schema-usage/good with api exposed",
    );
}

#[test]
fn missing_sequence_grants() {
    assert_rule(
        "missing-sequence-grants",
        vec![
            found("NL008", "public.todos_id_seq", "001_tables.sql", 4),
            found("NL008", "public.invoice_numbers", "001_tables.sql", 18),
            // Issue 9: `anonymous`, which an INSERT policy names, lacks USAGE.
            found("NL008", "public.guestbook_id_seq", "001_tables.sql", 36),
        ],
    );
}

#[test]
fn policy_for_public() {
    assert_rule(
        "policy-for-public",
        vec![
            found("NL009", "posts_read on public.posts", "001_posts.sql", 11),
            // `posts_write` compares the row with the requester: a request without a
            // token gets nothing through it, so it is not reported.
            // Issue 9: its fix names `neonlint_fixture_reporting` too, which holds SELECT.
            found("NL009", "orders_visible on public.orders", "002_service_role.sql", 14),
            found("NL003", "public.invoices", "000_tenant_policy_of_the_application.sql", 6),
            // Issue 16: its tenant setting is never set for API requests (missing_ok: a warning).
            found(
                "NL028",
                "tenant_isolation on public.invoices",
                "000_tenant_policy_of_the_application.sql",
                11,
            ),
        ],
    );
}

#[test]
fn policy_always_true() {
    assert_rule(
        "policy-always-true",
        vec![
            found("NL010", "messages_send on public.messages", "001_tables.sql", 13),
            found("NL010", "messages_edit on public.messages", "001_tables.sql", 15),
            found("NL010", "messages_delete on public.messages", "001_tables.sql", 18),
            found("NL010", "settings_all on public.settings", "001_tables.sql", 25),
        ],
    );
}

#[test]
fn view_bypasses_rls() {
    assert_rule(
        "view-bypasses-rls",
        vec![
            found("NL011", "public.todo_titles", "001_views.sql", 15),
            found("NL011", "public.recent_todos", "001_views.sql", 18),
            found("NL011", "public.todo_counts", "001_views.sql", 22),
        ],
    );
}

#[test]
fn security_definer_exposed() {
    assert_rule(
        "security-definer-exposed",
        vec![
            found("NL012", "public.delete_account", "001_functions.sql", 4),
            // Granted to authenticated by name: reported for anonymous, through PUBLIC.
            found("NL012", "public.team_stats", "001_functions.sql", 10),
            found("NL012", "public.touch", "001_functions.sql", 19),
            // Issue 9: a policy helper (its fix keeps EXECUTE for `authenticated`) and a body
            // with unqualified names (its fix pins `public, pg_temp`, not `''`).
            found("NL012", "public.is_member", "002_policy_helpers.sql", 12),
            found("NL012", "public.file_count", "002_policy_helpers.sql", 22),
            // Issue 9: granted by name, PUBLIC revoked, no search_path: the path alone.
            found("NL012", "public.recent_events", "003_rpc_without_search_path.sql", 3),
        ],
    );
}

#[test]
fn auth_call_per_row() {
    assert_rule(
        "auth-call-per-row",
        vec![
            found("NL013", "todos_read on public.todos", "001_tables.sql", 11),
            found("NL013", "todos_write on public.todos", "001_tables.sql", 14),
            found("NL013", "todos_remove on public.todos", "001_tables.sql", 18),
            found("NL013", "notes_owner on public.notes", "001_tables.sql", 29),
            // Issue 9: a project's own argument-less helper that reads the token.
            found("NL013", "invoices_org on public.invoices", "002_helpers.sql", 18),
        ],
    );
}

#[test]
fn policy_column_unindexed() {
    assert_rule(
        "policy-column-unindexed",
        vec![
            found("NL014", "public.todos", "001_tables.sql", 10),
            found("NL014", "public.events", "001_tables.sql", 22),
            found("NL014", "public.notes", "001_tables.sql", 33),
            found("NL014", "public.invoices", "002_helpers.sql", 12),
            // Issue 9: the policy casts the column; only an index on the cast serves it.
            found("NL014", "public.uploads", "003_cast.sql", 10),
        ],
    );
}

#[test]
fn anonymous_access() {
    assert_rule(
        "anonymous-access",
        vec![
            found("NL015", "public.posts", "001_tables.sql", 5),
            found("NL015", "public.feedback", "001_tables.sql", 17),
            // Issue 9: a PUBLIC policy that ignores who asks; anonymous holds UPDATE only
            // through the grant NL015 revokes, so it is no choice.
            found("NL009", "feedback_edit on public.feedback", "001_tables.sql", 23),
            found("NL001", "public.notices", "001_tables.sql", 28),
            found("NL015", "public.notices", "001_tables.sql", 28),
            found("NL015", "public.post_submissions", "001_tables.sql", 33),
        ],
    );
}

#[test]
fn rls_enabled_late() {
    assert_rule(
        "rls-enabled-late",
        vec![
            found("NL016", "public.notes", "001_tables.sql", 4),
            found("NL016", "public.tasks", "001_tables.sql", 12),
        ],
    );
}

#[test]
fn schema_cache_reminder() {
    assert_rule(
        "schema-cache-reminder",
        // A whole-folder run reminds for the newest migration only (issue 9).
        vec![found("NL017", "003_color.sql", "003_color.sql", 3)],
    );
}

/// A file the user names (the pre-commit hook, `--changed-since`) gets its reminder even
/// when it is not the newest: it is the one being written.
#[test]
fn schema_cache_reminder_for_a_named_file() {
    let file = fixture("rules/schema-cache-reminder/bad/001_tags.sql");
    common::assert_findings(
        findings(&[file.to_str().unwrap()]),
        vec![found("NL017", "001_tags.sql", "001_tags.sql", 4)],
        "001_tags.sql named",
    );
}

#[test]
fn multiple_permissive_policies() {
    assert_rule(
        "multiple-permissive-policies",
        vec![
            found("NL018", "public.docs", "001_tables.sql", 13),
            found("NL018", "public.pages", "001_tables.sql", 27),
            // Issue 9: policies that name `anonymous` count as if NL003's grant were there.
            found("NL003", "public.events", "002_policies_named_for_anonymous.sql", 6),
            found("NL018", "public.events", "002_policies_named_for_anonymous.sql", 14),
        ],
    );
}

#[test]
fn policy_reads_unset_setting() {
    assert_rule(
        "policy-reads-unset-setting",
        vec![
            found("NL028", "invoices_tenant on public.invoices", "001_tenants.sql", 9),
            found("NL028", "orders_tenant on public.orders", "001_tenants.sql", 16),
            found("NL028", "projects_tenant on public.projects", "002_helper.sql", 12),
        ],
    );
}

/// Issue 16: `request_settings` names settings the user's setup does set for API requests.
#[test]
fn request_settings_are_not_reported() {
    let bad = fixture("rules/policy-reads-unset-setting/bad");
    let mut config = neonlint::config::Config::default();
    assert_eq!(reported_with(&bad, &config, "NL028").len(), 3);
    config.request_settings = vec!["app.tenant".to_string()];
    assert_eq!(reported_with(&bad, &config, "NL028"), Vec::<String>::new());
}

/// Issue 16: a setting the migrations give every session of a database or role is not
/// reported.
#[test]
fn settings_sessions_start_with_are_not_reported() {
    let folder = tempfile::tempdir().unwrap();
    let bad = fixture("rules/policy-reads-unset-setting/bad");
    for entry in std::fs::read_dir(&bad).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), folder.path().join(entry.file_name())).unwrap();
    }
    std::fs::write(folder.path().join("003_defaults.sql"), "ALTER DATABASE neondb SET app.tenant = 't1';\n")
        .unwrap();
    let config = neonlint::config::Config::default();
    assert_eq!(reported_with(folder.path(), &config, "NL028"), Vec::<String>::new());
}

/// Issue 11: Supabase's roles, named before any migration creates them, fail on Neon. The
/// live tests require the server's "role … does not exist" for the bad fixture.
#[test]
fn unknown_role() {
    assert_rule(
        "unknown-role",
        vec![
            found("NL021", "anon", "001_supabase_dump.sql", 6),
            found("NL021", "service_role", "001_supabase_dump.sql", 9),
        ],
    );
    let mut config = neonlint::config::Config::default();
    config.known_roles = vec!["anon".to_string(), "service_role".to_string()];
    let reported = reported_with(&fixture("rules/unknown-role/bad"), &config, "NL021");
    assert!(reported.is_empty(), "known_roles are not reported: {reported:?}");
}

/// Issue 11: Supabase's `auth.role()` and `auth.email()` do not exist on Neon. The live
/// tests require the server's "function auth.role() does not exist" for the bad fixture.
#[test]
fn unknown_auth_function() {
    assert_rule(
        "unknown-auth-function",
        vec![
            found("NL020", "notes_signed_in on public.notes", "001_supabase_helpers.sql", 6),
            found("NL020", "public.my_email", "001_supabase_helpers.sql", 9),
        ],
    );
}
