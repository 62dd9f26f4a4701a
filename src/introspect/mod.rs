//! `neonlint db`: reads a live database's catalog into the same `Catalog` that replay
//! builds from migration files, so every rule runs unchanged.
//!
//! `connect` opens the connection (TLS with rustls, libpq's `sslmode`); `catalog` holds
//! the fixed set of catalog queries. This is the only code that talks to PostgreSQL, and
//! it only reads: one `READ ONLY` transaction, rolled back at the end.

pub mod catalog;
pub mod connect;

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio_postgres::{Client, IsolationLevel};

pub use catalog::Scope;

use crate::model::Catalog;
use connect::Target;

/// How much longer than the statement timeout the whole read may take on this side before
/// it gives up: time for the server's own timeout error to arrive first.
pub const READ_GRACE: Duration = Duration::from_secs(1);

/// Why [`read`] failed, and at which step.
#[derive(Debug)]
pub struct ReadError {
    /// The step under way.
    pub step: Stage,
    pub kind: ReadErrorKind,
}

#[derive(Debug)]
pub enum ReadErrorKind {
    /// The server answered with an error, or the connection broke.
    Postgres(tokio_postgres::Error),
    /// Nothing came back within the limit (the statement timeout and [`READ_GRACE`]): the
    /// server or something between stopped answering.
    Stalled(Duration),
}

/// The steps of a read, as messages name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Begin,
    Settings,
    /// A catalog query, by name (`roles`, `policies`, …).
    Query(&'static str),
    Rollback,
}

/// The step a read is at, shared with the catalog queries.
#[derive(Debug)]
pub struct Step(Mutex<Stage>);

/// Reads the catalog in one read-only, repeatable-read transaction with an empty
/// `search_path` and a statement timeout. Returns the catalog and how many queries it took.
///
/// The statement timeout bounds each query on the server; here, the whole read is bounded
/// by it plus [`READ_GRACE`], so a server that stops answering cannot hold the run.
pub async fn read(
    client: &mut Client,
    scope: &Scope,
    statement_timeout: Duration,
) -> Result<(Catalog, usize), ReadError> {
    let step = Step::default();
    let limit = statement_timeout + READ_GRACE;
    match tokio::time::timeout(limit, read_steps(client, scope, statement_timeout, &step)).await {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(error)) => Err(ReadError { step: step.get(), kind: ReadErrorKind::Postgres(error) }),
        Err(_) => Err(ReadError { step: step.get(), kind: ReadErrorKind::Stalled(limit) }),
    }
}

/// One paragraph for a failure after connecting: which step, on which database, and what
/// to try.
pub fn describe_error(error: &ReadError, target: &Target, statement_timeout: Duration) -> String {
    let step = &error.step;
    let error = match &error.kind {
        ReadErrorKind::Stalled(limit) => {
            return format!(
                "the server at {target} stopped answering: {step} had no answer after {} s, and reading the \
                 catalog may take at most --statement-timeout ({} s) plus {} s. Check the server's health and \
                 any proxy or pooler between you and it; raise --statement-timeout if the catalog is large",
                limit.as_secs(),
                statement_timeout.as_secs(),
                READ_GRACE.as_secs()
            );
        }
        ReadErrorKind::Postgres(error) => error,
    };
    let Some(db) = error.as_db_error() else {
        return format!("lost the connection to {target} during {step}: {error}; try again");
    };
    match db.code().code() {
        "57014" => format!(
            "reading the catalog of {target} took longer than the statement timeout ({} s) in {step}; \
             raise it with --statement-timeout",
            statement_timeout.as_secs()
        ),
        "42501" => format!(
            "the role cannot read the catalog of {target} ({step}): {}; connect with a role that can read \
             pg_catalog",
            db.message()
        ),
        code => {
            format!("reading the catalog of {target} failed in {step}: {} (SQLSTATE {code})", db.message())
        }
    }
}

impl Default for Step {
    /// A read that has not begun.
    fn default() -> Step {
        Step(Mutex::new(Stage::Begin))
    }
}

impl Step {
    pub fn set(&self, stage: Stage) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = stage;
    }

    fn get(&self) -> Stage {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Begin => formatter.write_str("starting the read-only transaction"),
            Stage::Settings => formatter.write_str("setting the statement timeout"),
            Stage::Query(name) => write!(formatter, "the catalog query `{name}`"),
            Stage::Rollback => formatter.write_str("ending the transaction"),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ReadErrorKind::Postgres(error) => write!(formatter, "{}: {error}", self.step),
            ReadErrorKind::Stalled(limit) => {
                write!(formatter, "{}: no answer after {} s", self.step, limit.as_secs())
            }
        }
    }
}

impl std::error::Error for ReadError {}

async fn read_steps(
    client: &mut Client,
    scope: &Scope,
    statement_timeout: Duration,
    step: &Step,
) -> Result<(Catalog, usize), tokio_postgres::Error> {
    let transaction = client
        .build_transaction()
        .read_only(true)
        .isolation_level(IsolationLevel::RepeatableRead)
        .start()
        .await?;
    step.set(Stage::Settings);
    transaction
        .batch_execute(&format!(
            "SET LOCAL search_path = ''; SET LOCAL statement_timeout = {}",
            statement_timeout.as_millis().max(1)
        ))
        .await?;
    let result = catalog::read_catalog(&transaction, scope, step).await?;
    step.set(Stage::Rollback);
    // Nothing was written; ending the transaction either way is the same.
    transaction.rollback().await?;
    Ok(result)
}
