//! NL018 multiple-permissive-policies: more than one permissive policy applies to the
//! same table, request role and command. PostgreSQL evaluates every one of them for
//! every row (they are ORed), which costs time on large tables; one policy with the
//! conditions combined does the same work once. Roles are expanded: a policy for
//! `PUBLIC` or for a role the request role inherits from counts, and `FOR ALL` counts
//! for each command.

use super::usable::{COMMANDS, lets_rows_through};
use super::{Finding, Object, Settings};
use crate::model::{Catalog, PolicyCommand, Table};

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    // Tables with RLS off count too: their policies apply once it is on (NL006).
    for table in settings.exposed_tables(catalog) {
        for role in settings.request_roles().into_iter().filter(|role| catalog.role_exists(role)) {
            // The commands that share one set of policies are reported together.
            let mut groups: Vec<(Vec<&str>, Vec<PolicyCommand>)> = Vec::new();
            let permissive: Vec<_> =
                catalog.policies_for(table, role).into_iter().filter(|p| p.permissive).collect();
            let (table_level, column_level) = catalog.table_privileges(table, role);
            let mut held = table_level | column_level;
            // The anonymous role runs what its named policies allow once it holds the
            // grant NL003 asks for: they are counted as if it did (the fix gives it).
            if settings.anonymous_outside_api_roles() == Some(role) {
                held |= super::usable::named_for(catalog, table, role);
            }
            for command in COMMANDS {
                // Without the privilege the request fails before any policy runs.
                if !held.contains(command.privileges()) {
                    continue;
                }
                // A policy that is never true costs nothing: the planner drops it.
                let names: Vec<&str> = permissive
                    .iter()
                    .filter(|p| lets_rows_through(p, command))
                    .map(|p| p.name.as_str())
                    .collect();
                if names.len() < 2 {
                    continue;
                }
                match groups.iter_mut().find(|(group, _)| *group == names) {
                    Some((_, commands)) => commands.push(command),
                    None => groups.push((names, vec![command])),
                }
            }
            findings
                .extend(groups.into_iter().map(|(names, commands)| finding(table, role, &names, &commands)));
        }
    }
    findings
}

fn finding(table: &Table, role: &str, names: &[&str], commands: &[PolicyCommand]) -> Finding {
    let name = table.qualified_name();
    let policies = names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
    let commands = commands.iter().map(|command| command.sql()).collect::<Vec<_>>().join(", ");
    let message = format!(
        "{} permissive policies ({policies}) apply to `{role}` for {commands} on `{name}`: each is evaluated for \
         every row",
        names.len()
    );
    let help = format!(
        "combine them into one policy per command for `{role}` (their conditions joined with OR), or make the \
         extra ones restrictive if they are meant to narrow access"
    );
    let location = table.policies.iter().find(|p| p.name == names[1]).and_then(|p| p.origin).or(table.origin);
    Finding::new("NL018", Object::table(table), message, help, location)
        .with_label(format!("another permissive policy for `{role}` ({commands})"))
}
