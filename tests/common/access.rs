//! Who can read and write which rows, measured on a real PostgreSQL: the probe machinery of
//! the fix-safety test (issue 9 §1), meant to serve the access matrix (issue 12) too.
//!
//! `plan` reads from the catalog what to probe: the relations and functions of the exposed
//! schemas and the actors (the request roles with and without a user, plus every other role
//! holding a privilege on an exposed relation). `seed` fills every table with rows, some
//! owned by user A, some by user B. `snapshot` runs every probe (read, insert, update,
//! delete, call) as every actor and records what got through, optionally after an overlay
//! (SQL applied first in the same transaction: a fix, or the "potential" grants), and rolls
//! everything back. `compare` applies the fix-safety property to three snapshots.
//!
//! Everything runs on one connection inside a transaction the caller opens and rolls back
//! (or commits, after `seed`): `snapshot` works in a savepoint and undoes all it did, so
//! several states (before, potential, after a fix) can be measured on the same data. This
//! module only measures: it knows nothing of neonlint's rules or fixes.

pub mod rows;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use tokio_postgres::{Client, SimpleQueryMessage, SimpleQueryRow};

/// The `sub` of a user who owns some of the seeded rows.
pub const USER_A: &str = "11111111-1111-1111-1111-111111111111";
/// The `sub` of the other owner of seeded rows, never an actor.
pub const USER_B: &str = "22222222-2222-2222-2222-222222222222";
/// The `sub` of a signed-in user who owns no row.
pub const USER_N: &str = "33333333-3333-3333-3333-333333333333";

/// Who a probe runs as.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActorKind {
    /// An API role with a token (or with claims but no `sub`).
    Request,
    /// The role of requests without a token.
    Anonymous,
    /// Another role holding a privilege on an exposed relation (a backend service);
    /// `reaches_anonymous` when the anonymous role is a member of it.
    Other { reaches_anonymous: bool },
    /// The session user (a superuser), for function calls only.
    SessionUser,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// How reports name it: `authenticated (user A)`.
    pub label: String,
    /// `None` for the session user.
    pub role: Option<String>,
    /// The `sub` its claims carry.
    pub sub: Option<String>,
    /// The `request.jwt.claims` JSON, when it has a token.
    pub claims: Option<String>,
    pub kind: ActorKind,
}

impl Actor {
    /// The anonymous role, or a role whose privileges reach it: losing access is what
    /// NL015 and NL009 are about.
    pub fn is_anonymous_like(&self) -> bool {
        matches!(self.kind, ActorKind::Anonymous | ActorKind::Other { reaches_anonymous: true })
    }

    pub fn is_request(&self) -> bool {
        matches!(self.kind, ActorKind::Request | ActorKind::Anonymous)
    }
}

/// The request actors: each API role as user A (owns rows), as user N (owns none) and with
/// claims but no `sub`; the anonymous role without claims.
pub fn request_actors(api_roles: &[String], anonymous_role: &str) -> Vec<Actor> {
    let mut actors = Vec::new();
    for role in api_roles {
        for (who, sub) in [("user A", Some(USER_A)), ("user N", Some(USER_N)), ("no sub", None)] {
            let claims = match sub {
                Some(sub) => format!(r#"{{"sub":"{sub}","role":"{role}"}}"#),
                None => format!(r#"{{"role":"{role}"}}"#),
            };
            actors.push(Actor {
                label: format!("{role} ({who})"),
                role: Some(role.clone()),
                sub: sub.map(str::to_string),
                claims: Some(claims),
                kind: ActorKind::Request,
            });
        }
    }
    actors.push(Actor {
        label: anonymous_role.to_string(),
        role: Some(anonymous_role.to_string()),
        sub: None,
        claims: None,
        kind: ActorKind::Anonymous,
    });
    actors
}

/// A table, view, materialized view or foreign table of an exposed schema.
#[derive(Clone, Debug)]
pub struct Relation {
    pub oid: u32,
    /// `schema.name`, control characters escaped: for reports.
    pub name: String,
    /// `"schema"."name"`: for SQL.
    pub sql: String,
    /// `r`, `p`, `v`, `m` or `f`.
    pub kind: String,
    /// Row-level security was on when the plan was made.
    pub rls: bool,
    pub owner: String,
    pub columns: Vec<Column>,
    /// The row `insert` probes write, as `seed` found it works; `None` for views.
    pub insert: Option<rows::RowSpec>,
    /// What `update` probes set; `None` when no column can be set blindly.
    pub update: Option<rows::UpdateSpec>,
    /// Rows `seed` managed to insert (through this relation).
    pub seeded: usize,
    /// Actor roles that own it or inherit from its owner: not probed on it.
    pub owned_by: BTreeSet<String>,
    /// A partition: seeded through its parent.
    pub partition: bool,
}

impl Relation {
    pub fn is_table(&self) -> bool {
        self.kind == "r" || self.kind == "p"
    }

    /// Owner-like columns (`user_id`, `owner_id`, … of a text or uuid type).
    pub fn owner_columns(&self) -> Vec<&Column> {
        self.columns.iter().filter(|column| column.owner_like).collect()
    }
}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    /// `format_type` of the column (with `search_path = ''`): a cast target.
    pub type_sql: String,
    /// The base type's `format_type` without modifier (the domain's base for a domain).
    pub base_type: String,
    /// `pg_type.typcategory` of the base type.
    pub category: String,
    pub enum_labels: Vec<String>,
    pub not_null: bool,
    pub has_default: bool,
    /// `a` (always) or `d` (by default) identity, or empty.
    pub identity: String,
    /// A generated column.
    pub generated: bool,
    /// Part of a unique index or primary key.
    pub unique: bool,
    pub owner_like: bool,
    /// Part of a foreign key or partition key: `seed` picks the value.
    pub keyed: bool,
    /// Filled by a sequence (`serial`, identity by default): left to it.
    pub serial: bool,
}

/// A function of an exposed schema the Data API could call.
#[derive(Clone, Debug)]
pub struct Function {
    pub oid: u32,
    /// `schema.name(types)`: for reports.
    pub name: String,
    /// `SELECT schema.name(NULL::type, …)`.
    pub call: String,
    pub security_definer: bool,
}

/// What to probe and as whom.
#[derive(Clone, Debug)]
pub struct Plan {
    pub relations: Vec<Relation>,
    pub functions: Vec<Function>,
    pub actors: Vec<Actor>,
    /// The session user, which calls functions too.
    pub session_user: Actor,
    /// `search_path` of probe sessions: the exposed schemas then `public`, as PostgREST sets it.
    pub search_path: String,
}

/// Reads what to probe from the catalog (run it before any fix): the relations and
/// functions of `exposed_schemas`, and the actors: `request` plus every role holding a
/// privilege on an exposed relation (not PUBLIC, not a superuser, not the relation's owner).
pub async fn plan(client: &Client, exposed_schemas: &[String], request: Vec<Actor>) -> Plan {
    client.batch_execute("SET search_path = ''").await.unwrap();
    let schemas: Vec<&str> = exposed_schemas.iter().map(String::as_str).collect();
    let mut actors = request;
    let request_roles: Vec<String> = actors.iter().filter_map(|actor| actor.role.clone()).collect();
    let anonymous = actors
        .iter()
        .find(|actor| actor.kind == ActorKind::Anonymous)
        .and_then(|actor| actor.role.clone())
        .unwrap_or_default();
    let others = client
        .query(
            "SELECT DISTINCT r.rolname::text,
                    EXISTS (SELECT FROM pg_roles a WHERE a.rolname = $3 AND pg_has_role(a.oid, r.oid, 'MEMBER'))
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             CROSS JOIN LATERAL (
               SELECT (aclexplode(c.relacl)).grantee
               UNION SELECT (aclexplode(a.attacl)).grantee FROM pg_attribute a WHERE a.attrelid = c.oid
             ) g
             JOIN pg_roles r ON r.oid = g.grantee
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
               AND g.grantee <> c.relowner AND NOT r.rolsuper AND r.rolname <> ALL($2)
             ORDER BY 1",
            &[&schemas, &request_roles, &anonymous],
        )
        .await
        .unwrap();
    for row in others {
        let role: String = row.get(0);
        actors.push(Actor {
            label: role.clone(),
            role: Some(role),
            sub: None,
            claims: None,
            kind: ActorKind::Other { reaches_anonymous: row.get(1) },
        });
    }
    let actor_roles: Vec<String> = actors.iter().filter_map(|actor| actor.role.clone()).collect();

    let mut relations = Vec::new();
    for row in client
        .query(
            "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text, c.relrowsecurity,
                    pg_get_userbyid(c.relowner)::text,
                    ARRAY(SELECT r FROM unnest($2::text[]) r WHERE pg_has_role(r, c.relowner, 'USAGE')),
                    c.relispartition
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
             ORDER BY n.nspname, c.relname",
            &[&schemas, &actor_roles],
        )
        .await
        .unwrap()
    {
        let schema: String = row.get(1);
        let name: String = row.get(2);
        let owned_by: Vec<String> = row.get(6);
        relations.push(Relation {
            oid: row.get(0),
            name: format!("{}.{}", escape(&schema), escape(&name)),
            sql: format!("{}.{}", quote_ident(&schema), quote_ident(&name)),
            kind: row.get(3),
            rls: row.get(4),
            owner: row.get(5),
            columns: Vec::new(),
            insert: None,
            update: None,
            seeded: 0,
            owned_by: owned_by.into_iter().collect(),
            partition: row.get(7),
        });
    }
    rows::read_columns(client, &mut relations).await;

    let mut functions = Vec::new();
    for row in client
        .query(
            "SELECT p.oid, p.oid::regprocedure::text, n.nspname::text, p.proname::text, p.prosecdef,
                    ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, i) ORDER BY i),
                    p.provariadic <> 0
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = ANY($1) AND p.prokind = 'f'
               AND p.prorettype NOT IN ('pg_catalog.trigger'::regtype, 'pg_catalog.event_trigger'::regtype)
               AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass
                               AND d.objid = p.oid AND d.deptype = 'e')
             ORDER BY 2",
            &[&schemas],
        )
        .await
        .unwrap()
    {
        let schema: String = row.get(2);
        let name: String = row.get(3);
        let types: Vec<String> = row.get(5);
        let variadic: bool = row.get(6);
        let count = types.len();
        let args: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let variadic = if variadic && i + 1 == count { "VARIADIC " } else { "" };
                format!("{variadic}NULL::{t}")
            })
            .collect();
        functions.push(Function {
            oid: row.get(0),
            name: escape(&row.get::<_, String>(1)),
            call: format!("SELECT {}.{}({})", quote_ident(&schema), quote_ident(&name), args.join(", ")),
            security_definer: row.get(4),
        });
    }
    client.batch_execute("RESET search_path").await.unwrap();

    let mut search_path: Vec<String> = exposed_schemas.iter().map(|schema| quote_ident(schema)).collect();
    search_path.push("public".to_string());
    Plan {
        relations,
        functions,
        actors,
        session_user: Actor {
            label: "session user (superuser)".to_string(),
            role: None,
            sub: None,
            claims: None,
            kind: ActorKind::SessionUser,
        },
        search_path: search_path.join(", "),
    }
}

/// The overlay that shows what the existing policies would let each actor do if it held
/// every privilege and RLS were on: RLS enabled on every exposed table, and every actor
/// granted everything in every non-system schema.
pub fn potential_overlay(plan: &Plan, all_schemas: &[String]) -> Vec<String> {
    let mut sql: Vec<String> = plan
        .relations
        .iter()
        .filter(|relation| relation.is_table() && !relation.rls)
        .map(|relation| format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY", relation.sql))
        .collect();
    let roles: BTreeSet<&String> = plan.actors.iter().filter_map(|actor| actor.role.as_ref()).collect();
    for role in roles {
        let role = quote_ident(role);
        for schema in all_schemas {
            let schema = quote_ident(schema);
            sql.push(format!(
                "GRANT USAGE ON SCHEMA {schema} TO {role};
                 GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {role};
                 GRANT ALL ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
                 GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {role}"
            ));
        }
    }
    sql
}

/// The user schemas of the database (not `pg_*`, not `information_schema`).
pub async fn user_schemas(client: &Client) -> Vec<String> {
    client
        .query(
            "SELECT nspname::text FROM pg_namespace
             WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// One probe: what an actor tried on a relation or function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Probe {
    /// `SELECT` every row.
    Select,
    /// `INSERT` one row owned by the actor's user.
    InsertOwn,
    /// `INSERT` one row owned by user B (or, without an owner column, any row).
    InsertOther,
    /// `UPDATE` every row (one column set to a constant, no `WHERE`).
    Update,
    /// `DELETE` every row (no `WHERE`).
    Delete,
    /// Call the function with NULL arguments.
    Call,
}

impl Probe {
    pub fn is_write(self) -> bool {
        matches!(self, Probe::InsertOwn | Probe::InsertOther | Probe::Update | Probe::Delete)
    }
}

/// (actor label, target name, probe).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProbeKey {
    pub actor: String,
    pub target: String,
    pub probe: Probe,
}

/// What a probe got: the rows it read or changed (as row hashes, sorted; an insert gives
/// `insert:own` or `insert:other`, a call `called`), or the error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Rows(Vec<String>),
    Error { state: String, message: String },
}

impl Outcome {
    pub fn rows(&self) -> &[String] {
        match self {
            Outcome::Rows(rows) => rows,
            Outcome::Error { .. } => &[],
        }
    }
}

/// The row an `insert` probe writes, as its outcome names it.
pub const INSERTED_OWN: &str = "insert:own";
pub const INSERTED_OTHER: &str = "insert:other";
pub const CALLED: &str = "called";

/// Everything one state of the database lets every actor do.
#[derive(Clone, Debug, Default)]
pub struct AccessSnapshot {
    pub outcomes: BTreeMap<ProbeKey, Outcome>,
    /// Every row of every relation, seen by the superuser: hash → text (shortened).
    pub rows: BTreeMap<String, BTreeMap<String, String>>,
    /// The rows of a table whose owner column holds the actor's `sub`, by (actor, table).
    pub own: BTreeMap<(String, String), BTreeSet<String>>,
    /// The planned relations and functions that exist in this state.
    pub existing: BTreeSet<String>,
    /// ACLs, RLS flags, policies and function settings of every user object.
    pub fingerprint: String,
    /// The overlay statements that failed, with their errors.
    pub overlay_errors: Vec<String>,
}

/// Runs every probe of `plan` (only on the targets in `only`, when given) after `overlay`,
/// each in its own savepoint inside one savepoint that is rolled back at the end: the
/// database is left as it was. Call it inside a transaction (`BEGIN` … `ROLLBACK`), which
/// may hold the whole setup (migrations, seed) too.
///
/// Each `overlay` element runs as one simple query (it may hold several statements);
/// `CREATE INDEX CONCURRENTLY` is run as a plain `CREATE INDEX`, which builds the same index
/// inside a transaction.
pub async fn snapshot(
    client: &Client,
    plan: &Plan,
    overlay: &[String],
    only: Option<&BTreeSet<String>>,
) -> AccessSnapshot {
    let mut snapshot = AccessSnapshot::default();
    client
        .batch_execute(&format!(
            "SAVEPOINT access_snapshot; SET LOCAL statement_timeout = '10s'; SET LOCAL search_path = {}",
            plan.search_path
        ))
        .await
        .unwrap();
    // Each statement in a savepoint: one that fails is recorded and the rest still runs,
    // as psql without ON_ERROR_STOP does, so the probes show what the rest did.
    for sql in overlay {
        let sql = sql.replace("CREATE INDEX CONCURRENTLY", "CREATE INDEX");
        client.batch_execute("SAVEPOINT overlay").await.unwrap();
        match client.batch_execute(&sql).await {
            Ok(()) => client.batch_execute("RELEASE SAVEPOINT overlay").await.unwrap(),
            Err(error) => {
                let statement = escape_controls(sql.trim());
                snapshot.overlay_errors.push(format!("{} in `{statement}`", describe(&error)));
                client.batch_execute("ROLLBACK TO SAVEPOINT overlay").await.unwrap();
            }
        }
    }
    let wanted = |target: &str| only.is_none_or(|only| only.contains(target));

    snapshot.existing = existing(client, plan).await;
    snapshot.fingerprint = fingerprint(client).await;
    for relation in &plan.relations {
        if !snapshot.existing.contains(&relation.name) {
            continue;
        }
        let all = all_rows(client, relation).await;
        snapshot.rows.insert(
            relation.name.clone(),
            all.iter().map(|row| (row.hash.clone(), row.text.clone())).collect(),
        );
        for actor in &plan.actors {
            if let (Some(sub), true) = (&actor.sub, relation.is_table()) {
                let own = own_rows(client, relation, sub).await;
                snapshot.own.insert((actor.label.clone(), relation.name.clone()), own);
            }
        }
        if !wanted(&relation.name) {
            continue;
        }
        for actor in &plan.actors {
            if actor.role.as_ref().is_some_and(|role| relation.owned_by.contains(role)) {
                continue;
            }
            let key = |probe| ProbeKey { actor: actor.label.clone(), target: relation.name.clone(), probe };
            let read = probe_select(client, actor, relation).await;
            snapshot.outcomes.insert(key(Probe::Select), read);
            if !relation.is_table() {
                continue;
            }
            if let Some(insert) = &relation.insert {
                if let Some(sub) = &actor.sub {
                    if !relation.owner_columns().is_empty() {
                        let sql = insert.render(Some(sub));
                        let outcome = probe_write(client, actor, &sql, None, INSERTED_OWN).await;
                        snapshot.outcomes.insert(key(Probe::InsertOwn), outcome);
                    }
                }
                let sql = insert.render(Some(USER_B));
                let outcome = probe_write(client, actor, &sql, None, INSERTED_OTHER).await;
                snapshot.outcomes.insert(key(Probe::InsertOther), outcome);
            }
            if let Some(update) = &relation.update {
                let sql = update.render(relation, actor.sub.as_deref().unwrap_or(USER_B));
                let outcome = probe_write(client, actor, &sql, Some((relation, &all)), "").await;
                snapshot.outcomes.insert(key(Probe::Update), outcome);
            }
            let sql = format!("DELETE FROM {}", relation.sql);
            let outcome = probe_write(client, actor, &sql, Some((relation, &all)), "").await;
            snapshot.outcomes.insert(key(Probe::Delete), outcome);
        }
    }
    for function in &plan.functions {
        if !snapshot.existing.contains(&function.name) || !wanted(&function.name) {
            continue;
        }
        for actor in std::iter::once(&plan.session_user).chain(&plan.actors) {
            let outcome = probe_write(client, actor, &function.call, None, CALLED).await;
            let key =
                ProbeKey { actor: actor.label.clone(), target: function.name.clone(), probe: Probe::Call };
            snapshot.outcomes.insert(key, outcome);
        }
    }
    client
        .batch_execute("ROLLBACK TO SAVEPOINT access_snapshot; RELEASE SAVEPOINT access_snapshot")
        .await
        .unwrap();
    snapshot
}

/// A row as the superuser sees it.
struct RowInfo {
    /// `tableoid:ctid`; `None` for views.
    location: Option<String>,
    hash: String,
    text: String,
}

async fn all_rows(client: &Client, relation: &Relation) -> Vec<RowInfo> {
    let location = if relation.kind == "v" { "NULL" } else { "x.tableoid::text || ':' || x.ctid::text" };
    let sql = format!(
        "SAVEPOINT rows; SELECT {location}, md5(x::text), left(x::text, 80) FROM {} x; RELEASE SAVEPOINT rows",
        relation.sql
    );
    match client.simple_query(&sql).await {
        Ok(messages) => rows_of(&messages)
            .iter()
            .map(|row| RowInfo {
                location: row.get(0).map(str::to_string),
                hash: row.get(1).unwrap_or_default().to_string(),
                text: escape_controls(row.get(2).unwrap_or_default()),
            })
            .collect(),
        // A foreign table whose server is unreachable, a view over a broken function: no rows.
        Err(_) => {
            client.batch_execute("ROLLBACK TO SAVEPOINT rows; RELEASE SAVEPOINT rows").await.unwrap();
            Vec::new()
        }
    }
}

async fn own_rows(client: &Client, relation: &Relation, sub: &str) -> BTreeSet<String> {
    let owners = relation.owner_columns();
    if owners.is_empty() {
        return BTreeSet::new();
    }
    let condition: Vec<String> = owners
        .iter()
        .map(|column| format!("x.{}::text = {}", quote_ident(&column.name), quote_literal(sub)))
        .collect();
    let sql = format!("SELECT md5(x::text) FROM {} x WHERE {}", relation.sql, condition.join(" OR "));
    let messages = client.simple_query(&sql).await.unwrap();
    let mut own: BTreeSet<String> =
        rows_of(&messages).iter().map(|row| row.get(0).unwrap_or_default().to_string()).collect();
    own.insert(INSERTED_OWN.to_string());
    own
}

/// The statements that make the session act as `actor`: its role and its claims.
fn become_actor(actor: &Actor) -> Vec<String> {
    let mut sql = Vec::new();
    if let Some(role) = &actor.role {
        sql.push(format!("SET LOCAL ROLE {}", quote_ident(role)));
    }
    if let Some(claims) = &actor.claims {
        sql.push(format!("SELECT set_config('request.jwt.claims', {}, true)", quote_literal(claims)));
    }
    sql
}

/// Reads every row as `actor`. When the actor may read the relation only through column
/// privileges (a whole-row read is refused but `count(*)` is not), the rows are read again
/// with a table grant made inside the probe: a grant does not change which rows RLS lets through.
async fn probe_select(client: &Client, actor: &Actor, relation: &Relation) -> Outcome {
    let read = format!("SELECT md5(x::text) FROM {} x", relation.sql);
    let first = run_probe(client, &[], actor, &read, None).await;
    let Err(first_error) = first else {
        return rows_outcome(first.unwrap().0);
    };
    if first_error.0 != "42501" {
        return error_outcome(first_error);
    }
    let count = format!("SELECT count(*) FROM {}", relation.sql);
    if let Err(error) = run_probe(client, &[], actor, &count, None).await {
        return error_outcome(error);
    }
    let grant =
        format!("GRANT SELECT ON {} TO {}", relation.sql, quote_ident(actor.role.as_deref().unwrap_or("")));
    match run_probe(client, &[grant], actor, &read, None).await {
        Ok((rows, _)) => rows_outcome(rows),
        Err(error) => error_outcome(error),
    }
}

/// Runs a write (or a call) as `actor`. With `changed_in` (the relation written and its rows
/// before, with their locations), the outcome is the rows the statement changed: those whose
/// location is gone afterwards (an update writes a new row version). Updates and deletes run
/// with `session_replication_role = replica`, so foreign keys neither cascade nor refuse:
/// the probe measures access, not referential integrity.
async fn probe_write(
    client: &Client,
    actor: &Actor,
    sql: &str,
    changed_in: Option<(&Relation, &[RowInfo])>,
    token: &str,
) -> Outcome {
    let Some((relation, all)) = changed_in else {
        return match run_probe(client, &[], actor, sql, None).await {
            Ok(_) => Outcome::Rows(vec![token.to_string()]),
            Err(error) => error_outcome(error),
        };
    };
    let remaining = format!("SELECT x.tableoid::text || ':' || x.ctid::text FROM {} x", relation.sql);
    let setup = ["SET LOCAL session_replication_role = replica".to_string()];
    match run_probe(client, &setup, actor, sql, Some(&remaining)).await {
        Ok((_, after)) => {
            let after: BTreeSet<String> =
                after.iter().map(|row| row.first().cloned().unwrap_or_default()).collect();
            let changed: Vec<String> = all
                .iter()
                .filter(|row| row.location.as_ref().is_some_and(|location| !after.contains(location)))
                .map(|row| row.hash.clone())
                .collect();
            Outcome::Rows(sorted(changed))
        }
        Err(error) => error_outcome(error),
    }
}

type ProbeError = (String, String);

/// One probe in a savepoint: `setup` as the session user, then `statement` as `actor`, then
/// `after` as the session user; everything is rolled back. Returns the rows of `statement`
/// and of `after`, or the error.
async fn run_probe(
    client: &Client,
    setup: &[String],
    actor: &Actor,
    statement: &str,
    after: Option<&str>,
) -> Result<(Vec<Vec<String>>, Vec<Vec<String>>), ProbeError> {
    let mut sql = vec!["SAVEPOINT probe".to_string()];
    sql.extend_from_slice(setup);
    sql.extend(become_actor(actor));
    let statement_index = sql.len();
    sql.push(statement.to_string());
    let mut after_index = None;
    if let Some(after) = after {
        sql.push("RESET ROLE".to_string());
        after_index = Some(sql.len());
        sql.push(after.to_string());
    }
    sql.push("ROLLBACK TO SAVEPOINT probe".to_string());
    match client.simple_query(&sql.join(";\n")).await {
        Ok(messages) => {
            let results = results_by_statement(&messages);
            let take = |index: Option<usize>| index.and_then(|i| results.get(i).cloned()).unwrap_or_default();
            Ok((take(Some(statement_index)), take(after_index)))
        }
        Err(error) => {
            client.batch_execute("ROLLBACK TO SAVEPOINT probe").await.unwrap();
            let db = error.as_db_error().unwrap_or_else(|| panic!("probe `{statement}`: {error}"));
            Err((db.code().code().to_string(), db.message().to_string()))
        }
    }
}

fn rows_outcome(rows: Vec<Vec<String>>) -> Outcome {
    Outcome::Rows(sorted(rows.into_iter().map(|row| row.into_iter().next().unwrap_or_default()).collect()))
}

fn error_outcome((state, message): ProbeError) -> Outcome {
    Outcome::Error { state, message }
}

fn sorted(mut rows: Vec<String>) -> Vec<String> {
    rows.sort();
    rows
}

/// The text rows of each statement of a simple query, in order.
fn results_by_statement(messages: &[SimpleQueryMessage]) -> Vec<Vec<Vec<String>>> {
    let mut results = vec![Vec::new()];
    for message in messages {
        match message {
            SimpleQueryMessage::Row(row) => {
                let values = (0..row.len()).map(|i| row.get(i).unwrap_or_default().to_string()).collect();
                results.last_mut().unwrap().push(values);
            }
            SimpleQueryMessage::CommandComplete(_) => results.push(Vec::new()),
            _ => {}
        }
    }
    results
}

fn rows_of(messages: &[SimpleQueryMessage]) -> Vec<&SimpleQueryRow> {
    messages
        .iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .collect()
}

/// The planned relations and functions that still exist (by oid).
pub async fn existing(client: &Client, plan: &Plan) -> BTreeSet<String> {
    let relations: Vec<u32> = plan.relations.iter().map(|relation| relation.oid).collect();
    let functions: Vec<u32> = plan.functions.iter().map(|function| function.oid).collect();
    let rows = client
        .query(
            "SELECT oid FROM pg_catalog.pg_class WHERE oid = ANY($1)
             UNION ALL SELECT oid FROM pg_catalog.pg_proc WHERE oid = ANY($2)",
            &[&relations, &functions],
        )
        .await
        .unwrap();
    let oids: BTreeSet<u32> = rows.iter().map(|row| row.get(0)).collect();
    let relations = plan.relations.iter().filter(|r| oids.contains(&r.oid)).map(|r| r.name.clone());
    let functions = plan.functions.iter().filter(|f| oids.contains(&f.oid)).map(|f| f.name.clone());
    relations.chain(functions).collect()
}

/// The facts that decide access, as text: ACLs, RLS flags, policies, function settings,
/// default privileges. Two states with the same fingerprint (and rows) allow the same.
pub async fn fingerprint(client: &Client) -> String {
    client
        .query_one(
            "SELECT coalesce(string_agg(line, E'\\n' ORDER BY line), '') FROM (
               SELECT format('relation %s.%s %s rls=%s force=%s acl=%s', n.nspname, c.relname, c.relkind,
                             c.relrowsecurity, c.relforcerowsecurity, c.relacl) AS line
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
               UNION ALL
               SELECT format('column %s.%s acl=%s', a.attrelid::regclass, a.attname, a.attacl)
               FROM pg_catalog.pg_attribute a WHERE a.attacl IS NOT NULL
               UNION ALL
               SELECT format('policy %s on %s %s permissive=%s to=%s using=%s check=%s', p.polname,
                             p.polrelid::regclass, p.polcmd, p.polpermissive, p.polroles::regrole[],
                             pg_catalog.pg_get_expr(p.polqual, p.polrelid),
                             pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
               FROM pg_catalog.pg_policy p
               UNION ALL
               SELECT format('function %s definer=%s config=%s acl=%s', p.oid::regprocedure, p.prosecdef,
                             p.proconfig, p.proacl)
               FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
               UNION ALL
               SELECT format('schema %s acl=%s', nspname, nspacl) FROM pg_catalog.pg_namespace
               UNION ALL
               SELECT format('default %s %s %s %s', d.defaclrole::regrole, d.defaclnamespace::regnamespace,
                             d.defaclobjtype, d.defaclacl)
               FROM pg_catalog.pg_default_acl d
               UNION ALL
               SELECT format('database acl=%s', datacl) FROM pg_catalog.pg_database
               WHERE datname = current_database()
             ) lines",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// A probe result that breaks the fix-safety property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub key: ProbeKey,
    pub kind: ViolationKind,
    pub before: Option<Outcome>,
    pub potential: Option<Outcome>,
    pub after: Option<Outcome>,
    /// The rows named in `kind`, as the superuser sees them.
    pub rows: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ViolationKind {
    /// The probe got rows it could not get before, nor with every privilege under the
    /// existing policies, and that are not the actor's own.
    Widened,
    /// The probe worked before and fails now, and that failure is not what a fix is for.
    Broke,
    /// The probe got rows before that it no longer gets, where no narrowing is expected.
    LostRows,
    /// A planned relation or function no longer exists.
    Dropped,
    /// The overlay (the fix) failed to apply.
    NotApplied,
    /// Two ways of applying the same fix (psql, statement by statement) give different catalogs.
    Diverged,
}

impl Violation {
    /// A violation of the fix as a whole (it did not apply, or applied differently), with
    /// `detail` (the error, the difference) as its only row.
    pub fn about_the_fix(kind: ViolationKind, detail: &str) -> Violation {
        Violation {
            key: ProbeKey { actor: String::new(), target: "the fix".to_string(), probe: Probe::Call },
            kind,
            before: None,
            potential: None,
            after: None,
            rows: vec![detail.to_string()],
        }
    }

    /// A planned relation or function that no longer exists.
    pub fn dropped(name: &str) -> Violation {
        Violation {
            key: ProbeKey { actor: String::new(), target: name.to_string(), probe: Probe::Select },
            kind: ViolationKind::Dropped,
            before: None,
            potential: None,
            after: None,
            rows: Vec::new(),
        }
    }

    /// What identifies it across runs (fix variants, leave-one-out).
    pub fn id(&self) -> (ProbeKey, ViolationKind) {
        (self.key.clone(), self.kind.clone())
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |outcome: &Option<Outcome>| match outcome {
            None => "-".to_string(),
            Some(Outcome::Rows(rows)) => format!("ok, {} row(s)", rows.len()),
            Some(Outcome::Error { state, message }) => format!("error {state}: {}", escape_controls(message)),
        };
        if self.key.actor.is_empty() {
            write!(formatter, "{:?}: {}", self.kind, self.key.target)?;
        } else {
            write!(
                formatter,
                "{:?}: {} {:?} {}: before {}; potential {}; after {}",
                self.kind,
                self.key.actor,
                self.key.probe,
                self.key.target,
                show(&self.before),
                show(&self.potential),
                show(&self.after)
            )?;
        }
        for row in &self.rows {
            write!(formatter, "\n      {}", row.replace('\n', "\n      "))?;
        }
        Ok(())
    }
}

/// The fix-safety property, probe by probe (see the fix-safety test's documentation for
/// the definition): rows after ⊆ rows before ∪ potential before ∪ the actor's own rows (on
/// a relation the actor could not use for any command before); a
/// probe that worked before still works and loses no rows, except where narrowing is what
/// a fix is for; every planned object still exists.
pub fn compare(
    plan: &Plan,
    before: &AccessSnapshot,
    potential: &AccessSnapshot,
    after: &AccessSnapshot,
) -> Vec<Violation> {
    let mut violations: Vec<Violation> = after
        .overlay_errors
        .iter()
        .map(|error| Violation::about_the_fix(ViolationKind::NotApplied, error))
        .collect();
    for name in before.existing.difference(&after.existing) {
        violations.push(Violation::dropped(name));
    }
    let actors: BTreeMap<&str, &Actor> = std::iter::once(&plan.session_user)
        .chain(&plan.actors)
        .map(|actor| (actor.label.as_str(), actor))
        .collect();
    for (key, before_outcome) in &before.outcomes {
        let Some(after_outcome) = after.outcomes.get(key) else { continue };
        let potential_outcome = potential.outcomes.get(key);
        let actor = actors[key.actor.as_str()];
        let relation = plan.relations.iter().find(|relation| relation.name == key.target);
        let function = plan.functions.iter().find(|function| function.name == key.target);
        let violation = |kind, rows: Vec<String>| Violation {
            key: key.clone(),
            kind,
            before: Some(before_outcome.clone()),
            potential: potential_outcome.cloned(),
            after: Some(after_outcome.clone()),
            rows: rows.iter().map(|hash| describe_row(before, &key.target, hash)).collect(),
        };
        // Narrowing (fewer rows, a write refused by RLS) is what enabling RLS on a table
        // that had it off is for, for the request roles; making a view respect the RLS of
        // its tables, or taking a materialized view from them, is what NL011 is for; and
        // taking access from the anonymous role is what NL015 and NL009 are for.
        let is_view = relation.is_some_and(|relation| matches!(relation.kind.as_str(), "v" | "m"));
        let narrowing_expected = actor.is_anonymous_like()
            || (actor.is_request()
                && (is_view || relation.is_some_and(|relation| relation.is_table() && !relation.rls)));

        if let Outcome::Rows(after_rows) = after_outcome {
            let mut allowed: BTreeSet<&String> = before_outcome.rows().iter().collect();
            allowed.extend(potential_outcome.map(Outcome::rows).unwrap_or_default());
            // The actor's own rows come with the owner policy a fix writes, but only on a
            // relation the actor could not use at all: one it could already use for some
            // command (a table granted SELECT and INSERT only is append-only on purpose)
            // gets no new command from a fix.
            let denied = |outcome: &Outcome| {
                matches!(outcome, Outcome::Error { state, message }
                    if state == "42501" && message.starts_with("permission denied for"))
            };
            let used_before = before.outcomes.iter().any(|(other, outcome)| {
                other.actor == key.actor
                    && other.target == key.target
                    && other.probe != Probe::Call
                    && !denied(outcome)
            });
            let new_command = denied(before_outcome) && used_before;
            if let Some(own) = before.own.get(&(key.actor.clone(), key.target.clone()))
                && !new_command
            {
                allowed.extend(own);
            }
            let widened: Vec<String> = if key.probe == Probe::Call {
                // A call is new only where EXECUTE was missing before.
                match before_outcome {
                    Outcome::Error { message, .. }
                        if message.starts_with("permission denied for function") =>
                    {
                        vec![CALLED.to_string()]
                    }
                    _ => Vec::new(),
                }
            } else {
                after_rows.iter().filter(|row| !allowed.contains(row)).cloned().collect()
            };
            if !widened.is_empty() {
                violations.push(violation(ViolationKind::Widened, dedup(widened)));
            }
        }
        // What a fix grants must be usable: a fix that grants a table and revokes EXECUTE
        // on a function a policy of that table calls makes the table fail as a whole.
        if key.probe != Probe::Call
            && let Outcome::Error { message, .. } = after_outcome
            && message.starts_with("permission denied for function")
            && !matches!(before_outcome, Outcome::Error { message: before, .. } if before == message)
            && !matches!(before_outcome, Outcome::Rows(_))
        {
            violations.push(violation(ViolationKind::Broke, Vec::new()));
        }
        let Outcome::Rows(before_rows) = before_outcome else { continue };
        match after_outcome {
            Outcome::Error { state, message } => {
                let rls_refused =
                    state == "42501" && message.starts_with("new row violates row-level security policy");
                let privilege_taken = state == "42501"
                    && ["table", "view", "materialized view"]
                        .iter()
                        .any(|kind| message.starts_with(&format!("permission denied for {kind} ")));
                // A write that changed nothing before and is refused by RLS now did not work
                // before either: the fix let the rows through and a policy checks the new row.
                let expected = (rls_refused && (narrowing_expected || before_rows.is_empty()))
                    || (is_view && actor.is_request() && privilege_taken)
                    || (actor.is_anonymous_like()
                        && privilege_taken
                        && (key.probe.is_write() || relation.is_some_and(|relation| !relation.rls)))
                    || (key.probe == Probe::Call
                        && actor.is_request()
                        && function.is_some_and(|function| function.security_definer)
                        && message.starts_with("permission denied for function"));
                if !expected {
                    violations.push(violation(ViolationKind::Broke, Vec::new()));
                }
            }
            Outcome::Rows(after_rows) => {
                let kept: BTreeSet<&String> = after_rows.iter().collect();
                let lost: Vec<String> =
                    before_rows.iter().filter(|row| !kept.contains(row)).cloned().collect();
                if !lost.is_empty() && !narrowing_expected {
                    violations.push(violation(ViolationKind::LostRows, dedup(lost)));
                }
            }
        }
    }
    violations
}

fn dedup(mut rows: Vec<String>) -> Vec<String> {
    rows.dedup();
    rows
}

fn describe_row(snapshot: &AccessSnapshot, target: &str, hash: &str) -> String {
    snapshot.rows.get(target).and_then(|rows| rows.get(hash)).cloned().unwrap_or_else(|| hash.to_string())
}

/// `"name"`, always quoted (never wrong, whatever the name holds).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'` (with `standard_conforming_strings` on, as on every supported server).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A name for reports: control characters escaped, so a name cannot forge a report line.
pub fn escape(name: &str) -> String {
    escape_controls(name)
}

fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => error.to_string(),
    }
}
