//! The catalog queries of `neonlint db` and the `Catalog` they fill.
//!
//! A fixed list of queries, each over a whole catalog table, so the number of round trips
//! does not grow with the number of tables or policies. Privileges come from
//! `aclexplode(coalesce(acl, acldefault(…)))`, so a NULL ACL reads as PostgreSQL's
//! default. Objects in system schemas and objects that belong to extensions are skipped.

use std::collections::BTreeMap;

use tokio_postgres::{GenericClient, Row};

use crate::model::{
    Acl, Catalog, Column, Database, DefaultAclKey, DefaultObjectType, Extension, Grantee, Policy,
    PolicyCommand, Privileges, Role, Schema, Table, TableId, TableKind,
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
/// returns the catalog with the number of queries it took.
pub async fn read_catalog(
    client: &impl GenericClient,
    scope: &Scope,
) -> Result<(Catalog, usize), tokio_postgres::Error> {
    let mut reader = Reader { client, queries: 0 };
    let mut catalog = Catalog::new();
    catalog.roles_complete = true;
    catalog.schemas.clear();

    let session = reader.query(SESSION, &[]).await?;
    let database_owner: String = session[0].get("owner");
    catalog.current_database = Some(session[0].get("database"));
    let server_version: i32 = session[0].get("version");
    catalog.migration_role = Some(scope.migration_role.clone().unwrap_or(database_owner));

    for row in reader.query(ROLES, &[]).await? {
        let name: String = row.get("name");
        catalog.roles.insert(name.clone(), Role { name, inherit: row.get("inherit"), origin: None });
    }
    let memberships = if server_version >= 160_000 { MEMBERSHIPS_16 } else { MEMBERSHIPS };
    for row in reader.query(memberships, &[]).await? {
        catalog.memberships.insert((row.get("member"), row.get("grp")));
    }
    for row in reader.query(SCHEMAS, &[]).await? {
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
    read_tables(&mut reader, &mut catalog).await?;
    for row in reader.query(DEFAULT_ACLS, &[]).await? {
        let Some(object_type) = default_object_type(row.get("objtype")) else { continue };
        let key = DefaultAclKey { role: Some(row.get("role")), schema: row.get("schema"), object_type };
        let entry = catalog.default_acls.entry(key).or_default();
        grant_row(&mut entry.acl, &row);
    }
    for row in reader.query(DATABASES, &[&scope.all_databases]).await? {
        let name: String = row.get("name");
        let database = catalog.databases.entry(name.clone()).or_insert_with(|| Database {
            name,
            owner: Some(row.get("owner")),
            acl: Acl::default(),
            origin: None,
        });
        grant_row(&mut database.acl, &row);
    }
    for row in reader.query(EXTENSIONS, &[]).await? {
        let name: String = row.get("name");
        catalog.extensions.insert(name.clone(), Extension { name, schema: row.get("schema"), origin: None });
    }
    Ok((catalog, reader.queries))
}

async fn read_tables<C: GenericClient>(
    reader: &mut Reader<'_, C>,
    catalog: &mut Catalog,
) -> Result<(), tokio_postgres::Error> {
    let mut ids: BTreeMap<u32, TableId> = BTreeMap::new();
    let mut parents: Vec<(TableId, u32)> = Vec::new();
    for row in reader.query(TABLES, &[]).await? {
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
            security_invoker: false,
            indexes: Vec::new(),
            rls_enabled_late: None,
        };
        let id = catalog.add_table(table);
        ids.insert(row.get("oid"), id);
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

    for row in reader.query(TABLE_ACLS, &[]).await? {
        if let Some(table) = table(&row).and_then(|id| catalog.table_mut(id)) {
            grant_row(&mut table.acl, &row);
        }
    }
    for row in reader.query(COLUMN_ACLS, &[]).await? {
        if let Some(table) = table(&row).and_then(|id| catalog.table_mut(id)) {
            grant_row(&mut table.column_acl, &row);
        }
    }
    for row in reader.query(COLUMNS, &[]).await? {
        let Some(table) = table(&row).and_then(|id| catalog.table_mut(id)) else { continue };
        let default: Option<String> = row.get("default");
        let type_name: String = row.get("type");
        table.columns.push(Column {
            name: row.get("name"),
            identity: row.get::<_, i8>("identity") != 0,
            uses_sequence: default.is_some_and(|default| default.contains("nextval(")),
            sequence: None,
            type_name,
        });
    }
    for row in reader.query(POLICIES, &[]).await? {
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
    Ok(())
}

/// Counts the queries, so a test can show the count does not grow with the schema.
struct Reader<'a, C> {
    client: &'a C,
    queries: usize,
}

impl<C: GenericClient> Reader<'_, C> {
    async fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
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

/// Schemas neonlint never looks into.
macro_rules! user_schema {
    () => {
        "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
         AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'"
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
            " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep \
             WHERE dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.objid = c.oid AND dep.deptype = 'e')"
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
     pg_catalog.current_setting('server_version_num')::int AS version \
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
    " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep \
     WHERE dep.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND dep.objid = n.oid AND dep.deptype = 'e')"
);

const TABLES: &str = concat!(
    "SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind AS kind, \
     pg_catalog.pg_get_userbyid(c.relowner)::text AS owner, c.relrowsecurity AS rls, \
     c.relforcerowsecurity AS rls_forced, \
     CASE WHEN c.relispartition THEN \
       (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1) END AS parent \
     FROM ",
    relations_from!(),
    " WHERE ",
    relations_where!(),
    " ORDER BY n.nspname, c.relname"
);

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
     att.attidentity AS identity, pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS default FROM ",
    relations_from!(),
    " JOIN pg_catalog.pg_attribute att ON att.attrelid = c.oid AND att.attnum > 0 AND NOT att.attisdropped \
     LEFT JOIN pg_catalog.pg_attrdef def ON def.adrelid = c.oid AND def.adnum = att.attnum WHERE ",
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

const DEFAULT_ACLS: &str = concat!(
    "SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text AS role, n.nspname::text AS schema, \
     d.defaclobjtype AS objtype, ",
    grantee!(),
    " FROM pg_catalog.pg_default_acl d \
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace \
     CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a"
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
    fn every_relation_query_filters_system_schemas_and_extension_members() {
        for query in [TABLES, TABLE_ACLS, COLUMN_ACLS, COLUMNS, POLICIES] {
            assert!(
                query.contains("'pg_catalog', 'information_schema'") && query.contains("deptype = 'e'"),
                "{query}"
            );
        }
    }
}
