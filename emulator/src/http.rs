//! Just enough HTTP/1.1 to play the Media Edge API on loopback: request line, headers,
//! `Content-Length` bodies, keep-alive. Anything else gets the connection closed.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// The largest body the emulator reads; the real edge refuses much smaller ones.
const MAX_BODY: usize = 4 * 1024 * 1024;
const MAX_HEADER_LINES: usize = 100;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn wants_close(&self) -> bool {
        self.header("connection").map(|v| v.eq_ignore_ascii_case("close")).unwrap_or(false)
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn empty(status: u16) -> Response {
        Response { status, content_type: "", headers: Vec::new(), body: Vec::new() }
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        Response { status, content_type: "application/json", headers: Vec::new(), body: value.to_string().into_bytes() }
    }

    pub fn problem(status: u16, value: &serde_json::Value) -> Response {
        Response { content_type: "application/problem+json", ..Response::json(status, value) }
    }
}

/// What the connection handler decides for one request.
pub enum Reply {
    Send(Response),
    /// Close the connection without answering (a reset as the client sees it).
    Drop,
    /// Send the first half of the answer's bytes, then close the connection.
    Truncate(Response),
    /// Answer as if the connection stayed open (no `Connection: close`), then close it: the
    /// client finds out only when it uses the connection again.
    SendThenClose(Response),
    /// Neither answer nor read anything more on this connection, until the emulator stops.
    Stall,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        207 => "Multi-Status",
        400 => "Bad Request",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        507 => "Insufficient Storage",
        _ => "Status",
    }
}

pub(crate) fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

/// Reads one request; `Ok(None)` when the peer closed the connection between requests.
fn read_request<S: Read>(reader: &mut BufReader<S>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    if method.is_empty() || target.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "bad request line"));
    }
    // A request forwarded by a proxy names the whole URL (RFC 9112 §3.2.2): keep its path.
    let target = match target.split_once("://") {
        Some((_, rest)) if target.starts_with("http") => {
            rest.find('/').map_or("/".to_string(), |at| rest[at..].to_string())
        }
        _ => target,
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), parse_query(q)),
        None => (target, Vec::new()),
    };
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "eof in headers"));
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADER_LINES {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "too many headers"));
        }
        if let Some((k, v)) = trimmed.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut request = Request { method, path, query, headers, body: Vec::new() };
    let length: usize = request
        .header("content-length")
        .map(|v| v.parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad length")))
        .transpose()?
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "body too large"));
    }
    request.body = vec![0; length];
    reader.read_exact(&mut request.body)?;
    Ok(Some(request))
}

fn response_bytes(response: &Response, close: bool) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, reason(response.status));
    if !response.content_type.is_empty() {
        head.push_str(&format!("Content-Type: {}\r\n", response.content_type));
    }
    for (k, v) in &response.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(&response.body);
    out
}

fn write_response<S: Write>(stream: &mut S, response: &Response, close: bool) -> io::Result<()> {
    stream.write_all(&response_bytes(response, close))?;
    stream.flush()
}

/// A connection the server can read requests from, write answers to, and cut.
pub trait Connection: Read + Write {
    /// Closes the underlying socket at once, without a goodbye (a dropped connection).
    fn cut(&mut self);
}

impl Connection for TcpStream {
    fn cut(&mut self) {
        let _ = self.shutdown(std::net::Shutdown::Both);
    }
}

impl Connection for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn cut(&mut self) {
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
    }
}

/// Serves requests on one connection until the peer closes it, `handle` says to drop it,
/// or `keep_going` turns false.
pub fn serve_connection<S: Connection>(
    stream: S,
    keep_going: &dyn Fn() -> bool,
    handle: &dyn Fn(&Request) -> Reply,
) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    while keep_going() {
        let Some(request) = read_request(&mut reader)? else { return Ok(()) };
        match handle(&request) {
            Reply::Send(response) => {
                let close = request.wants_close();
                write_response(reader.get_mut(), &response, close)?;
                if close {
                    return Ok(());
                }
            }
            Reply::Drop => {
                reader.get_mut().cut();
                return Ok(());
            }
            Reply::Truncate(response) => {
                let bytes = response_bytes(&response, false);
                reader.get_mut().write_all(&bytes[..bytes.len() / 2])?;
                reader.get_mut().flush()?;
                reader.get_mut().cut();
                return Ok(());
            }
            Reply::SendThenClose(response) => {
                write_response(reader.get_mut(), &response, false)?;
                reader.get_mut().cut();
                return Ok(());
            }
            Reply::Stall => {
                while keep_going() {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                return Ok(());
            }
        }
    }
    Ok(())
}
