//! Issue 9 §1: a fix never widens access and never breaks what worked. Every fixture
//! project and the demo is applied to a real PostgreSQL, seeded, and probed before and after
//! its fix (the `--fix-out` file of the live findings, and the migration `neonlint fix`
//! writes from the static findings), as every actor, and the property below must hold.
//!
//! # The property
//!
//! Setup: the fixture's migrations on a fresh Neon-like database (`common::live`); every
//! table of the exposed schemas seeded as the superuser (`common::access::seed`): owner-like
//! columns (`user_id`, `owner_id`, `author_id`, `created_by`, `creator_id`, `profile_id`, any
//! case and underscores, text or uuid) hold user A's `sub` in some rows and user B's in
//! others.
//!
//! Actors: `authenticated` as user A (owns rows), as user N (owns none) and with claims but no
//! `sub`; `anonymous` without claims; every other role holding a privilege on an exposed
//! relation, on the relations it does not own (a backend service relying on a policy). Every
//! function of the exposed schemas is also called by the session user (a superuser).
//!
//! Probes, each in a savepoint rolled back afterwards, inside one transaction per state:
//! read every row of each relation (rows named by the hash of their text); insert a row owned
//! by the actor and one owned by user B; update every row (one plain column set to a
//! constant) and delete every row (updates and deletes with `session_replication_role =
//! replica`, so foreign keys neither cascade nor refuse), naming the rows changed; call each
//! function with NULL arguments. Each records the rows or the SQLSTATE and message.
//!
//! States: *before*; *potential* (before, plus RLS enabled on every exposed table and every
//! privilege granted to every actor: what the existing policies would let through); *after*
//! (before plus the fix, applied statement by statement in the same transaction, with
//! `CREATE INDEX CONCURRENTLY` built plainly).
//!
//! For every probe:
//! - **No widening:** rows after ⊆ rows before ∪ rows potential ∪ the actor's own rows (rows
//!   whose owner-like column holds the actor's `sub`, and the row an own insert writes: the
//!   owner policy neonlint writes lets those through). A call that failed before for lack of
//!   EXECUTE must not work after.
//! - **Nothing broken:** a probe that worked before still works, and still gets every row it
//!   got, except where the narrowing is what a fix is for:
//!   - a request role on a table whose RLS was off, where the fix enables it: fewer rows, and
//!     "new row violates row-level security policy" (NL001, NL006);
//!   - `anonymous` (or a role it is a member of): fewer rows anywhere, RLS refusals, and
//!     "permission denied for table/view" on a write or on a read of a table without RLS
//!     (NL015, NL009);
//!   - a request role calling a SECURITY DEFINER function: "permission denied for function"
//!     (NL012). The same error on a table read (a policy calling the function) is a violation.
//! - Every relation and function that existed before still exists; the fix applies without
//!   error; and `psql -f` of the fix file gives the same catalog (ACLs, RLS, policies,
//!   function settings) as the statement-by-statement application.
//!
//! Refinements found on the server: a whole-row read needs SELECT on every column, so a role
//! that reads through column privileges is detected with `count(*)` and its rows are read
//! with a table grant made inside the probe (a grant does not change what RLS lets through);
//! an update's rows are found by their vanished locations (`tableoid`, `ctid`), since an
//! update writes a new row version; probe sessions use the search path PostgREST sets (the
//! exposed schemas, then `public`), under which unqualified names in function bodies resolve.
//!
//! Each violation is attributed to the rules whose fix blocks cause it: the rules without
//! whose blocks it disappears, else the rules whose blocks alone reproduce it.
//! `KNOWN_VIOLATIONS_BEFORE_ISSUE_9` lists the (fixture, rule) pairs that violate the property
//! on the code this test was written against; the test fails on any other violation and on a
//! listed one that no longer occurs, so the list shrinks as issue 9's fixes land.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::access::{self, AccessSnapshot, Plan, Violation, ViolationKind};
use common::live::{TestDb, cleanup, existing_roles, live};
use neonlint::check;
use neonlint::config::Config;
use neonlint::fix;
use neonlint::introspect::Scope;
use neonlint::rules::{self, Finding, Settings};
use neonlint::source::{self, Layout};

/// The fix variants a fixture is checked with.
const FIX_FILE: &str = "fix file (`neonlint db --fix-out`)";
const FIX_MIGRATION: &str = "fix migration (`neonlint fix`)";
const FIX_PSQL: &str = "fix file through `psql -f`";

/// One violation, where it happened and which rules cause it.
struct Found {
    fixture: String,
    variant: &'static str,
    violation: Violation,
    rules: BTreeSet<String>,
}

#[test]
fn no_fix_widens_access_or_breaks_what_worked() {
    let Some(live) = live("fix_safety") else { return };
    let _cluster = common::live::lock_cluster_objects();
    let psql = psql_available();
    let projects: Vec<_> = common::fixture_projects()
        .into_iter()
        .filter(|project| !project.ends_with("parse-error/bad"))
        .collect();
    let names: Vec<String> = projects
        .iter()
        .map(|project| project.strip_prefix(common::fixture("")).unwrap().display().to_string())
        .collect();
    let databases = Databases::start(&live, names.clone());
    let mut found: Vec<Found> = Vec::new();
    let mut fixes: BTreeMap<String, String> = BTreeMap::new();
    let mut probed = 0;
    let mut unseeded = Vec::new();
    // A statement PostgreSQL rejects cannot be applied: `parse-error/bad` is left out.
    for (project, name) in projects.iter().zip(names) {
        let selection = source::discover(project, None).unwrap();
        let static_run = check::run(std::slice::from_ref(&selection), &Config::default(), None).unwrap();
        let static_catalog = &static_run.catalogs[0];
        let created: BTreeSet<String> = static_catalog.databases.keys().cloned().collect();
        cleanup(&live, static_catalog, &BTreeSet::new());
        let roles_before = existing_roles(&live);

        let database = live.adopt_database(databases.next());
        database.apply(&selection).unwrap_or_else(|e| panic!("{name}: applying the migrations failed: {e}"));
        let client = database.client();
        let settings = Config::default().settings();
        let actors = access::request_actors(&settings.api_roles, &settings.anonymous_role);
        let mut plan = live.block_on(access::plan(&client, &settings.exposed_schemas, actors));
        live.block_on(access::rows::seed(&client, &mut plan));
        for relation in &plan.relations {
            if relation.is_table() && !relation.partition && relation.seeded == 0 {
                unseeded.push(format!("{name}: {}", relation.name));
            }
        }
        let schemas = live.block_on(access::user_schemas(&client));
        let before = live.block_on(access::snapshot(&client, &plan, &[], None));
        let potential = live.block_on(access::snapshot(
            &client,
            &plan,
            &access::potential_overlay(&plan, &schemas),
            None,
        ));
        probed += before.outcomes.len();

        // The fix file of the live findings, as `tests/live.rs` builds it.
        let (catalog, _) = database.catalog(&Scope { all_databases: true, migration_role: None });
        let findings: Vec<Finding> = rules::check(&catalog, &live_settings())
            .into_iter()
            .filter(|f| f.rule.code != "NL005" || created.contains(&f.object.name))
            .collect();
        let fix_sql = fix::render(&findings, "neonlint db");
        let checker =
            Checker { live: &live, client: &client, plan: &plan, before: &before, potential: &potential };
        let after = checker.after(&statements(&fix_sql), None);
        if std::env::var("NEONLINT_FIX_SAFETY_DUMP").is_ok_and(|dump| dump == name) {
            eprintln!("{}", dump(&plan, &before, &potential, &after));
        }
        let mut violations = checker.violations(&after);
        let file_found = checker.attribute(&violations, &rules_with_fixes(&findings), |without, alone| {
            statements(&fix::render(&select_findings(&findings, without, alone), "neonlint db"))
        });
        for (violation, rules) in violations.drain(..).zip(file_found.clone()) {
            found.push(Found { fixture: name.clone(), variant: FIX_FILE, violation, rules });
        }

        // The migration `neonlint fix` writes from the static findings, run as the layout's
        // tool runs it, where it differs from the fix file (or is split by drizzle).
        let layout = selection.set.layout;
        if let Some(migration) = migration_fix(project, layout, None) {
            if layout == Layout::Drizzle || normalized(&migration.join("\n")) != normalized(&fix_sql) {
                let after = checker.after(&migration, None);
                let violations = checker.violations(&after);
                let static_rules: BTreeSet<String> = static_run
                    .findings
                    .iter()
                    .filter(|f| f.fix.is_some())
                    .map(|f| f.rule.code.to_string())
                    .collect();
                let blamed = checker.attribute(&violations, &static_rules, |without, alone| {
                    let disabled: Vec<&str> = static_rules
                        .iter()
                        .map(String::as_str)
                        .filter(|rule| Some(*rule) == without || alone.is_some_and(|alone| alone != *rule))
                        .collect();
                    migration_fix_disabling(project, layout, &disabled).unwrap_or_default()
                });
                for (violation, rules) in violations.into_iter().zip(blamed) {
                    found.push(Found { fixture: name.clone(), variant: FIX_MIGRATION, violation, rules });
                }
                fixes.insert(format!("{name} ({FIX_MIGRATION})"), migration.join("\n--> chunk\n"));
            }
        }

        // The same fix file through psql itself, for real: the same catalog, nothing dropped.
        if psql {
            for violation in psql_violations(&database, &plan, &fix_sql, &after) {
                let id = violation.id();
                let rules = found
                    .iter()
                    .filter(|f| f.fixture == name && f.variant == FIX_FILE && f.violation.id() == id)
                    .flat_map(|f| f.rules.clone())
                    .collect::<BTreeSet<_>>();
                let rules = if rules.is_empty() { BTreeSet::from(["*".to_string()]) } else { rules };
                found.push(Found { fixture: name.clone(), variant: FIX_PSQL, violation, rules });
            }
        }
        fixes.insert(name.clone(), fix_sql);
        // Roles the fixture made are dropped with `cleanup`: first the objects they own here.
        let new_roles: Vec<String> = static_catalog
            .roles
            .keys()
            .filter(|role| !roles_before.contains(*role))
            .map(|role| access::quote_ident(role))
            .collect();
        if !new_roles.is_empty() {
            live.block_on(client.batch_execute(&format!("DROP OWNED BY {}", new_roles.join(", ")))).unwrap();
        }
        drop(client);
        databases.drop_later(database.keep());
        cleanup(&live, static_catalog, &roles_before);
    }

    databases.finish();
    let report = report(&found, &fixes);
    eprintln!("{report}");
    eprintln!("fix safety: {probed} probes per state; tables without seeded rows: {unseeded:?}");
    assert!(probed > 1000, "only {probed} probes ran: the test would prove nothing");
    assert!(unseeded.len() <= 3, "tables the generator could not seed: {unseeded:#?}");
    let occurring: BTreeSet<(String, String)> =
        found.iter().flat_map(|f| f.rules.iter().map(|rule| (f.fixture.clone(), rule.clone()))).collect();
    let known: BTreeSet<(String, String)> =
        common::KNOWN_VIOLATIONS_BEFORE_ISSUE_9.iter().map(|(f, r)| (f.to_string(), r.to_string())).collect();
    let unexpected: Vec<_> = occurring.difference(&known).collect();
    let gone: Vec<_> = known.difference(&occurring).collect();
    assert!(
        unexpected.is_empty(),
        "a fix widens access or breaks what worked: {unexpected:?} (not in KNOWN_VIOLATIONS_BEFORE_ISSUE_9)\n{report}"
    );
    assert!(
        gone.is_empty(),
        "these violations no longer occur: remove them from KNOWN_VIOLATIONS_BEFORE_ISSUE_9: {gone:?}\n{report}"
    );
}

/// Databases made ahead of the fixture loop and dropped behind it, each on its own thread:
/// creating and dropping a database copies and removes files, which takes seconds on a slow
/// disk and would otherwise dominate the test's time.
struct Databases {
    ready: std::sync::mpsc::Receiver<String>,
    to_drop: Option<std::sync::mpsc::Sender<String>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Databases {
    /// Starts making one Neon-like database per hint, at most two ahead.
    fn start(live: &common::live::Live, hints: Vec<String>) -> Databases {
        let (ready_sender, ready) = std::sync::mpsc::sync_channel(1);
        let (to_drop, dropped) = std::sync::mpsc::channel::<String>();
        let admin = live.admin.clone();
        let creator = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let client = common::live::connect(&admin).await.unwrap();
                for hint in hints {
                    let name = common::live::database_name(&hint);
                    client.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
                    let mut config = admin.clone();
                    config.dbname(&name);
                    let database = common::live::connect(&config).await.unwrap();
                    database.batch_execute(&common::live::neon_setup_sql(&name)).await.unwrap();
                    if ready_sender.send(name).is_err() {
                        return;
                    }
                }
            });
        });
        let admin = live.admin.clone();
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let client = common::live::connect(&admin).await.unwrap();
                for name in dropped {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    client.batch_execute(&sql).await.unwrap();
                }
            });
        });
        Databases { ready, to_drop: Some(to_drop), threads: vec![creator, dropper] }
    }

    fn next(&self) -> String {
        self.ready.recv().expect("the database maker thread stopped")
    }

    fn drop_later(&self, name: String) {
        self.to_drop.as_ref().unwrap().send(name).unwrap();
    }

    /// Waits until every database handed to `drop_later` is gone.
    fn finish(mut self) {
        self.to_drop = None;
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

/// The live settings of `tests/live.rs`.
fn live_settings() -> Settings {
    Settings { explain_console_grants: false, ..Config::default().settings() }
}

/// The fixture's probes before the fix, and what checks a fix against them.
struct Checker<'a> {
    live: &'a common::live::Live,
    client: &'a tokio_postgres::Client,
    plan: &'a Plan,
    before: &'a AccessSnapshot,
    potential: &'a AccessSnapshot,
}

impl Checker<'_> {
    /// The snapshot after `overlay` (each element one simple query), on `only`'s targets.
    fn after(&self, overlay: &[String], only: Option<&BTreeSet<String>>) -> AccessSnapshot {
        self.live.block_on(access::snapshot(self.client, self.plan, overlay, only))
    }

    fn violations(&self, after: &AccessSnapshot) -> Vec<Violation> {
        access::compare(self.plan, self.before, self.potential, after)
    }

    /// For each violation, the rules it comes from: those without whose fixes it disappears;
    /// else those whose fixes alone reproduce it; else `*`. `overlay(without, alone)` gives
    /// the fix without one rule's fixes, or with only one rule's fixes.
    fn attribute(
        &self,
        violations: &[Violation],
        rules: &BTreeSet<String>,
        overlay: impl Fn(Option<&str>, Option<&str>) -> Vec<String>,
    ) -> Vec<BTreeSet<String>> {
        if violations.is_empty() {
            return Vec::new();
        }
        let targets: BTreeSet<String> = violations.iter().map(|v| v.key.target.clone()).collect();
        let ids_with = |overlay: Vec<String>| -> BTreeSet<_> {
            let after = self.after(&overlay, Some(&targets));
            self.violations(&after).iter().map(Violation::id).collect()
        };
        let mut necessary = vec![BTreeSet::new(); violations.len()];
        for rule in rules {
            let remaining = ids_with(overlay(Some(rule), None));
            for (violation, blame) in violations.iter().zip(&mut necessary) {
                if !remaining.contains(&violation.id()) {
                    blame.insert(rule.clone());
                }
            }
        }
        let mut sufficient = vec![BTreeSet::new(); violations.len()];
        if necessary.iter().any(BTreeSet::is_empty) {
            for rule in rules {
                let occurring = ids_with(overlay(None, Some(rule)));
                for (violation, blame) in violations.iter().zip(&mut sufficient) {
                    if occurring.contains(&violation.id()) {
                        blame.insert(rule.clone());
                    }
                }
            }
        }
        necessary
            .into_iter()
            .zip(sufficient)
            .map(|(necessary, sufficient)| match (necessary.is_empty(), sufficient.is_empty()) {
                (false, _) => necessary,
                (true, false) => sufficient,
                (true, true) => BTreeSet::from(["*".to_string()]),
            })
            .collect()
    }
}

/// The codes of the findings that carry a fix.
fn rules_with_fixes(findings: &[Finding]) -> BTreeSet<String> {
    findings.iter().filter(|f| f.fix.is_some()).map(|f| f.rule.code.to_string()).collect()
}

/// `findings` without `without`'s, or only `alone`'s.
fn select_findings(findings: &[Finding], without: Option<&str>, alone: Option<&str>) -> Vec<Finding> {
    findings
        .iter()
        .filter(|f| Some(f.rule.code) != without && alone.is_none_or(|alone| alone == f.rule.code))
        .cloned()
        .collect()
}

/// The statements of a fix file as psql runs them (neonlint's splitter, as `tests/live.rs`).
fn statements(sql: &str) -> Vec<String> {
    neonlint::sql::split::split(sql).iter().map(|piece| sql[piece.start..piece.end].to_string()).collect()
}

/// The statements of `sql` without comments and blank space, for comparing two fixes.
fn normalized(sql: &str) -> Vec<String> {
    let mut statements: Vec<String> = statements(sql)
        .iter()
        .map(|statement| {
            statement
                .lines()
                .map(str::trim)
                .filter(|line| !line.starts_with("--") && !line.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
                .replace("CREATE INDEX CONCURRENTLY", "CREATE INDEX")
                .trim_end_matches(';')
                .to_string()
        })
        .filter(|statement| !statement.is_empty())
        .collect();
    statements.sort();
    statements
}

/// The migration `neonlint fix` writes for `project`, as the layout's tool sends it to the
/// server: drizzle's chunks between `--> statement-breakpoint` markers, each sent as one
/// query; any other layout's "up" part as one query (sqitch's `BEGIN;`/`COMMIT;` left out:
/// the probes run it in their own transaction). `None` when there is nothing to fix.
fn migration_fix(project: &Path, layout: Layout, config: Option<&Path>) -> Option<Vec<String>> {
    let path = project.to_str().unwrap();
    let mut args = vec!["fix", "--dry-run"];
    if let Some(config) = config {
        args.extend(["--config", config.to_str().unwrap()]);
    }
    args.push(path);
    let run = common::neonlint(&args);
    assert_eq!(run.code, 0, "neonlint fix --dry-run {path}: {}", run.stderr);
    if run.stdout.is_empty() {
        return None;
    }
    // `==> <path> <==` then the file's text; the migration is the first file.
    let first = run.stdout.strip_prefix("==> ").expect("a dry run starts with a file header");
    let text: Vec<&str> = first
        .split_once(" <==\n")
        .unwrap()
        .1
        .lines()
        .take_while(|line| !(line.starts_with("==> ") && line.ends_with(" <==")))
        .collect();
    let text = text.join("\n");
    let up = source::up_part(layout, &text);
    Some(match layout {
        Layout::Drizzle => up.split("--> statement-breakpoint").map(str::to_string).collect(),
        Layout::Sqitch => vec![
            up.lines()
                .filter(|line| !matches!(line.trim(), "BEGIN;" | "COMMIT;"))
                .collect::<Vec<_>>()
                .join("\n"),
        ],
        _ => vec![up.to_string()],
    })
}

/// `migration_fix` with the rules in `disabled` turned off by a configuration file.
fn migration_fix_disabling(project: &Path, layout: Layout, disabled: &[&str]) -> Option<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("neonlint.toml");
    let mut text = "[rules]\n".to_string();
    for rule in disabled {
        text.push_str(&format!("{rule} = \"off\"\n"));
    }
    std::fs::write(&config, text).unwrap();
    migration_fix(project, layout, Some(&config))
}

fn psql_available() -> bool {
    let available =
        Command::new("psql").arg("--version").output().is_ok_and(|output| output.status.success());
    if !available {
        let message = "fix_safety: `psql` not found: the fix file is not run through psql itself";
        if std::env::var("CI").is_ok_and(|value| value == "true") {
            panic!("{message} (CI=true requires it)");
        }
        eprintln!("{message}");
    }
    available
}

/// Runs the fix file with `psql -f` (ON_ERROR_STOP) on the database for real, and checks
/// that it applied, dropped nothing, and left the catalog the statement-by-statement
/// application (`after`) left.
fn psql_violations(database: &TestDb, plan: &Plan, fix_sql: &str, after: &AccessSnapshot) -> Vec<Violation> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fix.sql");
    std::fs::write(&file, fix_sql).unwrap();
    let config = &database.config;
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        other => panic!("unexpected host {other:?}"),
    };
    let mut command = Command::new("psql");
    command
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", &host])
        .args(["-p", &config.get_ports()[0].to_string()])
        .args(["-U", config.get_user().unwrap(), "-d", &database.name, "-f"])
        .arg(&file)
        .env_remove("PGOPTIONS");
    if let Some(password) = config.get_password() {
        command.env("PGPASSWORD", String::from_utf8_lossy(password).into_owned());
    }
    let output = command.output().expect("psql runs");
    if !output.status.success() {
        let error = String::from_utf8_lossy(&output.stderr).into_owned();
        return vec![Violation::about_the_fix(ViolationKind::NotApplied, &error)];
    }
    let client = database.client();
    let now = database.live.block_on(access::existing(&client, plan));
    let fingerprint = database.live.block_on(access::fingerprint(&client));
    let mut violations: Vec<Violation> = after
        .existing
        .difference(&now)
        .map(|name| {
            let mut violation = Violation::about_the_fix(ViolationKind::Dropped, name);
            violation.key.target = name.clone();
            violation.key.probe = access::Probe::Select;
            violation.rows.clear();
            violation
        })
        .collect();
    if fingerprint != after.fingerprint {
        let old: BTreeSet<&str> = after.fingerprint.lines().collect();
        let new: BTreeSet<&str> = fingerprint.lines().collect();
        let difference: Vec<String> = old
            .symmetric_difference(&new)
            .map(|line| format!("{} {line}", if new.contains(line) { "psql:" } else { "statements:" }))
            .collect();
        violations.push(Violation::about_the_fix(ViolationKind::Diverged, &difference.join("\n      ")));
    }
    violations
}

/// Every probe's outcome in each state (`NEONLINT_FIX_SAFETY_DUMP=<fixture>` prints it).
fn dump(plan: &Plan, before: &AccessSnapshot, potential: &AccessSnapshot, after: &AccessSnapshot) -> String {
    let show = |outcome: Option<&access::Outcome>| match outcome {
        None => "-".to_string(),
        Some(access::Outcome::Rows(rows)) => format!("{} row(s)", rows.len()),
        Some(access::Outcome::Error { state, .. }) => format!("error {state}"),
    };
    let mut out = String::new();
    for relation in &plan.relations {
        out.push_str(&format!(
            "{} ({}, rls {}, {} seeded, insert {:?}, update {:?})\n",
            relation.name,
            relation.kind,
            relation.rls,
            relation.seeded,
            relation.insert.as_ref().map(|row| row.render(Some(access::USER_A))),
            relation.update.as_ref().map(|update| update.render(relation, access::USER_A)),
        ));
    }
    for (key, outcome) in &before.outcomes {
        out.push_str(&format!(
            "{:<28} {:<12} {:<24} before {:<14} potential {:<14} after {}\n",
            key.actor,
            format!("{:?}", key.probe),
            key.target,
            show(Some(outcome)),
            show(potential.outcomes.get(key)),
            show(after.outcomes.get(key))
        ));
    }
    out
}

/// Every violation, grouped by fixture, with the fix that caused it.
fn report(found: &[Found], fixes: &BTreeMap<String, String>) -> String {
    let mut out = format!("fix safety: {} violation(s)\n", found.len());
    let mut fixtures: Vec<&String> = found.iter().map(|f| &f.fixture).collect();
    fixtures.dedup();
    for fixture in fixtures {
        out.push_str(&format!("\n== {fixture}\n"));
        for f in found.iter().filter(|f| &f.fixture == fixture) {
            let rules: Vec<&str> = f.rules.iter().map(String::as_str).collect();
            out.push_str(&format!("  [{}] {}: {}\n", rules.join(", "), f.variant, f.violation));
        }
        for (key, sql) in fixes.iter().filter(|(key, _)| key.starts_with(fixture.as_str())) {
            out.push_str(&format!("  --- {key} ---\n"));
            for line in sql.lines() {
                out.push_str(&format!("  | {line}\n"));
            }
        }
    }
    out
}
