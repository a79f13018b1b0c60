//! `mediaedge_stats`: the client's counters for C callers.

use super::client::mediaedge_client;
use super::handle::borrow;
use super::status::mediaedge_status;
use super::{require_out, write_out};
use crate::stats::Stats;

/// A client's counters (see `mediaedge_client_get_stats`). Events count everything queued,
/// the library's own pings, end-on-free and resume events included. Once nothing is queued,
/// `events_queued == events_sent + every dropped_* field + unconfirmed_shutdown +
/// kept_for_restart`. The struct is
/// filled by the library, so it grows only at the end, and only in a release whose SONAME
/// changes (README, ABI policy).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mediaedge_stats {
    /// Events accepted into a session's queue.
    pub events_queued: u64,
    /// Events the Edge accepted (2xx).
    pub events_sent: u64,
    /// Failed attempts that were scheduled again.
    pub events_retried: u64,
    /// Events waiting now, and their JSON bytes (what `native.maxQueuedEvents` and
    /// `native.maxQueuedBytes` limit).
    pub events_pending: u64,
    pub bytes_pending: u64,
    /// The most ever waiting at once.
    pub peak_events_pending: u64,
    pub peak_bytes_pending: u64,
    /// Refused for good by the Edge (400, 500, other 4xx), by TLS (untrusted certificate), or
    /// answered with a body over the 1 MiB size limit.
    pub dropped_rejected: u64,
    /// Retried for longer than `native.maxRetryDurationMs`.
    pub dropped_retry_expired: u64,
    /// Pings dropped, oldest first, to stay within the queue limits.
    pub dropped_queue_full: u64,
    /// Queued for a session the backend refused, or a manual session it lost.
    pub dropped_session_failed: u64,
    /// Dropped when consent was set to "out".
    pub dropped_consent: u64,
    /// Left undelivered when the client was freed after its deadline (and not kept in the
    /// journal: see `kept_for_restart`).
    pub dropped_shutdown: u64,
    /// Calls that returned MEDIAEDGE_ERR_QUEUE_FULL (never queued).
    pub refused_queue_full: u64,
    /// Backend sessions started (resumes included), live now, refused or lost, resumed.
    pub sessions_started: u64,
    pub sessions_active: u64,
    pub sessions_failed: u64,
    pub sessions_recovered: u64,
    /// HTTP requests that got a status; of those, ones that opened a new connection and ones
    /// that reused a keep-alive connection.
    pub requests_answered: u64,
    pub requests_new_connection: u64,
    pub requests_reused_connection: u64,
    /// On the wire when the client was freed at its deadline, outcome unknown (each may or may
    /// not have landed): neither sent nor dropped (MEDIAEDGE_SESSION_UNCONFIRMED).
    pub unconfirmed_shutdown: u64,
    /// Events an earlier client on the same `native.storageDir` left in the journal, queued
    /// again by this one (also in `events_queued`).
    pub events_replayed: u64,
    /// Still queued when the client was freed and kept in the journal for the next client on
    /// the directory (not dropped).
    pub kept_for_restart: u64,
    /// Accepted but not written to the journal (it was full, or off after a write failure):
    /// sent from memory, so lost if the process dies first.
    pub events_not_journaled: u64,
    /// Bytes of a torn or damaged journal tail cut off when the client was created.
    pub journal_bytes_discarded: u64,
    /// Downloaded sessions the `downloaded` endpoint accepted, and refused (a 207 naming them or
    /// a 400: their events count in `dropped_rejected`; the reason is in the session's
    /// MEDIAEDGE_SESSION_FAILED event).
    pub downloaded_sessions_sent: u64,
    pub downloaded_sessions_refused: u64,
}

impl From<Stats> for mediaedge_stats {
    fn from(s: Stats) -> Self {
        mediaedge_stats {
            events_queued: s.events_queued,
            events_sent: s.events_sent,
            events_retried: s.events_retried,
            events_pending: s.events_pending,
            bytes_pending: s.bytes_pending,
            peak_events_pending: s.peak_events_pending,
            peak_bytes_pending: s.peak_bytes_pending,
            dropped_rejected: s.dropped_rejected,
            dropped_retry_expired: s.dropped_retry_expired,
            dropped_queue_full: s.dropped_queue_full,
            dropped_session_failed: s.dropped_session_failed,
            dropped_consent: s.dropped_consent,
            dropped_shutdown: s.dropped_shutdown,
            refused_queue_full: s.refused_queue_full,
            sessions_started: s.sessions_started,
            sessions_active: s.sessions_active,
            sessions_failed: s.sessions_failed,
            sessions_recovered: s.sessions_recovered,
            requests_answered: s.requests_answered,
            requests_new_connection: s.requests_new_connection,
            requests_reused_connection: s.requests_reused_connection,
            unconfirmed_shutdown: s.unconfirmed_shutdown,
            events_replayed: s.events_replayed,
            kept_for_restart: s.kept_for_restart,
            events_not_journaled: s.events_not_journaled,
            journal_bytes_discarded: s.journal_bytes_discarded,
            downloaded_sessions_sent: s.downloaded_sessions_sent,
            downloaded_sessions_refused: s.downloaded_sessions_refused,
        }
    }
}

/// Fills `*out` with a snapshot of the client's counters. Cheap enough to poll.
#[no_mangle]
pub extern "C" fn mediaedge_client_get_stats(
    client: *const mediaedge_client,
    out: *mut mediaedge_stats,
) -> mediaedge_status {
    ffi_boundary!({
        // SAFETY: NULL or a live client handle.
        let client = unsafe { borrow(client, "client") }?;
        require_out(out, "out")?;
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { write_out(out, mediaedge_stats::from(client.client.stats())) };
        Ok(())
    })
}
