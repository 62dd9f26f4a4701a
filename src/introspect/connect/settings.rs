//! The connection's settings, read and checked: a connection string (see `url`) and
//! libpq's `PG*` variables become one [`Settings`], with libpq's defaults and its rules for
//! how `sslmode`, `sslrootcert` and `channel_binding` combine.
//!
//! Settings neonlint cannot honour are errors, not ignored: ignoring them would make the
//! connection weaker than asked. An error echoes a value only where it cannot be a
//! fragment of a password.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls_pki_types::ServerName;

use super::error::{ConnectError, ConnectErrorKind};
use super::url::{Origin, Param, echo_text, parse};
use super::{ConnectOptions, Target};
use crate::text::{edit_distance, escape_control as escape};

/// libpq's environment variables and the settings they stand for.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("host", "PGHOST"),
    ("port", "PGPORT"),
    ("dbname", "PGDATABASE"),
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("sslmode", "PGSSLMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("options", "PGOPTIONS"),
    ("application_name", "PGAPPNAME"),
    ("channel_binding", "PGCHANNELBINDING"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
];

/// The variables that, without a URL, say which database to connect to.
const LOCATING_VARIABLES: &[&str] = &["PGHOST", "PGPORT", "PGDATABASE", "PGUSER"];

/// Settings neonlint reads.
const SUPPORTED: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "options",
    "application_name",
    "fallback_application_name",
    "connect_timeout",
    "sslmode",
    "sslrootcert",
    "channel_binding",
    "sslsni",
    "sslnegotiation",
    "gssencmode",
    "sslcertmode",
];

/// libpq settings that change nothing for one short, read-only connection.
const IGNORED: &[&str] = &[
    "client_encoding",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "target_session_attrs",
    "load_balance_hosts",
    "passfile",
    "sslcompression",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "min_protocol_version",
    "max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "sslkeylogfile",
    "requirepeer",
    "replication",
];

/// libpq settings neonlint cannot honour, with the reason. Ignoring them would make the
/// connection weaker than asked, so they are errors.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("sslcert", "client certificates are not supported"),
    ("sslkey", "client certificates are not supported"),
    ("sslpassword", "client certificates are not supported"),
    ("sslcrl", "certificate revocation lists are not supported"),
    ("sslcrldir", "certificate revocation lists are not supported"),
    ("require_auth", "restricting the authentication method is not supported"),
    ("service", "connection services (pg_service.conf) are not supported; give the settings in the URL"),
];

/// Where the connection string came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Flag,
    DatabaseUrl,
    Environment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// How much of the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verification {
    None,
    Chain,
    ChainAndName,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum RootSource {
    File(PathBuf),
    System,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Host {
    Tcp(String),
    /// The directory holding the socket file `.s.PGSQL.<port>`.
    Socket(PathBuf),
}

/// A password; its `Debug` shows `****`.
#[derive(Clone)]
pub(super) struct Secret(String);

/// Everything [`connect`] needs, checked.
#[derive(Clone, Debug)]
pub(super) struct Settings {
    pub(super) host: Host,
    pub(super) hostaddr: Option<IpAddr>,
    pub(super) port: u16,
    pub(super) user: String,
    pub(super) password: Option<Secret>,
    pub(super) database: String,
    pub(super) options: Option<String>,
    pub(super) application_name: String,
    pub(super) sslmode: SslMode,
    pub(super) roots: Option<RootSource>,
    pub(super) channel_binding: tokio_postgres::config::ChannelBinding,
    /// From the URL or `PGCONNECT_TIMEOUT`; `None` when absent or not positive.
    pub(super) connect_timeout: Option<Duration>,
    pub(super) sni: bool,
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("****")
    }
}

impl Settings {
    /// Reads the connection string and the environment (`env` stands for `std::env::var`).
    pub(super) fn resolve(
        options: &ConnectOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConnectError> {
        let env = |name: &str| env(name).filter(|value| !value.is_empty());
        let (text, source) = match (&options.url, env("DATABASE_URL")) {
            (Some(url), _) => (Some(url.clone()), Source::Flag),
            (None, Some(url)) => (Some(url), Source::DatabaseUrl),
            (None, None) => (None, Source::Environment),
        };
        if text.is_none() && !LOCATING_VARIABLES.iter().any(|name| env(name).is_some()) {
            return Err(ConnectError {
                target: None,
                kind: ConnectErrorKind::NoUrl,
                message: "no database to connect to: pass --url (for example \
                          `postgresql://USER:PASSWORD@HOST/DATABASE?sslmode=require`), or set DATABASE_URL, \
                          or set PGHOST, PGDATABASE and PGUSER as for psql"
                    .to_string(),
            });
        }
        if text.as_deref().is_some_and(|text| text.trim().is_empty()) {
            return Err(ConnectError {
                target: None,
                kind: ConnectErrorKind::BadUrl,
                message: "the database URL is empty: pass --url with a URL such as \
                          `postgresql://USER:PASSWORD@HOST/DATABASE?sslmode=require`"
                    .to_string(),
            });
        }
        let mut params = match &text {
            Some(text) => parse(text).map_err(|detail| bad_text(text, source, &detail, true))?.params,
            None => Vec::new(),
        };
        for (key, variable) in ENVIRONMENT {
            if params.iter().any(|param| param.key == *key) {
                continue;
            }
            if let Some(value) = env(variable) {
                params.push(Param { key: key.to_string(), value, origin: Origin::Environment(variable) });
            }
        }
        let echo = text.as_deref().map(echo_text).unwrap_or_default();
        Settings::from_params(&params, options.database.as_deref(), &echo).map_err(|(origin, detail)| {
            match origin {
                Origin::Environment(variable) => ConnectError {
                    target: None,
                    kind: ConnectErrorKind::BadUrl,
                    message: format!("invalid {variable}: {detail}"),
                },
                Origin::Text => match &text {
                    Some(text) => bad_text(text, source, &detail, false),
                    None => ConnectError {
                        target: None,
                        kind: ConnectErrorKind::BadUrl,
                        message: format!("invalid connection settings: {detail}"),
                    },
                },
            }
        })
    }

    /// Checks the parameters and fills in libpq's defaults. An error names the origin of
    /// the offending setting; its text shows values only where they are not secret.
    pub(super) fn from_params(
        params: &[Param],
        database: Option<&str>,
        echo: &str,
    ) -> Result<Settings, Invalid> {
        for param in params {
            check_key(param, echo)?;
        }
        let value =
            |key: &str| last(params, key).map(|param| param.value.as_str()).filter(|value| !value.is_empty());
        let (host, hostaddr, port) = read_location(params, echo)?;
        let tls = read_tls(params, &host, echo)?;
        let user = value("user").map_or_else(os_user, str::to_string);
        let database = database.or(value("dbname")).unwrap_or(&user).to_string();
        Ok(Settings {
            host,
            hostaddr,
            port,
            password: value("password").map(|password| Secret(password.to_string())),
            database,
            user,
            options: value("options").map(str::to_string),
            application_name: value("application_name")
                .or(value("fallback_application_name"))
                .unwrap_or("neonlint")
                .to_string(),
            sslmode: tls.sslmode,
            roots: tls.roots,
            channel_binding: tls.channel_binding,
            connect_timeout: read_connect_timeout(params, echo)?,
            sni: tls.sni,
        })
    }

    pub(super) fn target(&self) -> Target {
        let host = match &self.host {
            Host::Tcp(name) => name.clone(),
            Host::Socket(directory) => directory.display().to_string(),
        };
        Target { host, port: self.port, database: self.database.clone(), user: self.user.clone() }
    }

    /// The shorter of the caller's limit and the URL's `connect_timeout`; zero is no limit.
    pub(super) fn time_limit(&self, limit: Duration) -> Option<Duration> {
        let limit = Some(limit).filter(|limit| !limit.is_zero());
        match (limit, self.connect_timeout) {
            (Some(limit), Some(url)) => Some(limit.min(url)),
            (limit, url) => limit.or(url),
        }
    }

    /// Whether TLS is attempted at all: never over a Unix socket, as in libpq.
    pub(super) fn uses_tls(&self) -> bool {
        self.sslmode != SslMode::Disable && matches!(self.host, Host::Tcp(_))
    }

    pub(super) fn verification(&self) -> Verification {
        match self.sslmode {
            SslMode::VerifyFull => Verification::ChainAndName,
            SslMode::VerifyCa => Verification::Chain,
            // libpq: with a root certificate file, `require` verifies the chain like verify-ca.
            SslMode::Require if self.roots.is_some() => Verification::Chain,
            _ => Verification::None,
        }
    }

    /// The trust roots verification uses: sslrootcert, or the system's.
    pub(super) fn root_source(&self) -> RootSource {
        self.roots.clone().unwrap_or(RootSource::System)
    }

    /// The name TLS checks and sends as SNI: the host, or hostaddr when there is no name.
    pub(super) fn tls_name(&self) -> Option<ServerName<'static>> {
        match &self.host {
            Host::Tcp(name) => ServerName::try_from(name.clone()).ok(),
            Host::Socket(_) => None,
        }
    }

    pub(super) fn postgres_config(&self, mode: tokio_postgres::config::SslMode) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .user(&self.user)
            .dbname(&self.database)
            .application_name(&self.application_name)
            .ssl_mode(mode)
            .channel_binding(self.channel_binding);
        if let Some(password) = &self.password {
            config.password(password.0.as_bytes());
        }
        if let Some(options) = &self.options {
            config.options(options);
        }
        config
    }

    /// An error about this target: the message starts with what failed and where.
    pub(super) fn error(&self, kind: ConnectErrorKind, what_and_hint: String) -> ConnectError {
        let target = self.target();
        let message = format!(
            "cannot connect to PostgreSQL at {} (database `{}`, user `{}`): {what_and_hint}",
            escape(&target.address()),
            escape(&target.database),
            escape(&target.user)
        );
        ConnectError { target: Some(target), kind, message }
    }
}

impl SslMode {
    pub(super) fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// A setting that is wrong: where it came from, and what is wrong (never a secret).
type Invalid = (Origin, String);

/// The TLS part of [`Settings`].
struct TlsSettings {
    sslmode: SslMode,
    roots: Option<RootSource>,
    channel_binding: tokio_postgres::config::ChannelBinding,
    sni: bool,
}

/// The last value given for `key` (later settings override earlier ones, as in libpq).
fn last<'a>(params: &'a [Param], key: &str) -> Option<&'a Param> {
    params.iter().rev().find(|param| param.key == key)
}

/// The host, `hostaddr` and port. No host: libpq's default.
fn read_location(params: &[Param], echo: &str) -> Result<(Host, Option<IpAddr>, u16), Invalid> {
    let port = match last(params, "port") {
        Some(param) if !param.value.is_empty() => parse_port(param)?,
        _ => 5432,
    };
    let hostaddr = match last(params, "hostaddr") {
        Some(param) if !param.value.is_empty() => Some(param.value.parse::<IpAddr>().map_err(|_| {
            (
                param.origin,
                format!("hostaddr {}is not an IP address", shown(&param.value, param.origin, echo)),
            )
        })?),
        _ => None,
    };
    let host = match last(params, "host") {
        Some(param) if param.value.contains(',') => {
            return Err((param.origin, "several hosts are given; neonlint connects to one host".to_string()));
        }
        Some(param) if param.value.starts_with('/') => Host::Socket(PathBuf::from(&param.value)),
        Some(param) if !param.value.is_empty() => Host::Tcp(param.value.clone()),
        _ => match hostaddr {
            Some(address) => Host::Tcp(address.to_string()),
            None => default_host(port),
        },
    };
    Ok((host, hostaddr, port))
}

/// `sslmode`, `sslrootcert`, `channel_binding` and `sslsni`, with libpq's rules for how
/// they combine, and the TLS options neonlint cannot honour.
fn read_tls(params: &[Param], host: &Host, echo: &str) -> Result<TlsSettings, Invalid> {
    use tokio_postgres::config::ChannelBinding as Binding;
    let origin_of = |key: &str| last(params, key).map_or(Origin::Text, |param| param.origin);
    let value =
        |key: &str| last(params, key).map(|param| param.value.as_str()).filter(|value| !value.is_empty());

    let roots = match value("sslrootcert") {
        Some("system") => Some(RootSource::System),
        Some(path) => Some(RootSource::File(PathBuf::from(path))),
        None => None,
    };
    let sslmode = match last(params, "sslmode") {
        Some(param) if !param.value.is_empty() => parse_sslmode(param, echo)?,
        // libpq: sslrootcert=system makes verify-full the default.
        _ if roots == Some(RootSource::System) => SslMode::VerifyFull,
        _ => SslMode::Prefer,
    };
    if roots == Some(RootSource::System) && !matches!(sslmode, SslMode::VerifyFull | SslMode::VerifyCa) {
        return Err((
            origin_of("sslmode"),
            format!(
                "sslmode={} is too weak for sslrootcert=system, which checks the server against the system's \
                 trusted roots: use sslmode=verify-full",
                sslmode.name()
            ),
        ));
    }
    let channel_binding = match value("channel_binding") {
        None | Some("prefer") => Binding::Prefer,
        Some("disable") => Binding::Disable,
        Some("require") => Binding::Require,
        Some(other) => {
            let origin = origin_of("channel_binding");
            let shown = shown(other, origin, echo);
            return Err((origin, format!("channel_binding {shown}is not one of disable, prefer, require")));
        }
    };
    if channel_binding == Binding::Require && sslmode == SslMode::Disable {
        return Err((
            origin_of("channel_binding"),
            "channel_binding=require needs TLS, but sslmode=disable turns TLS off: drop one of the two"
                .to_string(),
        ));
    }
    if channel_binding == Binding::Require && matches!(host, Host::Socket(_)) {
        return Err((
            origin_of("channel_binding"),
            "channel_binding=require needs TLS, which is not used over a Unix socket: connect over TCP (for \
             example host=localhost)"
                .to_string(),
        ));
    }
    let sni = match value("sslsni") {
        None | Some("1") => true,
        Some("0") => false,
        Some(_) => return Err((origin_of("sslsni"), "sslsni must be 0 or 1".to_string())),
    };
    let refusal = match (value("sslnegotiation"), value("gssencmode"), value("sslcertmode")) {
        (Some(negotiation), _, _) if negotiation != "postgres" => {
            Some("only sslnegotiation=postgres is supported (direct TLS negotiation is not)")
        }
        (_, Some("require"), _) => Some("gssencmode=require: GSSAPI encryption is not supported"),
        (_, _, Some("require")) => Some("sslcertmode=require: client certificates are not supported"),
        _ => None,
    };
    if let Some(refusal) = refusal {
        return Err((Origin::Text, refusal.to_string()));
    }
    Ok(TlsSettings { sslmode, roots, channel_binding, sni })
}

/// `connect_timeout` in whole seconds; zero or less is none, as in libpq.
fn read_connect_timeout(params: &[Param], echo: &str) -> Result<Option<Duration>, Invalid> {
    let Some(param) = last(params, "connect_timeout").filter(|param| !param.value.trim().is_empty()) else {
        return Ok(None);
    };
    let seconds: i64 = param.value.trim().parse().map_err(|_| {
        let shown = shown(&param.value, param.origin, echo);
        (param.origin, format!("connect_timeout {shown}is not a whole number of seconds"))
    })?;
    Ok(u64::try_from(seconds).ok().filter(|seconds| *seconds > 0).map(Duration::from_secs))
}

fn check_key(param: &Param, echo: &str) -> Result<(), Invalid> {
    let key = param.key.as_str();
    if SUPPORTED.contains(&key) || IGNORED.contains(&key) {
        return Ok(());
    }
    if let Some((_, reason)) = UNSUPPORTED.iter().find(|(name, _)| *name == key) {
        return Err((param.origin, format!("`{key}`: {reason}")));
    }
    let known = SUPPORTED.iter().chain(IGNORED).copied().chain(UNSUPPORTED.iter().map(|(name, _)| *name));
    let suggestion = match known.map(|name| (edit_distance(key, name), name)).min() {
        Some((distance, name)) if distance <= 2 => format!(" (did you mean `{name}`?)"),
        _ => String::new(),
    };
    let shown = shown(key, param.origin, echo);
    let message = if shown.is_empty() {
        format!("a setting's name is unknown{suggestion}")
    } else {
        format!("unknown setting {}{suggestion}", shown.trim_end())
    };
    Err((param.origin, message))
}

fn parse_port(param: &Param) -> Result<u16, Invalid> {
    match param.value.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ if param.value.contains(',') => {
            Err((param.origin, "several ports are given; neonlint connects to one host".to_string()))
        }
        _ => Err((param.origin, "the port is not a number from 1 to 65535".to_string())),
    }
}

fn parse_sslmode(param: &Param, echo: &str) -> Result<SslMode, Invalid> {
    Ok(match param.value.as_str() {
        "disable" => SslMode::Disable,
        "allow" => SslMode::Allow,
        "prefer" => SslMode::Prefer,
        "require" => SslMode::Require,
        "verify-ca" => SslMode::VerifyCa,
        "verify-full" => SslMode::VerifyFull,
        other => {
            return Err((
                param.origin,
                format!(
                    "sslmode {}is not one of disable, allow, prefer, require, verify-ca, verify-full",
                    shown(other, param.origin, echo)
                ),
            ));
        }
    })
}

/// libpq's default host: its Unix socket when one exists, else `localhost`.
fn default_host(port: u16) -> Host {
    for directory in ["/var/run/postgresql", "/tmp"] {
        if Path::new(directory).join(format!(".s.PGSQL.{port}")).exists() {
            return Host::Socket(PathBuf::from(directory));
        }
    }
    Host::Tcp("localhost".to_string())
}

/// libpq's default user: the operating system's user name.
fn os_user() -> String {
    whoami::username()
        .ok()
        .or_else(|| std::env::var("USER").ok())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "postgres".to_string())
}

/// `` `value` `` and a space when the value may be echoed, else nothing. A value from
/// the environment is never secret here; one from the connection string may be a
/// fragment of a password the parser misread, so it is echoed only when the generously
/// redacted connection string (`echo`) shows it too.
fn shown(value: &str, origin: Origin, echo: &str) -> String {
    let visible = match origin {
        Origin::Environment(_) => true,
        Origin::Text => echo.contains(value),
    };
    if value.is_empty() || !visible { String::new() } else { format!("`{}` ", escape(value)) }
}

/// The error for a connection string that cannot be read or whose settings are wrong,
/// echoing it redacted; `show_form` adds what a connection string looks like.
fn bad_text(text: &str, source: Source, detail: &str, show_form: bool) -> ConnectError {
    let echoed = escape(&echo_text(text));
    let what = match source {
        Source::Flag | Source::Environment => "invalid database URL",
        Source::DatabaseUrl => "invalid DATABASE_URL",
    };
    let form = if show_form {
        ". Expected `postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require` (percent-encode `@`, `:`, \
         `/`, `?`, `#` and `%` in the parts) or `key=value` settings such as `host=HOST dbname=DATABASE`"
    } else {
        ""
    };
    ConnectError {
        target: None,
        kind: ConnectErrorKind::BadUrl,
        message: format!("{what} `{echoed}`: {detail}{form}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::url::redact;
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn settings(url: &str) -> Settings {
        let options = ConnectOptions { url: Some(url.to_string()), ..ConnectOptions::default() };
        Settings::resolve(&options, &no_env).unwrap_or_else(|error| panic!("{url}: {error}"))
    }

    fn settings_error(url: &str) -> ConnectError {
        let options = ConnectOptions { url: Some(url.to_string()), ..ConnectOptions::default() };
        match Settings::resolve(&options, &no_env) {
            Ok(settings) => panic!("{url} should not resolve, got {settings:?}"),
            Err(error) => error,
        }
    }

    fn password(settings: &Settings) -> Option<&str> {
        settings.password.as_ref().map(|secret| secret.0.as_str())
    }

    #[test]
    fn neon_console_url() {
        let settings = settings(
            "postgresql://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require",
        );
        assert_eq!(settings.host, Host::Tcp("ep-cool-darkness-123456.us-east-2.aws.neon.tech".into()));
        assert_eq!(settings.port, 5432);
        assert_eq!(settings.user, "alex");
        assert_eq!(password(&settings), Some("AbC123dEf"));
        assert_eq!(settings.database, "neondb");
        assert_eq!(settings.sslmode, SslMode::Require);
        assert_eq!(settings.verification(), Verification::None);
        assert_eq!(settings.channel_binding, tokio_postgres::config::ChannelBinding::Require);
        assert_eq!(settings.application_name, "neonlint");
        assert_eq!(
            settings.target().to_string(),
            "alex@ep-cool-darkness-123456.us-east-2.aws.neon.tech:5432/neondb"
        );
    }

    #[test]
    fn percent_decoding_of_options_and_passwords() {
        let settings =
            settings("postgres://app:p%40ss%25w%2Frd@db.example:6543/my%20db?options=endpoint%3Dep-cool-123");
        assert_eq!(password(&settings), Some("p@ss%w/rd"));
        assert_eq!(settings.options.as_deref(), Some("endpoint=ep-cool-123"));
        assert_eq!(settings.port, 6543);
        assert_eq!(settings.database, "my db");
        // `+` is not a space in libpq's URLs.
        let plus = super::tests::settings("postgresql://h/d?application_name=a+b");
        assert_eq!(plus.application_name, "a+b");
    }

    #[test]
    fn raw_at_and_slash_in_password_read_as_libpq_users_mean() {
        let settings = settings("postgresql://app:p@ss/w@rd@db.example/neondb");
        assert_eq!(password(&settings), Some("p@ss/w@rd"));
        assert_eq!(settings.host, Host::Tcp("db.example".into()));
        assert_eq!(settings.database, "neondb");
    }

    #[test]
    fn ipv6_unix_sockets_and_hostaddr() {
        let v6 = settings("postgresql://u@[::1]:5433/db");
        assert_eq!(v6.host, Host::Tcp("::1".into()));
        assert_eq!(v6.target().to_string(), "u@[::1]:5433/db");
        let socket = settings("postgresql://u@%2Fvar%2Frun%2Fpostgresql/db");
        assert_eq!(socket.host, Host::Socket("/var/run/postgresql".into()));
        assert!(!socket.uses_tls());
        let hostaddr = settings("host=db.example hostaddr=127.0.0.1 user=u");
        assert_eq!(hostaddr.hostaddr, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(hostaddr.host, Host::Tcp("db.example".into()));
    }

    #[test]
    fn key_value_strings() {
        let settings = settings(
            "host=localhost port=5433 user=app password=s3cret dbname = neondb sslmode=verify-full sslrootcert=/tmp/ca.pem",
        );
        assert_eq!(settings.port, 5433);
        assert_eq!(settings.database, "neondb");
        assert_eq!(settings.sslmode, SslMode::VerifyFull);
        assert_eq!(settings.roots, Some(RootSource::File("/tmp/ca.pem".into())));
        let error = settings_error("host=localhost password='unterminated");
        assert_eq!(error.kind, ConnectErrorKind::BadUrl);
        assert!(!error.message.contains("unterminated"), "{}", error.message);
    }

    #[test]
    fn quoted_key_value_password() {
        let settings = settings(r"host=h user=u password='a \'b\' c'");
        assert_eq!(password(&settings), Some("a 'b' c"));
    }

    #[test]
    fn sslmode_follows_libpq() {
        assert_eq!(settings("postgresql://h/d").sslmode, SslMode::Prefer);
        assert_eq!(settings("postgresql://h/d?ssl=true").sslmode, SslMode::Require);
        let require_with_root = settings("postgresql://h/d?sslmode=require&sslrootcert=/ca.pem");
        assert_eq!(require_with_root.verification(), Verification::Chain);
        let system = settings("postgresql://h/d?sslrootcert=system");
        assert_eq!(system.sslmode, SslMode::VerifyFull);
        assert_eq!(system.root_source(), RootSource::System);
        let weak = settings_error("postgresql://h/d?sslrootcert=system&sslmode=require");
        assert!(weak.message.contains("too weak"), "{}", weak.message);
        assert_eq!(settings("postgresql://h/d?sslmode=verify-ca").root_source(), RootSource::System);
        let bad = settings_error("postgresql://h/d?sslmode=sometimes");
        assert!(bad.message.contains("`sometimes`"), "{}", bad.message);
    }

    #[test]
    fn channel_binding_without_tls_is_refused_up_front() {
        let error = settings_error("postgresql://h/d?sslmode=disable&channel_binding=require");
        assert_eq!(error.kind, ConnectErrorKind::BadUrl);
        assert!(error.message.contains("channel_binding=require needs TLS"), "{}", error.message);
    }

    #[test]
    fn unknown_and_unsupported_settings() {
        let typo = settings_error("postgresql://h/d?sslmdoe=require");
        assert!(
            typo.message.contains("unknown setting `sslmdoe` (did you mean `sslmode`?)"),
            "{}",
            typo.message
        );
        let client_certificate = settings_error("postgresql://h/d?sslcert=/c.pem");
        assert!(client_certificate.message.contains("client certificates"), "{}", client_certificate.message);
        let several = settings_error("postgresql://a,b/d");
        assert!(several.message.contains("one host"), "{}", several.message);
        // Settings that change nothing here are accepted.
        settings("postgresql://h/d?keepalives=1&target_session_attrs=any&connect_timeout=5");
    }

    #[test]
    fn environment_fills_what_the_url_leaves_out() {
        let env = |name: &str| match name {
            "PGPASSWORD" => Some("from-env".to_string()),
            "PGSSLMODE" => Some("require".to_string()),
            "PGUSER" => Some("envuser".to_string()),
            _ => None,
        };
        let options =
            ConnectOptions { url: Some("postgresql://app@h/d".into()), ..ConnectOptions::default() };
        let settings = Settings::resolve(&options, &env).unwrap();
        assert_eq!(settings.user, "app");
        assert_eq!(password(&settings), Some("from-env"));
        assert_eq!(settings.sslmode, SslMode::Require);
    }

    #[test]
    fn database_url_then_pg_variables_then_nothing() {
        let env = |name: &str| (name == "DATABASE_URL").then(|| "postgresql://u@h/fromenv".to_string());
        let settings = Settings::resolve(&ConnectOptions::default(), &env).unwrap();
        assert_eq!(settings.database, "fromenv");

        let env = |name: &str| match name {
            "PGHOST" => Some("pghost".to_string()),
            "PGDATABASE" => Some("pgdb".to_string()),
            "PGUSER" => Some("pguser".to_string()),
            "PGPORT" => Some("6000".to_string()),
            "PGCONNECT_TIMEOUT" => Some("3".to_string()),
            _ => None,
        };
        let settings = Settings::resolve(&ConnectOptions::default(), &env).unwrap();
        assert_eq!(
            settings.target(),
            Target { host: "pghost".into(), port: 6000, database: "pgdb".into(), user: "pguser".into() }
        );
        assert_eq!(settings.time_limit(Duration::from_secs(10)), Some(Duration::from_secs(3)));

        let error = Settings::resolve(&ConnectOptions::default(), &no_env).unwrap_err();
        assert_eq!(error.kind, ConnectErrorKind::NoUrl);

        let env = |name: &str| (name == "PGPORT").then(|| "many".to_string());
        let error = Settings::resolve(&ConnectOptions::default(), &env).unwrap_err();
        assert_eq!(error.kind, ConnectErrorKind::BadUrl);
        assert!(error.message.starts_with("invalid PGPORT"), "{}", error.message);
    }

    #[test]
    fn database_override_and_defaults() {
        let options = ConnectOptions {
            url: Some("postgresql://u@h/one".into()),
            database: Some("two".into()),
            ..ConnectOptions::default()
        };
        assert_eq!(Settings::resolve(&options, &no_env).unwrap().database, "two");
        // libpq: the database defaults to the user name.
        assert_eq!(settings("postgresql://someone@h").database, "someone");
    }

    #[test]
    fn time_limit_takes_the_shorter() {
        let url = settings("postgresql://h/d?connect_timeout=30");
        assert_eq!(url.time_limit(Duration::from_secs(10)), Some(Duration::from_secs(10)));
        assert_eq!(url.time_limit(Duration::ZERO), Some(Duration::from_secs(30)));
        let zero = settings("postgresql://h/d?connect_timeout=0");
        assert_eq!(zero.time_limit(Duration::from_secs(10)), Some(Duration::from_secs(10)));
        assert_eq!(zero.time_limit(Duration::ZERO), None);
        assert_eq!(
            settings("postgresql://h/d?connect_timeout=2").time_limit(Duration::from_secs(10)),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn bad_urls_never_show_the_password() {
        for url in [
            "postgresql://u:s3cretpw@h:notaport/db",
            "postgresql://u:s3cretpw?@h/db",
            "postgresql://u:s3cretpw@h/db?sslmode=maybe",
            "postgresql://u:s3cretpw@h/db?nonsense=1",
            "postgresql://u:s3cret%zzpw@h/db",
            "postgresql://u:12?s3cretpw=x@h/db",
            "postgresql://h/db?pasword=s3cretpw",
            "postgresql://h/db?Password=s3cretpw",
            "host=h passwd=s3cretpw",
            "host=h password=s3cretpw sslmode=bogus",
            "host=h password='s3cretpw",
            "mysql://u:s3cretpw@h/db",
            "u:s3cretpw@h",
        ] {
            let error = settings_error(url);
            assert_eq!(error.kind, ConnectErrorKind::BadUrl, "{url}");
            assert!(!error.message.contains("s3cret"), "{url}: {}", error.message);
            assert!(!format!("{error:?}").contains("s3cret"), "{url}: {error:?}");
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let options =
            ConnectOptions { url: Some("postgresql://u:s3cretpw@h/db".into()), ..ConnectOptions::default() };
        assert!(!format!("{options:?}").contains("s3cret"));
        let settings = Settings::resolve(&options, &no_env).unwrap();
        assert!(!format!("{settings:?}").contains("s3cret"));
    }

    #[test]
    fn parsing_never_panics() {
        let inputs = [
            "postgresql://",
            "postgresql://:@:/?",
            "postgresql://[",
            "postgresql://[]:",
            "postgresql://h:99999/d",
            "postgresql://h/d?=",
            "postgresql://h/d?&&",
            "postgresql://h/d?a",
            "postgresql://%",
            "postgresql://h/%e9",
            "=",
            "a=",
            "a='",
            "a=\\",
            "'",
            "postgresql://u:p@[::1]x/d",
            "postgresql://h:0/d",
            "POSTGRESQL://h/d",
            "postgresql://é@é:é/é?é=é",
            "host=é\u{0} port=1",
        ];
        for input in inputs {
            let options = ConnectOptions { url: Some(input.to_string()), ..ConnectOptions::default() };
            let _ = Settings::resolve(&options, &no_env);
            let _ = redact(input);
        }
    }
}
