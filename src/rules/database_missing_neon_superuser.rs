//! NL005 database-missing-neon-superuser: a database on which `neon_superuser` lacks
//! CREATE, CONNECT or TEMPORARY. Enabling the Data API installs `pg_session_jwt` as
//! `neon_superuser`, which then fails with "permission denied to create extension".

use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::{Catalog, Privileges};
use crate::sql::quote_ident;

pub const NEON_SUPERUSER: &str = "neon_superuser";

pub fn check(catalog: &Catalog, _settings: &Settings) -> Vec<Finding> {
    if !catalog.role_exists(NEON_SUPERUSER) {
        let database = catalog.current_database.as_deref().unwrap_or("this database");
        let message = format!(
            "role `{NEON_SUPERUSER}` does not exist: this is not a Neon database, so whether the Data API can install pg_session_jwt here cannot be checked"
        );
        let help =
            "run `neonlint db` against the Neon branch itself, or turn NL005 off for plain PostgreSQL \
                    (`database-missing-neon-superuser = \"off\"` under [rules] in neonlint.toml)"
                .to_string();
        return vec![Finding::new("NL005", Object::database(database), message, help, None)];
    }
    catalog
        .databases
        .values()
        .filter_map(|database| {
            let missing = Privileges::ALL_DATABASE.without(catalog.database_privileges(database, NEON_SUPERUSER));
            if missing.is_empty() {
                return None;
            }
            let name = &database.name;
            let message = format!(
                "`{NEON_SUPERUSER}` lacks {missing} on database `{name}`: enabling the Data API there fails with \"permission denied to create extension pg_session_jwt\""
            );
            let help = format!("grant all privileges on database `{name}` to `{NEON_SUPERUSER}`");
            let sql = format!("GRANT ALL PRIVILEGES ON DATABASE {} TO {NEON_SUPERUSER};", quote_ident(name));
            let label = format!("created without {missing} for `{NEON_SUPERUSER}`");
            Some(Finding::new("NL005", Object::database(name), message, help, database.origin).with_label(label).with_fix(Fix::new(sql, Applicability::Safe, Phase::Database)))
        })
        .collect()
}
