//! The tracker's objects for C: media, ad break, ad, chapter, QoE, player state and metadata.
//! Each is checked when it is made (a bad value returns MEDIAEDGE_ERR_INVALID_ARGUMENT naming
//! it), owned by the caller, and copied by the tracker call that uses it, so it may be freed
//! right after.

use std::ffi::c_char;

use super::handle::{borrow_mut, Handle};
use super::status::mediaedge_status;
use super::strings::str_in;
use crate::error::{Error, ErrorKind};
use crate::limits::{MAX_METADATA_KEY_BYTES, MAX_METADATA_VALUE_BYTES, MAX_NAME_BYTES};
use crate::tracker::{AdBreakInfo, AdInfo, ChapterInfo, MediaInfo, MediaType, Metadata, QoeInfo, StateInfo};

/// The media of a tracker session (Adobe's media object).
pub struct mediaedge_media {
    pub(crate) inner: MediaInfo,
}

impl Handle for mediaedge_media {}

/// Frees the object. NULL is ignored.
#[no_mangle]
pub extern "C" fn mediaedge_media_free(object: *mut mediaedge_media) {
    // SAFETY: NULL, or an object from its `_new` freed only once.
    ffi_boundary_void!({ unsafe { Handle::free(object) } })
}

/// An ad break (a pod of ads).
pub struct mediaedge_ad_break {
    pub(crate) inner: AdBreakInfo,
}

impl Handle for mediaedge_ad_break {}

/// Frees the object. NULL is ignored.
#[no_mangle]
pub extern "C" fn mediaedge_ad_break_free(object: *mut mediaedge_ad_break) {
    // SAFETY: NULL, or an object from its `_new` freed only once.
    ffi_boundary_void!({ unsafe { Handle::free(object) } })
}

/// One ad.
pub struct mediaedge_ad {
    pub(crate) inner: AdInfo,
}

impl Handle for mediaedge_ad {}

/// Frees the object. NULL is ignored.
#[no_mangle]
pub extern "C" fn mediaedge_ad_free(object: *mut mediaedge_ad) {
    // SAFETY: NULL, or an object from its `_new` freed only once.
    ffi_boundary_void!({ unsafe { Handle::free(object) } })
}

/// A chapter (segment) of the main content.
pub struct mediaedge_chapter {
    pub(crate) inner: ChapterInfo,
}

impl Handle for mediaedge_chapter {}

/// Frees the object. NULL is ignored.
#[no_mangle]
pub extern "C" fn mediaedge_chapter_free(object: *mut mediaedge_chapter) {
    // SAFETY: NULL, or an object from its `_new` freed only once.
    ffi_boundary_void!({ unsafe { Handle::free(object) } })
}

/// Quality-of-experience figures.
pub struct mediaedge_qoe {
    pub(crate) inner: QoeInfo,
}

impl Handle for mediaedge_qoe {}

/// Frees the object. NULL is ignored.
#[no_mangle]
pub extern "C" fn mediaedge_qoe_free(object: *mut mediaedge_qoe) {
    // SAFETY: NULL, or an object from its `_new` freed only once.
    ffi_boundary_void!({ unsafe { Handle::free(object) } })
}

/// A player state (`MEDIAEDGE_PLAYER_STATE_*` or your own name).
pub struct mediaedge_state {
    pub(crate) inner: StateInfo,
}

impl Handle for mediaedge_state {}

/// Frees the object. NULL is ignored.
#[no_mangle]
pub extern "C" fn mediaedge_state_free(object: *mut mediaedge_state) {
    // SAFETY: NULL, or an object from its `_new` freed only once.
    ffi_boundary_void!({ unsafe { Handle::free(object) } })
}

/// Key/value metadata: standard keys (`MEDIAEDGE_METADATA_*`, `MEDIAEDGE_AD_METADATA_*`) fill
/// their XDM fields, other keys go to `customMetadata`.
pub struct mediaedge_metadata {
    pub(crate) inner: Metadata,
}

impl Handle for mediaedge_metadata {}

/// Frees the object. NULL is ignored.
#[no_mangle]
pub extern "C" fn mediaedge_metadata_free(object: *mut mediaedge_metadata) {
    // SAFETY: NULL, or an object from its `_new` freed only once.
    ffi_boundary_void!({ unsafe { Handle::free(object) } })
}

/// `media_type` of `mediaedge_media_new`. An integer so that a bad value is an error.
pub type mediaedge_media_type = u32;
pub const MEDIAEDGE_MEDIA_TYPE_VIDEO: mediaedge_media_type = 0;
pub const MEDIAEDGE_MEDIA_TYPE_AUDIO: mediaedge_media_type = 1;

/// Makes a media object: `id` (sessionDetails.name), `name` (friendlyName), `length` in seconds,
/// `stream_type` (a `MEDIAEDGE_STREAM_TYPE_*` content type), video or audio. Not resumed; a
/// preroll waiting time of 250 ms.
#[no_mangle]
pub extern "C" fn mediaedge_media_new(
    id: *const c_char,
    name: *const c_char,
    length: f64,
    stream_type: *const c_char,
    media_type: mediaedge_media_type,
    out: *mut *mut mediaedge_media,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or NUL-terminated strings.
        let (id, name, stream_type) = unsafe {
            (
                str_in(id, "id", MAX_NAME_BYTES)?,
                str_in(name, "name", MAX_NAME_BYTES)?,
                str_in(stream_type, "stream_type", MAX_NAME_BYTES)?,
            )
        };
        let media_type = match media_type {
            MEDIAEDGE_MEDIA_TYPE_VIDEO => MediaType::Video,
            MEDIAEDGE_MEDIA_TYPE_AUDIO => MediaType::Audio,
            other => {
                return Err(Error::new(ErrorKind::InvalidArgument, format!("media_type: expected 0 or 1, got {other}")))
            }
        };
        let inner = MediaInfo::new(id, name, length, stream_type, media_type)?;
        Handle::hand_out(mediaedge_media { inner }, out)
    })
}

/// Marks the media as resumed (`sessionDetails.hasResume`): the viewer carries on an earlier view.
#[no_mangle]
pub extern "C" fn mediaedge_media_set_resumed(media: *mut mediaedge_media, resumed: bool) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live media object not used by another thread during this call.
        let media = unsafe { borrow_mut(media, "media") }?;
        media.inner.resumed = resumed;
        Ok(())
    })
}

/// How long after session start calls are held to see whether a preroll ad break comes
/// (default 250 ms; 0 turns the wait off).
#[no_mangle]
pub extern "C" fn mediaedge_media_set_preroll_waiting_time(media: *mut mediaedge_media, ms: u64) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live media object not used by another thread during this call.
        let media = unsafe { borrow_mut(media, "media") }?;
        media.inner.preroll_waiting_ms = ms;
        Ok(())
    })
}

/// Makes an ad break: `name`, `position` (1 for the first), `start_time` in seconds of content.
#[no_mangle]
pub extern "C" fn mediaedge_ad_break_new(
    name: *const c_char,
    position: i64,
    start_time: f64,
    out: *mut *mut mediaedge_ad_break,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a NUL-terminated string.
        let name = unsafe { str_in(name, "name", MAX_NAME_BYTES) }?;
        Handle::hand_out(mediaedge_ad_break { inner: AdBreakInfo::new(name, position, start_time)? }, out)
    })
}

/// Makes an ad: `id`, `name`, `position` in its ad break (1 for the first), `length` in seconds.
#[no_mangle]
pub extern "C" fn mediaedge_ad_new(
    id: *const c_char,
    name: *const c_char,
    position: i64,
    length: f64,
    out: *mut *mut mediaedge_ad,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or NUL-terminated strings.
        let (id, name) = unsafe { (str_in(id, "id", MAX_NAME_BYTES)?, str_in(name, "name", MAX_NAME_BYTES)?) };
        Handle::hand_out(mediaedge_ad { inner: AdInfo::new(id, name, position, length)? }, out)
    })
}

/// Makes a chapter: `name`, `position` (1 for the first), `start_time` and `length` in seconds.
#[no_mangle]
pub extern "C" fn mediaedge_chapter_new(
    name: *const c_char,
    position: i64,
    start_time: f64,
    length: f64,
    out: *mut *mut mediaedge_chapter,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a NUL-terminated string.
        let name = unsafe { str_in(name, "name", MAX_NAME_BYTES) }?;
        Handle::hand_out(mediaedge_chapter { inner: ChapterInfo::new(name, position, start_time, length)? }, out)
    })
}

/// Makes QoE figures: bitrate (bits/s), startup time (ms), frames per second, dropped frames.
#[no_mangle]
pub extern "C" fn mediaedge_qoe_new(
    bitrate: f64,
    startup_time: f64,
    fps: f64,
    dropped_frames: f64,
    out: *mut *mut mediaedge_qoe,
) -> mediaedge_status {
    ffi_boundary!({
        Handle::hand_out(mediaedge_qoe { inner: QoeInfo::new(bitrate, startup_time, fps, dropped_frames)? }, out)
    })
}

/// Makes a player state; `name` is 1 to 64 letters, digits, `_` or `.`.
#[no_mangle]
pub extern "C" fn mediaedge_state_new(name: *const c_char, out: *mut *mut mediaedge_state) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a NUL-terminated string.
        let name = unsafe { str_in(name, "name", MAX_NAME_BYTES) }?;
        Handle::hand_out(mediaedge_state { inner: StateInfo::new(name)? }, out)
    })
}

/// Makes an empty metadata set.
#[no_mangle]
pub extern "C" fn mediaedge_metadata_new(out: *mut *mut mediaedge_metadata) -> mediaedge_status {
    ffi_boundary!({ Handle::hand_out(mediaedge_metadata { inner: Metadata::new() }, out) })
}

/// Sets `key` to `value` (replacing an earlier value). Keys are letters, digits, `_` and `.`;
/// keys and values at most 1024 bytes; at most 100 entries.
#[no_mangle]
pub extern "C" fn mediaedge_metadata_set(
    metadata: *mut mediaedge_metadata,
    key: *const c_char,
    value: *const c_char,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live metadata object not used by another thread during this call;
        // NULL or NUL-terminated strings.
        let (metadata, key, value) = unsafe {
            (
                borrow_mut(metadata, "metadata")?,
                str_in(key, "key", MAX_METADATA_KEY_BYTES)?,
                str_in(value, "value", MAX_METADATA_VALUE_BYTES)?,
            )
        };
        metadata.inner.set(key, value)
    })
}
