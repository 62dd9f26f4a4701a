//! The rules: one file each, one registry (`RULES`), one `Finding` type.
//!
//! A rule reads the `Catalog` and the `Settings` and returns findings; it does no I/O and
//! cannot tell replayed migrations from a live database. The registry below is the only
//! place a rule is listed: code, name, default level, where it runs, its page and its
//! check function.

mod anonymous_access;
mod auth_call_per_row;
pub mod corrective;
mod database_missing_neon_superuser;
mod missing_default_privileges;
mod missing_schema_usage;
mod missing_sequence_grants;
mod missing_table_grants;
mod multiple_permissive_policies;
mod policy_always_true;
mod policy_column_unindexed;
mod policy_for_public;
mod policy_reads_unset_setting;
mod policy_rls_disabled;
mod rls_disabled;
mod rls_enabled_late;
mod rls_no_policy;
mod schema_cache_reminder;
mod security_definer_exposed;
mod unknown_auth_function;
mod unknown_role;
pub mod usable;
mod view_bypasses_rls;

use std::fmt;

use serde::Serialize;

use crate::model::{Catalog, Privileges, Span, Table, TableKind};
use crate::text::edit_distance;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a rule can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sources {
    /// Reported while reading migration files, not by a check on the catalog.
    Pipeline,
    /// Reported by the suppressions of either mode, not by a check on the catalog.
    Suppressions,
    Both,
    /// Reads the order of the migration files, which a live database does not keep.
    Static,
    /// Reported by `neonlint jwt` about a token, not by a check on a catalog.
    Token,
}

impl Sources {
    /// The modes a rule runs in, for `neonlint rules` and the README.
    pub fn modes(self) -> &'static str {
        match self {
            Sources::Pipeline | Sources::Static => "check",
            Sources::Token => "jwt",
            Sources::Both | Sources::Suppressions => "check, db",
        }
    }
}

type Check = fn(&Catalog, &Settings) -> Vec<Finding>;

pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub level: Severity,
    /// One line for `neonlint rules`.
    pub summary: &'static str,
    pub sources: Sources,
    pub fixable: bool,
    /// The Markdown page in `rules/`, embedded at build time.
    pub page: &'static str,
    check: Option<Check>,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.code == other.code
    }
}

pub static RULES: &[Rule] = &[
    Rule {
        code: "NL000",
        name: "parse-error",
        level: Severity::Error,
        summary: "A statement could not be read; what it does to tables, grants and policies is not seen",
        sources: Sources::Pipeline,
        fixable: false,
        page: include_str!("../../rules/NL000-parse-error.md"),
        check: None,
    },
    Rule {
        code: "NL001",
        name: "rls-disabled",
        level: Severity::Error,
        summary: "A table in an exposed schema has row-level security off: API users see every row",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL001-rls-disabled.md"),
        check: Some(rls_disabled::check),
    },
    Rule {
        code: "NL002",
        name: "rls-no-policy",
        level: Severity::Warning,
        summary: "Row-level security is on but no policy exists: the API returns no rows",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL002-rls-no-policy.md"),
        check: Some(rls_no_policy::check),
    },
    Rule {
        code: "NL003",
        name: "missing-table-grants",
        level: Severity::Error,
        summary: "An API role lacks a table privilege its policies need: \"permission denied for table\"",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL003-missing-table-grants.md"),
        check: Some(missing_table_grants::check),
    },
    Rule {
        code: "NL004",
        name: "missing-default-privileges",
        level: Severity::Warning,
        summary: "Tables the migration role creates next get no privileges for the API roles",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL004-missing-default-privileges.md"),
        check: Some(missing_default_privileges::check),
    },
    Rule {
        code: "NL005",
        name: "database-missing-neon-superuser",
        level: Severity::Error,
        summary: "`neon_superuser` lacks ALL on a database: the Data API cannot install pg_session_jwt",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL005-database-missing-neon-superuser.md"),
        check: Some(database_missing_neon_superuser::check),
    },
    Rule {
        code: "NL006",
        name: "policy-rls-disabled",
        level: Severity::Error,
        summary: "A table has policies but row-level security is off, so they do nothing",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL006-policy-rls-disabled.md"),
        check: Some(policy_rls_disabled::check),
    },
    Rule {
        code: "NL007",
        name: "missing-schema-usage",
        level: Severity::Error,
        summary: "An API role lacks USAGE on an exposed schema: every request into it fails",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL007-missing-schema-usage.md"),
        check: Some(missing_schema_usage::check),
    },
    Rule {
        code: "NL008",
        name: "missing-sequence-grants",
        level: Severity::Error,
        summary: "An API role that inserts lacks USAGE on the sequence a column's default draws from",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL008-missing-sequence-grants.md"),
        check: Some(missing_sequence_grants::check),
    },
    Rule {
        code: "NL009",
        name: "policy-for-public",
        level: Severity::Warning,
        summary: "A permissive policy without `TO` that ignores who asks would serve the anonymous role on its first grant",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL009-policy-for-public.md"),
        check: Some(policy_for_public::check),
    },
    Rule {
        code: "NL010",
        name: "policy-always-true",
        level: Severity::Warning,
        summary: "A write policy whose USING or WITH CHECK is always true: any row can be written",
        sources: Sources::Both,
        fixable: false,
        page: include_str!("../../rules/NL010-policy-always-true.md"),
        check: Some(policy_always_true::check),
    },
    Rule {
        code: "NL011",
        name: "view-bypasses-rls",
        level: Severity::Error,
        summary: "A readable view without `security_invoker`, or a readable materialized view, skips row-level security",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL011-view-bypasses-rls.md"),
        check: Some(view_bypasses_rls::check),
    },
    Rule {
        code: "NL012",
        name: "security-definer-exposed",
        level: Severity::Warning,
        summary: "A SECURITY DEFINER function the request roles can call (an error without `SET search_path`)",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL012-security-definer-exposed.md"),
        check: Some(security_definer_exposed::check),
    },
    Rule {
        code: "NL013",
        name: "auth-call-per-row",
        level: Severity::Warning,
        summary: "A policy calls `auth.user_id()` (or the like) once per row instead of once per statement",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL013-auth-call-per-row.md"),
        check: Some(auth_call_per_row::check),
    },
    Rule {
        code: "NL014",
        name: "policy-column-unindexed",
        level: Severity::Info,
        summary: "The column a policy compares with the caller's id has no index",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL014-policy-column-unindexed.md"),
        check: Some(policy_column_unindexed::check),
    },
    Rule {
        code: "NL015",
        name: "anonymous-access",
        level: Severity::Error,
        summary: "Requests without a token can write to a table, or read one without row-level security",
        sources: Sources::Both,
        fixable: true,
        page: include_str!("../../rules/NL015-anonymous-access.md"),
        check: Some(anonymous_access::check),
    },
    Rule {
        code: "NL016",
        name: "rls-enabled-late",
        level: Severity::Warning,
        summary: "Row-level security arrives in a later migration than the table: every row is readable in between",
        sources: Sources::Static,
        fixable: false,
        page: include_str!("../../rules/NL016-rls-enabled-late.md"),
        check: Some(rls_enabled_late::check),
    },
    Rule {
        code: "NL017",
        name: "schema-cache-reminder",
        level: Severity::Info,
        summary: "A migration changes what the Data API serves: refresh its schema cache",
        sources: Sources::Static,
        fixable: false,
        page: include_str!("../../rules/NL017-schema-cache-reminder.md"),
        check: Some(schema_cache_reminder::check),
    },
    Rule {
        code: "NL018",
        name: "multiple-permissive-policies",
        level: Severity::Info,
        summary: "Several permissive policies for one table, role and command: each is evaluated for every row",
        sources: Sources::Both,
        fixable: false,
        page: include_str!("../../rules/NL018-multiple-permissive-policies.md"),
        check: Some(multiple_permissive_policies::check),
    },
    Rule {
        code: "NL020",
        name: "unknown-auth-function",
        level: Severity::Error,
        summary: "A policy or function calls an `auth.*` function Neon does not have (`auth.role()`, `auth.email()`)",
        sources: Sources::Both,
        fixable: false,
        page: include_str!("../../rules/NL020-unknown-auth-function.md"),
        check: Some(unknown_auth_function::check),
    },
    Rule {
        code: "NL021",
        name: "unknown-role",
        level: Severity::Error,
        summary: "A migration names a Supabase role (`anon`, `service_role`) that Neon does not have: it fails there",
        sources: Sources::Static,
        fixable: false,
        page: include_str!("../../rules/NL021-unknown-role.md"),
        check: Some(unknown_role::check),
    },
    Rule {
        code: "NL028",
        name: "policy-reads-unset-setting",
        level: Severity::Error,
        summary: "A policy for API requests reads a custom setting (`app.tenant_id`) the Data API never sets",
        sources: Sources::Both,
        fixable: false,
        page: include_str!("../../rules/NL028-policy-reads-unset-setting.md"),
        check: Some(policy_reads_unset_setting::check),
    },
    Rule {
        code: "NL100",
        name: "jwt-malformed",
        level: Severity::Error,
        summary: "The token is not a JWT the Data API can read: not three base64url parts, not JSON, or `alg: none`",
        sources: Sources::Token,
        fixable: false,
        page: include_str!("../../rules/NL100-jwt-malformed.md"),
        check: None,
    },
    Rule {
        code: "NL101",
        name: "jwt-expired",
        level: Severity::Error,
        summary: "The token's `exp` is past: the Data API answers \"JWT token has expired\"",
        sources: Sources::Token,
        fixable: false,
        page: include_str!("../../rules/NL101-jwt-expired.md"),
        check: None,
    },
    Rule {
        code: "NL102",
        name: "jwt-not-yet-valid",
        level: Severity::Error,
        summary: "The token's `nbf` or `iat` is in the future: usually a wrong clock",
        sources: Sources::Token,
        fixable: false,
        page: include_str!("../../rules/NL102-jwt-not-yet-valid.md"),
        check: None,
    },
    Rule {
        code: "NL103",
        name: "jwt-missing-sub",
        level: Severity::Error,
        summary: "The token has no `sub`: \"JWT token missing sub claim\", and `auth.user_id()` is NULL",
        sources: Sources::Token,
        fixable: false,
        page: include_str!("../../rules/NL103-jwt-missing-sub.md"),
        check: None,
    },
    Rule {
        code: "NL104",
        name: "jwt-audience-mismatch",
        level: Severity::Error,
        summary: "The token's `aud` is not the audience configured for the Data API: \"JWT Audience validation failed\"",
        sources: Sources::Token,
        fixable: false,
        page: include_str!("../../rules/NL104-jwt-audience-mismatch.md"),
        check: None,
    },
    Rule {
        code: "NL106",
        name: "jwt-issuer-mismatch",
        level: Severity::Warning,
        summary: "The token's `iss` is not the expected issuer",
        sources: Sources::Token,
        fixable: false,
        page: include_str!("../../rules/NL106-jwt-issuer-mismatch.md"),
        check: None,
    },
    Rule {
        code: "NL900",
        name: "unused-ignore",
        level: Severity::Warning,
        summary: "A `neonlint-ignore` comment or `[[ignore]]` entry that matched no finding",
        sources: Sources::Suppressions,
        fixable: false,
        page: include_str!("../../rules/NL900-unused-ignore.md"),
        check: None,
    },
];

/// The rule with this code or name (`NL001`, `nl001`, `rls-disabled`).
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    let wanted = code_or_name.trim();
    RULES.iter().find(|rule| rule.code.eq_ignore_ascii_case(wanted) || rule.name.eq_ignore_ascii_case(wanted))
}

/// The registered code or name closest to a misspelt one, for "did you mean".
pub fn suggest(unknown: &str) -> Option<&'static str> {
    let unknown = unknown.to_ascii_lowercase();
    RULES
        .iter()
        .flat_map(|rule| [rule.code, rule.name])
        .map(|candidate| (edit_distance(&unknown, &candidate.to_ascii_lowercase()), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

pub fn rule(code: &str) -> &'static Rule {
    find(code).unwrap_or_else(|| panic!("rule {code} is not in the registry"))
}

/// What the rules need to know about the deployment.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Schemas the Data API serves.
    pub exposed_schemas: Vec<String>,
    /// Roles requests run as.
    pub api_roles: Vec<String>,
    /// The role requests without a token run as.
    pub anonymous_role: String,
    /// The Console granted public schema access before the first migration.
    pub assume_data_api_grants: bool,
    /// Mention that grants made in the Neon Console are invisible here (true when the
    /// facts come from migration files, which cannot show them).
    pub explain_console_grants: bool,
    /// Custom settings requests have besides those the Data API sets (`request_settings`
    /// of neonlint.toml, lower-cased).
    pub request_settings: Vec<String>,
    /// Roles the database has that no migration creates (`known_roles` of neonlint.toml).
    pub known_roles: Vec<String>,
    /// Check only these tables, views and their policies (changed-files mode: the relations
    /// the chosen files touch, the only ones whose findings it can report); `None`: all.
    /// Rules about schemas, databases, functions and files always run whole.
    pub focus: Option<std::sync::Arc<std::collections::HashSet<crate::model::TableId>>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            exposed_schemas: vec!["public".to_string()],
            api_roles: vec!["authenticated".to_string()],
            anonymous_role: "anonymous".to_string(),
            assume_data_api_grants: false,
            explain_console_grants: true,
            request_settings: Vec::new(),
            known_roles: Vec::new(),
            focus: None,
        }
    }
}

impl Settings {
    pub fn is_exposed(&self, schema: &str) -> bool {
        self.exposed_schemas.iter().any(|exposed| exposed == schema)
    }

    /// Every role a Data API request can run as: the API roles and the anonymous role.
    pub fn request_roles(&self) -> Vec<&str> {
        let mut roles: Vec<&str> = self.api_roles.iter().map(String::as_str).collect();
        if !roles.contains(&self.anonymous_role.as_str()) {
            roles.push(&self.anonymous_role);
        }
        roles
    }

    /// The API roles of requests with a token: every API role but the anonymous one.
    pub fn signed_in_roles(&self) -> Vec<&str> {
        self.api_roles.iter().map(String::as_str).filter(|role| *role != self.anonymous_role).collect()
    }

    /// The anonymous role when it is not one of the API roles: NL003, NL008 and NL018 then
    /// check it only for what policies name it for (`usable::named_for`).
    pub fn anonymous_outside_api_roles(&self) -> Option<&str> {
        (!self.api_roles.contains(&self.anonymous_role)).then_some(self.anonymous_role.as_str())
    }

    /// Plain and partitioned tables the Data API serves (in focus).
    pub fn exposed_tables<'a>(&'a self, catalog: &'a Catalog) -> impl Iterator<Item = &'a Table> + 'a {
        self.relations(catalog).filter(|table| table.kind.has_rows() && self.is_exposed(&table.schema))
    }

    /// Every relation in focus (`focus`), exposed or not.
    pub fn relations<'a>(&'a self, catalog: &'a Catalog) -> impl Iterator<Item = &'a Table> + 'a {
        catalog.tables().filter(|table| self.focus.as_ref().is_none_or(|focus| focus.contains(&table.id)))
    }
}

pub use usable::needed_privileges;

/// The calls policies use to read who makes the request: the built-in ones, and the
/// functions of `catalog` that take no argument and whose body reads the request or calls
/// another such function (`auth.org_id()` reading a claim through `auth.session()`).
pub fn auth_functions(catalog: &Catalog) -> crate::policy_expr::AuthFunctions {
    let candidates: Vec<&crate::model::Function> = catalog
        .functions
        .values()
        .filter(|function| function.key.args.is_empty() && !function.procedure && !function.trigger)
        .filter(|function| function.body.is_some())
        .collect();
    let mut helpers: Vec<(String, String)> = Vec::new();
    // Until nothing changes: a helper may call a helper defined later.
    loop {
        let before = helpers.len();
        for function in &candidates {
            let key = (function.key.schema.clone(), function.key.name.clone());
            if helpers.contains(&key) {
                continue;
            }
            let Some(body) = &function.body else { continue };
            let calls_helper = body.calls.iter().any(|(schema, name)| {
                let schema = schema.as_deref().unwrap_or(function.key.schema.as_str());
                helpers.iter().any(|(s, n)| s == schema && n == name)
            });
            if body.reads_request || calls_helper {
                helpers.push(key);
            }
        }
        if helpers.len() == before {
            break;
        }
    }
    crate::policy_expr::AuthFunctions::new(helpers)
}

/// The grantees to revoke `privileges` from so that none of `roles` holds them through
/// `acls` any more (themselves, `PUBLIC`, roles they inherit from), sorted; `None` when
/// one of them holds them as (a member of) `owner`, which no revoke changes.
pub fn revoke_from(
    catalog: &Catalog,
    owner: &crate::model::RoleName,
    acls: &[&crate::model::Acl],
    roles: &[&str],
    privileges: Privileges,
) -> Option<Vec<crate::model::Grantee>> {
    let mut from = Vec::new();
    for role in roles {
        if catalog.acts_as(role, owner) {
            return None;
        }
        for acl in acls {
            for grantee in catalog.granted_through(acl, role, privileges) {
                if !from.contains(&grantee) {
                    from.push(grantee);
                }
            }
        }
    }
    from.sort();
    Some(from)
}

/// What a finding is about, as the JSON contract names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Object {
    pub kind: ObjectKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Functions: the argument types (`integer, text`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<String>,
}

impl Object {
    pub fn table(table: &Table) -> Object {
        let kind = match table.kind {
            TableKind::View => ObjectKind::View,
            TableKind::MaterializedView => ObjectKind::MaterializedView,
            _ => ObjectKind::Table,
        };
        Object { kind, schema: Some(table.schema.clone()), name: table.name.clone(), table: None, args: None }
    }

    pub fn schema(name: &str) -> Object {
        Object { kind: ObjectKind::Schema, schema: None, name: name.to_string(), table: None, args: None }
    }

    pub fn database(name: &str) -> Object {
        Object { kind: ObjectKind::Database, schema: None, name: name.to_string(), table: None, args: None }
    }

    pub fn policy(table: &Table, policy: &crate::model::Policy) -> Object {
        Object {
            kind: ObjectKind::Policy,
            schema: Some(table.schema.clone()),
            name: policy.name.clone(),
            table: Some(table.name.clone()),
            args: None,
        }
    }

    pub fn sequence(sequence: &crate::model::Sequence) -> Object {
        Object {
            kind: ObjectKind::Sequence,
            schema: Some(sequence.schema.clone()),
            name: sequence.name.clone(),
            table: None,
            args: None,
        }
    }

    pub fn function(function: &crate::model::Function) -> Object {
        Object {
            kind: ObjectKind::Function,
            schema: Some(function.key.schema.clone()),
            name: function.key.name.clone(),
            table: None,
            args: Some(function.key.args.clone()),
        }
    }

    pub fn token() -> Object {
        Object { kind: ObjectKind::Token, schema: None, name: "token".to_string(), table: None, args: None }
    }

    pub fn role(name: &str) -> Object {
        Object { kind: ObjectKind::Role, schema: None, name: name.to_string(), table: None, args: None }
    }

    pub fn statement(file: &str) -> Object {
        Object { kind: ObjectKind::Statement, schema: None, name: file.to_string(), table: None, args: None }
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.schema, &self.table, &self.args) {
            (Some(schema), Some(table), _) => write!(f, "{} on {schema}.{table}", self.name),
            (Some(schema), None, Some(args)) => write!(f, "{schema}.{}({args})", self.name),
            (Some(schema), None, None) => write!(f, "{schema}.{}", self.name),
            (None, _, _) => f.write_str(&self.name),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Table,
    View,
    MaterializedView,
    Policy,
    Schema,
    Sequence,
    Function,
    Database,
    Statement,
    Role,
    /// A token `neonlint jwt` read.
    Token,
}

/// Whether applying a fix can change who sees or changes which rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Cannot widen access beyond what policies already allow.
    Safe,
    /// Changes access: read it before applying.
    Review,
}

/// The order fixes must run in, so that one file applies in one go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Database,
    RowLevelSecurity,
    Policy,
    Grant,
    Revoke,
    DefaultPrivileges,
    /// `CREATE INDEX CONCURRENTLY`, which cannot run inside a transaction: last.
    Index,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub sql: String,
    pub applicability: Applicability,
    pub phase: Phase,
    /// Written only into a fix file that also enables row-level security on the finding's
    /// table (its NL001 or NL006 fix): alone, the statement would open a table whose rows
    /// no policy guards.
    pub needs_rls_enabled: bool,
}

impl Fix {
    pub fn new(sql: String, applicability: Applicability, phase: Phase) -> Fix {
        Fix { sql, applicability, phase, needs_rls_enabled: false }
    }

    /// See `needs_rls_enabled`.
    pub fn after_rls_enabled(mut self) -> Fix {
        self.needs_rls_enabled = true;
        self
    }
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub object: Object,
    pub message: String,
    /// The change to make, in words.
    pub help: String,
    pub location: Option<Span>,
    /// A few words under the underlined statement: what happens there.
    pub label: String,
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(code: &str, object: Object, message: String, help: String, location: Option<Span>) -> Finding {
        let rule = rule(code);
        let label = object.to_string();
        Finding { rule, severity: rule.level, object, message, help, location, label, fix: None }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Finding {
        self.label = label.into();
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Finding {
        self.fix = Some(fix);
        self
    }
}

/// Runs every registered check. Levels and ignores are applied by the caller.
pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    for check in RULES.iter().filter_map(|rule| rule.check) {
        // Grown by exactly each rule's findings: a schema of 400,000 tables has a finding
        // or two for each, and doubling would leave up to half the vector unused. Each
        // rule's own vector is trimmed first, so its spare capacity is not held while the
        // two are joined.
        let mut found = check(catalog, settings);
        found.shrink_to_fit();
        if findings.is_empty() {
            findings = found;
        } else {
            findings.reserve_exact(found.len());
            findings.extend(found);
        }
    }
    findings.shrink_to_fit();
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        assert!(RULES.windows(2).all(|pair| pair[0].code < pair[1].code), "codes are ordered");
        for rule in RULES {
            assert!(rule.code.len() == 5 && rule.code.starts_with("NL"), "{}", rule.code);
            assert!(rule.code[2..].chars().all(|c| c.is_ascii_digit()), "{}", rule.code);
            assert!(rule.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", rule.name);
            assert_eq!(RULES.iter().filter(|other| other.name == rule.name).count(), 1);
        }
    }

    #[test]
    fn find_accepts_codes_and_names_and_suggests_near_misses() {
        assert_eq!(find("nl001").map(|r| r.name), Some("rls-disabled"));
        assert_eq!(find("rls-no-policy").map(|r| r.code), Some("NL002"));
        assert!(find("NL999").is_none());
        assert_eq!(suggest("rls-disable"), Some("rls-disabled"));
        assert_eq!(suggest("missing-table-grant"), Some("missing-table-grants"));
        assert_eq!(suggest("completely-different"), None);
    }
}
