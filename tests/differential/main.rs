//! Differential tests: generated migration histories applied to the real PostgreSQL and
//! replayed statically must leave the same `Catalog` facts and the same findings.
//!
//! Each history runs in a fresh database made from a template (Neon-like: the API roles,
//! schema `auth` with `user_id()`), one statement at a time on one session, as `psql -f`
//! without `ON_ERROR_STOP` runs a file: a statement the server rejects is skipped and the
//! next one runs, and no statement is wrapped in a transaction with another. Replay must
//! skip the same statements. The catalog read by `introspect` and the replayed one are
//! compared with `compare::facts`; a disagreement is shrunk to a minimal history (delta
//! debugging over statements) and printed with what the server said to each statement.
//!
//! `NEONLINT_DIFF_SEED` and `NEONLINT_DIFF_COUNT` choose the run (default: two fixed seeds,
//! each with `NEONLINT_DIFF_COUNT` histories, 250 by default; `random` for a seed that
//! changes from run to run, printed);
//! `NEONLINT_DIFF_ONLY=N` runs history N of the seed alone. `scripts/differential` runs
//! it longer. Shrunk failures are kept in `fixtures/differential/` and replayed by
//! `regression_histories_agree`.

#[path = "../common/mod.rs"]
mod common;
mod compare;
mod generate;

use std::time::{Duration, Instant};

use common::live::{Live, connect, describe, live};
use neonlint::introspect::{self, Scope};
use neonlint::model::{Catalog, FileId};
use neonlint::replay::{Options, Replay};
use neonlint::sql;

/// What every fresh database holds before a history runs: what Neon's Data API sets up.
const PREAMBLE: &str = "CREATE SCHEMA auth;
CREATE FUNCTION auth.user_id() RETURNS text LANGUAGE sql STABLE
  AS $f$ SELECT nullif(current_setting('request.jwt.claims', true)::json->>'sub', '') $f$;
GRANT USAGE ON SCHEMA auth TO PUBLIC;";

/// The cluster's roles that the server has before any history runs, for replay.
const SHARED_ROLES: &str = "CREATE ROLE authenticated; CREATE ROLE anonymous; CREATE ROLE neon_superuser;";

/// The prefix that the regression fixtures' role and database names carry.
const FIXTURE_PREFIX: &str = "nd_x_";

const STATEMENTS_PER_HISTORY: usize = 30;

#[test]
fn generated_histories_agree() {
    let Some(live) = live("generated_histories_agree") else { return };
    let count: usize = env_number("NEONLINT_DIFF_COUNT").unwrap_or(250) as usize;
    let seeds = seeds();
    let only = env_number("NEONLINT_DIFF_ONLY").map(|n| n as usize);
    let server = Server::new(&live, "generated");
    let mut failures = Vec::new();
    let mut histories = 0;
    for seed in seeds {
        let started = Instant::now();
        println!("differential: seed {seed}, {count} histories (replay with NEONLINT_DIFF_SEED={seed})");
        for index in 0..count {
            if only.is_some_and(|only| only != index) {
                continue;
            }
            let prefix = format!("nd{}_{index}_", std::process::id());
            let mut rng =
                generate::Rng::new(seed.wrapping_add(index as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
            let names = generate::Names::new(&prefix);
            let history = generate::history(&mut rng, &names, STATEMENTS_PER_HISTORY);
            histories += 1;
            if let Err(report) = server.check(&prefix, &history) {
                let shrunk = server.shrink(&prefix, history);
                let report = server.check(&prefix, &shrunk).err().unwrap_or(report);
                let message = format!(
                    "seed {seed}, history {index} (NEONLINT_DIFF_SEED={seed} NEONLINT_DIFF_ONLY={index}), shrunk to {} statements:\n{report}",
                    shrunk.len()
                );
                eprintln!("{message}");
                failures.push(message);
            }
        }
        println!("differential: seed {seed} done in {:.1} s", started.elapsed().as_secs_f64());
    }
    println!("differential: {histories} histories, {} disagreements", failures.len());
    assert!(
        failures.is_empty(),
        "{} of {histories} histories disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn regression_histories_agree() {
    let Some(live) = live("regression_histories_agree") else { return };
    let server = Server::new(&live, "regression");
    let folder = common::fixture("differential");
    let mut paths: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|entry| entry.unwrap().path()).collect();
    paths.sort();
    let mut failures = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap();
        let prefix = format!("nd{}_f{index}_", std::process::id());
        let text = text.replace(FIXTURE_PREFIX, &prefix);
        let history: Vec<String> = sql::split::split(&text)
            .iter()
            .map(|piece| format!("{};", &text[piece.start..piece.end]))
            .collect();
        assert!(!history.is_empty(), "{}: no statements", path.display());
        if let Err(report) = server.check(&prefix, &history) {
            failures.push(format!("{}:\n{report}", path.display()));
        }
    }
    assert!(paths.len() >= 10, "only {} regression histories", paths.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The server with a template database that holds the preamble.
struct Server<'a> {
    live: &'a Live,
    template: String,
    user: String,
    /// Before 15, replay must know (`Options::postgres_major`).
    postgres_major: Option<u32>,
}

impl<'a> Server<'a> {
    fn new(live: &'a Live, test: &str) -> Server<'a> {
        let template = format!("neonlint_diff_{test}_{}", std::process::id());
        live.admin_execute(&format!("DROP DATABASE IF EXISTS {template}"));
        live.admin_execute(&format!("CREATE DATABASE {template}"));
        let mut config = live.admin.clone();
        config.dbname(&template);
        live.block_on(async {
            let client = connect(&config).await.unwrap();
            client
                .batch_execute(
                    "DO $$ DECLARE r text; BEGIN
                       FOREACH r IN ARRAY ARRAY['authenticated', 'anonymous', 'neon_superuser'] LOOP
                         BEGIN EXECUTE format('CREATE ROLE %I NOLOGIN', r);
                         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
                       END LOOP;
                     END $$;",
                )
                .await
                .unwrap();
            client.batch_execute(PREAMBLE).await.unwrap();
        });
        let user = live.admin.get_user().unwrap_or("postgres").to_string();
        Server { live, template, user, postgres_major: live.postgres_major() }
    }

    /// Runs `history` on the server and in replay; `Err` is the readable difference.
    fn check(&self, prefix: &str, history: &[String]) -> Result<(), String> {
        let (live_catalog, outcomes) = self.apply(prefix, history);
        let replayed = self.replay(history);
        let facts = compare::diff(&compare::facts(&live_catalog, prefix), &compare::facts(&replayed, prefix));
        let findings =
            compare::diff(&compare::findings(&live_catalog, prefix), &compare::findings(&replayed, prefix));
        if facts.is_empty() && findings.is_empty() {
            return Ok(());
        }
        let mut report = String::from("history (server's answer after each statement):\n");
        for (statement, outcome) in history.iter().zip(&outcomes) {
            report.push_str(&format!("  {statement}\n      -- {outcome}\n"));
        }
        if !facts.is_empty() {
            report.push_str(&format!("catalog facts differ:\n{facts}"));
        }
        if !findings.is_empty() {
            report.push_str(&format!("findings differ:\n{findings}"));
        }
        Err(report.replace(prefix, FIXTURE_PREFIX))
    }

    /// Applies `history` to a fresh database and reads its catalog back; drops what the
    /// history made in the cluster.
    fn apply(&self, prefix: &str, history: &[String]) -> (Catalog, Vec<String>) {
        // Not under the prefix: the history's own database is not one it created.
        let database = format!("ndm{prefix}");
        self.live.admin_execute(&format!("CREATE DATABASE {database} TEMPLATE {}", self.template));
        let mut config = self.live.admin.clone();
        config.dbname(&database);
        let result = self.live.block_on(async {
            let client = connect(&config).await.map_err(|e| describe(&e))?;
            let mut outcomes = Vec::new();
            for statement in history {
                outcomes.push(match client.batch_execute(statement).await {
                    Ok(()) => "ok".to_string(),
                    Err(error) => format!("ERROR {}", describe(&error)),
                });
            }
            drop(client);
            let mut client = connect(&config).await.map_err(|e| describe(&e))?;
            // The migration role is configured on both sides (replay needs the session role
            // for a closed world); tests/live.rs compares the unconfigured defaults.
            let scope = Scope { all_databases: true, migration_role: Some(self.user.clone()) };
            let (catalog, _) =
                introspect::read(&mut client, &scope, Duration::from_secs(60)).await.map_err(|e| match &e
                    .kind
                {
                    introspect::ReadErrorKind::Postgres(error) => describe(error),
                    introspect::ReadErrorKind::Stalled(_) => e.to_string(),
                })?;
            Ok::<_, String>((catalog, outcomes))
        });
        self.cleanup(prefix, &database);
        result.unwrap_or_else(|error| panic!("running a history failed: {error}"))
    }

    /// Drops the history's databases, then its roles (which may own them).
    fn cleanup(&self, prefix: &str, database: &str) {
        self.live.block_on(async {
            let client = connect(&self.live.admin).await.unwrap();
            client.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await.unwrap();
            let like = format!("{}%", prefix.replace('_', "\\_"));
            for row in client
                .query("SELECT datname::text FROM pg_database WHERE datname LIKE $1", &[&like])
                .await
                .unwrap()
            {
                let name: String = row.get(0);
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .unwrap();
            }
            for row in client
                .query("SELECT rolname::text FROM pg_roles WHERE rolname LIKE $1", &[&like])
                .await
                .unwrap()
            {
                let name: String = row.get(0);
                client
                    .batch_execute(&format!("DROP ROLE IF EXISTS \"{name}\""))
                    .await
                    .unwrap_or_else(|e| panic!("dropping role {name}: {}", describe(&e)));
            }
        });
    }

    /// The same history replayed statically, after the preamble, as the admin user.
    fn replay(&self, history: &[String]) -> Catalog {
        let options = Options {
            migration_role: Some(self.user.clone()),
            api_roles: vec!["authenticated".to_string()],
            exposed_schemas: vec!["public".to_string()],
            closed_world: true,
            postgres_major: self.postgres_major,
            ..Options::default()
        };
        let mut replay = Replay::new(&options);
        // The roles every test database shares exist before the history, on both sides.
        let preamble = sql::parse_file(&format!("{SHARED_ROLES}\n{PREAMBLE}")).statements;
        let statements = sql::parse_file(&history.join("\n")).statements;
        replay.look_ahead([preamble.as_slice(), statements.as_slice()]);
        replay.file(FileId(0), &preamble);
        replay.file(FileId(1), &statements);
        replay.finish()
    }

    /// Delta debugging over statements: the smallest history found that still disagrees.
    fn shrink(&self, prefix: &str, mut history: Vec<String>) -> Vec<String> {
        let mut chunk = history.len().div_ceil(2);
        let mut attempts = 0;
        while chunk >= 1 && attempts < 400 {
            let mut start = 0;
            let mut removed_any = false;
            while start < history.len() && attempts < 400 {
                let end = (start + chunk).min(history.len());
                let candidate: Vec<String> =
                    history[..start].iter().chain(&history[end..]).cloned().collect();
                attempts += 1;
                if !candidate.is_empty() && self.check(prefix, &candidate).is_err() {
                    history = candidate;
                    removed_any = true;
                } else {
                    start = end;
                }
            }
            if !removed_any {
                if chunk == 1 {
                    break;
                }
                chunk = chunk.div_ceil(2);
            }
        }
        history
    }
}

impl Drop for Server<'_> {
    fn drop(&mut self) {
        let _ = self.live.block_on(async {
            let client = connect(&self.live.admin).await?;
            client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.template)).await
        });
    }
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(value.trim().parse().unwrap_or_else(|_| panic!("{name}={value} is not a number")))
}

/// The seeds to run: `NEONLINT_DIFF_SEED` (numbers or `random`, comma-separated), else two
/// fixed seeds whose histories are known to agree, so that the suite is the same from run
/// to run; `scripts/differential` adds a random seed to look for new disagreements.
fn seeds() -> Vec<u64> {
    let Ok(value) = std::env::var("NEONLINT_DIFF_SEED") else { return vec![20_261_204, 44] };
    value
        .split(',')
        .map(str::trim)
        .map(|seed| match seed {
            "random" => random_seed(),
            _ => seed
                .parse()
                .unwrap_or_else(|_| panic!("NEONLINT_DIFF_SEED: {seed} is not a number or `random`")),
        })
        .collect()
}

/// A seed that differs from run to run (time and process id), printed so it can be rerun.
fn random_seed() -> u64 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ ((std::process::id() as u64) << 32)
}
