//! NL011 view-bypasses-rls: a view in an exposed schema that a request role can select
//! and that lacks `security_invoker = true`: it reads its base tables as its owner, so
//! their row-level security is skipped (owners bypass it). A materialized view is a
//! stored copy that cannot have row-level security at all. PostgreSQL 14 has no
//! `security_invoker`: there the fix takes SELECT away, as for a materialized view.

use super::corrective;
use super::usable::covers;
use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::{Catalog, Policy, PolicyCommand, Privileges, Table, TableKind};

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    settings
        .relations(catalog)
        .filter(|table| settings.is_exposed(&table.schema))
        .filter(|table| match table.kind {
            TableKind::View => !table.security_invoker,
            TableKind::MaterializedView => true,
            _ => false,
        })
        .filter_map(|table| finding(catalog, settings, table))
        .collect()
}

fn finding(catalog: &Catalog, settings: &Settings, table: &Table) -> Option<Finding> {
    let readers: Vec<&str> = settings
        .request_roles()
        .into_iter()
        .filter(|role| catalog.role_exists(role))
        .filter(|role| {
            let (table_level, column_level) = catalog.table_privileges(table, role);
            (table_level | column_level).contains(Privileges::SELECT)
        })
        .collect();
    if readers.is_empty() {
        return None;
    }
    // A view over tables whose every row its readers may read directly anyway skips
    // nothing (a catalog table with a `USING (true)` policy for them).
    if table.kind == TableKind::View
        && let Some(reads) = &table.reads
        && !reads.is_empty()
        && reads.iter().all(|id| {
            catalog
                .table(*id)
                .is_some_and(|read| readers.iter().all(|role| sees_every_row(catalog, read, role)))
        })
    {
        return None;
    }
    let name = table.qualified_name();
    let who = readers.iter().map(|role| format!("`{role}`")).collect::<Vec<_>>().join(" and ");
    let view = table.kind == TableKind::View;
    // PostgreSQL 14 has no `security_invoker`: taking SELECT away is the fix there.
    let invoker_unknown = view && catalog.before_15();
    let (message, help, label) = if invoker_unknown {
        (
            format!(
                "view `{name}` runs with its owner's rights, and {who} can select from it: the row-level security \
                 of the tables it reads is skipped (PostgreSQL {} has no `security_invoker`; it came in 15)",
                catalog.postgres_major.unwrap_or_default()
            ),
            format!(
                "revoke SELECT on `{name}` from the request roles and serve the data through its tables, or upgrade \
                 to PostgreSQL 15 or later and set `security_invoker = true`"
            ),
            "view that skips row-level security",
        )
    } else if view {
        (
            format!(
                "view `{name}` runs with its owner's rights (no `security_invoker`), and {who} can select from it: \
                 the row-level security of the tables it reads is skipped"
            ),
            format!(
                "make the view check the caller's rights: `ALTER VIEW {name} SET (security_invoker = true)`"
            ),
            "view without `security_invoker`",
        )
    } else {
        (
            format!(
                "materialized view `{name}` can be selected by {who}: it is a stored copy without row-level security, \
                 so every row of it is readable"
            ),
            format!(
                "revoke SELECT on `{name}` from the request roles and serve the data through a table or a \
                 `security_invoker` view"
            ),
            "materialized view readable through the Data API",
        )
    };
    let sql = if view && !invoker_unknown {
        Some(format!("ALTER VIEW {} SET (security_invoker = true);", corrective::table_name(table)))
    } else {
        revoke_select(catalog, table, &readers)
    };
    let finding = Finding::new("NL011", Object::table(table), message, help, table.origin).with_label(label);
    Some(match sql {
        Some(sql) => finding.with_fix(Fix::new(sql, Applicability::Review, Phase::Revoke)),
        None => finding,
    })
}

/// Whether `role` can select every row and column of `table` directly: a table it holds
/// SELECT on (not only on some columns) whose row-level security is off, bypassed by its
/// owner, or lets every row through for it (a permissive policy for reads that is always
/// true, and no restrictive one).
fn sees_every_row(catalog: &Catalog, table: &Table, role: &str) -> bool {
    if !matches!(table.kind, TableKind::Table | TableKind::PartitionedTable) {
        return false;
    }
    if !catalog.table_privileges(table, role).0.contains(Privileges::SELECT) {
        return false;
    }
    if !table.rls_enabled || (catalog.acts_as(role, &table.owner) && !table.rls_forced) {
        return true;
    }
    let reading: Vec<&Policy> = catalog
        .policies_for(table, role)
        .into_iter()
        .filter(|policy| covers(policy, PolicyCommand::Select))
        .collect();
    reading.iter().all(|policy| policy.permissive)
        && reading
            .iter()
            .any(|policy| policy.using.as_deref().is_some_and(crate::policy_expr::is_always_true))
}

/// `REVOKE SELECT` from every grantee the readers hold it through, or `None` when one
/// of them reads as (a member of) the owner.
fn revoke_select(catalog: &Catalog, table: &Table, readers: &[&str]) -> Option<String> {
    let from = super::revoke_from(
        catalog,
        &table.owner,
        &[&table.acl, &table.column_acl],
        readers,
        Privileges::SELECT,
    )?;
    Some(format!("REVOKE SELECT ON {} FROM {};", corrective::table_name(table), corrective::grantees(&from)))
}

#[cfg(test)]
mod tests {
    use crate::replay::{Options, Replay};

    fn findings(postgres_major: Option<u32>) -> Vec<super::Finding> {
        let sql = "CREATE TABLE public.t (id int, user_id text);
                   CREATE VIEW public.v AS SELECT id FROM public.t;
                   GRANT SELECT ON public.v TO authenticated;";
        let mut replay = Replay::new(&Options { postgres_major, ..Options::default() });
        replay.file(crate::model::FileId(0), &crate::sql::parse_file(sql).statements);
        super::check(&replay.finish(), &super::Settings::default())
    }

    #[test]
    fn on_postgres_14_the_fix_takes_select_away_instead_of_setting_security_invoker() {
        let on_15 = findings(None);
        assert_eq!(on_15.len(), 1);
        assert!(on_15[0].fix.as_ref().unwrap().sql.contains("SET (security_invoker = true)"));
        let on_14 = findings(Some(14));
        assert_eq!(on_14.len(), 1);
        assert!(on_14[0].message.contains("PostgreSQL 14 has no `security_invoker`"), "{}", on_14[0].message);
        assert_eq!(
            on_14[0].fix.as_ref().unwrap().sql,
            "REVOKE SELECT ON public.v FROM authenticated;",
            "no statement PostgreSQL 14 refuses"
        );
    }
}
