//! What a request gets back, and the blocking transport trait a test or an embedder can put in
//! place of HTTP (`Client::with_transport`).

/// What came back from the server, whatever the status.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// Why a request produced no status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Refused, reset, closed, DNS: the event may or may not have landed.
    Network,
    /// No answer within the request timeout.
    Timeout,
    /// The TLS handshake failed (for example an untrusted certificate): retrying cannot help.
    Tls,
    /// The answer's body is over the size limit: asking again gets the same answer.
    Oversize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransportError {
    pub kind: FailureKind,
    pub message: String,
}

pub trait Transport: Send + Sync {
    /// POSTs a JSON body. Must return within the configured request timeout.
    fn post_json(&self, url: &str, body: &[u8]) -> Result<HttpReply, TransportError>;

    /// Connections opened so far (each carries at least the request it was opened for); the
    /// other requests went over reused keep-alive connections.
    fn connections_opened(&self) -> u64 {
        0
    }
}
