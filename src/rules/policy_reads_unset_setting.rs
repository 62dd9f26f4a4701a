//! NL028 policy-reads-unset-setting: a policy that applies to Data API requests reads a
//! custom setting (`current_setting('app.tenant_id')`), itself or through a function it
//! calls, that no request sets. The Data API sets `request.*` (the token's claims in
//! `request.jwt.claims`, the method, path, headers) and `pg_session_jwt.*`, nothing else; an
//! application that sets `app.tenant_id` on its own connection does not set it for the API.
//! Without `missing_ok` the call fails the request ("unrecognized configuration parameter");
//! with it, the value is NULL and comparisons with it let no row through. PostgreSQL's own
//! settings (names without a dot) always exist and are never reported, nor are settings a
//! database or role starts its sessions with (`ALTER DATABASE … SET`).

use std::collections::BTreeMap;

use super::Severity;
use super::{Finding, Object, Settings};
use crate::model::{Catalog, Grantee, Policy, Table};
use crate::policy_expr::{called_functions, settings_read_by};

/// Prefixes of the custom settings a Data API request has: the ones the Data API sets, the
/// token `pg_session_jwt` keeps, and those of libraries Neon loads.
const SET_FOR_REQUESTS: &[&str] =
    &["request.", "pg_session_jwt.", "neon.", "plpgsql.", "pg_stat_statements.", "auto_explain."];

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let readers = function_readers(catalog);
    let request_roles = settings.request_roles();
    let mut findings = Vec::new();
    for table in settings.exposed_tables(catalog).filter(|table| table.rls_enabled) {
        for policy in &table.policies {
            let applies = policy.roles.iter().any(|grantee| match grantee {
                Grantee::Public => true,
                Grantee::Role(role) => request_roles.contains(&role.as_str()),
            });
            if !applies {
                continue;
            }
            let unset: Vec<Read> = settings_read(policy, &readers)
                .into_iter()
                .filter(|read| {
                    !is_set_for_requests(&read.name, settings)
                        && !catalog.default_settings.contains(&read.name)
                })
                .collect();
            if !unset.is_empty() {
                findings.push(finding(table, policy, &unset));
            }
        }
    }
    findings
}

/// Whether a Data API request has the setting `name` (lower-cased).
fn is_set_for_requests(name: &str, settings: &Settings) -> bool {
    // PostgreSQL's own settings have no dot, and always exist.
    !name.contains('.')
        || SET_FOR_REQUESTS.iter().any(|prefix| name.starts_with(prefix))
        || settings.request_settings.iter().any(|listed| listed == name)
}

/// A setting a policy reads.
struct Read {
    name: String,
    /// Every read passes `missing_ok`.
    missing_ok: bool,
    /// The function the policy calls that reads it, when the policy does not read it itself.
    through: Option<String>,
}

/// The settings `policy` reads, in its expressions or through the functions they call (an
/// unqualified call is taken for the function in `public`, as NL013 does).
fn settings_read(policy: &Policy, readers: &BTreeMap<(String, String), Vec<(String, bool)>>) -> Vec<Read> {
    let mut reads: Vec<Read> = Vec::new();
    let mut add = |name: &str, missing_ok: bool, through: Option<String>| match reads
        .iter_mut()
        .find(|read| read.name == name)
    {
        Some(read) => read.missing_ok &= missing_ok,
        None => reads.push(Read { name: name.to_string(), missing_ok, through }),
    };
    for expr in policy.using.iter().chain(&policy.with_check) {
        for (name, missing_ok) in settings_read_by(expr) {
            add(&name, missing_ok, None);
        }
        for (schema, name) in called_functions(expr) {
            let key = (schema.unwrap_or_else(|| "public".to_string()), name);
            for (name, missing_ok) in readers.get(&key).into_iter().flatten() {
                add(name, *missing_ok, Some(format!("{}.{}()", key.0, key.1)));
            }
        }
    }
    reads
}

/// The settings each function reads, itself or through the functions it calls (until
/// nothing changes: a function may call one defined later), by schema and name; overloads
/// share their reads. An unqualified call is taken for the caller's schema or `public`.
fn function_readers(catalog: &Catalog) -> BTreeMap<(String, String), Vec<(String, bool)>> {
    let mut readers: BTreeMap<(String, String), Vec<(String, bool)>> = BTreeMap::new();
    loop {
        let mut changed = false;
        for function in catalog.functions.values() {
            let Some(body) = &function.body else { continue };
            let key = (function.key.schema.clone(), function.key.name.clone());
            let mut reads: Vec<(String, bool)> = body.settings_read.clone();
            for (schema, name) in &body.calls {
                let schemas: Vec<&str> = match schema {
                    Some(schema) => vec![schema.as_str()],
                    None => vec![function.key.schema.as_str(), "public"],
                };
                for schema in schemas {
                    if let Some(called) = readers.get(&(schema.to_string(), name.clone())) {
                        reads.extend(called.iter().cloned());
                    }
                }
            }
            let known = readers.entry(key).or_default();
            for read in reads {
                if !known.contains(&read) {
                    known.push(read);
                    changed = true;
                }
            }
        }
        if !changed {
            return readers;
        }
    }
}

fn finding(table: &Table, policy: &Policy, unset: &[Read]) -> Finding {
    let failing = unset.iter().find(|read| !read.missing_ok);
    let fails = failing.is_some();
    let names = unset
        .iter()
        .map(|read| match &read.through {
            Some(function) => format!("`{}` (through `{function}`)", read.name),
            None => format!("`{}`", read.name),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let first = &unset[0].name;
    let outcome = match failing {
        Some(read) => format!(
            "`current_setting` without `missing_ok` fails every request it runs in with `unrecognized \
             configuration parameter \"{}\"`",
            read.name
        ),
        None => "`current_setting(…, true)` gives NULL there, and a comparison with NULL lets no row through"
            .to_string(),
    };
    let message = format!(
        "policy `{}` on `{}` reads the setting {names}, which Data API requests never set (they set \
         `request.jwt.claims` and the other `request.*` settings): {outcome}",
        policy.name,
        table.qualified_name()
    );
    let claim = first.rsplit('.').next().unwrap_or(first);
    let help = format!(
        "take the value from the token instead: put it in a claim and read it with \
         `(select auth.session() ->> '{claim}')` in place of `current_setting('{first}')`; \
         if your setup does set `{first}` for API requests, list it in `request_settings` in neonlint.toml"
    );
    let label = if fails { "fails every API request" } else { "lets no API row through" };
    let mut finding =
        Finding::new("NL028", Object::policy(table, policy), message, help, policy.origin).with_label(label);
    if !fails {
        finding.severity = Severity::Warning;
    }
    finding
}
