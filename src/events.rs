//! Asynchronous outcomes the caller hears about: session started, failed, ended, an event
//! rejected or given up.

use std::sync::Arc;

use crate::xdm::EventType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEventKind {
    /// The backend issued the session ID.
    Started,
    /// The backend refused the session (207, 400, …) or lost it (404); queued events are dropped.
    Failed,
    /// The server refused one event for good; later events still go out.
    EventRejected,
    /// Retrying an event ran past `native.maxRetryDurationMs`; it was given up.
    EventDropped,
    /// sessionEnd or sessionComplete was delivered (or given up) and nothing is left to send.
    Ended,
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
    pub message: String,
}

pub type Listener = Arc<dyn Fn(&SessionEvent) + Send + Sync>;
