//! One HTTP/1.1 request and its response, without I/O: the request's bytes are made up front
//! (the body is small and whole), the response's bytes are fed in as they arrive.
//!
//! Every request is the same shape (a POST of a JSON body with six headers), so its head is
//! written directly; `httparse` reads the response's head and chunk sizes, and the body framing
//! (length, chunked, or until the server closes) is the few states below. ureq-proto did this
//! before, at 16,600 instructions per request to build the request through `http`'s types and
//! 6,700 to read the answer (callgrind, BENCHMARKS.md), against a floor of 7,400 for all of it.

use super::transport::{FailureKind, HttpReply, TransportError};

/// Responses are small JSON documents; anything larger is not the Media Edge API.
pub(crate) const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// A response head (status line and headers) longer than this is not the Media Edge API either.
const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 64;

/// How a request reaches the origin server.
#[derive(Clone, Copy)]
pub enum Via<'a> {
    /// Straight, or through a CONNECT tunnel: the request line has the path only.
    Direct,
    /// Forwarded by an HTTP proxy (plain http): the request line has the absolute URL, and the
    /// proxy's credentials go along.
    Forwarding { authorization: Option<&'a str> },
}

/// What feeding bytes led to.
pub enum Progress {
    /// The response is not complete yet.
    More,
    /// The response, and whether the connection must be closed after it.
    Done(HttpReply, bool),
}

/// How the response's body ends.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    /// After this many more bytes.
    Length(usize),
    /// Chunked: reading a chunk's size line.
    ChunkSize,
    /// Chunked: this many more bytes of the chunk, then its CRLF.
    ChunkData(usize),
    /// Chunked: the CRLF after a chunk's data.
    ChunkEnd,
    /// Chunked: the trailer lines after the last chunk, up to an empty line.
    Trailers,
    /// When the server closes the connection.
    Close,
}

struct Head {
    status: u16,
    retry_after: Option<String>,
    /// The server said it closes the connection (or spoke HTTP/1.0 without keep-alive).
    close: bool,
    framing: Framing,
}

pub struct Exchange {
    /// The request's bytes, and how many are on the wire already.
    output: Vec<u8>,
    written: usize,
    /// Received and not yet consumed.
    input: Vec<u8>,
    head: Option<Head>,
    body: Vec<u8>,
    done: bool,
}

fn protocol_error(what: impl std::fmt::Display) -> TransportError {
    TransportError { kind: FailureKind::Network, message: format!("HTTP protocol error: {what}") }
}

fn closed_early() -> TransportError {
    TransportError { kind: FailureKind::Network, message: "connection closed before the response was complete".into() }
}

impl Exchange {
    /// A POST of a JSON `body` to `url` (absolute, `http` or `https`).
    pub fn post_json(url: &str, body: &[u8], via: Via<'_>) -> Result<Exchange, TransportError> {
        let bad = || TransportError { kind: FailureKind::Network, message: format!("bad request URL: {url}") };
        // The URL is the library's own, printable by construction: a checked origin and base
        // path, a checked location hint, the datastream ID percent-encoded, a UUID. Nothing in
        // it can end a line or a header (checked here in debug builds and the unit tests).
        debug_assert!(url.bytes().all(|b| b.is_ascii_graphic()), "unprintable URL {url:?}");
        let (_, rest) = url.split_once("://").ok_or_else(bad)?;
        let path_at = rest.find('/').unwrap_or(rest.len());
        let (authority, path) = rest.split_at(path_at);
        if authority.is_empty() {
            return Err(bad());
        }
        let target = match via {
            Via::Direct if path.is_empty() => "/",
            Via::Direct => path,
            Via::Forwarding { .. } => url,
        };
        let mut output = Vec::with_capacity(target.len() + authority.len() + 200 + body.len());
        let mut put = |parts: &[&[u8]]| parts.iter().for_each(|p| output.extend_from_slice(p));
        put(&[b"POST ", target.as_bytes(), b" HTTP/1.1\r\nhost: ", authority.as_bytes()]);
        put(&[b"\r\ncontent-type: application/json\r\ncontent-length: "]);
        put(&[itoa(body.len(), &mut [0; 20])]);
        put(&[b"\r\nuser-agent: mediaedge/", env!("CARGO_PKG_VERSION").as_bytes(), b"\r\naccept: */*\r\n"]);
        if let Via::Forwarding { authorization: Some(authorization) } = via {
            put(&[b"proxy-authorization: ", authorization.as_bytes(), b"\r\n"]);
        }
        put(&[b"\r\n", body]);
        Ok(Exchange { output, written: 0, input: Vec::new(), head: None, body: Vec::new(), done: false })
    }

    /// Back to before anything was sent or received, to send the same request again on another
    /// connection.
    pub fn restart(&mut self) {
        self.written = 0;
        self.input.clear();
        self.head = None;
        self.body.clear();
        self.done = false;
    }

    /// The request's bytes not yet written.
    pub fn unwritten(&self) -> &[u8] {
        &self.output[self.written..]
    }

    pub fn wrote(&mut self, n: usize) {
        self.written += n;
    }

    /// Whether any byte of the response has arrived (a reused connection that fails before
    /// that most likely was closed by the server while idle).
    pub fn answered_any(&self) -> bool {
        self.head.is_some() || !self.input.is_empty()
    }

    /// Feeds received bytes.
    pub fn received(&mut self, bytes: &[u8]) -> Result<Progress, TransportError> {
        self.input.extend_from_slice(bytes);
        self.advance(false)
    }

    /// The server closed the connection: a close-delimited body ends here; anything else
    /// unfinished is a network error.
    pub fn closed(&mut self) -> Result<Progress, TransportError> {
        self.advance(true)
    }

    fn advance(&mut self, closed: bool) -> Result<Progress, TransportError> {
        if self.done {
            return Err(closed_early());
        }
        let mut at = 0;
        let result = self.consume(&mut at, closed);
        self.input.drain(..at);
        match result? {
            Some(close) => {
                self.done = true;
                let head = self.head.take().expect("a complete response has a head");
                let reply = HttpReply {
                    status: head.status,
                    retry_after: head.retry_after,
                    body: std::mem::take(&mut self.body),
                };
                Ok(Progress::Done(reply, close || head.close || closed))
            }
            None if closed => Err(closed_early()),
            None => Ok(Progress::More),
        }
    }

    /// Consumes what it can of the input from `at`; `Some(close)` once the response is complete.
    fn consume(&mut self, at: &mut usize, closed: bool) -> Result<Option<bool>, TransportError> {
        loop {
            let input = &self.input[*at..];
            let Some(head) = self.head.as_mut() else {
                match read_head(input)? {
                    None => return Ok(None),
                    // An interim answer (100 Continue): the real one follows.
                    Some((used, None)) => *at += used,
                    Some((used, Some(head))) => {
                        *at += used;
                        if let Framing::Length(length) = head.framing {
                            if length > MAX_RESPONSE_BYTES {
                                return Err(oversize(head.status));
                            }
                        }
                        self.head = Some(head);
                    }
                }
                continue;
            };
            match head.framing {
                Framing::Length(0) => return Ok(Some(false)),
                Framing::Length(left) => {
                    let take = left.min(input.len());
                    if take == 0 {
                        return Ok(None);
                    }
                    self.body.extend_from_slice(&input[..take]);
                    *at += take;
                    head.framing = Framing::Length(left - take);
                }
                Framing::Close => {
                    self.body.extend_from_slice(input);
                    *at += input.len();
                    if self.body.len() > MAX_RESPONSE_BYTES {
                        return Err(oversize(head.status));
                    }
                    return Ok(closed.then_some(true));
                }
                Framing::ChunkSize => match httparse::parse_chunk_size(input) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        *at += used;
                        let size = usize::try_from(size).unwrap_or(usize::MAX);
                        if self.body.len().saturating_add(size) > MAX_RESPONSE_BYTES {
                            return Err(oversize(head.status));
                        }
                        head.framing = if size == 0 { Framing::Trailers } else { Framing::ChunkData(size) };
                    }
                    Ok(httparse::Status::Partial) if input.len() < 1024 => return Ok(None),
                    _ => return Err(protocol_error("bad chunk size")),
                },
                Framing::ChunkData(left) => {
                    let take = left.min(input.len());
                    if take == 0 {
                        return Ok(None);
                    }
                    self.body.extend_from_slice(&input[..take]);
                    *at += take;
                    head.framing = if take == left { Framing::ChunkEnd } else { Framing::ChunkData(left - take) };
                }
                Framing::ChunkEnd => match input {
                    [b'\r', b'\n', ..] => {
                        *at += 2;
                        head.framing = Framing::ChunkSize;
                    }
                    [] | [b'\r'] => return Ok(None),
                    _ => return Err(protocol_error("a chunk does not end with CRLF")),
                },
                Framing::Trailers => match input.windows(2).position(|w| w == b"\r\n") {
                    // The empty line that ends the trailers (and the response).
                    Some(0) => {
                        *at += 2;
                        return Ok(Some(false));
                    }
                    // A trailer header: ignored.
                    Some(end) => *at += end + 2,
                    None if input.len() < MAX_HEAD_BYTES => return Ok(None),
                    None => return Err(protocol_error("trailers too long")),
                },
            }
        }
    }
}

fn oversize(status: u16) -> TransportError {
    TransportError {
        kind: FailureKind::Oversize,
        message: format!("answered {status} with a body over the limit of {MAX_RESPONSE_BYTES} bytes"),
    }
}

/// Reads a response head: `None` while incomplete; `Some((used, None))` for an interim (1xx)
/// answer to skip.
fn read_head(input: &[u8]) -> Result<Option<(usize, Option<Head>)>, TransportError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let used = match response.parse(input) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) if input.len() <= MAX_HEAD_BYTES => return Ok(None),
        Ok(httparse::Status::Partial) => return Err(protocol_error("response head too long")),
        Err(e) => return Err(protocol_error(e)),
    };
    let status = response.code.unwrap_or(0);
    if (100..200).contains(&status) && status != 101 {
        return Ok(Some((used, None)));
    }
    let mut close = response.version == Some(0);
    let (mut length, mut chunked, mut retry_after) = (None, false, None);
    for header in response.headers.iter() {
        let value = std::str::from_utf8(header.value).map_err(|_| protocol_error("a header is not text"))?.trim();
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let parsed: usize = value.parse().map_err(|_| protocol_error("bad content-length"))?;
            if length.is_some_and(|l| l != parsed) {
                return Err(protocol_error("two different content-lengths"));
            }
            length = Some(parsed);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.rsplit(',').next().is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for option in value.split(',').map(str::trim) {
                if option.eq_ignore_ascii_case("close") {
                    close = true;
                } else if option.eq_ignore_ascii_case("keep-alive") && response.version == Some(0) {
                    close = false;
                }
            }
        } else if name.eq_ignore_ascii_case("retry-after") {
            retry_after = Some(value.to_string());
        }
    }
    // RFC 9112 §6.3: no body for 204 and 304; chunked wins over a length; neither is read to
    // the close (so the connection cannot be reused).
    let framing = if status == 204 || status == 304 {
        Framing::Length(0)
    } else if chunked {
        Framing::ChunkSize
    } else if let Some(length) = length {
        Framing::Length(length)
    } else {
        close = true;
        Framing::Close
    };
    Ok(Some((used, Some(Head { status, retry_after, close, framing }))))
}

/// `n` in decimal, in `buffer`.
fn itoa(mut n: usize, buffer: &mut [u8; 20]) -> &[u8] {
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buffer[at..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(progress: Result<Progress, TransportError>) -> (HttpReply, bool) {
        match progress {
            Ok(Progress::Done(reply, close)) => (reply, close),
            Ok(Progress::More) => panic!("not done"),
            Err(e) => panic!("{}", e.message),
        }
    }

    fn exchange() -> Exchange {
        Exchange::post_json("http://h/x", b"{}", Via::Direct).unwrap()
    }

    #[test]
    fn the_request_is_a_post_with_its_body_and_content_length() {
        let exchange =
            Exchange::post_json("http://127.0.0.1:9/ee/va/v1/play?configId=c", b"{\"a\":1}", Via::Direct).unwrap();
        let text = String::from_utf8(exchange.unwritten().to_vec()).unwrap();
        assert!(text.starts_with("POST /ee/va/v1/play?configId=c HTTP/1.1\r\n"), "{text}");
        assert!(text.contains("content-length: 7\r\n"), "{text}");
        assert!(text.contains("host: 127.0.0.1:9\r\n"), "{text}");
        assert!(text.contains("content-type: application/json\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\n{\"a\":1}"), "{text}");
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut request = httparse::Request::new(&mut headers);
        assert_eq!(request.parse(text.as_bytes()).unwrap(), httparse::Status::Complete(text.len() - 7));
        let root = Exchange::post_json("https://h:8443", b"", Via::Direct).unwrap();
        assert!(String::from_utf8_lossy(root.unwritten()).starts_with("POST / HTTP/1.1\r\nhost: h:8443\r\n"));
        for bad in ["h/x", "http:///x"] {
            assert!(Exchange::post_json(bad, b"{}", Via::Direct).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_forwarded_request_names_the_whole_url_and_carries_the_proxys_credentials() {
        let via = Via::Forwarding { authorization: Some("Basic dTpw") };
        let exchange = Exchange::post_json("http://127.0.0.1:9/ee/va/v1/play?configId=c", b"{}", via).unwrap();
        let text = String::from_utf8(exchange.unwritten().to_vec()).unwrap();
        assert!(text.starts_with("POST http://127.0.0.1:9/ee/va/v1/play?configId=c HTTP/1.1\r\n"), "{text}");
        assert!(text.contains("proxy-authorization: Basic dTpw\r\n"), "{text}");
        let direct = Exchange::post_json("http://127.0.0.1:9/x", b"{}", Via::Direct).unwrap();
        assert!(!String::from_utf8_lossy(direct.unwritten()).contains("proxy-authorization"));
    }

    #[test]
    fn a_restarted_exchange_sends_the_whole_request_again() {
        let mut exchange = exchange();
        let request = exchange.unwritten().to_vec();
        exchange.wrote(request.len());
        assert!(matches!(exchange.received(b"HTTP/1.1 200 OK\r\nContent-Le"), Ok(Progress::More)));
        exchange.restart();
        assert_eq!(exchange.unwritten(), request.as_slice());
        assert!(!exchange.answered_any());
        let (reply, _) = done(exchange.received(b"HTTP/1.1 204 No Content\r\n\r\n"));
        assert_eq!(reply.status, 204);
    }

    #[test]
    fn a_response_in_pieces_with_a_body_and_retry_after() {
        let mut exchange = exchange();
        let answer = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 5\r\n\r\nslow!";
        for byte in &answer[..answer.len() - 1] {
            assert!(matches!(exchange.received(&[*byte]), Ok(Progress::More)));
        }
        let (reply, close) = done(exchange.received(&answer[answer.len() - 1..]));
        assert_eq!(
            (reply.status, reply.retry_after.as_deref(), reply.body.as_slice()),
            (429, Some("7"), &b"slow!"[..])
        );
        assert!(!close, "a keep-alive answer leaves the connection open");
    }

    #[test]
    fn no_body_chunked_and_close_delimited_answers() {
        let mut exchange = self::exchange();
        let (reply, close) = done(exchange.received(b"HTTP/1.1 204 No Content\r\n\r\n"));
        assert_eq!((reply.status, close), (204, false));

        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\nx-trailer: 1\r\n\r\n";
        let (reply, close) = done(self::exchange().received(chunked));
        assert_eq!((reply.body.as_slice(), close), (&b"abc0123456789abcdef"[..], false));
        // The same, a byte at a time.
        let mut exchange = self::exchange();
        for byte in &chunked[..chunked.len() - 1] {
            assert!(matches!(exchange.received(&[*byte]), Ok(Progress::More)));
        }
        assert_eq!(done(exchange.received(&chunked[chunked.len() - 1..])).0.body, b"abc0123456789abcdef");

        let mut exchange = self::exchange();
        assert!(matches!(exchange.received(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nab"), Ok(Progress::More)));
        let (reply, close) = done(exchange.closed());
        assert_eq!((reply.body.as_slice(), close), (&b"ab"[..], true));

        // An interim 100 Continue is skipped; HTTP/1.0 closes unless it says keep-alive.
        let (reply, close) = done(
            self::exchange().received(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        );
        assert_eq!((reply.status, reply.body.as_slice(), close), (200, &b"ok"[..], true));
        let answer = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
        assert!(!done(self::exchange().received(answer)).1);
    }

    #[test]
    fn a_connection_closed_early_or_an_oversized_body_fails() {
        let mut exchange = self::exchange();
        assert!(matches!(exchange.received(b"HTTP/1.1 200 OK\r\nContent-Le"), Ok(Progress::More)));
        assert!(exchange.answered_any());
        assert_eq!(exchange.closed().err().map(|e| e.kind), Some(FailureKind::Network));

        let mut exchange = self::exchange();
        assert!(matches!(exchange.received(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"), Ok(Progress::More)));
        assert_eq!(exchange.closed().err().map(|e| e.kind), Some(FailureKind::Network), "3 bytes short");

        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", MAX_RESPONSE_BYTES + 1);
        let failure = self::exchange().received(head.as_bytes()).err().expect("too big");
        assert_eq!(failure.kind, FailureKind::Oversize);
        assert!(failure.message.contains("answered 200 with a body over the limit of 1048576 bytes"));

        let mut exchange = self::exchange();
        assert!(matches!(exchange.received(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"), Ok(Progress::More)));
        let failure = exchange.received(&vec![b'x'; MAX_RESPONSE_BYTES + 1]).err().expect("too big");
        assert_eq!(failure.kind, FailureKind::Oversize);
        let chunk = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n", MAX_RESPONSE_BYTES + 1);
        assert_eq!(self::exchange().received(chunk.as_bytes()).err().map(|e| e.kind), Some(FailureKind::Oversize));
    }

    #[test]
    fn malformed_answers_are_protocol_errors() {
        for answer in [
            &b"SMTP ready\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX",
        ] {
            let failure = self::exchange().received(answer).err().expect("refused");
            assert!(failure.message.starts_with("HTTP protocol error"), "{}", failure.message);
        }
        assert!(self::exchange().received(&vec![b'x'; MAX_HEAD_BYTES + 2]).is_err(), "an endless head");
    }
}
