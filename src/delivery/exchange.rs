//! One HTTP/1.1 request and its response, without I/O: the request's bytes are made up front
//! (the body is small and whole), the response's bytes are fed in as they arrive. ureq's
//! protocol code (`ureq-proto`) does the HTTP.

use ureq_proto::client::state::{RecvBody, RecvResponse};
use ureq_proto::client::{Call, RecvBodyResult, RecvResponseResult, SendRequestResult};
use ureq_proto::http::{Request, Response};

use super::transport::{FailureKind, HttpReply, TransportError};

/// Responses are small JSON documents; anything larger is not the Media Edge API.
pub(crate) const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

enum State {
    Head(Call<RecvResponse>),
    Body(Call<RecvBody>),
    Done,
}

pub struct Exchange {
    state: State,
    /// The request's bytes, and how many are on the wire already.
    output: Vec<u8>,
    written: usize,
    /// Received and not yet taken by the protocol.
    input: Vec<u8>,
    head: Option<Response<()>>,
    body: Vec<u8>,
}

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

fn protocol_error(e: ureq_proto::Error) -> TransportError {
    TransportError { kind: FailureKind::Network, message: format!("HTTP protocol error: {e}") }
}

impl Exchange {
    /// A POST of a JSON `body` to `url` (absolute, `http` or `https`).
    pub fn post_json(url: &str, body: &[u8], via: Via<'_>) -> Result<Exchange, TransportError> {
        let mut request = Request::post(url)
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .header("user-agent", concat!("mediaedge/", env!("CARGO_PKG_VERSION")))
            .header("accept", "*/*");
        if let Via::Forwarding { authorization: Some(authorization) } = via {
            request = request.header("proxy-authorization", authorization);
        }
        let request = request
            .body(())
            .map_err(|e| TransportError { kind: FailureKind::Network, message: format!("bad request URL: {e}") })?;
        let call = Call::new(request).map_err(protocol_error)?;
        let mut call = call.proceed();
        let mut output = vec![0; 1024 + body.len()];
        let mut used = 0;
        loop {
            used += call.write(&mut output[used..]).map_err(protocol_error)?;
            if call.can_proceed() {
                break;
            }
            output.resize(output.len() * 2, 0);
        }
        let head = match call.proceed().map_err(protocol_error)? {
            Some(SendRequestResult::SendBody(mut send)) => {
                let mut sent = 0;
                while sent < body.len() || !send.can_proceed() {
                    if output.len() - used < body.len() - sent + 64 {
                        output.resize(used + body.len() - sent + 64, 0);
                    }
                    let (taken, written) = send.write(&body[sent..], &mut output[used..]).map_err(protocol_error)?;
                    sent += taken;
                    used += written;
                    if sent == body.len() && !send.can_proceed() {
                        let (_, written) = send.write(&[], &mut output[used..]).map_err(protocol_error)?;
                        used += written;
                    }
                }
                send.proceed().ok_or_else(|| protocol_error(ureq_proto::Error::BodyContentAfterFinish))?
            }
            Some(SendRequestResult::RecvResponse(call)) => call,
            _ => return Err(protocol_error(ureq_proto::Error::BodyContentAfterFinish)),
        };
        output.truncate(used);
        if let Via::Forwarding { .. } = via {
            absolute_form(&mut output, url);
        }
        Ok(Exchange { state: State::Head(head), output, written: 0, input: Vec::new(), head: None, body: Vec::new() })
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
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Head(mut call) => {
                    let (used, response) = call.try_response(&self.input, false).map_err(protocol_error)?;
                    self.input.drain(..used);
                    if let Some(response) = response {
                        self.head = Some(response);
                    }
                    if !call.can_proceed() {
                        self.state = State::Head(call);
                        if closed {
                            return Err(closed_early());
                        }
                        if used == 0 {
                            return Ok(Progress::More);
                        }
                        continue;
                    }
                    match call.proceed() {
                        Some(RecvResponseResult::RecvBody(body)) => self.state = State::Body(body),
                        Some(RecvResponseResult::Cleanup(cleanup)) => {
                            return Ok(Progress::Done(self.reply(), cleanup.must_close_connection()))
                        }
                        Some(RecvResponseResult::Redirect(redirect)) => {
                            // Never followed (a redirect would send the event again); the status
                            // is the answer.
                            let _ = redirect;
                            return Ok(Progress::Done(self.reply(), true));
                        }
                        None => return Err(closed_early()),
                    }
                }
                State::Body(mut call) => {
                    let mut chunk = [0u8; 8192];
                    let (used, produced) = call.read(&self.input, &mut chunk).map_err(protocol_error)?;
                    self.input.drain(..used);
                    if self.body.len() + produced > MAX_RESPONSE_BYTES {
                        let status = self.head.as_ref().map(|h| h.status().as_u16()).unwrap_or(0);
                        return Err(TransportError {
                            kind: FailureKind::Oversize,
                            message: format!(
                                "answered {status} with a body over the limit of {MAX_RESPONSE_BYTES} bytes"
                            ),
                        });
                    }
                    self.body.extend_from_slice(&chunk[..produced]);
                    // A close-delimited body (ureq-proto says it "can proceed" at any point) ends
                    // only when the server closes the connection.
                    let ended =
                        if close_delimited(&call) { closed && self.input.is_empty() } else { call.can_proceed() };
                    if ended {
                        let close = match call.proceed() {
                            Some(RecvBodyResult::Cleanup(cleanup)) => cleanup.must_close_connection(),
                            Some(RecvBodyResult::Redirect(_)) | None => true,
                        };
                        return Ok(Progress::Done(self.reply(), close || closed));
                    }
                    self.state = State::Body(call);
                    if used == 0 && produced == 0 {
                        if closed {
                            return Err(closed_early());
                        }
                        return Ok(Progress::More);
                    }
                }
                State::Done => return Err(closed_early()),
            }
        }
    }

    fn reply(&mut self) -> HttpReply {
        let head = self.head.take();
        let status = head.as_ref().map(|h| h.status().as_u16()).unwrap_or(0);
        let retry_after = head
            .as_ref()
            .and_then(|h| h.headers().get("retry-after"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        HttpReply { status, retry_after, body: std::mem::take(&mut self.body) }
    }
}

/// Puts the URL's `scheme://authority` before the path in the request line, which is how a
/// forwarding proxy learns where the request goes (RFC 9112 §3.2.2). ureq-proto writes the
/// origin form only.
fn absolute_form(output: &mut Vec<u8>, url: &str) {
    let Some(scheme_end) = url.find("://") else { return };
    let origin_end = url[scheme_end + 3..].find('/').map_or(url.len(), |at| scheme_end + 3 + at);
    if let Some(space) = output.iter().position(|&b| b == b' ') {
        output.splice(space + 1..space + 1, url[..origin_end].bytes());
    }
}

fn close_delimited(call: &Call<RecvBody>) -> bool {
    matches!(call.body_mode(), ureq_proto::BodyMode::CloseDelimited)
}

fn closed_early() -> TransportError {
    TransportError { kind: FailureKind::Network, message: "connection closed before the response was complete".into() }
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

    #[test]
    fn the_request_is_a_post_with_its_body_and_content_length() {
        let exchange =
            Exchange::post_json("http://127.0.0.1:9/ee/va/v1/play?configId=c", b"{\"a\":1}", Via::Direct).unwrap();
        let text = String::from_utf8(exchange.unwritten().to_vec()).unwrap();
        assert!(text.starts_with("POST /ee/va/v1/play?configId=c HTTP/1.1\r\n"), "{text}");
        assert!(text.contains("content-length: 7\r\n"), "{text}");
        assert!(text.contains("host: 127.0.0.1:9\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\n{\"a\":1}"), "{text}");
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
    fn a_response_in_pieces_with_a_body_and_retry_after() {
        let mut exchange = Exchange::post_json("http://h/x", b"{}", Via::Direct).unwrap();
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
        let mut exchange = Exchange::post_json("http://h/x", b"{}", Via::Direct).unwrap();
        let (reply, _) = done(exchange.received(b"HTTP/1.1 204 No Content\r\n\r\n"));
        assert_eq!(reply.status, 204);

        let mut exchange = Exchange::post_json("http://h/x", b"{}", Via::Direct).unwrap();
        let (reply, _) =
            done(exchange.received(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
        assert_eq!(reply.body, b"abc");

        let mut exchange = Exchange::post_json("http://h/x", b"{}", Via::Direct).unwrap();
        assert!(matches!(exchange.received(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nab"), Ok(Progress::More)));
        let (reply, close) = done(exchange.closed());
        assert_eq!((reply.body.as_slice(), close), (&b"ab"[..], true));
    }

    #[test]
    fn a_connection_closed_early_or_an_oversized_body_fails() {
        let mut exchange = Exchange::post_json("http://h/x", b"{}", Via::Direct).unwrap();
        assert!(matches!(exchange.received(b"HTTP/1.1 200 OK\r\nContent-Le"), Ok(Progress::More)));
        assert!(exchange.answered_any());
        assert_eq!(exchange.closed().err().map(|e| e.kind), Some(FailureKind::Network));

        let mut exchange = Exchange::post_json("http://h/x", b"{}", Via::Direct).unwrap();
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", MAX_RESPONSE_BYTES + 1);
        assert!(matches!(exchange.received(head.as_bytes()), Ok(Progress::More)));
        let failure = exchange.received(&vec![b'x'; MAX_RESPONSE_BYTES + 1]).err().expect("too big");
        assert_eq!(failure.kind, FailureKind::Oversize);
        assert!(failure.message.contains("answered 200 with a body over the limit of 1048576 bytes"));
    }
}
