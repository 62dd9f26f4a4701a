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

mod error;
mod settings;
mod tls;
mod url;

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::JoinHandle;

pub use error::{ConnectError, ConnectErrorKind};
pub use url::redact;

use error::describe;
use settings::{Host, Settings, SslMode};
use tls::{RustlsConnect, client_config};

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

/// An open connection. Its I/O runs on a task spawned on the current tokio runtime; end it
/// with [`Connection::close`], which says goodbye to the server.
pub struct Connection {
    pub client: tokio_postgres::Client,
    pub target: Target,
    /// Whether the connection is encrypted with TLS.
    pub tls: bool,
    /// The task that runs the connection's I/O.
    task: JoinHandle<()>,
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
    let progress = Mutex::new(Arc::new(Progress::new()));
    let attempt = connect_with_fallback(&settings, tls.as_ref(), &progress);
    let outcome = match settings.time_limit(options.connect_timeout) {
        Some(limit) => tokio::time::timeout(limit, attempt).await.unwrap_or_else(|_| {
            let phase = progress.lock().unwrap_or_else(PoisonError::into_inner).phase();
            Err(Failure::Timeout { limit, phase })
        }),
        None => attempt.await,
    };
    let (client, task, tls) = outcome.map_err(|failure| describe(&failure, &settings))?;
    Ok(Connection { client, target, tls, task })
}

impl Connection {
    /// Ends the session the way PostgreSQL expects: the client sends a Terminate message
    /// and closes the socket, so the server logs no "connection reset by peer". Waits at
    /// most `limit` for that (a server that stopped answering gets no goodbye).
    pub async fn close(self, limit: Duration) {
        let Connection { client, task, .. } = self;
        // Dropping the last client ends the request channel; the connection task then
        // sends Terminate, shuts the stream down and ends.
        drop(client);
        if tokio::time::timeout(limit, task).await.is_err() {
            // The task is aborted when the runtime ends; nothing else holds the socket.
        }
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

// ---------------------------------------------------------------------------------------
// Connecting.

/// What went wrong, before it becomes a message.
pub(super) enum Failure {
    /// The connection did not finish within `limit`; `phase` is the step it was at.
    Timeout {
        limit: Duration,
        phase: Phase,
    },
    Resolve(io::Error),
    /// Every address failed; `addresses` are those tried.
    Network {
        addresses: Vec<String>,
        error: io::Error,
    },
    Postgres {
        error: tokio_postgres::Error,
        tls: Handshake,
        phase: Phase,
    },
    RootCertificates {
        path: PathBuf,
        detail: String,
    },
    TlsSetup(String),
}

/// The step a connection attempt is at, for saying which one stalled or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Looking up the host name.
    Lookup,
    /// Opening the TCP connection (or the Unix socket).
    Tcp,
    /// Connected; the server has not yet answered the request for TLS.
    TlsRequest,
    /// The TLS handshake has started and not finished.
    TlsHandshake,
    /// The startup message is sent: the server authenticates and starts the session.
    Authentication,
}

/// How far TLS got on one attempt.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Handshake {
    /// The server answered `S` to the SSLRequest and the handshake started.
    pub(super) started: bool,
    /// The handshake finished.
    pub(super) done: bool,
}

/// What one attempt has done so far, shared with the TLS hook and the stream, and read
/// when the attempt fails or runs out of time.
#[derive(Debug)]
pub(super) struct Progress {
    phase: AtomicU8,
    pub(super) started: AtomicBool,
    pub(super) done: AtomicBool,
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Socket(tokio::net::UnixStream),
}

/// A stream that records in [`Progress`] that the server has answered: the first bytes
/// received after the request for TLS are its answer (`S` or `N`).
struct Watched<S> {
    inner: S,
    progress: Arc<Progress>,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            phase: AtomicU8::new(Phase::Lookup as u8),
            started: AtomicBool::new(false),
            done: AtomicBool::new(false),
        }
    }

    pub(super) fn phase(&self) -> Phase {
        Phase::ALL.get(usize::from(self.phase.load(Ordering::SeqCst))).copied().unwrap_or(Phase::Tcp)
    }

    pub(super) fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::SeqCst);
    }

    fn handshake(&self) -> Handshake {
        Handshake { started: self.started.load(Ordering::SeqCst), done: self.done.load(Ordering::SeqCst) }
    }
}

impl Phase {
    /// Every phase, in the order of the discriminants.
    const ALL: [Phase; 5] =
        [Phase::Lookup, Phase::Tcp, Phase::TlsRequest, Phase::TlsHandshake, Phase::Authentication];

    /// The phase as messages name it.
    pub(super) fn name(self) -> &'static str {
        match self {
            Phase::Lookup => "looking up the host name",
            Phase::Tcp => "opening the TCP connection",
            Phase::TlsRequest => "the request for TLS",
            Phase::TlsHandshake => "the TLS handshake",
            Phase::Authentication => "authentication",
        }
    }
}

/// One attempt, then, under `sslmode=prefer` or `allow`, one without TLS if the TLS
/// handshake failed, as libpq does. `progress` follows the attempt under way.
async fn connect_with_fallback(
    settings: &Settings,
    tls: Option<&Arc<ClientConfig>>,
    progress: &Mutex<Arc<Progress>>,
) -> Result<(tokio_postgres::Client, JoinHandle<()>, bool), Failure> {
    use tokio_postgres::config::SslMode as Mode;
    let mode = match (tls, settings.sslmode) {
        (None, _) => Mode::Disable,
        (Some(_), SslMode::Allow | SslMode::Prefer) => Mode::Prefer,
        (Some(_), _) => Mode::Require,
    };
    match connect_once(settings, tls, mode, progress).await {
        Err(Failure::Postgres { tls: Handshake { started: true, done: false }, .. })
            if mode == Mode::Prefer
                && settings.channel_binding != tokio_postgres::config::ChannelBinding::Require =>
        {
            connect_once(settings, None, Mode::Disable, progress).await
        }
        outcome => outcome,
    }
}

async fn connect_once(
    settings: &Settings,
    tls: Option<&Arc<ClientConfig>>,
    mode: tokio_postgres::config::SslMode,
    current: &Mutex<Arc<Progress>>,
) -> Result<(tokio_postgres::Client, JoinHandle<()>, bool), Failure> {
    let progress = Arc::new(Progress::new());
    *current.lock().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&progress);
    let stream = open_stream(settings, &progress).await?;
    progress.set_phase(if mode == tokio_postgres::config::SslMode::Disable {
        Phase::Authentication
    } else {
        Phase::TlsRequest
    });
    let connector =
        RustlsConnect { config: tls.cloned(), name: settings.tls_name(), progress: Arc::clone(&progress) };
    let config = settings.postgres_config(mode);
    let result = match stream {
        Stream::Tcp(inner) => {
            start_session(Watched { inner, progress: Arc::clone(&progress) }, connector, &config).await
        }
        Stream::Socket(inner) => {
            start_session(Watched { inner, progress: Arc::clone(&progress) }, connector, &config).await
        }
    };
    let handshake = progress.handshake();
    match result {
        Ok((client, task)) => Ok((client, task, handshake.done)),
        Err(error) => Err(Failure::Postgres { error, tls: handshake, phase: progress.phase() }),
    }
}

/// Runs the startup (TLS, authentication) on an open stream and spawns the connection.
async fn start_session<S>(
    stream: S,
    tls: RustlsConnect,
    config: &tokio_postgres::Config,
) -> Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (client, connection) = config.connect_raw(stream, tls).await?;
    // Errors after startup surface as failed queries on the client. The task ends once the
    // client is dropped and the Terminate message is sent (see `Connection::close`).
    let task = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((client, task))
}

async fn open_stream(settings: &Settings, progress: &Progress) -> Result<Stream, Failure> {
    let port = settings.port;
    let name = match &settings.host {
        Host::Socket(directory) => {
            progress.set_phase(Phase::Tcp);
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
    progress.set_phase(Phase::Tcp);
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

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buffer.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(context, buffer);
        if buffer.filled().len() > before {
            // The server answered the request for TLS. `S` starts the handshake, which
            // moves the phase on; after `N` the session starts without TLS.
            if this.progress.phase() == Phase::TlsRequest {
                this.progress.set_phase(Phase::Authentication);
            }
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(self: Pin<&mut Self>, context: &mut Context<'_>, buffer: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(context, buffer)
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(context)
    }
}
