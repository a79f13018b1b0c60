//! Asynchronous outcomes the caller hears about: session started, resumed, failed, lost, ended,
//! an event rejected or given up, events left unsent at shutdown.

use std::sync::Arc;

use crate::xdm::EventType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEventKind {
    /// The backend issued the session ID.
    Started,
    /// The backend refused the session (207, 400, …), an automatic session could not be resumed,
    /// or consent was set to "out"; queued events are dropped (`count`).
    Failed,
    /// The server refused one event for good; later events still go out.
    EventRejected,
    /// Retrying an event ran past `native.maxRetryDurationMs`; it was given up.
    EventDropped,
    /// sessionEnd or sessionComplete was delivered (or given up) and nothing is left to send.
    Ended,
    /// The backend lost an automatic session (404, an outage longer than its idle timeout, or
    /// 24 h of age); a new backend session was started with `hasResume` and the playback state
    /// re-sent. `session_id` is the new ID; nothing queued was lost.
    Resumed,
    /// The backend lost a manual session (404): start a new one. Its queued events were dropped.
    Lost,
    /// The client was freed with events still queued after its deadline; `count` says how many.
    Unsent,
    /// The client was freed at its deadline while one event (`event_type`) was on the wire: its
    /// outcome is unknown (it may have landed). `count` is 1; for a downloaded session, which
    /// goes whole, all its events, without `event_type`.
    Unconfirmed,
    /// A tracker call broke the tracker's rules (the call also returned the status, unless it
    /// was held during the preroll wait and replayed later).
    CallRejected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEvent {
    pub kind: SessionEventKind,
    /// The client-wide number of the session.
    pub session_key: u64,
    pub player_id: Option<String>,
    /// The backend session ID, once known.
    pub session_id: Option<String>,
    /// The event concerned (rejections and drops).
    pub event_type: Option<EventType>,
    /// The HTTP status concerned, or 0.
    pub http_status: u16,
    /// How many events this concerns: 1 for a rejection or drop, the number dropped for
    /// FAILED, LOST and UNSENT, 0 otherwise.
    pub count: usize,
    pub message: String,
}

impl SessionEvent {
    /// The same event, concerning `count` events.
    pub fn with_count(mut self, count: usize) -> SessionEvent {
        self.count = count;
        self
    }
}

/// The caller's session-event callback.
pub type ListenerFn = dyn Fn(&SessionEvent) + Send + Sync;
pub type Listener = Arc<ListenerFn>;

/// Events decided together under one lock, and how many queued events they finish (counted off
/// only once the listener has heard of them, so that a returned flush means the callbacks ran).
#[derive(Default)]
pub struct Batch {
    pub events: Vec<SessionEvent>,
    pub finished_events: usize,
}

/// One session's (or one tracker's) events on their way to the listener: in the order their
/// numbers were reserved, one batch at a time, never two at once. The number is reserved under
/// the lock that decided the events, so that is their order; the batch is posted once that lock
/// is released, and whichever thread finds nobody delivering delivers every batch that is next
/// in line, its own and those posted meanwhile by other threads.
#[derive(Default)]
pub struct Mailbox {
    inner: parking_lot::Mutex<MailboxInner>,
}

#[derive(Default)]
struct MailboxInner {
    reserved: u64,
    next: u64,
    waiting: std::collections::BTreeMap<u64, Batch>,
    delivering: bool,
}

impl Mailbox {
    /// The number of the next batch. Call it under the lock that decided the batch's events.
    pub fn reserve(&self) -> u64 {
        let mut inner = self.inner.lock();
        inner.reserved += 1;
        inner.reserved - 1
    }

    /// Posts batch `number`. True: the caller now delivers, taking batches with `take` until
    /// it returns `None`. False: another thread is delivering, or an earlier batch is still to
    /// come; whoever delivers that one delivers this one too.
    pub fn post(&self, number: u64, batch: Batch) -> bool {
        let mut inner = self.inner.lock();
        inner.waiting.insert(number, batch);
        if inner.delivering || !inner.waiting.contains_key(&inner.next) {
            return false;
        }
        inner.delivering = true;
        true
    }

    /// The next batch in line, for the thread that is delivering; `None` ends its turn.
    pub fn take(&self) -> Option<Batch> {
        let mut inner = self.inner.lock();
        let next = inner.next;
        match inner.waiting.remove(&next) {
            Some(batch) => {
                inner.next += 1;
                Some(batch)
            }
            None => {
                inner.delivering = false;
                if inner.waiting.is_empty() {
                    // A BTreeMap keeps its (456-byte) root node once emptied; most sessions are
                    // idle most of the time, so an idle mailbox holds none.
                    inner.waiting = std::collections::BTreeMap::new();
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(n: usize) -> Batch {
        Batch { events: Vec::new(), finished_events: n }
    }

    #[test]
    fn mailbox_delivers_in_reserved_order_whoever_posts_first() {
        let mailbox = Mailbox::default();
        let (first, second, third) = (mailbox.reserve(), mailbox.reserve(), mailbox.reserve());
        assert!(!mailbox.post(second, batch(2)), "the second cannot go before the first");
        assert!(!mailbox.post(third, batch(3)));
        assert!(mailbox.post(first, batch(1)), "the first arrives: its poster delivers");
        let order: Vec<usize> = std::iter::from_fn(|| mailbox.take()).map(|b| b.finished_events).collect();
        assert_eq!(order, [1, 2, 3]);
        let fourth = mailbox.reserve();
        assert!(mailbox.post(fourth, batch(4)), "nobody is delivering any more");
    }

    #[test]
    fn mailbox_lets_one_thread_deliver_at_a_time() {
        let mailbox = Mailbox::default();
        let (first, second) = (mailbox.reserve(), mailbox.reserve());
        assert!(mailbox.post(first, batch(1)));
        assert!(!mailbox.post(second, batch(2)), "the first poster is still delivering");
        assert_eq!(mailbox.take().map(|b| b.finished_events), Some(1));
        assert_eq!(mailbox.take().map(|b| b.finished_events), Some(2), "the deliverer takes what came meanwhile");
        assert!(mailbox.take().is_none());
    }
}
