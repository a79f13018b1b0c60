//! The HTTP sender behind a small trait, so tests and embedders can substitute it.

use std::time::Duration;

use crate::config::Config;

/// What came back from the server, whatever the status.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// The request never produced a status: refused, reset, timed out, TLS failure.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportError {
    pub timed_out: bool,
    pub message: String,
}

pub trait Transport: Send + Sync {
    /// POSTs a JSON body. Must return within the configured request timeout.
    fn post_json(&self, url: &str, body: &[u8]) -> Result<HttpReply, TransportError>;
}

/// Responses are small JSON documents; anything larger is not the Media Edge API.
const MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// One keep-alive `ureq` agent shared by every delivery worker.
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl UreqTransport {
    pub fn new(config: &Config) -> UreqTransport {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            // Statuses are outcomes the retry policy classifies, not errors.
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            // The edge never redirects media requests; following one would re-send an event.
            .max_redirects(0)
            .user_agent(concat!("mediaedge/", env!("CARGO_PKG_VERSION")))
            .max_idle_connections_per_host(config.delivery_workers.max(1) * 2)
            .max_idle_age(Duration::from_secs(55))
            .build()
            .into();
        UreqTransport { agent }
    }
}

impl Transport for UreqTransport {
    fn post_json(&self, url: &str, body: &[u8]) -> Result<HttpReply, TransportError> {
        let result = self.agent.post(url).header("Content-Type", "application/json").send(body);
        match result {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(MAX_RESPONSE_BYTES)
                    .read_to_vec()
                    .map_err(|e| TransportError { timed_out: matches!(e, ureq::Error::Timeout(_)), message: e.to_string() })?;
                Ok(HttpReply { status, retry_after, body })
            }
            Err(e) => Err(TransportError { timed_out: matches!(e, ureq::Error::Timeout(_)), message: e.to_string() }),
        }
    }
}
