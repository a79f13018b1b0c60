//! C callbacks: function pointers with a `user_data` that the library releases exactly once,
//! and the adapters that turn them into the engine's Rust callbacks.

use std::ffi::{c_char, c_int, c_void, CString};
use std::ptr;
use std::sync::Arc;

use crate::events::{Listener, SessionEvent, SessionEventKind};
use crate::log::{Level, LogSink};
use crate::session::PlayerDetailsSource;
use crate::xdm::{PlayerDetails, Qoe};

/// Releases a `user_data` once the library no longer needs it. Called exactly once, on whatever
/// thread drops the last reference; it must not call back into the library.
pub type mediaedge_release_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// A `user_data` pointer with its release function.
pub(crate) struct UserData {
    ptr: *mut c_void,
    release: mediaedge_release_fn,
}

// SAFETY: the header requires every `user_data` handed to mediaedge to be usable from any thread
// (callbacks run on the library's threads); the library itself never dereferences it.
unsafe impl Send for UserData {}
// SAFETY: as above; the pointer is only passed back to the caller's own functions.
unsafe impl Sync for UserData {}

impl UserData {
    pub(crate) fn new(ptr: *mut c_void, release: mediaedge_release_fn) -> UserData {
        UserData { ptr, release }
    }

    /// A method rather than the field, so closures capture the whole (Send + Sync) `UserData`.
    fn ptr(&self) -> *mut c_void {
        self.ptr
    }
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            // SAFETY: `release` was given with this `user_data` for exactly this call, made once.
            unsafe { release(self.ptr) };
        }
    }
}

/// `qoe_fields` bit: `bitrate` is set.
pub const MEDIAEDGE_QOE_BITRATE: u32 = 1;
/// `qoe_fields` bit: `dropped_frames` is set.
pub const MEDIAEDGE_QOE_DROPPED_FRAMES: u32 = 2;
/// `qoe_fields` bit: `frames_per_second` is set.
pub const MEDIAEDGE_QOE_FRAMES_PER_SECOND: u32 = 4;
/// `qoe_fields` bit: `time_to_start` is set.
pub const MEDIAEDGE_QOE_TIME_TO_START: u32 = 8;

/// What the player reports. The library fills it with the last playhead and `qoe_fields = 0`
/// before each call; the callback overwrites what it knows.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mediaedge_player_details {
    /// Seconds; rounded to a whole number. For live streams without a position, seconds since
    /// UTC midnight.
    pub playhead: f64,
    /// Which QoE figures below are set: `MEDIAEDGE_QOE_*` bits.
    pub qoe_fields: u32,
    /// Bits per second.
    pub bitrate: f64,
    pub dropped_frames: f64,
    pub frames_per_second: f64,
    /// Milliseconds from the play request to the first frame.
    pub time_to_start: f64,
}

/// Reports playhead and QoE for an automatic session. Called on the thread that sends an event
/// (when the event is made) and on the client's scheduler thread (for each ping); calls for one
/// session do not overlap each other on the scheduler thread but may overlap with the caller's
/// own sends. The library holds no lock while calling it: it may send events (on its own session
/// or others), read session IDs, and create and free other sessions; called for a ping, it may
/// also free its own session. It must not call `mediaedge_client_advance_clock` from a ping
/// (that returns WRONG_STATE), nor free the session a call on its own thread is sending on. It
/// must return promptly: while it blocks, the pings of every session wait (the player's own
/// calls do not).
pub type mediaedge_player_details_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, details: *mut mediaedge_player_details)>;

pub(crate) struct CPlayerDetails {
    callback: unsafe extern "C" fn(*mut c_void, *mut mediaedge_player_details),
    user_data: UserData,
    last_playhead: parking_lot::Mutex<f64>,
}

impl CPlayerDetails {
    pub(crate) fn new(
        callback: unsafe extern "C" fn(*mut c_void, *mut mediaedge_player_details),
        user_data: UserData,
    ) -> CPlayerDetails {
        CPlayerDetails { callback, user_data, last_playhead: parking_lot::Mutex::new(0.0) }
    }
}

impl PlayerDetailsSource for CPlayerDetails {
    fn player_details(&self) -> PlayerDetails {
        let mut raw = mediaedge_player_details { playhead: *self.last_playhead.lock(), ..Default::default() };
        // SAFETY: the caller handed this function and user_data together for this purpose; `raw`
        // is a valid, initialised struct for the duration of the call.
        unsafe { (self.callback)(self.user_data.ptr(), &mut raw) };
        *self.last_playhead.lock() = raw.playhead;
        let pick = |bit: u32, value: f64| (raw.qoe_fields & bit != 0 && value.is_finite()).then_some(value);
        PlayerDetails {
            playhead: raw.playhead,
            qoe: Qoe {
                bitrate: pick(MEDIAEDGE_QOE_BITRATE, raw.bitrate),
                dropped_frames: pick(MEDIAEDGE_QOE_DROPPED_FRAMES, raw.dropped_frames),
                frames_per_second: pick(MEDIAEDGE_QOE_FRAMES_PER_SECOND, raw.frames_per_second),
                time_to_start: pick(MEDIAEDGE_QOE_TIME_TO_START, raw.time_to_start),
            },
        }
    }
}

/// What happened to a session, as told to the event callback.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mediaedge_session_event_kind {
    /// The backend issued the session ID (`session_id`).
    MEDIAEDGE_SESSION_STARTED = 1,
    /// The backend refused the session (207/400) or answered with an unusable session ID (over
    /// 128 bytes, or characters outside A-Z a-z 0-9 . _ -), an automatic session could not be
    /// resumed, or consent was set to "out"; queued events were dropped (`count`) and later calls
    /// return MEDIAEDGE_ERR_SESSION_FAILED.
    MEDIAEDGE_SESSION_FAILED = 2,
    /// The server refused one event (`event_type`, `http_status`) for good.
    MEDIAEDGE_SESSION_EVENT_REJECTED = 3,
    /// One event could not be delivered before `native.maxRetryDurationMs` ran out.
    MEDIAEDGE_SESSION_EVENT_DROPPED = 4,
    /// sessionEnd or sessionComplete went out and nothing is left to send.
    MEDIAEDGE_SESSION_ENDED = 5,
    /// The backend lost an automatic session (404, an outage longer than its 10-minute idle
    /// timeout, or 24 h of age). A new backend session (`session_id`) was started with
    /// `hasResume`, the open chapter, ad break, ad and play state were re-sent, and every queued
    /// event follows: nothing was lost.
    MEDIAEDGE_SESSION_RESUMED = 6,
    /// The backend lost a manual session (404): its queued events were dropped (`count`); start
    /// a new session to carry on.
    MEDIAEDGE_SESSION_LOST = 7,
    /// The client was freed with `count` events of this session still undelivered at its
    /// deadline.
    MEDIAEDGE_SESSION_UNSENT = 8,
    /// A tracker call broke the tracker's rules (`message` says which and what to call first).
    /// The call itself returned MEDIAEDGE_ERR_RULE_VIOLATION, unless it was held during the
    /// preroll wait and replayed later, when this is the only report.
    MEDIAEDGE_SESSION_CALL_REJECTED = 9,
    /// The client was freed at its deadline while one event of this session (`event_type`) was
    /// on the wire: its outcome is unknown (it may have landed), so it is counted in
    /// `unconfirmed_shutdown`, not as sent or unsent. `count` is 1; for a downloaded session,
    /// which goes whole, `count` is all its events and `event_type` is absent.
    MEDIAEDGE_SESSION_UNCONFIRMED = 10,
}

/// One session event. Every string is owned by the library and valid only during the callback.
#[repr(C)]
pub struct mediaedge_session_event {
    pub kind: mediaedge_session_event_kind,
    /// The session's number, as `mediaedge_session_key` reports it.
    pub session_key: u64,
    /// The automatic session's player id, or NULL.
    pub player_id: *const c_char,
    /// The backend session ID, or NULL while unknown.
    pub session_id: *const c_char,
    /// The event concerned ("media.play"), or NULL.
    pub event_type: *const c_char,
    /// The HTTP status concerned, or 0.
    pub http_status: u32,
    /// A readable description.
    pub message: *const c_char,
    /// How many events this concerns: 1 for EVENT_REJECTED/EVENT_DROPPED, the number dropped
    /// for FAILED, LOST and UNSENT, 0 otherwise.
    pub count: u64,
}

/// The name of a session event kind ("MEDIAEDGE_SESSION_STARTED"), or
/// "MEDIAEDGE_SESSION_UNKNOWN_KIND". The string is static.
#[no_mangle]
pub extern "C" fn mediaedge_session_event_kind_str(kind: c_int) -> *const c_char {
    let name: &'static [u8] = match kind {
        1 => b"MEDIAEDGE_SESSION_STARTED\0",
        2 => b"MEDIAEDGE_SESSION_FAILED\0",
        3 => b"MEDIAEDGE_SESSION_EVENT_REJECTED\0",
        4 => b"MEDIAEDGE_SESSION_EVENT_DROPPED\0",
        5 => b"MEDIAEDGE_SESSION_ENDED\0",
        6 => b"MEDIAEDGE_SESSION_RESUMED\0",
        7 => b"MEDIAEDGE_SESSION_LOST\0",
        8 => b"MEDIAEDGE_SESSION_UNSENT\0",
        9 => b"MEDIAEDGE_SESSION_CALL_REJECTED\0",
        10 => b"MEDIAEDGE_SESSION_UNCONFIRMED\0",
        _ => b"MEDIAEDGE_SESSION_UNKNOWN_KIND\0",
    };
    name.as_ptr().cast()
}

/// Tells the caller what happened to a session. Called on the client's delivery thread, on the
/// client's scheduler thread or a tracker call's thread (CALL_REJECTED), or on the thread calling
/// `mediaedge_client_set_consent` (consent "out") or `mediaedge_client_free` (UNSENT) — except
/// that while a call for the same session is in progress on another thread, that thread makes
/// this one right after it. Calls for one session (for a tracker, for its open session, or the
/// tracker itself while none is open) come in the order the library decided them and never
/// overlap; calls for different sessions may. One lock is held during the call: a shared read
/// lock on the event callback itself, which blocks exactly one thing, replacing or removing the
/// event callback (`mediaedge_client_set_event_callback` waits until no call is in progress;
/// from inside the callback it returns WRONG_STATE). No other library lock is held: the
/// callback may call any other mediaedge function except freeing the client; events it causes
/// for its own session come after it returns. Once `mediaedge_client_free` returns, it is not
/// called again. The delivery thread drives every request of the client: while this runs there,
/// no request of any session moves, so return promptly.
pub type mediaedge_session_event_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const mediaedge_session_event)>;

fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

pub(crate) fn event_listener(
    callback: unsafe extern "C" fn(*mut c_void, *const mediaedge_session_event),
    user_data: UserData,
) -> Listener {
    Arc::new(move |event: &SessionEvent| {
        let player_id = event.player_id.as_deref().map(c_string);
        let session_id = event.session_id.as_deref().map(c_string);
        let event_type = event.event_type.map(|t| c_string(t.xdm_name()));
        let message = c_string(&event.message);
        let raw = mediaedge_session_event {
            kind: match event.kind {
                SessionEventKind::Started => mediaedge_session_event_kind::MEDIAEDGE_SESSION_STARTED,
                SessionEventKind::Failed => mediaedge_session_event_kind::MEDIAEDGE_SESSION_FAILED,
                SessionEventKind::EventRejected => mediaedge_session_event_kind::MEDIAEDGE_SESSION_EVENT_REJECTED,
                SessionEventKind::EventDropped => mediaedge_session_event_kind::MEDIAEDGE_SESSION_EVENT_DROPPED,
                SessionEventKind::Ended => mediaedge_session_event_kind::MEDIAEDGE_SESSION_ENDED,
                SessionEventKind::Resumed => mediaedge_session_event_kind::MEDIAEDGE_SESSION_RESUMED,
                SessionEventKind::Lost => mediaedge_session_event_kind::MEDIAEDGE_SESSION_LOST,
                SessionEventKind::Unsent => mediaedge_session_event_kind::MEDIAEDGE_SESSION_UNSENT,
                SessionEventKind::CallRejected => mediaedge_session_event_kind::MEDIAEDGE_SESSION_CALL_REJECTED,
                SessionEventKind::Unconfirmed => mediaedge_session_event_kind::MEDIAEDGE_SESSION_UNCONFIRMED,
            },
            session_key: event.session_key,
            player_id: player_id.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
            session_id: session_id.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
            event_type: event_type.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
            http_status: u32::from(event.http_status),
            message: message.as_ptr(),
            count: event.count as u64,
        };
        // SAFETY: the function and user_data were given together; `raw` and the strings it points
        // to live until the call returns.
        unsafe { callback(user_data.ptr(), &raw) };
    })
}

/// Log levels for `mediaedge_client_set_log_callback`.
pub type mediaedge_log_level = u32;
pub const MEDIAEDGE_LOG_ERROR: mediaedge_log_level = 1;
pub const MEDIAEDGE_LOG_WARN: mediaedge_log_level = 2;
pub const MEDIAEDGE_LOG_INFO: mediaedge_log_level = 3;
/// Every request and response summarised (path, status, latency); never secrets.
pub const MEDIAEDGE_LOG_DEBUG: mediaedge_log_level = 4;

/// Receives one log line. Called on any of the library's threads and on the caller's, possibly
/// overlapping; `message` is valid only during the call. It must not call back into the library.
/// A shared read lock on the log callback is held during the call: replacing or removing the log
/// callback waits until no call is in progress. Once `mediaedge_client_free` returns, it is not
/// called again.
pub type mediaedge_log_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, level: mediaedge_log_level, message: *const c_char)>;

pub(crate) fn log_sink(
    callback: unsafe extern "C" fn(*mut c_void, u32, *const c_char),
    user_data: UserData,
) -> LogSink {
    Arc::new(move |level: Level, message: &str| {
        let text = c_string(message);
        // SAFETY: the function and user_data were given together; `text` lives until it returns.
        unsafe { callback(user_data.ptr(), level as u32, text.as_ptr()) };
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mediaedge_session_event_kind::*;

    #[test]
    fn every_session_event_kind_has_its_c_name() {
        let kinds = [
            MEDIAEDGE_SESSION_STARTED,
            MEDIAEDGE_SESSION_FAILED,
            MEDIAEDGE_SESSION_EVENT_REJECTED,
            MEDIAEDGE_SESSION_EVENT_DROPPED,
            MEDIAEDGE_SESSION_ENDED,
            MEDIAEDGE_SESSION_RESUMED,
            MEDIAEDGE_SESSION_LOST,
            MEDIAEDGE_SESSION_UNSENT,
            MEDIAEDGE_SESSION_CALL_REJECTED,
            MEDIAEDGE_SESSION_UNCONFIRMED,
        ];
        for kind in kinds {
            // SAFETY: the function returns a static NUL-terminated string.
            let name = unsafe { std::ffi::CStr::from_ptr(mediaedge_session_event_kind_str(kind as c_int)) };
            assert_eq!(name.to_bytes(), format!("{kind:?}").as_bytes());
        }
        // SAFETY: as above.
        let unknown = unsafe { std::ffi::CStr::from_ptr(mediaedge_session_event_kind_str(0)) };
        assert_eq!(unknown.to_bytes(), b"MEDIAEDGE_SESSION_UNKNOWN_KIND");
    }
}
