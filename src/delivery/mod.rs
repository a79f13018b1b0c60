//! Delivery owns sending: sessions with something to send wait in one queue; delivery asks
//! their owner (the engine, through [`Handler`]) for the head's request, POSTs it to the right
//! URL and hands the answer back. A session is in the queue at most once, so each has at most
//! one request in flight. Delivery knows HTTP and the Edge's URLs; what to send and what an
//! answer means are the engine's.
//!
//! Over HTTP, one thread runs a non-blocking loop (`io`) over a pool of keep-alive connections.
//! A substitute [`Transport`] (tests, benchmarks, embedders) is a blocking call, served by a
//! small pool of workers instead.

mod endpoint;
mod exchange;
mod io;
pub mod policy;
mod queue;
mod resolve;
pub mod response;
pub mod transport;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;

pub use endpoint::Endpoint;
use queue::ReadyQueue;
use transport::{HttpReply, Transport, TransportError};

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, ErrorKind};
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

/// How requests go out.
pub enum Sender {
    /// HTTP(S) to the configured Edge, from one non-blocking I/O thread.
    Http,
    /// A substitute transport, called by `native.deliveryWorkers` blocking workers.
    Custom(Arc<dyn Transport>),
}

enum Mode<S> {
    Loop {
        /// Taken by the thread that runs the loop.
        io: Mutex<Option<Box<io::Io<S>>>>,
        waker: mio::Waker,
        opened: Arc<AtomicU64>,
    },
    Workers {
        transport: Arc<dyn Transport>,
        workers: usize,
    },
}

/// The delivery side of a client: the queue of sessions to serve, where requests go, and how.
pub struct Delivery<S> {
    ready: ReadyQueue<S>,
    endpoint: Endpoint,
    mode: Mode<S>,
    clock: Arc<dyn Clock>,
}

impl<S> Delivery<S> {
    /// Fails with `InvalidConfig` when the HTTP target cannot be made (a bad trust store, or a
    /// bad proxy in the environment), `Internal` when the system refuses an event loop.
    pub fn new(config: &Config, sender: Sender, clock: Arc<dyn Clock>) -> crate::error::Result<Delivery<S>> {
        let mode = match sender {
            Sender::Custom(transport) => Mode::Workers { transport, workers: config.delivery_workers.max(1) },
            Sender::Http => {
                let target = io::Target::from_config(config).map_err(|e| Error::new(ErrorKind::InvalidConfig, e))?;
                let system =
                    |e: std::io::Error| Error::new(ErrorKind::Internal, format!("cannot set up delivery: {e}"));
                let poll = mio::Poll::new().map_err(system)?;
                let waker = mio::Waker::new(poll.registry(), io::WAKE).map_err(system)?;
                let opened = Arc::new(AtomicU64::new(0));
                let io = io::Io::new(poll, target, Arc::clone(&opened));
                Mode::Loop { io: Mutex::new(Some(Box::new(io))), waker, opened }
            }
        };
        Ok(Delivery { ready: ReadyQueue::new(), endpoint: Endpoint::new(config), mode, clock })
    }

    /// How many threads `run_worker` wants: one loop, or the substitute's workers.
    pub fn threads(&self) -> usize {
        match &self.mode {
            Mode::Loop { .. } => 1,
            Mode::Workers { workers, .. } => *workers,
        }
    }

    /// Queues a session that has a request to send (its owner makes sure it is queued once).
    pub fn push(&self, session: S) {
        // The loop, awake, looks at the queue before it waits again: a wake-up (a syscall) is
        // needed only while it waits, and never from the loop's own thread.
        if self.ready.push(session) {
            self.wake();
        }
    }

    fn wake(&self) {
        if let Mode::Loop { waker, .. } = &self.mode {
            // Fails only if the poll is gone, when there is nobody to wake.
            let _ = waker.wake();
        }
    }

    /// Waits until no session is queued or on a worker; true if that happened before `deadline`.
    pub fn wait_idle(&self, deadline: Instant) -> bool {
        self.ready.wait_idle(deadline)
    }

    /// The loop exits at once (abandoning what is in flight); workers once they are done with
    /// the request they are on.
    pub fn shutdown(&self) {
        self.ready.shutdown();
        self.wake();
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn connections_opened(&self) -> u64 {
        match &self.mode {
            Mode::Loop { opened, .. } => opened.load(Ordering::Relaxed),
            Mode::Workers { transport, .. } => transport.connections_opened(),
        }
    }

    /// A delivery thread's body, until shutdown: the I/O loop (on the first thread that asks),
    /// or a worker of a substitute transport.
    pub fn run_worker(&self, handler: &dyn Handler<S>, logger: &Logger) {
        match &self.mode {
            Mode::Loop { io, .. } => {
                let taken = io.lock().take();
                if let Some(mut io) = taken {
                    io.run(&self.ready, &self.endpoint, self.clock.as_ref(), handler, logger);
                }
            }
            Mode::Workers { transport, .. } => self.run_blocking(transport.as_ref(), handler, logger),
        }
    }

    /// A worker of a substitute transport. A panic while serving one session (a bug) is
    /// contained: that session stays parked, logged, and the worker goes on serving the others.
    fn run_blocking(&self, transport: &dyn Transport, handler: &dyn Handler<S>, logger: &Logger) {
        while let Some(session) = self.ready.pop() {
            let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.serve(transport, &session, handler, logger)
            }));
            if served.is_err() {
                logger.log(Level::Error, || {
                    format!("internal error delivering for {}; it is parked", handler.describe(&session))
                });
            }
            self.ready.done();
        }
    }

    fn serve(&self, transport: &dyn Transport, session: &S, handler: &dyn Handler<S>, logger: &Logger) {
        let Some(request) = handler.next_request(session) else { return };
        let url = self.endpoint.url(request.action, &request.request_id, self.clock.now());
        let started = Instant::now();
        let result = transport.post_json(&url, &request.body);
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
