//! NL002 rls-no-policy: row-level security is on in an exposed schema but no permissive
//! policy exists (none at all, or only restrictive ones, which can only narrow what a
//! permissive policy allows), so every API request sees no rows and every write fails.
//! Partitions are skipped: requests reach their rows through the parent's policies.

use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::fix::{self, PolicyFallback};
use crate::model::Catalog;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    settings
        .exposed_tables(catalog)
        .filter(|table| table.rls_enabled && !table.is_partition())
        .filter(|table| !table.policies.iter().any(|policy| policy.permissive))
        .map(|table| {
            let name = table.qualified_name();
            let (message, label) = if table.policies.is_empty() {
                (
                    format!(
                        "table `{name}` has row-level security on but no policy: the Data API returns no rows and refuses every write"
                    ),
                    "row-level security on, and no policy follows",
                )
            } else {
                let names: Vec<String> = table.policies.iter().map(|policy| format!("`{}`", policy.name)).collect();
                (
                    format!(
                        "table `{name}` has only restrictive policies ({}), which narrow what permissive policies allow; \
                         with no permissive policy the Data API returns no rows and refuses every write",
                        names.join(", ")
                    ),
                    "row-level security on, and no permissive policy follows",
                )
            };
            let help = format!("add a permissive policy on `{name}` that says which rows each API role may use");
            let sql = fix::policy_template(table, settings, PolicyFallback::Skeleton).unwrap_or_default();
            Finding::new("NL002", Object::table(table), message, help, table.rls_origin.or(table.origin))
                .with_label(label)
                .with_fix(Fix { sql, applicability: Applicability::Review, phase: Phase::Policy })
        })
        .collect()
}
