//! Counters of what the client queued, sent, retried and dropped, and why.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a client's counters. Events count everything queued, the library's own pings,
/// end-on-free and resume events included. Once nothing is queued,
/// `events_queued == events_sent + every dropped_* counter + unconfirmed_shutdown +
/// kept_for_restart`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events accepted into a session's queue.
    pub events_queued: u64,
    /// Events the Edge accepted (2xx).
    pub events_sent: u64,
    /// Attempts that failed in a retryable way and were scheduled again.
    pub events_retried: u64,
    /// Events waiting now, and their JSON bytes.
    pub events_pending: u64,
    pub bytes_pending: u64,
    /// The most ever waiting at once.
    pub peak_events_pending: u64,
    pub peak_bytes_pending: u64,
    /// Refused for good by the Edge (400, 500, other 4xx; an untrusted TLS certificate; an
    /// answer over the 1 MiB size limit).
    pub dropped_rejected: u64,
    /// Retried for longer than `native.maxRetryDurationMs`.
    pub dropped_retry_expired: u64,
    /// Pings dropped to stay within the queue limits (the oldest first).
    pub dropped_queue_full: u64,
    /// Queued for a session the backend refused (sessionStart rejected) or that a manual caller lost.
    pub dropped_session_failed: u64,
    /// Dropped when consent was set to "out".
    pub dropped_consent: u64,
    /// Still queued when the client was freed after its shutdown deadline, and not journaled.
    pub dropped_shutdown: u64,
    /// Calls refused with QUEUE_FULL (never queued, so not in `events_queued`).
    pub refused_queue_full: u64,
    /// Sessions started by the backend (resumed ones included), ones live now, refused or lost,
    /// and restarted with `hasResume` after the backend lost them.
    pub sessions_started: u64,
    pub sessions_active: u64,
    pub sessions_failed: u64,
    pub sessions_recovered: u64,
    /// HTTP requests that got a status, and how many of them opened a new connection (the rest
    /// reused a keep-alive connection).
    pub requests_answered: u64,
    pub requests_new_connection: u64,
    pub requests_reused_connection: u64,
    /// On the wire when the client was freed at its deadline: the outcome is unknown (each may
    /// or may not have landed), so neither sent nor dropped.
    pub unconfirmed_shutdown: u64,
    /// Events of an earlier client on the same `native.storageDir` that this one found in the
    /// journal and queued again (also in `events_queued`).
    pub events_replayed: u64,
    /// Still queued when the client was freed, and kept in the journal for the next client on
    /// the directory (not dropped).
    pub kept_for_restart: u64,
    /// Accepted but not written to the journal (full, or off after a write failure): sent from
    /// memory, so lost if the process dies first.
    pub events_not_journaled: u64,
    /// Bytes of a torn or damaged journal tail cut off when the client started.
    pub journal_bytes_discarded: u64,
    /// Downloaded sessions the `downloaded` endpoint accepted, and refused (a 207 naming them,
    /// a 400: their events are in `dropped_rejected`, the reason in their FAILED event).
    pub downloaded_sessions_sent: u64,
    pub downloaded_sessions_refused: u64,
}

/// Why queued events were dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    Rejected,
    RetryExpired,
    QueueFull,
    SessionFailed,
    Consent,
    Shutdown,
}

#[derive(Default)]
pub struct Counters {
    pub events_queued: AtomicU64,
    pub events_sent: AtomicU64,
    pub events_retried: AtomicU64,
    dropped: [AtomicU64; 6],
    pub refused_queue_full: AtomicU64,
    pub sessions_started: AtomicU64,
    pub sessions_failed: AtomicU64,
    pub sessions_recovered: AtomicU64,
    pub requests_answered: AtomicU64,
    pub unconfirmed_shutdown: AtomicU64,
    pub events_replayed: AtomicU64,
    pub kept_for_restart: AtomicU64,
    pub events_not_journaled: AtomicU64,
    pub journal_bytes_discarded: AtomicU64,
    pub downloaded_sessions_sent: AtomicU64,
    pub downloaded_sessions_refused: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn dropped(&self, reason: DropReason, n: u64) {
        Counters::add(&self.dropped[reason as usize], n);
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// The counters' part of a snapshot; the engine fills in the gauges.
    pub fn snapshot(&self) -> Stats {
        let dropped = |r: DropReason| Counters::get(&self.dropped[r as usize]);
        Stats {
            events_queued: Counters::get(&self.events_queued),
            events_sent: Counters::get(&self.events_sent),
            events_retried: Counters::get(&self.events_retried),
            dropped_rejected: dropped(DropReason::Rejected),
            dropped_retry_expired: dropped(DropReason::RetryExpired),
            dropped_queue_full: dropped(DropReason::QueueFull),
            dropped_session_failed: dropped(DropReason::SessionFailed),
            dropped_consent: dropped(DropReason::Consent),
            dropped_shutdown: dropped(DropReason::Shutdown),
            refused_queue_full: Counters::get(&self.refused_queue_full),
            sessions_started: Counters::get(&self.sessions_started),
            sessions_failed: Counters::get(&self.sessions_failed),
            sessions_recovered: Counters::get(&self.sessions_recovered),
            requests_answered: Counters::get(&self.requests_answered),
            unconfirmed_shutdown: Counters::get(&self.unconfirmed_shutdown),
            events_replayed: Counters::get(&self.events_replayed),
            kept_for_restart: Counters::get(&self.kept_for_restart),
            events_not_journaled: Counters::get(&self.events_not_journaled),
            journal_bytes_discarded: Counters::get(&self.journal_bytes_discarded),
            downloaded_sessions_sent: Counters::get(&self.downloaded_sessions_sent),
            downloaded_sessions_refused: Counters::get(&self.downloaded_sessions_refused),
            ..Stats::default()
        }
    }
}
