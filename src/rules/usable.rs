//! Which rows a role's policies let through, command by command, as PostgreSQL decides
//! it: the facts NL002, NL003, NL008, NL009 and NL018 share, so that one problem gives one
//! finding.
//!
//! PostgreSQL ORs the permissive policies that apply to the role and the command, and ANDs
//! the restrictive ones on top; with no permissive expression nothing passes. A policy
//! without `USING` adds no expression for reads (`add_security_quals` skips a NULL
//! qual), an `ALL` or `UPDATE` policy without `WITH CHECK` checks new rows with its `USING`,
//! and a constant false (or NULL) expression lets nothing through. A restrictive policy
//! that is never true blocks its commands for everyone it applies to.

use crate::model::{Catalog, Grantee, Policy, PolicyCommand, Privileges, Table};
use crate::policy_expr::is_never_true;

/// The four commands a request can run, with the privilege each needs.
pub const COMMANDS: [PolicyCommand; 4] =
    [PolicyCommand::Select, PolicyCommand::Insert, PolicyCommand::Update, PolicyCommand::Delete];

/// Whether `policy` is for `command` (its own, or `ALL`).
pub fn covers(policy: &Policy, command: PolicyCommand) -> bool {
    policy.command == command || policy.command == PolicyCommand::All
}

/// Whether `policy`, for `command`, can let some row through: it has the expressions the
/// command reads, and none of them is constant false or NULL. An expression this module
/// cannot evaluate counts as one that can be true. `PolicyCommand::All` asks whether it lets rows through for any command.
pub fn lets_rows_through(policy: &Policy, command: PolicyCommand) -> bool {
    if command == PolicyCommand::All {
        return COMMANDS.iter().any(|command| lets_rows_through(policy, *command));
    }
    if !covers(policy, command) {
        return false;
    }
    let can_be_true = |expr: Option<&String>| expr.is_some_and(|expr| !is_never_true(expr));
    let check = policy.with_check.as_ref().or(policy.using.as_ref());
    match command {
        PolicyCommand::Select | PolicyCommand::Delete => can_be_true(policy.using.as_ref()),
        PolicyCommand::Insert => can_be_true(check),
        PolicyCommand::Update | PolicyCommand::All => {
            can_be_true(policy.using.as_ref()) && can_be_true(check)
        }
    }
}

/// Whether a restrictive `policy` blocks every row of `command`.
fn blocks(policy: &Policy, command: PolicyCommand) -> bool {
    if !covers(policy, command) {
        return false;
    }
    let never = |expr: Option<&String>| expr.is_some_and(|expr| is_never_true(expr));
    match command {
        PolicyCommand::Select | PolicyCommand::Delete => never(policy.using.as_ref()),
        PolicyCommand::Insert => never(policy.with_check.as_ref().or(policy.using.as_ref())),
        PolicyCommand::Update | PolicyCommand::All => {
            never(policy.using.as_ref()) || never(policy.with_check.as_ref())
        }
    }
}

/// What the policies on `table` let `role` do: the privileges of the commands for which a
/// permissive policy that applies to it can let rows through and no restrictive one blocks
/// everything, with those permissive policies (for messages). Row-level security on or off
/// is the caller's concern.
pub fn usable<'a>(catalog: &Catalog, table: &'a Table, role: &str) -> (Privileges, Vec<&'a Policy>) {
    let applying = catalog.policies_for(table, role);
    let mut privileges = Privileges::NONE;
    let mut used: Vec<&Policy> = Vec::new();
    for command in COMMANDS {
        if applying.iter().any(|policy| !policy.permissive && blocks(policy, command)) {
            continue;
        }
        let letting: Vec<&&Policy> = applying
            .iter()
            .filter(|policy| policy.permissive && lets_rows_through(policy, command))
            .collect();
        if letting.is_empty() {
            continue;
        }
        privileges |= command.privileges();
        for policy in letting {
            if !used.iter().any(|kept| std::ptr::eq(*kept, *policy)) {
                used.push(policy);
            }
        }
    }
    (privileges, used)
}

/// The privileges of the commands for which a permissive policy on `table` names `role`
/// by name (not through `PUBLIC` or a group) and can let rows through. Writing `TO
/// anonymous` says requests without a token are meant to get there.
pub fn named_commands(table: &Table, role: &str) -> Privileges {
    let named = Grantee::Role(role.to_string());
    COMMANDS
        .into_iter()
        .filter(|command| {
            table.policies.iter().any(|policy| {
                policy.permissive && policy.roles.contains(&named) && lets_rows_through(policy, *command)
            })
        })
        .fold(Privileges::NONE, |all, command| all | command.privileges())
}

/// What the anonymous role (outside `api_roles`) needs on `table`: with row-level
/// security on, the commands policies name it for (`named_commands`) that no restrictive
/// policy blocks; without the grant its requests fail. Nothing on a migration tool's
/// history table.
pub fn named_for(catalog: &Catalog, table: &Table, role: &str) -> Privileges {
    if !table.rls_enabled || is_migration_history(table) {
        return Privileges::NONE;
    }
    let (usable, _) = usable(catalog, table, role);
    usable & named_commands(table, role)
}

/// The table privileges `role` needs on `table` for requests to work: none on a migration
/// tool's history table; with row-level
/// security off, the four DML privileges when it holds none of them, else what it holds
/// (the table has no other guard, and its fix comes after NL001's); with it on, what `usable` allows (nothing when no policy lets
/// a row through: NL002 reports that, and no grant would help). The policies come back
/// too, for messages.
pub fn needed_privileges<'a>(
    catalog: &Catalog,
    table: &'a Table,
    role: &str,
) -> (Privileges, Vec<&'a Policy>) {
    // A migration tool's own history table is not for the API: it needs nothing.
    if is_migration_history(table) {
        return (Privileges::NONE, Vec::new());
    }
    if !table.rls_enabled {
        // Without row-level security, a role that holds some of the four privileges was
        // given what it should have (a table granted SELECT and INSERT only is append-only
        // on purpose); one that holds none cannot use the table at all.
        let (table_level, column_level) = catalog.table_privileges(table, role);
        let held = (table_level | column_level) & Privileges::DML;
        return (if held.is_empty() { Privileges::DML } else { held }, Vec::new());
    }
    usable(catalog, table, role)
}

/// The tables migration tools create for their own bookkeeping, outside the migration
/// files (Prisma, Flyway, golang-migrate, dbmate, goose, drizzle, knex, sqlx, diesel,
/// node-pg-migrate, Liquibase, postgrator, Atlas).
const MIGRATION_HISTORY: &[&str] = &[
    "_prisma_migrations",
    "flyway_schema_history",
    "schema_migrations",
    "goose_db_version",
    "__drizzle_migrations",
    "knex_migrations",
    "knex_migrations_lock",
    "_sqlx_migrations",
    "__diesel_schema_migrations",
    "pgmigrations",
    "databasechangelog",
    "databasechangeloglock",
    "schemaversion",
    "atlas_schema_revisions",
];

/// Whether `table` is a migration tool's history table (`MIGRATION_HISTORY`).
pub fn is_migration_history(table: &Table) -> bool {
    MIGRATION_HISTORY.contains(&table.name.as_str())
}

/// Why no row passes for `role` on a table whose row-level security is on: `None` when
/// some command lets rows through.
pub fn why_nothing_passes(catalog: &Catalog, table: &Table, role: &str) -> Option<Nothing> {
    if !usable(catalog, table, role).0.is_empty() {
        return None;
    }
    let applying = catalog.policies_for(table, role);
    let reason = if table.policies.is_empty() {
        Nothing::NoPolicy
    } else if !table.policies.iter().any(|policy| policy.permissive) {
        Nothing::OnlyRestrictive
    } else if !applying.iter().any(|policy| policy.permissive) {
        Nothing::OnlyOtherRoles
    } else if applying.iter().any(|policy| policy.permissive && lets_rows_through(policy, PolicyCommand::All))
    {
        Nothing::Blocked(
            applying
                .iter()
                .filter(|policy| {
                    !policy.permissive && COMMANDS.iter().any(|command| blocks(policy, *command))
                })
                .map(|policy| policy.name.clone())
                .collect(),
        )
    } else {
        Nothing::NeverTrue(
            applying.iter().filter(|policy| policy.permissive).map(|policy| policy.name.clone()).collect(),
        )
    };
    Some(reason)
}

/// Why a role gets no row (NL002's message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nothing {
    NoPolicy,
    /// Restrictive policies only narrow what a permissive one allows.
    OnlyRestrictive,
    /// The permissive policies are for other roles.
    OnlyOtherRoles,
    /// The permissive policies that apply are empty or constant false.
    NeverTrue(Vec<String>),
    /// Restrictive policies that are never true block what the permissive ones allow.
    Blocked(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Grantee;

    fn policy(command: PolicyCommand, using: Option<&str>, with_check: Option<&str>) -> Policy {
        Policy {
            name: "p".into(),
            command,
            permissive: true,
            roles: vec![Grantee::Public],
            using: using.map(str::to_string),
            with_check: with_check.map(str::to_string),
            origin: None,
        }
    }

    #[test]
    fn empty_and_false_policies_let_nothing_through() {
        // `CREATE POLICY p ON t FOR ALL TO public;`: no expression at all.
        let empty = policy(PolicyCommand::All, None, None);
        assert!(COMMANDS.iter().all(|command| !lets_rows_through(&empty, *command)));
        let insert_false = policy(PolicyCommand::Insert, None, Some("false"));
        assert!(!lets_rows_through(&insert_false, PolicyCommand::Insert));
        let select_null = policy(PolicyCommand::Select, Some("NULL::boolean"), None);
        assert!(!lets_rows_through(&select_null, PolicyCommand::Select));
    }

    #[test]
    fn all_policies_check_new_rows_with_using_when_they_have_no_with_check() {
        let owner = policy(PolicyCommand::All, Some("(select auth.user_id()) = user_id"), None);
        assert!(COMMANDS.iter().all(|command| lets_rows_through(&owner, *command)));
        // Reads nothing, but inserts any row: only INSERT passes.
        let write_only = policy(PolicyCommand::All, Some("false"), Some("true"));
        let passing: Vec<_> = COMMANDS.iter().filter(|c| lets_rows_through(&write_only, **c)).collect();
        assert_eq!(passing, vec![&PolicyCommand::Insert]);
    }

    #[test]
    fn a_policy_is_only_for_its_command() {
        let read = policy(PolicyCommand::Select, Some("true"), None);
        assert!(lets_rows_through(&read, PolicyCommand::Select));
        assert!(!lets_rows_through(&read, PolicyCommand::Insert));
    }
}
