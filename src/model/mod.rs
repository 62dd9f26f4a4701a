//! The schema model: one `Catalog` of the facts the rules read.
//!
//! Replay (migration files) and introspection (a live database) both fill a `Catalog`;
//! the rules only ever read one. Nothing here knows where a fact came from beyond the
//! optional `Span` an object keeps for reporting. Privilege arithmetic that PostgreSQL
//! does at check time (ownership, role membership, `PUBLIC`) lives here, once.

mod privileges;

use std::collections::{BTreeMap, BTreeSet};

pub use privileges::{Acl, Grantee, Privileges};

/// Index of a migration file in the run's file list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct FileId(pub u32);

/// Where a statement sits in a migration file: byte range plus 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub column: u32,
    pub start: usize,
    pub end: usize,
}

/// A schema-qualified object name, already case-folded.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName { schema: schema.into(), name: name.into() }
    }
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// A role as the model sees it. `None` in an owner or default-privilege slot means the
/// role that runs the migrations when its name is not known (static mode without
/// `migration_role`).
pub type RoleName = Option<String>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct TableId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum TableKind {
    Table,
    PartitionedTable,
    View,
    MaterializedView,
    ForeignTable,
}

impl TableKind {
    /// Plain and partitioned tables: the relations row-level security applies to.
    pub fn has_rows(self) -> bool {
        matches!(self, TableKind::Table | TableKind::PartitionedTable)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Column {
    pub name: String,
    /// Lower-cased type name as written (`uuid`, `text`, `character varying(40)`).
    pub type_name: String,
    pub identity: bool,
    /// `serial` types or a `nextval(…)` default: inserts need the sequence.
    pub uses_sequence: bool,
    /// The sequence the default draws from. From the parser: `nextval('name')` as
    /// written (`schema` `None` when unqualified), or `None` for a `serial` type, whose
    /// sequence replay names. In a catalog: resolved, `schema` always set.
    pub sequence: Option<SequenceName>,
}

/// A sequence name as a column default names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct SequenceName {
    pub schema: Option<String>,
    pub name: String,
}

/// An index (or a primary key or unique constraint's index) on a table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Index {
    pub name: String,
    /// The column the index leads with; `None` when it leads with an expression.
    pub first_column: Option<String>,
    /// When it leads with a column cast to a type (`((owner)::uuid)`), that cast.
    pub first_cast: Option<ColumnCast>,
}

/// A column cast to a type, with the type as `format_type` prints it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct ColumnCast {
    pub column: String,
    pub type_name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    /// The table privileges a role needs to use what a policy of this command allows.
    pub fn privileges(self) -> Privileges {
        match self {
            PolicyCommand::All => Privileges::DML,
            PolicyCommand::Select => Privileges::SELECT,
            PolicyCommand::Insert => Privileges::INSERT,
            PolicyCommand::Update => Privileges::UPDATE,
            PolicyCommand::Delete => Privileges::DELETE,
        }
    }

    pub fn sql(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    pub name: String,
    pub command: PolicyCommand,
    pub permissive: bool,
    /// `TO` roles; `Grantee::Public` when the policy names none.
    pub roles: Vec<Grantee>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub origin: Option<Span>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Table {
    pub id: TableId,
    pub schema: String,
    pub name: String,
    pub kind: TableKind,
    pub owner: RoleName,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub partition_of: Option<TableId>,
    pub columns: Vec<Column>,
    pub policies: Vec<Policy>,
    /// Table-level privileges granted to roles other than the owner.
    pub acl: Acl,
    /// Privileges granted on some columns only, merged per grantee.
    pub column_acl: Acl,
    /// The statement that created the table.
    pub origin: Option<Span>,
    /// The statement that last enabled or disabled row-level security, if any.
    pub rls_origin: Option<Span>,
    /// Views: `security_invoker = true`, so the base tables' RLS applies to the caller.
    pub security_invoker: bool,
    pub indexes: Vec<Index>,
    /// Migrations only: the table was created in one file with RLS still off at that
    /// file's end, a request role could use it before RLS came, and a later file enabled it.
    pub rls_enabled_late: Option<LateRls>,
    /// Migrations only: a partitioned table's key columns (empty: not known), which every
    /// primary key and unique constraint on it must include.
    pub partition_key: Vec<String>,
    /// Views: the relations its query names directly, read with the owner's rights; `None`
    /// when not all are known (a name replay cannot resolve, a relation outside the schemas
    /// read, a query that was not parsed).
    pub reads: Option<Vec<TableId>>,
    /// Migrations only: a partition's bound, compared with its siblings'.
    pub partition_bound: Option<crate::sql::PartitionBound>,
}

impl Table {
    pub fn qualified_name(&self) -> QualifiedName {
        QualifiedName::new(&self.schema, &self.name)
    }

    pub fn is_partition(&self) -> bool {
        self.partition_of.is_some()
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }
}

/// Row-level security enabled in a later migration than the table's (`Table::rls_enabled_late`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LateRls {
    /// The statement that enabled it.
    pub enabled: Span,
    /// The request roles that held a privilege on the table while RLS was off, at the end
    /// of some file in between.
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Schema {
    pub name: String,
    pub owner: RoleName,
    pub acl: Acl,
    pub origin: Option<Span>,
    /// Migrations name the schema but never create it (`auth`, or an exposed schema
    /// made outside them): its grants are unknown.
    pub assumed: bool,
}

/// A sequence, with the table column that owns it (`serial`, `OWNED BY`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Sequence {
    pub schema: String,
    pub name: String,
    pub owner: RoleName,
    /// Grants beyond the owner's. A new sequence gives `PUBLIC` nothing.
    pub acl: Acl,
    pub owned_by: Option<(TableId, String)>,
    pub origin: Option<Span>,
}

impl Sequence {
    pub fn qualified_name(&self) -> QualifiedName {
        QualifiedName::new(&self.schema, &self.name)
    }
}

/// A function's identity: schema, name and argument types as PostgreSQL's
/// `format_type` prints them, joined by `, ` (`integer, text`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct FunctionKey {
    pub schema: String,
    pub name: String,
    pub args: String,
}

impl std::fmt::Display for FunctionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}({})", self.schema, self.name, self.args)
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Function {
    pub key: FunctionKey,
    /// A procedure (`CALL`), which the Data API cannot call.
    pub procedure: bool,
    pub owner: RoleName,
    /// Grants beyond the owner's. A new function gives `PUBLIC` EXECUTE unless default
    /// privileges say otherwise.
    pub acl: Acl,
    pub security_definer: bool,
    /// The function has its own `search_path` setting (`SET search_path = …`).
    pub sets_search_path: bool,
    /// Returns `trigger` or `event_trigger`: only a trigger can call it, not the Data API.
    pub trigger: bool,
    /// What its body names (SQL and plpgsql functions that are not trigger functions);
    /// `None` otherwise.
    pub body: Option<FunctionBody>,
    pub origin: Option<Span>,
}

/// A name as written: `(Some(schema), name)` when qualified, folded as PostgreSQL folds.
pub type Name = (Option<String>, String);

/// What a function body refers to by name (`sql::body` reads it from the text).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FunctionBody {
    /// Functions it calls (`name(`), builtins and keywords that take parentheses left out.
    pub calls: Vec<Name>,
    /// Relations after `FROM`, `JOIN`, `UPDATE`, `INTO`, `TABLE`, `TRUNCATE`, and the
    /// tables of `%ROWTYPE` / `%TYPE` declarations.
    pub relations: Vec<Name>,
    /// Types in casts (`::name`) and declarations that are not built in.
    pub types: Vec<Name>,
    /// It calls `auth.user_id()`, `auth.uid()`, `auth.session()`, `auth.jwt()` or
    /// `current_setting(…)`: it reads who is making the request.
    pub reads_request: bool,
    /// The settings it reads with `current_setting('name')` (a literal name), each with
    /// whether it passes `missing_ok` (`true`, or anything but a literal `false`).
    pub settings_read: Vec<(String, bool)>,
    /// A SQL-standard body (`BEGIN ATOMIC`, `RETURN …`): PostgreSQL resolves its names when
    /// the function is created, so no `search_path` changes what it runs.
    pub bound_at_creation: bool,
}

impl FunctionBody {
    /// Whether every name the body resolves through `search_path` is schema-qualified (or a
    /// builtin, which `pg_catalog` always provides): then `SET search_path = ''` cannot
    /// change what it runs.
    pub fn fully_qualified(&self) -> bool {
        self.unqualified().is_empty()
    }

    /// The unqualified names the body resolves through `search_path`.
    pub fn unqualified(&self) -> Vec<&str> {
        if self.bound_at_creation {
            return Vec::new();
        }
        let names = self.relations.iter().chain(&self.calls).chain(&self.types);
        names.filter(|(schema, _)| schema.is_none()).map(|(_, name)| name.as_str()).collect()
    }
}

/// One migration file that changes what the Data API serves (tables, views, functions,
/// columns in exposed schemas). Migrations only.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ApiChange {
    pub file: FileId,
    /// The first statement in the file that changes it.
    pub first: Span,
    /// The file ends by asking the API to reload its schema cache (`NOTIFY pgrst`).
    pub reloads: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Database {
    pub name: String,
    pub owner: RoleName,
    /// Grants beyond the owner's. A new database gives `PUBLIC` CONNECT and TEMPORARY.
    pub acl: Acl,
    pub origin: Option<Span>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Role {
    pub name: String,
    /// Whether the role inherits the privileges of roles it is a member of.
    pub inherit: bool,
    pub origin: Option<Span>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Extension {
    pub name: String,
    pub schema: Option<String>,
    pub origin: Option<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum DefaultObjectType {
    Tables,
    Sequences,
    Functions,
    Types,
    Schemas,
}

/// The key of one `pg_default_acl` row: whose new objects, in which schema (`None`:
/// every schema), of which type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct DefaultAclKey {
    pub role: RoleName,
    pub schema: Option<String>,
    pub object_type: DefaultObjectType,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct DefaultAcl {
    pub acl: Acl,
    pub origin: Option<Span>,
}

/// Everything the rules know about one database (or one replayed migration folder).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Catalog {
    /// Every table ever added, at the index of its id; `None` once dropped. Ids are handed
    /// out in order, so a `Vec` finds them; boxed, so its spare capacity costs 8 bytes a
    /// slot (a B-tree of tables cost about 300 bytes a table more in half-empty nodes).
    #[serde(with = "table_chunks")]
    tables: Vec<Option<Box<Table>>>,
    table_names: BTreeMap<QualifiedName, TableId>,
    pub schemas: BTreeMap<String, Schema>,
    pub roles: BTreeMap<String, Role>,
    /// (member, group): `member` is a member of `group`.
    pub memberships: BTreeSet<(String, String)>,
    pub databases: BTreeMap<String, Database>,
    pub default_acls: BTreeMap<DefaultAclKey, DefaultAcl>,
    pub extensions: BTreeMap<String, Extension>,
    pub sequences: BTreeMap<QualifiedName, Sequence>,
    pub functions: BTreeMap<FunctionKey, Function>,
    /// Custom settings that sessions start with (`ALTER DATABASE|ROLE … SET`), lower-cased,
    /// of any database or role.
    pub default_settings: BTreeSet<String>,
    /// Migrations only: the files that change what the Data API serves, in order.
    pub api_changes: Vec<ApiChange>,
    /// Migrations only: each statement that names one of Supabase's own roles
    /// (`SUPABASE_ROLES`) before any migration creates it, with the role.
    pub supabase_role_uses: Vec<(String, Span)>,
    /// The role whose new tables NL004 looks at; `None` is the unnamed role that runs
    /// the migrations.
    pub migration_role: RoleName,
    /// The database the facts were read from (a live database); `None` for migrations.
    pub current_database: Option<String>,
    /// The server's major version (a live database), or `postgres_version` from
    /// neonlint.toml (migrations); `None`: 15 or later, which behave alike here.
    pub postgres_major: Option<u32>,
    /// True when `roles` lists every role that exists (a live database). In static mode
    /// roles created outside the migrations (`authenticated`, `neon_superuser`) are
    /// assumed to exist.
    pub roles_complete: bool,
}

/// Roles a Supabase project has and a Neon database does not: their grants, policies and
/// memberships fail on Neon ('role "anon" does not exist') unless a migration creates them.
/// `authenticated` is left out (Neon has it), and so are roles whose absence on Neon is not
/// documented (`authenticator`, `postgres`).
pub const SUPABASE_ROLES: &[&str] = &[
    "anon",
    "service_role",
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
    "supabase_functions_admin",
    "supabase_realtime_admin",
    "supabase_replication_admin",
    "supabase_read_only_user",
    "dashboard_user",
    "pgsodium_keyholder",
    "pgsodium_keyiduser",
    "pgsodium_keymaker",
];

/// The first major version with `security_invoker` views and without `CREATE` for `PUBLIC`
/// on schema `public`.
pub const POSTGRES_15: u32 = 15;

impl Catalog {
    pub fn new() -> Self {
        let mut catalog = Catalog::default();
        // Every database starts with the `public` schema.
        // Every database starts with the `public` schema; PUBLIC may use it (not create
        // in it, since PostgreSQL 15).
        let mut acl = Acl::default();
        acl.grant(Grantee::Public, Privileges::USAGE);
        catalog.schemas.insert(
            "public".to_string(),
            Schema { name: "public".to_string(), owner: None, acl, origin: None, assumed: false },
        );
        catalog
    }

    /// Whether the database is older than PostgreSQL 15 (no `security_invoker` views).
    pub fn before_15(&self) -> bool {
        self.postgres_major.is_some_and(|major| major < POSTGRES_15)
    }

    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.iter().flatten().map(|table| &**table)
    }

    pub fn table(&self, id: TableId) -> Option<&Table> {
        self.tables.get(id.0 as usize).and_then(Option::as_deref)
    }

    pub fn table_mut(&mut self, id: TableId) -> Option<&mut Table> {
        self.tables.get_mut(id.0 as usize).and_then(Option::as_deref_mut)
    }

    pub fn table_id(&self, schema: &str, name: &str) -> Option<TableId> {
        self.table_names.get(&QualifiedName::new(schema, name)).copied()
    }

    pub fn table_by_name(&self, schema: &str, name: &str) -> Option<&Table> {
        self.table_id(schema, name).and_then(|id| self.table(id))
    }

    /// Adds a table and returns its id; the caller makes sure the name is free.
    pub fn add_table(&mut self, mut table: Table) -> TableId {
        let id = TableId(u32::try_from(self.tables.len()).expect("fewer than 4 billion tables"));
        table.id = id;
        self.table_names.insert(table.qualified_name(), id);
        self.tables.push(Some(Box::new(table)));
        id
    }

    /// The direct partitions of `id`. Only a partitioned table has any, so only for one
    /// are the tables scanned (an index on each of thousands of plain tables must not scan
    /// them all).
    pub fn partitions(&self, id: TableId) -> impl Iterator<Item = &Table> + '_ {
        let partitioned = self.table(id).is_some_and(|t| t.kind == TableKind::PartitionedTable);
        self.tables().filter(move |t| partitioned && t.partition_of == Some(id))
    }

    /// Removes a table with its partitions (PostgreSQL drops them with the parent).
    pub fn remove_table(&mut self, id: TableId) {
        let partitions: Vec<TableId> = self.partitions(id).map(|t| t.id).collect();
        for partition in partitions {
            self.remove_table(partition);
        }
        if let Some(table) = self.tables.get_mut(id.0 as usize).and_then(Option::take) {
            self.table_names.remove(&table.qualified_name());
        }
    }

    /// Renames or moves a table; policies, grants and partitions follow it.
    pub fn move_table(&mut self, id: TableId, schema: &str, name: &str) {
        let Some(table) = self.tables.get_mut(id.0 as usize).and_then(Option::as_deref_mut) else { return };
        self.table_names.remove(&QualifiedName::new(&table.schema, &table.name));
        table.schema = schema.to_string();
        table.name = name.to_string();
        self.table_names.insert(QualifiedName::new(schema, name), id);
    }

    /// Whether `role` exists, as far as this catalog can tell.
    pub fn role_exists(&self, role: &str) -> bool {
        !self.roles_complete || self.roles.contains_key(role)
    }

    /// The grantees whose privileges `role` uses: itself, every role it inherits from
    /// (transitively), and `PUBLIC`.
    pub fn effective_grantees(&self, role: &str) -> BTreeSet<Grantee> {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut stack = vec![role.to_string()];
        while let Some(current) = stack.pop() {
            if !seen.insert(current.clone()) {
                continue;
            }
            // A NOINHERIT role uses only its own privileges.
            let inherits = self.roles.get(&current).is_none_or(|r| r.inherit);
            if !inherits {
                continue;
            }
            for (member, group) in &self.memberships {
                if *member == current && !seen.contains(group) {
                    stack.push(group.clone());
                }
            }
        }
        let mut grantees: BTreeSet<Grantee> = seen.into_iter().map(Grantee::Role).collect();
        grantees.insert(Grantee::Public);
        grantees
    }

    /// Whether `role` holds the privileges of `owner` (is it, or inherits from it).
    pub fn acts_as(&self, role: &str, owner: &RoleName) -> bool {
        match owner {
            Some(owner) => self.effective_grantees(role).contains(&Grantee::Role(owner.clone())),
            None => false,
        }
    }

    /// The table privileges `role` has on `table`, as PostgreSQL evaluates them:
    /// ownership, direct grants, grants to `PUBLIC` and to roles it inherits from.
    /// Privileges held on some columns only are returned separately.
    pub fn table_privileges(&self, table: &Table, role: &str) -> (Privileges, Privileges) {
        if self.acts_as(role, &table.owner) {
            return (Privileges::ALL_TABLE, Privileges::NONE);
        }
        let grantees = self.effective_grantees(role);
        (table.acl.union_for(&grantees), table.column_acl.union_for(&grantees))
    }

    /// The privileges `role` has on an object owned by `owner` with `acl`: all of them
    /// as (a member of) the owner, else the grants to it, to `PUBLIC` and to the roles
    /// it inherits from.
    pub fn object_privileges(&self, owner: &RoleName, acl: &Acl, all: Privileges, role: &str) -> Privileges {
        if self.acts_as(role, owner) {
            return all;
        }
        acl.union_for(&self.effective_grantees(role))
    }

    pub fn schema_privileges(&self, schema: &Schema, role: &str) -> Privileges {
        self.object_privileges(&schema.owner, &schema.acl, Privileges::ALL_SCHEMA, role)
    }

    pub fn sequence_privileges(&self, sequence: &Sequence, role: &str) -> Privileges {
        self.object_privileges(&sequence.owner, &sequence.acl, Privileges::ALL_SEQUENCE, role)
    }

    pub fn function_privileges(&self, function: &Function, role: &str) -> Privileges {
        self.object_privileges(&function.owner, &function.acl, Privileges::EXECUTE, role)
    }

    /// The grantees in `acl` through which `role` holds any of `privileges`: itself,
    /// `PUBLIC`, or a role it inherits from. Revoking from all of them takes the
    /// privileges away, unless `role` acts as the owner.
    pub fn granted_through(&self, acl: &Acl, role: &str, privileges: Privileges) -> Vec<Grantee> {
        let grantees = self.effective_grantees(role);
        acl.iter()
            .filter(|(grantee, held)| grantees.contains(grantee) && !(*held & privileges).is_empty())
            .map(|(grantee, _)| grantee.clone())
            .collect()
    }

    /// The sequence a column's default draws from, when the catalog knows it.
    pub fn column_sequence(&self, column: &Column) -> Option<&Sequence> {
        let name = column.sequence.as_ref()?;
        self.sequences.get(&QualifiedName::new(name.schema.as_deref()?, &name.name))
    }

    /// The privileges `role` has on database `database`.
    pub fn database_privileges(&self, database: &Database, role: &str) -> Privileges {
        if self.acts_as(role, &database.owner) {
            return Privileges::ALL_DATABASE;
        }
        database.acl.union_for(&self.effective_grantees(role))
    }

    /// The policies of `table` that apply to `role` (by name, through `PUBLIC` or
    /// through a role it is a member of).
    pub fn policies_for<'a>(&self, table: &'a Table, role: &str) -> Vec<&'a Policy> {
        let grantees = self.effective_grantees(role);
        table.policies.iter().filter(|policy| policy.roles.iter().any(|r| grantees.contains(r))).collect()
    }

    /// The privileges that tables created by `creator` in `schema` give to `role`
    /// through default privileges (global and per-schema entries), with the entries
    /// that contributed.
    pub fn default_table_privileges(&self, creator: &RoleName, schema: &str, role: &str) -> Privileges {
        let grantees = self.effective_grantees(role);
        self.default_acls_for(creator, schema, DefaultObjectType::Tables)
            .into_iter()
            .fold(Privileges::NONE, |acc, entry| acc | entry.acl.union_for(&grantees))
    }

    /// The default-privilege entries that apply to objects of `object_type` that
    /// `creator` makes in `schema`: the global one, then the schema's.
    pub fn default_acls_for(
        &self,
        creator: &RoleName,
        schema: &str,
        object_type: DefaultObjectType,
    ) -> Vec<&DefaultAcl> {
        let global = DefaultAclKey { role: creator.clone(), schema: None, object_type };
        let in_schema =
            DefaultAclKey { role: creator.clone(), schema: Some(schema.to_string()), object_type };
        [global, in_schema].iter().filter_map(|key| self.default_acls.get(key)).collect()
    }
}

/// How the prefix-state cache stores a catalog's tables: in chunks encoded apart, so that
/// restoring tens of thousands of tables decodes the chunks in parallel (each table is many
/// small allocations; one thread took most of a restored run's time).
mod table_chunks {
    use rayon::prelude::*;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Table;

    /// Tables per chunk: enough to make each chunk's work outweigh handing it to a thread.
    const CHUNK: usize = 1024;

    type Tables = Vec<Option<Box<Table>>>;

    pub fn serialize<S: Serializer>(tables: &Tables, serializer: S) -> Result<S::Ok, S::Error> {
        let chunks: Result<Vec<Vec<u8>>, postcard::Error> =
            tables.par_chunks(CHUNK).map(postcard::to_stdvec).collect();
        let chunks = chunks.map_err(S::Error::custom)?;
        // As byte strings: read back borrowed, not byte by byte.
        chunks.iter().map(Vec::as_slice).collect::<Vec<&[u8]>>().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tables, D::Error> {
        let chunks = Vec::<&'de [u8]>::deserialize(deserializer)?;
        let decoded: Result<Vec<Tables>, postcard::Error> =
            chunks.par_iter().map(|chunk| postcard::from_bytes::<Tables>(chunk)).collect();
        Ok(decoded.map_err(D::Error::custom)?.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(schema: &str, name: &str) -> Table {
        Table {
            id: TableId(0),
            schema: schema.into(),
            name: name.into(),
            kind: TableKind::Table,
            owner: Some("owner".into()),
            rls_enabled: false,
            rls_forced: false,
            partition_of: None,
            columns: vec![],
            policies: vec![],
            acl: Acl::default(),
            column_acl: Acl::default(),
            origin: None,
            rls_origin: None,
            security_invoker: false,
            indexes: vec![],
            rls_enabled_late: None,
            partition_key: vec![],
            reads: None,
            partition_bound: None,
        }
    }

    #[test]
    fn membership_is_transitive_and_includes_public() {
        let mut catalog = Catalog::new();
        catalog.memberships.insert(("app".into(), "authenticated".into()));
        catalog.memberships.insert(("authenticated".into(), "readers".into()));
        let grantees = catalog.effective_grantees("app");
        assert!(grantees.contains(&Grantee::Role("readers".into())));
        assert!(grantees.contains(&Grantee::Public));
        assert!(!catalog.effective_grantees("readers").contains(&Grantee::Role("app".into())));
    }

    #[test]
    fn noinherit_role_uses_only_its_own_privileges() {
        let mut catalog = Catalog::new();
        catalog.roles.insert("app".into(), Role { name: "app".into(), inherit: false, origin: None });
        catalog.memberships.insert(("app".into(), "authenticated".into()));
        assert!(!catalog.effective_grantees("app").contains(&Grantee::Role("authenticated".into())));
    }

    #[test]
    fn owner_and_members_of_owner_have_every_table_privilege() {
        let mut catalog = Catalog::new();
        let id = catalog.add_table(table("public", "t"));
        catalog.memberships.insert(("authenticated".into(), "owner".into()));
        let t = catalog.table(id).unwrap();
        assert_eq!(catalog.table_privileges(t, "authenticated").0, Privileges::ALL_TABLE);
        assert_eq!(catalog.table_privileges(t, "anonymous").0, Privileges::NONE);
    }

    #[test]
    fn dropping_a_parent_drops_its_partitions_and_renames_keep_ids() {
        let mut catalog = Catalog::new();
        let parent = catalog.add_table(Table { kind: TableKind::PartitionedTable, ..table("public", "m") });
        let mut child = table("public", "m_2024");
        child.partition_of = Some(parent);
        let child = catalog.add_table(child);
        catalog.move_table(parent, "private", "measurements");
        assert_eq!(catalog.table_id("private", "measurements"), Some(parent));
        assert_eq!(catalog.table_id("public", "m"), None);
        catalog.remove_table(parent);
        assert!(catalog.table(child).is_none());
        assert_eq!(catalog.tables().count(), 0);
    }
}
