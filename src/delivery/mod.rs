//! Delivery: a small fixed pool of workers that take sessions with something to send from one
//! queue, send the head of each session's FIFO, and hand the outcome back to the engine. A
//! session is in the queue at most once, so each has at most one request in flight.

pub mod policy;
pub mod response;
pub mod transport;

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use crate::engine::Engine;
use crate::log::Level;
use crate::session::SessionCore;

pub struct ReadyQueue {
    state: Mutex<Queue>,
    available: Condvar,
    idle: Condvar,
}

struct Queue {
    sessions: VecDeque<Arc<SessionCore>>,
    shut_down: bool,
    /// Sessions queued or on a worker: zero means no request is in flight or about to be.
    outstanding: usize,
}

impl Default for ReadyQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadyQueue {
    pub fn new() -> ReadyQueue {
        ReadyQueue {
            state: Mutex::new(Queue { sessions: VecDeque::new(), shut_down: false, outstanding: 0 }),
            available: Condvar::new(),
            idle: Condvar::new(),
        }
    }

    pub fn push(&self, session: Arc<SessionCore>) {
        let mut state = self.state.lock();
        state.sessions.push_back(session);
        state.outstanding += 1;
        self.available.notify_one();
    }

    /// A worker is done with a session it popped (it may have pushed it again meanwhile).
    fn done(&self) {
        let mut state = self.state.lock();
        state.outstanding -= 1;
        if state.outstanding == 0 {
            self.idle.notify_all();
        }
    }

    /// Waits until no session is queued for delivery or on a worker. True if that happened
    /// before `deadline`.
    pub fn wait_idle(&self, deadline: std::time::Instant) -> bool {
        let mut state = self.state.lock();
        while state.outstanding > 0 && !state.shut_down {
            if self.idle.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
        state.outstanding == 0
    }

    /// The next session to serve; `None` once shut down.
    fn pop(&self) -> Option<Arc<SessionCore>> {
        let mut state = self.state.lock();
        loop {
            if state.shut_down {
                return None;
            }
            if let Some(session) = state.sessions.pop_front() {
                return Some(session);
            }
            self.available.wait(&mut state);
        }
    }

    pub fn shutdown(&self) {
        self.state.lock().shut_down = true;
        self.available.notify_all();
        self.idle.notify_all();
    }
}

/// A delivery worker's body. A panic while serving one session (a bug) is contained: that
/// session stays parked, logged, and the worker goes on serving the others.
pub fn run_worker(engine: &Engine) {
    while let Some(session) = engine.ready.pop() {
        let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.deliver_head(&session)));
        if served.is_err() {
            engine
                .logger
                .log(Level::Error, || format!("internal error delivering for session {}; it is parked", session.key));
        }
        engine.ready.done();
    }
}
