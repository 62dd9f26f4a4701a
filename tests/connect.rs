//! Live tests of `introspect::connect` against real servers: the shared PostgreSQL at
//! `NEONLINT_TEST_DATABASE_URL` and throwaway ones (TLS with certificates made here,
//! password authentication, TLS off). Each fault checks the error's kind, that the
//! message names host, port, database and user, and that no password leaks.

mod common;

use common::server::{self, ServerOptions, TestServer};

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use neonlint::introspect::connect::{
    ConnectError, ConnectErrorKind, ConnectOptions, Connection, connect, redact,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// A password put in URLs so that tests can check it never leaks.
const SENTINEL: &str = "s3cret-Sentinel";

fn options(url: &str) -> ConnectOptions {
    ConnectOptions { url: Some(url.to_string()), ..ConnectOptions::default() }
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

/// The shared server's URL, or `None` (after printing why) when it does not answer;
/// under `CI=true` that fails the test instead.
async fn local_url() -> Option<String> {
    let url = std::env::var("NEONLINT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".to_string());
    match connect(&options(&url)).await {
        Ok(_) => Some(url),
        Err(error) if ci() => panic!("no PostgreSQL at {}: {error}", redact(&url)),
        Err(error) => {
            eprintln!("skipped: no PostgreSQL at {} ({:?})", redact(&url), error.kind);
            None
        }
    }
}

/// `url` with `query` added; later settings win, so this overrides.
fn with(url: &str, query: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

/// The shared server's URL with [`SENTINEL`] as password when it has none (trust
/// authentication ignores it), and `query`.
fn local_with_sentinel(url: &str, query: &str) -> (String, Option<&'static str>) {
    if redact(url) == url {
        (with(url, &format!("password={SENTINEL}&{query}")), Some(SENTINEL))
    } else {
        (with(url, query), None)
    }
}

async fn ssl_in_use(connection: &Connection) -> bool {
    let row = connection
        .client
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .await
        .expect("pg_stat_ssl answers");
    row.get(0)
}

/// Fails unless `error` is of `kind` and its message and target name host, port,
/// database and user.
fn assert_fault(
    error: &ConnectError,
    kind: ConnectErrorKind,
    host: &str,
    port: u16,
    database: &str,
    user: &str,
) {
    let message = error.to_string();
    assert_eq!(error.kind, kind, "wrong kind for: {message}");
    for part in [host.to_string(), port.to_string(), format!("`{database}`"), format!("`{user}`")] {
        assert!(message.contains(&part), "the message does not name {part}: {message}");
    }
    let target = error.target.as_ref().expect("a connection error names its target");
    assert_eq!((target.host.as_str(), target.port), (host, port));
}

fn assert_no_password(error: &ConnectError, password: &str) {
    assert!(!error.to_string().contains(password), "the password leaked into the message: {error}");
    assert!(!format!("{error:?}").contains(password), "the password leaked into Debug: {error:?}");
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

// ---------------------------------------------------------------------------------------
// Throwaway servers, one of each per test run.

/// A server with a certificate for `localhost` from a CA made here, password
/// authentication, and a second CA that did not sign it.
struct TlsServer {
    server: TestServer,
    ca: PathBuf,
    other_ca: PathBuf,
}

fn tls_server() -> Option<&'static TlsServer> {
    static SERVER: OnceLock<Option<TlsServer>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            // The CA signs with ECDSA P-384 and SHA-384, like Let's Encrypt's E5/E6 that
            // Neon's certificates chain to, so channel binding hashes with SHA-384.
            let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
            let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
            ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            ca_params.distinguished_name.push(DnType::CommonName, "neonlint test CA");
            let ca_certificate = ca_params.self_signed(&ca_key).unwrap();
            let issuer = Issuer::new(ca_params, ca_key);

            let server_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let mut server_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
            server_params.distinguished_name.push(DnType::CommonName, "localhost");
            let server_certificate = server_params.signed_by(&server_key, &issuer).unwrap();

            let other_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let mut other_params = CertificateParams::new(Vec::<String>::new()).unwrap();
            other_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            other_params.distinguished_name.push(DnType::CommonName, "another CA");
            let other_certificate = other_params.self_signed(&other_key).unwrap();

            let server = TestServer::start(ServerOptions {
                ssl: Some((server_certificate.pem(), server_key.serialize_pem())),
                password_auth: true,
                settings: Vec::new(),
            })?;
            let ca = server::write_file(server.directory(), "ca.pem", &ca_certificate.pem());
            let other_ca = server::write_file(server.directory(), "other-ca.pem", &other_certificate.pem());
            Some(TlsServer { server, ca, other_ca })
        })
        .as_ref()
}

/// A server with TLS off and password authentication.
fn plain_server() -> Option<&'static TestServer> {
    static SERVER: OnceLock<Option<TestServer>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            TestServer::start(ServerOptions { ssl: None, password_auth: true, settings: Vec::new() })
        })
        .as_ref()
}

/// A server whose TLS rustls cannot speak: TLS 1.2 with a cipher suite without forward
/// secrecy only.
fn incompatible_tls_server() -> Option<&'static TestServer> {
    static SERVER: OnceLock<Option<TestServer>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let certificate =
                CertificateParams::new(vec!["localhost".to_string()]).unwrap().self_signed(&key).unwrap();
            TestServer::start(ServerOptions {
                ssl: Some((certificate.pem(), key.serialize_pem())),
                password_auth: false,
                settings: vec![
                    ("ssl_max_protocol_version".to_string(), "TLSv1.2".to_string()),
                    ("ssl_ciphers".to_string(), "AES128-SHA".to_string()),
                ],
            })
        })
        .as_ref()
}

#[tokio::test]
async fn throwaway_server_stops_and_is_removed_on_drop() {
    let Some(server) = TestServer::start(ServerOptions::default()) else { return };
    let (port, directory) = (server.port, server.directory().to_path_buf());
    connect(&options(&server.url("127.0.0.1", "sslmode=disable")))
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    drop(server);
    assert!(!directory.exists(), "{} is left behind", directory.display());
    let url = format!("postgresql://postgres@127.0.0.1:{port}/postgres");
    let error = connect(&options(&url)).await.err().expect("the server is stopped");
    assert_eq!(error.kind, ConnectErrorKind::Refused, "{error}");
}

// ---------------------------------------------------------------------------------------
// The shared server: sslmode decides whether TLS is on.

#[tokio::test]
async fn sslmode_disable_and_require_on_the_shared_server() {
    let Some(url) = local_url().await else { return };
    let plain = connect(&options(&with(&url, "sslmode=disable"))).await.expect("sslmode=disable connects");
    assert!(!plain.tls);
    assert!(!ssl_in_use(&plain).await, "sslmode=disable must not use TLS");

    let ssl: String = plain.client.query_one("SHOW ssl", &[]).await.unwrap().get(0);
    if ssl != "on" {
        assert!(!ci(), "the shared server at {} has ssl off; the CI server must have it on", redact(&url));
        eprintln!("skipped: the server at {} has ssl off", redact(&url));
        return;
    }
    let encrypted =
        connect(&options(&with(&url, "sslmode=require"))).await.expect("sslmode=require connects");
    assert!(encrypted.tls);
    assert!(ssl_in_use(&encrypted).await, "sslmode=require must use TLS");

    // libpq's default, prefer, uses TLS when the server has it.
    let preferred = connect(&options(&with(&url, "sslmode=prefer"))).await.expect("sslmode=prefer connects");
    assert!(preferred.tls && ssl_in_use(&preferred).await);
}

// ---------------------------------------------------------------------------------------
// Certificates.

#[tokio::test]
async fn verify_full_with_the_right_ca() {
    let Some(tls) = tls_server() else { return };
    let url = tls.server.url("localhost", &format!("sslmode=verify-full&sslrootcert={}", tls.ca.display()));
    let connection = connect(&options(&url)).await.unwrap_or_else(|error| panic!("{error}"));
    assert!(connection.tls);
    assert!(ssl_in_use(&connection).await);
}

#[tokio::test]
async fn verify_full_with_another_ca_is_an_unknown_issuer() {
    let Some(tls) = tls_server() else { return };
    let url =
        tls.server.url("localhost", &format!("sslmode=verify-full&sslrootcert={}", tls.other_ca.display()));
    let error = connect(&options(&url)).await.err().expect("another CA must not verify");
    assert_fault(
        &error,
        ConnectErrorKind::CertificateInvalid,
        "localhost",
        tls.server.port,
        "postgres",
        "postgres",
    );
    assert!(error.message.contains("unknown issuer"), "{error}");
    assert!(error.message.contains("sslrootcert"), "{error}");
    assert_no_password(&error, TestServer::PASSWORD);
}

#[tokio::test]
async fn verify_full_with_the_wrong_host_name_is_a_mismatch() {
    let Some(tls) = tls_server() else { return };
    // The certificate names `localhost` only, not the address 127.0.0.1.
    let url = tls.server.url("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={}", tls.ca.display()));
    let error = connect(&options(&url)).await.err().expect("127.0.0.1 is not in the certificate");
    assert_fault(
        &error,
        ConnectErrorKind::CertificateInvalid,
        "127.0.0.1",
        tls.server.port,
        "postgres",
        "postgres",
    );
    assert!(error.message.contains("host name mismatch"), "{error}");
    assert!(error.message.contains("localhost"), "{error}");
    assert_no_password(&error, TestServer::PASSWORD);
}

#[tokio::test]
async fn verify_ca_does_not_check_the_host_name() {
    let Some(tls) = tls_server() else { return };
    let url = tls.server.url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={}", tls.ca.display()));
    let connection = connect(&options(&url)).await.unwrap_or_else(|error| panic!("{error}"));
    assert!(connection.tls);
}

#[tokio::test]
async fn require_with_sslrootcert_verifies_the_chain_as_libpq_does() {
    let Some(tls) = tls_server() else { return };
    let good = tls.server.url("127.0.0.1", &format!("sslmode=require&sslrootcert={}", tls.ca.display()));
    connect(&options(&good)).await.unwrap_or_else(|error| panic!("{error}"));
    let bad = tls.server.url("127.0.0.1", &format!("sslmode=require&sslrootcert={}", tls.other_ca.display()));
    let error = connect(&options(&bad)).await.err().expect("the other CA must not verify");
    assert_eq!(error.kind, ConnectErrorKind::CertificateInvalid, "{error}");
}

#[tokio::test]
async fn certificate_of_the_shared_server_does_not_verify_against_the_system_roots() {
    let Some(url) = local_url().await else { return };
    let base = connect(&options(&url)).await.unwrap();
    let target = base.target.clone();
    if !base.tls {
        eprintln!("skipped: the server at {} has ssl off", redact(&url));
        return;
    }
    let (url, sentinel) = local_with_sentinel(&url, "sslmode=verify-full&sslrootcert=system");
    let error = connect(&options(&url)).await.err().expect("a snakeoil certificate must not verify");
    assert_fault(
        &error,
        ConnectErrorKind::CertificateInvalid,
        &target.host,
        target.port,
        &target.database,
        &target.user,
    );
    // Debian links its snakeoil certificate among the system's, so the reason may be the
    // host name (it names `localhost`) rather than the issuer.
    assert!(
        error.message.contains("unknown issuer") || error.message.contains("host name mismatch"),
        "the message must name the reason: {error}"
    );
    if let Some(sentinel) = sentinel {
        assert_no_password(&error, sentinel);
    }
}

/// A listener that accepts one connection, answers its SSLRequest with `S`, and hands
/// over the TLS record that follows: the client's ClientHello.
fn capture_client_hello() -> (u16, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else { return };
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut ssl_request = [0u8; 8];
        let mut header = [0u8; 5];
        if stream.read_exact(&mut ssl_request).is_err()
            || stream.write_all(b"S").is_err()
            || stream.read_exact(&mut header).is_err()
        {
            return;
        }
        let mut body = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
        if stream.read_exact(&mut body).is_ok() {
            let _ = sender.send(body);
        }
    });
    (port, receiver)
}

#[tokio::test]
async fn tls_sends_the_host_name_as_sni() {
    // Neon's proxy picks the endpoint from SNI.
    for (query, sent) in [("sslmode=require", true), ("sslmode=require&sslsni=0", false)] {
        let (port, hello) = capture_client_hello();
        let url = format!("postgresql://app@localhost:{port}/neondb?{query}");
        let error =
            connect(&ConnectOptions { connect_timeout: Duration::from_secs(5), ..options(&url) }).await.err();
        assert!(error.is_some(), "the listener does not finish the handshake");
        let hello = hello.recv_timeout(Duration::from_secs(5)).expect("a ClientHello arrives");
        let names_host = hello.windows(b"localhost".len()).any(|window| window == b"localhost");
        assert_eq!(names_host, sent, "{query}: SNI sent is {names_host}");
    }
}

// ---------------------------------------------------------------------------------------
// Channel binding.

#[tokio::test]
async fn channel_binding_require_over_tls_with_scram() {
    let Some(tls) = tls_server() else { return };
    // tokio-postgres fails a required binding unless SCRAM-SHA-256-PLUS succeeded, and the
    // server fails it unless our tls-server-end-point hash (SHA-384 here) matches its own.
    for query in ["sslmode=require&channel_binding=require", "sslmode=prefer&channel_binding=require"] {
        let url = tls.server.url("localhost", query);
        let connection = connect(&options(&url)).await.unwrap_or_else(|error| panic!("{query}: {error}"));
        assert!(connection.tls && ssl_in_use(&connection).await);
    }
}

#[tokio::test]
async fn channel_binding_require_without_tls_says_so() {
    let Some(server) = plain_server() else { return };
    let url = server.url("127.0.0.1", "sslmode=prefer&channel_binding=require");
    let error = connect(&options(&url)).await.err().expect("no TLS, no channel binding");
    assert_fault(&error, ConnectErrorKind::TlsUnsupported, "127.0.0.1", server.port, "postgres", "postgres");
    assert!(error.message.contains("channel_binding=require needs TLS"), "{error}");
    assert_no_password(&error, TestServer::PASSWORD);

    let url = server.url("127.0.0.1", "sslmode=disable&channel_binding=require");
    let error = connect(&options(&url)).await.err().expect("contradictory settings");
    assert_eq!(error.kind, ConnectErrorKind::BadUrl, "{error}");
    assert!(error.message.contains("channel_binding=require needs TLS"), "{error}");
    assert_no_password(&error, TestServer::PASSWORD);
    assert_no_password(&error, &server::percent_encode(TestServer::PASSWORD));
}

// ---------------------------------------------------------------------------------------
// Faults.

#[tokio::test]
async fn connection_refused() {
    let port = server::free_port();
    let url = format!("postgresql://app:{SENTINEL}@127.0.0.1:{port}/neondb");
    let error = connect(&options(&url)).await.err().expect("nothing listens there");
    assert_fault(&error, ConnectErrorKind::Refused, "127.0.0.1", port, "neondb", "app");
    assert!(error.message.contains("connection refused"), "{error}");
    assert_no_password(&error, SENTINEL);
}

#[tokio::test]
async fn unknown_host() {
    let url = format!("postgresql://app:{SENTINEL}@host.invalid:5432/neondb?sslmode=require");
    let error = connect(&options(&url)).await.err().expect("host.invalid does not resolve");
    assert_fault(&error, ConnectErrorKind::UnknownHost, "host.invalid", 5432, "neondb", "app");
    assert_no_password(&error, SENTINEL);
}

#[tokio::test]
async fn timeout_when_the_server_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold connections, and never say a word.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept() {
            held.push(stream);
        }
    });
    let url = format!("postgresql://app:{SENTINEL}@127.0.0.1:{port}/neondb");
    let started = Instant::now();
    let error = connect(&ConnectOptions { connect_timeout: Duration::from_secs(1), ..options(&url) })
        .await
        .err()
        .expect("a silent server times out");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_fault(&error, ConnectErrorKind::Timeout, "127.0.0.1", port, "neondb", "app");
    assert!(error.message.contains("1 s"), "{error}");
    assert!(error.message.contains("--connect-timeout"), "{error}");
    assert_no_password(&error, SENTINEL);
}

#[tokio::test]
async fn wrong_password() {
    let Some(server) = plain_server() else { return };
    let url = format!("postgresql://postgres:{SENTINEL}@127.0.0.1:{}/postgres", server.port);
    let error = connect(&options(&url)).await.err().expect("the password is wrong");
    assert_fault(&error, ConnectErrorKind::Authentication, "127.0.0.1", server.port, "postgres", "postgres");
    assert!(error.message.contains("rejected the password"), "{error}");
    assert_no_password(&error, SENTINEL);

    // The right one, percent-encoded, works.
    connect(&options(&server.url("127.0.0.1", ""))).await.unwrap_or_else(|error| panic!("{error}"));
}

#[tokio::test]
async fn missing_password() {
    let Some(server) = plain_server() else { return };
    let url = format!("postgresql://postgres@127.0.0.1:{}/postgres", server.port);
    let error = connect(&options(&url)).await.err().expect("the server asks for a password");
    assert_fault(&error, ConnectErrorKind::Authentication, "127.0.0.1", server.port, "postgres", "postgres");
    assert!(error.message.contains("none was given"), "{error}");
}

#[tokio::test]
async fn database_does_not_exist() {
    let Some(url) = local_url().await else { return };
    let target = connect(&options(&url)).await.unwrap().target;
    let database = unique("neonlint_missing");
    let (url, sentinel) = local_with_sentinel(&url, &format!("dbname={database}"));
    let error = connect(&options(&url)).await.err().expect("the database does not exist");
    assert_fault(&error, ConnectErrorKind::NoDatabase, &target.host, target.port, &database, &target.user);
    assert!(error.message.contains("psql -h"), "{error}");
    if let Some(sentinel) = sentinel {
        assert_no_password(&error, sentinel);
    }
}

#[tokio::test]
async fn server_without_tls_under_require() {
    let Some(server) = plain_server() else { return };
    let error =
        connect(&options(&server.url("127.0.0.1", "sslmode=require"))).await.err().expect("TLS is off");
    assert_fault(&error, ConnectErrorKind::TlsUnsupported, "127.0.0.1", server.port, "postgres", "postgres");
    assert!(error.message.contains("does not accept TLS"), "{error}");
    assert!(
        error.message.contains("sslmode=prefer or sslmode=disable only on a network you trust"),
        "{error}"
    );
    assert_no_password(&error, TestServer::PASSWORD);

    // prefer falls back to a plain connection.
    let connection = connect(&options(&server.url("127.0.0.1", "sslmode=prefer"))).await.unwrap();
    assert!(!connection.tls);
}

#[tokio::test]
async fn role_without_connect_privilege() {
    let Some(url) = local_url().await else { return };
    let admin = connect(&options(&url)).await.unwrap();
    let role = unique("neonlint_noconnect");
    let password = "Role-Pa55word";
    for statement in [
        format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'"),
        format!("CREATE DATABASE {role}"),
        format!("REVOKE CONNECT ON DATABASE {role} FROM PUBLIC"),
    ] {
        admin.client.batch_execute(&statement).await.unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    let target = &admin.target;
    let host = if target.host.contains(':') { format!("[{}]", target.host) } else { target.host.clone() };
    let role_url = format!("postgresql://{role}:{password}@{host}:{}/{role}", target.port);
    let outcome = connect(&options(&role_url)).await;
    // Clean up before asserting, so a failure leaves nothing behind.
    for statement in [format!("DROP DATABASE IF EXISTS {role}"), format!("DROP ROLE IF EXISTS {role}")] {
        admin.client.batch_execute(&statement).await.unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    let error = outcome.err().expect("the role has no CONNECT privilege");
    assert_fault(&error, ConnectErrorKind::NoConnectPrivilege, &target.host, target.port, &role, &role);
    assert!(error.message.contains(&format!("GRANT CONNECT ON DATABASE {role} TO {role}")), "{error}");
    assert_no_password(&error, password);
}

#[tokio::test]
async fn failed_tls_handshake_under_prefer_falls_back_to_plain_as_libpq_does() {
    let Some(server) = incompatible_tls_server() else { return };
    let connection = connect(&options(&server.url("127.0.0.1", "sslmode=prefer"))).await.unwrap();
    assert!(!connection.tls);
    assert!(!ssl_in_use(&connection).await);

    let error =
        connect(&options(&server.url("127.0.0.1", "sslmode=require"))).await.err().expect("no common TLS");
    assert_fault(&error, ConnectErrorKind::Tls, "127.0.0.1", server.port, "postgres", "postgres");
    assert!(error.message.contains("handshake failure"), "{error}");
}

#[tokio::test]
async fn role_does_not_exist() {
    let Some(url) = local_url().await else { return };
    let target = connect(&options(&url)).await.unwrap().target;
    let role = unique("neonlint_nobody");
    let host = if target.host.contains(':') { format!("[{}]", target.host) } else { target.host.clone() };
    let url = format!("postgresql://{role}:{SENTINEL}@{host}:{}/{}", target.port, target.database);
    let error = connect(&options(&url)).await.err().expect("the role does not exist");
    assert_fault(
        &error,
        ConnectErrorKind::Authentication,
        &target.host,
        target.port,
        &target.database,
        &role,
    );
    assert_no_password(&error, SENTINEL);
}

#[tokio::test]
async fn unreadable_sslrootcert() {
    let url = format!(
        "postgresql://app:{SENTINEL}@127.0.0.1:5432/neondb?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"
    );
    let error = connect(&options(&url)).await.err().expect("the CA file does not exist");
    assert_fault(&error, ConnectErrorKind::Tls, "127.0.0.1", 5432, "neondb", "app");
    assert!(error.message.contains("/nonexistent/ca.pem"), "{error}");
    assert_no_password(&error, SENTINEL);
}

#[tokio::test]
async fn bad_url_is_reported_without_the_password() {
    let error = connect(&options("postgresql://app:s3cret-Pa55@h:port/db")).await.err().unwrap();
    assert_eq!(error.kind, ConnectErrorKind::BadUrl);
    assert!(error.target.is_none());
    assert_no_password(&error, "s3cret-Pa55");
}
