//! A loopback HTTP proxy of the test suite's own: CONNECT tunnels and plain forwarding, and the
//! ways a proxy goes wrong (refusing, closing a tunnel part-way).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// How the proxy treats the next connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Opens tunnels and forwards requests.
    Pass,
    /// Answers every request with this status and closes.
    Refuse(u16),
    /// Passes, but cuts the next connection (both sides) once this many bytes came back from
    /// upstream; then passes.
    CutOnceAfter(usize),
}

/// What one connection asked the proxy for.
#[derive(Debug, Clone)]
pub struct Asked {
    pub method: String,
    pub target: String,
    pub authorization: Option<String>,
}

struct Shared {
    mode: Mutex<Mode>,
    asked: Mutex<Vec<Asked>>,
    /// Where every connection goes, whatever it names (as if the proxy resolved the name).
    upstream: Option<SocketAddr>,
    running: AtomicBool,
    cut: AtomicUsize,
}

pub struct TestProxy {
    port: u16,
    shared: Arc<Shared>,
}

impl TestProxy {
    /// A proxy that connects where each request says.
    pub fn start() -> TestProxy {
        TestProxy::start_routing(None)
    }

    /// A proxy that sends every connection to `upstream`, whatever host it names.
    pub fn start_routing(upstream: Option<SocketAddr>) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Pass),
            asked: Mutex::new(Vec::new()),
            upstream,
            running: AtomicBool::new(true),
            cut: AtomicUsize::new(0),
        });
        let accepting = Arc::clone(&shared);
        thread::Builder::new()
            .name("test-proxy".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if !accepting.running.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&accepting);
                    thread::spawn(move || serve(shared, stream));
                }
            })
            .unwrap();
        TestProxy { port, shared }
    }

    /// A loopback address where nothing listens.
    pub fn down_url() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}")
    }

    /// `http://127.0.0.1:PORT`, with `credentials@` when given.
    pub fn url(&self, credentials: Option<&str>) -> String {
        match credentials {
            Some(credentials) => format!("http://{credentials}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    /// What each connection asked for, in order.
    pub fn asked(&self) -> Vec<Asked> {
        self.shared.asked.lock().unwrap().clone()
    }

    /// Connections cut by `Mode::CutOnceAfter`.
    pub fn cut(&self) -> usize {
        self.shared.cut.load(Ordering::SeqCst)
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.shared.running.store(false, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Reads up to the end of a request head; returns the head and any bytes after it.
fn read_head(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buffer.split_off(end + 4);
            return Some((String::from_utf8_lossy(&buffer).into_owned(), rest));
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

fn serve(shared: Arc<Shared>, mut client: TcpStream) {
    let Some((head, rest)) = read_head(&mut client) else { return };
    let mut line = head.lines().next().unwrap_or_default().split(' ');
    let method = line.next().unwrap_or_default().to_string();
    let target = line.next().unwrap_or_default().to_string();
    let authorization = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization").then(|| value.trim().to_string())
    });
    shared.asked.lock().unwrap().push(Asked { method: method.clone(), target: target.clone(), authorization });
    let mode = *shared.mode.lock().unwrap();
    if let Mode::Refuse(status) = mode {
        let _ = write!(
            client,
            "HTTP/1.1 {status} Refused by the test proxy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    let authority = if method == "CONNECT" {
        target.clone()
    } else {
        let after_scheme = target.split_once("://").map_or(target.as_str(), |(_, rest)| rest);
        after_scheme.split('/').next().unwrap_or_default().to_string()
    };
    let upstream = match shared.upstream {
        Some(address) => TcpStream::connect(address),
        None => TcpStream::connect(authority.as_str()),
    };
    let Ok(mut upstream) = upstream else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    if method == "CONNECT" {
        let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    } else {
        // Forwarded as it came, the absolute URL included (servers must accept it).
        let _ = upstream.write_all(head.as_bytes());
    }
    let _ = upstream.write_all(&rest);
    let limit = match mode {
        Mode::CutOnceAfter(bytes) => {
            *shared.mode.lock().unwrap() = Mode::Pass;
            Some(bytes)
        }
        _ => None,
    };
    let (mut client_reader, mut upstream_writer) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    thread::spawn(move || {
        let _ = std::io::copy(&mut client_reader, &mut upstream_writer);
        let _ = upstream_writer.shutdown(Shutdown::Write);
    });
    let mut chunk = [0u8; 4096];
    let mut passed = 0;
    loop {
        let n = match upstream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let n = limit.map_or(n, |limit| n.min(limit - passed));
        if client.write_all(&chunk[..n]).is_err() {
            break;
        }
        passed += n;
        if limit == Some(passed) {
            shared.cut.fetch_add(1, Ordering::SeqCst);
            let _ = client.shutdown(Shutdown::Both);
            let _ = upstream.shutdown(Shutdown::Both);
            return;
        }
    }
    let _ = client.shutdown(Shutdown::Write);
}
