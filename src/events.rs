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

pub type Listener = Arc<dyn Fn(&SessionEvent) + Send + Sync>;
