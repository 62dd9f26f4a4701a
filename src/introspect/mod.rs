//! `neonlint db`: reads a live database's catalog into the same `Catalog` that replay
//! builds from migration files, so every rule runs unchanged.
//!
//! `connect` opens the connection (TLS with rustls, libpq's `sslmode`); `catalog` holds
//! the fixed set of catalog queries. This is the only code that talks to PostgreSQL, and
//! it only reads: one `READ ONLY` transaction, rolled back at the end.

pub mod catalog;
pub mod connect;

use std::time::Duration;

use tokio_postgres::{Client, IsolationLevel};

pub use catalog::Scope;

use crate::model::Catalog;
use connect::Target;

/// Reads the catalog in one read-only, repeatable-read transaction with an empty
/// `search_path` and a statement timeout. Returns the catalog and how many queries it took.
pub async fn read(
    client: &mut Client,
    scope: &Scope,
    statement_timeout: Duration,
) -> Result<(Catalog, usize), tokio_postgres::Error> {
    let transaction = client
        .build_transaction()
        .read_only(true)
        .isolation_level(IsolationLevel::RepeatableRead)
        .start()
        .await?;
    transaction
        .batch_execute(&format!(
            "SET LOCAL search_path = ''; SET LOCAL statement_timeout = {}",
            statement_timeout.as_millis().max(1)
        ))
        .await?;
    let result = catalog::read_catalog(&transaction, scope).await?;
    // Nothing was written; ending the transaction either way is the same.
    transaction.rollback().await?;
    Ok(result)
}

/// One paragraph for a failure after connecting: which query step, on which database,
/// and what to try.
pub fn describe_error(error: &tokio_postgres::Error, target: &Target, statement_timeout: Duration) -> String {
    let Some(db) = error.as_db_error() else {
        return format!("lost the connection to {target} while reading the catalog: {error}; try again");
    };
    match db.code().code() {
        "57014" => format!(
            "reading the catalog of {target} took longer than the statement timeout ({} s); \
             raise it with --statement-timeout",
            statement_timeout.as_secs()
        ),
        "42501" => format!(
            "the role cannot read the catalog of {target}: {}; connect with a role that can read pg_catalog",
            db.message()
        ),
        code => format!("reading the catalog of {target} failed: {} (SQLSTATE {code})", db.message()),
    }
}
