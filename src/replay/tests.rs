//! One test per replay rule. Each was checked against PostgreSQL 15 by running the same
//! SQL and reading `pg_class.relacl`, `pg_policy`, `pg_default_acl` and `pg_auth_members`.

use super::*;
use crate::model::PolicyCommand;
use crate::sql::parse_file;

fn replay_with(options: &Options, files: &[&str]) -> Catalog {
    let mut replay = Replay::new(options);
    for (index, source) in files.iter().enumerate() {
        replay.file(FileId(index as u32), &parse_file(source).statements);
    }
    replay.finish()
}

fn replay(files: &[&str]) -> Catalog {
    replay_with(&Options::default(), files)
}

fn table<'a>(catalog: &'a Catalog, schema: &str, name: &str) -> &'a Table {
    catalog
        .table_by_name(schema, name)
        .unwrap_or_else(|| panic!("no table {schema}.{name}; tables: {:?}", names(catalog)))
}

fn names(catalog: &Catalog) -> Vec<String> {
    catalog.tables().map(|t| t.qualified_name().to_string()).collect()
}

fn authenticated() -> Grantee {
    Grantee::Role("authenticated".into())
}

#[test]
fn unquoted_names_fold_and_quoted_names_keep_case() {
    let catalog = replay(&[
        "CREATE TABLE Todos (id int); CREATE TABLE \"Todos\" (id int); ALTER TABLE TODOS ENABLE ROW LEVEL SECURITY;",
    ]);
    assert!(table(&catalog, "public", "todos").rls_enabled);
    assert!(!table(&catalog, "public", "Todos").rls_enabled);
}

#[test]
fn search_path_decides_where_unqualified_names_go_within_a_file() {
    let catalog = replay(&[
        "CREATE SCHEMA app; SET search_path TO app, public; CREATE TABLE notes (id int); ALTER TABLE notes ENABLE ROW LEVEL SECURITY;",
        // A new file is a new session: the default path again.
        "CREATE TABLE notes (id int);",
    ]);
    assert!(table(&catalog, "app", "notes").rls_enabled);
    assert!(!table(&catalog, "public", "notes").rls_enabled);
}

#[test]
fn unqualified_lookup_walks_the_path_and_creation_needs_an_existing_schema() {
    let catalog = replay(&[
        "CREATE TABLE public.t (id int); SET search_path TO missing, public; ALTER TABLE t ENABLE ROW LEVEL SECURITY; CREATE TABLE u (id int);",
    ]);
    assert!(table(&catalog, "public", "t").rls_enabled);
    assert!(catalog.table_by_name("public", "u").is_some(), "created in the first existing schema");
    let catalog =
        replay(&["SELECT pg_catalog.set_config('search_path', '', false); CREATE TABLE t (id int);"]);
    assert_eq!(catalog.tables().count(), 0, "no schema selected: PostgreSQL refuses the CREATE");
}

#[test]
fn create_table_if_not_exists_changes_nothing_for_an_existing_table() {
    let catalog = replay(&[
        "CREATE TABLE t (id int); ALTER TABLE t ENABLE ROW LEVEL SECURITY; CREATE TABLE IF NOT EXISTS t (id int, other text);",
    ]);
    let t = table(&catalog, "public", "t");
    assert!(t.rls_enabled);
    assert_eq!(t.columns.len(), 1);
}

#[test]
fn partitions_do_not_inherit_their_parents_rls() {
    let catalog = replay(&[
        "CREATE TABLE m (id int, at date) PARTITION BY RANGE (at); ALTER TABLE m ENABLE ROW LEVEL SECURITY;
         CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    ]);
    let parent = table(&catalog, "public", "m");
    let child = table(&catalog, "public", "m_2024");
    assert_eq!(parent.kind, TableKind::PartitionedTable);
    assert!(parent.rls_enabled);
    assert!(!child.rls_enabled);
    assert_eq!(child.partition_of, Some(parent.id));
}

#[test]
fn drop_table_takes_several_names_and_if_exists() {
    let catalog = replay(&[
        "CREATE TABLE a (); CREATE TABLE b (); CREATE TABLE c (); DROP TABLE IF EXISTS a, public.b, missing;",
    ]);
    assert_eq!(names(&catalog), vec!["public.c"]);
}

#[test]
fn rename_and_set_schema_carry_policies_and_grants() {
    let catalog = replay(&[
        "CREATE SCHEMA private; CREATE TABLE t (id int); CREATE POLICY p ON t USING (true); GRANT SELECT ON t TO authenticated;
         ALTER TABLE t RENAME TO u; ALTER TABLE IF EXISTS ONLY u SET SCHEMA private; ALTER TABLE missing ENABLE ROW LEVEL SECURITY;",
    ]);
    let moved = table(&catalog, "private", "u");
    assert_eq!(moved.policies.len(), 1);
    assert_eq!(moved.acl.get(&authenticated()), Privileges::SELECT);
    assert_eq!(names(&catalog), vec!["private.u"]);
}

#[test]
fn rls_enable_disable_force() {
    let catalog = replay(&[
        "CREATE TABLE t (); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;",
        "ALTER TABLE t DISABLE ROW LEVEL SECURITY;",
    ]);
    let t = table(&catalog, "public", "t");
    assert!(!t.rls_enabled && t.rls_forced);
    assert_eq!(t.rls_origin.map(|span| (span.file, span.line)), Some((FileId(1), 1)));
}

#[test]
fn policies_are_created_altered_renamed_and_dropped() {
    let catalog = replay(&["CREATE TABLE t (user_id uuid);
         CREATE POLICY read ON t FOR SELECT USING (true);
         CREATE POLICY own ON t AS RESTRICTIVE FOR UPDATE TO authenticated USING (user_id = auth.user_id());
         CREATE POLICY gone ON t USING (true);
         ALTER POLICY read ON t RENAME TO read_all;
         ALTER POLICY read_all ON t TO anonymous, authenticated;
         DROP POLICY gone ON t; DROP POLICY IF EXISTS never ON t;"]);
    let t = table(&catalog, "public", "t");
    let summary: Vec<(&str, PolicyCommand, bool, Vec<Grantee>)> =
        t.policies.iter().map(|p| (p.name.as_str(), p.command, p.permissive, p.roles.clone())).collect();
    assert_eq!(
        summary,
        vec![
            (
                "read_all",
                PolicyCommand::Select,
                true,
                vec![Grantee::Role("anonymous".into()), authenticated()]
            ),
            ("own", PolicyCommand::Update, false, vec![authenticated()]),
        ]
    );
}

#[test]
fn policy_without_to_is_for_public() {
    let catalog = replay(&["CREATE TABLE t (); CREATE POLICY p ON t USING (true);"]);
    assert_eq!(table(&catalog, "public", "t").policies[0].roles, vec![Grantee::Public]);
}

#[test]
fn grants_on_table_lists_all_privileges_columns_and_public() {
    let catalog = replay(&["CREATE TABLE a (x int, y int); CREATE TABLE b (x int);
         GRANT SELECT, INSERT ON TABLE a, b TO authenticated;
         GRANT ALL PRIVILEGES ON b TO PUBLIC;
         GRANT UPDATE (x) ON a TO authenticated;
         REVOKE INSERT ON a FROM authenticated;"]);
    let a = table(&catalog, "public", "a");
    let b = table(&catalog, "public", "b");
    assert_eq!(a.acl.get(&authenticated()), Privileges::SELECT);
    assert_eq!(a.column_acl.get(&authenticated()), Privileges::UPDATE);
    assert_eq!(b.acl.get(&Grantee::Public), Privileges::ALL_TABLE);
    // PUBLIC reaches every role.
    assert!(catalog.table_privileges(b, "authenticated").0.contains(Privileges::DML));
}

#[test]
fn revoking_a_table_privilege_revokes_it_on_columns_too() {
    let catalog = replay(&[
        "CREATE TABLE t (x int); GRANT SELECT (x) ON t TO authenticated; REVOKE SELECT ON t FROM authenticated;",
    ]);
    assert!(table(&catalog, "public", "t").column_acl.is_empty());
}

#[test]
fn grant_on_all_tables_touches_only_existing_tables() {
    let catalog = replay(&[
        "CREATE TABLE before (); GRANT SELECT ON ALL TABLES IN SCHEMA public TO authenticated; CREATE TABLE after ();",
    ]);
    assert_eq!(table(&catalog, "public", "before").acl.get(&authenticated()), Privileges::SELECT);
    assert_eq!(table(&catalog, "public", "after").acl.get(&authenticated()), Privileges::NONE);
}

#[test]
fn default_privileges_apply_to_later_tables_of_the_role_they_name() {
    let options = Options { migration_role: Some("neondb_owner".into()), ..Options::default() };
    let catalog = replay_with(
        &options,
        &[
            "CREATE TABLE early ();
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;
             ALTER DEFAULT PRIVILEGES FOR ROLE someone_else GRANT TRUNCATE ON TABLES TO authenticated;
             CREATE TABLE late ();
             SET ROLE other_owner;
             CREATE TABLE by_other ();",
        ],
    );
    assert_eq!(table(&catalog, "public", "early").acl.get(&authenticated()), Privileges::NONE);
    assert_eq!(table(&catalog, "public", "late").acl.get(&authenticated()), Privileges::DML);
    let by_other = table(&catalog, "public", "by_other");
    assert_eq!(by_other.owner.as_deref(), Some("other_owner"));
    assert_eq!(by_other.acl.get(&authenticated()), Privileges::NONE);
    assert_eq!(catalog.migration_role.as_deref(), Some("neondb_owner"));
}

#[test]
fn default_privileges_global_and_per_schema_add_up_and_schema_revoke_cannot_remove_global() {
    let catalog = replay(&["ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO authenticated;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT INSERT ON TABLES TO authenticated;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM authenticated;
         CREATE TABLE t ();"]);
    assert_eq!(
        table(&catalog, "public", "t").acl.get(&authenticated()),
        Privileges::SELECT | Privileges::INSERT
    );
}

#[test]
fn migration_role_without_config_is_the_owner_of_the_last_table() {
    let catalog = replay(&["SET ROLE app_owner; CREATE TABLE t ();", "CREATE TABLE u ();"]);
    assert_eq!(table(&catalog, "public", "t").owner.as_deref(), Some("app_owner"));
    // SET ROLE lasts for its file only.
    assert_eq!(table(&catalog, "public", "u").owner, None);
    assert_eq!(catalog.migration_role, None);
    // A dump hands every table to its owner right after creating it.
    let catalog = replay(&[r#"CREATE TABLE "public"."t" (); ALTER TABLE "public"."t" OWNER TO "postgres";"#]);
    assert_eq!(catalog.migration_role.as_deref(), Some("postgres"));
}

#[test]
fn role_membership_reaches_privileges_and_policies() {
    let catalog = replay(&[
        "CREATE ROLE app_users NOLOGIN; GRANT app_users TO authenticated;
         CREATE ROLE staff IN ROLE app_users;
         CREATE TABLE t (); GRANT SELECT ON t TO app_users; CREATE POLICY p ON t FOR SELECT TO app_users USING (true);",
    ]);
    let t = table(&catalog, "public", "t");
    assert_eq!(catalog.table_privileges(t, "authenticated").0, Privileges::SELECT);
    assert_eq!(catalog.policies_for(t, "authenticated").len(), 1);
    assert!(catalog.memberships.contains(&("staff".into(), "app_users".into())));
    let catalog = replay(&[
        "CREATE ROLE app_users; GRANT app_users TO authenticated; REVOKE app_users FROM authenticated;",
    ]);
    assert!(catalog.memberships.is_empty());
}

#[test]
fn databases_default_to_public_connect_and_temporary() {
    let catalog = replay(&["CREATE DATABASE app; CREATE DATABASE other WITH OWNER = neon_superuser;
         GRANT CREATE ON DATABASE app TO neon_superuser; REVOKE TEMPORARY ON DATABASE app FROM PUBLIC;"]);
    let app = &catalog.databases["app"];
    assert_eq!(catalog.database_privileges(app, "neon_superuser"), Privileges::CONNECT | Privileges::CREATE);
    assert_eq!(
        catalog.database_privileges(&catalog.databases["other"], "neon_superuser"),
        Privileges::ALL_DATABASE
    );
}

#[test]
fn schemas_roles_and_extensions() {
    let catalog =
        replay(&["CREATE SCHEMA IF NOT EXISTS api AUTHORIZATION api_owner; CREATE SCHEMA AUTHORIZATION bob;
         GRANT USAGE ON SCHEMA api TO authenticated; CREATE EXTENSION IF NOT EXISTS pg_session_jwt;
         CREATE TABLE api.t (); ALTER SCHEMA api RENAME TO v1; DROP SCHEMA bob CASCADE;"]);
    assert_eq!(catalog.schemas["v1"].owner.as_deref(), Some("api_owner"));
    assert_eq!(catalog.schemas["v1"].acl.get(&authenticated()), Privileges::USAGE);
    assert!(!catalog.schemas.contains_key("bob"));
    assert_eq!(names(&catalog), vec!["v1.t"]);
    assert_eq!(catalog.extensions["pg_session_jwt"].schema.as_deref(), Some("public"));
}

#[test]
fn assumed_data_api_grants_cover_tables_the_migration_role_creates_in_public() {
    let options = Options {
        assume_data_api_grants: true,
        api_roles: vec!["authenticated".into()],
        ..Options::default()
    };
    let catalog = replay_with(&options, &["CREATE TABLE t (); SET ROLE other; CREATE TABLE u ();"]);
    assert_eq!(table(&catalog, "public", "t").acl.get(&authenticated()), Privileges::DML);
    assert_eq!(table(&catalog, "public", "u").acl.get(&authenticated()), Privileges::NONE);
    assert_eq!(catalog.schemas["public"].acl.get(&authenticated()), Privileges::USAGE);
}

#[test]
fn attach_and_detach_partition() {
    let catalog = replay(&["CREATE TABLE m (id int) PARTITION BY LIST (id); CREATE TABLE p (id int);
         ALTER TABLE m ATTACH PARTITION p FOR VALUES IN (1);"]);
    assert_eq!(table(&catalog, "public", "p").partition_of, catalog.table_id("public", "m"));
    let catalog = replay(&[
        "CREATE TABLE m (id int) PARTITION BY LIST (id); CREATE TABLE p PARTITION OF m FOR VALUES IN (1);
         ALTER TABLE m DETACH PARTITION p;",
    ]);
    assert_eq!(table(&catalog, "public", "p").partition_of, None);
}

#[test]
fn touches_name_objects_by_their_final_names() {
    let mut replay = Replay::new(&Options::default());
    for (index, source) in [
        "CREATE TABLE t (); CREATE TABLE gone (); CREATE DATABASE app;",
        "ALTER TABLE t RENAME TO u; DROP TABLE gone; GRANT CONNECT ON DATABASE app TO x; \
         ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO authenticated;",
    ]
    .iter()
    .enumerate()
    {
        replay.file(FileId(index as u32), &parse_file(source).statements);
    }
    let (_, touches) = replay.finish_with_touches();
    let summary: Vec<(u32, Touched)> =
        touches.into_iter().map(|touch| (touch.file.0, touch.object)).collect();
    let u = Touched::Table { schema: "public".into(), name: "u".into() };
    assert_eq!(
        summary,
        vec![
            (0, u.clone()),
            (0, Touched::Database("app".into())),
            (1, u),
            (1, Touched::Database("app".into())),
            (1, Touched::Schema(None)),
        ]
    );
}

mod objects;

#[test]
fn a_long_policy_name_is_dropped_by_its_63_byte_form() {
    // PostgreSQL 15 keeps the first 63 bytes of both names: the DROP finds the policy.
    let long = "a_policy_name_that_is_longer_than_sixty_three_bytes_and_is_cut_p";
    let catalog = replay(&[&format!(
        "CREATE TABLE public.t (id int); CREATE POLICY \"{long}\" ON public.t USING (true);
         DROP POLICY \"{}\" ON public.t;",
        &long[..63]
    )]);
    assert!(table(&catalog, "public", "t").policies.is_empty());
}

#[test]
fn create_table_statements_the_server_refuses_create_nothing() {
    // Each fails on PostgreSQL 15: a syntax error, 42P16 (two primary keys), 42701
    // (duplicate column).
    let catalog = replay(&["CREATE TABLE public.broken (id int,, name text);
         CREATE TABLE public.keys (id int PRIMARY KEY, k int PRIMARY KEY);
         CREATE TABLE public.keys2 (id int, PRIMARY KEY (id), PRIMARY KEY (id));
         CREATE TABLE public.dup (id int, id text);
         CREATE TABLE public.fine (id int PRIMARY KEY, k int UNIQUE);"]);
    assert_eq!(names(&catalog), vec!["public.fine".to_string()]);
    // The syntax error is an NL000 problem, not a silent skip.
    let parsed = parse_file("CREATE TABLE public.broken (id int,, name text);");
    assert_eq!(parsed.problems.len(), 1, "{:?}", parsed.problems);
    assert!(parsed.statements.is_empty());
}

#[test]
fn a_schema_created_later_or_dropped_does_not_exist_until_created() {
    let mut replay = Replay::new(&Options::default());
    let statements = parse_file(
        "CREATE TABLE app.early (id int); CREATE SCHEMA app; CREATE TABLE app.t (id int);
         DROP SCHEMA app CASCADE; CREATE TABLE app.late (id int); CREATE TABLE auth.outside (id int);",
    )
    .statements;
    replay.look_ahead([statements.as_slice()]);
    replay.file(FileId(0), &statements);
    let catalog = replay.finish();
    // `auth` comes from outside the migrations: it is assumed to exist.
    assert_eq!(names(&catalog), vec!["auth.outside".to_string()]);
}

#[test]
fn postgres_14_lets_public_create_in_public_and_has_no_security_invoker() {
    let sql = "CREATE TABLE public.t (id int);
               CREATE VIEW public.a WITH (security_invoker = true) AS SELECT id FROM public.t;
               CREATE VIEW public.b AS SELECT id FROM public.t;
               ALTER VIEW public.b SET (security_invoker = true);
               CREATE VIEW public.c AS SELECT id FROM public.t;
               ALTER VIEW public.c RESET (security_invoker);";
    let on_14 = replay_with(&Options { postgres_major: Some(14), ..Options::default() }, &[sql]);
    let public = &on_14.schemas["public"];
    assert_eq!(public.acl.get(&Grantee::Public), Privileges::USAGE | Privileges::CREATE);
    assert!(
        on_14.table_by_name("public", "a").is_none(),
        "CREATE VIEW … WITH (security_invoker) fails on 14"
    );
    assert!(!table(&on_14, "public", "b").security_invoker, "ALTER VIEW … SET fails on 14");
    assert!(on_14.table_by_name("public", "c").is_some(), "RESET is accepted on 14");
    let on_15 = replay(&[sql]);
    assert_eq!(on_15.schemas["public"].acl.get(&Grantee::Public), Privileges::USAGE);
    assert!(table(&on_15, "public", "a").security_invoker && table(&on_15, "public", "b").security_invoker);
}
