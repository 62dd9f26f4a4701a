//! `neonlint.toml`: exposed schemas, API roles, the migration role, the layout, the paths to
//! check, placeholder values, rule levels.
//!
//! Found with `--config FILE` or by searching upward from the current directory. Unknown
//! keys, unknown rule names and wrong types are errors that name the key; a config
//! problem never falls back to defaults silently.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::rules::{self, Rule, Settings, Severity};

pub const FILE_NAME: &str = "neonlint.toml";

/// The PostgreSQL major versions neonlint supports (and Neon runs).
pub const SUPPORTED_POSTGRES: std::ops::RangeInclusive<u32> = 14..=18;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    exposed_schemas: Option<Vec<String>>,
    api_roles: Option<Vec<String>>,
    anonymous_role: Option<String>,
    migration_role: Option<String>,
    assume_data_api_grants: Option<bool>,
    postgres_version: Option<u32>,
    request_settings: Option<Vec<String>>,
    known_roles: Option<Vec<String>>,
    layout: Option<String>,
    paths: Option<Vec<String>>,
    #[serde(default)]
    placeholders: BTreeMap<String, String>,
    #[serde(default)]
    rules: BTreeMap<String, Level>,
    #[serde(default)]
    ignore: Vec<RawIgnore>,
    #[serde(default)]
    jwt: JwtConfig,
}

/// `[jwt]`: what `neonlint jwt` checks a token against; its options override each.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    /// The JWT Audience configured for the Data API.
    pub audience: Option<String>,
    /// The issuer tokens must come from.
    pub issuer: Option<String>,
    /// Seconds of clock skew allowed.
    pub leeway: Option<u32>,
}

/// One `[[ignore]]` table: `rule` (code, name or `*`), `object` (a glob over object keys
/// such as `public.audit_log`, `schema:public`), and why.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    rule: toml::Spanned<String>,
    object: String,
    reason: Option<String>,
}

/// A validated `[[ignore]]` entry.
#[derive(Clone, Debug)]
pub struct ConfigIgnore {
    /// `None`: every rule (`rule = "*"`).
    pub rule: Option<&'static Rule>,
    pub object: String,
    pub reason: Option<String>,
    /// The line of its `rule = …`, for messages.
    pub line: Option<u32>,
}

/// A rule's level in the config: a severity or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Info,
    Off,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    pub exposed_schemas: Vec<String>,
    pub api_roles: Vec<String>,
    /// The role requests without a token run as.
    pub anonymous_role: String,
    pub migration_role: Option<String>,
    pub assume_data_api_grants: bool,
    /// `postgres_version = 14`: the server's major version, for migrations (14 lets `PUBLIC`
    /// create in `public` and has no `security_invoker`; from 17 partitions take their
    /// parent's identity columns); `None`: 15 or 16 behaviour.
    pub postgres_version: Option<u32>,
    /// `request_settings = ["app.tenant_id"]`: custom settings that exist in a Data API
    /// request besides the ones the Data API sets (set by the database's defaults or by your
    /// own setup), lower-cased; NL028 does not report policies reading them.
    pub request_settings: Vec<String>,
    /// `known_roles = ["anon"]`: roles the database has that no migration creates (made in
    /// the Console or by hand); NL021 does not report statements naming them.
    pub known_roles: Vec<String>,
    /// `[jwt]`: what `neonlint jwt` checks tokens against.
    pub jwt: JwtConfig,
    /// `layout = "…"`, as written; `source` validates it.
    pub layout: Option<String>,
    /// `paths = ["…"]`: the migrations folders to check when no path is given, relative to the
    /// configuration file's folder.
    pub paths: Vec<String>,
    /// `[placeholders]`: values for the placeholders migration files use (`${schema}`,
    /// `:DATABASE_VISITOR`, `{{ .Namespace }}`), by name without their punctuation.
    pub placeholders: BTreeMap<String, String>,
    pub ignores: Vec<ConfigIgnore>,
    /// Apply `neonlint-ignore` comments and `[[ignore]]` entries (`--no-suppressions` turns
    /// them off, to audit what they hide).
    pub suppressions: bool,
    /// Where parsed files are kept between runs (`cache`); `None` parses every file. Set by
    /// the command line (`--no-cache`), never by the file.
    pub parse_cache: Option<std::sync::Arc<crate::cache::ParseCache>>,
    levels: BTreeMap<&'static str, Level>,
}

impl Default for Config {
    fn default() -> Self {
        let settings = Settings::default();
        Config {
            path: None,
            exposed_schemas: settings.exposed_schemas,
            api_roles: settings.api_roles,
            anonymous_role: settings.anonymous_role,
            migration_role: None,
            assume_data_api_grants: false,
            postgres_version: None,
            request_settings: Vec::new(),
            known_roles: Vec::new(),
            jwt: JwtConfig::default(),
            layout: None,
            paths: Vec::new(),
            placeholders: BTreeMap::new(),
            ignores: Vec::new(),
            suppressions: true,
            parse_cache: None,
            levels: BTreeMap::new(),
        }
    }
}

#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration in `{}`: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// `explicit` if given, else the nearest `neonlint.toml` above `start`, else defaults.
    pub fn load(explicit: Option<&Path>, start: &Path) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => match find_upward(start) {
                Some(path) => path,
                None => return Ok(Config::default()),
            },
        };
        let text = crate::input::read_settings_text(&path).map_err(|error| {
            // The hint depends on whether the user named the file or neonlint found it.
            let hint = match explicit {
                Some(_) => "check the path given to --config".to_string(),
                None => format!(
                    "neonlint found it by searching upward from the current folder; make it readable, or \
                     pass another file with --config (an empty `{FILE_NAME}` keeps the defaults)"
                ),
            };
            ConfigError { path: path.clone(), message: format!("{error}; {hint}") }
        })?;
        Config::parse(&text, &path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let error = |message: String| ConfigError { path: path.to_path_buf(), message };
        let raw: RawConfig = toml::from_str(text).map_err(|e| error(describe_toml_error(&e, text)))?;
        let mut config = Config { path: Some(path.to_path_buf()), ..Config::default() };
        if let Some(schemas) = raw.exposed_schemas {
            if schemas.is_empty() {
                return Err(error(
                    "`exposed_schemas` is empty, so nothing would be checked: list the schemas the Data API \
                     exposes (Neon's default is [\"public\"]), or remove the key to use it"
                        .to_string(),
                ));
            }
            config.exposed_schemas = schemas;
        }
        if let Some(roles) = raw.api_roles {
            if roles.is_empty() {
                return Err(error(
                    "`api_roles` is empty: list the roles Data API requests run as".to_string(),
                ));
            }
            config.api_roles = roles;
        }
        if let Some(role) = raw.anonymous_role {
            if role.trim().is_empty() {
                return Err(error(
                    "`anonymous_role` is empty: name the role requests without a token run as".to_string(),
                ));
            }
            config.anonymous_role = role;
        }
        config.migration_role = raw.migration_role;
        config.known_roles = raw.known_roles.unwrap_or_default();
        config.jwt = raw.jwt;
        for name in raw.request_settings.unwrap_or_default() {
            let name = name.trim().to_ascii_lowercase();
            if !name.contains('.') || name.starts_with('.') || name.ends_with('.') {
                return Err(error(format!(
                    "`request_settings` lists `{name}`, which is no custom setting: those are named \
                     `prefix.name` (`app.tenant_id`), and PostgreSQL's own settings always exist"
                )));
            }
            config.request_settings.push(name);
        }
        config.assume_data_api_grants = raw.assume_data_api_grants.unwrap_or(false);
        if let Some(version) = raw.postgres_version {
            if !(SUPPORTED_POSTGRES.contains(&version)) {
                return Err(error(format!(
                    "`postgres_version = {version}` is not a supported major version: use one of 14 to 18 \
                     (the server's `SHOW server_version`)"
                )));
            }
            config.postgres_version = Some(version);
        }
        config.layout = raw.layout;
        if let Some(paths) = raw.paths {
            if paths.is_empty() || paths.iter().any(|path| path.trim().is_empty()) {
                return Err(error(
                    "`paths` is empty or holds an empty path: list the migrations folders to check, or remove \
                     the key"
                        .to_string(),
                ));
            }
            config.paths = paths;
        }
        for (name, value) in raw.placeholders {
            let name = placeholder_name(&name);
            if name.is_empty() {
                return Err(error("in [placeholders]: a placeholder name is empty".to_string()));
            }
            if value.contains(['\n', '\r']) {
                return Err(error(format!(
                    "in [placeholders]: the value of `{name}` holds a line break; placeholders are substituted \
                     within one line, so that reported line numbers stay right"
                )));
            }
            config.placeholders.insert(name, value);
        }
        for (key, level) in raw.rules {
            let rule = lookup_rule(&key).map_err(|message| error(format!("in [rules]: {message}")))?;
            config.levels.insert(rule.code, level);
        }
        // Line starts once: finding each entry's line from the start of the text made 100,000
        // entries take minutes.
        let line_starts = crate::text::line_starts(text);
        for ignore in raw.ignore {
            let line = line_starts.partition_point(|&start| start <= ignore.rule.span().start) as u32;
            let name = ignore.rule.get_ref().trim();
            let rule = if name == "*" {
                None
            } else {
                Some(
                    lookup_rule(name)
                        .map_err(|message| error(format!("line {line}: in [[ignore]]: {message}")))?,
                )
            };
            config.ignores.push(ConfigIgnore {
                rule,
                object: ignore.object,
                reason: ignore.reason,
                line: Some(line),
            });
        }
        Ok(config)
    }

    /// The level a finding of `rule` is reported at, or `None` when the rule is off.
    pub fn severity(&self, rule: &Rule) -> Option<Severity> {
        self.configured_severity(rule).unwrap_or(Some(rule.level))
    }

    /// The level `[rules]` sets for `rule`: `None` when it sets none (a finding keeps
    /// the level its rule gave it, which can depend on the case), `Some(None)` for `off`.
    pub fn configured_severity(&self, rule: &Rule) -> Option<Option<Severity>> {
        self.levels.get(rule.code).map(|level| match level {
            Level::Off => None,
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Info => Some(Severity::Info),
        })
    }

    pub fn settings(&self) -> Settings {
        Settings {
            exposed_schemas: self.exposed_schemas.clone(),
            api_roles: self.api_roles.clone(),
            anonymous_role: self.anonymous_role.clone(),
            assume_data_api_grants: self.assume_data_api_grants,
            explain_console_grants: true,
            request_settings: self.request_settings.clone(),
            known_roles: self.known_roles.clone(),
            focus: None,
        }
    }
}

/// The commented `neonlint.toml` that `neonlint init` writes: every key with its
/// default, and the layout it detected.
pub fn template(detected: Option<(crate::source::Layout, &PathBuf)>) -> String {
    let names: Vec<&str> = crate::source::Layout::ALL.iter().map(|layout| layout.name()).collect();
    let names = wrap_comment(&names.join(", "));
    let layout = match detected {
        Some((layout, root)) => format!(
            "# Detected: {} migrations in `{}`. Uncomment to force a layout, one of:\n{names}\n\
             # layout = \"{}\"\n",
            layout.name(),
            crate::source::display_path(root),
            layout.name()
        ),
        None => format!(
            "# No migrations folder found here. Force a layout with one of:\n{names}\n# layout = \"plain\"\n"
        ),
    };
    let mut rules = String::new();
    for rule in rules::RULES {
        rules.push_str(&format!("# {} = \"{}\"    # {}\n", rule.name, rule.level, rule.code));
    }
    format!(
        "# neonlint configuration. Every key is optional; the values shown are the defaults.\n\
         \n\
         # Schemas the Data API serves (\"Exposed schemas\" in the Neon Console).\n\
         exposed_schemas = [\"public\"]\n\
         \n\
         # Roles that Data API requests with a JWT run as: they need grants and policies.\n\
         api_roles = [\"authenticated\"]\n\
         \n\
         # The role requests without a token run as: it should write nothing.\n\
         anonymous_role = \"anonymous\"\n\
         \n\
         # The role that runs the migrations (owner of the tables they create). Default: the\n\
         # role that runs them, as changed by SET ROLE; in `neonlint db`, the database owner.\n\
         # migration_role = \"neondb_owner\"\n\
         \n\
         # The Data API was enabled with \"Grant public schema access\" before the first\n\
         # migration: `authenticated` has USAGE on `public` and default privileges on the tables\n\
         # the migration role creates there. Those grants are invisible in migration files.\n\
         assume_data_api_grants = false\n\
         \n\
         # The PostgreSQL major version the migrations run on (14 to 18). 14: PUBLIC may create in\n\
         # schema public, and views have no security_invoker; 17+: partitions take their parent's\n\
         # identity columns. Default: 15 or 16 behaviour.\n\
         # postgres_version = 17\n\
         \n\
         # Custom settings a Data API request has besides the ones the Data API sets (request.*):\n\
         # set by the database's defaults or your own setup. NL028 reports policies that read\n\
         # any other, which the API never sets.\n\
         # request_settings = [\"app.tenant_id\"]\n\
         \n\
         # Roles your database has that no migration creates (made in the Console or by hand).\n\
         # NL021 reports statements naming Supabase's roles (anon, service_role) otherwise.\n\
         # known_roles = [\"anon\"]\n\
         \n\
         {layout}\n\
         # The migrations folders to check when no path is given, relative to this file. Default:\n\
         # the one found here, or, in a repository with none at its root, every migrations folder\n\
         # below it (each checked on its own).\n\
         # paths = [\"packages/db/migrations\", \"apps/api/migrations\"]\n\
         \n\
         # Values for placeholders in migration files, by name: Flyway's `${{schema}}`,\n\
         # graphile-migrate's `:DATABASE_VISITOR`, psql's `:name`, Go templates' `{{{{ .Name }}}}`.\n\
         # Flyway's flyway.conf / flyway.toml and graphile-migrate's .gmrc are read too; a\n\
         # placeholder without a value is read as a neutral name (`neonlint_placeholder_<name>`),\n\
         # and neonlint says so.\n\
         [placeholders]\n\
         # DATABASE_VISITOR = \"authenticated\"\n\
         \n\
         # Rule levels: \"error\", \"warning\", \"info\" or \"off\", by name or code.\n\
         [rules]\n\
         {rules}\
         \n\
         # Suppress findings by rule (code, name or \"*\") and object (globs over keys like\n\
         # public.todos, schema:public, database:app, role:anon). Repeat the table for more.\n\
         # [[ignore]]\n\
         # rule = \"rls-disabled\"\n\
         # object = \"public.audit_*\"\n\
         # reason = \"written by triggers, never through the Data API\"\n\
         \n\
         # What `neonlint jwt` checks tokens against (its options override these).\n\
         # [jwt]\n\
         # audience = \"app\"                   # the JWT Audience configured for the Data API\n\
         # issuer = \"https://auth.example.com\"\n\
         # leeway = 30                         # seconds of clock skew allowed\n"
    )
}

/// A placeholder's name as `[placeholders]` keys it: without the punctuation of its syntax
/// (`${schema}`, `:NAME`, `:'NAME'`, `{{ .Name }}` are all keyed `schema`, `NAME`, `Name`).
fn placeholder_name(key: &str) -> String {
    let key = key.trim();
    let key = key.strip_prefix("${").and_then(|rest| rest.strip_suffix('}')).unwrap_or(key);
    let key = key.strip_prefix("{{").and_then(|rest| rest.strip_suffix("}}")).unwrap_or(key).trim();
    let key = key.trim_start_matches(':').trim_start_matches('.');
    key.trim_matches(['\'', '"']).to_string()
}

/// `text` as comment lines of at most 92 characters, broken at `, `.
fn wrap_comment(text: &str) -> String {
    let mut lines = vec![String::from("#")];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("one line at least");
        if line.len() + 1 + word.len() > 92 {
            lines.push(format!("# {word}"));
        } else {
            line.push(' ');
            line.push_str(word);
        }
    }
    lines.join("\n")
}

/// A rule by code or name, or a message with the nearest match.
pub fn lookup_rule(key: &str) -> Result<&'static Rule, String> {
    rules::find(key).ok_or_else(|| match rules::suggest(key) {
        Some(near) => format!("unknown rule `{key}`; did you mean `{near}`? (`neonlint rules` lists them)"),
        None => format!("unknown rule `{key}` (`neonlint rules` lists them)"),
    })
}

fn find_upward(start: &Path) -> Option<PathBuf> {
    start.ancestors().map(|dir| dir.join(FILE_NAME)).find(|candidate| candidate.is_file())
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> u32 {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() as u32 + 1
}

/// toml's error with the line it points at.
fn describe_toml_error(error: &toml::de::Error, text: &str) -> String {
    let line = error.span().map(|span| line_of(text, span.start));
    let message = error.message().trim();
    match line {
        Some(line) => format!("line {line}: {message}"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("neonlint.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn request_settings_are_custom_setting_names() {
        let path = Path::new("neonlint.toml");
        let config = Config::parse("request_settings = [\"App.Tenant_ID\"]\n", path).unwrap();
        assert_eq!(config.request_settings, vec!["app.tenant_id"]);
        assert_eq!(config.settings().request_settings, vec!["app.tenant_id"]);
        let error = Config::parse("request_settings = [\"timezone\"]\n", path).unwrap_err();
        assert!(error.message.contains("`timezone`, which is no custom setting"), "{}", error.message);
    }

    #[test]
    fn defaults_and_overrides() {
        let config = parse("").unwrap();
        assert_eq!(config.exposed_schemas, vec!["public"]);
        assert_eq!(config.api_roles, vec!["authenticated"]);
        let config = parse(
            "exposed_schemas = [\"api\"]\nmigration_role = \"neondb_owner\"\n[rules]\nNL002 = \"off\"\nrls-disabled = \"warning\"\n",
        )
        .unwrap();
        assert_eq!(config.exposed_schemas, vec!["api"]);
        assert_eq!(config.severity(rules::rule("NL002")), None);
        assert_eq!(config.severity(rules::rule("NL001")), Some(Severity::Warning));
        assert_eq!(config.severity(rules::rule("NL003")), Some(Severity::Error));
    }

    #[test]
    fn paths_and_placeholders_are_read_and_checked() {
        let config = parse(
            "paths = [\"a/migrations\", \"b\"]\n[placeholders]\nschema = \"app\"\n\":DATABASE_VISITOR\" = \"web\"\n\"${flyway:user}\" = \"me\"\n",
        )
        .unwrap();
        assert_eq!(config.paths, ["a/migrations", "b"]);
        let placeholders: Vec<(&str, &str)> =
            config.placeholders.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        assert_eq!(placeholders, [("DATABASE_VISITOR", "web"), ("flyway:user", "me"), ("schema", "app")]);
        let error = parse("paths = []\n").unwrap_err();
        assert!(error.contains("`paths` is empty"), "{error}");
        let error = parse("[placeholders]\nx = \"a\\nb\"\n").unwrap_err();
        assert!(error.contains("the value of `x` holds a line break"), "{error}");
        let error = parse("[placeholders]\nx = 1\n").unwrap_err();
        assert!(error.contains("line 2"), "{error}");
    }

    #[test]
    fn anonymous_role_can_be_renamed_but_not_emptied() {
        assert_eq!(parse("anonymous_role = \"web_anon\"").unwrap().settings().anonymous_role, "web_anon");
        let error = parse("anonymous_role = \" \"").unwrap_err();
        assert!(error.contains("`anonymous_role` is empty"), "{error}");
    }

    #[test]
    fn the_init_template_parses_to_the_defaults() {
        let config = parse(&template(None)).unwrap();
        assert_eq!(config.exposed_schemas, Config::default().exposed_schemas);
        assert_eq!(config.api_roles, Config::default().api_roles);
        assert_eq!(config.anonymous_role, "anonymous");
        assert!(!config.assume_data_api_grants && config.migration_role.is_none() && config.layout.is_none());
        for rule in rules::RULES {
            assert_eq!(config.severity(rule), Some(rule.level));
        }
    }

    #[test]
    fn ignores_validate_their_rule_and_remember_their_line() {
        let config = parse(
            "[[ignore]]\nrule = \"rls-disabled\"\nobject = \"public.audit_*\"\nreason = \"written by triggers only\"\n\n[[ignore]]\nrule = \"*\"\nobject = \"schema:legacy\"\n",
        )
        .unwrap();
        let summary: Vec<(Option<&str>, &str, Option<u32>)> =
            config.ignores.iter().map(|i| (i.rule.map(|r| r.code), i.object.as_str(), i.line)).collect();
        assert_eq!(
            summary,
            vec![(Some("NL001"), "public.audit_*", Some(2)), (None, "schema:legacy", Some(7))]
        );
        let error = parse("[[ignore]]\nobject = \"x\"\nrule = \"nl01\"\n").unwrap_err();
        assert!(error.contains("line 3") && error.contains("unknown rule `nl01`"), "{error}");
        let error = parse("[[ignore]]\nrule = \"NL001\"\n").unwrap_err();
        assert!(error.contains("missing field `object`"), "{error}");
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let error = parse("exposed_schemas = [\"public\"]\nexposed_schema = [\"api\"]\n").unwrap_err();
        assert!(error.contains("line 2") && error.contains("exposed_schema"), "{error}");
        let error = parse("[rules]\nrls-disable = \"off\"\n").unwrap_err();
        assert!(error.contains("did you mean `rls-disabled`"), "{error}");
        assert_eq!(parse("postgres_version = 14\n").unwrap().postgres_version, Some(14));
        let error = parse("postgres_version = 13\n").unwrap_err();
        assert!(error.contains("14 to 18"), "{error}");
        let error = parse("assume_data_api_grants = \"yes\"\n").unwrap_err();
        assert!(error.contains("line 1") && error.contains("bool"), "{error}");
        let error = parse("[rules]\nNL001 = \"loud\"\n").unwrap_err();
        assert!(error.contains("loud"), "{error}");
    }

    #[test]
    fn empty_exposed_schemas_is_an_error_like_empty_api_roles() {
        let error = parse("exposed_schemas = []").unwrap_err();
        assert!(error.contains("`exposed_schemas` is empty"), "{error}");
        let error = parse("api_roles = []").unwrap_err();
        assert!(error.contains("`api_roles` is empty"), "{error}");
    }

    #[test]
    fn unreadable_config_found_by_search_does_not_blame_the_flag() {
        let folder = std::env::temp_dir().join(format!("neonlint-config-{}", std::process::id()));
        let nested = folder.join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        // UTF-16 cannot be read, whoever runs the test (root reads a file without permissions).
        std::fs::write(folder.join(FILE_NAME), [0xff, 0xfe, b'x', 0]).unwrap();
        let found = Config::load(None, &nested).unwrap_err().to_string();
        assert!(found.contains("searching upward"), "{found}");
        assert!(!found.contains("check the path given to --config"), "{found}");
        assert!(found.contains("UTF-16"), "{found}");
        let given = Config::load(Some(&folder.join(FILE_NAME)), &nested).unwrap_err().to_string();
        assert!(given.contains("check the path given to --config"), "{given}");
        let _ = std::fs::remove_dir_all(&folder);
    }
}
