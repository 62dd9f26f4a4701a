//! NL012 security-definer-exposed: a `SECURITY DEFINER` function in an exposed schema
//! that a request role can execute. The Data API serves it as an RPC endpoint, and it
//! runs with its owner's rights, past row-level security. New functions are executable
//! by `PUBLIC` unless that is revoked. Without its own `search_path` the function can
//! also be made to call objects the caller created: then the finding is an error. A role
//! the function is granted to by name is meant to call it (an RPC served on purpose): it
//! is not reported and nothing is revoked from it.
//!
//! The fix must not break what works (issue 9). A policy that calls the function runs it
//! as the querying role, which needs EXECUTE: every role a calling policy applies to and
//! that can query the policy's table keeps (or gets back) EXECUTE. And the `search_path`
//! it pins must still resolve the body: `''` only when every name in it is qualified, else
//! the schemas its names live in, then `pg_temp`.

use std::collections::BTreeSet;

use super::{Applicability, Finding, Fix, Object, Phase, Settings, Severity, corrective};
use crate::model::{Catalog, Function, Grantee, Privileges, Table};
use crate::policy_expr::called_functions;
use crate::sql::quote_ident;

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
    // A role the function is granted to by name is meant to call it (an RPC the project
    // serves on purpose): neither reported for it nor revoked from it.
    let granted =
        |role: &str| function.acl.get(&Grantee::Role(role.to_string())).contains(Privileges::EXECUTE);
    let callers: Vec<&str> = callers.into_iter().filter(|role| !granted(role)).collect();
    let name = &function.key;
    if callers.is_empty() {
        return (!function.sets_search_path).then(|| search_path_only(catalog, function));
    }
    let needs = PolicyNeeds::of(catalog, settings, function);
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
    let kept: Vec<&str> = callers.iter().copied().filter(|role| needs.includes(role)).collect();
    if !kept.is_empty() {
        message.push_str(&format!(
            "; policies call it ({}), so {} must keep EXECUTE",
            needs.describe(),
            kept.iter().map(|role| format!("`{role}`")).collect::<Vec<_>>().join(" and ")
        ));
    }
    let mut help = format!(
        "revoke EXECUTE on `{name}` from PUBLIC and the request roles (grant it back to the roles that need it), \
         or make it SECURITY INVOKER"
    );
    if !kept.is_empty() {
        help.push_str(
            "; a function that policies need stays callable by the roles they apply to: to close the RPC \
             endpoint, move it to a schema the Data API does not expose (policies keep working)",
        );
    }
    let mut statements = revoke(catalog, settings, function, &callers, &needs);
    if !function.sets_search_path {
        help.push_str("; pin its `search_path` to the schemas its body uses, then `pg_temp`");
        if let Some(path) = search_path(catalog, function) {
            statements.push(format!(
                "ALTER FUNCTION {} SET search_path = {path};",
                corrective::function_name(name)
            ));
        }
    }
    let label = if function.sets_search_path {
        "SECURITY DEFINER, callable through the Data API"
    } else {
        "SECURITY DEFINER without `SET search_path`, callable through the Data API"
    };
    let mut finding =
        Finding::new("NL012", Object::function(function), message, help, function.origin).with_label(label);
    if !statements.is_empty() {
        finding = finding.with_fix(Fix::new(statements.join("\n"), Applicability::Review, Phase::Revoke));
    }
    if !function.sets_search_path {
        finding.severity = Severity::Error;
    }
    Some(finding)
}

/// A function granted by name to every request role that can call it: an RPC served on
/// purpose, whose only fault is the missing `search_path` (an error: a caller can make
/// it run objects of their choosing). The fix pins the path and revokes nothing.
fn search_path_only(catalog: &Catalog, function: &Function) -> Finding {
    let name = &function.key;
    let message = format!(
        "SECURITY DEFINER function `{name}`, granted to API roles, has no `search_path` of its own: a caller can \
         make it run objects of their choosing with the rights of its owner"
    );
    let help = "pin its `search_path` to the schemas its body uses, then `pg_temp`".to_string();
    let mut finding = Finding::new("NL012", Object::function(function), message, help, function.origin)
        .with_label("SECURITY DEFINER without `SET search_path`");
    if let Some(path) = search_path(catalog, function) {
        let sql = format!("ALTER FUNCTION {} SET search_path = {path};", corrective::function_name(name));
        finding = finding.with_fix(Fix::new(sql, Applicability::Review, Phase::Revoke));
    }
    finding.severity = Severity::Error;
    finding
}

/// `REVOKE EXECUTE` from the grantees the callers that do not need the function hold it
/// through, and `GRANT EXECUTE` back to every role that would lose it and may use it: a
/// role a calling policy needs it for, and, when PUBLIC loses it, each of the project's own
/// roles (see `project_roles`: a backend calling the function as an RPC of its own holds
/// EXECUTE only through PUBLIC, as every new function gives). Empty when nothing can be
/// revoked.
fn revoke(
    catalog: &Catalog,
    settings: &Settings,
    function: &Function,
    callers: &[&str],
    needs: &PolicyNeeds,
) -> Vec<String> {
    let cut: Vec<&str> = callers.iter().copied().filter(|role| !needs.includes(role)).collect();
    // A caller that acts as the owner keeps EXECUTE whatever is revoked.
    let Some(mut from) =
        super::revoke_from(catalog, &function.owner, &[&function.acl], &cut, Privileges::EXECUTE)
    else {
        return Vec::new();
    };
    if needs.public {
        // Every role that can query the table runs the policy: PUBLIC keeps it.
        from.retain(|grantee| *grantee != Grantee::Public);
    }
    if from.is_empty() {
        return Vec::new();
    }
    let name = corrective::function_name(&function.key);
    let mut statements =
        vec![format!("REVOKE EXECUTE ON FUNCTION {name} FROM {};", corrective::grantees(&from))];
    let mut keep: Vec<(String, String)> = needs.roles.clone();
    if from.contains(&Grantee::Public) {
        for (role, reason) in project_roles(catalog, settings) {
            if !keep.iter().any(|(known, _)| *known == role) {
                keep.push((role, reason));
            }
        }
    }
    for (role, reason) in &keep {
        if catalog.acts_as(role, &function.owner) {
            continue;
        }
        let grantees = catalog.effective_grantees(role);
        let still_held = function.acl.iter().any(|(grantee, held)| {
            grantees.contains(grantee) && held.contains(Privileges::EXECUTE) && !from.contains(grantee)
        });
        if !still_held {
            statements.push(corrective::comment(&format!("`{role}` keeps EXECUTE: {reason}.")));
            statements.push(format!("GRANT EXECUTE ON FUNCTION {name} TO {};", quote_ident(role)));
        }
    }
    statements
}

/// The project's own roles, each with why it counts: a role other than the request roles
/// that holds a privilege on a relation of an exposed schema or that a policy there names
/// (a backend, a worker), and is not the relation's owner. PUBLIC's EXECUTE on a function
/// may be all that lets such a role call it, and nothing says it does not.
fn project_roles(catalog: &Catalog, settings: &Settings) -> Vec<(String, String)> {
    let request = settings.request_roles();
    let mut roles: Vec<(String, String)> = Vec::new();
    for table in catalog.tables().filter(|table| settings.is_exposed(&table.schema)) {
        for role in roles_named_by(table) {
            if request.contains(&role.as_str())
                || catalog.acts_as(role, &table.owner)
                || roles.iter().any(|(known, _)| known == role)
            {
                continue;
            }
            let reason = format!(
                "a role of the project (it has privileges on or policies for `{}`) may call it, and held EXECUTE only through PUBLIC",
                table.qualified_name()
            );
            roles.push((role.clone(), reason));
        }
    }
    roles
}

/// The roles that run `function` inside a policy: those a calling policy applies to and
/// that hold a privilege on its table (without one, the query fails before the policy
/// runs), or that NL003 asks to be granted one: an API role, and the anonymous role where
/// the policy names it (the fix file grants the table and revokes EXECUTE together, so the
/// grant must find the function callable). `public`: a calling policy applies to PUBLIC on
/// a table PUBLIC may query.
struct PolicyNeeds {
    /// Each role with the first policy that needs it (`policy \`p\` on \`t\``).
    roles: Vec<(String, String)>,
    public: bool,
    policies: Vec<String>,
}

impl PolicyNeeds {
    fn of(catalog: &Catalog, settings: &Settings, function: &Function) -> PolicyNeeds {
        let mut needs = PolicyNeeds { roles: Vec::new(), public: false, policies: Vec::new() };
        for table in catalog.tables() {
            for policy in &table.policies {
                let calls = [&policy.using, &policy.with_check]
                    .into_iter()
                    .flatten()
                    .any(|expr| called_functions(expr).iter().any(|call| names(call, table, function)));
                if !calls {
                    continue;
                }
                let place = format!("policy `{}` on `{}`", policy.name, table.qualified_name());
                needs.policies.push(place.clone());
                if policy.roles.contains(&Grantee::Public)
                    && !(table.acl.get(&Grantee::Public) | table.column_acl.get(&Grantee::Public)).is_empty()
                {
                    needs.public = true;
                }
                for role in candidate_roles(catalog, settings, table) {
                    let applies = catalog.policies_for(table, &role).iter().any(|p| p.name == policy.name);
                    let (table_level, column_level) = catalog.table_privileges(table, &role);
                    let owner_skips = catalog.acts_as(&role, &table.owner) && !table.rls_forced;
                    let granted_by_nl003 = settings.api_roles.contains(&role)
                        || (role == settings.anonymous_role
                            && policy.roles.contains(&Grantee::Role(role.clone())));
                    if applies
                        && (!(table_level | column_level).is_empty() || granted_by_nl003)
                        && !owner_skips
                        && !needs.roles.iter().any(|(known, _)| *known == role)
                    {
                        needs.roles.push((role, format!("{place} calls this function")));
                    }
                }
            }
        }
        needs
    }

    fn includes(&self, role: &str) -> bool {
        self.public || self.roles.iter().any(|(known, _)| known == role)
    }

    fn describe(&self) -> String {
        self.policies.join(", ")
    }
}

/// Whether a call in a policy of `table` names `function`: by schema and name when
/// qualified; unqualified, by name in the table's schema or `public` (the schemas a
/// migration's search path holds).
fn names(call: &(Option<String>, String), table: &Table, function: &Function) -> bool {
    let (schema, name) = call;
    *name == function.key.name
        && match schema {
            Some(schema) => *schema == function.key.schema,
            None => function.key.schema == table.schema || function.key.schema == "public",
        }
}

/// The roles that may query `table` through a policy: those the catalog knows, the request
/// roles (static mode does not see them created), those its grants name, and the roles its
/// policies name.
fn candidate_roles(catalog: &Catalog, settings: &Settings, table: &Table) -> BTreeSet<String> {
    let mut roles: BTreeSet<String> = catalog.roles.keys().cloned().collect();
    roles.extend(
        settings
            .request_roles()
            .into_iter()
            .filter(|role| !role.is_empty() && catalog.role_exists(role))
            .map(str::to_string),
    );
    roles.extend(roles_named_by(table).cloned());
    roles
}

/// The roles `table`'s grants (table and column) and policies name, with repeats.
fn roles_named_by(table: &Table) -> impl Iterator<Item = &String> {
    let granted =
        [&table.acl, &table.column_acl].into_iter().flat_map(|acl| acl.iter().map(|(grantee, _)| grantee));
    let named = table.policies.iter().flat_map(|policy| policy.roles.iter());
    granted.chain(named).filter_map(|grantee| match grantee {
        Grantee::Role(role) => Some(role),
        Grantee::Public => None,
    })
}

/// The `search_path` to pin: `''` when every name in the body is qualified; else the
/// function's schema, the schemas holding what its unqualified names name, `public` and
/// the extensions' schemas when a name is found nowhere, then `pg_temp` (last, so a
/// caller's temporary objects never shadow). `None` when the body is unknown.
fn search_path(catalog: &Catalog, function: &Function) -> Option<String> {
    let body = function.body.as_ref()?;
    if body.fully_qualified() {
        return Some("''".to_string());
    }
    let mut schemas: Vec<String> = vec![function.key.schema.clone()];
    // `pg_catalog` is searched first whatever the path says: naming it changes nothing.
    let add = |schema: &str, schemas: &mut Vec<String>| {
        if schema != "pg_catalog" && !schemas.iter().any(|known| known == schema) {
            schemas.push(schema.to_string());
        }
    };
    let mut unresolved = false;
    for name in body.unqualified() {
        let mut found = false;
        for table in catalog.tables().filter(|table| table.name == name) {
            add(&table.schema, &mut schemas);
            found = true;
        }
        for key in catalog.functions.keys().filter(|key| key.name == name) {
            add(&key.schema, &mut schemas);
            found = true;
        }
        for sequence in catalog.sequences.values().filter(|sequence| sequence.name == name) {
            add(&sequence.schema, &mut schemas);
            found = true;
        }
        unresolved |= !found;
    }
    if unresolved {
        add("public", &mut schemas);
        for extension in catalog.extensions.values() {
            if let Some(schema) = &extension.schema {
                add(schema, &mut schemas);
            }
        }
    }
    let mut path: Vec<String> = schemas.iter().map(|schema| quote_ident(schema)).collect();
    path.push("pg_temp".to_string());
    Some(path.join(", "))
}
