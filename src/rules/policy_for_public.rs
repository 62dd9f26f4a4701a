//! NL009 policy-for-public: a permissive policy on an exposed table with no `TO`, so it
//! applies to `PUBLIC`: every role, including the anonymous role of requests without a
//! token. Naming the roles says who the rows are for.

use super::corrective;
use super::usable::lets_rows_through;
use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::{Catalog, Grantee, PolicyCommand};
use crate::sql::quote_ident;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    for table in settings.exposed_tables(catalog) {
        // A policy that lets nothing through (empty, or never true) gives PUBLIC nothing.
        for policy in table.policies.iter().filter(|p| {
            p.permissive && p.roles.contains(&Grantee::Public) && lets_rows_through(p, PolicyCommand::All)
        }) {
            let message = format!(
                "policy `{}` on `{}` applies to PUBLIC (no `TO`, or `TO public`): also to `{}`, the role of requests \
                 without a token",
                policy.name,
                table.qualified_name(),
                settings.anonymous_role
            );
            let roles: Vec<&String> =
                settings.api_roles.iter().filter(|role| **role != settings.anonymous_role).collect();
            let named = roles.iter().map(|role| format!("`{role}`")).collect::<Vec<_>>().join(", ");
            let help = format!(
                "name the roles the policy is for (`TO {named}`); if anonymous access is intended, say so with \
                 `TO {}`",
                settings.anonymous_role
            );
            let mut finding =
                Finding::new("NL009", Object::policy(table, policy), message, help, policy.origin)
                    .with_label("applies to every role (PUBLIC)");
            if !roles.is_empty() {
                let sql = format!(
                    "ALTER POLICY {} TO {};",
                    corrective::policy_name(table, policy),
                    roles.iter().map(|role| quote_ident(role)).collect::<Vec<_>>().join(", ")
                );
                finding = finding.with_fix(Fix::new(sql, Applicability::Review, Phase::Policy));
            }
            findings.push(finding);
        }
    }
    findings
}
