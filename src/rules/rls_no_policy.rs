//! NL002 rls-no-policy: row-level security is on in an exposed schema but no policy
//! exists, so every API request sees no rows and every write fails. Partitions are
//! skipped: requests reach their rows through the parent's policies.

use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::fix::{self, PolicyFallback};
use crate::model::Catalog;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    settings
        .exposed_tables(catalog)
        .filter(|table| table.rls_enabled && table.policies.is_empty() && !table.is_partition())
        .map(|table| {
            let name = table.qualified_name();
            let message = format!(
                "table `{name}` has row-level security on but no policy: the Data API returns no rows and refuses every write"
            );
            let help = format!("add a policy on `{name}` that says which rows each API role may use");
            let sql = fix::policy_template(table, settings, PolicyFallback::Skeleton).unwrap_or_default();
            Finding::new("NL002", Object::table(table), message, help, table.rls_origin.or(table.origin))
                .with_label("row-level security on, and no policy follows")
                .with_fix(Fix { sql, applicability: Applicability::Review, phase: Phase::Policy })
        })
        .collect()
}
