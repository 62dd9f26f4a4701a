//! The token reader for sequences, indexes, view options and schema-cache reloads:
//! `CREATE | ALTER | DROP SEQUENCE`, `CREATE | DROP INDEX`, `ALTER VIEW … SET ( … )`,
//! `NOTIFY pgrst`, `GRANT … ON SEQUENCE`, and the `nextval('…')` defaults and
//! `PRIMARY KEY` / `UNIQUE` constraints inside table definitions.
//!
//! The statements here were once skipped unread, and many files hold thousands of them
//! (`CREATE INDEX` in dumps), so they are read with tokens only, never with sqlparser.
//! A statement of these kinds that this cannot read changes nothing: it is not a parse
//! error.

use super::{Cursor, view_security_invoker};
use crate::model::SequenceName;
use crate::sql::cursor::TokenCursor;
use crate::sql::lexer::TokenKind;
use crate::sql::{AlterSequenceAction, AlterTableAction, GrantTarget, ObjectRef, StatementKind};

/// The channel and payloads PostgREST (the Data API) reloads its schema cache on:
/// `NOTIFY pgrst` with no payload, an empty one, or `'reload schema'`.
const RELOAD_CHANNEL: &str = "pgrst";

/// The sequence a column default draws from, as written in `nextval('…')`: the string is
/// read by identifier rules (`'s.Name'` is `s.name`, `'"Name"'` keeps its case), whether
/// or not it is cast to `regclass`.
pub fn default_sequence(default: &str) -> Option<SequenceName> {
    let mut cursor = Cursor::new(default);
    while !cursor.at_end() {
        if cursor.peek_is("nextval") && cursor.peek_nth_punct(1, b'(') {
            cursor.position += 2;
            let literal = cursor.string_literal()?;
            let mut name = Cursor::new(&literal);
            let reference = name.object_ref()?;
            return name.at_end().then_some(SequenceName { schema: reference.schema, name: reference.name });
        }
        cursor.position += 1;
    }
    None
}

/// The column each `PRIMARY KEY` or `UNIQUE` constraint of a `CREATE TABLE ( … )`
/// element list leads with, from column constraints and table constraints alike.
/// `a, b, c` as names; empty when anything else is in the list (an expression, `DESC`).
pub(super) fn plain_names(list: &str) -> Vec<String> {
    let mut cursor = Cursor::new(list);
    match cursor.list(|cursor| cursor.ident()) {
        Some(names) if cursor.at_end() => names,
        _ => Vec::new(),
    }
}

pub(super) fn indexed_columns(elements: &str) -> Vec<String> {
    let mut cursor = Cursor::new(elements);
    let mut columns = Vec::new();
    loop {
        columns.extend(cursor.indexed_element());
        if !cursor.skip_to_comma() {
            return columns;
        }
        cursor.position += 1;
    }
}

impl Cursor<'_> {
    /// After `CREATE [TEMP]`: a sequence or an index, else `None` without moving.
    pub(super) fn create_sequence_or_index(&mut self, temporary: bool) -> Option<StatementKind> {
        if self.eat("sequence") {
            self.eat_all(&["if", "not", "exists"]);
            return Some(StatementKind::CreateSequence { name: self.object_ref()?, temporary });
        }
        if self.eat_all(&["unique", "index"]) || self.eat("index") {
            return self.create_index();
        }
        None
    }

    /// `[CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] table [USING method] (first, …)`.
    fn create_index(&mut self) -> Option<StatementKind> {
        self.eat("concurrently");
        let if_not_exists = self.eat_all(&["if", "not", "exists"]);
        // `ON` is reserved, so it cannot be an index name.
        let name = if self.peek_is("on") && !if_not_exists { None } else { Some(self.ident()?) };
        if !self.eat("on") {
            return None;
        }
        self.eat("only");
        let table = self.object_ref()?;
        self.eat_punct(b'*');
        if self.eat("using") {
            self.ident()?;
        }
        let (start, end) = self.parenthesized()?;
        let first_column = Cursor::new(&self.source[start..end]).index_column();
        let first_cast = first_expression(&self.source[start..end]).and_then(crate::sql::column_cast);
        Some(StatementKind::CreateIndex { name, table, first_column, first_cast })
    }

    /// The first element of an index's column list when it is a plain column (with an
    /// optional collation, operator class or ordering); `None` for an expression.
    fn index_column(&mut self) -> Option<String> {
        let column = self.ident()?;
        let plain = match self.peek() {
            None => true,
            Some(token) => {
                matches!(token.kind, TokenKind::Word | TokenKind::QuotedIdent | TokenKind::Punct(b','))
            }
        };
        plain.then_some(column)
    }

    /// `ALTER SEQUENCE [IF EXISTS] name …`, after `SEQUENCE`.
    pub(super) fn alter_sequence(&mut self) -> Option<StatementKind> {
        self.eat_all(&["if", "exists"]);
        let name = self.object_ref()?;
        let action = if self.eat_all(&["owner", "to"]) {
            AlterSequenceAction::OwnerTo(self.role_spec()?)
        } else if self.eat_all(&["rename", "to"]) {
            AlterSequenceAction::RenameTo(self.ident()?)
        } else if self.eat_all(&["set", "schema"]) {
            AlterSequenceAction::SetSchema(self.ident()?)
        } else {
            self.sequence_options()
        };
        Some(StatementKind::AlterSequence { name, action })
    }

    /// Sequence options (`INCREMENT`, `RESTART`, …), of which only `OWNED BY` matters.
    fn sequence_options(&mut self) -> AlterSequenceAction {
        while !self.at_end() {
            if !self.eat_all(&["owned", "by"]) {
                self.position += 1;
                continue;
            }
            if self.eat("none") {
                return AlterSequenceAction::OwnedBy(None);
            }
            let Some(mut parts) = self.list_dotted() else { return AlterSequenceAction::Other };
            let (Some(column), Some(name)) = (parts.pop(), parts.pop()) else {
                return AlterSequenceAction::Other;
            };
            return AlterSequenceAction::OwnedBy(Some((ObjectRef { schema: parts.pop(), name }, column)));
        }
        AlterSequenceAction::Other
    }

    /// `a.b.c` as its parts.
    fn list_dotted(&mut self) -> Option<Vec<String>> {
        let mut parts = vec![self.ident()?];
        while self.eat_punct(b'.') {
            parts.push(self.ident()?);
        }
        Some(parts)
    }

    /// After `DROP`: `SEQUENCE` or `INDEX [CONCURRENTLY]`, with their names; else `None`
    /// without moving.
    pub(super) fn drop_sequences_or_indexes(&mut self) -> Option<StatementKind> {
        if self.eat("sequence") {
            self.eat_all(&["if", "exists"]);
            let names = self.list(Self::object_ref)?;
            return Some(StatementKind::DropSequences { names, cascade: self.eat("cascade") });
        }
        if self.eat("index") {
            self.eat("concurrently");
            self.eat_all(&["if", "exists"]);
            return Some(StatementKind::DropIndexes { names: self.list(Self::object_ref)? });
        }
        None
    }

    /// `ADD [CONSTRAINT name] PRIMARY KEY | UNIQUE [NULLS [NOT] DISTINCT] (first, …)` or
    /// `FOREIGN KEY …`, after `ADD`; `None` for other constraints.
    pub(super) fn add_index_constraint(&mut self) -> Option<AlterTableAction> {
        let name = if self.eat("constraint") { Some(self.ident()?) } else { None };
        if self.eat_all(&["foreign", "key"]) {
            return Some(AlterTableAction::AddForeignKey);
        }
        if !self.eat_all(&["primary", "key"]) && !self.eat("unique") {
            return None;
        }
        self.skip_nulls_distinct();
        let (start, end) = self.parenthesized()?;
        let first_column = Cursor::new(&self.source[start..end]).ident()?;
        let columns = plain_names(&self.source[start..end]);
        Some(AlterTableAction::AddIndexConstraint { name, first_column, columns })
    }

    fn skip_nulls_distinct(&mut self) {
        if self.eat("nulls") {
            self.eat("not");
            self.eat("distinct");
        }
    }

    /// `SET ( … )` or `RESET ( … )` of a view's options, when `security_invoker` is
    /// among them; else `None` without moving.
    pub(super) fn security_invoker_option(&mut self) -> Option<AlterTableAction> {
        let reset = self.peek_is("reset");
        if !(reset || self.peek_is("set")) || !self.peek_nth_punct(1, b'(') {
            return None;
        }
        self.position += 1;
        let (start, end) = self.parenthesized()?;
        let options = &self.source[start..end];
        if !reset {
            return view_security_invoker(options).map(AlterTableAction::SetSecurityInvoker);
        }
        let names = Cursor::new(options).list(Self::ident)?;
        names
            .iter()
            .any(|name| name == "security_invoker")
            .then_some(AlterTableAction::SetSecurityInvoker(false))
    }

    /// `ON SEQUENCE a, b` or `ON ALL SEQUENCES IN SCHEMA s`, after `ON`; else `None`
    /// without moving.
    pub(super) fn sequence_grant_target(&mut self) -> Option<GrantTarget> {
        if self.eat_all(&["all", "sequences", "in", "schema"]) {
            return Some(
                self.list(Self::ident).map_or(GrantTarget::Other, GrantTarget::AllSequencesInSchemas),
            );
        }
        if self.eat("sequence") {
            return Some(self.list(Self::object_ref).map_or(GrantTarget::Other, GrantTarget::Sequences));
        }
        None
    }

    /// `NOTIFY channel [, 'payload']`, after `NOTIFY`.
    pub(super) fn notify(&mut self) -> Option<StatementKind> {
        let channel = self.ident()?;
        let payload = if self.eat_punct(b',') { Some(self.string_literal()?) } else { None };
        Some(reload_or_other(&channel, payload.as_deref()))
    }

    /// `pg_notify('channel', 'payload')`, after the function name. The channel is a
    /// string here, so it is not case-folded.
    pub(super) fn pg_notify_call(&mut self) -> Option<StatementKind> {
        if !self.eat_punct(b'(') {
            return None;
        }
        let channel = self.string_literal()?;
        if !self.eat_punct(b',') {
            return None;
        }
        let payload = self.string_literal()?;
        Some(reload_or_other(&channel, Some(&payload)))
    }

    /// One element of a `CREATE TABLE` list: the column a primary key or unique
    /// constraint leads with, if the element is or has one.
    fn indexed_element(&mut self) -> Option<String> {
        if self.eat("constraint") {
            self.ident()?;
        }
        if self.eat_all(&["primary", "key"]) || self.eat("unique") {
            self.skip_nulls_distinct();
            let (start, end) = self.parenthesized()?;
            return Cursor::new(&self.source[start..end]).ident();
        }
        if super::TABLE_CONSTRAINT_WORDS.iter().any(|word| self.peek_is(word)) {
            return None;
        }
        let column = self.ident()?;
        let rest = self.text_to_comma();
        let mut constraints = Cursor::new(rest);
        while !constraints.at_end() {
            if constraints.peek_is("unique") || constraints.eat_all(&["primary", "key"]) {
                return Some(column);
            }
            if constraints.parenthesized().is_none() {
                constraints.position += 1;
            }
        }
        None
    }
}

fn reload_or_other(channel: &str, payload: Option<&str>) -> StatementKind {
    let reloads = matches!(payload, None | Some("") | Some("reload schema"));
    if channel == RELOAD_CHANNEL && reloads { StatementKind::ReloadSchemaCache } else { StatementKind::Other }
}

/// The parenthesized expression an index's key list starts with (`(owner::uuid) ASC, id`
/// gives `(owner::uuid)`); `None` when the first key is a column.
fn first_expression(keys: &str) -> Option<&str> {
    let mut tokens = crate::sql::lexer::Lexer::new(keys).filter(|token| !token.is_comment());
    let open = tokens.next().filter(|token| token.kind == TokenKind::Punct(b'('))?;
    let mut depth = 1;
    for token in tokens {
        match token.kind {
            TokenKind::Punct(b'(') => depth += 1,
            TokenKind::Punct(b')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(&keys[open.start..token.end]);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::read;
    use super::*;
    use crate::sql::RoleSpec;

    fn name(schema: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef { schema: schema.map(str::to_string), name: name.to_string() }
    }

    fn sequence(schema: Option<&str>, name: &str) -> Option<SequenceName> {
        Some(SequenceName { schema: schema.map(str::to_string), name: name.to_string() })
    }

    #[test]
    fn nextval_names_follow_identifier_rules() {
        assert_eq!(default_sequence("nextval('Todos_id_seq'::regclass)"), sequence(None, "todos_id_seq"));
        assert_eq!(default_sequence("NEXTVAL('App.s')"), sequence(Some("app"), "s"));
        assert_eq!(default_sequence("nextval('\"Quoted\"')"), sequence(None, "Quoted"));
        assert_eq!(default_sequence("pg_catalog.nextval('s'::regclass) + 1"), sequence(None, "s"));
        assert_eq!(default_sequence("now()"), None);
        assert_eq!(default_sequence("nextval('a b')"), None);
    }

    #[test]
    fn sequences_are_created_altered_and_dropped() {
        assert_eq!(
            read("CREATE TEMP SEQUENCE IF NOT EXISTS app.s START 1"),
            Some(StatementKind::CreateSequence { name: name(Some("app"), "s"), temporary: true })
        );
        let alter = |sql: &str| match read(sql) {
            Some(StatementKind::AlterSequence { action, .. }) => action,
            other => panic!("{sql}: {other:?}"),
        };
        assert_eq!(
            alter("ALTER SEQUENCE s OWNER TO app"),
            AlterSequenceAction::OwnerTo(RoleSpec::Name("app".into()))
        );
        assert_eq!(
            alter("alter sequence if exists s rename to t"),
            AlterSequenceAction::RenameTo("t".into())
        );
        assert_eq!(
            alter("ALTER SEQUENCE s SET SCHEMA private"),
            AlterSequenceAction::SetSchema("private".into())
        );
        assert_eq!(
            alter("ALTER SEQUENCE public.s INCREMENT 2 OWNED BY public.\"T\".id"),
            AlterSequenceAction::OwnedBy(Some((name(Some("public"), "T"), "id".into())))
        );
        assert_eq!(alter("ALTER SEQUENCE s OWNED BY NONE"), AlterSequenceAction::OwnedBy(None));
        assert_eq!(alter("ALTER SEQUENCE s RESTART WITH 10"), AlterSequenceAction::Other);
        assert_eq!(
            read("DROP SEQUENCE IF EXISTS a, s.b CASCADE"),
            Some(StatementKind::DropSequences {
                names: vec![name(None, "a"), name(Some("s"), "b")],
                cascade: true
            })
        );
    }

    #[test]
    fn indexes_name_their_table_and_first_column() {
        assert_eq!(
            read(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS todos_user ON ONLY public.todos USING btree (user_id DESC, id)"
            ),
            Some(StatementKind::CreateIndex {
                name: Some("todos_user".into()),
                table: name(Some("public"), "todos"),
                first_column: Some("user_id".into()),
                first_cast: None
            })
        );
        assert_eq!(
            read("create index on todos (lower(title))"),
            Some(StatementKind::CreateIndex {
                name: None,
                table: name(None, "todos"),
                first_column: None,
                first_cast: None
            })
        );
        assert_eq!(
            read("CREATE INDEX i ON t ((a + 1))"),
            Some(StatementKind::CreateIndex {
                name: Some("i".into()),
                table: name(None, "t"),
                first_column: None,
                first_cast: None
            })
        );
        assert_eq!(
            read("create index i on t (\"A\" text_pattern_ops)"),
            Some(StatementKind::CreateIndex {
                name: Some("i".into()),
                table: name(None, "t"),
                first_column: Some("A".into()),
                first_cast: None
            })
        );
        assert_eq!(
            read("DROP INDEX CONCURRENTLY IF EXISTS a, s.b"),
            Some(StatementKind::DropIndexes { names: vec![name(None, "a"), name(Some("s"), "b")] })
        );
    }

    #[test]
    fn table_definitions_give_defaults_and_indexed_columns() {
        let Some(StatementKind::CreateTable(create)) = read(
            "CREATE TABLE t (id int DEFAULT nextval('t_seq'::regclass) PRIMARY KEY, email text UNIQUE, a int, b int, c int CHECK (c > 0), CONSTRAINT ab UNIQUE NULLS NOT DISTINCT (b, a), PRIMARY KEY (c), FOREIGN KEY (a) REFERENCES u (id))",
        ) else {
            panic!("not read")
        };
        assert_eq!(create.indexed_columns, vec!["id", "email", "b", "c"]);
        assert_eq!(create.columns[0].sequence, sequence(None, "t_seq"));
        assert!(create.columns[0].uses_sequence);
    }

    #[test]
    fn alter_table_and_view_actions() {
        let actions = |sql: &str| match read(sql) {
            Some(StatementKind::AlterTable { actions, .. }) => actions,
            other => panic!("{sql}: {other:?}"),
        };
        assert_eq!(
            actions(
                "ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (id, other), ADD UNIQUE (email), ADD CHECK (id > 0)"
            ),
            vec![
                AlterTableAction::AddIndexConstraint {
                    name: Some("t_pk".into()),
                    first_column: "id".into(),
                    columns: vec!["id".into(), "other".into()],
                },
                AlterTableAction::AddIndexConstraint {
                    name: None,
                    first_column: "email".into(),
                    columns: vec!["email".into()],
                },
            ]
        );
        assert_eq!(
            actions("ALTER TABLE t ALTER COLUMN id SET DEFAULT nextval('s.\"Seq\"')"),
            vec![AlterTableAction::ColumnUsesSequence {
                column: "id".into(),
                identity: false,
                sequence: sequence(Some("s"), "Seq"),
            }]
        );
        assert_eq!(
            actions("ALTER VIEW v SET (security_barrier, security_invoker = on)"),
            vec![AlterTableAction::SetSecurityInvoker(true)]
        );
        assert_eq!(
            actions("alter view v reset (security_invoker)"),
            vec![AlterTableAction::SetSecurityInvoker(false)]
        );
        assert_eq!(
            actions("ALTER TABLE v SET (security_invoker = 'false')"),
            vec![AlterTableAction::SetSecurityInvoker(false)]
        );
        assert_eq!(actions("ALTER VIEW v SET (security_barrier)"), vec![]);
        assert_eq!(
            actions("ALTER VIEW IF EXISTS v RENAME TO w"),
            vec![AlterTableAction::RenameTo("w".into())]
        );
        assert_eq!(
            actions("ALTER MATERIALIZED VIEW m OWNER TO app"),
            vec![AlterTableAction::OwnerTo(RoleSpec::Name("app".into()))]
        );
        assert_eq!(actions("ALTER VIEW v SET SCHEMA api"), vec![AlterTableAction::SetSchema("api".into())]);
    }

    #[test]
    fn sequence_grants() {
        let target = |sql: &str| match read(sql) {
            Some(StatementKind::Privileges(change)) => change.target,
            other => panic!("{sql}: {other:?}"),
        };
        assert_eq!(
            target("GRANT USAGE, SELECT ON SEQUENCE a, s.b TO authenticated"),
            GrantTarget::Sequences(vec![name(None, "a"), name(Some("s"), "b")])
        );
        assert_eq!(
            target("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public, api FROM anonymous"),
            GrantTarget::AllSequencesInSchemas(vec!["public".into(), "api".into()])
        );
    }

    #[test]
    fn only_pgrst_schema_reloads_count() {
        for reload in [
            "NOTIFY pgrst",
            "notify PGRST, 'reload schema'",
            "NOTIFY pgrst, ''",
            "SELECT pg_notify('pgrst', 'reload schema')",
            "select pg_catalog.pg_notify('pgrst', '')",
        ] {
            assert_eq!(read(reload), Some(StatementKind::ReloadSchemaCache), "{reload}");
        }
        for other in [
            "NOTIFY pgrst, 'reload config'",
            "NOTIFY other",
            "SELECT pg_notify('PGRST', 'reload schema')",
            "SELECT pg_notify('pgrst', 'reload config')",
        ] {
            assert_eq!(read(other), Some(StatementKind::Other), "{other}");
        }
    }
}
