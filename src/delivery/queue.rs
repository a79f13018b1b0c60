//! The queue of sessions waiting for delivery (the loop, or a substitute transport's workers),
//! and the count that tells when delivery is idle.

use std::collections::VecDeque;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

pub struct ReadyQueue<S> {
    state: Mutex<Queue<S>>,
    available: Condvar,
    idle: Condvar,
}

struct Queue<S> {
    sessions: VecDeque<S>,
    shut_down: bool,
    /// Sessions queued or on a worker: zero means no request is in flight or about to be.
    outstanding: usize,
    /// The I/O loop is waiting in its poll (or about to) and must be woken for a new session.
    /// While it runs, a push needs no wake-up: it looks at the queue before it waits again.
    loop_asleep: bool,
}

impl<S> ReadyQueue<S> {
    pub fn new() -> ReadyQueue<S> {
        ReadyQueue {
            state: Mutex::new(Queue {
                sessions: VecDeque::new(),
                shut_down: false,
                outstanding: 0,
                loop_asleep: false,
            }),
            available: Condvar::new(),
            idle: Condvar::new(),
        }
    }

    /// Queues a session; true if the I/O loop is asleep and must be woken.
    pub fn push(&self, session: S) -> bool {
        let mut state = self.state.lock();
        state.sessions.push_back(session);
        state.outstanding += 1;
        self.available.notify_one();
        std::mem::take(&mut state.loop_asleep)
    }

    /// The I/O loop is about to wait in its poll: true (and a later push wakes it) if nothing is
    /// queued; false if something is, or delivery is shut down, and it should not wait.
    pub fn loop_may_sleep(&self) -> bool {
        let mut state = self.state.lock();
        state.loop_asleep = state.sessions.is_empty() && !state.shut_down;
        state.loop_asleep
    }

    /// The I/O loop is back from its poll.
    pub fn loop_awake(&self) {
        self.state.lock().loop_asleep = false;
    }

    /// A worker is done with a session it popped (it may have pushed it again meanwhile).
    pub fn done(&self) {
        let mut state = self.state.lock();
        state.outstanding -= 1;
        if state.outstanding == 0 {
            self.idle.notify_all();
        }
    }

    /// Waits until no session is queued for delivery or on a worker. True if that happened
    /// before `deadline`.
    pub fn wait_idle(&self, deadline: Instant) -> bool {
        let mut state = self.state.lock();
        while state.outstanding > 0 && !state.shut_down {
            if self.idle.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
        state.outstanding == 0
    }

    /// The next session to serve; `None` once shut down.
    pub fn pop(&self) -> Option<S> {
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

    /// The next session to serve, without waiting.
    pub fn try_pop(&self) -> Option<S> {
        self.state.lock().sessions.pop_front()
    }

    pub fn is_shut_down(&self) -> bool {
        self.state.lock().shut_down
    }

    pub fn shutdown(&self) {
        self.state.lock().shut_down = true;
        self.available.notify_all();
        self.idle.notify_all();
    }
}
