//! Live tests against a real PostgreSQL: one fresh database per test, prepared like a
//! Neon database with the Data API enabled (roles `authenticated`, `anonymous`,
//! `neon_superuser`, schema `auth` with a `user_id()` stand-in), dropped at the end.
//!
//! The server comes from `NEONLINT_TEST_DATABASE_URL` (default
//! `postgresql://postgres@127.0.0.1:5432/postgres`). Without a server, `live()` prints a
//! notice and returns `None`, except under `CI=true`, where it fails the test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use neonlint::introspect::{self, Scope};
use std::collections::BTreeSet;

use neonlint::model::Catalog;
use neonlint::placeholders::Placeholders;
use neonlint::source::{self, Selection};
use tokio::runtime::Runtime;
use tokio_postgres::{Client, Config, NoTls};

pub fn admin_url() -> String {
    std::env::var("NEONLINT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A runtime and the admin connection settings, or `None` (skip) without a server.
pub struct Live {
    pub runtime: Runtime,
    pub admin: Config,
}

pub fn live(test: &str) -> Option<Live> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut admin: Config = admin_url().parse().expect("NEONLINT_TEST_DATABASE_URL is a valid URL");
    admin.connect_timeout(Duration::from_secs(5));
    let reachable = runtime.block_on(async { connect(&admin).await.is_ok() });
    if reachable {
        return Some(Live { runtime, admin });
    }
    let message = format!("{test}: skipped: no PostgreSQL at {}", admin_url());
    if std::env::var("CI").is_ok_and(|value| value == "true") {
        panic!("{message} (CI=true requires the live tests to run)");
    }
    eprintln!("{message}");
    None
}

impl Live {
    /// The server's major version, for replay's `postgres_major` and version-aware
    /// expectations.
    pub fn postgres_major(&self) -> Option<u32> {
        let version: i32 = self.runtime.block_on(async {
            let client = connect(&self.admin).await.unwrap();
            client.query_one("SELECT current_setting('server_version_num')::int", &[]).await.unwrap().get(0)
        });
        Some((version / 10_000) as u32)
    }

    /// Whether the server is older than 15 (no `security_invoker`; PUBLIC creates in `public`).
    pub fn before_15(&self) -> bool {
        self.postgres_major().is_some_and(|major| major < neonlint::model::POSTGRES_15)
    }
}

pub async fn connect(config: &Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Roles and databases are cluster-wide: tests that apply fixtures which create them
/// hold this lock, so one test's cleanup never drops what another is using.
static CLUSTER_OBJECTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The advisory lock key every neonlint test process takes before it creates or drops
/// cluster-wide objects (`'neonlint'` as bytes): two test runs on one server (two checkouts,
/// or CI and a developer) would otherwise drop each other's fixture databases and roles.
const CLUSTER_LOCK_KEY: i64 = 0x6e65_6f6e_6c69_6e74;

/// Held while a test uses cluster-wide objects: a mutex within this process, and a
/// session-level advisory lock on the server across processes, released when the guard's
/// connection closes.
pub struct ClusterLock {
    _connection: Option<(Runtime, Client)>,
    _local: std::sync::MutexGuard<'static, ()>,
}

pub fn lock_cluster_objects() -> ClusterLock {
    let local = CLUSTER_OBJECTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let connection = admin_url().parse::<Config>().ok().and_then(|mut admin| {
        admin.connect_timeout(Duration::from_secs(5));
        let client = runtime.block_on(async {
            let client = connect(&admin).await.ok()?;
            client.execute("SELECT pg_advisory_lock($1)", &[&CLUSTER_LOCK_KEY]).await.ok()?;
            Some(client)
        })?;
        Some(client)
    });
    ClusterLock { _connection: connection.map(|client| (runtime, client)), _local: local }
}

/// A database created for one test and dropped with it (unless `keep` hands it on).
pub struct TestDb<'a> {
    pub live: &'a Live,
    pub name: String,
    pub config: Config,
    drop_on_exit: bool,
}

impl Live {
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Runs `sql` (one or more statements, one transaction) as the admin user.
    pub fn admin_execute(&self, sql: &str) {
        self.block_on(async {
            let client = connect(&self.admin).await.unwrap();
            client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
        });
    }

    pub fn create_database(&self, hint: &str) -> TestDb<'_> {
        let name = database_name(hint);
        self.admin_execute(&format!("CREATE DATABASE \"{name}\""));
        let database = self.adopt_database(name);
        database.execute(&neon_setup_sql(&database.name));
        database
    }

    /// A database made (and prepared with `neon_setup_sql`) elsewhere, dropped with the result.
    pub fn adopt_database(&self, name: String) -> TestDb<'_> {
        let mut config = self.admin.clone();
        config.dbname(&name);
        TestDb { live: self, name, config, drop_on_exit: true }
    }
}

/// A fresh name for a test database, from a hint (a test or fixture name).
pub fn database_name(hint: &str) -> String {
    let hint: String =
        hint.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    format!(
        "neonlint_t_{}_{}_{}",
        &hint[..hint.len().min(30)],
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// What makes database `name` like a Neon database with the Data API enabled.
pub fn neon_setup_sql(name: &str) -> String {
    format!(
        "DO $$ DECLARE r text; BEGIN
           FOREACH r IN ARRAY ARRAY['authenticated', 'anonymous', 'neon_superuser'] LOOP
             BEGIN EXECUTE format('CREATE ROLE %I NOLOGIN', r);
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
           END LOOP;
         END $$;
         CREATE SCHEMA auth;
         CREATE FUNCTION auth.user_id() RETURNS text LANGUAGE sql STABLE
           AS $f$ SELECT nullif(current_setting('request.jwt.claims', true)::json->>'sub', '') $f$;
         GRANT USAGE ON SCHEMA auth TO PUBLIC;
         GRANT ALL PRIVILEGES ON DATABASE \"{name}\" TO neon_superuser;"
    )
}

impl TestDb<'_> {
    /// Leaves the database in place (someone else drops it) and returns its name.
    pub fn keep(mut self) -> String {
        self.drop_on_exit = false;
        std::mem::take(&mut self.name)
    }

    pub fn client(&self) -> Client {
        self.live.block_on(connect(&self.config)).unwrap()
    }

    /// Runs `sql` as one batch (one implicit transaction).
    pub fn execute(&self, sql: &str) {
        let client = self.client();
        self.live
            .block_on(client.batch_execute(sql))
            .unwrap_or_else(|e| panic!("in {}: {}\n{sql}", self.name, describe(&e)));
    }

    /// Runs a migration file statement by statement, as psql does (so `CREATE DATABASE`
    /// is outside a transaction block), using neonlint's own splitter.
    pub fn apply_file(&self, client: &Client, sql: &str) -> Result<(), String> {
        for piece in neonlint::sql::split::split(sql) {
            let statement = &sql[piece.start..piece.end];
            self.live
                .block_on(client.batch_execute(statement))
                .map_err(|e| format!("{}: {statement}", describe(&e)))?;
        }
        Ok(())
    }

    /// Applies a migration set in its layout's order, with only the "up" parts and the
    /// placeholders replaced as the tool would (graphile-migrate's `.gmrc`, Flyway's config).
    pub fn apply(&self, selection: &Selection) -> Result<(), String> {
        let client = self.client();
        let layout = selection.set.layout;
        let placeholders = Placeholders::for_set(&selection.set.root, layout, &Default::default());
        for file in &selection.set.files {
            let text = std::fs::read_to_string(&file.path).map_err(|e| e.to_string())?;
            let substituted = placeholders.apply(layout, &text);
            let up = source::up_part(layout, &substituted.text);
            self.apply_file(&client, &up).map_err(|e| format!("{}: {e}", file.display))?;
        }
        Ok(())
    }

    pub fn catalog(&self, scope: &Scope) -> (Catalog, usize) {
        let mut client = self.client();
        self.live.block_on(introspect::read(&mut client, scope, Duration::from_secs(30))).unwrap()
    }
}

impl Drop for TestDb<'_> {
    fn drop(&mut self) {
        if !self.drop_on_exit {
            return;
        }
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let _ = self.live.block_on(async {
            let client = connect(&self.live.admin).await?;
            client.batch_execute(&sql).await
        });
    }
}

/// The server's own message for a database error, which `Display` leaves out.
pub fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => error.to_string(),
    }
}

/// Drops the databases and the roles a fixture created (cluster-wide names), keeping
/// roles that existed before it ran.
pub fn cleanup(live: &Live, catalog: &Catalog, roles_before: &BTreeSet<String>) {
    for database in catalog.databases.keys() {
        live.admin_execute(&format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"));
    }
    for role in catalog.roles.keys().filter(|role| !roles_before.contains(*role)) {
        live.admin_execute(&format!("DROP ROLE IF EXISTS \"{role}\""));
    }
}

pub fn existing_roles(live: &Live) -> BTreeSet<String> {
    live.block_on(async {
        let client = connect(&live.admin).await.unwrap();
        client
            .query("SELECT rolname::text FROM pg_roles", &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    })
}
