//! `neonlint db` when it cannot do its job: exit code 2, one message on stderr that names
//! host, port, database and user, nothing on stdout, and never the password — whatever
//! went wrong, even when the URL is echoed.

mod common;

use std::net::TcpListener;
use std::process::Command;

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
