//! What the Edge answers: status lines, `Retry-After` headers and bodies, fed to the response
//! readers and, in sequence, to a live session in virtual time. Nothing may panic, a
//! `Retry-After` is never honoured past 300 s nor a backoff past 30 s, and every event ends
//! delivered or given up within the retry budget (no hang), with the counters adding up.
#![no_main]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mediaedge::config::Config;
use mediaedge::delivery::policy::{backoff, retry_after, verdict};
use mediaedge::delivery::response::{describe_error, parse_session_start};
use mediaedge::delivery::transport::{FailureKind, HttpReply, Transport, TransportError};
use mediaedge::{Client, ClockChoice};
use mediaedge_fuzz::common::{Player, START_MS, START_XDM};

#[derive(Debug, Clone, Arbitrary)]
enum Answer {
    Reply { status: u16, retry_after: Option<String>, body: Vec<u8> },
    Json { status: u16, body: String },
    Failure(u8),
}

impl Answer {
    fn result(&self) -> Result<HttpReply, TransportError> {
        match self {
            Answer::Reply { status, retry_after, body } => {
                Ok(HttpReply { status: *status, retry_after: retry_after.clone(), body: body.clone() })
            }
            Answer::Json { status, body } => {
                Ok(HttpReply { status: *status, retry_after: None, body: body.clone().into_bytes() })
            }
            Answer::Failure(kind) => Err(TransportError {
                kind: [FailureKind::Network, FailureKind::Timeout, FailureKind::Tls][*kind as usize % 3],
                message: "scripted".into(),
            }),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    answers: Vec<Answer>,
    events: u8,
    advances_ms: Vec<u32>,
    jitter: f64,
}

/// Answers from the input's script, then like a healthy backend.
#[derive(Default)]
struct Scripted {
    script: Mutex<VecDeque<Answer>>,
    sessions: AtomicU64,
}

impl Transport for Scripted {
    fn post_json(&self, url: &str, _body: &[u8]) -> Result<HttpReply, TransportError> {
        if let Some(answer) = self.script.lock().unwrap().pop_front() {
            return answer.result();
        }
        if url.contains("/sessionStart") {
            let id = format!("healthy-{}", self.sessions.fetch_add(1, Ordering::Relaxed));
            let body = format!(
                r#"{{"handle":[{{"type":"media-analytics:new-session","payload":[{{"sessionId":"{id}"}}]}}]}}"#
            );
            Ok(HttpReply { status: 200, retry_after: None, body: body.into_bytes() })
        } else {
            Ok(HttpReply { status: 204, retry_after: None, body: Vec::new() })
        }
    }
}

struct Harness {
    transport: Arc<Scripted>,
    client: Client,
}

static HARNESS: OnceLock<Mutex<Harness>> = OnceLock::new();
static PLAYERS: AtomicU64 = AtomicU64::new(0);

fn harness() -> std::sync::MutexGuard<'static, Harness> {
    HARNESS
        .get_or_init(|| {
            let config = Config::from_json(
                r#"{"datastreamId":"d","streamingMedia":{"channel":"c","playerName":"p"},"native":{"edgeBaseUrl":"http://127.0.0.1:9"}}"#,
            )
            .expect("valid");
            let transport = Arc::new(Scripted::default());
            let client = Client::with_transport(config, ClockChoice::Manual { start_unix_ms: START_MS }, transport.clone())
                .expect("client starts");
            Mutex::new(Harness { transport, client })
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fuzz_target!(|input: Input| {
    // The readers on their own.
    for answer in input.answers.iter().take(32) {
        let result = answer.result();
        let _ = verdict(&result);
        if let Some(wait) = retry_after(&result) {
            assert!(wait <= Duration::from_secs(300), "Retry-After honoured for {wait:?}");
        }
        if let Ok(reply) = &result {
            let _ = parse_session_start(&reply.body);
            let summary = describe_error(reply.status, &reply.body);
            assert!(summary.len() <= 2048, "an error summary of {} bytes", summary.len());
        }
    }
    for attempt in 0..40 {
        assert!(backoff(attempt, input.jitter) <= Duration::from_secs(30));
    }

    // The same answers, in order, to a live session.
    let h = harness();
    let before = h.client.stats();
    *h.transport.script.lock().unwrap() = input.answers.iter().take(32).cloned().collect();
    let player_id = format!("edge-{}", PLAYERS.fetch_add(1, Ordering::Relaxed));
    let session = h.client.start_automatic(&player_id, Player::new(), START_XDM).expect("start is accepted");
    for n in 0..(input.events % 8) {
        let event = if n % 2 == 0 { "play" } else { "pauseStart" };
        let _ = session.send(&format!(r#"{{"eventType":"media.{event}","mediaCollection":{{}}}}"#));
        if let Some(ms) = input.advances_ms.get(n as usize) {
            let _ = h.client.wait_idle(Duration::from_secs(10));
            h.client.advance_clock(Duration::from_millis(u64::from(*ms % 600_000))).expect("advance");
        }
    }
    drop(session);
    h.transport.script.lock().unwrap().clear();
    for _ in 0..300 {
        let _ = h.client.wait_idle(Duration::from_secs(10));
        if h.client.pending_events() == 0 {
            break;
        }
        h.client.advance_clock(Duration::from_secs(30)).expect("advance");
    }
    assert_eq!(h.client.pending_events(), 0, "events still pending after 150 virtual minutes");
    let after = h.client.stats();
    let queued = after.events_queued - before.events_queued;
    let settled = (after.events_sent - before.events_sent)
        + (after.dropped_rejected - before.dropped_rejected)
        + (after.dropped_retry_expired - before.dropped_retry_expired)
        + (after.dropped_queue_full - before.dropped_queue_full)
        + (after.dropped_session_failed - before.dropped_session_failed);
    assert_eq!(queued, settled, "every queued event was sent or dropped for a counted reason: {after:?}");
});
