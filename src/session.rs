//! The session model: what the library knows of one media session and the FIFO of events
//! waiting to be sent for it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use serde_json::{Map, Value};

use crate::body::{Body, SessionIdSlot};
use crate::events::Mailbox;
use crate::resume::Playback;
use crate::xdm::{EventType, Mode, PlayerDetails};

/// Supplies playhead and QoE for an automatic session. Called on the caller's thread when an
/// event is made and on the scheduler thread for each ping, never with a library lock held.
pub trait PlayerDetailsSource: Send + Sync {
    fn player_details(&self) -> PlayerDetails;
}

impl<F: Fn() -> PlayerDetails + Send + Sync> PlayerDetailsSource for F {
    fn player_details(&self) -> PlayerDetails {
        self()
    }
}

/// What the backend has said about the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// sessionStart is queued or in flight.
    Pending,
    Known(String),
    /// Refused or lost; the reason.
    Failed(String),
    /// A downloaded session: recorded here, sent whole once it ends; Adobe assigns its ID then.
    Downloaded,
}

/// The session's life as the caller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the session ID.
    Starting,
    /// Taking events.
    Active,
    /// sessionEnd or sessionComplete was called; events still queued are being delivered.
    Ending,
    /// Ended and everything delivered or given up.
    Ended,
    /// Refused or lost by the backend.
    Failed,
}

/// What an event adds to its JSON when it is sent: the request's envelope, the timestamp, the
/// playhead and session ID, the configuration's defaults.
const SENT_OVERHEAD: usize = 128;

/// One event waiting in the FIFO: its request body as written when it was queued.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Client-wide, in queueing order: identifies the event through eviction and outcomes.
    pub seq: u64,
    pub event_type: EventType,
    pub body: Body,
    /// The document's `mediaCollection.playhead`, where a resume restarts.
    pub playhead: Option<i64>,
    /// A chapterStart, adBreakStart or adStart: once delivered, its document (read back from
    /// the body) is what a resumed session is told again.
    pub restate: bool,
    /// JSON bytes counted against the queue limits.
    pub size: usize,
    /// The `requestId` of every attempt, so the Edge (and the emulator) can tell a retry from a
    /// new event. Made at the first attempt.
    pub request_id: Option<String>,
    pub attempts: u32,
    /// When the first attempt failed, on the engine's clock.
    pub first_failure: Option<Duration>,
    /// The event's number in its session's journal, if it was journaled.
    pub journal_n: Option<u32>,
}

impl Outgoing {
    /// A new event, not yet attempted: `xdm` written as its request body (with an `_id` from
    /// `new_id` if it has none, and a place for its timestamp); the map is not kept. Its size
    /// in the queue limits is `text_len` (the caller's JSON text) or the document as
    /// serialized, plus what sending adds.
    pub fn new(
        seq: u64,
        event_type: EventType,
        xdm: Map<String, Value>,
        mode: Mode,
        new_id: impl FnOnce() -> String,
        text_len: Option<usize>,
    ) -> Outgoing {
        let slot = match mode {
            Mode::Automatic => SessionIdSlot::Library,
            Mode::Manual => SessionIdSlot::IfAbsent,
            Mode::Downloaded => SessionIdSlot::Never,
        };
        let body = Body::write(&xdm, slot, new_id);
        let playhead = xdm.get("mediaCollection").and_then(|m| m.get("playhead")).and_then(Value::as_i64);
        let size = text_len.unwrap_or_else(|| body.document_len());
        Outgoing::queued(seq, event_type, body, playhead, size)
    }

    /// A new event written as its request body from the caller's text (`document`), of
    /// `text_len` bytes.
    pub fn from_body(seq: u64, event_type: EventType, body: Body, playhead: i64, text_len: usize) -> Outgoing {
        Outgoing::queued(seq, event_type, body, Some(playhead), text_len)
    }

    /// An event an earlier client journaled, as it was queued then. It is not restated on a
    /// resume: replay does not rebuild the playback state (open chapter, ad) it belonged to.
    pub fn replayed(seq: u64, event_type: EventType, body: Body, playhead: Option<i64>, n: u32) -> Outgoing {
        let size = body.parts().0.len();
        Outgoing { restate: false, journal_n: Some(n), ..Outgoing::queued(seq, event_type, body, playhead, size) }
    }

    /// A new event, not yet attempted, of `size` bytes of JSON (what sending adds not counted).
    fn queued(seq: u64, event_type: EventType, body: Body, playhead: Option<i64>, size: usize) -> Outgoing {
        Outgoing {
            seq,
            event_type,
            size: size + SENT_OVERHEAD,
            body,
            playhead,
            restate: restates(event_type),
            request_id: None,
            attempts: 0,
            first_failure: None,
            journal_n: None,
        }
    }
}

/// Whether a resumed session is told of the event again (`Outgoing::restate`).
fn restates(event_type: EventType) -> bool {
    matches!(event_type, EventType::ChapterStart | EventType::AdBreakStart | EventType::AdStart)
}

pub struct SessionState {
    pub backend: Backend,
    /// sessionEnd or sessionComplete is queued: nothing more is accepted.
    pub end_queued: bool,
    /// Everything, the end included, is delivered or given up.
    pub finished: bool,
    pub outbox: VecDeque<Outgoing>,
    /// The session is in the delivery queue, on a worker, or waiting for a retry timer.
    /// While true, nobody else may hand it to delivery: one request in flight per session.
    pub busy: bool,
    /// The head's request is on the wire (from its sending until its outcome is applied).
    pub in_flight: bool,
    /// From adBreakStart/adStart until adBreakComplete: pings use the ad interval.
    pub in_ad: bool,
    /// Automatic, ID known, not ended.
    pub pinging: bool,
    /// When the next ping is due: one interval after the last event (pinging sessions).
    pub ping_due: Duration,
    /// The ping timer in the scheduler, if any: when it fires and its number. An event only
    /// moves `ping_due`; the timer, when it fires early, re-arms itself for the new due time.
    /// So the scheduler holds about one ping timer per session, however many events it sends.
    pub ping_timer: Option<(Duration, u64)>,
    /// Numbers the ping timers; one that fires with another number is stale.
    pub ping_generation: u64,
    /// The last playhead sent, for the sessionEnd the library sends when a live session is freed.
    pub last_playhead: i64,
    /// The latest time an event of the session was stamped with (Unix ms).
    pub last_stamp_ms: i64,
    /// The caller's sessionStart document (automatic sessions), to start again after a loss.
    /// Kept as JSON text: a fraction of the memory of the parsed form, read only on a resume.
    pub start_xdm: Option<Box<str>>,
    /// What the backend was told about the playback, to restore it after a loss.
    pub playback: Playback,
    /// The lost backend session ID while a resume's sessionStart is on its way.
    pub resuming_from: Option<String>,
    /// Resumes since the last event the backend accepted: a guard against a loop of losses.
    pub resumes_in_a_row: u32,
    /// On the engine's clock: when the backend issued the current ID, and last accepted an event.
    pub backend_since: Duration,
    pub last_accepted: Duration,
    /// A session all of whose events must reach the wire first: a tracker's previous session,
    /// whose sessionEnd must not be overtaken by this one's sessionStart.
    pub waits_for: Option<Weak<SessionCore>>,
    /// The session's number in the journal (`native.storageDir`), if it is journaled, and the
    /// number its next event takes there.
    pub journal: Option<u64>,
    pub journal_next: u32,
}

impl SessionState {
    /// Whether the head of the FIFO may be sent now.
    pub fn head_sendable(&self) -> bool {
        if self.waits_for.as_ref().and_then(Weak::upgrade).is_some_and(|before| !before.done.load(Ordering::SeqCst)) {
            return false;
        }
        match (&self.backend, self.outbox.front()) {
            (_, None) => false,
            (Backend::Known(_), Some(_)) => true,
            (Backend::Pending, Some(head)) => head.event_type == EventType::SessionStart,
            (Backend::Failed(_), Some(_)) => false,
            // Sent as a whole, with other finished downloaded sessions (engine/downloaded.rs).
            (Backend::Downloaded, Some(_)) => false,
        }
    }

    pub fn phase(&self) -> Phase {
        match (&self.backend, self.end_queued, self.finished) {
            (Backend::Failed(_), _, _) => Phase::Failed,
            (_, true, true) => Phase::Ended,
            (_, true, false) => Phase::Ending,
            (Backend::Pending, false, _) => Phase::Starting,
            (Backend::Known(_) | Backend::Downloaded, false, _) => Phase::Active,
        }
    }
}

pub struct SessionCore {
    /// The client-wide number of this session, reported with every session event.
    pub key: u64,
    pub mode: Mode,
    pub player_id: Option<String>,
    /// Taken away when the handle is freed, so the caller's `user_data` is released promptly.
    pub details: Mutex<Option<Arc<dyn PlayerDetailsSource>>>,
    pub state: Mutex<SessionState>,
    /// Signalled when the backend state changes (ID known or failed).
    pub backend_changed: Condvar,
    /// The session's events on their way to the listener, in order and one at a time.
    pub mailbox: Mailbox,
    /// Everything is delivered or given up, or the session failed: a successor may send.
    pub done: AtomicBool,
    /// The session waiting for this one to be done (`SessionState::waits_for`), to wake then.
    pub successor: Mutex<Option<Weak<SessionCore>>>,
    /// A tracker's session: the tracker makes the pings and restarts the session at 24 h, so
    /// the library's own pings and age-based resume stay off.
    pub tracker_managed: bool,
}

impl SessionCore {
    pub fn new(
        key: u64,
        mode: Mode,
        player_id: Option<String>,
        details: Option<Arc<dyn PlayerDetailsSource>>,
    ) -> SessionCore {
        SessionCore {
            key,
            mode,
            player_id,
            details: Mutex::new(details),
            state: Mutex::new(SessionState {
                backend: Backend::Pending,
                end_queued: false,
                finished: false,
                outbox: VecDeque::new(),
                busy: false,
                in_flight: false,
                in_ad: false,
                pinging: false,
                ping_due: Duration::ZERO,
                ping_timer: None,
                ping_generation: 0,
                last_playhead: 0,
                last_stamp_ms: i64::MIN,
                start_xdm: None,
                playback: Playback::default(),
                resuming_from: None,
                resumes_in_a_row: 0,
                backend_since: Duration::ZERO,
                last_accepted: Duration::ZERO,
                waits_for: None,
                journal: None,
                journal_next: 1,
            }),
            backend_changed: Condvar::new(),
            mailbox: Mailbox::default(),
            done: AtomicBool::new(false),
            successor: Mutex::new(None),
            tracker_managed: false,
        }
    }

    /// Asks the player for playhead and QoE; `None` when the session has no callback (manual,
    /// or freed). Must be called without any lock held.
    pub fn read_player(&self) -> Option<PlayerDetails> {
        let source = self.details.lock().clone();
        source.map(|s| s.player_details())
    }
}
