//! NL020 unknown-auth-function: a policy or a function body calls an `auth.*` function that
//! neither the migrations (or the database) define nor Neon's `pg_session_jwt` provides:
//! Supabase's `auth.role()` and `auth.email()`, most often. On Neon the statement that creates
//! the policy, or the SQL function, fails with 'function auth.role() does not exist' (a
//! plpgsql body fails when it runs). `pg_session_jwt` 0.5.0 defines `auth.init()`,
//! `auth.jwt_session_init(text)`, `auth.session()`, `auth.jwt()`, `auth.user_id()`,
//! `auth.uid()`, `auth.organization()` and `auth.organization_id()`.

use std::collections::HashSet;

use super::{Finding, Object, Settings};
use crate::model::Catalog;
use crate::policy_expr::called_functions;

/// The functions of schema `auth` that `pg_session_jwt` (0.5.0) creates.
const PG_SESSION_JWT: &[&str] =
    &["init", "jwt_session_init", "session", "jwt", "user_id", "uid", "organization", "organization_id"];

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let defined: HashSet<&str> =
        catalog.functions.keys().filter(|key| key.schema == "auth").map(|key| key.name.as_str()).collect();
    let unknown = |name: &str| !PG_SESSION_JWT.contains(&name) && !defined.contains(name);
    let mut findings = Vec::new();
    for table in settings.relations(catalog) {
        for policy in &table.policies {
            let calls = policy.using.iter().chain(&policy.with_check).flat_map(|expr| called_functions(expr));
            let mut missing: Vec<String> = Vec::new();
            for (schema, name) in calls {
                if schema.as_deref() == Some("auth") && unknown(&name) && !missing.contains(&name) {
                    missing.push(name);
                }
            }
            if !missing.is_empty() {
                let what = format!("policy `{}` on `{}`", policy.name, table.qualified_name());
                let when = "creating it fails on Neon";
                findings.push(finding(Object::policy(table, policy), policy.origin, &what, &missing, when));
            }
        }
    }
    for function in catalog.functions.values() {
        let Some(body) = &function.body else { continue };
        let mut missing: Vec<String> = Vec::new();
        for (schema, name) in &body.calls {
            if schema.as_deref() == Some("auth") && unknown(name) && !missing.contains(name) {
                missing.push(name.clone());
            }
        }
        if !missing.is_empty() {
            let what =
                format!("function `{}.{}({})`", function.key.schema, function.key.name, function.key.args);
            let when = "it fails on Neon (a SQL function when it is created, a plpgsql one when it runs)";
            findings.push(finding(Object::function(function), function.origin, &what, &missing, when));
        }
    }
    findings
}

fn finding(
    object: Object,
    origin: Option<crate::model::Span>,
    what: &str,
    missing: &[String],
    when: &str,
) -> Finding {
    let calls = missing.iter().map(|name| format!("`auth.{name}()`")).collect::<Vec<_>>().join(", ");
    let first = &missing[0];
    let message = format!(
        "{what} calls {calls}, which Neon does not have (it is Supabase's; Neon's pg_session_jwt provides \
         `auth.user_id()`, `auth.uid()`, `auth.session()` and `auth.jwt()`): {when} with \
         `function auth.{first}() does not exist`"
    );
    let instead = match first.as_str() {
        "role" => "for the request's role use `current_user` (`authenticated` or `anonymous`), or \
                   `(select auth.session() ->> 'role')` for the token's `role` claim"
            .to_string(),
        "email" => {
            "read the claim from the token: `(select auth.session() ->> 'email')`, if your tokens carry one"
                .to_string()
        }
        other => format!(
            "read what `auth.{other}()` gave from the token's claims with `(select auth.session() ->> '…')`"
        ),
    };
    let help = format!("{instead}; or define `auth.{first}()` in a migration before it is used");
    Finding::new("NL020", object, message, help, origin)
        .with_label(format!("`auth.{first}()` does not exist on Neon"))
}
