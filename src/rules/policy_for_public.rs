//! NL009 policy-for-public: a permissive policy on an exposed table with no `TO`, so it
//! applies to `PUBLIC`, that does not look at who asks, on a table the anonymous role has
//! no privilege on yet. Today no request without a token
//! gets through it; the first grant to the anonymous role (a schema-wide `GRANT`, default
//! privileges) would let such requests through with the signed-in users' rows. Naming the
//! roles keeps that grant from widening access.
//!
//! Silent where the finding would not be true or not the Data API's business: the
//! anonymous role (or `anon`, `web_anon`: a project written for Supabase or PostgREST)
//! already holds the privilege (access for it was granted on purpose, and
//! NL010 reports always-true policies), the policy reads the requester (an auth call, any function, a role
//! keyword, in every branch of its `OR`: it tells a request without a token from a
//! signed-in one), or RLS is off.

use super::corrective;
use super::usable::lets_rows_through;
use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::{Catalog, Grantee, Policy, PolicyCommand, Table};
use crate::policy_expr::has_branch_ignoring_requester;
use crate::sql::quote_ident;

/// The roles of requests without a token in the Data APIs projects come from: Supabase's
/// and the PostgREST tutorial's.
const FOREIGN_ANONYMOUS_ROLES: [&str; 2] = ["anon", "web_anon"];

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    for table in settings.exposed_tables(catalog).filter(|table| table.rls_enabled) {
        let held = |role: &str| {
            let (table_level, column_level) = catalog.table_privileges(table, role);
            table_level | column_level
        };
        // What the anonymous role holds on purpose: NL015 reports the rest (a write a
        // policy for PUBLIC lets it make is no choice), and its fix leaves it nothing.
        // A grant to another Data API's anonymous role (Supabase's `anon`, PostgREST's
        // `web_anon`) says the same of a project written for it: reads without a token
        // are meant (issue 9's second re-judge: public directories granting `anon`).
        let on_purpose =
            |role: &str| held(role).without(super::anonymous_access::risky_privileges(catalog, table, role));
        let anonymous = FOREIGN_ANONYMOUS_ROLES
            .iter()
            .filter(|role| **role != settings.anonymous_role)
            .fold(on_purpose(&settings.anonymous_role), |all, role| all | on_purpose(role));
        // A policy that lets nothing through (empty, or never true) gives PUBLIC nothing.
        for policy in table.policies.iter().filter(|p| {
            p.permissive && p.roles.contains(&Grantee::Public) && lets_rows_through(p, PolicyCommand::All)
        }) {
            let needs = policy.command.privileges();
            if !(anonymous & needs).is_empty()
                || !policy
                    .using
                    .iter()
                    .chain(policy.with_check.iter())
                    .all(|expr| has_branch_ignoring_requester(expr))
            {
                continue;
            }
            let message = format!(
                "policy `{}` on `{}` applies to PUBLIC (no `TO`, or `TO public`) and lets rows through without looking at who asks: \
                 `{}`, the role of requests without a token, holds no {} privilege on the table yet; the first \
                 grant to it (a schema-wide GRANT, default privileges) lets those requests through this policy, \
                 with the same rows as signed-in users",
                policy.name,
                table.qualified_name(),
                settings.anonymous_role,
                needs.names().join(" or ")
            );
            let named = settings
                .signed_in_roles()
                .iter()
                .map(|role| format!("`{role}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let help = format!(
                "name the roles the policy is for (`TO {named}`, and every other role that uses the table); if \
                 anonymous access is intended, say so with `TO {}` and grant it",
                settings.anonymous_role
            );
            let mut finding =
                Finding::new("NL009", Object::policy(table, policy), message, help, policy.origin)
                    .with_label("applies to every role (PUBLIC)");
            if let Some(sql) = fix(table, policy, settings) {
                finding = finding.with_fix(Fix::new(sql, Applicability::Review, Phase::Policy));
            }
            findings.push(finding);
        }
    }
    findings
}

/// `ALTER POLICY … TO` the signed-in API roles and every other role that holds a privilege
/// on the table (they relied on the policy applying to PUBLIC: naming only the API roles
/// would lock them out), but not the anonymous role; the owner too when RLS is forced on
/// it. `None` when PUBLIC itself holds a privilege on the table (any role may rely on the
/// policy, and no list can name them all) or when there is no role to name.
fn fix(table: &Table, policy: &Policy, settings: &Settings) -> Option<String> {
    let grantees = || table.acl.iter().chain(table.column_acl.iter());
    if grantees().any(|(grantee, held)| *grantee == Grantee::Public && !held.is_empty()) {
        return None;
    }
    let mut roles: Vec<String> = settings.signed_in_roles().iter().map(|role| role.to_string()).collect();
    let mut add = |role: &str| {
        if role != settings.anonymous_role && !roles.iter().any(|known| known == role) {
            roles.push(role.to_string());
        }
    };
    // The owner skips RLS (unless it is forced, below): its own grants need no policy.
    for (grantee, held) in grantees() {
        if let Grantee::Role(role) = grantee
            && !held.is_empty()
            && table.owner.as_deref() != Some(role.as_str())
        {
            add(role);
        }
    }
    if table.rls_forced
        && let Some(owner) = &table.owner
    {
        add(owner);
    }
    if roles.is_empty() {
        return None;
    }
    let to = roles.iter().map(|role| quote_ident(role)).collect::<Vec<_>>().join(", ");
    Some(format!("ALTER POLICY {} TO {to};", corrective::policy_name(table, policy)))
}
