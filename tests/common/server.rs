//! Throwaway PostgreSQL servers for integration tests: a fresh cluster in a temporary
//! directory, on a free port of 127.0.0.1, with TLS and password authentication as asked.
//!
//! `TestServer::start` runs `initdb` and `postgres` from the installed PostgreSQL (as the
//! `postgres` OS user when the tests run as root, since the server refuses root). It takes
//! about a second. `Drop` stops the server and removes the directory; a watchdog process
//! does the same if the test process ends without dropping it (a server held in a
//! `static`, a panic that aborts, a killed run). It is not a fixture for the shared server
//! on 5432, and uses only the standard library so that every test binary can include it.

use std::fs::{self, File};
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How a throwaway server is set up.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// A PEM certificate (chain) and its PEM private key: TLS on. `None`: TLS off.
    pub ssl: Option<(String, String)>,
    /// `scram-sha-256` for TCP logins, with [`TestServer::PASSWORD`] for `postgres`;
    /// otherwise `trust`.
    pub password_auth: bool,
    /// More server settings, passed as `-c name=value`.
    pub settings: Vec<(String, String)>,
}

/// A running throwaway server. Stopped, and its directory removed, on drop.
pub struct TestServer {
    pub port: u16,
    directory: PathBuf,
    postgres: Option<Child>,
    watchdog: Child,
    /// Held open: the watchdog cleans up when it closes.
    lifeline: Option<ChildStdin>,
    password_auth: bool,
}

/// Who runs the server's processes.
#[derive(Clone, Copy)]
struct Owner {
    uid: u32,
    gid: u32,
}

impl TestServer {
    /// The superuser's password when `password_auth` is on; it needs percent-encoding in
    /// a URL, on purpose.
    pub const PASSWORD: &'static str = "pa:ss@w/rd%?#";

    /// Starts a server. `None` (after printing why) when PostgreSQL is not installed,
    /// except under `CI=true`, where that panics. Other failures panic with the log.
    pub fn start(options: ServerOptions) -> Option<TestServer> {
        let Some(bin) = postgres_bin() else {
            let message = "PostgreSQL's initdb and postgres were not found (set NEONLINT_TEST_PG_BIN)";
            if std::env::var("CI").is_ok_and(|value| value == "true") {
                panic!("{message}");
            }
            eprintln!("skipped: {message}");
            return None;
        };
        let owner = server_owner();
        let directory = unique_directory();
        fs::create_dir(&directory).unwrap_or_else(|e| panic!("cannot create {}: {e}", directory.display()));
        let (watchdog, lifeline) = spawn_watchdog(&directory);
        let mut server = TestServer {
            port: 0,
            directory,
            postgres: None,
            watchdog,
            lifeline: Some(lifeline),
            password_auth: options.password_auth,
        };
        server.init(&bin, owner, &options);
        server.launch(&bin, owner, &options);
        Some(server)
    }

    /// A URL for the superuser `postgres` and database `postgres` at `host` (such as
    /// `localhost` or `127.0.0.1`), with the password when there is one, and `query`.
    pub fn url(&self, host: &str, query: &str) -> String {
        let password = if self.password_auth {
            format!(":{}", percent_encode(TestServer::PASSWORD))
        } else {
            String::new()
        };
        let query = if query.is_empty() { String::new() } else { format!("?{query}") };
        format!("postgresql://postgres{password}@{host}:{}/postgres{query}", self.port)
    }

    /// A directory that lives as long as the server, for files the test needs (CA files).
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        read(&self.directory.join("server.log"))
    }

    fn data(&self) -> PathBuf {
        self.directory.join("data")
    }

    fn init(&self, bin: &Path, owner: Option<Owner>, options: &ServerOptions) {
        let password_file = self.directory.join("password");
        fs::write(&password_file, TestServer::PASSWORD).expect("write the password file");
        give(&self.directory, owner);
        give(&password_file, owner);
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(self.data())
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ])
            .arg(format!("--pwfile={}", password_file.display()));
        let output = as_owner(&mut initdb, owner).output().expect("initdb runs");
        assert!(
            output.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let _ = fs::remove_file(&password_file);

        let method = if options.password_auth { "scram-sha-256" } else { "trust" };
        let hba = format!(
            "local all all trust\nhost all all 127.0.0.1/32 {method}\nhost all all ::1/128 {method}\n"
        );
        write_owned(&self.data().join("pg_hba.conf"), &hba, 0o600, owner);
        if let Some((certificate, key)) = &options.ssl {
            write_owned(&self.data().join("server.crt"), certificate, 0o600, owner);
            write_owned(&self.data().join("server.key"), key, 0o600, owner);
        }
    }

    /// Starts `postgres` on a free port, trying another if a parallel test took it.
    fn launch(&mut self, bin: &Path, owner: Option<Owner>, options: &ServerOptions) {
        let ssl = options.ssl.is_some();
        let log_path = self.directory.join("server.log");
        for _ in 0..10 {
            let port = free_port();
            let log = File::create(&log_path).expect("create the server log");
            let mut postgres = Command::new(bin.join("postgres"));
            postgres
                .arg("-D")
                .arg(self.data())
                .args(["-p", &port.to_string()])
                .args(["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="])
                .args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
                .args(["-c", "shared_buffers=16MB", "-c", "max_connections=20", "-c", "max_wal_senders=0"])
                .args(["-c", &format!("ssl={}", if ssl { "on" } else { "off" })])
                .current_dir(&self.directory)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("clone the log handle"))
                .stderr(log);
            if ssl {
                postgres.args(["-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key"]);
            }
            for (name, value) in &options.settings {
                postgres.arg("-c").arg(format!("{name}={value}"));
            }
            if let Some(previous) =
                self.postgres.replace(as_owner(&mut postgres, owner).spawn().expect("postgres runs"))
            {
                reap(previous);
            }
            self.port = port;
            if self.wait_until_ready(&log_path) {
                return;
            }
        }
        panic!("no free port for a throwaway PostgreSQL after 10 tries: {}", read(&log_path));
    }

    /// `true` once the server accepts connections; `false` if it lost its port to
    /// another process. Panics on any other failure.
    fn wait_until_ready(&mut self, log_path: &Path) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let Some(postgres) = self.postgres.as_mut() else { return false };
            if let Ok(Some(status)) = postgres.try_wait() {
                let log = read(log_path);
                if log.contains("could not bind") || log.contains("could not create any TCP/IP sockets") {
                    return false;
                }
                panic!("the throwaway PostgreSQL exited ({status}):\n{log}");
            }
            // The postmaster writes its status on the 8th line of postmaster.pid.
            let pid_file = fs::read_to_string(self.data().join("postmaster.pid")).unwrap_or_default();
            if pid_file.lines().nth(7).is_some_and(|status| status.trim() == "ready") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the throwaway PostgreSQL was not ready after 30 s:\n{}", read(log_path));
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // The watchdog goes first, so it cannot signal a process id that was reused.
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        drop(self.lifeline.take());
        if let Some(mut postgres) = self.postgres.take() {
            // A fast shutdown (SIGINT) ends the sessions and stops at once.
            let asked = Command::new("kill")
                .args(["-INT", &postgres.id().to_string()])
                .status()
                .is_ok_and(|status| status.success());
            let deadline = Instant::now() + Duration::from_secs(10);
            while asked && Instant::now() < deadline && matches!(postgres.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(10));
            }
            reap(postgres);
        }
        let _ = fs::remove_dir_all(&self.directory);
    }
}

/// The directory holding `initdb` and `postgres`: `$NEONLINT_TEST_PG_BIN`, the newest
/// Debian `/usr/lib/postgresql/<version>/bin`, or the `PATH`.
fn postgres_bin() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("NEONLINT_TEST_PG_BIN") {
        return Some(PathBuf::from(bin));
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|directory| directory.join("initdb").exists() && directory.join("postgres").exists())
}

/// The `postgres` OS user when running as root (the server refuses root), else nobody.
fn server_owner() -> Option<Owner> {
    let running_as_root = fs::metadata("/proc/self").is_ok_and(|metadata| metadata.uid() == 0);
    if !running_as_root {
        return None;
    }
    let passwd = fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    let line = passwd
        .lines()
        .find(|line| line.starts_with("postgres:"))
        .expect("running as root needs a `postgres` OS user to run the throwaway server");
    let fields: Vec<&str> = line.split(':').collect();
    Some(Owner {
        uid: fields.get(2).and_then(|uid| uid.parse().ok()).expect("postgres has a numeric uid"),
        gid: fields.get(3).and_then(|gid| gid.parse().ok()).expect("postgres has a numeric gid"),
    })
}

fn as_owner(command: &mut Command, owner: Option<Owner>) -> &mut Command {
    if let Some(owner) = owner {
        command.uid(owner.uid).gid(owner.gid);
    }
    command
}

fn give(path: &Path, owner: Option<Owner>) {
    if let Some(owner) = owner {
        std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid))
            .unwrap_or_else(|e| panic!("cannot chown {}: {e}", path.display()));
    }
}

fn write_owned(path: &Path, contents: &str, mode: u32, owner: Option<Owner>) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("set permissions");
    give(path, owner);
}

/// A new path under the temporary directory, unique across threads and processes.
fn unique_directory() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.subsec_nanos());
    let name =
        format!("neonlint-pg-{}-{}-{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    std::env::temp_dir().join(name)
}

/// A process that waits for its stdin to close (this process ended, or the server was
/// dropped), then stops the server in `directory` at once and removes the directory.
fn spawn_watchdog(directory: &Path) -> (Child, ChildStdin) {
    let script = r#"cat >/dev/null
pid=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null)
[ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null
i=0
while [ -f "$1/data/postmaster.pid" ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
rm -rf "$1""#;
    let mut watchdog = Command::new("sh")
        .args(["-c", script, "neonlint-pg-watchdog"])
        .arg(directory)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh runs");
    let lifeline = watchdog.stdin.take().expect("the watchdog's stdin is piped");
    (watchdog, lifeline)
}

fn reap(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A port nothing listens on right now (the kernel's choice of a free one).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("the listener has an address").port()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| format!("(cannot read {}: {e})", path.display()))
}

/// Percent-encodes everything but unreserved URL characters.
pub fn percent_encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Writes `contents` to a new file in `directory`, for CA files passed as `sslrootcert`.
pub fn write_file(directory: &Path, name: &str, contents: &str) -> PathBuf {
    let path = directory.join(name);
    let mut file = File::create(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    file.write_all(contents.as_bytes()).expect("write the file");
    path
}
