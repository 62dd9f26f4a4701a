//! Replay of sequences, indexes, view options and the migration-history facts. Each
//! was checked against PostgreSQL 15 by running the same SQL and reading `pg_class`
//! (`relname`, `relowner`, `relacl`, `reloptions`), `pg_depend` and `pg_attrdef`.

use super::*;
use crate::model::{QualifiedName, Sequence, SequenceName};

fn sequence<'a>(catalog: &'a Catalog, schema: &str, name: &str) -> &'a Sequence {
    catalog.sequences.get(&QualifiedName::new(schema, name)).unwrap_or_else(|| {
        panic!("no sequence {schema}.{name}; sequences: {:?}", catalog.sequences.keys().collect::<Vec<_>>())
    })
}

fn sequence_names(catalog: &Catalog) -> Vec<String> {
    catalog.sequences.keys().map(ToString::to_string).collect()
}

fn draws_from(schema: &str, name: &str) -> Option<SequenceName> {
    Some(SequenceName { schema: Some(schema.into()), name: name.into() })
}

fn exposed_public() -> Options {
    Options { exposed_schemas: vec!["public".into()], ..Options::default() }
}

#[test]
fn serial_columns_make_owned_sequences_named_as_postgres_names_them() {
    let long_table = "a".repeat(61);
    let long_column = "b".repeat(61);
    let catalog = replay(&[&format!(
        "CREATE SEQUENCE t5_id_seq; CREATE TABLE t5 (id serial);
         CREATE TABLE t (id bigserial, n int);
         CREATE TABLE {long_table} ({long_column} smallserial);
         ALTER TABLE t ADD COLUMN m serial;"
    )]);
    let t5 = table(&catalog, "public", "t5");
    assert_eq!(t5.columns[0].sequence, draws_from("public", "t5_id_seq1"));
    assert_eq!(sequence(&catalog, "public", "t5_id_seq1").owned_by, Some((t5.id, "id".into())));
    assert_eq!(sequence(&catalog, "public", "t5_id_seq").owned_by, None);
    let t = table(&catalog, "public", "t");
    assert_eq!(t.columns[0].sequence, draws_from("public", "t_id_seq"));
    assert_eq!(t.column("m").unwrap().sequence, draws_from("public", "t_m_seq"));
    // 29 + 1 + 29 + 4 bytes: the longer name is cut first, to 63 bytes in all.
    let truncated = format!("{}_{}_seq", "a".repeat(29), "b".repeat(29));
    assert_eq!(sequence(&catalog, "public", &truncated).name.len(), 63);
    // An identity column has an owned sequence too (`pg_class` lists `i_id_seq`, which
    // takes default privileges for sequences), but inserts need no grant on it.
    let catalog = replay(&["CREATE TABLE i (id int GENERATED ALWAYS AS IDENTITY)"]);
    let i = table(&catalog, "public", "i");
    assert_eq!(sequence(&catalog, "public", "i_id_seq").owned_by, Some((i.id, "id".into())));
    assert_eq!(i.columns[0].sequence, None);
}

#[test]
fn sequences_take_the_owner_and_default_privileges_for_sequences() {
    let catalog = replay(&["ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO authenticated;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO authenticated;
         SET ROLE app; CREATE TABLE t (id serial); CREATE SEQUENCE s; CREATE TEMP SEQUENCE tmp;
         RESET ROLE; CREATE SEQUENCE mine;"]);
    let serial = sequence(&catalog, "public", "t_id_seq");
    assert_eq!(serial.owner.as_deref(), Some("app"));
    // The defaults were set for the migration role, not for `app`.
    assert_eq!(serial.acl.get(&authenticated()), Privileges::NONE);
    assert_eq!(sequence(&catalog, "public", "s").owner.as_deref(), Some("app"));
    assert_eq!(sequence(&catalog, "public", "mine").acl.get(&authenticated()), Privileges::USAGE);
    assert_eq!(sequence_names(&catalog), vec!["public.mine", "public.s", "public.t_id_seq"]);
    let catalog = replay(&["ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO authenticated;
         CREATE TABLE t (id serial);"]);
    assert_eq!(
        sequence(&catalog, "public", "t_id_seq").acl.get(&authenticated()),
        Privileges::USAGE | Privileges::SELECT
    );
}

#[test]
fn serial_added_later_belongs_to_the_table_owner_with_its_default_privileges() {
    let catalog =
        replay(&["ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT SELECT ON SEQUENCES TO authenticated;
         ALTER DEFAULT PRIVILEGES GRANT USAGE ON SEQUENCES TO authenticated;
         CREATE TABLE t (a int); ALTER TABLE t OWNER TO app; ALTER TABLE t ADD COLUMN id serial;"]);
    let serial = sequence(&catalog, "public", "t_id_seq");
    assert_eq!(serial.owner.as_deref(), Some("app"));
    assert_eq!(serial.acl.get(&authenticated()), Privileges::SELECT);
}

#[test]
fn nextval_defaults_bind_through_the_search_path_and_follow_renames() {
    let catalog = replay(&["CREATE SCHEMA app; CREATE SEQUENCE app.counter; CREATE SEQUENCE public.other;
         SET search_path TO app, public;
         CREATE TABLE public.t (a int DEFAULT nextval('counter'::regclass), b int DEFAULT nextval('other'));
         CREATE SEQUENCE public.counter;
         ALTER SEQUENCE app.counter RENAME TO tally; ALTER SEQUENCE app.tally SET SCHEMA public;
         ALTER TABLE public.t ADD COLUMN c int DEFAULT nextval('public.counter');
         CREATE TABLE u (id int); ALTER TABLE u ALTER COLUMN id SET DEFAULT nextval('\"other\"');"]);
    let t = table(&catalog, "public", "t");
    assert_eq!(t.column("a").unwrap().sequence, draws_from("public", "tally"));
    assert_eq!(t.column("b").unwrap().sequence, draws_from("public", "other"));
    assert_eq!(t.column("c").unwrap().sequence, draws_from("public", "counter"));
    let u = table(&catalog, "app", "u");
    assert_eq!(u.columns[0].sequence, draws_from("public", "other"));
    assert!(u.columns[0].uses_sequence);
    assert_eq!(catalog.column_sequence(&t.columns[0]).map(|s| s.name.as_str()), Some("tally"));
}

#[test]
fn owned_sequences_follow_their_table_owner_and_schema() {
    let catalog = replay(&["CREATE SCHEMA s2; CREATE TABLE o (id serial, n int);
         CREATE SEQUENCE o_n_seq OWNED BY o.n; ALTER SEQUENCE o_n_seq OWNED BY o.n; CREATE SEQUENCE free;
         ALTER TABLE o OWNER TO app;
         ALTER SEQUENCE o_id_seq OWNER TO other; ALTER SEQUENCE o_id_seq SET SCHEMA s2;
         ALTER TABLE o SET SCHEMA s2;"]);
    let o = table(&catalog, "s2", "o");
    assert_eq!(sequence(&catalog, "s2", "o_id_seq").owner.as_deref(), Some("app"));
    assert_eq!(sequence(&catalog, "s2", "o_n_seq").owned_by, Some((o.id, "n".into())));
    assert_eq!(sequence(&catalog, "public", "free").owner, None);
    assert_eq!(o.columns[0].sequence, draws_from("s2", "o_id_seq"));
}

#[test]
fn owned_by_needs_the_same_schema_and_owner() {
    let catalog = replay(&["CREATE SCHEMA s2; CREATE TABLE p (id int);
         CREATE SEQUENCE s2.elsewhere; ALTER SEQUENCE s2.elsewhere OWNED BY p.id;
         CREATE SEQUENCE theirs; ALTER SEQUENCE theirs OWNER TO other; ALTER SEQUENCE theirs OWNED BY p.id;
         CREATE SEQUENCE fits; ALTER SEQUENCE fits OWNED BY public.p.id; ALTER SEQUENCE fits OWNED BY NONE;
         CREATE SEQUENCE kept; ALTER SEQUENCE kept OWNED BY p.id;"]);
    let p = table(&catalog, "public", "p");
    assert_eq!(sequence(&catalog, "s2", "elsewhere").owned_by, None);
    assert_eq!(sequence(&catalog, "public", "theirs").owned_by, None);
    assert_eq!(sequence(&catalog, "public", "fits").owned_by, None);
    assert_eq!(sequence(&catalog, "public", "kept").owned_by, Some((p.id, "id".into())));
}

#[test]
fn drop_table_and_drop_column_drop_owned_sequences() {
    let catalog = replay(&["CREATE TABLE a (id serial, n serial); CREATE SEQUENCE extra;
         ALTER SEQUENCE extra OWNED BY a.n; CREATE TABLE b (id serial); CREATE SEQUENCE free;
         ALTER TABLE a DROP COLUMN n; DROP TABLE b;"]);
    assert_eq!(sequence_names(&catalog), vec!["public.a_id_seq", "public.free"]);
}

#[test]
fn drop_sequence_fails_while_a_default_uses_it_unless_cascade() {
    let catalog = replay(&["CREATE TABLE t (id serial, n int); CREATE SEQUENCE s; CREATE SEQUENCE unused;
         ALTER TABLE t ALTER COLUMN n SET DEFAULT nextval('s');
         DROP SEQUENCE t_id_seq; DROP SEQUENCE s, unused;"]);
    assert_eq!(sequence_names(&catalog), vec!["public.s", "public.t_id_seq", "public.unused"]);
    let catalog = replay(&["CREATE TABLE t (id serial, n int); CREATE SEQUENCE s;
         ALTER TABLE t ALTER COLUMN n SET DEFAULT nextval('s');
         DROP SEQUENCE IF EXISTS s, t_id_seq CASCADE;"]);
    assert!(catalog.sequences.is_empty());
    let t = table(&catalog, "public", "t");
    assert!(t.columns.iter().all(|column| column.sequence.is_none() && !column.uses_sequence));
}

#[test]
fn schema_rename_moves_sequences_and_drop_schema_drops_them() {
    let catalog = replay(&[
        "CREATE SCHEMA e; CREATE TABLE e.t (id serial); CREATE SEQUENCE e.s;
         ALTER SCHEMA e RENAME TO e3; CREATE SCHEMA gone; CREATE SEQUENCE gone.s; DROP SCHEMA gone CASCADE;",
    ]);
    assert_eq!(sequence_names(&catalog), vec!["e3.s", "e3.t_id_seq"]);
    assert_eq!(table(&catalog, "e3", "t").columns[0].sequence, draws_from("e3", "t_id_seq"));
}

#[test]
fn grants_on_sequences() {
    let catalog = replay(&["CREATE SCHEMA g; SET search_path = g;
         CREATE TABLE gt (id serial); CREATE SEQUENCE gs;
         GRANT SELECT ON ALL TABLES IN SCHEMA g TO anonymous;
         GRANT INSERT, SELECT ON TABLE gs TO authenticated;
         GRANT ALL ON TABLE gs TO staff;
         GRANT USAGE ON gs TO authenticated;
         GRANT USAGE ON TABLE gt TO authenticated;
         GRANT SELECT ON SEQUENCE gt TO authenticated;
         GRANT INSERT ON SEQUENCE gs TO authenticated;
         GRANT UPDATE ON ALL SEQUENCES IN SCHEMA g TO authenticated;
         REVOKE ALL ON ALL TABLES IN SCHEMA g FROM staff;
         CREATE SEQUENCE later;"]);
    let staff = Grantee::Role("staff".into());
    let gs = sequence(&catalog, "g", "gs");
    assert_eq!(gs.acl.get(&authenticated()), Privileges::ALL_SEQUENCE);
    assert_eq!(gs.acl.get(&staff), Privileges::ALL_SEQUENCE, "ALL TABLES does not reach sequences");
    assert_eq!(gs.acl.get(&Grantee::Role("anonymous".into())), Privileges::NONE);
    assert_eq!(sequence(&catalog, "g", "gt_id_seq").acl.get(&authenticated()), Privileges::UPDATE);
    assert_eq!(sequence(&catalog, "g", "later").acl.get(&authenticated()), Privileges::NONE);
    let gt = table(&catalog, "g", "gt");
    assert_eq!(gt.acl.get(&authenticated()), Privileges::NONE);
    assert_eq!(catalog.sequence_privileges(gs, "authenticated"), Privileges::ALL_SEQUENCE);
    let catalog =
        replay(&["CREATE SEQUENCE s; GRANT ALL ON SEQUENCE s TO PUBLIC; REVOKE UPDATE ON s FROM PUBLIC;"]);
    assert_eq!(
        sequence(&catalog, "public", "s").acl.get(&Grantee::Public),
        Privileges::USAGE | Privileges::SELECT
    );
}

#[test]
fn indexes_from_create_index_and_key_constraints() {
    let catalog = replay(&["CREATE TABLE w (a int, b int, c int UNIQUE, PRIMARY KEY (a, b), UNIQUE (b, a));
         CREATE INDEX ON w (a, b); CREATE INDEX ON w ((a + 1)); CREATE INDEX ON w (b); CREATE INDEX ON w (b);
         CREATE UNIQUE INDEX IF NOT EXISTS w_named ON w USING btree (c);
         CREATE INDEX w ON w (a);
         ALTER TABLE w ADD CONSTRAINT w_c_pk PRIMARY KEY (c), ADD UNIQUE (a);
         CREATE VIEW v AS SELECT 1 AS x; CREATE INDEX ON v (x);"]);
    let w = table(&catalog, "public", "w");
    let indexes: Vec<(&str, Option<&str>)> =
        w.indexes.iter().map(|index| (index.name.as_str(), index.first_column.as_deref())).collect();
    assert_eq!(
        indexes,
        vec![
            ("w_c_key", Some("c")),
            ("w_a_key", Some("a")),
            ("w_b_key", Some("b")),
            ("w_a_idx", Some("a")),
            ("w_expr_idx", None),
            ("w_b_idx", Some("b")),
            ("w_b_idx1", Some("b")),
            ("w_named", Some("c")),
            ("w_c_pk", Some("c")),
            ("w_a_key1", Some("a")),
        ]
    );
    assert!(table(&catalog, "public", "v").indexes.is_empty());
}

#[test]
fn indexes_live_in_their_tables_schema_and_go_with_their_columns() {
    let catalog = replay(&["CREATE SCHEMA d2; CREATE TABLE it (a int PRIMARY KEY, b int, c int);
         CREATE INDEX it_b ON it (b); CREATE INDEX it_c ON it (c); ALTER TABLE it SET SCHEMA d2;
         DROP INDEX it_b; ALTER TABLE d2.it RENAME COLUMN c TO cc; ALTER TABLE d2.it DROP COLUMN a;
         CREATE INDEX other ON d2.it (b); DROP INDEX CONCURRENTLY IF EXISTS d2.other;"]);
    let it = table(&catalog, "d2", "it");
    let indexes: Vec<(&str, Option<&str>)> =
        it.indexes.iter().map(|index| (index.name.as_str(), index.first_column.as_deref())).collect();
    assert_eq!(indexes, vec![("it_b", Some("b")), ("it_c", Some("cc"))]);
}

#[test]
fn view_security_invoker_follows_create_or_replace_and_alter() {
    let catalog = replay(&["CREATE TABLE t (a int);
         CREATE VIEW kept WITH (security_invoker = true) AS SELECT a FROM t;
         CREATE VIEW dropped WITH (security_invoker) AS SELECT a FROM t;
         CREATE OR REPLACE VIEW dropped AS SELECT a FROM t;
         CREATE VIEW altered AS SELECT a FROM t; ALTER VIEW altered SET (security_invoker = on);
         CREATE VIEW reset WITH (security_invoker = true) AS SELECT a FROM t; ALTER TABLE reset RESET (security_invoker);
         ALTER TABLE t SET (security_invoker = true);"]);
    assert!(table(&catalog, "public", "kept").security_invoker);
    assert!(!table(&catalog, "public", "dropped").security_invoker);
    assert!(table(&catalog, "public", "altered").security_invoker);
    assert!(!table(&catalog, "public", "reset").security_invoker);
    assert!(!table(&catalog, "public", "t").security_invoker);
}

#[test]
fn alter_view_renames_moves_and_gives_away() {
    let catalog = replay(&["CREATE SCHEMA api; CREATE VIEW v AS SELECT 1; ALTER VIEW v RENAME TO w;
         ALTER VIEW w SET SCHEMA api; ALTER VIEW api.w OWNER TO app;
         CREATE MATERIALIZED VIEW m AS SELECT 1; ALTER MATERIALIZED VIEW m RENAME TO n;"]);
    assert_eq!(table(&catalog, "api", "w").owner.as_deref(), Some("app"));
    assert_eq!(names(&catalog), vec!["api.w", "public.n"]);
}

#[test]
fn alter_table_on_a_sequence_renames_and_gives_it_away() {
    let catalog = replay(&["CREATE SCHEMA e2; CREATE SEQUENCE es; ALTER TABLE es RENAME TO es2;
         ALTER TABLE es2 OWNER TO app; ALTER TABLE es2 SET SCHEMA e2;"]);
    assert_eq!(sequence(&catalog, "e2", "es2").owner.as_deref(), Some("app"));
    assert_eq!(sequence_names(&catalog), vec!["e2.es2"]);
}

#[test]
fn rls_enabled_in_a_later_file_is_late() {
    let options = Options {
        anonymous_role: "anonymous".into(),
        api_roles: vec!["authenticated".into()],
        ..exposed_public()
    };
    let catalog = replay_with(
        &options,
        &[
            "CREATE TABLE late (); CREATE TABLE same (); ALTER TABLE same ENABLE ROW LEVEL SECURITY;
             CREATE SCHEMA private; CREATE TABLE private.hidden (); CREATE VIEW v AS SELECT 1;
             GRANT SELECT ON late, same, private.hidden TO anonymous;
             CREATE TABLE closed ();",
            "SELECT 1;",
            "ALTER TABLE late ENABLE ROW LEVEL SECURITY; ALTER TABLE private.hidden ENABLE ROW LEVEL SECURITY;
             CREATE TABLE fresh (); ALTER TABLE fresh ENABLE ROW LEVEL SECURITY;
             GRANT SELECT ON closed TO authenticated; ALTER TABLE closed ENABLE ROW LEVEL SECURITY;",
        ],
    );
    let late = table(&catalog, "public", "late").rls_enabled_late.clone().expect("late");
    assert_eq!((late.enabled.file, late.enabled.line), (FileId(2), 1));
    assert_eq!(late.roles, vec!["anonymous".to_string()]);
    assert_eq!(table(&catalog, "public", "same").rls_enabled_late, None);
    assert_eq!(table(&catalog, "private", "hidden").rls_enabled_late, None);
    assert_eq!(table(&catalog, "public", "fresh").rls_enabled_late, None);
    // Nobody could use it before its RLS came: its rows were never open (issue 9).
    assert_eq!(table(&catalog, "public", "closed").rls_enabled_late, None);
}

#[test]
fn api_changes_are_counted_per_file_with_trailing_reloads() {
    let catalog = replay_with(
        &exposed_public(),
        &[
            "CREATE TABLE t (id int); NOTIFY pgrst, 'reload schema';",
            "GRANT SELECT ON t TO authenticated; CREATE POLICY p ON t USING (true);
             ALTER TABLE t ENABLE ROW LEVEL SECURITY; CREATE SCHEMA private; CREATE TABLE private.x ();",
            "NOTIFY pgrst;\nALTER TABLE t ADD COLUMN note text;\nCREATE VIEW v AS SELECT 1;",
            "DROP TABLE t; SELECT pg_notify('pgrst', 'reload schema'); CREATE OR REPLACE VIEW v AS SELECT 2;
             NOTIFY pgrst, 'reload config';",
            "ALTER TABLE v RENAME TO w; NOTIFY pgrst",
            "CREATE TABLE IF NOT EXISTS private.x (); ALTER TABLE private.x SET SCHEMA public;",
        ],
    );
    let summary: Vec<(u32, u32, bool)> =
        catalog.api_changes.iter().map(|change| (change.file.0, change.first.line, change.reloads)).collect();
    assert_eq!(summary, vec![(0, 1, true), (2, 2, false), (3, 1, false), (4, 1, true), (5, 1, false)]);
}

#[test]
fn touches_name_sequences_by_their_final_names() {
    let mut replay = Replay::new(&Options::default());
    for (index, source) in [
        "CREATE TABLE t (id serial); CREATE SEQUENCE s;",
        "GRANT USAGE ON SEQUENCE s TO authenticated; ALTER SEQUENCE s RENAME TO r; DROP TABLE t;",
    ]
    .iter()
    .enumerate()
    {
        replay.file(FileId(index as u32), &parse_file(source).statements);
    }
    let (_, touches) = replay.finish_with_touches();
    let summary: Vec<(u32, Touched)> = touches
        .into_iter()
        .filter(|touch| matches!(touch.object, Touched::Sequence { .. }))
        .map(|touch| (touch.file.0, touch.object))
        .collect();
    let r = Touched::Sequence { schema: "public".into(), name: "r".into() };
    assert_eq!(summary, vec![(0, r.clone()), (1, r.clone()), (1, r)]);
}

#[test]
fn sql_replayed_outside_the_history_leaves_it_alone() {
    let mut replay = Replay::new(&exposed_public());
    replay.file(FileId(0), &parse_file("CREATE TABLE t (id int); NOTIFY pgrst;").statements);
    // A fix checked after the last migration enables RLS and adds a column.
    let fix = "ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t ADD COLUMN note text;";
    replay.outside_history(FileId(u32::MAX), &parse_file(fix).statements);
    let catalog = replay.finish();
    let t = table(&catalog, "public", "t");
    assert!(t.rls_enabled && t.column("note").is_some());
    assert_eq!(t.rls_enabled_late, None);
    assert_eq!(catalog.api_changes.len(), 1);
    assert!(catalog.api_changes[0].reloads);
}

#[test]
fn dropping_or_replacing_a_default_unlinks_its_sequence() {
    let catalog = replay(&["CREATE TABLE d (id serial PRIMARY KEY, n serial, m serial);
         ALTER TABLE d ALTER COLUMN id DROP DEFAULT;
         ALTER TABLE d ALTER n SET DEFAULT 0;
         ALTER TABLE d ALTER COLUMN m SET DEFAULT nextval('d_m_seq'::regclass);"]);
    let d = table(&catalog, "public", "d");
    let linked = |name: &str| d.column(name).unwrap().sequence.is_some();
    assert!(!linked("id") && !linked("n") && linked("m"));
    // The serial sequences stay: the columns still own them.
    assert!(catalog.sequences.contains_key(&QualifiedName::new("public", "d_id_seq")));
}

#[test]
fn policy_expressions_follow_column_and_table_renames() {
    let catalog = replay(&["CREATE TABLE todos (id int, user_id text);
         CREATE POLICY own ON todos USING ((select auth.user_id() = \"todos\".\"user_id\")) WITH CHECK (user_id = auth.user_id());
         ALTER TABLE todos RENAME COLUMN user_id TO owner_id;
         ALTER TABLE todos RENAME TO tasks;"]);
    let policy = &table(&catalog, "public", "tasks").policies[0];
    assert_eq!(policy.using.as_deref(), Some("(SELECT auth.user_id() = tasks.owner_id)"));
    assert_eq!(policy.with_check.as_deref(), Some("owner_id = auth.user_id()"));
}

#[test]
fn a_new_foreign_key_changes_what_the_api_serves() {
    let catalog = replay_with(
        &exposed_public(),
        &[
            "CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE t (id int, u_id int); NOTIFY pgrst;",
            "ALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES u (id);",
            "DO $$ BEGIN ALTER TABLE \"t\" ADD CONSTRAINT \"t_u2_fk\" FOREIGN KEY (\"u_id\") REFERENCES \"public\".\"u\"(\"id\");
             EXCEPTION WHEN duplicate_object THEN null; END $$;",
            "ALTER TABLE t ADD CONSTRAINT t_id_check CHECK (id > 0);",
        ],
    );
    let files: Vec<(FileId, bool)> = catalog.api_changes.iter().map(|c| (c.first.file, c.reloads)).collect();
    assert_eq!(files, vec![(FileId(0), true), (FileId(1), false), (FileId(2), false)]);
}
