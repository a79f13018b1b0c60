//! `mediaedge_session`: one media session, automatic or manual.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use super::callbacks::{mediaedge_player_details_fn, mediaedge_release_fn, CPlayerDetails, UserData};
use super::client::mediaedge_client;
use super::handle::{borrow, Handle};
use super::status::mediaedge_status;
use super::strings::{str_in, str_out};
use super::{require_out, write_out};
use crate::client::{Client, Session};
use crate::error::{Error, ErrorKind};
use crate::limits::{MAX_PLAYER_ID_BYTES, MAX_XDM_BYTES};
use crate::session::Phase;

/// One media session. Thread-safe: sends from several threads are queued in the order their
/// calls take the session's lock. Keeps its client's engine alive, but not its threads.
pub struct mediaedge_session {
    session: Session,
}

/// Where a session is in its life.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mediaedge_session_phase {
    /// Waiting for the session ID.
    MEDIAEDGE_PHASE_STARTING = 1,
    MEDIAEDGE_PHASE_ACTIVE = 2,
    /// Ended by the caller; queued events are still going out.
    MEDIAEDGE_PHASE_ENDING = 3,
    MEDIAEDGE_PHASE_ENDED = 4,
    /// Refused or lost by the backend.
    MEDIAEDGE_PHASE_FAILED = 5,
}

impl Handle for mediaedge_session {}

fn hand_out(session: Session, out: *mut *mut mediaedge_session) -> Result<(), Error> {
    mediaedge_session { session }.hand_out(out)
}

/// Starts an automatic session for `player_id` (unique among the client's live sessions) and
/// queues its sessionStart from `start_xdm_json` (an xdm object; `eventType` may be left out,
/// `mediaCollection.sessionDetails` is required, `playerName`/`channel`/`appVersion` default to
/// the configuration; `hasResume` to false). The library calls `details` for the playhead and QoE
/// of every event and ping (a `mediaCollection.playhead` in the event itself wins over the
/// callback's), adds the session ID, and pings on schedule. Nothing waits on the network.
/// On success `*out` receives a session the caller owns (free with `mediaedge_session_free`).
/// `user_data_free` (may be NULL) runs exactly once when the library no longer needs
/// `user_data`, also when this call fails.
#[no_mangle]
pub extern "C" fn mediaedge_session_new_automatic(
    client: *const mediaedge_client,
    player_id: *const c_char,
    details: mediaedge_player_details_fn,
    user_data: *mut c_void,
    user_data_free: mediaedge_release_fn,
    start_xdm_json: *const c_char,
    out: *mut *mut mediaedge_session,
) -> mediaedge_status {
    ffi_boundary!({
        let user_data = UserData::new(user_data, user_data_free);
        require_out(out, "out")?;
        // SAFETY: NULL or a live client handle; NULL or NUL-terminated strings.
        let (client, player_id, start) = unsafe {
            (
                borrow(client, "client")?,
                str_in(player_id, "player_id", MAX_PLAYER_ID_BYTES)?,
                str_in(start_xdm_json, "start_xdm_json", MAX_XDM_BYTES)?,
            )
        };
        let callback = details.ok_or_else(|| Error::new(ErrorKind::InvalidArgument, "details: must not be NULL"))?;
        let source = Arc::new(CPlayerDetails::new(callback, user_data));
        hand_out(client.client.start_automatic(player_id, source, start)?, out)
    })
}

/// Starts a manual session and queues its sessionStart (which must carry
/// `mediaCollection.playhead`). The caller reads the session ID with `mediaedge_session_id`,
/// `mediaedge_session_wait_id` or the event callback, and puts `playhead` and `sessionID` in
/// every later event. The library never pings for it.
/// On success `*out` receives a session the caller owns (free with `mediaedge_session_free`).
#[no_mangle]
pub extern "C" fn mediaedge_session_new_manual(
    client: *const mediaedge_client,
    start_xdm_json: *const c_char,
    out: *mut *mut mediaedge_session,
) -> mediaedge_status {
    ffi_boundary!({ start_with(client, start_xdm_json, out, Client::start_manual) })
}

/// Starts a downloaded session (offline playback) and records its sessionStart (which must
/// carry `mediaCollection.playhead`). Every later event carries its own `playhead` (and may
/// carry the `timestamp` it happened at; the library stamps the time of the call otherwise)
/// and no `sessionID`: Adobe assigns one when the session is sent. Nothing is sent while it
/// plays. Once its sessionEnd or sessionComplete is sent (or the handle freed, which ends it at
/// the last playhead), the whole session goes to the `downloaded` endpoint in one request with
/// other finished ones, retried until the Edge answers, across restarts with
/// `native.storageDir`. MEDIAEDGE_SESSION_ENDED reports it accepted; MEDIAEDGE_SESSION_FAILED
/// refused, with Adobe's reason. `mediaedge_session_id` returns MEDIAEDGE_ERR_WRONG_STATE.
/// On success `*out` receives a session the caller owns (free with `mediaedge_session_free`).
#[no_mangle]
pub extern "C" fn mediaedge_session_new_downloaded(
    client: *const mediaedge_client,
    start_xdm_json: *const c_char,
    out: *mut *mut mediaedge_session,
) -> mediaedge_status {
    ffi_boundary!({ start_with(client, start_xdm_json, out, Client::start_downloaded) })
}

/// A session that needs nothing but its sessionStart (manual, downloaded), made by `start`.
fn start_with(
    client: *const mediaedge_client,
    start_xdm_json: *const c_char,
    out: *mut *mut mediaedge_session,
    start: fn(&Client, &str) -> crate::error::Result<Session>,
) -> Result<(), Error> {
    require_out(out, "out")?;
    // SAFETY: NULL or a live client handle; NULL or a NUL-terminated string.
    let (client, start_xdm) =
        unsafe { (borrow(client, "client")?, str_in(start_xdm_json, "start_xdm_json", MAX_XDM_BYTES)?) };
    hand_out(start(&client.client, start_xdm)?, out)
}

/// Validates an xdm event (`{"eventType":"media.play","mediaCollection":{…}}`), stamps its time
/// and an `_id` (a UUID, the same on every retry of the event; one you set is kept) and queues
/// it; never waits on the network. A rejected event returns
/// MEDIAEDGE_ERR_INVALID_EVENT with the field named in the message, and nothing is sent.
/// After sessionEnd/sessionComplete: MEDIAEDGE_ERR_SESSION_ENDED; after the backend refused
/// the session: MEDIAEDGE_ERR_SESSION_FAILED; a manual send before the ID is known:
/// MEDIAEDGE_ERR_NOT_READY.
#[no_mangle]
pub extern "C" fn mediaedge_session_send(
    session: *const mediaedge_session,
    xdm_json: *const c_char,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live session handle; NULL or a NUL-terminated string.
        let (session, xdm) = unsafe { (borrow(session, "session")?, str_in(xdm_json, "xdm_json", MAX_XDM_BYTES)?) };
        session.session.send(xdm)
    })
}

/// Copies the backend session ID into `buf` (`len` bytes, NUL included) without waiting.
/// `needed` (may be NULL) receives the size needed. MEDIAEDGE_ERR_NOT_READY while unknown,
/// MEDIAEDGE_ERR_SESSION_FAILED if refused.
#[no_mangle]
pub extern "C" fn mediaedge_session_id(
    session: *const mediaedge_session,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live session handle.
        let session = unsafe { borrow(session, "session") }?;
        let id = session.session.session_id()?;
        // SAFETY: the caller guarantees `buf` holds `len` bytes and `needed` is NULL or writable.
        unsafe { str_out(&id, buf, len, needed) }
    })
}

/// Like `mediaedge_session_id`, but waits up to `timeout_ms` for the ID
/// (MEDIAEDGE_ERR_TIMEOUT if it does not come). Blocks the calling thread: not for a player's
/// UI or render thread.
#[no_mangle]
pub extern "C" fn mediaedge_session_wait_id(
    session: *const mediaedge_session,
    timeout_ms: u32,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live session handle.
        let session = unsafe { borrow(session, "session") }?;
        let id = session.session.wait_session_id(Duration::from_millis(u64::from(timeout_ms)))?;
        // SAFETY: the caller guarantees `buf` holds `len` bytes and `needed` is NULL or writable.
        unsafe { str_out(&id, buf, len, needed) }
    })
}

/// Writes the session's phase to `*out`.
#[no_mangle]
pub extern "C" fn mediaedge_session_get_phase(
    session: *const mediaedge_session,
    out: *mut mediaedge_session_phase,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live session handle.
        let session = unsafe { borrow(session, "session") }?;
        require_out(out, "out")?;
        let phase = match session.session.phase() {
            Phase::Starting => mediaedge_session_phase::MEDIAEDGE_PHASE_STARTING,
            Phase::Active => mediaedge_session_phase::MEDIAEDGE_PHASE_ACTIVE,
            Phase::Ending => mediaedge_session_phase::MEDIAEDGE_PHASE_ENDING,
            Phase::Ended => mediaedge_session_phase::MEDIAEDGE_PHASE_ENDED,
            Phase::Failed => mediaedge_session_phase::MEDIAEDGE_PHASE_FAILED,
        };
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { write_out(out, phase) };
        Ok(())
    })
}

/// Writes to `*out` the session's number, the `session_key` of its session events.
#[no_mangle]
pub extern "C" fn mediaedge_session_key(session: *const mediaedge_session, out: *mut u64) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live session handle.
        let session = unsafe { borrow(session, "session") }?;
        require_out(out, "out")?;
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { write_out(out, session.session.key()) };
        Ok(())
    })
}

/// Frees the handle. A session that has not ended is ended first: the library queues
/// sessionEnd at the last playhead it saw, and delivers it in the background. The player
/// callback's `user_data_free` runs once no call to it is in progress. NULL is ignored.
/// Safe to call from inside this session's own player-details callback.
#[no_mangle]
pub extern "C" fn mediaedge_session_free(session: *mut mediaedge_session) {
    ffi_boundary_void!({
        // SAFETY: NULL, or a session from `mediaedge_session_new_*` freed only once.
        unsafe { mediaedge_session::free(session) }
    })
}
