//! NL006 policy-rls-disabled: a table has policies while row-level security is off, so
//! PostgreSQL ignores them. Any schema: the policies are dead code wherever they are.

use super::corrective;
use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::Catalog;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    settings
        .relations(catalog)
        .filter(|table| table.kind.has_rows() && !table.rls_enabled && !table.policies.is_empty())
        .map(|table| {
            let name = table.qualified_name();
            // By name, as the catalog lists them (migrations create them in any order).
            let mut policies: Vec<String> =
                table.policies.iter().map(|policy| format!("`{}`", policy.name)).collect();
            policies.sort();
            let message = format!(
                "table `{name}` has {} ({}) but row-level security is off, so PostgreSQL ignores {}",
                if policies.len() == 1 { "a policy" } else { "policies" },
                policies.join(", "),
                if policies.len() == 1 { "it" } else { "them" }
            );
            let help = format!("enable row-level security on `{name}` so its policies take effect");
            // The statement that turned RLS off explains it best; else the first policy.
            let (location, label) = match table.rls_origin {
                Some(span) => (Some(span), "row-level security turned off here"),
                None => (table.policies[0].origin.or(table.origin), "this policy has no effect"),
            };
            Finding::new("NL006", Object::table(table), message, help, location).with_label(label).with_fix(
                Fix::new(corrective::enable_rls(table), Applicability::Review, Phase::RowLevelSecurity),
            )
        })
        .collect()
}
