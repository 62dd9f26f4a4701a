//! NL012 security-definer-exposed: a `SECURITY DEFINER` function in an exposed schema
//! that a request role can execute. The Data API serves it as an RPC endpoint, and it
//! runs with its owner's rights, past row-level security. New functions are executable
//! by `PUBLIC` unless that is revoked. Without its own `search_path` the function can
//! also be made to call objects the caller created: then the finding is an error.

use super::corrective;
use super::{Applicability, Finding, Fix, Object, Phase, Settings, Severity};
use crate::model::{Catalog, Function, Privileges};

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    catalog
        .functions
        .values()
        // Procedures and trigger functions cannot be called through the Data API.
        .filter(|function| function.security_definer && !function.procedure && !function.trigger)
        .filter(|function| settings.is_exposed(&function.key.schema))
        .filter_map(|function| finding(catalog, settings, function))
        .collect()
}

fn finding(catalog: &Catalog, settings: &Settings, function: &Function) -> Option<Finding> {
    let callers: Vec<&str> = settings
        .request_roles()
        .into_iter()
        .filter(|role| catalog.role_exists(role))
        .filter(|role| catalog.function_privileges(function, role).contains(Privileges::EXECUTE))
        .collect();
    if callers.is_empty() {
        return None;
    }
    let name = &function.key;
    let who = callers.iter().map(|role| format!("`{role}`")).collect::<Vec<_>>().join(" and ");
    let mut message = format!(
        "SECURITY DEFINER function `{name}` can be called by {who} through the Data API: it runs with the rights \
         of its owner, past row-level security"
    );
    if !function.sets_search_path {
        message.push_str(
            ", and without its own `search_path` a caller can make it run objects of their choosing",
        );
    }
    let mut help = format!(
        "revoke EXECUTE on `{name}` from PUBLIC and the request roles (grant it back to the roles that need it), \
         or make it SECURITY INVOKER"
    );
    let mut sql = String::new();
    // Revoke from every grantee the callers hold EXECUTE through, unless one of them
    // calls it as (a member of) the owner, which no revoke changes.
    if let Some(from) =
        super::revoke_from(catalog, &function.owner, &[&function.acl], &callers, Privileges::EXECUTE)
    {
        sql.push_str(&format!(
            "REVOKE EXECUTE ON FUNCTION {} FROM {};",
            corrective::function_name(name),
            corrective::grantees(&from)
        ));
    }
    if !function.sets_search_path {
        help.push_str("; pin its `search_path` (`SET search_path = ''`, with schema-qualified names inside)");
        if !sql.is_empty() {
            sql.push('\n');
        }
        sql.push_str(&format!("ALTER FUNCTION {} SET search_path = '';", corrective::function_name(name)));
    }
    let label = if function.sets_search_path {
        "SECURITY DEFINER, callable through the Data API"
    } else {
        "SECURITY DEFINER without `SET search_path`, callable through the Data API"
    };
    let mut finding = Finding::new("NL012", Object::function(function), message, help, function.origin)
        .with_label(label)
        .with_fix(Fix::new(sql, Applicability::Review, Phase::Revoke));
    if !function.sets_search_path {
        finding.severity = Severity::Error;
    }
    Some(finding)
}
