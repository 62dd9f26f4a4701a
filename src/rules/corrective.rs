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

/// How the owner policy names the signed-in user: the project's own auth helper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserId {
    /// Neon's `auth.user_id()` (pg_session_jwt), which returns text.
    Neon,
    /// Supabase's `auth.uid()`, which returns uuid.
    Supabase,
}

impl UserId {
    /// The helper the database has (live), else the one its policies call (static):
    /// `auth.user_id()` unless the project knows only `auth.uid()`. A fix that calls a
    /// function the database lacks fails, and takes the rest of the fix file with it.
    pub fn of(catalog: &Catalog) -> UserId {
        let defined = |name: &str| {
            catalog
                .functions
                .keys()
                .any(|key| key.schema == "auth" && key.name == name && key.args.is_empty())
        };
        if defined("user_id") {
            return UserId::Neon;
        }
        if defined("uid") {
            return UserId::Supabase;
        }
        let (mut neon, mut supabase) = (false, false);
        let expressions = catalog
            .tables()
            .flat_map(|table| &table.policies)
            .flat_map(|policy| policy.using.iter().chain(policy.with_check.iter()));
        for expr in expressions {
            for (schema, name) in crate::policy_expr::called_functions(expr) {
                match (schema.as_deref(), name.as_str()) {
                    (Some("auth"), "user_id") => neon = true,
                    (Some("auth"), "uid") => supabase = true,
                    _ => {}
                }
            }
        }
        if supabase && !neon { UserId::Supabase } else { UserId::Neon }
    }

    /// The call, cast to compare with a column of `type_name` and wrapped in a scalar
    /// subquery (evaluated once per statement, not per row).
    fn compared_with(self, type_name: &str) -> &'static str {
        let uuid = type_name == "uuid";
        match (self, uuid) {
            (UserId::Neon, true) => "(select auth.user_id()::uuid)",
            (UserId::Neon, false) => "(select auth.user_id())",
            (UserId::Supabase, true) => "(select auth.uid())",
            (UserId::Supabase, false) => "(select auth.uid()::text)",
        }
    }

    fn call(self) -> &'static str {
        match self {
            UserId::Neon => "auth.user_id()",
            UserId::Supabase => "auth.uid()",
        }
    }
}

/// The commands the owner policy on `table` is for: those the roles can already run on it
/// (a table granted SELECT and INSERT only is append-only on purpose, and the fix must not
/// let anyone update or delete), or all four when they hold none (the table is unusable
/// until the fix's grants).
pub fn owner_policy_commands(catalog: &Catalog, table: &Table, roles: &[&str]) -> Privileges {
    let mut held = Privileges::NONE;
    for role in roles {
        let (table_level, column_level) = catalog.table_privileges(table, role);
        held |= table_level | column_level;
    }
    let held = held & Privileges::DML;
    if held.is_empty() { Privileges::DML } else { held }
}

/// What a table with row-level security and no usable policy gets, for `roles` and the
/// `commands` they may run (`owner_policy_commands`): the owner policy when a column names
/// the owner, else comments only (a skeleton to complete): nobody can guess who may see
/// which row, and a guess that lets everyone read would expose every row. `None` when
/// there is no role to write it for.
pub fn policy_for(catalog: &Catalog, table: &Table, roles: &[&str], commands: Privileges) -> Option<String> {
    let name = table_name(table);
    if roles.is_empty() {
        return None;
    }
    let user = UserId::of(catalog);
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
                comment(&format!(
                    "  USING (team_id IN (SELECT team_id FROM public.members WHERE user_id = (select {})));",
                    user.call()
                )),
            ]
            .join("\n"),
        );
    };
    let user_id = user.compared_with(&column.type_name);
    // The policy filters every request on the column: give it an index (NL014).
    let index = if table.indexes.iter().any(|index| index.first_column.as_ref() == Some(&column.name)) {
        String::new()
    } else {
        format!("\n{}", create_index(table, &column.name, false))
    };
    let quoted = quote_ident(&column.name);
    let check = format!("{user_id} = {quoted}");
    if commands.contains(Privileges::DML) {
        let explained = comment(&format!(
            "Each signed-in user may read and write only the rows of {name} whose {quoted} is theirs."
        ));
        return Some(format!(
            "{explained}\nDROP POLICY IF EXISTS {OWNER_POLICY} ON {name};\n\
             CREATE POLICY {OWNER_POLICY} ON {name} FOR ALL TO {roles}\n  \
             USING ({check})\n  WITH CHECK ({check});{index}"
        ));
    }
    // One policy per command the roles hold, and no other.
    let mut lines = vec![
        comment(&format!(
            "Each signed-in user may run {commands} on only the rows of {name} whose {quoted} is theirs:"
        )),
        comment("the commands the API roles hold today. The others stay refused."),
    ];
    for (privilege, command, clauses) in [
        (Privileges::SELECT, "SELECT", format!("USING ({check})")),
        (Privileges::INSERT, "INSERT", format!("WITH CHECK ({check})")),
        (Privileges::UPDATE, "UPDATE", format!("USING ({check})\n  WITH CHECK ({check})")),
        (Privileges::DELETE, "DELETE", format!("USING ({check})")),
    ] {
        if !commands.contains(privilege) {
            continue;
        }
        let policy = format!("{OWNER_POLICY}_{}", command.to_lowercase());
        lines.push(format!("DROP POLICY IF EXISTS {policy} ON {name};"));
        lines.push(format!("CREATE POLICY {policy} ON {name} FOR {command} TO {roles}\n  {clauses};"));
    }
    Some(lines.join("\n") + &index)
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

/// The first owner-like column of a type the signed-in user's id can be compared with.
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

    fn catalog(sql: &str) -> Catalog {
        let mut replay = crate::replay::Replay::new(&crate::replay::Options::default());
        replay.file(crate::model::FileId(0), &crate::sql::parse_file(sql).statements);
        replay.finish()
    }

    #[test]
    fn the_owner_policy_calls_the_auth_helper_the_project_has() {
        let table = "CREATE TABLE public.t (id int, user_id uuid);";
        // Nothing says which: Neon's.
        assert_eq!(UserId::of(&catalog(table)), UserId::Neon);
        // Policies that call only Supabase's helper, or a migration that defines it.
        let supabase = format!("{table} CREATE POLICY p ON public.t USING ((select auth.uid()) = user_id);");
        assert_eq!(UserId::of(&catalog(&supabase)), UserId::Supabase);
        let defined = format!(
            "{table} CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$;"
        );
        assert_eq!(UserId::of(&catalog(&defined)), UserId::Supabase);
        // Both called: Neon's, which the Data API installs.
        let both = format!("{supabase} CREATE POLICY q ON public.t USING (auth.user_id() IS NOT NULL);");
        assert_eq!(UserId::of(&catalog(&both)), UserId::Neon);
        let t = catalog(&supabase);
        let sql = policy_for(&t, t.tables().next().unwrap(), &["authenticated"], Privileges::DML).unwrap();
        assert!(sql.contains("USING ((select auth.uid()) = user_id)"), "{sql}");
    }

    #[test]
    fn the_owner_policy_is_for_the_commands_the_roles_hold() {
        let sql = "CREATE TABLE public.t (id int, user_id text);
                   GRANT SELECT, INSERT ON public.t TO authenticated;";
        let catalog = catalog(sql);
        let table = catalog.tables().next().unwrap();
        let commands = owner_policy_commands(&catalog, table, &["authenticated"]);
        assert_eq!(commands, Privileges::SELECT | Privileges::INSERT);
        let policy = policy_for(&catalog, table, &["authenticated"], commands).unwrap();
        assert!(policy.contains("FOR SELECT TO authenticated\n  USING ("), "{policy}");
        assert!(policy.contains("FOR INSERT TO authenticated\n  WITH CHECK ("), "{policy}");
        assert!(
            !policy.contains("FOR ALL") && !policy.contains("UPDATE") && !policy.contains("DELETE"),
            "{policy}"
        );
        // No privilege held: the table is unusable, and the policy is for every command.
        let bare = self::catalog("CREATE TABLE public.t (id int, user_id text);");
        assert_eq!(
            owner_policy_commands(&bare, bare.tables().next().unwrap(), &["authenticated"]),
            Privileges::DML
        );
    }

    #[test]
    fn comments_cannot_end_early() {
        let line = comment("public.\"t\nDROP TABLE public.victim;\r--\"");
        assert!(!line.contains('\n') && !line.contains('\r'), "{line}");
        assert!(line.starts_with("-- public."));
    }
}
