//! NL010 policy-always-true: a permissive policy for INSERT, UPDATE, DELETE or ALL whose
//! USING or WITH CHECK is always true (`true`, `(true)`, `1 = 1`, …), so it lets the
//! request roles it applies to write any row. `FOR SELECT USING (true)` is a deliberate
//! public read and is not reported, nor is an INSERT policy that names the anonymous role
//! (a sign-up or contact form that takes any row from anyone); restrictive policies only narrow. A policy for roles
//! that no request runs as (`TO svc`, when no API role is a member of `svc`) is none of
//! the Data API's business.

use super::{Finding, Object, Settings};
use crate::model::{Catalog, Grantee, Policy, PolicyCommand};
use crate::policy_expr::is_always_true;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    for table in settings.exposed_tables(catalog) {
        for policy in table.policies.iter().filter(|p| p.permissive && p.command != PolicyCommand::Select) {
            let using = policy.using.as_deref().is_some_and(is_always_true);
            // ALL and UPDATE policies without WITH CHECK check new rows with USING.
            let with_check = match (&policy.with_check, policy.command) {
                (Some(expr), _) => is_always_true(expr),
                (None, PolicyCommand::All | PolicyCommand::Update) => using,
                (None, _) => false,
            };
            let Some(what) = what_it_allows(policy.command, using, with_check) else { continue };
            // `FOR INSERT TO anonymous WITH CHECK (true)`: a sign-up or contact form that
            // takes any row from anyone, on purpose (the policy names the anonymous role).
            if policy.command == PolicyCommand::Insert
                && policy.roles.contains(&Grantee::Role(settings.anonymous_role.clone()))
            {
                continue;
            }
            let roles = request_roles_of(catalog, settings, policy);
            if roles.is_empty() {
                continue;
            }
            let clause = match (using, with_check) {
                (true, true) if policy.with_check.is_some() => "USING and WITH CHECK",
                (true, _) => "USING",
                _ => "WITH CHECK",
            };
            let who = roles.iter().map(|role| format!("`{role}`")).collect::<Vec<_>>().join(" and ");
            let message = format!(
                "policy `{}` on `{}` ({}) has a {clause} that is always true: {who} can {what}",
                policy.name,
                table.qualified_name(),
                policy.command.sql(),
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

/// What an always-true USING (rows a command may touch) and WITH CHECK (rows it may
/// write) let a request do; `None` when neither is always true for the command.
fn what_it_allows(command: PolicyCommand, using: bool, with_check: bool) -> Option<&'static str> {
    Some(match (command, using, with_check) {
        (PolicyCommand::Insert, _, true) => "insert any row",
        (PolicyCommand::Delete, true, _) => "delete every row",
        (PolicyCommand::Update, true, true) => "change every row to anything",
        (PolicyCommand::Update, true, false) => "change every row",
        (PolicyCommand::Update, false, true) => "change the rows they may update to anything",
        (PolicyCommand::All, true, true) => "read, change and delete every row, and insert any row",
        (PolicyCommand::All, true, false) => "read, change and delete every row",
        (PolicyCommand::All, false, true) => {
            "insert any row, and change the rows they may update to anything"
        }
        _ => return None,
    })
}

/// The request roles (API roles and the anonymous role) a policy applies to: by name,
/// through `PUBLIC`, or through a role they are members of.
fn request_roles_of<'a>(catalog: &Catalog, settings: &'a Settings, policy: &Policy) -> Vec<&'a str> {
    settings
        .request_roles()
        .into_iter()
        .filter(|role| catalog.role_exists(role))
        .filter(|role| {
            let grantees = catalog.effective_grantees(role);
            policy.roles.iter().any(|grantee| grantees.contains(grantee) || *grantee == Grantee::Public)
        })
        .collect()
}
