//! Applies parsed statements to a `Catalog` in migration order, with PostgreSQL's
//! semantics: name resolution through `search_path`, ownership by the current role,
//! default privileges applied at creation, `GRANT … ON ALL TABLES` touching only the
//! tables that exist then, policies and grants following renames.
//!
//! Replay knows nothing of rules. Statements that would fail on a real server (altering
//! a table that does not exist, creating one that does) change nothing, as the failed
//! statement would not.

mod history;
mod indexes;
mod permissions;
mod sequences;

use std::collections::{BTreeMap, BTreeSet};

use history::History;

use crate::model::{
    Acl, Catalog, Column, Database, DefaultAclKey, DefaultObjectType, Extension, FileId, FunctionKey,
    Grantee, Policy, PolicyCommand, Privileges, QualifiedName, Role, RoleName, Schema, Span, Table, TableId,
    TableKind,
};
use crate::sql::{
    AlterPolicy, AlterTableAction, CreatePolicy, CreateTable, CreateView, DefaultPrivilegeChange,
    GrantTarget, ObjectRef, PartitionBound, PrivilegeChange, PrivilegeList, RoleSpec, Statement,
    StatementKind,
};

mod functions;

/// What replay needs to know that the files do not say.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The role that runs the migrations, when known.
    pub migration_role: Option<String>,
    /// The Data API was enabled with "Grant public schema access" before the first
    /// migration: `authenticated` has USAGE on `public` and default privileges on the
    /// tables the migration role creates there.
    pub assume_data_api_grants: bool,
    pub api_roles: Vec<String>,
    /// The role of requests without a token (empty: none).
    pub anonymous_role: String,
    /// The schemas the Data API serves, for the migration-history facts
    /// (`Table::rls_enabled_late`, `Catalog::api_changes`).
    pub exposed_schemas: Vec<String>,
    /// Every object the replayed files use is created by them (tests that replay onto a
    /// known database): a schema, role or sequence they never created is missing, and a
    /// statement naming it fails, as on the server. Off for real projects, whose
    /// migrations use objects made elsewhere (`auth.users`, the API roles).
    pub closed_world: bool,
    /// The server's major version (`postgres_version`); `None`: not known (15 or 16
    /// behaviour). Before 15, `PUBLIC` may create in schema `public` and views have no
    /// `security_invoker`; from 17, partitions take their parent's identity columns.
    pub postgres_major: Option<u32>,
}

/// An object a statement created or changed, for changed-files mode and suppressions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Touched {
    /// A table or view, by its name at the end of the replay.
    Table {
        schema: String,
        name: String,
    },
    /// A schema; `None` is every schema (`ALTER DEFAULT PRIVILEGES` without `IN SCHEMA`).
    Schema(Option<String>),
    Database(String),
    /// A function or procedure, by its key at the end of the replay.
    Function {
        schema: String,
        name: String,
        args: String,
    },
    /// A sequence, by its name at the end of the replay.
    Sequence {
        schema: String,
        name: String,
    },
}

/// `object` was created or changed by the statement at `statement_start` of `file`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touch {
    pub file: FileId,
    pub statement_start: usize,
    pub object: Touched,
}

/// A touch before renames are settled: tables by id, routines by key and sequences by
/// name, each with the number of renames of its kind before the touch.
#[derive(serde::Serialize, serde::Deserialize)]
enum Pending {
    Table(TableId),
    Function(FunctionKey, usize),
    Sequence(QualifiedName, usize),
    Other(Touched),
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Replay {
    catalog: Catalog,
    touches: Vec<(FileId, usize, Pending)>,
    /// The role that runs the migrations: `migration_role` when configured, else unnamed.
    session_role: RoleName,
    search_path: Option<Vec<String>>,
    current_role: RoleName,
    /// The table created last, to name the migration role when it is not configured.
    last_table: Option<TableId>,
    file: FileId,
    /// Every routine re-keyed by a rename, in order, to name touches by final keys.
    function_moves: Vec<(FunctionKey, FunctionKey)>,
    /// Sequences created by the current statement, for its touches.
    created_sequences: Vec<QualifiedName>,
    /// Every sequence rename and move, in order, to name touched sequences at the end.
    sequence_renames: Vec<(QualifiedName, QualifiedName)>,
    /// The tables that have had an index of each name, to find an index by name without
    /// a scan; entries are checked against the tables when read.
    index_tables: BTreeMap<String, Vec<TableId>>,
    history: History,
    /// Schemas known not to exist now: dropped by the migrations, or created by a later
    /// plain `CREATE SCHEMA` (which fails if the schema exists, so it was not there
    /// before). Other unknown schemas are taken to come from outside the migrations.
    absent_schemas: BTreeSet<String>,
    /// Roles the migrations dropped and did not create again.
    absent_roles: BTreeSet<String>,
    closed_world: bool,
}

impl Replay {
    pub fn new(options: &Options) -> Self {
        let mut replay = Replay {
            catalog: Catalog::new(),
            touches: Vec::new(),
            session_role: options.migration_role.clone(),
            search_path: None,
            current_role: options.migration_role.clone(),
            last_table: None,
            file: FileId(0),
            function_moves: Vec::new(),
            created_sequences: Vec::new(),
            sequence_renames: Vec::new(),
            index_tables: BTreeMap::new(),
            history: History::new(options),
            absent_schemas: BTreeSet::new(),
            absent_roles: BTreeSet::new(),
            closed_world: options.closed_world,
        };
        replay.catalog.postgres_major = options.postgres_major;
        // Before 15, `public` belongs to the bootstrap superuser (`postgres` on a stock
        // server) and PUBLIC may create in it.
        if replay.catalog.before_15()
            && let Some(public) = replay.catalog.schemas.get_mut("public")
        {
            public.owner = Some("postgres".to_string());
            public.acl.grant(Grantee::Public, Privileges::CREATE);
        }
        if options.assume_data_api_grants {
            replay.assume_data_api_grants(&options.api_roles);
        }
        replay
    }

    /// What the Console's "Grant public schema access" does when the Data API is enabled.
    fn assume_data_api_grants(&mut self, api_roles: &[String]) {
        let key = DefaultAclKey {
            role: self.session_role.clone(),
            schema: Some("public".to_string()),
            object_type: DefaultObjectType::Tables,
        };
        let entry = self.catalog.default_acls.entry(key).or_default();
        for role in api_roles {
            entry.acl.grant(Grantee::Role(role.clone()), Privileges::DML);
        }
        if let Some(public) = self.catalog.schemas.get_mut("public") {
            for role in api_roles {
                public.acl.grant(Grantee::Role(role.clone()), Privileges::USAGE);
            }
        }
    }

    /// Reads ahead over every file of the run before replaying any: a schema that a plain
    /// `CREATE SCHEMA` creates later did not exist until then, so creating or granting
    /// in it before fails, as on the server.
    pub fn look_ahead<'a>(&mut self, files: impl IntoIterator<Item = &'a [Statement]>) {
        self.look_ahead_schemas(&Replay::look_ahead_names(files));
    }

    /// The schemas a plain `CREATE SCHEMA` of `files` creates: what `look_ahead` reads.
    pub fn look_ahead_names<'a>(files: impl IntoIterator<Item = &'a [Statement]>) -> BTreeSet<String> {
        files
            .into_iter()
            .flatten()
            .filter_map(|statement| match &statement.kind {
                StatementKind::CreateSchema { name, if_not_exists: false, .. } => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// `look_ahead` from the names `look_ahead_names` read.
    pub fn look_ahead_schemas(&mut self, names: &BTreeSet<String>) {
        for name in names {
            if !self.catalog.schemas.contains_key(name) {
                self.absent_schemas.insert(name.clone());
            }
        }
    }

    /// Applies one file's statements. Each file starts a new session: default
    /// `search_path`, the migration role.
    pub fn file(&mut self, file: FileId, statements: &[Statement]) {
        self.file = file;
        self.search_path = None;
        self.current_role = self.session_role.clone();
        self.history_start_file();
        for statement in statements {
            self.statement(statement);
        }
        self.history_end_file();
    }

    /// The catalog as the last migration left it. Without a configured migration role,
    /// the migration role is the owner of the table created last: the role that created
    /// it, or the one a dump's `ALTER TABLE … OWNER TO` gave it to.
    pub fn finish(self) -> Catalog {
        self.finish_with_touches_of(|_| false).0
    }

    /// The catalog, and what each statement created or changed (tables by their final
    /// names; dropped tables are left out).
    pub fn finish_with_touches(self) -> (Catalog, Vec<Touch>) {
        self.finish_with_touches_of(|_| true)
    }

    /// `finish_with_touches`, keeping only the touches of the files `keep` accepts: naming
    /// a touch clones its names, and a changed-files run looks at a few files' touches only.
    pub fn finish_with_touches_of(mut self, keep: impl Fn(FileId) -> bool) -> (Catalog, Vec<Touch>) {
        self.catalog.migration_role = match self.last_table.and_then(|id| self.catalog.table(id)) {
            Some(table) if self.session_role.is_none() => table.owner.clone(),
            _ => self.session_role.clone(),
        };
        let catalog = self.catalog;
        let moves = self.function_moves;
        let renames = self.sequence_renames;
        let touches = self
            .touches
            .into_iter()
            .filter(|(file, _, _)| keep(*file))
            .filter_map(|(file, statement_start, pending)| {
                let object = match pending {
                    Pending::Table(id) => {
                        let table = catalog.table(id)?;
                        Touched::Table { schema: table.schema.clone(), name: table.name.clone() }
                    }
                    Pending::Function(key, from) => {
                        let key = functions::final_key(&moves, key, from);
                        catalog.functions.contains_key(&key).then_some(())?;
                        Touched::Function { schema: key.schema, name: key.name, args: key.args }
                    }
                    Pending::Sequence(mut name, renames_before) => {
                        for (from, to) in &renames[renames_before..] {
                            if name == *from {
                                name = to.clone();
                            }
                        }
                        catalog.sequences.get(&name)?;
                        Touched::Sequence { schema: name.schema, name: name.name }
                    }
                    Pending::Other(object) => object,
                };
                Some(Touch { file, statement_start, object })
            })
            .collect();
        (catalog, touches)
    }

    /// The objects `statement` names, resolved now: before it runs for objects it
    /// renames, after it runs for objects it creates.
    fn record_touches(&mut self, statement: &Statement) {
        let mut pending: Vec<Pending> = self.function_touches(&statement.kind);
        let table = |name: &ObjectRef| self.resolve_table(name).map(Pending::Table);
        let renames = self.sequence_renames.len();
        let sequence =
            |name: &ObjectRef| self.resolve_sequence(name).map(|key| Pending::Sequence(key, renames));
        match &statement.kind {
            StatementKind::CreateTable(create) => pending.extend(table(&create.name)),
            StatementKind::CreateView(view) => pending.extend(table(&view.name)),
            StatementKind::AlterTable { name, .. } => pending.extend(table(name)),
            StatementKind::CreatePolicy(policy) => pending.extend(table(&policy.table)),
            StatementKind::AlterPolicy(policy) => pending.extend(table(&policy.table)),
            StatementKind::DropPolicy { table: name, .. } => pending.extend(table(name)),
            StatementKind::AlterSequence { name, .. } => pending.extend(sequence(name)),
            StatementKind::Privileges(change) => match &change.target {
                GrantTarget::Tables(names) => {
                    pending.extend(names.iter().filter_map(table));
                    pending.extend(names.iter().filter_map(sequence));
                }
                GrantTarget::Sequences(names) => pending.extend(names.iter().filter_map(sequence)),
                GrantTarget::AllSequencesInSchemas(schemas) => {
                    pending.extend(schemas.iter().map(|s| Pending::Other(Touched::Schema(Some(s.clone())))));
                    pending.extend(
                        self.catalog
                            .sequences
                            .keys()
                            .filter(|key| schemas.contains(&key.schema))
                            .map(|key| Pending::Sequence(key.clone(), renames)),
                    );
                }
                GrantTarget::AllTablesInSchemas(schemas) | GrantTarget::Schemas(schemas) => {
                    pending.extend(schemas.iter().map(|s| Pending::Other(Touched::Schema(Some(s.clone())))));
                    if matches!(change.target, GrantTarget::AllTablesInSchemas(_)) {
                        pending.extend(
                            self.catalog
                                .tables()
                                .filter(|t| schemas.contains(&t.schema))
                                .map(|t| Pending::Table(t.id)),
                        );
                    }
                }
                GrantTarget::Databases(names) => {
                    pending.extend(names.iter().map(|name| Pending::Other(Touched::Database(name.clone()))))
                }
                _ => {}
            },
            StatementKind::AlterDefaultPrivileges(change) if change.schemas.is_empty() => {
                pending.push(Pending::Other(Touched::Schema(None)));
            }
            StatementKind::AlterDefaultPrivileges(change) => {
                pending
                    .extend(change.schemas.iter().map(|s| Pending::Other(Touched::Schema(Some(s.clone())))));
            }
            StatementKind::CreateSchema { name, .. } | StatementKind::AlterSchema { name, .. } => {
                pending.push(Pending::Other(Touched::Schema(Some(name.clone()))));
            }
            StatementKind::CreateDatabase { name, .. } | StatementKind::AlterDatabase { name, .. } => {
                pending.push(Pending::Other(Touched::Database(name.clone())));
            }
            _ => {}
        }
        let start = statement.location.start;
        self.touches.extend(pending.into_iter().map(|touch| (self.file, start, touch)));
    }

    fn span(&self, statement: &Statement) -> Span {
        statement.location.in_file(self.file)
    }

    fn statement(&mut self, statement: &Statement) {
        let span = self.span(statement);
        // Renames change the name: resolve what an ALTER names before it runs.
        let creates = matches!(
            statement.kind,
            StatementKind::CreateTable(_) | StatementKind::CreateView(_) | StatementKind::CreateFunction(_)
        );
        if !creates {
            self.record_touches(statement);
        }
        let changes_api = self.changes_api_before(&statement.kind);
        self.apply(statement, span);
        if creates {
            self.record_touches(statement);
        }
        if changes_api || self.changes_api_after(&statement.kind, span) {
            self.record_api_change(span);
        }
        // Sequences the statement created (`CREATE SEQUENCE`, `serial` columns).
        let renames = self.sequence_renames.len();
        let created: Vec<QualifiedName> = self.created_sequences.drain(..).collect();
        let start = statement.location.start;
        self.touches
            .extend(created.into_iter().map(|key| (self.file, start, Pending::Sequence(key, renames))));
    }

    fn apply(&mut self, statement: &Statement, span: Span) {
        // Supabase's roles do not exist on Neon unless a migration creates them (NL021).
        let members_of = match &statement.kind {
            StatementKind::RoleMembership { roles, .. } => roles.as_slice(),
            _ => &[],
        };
        for role in named_roles(&statement.kind).chain(members_of) {
            if crate::model::SUPABASE_ROLES.contains(&role.as_str())
                && !self.catalog.roles.contains_key(role)
                // Once per statement: its own entries are the last ones.
                && !self.catalog.supabase_role_uses.iter().rev().take_while(|(_, at)| *at == span).any(|(known, _)| known == role)
            {
                self.catalog.supabase_role_uses.push((role.clone(), span));
            }
        }
        // A statement naming a role that does not exist fails as a whole (42704).
        if named_roles(&statement.kind).any(|role| self.role_is_missing(role))
            || public_as_role(&statement.kind)
        {
            return;
        }
        if self.catalog.before_15() && needs_15(&statement.kind) {
            return;
        }
        if self.closed_world
            && (self.names_missing_object(&statement.kind) || !self.permitted(&statement.kind))
        {
            return;
        }
        match &statement.kind {
            StatementKind::CreateTable(create) => self.create_table(create, span),
            StatementKind::CreateView(view) => self.create_view(view, span),
            StatementKind::DropRelations { names, if_exists, kinds } => {
                // One missing name fails the whole statement; replay can only tell when
                // it knows every object.
                if self.closed_world
                    && !if_exists
                    && names.iter().any(|name| self.resolve_table(name).is_none())
                {
                    return;
                }
                // `DROP VIEW` of a materialized view, `DROP TABLE` of a view: 42809.
                let wrong_kind = names.iter().any(|name| {
                    self.resolve_table(name)
                        .and_then(|id| self.catalog.table(id))
                        .is_some_and(|table| !kinds.contains(&table.kind))
                });
                if wrong_kind {
                    return;
                }
                for name in names {
                    if let Some(id) = self.resolve_table(name) {
                        let dropped = self.with_partitions(id);
                        self.drop_owned_sequences(&dropped, None);
                        self.catalog.remove_table(id);
                    }
                }
            }
            StatementKind::AlterTable { name, actions, .. } => {
                if let Some(id) = self.resolve_table(name) {
                    for action in actions {
                        self.alter_table(id, action, span);
                    }
                } else if self.resolve_sequence(name).is_some() {
                    for action in actions {
                        self.alter_sequence_as_table(name, action);
                    }
                }
            }
            StatementKind::CreatePolicy(policy) => self.create_policy(policy, span),
            StatementKind::AlterPolicy(policy) => self.alter_policy(policy),
            StatementKind::DropPolicy { name, table, .. } => {
                if let Some(table) = self.resolve_table(table).and_then(|id| self.catalog.table_mut(id)) {
                    table.policies.retain(|policy| policy.name != *name);
                }
            }
            StatementKind::CreateSchema { name, owner, .. } => {
                if !self.catalog.schemas.contains_key(name) {
                    self.absent_schemas.remove(name);
                    let owner = owner.as_ref().map_or(self.current_role.clone(), |owner| self.role(owner));
                    let schema = Schema {
                        name: name.clone(),
                        owner,
                        acl: Acl::default(),
                        origin: Some(span),
                        assumed: false,
                    };
                    self.catalog.schemas.insert(name.clone(), schema);
                }
            }
            StatementKind::AlterSchema { name, rename_to, owner } => {
                self.alter_schema(name, rename_to, owner)
            }
            StatementKind::DropSchemas { names, cascade } => {
                // Without CASCADE, a schema that still holds an object fails the whole
                // statement (2BP01).
                if !*cascade && names.iter().any(|name| self.schema_holds_objects(name)) {
                    return;
                }
                for name in names {
                    self.drop_schema(name);
                }
            }
            // A role the migrations already made cannot be created again (42710).
            StatementKind::CreateRoles { names, .. }
                if names.iter().any(|name| self.catalog.roles.contains_key(name)) => {}
            StatementKind::CreateRoles { names, inherit, in_roles, members } => {
                for name in names {
                    self.absent_roles.remove(name);
                    let role =
                        Role { name: name.clone(), inherit: inherit.unwrap_or(true), origin: Some(span) };
                    self.catalog.roles.insert(name.clone(), role);
                    for group in in_roles {
                        self.catalog.memberships.insert((name.clone(), group.clone()));
                    }
                    for member in members {
                        self.catalog.memberships.insert((member.clone(), name.clone()));
                    }
                }
            }
            // A role that owns an object or holds a privilege cannot be dropped (2BP01).
            StatementKind::DropRoles { names } if names.iter().any(|name| self.role_has_dependents(name)) => {
            }
            StatementKind::DropRoles { names } => {
                for name in names {
                    self.absent_roles.insert(name.clone());
                    self.catalog.roles.remove(name);
                    self.catalog.memberships.retain(|(member, group)| member != name && group != name);
                }
            }
            StatementKind::RoleMembership { grant, roles, members } => {
                let members: Vec<String> = members.iter().filter_map(|member| self.role(member)).collect();
                // A grant that would make a role a member of itself fails (0LP01).
                let circular = members
                    .iter()
                    .any(|member| roles.iter().any(|role| role == member || self.is_member_of(role, member)));
                if *grant && circular {
                    return;
                }
                for member in members {
                    for role in roles {
                        let edge = (member.clone(), role.clone());
                        if *grant {
                            self.catalog.memberships.insert(edge);
                        } else {
                            self.catalog.memberships.remove(&edge);
                        }
                    }
                }
            }
            StatementKind::CreateDatabase { name, owner } => {
                if !self.catalog.databases.contains_key(name) {
                    let owner = owner.as_ref().map_or(self.current_role.clone(), |owner| self.role(owner));
                    // A new database lets PUBLIC connect and create temporary tables.
                    let mut acl = Acl::default();
                    acl.grant(Grantee::Public, Privileges::CONNECT | Privileges::TEMPORARY);
                    let database = Database { name: name.clone(), owner, acl, origin: Some(span) };
                    self.catalog.databases.insert(name.clone(), database);
                }
            }
            StatementKind::AlterDatabase { name, rename_to, owner } => {
                if let Some(new_owner) = owner {
                    let new_owner = self.role(new_owner);
                    if let Some(database) = self.catalog.databases.get_mut(name) {
                        database.owner = new_owner;
                    }
                }
                if let Some(new_name) = rename_to
                    && let Some(mut database) = self.catalog.databases.remove(name)
                {
                    database.name = new_name.clone();
                    self.catalog.databases.insert(new_name.clone(), database);
                }
            }
            StatementKind::SetDefault { setting } => {
                // Which database or role does not matter: NL028 stays silent on any setting
                // that some session may start with (the Data API's login role is not known).
                self.catalog.default_settings.insert(setting.clone());
            }
            StatementKind::DropDatabase { name } => {
                self.catalog.databases.remove(name);
            }
            StatementKind::Privileges(change) => self.privileges(change),
            StatementKind::AlterDefaultPrivileges(change) => self.default_privileges(change, span),
            StatementKind::CreateExtension { name, schema, .. } => {
                let schema = schema.clone().or_else(|| self.creation_schema());
                let extension = Extension { name: name.clone(), schema, origin: Some(span) };
                self.catalog.extensions.entry(name.clone()).or_insert(extension);
            }
            StatementKind::DropExtensions { names } => {
                for name in names {
                    self.catalog.extensions.remove(name);
                }
            }
            StatementKind::SetSearchPath(path) => self.search_path = path.clone(),
            StatementKind::SetRole(role) => {
                self.current_role = match role {
                    Some(RoleSpec::Name(name)) if name == "none" => self.session_role.clone(),
                    Some(role) => self.role(role),
                    None => self.session_role.clone(),
                }
            }
            StatementKind::ResetAll => {
                self.search_path = None;
                self.current_role = self.session_role.clone();
            }
            StatementKind::CreateFunction(create) => self.create_function(create, span),
            StatementKind::AlterFunction { function, actions } => self.alter_function(function, actions),
            StatementKind::DropFunctions { functions } => self.drop_functions(functions),
            StatementKind::Do | StatementKind::Other => {}
            StatementKind::CreateSequence { name, temporary } => self.create_sequence(name, *temporary, span),
            StatementKind::AlterSequence { name, action } => self.alter_sequence(name, action),
            StatementKind::DropSequences { names, cascade } => self.drop_sequences(names, *cascade),
            StatementKind::CreateIndex { name, table, first_column, first_cast } => {
                self.create_index(name.as_deref(), table, first_column.as_deref(), first_cast.as_ref())
            }
            StatementKind::DropIndexes { names } => self.drop_indexes(names),
            StatementKind::ReloadSchemaCache => self.schema_cache_reloaded(),
        }
    }

    /// Whether a grant or default-privilege statement names a schema, table or sequence
    /// that does not exist: the whole statement fails (3F000, 42P01). Closed world only.
    fn names_missing_object(&self, kind: &StatementKind) -> bool {
        let missing_schema =
            |schemas: &[String]| schemas.iter().any(|s| !self.catalog.schemas.contains_key(s));
        match kind {
            StatementKind::AlterDefaultPrivileges(change) => missing_schema(&change.schemas),
            StatementKind::Privileges(change) => match &change.target {
                GrantTarget::Schemas(schemas)
                | GrantTarget::AllTablesInSchemas(schemas)
                | GrantTarget::AllSequencesInSchemas(schemas)
                | GrantTarget::AllFunctionsInSchemas(_, schemas) => missing_schema(schemas),
                GrantTarget::Tables(names) => names
                    .iter()
                    .any(|name| self.resolve_table(name).is_none() && self.resolve_sequence(name).is_none()),
                GrantTarget::Sequences(names) => {
                    names.iter().any(|name| self.resolve_sequence(name).is_none())
                }
                GrantTarget::Databases(names) => {
                    names.iter().any(|name| !self.catalog.databases.contains_key(name))
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether `member` is a member of `group`, directly or through other roles.
    fn is_member_of(&self, member: &str, group: &str) -> bool {
        let mut stack = vec![member.to_string()];
        let mut seen = BTreeSet::new();
        while let Some(current) = stack.pop() {
            if current == group {
                return true;
            }
            if seen.insert(current.clone()) {
                stack.extend(
                    self.catalog.memberships.iter().filter(|(m, _)| *m == current).map(|(_, g)| g.clone()),
                );
            }
        }
        false
    }

    /// Whether something in the catalog depends on `role`: an object it owns, a grant to
    /// it, a default-privilege entry for or to it, a policy naming it.
    fn role_has_dependents(&self, role: &str) -> bool {
        let named = |owner: &RoleName| owner.as_deref() == Some(role);
        let grantee = Grantee::Role(role.to_string());
        let in_acl = |acl: &Acl| !acl.get(&grantee).is_empty();
        self.catalog.tables().any(|t| {
            named(&t.owner)
                || in_acl(&t.acl)
                || in_acl(&t.column_acl)
                || t.policies.iter().any(|p| p.roles.contains(&grantee))
        }) || self.catalog.schemas.values().any(|s| named(&s.owner) || in_acl(&s.acl))
            || self.catalog.sequences.values().any(|s| named(&s.owner) || in_acl(&s.acl))
            || self.catalog.functions.values().any(|f| named(&f.owner) || in_acl(&f.acl))
            || self.catalog.databases.values().any(|d| named(&d.owner) || in_acl(&d.acl))
            || self.catalog.default_acls.iter().any(|(key, entry)| named(&key.role) || in_acl(&entry.acl))
    }

    /// Whether `role` is known not to exist: dropped, or never created in a closed world
    /// (where the session role is the only one that exists without being created).
    fn role_is_missing(&self, role: &str) -> bool {
        self.absent_roles.contains(role)
            || (self.closed_world
                && !self.catalog.roles.contains_key(role)
                && self.session_role.as_deref() != Some(role))
    }

    /// The role a `RoleSpec` names now. `None` is the unnamed migration role.
    fn role(&self, role: &RoleSpec) -> RoleName {
        match role {
            RoleSpec::Name(name) => Some(name.clone()),
            RoleSpec::CurrentUser => self.current_role.clone(),
            RoleSpec::SessionUser => self.session_role.clone(),
            // No object can be owned by PUBLIC; callers that accept PUBLIC use `grantee`.
            RoleSpec::Public => None,
        }
    }

    fn grantee(&self, role: &RoleSpec) -> Option<Grantee> {
        match role {
            RoleSpec::Public => Some(Grantee::Public),
            other => self.role(other).map(Grantee::Role),
        }
    }

    /// The schemas of the search path, with `$user` replaced by the current role.
    fn path(&self) -> Vec<String> {
        match &self.search_path {
            Some(path) => path
                .iter()
                .filter_map(
                    |schema| if schema == "$user" { self.current_role.clone() } else { Some(schema.clone()) },
                )
                .collect(),
            None => self.current_role.iter().cloned().chain(["public".to_string()]).collect(),
        }
    }

    /// Where an unqualified `CREATE` puts its object: the first schema of the path that
    /// exists.
    fn creation_schema(&self) -> Option<String> {
        self.path().into_iter().find(|schema| self.catalog.schemas.contains_key(schema))
    }

    fn resolve_table(&self, name: &ObjectRef) -> Option<TableId> {
        match &name.schema {
            Some(schema) => self.catalog.table_id(schema, &name.name),
            None => self.path().iter().find_map(|schema| self.catalog.table_id(schema, &name.name)),
        }
    }

    /// The schema for a new object named `name`; unknown qualified schemas are taken to
    /// exist (they may come from outside the migrations, like `auth`).
    fn target_schema(&mut self, name: &ObjectRef) -> Option<String> {
        match &name.schema {
            Some(schema) if self.absent_schemas.contains(schema) => None,
            Some(schema) if self.closed_world && !self.catalog.schemas.contains_key(schema) => None,
            Some(schema) => {
                self.catalog.schemas.entry(schema.clone()).or_insert_with(|| Schema {
                    name: schema.clone(),
                    owner: None,
                    acl: Acl::default(),
                    origin: None,
                    assumed: true,
                });
                Some(schema.clone())
            }
            None => self.creation_schema(),
        }
    }

    /// A new relation with its owner and the default privileges that apply to it.
    fn new_relation(&mut self, schema: String, name: &str, kind: TableKind, span: Span) -> Table {
        let owner = self.current_role.clone();
        let mut acl = Acl::default();
        for entry in self.catalog.default_acls_for(&owner, &schema, DefaultObjectType::Tables) {
            for (grantee, privileges) in entry.acl.iter() {
                acl.grant(grantee.clone(), privileges);
            }
        }
        Table {
            id: TableId(0),
            schema,
            name: name.to_string(),
            kind,
            owner,
            rls_enabled: false,
            rls_forced: false,
            partition_of: None,
            columns: Vec::new(),
            policies: Vec::new(),
            acl,
            column_acl: Acl::default(),
            origin: Some(span),
            rls_origin: None,
            security_invoker: false,
            indexes: Vec::new(),
            rls_enabled_late: None,
            partition_key: Vec::new(),
            reads: None,
            partition_bound: None,
        }
    }

    fn create_table(&mut self, create: &CreateTable, span: Span) {
        if create.temporary || !table_definition_is_valid(create) {
            return;
        }
        if create
            .columns
            .iter()
            .filter_map(|column| column.sequence.as_ref())
            .any(|s| self.names_missing_sequence(s))
        {
            return;
        }
        let Some(schema) = self.target_schema(&create.name) else { return };
        if self.catalog.table_id(&schema, &create.name.name).is_some() {
            return;
        }
        let partition_of = match &create.partition_of {
            Some(parent) => match self.resolve_table(parent) {
                // Only a partitioned table takes partitions (42P17 otherwise).
                Some(parent)
                    if self.catalog.table(parent).is_some_and(|t| t.kind == TableKind::PartitionedTable) =>
                {
                    Some(parent)
                }
                Some(_) => return,
                // The parent does not exist: the statement fails.
                None => return,
            },
            None => None,
        };
        if let (Some(parent), Some(bound)) = (partition_of, &create.partition_bound)
            && self.bound_overlaps(parent, bound)
        {
            return;
        }
        let mut table = self.new_relation(schema, &create.name.name, create.kind, span);
        table.partition_of = partition_of;
        table.partition_bound = create.partition_bound.clone();
        table.columns = create.columns.clone();
        table.partition_key = create.partition_key.clone();
        // A partition takes its parent's columns, defaults included (a serial column's
        // partitions draw from the parent's sequence); identity stays with the parent before
        // PostgreSQL 17, which gives partitions the parent's identity columns.
        let identity_inherited = self.catalog.postgres_major.is_some_and(|major| major >= 17);
        if let Some(parent) = partition_of.and_then(|id| self.catalog.table(id))
            && create.columns.is_empty()
        {
            table.columns = parent
                .columns
                .iter()
                .map(|column| Column {
                    identity: column.identity && identity_inherited,
                    uses_sequence: column.uses_sequence && !(column.identity && identity_inherited),
                    ..column.clone()
                })
                .collect();
        }
        let id = self.catalog.add_table(table);
        self.last_table = Some(id);
        self.history_table_created(id);
        let columns: Vec<String> = create.columns.iter().map(|column| column.name.clone()).collect();
        self.bind_column_sequences(id, &columns, span);
        for column in &create.indexed_columns {
            self.add_key_index(id, None, column);
        }
        // A partition gets each index of its parent.
        if let Some(parent) = partition_of {
            self.inherit_indexes(parent, id);
        }
    }

    /// Whether a partition of `parent` with this bound would overlap one it has (42P17).
    fn bound_overlaps(&self, parent: TableId, bound: &PartitionBound) -> bool {
        self.catalog
            .partitions(parent)
            .any(|sibling| sibling.partition_bound.as_ref().is_some_and(|theirs| theirs.overlaps(bound)))
    }

    /// The table and, transitively, its partitions.
    fn with_partitions(&self, id: TableId) -> Vec<TableId> {
        let mut ids = vec![id];
        let mut next = 0;
        while next < ids.len() {
            let parent = ids[next];
            ids.extend(self.catalog.partitions(parent).map(|t| t.id));
            next += 1;
        }
        ids
    }

    fn create_view(&mut self, view: &CreateView, span: Span) {
        // A view over a relation that does not exist fails (42P01); only a replay that
        // knows every relation can tell.
        if self.closed_world && view.reads.iter().any(|name| self.resolve_table(name).is_none()) {
            return;
        }
        let Some(schema) = self.target_schema(&view.name) else { return };
        // Options replace the old ones: a view replaced without `WITH (security_invoker)`
        // loses it (PostgreSQL 15 sets the new statement's options as a whole).
        let security_invoker = !view.materialized && view.security_invoker.unwrap_or(false);
        if let Some(id) = self.catalog.table_id(&schema, &view.name.name) {
            // `CREATE OR REPLACE VIEW` keeps the view's owner and privileges.
            let reads = (!view.reads.is_empty())
                .then(|| {
                    view.reads.iter().map(|name| self.resolve_table(name)).collect::<Option<Vec<TableId>>>()
                })
                .flatten();
            if let Some(existing) = self.catalog.table_mut(id)
                && view.or_replace
                && !view.materialized
                && existing.kind == TableKind::View
            {
                existing.security_invoker = security_invoker;
                existing.reads = reads;
            }
            return;
        }
        if self.relation_taken(&schema, &view.name.name) {
            return;
        }
        let kind = if view.materialized { TableKind::MaterializedView } else { TableKind::View };
        // Names are bound when the view is created, under the search path of the moment.
        let reads = (!view.materialized && !view.reads.is_empty())
            .then(|| view.reads.iter().map(|name| self.resolve_table(name)).collect::<Option<Vec<TableId>>>())
            .flatten();
        let mut table = self.new_relation(schema, &view.name.name, kind, span);
        table.security_invoker = security_invoker;
        table.reads = reads;
        self.catalog.add_table(table);
    }

    fn alter_table(&mut self, id: TableId, action: &AlterTableAction, span: Span) {
        match action {
            AlterTableAction::RenameTo(new_name) => {
                let Some((schema, old_name)) =
                    self.catalog.table(id).map(|t| (t.schema.clone(), t.name.clone()))
                else {
                    return;
                };
                if self.catalog.table_id(&schema, new_name).is_none() {
                    self.catalog.move_table(id, &schema, new_name);
                    if let Some(table) = self.catalog.table_mut(id) {
                        // Its own policies name it as `old.column`; they follow the rename.
                        rewrite_policies(table, |expr| {
                            crate::sql::rename_qualifier(expr, &old_name, new_name)
                        });
                    }
                }
            }
            AlterTableAction::SetSchema(schema) => {
                let Some(name) = self.catalog.table(id).map(|t| t.name.clone()) else { return };
                if self.catalog.table_id(schema, &name).is_none()
                    && self
                        .target_schema(&ObjectRef { schema: Some(schema.clone()), name: name.clone() })
                        .is_some()
                {
                    self.catalog.move_table(id, schema, &name);
                    self.owned_sequences_follow_schema(id);
                }
            }
            AlterTableAction::AttachPartition(child, bound) => {
                let child = self.resolve_table(child);
                // Only a partitioned table takes partitions (42809), and a bound that
                // overlaps a partition's the table has fails (42P17).
                if self.catalog.table(id).is_some_and(|t| t.kind != TableKind::PartitionedTable)
                    || bound.as_ref().is_some_and(|bound| self.bound_overlaps(id, bound))
                {
                    return;
                }
                // From PostgreSQL 17 the attached table's columns take the parent's identity.
                let identities: Vec<String> = match self.catalog.table(id) {
                    Some(parent) if self.catalog.postgres_major.is_some_and(|major| major >= 17) => {
                        parent.columns.iter().filter(|c| c.identity).map(|c| c.name.clone()).collect()
                    }
                    _ => Vec::new(),
                };
                if let Some(table) = child.and_then(|child| self.catalog.table_mut(child)) {
                    table.partition_of = Some(id);
                    table.partition_bound = bound.clone();
                    for column in table.columns.iter_mut().filter(|c| identities.contains(&c.name)) {
                        column.identity = true;
                        column.uses_sequence = false;
                    }
                }
                if let Some(child) = child {
                    self.inherit_indexes(id, child);
                }
            }
            AlterTableAction::DetachPartition(child) => {
                if let Some(child) = self.resolve_table(child).and_then(|child| self.catalog.table_mut(child))
                {
                    child.partition_of = None;
                    child.partition_bound = None;
                }
            }
            AlterTableAction::OwnerTo(owner) => {
                let owner = self.role(owner);
                if let Some(table) = self.catalog.table_mut(id) {
                    table.owner = owner;
                }
                self.owned_sequences_follow_owner(id);
            }
            // On a partitioned table, a key that leaves out a partition column fails (0A000).
            AlterTableAction::AddIndexConstraint { columns, .. }
                if !columns.is_empty()
                    && self.catalog.table(id).is_some_and(|table| {
                        table.kind == TableKind::PartitionedTable
                            && table.partition_key.iter().any(|key| !columns.contains(key))
                    }) => {}
            AlterTableAction::AddIndexConstraint { name, first_column, .. } => {
                self.add_key_index(id, name.as_deref(), first_column)
            }
            // A column of that name exists: the statement fails (42701).
            AlterTableAction::AddColumn(column)
                if self.catalog.table(id).is_some_and(|table| table.column(&column.name).is_some()) => {}
            AlterTableAction::RenameColumn { to, .. }
                if self.catalog.table(id).is_some_and(|table| table.column(to).is_some()) => {}
            _ => {
                if let Some(table) = self.catalog.table_mut(id) {
                    alter_table_in_place(table, action, span);
                }
                self.after_alter_in_place(id, action, span);
            }
        }
    }

    /// What an in-place change does beyond the table: sequences of new columns, owned
    /// sequences of dropped ones, late RLS.
    fn after_alter_in_place(&mut self, id: TableId, action: &AlterTableAction, span: Span) {
        match action {
            AlterTableAction::AddColumn(column) => {
                self.bind_column_sequences(id, std::slice::from_ref(&column.name), span)
            }
            AlterTableAction::ColumnUsesSequence { column, identity: false, sequence: Some(sequence) } => {
                self.set_column_sequence(id, column, sequence)
            }
            AlterTableAction::ColumnUsesSequence { column, identity: true, .. } => {
                self.bind_column_sequences(id, std::slice::from_ref(column), span)
            }
            AlterTableAction::DropColumns(names) => self.drop_owned_sequences(&[id], Some(names)),
            AlterTableAction::RenameColumn { from, to } => self.owned_sequences_follow_column(id, from, to),
            AlterTableAction::EnableRls => self.rls_enabled(id, span),
            _ => {}
        }
    }

    fn create_policy(&mut self, create: &CreatePolicy, span: Span) {
        // PostgreSQL refuses `USING` on an INSERT policy and `WITH CHECK` on a SELECT or
        // DELETE one (42601): the statement creates nothing.
        if !policy_clauses_fit(create.command, create.using.is_some(), create.with_check.is_some()) {
            return;
        }
        let roles = self.policy_roles(&create.roles);
        let Some(table) = self.resolve_table(&create.table).and_then(|id| self.catalog.table_mut(id)) else {
            return;
        };
        if table.policies.iter().any(|policy| policy.name == create.name) {
            return;
        }
        table.policies.push(Policy {
            name: create.name.clone(),
            command: create.command,
            permissive: create.permissive,
            roles,
            using: create.using.clone(),
            with_check: create.with_check.clone(),
            origin: Some(span),
        });
    }

    /// A policy's `TO` list; none given means `PUBLIC`.
    fn policy_roles(&self, roles: &[RoleSpec]) -> Vec<Grantee> {
        // PUBLIC among others is PUBLIC alone: PostgreSQL drops the rest with a warning
        // ("ignoring specified roles other than PUBLIC").
        if roles.is_empty() || roles.contains(&RoleSpec::Public) {
            return vec![Grantee::Public];
        }
        roles.iter().filter_map(|role| self.grantee(role)).collect()
    }

    fn alter_policy(&mut self, alter: &AlterPolicy) {
        let roles = alter.roles.as_ref().map(|roles| self.policy_roles(roles));
        let Some(table) = self.resolve_table(&alter.table).and_then(|id| self.catalog.table_mut(id)) else {
            return;
        };
        let Some(position) = table.policies.iter().position(|policy| policy.name == alter.name) else {
            return;
        };
        let command = table.policies[position].command;
        if !policy_clauses_fit(command, alter.using.is_some(), alter.with_check.is_some()) {
            return;
        }
        if let Some(new_name) = &alter.rename_to {
            if table.policies.iter().any(|policy| policy.name == *new_name) {
                return;
            }
            table.policies[position].name = new_name.clone();
        }
        let policy = &mut table.policies[position];
        if let Some(roles) = roles {
            policy.roles = roles;
        }
        if let Some(using) = &alter.using {
            policy.using = Some(using.clone());
        }
        if let Some(with_check) = &alter.with_check {
            policy.with_check = Some(with_check.clone());
        }
    }

    fn alter_schema(&mut self, name: &str, rename_to: &Option<String>, owner: &Option<RoleSpec>) {
        if let Some(owner) = owner {
            let owner = self.role(owner);
            if let Some(schema) = self.catalog.schemas.get_mut(name) {
                schema.owner = owner;
            }
        }
        let Some(new_name) = rename_to else { return };
        if self.catalog.schemas.contains_key(new_name) {
            return;
        }
        let Some(mut schema) = self.catalog.schemas.remove(name) else { return };
        self.absent_schemas.insert(name.to_string());
        self.absent_schemas.remove(new_name);
        schema.name = new_name.clone();
        self.catalog.schemas.insert(new_name.clone(), schema);
        let moved: Vec<(TableId, String)> =
            self.catalog.tables().filter(|t| t.schema == name).map(|t| (t.id, t.name.clone())).collect();
        for (id, table_name) in moved {
            self.catalog.move_table(id, new_name, &table_name);
        }
        self.rename_schema_functions(name, new_name);
        self.sequences_follow_schema_rename(name, new_name);
        // Default privileges are stored by schema OID, so they follow the rename.
        let keys: Vec<DefaultAclKey> = self
            .catalog
            .default_acls
            .keys()
            .filter(|key| key.schema.as_deref() == Some(name))
            .cloned()
            .collect();
        for key in keys {
            if let Some(entry) = self.catalog.default_acls.remove(&key) {
                let renamed = DefaultAclKey { schema: Some(new_name.clone()), ..key };
                self.catalog.default_acls.insert(renamed, entry);
            }
        }
    }

    /// Whether `name` holds a relation, sequence or routine (what the model keeps).
    fn schema_holds_objects(&self, name: &str) -> bool {
        self.catalog.tables().any(|t| t.schema == name)
            || self.catalog.sequences.keys().any(|key| key.schema == name)
            || self.catalog.functions.keys().any(|key| key.schema == name)
    }

    fn drop_schema(&mut self, name: &str) {
        let tables: Vec<TableId> = self.catalog.tables().filter(|t| t.schema == name).map(|t| t.id).collect();
        for id in tables {
            self.catalog.remove_table(id);
        }
        self.drop_schema_functions(name);
        self.drop_schema_sequences(name);
        if self.catalog.schemas.remove(name).is_some() {
            self.absent_schemas.insert(name.to_string());
        }
        self.catalog.default_acls.retain(|key, _| key.schema.as_deref() != Some(name));
    }

    fn privileges(&mut self, change: &PrivilegeChange) {
        let grantees: Vec<Grantee> = change.grantees.iter().filter_map(|role| self.grantee(role)).collect();
        if self.function_privileges_change(change, &grantees) {
            return;
        }
        match &change.target {
            GrantTarget::Tables(names) => {
                let ids: Vec<TableId> = names.iter().filter_map(|name| self.resolve_table(name)).collect();
                let sequences: Vec<QualifiedName> =
                    names.iter().filter_map(|name| self.resolve_sequence(name)).collect();
                // USAGE is a sequence privilege: naming it for a table or view fails the
                // statement.
                if !ids.is_empty() && change.privileges.object_level.contains(Privileges::USAGE) {
                    return;
                }
                self.table_privileges(&ids, change, &grantees);
                self.grant_on_sequences_as_tables(&sequences, change, &grantees);
            }
            GrantTarget::Sequences(names) => self.grant_on_sequences(names, change, &grantees),
            GrantTarget::AllSequencesInSchemas(schemas) => {
                self.grant_on_all_sequences(schemas, change, &grantees)
            }
            GrantTarget::AllTablesInSchemas(schemas) => {
                // Only the tables that exist now; later tables need default privileges.
                let ids: Vec<TableId> =
                    self.catalog.tables().filter(|t| schemas.contains(&t.schema)).map(|t| t.id).collect();
                self.table_privileges(&ids, change, &grantees);
            }
            GrantTarget::Schemas(names) => {
                let privileges = object_privileges(change.privileges, Privileges::ALL_SCHEMA);
                for name in names {
                    if let Some(schema) = self.catalog.schemas.get_mut(name) {
                        apply(&mut schema.acl, &schema.owner, change.grant, &grantees, privileges);
                    }
                }
            }
            GrantTarget::Databases(names) => {
                let privileges = object_privileges(change.privileges, Privileges::ALL_DATABASE);
                for name in names {
                    if let Some(database) = self.catalog.databases.get_mut(name) {
                        apply(&mut database.acl, &database.owner, change.grant, &grantees, privileges);
                    }
                }
            }
            _ => {}
        }
    }

    fn table_privileges(&mut self, ids: &[TableId], change: &PrivilegeChange, grantees: &[Grantee]) {
        let table_level = object_privileges(change.privileges, Privileges::ALL_TABLE);
        let column_level = change.privileges.column_level;
        for id in ids {
            let Some(table) = self.catalog.table_mut(*id) else { continue };
            let owner = table.owner.clone();
            apply(&mut table.acl, &owner, change.grant, grantees, table_level);
            // Revoking a table privilege also revokes it from every column.
            if !change.grant {
                apply(&mut table.column_acl, &owner, false, grantees, table_level);
            }
            apply(&mut table.column_acl, &owner, change.grant, grantees, column_level);
        }
    }

    fn default_privileges(&mut self, change: &DefaultPrivilegeChange, span: Span) {
        let roles: Vec<RoleName> = if change.for_roles.is_empty() {
            vec![self.current_role.clone()]
        } else {
            change.for_roles.iter().map(|role| self.role(role)).collect()
        };
        let schemas: Vec<Option<String>> = if change.schemas.is_empty() {
            vec![None]
        } else {
            change.schemas.iter().cloned().map(Some).collect()
        };
        let all = match change.object_type {
            DefaultObjectType::Tables => Privileges::ALL_TABLE,
            DefaultObjectType::Sequences => Privileges::USAGE | Privileges::SELECT | Privileges::UPDATE,
            DefaultObjectType::Functions => Privileges::EXECUTE,
            DefaultObjectType::Types => Privileges::USAGE,
            DefaultObjectType::Schemas => Privileges::ALL_SCHEMA,
        };
        let privileges = object_privileges(change.privileges, all);
        let grantees: Vec<Grantee> = change.grantees.iter().filter_map(|role| self.grantee(role)).collect();
        for role in &roles {
            for schema in &schemas {
                let key = DefaultAclKey {
                    role: role.clone(),
                    schema: schema.clone(),
                    object_type: change.object_type,
                };
                let start = functions::new_default_acl(&key);
                let built_in = start.acl.clone();
                // The role's own privileges on its new objects are implicit here (all of
                // them, in the built-in defaults): granting them changes nothing, while
                // revoking them leaves an entry the model cannot show but PostgreSQL keeps.
                let owner = key.role.clone().map(Grantee::Role);
                let to_owner =
                    schema.is_none() && owner.as_ref().is_some_and(|owner| grantees.contains(owner));
                let others: Vec<Grantee> = match (&owner, schema) {
                    (Some(owner), None) => grantees.iter().filter(|g| *g != owner).cloned().collect(),
                    _ => grantees.clone(),
                };
                let entry = self.catalog.default_acls.entry(key.clone()).or_insert(start);
                apply(&mut entry.acl, &None, change.grant, &others, privileges);
                entry.origin = Some(span);
                // PostgreSQL keeps no entry that says what holds without one (so the role
                // can be dropped again).
                let owner_revoked = to_owner && !change.grant;
                if entry.acl == built_in && !owner_revoked {
                    self.catalog.default_acls.remove(&key);
                }
            }
        }
    }
}

/// Whether a policy for `command` may have the clauses given: no `USING` for INSERT, no
/// `WITH CHECK` for SELECT or DELETE.
fn policy_clauses_fit(command: PolicyCommand, using: bool, with_check: bool) -> bool {
    match command {
        PolicyCommand::Insert => !using,
        PolicyCommand::Select | PolicyCommand::Delete => !with_check,
        PolicyCommand::All | PolicyCommand::Update => true,
    }
}

/// Whether the statement sets `security_invoker`, which PostgreSQL 14 does not know
/// (22023: unrecognized parameter). `RESET (security_invoker)` is accepted there.
fn needs_15(kind: &StatementKind) -> bool {
    match kind {
        StatementKind::CreateView(view) => view.security_invoker.is_some(),
        StatementKind::AlterTable { actions, .. } => {
            actions.iter().any(|action| matches!(action, AlterTableAction::SetSecurityInvoker(true)))
        }
        _ => false,
    }
}

/// Whether the statement names `PUBLIC` where only a role can stand (an owner, `SET ROLE`,
/// `FOR ROLE`, a member): PostgreSQL fails it with 'role "public" does not exist' (42704).
fn public_as_role(kind: &StatementKind) -> bool {
    let public = |spec: &RoleSpec| *spec == RoleSpec::Public;
    match kind {
        StatementKind::AlterDefaultPrivileges(change) => change.for_roles.iter().any(public),
        StatementKind::RoleMembership { members, .. } => members.iter().any(public),
        StatementKind::CreateSchema { owner, .. }
        | StatementKind::AlterSchema { owner, .. }
        | StatementKind::CreateDatabase { owner, .. }
        | StatementKind::AlterDatabase { owner, .. } => owner.iter().any(public),
        StatementKind::SetRole(role) => role.iter().any(public),
        StatementKind::AlterTable { actions, .. } => {
            actions.iter().any(|action| matches!(action, AlterTableAction::OwnerTo(RoleSpec::Public)))
        }
        StatementKind::AlterFunction { actions, .. } => actions
            .iter()
            .any(|action| matches!(action, crate::sql::AlterFunctionAction::OwnerTo(RoleSpec::Public))),
        StatementKind::AlterSequence {
            action: crate::sql::AlterSequenceAction::OwnerTo(RoleSpec::Public),
            ..
        } => true,
        _ => false,
    }
}

/// The roles a statement names, other than those it creates or drops.
fn named_roles(kind: &StatementKind) -> impl Iterator<Item = &String> {
    let specs: Vec<&RoleSpec> = match kind {
        StatementKind::Privileges(change) => change.grantees.iter().collect(),
        StatementKind::AlterDefaultPrivileges(change) => {
            change.for_roles.iter().chain(&change.grantees).collect()
        }
        StatementKind::CreatePolicy(policy) => policy.roles.iter().collect(),
        StatementKind::AlterPolicy(policy) => policy.roles.iter().flatten().collect(),
        StatementKind::RoleMembership { members, .. } => members.iter().collect(),
        StatementKind::CreateSchema { owner, .. }
        | StatementKind::AlterSchema { owner, .. }
        | StatementKind::CreateDatabase { owner, .. }
        | StatementKind::AlterDatabase { owner, .. } => owner.iter().collect(),
        StatementKind::SetRole(role) => role.iter().collect(),
        StatementKind::AlterTable { actions, .. } => actions
            .iter()
            .filter_map(|action| match action {
                AlterTableAction::OwnerTo(owner) => Some(owner),
                _ => None,
            })
            .collect(),
        StatementKind::AlterFunction { actions, .. } => actions
            .iter()
            .filter_map(|action| match action {
                crate::sql::AlterFunctionAction::OwnerTo(owner) => Some(owner),
                _ => None,
            })
            .collect(),
        StatementKind::AlterSequence { action: crate::sql::AlterSequenceAction::OwnerTo(owner), .. } => {
            vec![owner]
        }
        _ => Vec::new(),
    };
    let names: Vec<&String> = match kind {
        StatementKind::RoleMembership { roles, .. } => roles.iter().collect(),
        StatementKind::CreateRoles { in_roles, members, .. } => in_roles.iter().chain(members).collect(),
        _ => Vec::new(),
    };
    specs
        .into_iter()
        .filter_map(|spec| match spec {
            RoleSpec::Name(name) => Some(name),
            _ => None,
        })
        .chain(names)
}

/// Whether PostgreSQL accepts the column list of `create`: no column named twice (42701),
/// at most one primary key (42P16). A failed `CREATE TABLE` creates nothing.
fn table_definition_is_valid(create: &CreateTable) -> bool {
    let mut names = std::collections::BTreeSet::new();
    create.primary_keys <= 1 && create.columns.iter().all(|column| names.insert(column.name.as_str()))
}

/// RLS switches and column changes, which touch only the table itself.
fn alter_table_in_place(table: &mut Table, action: &AlterTableAction, span: Span) {
    match action {
        AlterTableAction::EnableRls => {
            table.rls_enabled = true;
            table.rls_origin = Some(span);
        }
        AlterTableAction::DisableRls => {
            table.rls_enabled = false;
            table.rls_origin = Some(span);
        }
        AlterTableAction::ForceRls => table.rls_forced = true,
        AlterTableAction::NoForceRls => table.rls_forced = false,
        AlterTableAction::AddColumn(column) => {
            if table.column(&column.name).is_none() {
                table.columns.push(column.clone());
            }
        }
        AlterTableAction::RenameColumn { from, to } => {
            if let Some(column) = table.columns.iter_mut().find(|column| column.name == *from) {
                column.name = to.clone();
            }
            for key in table.partition_key.iter_mut().filter(|key| **key == *from) {
                key.clone_from(to);
            }
            // PostgreSQL stores policy expressions by column number: they follow the rename.
            let name = table.name.clone();
            rewrite_policies(table, |expr| crate::sql::rename_column(expr, &[name.as_str()], from, to));
            for index in &mut table.indexes {
                if index.first_column.as_ref() == Some(from) {
                    index.first_column = Some(to.clone());
                }
            }
        }
        AlterTableAction::DropColumns(names) => {
            table.columns.retain(|column| !names.contains(&column.name));
            // An index goes with any of its columns; only the first one is known.
            table.indexes.retain(|index| index.first_column.as_ref().is_none_or(|c| !names.contains(c)));
        }
        AlterTableAction::SetSecurityInvoker(on) => {
            if table.kind == TableKind::View {
                table.security_invoker = *on;
            }
        }
        AlterTableAction::ColumnUsesSequence { column, identity, .. } => {
            if let Some(column) = table.columns.iter_mut().find(|c| c.name == *column) {
                column.identity |= *identity;
                column.uses_sequence |= !*identity;
            }
        }
        // The sequence stays (a serial column still owns it); the default no longer uses it.
        AlterTableAction::DropDefault { column } => {
            if let Some(column) = table.columns.iter_mut().find(|c| c.name == *column) {
                column.uses_sequence = false;
                column.sequence = None;
            }
        }
        AlterTableAction::RenameTo(_)
        | AlterTableAction::SetSchema(_)
        | AlterTableAction::OwnerTo(_)
        | AlterTableAction::AttachPartition(..)
        | AlterTableAction::DetachPartition(_)
        | AlterTableAction::AddIndexConstraint { .. }
        | AlterTableAction::AddForeignKey => {}
    }
}

/// Applies `rename` to the `USING` and `WITH CHECK` text of every policy of `table`.
fn rewrite_policies(table: &mut Table, rename: impl Fn(&str) -> String) {
    for policy in &mut table.policies {
        for expr in [&mut policy.using, &mut policy.with_check].into_iter().flatten() {
            *expr = rename(expr);
        }
    }
}

/// The object-level privileges a list names; `ALL` is everything the object type has.
fn object_privileges(list: PrivilegeList, all: Privileges) -> Privileges {
    if list.all { all } else { list.object_level & all }
}

/// Grants or revokes `privileges` for `grantees` on an object owned by `owner`. The owner
/// holds every privilege implicitly: granting it one changes nothing (PostgreSQL's explicit
/// entry for it moves to the next owner with the object), so none is recorded.
fn apply(acl: &mut Acl, owner: &RoleName, grant: bool, grantees: &[Grantee], privileges: Privileges) {
    if privileges.is_empty() {
        return;
    }
    for grantee in grantees {
        let to_owner = matches!((grantee, owner), (Grantee::Role(role), Some(owner)) if role == owner);
        if grant && to_owner {
            continue;
        }
        if grant {
            acl.grant(grantee.clone(), privileges);
        } else {
            acl.revoke(grantee, privileges);
        }
    }
}

#[cfg(test)]
mod tests;
