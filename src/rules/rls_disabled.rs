//! NL001 rls-disabled: a plain or partitioned table in an exposed schema with row-level
//! security off. Partitions count on their own: the parent's RLS does not apply when a
//! partition is queried directly.

use super::corrective;
use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::{Catalog, Privileges};

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    settings
        .exposed_tables(catalog)
        .filter(|table| !table.rls_enabled)
        .map(|table| {
            let name = table.qualified_name();
            let parent = table.partition_of.and_then(|id| catalog.table(id));
            // Whether a request can reach the table's rows today.
            let reachable = settings.request_roles().iter().any(|role| {
                let (table_level, column_level) = catalog.table_privileges(table, role);
                !((table_level | column_level) & Privileges::DML).is_empty()
            });
            let message = match parent {
                Some(parent) if reachable => format!(
                    "partition `{name}` has row-level security off: requests to it directly skip the policies of `{}` and see every row",
                    parent.qualified_name()
                ),
                Some(parent) => format!(
                    "partition `{name}` has row-level security off: no API role has a privilege on it today, but once one is granted, requests to it directly skip the policies of `{}` and see every row",
                    parent.qualified_name()
                ),
                None => format!(
                    "table `{name}` is exposed through the Data API with row-level security off: any role with grants on it can read and change every row"
                ),
            };
            let mut sql = corrective::enable_rls(table);
            let mut help = format!("enable row-level security on `{name}`");
            // A table with no permissive policy would return nothing once RLS is on: give it one.
            let roles = settings.signed_in_roles();
            if !table.policies.iter().any(|policy| policy.permissive)
                && parent.is_none()
                && let Some(policy) = corrective::policy_for(
                    catalog,
                    table,
                    &roles,
                    corrective::owner_policy_commands(catalog, table, &roles),
                )
            {
                sql.push('\n');
                sql.push_str(&policy);
                help.push_str(" and add a policy for the API roles");
            }
            // Point at the statement that turned RLS off, else at the CREATE TABLE.
            let (location, label) = match table.rls_origin {
                Some(span) => (Some(span), "row-level security turned off here"),
                None => (table.origin, "created without row-level security"),
            };
            Finding::new("NL001", Object::table(table), message, help, location).with_label(label).with_fix(Fix::new(sql, Applicability::Review, Phase::RowLevelSecurity))
        })
        .collect()
}
