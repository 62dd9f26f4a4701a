//! NL010 policy-always-true: a permissive policy for INSERT, UPDATE, DELETE or ALL whose
//! USING or WITH CHECK is always true (`true`, `(true)`, `1 = 1`, …), so it lets every
//! role it applies to write any row. `FOR SELECT USING (true)` is a deliberate public
//! read and is not reported; restrictive policies only narrow.

use super::{Finding, Object, Settings};
use crate::model::{Catalog, PolicyCommand};
use crate::policy_expr::is_always_true;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    for table in settings.exposed_tables(catalog) {
        for policy in table.policies.iter().filter(|p| p.permissive && p.command != PolicyCommand::Select) {
            let clause = [("USING", &policy.using), ("WITH CHECK", &policy.with_check)]
                .into_iter()
                .find_map(|(clause, expr)| expr.as_deref().filter(|e| is_always_true(e)).map(|_| clause));
            let Some(clause) = clause else { continue };
            let message = format!(
                "policy `{}` on `{}` allows {} with a {clause} that is always true: every role it applies to can \
                 {} any row",
                policy.name,
                table.qualified_name(),
                policy.command.sql(),
                match policy.command {
                    PolicyCommand::Insert => "insert",
                    PolicyCommand::Update => "change",
                    PolicyCommand::Delete => "delete",
                    _ => "read and write",
                }
            );
            let help =
                "say which rows each role may write, for example `(select auth.user_id()) = user_id`; \
                        if every row really is open to them, name the roles and suppress this with a reason"
                    .to_string();
            findings.push(
                Finding::new("NL010", Object::policy(table, policy), message, help, policy.origin)
                    .with_label(format!("{clause} is always true")),
            );
        }
    }
    findings
}
