//! `mediaedge_tracker`: Adobe's media tracker API over C (the Web SDK's
//! `getMediaAnalyticsTracker`, the mobile SDKs' `Media.createTracker`).

use std::ffi::c_char;

use super::client::mediaedge_client;
use super::handle::{borrow, borrow_optional, Handle};
use super::media_objects::{
    mediaedge_ad, mediaedge_ad_break, mediaedge_chapter, mediaedge_media, mediaedge_metadata, mediaedge_qoe,
    mediaedge_state,
};
use super::require_out;
use super::status::mediaedge_status;
use super::strings::{str_in, str_out};
use crate::error::{Error, ErrorKind};
use crate::limits::{MAX_CONFIG_BYTES, MAX_NAME_BYTES};
use crate::tracker::{Call, Metadata, Tracker};

/// A media tracker. Thread-safe: calls from several threads are applied in the order they take
/// the tracker's lock. Every call is checked against the playback state: one the rules do not
/// allow returns MEDIAEDGE_ERR_RULE_VIOLATION, whose message says what to call first, sends
/// nothing, and is also reported to the event callback (MEDIAEDGE_SESSION_CALL_REJECTED).
pub struct mediaedge_tracker {
    tracker: Tracker,
}

impl Handle for mediaedge_tracker {}

/// Events of `mediaedge_tracker_track_event` that carry no object.
pub type mediaedge_tracker_event = u32;
pub const MEDIAEDGE_EVENT_AD_BREAK_COMPLETE: mediaedge_tracker_event = 1;
pub const MEDIAEDGE_EVENT_AD_COMPLETE: mediaedge_tracker_event = 2;
pub const MEDIAEDGE_EVENT_AD_SKIP: mediaedge_tracker_event = 3;
pub const MEDIAEDGE_EVENT_CHAPTER_COMPLETE: mediaedge_tracker_event = 4;
pub const MEDIAEDGE_EVENT_CHAPTER_SKIP: mediaedge_tracker_event = 5;
pub const MEDIAEDGE_EVENT_SEEK_START: mediaedge_tracker_event = 6;
pub const MEDIAEDGE_EVENT_SEEK_COMPLETE: mediaedge_tracker_event = 7;
pub const MEDIAEDGE_EVENT_BUFFER_START: mediaedge_tracker_event = 8;
pub const MEDIAEDGE_EVENT_BUFFER_COMPLETE: mediaedge_tracker_event = 9;
/// Sends bitrateChange with the QoE of the last `mediaedge_tracker_update_qoe`.
pub const MEDIAEDGE_EVENT_BITRATE_CHANGE: mediaedge_tracker_event = 10;

/// Creates a tracker. `config_json` (may be NULL) may set `channel`, `mainPingInterval` (10–50 s)
/// and `adPingInterval` (1–10 s) for this tracker. The tracker pings, detects content start,
/// ends sessions idle for 30 minutes and resumes them, and restarts them after 24 h, on the
/// client's scheduler thread. On success `*out` receives a tracker the caller owns.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_new(
    client: *const mediaedge_client,
    config_json: *const c_char,
    out: *mut *mut mediaedge_tracker,
) -> mediaedge_status {
    ffi_boundary!({
        require_out(out, "out")?;
        // SAFETY: NULL or a live client handle; NULL or a NUL-terminated string.
        let client = unsafe { borrow(client, "client") }?;
        let config = if config_json.is_null() {
            None
        } else {
            // SAFETY: non-NULL, so a NUL-terminated string per the contract.
            Some(unsafe { str_in(config_json, "config_json", MAX_CONFIG_BYTES) }?)
        };
        let tracker = client.client.create_tracker(config)?;
        mediaedge_tracker { tracker }.hand_out(out)
    })
}

fn track(tracker: *const mediaedge_tracker, call: impl FnOnce() -> Result<Call, Error>) -> Result<(), Error> {
    // SAFETY: NULL or a live tracker handle.
    let tracker = unsafe { borrow(tracker, "tracker") }?;
    tracker.tracker.track(call()?)
}

/// Starts a session for `media` with `metadata` (may be NULL). Both are copied.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_session_start(
    tracker: *const mediaedge_tracker,
    media: *const mediaedge_media,
    metadata: *const mediaedge_metadata,
) -> mediaedge_status {
    ffi_boundary!({
        track(tracker, || {
            // SAFETY: NULL or live objects made by this library.
            let (media, metadata) = unsafe { (borrow(media, "media")?, borrow_optional(metadata)) };
            Ok(Call::SessionStart(media.inner.clone(), metadata.map(|m| m.inner.clone()).unwrap_or_default()))
        })
    })
}

/// The player plays (after a pause, buffering or seek too).
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_play(tracker: *const mediaedge_tracker) -> mediaedge_status {
    ffi_boundary!({ track(tracker, || Ok(Call::Play)) })
}

/// The player pauses.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_pause(tracker: *const mediaedge_tracker) -> mediaedge_status {
    ffi_boundary!({ track(tracker, || Ok(Call::Pause)) })
}

/// The media played to its end: closes a running ad, ad break and chapter, sends
/// sessionComplete and ends the session.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_complete(tracker: *const mediaedge_tracker) -> mediaedge_status {
    ffi_boundary!({ track(tracker, || Ok(Call::Complete)) })
}

/// The viewer stopped before the end: closes what runs, sends sessionEnd and ends the session.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_session_end(tracker: *const mediaedge_tracker) -> mediaedge_status {
    ffi_boundary!({ track(tracker, || Ok(Call::SessionEnd)) })
}

/// A player error, with the player's id for it (errorDetails.name; source "player").
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_error(
    tracker: *const mediaedge_tracker,
    error_id: *const c_char,
) -> mediaedge_status {
    ffi_boundary!({
        track(tracker, || {
            // SAFETY: NULL or a NUL-terminated string.
            Ok(Call::Error(unsafe { str_in(error_id, "error_id", MAX_NAME_BYTES) }?.to_string()))
        })
    })
}

/// One of the `MEDIAEDGE_EVENT_*` events that carry no object.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_event(
    tracker: *const mediaedge_tracker,
    event: mediaedge_tracker_event,
) -> mediaedge_status {
    ffi_boundary!({
        track(tracker, || {
            Ok(match event {
                MEDIAEDGE_EVENT_AD_BREAK_COMPLETE => Call::AdBreakComplete,
                MEDIAEDGE_EVENT_AD_COMPLETE => Call::AdComplete,
                MEDIAEDGE_EVENT_AD_SKIP => Call::AdSkip,
                MEDIAEDGE_EVENT_CHAPTER_COMPLETE => Call::ChapterComplete,
                MEDIAEDGE_EVENT_CHAPTER_SKIP => Call::ChapterSkip,
                MEDIAEDGE_EVENT_SEEK_START => Call::SeekStart,
                MEDIAEDGE_EVENT_SEEK_COMPLETE => Call::SeekComplete,
                MEDIAEDGE_EVENT_BUFFER_START => Call::BufferStart,
                MEDIAEDGE_EVENT_BUFFER_COMPLETE => Call::BufferComplete,
                MEDIAEDGE_EVENT_BITRATE_CHANGE => Call::BitrateChange,
                other => {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!("event: expected a MEDIAEDGE_EVENT_* value, got {other}"),
                    ))
                }
            })
        })
    })
}

/// An ad break starts (a running ad is skipped and a running ad break completed first).
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_ad_break_start(
    tracker: *const mediaedge_tracker,
    ad_break: *const mediaedge_ad_break,
) -> mediaedge_status {
    ffi_boundary!({
        track(tracker, || {
            // SAFETY: NULL or a live object made by this library.
            Ok(Call::AdBreakStart(unsafe { borrow(ad_break, "ad_break") }?.inner.clone()))
        })
    })
}

/// An ad starts, inside an ad break (a running ad is skipped first); `metadata` may be NULL.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_ad_start(
    tracker: *const mediaedge_tracker,
    ad: *const mediaedge_ad,
    metadata: *const mediaedge_metadata,
) -> mediaedge_status {
    ffi_boundary!({
        track(tracker, || {
            // SAFETY: NULL or live objects made by this library.
            let (ad, metadata) = unsafe { (borrow(ad, "ad")?, borrow_optional(metadata)) };
            Ok(Call::AdStart(ad.inner.clone(), metadata.map(|m| m.inner.clone()).unwrap_or_else(Metadata::new)))
        })
    })
}

/// A chapter starts (a running chapter is skipped first); `metadata` may be NULL.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_chapter_start(
    tracker: *const mediaedge_tracker,
    chapter: *const mediaedge_chapter,
    metadata: *const mediaedge_metadata,
) -> mediaedge_status {
    ffi_boundary!({
        track(tracker, || {
            // SAFETY: NULL or live objects made by this library.
            let (chapter, metadata) = unsafe { (borrow(chapter, "chapter")?, borrow_optional(metadata)) };
            Ok(Call::ChapterStart(
                chapter.inner.clone(),
                metadata.map(|m| m.inner.clone()).unwrap_or_else(Metadata::new),
            ))
        })
    })
}

/// A player state starts (at most 10 distinct states per session).
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_state_start(
    tracker: *const mediaedge_tracker,
    state: *const mediaedge_state,
) -> mediaedge_status {
    ffi_boundary!({
        track(tracker, || {
            // SAFETY: NULL or a live object made by this library.
            Ok(Call::StateStart(unsafe { borrow(state, "state") }?.inner.clone()))
        })
    })
}

/// A player state ends.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_track_state_end(
    tracker: *const mediaedge_tracker,
    state: *const mediaedge_state,
) -> mediaedge_status {
    ffi_boundary!({
        track(tracker, || {
            // SAFETY: NULL or a live object made by this library.
            Ok(Call::StateEnd(unsafe { borrow(state, "state") }?.inner.clone()))
        })
    })
}

/// The current playhead in seconds. Call it about once a second while playing: events and
/// pings carry the last value given.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_update_playhead(
    tracker: *const mediaedge_tracker,
    seconds: f64,
) -> mediaedge_status {
    ffi_boundary!({ track(tracker, || Ok(Call::Playhead(seconds))) })
}

/// New QoE figures: attached to the next event, and sent with a bitrate change.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_update_qoe(
    tracker: *const mediaedge_tracker,
    qoe: *const mediaedge_qoe,
) -> mediaedge_status {
    ffi_boundary!({
        track(tracker, || {
            // SAFETY: NULL or a live object made by this library.
            Ok(Call::Qoe(unsafe { borrow(qoe, "qoe") }?.inner))
        })
    })
}

/// Writes the backend session ID of the tracker's open session into `buf` (see the README's
/// string conventions). MEDIAEDGE_ERR_NOT_READY while no session is open or its ID is not
/// known yet.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_session_id(
    tracker: *const mediaedge_tracker,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live tracker handle.
        let tracker = unsafe { borrow(tracker, "tracker") }?;
        let id = tracker
            .tracker
            .session_id()
            .ok_or_else(|| Error::new(ErrorKind::NotReady, "no session is open, or its ID is not known yet"))?;
        // SAFETY: the caller guarantees `buf` holds `len` bytes and `needed` is NULL or writable.
        unsafe { str_out(&id, buf, len, needed) }
    })
}

/// Frees the tracker; an open session is ended first (sessionEnd). NULL is ignored.
#[no_mangle]
pub extern "C" fn mediaedge_tracker_free(tracker: *mut mediaedge_tracker) {
    ffi_boundary_void!({
        // SAFETY: NULL, or a tracker from `mediaedge_tracker_new` freed only once.
        unsafe { mediaedge_tracker::free(tracker) }
    })
}
