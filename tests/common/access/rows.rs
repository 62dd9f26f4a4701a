//! Rows to probe with: a generic row generator driven by `pg_attribute` and `pg_type`, the
//! seeding of every exposed table, and the rows the insert and update probes write.
//!
//! Owner-like columns get user A's or user B's `sub` (valid uuids, so text and uuid columns
//! both take them); foreign keys take a parent row's key (parents are seeded first);
//! partition keys take a partition's lower bound; identity, generated and (first) defaulted
//! columns are left to the server. A row the server refuses is skipped, in a savepoint.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use super::{Column, Plan, Relation, USER_A, USER_B, quote_ident, quote_literal};

/// One column's value in a generated row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// SQL text, cast to the column's type.
    Sql(String),
    /// The owner's `sub` (NULL without one), cast to the column's type.
    Owner(String),
}

impl Value {
    fn render(&self, owner: Option<&str>) -> String {
        match (self, owner) {
            (Value::Sql(sql), _) => sql.clone(),
            (Value::Owner(type_sql), Some(sub)) => format!("{}::{type_sql}", quote_literal(sub)),
            (Value::Owner(type_sql), None) => format!("NULL::{type_sql}"),
        }
    }
}

/// A row to insert: quoted columns and their values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowSpec {
    pub relation: String,
    pub columns: Vec<(String, Value)>,
}

impl RowSpec {
    /// `INSERT INTO …` with owner columns set to `owner`.
    pub fn render(&self, owner: Option<&str>) -> String {
        if self.columns.is_empty() {
            return format!("INSERT INTO {} DEFAULT VALUES", self.relation);
        }
        let names: Vec<&str> = self.columns.iter().map(|(name, _)| name.as_str()).collect();
        let values: Vec<String> = self.columns.iter().map(|(_, value)| value.render(owner)).collect();
        format!("INSERT INTO {} ({}) VALUES ({})", self.relation, names.join(", "), values.join(", "))
    }
}

/// What an update probe sets: one column, to a constant or to the actor's own `sub`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateSpec {
    pub column: String,
    pub value: Value,
}

impl UpdateSpec {
    pub fn render(&self, relation: &Relation, owner: &str) -> String {
        format!("UPDATE {} SET {} = {}", relation.sql, self.column, self.value.render(Some(owner)))
    }
}

/// Fills `columns` of every relation (and marks owner-like, foreign-key and partition-key
/// columns). Runs with `search_path = ''`, so every type name is schema-qualified.
pub async fn read_columns(client: &Client, relations: &mut [Relation]) {
    let oids: Vec<u32> = relations.iter().map(|relation| relation.oid).collect();
    let labels = enum_labels(client).await;
    let rows = client
        .query(
            "SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod),
                    format_type(b.oid, NULL), b.typcategory::text, b.oid, a.attnotnull, a.atthasdef,
                    a.attidentity::text, a.attgenerated <> '',
                    EXISTS (SELECT FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique
                            AND a.attnum = ANY (i.indkey::int2[])),
                    EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = a.attrelid AND k.contype = 'f'
                            AND a.attnum = ANY (k.conkey))
                    OR EXISTS (SELECT FROM pg_partitioned_table p WHERE p.partrelid = a.attrelid
                               AND a.attnum = ANY (p.partattrs::int2[]))
                    OR EXISTS (SELECT FROM pg_inherits h JOIN pg_partitioned_table p ON p.partrelid = h.inhparent
                               JOIN pg_attribute pa ON pa.attrelid = p.partrelid AND pa.attnum = ANY (p.partattrs::int2[])
                               WHERE h.inhrelid = a.attrelid AND pa.attname = a.attname),
                    a.attidentity = 'd' OR EXISTS (SELECT FROM pg_attrdef d WHERE d.adrelid = a.attrelid
                               AND d.adnum = a.attnum AND pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%')
             FROM pg_attribute a
             JOIN pg_type t ON t.oid = a.atttypid
             JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
             WHERE a.attrelid = ANY ($1) AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attrelid, a.attnum",
            &[&oids],
        )
        .await
        .unwrap();
    for row in rows {
        let oid: u32 = row.get(0);
        let name: String = row.get(1);
        let base_type: String = row.get(3);
        let base_oid: u32 = row.get(5);
        let column = Column {
            owner_like: is_owner_name(&name) && is_text_or_uuid(&base_type),
            name,
            type_sql: row.get(2),
            base_type,
            category: row.get(4),
            enum_labels: labels.get(&base_oid).cloned().unwrap_or_default(),
            not_null: row.get(6),
            has_default: row.get(7),
            identity: row.get(8),
            generated: row.get(9),
            unique: row.get(10),
            keyed: row.get(11),
            serial: row.get(12),
        };
        if let Some(relation) = relations.iter_mut().find(|relation| relation.oid == oid) {
            relation.columns.push(column);
        }
    }
}

/// Names that say "the user who owns this row", compared without `_` and case (the names
/// neonlint's owner policy looks for).
fn is_owner_name(name: &str) -> bool {
    let squashed: String = name.chars().filter(|c| *c != '_').collect::<String>().to_lowercase();
    ["userid", "ownerid", "authorid", "createdby", "creatorid", "profileid"].contains(&squashed.as_str())
}

fn is_text_or_uuid(base_type: &str) -> bool {
    matches!(base_type, "uuid" | "text" | "character varying" | "character" | "public.citext" | "citext")
}

async fn enum_labels(client: &Client) -> BTreeMap<u32, Vec<String>> {
    let mut labels: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for row in client
        .query("SELECT enumtypid, enumlabel::text FROM pg_enum ORDER BY enumtypid, enumsortorder", &[])
        .await
        .unwrap()
    {
        labels.entry(row.get(0)).or_default().push(row.get(1));
    }
    labels
}

/// Seeds every table of `plan` (partitions through their parent) as the session user, and
/// records in `plan` the row the insert probes write and the column the update probes set.
/// Owner columns: user A, user B, user A, NULL (when nullable); tables without one get three
/// rows. Call it inside a transaction: the caller commits or rolls back.
pub async fn seed(client: &Client, plan: &mut Plan) {
    client.batch_execute("SET search_path = ''").await.unwrap();
    let oids: Vec<u32> = plan.relations.iter().map(|relation| relation.oid).collect();
    let foreign_keys = foreign_keys(client, &oids).await;
    let bounds = partition_bounds(client, &oids).await;
    let order = seed_order(plan, &foreign_keys);
    for index in order {
        let relation = &plan.relations[index];
        let own_bounds: Vec<BTreeMap<String, String>> = match bounds.get(&relation.oid) {
            Some(Bounds::Leaves(leaves)) => leaves.clone(),
            Some(Bounds::Own(own)) => vec![own.clone()],
            None => Vec::new(),
        };
        let keys: Vec<&ForeignKey> = foreign_keys.iter().filter(|key| key.child == relation.oid).collect();
        let mut parents = Vec::new();
        for key in &keys {
            parents.push(parent_rows(client, key).await);
        }
        let owners: Vec<Option<&str>> = if relation.owner_columns().is_empty() {
            vec![None, None, None]
        } else {
            vec![Some(USER_A), Some(USER_B), Some(USER_A), None]
        };
        let build =
            |row: usize, variant: Variant| generate_row(relation, row, variant, &own_bounds, &keys, &parents);
        let mut seeded = 0;
        if !relation.partition {
            for (row, owner) in owners.iter().enumerate() {
                // Explicit values first: defaults would make every row alike.
                for variant in [Variant::Explicit, Variant::ServerDefaults, Variant::ForeignKeyOwners] {
                    let sql = build(row + 1, variant).render(*owner);
                    if execute_in_savepoint(client, &sql).await {
                        seeded += 1;
                        break;
                    }
                }
            }
        }
        // The insert probes leave defaults to the server where it can fill them, as API
        // clients do (a `serial` key then needs its sequence).
        let mut insert = None;
        if relation.is_table() {
            for variant in [Variant::ServerDefaults, Variant::Explicit, Variant::ForeignKeyOwners] {
                let row = build(101, variant);
                if try_and_undo(client, &row.render(Some(USER_B))).await {
                    insert = Some(row);
                    break;
                }
            }
            insert = insert.or_else(|| Some(build(101, Variant::ServerDefaults)));
        }
        let update = relation.is_table().then(|| choose_update(relation)).flatten();
        let relation = &mut plan.relations[index];
        relation.seeded = seeded;
        relation.insert = insert;
        relation.update = update;
    }
    client.batch_execute("RESET search_path").await.unwrap();
}

/// How a generated row treats defaulted columns and owner columns that are foreign keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    /// Defaulted columns take their default; owner columns the owner.
    ServerDefaults,
    /// Every settable column gets a value, except those a sequence fills (`serial`,
    /// identity): a default that fails for the superuser, such as `auth.user_id()`, is not
    /// used, and rows differ in every column.
    Explicit,
    /// As `ServerDefaults`, but an owner column that is a foreign key takes the parent's key.
    ForeignKeyOwners,
}

fn generate_row(
    relation: &Relation,
    row: usize,
    variant: Variant,
    bounds: &[BTreeMap<String, String>],
    keys: &[&ForeignKey],
    parents: &[Vec<Vec<Option<String>>>],
) -> RowSpec {
    let bound = (!bounds.is_empty()).then(|| &bounds[row % bounds.len()]);
    let mut columns = Vec::new();
    for column in &relation.columns {
        if column.generated || column.identity == "a" {
            continue;
        }
        let foreign = keys.iter().zip(parents).find_map(|(key, rows)| {
            let position = key.columns.iter().position(|name| *name == column.name)?;
            if key.parent == relation.oid || rows.is_empty() {
                return Some(None);
            }
            Some(rows[row % rows.len()][position].clone())
        });
        let value = if let Some(literal) = bound.and_then(|bound| bound.get(&column.name)) {
            Value::Sql(format!("{literal}::{}", column.type_sql))
        } else if column.owner_like && !(variant == Variant::ForeignKeyOwners && foreign.is_some()) {
            Value::Owner(column.type_sql.clone())
        } else if let Some(parent_value) = foreign {
            match parent_value {
                Some(text) => Value::Sql(format!("{}::{}", quote_literal(&text), column.type_sql)),
                None => Value::Sql(format!("NULL::{}", column.type_sql)),
            }
        } else if column.serial || (column.has_default && variant != Variant::Explicit) {
            continue;
        } else {
            match literal(column, row) {
                Some(text) => Value::Sql(format!("{text}::{}", column.type_sql)),
                None => Value::Sql(format!("NULL::{}", column.type_sql)),
            }
        };
        columns.push((quote_ident(&column.name), value));
    }
    RowSpec { relation: relation.sql.clone(), columns }
}

/// A literal for row `row` of `column`'s type, or `None` (NULL) for types it does not know.
fn literal(column: &Column, row: usize) -> Option<String> {
    if !column.enum_labels.is_empty() {
        return Some(quote_literal(&column.enum_labels[row % column.enum_labels.len()]));
    }
    let day = format!("2024-{:02}-{:02}", 1 + (row / 28) % 12, 1 + row % 28);
    let text = match column.base_type.as_str() {
        "uuid" => format!("00000000-0000-4000-8000-{row:012x}"),
        "smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision" | "money" => {
            return Some(row.to_string());
        }
        "boolean" => return Some((row % 2 == 1).to_string()),
        "date" => day,
        "timestamp without time zone" | "timestamp with time zone" => format!("{day} 12:00:00"),
        "time without time zone" | "time with time zone" => format!("12:00:{:02}", row % 60),
        "interval" => format!("{row} days"),
        "json" | "jsonb" => format!("{{\"n\": {row}}}"),
        "bytea" => format!("\\x{:02x}", row % 256),
        "inet" => format!("10.0.{}.{}", row / 256, row % 256),
        "cidr" => format!("10.{}.0.0/16", row % 256),
        _ if column.category == "A" => "{}".to_string(),
        _ if column.category == "S" => {
            let text = format!("v{row}");
            // `character varying(2)`: keep the last characters that fit.
            match type_length(&column.type_sql) {
                Some(length) if length < text.len() => text[text.len() - length..].to_string(),
                _ => text,
            }
        }
        _ => return None,
    };
    Some(quote_literal(&text))
}

/// `n` of `character varying(n)` or `character(n)`.
fn type_length(type_sql: &str) -> Option<usize> {
    let inside = type_sql.split_once('(')?.1.split_once(')')?.0;
    inside.trim().parse().ok()
}

/// The column an update probe sets: a plain column (not owner-like, unique, keyed or
/// generated) to row 1's value; else a non-unique owner column to the actor's `sub`.
fn choose_update(relation: &Relation) -> Option<UpdateSpec> {
    let settable =
        |column: &&Column| !column.generated && column.identity != "a" && !column.unique && !column.keyed;
    if let Some(column) = relation.columns.iter().filter(settable).find(|column| !column.owner_like) {
        let value = literal(column, 1).unwrap_or_else(|| "NULL".to_string());
        return Some(UpdateSpec {
            column: quote_ident(&column.name),
            value: Value::Sql(format!("{value}::{}", column.type_sql)),
        });
    }
    let column = relation.columns.iter().filter(settable).find(|column| column.owner_like)?;
    Some(UpdateSpec { column: quote_ident(&column.name), value: Value::Owner(column.type_sql.clone()) })
}

/// Whether `sql` works, leaving no trace.
async fn try_and_undo(client: &Client, sql: &str) -> bool {
    let attempt = format!("SAVEPOINT try; {sql}; ROLLBACK TO SAVEPOINT try; RELEASE SAVEPOINT try");
    if client.batch_execute(&attempt).await.is_ok() {
        return true;
    }
    client.batch_execute("ROLLBACK TO SAVEPOINT try; RELEASE SAVEPOINT try").await.unwrap();
    false
}

async fn execute_in_savepoint(client: &Client, sql: &str) -> bool {
    let attempt = format!("SAVEPOINT seed; {sql}; RELEASE SAVEPOINT seed");
    if client.batch_execute(&attempt).await.is_ok() {
        return true;
    }
    client.batch_execute("ROLLBACK TO SAVEPOINT seed; RELEASE SAVEPOINT seed").await.unwrap();
    false
}

struct ForeignKey {
    child: u32,
    parent: u32,
    /// The child's columns, in key order.
    columns: Vec<String>,
    /// `"parent"."column"` expressions as text, in key order.
    parent_columns: Vec<String>,
}

async fn foreign_keys(client: &Client, oids: &[u32]) -> Vec<ForeignKey> {
    let rows = client
        .query(
            "SELECT k.conrelid, k.confrelid,
                    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
                          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),
                    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
                          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i)
             FROM pg_constraint k WHERE k.contype = 'f' AND k.conrelid = ANY ($1)",
            &[&oids],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|row| ForeignKey {
            child: row.get(0),
            parent: row.get(1),
            columns: row.get(2),
            parent_columns: row.get(3),
        })
        .collect()
}

/// The parent's key values (as text) of every row it has.
async fn parent_rows(client: &Client, key: &ForeignKey) -> Vec<Vec<Option<String>>> {
    let parent =
        client.query_one("SELECT $1::oid::regclass::text", &[&key.parent]).await.unwrap().get::<_, String>(0);
    let columns: Vec<String> =
        key.parent_columns.iter().map(|column| format!("p.{}::text", quote_ident(column))).collect();
    let sql = format!("SELECT {} FROM {parent} p", columns.join(", "));
    client
        .query(&sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (0..columns.len()).map(|i| row.get::<_, Option<String>>(i)).collect())
        .collect()
}

enum Bounds {
    /// A partitioned table: each partition's lower bound, by key column.
    Leaves(Vec<BTreeMap<String, String>>),
    /// A partition: its own lower bound.
    Own(BTreeMap<String, String>),
}

/// Lower bounds of the partitions of the partitioned tables among `oids`, as SQL literals
/// by key column (range: the `FROM` values; list: the first value; hash and default: none).
async fn partition_bounds(client: &Client, oids: &[u32]) -> BTreeMap<u32, Bounds> {
    let rows = client
        .query(
            "SELECT h.inhparent, h.inhrelid, pg_get_expr(c.relpartbound, c.oid),
                    ARRAY(SELECT a.attname::text FROM unnest(p.partattrs::int2[]) WITH ORDINALITY u(n, i)
                          JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = u.n ORDER BY u.i)
             FROM pg_inherits h
             JOIN pg_class c ON c.oid = h.inhrelid
             JOIN pg_partitioned_table p ON p.partrelid = h.inhparent
             WHERE h.inhparent = ANY ($1) ORDER BY h.inhparent, c.relname",
            &[&oids],
        )
        .await
        .unwrap();
    let mut bounds: BTreeMap<u32, Bounds> = BTreeMap::new();
    for row in rows {
        let parent: u32 = row.get(0);
        let child: u32 = row.get(1);
        let bound: String = row.get(2);
        let key_columns: Vec<String> = row.get(3);
        let Some(values) = lower_bound(&bound) else { continue };
        if values.len() != key_columns.len() || values.iter().any(|v| v.eq_ignore_ascii_case("MINVALUE")) {
            continue;
        }
        let by_column: BTreeMap<String, String> = key_columns.into_iter().zip(values).collect();
        bounds.insert(child, Bounds::Own(by_column.clone()));
        match bounds.entry(parent).or_insert_with(|| Bounds::Leaves(Vec::new())) {
            Bounds::Leaves(leaves) => leaves.push(by_column),
            Bounds::Own(_) => {}
        }
    }
    bounds
}

/// The values of `FOR VALUES FROM (a, b) TO …` or the first of `FOR VALUES IN (a, …)`.
fn lower_bound(bound: &str) -> Option<Vec<String>> {
    let (list, first_only) = if let Some(rest) = bound.strip_prefix("FOR VALUES FROM (") {
        (rest, false)
    } else {
        (bound.strip_prefix("FOR VALUES IN (")?, true)
    };
    let mut values = Vec::new();
    let mut current = String::new();
    let mut in_string = false;
    let mut depth = 0;
    for c in list.chars() {
        match c {
            '\'' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string && depth == 0 => break,
            ')' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                values.push(current.trim().to_string());
                current.clear();
                if first_only {
                    return Some(values);
                }
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    values.push(current.trim().to_string());
    if first_only {
        values.truncate(1);
    }
    Some(values)
}

/// Tables in an order where foreign-key parents come first (cycles: any order).
fn seed_order(plan: &Plan, foreign_keys: &[ForeignKey]) -> Vec<usize> {
    let tables: Vec<usize> = (0..plan.relations.len()).filter(|&i| plan.relations[i].is_table()).collect();
    let mut done: BTreeSet<u32> = BTreeSet::new();
    let mut order = Vec::new();
    while order.len() < tables.len() {
        let ready = tables.iter().copied().find(|&i| {
            let oid = plan.relations[i].oid;
            !done.contains(&oid)
                && foreign_keys.iter().filter(|key| key.child == oid && key.parent != oid).all(|key| {
                    done.contains(&key.parent) || !tables.iter().any(|&t| plan.relations[t].oid == key.parent)
                })
        });
        let next = ready.unwrap_or_else(|| {
            tables.iter().copied().find(|&i| !done.contains(&plan.relations[i].oid)).unwrap()
        });
        done.insert(plan.relations[next].oid);
        order.push(next);
    }
    order
}
