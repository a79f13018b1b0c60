//! `mediaedge_client`: configuration, threads, and the calls that act on all its sessions.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::callbacks::{
    event_listener, log_sink, mediaedge_log_fn, mediaedge_log_level, mediaedge_release_fn, mediaedge_session_event_fn,
    UserData,
};
use super::handle::{borrow, Handle};
use super::status::mediaedge_status;
use super::strings::{str_in, str_out};
use super::{require_out, write_out};
use crate::client::{Client, ClockChoice};
use crate::config::Consent;
use crate::error::{Error, ErrorKind};
use crate::limits::{MAX_CONFIG_BYTES, MAX_LOCATION_HINT_BYTES, MAX_PLAYER_ID_BYTES, MAX_XDM_BYTES};
use crate::log::Level;

/// A media-tracking client: one scheduler thread and one delivery thread, shared by all its
/// sessions. Thread-safe: every function may be called from any thread at the same time, except
/// that `mediaedge_client_free` must be the last call on it.
pub struct mediaedge_client {
    pub(crate) client: Client,
}

impl Handle for mediaedge_client {}

fn new_client(config_json: *const c_char, clock: ClockChoice, out: *mut *mut mediaedge_client) -> Result<(), Error> {
    require_out(out, "out")?;
    // SAFETY: the caller passes a NUL-terminated string or NULL.
    let config = unsafe { str_in(config_json, "config_json", MAX_CONFIG_BYTES) }?;
    let client = Client::with_clock(config, clock)?;
    mediaedge_client { client }.hand_out(out)
}

/// Creates a client from a configuration JSON document (see the README for its keys). On
/// success `*out` receives a client the caller owns: release it with `mediaedge_client_free`.
#[no_mangle]
pub extern "C" fn mediaedge_client_new(
    config_json: *const c_char,
    out: *mut *mut mediaedge_client,
) -> mediaedge_status {
    ffi_boundary!({ new_client(config_json, ClockChoice::System, out) })
}

/// Like `mediaedge_client_new`, but on a virtual clock that starts at `start_unix_ms` (wall
/// time, for event timestamps) and moves only with `mediaedge_client_advance_clock`. A testing
/// feature: lets a test drive pings and retries without waiting.
#[no_mangle]
pub extern "C" fn mediaedge_client_new_with_manual_clock(
    config_json: *const c_char,
    start_unix_ms: i64,
    out: *mut *mut mediaedge_client,
) -> mediaedge_status {
    ffi_boundary!({ new_client(config_json, ClockChoice::Manual { start_unix_ms }, out) })
}

/// Ends the sessions still open (sessionEnd at their last playhead, as freeing them would),
/// flushes queued events for up to `native.shutdownTimeoutMs`, stops the client's threads and
/// frees it; returns within that deadline plus at most 50 ms even with the network dead (and
/// after any of your callbacks still running at that moment has returned). Events still queued
/// then are dropped, reported per session to the event callback (MEDIAEDGE_SESSION_UNSENT with
/// their `count`) and counted (`dropped_shutdown`); with `native.storageDir` they are kept in
/// the journal for the next client on the directory instead (still UNSENT, counted in
/// `kept_for_restart`). An event whose request is on the wire then may or may not have landed:
/// it is reported as MEDIAEDGE_SESSION_UNCONFIRMED and counted in `unconfirmed_shutdown` (and
/// journaled, sent again by the next client). No callback is called after this returns. With consent
/// "pending", held events cannot go out, so free does not wait for them. A request already on
/// the wire when the deadline passes is abandoned: its thread finishes on its own within
/// `native.requestTimeoutMs`, calling nothing. Session and tracker handles still held stay
/// valid (free them too): their getters work, calls that would send return
/// MEDIAEDGE_ERR_CLIENT_CLOSED. NULL is ignored. Must not be called from a callback.
#[no_mangle]
pub extern "C" fn mediaedge_client_free(client: *mut mediaedge_client) {
    ffi_boundary_void!({
        // SAFETY: NULL, or a client from `mediaedge_client_new*` freed only once.
        unsafe { mediaedge_client::free(client) }
    })
}

/// Sets (or, with `callback` NULL, removes) the session-event callback; see
/// `mediaedge_session_event_fn` for the threads that call it. The previous callback's
/// `user_data_free` runs once no call to it is in progress. `user_data_free` (may be NULL) runs
/// exactly once, also when this call fails.
#[no_mangle]
pub extern "C" fn mediaedge_client_set_event_callback(
    client: *const mediaedge_client,
    callback: mediaedge_session_event_fn,
    user_data: *mut c_void,
    user_data_free: mediaedge_release_fn,
) -> mediaedge_status {
    ffi_boundary!({
        let user_data = UserData::new(user_data, user_data_free);
        // SAFETY: NULL or a live client handle.
        let client = unsafe { borrow(client, "client") }?;
        client.client.set_listener(callback.map(|f| event_listener(f, user_data)))
    })
}

/// Sets (or, with `callback` NULL, removes) the log callback and its level
/// (`MEDIAEDGE_LOG_ERROR` … `MEDIAEDGE_LOG_DEBUG`). Without a callback, logs go to stderr when
/// the environment variable `MEDIAEDGE_LOG` names a level, and nowhere otherwise.
/// `user_data_free` (may be NULL) runs exactly once, also when this call fails.
#[no_mangle]
pub extern "C" fn mediaedge_client_set_log_callback(
    client: *const mediaedge_client,
    level: mediaedge_log_level,
    callback: mediaedge_log_fn,
    user_data: *mut c_void,
    user_data_free: mediaedge_release_fn,
) -> mediaedge_status {
    ffi_boundary!({
        let user_data = UserData::new(user_data, user_data_free);
        // SAFETY: NULL or a live client handle.
        let client = unsafe { borrow(client, "client") }?;
        let level = u8::try_from(level).ok().and_then(Level::from_u8).ok_or_else(|| {
            Error::new(ErrorKind::InvalidArgument, format!("level: expected 1 (error) to 4 (debug), got {level}"))
        })?;
        client.client.set_logger(level, callback.map(|f| log_sink(f, user_data)))
    })
}

/// Sends an event to the live automatic session of `player_id`, like the Web SDK's
/// `sendMediaEvent({playerId, xdm})`. Same rules and statuses as `mediaedge_session_send`.
#[no_mangle]
pub extern "C" fn mediaedge_client_send_event(
    client: *const mediaedge_client,
    player_id: *const c_char,
    xdm_json: *const c_char,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live client handle; NULL or NUL-terminated strings.
        let (client, player_id, xdm) = unsafe {
            (
                borrow(client, "client")?,
                str_in(player_id, "player_id", MAX_PLAYER_ID_BYTES)?,
                str_in(xdm_json, "xdm_json", MAX_XDM_BYTES)?,
            )
        };
        client.client.send_by_player(player_id, xdm)
    })
}

/// Waits up to `timeout_ms` until every queued event is delivered or given up; never longer,
/// whatever the network does. Returns MEDIAEDGE_ERR_TIMEOUT (the message says how many are
/// left; `mediaedge_client_get_stats` has the figures) if time ran out. Events held while
/// consent is "pending" are not sent, so a flush then waits out its timeout. On a manual clock,
/// retries wait for the clock, so flush does not wait them out: see
/// `mediaedge_client_wait_idle`. A downloaded session's events count once it has ended (while
/// it plays, nothing of it can be sent, so flush does not wait for it).
#[no_mangle]
pub extern "C" fn mediaedge_client_flush(client: *const mediaedge_client, timeout_ms: u32) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live client handle.
        let client = unsafe { borrow(client, "client") }?;
        client.client.flush(Duration::from_millis(u64::from(timeout_ms)))
    })
}

/// Waits up to `timeout_ms` until no request is in flight or about to be: every response that
/// arrived has been applied (and its callbacks have run), and what remains waits for a timer
/// (a retry; on a manual clock, for the clock). For virtual-time tests: advance the clock, wait
/// until idle, then look at what was sent. MEDIAEDGE_ERR_TIMEOUT if requests are still in flight.
#[no_mangle]
pub extern "C" fn mediaedge_client_wait_idle(client: *const mediaedge_client, timeout_ms: u32) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live client handle.
        let client = unsafe { borrow(client, "client") }?;
        client.client.wait_idle(Duration::from_millis(u64::from(timeout_ms)))
    })
}

/// Consent, as in the Web SDK's `defaultConsent` / `setConsent`. An integer rather than an
/// enum so that an out-of-range value from C is an error, not undefined behaviour.
pub type mediaedge_consent = u32;
/// Send events.
pub const MEDIAEDGE_CONSENT_IN: mediaedge_consent = 0;
/// Drop everything queued, close every session, refuse new ones.
pub const MEDIAEDGE_CONSENT_OUT: mediaedge_consent = 1;
/// Hold events (within the queue limits) without sending them.
pub const MEDIAEDGE_CONSENT_PENDING: mediaedge_consent = 2;

/// Sets consent. "in" sends what was held. "pending" holds every new request (one already on
/// the wire finishes). "out" drops everything queued (counted in `dropped_consent`), closes every
/// session (MEDIAEDGE_SESSION_FAILED events, on this thread, with the number dropped), and makes
/// new sessions and events return MEDIAEDGE_ERR_CONSENT_OUT until consent is "in" again;
/// sessions closed this way stay closed. The initial value is the configuration's
/// `defaultConsent` ("in" unless set).
#[no_mangle]
pub extern "C" fn mediaedge_client_set_consent(
    client: *const mediaedge_client,
    consent: mediaedge_consent,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live client handle.
        let client = unsafe { borrow(client, "client") }?;
        let consent = match consent {
            MEDIAEDGE_CONSENT_IN => Consent::In,
            MEDIAEDGE_CONSENT_OUT => Consent::Out,
            MEDIAEDGE_CONSENT_PENDING => Consent::Pending,
            other => {
                return Err(Error::new(ErrorKind::InvalidArgument, format!("consent: expected 0, 1 or 2, got {other}")))
            }
        };
        client.client.set_consent(consent);
        Ok(())
    })
}

/// Sets the Edge location hint later requests go to (Adobe's `Edge.setLocationHint`): 1 to 64
/// letters, digits, `-` and `_` (`"or2"`); NULL or "" clears it. The library also learns a hint
/// from each sessionStart response; the two replace each other and the last one given wins (a
/// response's hint names the region that now holds the session's state).
#[no_mangle]
pub extern "C" fn mediaedge_client_set_location_hint(
    client: *const mediaedge_client,
    hint: *const c_char,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live client handle.
        let client = unsafe { borrow(client, "client") }?;
        let hint = if hint.is_null() {
            None
        } else {
            // SAFETY: a non-NULL `hint` is a NUL-terminated string.
            Some(unsafe { str_in(hint, "hint", MAX_LOCATION_HINT_BYTES) }?)
        };
        client.client.set_location_hint(hint)
    })
}

/// Copies the location hint later requests go to (the caller's, or the backend's until its TTL
/// runs out) into `buf` (`len` bytes, NUL included); "" when there is none. `needed` (may be
/// NULL) receives the size needed.
#[no_mangle]
pub extern "C" fn mediaedge_client_location_hint(
    client: *const mediaedge_client,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live client handle.
        let client = unsafe { borrow(client, "client") }?;
        let hint = client.client.location_hint().unwrap_or_default();
        // SAFETY: the caller guarantees `buf` holds `len` bytes and `needed` is NULL or writable.
        unsafe { str_out(&hint, buf, len, needed) }
    })
}

/// Moves a manual clock forward by `ms`. Every timer that falls due is fired at its own time,
/// in order, before this returns: pings are made (calling the player-details callbacks) and
/// retries are sent. Between advances no timer fires. Returns MEDIAEDGE_ERR_WRONG_STATE on a
/// system-clock client or from a player-details callback called for a ping.
#[no_mangle]
pub extern "C" fn mediaedge_client_advance_clock(client: *const mediaedge_client, ms: u64) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live client handle.
        let client = unsafe { borrow(client, "client") }?;
        client.client.advance_clock(Duration::from_millis(ms))
    })
}

/// Writes to `*out` the number of events queued and not yet delivered or given up.
#[no_mangle]
pub extern "C" fn mediaedge_client_pending_events(
    client: *const mediaedge_client,
    out: *mut usize,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live client handle.
        let client = unsafe { borrow(client, "client") }?;
        require_out(out, "out")?;
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { write_out(out, client.client.pending_events()) };
        Ok(())
    })
}
