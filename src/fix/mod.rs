//! Corrective SQL: quoting, the statements rules attach to their findings, and the fix
//! file that puts them in an order that applies in one run.
//!
//! Every statement written here is idempotent (running the file twice is fine) and
//! schema-qualified. Nothing here reads files or talks to a database.

use std::collections::BTreeSet;

use crate::model::{Column, FunctionKey, Grantee, Policy, Table};
use crate::rules::{Applicability, Finding, Settings};

/// Quotes an identifier when PostgreSQL would not read it back unquoted as itself.
pub fn ident(name: &str) -> String {
    crate::sql::quote_ident(name)
}

pub fn table_name(table: &Table) -> String {
    qualified(&table.schema, &table.name)
}

/// `schema.name`, each part quoted as needed.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// A function as `ALTER FUNCTION`, `GRANT` and `REVOKE` name it: `schema.name(types)`.
/// The argument types are `format_type` spellings, which read back as themselves.
pub fn function_name(key: &FunctionKey) -> String {
    format!("{}({})", qualified(&key.schema, &key.name), key.args)
}

/// `"policy" ON schema.table`, for `ALTER POLICY`.
pub fn policy_name(table: &Table, policy: &Policy) -> String {
    format!("{} ON {}", ident(&policy.name), table_name(table))
}

/// A comma-separated role list for `GRANT`, `REVOKE` and `TO`; `PUBLIC` unquoted.
pub fn grantees<'a>(grantees: impl IntoIterator<Item = &'a Grantee>) -> String {
    let names: Vec<String> = grantees
        .into_iter()
        .map(|grantee| match grantee {
            Grantee::Public => "PUBLIC".to_string(),
            Grantee::Role(name) => ident(name),
        })
        .collect();
    names.join(", ")
}

pub fn enable_rls(table: &Table) -> String {
    format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", table_name(table))
}

/// What to write for a table without an owner-like column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyFallback {
    /// Let the API roles read every row and write none: never more than a table
    /// without RLS allowed.
    ReadOnly,
    /// Comments only: nobody can guess who may see which row.
    Skeleton,
}

/// Policy names neonlint writes; `DROP POLICY IF EXISTS` on them touches nothing else.
pub const OWNER_POLICY: &str = "neonlint_owner_rows";
pub const READ_POLICY: &str = "neonlint_read_all";

/// A policy for the API roles on `table`: owner rows when a column names the owner,
/// else what `fallback` says. `None` when there is nothing to write.
pub fn policy_template(table: &Table, settings: &Settings, fallback: PolicyFallback) -> Option<String> {
    let name = table_name(table);
    let roles: Vec<String> =
        settings.api_roles.iter().filter(|role| *role != "anonymous").map(|role| ident(role)).collect();
    if roles.is_empty() {
        return None;
    }
    let roles = roles.join(", ");
    if let Some(column) = owner_column(table) {
        // `auth.user_id()` returns text; compare a uuid column with a uuid.
        let user_id = if column.type_name == "uuid" {
            "(select auth.user_id()::uuid)"
        } else {
            "(select auth.user_id())"
        };
        // The policy filters every request on the column: give it an index (NL014).
        let index = if table.indexes.iter().any(|index| index.first_column.as_ref() == Some(&column.name)) {
            String::new()
        } else {
            format!("\n{}", create_index(table, &column.name, false))
        };
        let column = ident(&column.name);
        return Some(format!(
            "DROP POLICY IF EXISTS {OWNER_POLICY} ON {name};\n\
             CREATE POLICY {OWNER_POLICY} ON {name} FOR ALL TO {roles}\n  \
             USING ({user_id} = {column})\n  WITH CHECK ({user_id} = {column});{index}"
        ));
    }
    Some(match fallback {
        PolicyFallback::ReadOnly => format!(
            "-- {name} has no column naming its owner: signed-in users may read every row and write none.\n\
             DROP POLICY IF EXISTS {READ_POLICY} ON {name};\n\
             CREATE POLICY {READ_POLICY} ON {name} FOR SELECT TO {roles} USING (true);"
        ),
        PolicyFallback::Skeleton => format!(
            "-- {name} has no column naming its owner; write the policy that fits, for example:\n\
             -- CREATE POLICY members_read ON {name} FOR SELECT TO {roles}\n\
             --   USING (team_id IN (SELECT team_id FROM public.members WHERE user_id = (select auth.user_id())));"
        ),
    })
}

/// `CREATE INDEX [CONCURRENTLY] IF NOT EXISTS table_column_idx ON table (column)`, named
/// as PostgreSQL names an unnamed index (within the 63-byte limit).
pub fn create_index(table: &Table, column: &str, concurrently: bool) -> String {
    let mut name = format!("{}_{column}", table.name);
    while name.len() > 63 - "_idx".len() {
        name.pop();
    }
    let concurrently = if concurrently { " CONCURRENTLY" } else { "" };
    format!(
        "CREATE INDEX{concurrently} IF NOT EXISTS {} ON {} ({});",
        ident(&(name + "_idx")),
        table_name(table),
        ident(column)
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

/// One finding's corrective SQL, as the fix file and a fix migration write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// `NL001 rls-disabled public.todos REVIEW`.
    pub title: String,
    pub sql: String,
}

/// The fixes of `findings`, each distinct statement block once, in the order that
/// applies in one run (database grants, RLS, policies, table grants, default privileges).
pub fn blocks(findings: &[Finding]) -> Vec<Block> {
    let mut fixes: Vec<_> =
        findings.iter().filter_map(|finding| Some((finding, finding.fix.as_ref()?))).collect();
    fixes.sort_by_key(|(_, fix)| fix.phase);
    let mut seen = BTreeSet::new();
    fixes
        .into_iter()
        .filter(|(_, fix)| !fix.sql.is_empty() && seen.insert(fix.sql.clone()))
        .map(|(finding, fix)| {
            let review = if fix.applicability == Applicability::Review { " REVIEW" } else { "" };
            Block {
                title: format!("{} {} {}{review}", finding.rule.code, finding.rule.name, finding.object),
                sql: fix.sql.clone(),
            }
        })
        .collect()
}

/// The first lines of every fix file and fix migration.
pub fn header(command: &str) -> String {
    format!(
        "-- Written by neonlint {} (`{command}`).\n\
         -- Statements marked REVIEW change who can read or write rows: read them before applying.\n\
         -- Every statement is idempotent: running this file twice is fine.\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The fix file for `findings`: the header, then each block under its title.
pub fn render(findings: &[Finding], command: &str) -> String {
    let mut out = header(command);
    let blocks = blocks(findings);
    for block in &blocks {
        out.push_str(&format!("\n-- {}\n{}\n", block.title, block.sql));
    }
    if blocks.is_empty() {
        out.push_str("\n-- Nothing to fix.\n");
    }
    out
}

/// `blocks` made fit for a migration file: migration tools run each file in a transaction,
/// where `CREATE INDEX CONCURRENTLY` fails, so indexes are built plainly (and the block
/// says what that costs).
pub fn for_migration(blocks: Vec<Block>) -> Vec<Block> {
    const CONCURRENTLY: &str = "CREATE INDEX CONCURRENTLY ";
    blocks
        .into_iter()
        .map(|block| {
            if !block.sql.contains(CONCURRENTLY) {
                return block;
            }
            let sql = format!(
                "-- Migration tools run a file in a transaction, where CONCURRENTLY is refused: this build\n\
                 -- blocks writes to the table while it runs. On a large table, build it CONCURRENTLY outside one.\n{}",
                block.sql.replace(CONCURRENTLY, "CREATE INDEX ")
            );
            Block { sql, ..block }
        })
        .collect()
}

/// `blocks` as separate statements (each with its comments and title), for migration
/// tools that run one statement at a time; blocks that are only comments (a policy
/// skeleton to complete) come back apart, for the migration's header.
pub fn statements(blocks: &[Block]) -> (Vec<String>, Vec<String>) {
    let mut statements = Vec::new();
    let mut notes = Vec::new();
    for block in blocks {
        let pieces = crate::sql::split::split(&block.sql);
        if pieces.is_empty() {
            notes.push(format!("-- {}\n{}", block.title, block.sql));
            continue;
        }
        for (i, piece) in pieces.iter().enumerate() {
            let text = block.sql[piece.comments_start..piece.end].trim();
            let title = if i == 0 { format!("-- {}\n", block.title) } else { String::new() };
            statements.push(format!("{title}{text};"));
        }
    }
    (statements, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(ident("todos"), "todos");
        assert_eq!(ident("Todos"), "\"Todos\"");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("my table"), "\"my table\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("1st"), "\"1st\"");
        assert_eq!(ident("été"), "\"été\"");
    }

    #[test]
    fn migrations_build_indexes_without_concurrently() {
        let blocks = vec![
            Block {
                title: "NL014".into(),
                sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON public.t (a);".into(),
            },
            Block { title: "NL003".into(), sql: "GRANT SELECT ON TABLE public.t TO authenticated;".into() },
        ];
        let fitted = for_migration(blocks.clone());
        assert!(
            fitted[0].sql.ends_with("\nCREATE INDEX IF NOT EXISTS t_a_idx ON public.t (a);"),
            "{}",
            fitted[0].sql
        );
        assert!(fitted[0].sql.starts_with("-- "));
        assert_eq!(fitted[1], blocks[1]);
    }
}
