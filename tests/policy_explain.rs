//! `policy_expr` checked against the planner of a real PostgreSQL: for each spelling of a
//! policy, as written in a migration and as `pg_get_expr` reads it back, `EXPLAIN` as a
//! role under row-level security says whether the auth call runs once or once per row,
//! and `per_row_auth_calls` must say the same. Every `hoist_auth_calls` rewrite is applied
//! with `ALTER POLICY`, must plan as once and must show the same rows.

mod common;

use common::live::{Live, TestDb, connect, describe, live, lock_cluster_objects};
use neonlint::policy_expr::{
    auth_compared_columns, has_branch_ignoring_requester, hoist_auth_calls, ignores_requester,
    is_always_true, per_row_auth_calls,
};
use tokio_postgres::Client;

/// Policies on `t` (columns `id`, `user_id`, `team_id`), whether the planner runs their
/// auth call once (`true`) or once per row, and `policy_expr` must agree in both spellings.
/// The planner's answer is pinned too, so a change in PostgreSQL shows here first.
const AGREED: &[(&str, bool)] = &[
    // A `Filter` on the scan: the SQL function is inlined, its `current_setting` runs per row.
    ("auth.user_id() = user_id", false),
    ("current_setting('request.jwt.claims', true)::json ->> 'sub' = user_id", false),
    // drizzle's spelling: a plain `SubPlan` that reads the row, run again for every row.
    ("(select auth.user_id() = user_id)", false),
    ("(select auth.user_id() = \"t\".\"user_id\")", false),
    // A correlated EXISTS PostgreSQL cannot hash (no equality with the row): a plain
    // `SubPlan` with the call in its scan's filter, run again for every row.
    ("EXISTS (SELECT 1 FROM members m WHERE m.team_id < t.team_id AND m.user_id = auth.user_id())", false),
    // An `InitPlan`, run once; the filter compares with its `$0`.
    ("(select auth.user_id()) = user_id", true),
    ("(select current_setting('request.jwt.claims', true)::json ->> 'sub') = user_id", true),
    ("(select (select auth.user_id()) = user_id)", true),
    ("EXISTS (SELECT 1 FROM members m WHERE m.user_id = auth.user_id())", true),
    // A `hashed SubPlan` builds its table once.
    ("user_id IN (select auth.user_id())", true),
];

/// Policies where `per_row_auth_calls` reports a call the planner happens to run once.
/// PostgreSQL turns this correlated EXISTS into a hashed sub-plan (`convert_EXISTS_to_ANY`),
/// but only for simple equalities and when the hash table fits in `work_mem`; the rewrite is
/// harmless, so reporting it is the safe side.
const REPORTED_THOUGH_ONCE: &[&str] =
    &["EXISTS (SELECT 1 FROM members m WHERE m.team_id = t.team_id AND m.user_id = auth.user_id())"];

#[test]
fn per_row_auth_calls_match_the_plan_in_both_spellings() {
    let Some(live) = live("per_row_auth_calls_match_the_plan") else { return };
    let _cluster = lock_cluster_objects();
    // Declared before the database so it is dropped after it, when nothing refers to it.
    let role = Role::create(&live, "explain");
    let database = prepare(&live, &role.name);
    let client = database.client();

    let cases = AGREED.iter().copied().chain(REPORTED_THOUGH_ONCE.iter().map(|written| (*written, true)));
    for (written, planned_once) in cases {
        let read_back = set_policy(&live, &client, &role.name, written);
        let plan = explain(&live, &client, &role.name);
        let once = runs_once(&plan);
        assert_eq!(once, planned_once, "PostgreSQL plans `{written}` differently now:\n{plan}");
        let expected_flag = !once || REPORTED_THOUGH_ONCE.contains(&written);
        for spelling in [written, read_back.as_str()] {
            let calls = per_row_auth_calls(spelling, &Default::default());
            assert_eq!(
                !calls.is_empty(),
                expected_flag,
                "`{spelling}` (policy `{written}`): per-row calls {calls:?}, but the plan runs the call {}:\n{plan}",
                if once { "once" } else { "per row" },
            );
        }
        assert_eq!(
            auth_compared_columns(written, &Default::default()),
            auth_compared_columns(&read_back, &Default::default()),
            "`{written}` and its read-back `{read_back}` compare different columns"
        );
        if !expected_flag {
            continue;
        }

        let rows_before = visible_rows(&live, &client, &role.name);
        for spelling in [written, read_back.as_str()] {
            let hoisted = hoist_auth_calls(spelling, &Default::default())
                .unwrap_or_else(|| panic!("no rewrite for `{spelling}`"));
            let sql = format!("ALTER POLICY p ON t USING ({hoisted}) WITH CHECK ({hoisted})");
            live.block_on(client.batch_execute(&sql)).unwrap_or_else(|e| {
                panic!("the rewrite of `{spelling}` does not apply: {}\n{sql}", describe(&e))
            });
            let plan = explain(&live, &client, &role.name);
            assert!(
                runs_once(&plan),
                "`{hoisted}` (rewritten from `{spelling}`) still runs per row:\n{plan}"
            );
            assert_eq!(
                visible_rows(&live, &client, &role.name),
                rows_before,
                "`{hoisted}` shows other rows than `{spelling}`"
            );
            let hoisted_back = read_policy(&live, &client);
            assert!(
                per_row_auth_calls(&hoisted_back, &Default::default()).is_empty(),
                "read back as `{hoisted_back}`"
            );
            assert_eq!(
                hoist_auth_calls(&hoisted_back, &Default::default()),
                None,
                "`{hoisted_back}` is hoisted already"
            );
        }
    }
}

#[test]
fn always_true_reads_the_same_back() {
    let Some(live) = live("always_true_reads_the_same_back") else { return };
    let _cluster = lock_cluster_objects();
    let role = Role::create(&live, "always");
    let database = prepare(&live, &role.name);
    let client = database.client();
    let all_rows = visible_rows(&live, &client, "postgres");

    // (policy, always true, hides a row from `u1`)
    let cases = [
        ("true", true, false),
        ("1 = 1", true, false),
        ("'a' = 'a'", true, false),
        ("true OR user_id = 'u1'", true, false),
        ("user_id = 'u1' OR true", true, false),
        ("NOT false", true, false),
        ("TRUE::boolean", true, false),
        ("((true AND true))", true, false),
        // NULL for the row whose user_id is NULL: that row is hidden.
        ("user_id = user_id", false, true),
        // Every row for a signed-in user, none for an anonymous one.
        ("auth.user_id() IS NOT NULL", false, false),
        ("false", false, true),
    ];
    for (written, expected, hides_rows) in cases {
        let read_back = set_policy(&live, &client, &role.name, written);
        assert_eq!(is_always_true(written), expected, "is_always_true(`{written}`)");
        assert_eq!(
            is_always_true(&read_back),
            expected,
            "is_always_true(`{read_back}`), read back from `{written}`"
        );
        let hidden = visible_rows(&live, &client, &role.name) != all_rows;
        assert_eq!(hidden, hides_rows, "`{written}` hides rows from `u1`: {hidden}");
    }
}

/// Issue 9, NL009: a policy that ignores the requester lets a request without a token
/// (claims without `sub`) see exactly what a signed-in one sees, and one with such a
/// branch of its `OR` lets it see some rows; the policies that read the requester, which
/// NL009 leaves alone, show a request without a token nothing here.
#[test]
fn a_policy_that_ignores_the_requester_serves_requests_without_a_token() {
    let Some(live) = live("ignores_the_requester") else { return };
    let _cluster = lock_cluster_objects();
    let role = Role::create(&live, "requester");
    let database = prepare(&live, &role.name);
    let client = database.client();
    // (policy, ignores the requester, has a branch that does)
    let cases = [
        ("true", true, true),
        ("team_id = 1", true, true),
        ("(team_id = 1 AND id > 3)", true, true),
        ("(select auth.user_id()) = user_id OR team_id = 2", false, true),
        ("((select auth.user_id()) = user_id) OR (team_id = 2 OR id = 1)", false, true),
        ("(select auth.user_id()) = user_id", false, false),
        ("auth.user_id() = user_id AND team_id = 1", false, false),
        (
            "EXISTS (SELECT 1 FROM members m WHERE m.team_id = t.team_id AND m.user_id = auth.user_id())",
            false,
            false,
        ),
    ];
    for (written, ignores, has_branch) in cases {
        let read_back = set_policy(&live, &client, &role.name, written);
        for expr in [written, read_back.as_str()] {
            assert_eq!(ignores_requester(expr), ignores, "ignores_requester(`{expr}`)");
            assert_eq!(
                has_branch_ignoring_requester(expr),
                has_branch,
                "has_branch_ignoring_requester(`{expr}`)"
            );
        }
        let signed_in = visible_rows(&live, &client, &role.name);
        let without_token = rows_without_token(&live, &client, &role.name);
        if ignores {
            assert_eq!(without_token, signed_in, "`{written}` shows a request without a token other rows");
        }
        assert_eq!(
            !without_token.is_empty(),
            has_branch,
            "`{written}` shows a request without a token {without_token:?}"
        );
    }
}

fn rows_without_token(live: &Live, client: &Client, role: &str) -> Vec<String> {
    as_role_with_claims(live, client, role, "{}", "SELECT id::text FROM t ORDER BY id")
}

/// A role subject to row-level security, unique to this process, dropped on the way out
/// (also when an assertion fails).
struct Role<'a> {
    live: &'a Live,
    name: String,
}

impl<'a> Role<'a> {
    fn create(live: &'a Live, hint: &str) -> Role<'a> {
        let name = format!("neonlint_t_{hint}_{}", std::process::id());
        live.admin_execute(&format!("DROP ROLE IF EXISTS {name}; CREATE ROLE {name} NOLOGIN"));
        Role { live, name }
    }
}

impl Drop for Role<'_> {
    fn drop(&mut self) {
        // Not `admin_execute`: a panic while unwinding would abort the test run.
        let sql = format!("DROP ROLE IF EXISTS {}", self.name);
        let _ = self.live.block_on(async { connect(&self.live.admin).await?.batch_execute(&sql).await });
    }
}

/// A database with `t` under row-level security, `members`, and `role` allowed to read them.
fn prepare<'a>(live: &'a Live, role: &str) -> TestDb<'a> {
    let database = live.create_database("policy_explain");
    database.execute(&format!(
        "CREATE TABLE t (id int PRIMARY KEY, user_id text, team_id int);
         INSERT INTO t SELECT g, 'u' || (g % 4), g % 3 FROM generate_series(1, 40) g;
         INSERT INTO t VALUES (41, NULL, 1);
         CREATE TABLE members (team_id int, user_id text);
         INSERT INTO members VALUES (1, 'u1'), (2, 'u1'), (2, 'u2');
         ALTER TABLE t ENABLE ROW LEVEL SECURITY;
         GRANT USAGE ON SCHEMA auth TO {role};
         GRANT SELECT ON t, members TO {role};
         ANALYZE t, members;"
    ));
    database
}

/// Replaces the policy on `t` and returns its `USING` expression as PostgreSQL reads it back.
fn set_policy(live: &Live, client: &Client, role: &str, expr: &str) -> String {
    let sql = format!(
        "DROP POLICY IF EXISTS p ON t;
         CREATE POLICY p ON t FOR ALL TO {role} USING ({expr}) WITH CHECK ({expr})"
    );
    live.block_on(client.batch_execute(&sql)).unwrap_or_else(|e| panic!("{}\n{sql}", describe(&e)));
    let read_back = read_policy(live, client);
    let with_check: String = live
        .block_on(client.query_one("SELECT with_check FROM pg_policies WHERE policyname = 'p'", &[]))
        .unwrap()
        .get(0);
    assert_eq!(with_check, read_back, "pg_policies shows USING and WITH CHECK of `{expr}` differently");
    read_back
}

fn read_policy(live: &Live, client: &Client) -> String {
    let row = live
        .block_on(client.query_one(
            "SELECT pg_get_expr(polqual, polrelid), qual FROM pg_policy
               JOIN pg_policies ON policyname = polname WHERE polname = 'p'",
            &[],
        ))
        .unwrap();
    let (expr, qual): (String, String) = (row.get(0), row.get(1));
    assert_eq!(expr, qual, "pg_get_expr and pg_policies.qual differ");
    expr
}

/// `EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM t` as `role`, signed in as `u1`. VERBOSE
/// prints each node's output, so a call inside a sub-plan's `Result` shows too.
fn explain(live: &Live, client: &Client, role: &str) -> String {
    as_role(live, client, role, "EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM t").join("\n")
}

fn visible_rows(live: &Live, client: &Client, role: &str) -> Vec<String> {
    as_role(live, client, role, "SELECT id::text FROM t ORDER BY id")
}

fn as_role(live: &Live, client: &Client, role: &str, query: &str) -> Vec<String> {
    as_role_with_claims(live, client, role, r#"{"sub": "u1"}"#, query)
}

/// Runs `query` as `role` with `request.jwt.claims` set to `claims`, the first column of
/// each row as text.
fn as_role_with_claims(live: &Live, client: &Client, role: &str, claims: &str, query: &str) -> Vec<String> {
    live.block_on(async {
        client.batch_execute(&format!("SET request.jwt.claims = '{claims}'; SET ROLE {role}")).await.unwrap();
        let rows = client.query(query, &[]).await;
        client.batch_execute("RESET ROLE").await.unwrap();
        rows.unwrap_or_else(|e| panic!("{query}: {}", describe(&e))).iter().map(|row| row.get(0)).collect()
    })
}

/// Whether every plan line that evaluates the auth call (`auth.user_id()` inlined to its
/// `current_setting`) sits under an `InitPlan`, or under a `SubPlan` the plan uses hashed:
/// both run once per query. Anywhere else (a scan's `Filter`, a plain `SubPlan`) it runs
/// per row.
fn runs_once(plan: &str) -> bool {
    // Headers open at the current line: (indentation, whether what is under it runs once).
    let mut open: Vec<(usize, bool)> = Vec::new();
    for line in plan.lines() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim_start();
        while open.last().is_some_and(|(header, _)| *header >= indent) {
            open.pop();
        }
        if text.starts_with("InitPlan ") {
            open.push((indent, true));
        } else if let Some(number) = text.strip_prefix("SubPlan ") {
            let hashed = plan.contains(&format!("hashed SubPlan {number}"));
            open.push((indent, hashed));
        } else if (text.contains("current_setting(") || text.contains("auth.user_id()"))
            && !open.iter().any(|(_, once)| *once)
        {
            return false;
        }
    }
    true
}

/// Issue 9: a policy that casts the compared column (`owner_id::uuid = …`) cannot use an
/// index on the column; NL014's fix, an index on the same cast, is what the planner uses.
/// The static reading of each index key (`sql::column_cast`) and the live one
/// (`pg_get_indexdef`) must agree for NL014 to see it.
#[test]
fn only_an_index_on_the_cast_serves_a_cast_comparison() {
    let Some(live) = live("index_on_the_cast") else { return };
    let _cluster = lock_cluster_objects();
    let role = Role::create(&live, "cast");
    let database = live.create_database("index_on_the_cast");
    let client = database.client();
    let setup = format!(
        "CREATE TABLE uploads (id int PRIMARY KEY, owner_id text NOT NULL, path text);
         INSERT INTO uploads SELECT g, md5((g % 500)::text)::uuid::text, 'p' || g FROM generate_series(1, 20000) g;
         CREATE INDEX uploads_owner_id_idx ON uploads (owner_id);
         ALTER TABLE uploads ENABLE ROW LEVEL SECURITY;
         CREATE POLICY p ON uploads FOR SELECT TO {role} USING (owner_id::uuid = (select auth.user_id()::uuid));
         GRANT USAGE ON SCHEMA auth TO {role}; GRANT SELECT ON uploads TO {role};
         ANALYZE uploads;",
        role = role.name
    );
    live.block_on(client.batch_execute(&setup)).unwrap_or_else(|e| panic!("{}", describe(&e)));
    let plan = |client: &Client| -> String {
        let sql = format!(
            "BEGIN; SET LOCAL ROLE {}; SELECT set_config('request.jwt.claims', \
             '{{\"sub\":\"' || md5('7')::uuid || '\"}}', true)",
            role.name
        );
        live.block_on(client.batch_execute(&sql)).unwrap();
        let rows = live.block_on(client.query("EXPLAIN SELECT * FROM uploads", &[])).unwrap();
        live.block_on(client.batch_execute("ROLLBACK")).unwrap();
        rows.iter().map(|row| row.get::<_, String>(0)).collect::<Vec<_>>().join("\n")
    };
    let before = plan(&client);
    assert!(!before.contains("Index Cond"), "the index on the column served the cast:\n{before}");

    // The index NL014's fix writes for the fixture with this very policy.
    let selection =
        neonlint::source::discover(&common::fixture("rules/policy-column-unindexed/bad"), None).unwrap();
    let run = neonlint::check::run(&[selection], &neonlint::config::Config::default(), None).unwrap();
    let fix = run
        .findings
        .iter()
        .find(|f| f.rule.code == "NL014" && f.object.name == "uploads")
        .and_then(|f| f.fix.as_ref())
        .expect("NL014 writes an index for the cast")
        .sql
        .clone();
    assert!(fix.contains("((owner_id::uuid))"), "{fix}");
    live.block_on(client.batch_execute(&fix)).unwrap_or_else(|e| panic!("{}\n{fix}", describe(&e)));
    live.block_on(client.batch_execute("ANALYZE uploads")).unwrap();
    let after = plan(&client);
    assert!(after.contains("uploads_owner_id_uuid_idx") && after.contains("Index Cond"), "{after}");

    // Both readings of the key agree: what pg_get_indexdef prints and what was written.
    let printed: String = live
        .block_on(
            client.query_one("SELECT pg_get_indexdef('uploads_owner_id_uuid_idx'::regclass, 1, false)", &[]),
        )
        .unwrap()
        .get(0);
    let expected = neonlint::model::ColumnCast { column: "owner_id".into(), type_name: "uuid".into() };
    assert_eq!(neonlint::sql::column_cast(&printed), Some(expected.clone()), "{printed}");
    assert_eq!(neonlint::sql::column_cast("(owner_id::uuid)"), Some(expected));
}

/// Issue 9 (second re-judge): NL014 names a column only when an index on it can narrow the
/// scan. With an index on `owner_id`, a policy whose `OR` has a branch no key narrows
/// (`is_staff() OR owner_id = …`) still reads the whole table, so `policy_expr` gives no key
/// for it; one that ANDs the comparison with anything is served by the index, and gives it.
#[test]
fn an_index_narrows_a_policy_only_through_a_comparison_every_row_must_pass() {
    let Some(live) = live("index_keys") else { return };
    let _cluster = lock_cluster_objects();
    let role = Role::create(&live, "keys");
    let database = live.create_database("index_keys");
    let client = database.client();
    let setup = format!(
        "CREATE TABLE notes (id int PRIMARY KEY, owner_id text NOT NULL, archived boolean NOT NULL DEFAULT false);
         INSERT INTO notes SELECT g, md5((g % 500)::text), g % 7 = 0 FROM generate_series(1, 20000) g;
         CREATE INDEX notes_owner_id_idx ON notes (owner_id);
         CREATE FUNCTION is_staff() RETURNS boolean LANGUAGE plpgsql STABLE
           AS $$ BEGIN RETURN current_setting('request.jwt.claims', true)::json ->> 'role' = 'staff'; END $$;
         ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
         GRANT USAGE ON SCHEMA auth TO {role}; GRANT SELECT ON notes TO {role};
         ANALYZE notes;",
        role = role.name
    );
    live.block_on(client.batch_execute(&setup)).unwrap_or_else(|e| panic!("{}", describe(&e)));
    let cases: &[(&str, bool)] = &[
        ("is_staff() OR owner_id = (select auth.user_id())", false),
        ("owner_id = (select auth.user_id()) AND NOT archived", true),
        ("(select auth.user_id()) = owner_id", true),
    ];
    let auth = neonlint::policy_expr::AuthFunctions::default();
    for (expr, narrowed) in cases {
        let sql = format!(
            "DROP POLICY IF EXISTS p ON notes; CREATE POLICY p ON notes FOR SELECT TO {} USING ({expr})",
            role.name
        );
        live.block_on(client.batch_execute(&sql)).unwrap_or_else(|e| panic!("{expr}: {}", describe(&e)));
        // Signed in as the owner of some rows (`md5('7')`).
        let claims = r#"{"sub": "8f14e45fceea167a5a36dedd4bea2543"}"#;
        let plan =
            as_role_with_claims(&live, &client, &role.name, claims, "EXPLAIN SELECT * FROM notes").join("\n");
        assert_eq!(plan.contains("Index Cond"), *narrowed, "{expr}: the planner disagrees:\n{plan}");
        let read_back = read_policy(&live, &client);
        for spelling in [*expr, read_back.as_str()] {
            let keys = auth_compared_columns(spelling, &auth);
            let expected: &[&str] = if *narrowed { &["owner_id"] } else { &[] };
            assert_eq!(keys, expected, "{spelling}");
        }
    }
}
