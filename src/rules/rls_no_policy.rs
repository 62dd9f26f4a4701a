//! NL002 rls-no-policy: row-level security is on in an exposed schema and, for an API role,
//! no permissive policy lets any row through: there is none at all, only restrictive ones,
//! only policies for other roles, only empty or constant-false ones, or a restrictive
//! policy that is never true blocks them. Every request of that role sees no rows and every
//! write fails, and no grant can help until a policy exists, so NL003 and NL008 stay silent
//! for it. Partitions are skipped: requests reach their rows through the parent's policies.

use super::usable::{Nothing, why_nothing_passes};
use super::{Applicability, Finding, Fix, Object, Phase, Settings, corrective};
use crate::model::{Catalog, Privileges, Table};

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let roles: Vec<&String> = settings
        .api_roles
        .iter()
        .filter(|role| **role != settings.anonymous_role && catalog.role_exists(role))
        .collect();
    settings
        .exposed_tables(catalog)
        // A migration tool's history table is not for the API, whatever its RLS.
        .filter(|table| {
            table.rls_enabled && !table.is_partition() && !super::usable::is_migration_history(table)
        })
        .filter_map(|table| {
            // A table whose policies serve another request role (a sign-up table that only
            // `anonymous` may insert into) is not meant for a role that holds no privilege
            // on it: nothing to report for that one.
            let served = settings
                .request_roles()
                .into_iter()
                .filter(|role| catalog.role_exists(role))
                .any(|role| why_nothing_passes(catalog, table, role).is_none());
            let holds_some = |role: &str| {
                let (table_level, column_level) = catalog.table_privileges(table, role);
                !((table_level | column_level) & Privileges::DML).is_empty()
            };
            let starved: Vec<(&str, Nothing)> = roles
                .iter()
                .filter(|role| !served || holds_some(role))
                .filter_map(|role| Some((role.as_str(), why_nothing_passes(catalog, table, role)?)))
                .collect();
            (!starved.is_empty()).then(|| finding(catalog, table, &starved))
        })
        .collect()
}

fn finding(catalog: &Catalog, table: &Table, starved: &[(&str, Nothing)]) -> Finding {
    let name = table.qualified_name();
    let who = starved.iter().map(|(role, _)| format!("`{role}`")).collect::<Vec<_>>().join(" and ");
    // Roles starved for the same reason share it.
    let mut reasons: Vec<String> = Vec::new();
    for (_, nothing) in starved {
        let reason = match nothing {
            Nothing::NoPolicy => "no policy".to_string(),
            Nothing::OnlyRestrictive => format!(
                "only restrictive policies ({}), which can only narrow what a permissive policy allows",
                listed(table.policies.iter().map(|policy| policy.name.as_str()))
            ),
            Nothing::OnlyOtherRoles => format!(
                "permissive policies only for other roles ({})",
                listed(table.policies.iter().filter(|p| p.permissive).map(|p| p.name.as_str()))
            ),
            Nothing::NeverTrue(names) => {
                format!(
                    "only permissive policies that are empty or never true ({})",
                    listed(names.iter().map(String::as_str))
                )
            }
            Nothing::Blocked(names) => format!(
                "restrictive policies that are never true ({}), which block every row",
                listed(names.iter().map(String::as_str))
            ),
        };
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    let message = format!(
        "table `{name}` has row-level security on and {}: the Data API returns no rows to {who} and refuses \
         every write",
        reasons.join(" and ")
    );
    let label = match starved[0].1 {
        Nothing::NoPolicy => "row-level security on, and no policy follows",
        _ => "row-level security on, and no policy lets a row through",
    };
    let help = format!("add a permissive policy on `{name}` that says which rows {who} may use");
    let roles: Vec<&str> = starved.iter().map(|(role, _)| *role).collect();
    let commands = corrective::owner_policy_commands(catalog, table, &roles);
    let mut sql = corrective::policy_for(catalog, table, &roles, commands).unwrap_or_default();
    // An owner policy for every command (the roles held none): give the roles what it
    // needs, so that the fix leaves no NL003 or NL008 behind. Roles that hold some
    // privileges get a policy for those only, and no grant.
    if corrective::owner_column(table).is_some() && commands.contains(Privileges::DML) {
        for (role, _) in starved {
            for grant in corrective::grants_for_every_command(catalog, table, role) {
                sql.push('\n');
                sql.push_str(&grant);
            }
        }
    }
    Finding::new("NL002", Object::table(table), message, help, table.rls_origin.or(table.origin))
        .with_label(label)
        .with_fix(Fix::new(sql, Applicability::Review, Phase::Policy))
}

/// Policy names by name, as the catalog lists them (migrations create them in any order).
fn listed<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut names: Vec<String> = names.map(|name| format!("`{name}`")).collect();
    names.sort();
    names.join(", ")
}
