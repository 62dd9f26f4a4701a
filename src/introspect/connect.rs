//! Opens the one connection `neonlint db` reads a live database through.
//!
//! [`connect`] takes a URL (from `--url`, else `DATABASE_URL`, else libpq's `PG*`
//! variables), does TLS with rustls under libpq's meaning of `sslmode` and
//! `sslrootcert`, supports Neon's `channel_binding=require` and `options=endpoint%3D…`,
//! and turns every failure into a [`ConnectError`]: one paragraph that names the host,
//! port, database and user and says what to try.
//!
//! It is not the catalog reader: it runs no query and knows nothing of the model. It
//! opens one connection and retries only where libpq does (`sslmode=prefer` after a
//! failed TLS handshake). A password is never part of a message, a `Debug` output or a
//! panic: a connection string is echoed only through [`redact`].
//!
//! Where it differs from libpq, on purpose: one host only (no `host=a,b` lists); no
//! `~/.pgpass`, `pg_service.conf` or `~/.postgresql/root.crt`; no client certificates;
//! `sslmode=allow` tries TLS first, like `prefer`; `connect_timeout` bounds the whole
//! connection (DNS, TCP, TLS, authentication), not each step.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::ParsedCertificate;
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::Digest;

use crate::calendar::civil_from_days;
use crate::text::{edit_distance, escape_control as escape};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::error::{DbError, SqlState};
use tokio_postgres::tls::{ChannelBinding, TlsConnect};

/// How long [`connect`] waits for a server unless told otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What to connect to, as the command line gives it. `Debug` shows the URL redacted.
#[derive(Clone)]
pub struct ConnectOptions {
    /// From `--url`. `None` falls back to `$DATABASE_URL`, then to libpq's variables
    /// (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`, `PGSSLMODE`,
    /// `PGSSLROOTCERT`, `PGOPTIONS`, `PGAPPNAME`, `PGCHANNELBINDING`,
    /// `PGCONNECT_TIMEOUT`). Those variables also fill in what a URL leaves out, as in libpq.
    pub url: Option<String>,
    /// The longest the whole connection may take: name lookup, TCP, TLS and
    /// authentication. A URL's `connect_timeout` (or `PGCONNECT_TIMEOUT`) applies when it
    /// is shorter; the shorter of the two wins. `Duration::ZERO` means no limit from here.
    pub connect_timeout: Duration,
    /// Replaces the URL's database (used to visit every database with `--all-databases`).
    pub database: Option<String>,
}

/// The server and login a connection is for; what messages name. Never holds a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// A host name, an IP address, or the directory of a Unix socket.
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
}

/// An open connection. Its I/O runs on a task spawned on the current tokio runtime.
pub struct Connection {
    pub client: tokio_postgres::Client,
    pub target: Target,
    /// Whether the connection is encrypted with TLS.
    pub tls: bool,
}

/// Why [`connect`] failed: a kind to act on and a message to print as it is.
#[derive(Debug)]
pub struct ConnectError {
    /// `None` when the connection string could not be read.
    pub target: Option<Target>,
    pub kind: ConnectErrorKind,
    /// One paragraph: what failed, where, and what to try. Never contains a password.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectErrorKind {
    /// The connection string or a `PG*` variable cannot be read, or its settings contradict.
    BadUrl,
    /// No `--url`, no `DATABASE_URL` and no `PGHOST`/`PGDATABASE`/… variable.
    NoUrl,
    /// Nothing listens at the host and port.
    Refused,
    /// The host name does not resolve.
    UnknownHost,
    /// No answer within the connect timeout.
    Timeout,
    /// Wrong password, no such role, no `pg_hba.conf` entry, or no channel binding.
    Authentication,
    /// The database does not exist (SQLSTATE 3D000).
    NoDatabase,
    /// The role lacks `CONNECT` on the database (SQLSTATE 42501).
    NoConnectPrivilege,
    /// TLS is required (by `sslmode` or `channel_binding`) and the server does not offer it.
    TlsUnsupported,
    /// The server's certificate does not verify under `verify-ca`/`verify-full`.
    CertificateInvalid,
    /// Any other TLS failure, including unreadable `sslrootcert` files.
    Tls,
    Other,
}

/// Opens a connection as `options` say and spawns its I/O on the current tokio runtime,
/// which needs its I/O and time drivers (`enable_all`).
pub async fn connect(options: &ConnectOptions) -> Result<Connection, ConnectError> {
    let settings = Settings::resolve(options, &|name| std::env::var(name).ok())?;
    let target = settings.target();
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(settings.error(
            ConnectErrorKind::Other,
            "connect() ran outside a tokio runtime. This is a bug in neonlint".to_string(),
        ));
    }
    let tls = client_config(&settings).map_err(|failure| describe(&failure, &settings))?;
    let attempt = connect_with_fallback(&settings, tls.as_ref());
    let outcome = match settings.time_limit(options.connect_timeout) {
        Some(limit) => tokio::time::timeout(limit, attempt).await.unwrap_or(Err(Failure::Timeout(limit))),
        None => attempt.await,
    };
    let (client, tls) = outcome.map_err(|failure| describe(&failure, &settings))?;
    Ok(Connection { client, target, tls })
}

/// `url` with every password replaced by `****`: the `user:password@` of a URL, and
/// `password=` (and `sslpassword=`) in a query string or a `key=value` string. Text
/// that cannot be read is redacted generously: everything between the first `:` and the
/// last `@`, and each `password=` value up to the next setting.
pub fn redact(url: &str) -> String {
    match parse(url) {
        Ok(parsed) => replace_spans(url, parsed.secrets),
        Err(_) => replace_spans(url, generous_secret_spans(url)),
    }
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions { url: None, connect_timeout: DEFAULT_CONNECT_TIMEOUT, database: None }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ConnectOptions")
            .field("url", &self.url.as_deref().map(redact))
            .field("connect_timeout", &self.connect_timeout)
            .field("database", &self.database)
            .finish()
    }
}

impl Target {
    /// `host:port`, with an IPv6 address in brackets.
    fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}@{}/{}", self.user, self.address(), self.database)
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl StdError for ConnectError {}

// ---------------------------------------------------------------------------------------
// Settings: the connection string and the environment, read and checked.

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// The connection string.
    Text,
    /// An environment variable of that name.
    Environment(&'static str),
}

#[derive(Clone, Debug)]
struct Param {
    key: String,
    value: String,
    origin: Origin,
}

/// Where the connection string came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Flag,
    DatabaseUrl,
    Environment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// How much of the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verification {
    None,
    Chain,
    ChainAndName,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum RootSource {
    File(PathBuf),
    System,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Host {
    Tcp(String),
    /// The directory holding the socket file `.s.PGSQL.<port>`.
    Socket(PathBuf),
}

/// A password; its `Debug` shows `****`.
#[derive(Clone)]
struct Secret(String);

/// Everything [`connect`] needs, checked.
#[derive(Clone, Debug)]
struct Settings {
    host: Host,
    hostaddr: Option<IpAddr>,
    port: u16,
    user: String,
    password: Option<Secret>,
    database: String,
    options: Option<String>,
    application_name: String,
    sslmode: SslMode,
    roots: Option<RootSource>,
    channel_binding: tokio_postgres::config::ChannelBinding,
    /// From the URL or `PGCONNECT_TIMEOUT`; `None` when absent or not positive.
    connect_timeout: Option<Duration>,
    sni: bool,
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("****")
    }
}

impl Settings {
    /// Reads the connection string and the environment (`env` stands for `std::env::var`).
    fn resolve(
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
    fn from_params(params: &[Param], database: Option<&str>, echo: &str) -> Result<Settings, Invalid> {
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

    fn target(&self) -> Target {
        let host = match &self.host {
            Host::Tcp(name) => name.clone(),
            Host::Socket(directory) => directory.display().to_string(),
        };
        Target { host, port: self.port, database: self.database.clone(), user: self.user.clone() }
    }

    /// The shorter of the caller's limit and the URL's `connect_timeout`; zero is no limit.
    fn time_limit(&self, limit: Duration) -> Option<Duration> {
        let limit = Some(limit).filter(|limit| !limit.is_zero());
        match (limit, self.connect_timeout) {
            (Some(limit), Some(url)) => Some(limit.min(url)),
            (limit, url) => limit.or(url),
        }
    }

    /// Whether TLS is attempted at all: never over a Unix socket, as in libpq.
    fn uses_tls(&self) -> bool {
        self.sslmode != SslMode::Disable && matches!(self.host, Host::Tcp(_))
    }

    fn verification(&self) -> Verification {
        match self.sslmode {
            SslMode::VerifyFull => Verification::ChainAndName,
            SslMode::VerifyCa => Verification::Chain,
            // libpq: with a root certificate file, `require` verifies the chain like verify-ca.
            SslMode::Require if self.roots.is_some() => Verification::Chain,
            _ => Verification::None,
        }
    }

    /// The trust roots verification uses: sslrootcert, or the system's.
    fn root_source(&self) -> RootSource {
        self.roots.clone().unwrap_or(RootSource::System)
    }

    /// The name TLS checks and sends as SNI: the host, or hostaddr when there is no name.
    fn tls_name(&self) -> Option<ServerName<'static>> {
        match &self.host {
            Host::Tcp(name) => ServerName::try_from(name.clone()).ok(),
            Host::Socket(_) => None,
        }
    }

    fn postgres_config(&self, mode: tokio_postgres::config::SslMode) -> tokio_postgres::Config {
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
    fn error(&self, kind: ConnectErrorKind, what_and_hint: String) -> ConnectError {
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
    fn name(self) -> &'static str {
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

/// `text` as error messages may echo it: generously redacted.
fn echo_text(text: &str) -> String {
    let mut spans = generous_secret_spans(text);
    if let Ok(parsed) = parse(text) {
        spans.extend(parsed.secrets);
    }
    replace_spans(text, spans)
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

// ---------------------------------------------------------------------------------------
// Parsing connection strings.

/// A connection string read into settings, with the byte ranges that hold secrets.
struct Parsed {
    params: Vec<Param>,
    secrets: Vec<Range<usize>>,
}

/// Reads a `postgresql://` URL or libpq `key=value` settings. The error text never
/// quotes the input (a misread password could be in it).
fn parse(text: &str) -> Result<Parsed, String> {
    let start = text.len() - text.trim_start().len();
    let trimmed = text[start..].trim_end();
    let lower = trimmed.get(..13).unwrap_or(trimmed).to_ascii_lowercase();
    if let Some(scheme) = ["postgresql://", "postgres://"].iter().find(|scheme| lower.starts_with(**scheme)) {
        return parse_url(&text[..start + trimmed.len()], start + scheme.len());
    }
    if trimmed.contains("://") {
        return Err("the scheme is not `postgresql://` or `postgres://`".to_string());
    }
    if trimmed.is_empty() || trimmed.contains('=') {
        return parse_key_value(text);
    }
    Err("it is neither a `postgresql://` URL nor `key=value` settings".to_string())
}

/// libpq's URI form: `postgresql://[user[:password]@][host][:port][/dbname][?key=value&…]`.
/// The user information ends at the last `@` before the query, so an unencoded `@` or
/// `/` in a password still reads right.
fn parse_url(text: &str, body_start: usize) -> Result<Parsed, String> {
    let body = &text[body_start..];
    let query_start = body.find('?');
    let before_query = &body[..query_start.unwrap_or(body.len())];
    let mut params = Vec::new();
    let mut secrets = Vec::new();
    let mut push = |key: &str, value: String| {
        params.push(Param { key: key.to_string(), value, origin: Origin::Text });
    };

    let mut authority_start = 0;
    if let Some(at) = before_query.rfind('@') {
        let user_info = &before_query[..at];
        let (user, password) = match user_info.find(':') {
            Some(colon) => {
                secrets.push(body_start + colon + 1..body_start + at);
                (&user_info[..colon], Some(&user_info[colon + 1..]))
            }
            None => (user_info, None),
        };
        if !user.is_empty() {
            push("user", percent_decode(user, "the user name")?);
        }
        if let Some(password) = password.filter(|password| !password.is_empty()) {
            push("password", percent_decode(password, "the password")?);
        }
        authority_start = at + 1;
    }

    let rest = &before_query[authority_start..];
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], Some(&rest[slash + 1..])),
        None => (rest, None),
    };
    if !authority.is_empty() {
        let (host, port) = split_host_port(authority)?;
        if !host.is_empty() {
            push("host", percent_decode(host, "the host")?);
        }
        if let Some(port) = port.filter(|port| !port.is_empty()) {
            push("port", percent_decode(port, "the port")?);
        }
    }
    if let Some(path) = path.filter(|path| !path.is_empty()) {
        push("dbname", percent_decode(path, "the database name")?);
    }

    if let Some(query_start) = query_start {
        let mut offset = body_start + query_start + 1;
        for segment in body[query_start + 1..].split('&') {
            let segment_start = offset;
            offset += segment.len() + 1;
            if segment.is_empty() {
                continue;
            }
            let Some(equals) = segment.find('=') else {
                return Err("a query parameter has no `=`".to_string());
            };
            let key = percent_decode(&segment[..equals], "a query parameter's name")?;
            if is_secret_key(&key) {
                secrets.push(segment_start + equals + 1..segment_start + segment.len());
            }
            let value = percent_decode(&segment[equals + 1..], "a query parameter's value")?;
            // libpq reads JDBC's `ssl=true` as `sslmode=require`.
            if key == "ssl" && value == "true" {
                push("sslmode", "require".to_string());
            } else {
                push(&key, value);
            }
        }
    }
    Ok(Parsed { params, secrets })
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    if authority.contains(',') {
        return Err("several hosts are given; neonlint connects to one host".to_string());
    }
    if let Some(bracketed) = authority.strip_prefix('[') {
        let Some(close) = bracketed.find(']') else {
            return Err("an IPv6 address has no closing `]`".to_string());
        };
        let after = &bracketed[close + 1..];
        return match after.strip_prefix(':') {
            Some(port) => Ok((&bracketed[..close], Some(port))),
            None if after.is_empty() => Ok((&bracketed[..close], None)),
            None => Err("unexpected text after an IPv6 address".to_string()),
        };
    }
    Ok(match authority.rfind(':') {
        Some(colon) => (&authority[..colon], Some(&authority[colon + 1..])),
        None => (authority, None),
    })
}

/// libpq's percent-decoding: `%XX` is a byte, `+` stays `+`, `%00` is refused.
fn percent_decode(raw: &str, what: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let high = bytes.get(index + 1).and_then(|byte| (*byte as char).to_digit(16));
            let low = bytes.get(index + 2).and_then(|byte| (*byte as char).to_digit(16));
            let (Some(high), Some(low)) = (high, low) else {
                return Err(format!(
                    "{what} has a `%` that is not followed by two hex digits (write `%25` for a literal `%`)"
                ));
            };
            let byte = (high * 16 + low) as u8;
            if byte == 0 {
                return Err(format!("{what} contains `%00`"));
            }
            decoded.push(byte);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| format!("{what} is not valid UTF-8 once percent-decoded"))
}

/// libpq's `key=value` form: values are bare words or single-quoted, `\` escapes the next
/// character.
fn parse_key_value(text: &str) -> Result<Parsed, String> {
    let bytes = text.as_bytes();
    let mut params = Vec::new();
    let mut secrets = Vec::new();
    let mut index = 0;
    loop {
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        if index == bytes.len() {
            break;
        }
        let key_start = index;
        while index < bytes.len() && bytes[index] != b'=' && !bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        let key = &text[key_start..index];
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        if bytes.get(index) != Some(&b'=') {
            return Err(
                "a setting has no `=` (quote a value that contains spaces: key='a value')".to_string()
            );
        }
        index += 1;
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        let value_start = index;
        let mut value = Vec::new();
        if bytes.get(index) == Some(&b'\'') {
            index += 1;
            loop {
                match bytes.get(index) {
                    None => return Err("a quoted value has no closing `'`".to_string()),
                    Some(b'\'') => {
                        index += 1;
                        break;
                    }
                    Some(b'\\') if index + 1 < bytes.len() => {
                        value.push(bytes[index + 1]);
                        index += 2;
                    }
                    Some(byte) => {
                        value.push(*byte);
                        index += 1;
                    }
                }
            }
        } else {
            while index < bytes.len() && !bytes[index].is_ascii_whitespace() {
                if bytes[index] == b'\\' && index + 1 < bytes.len() {
                    index += 1;
                }
                value.push(bytes[index]);
                index += 1;
            }
        }
        if is_secret_key(key) {
            secrets.push(value_start..index);
        }
        let value = String::from_utf8(value).map_err(|_| "a value is not valid UTF-8".to_string())?;
        params.push(Param { key: key.to_string(), value, origin: Origin::Text });
    }
    Ok(Parsed { params, secrets })
}

/// Where a password may be in text that may not parse. Over-redacting is fine here:
/// this only decides what an error message echoes.
fn generous_secret_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    // Anything between the first `:` after the scheme and the last `@` may be a password.
    let body_start = text.find("://").map_or(0, |index| index + 3);
    let body = &text[body_start..];
    if let Some(at) = body.rfind('@') {
        if let Some(colon) = body[..at].find(':') {
            spans.push(body_start + colon + 1..body_start + at);
        }
    }
    // The value of every secret-looking `key=`, quoted or up to the next `&`, the next
    // word that looks like `key=`, or the end.
    let bytes = text.as_bytes();
    for (equals, _) in text.match_indices('=') {
        let mut key_end = equals;
        while key_end > 0 && bytes[key_end - 1] == b' ' {
            key_end -= 1;
        }
        let mut key_start = key_end;
        while key_start > 0 && (bytes[key_start - 1].is_ascii_alphanumeric() || bytes[key_start - 1] == b'_')
        {
            key_start -= 1;
        }
        if !is_secret_key(&text[key_start..key_end]) {
            continue;
        }
        let mut index = equals + 1;
        while index < bytes.len() && bytes[index] == b' ' {
            index += 1;
        }
        let value_start = index;
        if bytes.get(index) == Some(&b'\'') {
            index += 1;
            while index < bytes.len() && bytes[index] != b'\'' {
                index += if bytes[index] == b'\\' { 2 } else { 1 };
            }
            index += 1;
        } else {
            while index < bytes.len() && bytes[index] != b'&' {
                if bytes[index].is_ascii_whitespace() && looks_like_setting(&bytes[index..]) {
                    break;
                }
                index += 1;
            }
        }
        spans.push(value_start..index.min(bytes.len()));
    }
    spans
}

/// Whether a setting's name looks like it holds a secret (`password`, `sslpassword`,
/// and misspellings such as `pasword` or `passwd`), for redaction.
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pas", "pw", "secret"].iter().any(|part| key.contains(part))
}

/// Whether `bytes` (starting at whitespace) continues with `key=`.
fn looks_like_setting(bytes: &[u8]) -> bool {
    let rest = bytes.iter().skip_while(|byte| byte.is_ascii_whitespace());
    let mut saw_key = false;
    for byte in rest {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => saw_key = true,
            b'=' => return saw_key,
            b' ' => continue,
            _ => return false,
        }
    }
    false
}

/// `text` with each span replaced by `****`. Spans that overlap are merged.
fn replace_spans(text: &str, mut spans: Vec<Range<usize>>) -> String {
    spans.retain(|span| span.start < span.end && span.end <= text.len());
    spans.sort_by_key(|span| (span.start, span.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut position = 0;
    for span in merged {
        // Spans start and end at ASCII delimiters, so these are char boundaries; `get`
        // keeps a mistake from panicking (and then hides the rest).
        match (text.get(position..span.start), text.get(span.end..)) {
            (Some(before), Some(_)) => {
                out.push_str(before);
                out.push_str("****");
                position = span.end;
            }
            _ => {
                out.push_str("****");
                return out;
            }
        }
    }
    out.push_str(text.get(position..).unwrap_or_default());
    out
}

// ---------------------------------------------------------------------------------------
// Connecting.

/// What went wrong, before it becomes a message.
enum Failure {
    Timeout(Duration),
    Resolve(io::Error),
    /// Every address failed; `addresses` are those tried.
    Network {
        addresses: Vec<String>,
        error: io::Error,
    },
    Postgres {
        error: tokio_postgres::Error,
        tls: Handshake,
    },
    RootCertificates {
        path: PathBuf,
        detail: String,
    },
    TlsSetup(String),
}

/// How far TLS got on one attempt.
#[derive(Clone, Copy, Debug, Default)]
struct Handshake {
    /// The server answered `S` to the SSLRequest and the handshake started.
    started: bool,
    /// The handshake finished.
    done: bool,
}

#[derive(Debug, Default)]
struct Progress {
    started: AtomicBool,
    done: AtomicBool,
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Socket(tokio::net::UnixStream),
}

/// One attempt, then, under `sslmode=prefer` or `allow`, one without TLS if the TLS
/// handshake failed, as libpq does.
async fn connect_with_fallback(
    settings: &Settings,
    tls: Option<&Arc<ClientConfig>>,
) -> Result<(tokio_postgres::Client, bool), Failure> {
    use tokio_postgres::config::SslMode as Mode;
    let mode = match (tls, settings.sslmode) {
        (None, _) => Mode::Disable,
        (Some(_), SslMode::Allow | SslMode::Prefer) => Mode::Prefer,
        (Some(_), _) => Mode::Require,
    };
    match connect_once(settings, tls, mode).await {
        Err(Failure::Postgres { tls: Handshake { started: true, done: false }, .. })
            if mode == Mode::Prefer
                && settings.channel_binding != tokio_postgres::config::ChannelBinding::Require =>
        {
            connect_once(settings, None, Mode::Disable).await
        }
        outcome => outcome,
    }
}

async fn connect_once(
    settings: &Settings,
    tls: Option<&Arc<ClientConfig>>,
    mode: tokio_postgres::config::SslMode,
) -> Result<(tokio_postgres::Client, bool), Failure> {
    let stream = open_stream(settings).await?;
    let progress = Arc::new(Progress::default());
    let connector =
        RustlsConnect { config: tls.cloned(), name: settings.tls_name(), progress: Arc::clone(&progress) };
    let config = settings.postgres_config(mode);
    let result = match stream {
        Stream::Tcp(stream) => start_session(stream, connector, &config).await,
        Stream::Socket(stream) => start_session(stream, connector, &config).await,
    };
    let handshake = Handshake {
        started: progress.started.load(Ordering::SeqCst),
        done: progress.done.load(Ordering::SeqCst),
    };
    match result {
        Ok(client) => Ok((client, handshake.done)),
        Err(error) => Err(Failure::Postgres { error, tls: handshake }),
    }
}

/// Runs the startup (TLS, authentication) on an open stream and spawns the connection.
async fn start_session<S>(
    stream: S,
    tls: RustlsConnect,
    config: &tokio_postgres::Config,
) -> Result<tokio_postgres::Client, tokio_postgres::Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (client, connection) = config.connect_raw(stream, tls).await?;
    // Errors after startup surface as failed queries on the client.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

async fn open_stream(settings: &Settings) -> Result<Stream, Failure> {
    let port = settings.port;
    let name = match &settings.host {
        Host::Socket(directory) => {
            let path = directory.join(format!(".s.PGSQL.{port}"));
            return tokio::net::UnixStream::connect(&path)
                .await
                .map(Stream::Socket)
                .map_err(|error| Failure::Network { addresses: vec![path.display().to_string()], error });
        }
        Host::Tcp(name) => name,
    };
    let addresses: Vec<SocketAddr> = if let Some(address) = settings.hostaddr {
        vec![SocketAddr::new(address, port)]
    } else if let Ok(address) = name.parse::<IpAddr>() {
        vec![SocketAddr::new(address, port)]
    } else {
        tokio::net::lookup_host((name.as_str(), port)).await.map_err(Failure::Resolve)?.collect()
    };
    if addresses.is_empty() {
        return Err(Failure::Resolve(io::Error::other("the name has no addresses")));
    }
    let mut errors = Vec::new();
    for address in &addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(Stream::Tcp(stream));
            }
            Err(error) => errors.push(error),
        }
    }
    let tried = addresses.iter().map(|address| address.ip().to_string()).collect();
    // Report a refusal only when every address refused; otherwise the first other error.
    let error = match errors.iter().position(|error| error.kind() != io::ErrorKind::ConnectionRefused) {
        Some(index) => errors.swap_remove(index),
        None => errors.pop().unwrap_or_else(|| io::Error::from(io::ErrorKind::ConnectionRefused)),
    };
    Err(Failure::Network { addresses: tried, error })
}

// ---------------------------------------------------------------------------------------
// TLS.

/// The rustls configuration for `settings`, or `None` when TLS is not attempted.
fn client_config(settings: &Settings) -> Result<Option<Arc<ClientConfig>>, Failure> {
    if !settings.uses_tls() {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match settings.verification() {
        Verification::None => Arc::new(AnyCertificate { algorithms }),
        Verification::Chain => {
            Arc::new(ChainOnly { roots: Arc::new(load_roots(&settings.root_source())?), algorithms })
        }
        Verification::ChainAndName => {
            let roots = Arc::new(load_roots(&settings.root_source())?);
            WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
                .build()
                .map_err(|error| Failure::TlsSetup(error.to_string()))?
        }
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| Failure::TlsSetup(error.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // Neon's proxy routes on SNI; rustls sends it for names (not for IP addresses).
    config.enable_sni = settings.sni;
    Ok(Some(Arc::new(config)))
}

fn load_roots(source: &RootSource) -> Result<RootCertStore, Failure> {
    let mut store = RootCertStore::empty();
    match source {
        RootSource::System => {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
        RootSource::File(path) => {
            let failure = |detail: String| Failure::RootCertificates { path: path.clone(), detail };
            let pem = std::fs::read(path).map_err(|error| failure(error.to_string()))?;
            for certificate in CertificateDer::pem_slice_iter(&pem) {
                let certificate =
                    certificate.map_err(|error| failure(format!("it is not valid PEM ({error})")))?;
                store
                    .add(certificate)
                    .map_err(|error| failure(format!("a certificate in it is invalid ({error})")))?;
            }
            if store.is_empty() {
                return Err(failure("it holds no PEM certificate".to_string()));
            }
        }
    }
    Ok(store)
}

/// `sslmode=prefer`/`require`: encrypt, believe any certificate (libpq does the same).
/// The handshake signature is still checked, so the server holds the certificate's key.
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

/// `sslmode=verify-ca`: the chain must lead to a trusted root; the name is not checked.
#[derive(Debug)]
struct ChainOnly {
    roots: Arc<RootCertStore>,
    algorithms: WebPkiSupportedAlgorithms,
}

/// The handshake signature checks, the same for every verifier here: with the crypto
/// provider's algorithms (`self.algorithms`), whatever the certificate policy.
macro_rules! signature_checks {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            certificate: &CertificateDer<'_>,
            signature: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, certificate, signature, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            certificate: &CertificateDer<'_>,
            signature: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, certificate, signature, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    };
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    signature_checks!();
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let certificate = ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &certificate,
            &self.roots,
            intermediates,
            now,
            self.algorithms.all,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    signature_checks!();
}

/// tokio-postgres' hook for TLS: called after the server accepted the SSLRequest.
struct RustlsConnect {
    config: Option<Arc<ClientConfig>>,
    name: Option<ServerName<'static>>,
    progress: Arc<Progress>,
}

/// Why the TLS handshake failed; tokio-postgres hands it back as the error's source.
#[derive(Debug)]
enum TlsFailure {
    Rustls(rustls::Error),
    Io(io::Error),
    /// The host cannot be a TLS server name, or TLS was not configured.
    NoName,
}

/// A TLS stream that gives tokio-postgres the `tls-server-end-point` channel binding.
struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = TlsFailure;
    type Future = Pin<Box<dyn Future<Output = Result<RustlsStream<S>, TlsFailure>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        let RustlsConnect { config, name, progress } = self;
        progress.started.store(true, Ordering::SeqCst);
        Box::pin(async move {
            let (Some(config), Some(name)) = (config, name) else {
                return Err(TlsFailure::NoName);
            };
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await
                .map_err(TlsFailure::from_io)?;
            progress.done.store(true, Ordering::SeqCst);
            Ok(RustlsStream(stream))
        })
    }
}

impl TlsFailure {
    /// tokio-rustls reports rustls' errors inside an `io::Error`; take them out.
    fn from_io(error: io::Error) -> TlsFailure {
        match error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            Some(rustls_error) => TlsFailure::Rustls(rustls_error.clone()),
            None => TlsFailure::Io(error),
        }
    }
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsFailure::Rustls(error) => write!(formatter, "{error}"),
            TlsFailure::Io(error) => write!(formatter, "{error}"),
            TlsFailure::NoName => formatter.write_str("the host cannot be used as a TLS server name"),
        }
    }
}

impl StdError for TlsFailure {}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(context, buffer)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(self: Pin<&mut Self>, context: &mut Context<'_>, buffer: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(context, buffer)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(context, buffers)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(context)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> tokio_postgres::tls::TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        let (_, session) = self.0.get_ref();
        session
            .peer_certificates()
            .and_then(|certificates| certificates.first())
            .and_then(|certificate| tls_server_end_point(certificate))
            .map_or_else(ChannelBinding::none, ChannelBinding::tls_server_end_point)
    }
}

// ---------------------------------------------------------------------------------------
// Channel binding: `tls-server-end-point` (RFC 5929, section 4.1) is the hash of the
// server's certificate, with the hash of the certificate's signature algorithm; MD5 and
// SHA-1 become SHA-256. The server computes the same with OpenSSL; a certificate whose
// algorithm names no hash (Ed25519) has no binding, and the server refuses it too.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// DER of the object identifiers of signature and hash algorithms, and their hash.
const SIGNATURE_HASHES: &[(&[u8], Hash)] = &[
    // md5WithRSAEncryption and sha1WithRSAEncryption (1.2.840.113549.1.1.4 and .5)
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04], Hash::Sha256),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05], Hash::Sha256),
    // sha256, sha384, sha512 and sha224WithRSAEncryption (.11 to .14)
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b], Hash::Sha256),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c], Hash::Sha384),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d], Hash::Sha512),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0e], Hash::Sha224),
    // ecdsa-with-SHA1 (1.2.840.10045.4.1), ecdsa-with-SHA224/256/384/512 (…4.3.1 to .4)
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01], Hash::Sha256),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01], Hash::Sha224),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02], Hash::Sha256),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03], Hash::Sha384),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04], Hash::Sha512),
    // dsa-with-sha1 (1.2.840.10040.4.3), dsa-with-sha224/256 (2.16.840.1.101.3.4.3.1 and .2)
    (&[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03], Hash::Sha256),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x01], Hash::Sha224),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02], Hash::Sha256),
    // The hash algorithms themselves, as RSASSA-PSS parameters name them: sha1
    // (1.3.14.3.2.26), sha256/384/512/224 (2.16.840.1.101.3.4.2.1 to .4).
    (&[0x2b, 0x0e, 0x03, 0x02, 0x1a], Hash::Sha256),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01], Hash::Sha256),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02], Hash::Sha384),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03], Hash::Sha512),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04], Hash::Sha224),
];

/// id-RSASSA-PSS (1.2.840.113549.1.1.10): the hash is in the parameters.
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];

const DER_SEQUENCE: u8 = 0x30;
const DER_OBJECT_IDENTIFIER: u8 = 0x06;
const DER_CONTEXT_0: u8 = 0xa0;

/// The `tls-server-end-point` binding of a DER certificate, or `None` when its signature
/// algorithm names no usable hash or it cannot be read.
fn tls_server_end_point(certificate: &[u8]) -> Option<Vec<u8>> {
    let hash = certificate_hash(certificate)?;
    Some(match hash {
        Hash::Sha224 => sha2::Sha224::digest(certificate).to_vec(),
        Hash::Sha256 => sha2::Sha256::digest(certificate).to_vec(),
        Hash::Sha384 => sha2::Sha384::digest(certificate).to_vec(),
        Hash::Sha512 => sha2::Sha512::digest(certificate).to_vec(),
    })
}

/// Reads `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }`
/// just far enough to find the hash of `signatureAlgorithm`.
fn certificate_hash(certificate: &[u8]) -> Option<Hash> {
    let (DER_SEQUENCE, body, _) = der_element(certificate)? else { return None };
    let (DER_SEQUENCE, _, after_tbs) = der_element(body)? else { return None };
    let (DER_SEQUENCE, algorithm, _) = der_element(after_tbs)? else { return None };
    let (DER_OBJECT_IDENTIFIER, oid, parameters) = der_element(algorithm)? else { return None };
    if oid == RSASSA_PSS {
        return pss_hash(parameters);
    }
    SIGNATURE_HASHES.iter().find(|(known, _)| *known == oid).map(|(_, hash)| *hash)
}

/// `RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1, … }`.
fn pss_hash(parameters: &[u8]) -> Option<Hash> {
    let default = Some(Hash::Sha256);
    let Some((DER_SEQUENCE, fields, _)) = der_element(parameters) else { return default };
    let Some((DER_CONTEXT_0, explicit, _)) = der_element(fields) else { return default };
    let (DER_SEQUENCE, algorithm, _) = der_element(explicit)? else { return None };
    let (DER_OBJECT_IDENTIFIER, oid, _) = der_element(algorithm)? else { return None };
    SIGNATURE_HASHES.iter().find(|(known, _)| *known == oid).map(|(_, hash)| *hash)
}

/// One DER element: its tag, its contents, and what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count].iter().fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
        (length, &rest[count..])
    };
    if rest.len() < length {
        return None;
    }
    Some((tag, &rest[..length], &rest[length..]))
}

// ---------------------------------------------------------------------------------------
// Messages.

fn describe(failure: &Failure, settings: &Settings) -> ConnectError {
    use ConnectErrorKind as Kind;
    let target = settings.target();
    match failure {
        Failure::Timeout(limit) => settings.error(
            Kind::Timeout,
            format!(
                "no answer within {}. Check the host and port, and that no firewall or VPN blocks the \
                 connection; on a slow network, raise --connect-timeout",
                seconds(*limit)
            ),
        ),
        Failure::Resolve(error) => settings.error(
            Kind::UnknownHost,
            format!(
                "the host name `{}` could not be resolved ({}). Check the host name for typos (a Neon host \
                 looks like `ep-cool-darkness-123456.us-east-2.aws.neon.tech`); if it is right, check your \
                 DNS and network connection",
                escape(&target.host),
                escape(&error.to_string())
            ),
        ),
        Failure::Network { addresses, error } => describe_network(addresses, error, settings),
        Failure::Postgres { error, tls } => describe_postgres(error, *tls, settings),
        Failure::RootCertificates { path, detail } => settings.error(
            Kind::Tls,
            format!(
                "cannot read the root certificates in `{}` (sslrootcert): {}. Check the path, or use \
                 sslrootcert=system to trust the system's certificate authorities",
                escape(&path.display().to_string()),
                escape(detail)
            ),
        ),
        Failure::TlsSetup(detail) => {
            settings.error(Kind::Tls, format!("TLS could not be set up: {}", escape(detail)))
        }
    }
}

fn describe_network(addresses: &[String], error: &io::Error, settings: &Settings) -> ConnectError {
    use ConnectErrorKind as Kind;
    let target = settings.target();
    let tried = if addresses.len() > 1 || addresses.first().is_some_and(|address| *address != target.host) {
        format!(" (tried {})", addresses.join(", "))
    } else {
        String::new()
    };
    match error.kind() {
        io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => settings.error(
            Kind::Refused,
            format!("connection refused{tried}. Is the server running, and are the host and port right?"),
        ),
        io::ErrorKind::TimedOut => settings.error(
            Kind::Timeout,
            format!(
                "the connection timed out{tried}. Check the host and port, and that no firewall or VPN \
                 blocks the connection"
            ),
        ),
        _ => settings.error(
            Kind::Other,
            format!(
                "{}{tried}. Check the host and port, and your network connection",
                escape(&error.to_string())
            ),
        ),
    }
}

fn describe_postgres(error: &tokio_postgres::Error, tls: Handshake, settings: &Settings) -> ConnectError {
    use ConnectErrorKind as Kind;
    if let Some(db_error) = error.as_db_error() {
        return describe_db_error(db_error, settings);
    }
    let source = error.source();
    if let Some(failure) = source.and_then(|source| source.downcast_ref::<TlsFailure>()) {
        return describe_tls(failure, settings);
    }
    // tokio-postgres' own errors carry a fixed text; these are the ones startup can give.
    let top = error.to_string();
    let detail = source.map(|source| source.to_string()).unwrap_or_default();
    if top == "error performing TLS handshake" && !tls.started {
        return settings.error(
            Kind::TlsUnsupported,
            format!(
                "the server does not accept TLS, and sslmode={} requires it. Check the host and port (a \
                 pooler or proxy may speak plain TCP only); use sslmode=prefer or sslmode=disable only on a \
                 network you trust",
                settings.sslmode.name()
            ),
        );
    }
    if detail == "server did not use channel binding" {
        if !tls.done {
            return settings.error(
                Kind::TlsUnsupported,
                "channel_binding=require needs TLS, but the server does not accept TLS. Enable TLS on the \
                 server, or drop channel_binding=require on a network you trust"
                    .to_string(),
            );
        }
        return settings.error(
            Kind::Authentication,
            "channel_binding=require, but the server did not use channel binding: it accepted the login \
             without SCRAM (for example with trust or md5 authentication) or does not offer \
             SCRAM-SHA-256-PLUS. Use scram-sha-256 on the server, or channel_binding=prefer"
                .to_string(),
        );
    }
    if detail == "password missing" {
        return settings.error(
            Kind::Authentication,
            "the server asks for a password, but none was given. Add it to the URL \
             (`postgresql://USER:PASSWORD@HOST/DATABASE`) or set PGPASSWORD"
                .to_string(),
        );
    }
    if detail == "unsupported authentication method" || detail == "unsupported SASL mechanism" {
        return settings.error(
            Kind::Authentication,
            "the server asks for an authentication method neonlint does not support (Kerberos, GSSAPI, \
             SSPI or an unknown SASL mechanism). Use a password login (scram-sha-256)"
                .to_string(),
        );
    }
    if top == "authentication error" {
        return settings.error(
            Kind::Authentication,
            format!(
                "the server's SCRAM authentication did not check out ({}). Check the password; if it is \
                 right, something between you and the server may be tampering with the connection",
                escape(&detail)
            ),
        );
    }
    if error.is_closed() || top == "unexpected message from server" {
        return settings.error(
            Kind::Other,
            "the server closed the connection or answered something that is not PostgreSQL during \
             startup. Check that the port belongs to PostgreSQL"
                .to_string(),
        );
    }
    let what = if detail.is_empty() { top } else { format!("{top}: {detail}") };
    settings.error(
        Kind::Other,
        format!("{}. Check the host and port, and your network connection", escape(&what)),
    )
}

fn describe_db_error(error: &DbError, settings: &Settings) -> ConnectError {
    use ConnectErrorKind as Kind;
    let target = settings.target();
    let code = error.code();
    if *code == SqlState::INVALID_PASSWORD {
        return settings.error(
            Kind::Authentication,
            format!(
                "the server rejected the password for user `{}`. Check the password (in a URL, \
                 percent-encode `@`, `:`, `/`, `?`, `#` and `%` in it); on Neon, the Console can reset \
                 it under Roles",
                escape(&target.user)
            ),
        );
    }
    if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
        return settings.error(
            Kind::Authentication,
            format!(
                "the server refused the login: {}. Check the user name, and that the server's pg_hba.conf \
                 allows this user, database and client address (with or without TLS)",
                escape(error.message())
            ),
        );
    }
    if *code == SqlState::UNDEFINED_DATABASE {
        return settings.error(
            Kind::NoDatabase,
            format!(
                "database `{}` does not exist. Check the name in the URL; `psql -h {} -p {} -U {} -d postgres \
                 -l` lists the databases",
                escape(&target.database),
                escape(&target.host),
                target.port,
                escape(&target.user)
            ),
        );
    }
    if *code == SqlState::INSUFFICIENT_PRIVILEGE {
        return settings.error(
            Kind::NoConnectPrivilege,
            format!(
                "role `{}` may not connect to database `{}`: it lacks the CONNECT privilege. Ask the \
                 database owner to run `GRANT CONNECT ON DATABASE {} TO {};`, or connect as a role that has it",
                escape(&target.user),
                escape(&target.database),
                crate::sql::quote_ident(&target.database),
                crate::sql::quote_ident(&target.user)
            ),
        );
    }
    let hint = if *code == SqlState::TOO_MANY_CONNECTIONS {
        "The server has no free connection slot: try again later, or close idle sessions".to_string()
    } else if *code == SqlState::CANNOT_CONNECT_NOW {
        "The server is starting up, shutting down or recovering: try again in a moment".to_string()
    } else {
        match (error.detail(), error.hint()) {
            (_, Some(hint)) => escape(hint),
            (Some(detail), None) => escape(detail),
            (None, None) => "Check the connection settings".to_string(),
        }
    };
    settings.error(
        Kind::Other,
        format!(
            "the server refused the connection: {} (SQLSTATE {}). {hint}",
            escape(error.message()),
            code.code()
        ),
    )
}

fn describe_tls(failure: &TlsFailure, settings: &Settings) -> ConnectError {
    use ConnectErrorKind as Kind;
    let target = settings.target();
    let error = match failure {
        TlsFailure::Rustls(error) => error,
        TlsFailure::Io(error) => {
            return settings.error(
                Kind::Tls,
                format!(
                    "the connection broke during the TLS handshake ({}). Check that the port belongs to \
                     PostgreSQL",
                    escape(&error.to_string())
                ),
            );
        }
        TlsFailure::NoName => {
            return settings.error(
                Kind::Tls,
                format!(
                    "`{}` cannot be used as a TLS server name. Use the server's DNS name or IP address",
                    escape(&target.host)
                ),
            );
        }
    };
    if let rustls::Error::InvalidCertificate(certificate_error) = error {
        return describe_certificate(certificate_error, settings);
    }
    let (what, hint) = match error {
        rustls::Error::AlertReceived(alert) => (
            format!("the server ended the TLS handshake with the alert `{}`", alert_name(*alert)),
            "The server may require TLS settings neonlint does not offer (neonlint speaks TLS 1.2 and 1.3)",
        ),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            ("the server did not answer in TLS".to_string(), "Check that the port belongs to PostgreSQL")
        }
        rustls::Error::PeerIncompatible(_) => (
            format!("the server and neonlint have no TLS version or algorithm in common ({error})"),
            "neonlint speaks TLS 1.2 and 1.3 with modern cipher suites",
        ),
        _ => (format!("the TLS handshake failed ({error})"), "Check the server's TLS configuration"),
    };
    settings.error(Kind::Tls, format!("{}. {hint}", escape(&what)))
}

fn describe_certificate(error: &CertificateError, settings: &Settings) -> ConnectError {
    use ConnectErrorKind as Kind;
    let target = settings.target();
    let roots = match settings.root_source() {
        RootSource::File(path) => format!("`{}` (sslrootcert)", escape(&path.display().to_string())),
        RootSource::System => "the system's trusted certificate authorities".to_string(),
    };
    let relax =
        "or use sslmode=require to encrypt without verifying the server (only on a network you trust)";
    let renew = "The server needs a new certificate; check this machine's clock too";
    let (reason, hint) = match error {
        CertificateError::UnknownIssuer => (
            format!("unknown issuer: no certificate authority in {roots} signed it"),
            format!("Give the certificate authority that signed it with sslrootcert=FILE, {relax}"),
        ),
        CertificateError::Expired => ("it has expired".to_string(), renew.to_string()),
        CertificateError::ExpiredContext { not_after, .. } => {
            (format!("it expired on {}", date(*not_after)), renew.to_string())
        }
        CertificateError::NotValidYet => {
            ("it is not valid yet".to_string(), "Check this machine's clock".to_string())
        }
        CertificateError::NotValidYetContext { not_before, .. } => (
            format!("it is not valid before {}", date(*not_before)),
            "Check this machine's clock".to_string(),
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let names: Vec<String> = match error {
                CertificateError::NotValidForNameContext { presented, .. } => {
                    presented.iter().filter_map(|name| presented_name(name)).collect()
                }
                _ => Vec::new(),
            };
            let names = if names.is_empty() {
                String::new()
            } else {
                format!(
                    "it names {}, ",
                    names.iter().map(|name| format!("`{}`", escape(name))).collect::<Vec<_>>().join(", ")
                )
            };
            (
                format!("host name mismatch: {names}not `{}`", escape(&target.host)),
                "Connect with a host name the certificate names, or use sslmode=verify-ca to verify the chain \
                 but not the name"
                    .to_string(),
            )
        }
        CertificateError::Revoked => {
            ("it has been revoked".to_string(), format!("Check sslrootcert, {relax}"))
        }
        CertificateError::BadSignature => {
            ("its signature does not verify".to_string(), format!("Check sslrootcert, {relax}"))
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => (
            "it is not meant for a TLS server".to_string(),
            format!("Check the server's certificate, {relax}"),
        ),
        other => (other.to_string(), format!("Check sslrootcert, {relax}")),
    };
    settings.error(
        Kind::CertificateInvalid,
        format!(
            "the server's certificate does not verify (sslmode={}): {}. {hint}",
            settings.sslmode.name(),
            escape(&reason)
        ),
    )
}

/// A subject alternative name as rustls reports it (`DnsName("db.example")`,
/// `IpAddress(127.0.0.1)`), as the name alone.
fn presented_name(name: &str) -> Option<String> {
    let inner =
        name.strip_prefix("DnsName(").or_else(|| name.strip_prefix("IpAddress("))?.strip_suffix(')')?;
    Some(inner.trim_matches('"').to_string())
}

fn alert_name(alert: AlertDescription) -> String {
    // `HandshakeFailure` reads as `handshake failure`.
    let name = format!("{alert:?}");
    let mut out = String::new();
    for (index, character) in name.chars().enumerate() {
        if character.is_ascii_uppercase() && index > 0 {
            out.push(' ');
        }
        out.push(character.to_ascii_lowercase());
    }
    out
}

/// `10 s`, or `1.5 s`.
fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

/// A UTC date, `2024-05-01`.
fn date(time: UnixTime) -> String {
    let days = i64::try_from(time.as_secs() / 86_400).unwrap_or(i64::MAX / 2);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
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
    fn redact_urls() {
        assert_eq!(
            redact("postgresql://alex:AbC123@ep-x.neon.tech/neondb"),
            "postgresql://alex:****@ep-x.neon.tech/neondb"
        );
        assert_eq!(redact("postgres://alex@h/db"), "postgres://alex@h/db");
        assert_eq!(redact("postgresql://h:5432/db?user=me@corp"), "postgresql://h:5432/db?user=me@corp");
        assert_eq!(redact("postgresql://u:p%40ss%25@h/db"), "postgresql://u:****@h/db");
        assert_eq!(
            redact("postgresql://u:p@ss/w@h/db?sslmode=require"),
            "postgresql://u:****@h/db?sslmode=require"
        );
        assert_eq!(
            redact("postgresql://h/db?user=u&password=secret&sslmode=require"),
            "postgresql://h/db?user=u&password=****&sslmode=require"
        );
        assert_eq!(redact("  postgresql://u:secret@h/db  "), "  postgresql://u:****@h/db  ");
    }

    #[test]
    fn redact_key_value() {
        assert_eq!(redact("host=h password=secret user=u"), "host=h password=**** user=u");
        assert_eq!(redact("host=h password = 'se cret' user=u"), "host=h password = **** user=u");
        assert_eq!(redact("password=x\\ y"), "password=****");
        assert_eq!(redact("host=h user=u"), "host=h user=u");
        // Misspelt or upper-case keys are an error later, but their values stay hidden.
        assert_eq!(redact("host=h PASSWORD=secret"), "host=h PASSWORD=****");
        assert_eq!(redact("postgresql://h/db?pasword=secret"), "postgresql://h/db?pasword=****");
    }

    #[test]
    fn redact_leaves_other_command_line_arguments_alone() {
        // The CLI redacts every argument when it records the command line.
        for argument in ["db", "--format", "json", "--fix-out=fix.sql", "migrations/v1@2024", "--schema=api"]
        {
            assert_eq!(redact(argument), argument);
        }
        assert_eq!(redact("--url=postgresql://u:secret@h/db"), "--url=postgresql://u:****@h/db");
    }

    #[test]
    fn redact_text_that_does_not_parse() {
        // A `?` in a raw password ends the URL's authority for a parser; the generous
        // rule still hides it.
        assert_eq!(redact("postgresql://u:pa?ss@h/db"), "postgresql://u:****@h/db");
        assert_eq!(redact("host=h password='never closed"), "host=h password=****");
        assert_eq!(redact("host=h password=my pass"), "host=h password=****");
        assert_eq!(redact("user:secret@host"), "user:****@host");
        assert_eq!(redact("mysql://u:secret@h/db"), "mysql://u:****@h/db");
        for text in [
            "",
            "@",
            ":@",
            "postgresql://",
            "postgresql://@",
            "password=",
            "password",
            "é:é@é",
            "%",
            "postgresql://[::1",
        ] {
            let _ = redact(text);
        }
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

    #[test]
    fn channel_binding_hash_follows_the_signature_algorithm() {
        for (algorithm, expected, length) in [
            (&rcgen::PKCS_ECDSA_P256_SHA256, Hash::Sha256, 32),
            (&rcgen::PKCS_ECDSA_P384_SHA384, Hash::Sha384, 48),
        ] {
            let key = rcgen::KeyPair::generate_for(algorithm).unwrap();
            let certificate = rcgen::CertificateParams::new(vec!["localhost".to_string()])
                .unwrap()
                .self_signed(&key)
                .unwrap();
            assert_eq!(certificate_hash(certificate.der()), Some(expected));
            let binding = tls_server_end_point(certificate.der()).unwrap();
            assert_eq!(binding.len(), length);
        }
        let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let certificate = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&ed25519)
            .unwrap();
        assert_eq!(certificate_hash(certificate.der()), None);
        assert_eq!(certificate_hash(b""), None);
        assert_eq!(certificate_hash(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn rsa_pss_hash_comes_from_its_parameters() {
        // AlgorithmIdentifier { id-RSASSA-PSS, { [0] { sha384 } } } after an empty TBS.
        let sha384 = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
        let mut hash_algorithm = vec![0x30, sha384.len() as u8];
        hash_algorithm.extend(sha384);
        let mut explicit = vec![0xa0, hash_algorithm.len() as u8];
        explicit.extend(hash_algorithm);
        let mut parameters = vec![0x30, explicit.len() as u8];
        parameters.extend(explicit);
        let mut algorithm = vec![0x06, RSASSA_PSS.len() as u8];
        algorithm.extend(RSASSA_PSS);
        algorithm.extend(parameters);
        let mut body = vec![0x30, 0x00, 0x30, algorithm.len() as u8];
        body.extend(algorithm);
        let mut certificate = vec![0x30, body.len() as u8];
        certificate.extend(body);
        assert_eq!(certificate_hash(&certificate), Some(Hash::Sha384));
    }

    #[test]
    fn certificate_reasons_are_named() {
        let settings = settings("postgresql://u@db.example/d?sslmode=verify-full&sslrootcert=/ca.pem");
        let unknown = describe_certificate(&CertificateError::UnknownIssuer, &settings);
        assert_eq!(unknown.kind, ConnectErrorKind::CertificateInvalid);
        assert!(unknown.message.contains("(sslmode=verify-full): unknown issuer"), "{}", unknown.message);
        assert!(unknown.message.contains("`/ca.pem` (sslrootcert)"), "{}", unknown.message);
        let expired = describe_certificate(
            &CertificateError::ExpiredContext {
                time: UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000)),
                not_after: UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000)),
            },
            &settings,
        );
        assert!(expired.message.contains("it expired on 2023-11-14"), "{}", expired.message);
        let mismatch = describe_certificate(
            &CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("db.example").unwrap().to_owned(),
                presented: vec!["DnsName(\"other.example\")".to_string()],
            },
            &settings,
        );
        assert!(
            mismatch.message.contains("host name mismatch: it names `other.example`, not `db.example`"),
            "{}",
            mismatch.message
        );
        assert!(
            mismatch
                .message
                .starts_with("cannot connect to PostgreSQL at db.example:5432 (database `d`, user `u`)")
        );
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn identifiers_and_escapes() {
        assert_eq!(crate::sql::quote_ident("neondb"), "neondb");
        assert_eq!(crate::sql::quote_ident("My DB"), "\"My DB\"");
        assert_eq!(crate::sql::quote_ident("user"), "\"user\"");
        assert_eq!(escape("a\nb"), "a\\u{a}b");
        assert_eq!(alert_name(AlertDescription::HandshakeFailure), "handshake failure");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }
}
