//! NL014 policy-column-unindexed: a policy compares a column with an auth call
//! (`(select auth.user_id()) = user_id`) and no index on the table leads with that
//! column, so every request filters the whole table. One finding per table and column,
//! at the first policy that compares it.

use std::collections::BTreeSet;

use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::fix;
use crate::model::Catalog;
use crate::policy_expr::auth_compared_columns;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    for table in settings.exposed_tables(catalog).filter(|table| table.rls_enabled) {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for policy in &table.policies {
            let columns = [&policy.using, &policy.with_check]
                .into_iter()
                .flatten()
                .flat_map(|expr| auth_compared_columns(expr));
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
                let index = index_name(&table.name, &column);
                let sql = format!(
                    "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({});",
                    fix::ident(&index),
                    fix::table_name(table),
                    fix::ident(&column)
                );
                findings.push(
                    Finding::new("NL014", Object::table(table), message, help, policy.origin)
                        .with_label(format!("filters on `{column}`, which no index leads with"))
                        .with_fix(Fix { sql, applicability: Applicability::Review, phase: Phase::Index }),
                );
            }
        }
    }
    findings
}

/// PostgreSQL's own choice for `CREATE INDEX ON table (column)`: `table_column_idx`,
/// kept within the 63-byte identifier limit.
fn index_name(table: &str, column: &str) -> String {
    let mut name = format!("{table}_{column}");
    while name.len() > 63 - "_idx".len() {
        name.pop();
    }
    name + "_idx"
}
