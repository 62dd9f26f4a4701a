//! The facts of a `Catalog` that the rules read, as sorted lines, so two catalogs (one
//! replayed, one read from the server) can be compared and their difference printed.
//!
//! Normalised where the two sources legitimately spell one fact differently: ACL entries
//! of an object's own owner (the catalog lists them, replay keeps only grants beyond the
//! owner's), policy expressions (as written against `pg_get_expr`'s text: compared by what
//! `policy_expr` answers about them), default-privilege entries equal to the built-in
//! default (PostgreSQL deletes those rows), and the cluster-wide objects of other tests
//! (only this history's roles and databases are compared).

use std::collections::BTreeSet;

use neonlint::model::{Acl, Catalog, DefaultObjectType, Grantee, Policy, Privileges, RoleName};
use neonlint::policy_expr;
use neonlint::rules::{self, Finding, Settings, Sources};

/// Every fact line of `catalog` that belongs to this history (`prefix` names its roles
/// and databases).
pub fn facts(catalog: &Catalog, prefix: &str) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    let owner = |owner: &RoleName| owner.clone().unwrap_or_else(|| "?".to_string());
    for schema in catalog.schemas.values() {
        // `public` belongs to `pg_database_owner` on the server and to nobody in replay.
        let schema_owner = if schema.name == "public" { "-".to_string() } else { owner(&schema.owner) };
        lines.insert(format!("schema {:?} owner {schema_owner}", schema.name));
        acl_lines(&mut lines, &format!("schema {:?}", schema.name), &schema.acl, &schema.owner);
    }
    for table in catalog.tables() {
        let name = format!("{:?}.{:?}", table.schema, table.name);
        let parent = table
            .partition_of
            .and_then(|id| catalog.table(id))
            .map(|parent| format!(" partition of {:?}.{:?}", parent.schema, parent.name))
            .unwrap_or_default();
        lines.insert(format!(
            "relation {name} {:?} owner {} rls {} forced {} security_invoker {}{parent}",
            table.kind,
            owner(&table.owner),
            table.rls_enabled,
            table.rls_forced,
            table.security_invoker
        ));
        // Replay does not read the columns of a view's query; no rule reads them.
        let columns = if table.kind.has_rows() { table.columns.as_slice() } else { &[] };
        for column in columns {
            let sequence = catalog
                .column_sequence(column)
                .map(|s| format!(" sequence {:?}.{:?}", s.schema, s.name))
                .unwrap_or_default();
            lines.insert(format!(
                "column {name}.{:?} identity {} uses_sequence {}{sequence}",
                column.name, column.identity, column.uses_sequence
            ));
        }
        for policy in &table.policies {
            lines.insert(policy_line(&name, policy));
        }
        // What a view reads (NL011 spares a view over tables its readers see in full).
        if let Some(reads) = &table.reads {
            let mut read: Vec<String> = reads
                .iter()
                .filter_map(|id| catalog.table(*id))
                .map(|read| format!("{:?}.{:?}", read.schema, read.name))
                .collect();
            read.sort();
            read.dedup();
            lines.insert(format!("view {name} reads {}", read.join(", ")));
        }
        acl_lines(&mut lines, &format!("relation {name}"), &table.acl, &table.owner);
        acl_lines(&mut lines, &format!("relation {name} columns"), &table.column_acl, &table.owner);
        for index in &table.indexes {
            lines.insert(format!("index on {name} leading {:?}", index.first_column));
        }
    }
    for sequence in catalog.sequences.values() {
        let name = format!("{:?}.{:?}", sequence.schema, sequence.name);
        let owned = sequence
            .owned_by
            .as_ref()
            .and_then(|(id, column)| {
                catalog.table(*id).map(|t| format!(" owned by {:?}.{:?}.{column:?}", t.schema, t.name))
            })
            .unwrap_or_default();
        lines.insert(format!("sequence {name} owner {}{owned}", owner(&sequence.owner)));
        acl_lines(&mut lines, &format!("sequence {name}"), &sequence.acl, &sequence.owner);
    }
    for function in catalog.functions.values() {
        let name = format!("function {}", function.key);
        lines.insert(format!(
            "{name} procedure {} owner {} security_definer {} sets_search_path {} trigger {}",
            function.procedure,
            owner(&function.owner),
            function.security_definer,
            function.sets_search_path,
            function.trigger
        ));
        acl_lines(&mut lines, &name, &function.acl, &function.owner);
    }
    for (key, entry) in &catalog.default_acls {
        let mut acl = entry.acl.clone();
        if let Some(role) = &key.role {
            acl.revoke(
                &Grantee::Role(role.clone()),
                Privileges::ALL_TABLE | Privileges::ALL_SCHEMA | Privileges::EXECUTE,
            );
        }
        let mut built_in = Acl::default();
        if key.schema.is_none() && key.object_type == DefaultObjectType::Functions {
            built_in.grant(Grantee::Public, Privileges::EXECUTE);
        }
        if acl_text(&acl) == acl_text(&built_in) {
            continue;
        }
        lines.insert(format!(
            "default privileges for {} in {:?} on {:?}: {}",
            owner(&key.role),
            key.schema,
            key.object_type,
            acl_text(&acl)
        ));
    }
    for role in catalog.roles.values().filter(|role| role.name.starts_with(prefix)) {
        lines.insert(format!("role {} inherit {}", role.name, role.inherit));
    }
    // A NOINHERIT member's memberships give it no privileges. PostgreSQL 16 records that
    // on each membership (`inherit_option`), and introspect leaves those out; before 16 it
    // is the role's, as in replay. Compare the memberships that pass privileges on.
    let inherits = |role: &str| catalog.roles.get(role).is_none_or(|role| role.inherit);
    for (member, group) in &catalog.memberships {
        if (member.starts_with(prefix) || group.starts_with(prefix)) && inherits(member) {
            lines.insert(format!("membership {member} in {group}"));
        }
    }
    for database in catalog.databases.values().filter(|database| database.name.starts_with(prefix)) {
        lines.insert(format!("database {} owner {}", database.name, owner(&database.owner)));
        acl_lines(&mut lines, &format!("database {}", database.name), &database.acl, &database.owner);
    }
    lines
}

/// Lines only in `live` (`-`) and only in `replayed` (`+`); empty when they agree.
pub fn diff(live: &BTreeSet<String>, replayed: &BTreeSet<String>) -> String {
    let mut out = String::new();
    for line in live.difference(replayed) {
        out.push_str(&format!("  - server: {line}\n"));
    }
    for line in replayed.difference(live) {
        out.push_str(&format!("  + replay: {line}\n"));
    }
    out
}

/// The findings of the rules that run on both sources, as comparable lines.
pub fn findings(catalog: &Catalog, prefix: &str) -> BTreeSet<String> {
    let settings = Settings { explain_console_grants: false, ..Settings::default() };
    rules::check(catalog, &settings)
        .iter()
        .filter(|finding| finding.rule.sources == Sources::Both)
        .filter(|finding| finding.rule.code != "NL005" || finding.object.name.starts_with(prefix))
        .map(finding_line)
        .collect()
}

fn finding_line(finding: &Finding) -> String {
    format!("{} {}: {}", finding.rule.code, finding.object, finding.message)
}

fn policy_line(table: &str, policy: &Policy) -> String {
    let mut roles: Vec<String> = policy.roles.iter().map(|role| role.to_string()).collect();
    roles.sort();
    roles.dedup();
    format!(
        "policy {:?} on {table} {:?} permissive {} to [{}] using {} check {}",
        policy.name,
        policy.command,
        policy.permissive,
        roles.join(", "),
        expression(policy.using.as_deref()),
        expression(policy.with_check.as_deref())
    )
}

/// What the rules learn from an expression, rather than its spelling.
fn expression(expr: Option<&str>) -> String {
    let Some(expr) = expr else { return "none".to_string() };
    format!(
        "(always_true {} per_row_auth {:?} auth_columns {:?})",
        policy_expr::is_always_true(expr),
        policy_expr::per_row_auth_calls(expr, &Default::default()),
        policy_expr::auth_compared_columns(expr, &Default::default())
    )
}

fn acl_lines(lines: &mut BTreeSet<String>, object: &str, acl: &Acl, owner: &RoleName) {
    for (grantee, privileges) in acl.iter() {
        if matches!((grantee, owner), (Grantee::Role(role), Some(owner)) if role == owner) {
            continue;
        }
        if version_neutral(privileges).is_empty() {
            continue;
        }
        lines.insert(format!("{object} grants {} to {grantee}", version_neutral(privileges)));
    }
}

/// `privileges` without MAINTAIN, which `ALL` includes from PostgreSQL 17 on: replay
/// cannot know the server's version, and no rule reads it.
fn version_neutral(privileges: Privileges) -> Privileges {
    privileges.without(Privileges::MAINTAIN)
}

fn acl_text(acl: &Acl) -> String {
    acl.iter()
        .map(|(grantee, privileges)| (grantee, version_neutral(privileges)))
        .filter(|(_, privileges)| !privileges.is_empty())
        .map(|(grantee, privileges)| format!("{grantee}={privileges}"))
        .collect::<Vec<_>>()
        .join(" ")
}
