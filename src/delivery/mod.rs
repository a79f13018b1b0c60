//! Delivery owns sending: a small fixed pool of workers takes sessions with something to send
//! from one queue, asks their owner (the engine, through [`Handler`]) for the head's request,
//! POSTs it to the right URL and hands the answer back. A session is in the queue at most once,
//! so each has at most one request in flight. Delivery knows HTTP and the Edge's URLs; what to
//! send and what an answer means are the engine's.

mod endpoint;
mod exchange;
pub mod policy;
mod queue;
mod resolve;
pub mod response;
pub mod transport;

use std::sync::Arc;
use std::time::Instant;

pub use endpoint::Endpoint;
use queue::ReadyQueue;
use transport::{HttpReply, Transport, TransportError};

use crate::clock::Clock;
use crate::config::Config;
use crate::log::{Level, Logger};

/// What a request got: an answer (whatever its status), or a failure with no status.
pub type HttpResult = std::result::Result<HttpReply, TransportError>;

/// One request a session's owner wants sent.
pub struct Request {
    /// The Media Edge action (`sessionStart`, `play`, …): the URL's last path segment.
    pub action: &'static str,
    /// Kept across the retries of one event, so the Edge can tell a retry from a new event.
    pub request_id: String,
    pub body: Vec<u8>,
    /// The owner's mark for the event, handed back with the answer.
    pub tag: u64,
}

/// The owner of the sessions delivery serves.
pub trait Handler<S>: Sync {
    /// The request for the head of `session`'s queue, or `None` if it may not go now (the
    /// session is then no longer delivery's until the owner pushes it again).
    fn next_request(&self, session: &S) -> Option<Request>;
    /// The answer to the request `next_request` gave for `session`, identified by `tag`.
    fn answered(&self, session: &S, tag: u64, action: &'static str, result: HttpResult);
    /// A name for `session` in logs.
    fn describe(&self, session: &S) -> String;
}

/// The delivery side of a client: the queue of sessions to serve, where requests go, and how.
pub struct Delivery<S> {
    ready: ReadyQueue<S>,
    endpoint: Endpoint,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
}

impl<S> Delivery<S> {
    pub fn new(config: &Config, transport: Arc<dyn Transport>, clock: Arc<dyn Clock>) -> Delivery<S> {
        Delivery { ready: ReadyQueue::new(), endpoint: Endpoint::new(config), transport, clock }
    }

    /// Queues a session that has a request to send (its owner makes sure it is queued once).
    pub fn push(&self, session: S) {
        self.ready.push(session);
    }

    /// Waits until no session is queued or on a worker; true if that happened before `deadline`.
    pub fn wait_idle(&self, deadline: Instant) -> bool {
        self.ready.wait_idle(deadline)
    }

    /// Workers exit once they are done with the request they are on.
    pub fn shutdown(&self) {
        self.ready.shutdown();
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn connections_opened(&self) -> u64 {
        self.transport.connections_opened()
    }

    /// A delivery worker's body, until shutdown. A panic while serving one session (a bug) is
    /// contained: that session stays parked, logged, and the worker goes on serving the others.
    pub fn run_worker(&self, handler: &dyn Handler<S>, logger: &Logger) {
        while let Some(session) = self.ready.pop() {
            let served =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.serve(&session, handler, logger)));
            if served.is_err() {
                logger.log(Level::Error, || {
                    format!("internal error delivering for {}; it is parked", handler.describe(&session))
                });
            }
            self.ready.done();
        }
    }

    fn serve(&self, session: &S, handler: &dyn Handler<S>, logger: &Logger) {
        let Some(request) = handler.next_request(session) else { return };
        let url = self.endpoint.url(request.action, &request.request_id, self.clock.now());
        let started = Instant::now();
        let result = self.transport.post_json(&url, &request.body);
        logger.log(Level::Debug, || {
            let path = url.split('?').next().unwrap_or_default();
            let outcome = match &result {
                Ok(reply) => reply.status.to_string(),
                Err(e) => format!("error: {}", e.message),
            };
            format!("POST {path} -> {outcome} in {} ms", started.elapsed().as_millis())
        });
        handler.answered(session, request.tag, request.action, result);
    }
}
