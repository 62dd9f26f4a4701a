//! `neonlint db` when it cannot do its job: exit code 2, one message on stderr that names
//! host, port, database and user, nothing on stdout, and never the password — whatever
//! went wrong, even when the URL is echoed.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::proxy::{Action, Direction, Fault, Proxy, frontend_message_types};
use common::server::{self, ServerOptions, TestServer};

const PASSWORD: &str = "Sentinel-Pa55w0rd";

/// Runs `neonlint db` with `args` and no connection settings in the environment.
fn db(args: &[&str]) -> common::Run {
    let output = Command::new(env!("CARGO_BIN_EXE_neonlint"))
        .arg("db")
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .env_remove("PGHOST")
        .env_remove("PGPORT")
        .env_remove("PGDATABASE")
        .env_remove("PGUSER")
        .env_remove("PGPASSWORD")
        .env_remove("PGSSLMODE")
        .output()
        .unwrap();
    common::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn assert_fails(run: &common::Run, expected: &[&str]) {
    assert_eq!(run.code, 2, "exit code; stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert!(run.stderr.starts_with("neonlint: "), "{}", run.stderr);
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "one message: {}", run.stderr);
    for part in expected {
        assert!(run.stderr.contains(part), "no `{part}` in: {}", run.stderr);
    }
    for secret in [PASSWORD, TestServer::PASSWORD, &server::percent_encode(TestServer::PASSWORD)] {
        assert!(
            !run.stderr.contains(secret) && !run.stdout.contains(secret),
            "password shown: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn refused_connection() {
    let port = server::free_port().to_string();
    let url = format!("postgresql://app:{PASSWORD}@127.0.0.1:{port}/neondb");
    assert_fails(&db(&["--url", &url]), &["127.0.0.1", &port, "neondb", "app", "connection refused"]);
}

#[test]
fn unknown_host() {
    let url = format!("postgresql://app:{PASSWORD}@db.host.invalid/neondb?sslmode=require");
    assert_fails(&db(&["--url", &url]), &["db.host.invalid", "5432", "neondb", "app"]);
}

#[test]
fn timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept() {
            held.push(stream);
        }
    });
    let url = format!("postgresql://app:{PASSWORD}@127.0.0.1:{port}/neondb");
    assert_fails(
        &db(&["--url", &url, "--connect-timeout", "1"]),
        &["127.0.0.1", &port, "neondb", "app", "--connect-timeout"],
    );
}

#[test]
fn database_does_not_exist() {
    let Some(_live) = common::live::live("db_faults_database") else { return };
    let admin = common::live::admin_url();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let base = base.replacen("postgresql://postgres@", &format!("postgresql://postgres:{PASSWORD}@"), 1);
    let url = format!("{base}/neonlint_no_such_database?sslmode=disable");
    assert_fails(&db(&["--url", &url]), &["neonlint_no_such_database", "does not exist", "postgres"]);
}

#[test]
fn certificate_that_does_not_verify() {
    let Some(_live) = common::live::live("db_faults_certificate") else { return };
    let admin = common::live::admin_url();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{base}/postgres?sslmode=verify-full&sslrootcert=system");
    assert_fails(&db(&["--url", &url]), &["127.0.0.1", "5432", "does not verify", "verify-full"]);
}

#[test]
fn wrong_password() {
    let Some(server) = TestServer::start(ServerOptions { password_auth: true, ..ServerOptions::default() })
    else {
        return;
    };
    let url = format!("postgresql://postgres:{PASSWORD}@127.0.0.1:{}/postgres?sslmode=disable", server.port);
    assert_fails(&db(&["--url", &url]), &["127.0.0.1", &server.port.to_string(), "postgres", "password"]);
}

#[test]
fn server_without_tls_under_require() {
    let Some(server) = TestServer::start(ServerOptions::default()) else { return };
    let url = server.url("127.0.0.1", "sslmode=require");
    assert_fails(&db(&["--url", &url]), &["does not accept TLS", &server.port.to_string()]);
}

#[test]
fn malformed_url_and_no_url() {
    let url = format!("postgresql://app:{PASSWORD}@[::1/neondb?sslmode=sometimes");
    assert_fails(&db(&["--url", &url]), &["invalid database URL"]);
    assert_fails(&db(&[]), &["DATABASE_URL"]);
}

#[test]
fn sslrootcert_that_never_ends_is_refused_at_once() {
    // `/dev/zero` read without limit before (12 GB in 30 s); a FIFO would wait for a writer.
    let started = Instant::now();
    let url = format!(
        "postgresql://app:{PASSWORD}@127.0.0.1:{}/neondb?sslmode=verify-full&sslrootcert=/dev/zero",
        server::free_port()
    );
    assert_fails(
        &db(&["--url", &url]),
        &["/dev/zero", "sslrootcert", "it is a character device, not a regular file"],
    );
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------
// A server that stops answering, or a connection cut, at any point of the run: a proxy
// between neonlint and a throwaway server forwards N bytes in one direction, then stalls
// or cuts. The run must end with exit 2 within about --connect-timeout plus
// --statement-timeout, naming the step that stalled.

/// The limits the fault runs use: 1 s to connect, 1 s for the catalog read (plus the
/// read's one second of grace).
const CONNECT_TIMEOUT: u64 = 1;
const STATEMENT_TIMEOUT: u64 = 1;

/// The steps of the catalog read, as the messages name them.
const READ_STEPS: &[&str] = &[
    "starting the read-only transaction",
    "setting the statement timeout",
    "the catalog query `",
    "ending the transaction",
];

/// A throwaway server with TLS (a self-signed certificate) and trust authentication,
/// shared by the tests below.
fn fault_server() -> Option<&'static TestServer> {
    static SERVER: OnceLock<Option<TestServer>> = OnceLock::new();
    SERVER.get_or_init(tls_server).as_ref()
}

fn tls_server() -> Option<TestServer> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let certificate =
        rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap().self_signed(&key).unwrap();
    TestServer::start(ServerOptions {
        ssl: Some((certificate.pem(), key.serialize_pem())),
        ..ServerOptions::default()
    })
}

fn upstream(server: &TestServer) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], server.port))
}

/// Runs `neonlint db` through `proxy` with the short limits; returns the run and how long
/// it took.
fn db_through(proxy: &Proxy, sslmode: &str) -> (common::Run, Duration) {
    let url = format!("postgresql://postgres:{PASSWORD}@127.0.0.1:{}/postgres?sslmode={sslmode}", proxy.port);
    let started = Instant::now();
    let run = db(&[
        "--url",
        &url,
        "--connect-timeout",
        &CONNECT_TIMEOUT.to_string(),
        "--statement-timeout",
        &STATEMENT_TIMEOUT.to_string(),
        "--fail-on",
        "never",
    ]);
    (run, started.elapsed())
}

/// A fault case and the phrases one of which its message must contain.
struct Case {
    fault: Fault,
    sslmode: &'static str,
    expected: Vec<&'static str>,
}

/// Runs every case at once (each sits mostly waiting) and checks each: exit 2, one
/// message naming the step, within the limits' sum and a margin for a loaded machine.
fn run_cases(server: &TestServer, cases: Vec<Case>) {
    let bound = Duration::from_secs(CONNECT_TIMEOUT + STATEMENT_TIMEOUT + 1);
    let margin = Duration::from_secs(4);
    std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| {
                scope.spawn(move || {
                    let proxy = Proxy::start(upstream(server), Some(case.fault));
                    db_through(&proxy, case.sslmode)
                })
            })
            .collect();
        for (case, handle) in cases.iter().zip(handles) {
            let (run, elapsed) = handle.join().unwrap();
            let context = format!("{:?} with sslmode={}", case.fault, case.sslmode);
            assert!(elapsed < bound + margin, "{context}: took {elapsed:?}; stderr: {}", run.stderr);
            assert_fails(&run, &["127.0.0.1", "postgres"]);
            assert!(
                case.expected.iter().any(|phrase| run.stderr.contains(phrase)),
                "{context}: none of {:?} in: {}",
                case.expected,
                run.stderr
            );
        }
    });
}

/// The bytes each way of one clean run through a proxy, with `sslmode=disable`.
fn clean_run_sizes(server: &TestServer) -> (usize, usize) {
    let proxy = Proxy::start(upstream(server), None);
    let (run, _) = db_through(&proxy, "disable");
    assert!(run.code == 0, "a clean run through the proxy works: {}", run.stderr);
    assert!(proxy.wait_for_client_end(1, Duration::from_secs(5)), "the client closed its side");
    (proxy.client_bytes().len(), proxy.server_byte_count())
}

#[test]
fn db_run_ends_with_a_terminate_message() {
    let Some(server) = fault_server() else { return };
    let proxy = Proxy::start(upstream(server), None);
    let (run, _) = db_through(&proxy, "disable");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(proxy.wait_for_client_end(1, Duration::from_secs(5)), "the client closed its side");
    let types = frontend_message_types(&proxy.client_bytes());
    assert!(types.len() > 10, "the catalog queries went through: {types:?}");
    assert_eq!(
        types.last(),
        Some(&b'X'),
        "the last message is Terminate: {:?}",
        String::from_utf8_lossy(&types)
    );
}

#[test]
fn server_logs_no_connection_reset_after_a_db_run() {
    // A server of its own: the fault tests leave abrupt ends in the shared one's log. With
    // TLS, as most runs are: a socket closed with the server's unread session tickets in
    // it is reset, which the server logs.
    let Some(server) = tls_server() else { return };
    let url = format!("postgresql://postgres@127.0.0.1:{}/postgres?sslmode=require", server.port);
    for _ in 0..3 {
        let run = db(&["--url", &url, "--fail-on", "never"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    // The server logs an abrupt end as it notices it, in the backend's own process.
    std::thread::sleep(Duration::from_millis(300));
    let log = server.log();
    for abrupt in
        ["connection reset by peer", "Connection reset by peer", "unexpected EOF on client connection"]
    {
        assert!(!log.contains(abrupt), "the server logged `{abrupt}`:\n{log}");
    }
}

#[test]
fn db_stalled_by_a_silent_server_exits_within_its_timeouts() {
    let Some(server) = fault_server() else { return };
    let (to_server, to_client) = clean_run_sizes(server);
    let stall = |direction, after| Fault { direction, after, action: Action::Stall };
    let mut cases = vec![
        // Nothing comes back after the startup message: the login stalls.
        Case {
            fault: stall(Direction::ToClient, 0),
            sslmode: "disable",
            expected: vec!["during authentication"],
        },
        Case {
            fault: stall(Direction::ToServer, 0),
            sslmode: "disable",
            expected: vec!["during authentication"],
        },
        Case {
            fault: stall(Direction::ToServer, 8),
            sslmode: "disable",
            expected: vec!["during authentication"],
        },
    ];
    // Further in: a catalog query (or the transaction around them) gets no answer.
    for (direction, total) in [(Direction::ToClient, to_client), (Direction::ToServer, to_server)] {
        for after in [total / 4, total / 2, total * 3 / 4] {
            cases.push(Case {
                fault: stall(direction, after),
                sslmode: "disable",
                expected: READ_STEPS.to_vec(),
            });
        }
    }
    // The case: about 2 KB from the server, then silence.
    cases.push(Case {
        fault: stall(Direction::ToClient, 2048.min(to_client - 1)),
        sslmode: "disable",
        expected: READ_STEPS.iter().copied().chain(["during authentication"]).collect(),
    });
    run_cases(server, cases);
}

#[test]
fn db_stalled_during_tls_names_the_tls_step() {
    let Some(server) = fault_server() else { return };
    let stall = |direction, after| Fault { direction, after, action: Action::Stall };
    run_cases(
        server,
        vec![
            // The SSLRequest reaches the server; its answer never comes back.
            Case {
                fault: stall(Direction::ToClient, 0),
                sslmode: "require",
                expected: vec!["did not answer the request for TLS"],
            },
            // `S` comes back, the server's half of the handshake does not.
            Case {
                fault: stall(Direction::ToClient, 1),
                sslmode: "require",
                expected: vec!["the TLS handshake"],
            },
            // The SSLRequest goes through, the client's hello does not.
            Case {
                fault: stall(Direction::ToServer, 8),
                sslmode: "require",
                expected: vec!["the TLS handshake"],
            },
        ],
    );
}

#[test]
fn db_connection_cut_midway_exits_naming_the_step() {
    let Some(server) = fault_server() else { return };
    let (to_server, to_client) = clean_run_sizes(server);
    let cut = |direction, after| Fault { direction, after, action: Action::Cut };
    let mut cases = vec![
        Case {
            fault: cut(Direction::ToClient, 0),
            sslmode: "disable",
            expected: vec!["during authentication"],
        },
        Case {
            fault: cut(Direction::ToServer, 0),
            sslmode: "disable",
            expected: vec!["during authentication"],
        },
        Case { fault: cut(Direction::ToClient, 1), sslmode: "require", expected: vec!["the TLS handshake"] },
    ];
    for (direction, total) in [(Direction::ToClient, to_client), (Direction::ToServer, to_server)] {
        for after in [total / 4, total / 2, total * 3 / 4] {
            cases.push(Case {
                fault: cut(direction, after),
                sslmode: "disable",
                expected: READ_STEPS.to_vec(),
            });
        }
    }
    run_cases(server, cases);
}
