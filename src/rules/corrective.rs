//! The corrective SQL that rules attach to their findings: names quoted through
//! `sql::quote_ident`, comments that cannot end early, row-level security, the owner policy
//! (or the skeleton a user completes), indexes.
//!
//! Every statement is idempotent and schema-qualified. Nothing here decides whether a fix
//! is written: the rules do; `fix` orders and renders what they attach.

use crate::model::{Catalog, Column, FunctionKey, Grantee, Policy, Privileges, Table};
use crate::sql::{quote_ident, quote_qualified};
use crate::text::escape_control;

/// Policy names neonlint writes; `DROP POLICY IF EXISTS` on them touches nothing else.
pub const OWNER_POLICY: &str = "neonlint_owner_rows";

/// One `--` comment line. A control character would end the comment early (PostgreSQL
/// ends a `--` comment at a line feed or a carriage return) and let the rest of a name run
/// as SQL, so every one is escaped.
pub fn comment(text: &str) -> String {
    format!("-- {}", escape_control(text))
}

pub fn table_name(table: &Table) -> String {
    quote_qualified(&table.schema, &table.name)
}

/// A function as `ALTER FUNCTION`, `GRANT` and `REVOKE` name it: `schema.name(types)`.
/// The argument types are `format_type` spellings, which read back as themselves.
pub fn function_name(key: &FunctionKey) -> String {
    format!("{}({})", quote_qualified(&key.schema, &key.name), key.args)
}

/// `"policy" ON schema.table`, for `ALTER POLICY`.
pub fn policy_name(table: &Table, policy: &Policy) -> String {
    format!("{} ON {}", quote_ident(&policy.name), table_name(table))
}

/// A comma-separated role list for `GRANT`, `REVOKE` and `TO`; `PUBLIC` unquoted.
pub fn grantees<'a>(grantees: impl IntoIterator<Item = &'a Grantee>) -> String {
    let names: Vec<String> = grantees
        .into_iter()
        .map(|grantee| match grantee {
            Grantee::Public => "PUBLIC".to_string(),
            Grantee::Role(name) => quote_ident(name),
        })
        .collect();
    names.join(", ")
}

pub fn enable_rls(table: &Table) -> String {
    format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", table_name(table))
}

/// What a table with row-level security and no usable policy gets, for `roles`: the owner
/// policy when a column names the owner, else comments only (a skeleton to complete):
/// nobody can guess who may see which row, and a guess that lets everyone read would
/// expose every row. `None` when there is no role to write it for.
pub fn policy_for(table: &Table, roles: &[&str]) -> Option<String> {
    let name = table_name(table);
    if roles.is_empty() {
        return None;
    }
    let roles: Vec<String> = roles.iter().map(|role| quote_ident(role)).collect();
    let roles = roles.join(", ");
    let Some(column) = owner_column(table) else {
        return Some(
            [
                comment(&format!(
                    "{name} has no column naming its owner, so neonlint cannot write its policy: until one"
                )),
                comment("exists, row-level security lets no row through the Data API. Write the one that fits, e.g.:"),
                comment(&format!("CREATE POLICY members_read ON {name} FOR SELECT TO {roles}")),
                comment(
                    "  USING (team_id IN (SELECT team_id FROM public.members WHERE user_id = (select auth.user_id())));",
                ),
            ]
            .join("\n"),
        );
    };
    // `auth.user_id()` returns text; compare a uuid column with a uuid.
    let user_id =
        if column.type_name == "uuid" { "(select auth.user_id()::uuid)" } else { "(select auth.user_id())" };
    // The policy filters every request on the column: give it an index (NL014).
    let index = if table.indexes.iter().any(|index| index.first_column.as_ref() == Some(&column.name)) {
        String::new()
    } else {
        format!("\n{}", create_index(table, &column.name, false))
    };
    let explained = comment(&format!(
        "Each signed-in user may read and write only the rows of {name} whose {} is theirs.",
        quote_ident(&column.name)
    ));
    let column = quote_ident(&column.name);
    Some(format!(
        "{explained}\nDROP POLICY IF EXISTS {OWNER_POLICY} ON {name};\n\
         CREATE POLICY {OWNER_POLICY} ON {name} FOR ALL TO {roles}\n  \
         USING ({user_id} = {column})\n  WITH CHECK ({user_id} = {column});{index}"
    ))
}

/// The grants `role` lacks for a policy that lets it run every command on `table`: the
/// table privileges, and USAGE on the sequences its column defaults draw from (NL003's and
/// NL008's fixes, for a policy that does not exist yet).
pub fn grants_for_every_command(catalog: &Catalog, table: &Table, role: &str) -> Vec<String> {
    let mut grants = Vec::new();
    let (table_level, column_level) = catalog.table_privileges(table, role);
    let missing = Privileges::DML.without(table_level | column_level);
    if !missing.is_empty() {
        grants.push(format!("GRANT {missing} ON TABLE {} TO {};", table_name(table), quote_ident(role)));
    }
    for column in table.columns.iter().filter(|column| !column.identity) {
        let Some(sequence) = catalog.column_sequence(column) else { continue };
        let held = catalog.sequence_privileges(sequence, role);
        if held.contains(Privileges::USAGE) || held.contains(Privileges::UPDATE) {
            continue;
        }
        let grant = format!(
            "GRANT USAGE, SELECT ON SEQUENCE {} TO {};",
            quote_qualified(&sequence.schema, &sequence.name),
            quote_ident(role)
        );
        if !grants.contains(&grant) {
            grants.push(grant);
        }
    }
    grants
}

/// `CREATE INDEX [CONCURRENTLY] IF NOT EXISTS table_column_idx ON table (column)`, named
/// as PostgreSQL names an unnamed index (within the 63-byte limit).
pub fn create_index(table: &Table, column: &str, concurrently: bool) -> String {
    create_index_on(table, column, &quote_ident(column), concurrently)
}

/// `create_index` for a key given as SQL (a quoted column or a parenthesized expression),
/// named after `label`.
pub fn create_index_on(table: &Table, label: &str, key: &str, concurrently: bool) -> String {
    let mut name = format!("{}_{label}", table.name);
    while name.len() > 63 - "_idx".len() {
        name.pop();
    }
    let concurrently = if concurrently { " CONCURRENTLY" } else { "" };
    format!(
        "CREATE INDEX{concurrently} IF NOT EXISTS {} ON {} ({key});",
        quote_ident(&(name + "_idx")),
        table_name(table),
    )
}

/// Column names that say "the user who owns this row", compared without `_` and case.
const OWNER_COLUMNS: &[&str] = &["userid", "ownerid", "authorid", "createdby", "creatorid", "profileid"];

/// The first owner-like column of a type `auth.user_id()` can be compared with.
pub fn owner_column(table: &Table) -> Option<&Column> {
    OWNER_COLUMNS.iter().find_map(|wanted| {
        table.columns.iter().find(|column| {
            let squashed: String =
                column.name.chars().filter(|c| *c != '_').collect::<String>().to_ascii_lowercase();
            squashed == *wanted && is_text_or_uuid(&column.type_name)
        })
    })
}

fn is_text_or_uuid(type_name: &str) -> bool {
    let base = type_name.split('(').next().unwrap_or_default().trim();
    matches!(base, "uuid" | "text" | "varchar" | "character varying" | "citext")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_cannot_end_early() {
        let line = comment("public.\"t\nDROP TABLE public.victim;\r--\"");
        assert!(!line.contains('\n') && !line.contains('\r'), "{line}");
        assert!(line.starts_with("-- public."));
    }
}
