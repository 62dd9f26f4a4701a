//! NL014 policy-column-unindexed: a policy's `USING` compares a column with an auth call
//! (`(select auth.user_id()) = user_id`) and no index on the table leads with that
//! column, so every request filters the whole table. When the policy casts the column
//! (`owner::uuid = (select auth.uid())`), an index on the column cannot serve the
//! comparison: only an index on the same cast can. Only comparisons every row must pass
//! count (`policy_expr::auth_compared_keys`: an `OR` with a branch no key narrows reads the
//! whole table whatever is indexed). One finding per table and compared key, at the first
//! policy that compares it.

use std::collections::BTreeSet;

use super::{Applicability, Finding, Fix, Object, Phase, Settings, corrective};
use crate::model::{Catalog, Column, ColumnCast, Table, TableKind};
use crate::policy_expr::auth_compared_keys;
use crate::sql::quote_ident;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    let auth = super::auth_functions(catalog);
    // Tables with RLS off count too: their policies apply once it is on (NL006).
    for table in settings.exposed_tables(catalog) {
        let mut seen: BTreeSet<(String, Option<String>)> = BTreeSet::new();
        for policy in &table.policies {
            // Only USING filters the rows a request reads, updates or deletes; WITH CHECK
            // looks at the new row alone, which no index helps.
            let keys = policy.using.iter().flat_map(|expr| auth_compared_keys(expr, &auth));
            for (column_name, cast) in keys {
                let Some(column) = table.column(&column_name) else { continue };
                if !seen.insert((column_name.clone(), cast.clone()))
                    || indexed(table, &column_name, cast.as_deref())
                {
                    continue;
                }
                let name = table.qualified_name();
                // A partitioned table cannot be indexed concurrently: PostgreSQL builds the
                // index on each partition, holding locks meanwhile.
                let concurrently = table.kind != TableKind::PartitionedTable;
                let (message, help, sql) = match &cast {
                    None => (
                        format!(
                            "policy `{}` compares `{column_name}` with the caller's identity, and no index on \
                             `{name}` leads with `{column_name}`: every request reads the whole table",
                            policy.name
                        ),
                        format!("add an index on `{name}` that leads with `{column_name}`"),
                        Some(corrective::create_index(table, &column_name, concurrently)),
                    ),
                    Some(type_name) => (
                        format!(
                            "policy `{}` compares `{column_name}` cast to `{type_name}` with the caller's identity: \
                             an index on `{column_name}` cannot serve the cast, and no index on `{name}` leads \
                             with `({column_name}::{type_name})`, so every request reads the whole table",
                            policy.name
                        ),
                        format!(
                            "compare the column as it is stored (cast the caller's id instead), or add an index on \
                             `({column_name}::{type_name})`"
                        ),
                        expression_index(table, column, type_name, concurrently),
                    ),
                };
                let label = match &cast {
                    None => format!("filters on `{column_name}`, which no index leads with"),
                    Some(type_name) => {
                        format!("filters on `{column_name}::{type_name}`, which no index serves")
                    }
                };
                let mut finding = Finding::new("NL014", Object::table(table), message, help, policy.origin)
                    .with_label(label);
                if let Some(sql) = sql {
                    finding = finding.with_fix(Fix::new(sql, Applicability::Review, Phase::Index));
                }
                findings.push(finding);
            }
        }
    }
    findings
}

/// Whether an index on `table` leads with the column, or with its cast to `cast`.
fn indexed(table: &Table, column: &str, cast: Option<&str>) -> bool {
    table.indexes.iter().any(|index| match cast {
        None => index.first_column.as_deref() == Some(column),
        Some(type_name) => index.first_cast.as_ref().is_some_and(|key| {
            *key == ColumnCast { column: column.to_string(), type_name: type_name.to_string() }
        }),
    })
}

/// `CREATE INDEX … ((column::type))`, when the cast is one PostgreSQL accepts in an index
/// (an immutable conversion between text, uuid and integer types); `None` otherwise.
fn expression_index(table: &Table, column: &Column, type_name: &str, concurrently: bool) -> Option<String> {
    const INDEXABLE: &[&str] = &[
        "text",
        "character varying",
        "varchar",
        "uuid",
        "integer",
        "int",
        "int4",
        "bigint",
        "int8",
        "smallint",
        "int2",
    ];
    let from = column.type_name.split('(').next().unwrap_or_default().trim();
    let to = type_name.split('(').next().unwrap_or_default().trim();
    if !INDEXABLE.contains(&from) || !INDEXABLE.contains(&to) {
        return None;
    }
    let key = format!("({}::{type_name})", quote_ident(&column.name));
    let label = format!("{}_{}", column.name, to.replace(' ', "_"));
    Some(corrective::create_index_on(table, &label, &key, concurrently))
}
