//! A TCP proxy for fault tests: it forwards between a client and a real server, records
//! what the client sent, and can stall or cut one direction after a number of bytes.
//!
//! A stall forwards the first `after` bytes and then nothing more, holding both sockets
//! open, as a proxy or a server that stops answering does. A cut forwards the first
//! `after` bytes and then closes both sockets. It is not a PostgreSQL server: it never
//! reads what it forwards, except [`frontend_message_types`] for the test to check.
//! Standard library only, one thread per direction.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Which way the fault applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Forward nothing more, keep the connection open.
    Stall,
    /// Close both sockets.
    Cut,
}

/// A fault: after `after` bytes in `direction`, `action`.
#[derive(Clone, Copy, Debug)]
pub struct Fault {
    pub direction: Direction,
    pub after: usize,
    pub action: Action,
}

/// A running proxy on 127.0.0.1. Closes every connection on drop.
pub struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    /// Every byte the clients sent, in order (connections one after the other).
    from_client: Mutex<Vec<u8>>,
    /// How many bytes the servers sent.
    to_client: Mutex<usize>,
    /// Client connections that reached the end of their stream.
    finished: Mutex<usize>,
    sockets: Mutex<Vec<TcpStream>>,
}

impl Proxy {
    /// Starts a proxy to `upstream`, with `fault` applied to every connection.
    pub fn start(upstream: SocketAddr, fault: Option<Fault>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("the proxy has an address").port();
        let shared = Arc::new(Shared::default());
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if accepting.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(upstream) else { continue };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                if let (Ok(a), Ok(b)) = (client.try_clone(), server.try_clone()) {
                    accepting.sockets.lock().unwrap().extend([a, b]);
                }
                spawn_pump(&accepting, &client, &server, Direction::ToServer, fault);
                spawn_pump(&accepting, &server, &client, Direction::ToClient, fault);
            }
        });
        Proxy { port, shared }
    }

    /// The bytes clients sent so far.
    pub fn client_bytes(&self) -> Vec<u8> {
        self.shared.from_client.lock().unwrap().clone()
    }

    /// How many bytes the servers sent so far.
    pub fn server_byte_count(&self) -> usize {
        *self.shared.to_client.lock().unwrap()
    }

    /// Waits until `count` client connections have ended their stream (closed or shut
    /// down), at most `limit`. Returns whether they did.
    pub fn wait_for_client_end(&self, count: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if *self.shared.finished.lock().unwrap() >= count {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for socket in self.shared.sockets.lock().unwrap().drain(..) {
            let _ = socket.shutdown(Shutdown::Both);
        }
        // Wake the accepting thread so it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The type bytes of the frontend messages in `bytes`, a client's side of one plain (not
/// TLS) connection: the untyped startup packet (and any SSLRequest before it) is skipped,
/// then each message is a type byte and a length that counts itself. Stops at a message
/// cut short.
pub fn frontend_message_types(bytes: &[u8]) -> Vec<u8> {
    const SSL_REQUEST: u32 = 80_877_103;
    let length_at = |at: usize| -> Option<usize> {
        let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(u32::from_be_bytes(raw) as usize)
    };
    let mut at = 0;
    // Untyped packets: SSLRequest (length 8, code 80877103), then the startup message.
    loop {
        let Some(length) = length_at(at) else { return Vec::new() };
        let code = length_at(at + 4).unwrap_or(0) as u32;
        at += length;
        if !(length == 8 && code == SSL_REQUEST) {
            break;
        }
    }
    let mut types = Vec::new();
    while let (Some(&kind), Some(length)) = (bytes.get(at), length_at(at + 1)) {
        if at + 1 + length > bytes.len() {
            break;
        }
        types.push(kind);
        at += 1 + length;
    }
    types
}

fn spawn_pump(
    shared: &Arc<Shared>,
    from: &TcpStream,
    to: &TcpStream,
    direction: Direction,
    fault: Option<Fault>,
) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else { return };
    let shared = Arc::clone(shared);
    let fault = fault.filter(|fault| fault.direction == direction);
    std::thread::spawn(move || {
        let mut forwarded = 0usize;
        let mut buffer = [0u8; 8192];
        loop {
            if let Some(fault) = fault
                && forwarded >= fault.after
            {
                match fault.action {
                    Action::Cut => {
                        let _ = from.shutdown(Shutdown::Both);
                        let _ = to.shutdown(Shutdown::Both);
                    }
                    Action::Stall => {
                        // Hold the sockets; `Proxy::drop` shuts them down.
                        while !shared.stop.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
                return;
            }
            let read = match from.read(&mut buffer) {
                Ok(0) | Err(_) => {
                    if direction == Direction::ToServer {
                        *shared.finished.lock().unwrap() += 1;
                    }
                    let _ = to.shutdown(Shutdown::Write);
                    return;
                }
                Ok(read) => read,
            };
            let allowed = fault.map_or(read, |fault| read.min(fault.after - forwarded));
            match direction {
                Direction::ToServer => {
                    shared.from_client.lock().unwrap().extend_from_slice(&buffer[..allowed])
                }
                Direction::ToClient => *shared.to_client.lock().unwrap() += allowed,
            }
            if to.write_all(&buffer[..allowed]).is_err() {
                return;
            }
            forwarded += allowed;
        }
    });
}
