//! NL014 policy-column-unindexed: a policy's `USING` compares a column with an auth call
//! (`(select auth.user_id()) = user_id`) and no index on the table leads with that
//! column, so every request filters the whole table. One finding per table and column,
//! at the first policy that compares it.

use std::collections::BTreeSet;

use super::corrective;
use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::{Catalog, TableKind};
use crate::policy_expr::auth_compared_columns;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    let auth = super::auth_functions(catalog);
    // Tables with RLS off count too: their policies apply once it is on (NL006).
    for table in settings.exposed_tables(catalog) {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for policy in &table.policies {
            // Only USING filters the rows a request reads, updates or deletes; WITH CHECK
            // looks at the new row alone, which no index helps.
            let columns = policy.using.iter().flat_map(|expr| auth_compared_columns(expr, &auth));
            for column in columns {
                if table.column(&column).is_none() || !seen.insert(column.clone()) {
                    continue;
                }
                if table.indexes.iter().any(|index| index.first_column.as_deref() == Some(column.as_str())) {
                    continue;
                }
                let name = table.qualified_name();
                let message = format!(
                    "policy `{}` compares `{column}` with the caller's id, and no index on `{name}` leads with \
                     `{column}`: every request reads the whole table",
                    policy.name
                );
                let help = format!("add an index on `{name}` that leads with `{column}`");
                // A partitioned table cannot be indexed concurrently: PostgreSQL builds the
                // index on each partition, holding locks meanwhile.
                let sql = corrective::create_index(table, &column, table.kind != TableKind::PartitionedTable);
                findings.push(
                    Finding::new("NL014", Object::table(table), message, help, policy.origin)
                        .with_label(format!("filters on `{column}`, which no index leads with"))
                        .with_fix(Fix::new(sql, Applicability::Review, Phase::Index)),
                );
            }
        }
    }
    findings
}
