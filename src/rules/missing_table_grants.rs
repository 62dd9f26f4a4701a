//! NL003 missing-table-grants: an API role lacks a table privilege it needs. What it
//! needs comes from the permissive policies that apply to it (by name, through `PUBLIC`
//! or through membership); a table with none needs SELECT, INSERT, UPDATE and DELETE.
//! Partitions are skipped: requests reach them through their parent's grants. The
//! anonymous role (when not an API role) needs what the policies that name it by name
//! let through: `TO anonymous` says requests without a token are meant to get there.

use super::corrective;
use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::{Catalog, Privileges, Table};
use crate::sql::quote_ident;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings: Vec<Finding> = settings
        .api_roles
        .iter()
        .filter(|role| !catalog.role_exists(role))
        .map(|role| missing_role(catalog, role))
        .collect();
    let anonymous = settings.anonymous_outside_api_roles().filter(|role| catalog.role_exists(role));
    for table in settings.exposed_tables(catalog).filter(|table| !table.is_partition()) {
        for role in settings.api_roles.iter().filter(|role| catalog.role_exists(role)) {
            let (needed, policies) = super::needed_privileges(catalog, table, role);
            if let Some(finding) = check_role(catalog, settings, table, role, needed, !policies.is_empty()) {
                findings.push(finding);
            }
        }
        if let Some(anonymous) = anonymous {
            let needed = super::usable::named_for(catalog, table, anonymous);
            if let Some(finding) = check_role(catalog, settings, table, anonymous, needed, true) {
                findings.push(finding);
            }
        }
    }
    findings
}

/// Once per API role that does not exist (a database without the Data API, or a typo in
/// `api_roles`): no grant can be checked for it.
fn missing_role(catalog: &Catalog, role: &str) -> Finding {
    let database = catalog.current_database.as_deref().unwrap_or("this database");
    let message = format!(
        "role `{role}` does not exist in `{database}`: Data API requests that run as it fail, and its grants cannot be checked"
    );
    let help = format!(
        "enable the Data API for this database in the Neon Console, which creates `authenticated` and `anonymous`; \
         or create the role (`CREATE ROLE {} NOLOGIN`); or correct `api_roles` in neonlint.toml",
        quote_ident(role)
    );
    Finding::new("NL003", Object::database(database), message, help, None).with_label("missing role")
}

fn check_role(
    catalog: &Catalog,
    settings: &Settings,
    table: &Table,
    role: &str,
    needed: Privileges,
    by_policies: bool,
) -> Option<Finding> {
    let (table_level, column_level) = catalog.table_privileges(table, role);
    // A privilege granted on some columns only is a deliberate restriction: it counts.
    let missing = needed.without(table_level | column_level);
    if missing.is_empty() {
        return None;
    }
    let name = table.qualified_name();
    let because = if by_policies { ", which its policies allow".to_string() } else { String::new() };
    let message = format!(
        "`{role}` lacks {missing} on `{name}`{because}: Data API requests fail with \"permission denied for table {}\"",
        table.name
    );
    let mut help = format!("grant {missing} on `{name}` to `{role}`");
    if settings.explain_console_grants && !settings.assume_data_api_grants && table.schema == "public" {
        help.push_str(
            "; if the Data API was enabled with \"Grant public schema access\" before this table was created, \
             the grants exist outside the migrations: set `assume_data_api_grants = true` in neonlint.toml",
        );
    }
    let sql =
        format!("GRANT {} ON TABLE {} TO {};", missing, corrective::table_name(table), quote_ident(role));
    // With RLS on, policies still decide the rows; without it, a grant opens the table:
    // it is written only after the fix that enables RLS (NL001), never alone.
    let fix = match table.rls_enabled {
        true => Fix::new(sql, Applicability::Safe, Phase::Grant),
        false => Fix::new(sql, Applicability::Review, Phase::Grant).after_rls_enabled(),
    };
    let label = format!("`{role}` never gets {missing} on this table");
    Some(
        Finding::new("NL003", Object::table(table), message, help, table.origin)
            .with_label(label)
            .with_fix(fix),
    )
}
