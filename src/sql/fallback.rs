//! A token-level reader for the statements the model needs when sqlparser rejects them
//! (`ALTER TABLE … SET SCHEMA`, `CREATE DATABASE … OWNER`, drizzle's identity
//! `(sequence name …)`, `GRANT MAINTAIN`, `GRANT … ON TYPE`, `WITH NO DATA`, …).
//!
//! It reads only the facts the model keeps and skips the rest of a clause, so a
//! statement whose header it understands is never a parse error here. It is not a
//! validator: PostgreSQL may still reject what this accepts.

mod objects;

use super::cursor::TokenCursor;
use super::lexer::{Lexer, Token, TokenKind};
use super::{
    AlterPolicy, AlterTableAction, CreatePolicy, CreateTable, CreateView, DefaultPrivilegeChange,
    GrantTarget, PartitionBound, PrivilegeChange, PrivilegeList, RoleSpec, StatementKind,
};
use crate::model::{Column, DefaultObjectType, PolicyCommand, Privileges, TableKind};

pub use objects::default_sequence;

/// Reads `statement`, or `None` when even its header is not what we expect.
pub fn read(statement: &str) -> Option<StatementKind> {
    let mut cursor = Cursor::new(statement);
    if cursor.eat("create") {
        cursor.create()
    } else if cursor.eat("alter") {
        cursor.alter()
    } else if cursor.eat("drop") {
        cursor.drop()
    } else if cursor.eat("grant") {
        cursor.grant_or_revoke(true)
    } else if cursor.eat("revoke") {
        cursor.grant_or_revoke(false)
    } else if cursor.eat("select") {
        cursor.search_path_call()
    } else if cursor.eat("notify") {
        cursor.notify()
    } else {
        None
    }
}

/// The text of a column's type and options, as far as the model cares.
pub fn column_facts(name: String, type_and_options: &str) -> Column {
    let mut cursor = Cursor::new(type_and_options);
    cursor.column_rest(name)
}

struct Cursor<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    position: usize,
}

/// Words that end a column's type and start its constraints.
const COLUMN_CONSTRAINT_WORDS: &[&str] = &[
    "not",
    "null",
    "default",
    "primary",
    "unique",
    "check",
    "references",
    "generated",
    "constraint",
    "collate",
];

const TABLE_CONSTRAINT_WORDS: &[&str] =
    &["constraint", "primary", "unique", "check", "foreign", "exclude", "like"];

impl<'a> TokenCursor<'a> for Cursor<'a> {
    fn source(&self) -> &'a str {
        self.source
    }

    fn peek_nth(&mut self, n: usize) -> Option<Token> {
        self.tokens.get(self.position + n).copied()
    }

    fn advance(&mut self, n: usize) {
        self.position += n;
    }
}

impl<'a> Cursor<'a> {
    fn new(source: &'a str) -> Self {
        let tokens = Lexer::new(source).filter(|token| !token.is_comment()).collect();
        Cursor { source, tokens, position: 0 }
    }

    /// Advances to the next top-level `,` (not eaten) or the end; returns whether a
    /// comma follows.
    fn skip_to_comma(&mut self) -> bool {
        let mut depth = 0usize;
        while let Some(token) = self.peek() {
            match token.kind {
                TokenKind::Punct(b'(') | TokenKind::Punct(b'[') => depth += 1,
                TokenKind::Punct(b')') | TokenKind::Punct(b']') => {
                    if depth == 0 {
                        return false;
                    }
                    depth -= 1;
                }
                TokenKind::Punct(b',') if depth == 0 => return true,
                _ => {}
            }
            self.position += 1;
        }
        false
    }

    /// The source text from the current token to the next top-level comma or the end.
    fn text_to_comma(&mut self) -> &'a str {
        let start = self.peek().map_or(self.source.len(), |token| token.start);
        self.skip_to_comma();
        let end = self.peek().map_or(self.source.len(), |token| token.start);
        self.source[start..end].trim()
    }

    fn create(&mut self) -> Option<StatementKind> {
        let or_replace = self.eat_all(&["or", "replace"]);
        let temporary =
            self.eat_any(&["global", "local"]).is_some() | self.eat_any(&["temp", "temporary"]).is_some();
        self.eat("unlogged");
        self.eat("recursive");
        if let Some(kind) = self.create_sequence_or_index(temporary) {
            return Some(kind);
        }
        if self.eat("table") {
            return self.create_table(temporary, TableKind::Table);
        }
        if self.eat_all(&["foreign", "table"]) {
            return self.create_table(false, TableKind::ForeignTable);
        }
        let materialized = self.eat("materialized");
        if self.eat("view") {
            return self.create_view(materialized, or_replace);
        }
        if self.eat("policy") {
            return self.create_policy();
        }
        if self.eat("database") {
            let name = self.ident()?;
            self.eat("with");
            let mut owner = None;
            while !self.at_end() {
                if self.eat("owner") {
                    self.eat_punct(b'=');
                    owner = Some(self.role_spec()?);
                } else {
                    self.position += 1;
                }
            }
            return Some(StatementKind::CreateDatabase { name, owner });
        }
        if self.eat_any(&["role", "user", "group"]).is_some() {
            return self.create_role();
        }
        if self.eat("schema") {
            let if_not_exists = self.eat_all(&["if", "not", "exists"]);
            let (name, owner) = if self.eat("authorization") {
                let owner = self.role_spec()?;
                let name = match &owner {
                    RoleSpec::Name(name) => name.clone(),
                    _ => return None,
                };
                (name, Some(owner))
            } else {
                let name = self.ident()?;
                let owner = if self.eat("authorization") { Some(self.role_spec()?) } else { None };
                (name, owner)
            };
            return Some(StatementKind::CreateSchema { name, if_not_exists, owner });
        }
        if self.eat("extension") {
            let if_not_exists = self.eat_all(&["if", "not", "exists"]);
            let name = self.ident()?;
            self.eat("with");
            let mut schema = None;
            while !self.at_end() {
                if self.eat("schema") {
                    schema = Some(self.ident()?);
                } else {
                    self.position += 1;
                }
            }
            return Some(StatementKind::CreateExtension { name, schema, if_not_exists });
        }
        None
    }

    fn create_table(&mut self, temporary: bool, mut kind: TableKind) -> Option<StatementKind> {
        let if_not_exists = self.eat_all(&["if", "not", "exists"]);
        let name = self.object_ref()?;
        let mut partition_of = None;
        let mut columns = Vec::new();
        let mut indexed_columns = Vec::new();
        if self.eat_all(&["partition", "of"]) {
            partition_of = Some(self.object_ref()?);
        } else if self.eat("of") {
            self.object_ref()?;
        }
        let mut primary_keys = 0;
        if let Some((start, end)) = self.parenthesized() {
            let elements = &self.source[start..end];
            // PostgreSQL's grammar has no empty element (`id int,, name text`, a trailing
            // comma): such a statement is a syntax error and creates nothing.
            if has_empty_element(elements) {
                return None;
            }
            columns = table_elements(elements);
            indexed_columns = objects::indexed_columns(elements);
            primary_keys = count_primary_keys(elements);
        }
        // What follows (`INHERITS`, `PARTITION BY`, `FOR VALUES`, `WITH`, `AS …`) only
        // matters for the kind.
        let mut partition_key = Vec::new();
        let mut partition_bound = None;
        while !self.at_end() {
            if partition_of.is_some()
                && partition_bound.is_none()
                && let Some(bound) = self.partition_bound()
            {
                partition_bound = Some(bound);
            } else if self.eat_all(&["partition", "by"]) {
                kind = TableKind::PartitionedTable;
                self.position += 1; // RANGE, LIST or HASH
                if let Some((start, end)) = self.parenthesized() {
                    partition_key = objects::plain_names(&self.source[start..end]);
                }
            } else if self.parenthesized().is_none() {
                self.position += 1;
            }
        }
        Some(StatementKind::CreateTable(CreateTable {
            name,
            if_not_exists,
            kind,
            partition_of,
            columns,
            temporary,
            indexed_columns,
            primary_keys,
            partition_key,
            partition_bound,
        }))
    }

    /// `FOR VALUES …` or `DEFAULT`, after `PARTITION OF name` or `ATTACH PARTITION name`.
    fn partition_bound(&mut self) -> Option<PartitionBound> {
        if self.eat("default") {
            return Some(PartitionBound::Default);
        }
        if !self.eat_all(&["for", "values"]) {
            return None;
        }
        if self.eat("in")
            && let Some((start, end)) = self.parenthesized()
        {
            return Some(PartitionBound::In(bound_values(&self.source[start..end])));
        }
        Some(PartitionBound::Other)
    }

    fn create_view(&mut self, materialized: bool, or_replace: bool) -> Option<StatementKind> {
        let if_not_exists = self.eat_all(&["if", "not", "exists"]);
        let name = self.object_ref()?;
        let mut security_invoker = None;
        while !self.at_end() && !self.peek_is("as") {
            if self.eat("with") {
                let (start, end) = self.parenthesized()?;
                security_invoker = view_security_invoker(&self.source[start..end]).or(security_invoker);
            } else if self.parenthesized().is_none() {
                self.position += 1;
            }
        }
        Some(StatementKind::CreateView(CreateView {
            name,
            materialized,
            or_replace,
            if_not_exists,
            security_invoker,
            reads: Vec::new(),
        }))
    }

    fn create_policy(&mut self) -> Option<StatementKind> {
        let name = self.ident()?;
        if !self.eat("on") {
            return None;
        }
        let table = self.object_ref()?;
        let mut policy = CreatePolicy {
            name,
            table,
            permissive: true,
            command: PolicyCommand::All,
            roles: Vec::new(),
            using: None,
            with_check: None,
        };
        if self.eat("as") {
            policy.permissive = self.eat_any(&["permissive", "restrictive"])? == "permissive";
        }
        if self.eat("for") {
            policy.command = self.policy_command()?;
        }
        if self.eat("to") {
            policy.roles = self.list(Self::role_spec)?;
        }
        self.policy_expressions(&mut policy.using, &mut policy.with_check)?;
        Some(StatementKind::CreatePolicy(policy))
    }

    fn policy_command(&mut self) -> Option<PolicyCommand> {
        Some(match self.eat_any(&["all", "select", "insert", "update", "delete"])? {
            "select" => PolicyCommand::Select,
            "insert" => PolicyCommand::Insert,
            "update" => PolicyCommand::Update,
            "delete" => PolicyCommand::Delete,
            _ => PolicyCommand::All,
        })
    }

    fn policy_expressions(
        &mut self,
        using: &mut Option<String>,
        with_check: &mut Option<String>,
    ) -> Option<()> {
        loop {
            if self.eat("using") {
                let (start, end) = self.parenthesized()?;
                *using = Some(self.source[start..end].trim().to_string());
            } else if self.eat_all(&["with", "check"]) {
                let (start, end) = self.parenthesized()?;
                *with_check = Some(self.source[start..end].trim().to_string());
            } else {
                return self.at_end().then_some(());
            }
        }
    }

    /// `CREATE ROLE|USER|GROUP`: they differ only in whether the role can log in.
    fn create_role(&mut self) -> Option<StatementKind> {
        self.eat_all(&["if", "not", "exists"]);
        let name = self.ident()?;
        let mut inherit = None;
        let mut in_roles = Vec::new();
        let mut members = Vec::new();
        self.eat("with");
        while !self.at_end() {
            if self.eat_all(&["in", "role"]) || self.eat_all(&["in", "group"]) {
                in_roles.extend(self.list(Self::ident)?);
            } else if self.eat_any(&["role", "user", "admin"]).is_some() {
                members.extend(self.list(Self::ident)?);
            } else if self.eat("inherit") {
                inherit = Some(true);
            } else if self.eat("noinherit") {
                inherit = Some(false);
            } else {
                self.position += 1;
            }
        }
        Some(StatementKind::CreateRoles { names: vec![name], inherit, in_roles, members })
    }

    fn alter(&mut self) -> Option<StatementKind> {
        if self.eat_all(&["default", "privileges"]) {
            return self.alter_default_privileges();
        }
        // Views take the table actions they share (`RENAME TO`, `OWNER TO`, `SET SCHEMA`,
        // `SET ( … )`).
        let view = self.eat("view") || self.eat_all(&["materialized", "view"]);
        if view || self.eat("table") || self.eat_all(&["foreign", "table"]) {
            return self.alter_table();
        }
        if self.eat("sequence") {
            return self.alter_sequence();
        }
        if self.eat("policy") {
            return self.alter_policy();
        }
        if self.eat("schema") {
            let name = self.ident()?;
            let (rename_to, owner) = self.rename_or_owner()?;
            return Some(StatementKind::AlterSchema { name, rename_to, owner });
        }
        if self.eat("database") {
            let name = self.ident()?;
            if self.eat("set") {
                return self.set_default();
            }
            let (rename_to, owner) = self.rename_or_owner()?;
            return Some(StatementKind::AlterDatabase { name, rename_to, owner });
        }
        if self.eat_any(&["role", "user"]).is_some() {
            // `ALTER ROLE r|ALL [IN DATABASE d] SET name …`; the rest changes nothing we hold.
            self.ident()?;
            if self.eat_all(&["in", "database"]) {
                self.ident()?;
            }
            return if self.eat("set") { self.set_default() } else { Some(StatementKind::Other) };
        }
        if self.eat("group") {
            // `ALTER GROUP g ADD|DROP USER u, …`: the old spelling of role membership.
            let group = self.ident()?;
            let grant = match self.eat_any(&["add", "drop"]) {
                Some("add") => true,
                Some(_) => false,
                None => return Some(StatementKind::Other),
            };
            self.eat("user");
            let members = self.list(Self::role_spec)?;
            return Some(StatementKind::RoleMembership { grant, roles: vec![group], members });
        }
        // ALTER EXTENSION: nothing the model reads yet.
        if self.eat_any(&["view", "materialized", "extension"]).is_some() {
            return Some(StatementKind::Other);
        }
        None
    }

    /// The setting after `SET` of `ALTER DATABASE|ROLE`: `name` or `prefix.name`.
    fn set_default(&mut self) -> Option<StatementKind> {
        let mut setting = self.ident()?;
        while self.eat_punct(b'.') {
            setting.push('.');
            setting.push_str(&self.ident()?);
        }
        Some(StatementKind::SetDefault { setting: setting.to_ascii_lowercase() })
    }

    /// `RENAME TO x` or `OWNER TO r`; anything else changes nothing we hold.
    fn rename_or_owner(&mut self) -> Option<(Option<String>, Option<RoleSpec>)> {
        if self.eat_all(&["rename", "to"]) {
            return Some((Some(self.ident()?), None));
        }
        if self.eat_all(&["owner", "to"]) {
            return Some((None, Some(self.role_spec()?)));
        }
        Some((None, None))
    }

    fn alter_table(&mut self) -> Option<StatementKind> {
        if self.peek_is("all") {
            // `ALTER TABLE ALL IN TABLESPACE …` moves storage only.
            return Some(StatementKind::Other);
        }
        let if_exists = self.eat_all(&["if", "exists"]);
        self.eat("only");
        let name = self.object_ref()?;
        self.eat_punct(b'*');
        let mut actions = Vec::new();
        loop {
            if let Some(action) = self.alter_table_action() {
                // The RLS switches are whole clauses: a word after one is a syntax error
                // on the server (`ENABLE ROW LEVEL SECURITY FOO`), which changes nothing.
                let is_switch = matches!(
                    action,
                    AlterTableAction::EnableRls
                        | AlterTableAction::DisableRls
                        | AlterTableAction::ForceRls
                        | AlterTableAction::NoForceRls
                );
                if is_switch && !(self.at_end() || self.peek_punct(b',')) {
                    return None;
                }
                actions.push(action);
            }
            if !self.skip_to_comma() {
                break;
            }
            self.position += 1;
        }
        Some(StatementKind::AlterTable { name, if_exists, actions })
    }

    fn alter_table_action(&mut self) -> Option<AlterTableAction> {
        if self.eat_all(&["enable", "row", "level", "security"]) {
            return Some(AlterTableAction::EnableRls);
        }
        if self.eat_all(&["disable", "row", "level", "security"]) {
            return Some(AlterTableAction::DisableRls);
        }
        if self.eat_all(&["force", "row", "level", "security"]) {
            return Some(AlterTableAction::ForceRls);
        }
        if self.eat_all(&["no", "force", "row", "level", "security"]) {
            return Some(AlterTableAction::NoForceRls);
        }
        if self.eat_all(&["rename", "to"]) {
            return Some(AlterTableAction::RenameTo(self.ident()?));
        }
        if self.eat("rename") {
            if self.eat("constraint") {
                return None;
            }
            self.eat("column");
            let from = self.ident()?;
            if !self.eat("to") {
                return None;
            }
            return Some(AlterTableAction::RenameColumn { from, to: self.ident()? });
        }
        if self.eat_all(&["set", "schema"]) {
            return Some(AlterTableAction::SetSchema(self.ident()?));
        }
        if self.eat_all(&["owner", "to"]) {
            return Some(AlterTableAction::OwnerTo(self.role_spec()?));
        }
        if self.eat_all(&["attach", "partition"]) {
            let child = self.object_ref()?;
            return Some(AlterTableAction::AttachPartition(child, self.partition_bound()));
        }
        if self.eat_all(&["detach", "partition"]) {
            return Some(AlterTableAction::DetachPartition(self.object_ref()?));
        }
        if let Some(action) = self.security_invoker_option() {
            return Some(action);
        }
        if self.eat("add") {
            if TABLE_CONSTRAINT_WORDS.iter().any(|word| self.peek_is(word)) {
                return self.add_index_constraint();
            }
            self.eat("column");
            self.eat_all(&["if", "not", "exists"]);
            let name = self.ident()?;
            let rest = self.text_to_comma();
            return Some(AlterTableAction::AddColumn(column_facts(name, rest)));
        }
        if self.eat("drop") {
            if self.peek_is("constraint") {
                return None;
            }
            self.eat("column");
            self.eat_all(&["if", "exists"]);
            return Some(AlterTableAction::DropColumns(vec![self.ident()?]));
        }
        if self.eat("alter") {
            self.eat("column");
            let column = self.ident()?;
            let rest_as_written = self.text_to_comma();
            let rest = rest_as_written.to_ascii_lowercase();
            if rest.starts_with("add generated") {
                return Some(AlterTableAction::ColumnUsesSequence { column, identity: true, sequence: None });
            }
            if rest.starts_with("set default") && rest.contains("nextval") {
                return Some(AlterTableAction::ColumnUsesSequence {
                    column,
                    identity: false,
                    sequence: default_sequence(rest_as_written),
                });
            }
            if rest.starts_with("set default") || rest.starts_with("drop default") {
                return Some(AlterTableAction::DropDefault { column });
            }
        }
        None
    }

    fn alter_policy(&mut self) -> Option<StatementKind> {
        let name = self.ident()?;
        if !self.eat("on") {
            return None;
        }
        let table = self.object_ref()?;
        let mut policy =
            AlterPolicy { name, table, rename_to: None, roles: None, using: None, with_check: None };
        if self.eat_all(&["rename", "to"]) {
            policy.rename_to = Some(self.ident()?);
        } else {
            if self.eat("to") {
                policy.roles = Some(self.list(Self::role_spec)?);
            }
            self.policy_expressions(&mut policy.using, &mut policy.with_check)?;
        }
        Some(StatementKind::AlterPolicy(policy))
    }

    fn alter_default_privileges(&mut self) -> Option<StatementKind> {
        let mut for_roles = Vec::new();
        let mut schemas = Vec::new();
        loop {
            if self.eat("for") {
                self.eat_any(&["role", "user"])?;
                for_roles.extend(self.list(Self::role_spec)?);
            } else if self.eat_all(&["in", "schema"]) {
                schemas.extend(self.list(Self::ident)?);
            } else {
                break;
            }
        }
        let grant = self.eat_any(&["grant", "revoke"])? == "grant";
        if !grant {
            self.eat_all(&["grant", "option", "for"]);
        }
        let privileges = self.privilege_list()?;
        if !self.eat("on") {
            return None;
        }
        let object_type =
            match self.eat_any(&["tables", "sequences", "functions", "routines", "types", "schemas"])? {
                "tables" => DefaultObjectType::Tables,
                "sequences" => DefaultObjectType::Sequences,
                "types" => DefaultObjectType::Types,
                "schemas" => DefaultObjectType::Schemas,
                _ => DefaultObjectType::Functions,
            };
        self.eat_any(&["to", "from"])?;
        let grantees = self.list(Self::role_spec)?;
        Some(StatementKind::AlterDefaultPrivileges(DefaultPrivilegeChange {
            grant,
            for_roles,
            schemas,
            privileges,
            object_type,
            grantees,
        }))
    }

    fn drop(&mut self) -> Option<StatementKind> {
        if let Some(kind) = self.drop_sequences_or_indexes() {
            return Some(kind);
        }
        let kinds = if self.eat("table") {
            Some(vec![TableKind::Table, TableKind::PartitionedTable])
        } else if self.eat("view") {
            Some(vec![TableKind::View])
        } else if self.eat_all(&["materialized", "view"]) {
            Some(vec![TableKind::MaterializedView])
        } else if self.eat_all(&["foreign", "table"]) {
            Some(vec![TableKind::ForeignTable])
        } else {
            None
        };
        if let Some(kinds) = kinds {
            let if_exists = self.eat_all(&["if", "exists"]);
            let names = self.list(Self::object_ref)?;
            return Some(StatementKind::DropRelations { names, if_exists, kinds });
        }
        if self.eat("policy") {
            let if_exists = self.eat_all(&["if", "exists"]);
            let name = self.ident()?;
            if !self.eat("on") {
                return None;
            }
            return Some(StatementKind::DropPolicy { name, table: self.object_ref()?, if_exists });
        }
        if self.eat("schema") {
            self.eat_all(&["if", "exists"]);
            let names = self.list(Self::ident)?;
            return Some(StatementKind::DropSchemas { names, cascade: self.eat("cascade") });
        }
        if self.eat_any(&["role", "user", "group"]).is_some() {
            self.eat_all(&["if", "exists"]);
            return Some(StatementKind::DropRoles { names: self.list(Self::ident)? });
        }
        if self.eat("database") {
            self.eat_all(&["if", "exists"]);
            return Some(StatementKind::DropDatabase { name: self.ident()? });
        }
        if self.eat("extension") {
            self.eat_all(&["if", "exists"]);
            return Some(StatementKind::DropExtensions { names: self.list(Self::ident)? });
        }
        None
    }

    fn grant_or_revoke(&mut self, grant: bool) -> Option<StatementKind> {
        let start = self.position;
        // Object privileges have `ON` before `TO`/`FROM`; role membership has none.
        let is_membership = !self.tokens[start..].iter().any(|token| token.is_word(self.source, "on"));
        if is_membership {
            if !grant {
                // `REVOKE ADMIN|INHERIT|SET OPTION FOR role FROM member`.
                if self.peek_nth_is(1, "option") && self.peek_nth_is(2, "for") {
                    self.position += 3;
                }
            }
            let roles = self.list(Self::ident)?;
            self.eat_any(&["to", "from"])?;
            let members = self.list(Self::role_spec)?;
            return Some(StatementKind::RoleMembership { grant, roles, members });
        }
        if !grant {
            self.eat_all(&["grant", "option", "for"]);
        }
        let privileges = self.privilege_list()?;
        if !self.eat("on") {
            return None;
        }
        let target = self.grant_target()?;
        self.eat_any(&["to", "from"])?;
        let grantees = self.list(Self::role_spec)?;
        Some(StatementKind::Privileges(PrivilegeChange { grant, privileges, target, grantees }))
    }

    fn privilege_list(&mut self) -> Option<PrivilegeList> {
        let mut list = PrivilegeList::default();
        if self.eat("all") {
            self.eat("privileges");
            list.all = true;
            self.parenthesized();
            return Some(list);
        }
        loop {
            let token = self.peek()?;
            if token.kind != TokenKind::Word {
                return None;
            }
            let privilege = Privileges::from_keyword(token.text(self.source))
                // `ALTER SYSTEM`, `SET` (parameters): nothing the model holds.
                .or_else(|| {
                    ["alter", "set"].iter().any(|w| token.is_word(self.source, w)).then_some(Privileges::NONE)
                })?;
            self.position += 1;
            if token.is_word(self.source, "alter") {
                self.eat("system");
            }
            if self.parenthesized().is_some() {
                list.column_level |= privilege;
            } else {
                list.object_level |= privilege;
            }
            if !self.eat_punct(b',') {
                return Some(list);
            }
        }
    }

    fn grant_target(&mut self) -> Option<GrantTarget> {
        if let Some(target) = self.sequence_grant_target() {
            return Some(target);
        }
        if self.eat("all") {
            let tables = self.eat("tables");
            if !tables {
                self.eat_any(&["sequences", "functions", "procedures", "routines"])?;
            }
            if !self.eat_all(&["in", "schema"]) {
                return None;
            }
            let schemas = self.list(Self::ident)?;
            return Some(if tables { GrantTarget::AllTablesInSchemas(schemas) } else { GrantTarget::Other });
        }
        if self.eat("schema") {
            return Some(GrantTarget::Schemas(self.list(Self::ident)?));
        }
        if self.eat("database") {
            return Some(GrantTarget::Databases(self.list(Self::ident)?));
        }
        let other = [
            "sequence",
            "function",
            "procedure",
            "routine",
            "type",
            "domain",
            "language",
            "large",
            "foreign",
            "tablespace",
            "parameter",
        ];
        if self.eat_any(&other).is_some() {
            // Skip to `TO`/`FROM`.
            while !self.at_end() && !self.peek_is("to") && !self.peek_is("from") {
                if self.parenthesized().is_none() {
                    self.position += 1;
                }
            }
            return Some(GrantTarget::Other);
        }
        self.eat("table");
        Some(GrantTarget::Tables(self.list(Self::object_ref)?))
    }

    /// `SELECT [pg_catalog.]set_config('search_path', 'a, b', false)`, or
    /// `SELECT pg_notify('pgrst', …)`.
    fn search_path_call(&mut self) -> Option<StatementKind> {
        let function = self.object_ref()?;
        if function.name == "pg_notify" {
            return self.pg_notify_call();
        }
        if function.name != "set_config" || !self.eat_punct(b'(') {
            return None;
        }
        let setting = self.string_literal()?;
        if !setting.eq_ignore_ascii_case("search_path") || !self.eat_punct(b',') {
            return None;
        }
        let value = self.string_literal()?;
        Some(StatementKind::SetSearchPath(Some(search_path_list(&value))))
    }

    fn string_literal(&mut self) -> Option<String> {
        let token = self.peek().filter(|token| token.kind == TokenKind::String)?;
        self.position += 1;
        let text = token.text(self.source);
        let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
        Some(inner.replace("''", "'"))
    }

    /// The part of a column definition after its name.
    fn column_rest(&mut self, name: String) -> Column {
        let type_start = self.peek().map_or(0, |token| token.start);
        let mut type_end = type_start;
        while let Some(token) = self.peek() {
            if COLUMN_CONSTRAINT_WORDS.iter().any(|word| token.is_word(self.source, word)) {
                break;
            }
            if self.parenthesized().is_none() {
                self.position += 1;
            }
            type_end = self.tokens.get(self.position - 1).map_or(type_end, |token| token.end);
        }
        let type_name = self.source[type_start..type_end.max(type_start)].trim().to_ascii_lowercase();
        let rest = self.source[type_end.max(type_start)..].to_ascii_lowercase();
        let identity = rest.contains("generated") && rest.contains("identity");
        Column {
            uses_sequence: is_serial(&type_name) || rest.contains("nextval"),
            name,
            type_name,
            identity,
            sequence: default_sequence(&self.source[type_end.max(type_start)..]),
        }
    }
}

/// Columns of a `CREATE TABLE ( … )` element list; constraints and `LIKE` are skipped.
fn table_elements(elements: &str) -> Vec<Column> {
    let mut cursor = Cursor::new(elements);
    let mut columns = Vec::new();
    loop {
        let is_constraint = TABLE_CONSTRAINT_WORDS.iter().any(|word| cursor.peek_is(word));
        if !is_constraint && let Some(name) = cursor.ident() {
            let rest = cursor.text_to_comma();
            if !rest.is_empty() || cursor.at_end() {
                columns.push(column_facts(name, rest));
            }
        }
        if !cursor.skip_to_comma() {
            return columns;
        }
        cursor.position += 1;
    }
}

/// The values of `FOR VALUES IN ( … )`, each as written.
fn bound_values(list: &str) -> Vec<String> {
    let mut cursor = Cursor::new(list);
    let mut values = Vec::new();
    loop {
        let value = cursor.text_to_comma().trim();
        if !value.is_empty() {
            values.push(value.to_string());
        }
        if cursor.at_end() {
            return values;
        }
        cursor.position += 1;
    }
}

/// Whether a `( … )` element list has an empty element: two commas in a row, or a comma
/// first or last. An empty list `()` is fine (a table without columns).
fn has_empty_element(elements: &str) -> bool {
    let mut cursor = Cursor::new(elements);
    if cursor.at_end() {
        return false;
    }
    loop {
        if cursor.text_to_comma().is_empty() {
            return true;
        }
        if cursor.at_end() {
            return false;
        }
        cursor.position += 1;
    }
}

/// How many `PRIMARY KEY` clauses an element list has, as column or table constraints.
fn count_primary_keys(elements: &str) -> usize {
    let cursor = Cursor::new(elements);
    cursor
        .tokens
        .windows(2)
        .filter(|pair| pair[0].is_word(elements, "primary") && pair[1].is_word(elements, "key"))
        .count()
}

/// `serial`, `bigserial`, `smallserial` and their aliases.
pub fn is_serial(type_name: &str) -> bool {
    matches!(type_name, "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2")
}

/// The value of `security_invoker` in a view's `WITH ( … )` options.
fn view_security_invoker(options: &str) -> Option<bool> {
    let mut cursor = Cursor::new(options);
    loop {
        let key = cursor.ident()?;
        let mut value = true;
        if cursor.eat_punct(b'=') {
            let token = cursor.peek()?;
            let text = token.text(cursor.source).trim_matches('\'').to_ascii_lowercase();
            value = matches!(text.as_str(), "true" | "on" | "1" | "yes" | "t" | "y");
            cursor.position += 1;
        }
        if key == "security_invoker" {
            return Some(value);
        }
        if !cursor.eat_punct(b',') {
            return None;
        }
    }
}

/// A `search_path` value given as one string (`'a, "B"'`), split as PostgreSQL does.
pub fn search_path_list(value: &str) -> Vec<String> {
    let mut cursor = Cursor::new(value);
    let mut schemas = Vec::new();
    while !cursor.at_end() {
        if let Some(name) = cursor.ident() {
            if !name.is_empty() {
                schemas.push(name);
            }
        } else {
            cursor.position += 1;
        }
        cursor.eat_punct(b',');
    }
    schemas
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::ObjectRef;

    fn table(name: &str) -> ObjectRef {
        ObjectRef { schema: None, name: name.into() }
    }

    #[test]
    fn create_database_with_owner() {
        assert_eq!(
            read("CREATE DATABASE app WITH OWNER = neondb_owner ENCODING 'UTF8'"),
            Some(StatementKind::CreateDatabase {
                name: "app".into(),
                owner: Some(RoleSpec::Name("neondb_owner".into()))
            })
        );
        assert_eq!(
            read("create database \"App\" owner bob"),
            Some(StatementKind::CreateDatabase {
                name: "App".into(),
                owner: Some(RoleSpec::Name("bob".into()))
            })
        );
    }

    #[test]
    fn alter_table_set_schema_and_rls_actions() {
        assert_eq!(
            read("ALTER TABLE IF EXISTS ONLY public.t SET SCHEMA private, ENABLE ROW LEVEL SECURITY"),
            Some(StatementKind::AlterTable {
                name: ObjectRef { schema: Some("public".into()), name: "t".into() },
                if_exists: true,
                actions: vec![AlterTableAction::SetSchema("private".into()), AlterTableAction::EnableRls],
            })
        );
    }

    #[test]
    fn drizzle_identity_with_sequence_options() {
        let statement = "CREATE TABLE \"d\" (\"id\" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name \"d_id_seq\" INCREMENT BY 1 START WITH 1 CACHE 1), \"n\" serial, CONSTRAINT c UNIQUE (n))";
        let Some(StatementKind::CreateTable(create)) = read(statement) else { panic!("not read") };
        assert_eq!(create.name, table("d"));
        assert_eq!(create.columns.len(), 2);
        assert!(create.columns[0].identity && !create.columns[0].uses_sequence);
        assert_eq!(create.columns[0].type_name, "integer");
        assert!(create.columns[1].uses_sequence && !create.columns[1].identity);
    }

    #[test]
    fn grants_sqlparser_rejects() {
        assert_eq!(
            read("GRANT MAINTAIN, SELECT (a) ON t TO x"),
            Some(StatementKind::Privileges(PrivilegeChange {
                grant: true,
                privileges: PrivilegeList {
                    all: false,
                    object_level: Privileges::MAINTAIN,
                    column_level: Privileges::SELECT
                },
                target: GrantTarget::Tables(vec![table("t")]),
                grantees: vec![RoleSpec::Name("x".into())],
            }))
        );
        assert!(matches!(
            read("GRANT USAGE ON TYPE mood TO authenticated"),
            Some(StatementKind::Privileges(PrivilegeChange { target: GrantTarget::Other, .. }))
        ));
        assert!(matches!(
            read("GRANT TEMP ON DATABASE d TO neon_superuser"),
            Some(StatementKind::Privileges(PrivilegeChange { target: GrantTarget::Databases(_), .. }))
        ));
        assert_eq!(
            read("REVOKE ADMIN OPTION FOR authenticated FROM app"),
            Some(StatementKind::RoleMembership {
                grant: false,
                roles: vec!["authenticated".into()],
                members: vec![RoleSpec::Name("app".into())]
            })
        );
    }

    #[test]
    fn policy_expressions_keep_their_text() {
        let Some(StatementKind::CreatePolicy(policy)) = read(
            "create policy \"own\" on todos as restrictive for update to authenticated, public using ( user_id = auth.user_id() ) with check (true)",
        ) else {
            panic!("not read")
        };
        assert!(!policy.permissive);
        assert_eq!(policy.command, PolicyCommand::Update);
        assert_eq!(policy.roles, vec![RoleSpec::Name("authenticated".into()), RoleSpec::Public]);
        assert_eq!(policy.using.as_deref(), Some("user_id = auth.user_id()"));
        assert_eq!(policy.with_check.as_deref(), Some("true"));
    }

    #[test]
    fn materialized_view_with_no_data_and_view_options() {
        assert!(matches!(
            read("CREATE MATERIALIZED VIEW mv AS SELECT 1 WITH NO DATA"),
            Some(StatementKind::CreateView(CreateView { materialized: true, .. }))
        ));
        assert!(matches!(
            read("create view v with (security_barrier, security_invoker = on) as select 1"),
            Some(StatementKind::CreateView(CreateView { security_invoker: Some(true), .. }))
        ));
    }

    #[test]
    fn search_path_from_set_config() {
        assert_eq!(
            read("SELECT pg_catalog.set_config('search_path', 'app, \"Ext\"', false)"),
            Some(StatementKind::SetSearchPath(Some(vec!["app".into(), "Ext".into()])))
        );
        assert_eq!(
            read("SELECT pg_catalog.set_config('search_path', '', false)"),
            Some(StatementKind::SetSearchPath(Some(vec![])))
        );
    }

    #[test]
    fn table_element_lists_postgresql_rejects_are_none() {
        // Each is a syntax error on PostgreSQL 15 ("syntax error at or near ,/)").
        assert_eq!(read("CREATE TABLE public.broken (id int,, name text)"), None);
        assert_eq!(read("CREATE TABLE public.broken (id int, name text,)"), None);
        assert_eq!(read("CREATE TABLE public.broken (, id int)"), None);
        let Some(StatementKind::CreateTable(empty)) = read("CREATE TABLE public.empty ()") else { panic!() };
        assert!(empty.columns.is_empty());
        let Some(StatementKind::CreateTable(two)) =
            read("CREATE TABLE t (id int PRIMARY KEY, k int, PRIMARY KEY (k)) WITH (fillfactor = 70)")
        else {
            panic!()
        };
        assert_eq!(two.primary_keys, 2);
    }

    #[test]
    fn words_after_an_rls_switch_are_a_syntax_error() {
        // PostgreSQL 15: `syntax error at or near "FOO"`.
        assert_eq!(read("ALTER TABLE t ENABLE ROW LEVEL SECURITY FOO"), None);
        assert_eq!(read("ALTER TABLE t FORCE ROW LEVEL SECURITY x"), None);
        let Some(StatementKind::AlterTable { actions, .. }) =
            read("ALTER TABLE t ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY")
        else {
            panic!()
        };
        assert_eq!(actions, vec![AlterTableAction::EnableRls, AlterTableAction::ForceRls]);
    }

    #[test]
    fn unreadable_headers_are_none() {
        assert_eq!(read("CREATE TABLE (a int)"), None);
        assert_eq!(read("GRANT SELECT ON TO x"), None);
        assert_eq!(read("CRATE TABLE t (a int)"), None);
    }
}
