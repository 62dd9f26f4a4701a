//! The catalog queries of `neonlint db` and the `Catalog` they fill.
//!
//! A fixed list of queries, each over a whole catalog table, so the number of round trips
//! does not grow with the number of tables or policies. Privileges come from
//! `aclexplode(coalesce(acl, acldefault(…)))`, so a NULL ACL reads as PostgreSQL's
//! default. Objects in system schemas and objects that belong to extensions are skipped.
//!
//! Fifteen queries: the session, roles, memberships, schemas; relations (with views'
//! `security_invoker`), their ACLs, column ACLs, columns (with the sequence a default
//! draws from, found through `pg_depend`), policies and indexes; sequences (with their
//! ACLs and owning column), functions and procedures (with their ACLs); default ACLs,
//! databases and extensions. Facts that only migration history has
//! (`Table::rls_enabled_late`, `Catalog::api_changes`) stay empty.

use std::collections::BTreeMap;

use tokio_postgres::{GenericClient, Row};

use super::{Stage, Step};

use crate::model::{
    Acl, Catalog, Column, Database, DefaultAclKey, DefaultObjectType, Extension, Function, FunctionKey,
    Grantee, Index, Policy, PolicyCommand, Privileges, QualifiedName, Role, Schema, Sequence, SequenceName,
    Table, TableId, TableKind,
};

/// What the queries need to know.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Check `neon_superuser` on every database the role can see, not just this one.
    pub all_databases: bool,
    /// The migration role from the configuration; else the database owner.
    pub migration_role: Option<String>,
}

/// Runs the catalog queries on `client` (already inside a read-only transaction) and
/// returns the catalog with the number of queries it took. `step` names the query under
/// way, for a caller that gives up waiting.
pub async fn read_catalog(
    client: &impl GenericClient,
    scope: &Scope,
    step: &Step,
) -> Result<(Catalog, usize), tokio_postgres::Error> {
    let mut reader = Reader { client, queries: 0, step };
    let mut catalog = Catalog::new();
    catalog.roles_complete = true;
    catalog.schemas.clear();

    let session = reader.query("session", SESSION, &[]).await?;
    let database_owner: String = session[0].get("owner");
    catalog.current_database = Some(session[0].get("database"));
    let server_version: i32 = session[0].get("version");
    catalog.postgres_major = u32::try_from(server_version / 10_000).ok();
    let default_settings: Vec<String> = session[0].get("default_settings");
    catalog.default_settings = default_settings.into_iter().collect();
    catalog.migration_role = Some(scope.migration_role.clone().unwrap_or_else(|| database_owner.clone()));

    for row in reader.query("roles", ROLES, &[]).await? {
        let name: String = row.get("name");
        catalog.roles.insert(name.clone(), Role { name, inherit: row.get("inherit"), origin: None });
    }
    let memberships = if server_version >= 160_000 { MEMBERSHIPS_16 } else { MEMBERSHIPS };
    for row in reader.query("memberships", memberships, &[]).await? {
        catalog.memberships.insert((row.get("member"), row.get("grp")));
    }
    // The database owner is an implicit member of `pg_database_owner` (PostgreSQL 14+),
    // which owns `public`; `pg_auth_members` does not list it.
    // https://www.postgresql.org/docs/current/predefined-roles.html
    if catalog.roles.contains_key(DATABASE_OWNER_ROLE) {
        catalog.memberships.insert((database_owner.clone(), DATABASE_OWNER_ROLE.to_string()));
    }
    for row in reader.query("schemas", SCHEMAS, &[]).await? {
        let name: String = row.get("name");
        let schema = catalog.schemas.entry(name.clone()).or_insert_with(|| Schema {
            name,
            owner: Some(row.get("owner")),
            acl: Acl::default(),
            origin: None,
            assumed: false,
        });
        grant_row(&mut schema.acl, &row);
    }
    let (tables, newest_owner) = read_tables(&mut reader, &mut catalog).await?;
    // Without a configured migration role: the owner of the table created last, as replay
    // decides it (a `SET ROLE` pattern makes that role the one whose defaults count); with
    // no table, the database owner.
    if scope.migration_role.is_none()
        && let Some(owner) = newest_owner
    {
        catalog.migration_role = Some(owner);
    }
    read_sequences(&mut reader, &mut catalog, &tables).await?;
    read_functions(&mut reader, &mut catalog).await?;
    // An entry whose ACL is empty (everything revoked) still replaces the built-in
    // default: it comes back as one row without a privilege.
    for row in reader.query("default privileges", DEFAULT_ACLS, &[]).await? {
        let Some(object_type) = default_object_type(row.get("objtype")) else { continue };
        let key = DefaultAclKey { role: Some(row.get("role")), schema: row.get("schema"), object_type };
        let entry = catalog.default_acls.entry(key).or_default();
        grant_row(&mut entry.acl, &row);
    }
    for row in reader.query("databases", DATABASES, &[&scope.all_databases]).await? {
        let name: String = row.get("name");
        let database = catalog.databases.entry(name.clone()).or_insert_with(|| Database {
            name,
            owner: Some(row.get("owner")),
            acl: Acl::default(),
            origin: None,
        });
        grant_row(&mut database.acl, &row);
    }
    for row in reader.query("extensions", EXTENSIONS, &[]).await? {
        let name: String = row.get("name");
        catalog.extensions.insert(name.clone(), Extension { name, schema: row.get("schema"), origin: None });
    }
    Ok((catalog, reader.queries))
}

/// Reads relations and what hangs off them; returns the table ids by relation oid, and the
/// owner of the table created last.
async fn read_tables<C: GenericClient>(
    reader: &mut Reader<'_, C>,
    catalog: &mut Catalog,
) -> Result<(BTreeMap<u32, TableId>, Option<String>), tokio_postgres::Error> {
    let mut ids: BTreeMap<u32, TableId> = BTreeMap::new();
    let mut parents: Vec<(TableId, u32)> = Vec::new();
    // The table created last (the highest oid), whose owner stands for the migration role
    // as in replay (`Replay::finish_with_touches`).
    let mut newest: Option<(u32, String)> = None;
    for row in reader.query("tables", TABLES, &[]).await? {
        let kind = match row.get::<_, i8>("kind") as u8 {
            b'r' => TableKind::Table,
            b'p' => TableKind::PartitionedTable,
            b'v' => TableKind::View,
            b'm' => TableKind::MaterializedView,
            _ => TableKind::ForeignTable,
        };
        let table = Table {
            id: TableId(0),
            schema: row.get("schema"),
            name: row.get("name"),
            kind,
            owner: Some(row.get("owner")),
            rls_enabled: row.get("rls"),
            rls_forced: row.get("rls_forced"),
            partition_of: None,
            columns: Vec::new(),
            policies: Vec::new(),
            acl: Acl::default(),
            column_acl: Acl::default(),
            origin: None,
            rls_origin: None,
            security_invoker: row.get("security_invoker"),
            indexes: Vec::new(),
            rls_enabled_late: None,
            partition_key: Vec::new(),
            reads: None,
            partition_bound: None,
        };
        let oid: u32 = row.get("oid");
        if matches!(kind, TableKind::Table | TableKind::PartitionedTable | TableKind::ForeignTable)
            && newest.as_ref().is_none_or(|(newest, _)| oid > *newest)
            && let Some(owner) = &table.owner
        {
            newest = Some((oid, owner.clone()));
        }
        let id = catalog.add_table(table);
        ids.insert(oid, id);
        if let Some(parent) = row.get::<_, Option<u32>>("parent") {
            parents.push((id, parent));
        }
    }
    for (child, parent) in parents {
        let parent = ids.get(&parent).copied();
        if let Some(table) = catalog.table_mut(child) {
            table.partition_of = parent;
        }
    }
    let table = |row: &Row| -> Option<TableId> { ids.get(&row.get::<_, u32>("oid")).copied() };

    for row in reader.query("table privileges", TABLE_ACLS, &[]).await? {
        if let Some(table) = table(&row).and_then(|id| catalog.table_mut(id)) {
            grant_row(&mut table.acl, &row);
        }
    }
    for row in reader.query("column privileges", COLUMN_ACLS, &[]).await? {
        if let Some(table) = table(&row).and_then(|id| catalog.table_mut(id)) {
            grant_row(&mut table.column_acl, &row);
        }
    }
    for row in reader.query("columns", COLUMNS, &[]).await? {
        let Some(table) = table(&row).and_then(|id| catalog.table_mut(id)) else { continue };
        let default: Option<String> = row.get("default");
        let uses_sequence = default.is_some_and(|default| default.contains("nextval("));
        // The default depends on every sequence it names, `currval` ones too: only a
        // default that calls `nextval` draws from it.
        let sequence_schema: Option<String> = row.get("sequence_schema");
        let sequence_name: Option<String> = row.get("sequence_name");
        let sequence = match (uses_sequence, sequence_schema, sequence_name) {
            (true, Some(schema), Some(name)) => Some(SequenceName { schema: Some(schema), name }),
            _ => None,
        };
        table.columns.push(Column {
            name: row.get("name"),
            type_name: row.get("type"),
            identity: row.get::<_, i8>("identity") != 0,
            uses_sequence,
            sequence,
        });
    }
    for row in reader.query("policies", POLICIES, &[]).await? {
        let Some(table) = table(&row).and_then(|id| catalog.table_mut(id)) else { continue };
        let roles: Vec<Option<String>> = row.get("roles");
        table.policies.push(Policy {
            name: row.get("name"),
            command: match row.get::<_, i8>("command") as u8 {
                b'r' => PolicyCommand::Select,
                b'a' => PolicyCommand::Insert,
                b'w' => PolicyCommand::Update,
                b'd' => PolicyCommand::Delete,
                _ => PolicyCommand::All,
            },
            permissive: row.get("permissive"),
            roles: roles.into_iter().map(|role| role.map_or(Grantee::Public, Grantee::Role)).collect(),
            using: row.get("using"),
            with_check: row.get("with_check"),
            origin: None,
        });
    }
    for row in reader.query("indexes", INDEXES, &[]).await? {
        let Some(table) = table(&row).and_then(|id| catalog.table_mut(id)) else { continue };
        let first_cast =
            row.get::<_, Option<String>>("first_key").as_deref().and_then(crate::sql::column_cast);
        table.indexes.push(Index {
            name: row.get("name"),
            first_column: row.get("first_column"),
            first_cast,
        });
    }
    // What each view reads (its `_RETURN` rule's dependencies on relations). A view that
    // reads a relation outside the schemas read keeps `None`.
    let mut reads: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for row in reader.query("view dependencies", VIEW_READS, &[]).await? {
        reads.entry(row.get("view")).or_default().push(row.get("relation"));
    }
    for (view, relations) in reads {
        let Some(view) = ids.get(&view).copied() else { continue };
        let known: Option<Vec<TableId>> = relations.iter().map(|oid| ids.get(oid).copied()).collect();
        if let Some(table) = catalog.table_mut(view)
            && table.kind == TableKind::View
        {
            table.reads = known;
        }
    }
    Ok((ids, newest.map(|(_, owner)| owner)))
}

/// Reads sequences, their grants and the column that owns each (`serial`, `OWNED BY`,
/// identity), one row per ACL entry.
async fn read_sequences<C: GenericClient>(
    reader: &mut Reader<'_, C>,
    catalog: &mut Catalog,
    tables: &BTreeMap<u32, TableId>,
) -> Result<(), tokio_postgres::Error> {
    for row in reader.query("sequences", SEQUENCES, &[]).await? {
        let name = QualifiedName::new(row.get::<_, String>("schema"), row.get::<_, String>("name"));
        let sequence = catalog.sequences.entry(name).or_insert_with_key(|name| {
            let owned_table =
                row.get::<_, Option<u32>>("owned_table").and_then(|oid| tables.get(&oid).copied());
            let owned_column: Option<String> = row.get("owned_column");
            Sequence {
                schema: name.schema.clone(),
                name: name.name.clone(),
                owner: Some(row.get("owner")),
                acl: Acl::default(),
                owned_by: owned_table.zip(owned_column),
                origin: None,
            }
        });
        grant_row(&mut sequence.acl, &row);
    }
    Ok(())
}

/// Reads functions and procedures with their grants, one row per ACL entry.
async fn read_functions<C: GenericClient>(
    reader: &mut Reader<'_, C>,
    catalog: &mut Catalog,
) -> Result<(), tokio_postgres::Error> {
    for row in reader.query("functions", FUNCTIONS, &[]).await? {
        let key = FunctionKey { schema: row.get("schema"), name: row.get("name"), args: row.get("args") };
        let function = catalog.functions.entry(key).or_insert_with_key(|key| Function {
            key: key.clone(),
            procedure: row.get::<_, i8>("kind") as u8 == b'p',
            owner: Some(row.get("owner")),
            acl: Acl::default(),
            security_definer: row.get("security_definer"),
            sets_search_path: row.get("sets_search_path"),
            trigger: row.get("trigger"),
            body: row
                .get::<_, Option<String>>("body")
                .and_then(|body| crate::sql::body::facts(row.get("language"), &body, row.get("bound"))),
            origin: None,
        });
        grant_row(&mut function.acl, &row);
    }
    Ok(())
}

/// Counts the queries, so a test can show the count does not grow with the schema.
struct Reader<'a, C> {
    client: &'a C,
    queries: usize,
    step: &'a Step,
}

impl<C: GenericClient> Reader<'_, C> {
    /// Runs one query; `name` says which, if it fails or stalls.
    async fn query(
        &mut self,
        name: &'static str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.step.set(Stage::Query(name));
        self.queries += 1;
        self.client.query(sql, params).await
    }
}

/// Adds one `aclexplode` row (`grantee`, NULL for PUBLIC, and `privilege`) to `acl`.
fn grant_row(acl: &mut Acl, row: &Row) {
    let Some(privilege) = row.get::<_, Option<String>>("privilege") else { return };
    let Some(privilege) = Privileges::from_keyword(&privilege) else { return };
    let grantee = row.get::<_, Option<String>>("grantee").map_or(Grantee::Public, Grantee::Role);
    acl.grant(grantee, privilege);
}

fn default_object_type(code: i8) -> Option<DefaultObjectType> {
    Some(match code as u8 {
        b'r' => DefaultObjectType::Tables,
        b'S' => DefaultObjectType::Sequences,
        b'f' => DefaultObjectType::Functions,
        b'T' => DefaultObjectType::Types,
        b'n' => DefaultObjectType::Schemas,
        _ => return None,
    })
}

/// The predefined role that owns `public` and has the database owner as its member.
const DATABASE_OWNER_ROLE: &str = "pg_database_owner";

/// Schemas neonlint never looks into.
macro_rules! user_schema {
    () => {
        "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
         AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'"
    };
}

/// Not created by an extension: no `e` dependency of the row of `$class` with oid `$oid`.
macro_rules! not_extension_member {
    ($class:literal, $oid:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = '",
            $class,
            "'::pg_catalog.regclass AND dep.objid = ",
            $oid,
            " AND dep.deptype = 'e')"
        )
    };
}

/// The relations the rules read: tables, partitioned tables, views, materialized views
/// and foreign tables outside system schemas and not created by an extension.
macro_rules! relations_from {
    () => {
        "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    };
}

macro_rules! relations_where {
    () => {
        concat!(
            "c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ",
            user_schema!(),
            " AND ",
            not_extension_member!("pg_catalog.pg_class", "c.oid")
        )
    };
}

/// An `aclexplode` row's grantee, NULL for PUBLIC.
macro_rules! grantee {
    () => {
        "CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END AS grantee, \
         a.privilege_type AS privilege"
    };
}

const SESSION: &str = "SELECT d.datname::text AS database, pg_catalog.pg_get_userbyid(d.datdba)::text AS owner, \
     pg_catalog.current_setting('server_version_num')::int AS version, \
     ARRAY(SELECT DISTINCT pg_catalog.lower(pg_catalog.split_part(setting, '=', 1)) \
       FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) setting \
       WHERE s.setdatabase IN (0, d.oid)) AS default_settings \
     FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()";

const ROLES: &str = "SELECT r.rolname::text AS name, r.rolinherit AS inherit FROM pg_catalog.pg_roles r";

const MEMBERSHIPS: &str = "SELECT pg_catalog.pg_get_userbyid(m.member)::text AS member, \
     pg_catalog.pg_get_userbyid(m.roleid)::text AS grp FROM pg_catalog.pg_auth_members m";

/// PostgreSQL 16 records per membership whether it is inherited.
const MEMBERSHIPS_16: &str = "SELECT pg_catalog.pg_get_userbyid(m.member)::text AS member, \
     pg_catalog.pg_get_userbyid(m.roleid)::text AS grp FROM pg_catalog.pg_auth_members m WHERE m.inherit_option";

const SCHEMAS: &str = concat!(
    "SELECT n.nspname::text AS name, pg_catalog.pg_get_userbyid(n.nspowner)::text AS owner, ",
    grantee!(),
    " FROM pg_catalog.pg_namespace n \
     LEFT JOIN LATERAL pg_catalog.aclexplode(COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a ON true \
     WHERE ",
    user_schema!(),
    " AND ",
    not_extension_member!("pg_catalog.pg_namespace", "n.oid")
);

const TABLES: &str = concat!(
    "SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind AS kind, \
     pg_catalog.pg_get_userbyid(c.relowner)::text AS owner, c.relrowsecurity AS rls, \
     c.relforcerowsecurity AS rls_forced, \
     c.relkind = 'v' AND COALESCE((SELECT o.option_value::pg_catalog.bool \
       FROM pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = 'security_invoker'), false) \
       AS security_invoker, \
     CASE WHEN c.relispartition THEN \
       (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1) END AS parent \
     FROM ",
    relations_from!(),
    " WHERE ",
    relations_where!(),
    " ORDER BY n.nspname, c.relname"
);

/// The relations each view's query names, from its `_RETURN` rule's dependencies.
const VIEW_READS: &str = "SELECT DISTINCT r.ev_class AS view, d.refobjid AS relation \
     FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_depend d \
       ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid \
      AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> r.ev_class \
     WHERE r.rulename = '_RETURN' ORDER BY 1, 2";

const TABLE_ACLS: &str = concat!(
    "SELECT c.oid, ",
    grantee!(),
    " FROM ",
    relations_from!(),
    " CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))) a WHERE ",
    relations_where!()
);

const COLUMN_ACLS: &str = concat!(
    "SELECT c.oid, ",
    grantee!(),
    " FROM ",
    relations_from!(),
    " JOIN pg_catalog.pg_attribute att ON att.attrelid = c.oid AND att.attnum > 0 AND NOT att.attisdropped \
       AND att.attacl IS NOT NULL \
     CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) a WHERE ",
    relations_where!()
);

const COLUMNS: &str = concat!(
    "SELECT c.oid, att.attname::text AS name, pg_catalog.format_type(att.atttypid, att.atttypmod) AS type, \
     att.attidentity AS identity, pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS default, \
     seq.schema AS sequence_schema, seq.name AS sequence_name FROM ",
    relations_from!(),
    " JOIN pg_catalog.pg_attribute att ON att.attrelid = c.oid AND att.attnum > 0 AND NOT att.attisdropped \
     LEFT JOIN pg_catalog.pg_attrdef def ON def.adrelid = c.oid AND def.adnum = att.attnum \
     LEFT JOIN LATERAL (SELECT sn.nspname::text AS schema, s.relname::text AS name \
       FROM pg_catalog.pg_depend d \
       JOIN pg_catalog.pg_class s ON s.oid = d.refobjid AND s.relkind = 'S' \
       JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace \
       WHERE d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.objid = def.oid \
         AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
       ORDER BY 1, 2 LIMIT 1) seq ON true WHERE ",
    relations_where!(),
    " ORDER BY c.oid, att.attnum"
);

const POLICIES: &str = concat!(
    "SELECT c.oid, p.polname::text AS name, p.polcmd AS command, p.polpermissive AS permissive, \
     ARRAY(SELECT CASE WHEN r = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(r)::text END \
           FROM pg_catalog.unnest(p.polroles) r) AS roles, \
     pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using, \
     pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS with_check FROM ",
    relations_from!(),
    " JOIN pg_catalog.pg_policy p ON p.polrelid = c.oid WHERE ",
    relations_where!(),
    " ORDER BY c.oid, p.polname"
);

/// Indexes, primary keys and unique constraints; `indkey[0]` is 0 for an expression.
const INDEXES: &str = concat!(
    "SELECT c.oid, ic.relname::text AS name, att.attname::text AS first_column, \
     CASE WHEN i.indkey[0] = 0 THEN pg_catalog.pg_get_indexdef(i.indexrelid, 1, false) END AS first_key FROM ",
    relations_from!(),
    " JOIN pg_catalog.pg_index i ON i.indrelid = c.oid \
     JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
     LEFT JOIN pg_catalog.pg_attribute att ON att.attrelid = c.oid AND att.attnum = i.indkey[0] WHERE ",
    relations_where!(),
    " ORDER BY c.oid, ic.relname"
);

/// Sequences with their grants and owning column: deptype `a` for `serial` and
/// `OWNED BY`, `i` for an identity column's sequence.
const SEQUENCES: &str = concat!(
    "SELECT n.nspname::text AS schema, c.relname::text AS name, \
     pg_catalog.pg_get_userbyid(c.relowner)::text AS owner, \
     own.refobjid AS owned_table, owned.attname::text AS owned_column, ",
    grantee!(),
    " FROM ",
    relations_from!(),
    " LEFT JOIN pg_catalog.pg_depend own ON own.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
       AND own.objid = c.oid AND own.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
       AND own.refobjsubid > 0 AND own.deptype IN ('a', 'i') \
     LEFT JOIN pg_catalog.pg_attribute owned ON owned.attrelid = own.refobjid AND owned.attnum = own.refobjsubid \
     LEFT JOIN LATERAL pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('s', c.relowner))) a ON true \
     WHERE c.relkind = 'S' AND ",
    user_schema!(),
    " AND ",
    not_extension_member!("pg_catalog.pg_class", "c.oid"),
    " ORDER BY n.nspname, c.relname"
);

/// Functions and procedures with their grants. `args` is the identity PostgreSQL prints
/// with `format_type` (under `search_path = ''`, user types schema-qualified).
const FUNCTIONS: &str = concat!(
    "SELECT n.nspname::text AS schema, p.proname::text AS name, \
     COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format_type(arg.type_oid, NULL), ', ' ORDER BY arg.ordinal) \
       FROM pg_catalog.unnest(p.proargtypes) WITH ORDINALITY AS arg(type_oid, ordinal)), '') AS args, \
     p.prokind AS kind, p.prosecdef AS security_definer, \
     p.prorettype IN ('pg_catalog.trigger'::pg_catalog.regtype, 'pg_catalog.event_trigger'::pg_catalog.regtype) AS trigger, \
     EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proconfig) setting \
       WHERE setting LIKE 'search\\_path=%') AS sets_search_path, \
     pg_catalog.pg_get_userbyid(p.proowner)::text AS owner, \
     l.lanname::text AS language, p.prosqlbody IS NOT NULL AS bound, \
     CASE WHEN p.prorettype IN ('pg_catalog.trigger'::pg_catalog.regtype, 'pg_catalog.event_trigger'::pg_catalog.regtype) \
       THEN NULL WHEN p.prosqlbody IS NOT NULL THEN pg_catalog.pg_get_function_sqlbody(p.oid) ELSE p.prosrc \
     END AS body, ",
    grantee!(),
    " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
     JOIN pg_catalog.pg_language l ON l.oid = p.prolang \
     LEFT JOIN LATERAL pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) a ON true \
     WHERE p.prokind IN ('f', 'p') AND ",
    user_schema!(),
    " AND ",
    not_extension_member!("pg_catalog.pg_proc", "p.oid"),
    " ORDER BY n.nspname, p.proname"
);

const DEFAULT_ACLS: &str = concat!(
    "SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text AS role, n.nspname::text AS schema, \
     d.defaclobjtype AS objtype, ",
    grantee!(),
    " FROM pg_catalog.pg_default_acl d \
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace \
     LEFT JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a ON true"
);

const DATABASES: &str = concat!(
    "SELECT d.datname::text AS name, pg_catalog.pg_get_userbyid(d.datdba)::text AS owner, ",
    grantee!(),
    " FROM pg_catalog.pg_database d \
     CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) a \
     WHERE d.datname = pg_catalog.current_database() \
        OR ($1 AND NOT d.datistemplate AND d.datallowconn AND d.datname <> 'postgres')"
);

const EXTENSIONS: &str = "SELECT e.extname::text AS name, n.nspname::text AS schema \
     FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace";

#[cfg(test)]
mod tests {
    use super::*;

    /// The queries are plain SQL; check the obvious with PostgreSQL itself in the live
    /// tests, and here only that the shared filter made it into each.
    #[test]
    fn every_object_query_filters_system_schemas_and_extension_members() {
        for query in [TABLES, TABLE_ACLS, COLUMN_ACLS, COLUMNS, POLICIES, INDEXES, SEQUENCES, FUNCTIONS] {
            assert!(
                query.contains("'pg_catalog', 'information_schema'") && query.contains("deptype = 'e'"),
                "{query}"
            );
        }
    }
}
