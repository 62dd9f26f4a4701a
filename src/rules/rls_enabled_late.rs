//! NL016 rls-enabled-late (migrations only): a table in an exposed schema is created in
//! one migration file and gets row-level security only in a later one, while a request
//! role (an API role or the anonymous role) held a privilege on it. Migrations are
//! deployed one at a time, so between the two those roles could read (or change) every
//! row their grants allow. Enabling it in the same file is fine, and so is a table no
//! request role could use in between (no grant, no default privileges).

use super::{Finding, Object, Settings};
use crate::model::Catalog;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    settings
        .exposed_tables(catalog)
        .filter(|table| table.rls_enabled)
        .filter_map(|table| {
            let late = table.rls_enabled_late.as_ref()?;
            let name = table.qualified_name();
            let who = late.roles.iter().map(|role| format!("`{role}`")).collect::<Vec<_>>().join(" and ");
            let message = format!(
                "table `{name}` is created without row-level security and gets it only in a later migration: \
                 until that one is deployed, {who} can use every row through the Data API"
            );
            let help = format!(
                "enable row-level security on `{name}` in the migration that creates it \
                 (`ALTER TABLE {name} ENABLE ROW LEVEL SECURITY` right after `CREATE TABLE`)"
            );
            Some(
                Finding::new("NL016", Object::table(table), message, help, table.origin)
                    .with_label("created here without row-level security"),
            )
        })
        .collect()
}
