//! NL013 auth-call-per-row: a policy expression calls `auth.user_id()`, `auth.uid()`,
//! `auth.session()`, `auth.jwt()` or `current_setting(…)` outside an uncorrelated scalar
//! subquery, so PostgreSQL evaluates it for every row instead of once per statement.
//! `(select auth.user_id()) = user_id` becomes an InitPlan and runs once; drizzle's
//! `(select auth.user_id() = user_id)` reads the row and still runs per row. Only `USING`
//! counts: it runs for every row a statement scans, while `WITH CHECK` runs for the rows
//! written (an INSERT policy is never reported). The fix hoists the calls in both.

use super::corrective;
use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::{Catalog, PolicyCommand};
use crate::policy_expr::{hoist_auth_calls, per_row_auth_calls};

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    let auth = super::auth_functions(catalog);
    for table in settings.exposed_tables(catalog) {
        for policy in &table.policies {
            // `USING` is evaluated for every row a statement scans; `WITH CHECK` only for the
            // rows it writes (one per inserted row), which a table's size does not multiply.
            let mut calls: Vec<String> = Vec::new();
            for call in policy.using.iter().flat_map(|expr| per_row_auth_calls(expr, &auth)) {
                if !calls.contains(&call) {
                    calls.push(call);
                }
            }
            if calls.is_empty() {
                continue;
            }
            let listed = calls.iter().map(|call| format!("`{call}`")).collect::<Vec<_>>().join(", ");
            let message = format!(
                "policy `{}` on `{}` calls {listed} for every row it checks: on a large table each request pays \
                 for it once per row",
                policy.name,
                table.qualified_name()
            );
            let help =
                "wrap each call in its own scalar subquery, `(select auth.user_id()) = user_id`, which \
                        PostgreSQL evaluates once per statement"
                    .to_string();
            let mut finding =
                Finding::new("NL013", Object::policy(table, policy), message, help, policy.origin)
                    .with_label(format!("{listed} evaluated per row"));
            let using = policy.using.as_deref().and_then(|expr| hoist_auth_calls(expr, &auth));
            let with_check = policy.with_check.as_deref().and_then(|expr| hoist_auth_calls(expr, &auth));
            if using.is_some() || with_check.is_some() {
                let mut sql = format!("ALTER POLICY {}", corrective::policy_name(table, policy));
                // INSERT policies have no USING.
                if let Some(using) = using.filter(|_| policy.command != PolicyCommand::Insert) {
                    sql.push_str(&format!("\n  USING ({using})"));
                }
                if let Some(with_check) = with_check {
                    sql.push_str(&format!("\n  WITH CHECK ({with_check})"));
                }
                sql.push(';');
                finding = finding.with_fix(Fix::new(sql, Applicability::Safe, Phase::Policy));
            }
            findings.push(finding);
        }
    }
    findings
}
