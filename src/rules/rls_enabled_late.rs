//! NL016 rls-enabled-late (migrations only): a table in an exposed schema is created in
//! one migration file and gets row-level security only in a later one. Migrations are
//! deployed one at a time, so between the two every row is readable through the API.
//! Enabling it in the same file is fine.

use super::{Finding, Object, Settings};
use crate::model::Catalog;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    settings
        .exposed_tables(catalog)
        .filter(|table| table.rls_enabled)
        .filter_map(|table| {
            table.rls_enabled_late?;
            let name = table.qualified_name();
            let message = format!(
                "table `{name}` is created without row-level security and gets it only in a later migration: \
                 until that one is deployed, every row is readable through the Data API"
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
