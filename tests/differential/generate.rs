//! Random migration histories from a small grammar of what matters to neonlint: schemas,
//! tables (plain, partitioned, partitions, quoted and over-long names), RLS switches,
//! policies, grants and revokes on every object kind, default privileges, roles and
//! membership, `SET ROLE`, `search_path`, renames, drops, views, functions, sequences,
//! databases, and statements PostgreSQL rejects.
//!
//! The generator is seeded and deterministic: the same seed gives the same history, so a
//! failure printed with its seed can be run again. Names come from small pools, so
//! statements often meet the objects earlier ones made (and sometimes do not, which the
//! server then rejects: replay must reject them too).

/// SplitMix64: small, fast, and good enough to pick grammar branches.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The names one history draws from. Roles and databases are cluster-wide, so theirs
/// carry the history's own prefix.
pub struct Names {
    pub roles: Vec<String>,
    pub databases: Vec<String>,
}

impl Names {
    pub fn new(prefix: &str) -> Names {
        Names {
            roles: vec![format!("{prefix}r1"), format!("{prefix}r2"), format!("{prefix}r3")],
            databases: vec![format!("{prefix}db")],
        }
    }
}

/// A 70-byte table name and a 67-byte policy name: PostgreSQL keeps their first 63 bytes.
const LONG_TABLE: &str = "\"a_table_name_that_is_longer_than_sixty_three_bytes_so_it_gets_cut_xx\"";
const LONG_POLICY: &str = "\"a_policy_name_that_is_longer_than_sixty_three_bytes_and_is_cut_p\"";
/// 40 two-byte characters (80 bytes): cut to 31 characters (62 bytes), not inside one.
const LONG_SCHEMA: &str = "\"éééééééééééééééééééééééééééééééééééééééé\"";

const SCHEMAS: &[&str] = &["public", "app", "\"Mixed Case\"", LONG_SCHEMA];
const TABLES: &[&str] = &["t1", "t2", "\"Quoted T\"", LONG_TABLE, "pt", "pt_a"];
const COLUMNS: &[&str] = &["id", "owner_id", "body"];
const POLICIES: &[&str] = &["p1", "p2", LONG_POLICY];
const VIEWS: &[&str] = &["v1", "v2"];
const SEQUENCES: &[&str] = &["s1", "t1_id_seq"];
const FUNCTIONS: &[(&str, &str)] = &[("f", ""), ("f", "int"), ("g", "text")];
const EXPRESSIONS: &[&str] = &[
    "true",
    "false",
    "owner_id = auth.user_id()",
    "owner_id = (select auth.user_id())",
    "auth.user_id() IS NULL OR owner_id = auth.user_id()",
    "1 = 1",
];
const COMMANDS: &[&str] = &["", "FOR ALL ", "FOR SELECT ", "FOR INSERT ", "FOR UPDATE ", "FOR DELETE "];
const TABLE_PRIVILEGES: &[&str] =
    &["SELECT", "INSERT", "UPDATE", "DELETE", "SELECT, INSERT", "ALL", "ALL PRIVILEGES", "TRUNCATE"];

/// One history: statements in order, each run on its own.
pub fn history(rng: &mut Rng, names: &Names, length: usize) -> Vec<String> {
    let mut generator = Generator { rng, names };
    // The history's roles exist before its migrations, as roles usually do; some are
    // dropped and created again later.
    let mut statements: Vec<String> = names
        .roles
        .iter()
        .map(|role| {
            let inherit = if generator.rng.chance(25) { " NOINHERIT" } else { "" };
            format!("CREATE ROLE {role}{inherit};")
        })
        .collect();
    statements.extend((0..length).map(|_| generator.statement()));
    statements
}

struct Generator<'a> {
    rng: &'a mut Rng,
    names: &'a Names,
}

impl Generator<'_> {
    fn statement(&mut self) -> String {
        // Creation is frequent, so later statements find something to act on.
        match self.rng.below(100) {
            0..=7 => self.create_schema(),
            8..=21 => self.create_table(),
            22..=27 => self.rls(),
            28..=37 => self.create_policy(),
            38..=40 => self.alter_policy(),
            41..=43 => self.drop_policy(),
            44..=53 => self.table_grant(),
            54..=56 => self.schema_grant(),
            57..=58 => self.sequence_statement(),
            59..=61 => self.function_statement(),
            62..=65 => self.default_privileges(),
            66..=70 => self.role_statement(),
            71..=73 => self.session_statement(),
            74..=79 => self.alter_table(),
            80..=83 => self.drop_statement(),
            84..=87 => self.view_statement(),
            88..=88 => self.database_statement(),
            89..=91 => self.index_statement(),
            _ => self.rejected(),
        }
    }

    fn schema(&mut self) -> String {
        self.rng.pick(SCHEMAS).to_string()
    }

    /// A table name, qualified or (a third of the time) not.
    fn table(&mut self) -> String {
        let table = self.rng.pick(TABLES).to_string();
        if self.rng.chance(33) { table } else { format!("{}.{table}", self.schema()) }
    }

    fn role(&mut self) -> String {
        self.rng.pick(&self.names.roles).clone()
    }

    /// A grantee: a history role, an API role or PUBLIC.
    fn grantee(&mut self) -> String {
        match self.rng.below(6) {
            0 | 1 => self.role(),
            2 => "authenticated".to_string(),
            3 => "anonymous".to_string(),
            4 => "PUBLIC".to_string(),
            _ => "CURRENT_USER".to_string(),
        }
    }

    fn grantees(&mut self) -> String {
        let mut list = vec![self.grantee()];
        if self.rng.chance(25) {
            list.push(self.grantee());
        }
        list.join(", ")
    }

    fn column(&mut self) -> &'static str {
        *self.rng.pick(COLUMNS)
    }

    fn create_schema(&mut self) -> String {
        let schema = self.schema();
        match self.rng.below(4) {
            0 => format!("CREATE SCHEMA {schema} AUTHORIZATION {};", self.role()),
            1 => format!("CREATE SCHEMA IF NOT EXISTS {schema};"),
            _ => format!("CREATE SCHEMA {schema};"),
        }
    }

    fn id_column(&mut self) -> &'static str {
        *self.rng.pick(&[
            "id serial",
            "id int",
            "id bigint GENERATED ALWAYS AS IDENTITY",
            "id int GENERATED BY DEFAULT AS IDENTITY",
            "id bigserial PRIMARY KEY",
            "id int PRIMARY KEY",
            "id int DEFAULT nextval('s1')",
        ])
    }

    fn create_table(&mut self) -> String {
        let id = self.id_column();
        // Policies name `owner_id`: replay does not check the columns an expression names.
        let owner = ", owner_id text";
        match self.rng.below(10) {
            // No primary key: on a partitioned table it must include the partition key,
            // which replay does not check.
            0 => format!(
                "CREATE TABLE {}.pt ({}, owner_id text, body text) PARTITION BY LIST (owner_id);",
                self.schema(),
                self.rng.pick(&["id int", "id serial", "id int GENERATED ALWAYS AS IDENTITY"])
            ),
            1 => {
                let schema = self.schema();
                let parent = if self.rng.chance(50) { schema.clone() } else { self.schema() };
                format!("CREATE TABLE {schema}.pt_a PARTITION OF {parent}.pt FOR VALUES IN ('a');")
            }
            2 => format!("CREATE TABLE IF NOT EXISTS {} ({id}{owner}, body text);", self.table()),
            _ => format!("CREATE TABLE {} ({id}{owner}, body text);", self.table()),
        }
    }

    fn rls(&mut self) -> String {
        let action = self.rng.pick(&[
            "ENABLE ROW LEVEL SECURITY",
            "ENABLE ROW LEVEL SECURITY",
            "DISABLE ROW LEVEL SECURITY",
            "FORCE ROW LEVEL SECURITY",
            "NO FORCE ROW LEVEL SECURITY",
        ]);
        format!("ALTER TABLE {} {action};", self.table())
    }

    fn policy_roles(&mut self) -> String {
        if self.rng.chance(30) { String::new() } else { format!("TO {} ", self.grantees()) }
    }

    fn create_policy(&mut self) -> String {
        let name = self.rng.pick(POLICIES);
        let table = self.table();
        let kind = self.rng.pick(&["", "AS PERMISSIVE ", "AS RESTRICTIVE "]);
        let command = self.rng.pick(COMMANDS);
        let roles = self.policy_roles();
        let using = self.rng.pick(EXPRESSIONS);
        let check = self.rng.pick(EXPRESSIONS);
        let clauses = match self.rng.below(4) {
            0 => format!("USING ({using})"),
            1 => format!("WITH CHECK ({check})"),
            2 => format!("USING ({using}) WITH CHECK ({check})"),
            _ => String::new(),
        };
        format!("CREATE POLICY {name} ON {table} {kind}{command}{roles}{clauses};")
    }

    fn alter_policy(&mut self) -> String {
        let name = self.rng.pick(POLICIES);
        let table = self.table();
        match self.rng.below(3) {
            0 => format!("ALTER POLICY {name} ON {table} RENAME TO {};", self.rng.pick(POLICIES)),
            1 => format!("ALTER POLICY {name} ON {table} TO {};", self.grantees()),
            _ => format!("ALTER POLICY {name} ON {table} USING ({});", self.rng.pick(EXPRESSIONS)),
        }
    }

    fn drop_policy(&mut self) -> String {
        let name = self.rng.pick(POLICIES);
        let if_exists = if self.rng.chance(50) { "IF EXISTS " } else { "" };
        format!("DROP POLICY {if_exists}{name} ON {};", self.table())
    }

    fn grant_or_revoke(&mut self, privileges: &str, object: &str) -> String {
        let grantees = self.grantees();
        if self.rng.chance(70) {
            format!("GRANT {privileges} ON {object} TO {grantees};")
        } else {
            format!("REVOKE {privileges} ON {object} FROM {grantees};")
        }
    }

    fn table_grant(&mut self) -> String {
        let privileges = self.rng.pick(TABLE_PRIVILEGES).to_string();
        match self.rng.below(6) {
            0 => {
                let schema = self.schema();
                self.grant_or_revoke(&privileges, &format!("ALL TABLES IN SCHEMA {schema}"))
            }
            1 => {
                let column = self.column();
                let privilege = self.rng.pick(&["SELECT", "UPDATE", "INSERT"]);
                let table = self.table();
                self.grant_or_revoke(&format!("{privilege} ({column})"), &format!("TABLE {table}"))
            }
            2 => {
                let tables = format!("{}, {}", self.table(), self.table());
                self.grant_or_revoke(&privileges, &tables)
            }
            3 => {
                let view = self.rng.pick(VIEWS);
                self.grant_or_revoke(&privileges, &format!("public.{view}"))
            }
            _ => {
                let table = self.table();
                self.grant_or_revoke(&privileges, &format!("TABLE {table}"))
            }
        }
    }

    fn schema_grant(&mut self) -> String {
        let privileges = self.rng.pick(&["USAGE", "CREATE", "ALL", "USAGE, CREATE"]).to_string();
        let schema = self.schema();
        self.grant_or_revoke(&privileges, &format!("SCHEMA {schema}"))
    }

    fn sequence_statement(&mut self) -> String {
        let sequence = format!("{}.{}", self.schema(), self.rng.pick(SEQUENCES));
        match self.rng.below(6) {
            0 => format!("CREATE SEQUENCE {sequence};"),
            1 => format!("DROP SEQUENCE {sequence};"),
            2 => format!("ALTER SEQUENCE {sequence} OWNED BY {}.id;", self.table()),
            3 => {
                let schema = self.schema();
                let privileges = self.rng.pick(&["USAGE", "SELECT", "ALL"]).to_string();
                self.grant_or_revoke(&privileges, &format!("ALL SEQUENCES IN SCHEMA {schema}"))
            }
            _ => {
                let privileges = self.rng.pick(&["USAGE", "SELECT", "USAGE, SELECT", "ALL"]).to_string();
                self.grant_or_revoke(&privileges, &format!("SEQUENCE {sequence}"))
            }
        }
    }

    fn function(&mut self) -> String {
        let (name, args) = self.rng.pick(FUNCTIONS);
        format!("{}.{name}({args})", self.schema())
    }

    fn function_statement(&mut self) -> String {
        let function = self.function();
        match self.rng.below(7) {
            0 | 1 => {
                let replace = if self.rng.chance(40) { "OR REPLACE " } else { "" };
                let definer = if self.rng.chance(50) { "SECURITY DEFINER " } else { "" };
                let path = if self.rng.chance(40) { "SET search_path = '' " } else { "" };
                format!(
                    "CREATE {replace}FUNCTION {function} RETURNS int LANGUAGE sql {definer}{path}AS $$ SELECT 1 $$;"
                )
            }
            2 => format!("ALTER FUNCTION {function} SECURITY DEFINER;"),
            3 => format!("ALTER FUNCTION {function} OWNER TO {};", self.role()),
            4 => format!("DROP FUNCTION {function};"),
            5 => {
                let schema = self.schema();
                self.grant_or_revoke("EXECUTE", &format!("ALL FUNCTIONS IN SCHEMA {schema}"))
            }
            _ => self.grant_or_revoke("EXECUTE", &format!("FUNCTION {function}")),
        }
    }

    fn default_privileges(&mut self) -> String {
        let for_role = if self.rng.chance(40) { format!("FOR ROLE {} ", self.role()) } else { String::new() };
        let in_schema =
            if self.rng.chance(50) { format!("IN SCHEMA {} ", self.schema()) } else { String::new() };
        let (privileges, objects) = *self.rng.pick(&[
            ("SELECT", "TABLES"),
            ("ALL", "TABLES"),
            ("SELECT, INSERT, UPDATE, DELETE", "TABLES"),
            ("USAGE", "SEQUENCES"),
            ("EXECUTE", "FUNCTIONS"),
        ]);
        let grantees = self.grantees();
        if self.rng.chance(65) {
            format!(
                "ALTER DEFAULT PRIVILEGES {for_role}{in_schema}GRANT {privileges} ON {objects} TO {grantees};"
            )
        } else {
            format!(
                "ALTER DEFAULT PRIVILEGES {for_role}{in_schema}REVOKE {privileges} ON {objects} FROM {grantees};"
            )
        }
    }

    fn role_statement(&mut self) -> String {
        let role = self.role();
        match self.rng.below(6) {
            0 | 1 => {
                let inherit = self.rng.pick(&["", " NOINHERIT", " INHERIT"]);
                let in_role = if self.rng.chance(30) { " IN ROLE authenticated" } else { "" };
                format!("CREATE ROLE {role}{inherit}{in_role};")
            }
            2 => format!("GRANT {role} TO {};", self.rng.pick(&["authenticated", "anonymous"])),
            3 => {
                let other = self.role();
                format!("GRANT {} TO {other};", self.rng.pick(&[role.as_str(), "authenticated"]))
            }
            4 => format!("REVOKE {role} FROM {};", self.rng.pick(&["authenticated", "anonymous"])),
            _ => format!("DROP ROLE {role};"),
        }
    }

    fn session_statement(&mut self) -> String {
        match self.rng.below(5) {
            0 => format!("SET ROLE {};", self.role()),
            1 => "RESET ROLE;".to_string(),
            2 => format!("SET search_path TO {}, public;", self.schema()),
            3 => format!("SET search_path TO {};", self.schema()),
            _ => "RESET search_path;".to_string(),
        }
    }

    fn alter_table(&mut self) -> String {
        let table = self.table();
        match self.rng.below(7) {
            0 => format!("ALTER TABLE {table} RENAME TO {};", self.rng.pick(TABLES)),
            1 => format!("ALTER TABLE {table} SET SCHEMA {};", self.schema()),
            2 => format!("ALTER TABLE {table} OWNER TO {};", self.grantee()),
            3 => format!("ALTER TABLE {table} RENAME COLUMN {} TO {};", self.column(), self.column()),
            4 => format!("ALTER TABLE {table} ADD COLUMN {} text;", self.column()),
            5 => format!("ALTER TABLE {table} DROP COLUMN {};", self.column()),
            // `ADD PRIMARY KEY` on a table that has one fails, and replay does not know
            // which of a table's indexes is its primary key: unique constraints only.
            _ => format!("ALTER TABLE {table} ADD UNIQUE ({});", self.column()),
        }
    }

    fn drop_statement(&mut self) -> String {
        let cascade = if self.rng.chance(40) { " CASCADE" } else { "" };
        match self.rng.below(5) {
            0 => format!("DROP SCHEMA {}{cascade};", self.schema()),
            1 => format!("DROP TABLE {}, {}{cascade};", self.table(), self.table()),
            2 => format!("DROP TABLE IF EXISTS {}{cascade};", self.table()),
            _ => format!("DROP TABLE {}{cascade};", self.table()),
        }
    }

    fn view_statement(&mut self) -> String {
        let view = format!("{}.{}", self.schema(), self.rng.pick(VIEWS));
        match self.rng.below(5) {
            0 | 1 => {
                let replace = if self.rng.chance(40) { "OR REPLACE " } else { "" };
                let options = self.rng.pick(&[
                    "",
                    " WITH (security_invoker = true)",
                    " WITH (security_invoker = false)",
                    " WITH (security_invoker)",
                ]);
                let query = if self.rng.chance(50) {
                    "SELECT 1 AS one".to_string()
                } else {
                    format!("SELECT * FROM {}", self.table())
                };
                format!("CREATE {replace}VIEW {view}{options} AS {query};")
            }
            2 => format!("ALTER VIEW {view} SET (security_invoker = {});", self.rng.pick(&["true", "false"])),
            3 => format!("DROP VIEW {view};"),
            _ => format!("CREATE MATERIALIZED VIEW {view} AS SELECT 1 AS one;"),
        }
    }

    fn database_statement(&mut self) -> String {
        let database = self.rng.pick(&self.names.databases).clone();
        match self.rng.below(4) {
            0 => format!("CREATE DATABASE {database} OWNER {};", self.role()),
            1 => format!("CREATE DATABASE {database};"),
            2 => {
                let privileges = self.rng.pick(&["CONNECT", "ALL", "CREATE, TEMPORARY"]).to_string();
                self.grant_or_revoke(&privileges, &format!("DATABASE {database}"))
            }
            _ => format!("DROP DATABASE {database};"),
        }
    }

    fn index_statement(&mut self) -> String {
        let table = self.table();
        match self.rng.below(3) {
            0 => format!("CREATE INDEX i1 ON {table} ({});", self.column()),
            1 => format!("CREATE INDEX ON {table} ({});", self.column()),
            _ => "DROP INDEX i1;".to_string(),
        }
    }

    /// Statements the server refuses: bad syntax, duplicate columns, two primary keys.
    fn rejected(&mut self) -> String {
        let table = self.table();
        match self.rng.below(6) {
            0 => format!("CREATE TABLE {table} (id int,, name text);"),
            1 => format!("CREATE TABLE {table} (id int, id text);"),
            2 => format!("CREATE TABLE {table} (id int PRIMARY KEY, k int PRIMARY KEY);"),
            3 => format!("CREATE TABLE {table} (id int, PRIMARY KEY (id), PRIMARY KEY (id));"),
            4 => format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY FOO;"),
            _ => format!("CREATE POLICY p1 ON {table} FOR SELECT USING (true) WITH CHECK (true);"),
        }
    }
}
