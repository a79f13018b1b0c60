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
use crate::session::SessionCore;

pub struct ReadyQueue {
    state: Mutex<(VecDeque<Arc<SessionCore>>, bool)>,
    available: Condvar,
}

impl ReadyQueue {
    pub fn new() -> ReadyQueue {
        ReadyQueue { state: Mutex::new((VecDeque::new(), false)), available: Condvar::new() }
    }

    pub fn push(&self, session: Arc<SessionCore>) {
        self.state.lock().0.push_back(session);
        self.available.notify_one();
    }

    /// The next session to serve; `None` once shut down.
    fn pop(&self) -> Option<Arc<SessionCore>> {
        let mut state = self.state.lock();
        loop {
            if state.1 {
                return None;
            }
            if let Some(session) = state.0.pop_front() {
                return Some(session);
            }
            self.available.wait(&mut state);
        }
    }

    pub fn shutdown(&self) {
        self.state.lock().1 = true;
        self.available.notify_all();
    }

    pub fn is_shut_down(&self) -> bool {
        self.state.lock().1
    }
}

/// A delivery worker's body.
pub fn run_worker(engine: &Engine) {
    while let Some(session) = engine.ready.pop() {
        engine.deliver_head(&session);
    }
}
