//! From a migration file's text to our own statement types, with file-relative
//! locations.
//!
//! `split` cuts the text into statements, `parse` reads each one with sqlparser and,
//! where sqlparser rejects a statement the model needs, with the token-level reader in
//! `fallback`. Statements that cannot change what the rules see are classified by their
//! first words and never parsed. Nothing here aborts: a statement that nothing can read
//! becomes a `Problem` and the rest of the file is still read.
//!
//! This module uses the model's vocabulary (`Privileges`, `PolicyCommand`, `TableKind`)
//! but never the `Catalog`: applying statements is `replay`'s job.

pub mod body;
mod cast;
mod classify;
mod cursor;
mod do_block;
mod fallback;
mod ident;
pub mod lexer;
mod parse;
mod routine;
pub mod split;

use serde::{Deserialize, Serialize};

use crate::model::{
    Column, DefaultObjectType, FileId, PolicyCommand, Privileges, SequenceName, Span, TableKind,
};

pub use cast::column_cast;
pub use fallback::is_serial;
pub use ident::{quote_ident, quote_qualified, rename_column, rename_qualifier, unquote};
pub use parse::parse_file;
pub use routine::{ArgType, arg_types, normalise_type};

/// A name as written, case-folded: unquoted parts lower-cased, quoted parts kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    pub schema: Option<String>,
    pub name: String,
}

/// A role as written in a statement, before replay resolves `CURRENT_USER`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RoleSpec {
    Name(String),
    Public,
    /// `CURRENT_USER` or `CURRENT_ROLE`.
    CurrentUser,
    SessionUser,
}

/// Where a statement (or a problem) is in its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub start: usize,
    pub end: usize,
    pub line: u32,
    pub column: u32,
}

impl Location {
    /// The same place, in the run's file `file`.
    pub fn in_file(self, file: FileId) -> Span {
        Span { file, line: self.line, column: self.column, start: self.start, end: self.end }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub kind: StatementKind,
    pub location: Location,
    /// Offset of the comments directly above the statement.
    pub comments_start: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StatementKind {
    CreateTable(CreateTable),
    CreateView(CreateView),
    /// `DROP TABLE | VIEW | MATERIALIZED VIEW | FOREIGN TABLE`.
    DropRelations {
        names: Vec<ObjectRef>,
        if_exists: bool,
        /// The kinds the keyword drops: naming a relation of another kind fails (42809).
        kinds: Vec<TableKind>,
    },
    AlterTable {
        name: ObjectRef,
        if_exists: bool,
        actions: Vec<AlterTableAction>,
    },
    CreatePolicy(CreatePolicy),
    AlterPolicy(AlterPolicy),
    DropPolicy {
        name: String,
        table: ObjectRef,
        if_exists: bool,
    },
    CreateSchema {
        name: String,
        if_not_exists: bool,
        owner: Option<RoleSpec>,
    },
    AlterSchema {
        name: String,
        rename_to: Option<String>,
        owner: Option<RoleSpec>,
    },
    DropSchemas {
        names: Vec<String>,
        cascade: bool,
    },
    CreateRoles {
        names: Vec<String>,
        inherit: Option<bool>,
        in_roles: Vec<String>,
        members: Vec<String>,
    },
    DropRoles {
        names: Vec<String>,
    },
    /// `GRANT role TO member` (`grant = true`) or `REVOKE role FROM member`.
    RoleMembership {
        grant: bool,
        roles: Vec<String>,
        members: Vec<RoleSpec>,
    },
    CreateDatabase {
        name: String,
        owner: Option<RoleSpec>,
    },
    AlterDatabase {
        name: String,
        rename_to: Option<String>,
        owner: Option<RoleSpec>,
    },
    DropDatabase {
        name: String,
    },
    /// `ALTER DATABASE d SET name …`, `ALTER ROLE r [IN DATABASE d] SET name …`: a setting
    /// new sessions start with (its name, lower-cased).
    SetDefault {
        setting: String,
    },
    /// `GRANT` (`grant = true`) or `REVOKE` of object privileges.
    Privileges(PrivilegeChange),
    AlterDefaultPrivileges(DefaultPrivilegeChange),
    CreateExtension {
        name: String,
        schema: Option<String>,
        if_not_exists: bool,
    },
    DropExtensions {
        names: Vec<String>,
    },
    CreateSequence {
        name: ObjectRef,
        temporary: bool,
    },
    AlterSequence {
        name: ObjectRef,
        action: AlterSequenceAction,
    },
    DropSequences {
        names: Vec<ObjectRef>,
        /// `CASCADE`: column defaults that use the sequences are dropped with them.
        cascade: bool,
    },
    /// `CREATE FUNCTION` and `CREATE PROCEDURE`.
    CreateFunction(CreateFunction),
    /// `ALTER FUNCTION | PROCEDURE | ROUTINE`.
    AlterFunction {
        function: FunctionRef,
        actions: Vec<AlterFunctionAction>,
    },
    /// `DROP FUNCTION | PROCEDURE | ROUTINE`.
    DropFunctions {
        functions: Vec<FunctionRef>,
    },
    CreateIndex {
        name: Option<String>,
        table: ObjectRef,
        /// The column the index leads with; `None` for an expression.
        first_column: Option<String>,
        /// When it leads with a column cast to a type (`(owner::uuid)`), that cast.
        first_cast: Option<crate::model::ColumnCast>,
    },
    DropIndexes {
        names: Vec<ObjectRef>,
    },
    /// `NOTIFY pgrst` (empty payload or `'reload schema'`), or the same through
    /// `pg_notify`: the Data API reloads its schema cache.
    ReloadSchemaCache,
    /// `SET search_path`; `None` restores the default.
    SetSearchPath(Option<Vec<String>>),
    /// `SET ROLE`; `None` is `RESET ROLE` / `SET ROLE NONE`.
    SetRole(Option<RoleSpec>),
    /// `RESET ALL`: default search path and role.
    ResetAll,
    /// A `DO` block: not analyzed.
    Do,
    /// Read, and changes nothing the model holds.
    Other,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateTable {
    pub name: ObjectRef,
    pub if_not_exists: bool,
    pub kind: TableKind,
    pub partition_of: Option<ObjectRef>,
    pub columns: Vec<Column>,
    /// Temporary tables live in `pg_temp` and are never exposed.
    pub temporary: bool,
    /// Primary key and unique constraints, by the column each leads with.
    pub indexed_columns: Vec<String>,
    /// How many `PRIMARY KEY` clauses the statement has: more than one fails it.
    pub primary_keys: usize,
    /// `PARTITION BY … (a, b)`: the key's columns; empty when not partitioned or when a
    /// key is an expression.
    pub partition_key: Vec<String>,
    /// `PARTITION OF … FOR VALUES …` / `DEFAULT`: the partition's bound.
    pub partition_bound: Option<PartitionBound>,
}

/// A partition's bound, as far as replay compares bounds: two partitions of one table
/// whose bounds overlap cannot both exist (42P17, "partition would overlap partition").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartitionBound {
    /// `FOR VALUES IN (…)`: each value as written.
    In(Vec<String>),
    /// `DEFAULT`: one per table.
    Default,
    /// Range and hash bounds: not compared.
    Other,
}

impl PartitionBound {
    /// Whether two partitions of one table with these bounds would overlap; `false` when
    /// it cannot be told (range, hash, a value written two ways).
    pub fn overlaps(&self, other: &PartitionBound) -> bool {
        match (self, other) {
            (PartitionBound::In(ours), PartitionBound::In(theirs)) => ours.iter().any(|v| theirs.contains(v)),
            (PartitionBound::Default, PartitionBound::Default) => true,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AlterSequenceAction {
    OwnerTo(RoleSpec),
    RenameTo(String),
    SetSchema(String),
    /// `OWNED BY table.column`; `None` is `OWNED BY NONE`.
    OwnedBy(Option<(ObjectRef, String)>),
    /// Anything else (`RESTART`, `INCREMENT`, …).
    Other,
}

/// A function named in `ALTER`, `DROP`, `GRANT` or `REVOKE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionRef {
    pub name: ObjectRef,
    /// The keyword the statement used: `ALTER FUNCTION` fails on a procedure.
    pub kind: RoutineKind,
    /// Argument types normalised as in `FunctionKey::args`; `None` when the statement
    /// gives no argument list (the name must then be unique).
    pub args: Option<String>,
}

/// `FUNCTION`, `PROCEDURE` or `ROUTINE` (either) in `ALTER`, `DROP`, `GRANT`, `REVOKE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoutineKind {
    Function,
    Procedure,
    Routine,
}

impl RoutineKind {
    /// Whether a statement naming this kind may act on a procedure (`true`) or a
    /// function (`false`).
    pub fn accepts(self, procedure: bool) -> bool {
        match self {
            RoutineKind::Function => !procedure,
            RoutineKind::Procedure => procedure,
            RoutineKind::Routine => true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateFunction {
    pub name: ObjectRef,
    /// Input argument types, normalised as in `FunctionKey::args`.
    pub args: String,
    pub or_replace: bool,
    pub procedure: bool,
    pub security_definer: bool,
    pub sets_search_path: bool,
    /// `RETURNS trigger` or `event_trigger`: only a trigger can call it.
    pub returns_trigger: bool,
    /// What the body names, for the functions rules read it of (see `Function::body`).
    pub body: Option<crate::model::FunctionBody>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AlterFunctionAction {
    /// `SECURITY DEFINER` (true) or `SECURITY INVOKER` (false).
    SecurityDefiner(bool),
    /// `SET search_path …` (true) or `RESET search_path` / `RESET ALL` (false).
    SearchPath(bool),
    OwnerTo(RoleSpec),
    RenameTo(String),
    SetSchema(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateView {
    pub name: ObjectRef,
    pub materialized: bool,
    pub or_replace: bool,
    pub if_not_exists: bool,
    /// `WITH (security_invoker = …)`, when given.
    pub security_invoker: Option<bool>,
    /// The relations the query reads (common table expressions left out); empty when
    /// the query was not read.
    pub reads: Vec<ObjectRef>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AlterTableAction {
    EnableRls,
    DisableRls,
    ForceRls,
    NoForceRls,
    RenameTo(String),
    SetSchema(String),
    OwnerTo(RoleSpec),
    /// A column; its `sequence` is as the parser gives it (see `Column::sequence`).
    AddColumn(Column),
    RenameColumn {
        from: String,
        to: String,
    },
    DropColumns(Vec<String>),
    /// `ALTER COLUMN c ADD GENERATED … AS IDENTITY` or `SET DEFAULT nextval(…)`.
    ColumnUsesSequence {
        column: String,
        identity: bool,
        /// `SET DEFAULT nextval('name')`: the sequence as written.
        sequence: Option<SequenceName>,
    },
    /// `ALTER COLUMN c DROP DEFAULT`, or `SET DEFAULT` to an expression without
    /// `nextval`: the column no longer draws from a sequence.
    DropDefault {
        column: String,
    },
    /// `ADD [CONSTRAINT n] FOREIGN KEY …`: a relationship the Data API serves (embedding).
    AddForeignKey,
    /// `ADD PRIMARY KEY | UNIQUE (column, …)`: the column its index leads with, and every
    /// column when all are plain columns (else empty).
    AddIndexConstraint {
        name: Option<String>,
        first_column: String,
        columns: Vec<String>,
    },
    /// `ALTER VIEW … SET (security_invoker = …)` (or `ALTER TABLE` on a view);
    /// `RESET (security_invoker)` is `false`.
    SetSecurityInvoker(bool),
    AttachPartition(ObjectRef, Option<PartitionBound>),
    DetachPartition(ObjectRef),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatePolicy {
    pub name: String,
    pub table: ObjectRef,
    pub permissive: bool,
    pub command: PolicyCommand,
    /// Empty when the statement has no `TO` (the policy is for `PUBLIC`).
    pub roles: Vec<RoleSpec>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlterPolicy {
    pub name: String,
    pub table: ObjectRef,
    pub rename_to: Option<String>,
    pub roles: Option<Vec<RoleSpec>>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

/// Privileges named in a `GRANT`/`REVOKE`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeList {
    /// `ALL [PRIVILEGES]`: every privilege the object type has.
    pub all: bool,
    pub object_level: Privileges,
    /// Privileges given with a column list.
    pub column_level: Privileges,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum GrantTarget {
    Tables(Vec<ObjectRef>),
    AllTablesInSchemas(Vec<String>),
    Schemas(Vec<String>),
    Databases(Vec<String>),
    Sequences(Vec<ObjectRef>),
    AllSequencesInSchemas(Vec<String>),
    /// `ON FUNCTION | PROCEDURE | ROUTINE`.
    Functions(Vec<FunctionRef>),
    /// `ON ALL FUNCTIONS | PROCEDURES | ROUTINES IN SCHEMA`: `ALL FUNCTIONS` leaves
    /// procedures out.
    AllFunctionsInSchemas(RoutineKind, Vec<String>),
    /// Types, languages, and anything else no rule reads.
    Other,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrivilegeChange {
    pub grant: bool,
    pub privileges: PrivilegeList,
    pub target: GrantTarget,
    pub grantees: Vec<RoleSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DefaultPrivilegeChange {
    pub grant: bool,
    /// Empty: the role that runs the statement.
    pub for_roles: Vec<RoleSpec>,
    /// Empty: every schema.
    pub schemas: Vec<String>,
    pub privileges: PrivilegeList,
    pub object_type: DefaultObjectType,
    pub grantees: Vec<RoleSpec>,
}

/// Something in a file that is not a readable statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
    pub location: Location,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProblemKind {
    /// A statement that nothing could read (NL000).
    ParseError,
    /// A `DO` block, whose effects are not analyzed.
    NotAnalyzed,
}

/// The statements and problems of one file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ParsedFile {
    pub statements: Vec<Statement>,
    pub problems: Vec<Problem>,
    /// Every statement the splitter found, including those never parsed.
    pub statement_count: usize,
}

/// Byte offset to 1-based line and column (in characters). Lines end at LF, CRLF or a lone
/// CR (`text::line_starts`).
pub struct LineIndex<'a> {
    source: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> Self {
        LineIndex { source, line_starts: crate::text::line_starts(source) }
    }

    pub fn location(&self, start: usize, end: usize) -> Location {
        let line = self.line_starts.partition_point(|&line_start| line_start <= start);
        let line_start = self.line_starts[line - 1];
        let column = self.source.get(line_start..start).map_or(1, |prefix| prefix.chars().count() + 1);
        Location { start, end, line: line as u32, column: column as u32 }
    }
}

/// Folds an unquoted identifier the way PostgreSQL does (ASCII only), and truncates it
/// to `NAMEDATALEN - 1` bytes as its lexer does.
pub fn fold(identifier: &str) -> String {
    truncate_identifier(&identifier.to_ascii_lowercase()).to_string()
}

/// The longest identifier PostgreSQL keeps: `NAMEDATALEN - 1` bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// `name` cut to 63 bytes on a character boundary, as PostgreSQL's lexer cuts every
/// identifier, quoted or not (with a NOTICE): `CREATE POLICY` with a 67-byte name and a
/// `DROP POLICY` with its first 63 bytes name the same policy.
pub fn truncate_identifier(name: &str) -> &str {
    if name.len() <= MAX_IDENTIFIER_BYTES {
        return name;
    }
    let mut end = MAX_IDENTIFIER_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_cut_to_63_bytes_on_a_character_boundary() {
        // Checked on PostgreSQL 15: `SELECT length(relname), octet_length(relname)` of a
        // table created with these names gives 63/63 and 31/62.
        let ascii = "a".repeat(70);
        assert_eq!(fold(&ascii.to_ascii_uppercase()), "a".repeat(63));
        assert_eq!(truncate_identifier(&"é".repeat(40)), "é".repeat(31));
        assert_eq!(unquote(&format!("\"{}\"", "x".repeat(64))), "x".repeat(63));
        assert_eq!(truncate_identifier("short"), "short");
    }

    #[test]
    fn line_index_counts_characters_from_one() {
        let source = "ab\n  é x\n";
        let index = LineIndex::new(source);
        assert_eq!((index.location(0, 0).line, index.location(0, 0).column), (1, 1));
        let x = source.find('x').unwrap();
        assert_eq!((index.location(x, x).line, index.location(x, x).column), (2, 5));
        assert_eq!(index.location(source.len(), source.len()).line, 3);
    }

    #[test]
    fn lone_cr_ends_a_line() {
        // PostgreSQL's lexer and libpq's error positions both count a lone CR as a line end.
        let source = "-- note\rCREATE TABLE a ();\r\nCREATE TABLE b ();";
        let index = LineIndex::new(source);
        let a = source.find("CREATE TABLE a").unwrap();
        let b = source.find("CREATE TABLE b").unwrap();
        assert_eq!((index.location(a, a).line, index.location(a, a).column), (2, 1));
        assert_eq!((index.location(b, b).line, index.location(b, b).column), (3, 1));
    }
}
