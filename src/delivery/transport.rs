//! The HTTP sender behind a small trait, so tests and embedders can substitute it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::transport::{ConnectionDetails, Connector, DefaultConnector, Transport as UreqConn};

use super::resolve::SharedResolver;
use crate::config::Config;

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

/// Responses are small JSON documents; anything larger is not the Media Edge API.
const MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// The default connector, counting the connections it opens.
#[derive(Debug)]
struct CountingConnector {
    inner: DefaultConnector,
    opened: Arc<AtomicU64>,
}

impl Connector<()> for CountingConnector {
    type Out = Box<dyn UreqConn>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<()>) -> Result<Option<Self::Out>, ureq::Error> {
        let connection = self.inner.connect(details, chained)?;
        if connection.is_some() {
            self.opened.fetch_add(1, Ordering::Relaxed);
        }
        Ok(connection)
    }
}

/// One keep-alive `ureq` agent shared by every delivery worker.
pub struct UreqTransport {
    agent: ureq::Agent,
    opened: Arc<AtomicU64>,
    resolver: SharedResolver,
}

impl UreqTransport {
    pub fn new(config: &Config) -> UreqTransport {
        let mut tls = TlsConfig::builder();
        if let Some(anchors) = &config.trust_anchors {
            tls = tls.root_certs(RootCerts::new_with_certs(anchors.certificates()));
        }
        let agent_config = ureq::Agent::config_builder()
            // Statuses are outcomes the retry policy classifies, not errors.
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            // The edge never redirects media requests; following one would re-send an event.
            .max_redirects(0)
            .user_agent(concat!("mediaedge/", env!("CARGO_PKG_VERSION")))
            .max_idle_connections_per_host(config.delivery_workers.max(1) * 2)
            .max_idle_age(Duration::from_secs(55))
            .tls_config(tls.build())
            .build();
        let opened = Arc::new(AtomicU64::new(0));
        let connector = CountingConnector { inner: DefaultConnector::new(), opened: Arc::clone(&opened) };
        let resolver = SharedResolver::default();
        let agent = ureq::Agent::with_parts(agent_config, connector, resolver.clone());
        UreqTransport { agent, opened, resolver }
    }
}

fn failure(e: ureq::Error) -> TransportError {
    let kind = match &e {
        ureq::Error::Timeout(_) => FailureKind::Timeout,
        ureq::Error::BodyExceedsLimit(_) => FailureKind::Oversize,
        ureq::Error::Rustls(_) | ureq::Error::Tls(_) => FailureKind::Tls,
        // A failed handshake (an untrusted certificate, say) reaches us as an I/O error
        // wrapping the rustls error.
        ureq::Error::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) => FailureKind::Tls,
        _ => FailureKind::Network,
    };
    let message = match kind {
        FailureKind::Tls => format!(
            "TLS handshake failed: {e} (is the server's certificate signed by native.caFile/caPem or a public CA?)"
        ),
        _ => e.to_string(),
    };
    TransportError { kind, message }
}

impl UreqTransport {
    /// How many times a host name was looked up in the system resolver (IP literals never are,
    /// names once a minute at most).
    pub fn name_lookups(&self) -> u64 {
        self.resolver.0.lookups()
    }
}

impl Transport for UreqTransport {
    fn post_json(&self, url: &str, body: &[u8]) -> Result<HttpReply, TransportError> {
        let mut response =
            self.agent.post(url).header("Content-Type", "application/json").send(body).map_err(failure)?;
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = response.body_mut().with_config().limit(MAX_RESPONSE_BYTES).read_to_vec().map_err(|e| {
            let mut failure = failure(e);
            if failure.kind == FailureKind::Oversize {
                failure.message = format!("answered {status} with a body over the limit of {MAX_RESPONSE_BYTES} bytes");
            }
            failure
        })?;
        Ok(HttpReply { status, retry_after, body })
    }

    fn connections_opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }
}
