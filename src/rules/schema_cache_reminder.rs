//! NL017 schema-cache-reminder (migrations only): a migration file changes what the Data
//! API serves (tables, views, functions or columns in exposed schemas). The API keeps a
//! cache of the schema, so the change is not served until the cache is refreshed. A
//! `NOTIFY pgrst, 'reload schema'` after the change, in the same file, refreshes it.

use super::{Finding, Object, ObjectKind, Settings};
use crate::model::Catalog;

pub fn check(catalog: &Catalog, _settings: &Settings) -> Vec<Finding> {
    catalog
        .api_changes
        .iter()
        .filter(|change| !change.reloads)
        .map(|change| {
            let message =
                "this migration changes what the Data API serves; the API serves its cached schema until \
                           the cache is refreshed"
                    .to_string();
            let help =
                "end the migration with `NOTIFY pgrst, 'reload schema';`, or refresh the schema cache after \
                        deploying (the Data API page of the Neon Console, or `neon data-api refresh-schema`)"
                    .to_string();
            // The pipeline names the file: rules only see its id.
            let object = Object {
                kind: ObjectKind::Statement,
                schema: None,
                name: String::new(),
                table: None,
                args: None,
            };
            Finding::new("NL017", object, message, help, Some(change.first))
                .with_label("changes the API's schema; no reload follows")
        })
        .collect()
}
