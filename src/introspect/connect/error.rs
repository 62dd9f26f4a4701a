//! What a failed connection says: [`ConnectError`], and the `describe` functions that turn
//! each way a connection can fail (name lookup, TCP, TLS, the certificate, the server's
//! refusal) into one paragraph naming host, port, database and user, and what to try.
//!
//! Nothing here connects or reads settings; a message never contains a password (it is
//! built from `Settings`, whose password is never shown) and escapes what the server says.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Duration;

use rustls::{AlertDescription, CertificateError};
use rustls_pki_types::UnixTime;
use tokio_postgres::error::{DbError, SqlState};

use super::settings::{RootSource, Settings};
use super::tls::TlsFailure;
use super::{Failure, Handshake, Phase, Target};
use crate::calendar::civil_from_days;
use crate::text::escape_control as escape;

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

impl fmt::Display for ConnectError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl StdError for ConnectError {}

pub(super) fn describe(failure: &Failure, settings: &Settings) -> ConnectError {
    use ConnectErrorKind as Kind;
    let target = settings.target();
    match failure {
        Failure::Timeout { limit, phase } => describe_timeout(*limit, *phase, settings),
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
        Failure::Postgres { error, tls, phase } => describe_postgres(error, *tls, *phase, settings),
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

/// The connection ran out of time at `phase`: say which step stalled and what to check.
fn describe_timeout(limit: Duration, phase: Phase, settings: &Settings) -> ConnectError {
    let within = seconds(limit);
    let what = match phase {
        Phase::Lookup | Phase::Tcp => format!(
            "no answer within {within} ({}). Check the host and port, and that no firewall or VPN blocks the \
             connection",
            phase.name()
        ),
        Phase::TlsRequest => format!(
            "the server accepted the connection but did not answer the request for TLS within {within}. \
             Check that the port belongs to PostgreSQL, and that no proxy between you and the server holds \
             the connection"
        ),
        Phase::TlsHandshake | Phase::Authentication => format!(
            "the server stopped answering during {} and nothing came within {within}. Check the server's \
             health and any proxy or pooler between you and it",
            phase.name()
        ),
    };
    settings.error(ConnectErrorKind::Timeout, format!("{what}; on a slow network, raise --connect-timeout"))
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

fn describe_postgres(
    error: &tokio_postgres::Error,
    tls: Handshake,
    phase: Phase,
    settings: &Settings,
) -> ConnectError {
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
            format!(
                "the server closed the connection or answered something that is not PostgreSQL during {}. \
                 Check that the port belongs to PostgreSQL",
                phase.name()
            ),
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

    use rustls_pki_types::ServerName;

    use super::super::ConnectOptions;

    fn settings(url: &str) -> Settings {
        let options = ConnectOptions { url: Some(url.to_string()), ..ConnectOptions::default() };
        Settings::resolve(&options, &|_| None).unwrap_or_else(|error| panic!("{url}: {error}"))
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
