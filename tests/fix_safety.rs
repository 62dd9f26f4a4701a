//! Issue 9 §1: a fix never widens access and never breaks what worked. Every fixture
//! project and the demo is applied to a real PostgreSQL, seeded, and probed before and after
//! its fix (the `--fix-out` file of the live findings, and the migration `neonlint fix`
//! writes from the static findings), as every actor, and the property below must hold.
//!
//! # The property
//!
//! Setup: the fixture's migrations on a Neon-like database (`common::live`); every table of
//! the exposed schemas seeded as the superuser (`common::access::rows::seed`): owner-like
//! columns (`user_id`, `owner_id`, `author_id`, `created_by`, `creator_id`, `profile_id`, any
//! case and underscores, text or uuid) hold user A's `sub` in some rows and user B's in
//! others; foreign keys take a parent's key, partition keys a partition's bound.
//!
//! Actors: `authenticated` as user A (owns rows), as user N (owns none) and with claims but no
//! `sub`; `anonymous` without claims; every other role holding a privilege on an exposed
//! relation, on the relations it does not own (a backend service relying on a policy). Every
//! function of the exposed schemas is also called by the session user (a superuser).
//!
//! Probes, each in a savepoint rolled back afterwards: read every row of each relation (rows
//! named by the hash of their text); insert a row owned by the actor and one owned by user B;
//! update every row (one plain column set to a constant) and delete every row (updates and
//! deletes with `session_replication_role = replica`, so foreign keys neither cascade nor
//! refuse), naming the rows changed; call each function with NULL arguments. Each records the
//! rows or the SQLSTATE and message.
//!
//! States: *before*; *potential* (before, plus RLS enabled on every exposed table and every
//! privilege granted to every actor: what the existing policies would let through); *after*
//! (before plus the fix, statement by statement, with `CREATE INDEX CONCURRENTLY` built
//! plainly; the migration as its tool sends it: drizzle's chunks one by one, other layouts'
//! file as one query).
//!
//! For every probe:
//! - **No widening:** rows after ⊆ rows before ∪ rows potential ∪ the actor's own rows (rows
//!   whose owner-like column holds the actor's `sub`, and the row an own insert writes: the
//!   owner policy neonlint writes lets those through). Own rows count only on a relation the
//!   actor could use for no command before: where it could (a table granted SELECT and
//!   INSERT only), a command refused for lack of privilege before stays refused. A call
//!   that failed before for lack of EXECUTE must not work after.
//! - **Nothing broken:** a probe that worked before still works, and still gets every row it
//!   got, except where the narrowing is what a fix is for:
//!   - a request role on a table whose RLS was off, where the fix enables it: fewer rows, and
//!     "new row violates row-level security policy" (NL001, NL006);
//!   - a request role reading a view or materialized view: fewer rows (the view now applies
//!     its tables' RLS) and "permission denied for table/view/materialized view" (NL011);
//!   - `anonymous` (or a role it is a member of): fewer rows anywhere, RLS refusals, and
//!     "permission denied for table/view" on a write or on a read of a table without RLS
//!     (NL015, NL009);
//!   - a request role calling a SECURITY DEFINER function: "permission denied for function"
//!     (NL012). The same error on a table read (a policy calling the function) is a violation.
//! - Every relation and function that existed before still exists; every statement of the
//!   fix applies (one that fails is a violation, and the rest still runs, as psql without
//!   `ON_ERROR_STOP` would); where the fix file quotes a name, `psql -f` of it gives the same
//!   catalog (ACLs, RLS, policies, function settings) as the statement-by-statement run.
//!
//! Refinements found on the server: a whole-row read needs SELECT on every column, so a role
//! that reads through column privileges is detected with `count(*)` and its rows are read
//! with a table grant made inside the probe (a grant does not change what RLS lets through);
//! an update's rows are found by their vanished locations (`tableoid`, `ctid`), since an
//! update writes a new row version; a write that changed no row before and is refused by RLS
//! after is no breakage (the fix let the actor's own rows through and a policy checked the
//! new row: nothing worked before); probe sessions use the search path PostgREST sets (the
//! exposed schemas, then `public`), under which unqualified names in function bodies resolve.
//!
//! Most fixtures run in one transaction on a shared database, rolled back at the end (a
//! dropped database forces a checkpoint, seconds each on a busy disk); a fixture that creates
//! databases, or whose fix file quotes a name (so `psql -f` runs it for real), gets a database
//! of its own, as does one whose migrations cannot run in a transaction.
//!
//! Each violation is attributed to the rules whose fix blocks cause it: the rules without
//! whose blocks it disappears, else the rules whose blocks alone reproduce it.
//! Any violation fails the test. (Written before issue 9's fixes landed, it found one in each
//! of its `fixtures/fix-safety` cases: NL001/NL003's read-all policy, NL012's revoke and
//! `search_path`, NL009's `TO`, and names that ended a comment line.)
//! `NEONLINT_FIX_SAFETY_DUMP=<fixture>` prints every probe's outcome for one fixture.

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

impl Results {
    fn report(&self) -> String {
        let mut out = report(&self.found, &self.fixes);
        out.push_str(&format!(
            "\nfix safety: {} probes per state; tables without seeded rows: {:?}; on their own database: {:?}\n",
            self.probed, self.unseeded, self.own_databases
        ));
        out
    }
}

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
    // Most fixtures run in one transaction on this database, rolled back at the end: no
    // database to create and drop per fixture (dropping one forces a checkpoint).
    let shared = live.create_database("fix_safety");
    let dropper = Dropper::start(&live);
    let mut psql = None;
    let mut results = Results::default();
    // What PostgreSQL refuses to apply has no database to fix (`common::REFUSED_BY_THE_SERVER`).
    for project in
        common::fixture_projects().iter().filter(|project| common::refused_by_the_server(project).is_none())
    {
        let fixture = Fixture::load(project);
        // A fixture that makes databases cannot run in a transaction; a fix file that quotes
        // a name is also run through `psql -f` itself, which needs the fixture committed.
        let static_fix = fix::render(&fixture.static_run.findings, "neonlint check");
        let own_database = !fixture.created().is_empty() || static_fix.contains('"');
        if !own_database && in_transaction(&live, &shared, &fixture, &mut results).is_ok() {
            continue;
        }
        let psql = *psql.get_or_insert_with(psql_available);
        results.own_databases.push(fixture.name.clone());
        in_own_database(&live, &dropper, &fixture, psql, &mut results);
    }
    dropper.finish();
    drop(shared);

    let report = results.report();
    eprintln!("{report}");
    assert!(results.probed > 1000, "only {} probes ran: the test would prove nothing", results.probed);
    assert!(results.unseeded.len() <= 3, "tables the generator could not seed: {:#?}", results.unseeded);
    let occurring: BTreeSet<(String, String)> = results
        .found
        .iter()
        .flat_map(|f| f.rules.iter().map(|rule| (f.fixture.clone(), rule.clone())))
        .collect();
    assert!(occurring.is_empty(), "a fix widens access or breaks what worked: {occurring:?}\n{report}");
}

/// A fixture project and its static run.
struct Fixture {
    /// Relative to `fixtures/`.
    name: String,
    project: std::path::PathBuf,
    selection: source::Selection,
    static_run: check::Run,
}

impl Fixture {
    fn load(project: &Path) -> Fixture {
        let name = project.strip_prefix(common::fixture("")).unwrap().display().to_string();
        let selection = source::discover(project, None).unwrap();
        let static_run = check::run(std::slice::from_ref(&selection), &Config::default(), None).unwrap();
        Fixture { name, project: project.to_path_buf(), selection, static_run }
    }

    /// The databases its migrations create.
    fn created(&self) -> BTreeSet<String> {
        self.static_run.catalogs[0].databases.keys().cloned().collect()
    }
}

/// What every fixture found, for the report and the final assertions.
#[derive(Default)]
struct Results {
    found: Vec<Found>,
    fixes: BTreeMap<String, String>,
    probed: usize,
    unseeded: Vec<String>,
    /// Fixtures that ran on a database of their own.
    own_databases: Vec<String>,
}

/// Runs `fixture` inside one transaction on `shared`, rolled back at the end. `Err` when its
/// migrations do not apply in a transaction (the caller gives it its own database).
fn in_transaction(
    live: &common::live::Live,
    shared: &TestDb,
    fixture: &Fixture,
    results: &mut Results,
) -> Result<(), String> {
    let client = shared.client();
    live.block_on(client.batch_execute("BEGIN")).unwrap();
    if let Err(error) = live.block_on(apply_in_transaction(&client, &fixture.selection)) {
        live.block_on(client.batch_execute("ROLLBACK")).unwrap();
        return Err(error);
    }
    check_fixture(live, &client, fixture, results);
    live.block_on(client.batch_execute("ROLLBACK")).unwrap();
    Ok(())
}

/// Runs `fixture` on a database of its own, with its migrations committed, then runs the
/// live fix file through `psql -f` for real.
fn in_own_database(
    live: &common::live::Live,
    dropper: &Dropper,
    fixture: &Fixture,
    psql: bool,
    results: &mut Results,
) {
    let static_catalog = &fixture.static_run.catalogs[0];
    // Databases and roles are cluster-wide: wait until the previous fixtures' are gone, then
    // remove leftovers of an interrupted run.
    dropper.wait_until_done();
    cleanup(live, static_catalog, &BTreeSet::new());
    let roles_before = existing_roles(live);
    let database = live.create_database(&fixture.name);
    database
        .apply(&fixture.selection)
        .unwrap_or_else(|e| panic!("{}: applying the migrations failed: {e}", fixture.name));
    let client = database.client();
    live.block_on(client.batch_execute("BEGIN")).unwrap();
    let checked = check_fixture(live, &client, fixture, results);
    live.block_on(client.batch_execute("ROLLBACK")).unwrap();
    if psql {
        for violation in psql_violations(&database, &checked.plan, &checked.fix_sql, &checked.after) {
            let id = violation.id();
            let mut rules: BTreeSet<String> = results
                .found
                .iter()
                .filter(|f| f.fixture == fixture.name && f.variant == FIX_FILE && f.violation.id() == id)
                .flat_map(|f| f.rules.clone())
                .collect();
            if rules.is_empty() {
                rules.insert("*".to_string());
            }
            results.found.push(Found { fixture: fixture.name.clone(), variant: FIX_PSQL, violation, rules });
        }
    }
    // The database first, then what the fixture made in the cluster (which its objects may
    // depend on), as `cleanup` does.
    drop(client);
    let mut drops = vec![drop_database(&database.keep())];
    drops.extend(fixture.created().iter().map(|name| drop_database(name)));
    drops.extend(
        static_catalog
            .roles
            .keys()
            .filter(|role| !roles_before.contains(*role))
            .map(|role| format!("DROP ROLE IF EXISTS {}", access::quote_ident(role))),
    );
    dropper.run_later(drops);
}

/// Applies the migrations of `selection` on `client`, inside its transaction, statement by
/// statement: transaction control in the files is left out (the whole run is one
/// transaction) and `CREATE INDEX CONCURRENTLY` builds the same index plainly. Afterwards the
/// session's role and settings are reset (a migration may end with `SET ROLE`).
async fn apply_in_transaction(
    client: &tokio_postgres::Client,
    selection: &source::Selection,
) -> Result<(), String> {
    for file in &selection.set.files {
        let text = std::fs::read_to_string(&file.path).map_err(|e| e.to_string())?;
        let up = source::up_part(selection.set.layout, &text);
        for piece in neonlint::sql::split::split(&up) {
            let statement = &up[piece.start..piece.end];
            let first_word = statement.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
            let first_word = first_word.trim_end_matches(';');
            if ["begin", "start", "commit", "end", "rollback", "abort"].contains(&first_word) {
                continue;
            }
            let statement = statement.replace("CREATE INDEX CONCURRENTLY", "CREATE INDEX");
            client
                .batch_execute(&statement)
                .await
                .map_err(|e| format!("{}: {}: {statement}", file.display, common::live::describe(&e)))?;
        }
    }
    client.batch_execute("RESET SESSION AUTHORIZATION; RESET ALL").await.map_err(|e| e.to_string())
}

/// What `check_fixture` leaves for the psql check.
struct Checked {
    plan: Plan,
    fix_sql: String,
    after: AccessSnapshot,
}

/// Seeds the fixture's database (migrations applied, `client` inside a transaction), takes
/// the snapshots before, with every privilege, and after each fix, and records the violations.
fn check_fixture(
    live: &common::live::Live,
    client: &tokio_postgres::Client,
    fixture: &Fixture,
    results: &mut Results,
) -> Checked {
    let name = &fixture.name;
    let settings = Config::default().settings();
    let actors = access::request_actors(&settings.api_roles, &settings.anonymous_role);
    let mut plan = live.block_on(access::plan(client, &settings.exposed_schemas, actors));
    live.block_on(access::rows::seed(client, &mut plan));
    for relation in &plan.relations {
        if relation.is_table() && !relation.partition && relation.seeded == 0 {
            results.unseeded.push(format!("{name}: {}", relation.name));
        }
    }
    let schemas = live.block_on(access::user_schemas(client));
    let before = live.block_on(access::snapshot(client, &plan, &[], None));
    let potential =
        live.block_on(access::snapshot(client, &plan, &access::potential_overlay(&plan, &schemas), None));
    results.probed += before.outcomes.len();

    // The fix file of the live findings, as `tests/live.rs` builds it.
    let created = fixture.created();
    let findings: Vec<Finding> = rules::check(&live_catalog(live, client), &live_settings())
        .into_iter()
        .filter(|f| f.rule.code != "NL005" || created.contains(&f.object.name))
        .collect();
    let fix_sql = fix::render(&findings, "neonlint db");
    let checker = Checker { live, client, plan: &plan, before: &before, potential: &potential };
    let after = checker.after(&statements(&fix_sql), None);
    if std::env::var("NEONLINT_FIX_SAFETY_DUMP").is_ok_and(|dump| dump == *name) {
        eprintln!("{}", dump(&plan, &before, &potential, &after));
    }
    let violations = checker.violations(&after);
    let blamed = checker.attribute(&violations, &rules_with_fixes(&findings), |without, alone| {
        statements(&fix::render(&select_findings(&findings, without, alone), "neonlint db"))
    });
    for (violation, rules) in violations.into_iter().zip(blamed) {
        results.found.push(Found { fixture: name.clone(), variant: FIX_FILE, violation, rules });
    }

    // The migration `neonlint fix` writes from the static findings, run as the layout's
    // tool runs it, where it differs from the fix file (or is split by drizzle).
    let layout = fixture.selection.set.layout;
    if let Some(migration) = migration_fix(&fixture.project, layout, None) {
        if layout == Layout::Drizzle || normalized(&migration.join("\n")) != normalized(&fix_sql) {
            let after = checker.after(&migration, None);
            let violations = checker.violations(&after);
            let static_rules = rules_with_fixes(&fixture.static_run.findings);
            let blamed = checker.attribute(&violations, &static_rules, |without, alone| {
                let disabled: Vec<&str> = static_rules
                    .iter()
                    .map(String::as_str)
                    .filter(|rule| Some(*rule) == without || alone.is_some_and(|alone| alone != *rule))
                    .collect();
                migration_fix_disabling(&fixture.project, layout, &disabled).unwrap_or_default()
            });
            for (violation, rules) in violations.into_iter().zip(blamed) {
                results.found.push(Found { fixture: name.clone(), variant: FIX_MIGRATION, violation, rules });
            }
            results.fixes.insert(format!("{name} ({FIX_MIGRATION})"), migration.join("\n--> chunk\n"));
        }
    }
    results.fixes.insert(name.clone(), fix_sql.clone());
    Checked { plan, fix_sql, after }
}

/// The catalog as `neonlint db` reads it, inside the open transaction (so it sees the
/// uncommitted migrations), undone afterwards.
fn live_catalog(live: &common::live::Live, client: &tokio_postgres::Client) -> neonlint::model::Catalog {
    let scope = Scope { all_databases: true, migration_role: None };
    live.block_on(async {
        client.batch_execute("SAVEPOINT introspect; SET LOCAL search_path = ''").await.unwrap();
        let (catalog, _) = neonlint::introspect::catalog::read_catalog(
            client,
            &scope,
            &neonlint::introspect::Step::default(),
        )
        .await
        .unwrap();
        client.batch_execute("ROLLBACK TO SAVEPOINT introspect; RELEASE SAVEPOINT introspect").await.unwrap();
        catalog
    })
}

/// Drops databases and roles on a thread of its own, behind the fixture loop: dropping a
/// database forces a checkpoint, which takes seconds on a busy disk.
struct Dropper {
    jobs: Option<std::sync::mpsc::Sender<Vec<String>>>,
    done: std::sync::mpsc::Receiver<Result<(), String>>,
    pending: std::cell::Cell<usize>,
    errors: std::cell::RefCell<Vec<String>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Dropper {
    fn start(live: &common::live::Live) -> Dropper {
        let (jobs, received) = std::sync::mpsc::channel::<Vec<String>>();
        let (done_sender, done) = std::sync::mpsc::channel();
        let admin = live.admin.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let client = common::live::connect(&admin).await.unwrap();
                for job in received {
                    let mut result = Ok(());
                    for sql in job {
                        if let Err(error) = client.batch_execute(&sql).await {
                            result = Err(format!("{sql}: {}", common::live::describe(&error)));
                        }
                    }
                    if done_sender.send(result).is_err() {
                        return;
                    }
                }
            });
        });
        Dropper {
            jobs: Some(jobs),
            done,
            pending: std::cell::Cell::new(0),
            errors: std::cell::RefCell::new(Vec::new()),
            thread: Some(thread),
        }
    }

    /// Runs `statements` on the admin connection, in order, on the dropper's thread.
    fn run_later(&self, statements: Vec<String>) {
        self.jobs.as_ref().unwrap().send(statements).unwrap();
        self.pending.set(self.pending.get() + 1);
    }

    fn wait_until_done(&self) {
        while self.pending.get() > 0 {
            let result = self.done.recv().expect("the dropper thread stopped");
            if let Err(error) = result {
                self.errors.borrow_mut().push(error);
            }
            self.pending.set(self.pending.get() - 1);
        }
    }

    /// Waits for every job; fails if one failed.
    fn finish(mut self) {
        self.wait_until_done();
        self.jobs = None;
        self.thread.take().unwrap().join().unwrap();
        let errors = self.errors.borrow();
        assert!(errors.is_empty(), "cleaning up failed: {errors:#?}");
    }
}

fn drop_database(name: &str) -> String {
    format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", access::quote_ident(name))
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

/// The statements of a fix file as psql runs them (neonlint's splitter, as `tests/live.rs`),
/// without the file's `BEGIN;` and `COMMIT;`: the probes run it in their own transaction,
/// one statement at a time, so that a failing statement is seen (and the rest still runs).
fn statements(sql: &str) -> Vec<String> {
    neonlint::sql::split::split(sql)
        .iter()
        .map(|piece| sql[piece.start..piece.end].to_string())
        .filter(|statement| !matches!(statement.trim().to_ascii_uppercase().as_str(), "BEGIN" | "COMMIT"))
        .collect()
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
    let mut violations: Vec<Violation> =
        after.existing.difference(&now).map(|name| Violation::dropped(name)).collect();
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
