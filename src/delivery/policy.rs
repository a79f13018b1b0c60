//! The retry policy, as data: which outcomes are retried, with what backoff, and which are final.
//!
//! What each verdict does (engine): `Retry` keeps the event at the head of its session's queue and
//! sends it again after the backoff, until `native.maxRetryDurationMs` has passed since the first
//! failure (then it is dropped and reported as EVENT_DROPPED). `Reject` drops that one event and
//! reports EVENT_REJECTED; on sessionStart it fails the session. `SessionGone` restarts an
//! automatic session with `hasResume` (RESUMED) and reports a manual one as LOST.

use std::time::Duration;

use super::transport::{FailureKind, HttpReply, TransportError};

/// What to do with one request's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Delivered.
    Success,
    /// Try again later; `Retry-After` is honoured when numeric.
    Retry,
    /// The server refused this event for good (bad request, server error): drop it and report.
    Reject,
    /// The backend no longer knows the session (closed, expired, older than 24 h).
    SessionGone,
}

/// Statuses and what each means. Anything not listed: 2xx succeed, the rest are rejected.
const STATUS_TABLE: &[(u16, Verdict)] = &[
    (200, Verdict::Success),
    (204, Verdict::Success),
    // 207 on sessionStart means "processed with errors, no session": the caller sees it as a rejection.
    (207, Verdict::Reject),
    (400, Verdict::Reject),
    (404, Verdict::SessionGone),
    (408, Verdict::Retry),
    (429, Verdict::Retry),
    (500, Verdict::Reject),
    (502, Verdict::Retry),
    (503, Verdict::Retry),
    (504, Verdict::Retry),
    (507, Verdict::Retry),
];

/// Requests that produced no usable answer. Network errors and timeouts: the event may or may not
/// have landed; sending again is the only way not to lose it (a duplicate is the lesser harm). A
/// failed TLS handshake means the server is not trusted, and an answer over the size limit would
/// come again: retrying cannot help.
const FAILURE_TABLE: &[(FailureKind, Verdict)] = &[
    (FailureKind::Network, Verdict::Retry),
    (FailureKind::Timeout, Verdict::Retry),
    (FailureKind::Tls, Verdict::Reject),
    (FailureKind::Oversize, Verdict::Reject),
];

pub fn verdict(result: &Result<HttpReply, TransportError>) -> Verdict {
    match result {
        Err(e) => FAILURE_TABLE.iter().find(|(kind, _)| *kind == e.kind).map(|(_, v)| *v).unwrap_or(Verdict::Retry),
        Ok(reply) => STATUS_TABLE
            .iter()
            .find(|(status, _)| *status == reply.status)
            .map(|(_, v)| *v)
            .unwrap_or(if (200..300).contains(&reply.status) { Verdict::Success } else { Verdict::Reject }),
    }
}

/// Capped exponential backoff: the first retry after `BASE`, doubling, never more than `CAP`.
const BASE: Duration = Duration::from_millis(500);
const CAP: Duration = Duration::from_secs(30);
/// A server's `Retry-After` is honoured up to this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// The delay before retry number `attempt` (1 for the first retry). `jitter` is a random number
/// in [0, 1): the delay is drawn from the upper half of the backoff window, so that sessions
/// that failed together do not retry together, and no retry comes sooner than half the window.
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let exp = BASE.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let window = exp.min(CAP);
    // NaN would make `mul_f64` panic; a bad random number gets the middle of the window.
    let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.5 };
    window.mul_f64(0.5 + 0.5 * jitter)
}

/// A numeric `Retry-After` (seconds). HTTP dates are not honoured: the backoff applies instead.
pub fn retry_after(reply: &Result<HttpReply, TransportError>) -> Option<Duration> {
    let value = reply.as_ref().ok()?.retry_after.as_deref()?.trim();
    let seconds: f64 = value.parse().ok()?;
    if seconds.is_finite() && seconds >= 0.0 {
        // Capped before converting: `from_secs_f64` panics on values past u64 seconds ("1e30").
        Some(Duration::from_secs_f64(seconds.min(MAX_RETRY_AFTER.as_secs_f64())))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16) -> Result<HttpReply, TransportError> {
        Ok(HttpReply { status, retry_after: None, body: Vec::new() })
    }

    #[test]
    fn retryable_statuses_and_network_errors_are_retried() {
        for status in [408, 429, 502, 503, 504, 507] {
            assert_eq!(verdict(&reply(status)), Verdict::Retry, "{status}");
        }
        for kind in [FailureKind::Timeout, FailureKind::Network] {
            assert_eq!(verdict(&Err(TransportError { kind, message: "t".into() })), Verdict::Retry);
        }
    }

    #[test]
    fn final_statuses_are_not_retried() {
        for status in [400, 401, 403, 409, 500, 501] {
            assert_eq!(verdict(&reply(status)), Verdict::Reject, "{status}");
        }
        assert_eq!(verdict(&reply(404)), Verdict::SessionGone);
        assert_eq!(verdict(&reply(204)), Verdict::Success);
        assert_eq!(verdict(&Err(TransportError { kind: FailureKind::Tls, message: "t".into() })), Verdict::Reject);
        assert_eq!(verdict(&Err(TransportError { kind: FailureKind::Oversize, message: "o".into() })), Verdict::Reject);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        assert_eq!(backoff(1, 0.0), Duration::from_millis(250));
        assert_eq!(backoff(1, 1.0), Duration::from_millis(500));
        assert_eq!(backoff(3, 1.0), Duration::from_millis(2000));
        assert_eq!(backoff(30, 1.0), CAP);
        // Found by the edge_responses fuzz target: a NaN jitter made mul_f64 panic.
        assert_eq!(backoff(1, f64::NAN), Duration::from_millis(375));
    }

    #[test]
    fn numeric_retry_after_is_honoured_dates_are_not() {
        let with = |v: &str| Ok(HttpReply { status: 503, retry_after: Some(v.into()), body: Vec::new() });
        assert_eq!(retry_after(&with("3")), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(&with("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(&with("100000")), Some(MAX_RETRY_AFTER));
        // A server's "1e30" made Duration::from_secs_f64 panic on a delivery thread.
        assert_eq!(retry_after(&with("1e30")), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after(&with("-1")), None);
        assert_eq!(retry_after(&with("inf")), None);
    }
}
