//! Property tests of the session FIFO and the ping schedule: random interleavings of sessions,
//! events, ends, server faults and clock advances in virtual time, each checked against what
//! the emulator (answering in process) recorded:
//! - every request the backend processed passed its validator;
//! - per session, the caller's events landed in the order they were accepted, each exactly
//!   once, and nothing landed after the session's end;
//! - pings are never early (at least one interval after the session's previous event), exactly
//!   one interval after it once pinging, and never missing while the session is open.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use mediaedge::{PlayerDetails, PlayerDetailsSource, Qoe, Session};
use mediaedge_emulator::{Emulator, Fault};
use proptest::prelude::*;

const PING_MS: i64 = 10_000;
const SLOTS: usize = 3;

/// A player whose playhead moves one second every time the library asks.
#[derive(Default)]
struct Ticking(AtomicU64);

impl PlayerDetailsSource for Ticking {
    fn player_details(&self) -> PlayerDetails {
        PlayerDetails { playhead: self.0.fetch_add(1, Ordering::SeqCst) as f64, qoe: Qoe::default() }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Start(usize),
    Send(usize, &'static str),
    End(usize, &'static str),
    /// The next `times` requests (of any session) get this retryable answer.
    Fault(u16, u32),
    Drop(u32),
    Advance(u64),
    /// Waits until delivery has nothing in flight or ready (a deterministic point).
    Settle,
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0..SLOTS;
    prop_oneof![
        2 => slot.clone().prop_map(Op::Start),
        6 => (slot.clone(), prop::sample::select(vec!["play", "pauseStart", "bufferStart", "bitrateChange", "error", "statesUpdate"]))
            .prop_map(|(s, e)| Op::Send(s, e)),
        1 => (slot, prop::sample::select(vec!["sessionEnd", "sessionComplete"])).prop_map(|(s, e)| Op::End(s, e)),
        1 => (prop::sample::select(vec![502u16, 503, 504, 429]), 1u32..4).prop_map(|(st, n)| Op::Fault(st, n)),
        1 => (1u32..3).prop_map(Op::Drop),
        4 => (1u64..25_000).prop_map(Op::Advance),
        1 => Just(Op::Settle),
    ]
}

fn xdm(event_type: &str) -> String {
    let media = match event_type {
        "bitrateChange" => r#"{"qoeDataDetails":{"bitrate":3000}}"#,
        "error" => r#"{"errorDetails":{"name":"E1","source":"player"}}"#,
        "statesUpdate" => r#"{"statesStart":[{"name":"fullscreen"}]}"#,
        _ => "{}",
    };
    format!(r#"{{"eventType":"media.{event_type}","mediaCollection":{media}}}"#)
}

struct Live {
    session: Session,
    /// The caller's events accepted so far (after the sessionStart), in order.
    accepted: Vec<String>,
}

/// Runs `ops`, drains everything, and returns the caller's accepted events per session key.
fn run(emulator: &Arc<Emulator>, ops: &[Op]) -> Result<Vec<Vec<String>>, TestCaseError> {
    let client = in_process_client(emulator, "");
    let mut slots: Vec<Option<Live>> = (0..SLOTS).map(|_| None).collect();
    let mut finished = Vec::new();
    let mut next_player = 0;
    for op in ops {
        match op {
            Op::Start(s) if slots[*s].is_none() => {
                next_player += 1;
                let session = client
                    .start_automatic(&format!("player-{next_player}"), Arc::new(Ticking::default()), START_XDM)
                    .map_err(|e| TestCaseError::fail(format!("start refused: {e}")))?;
                slots[*s] = Some(Live { session, accepted: Vec::new() });
            }
            Op::Send(s, event) | Op::End(s, event) => {
                if let Some(live) = slots[*s].as_mut() {
                    live.session.send(&xdm(event)).map_err(|e| TestCaseError::fail(format!("{event} refused: {e}")))?;
                    live.accepted.push(format!("media.{event}"));
                    if matches!(op, Op::End(..)) {
                        finished.push(slots[*s].take().expect("live"));
                    }
                }
            }
            Op::Fault(status, times) => {
                let mut fault = Fault::status(None, *status, *times);
                if *status == 429 {
                    fault = fault.with_retry_after("2");
                }
                emulator.push_fault(fault);
            }
            Op::Drop(times) => emulator.push_fault(Fault::drop(None, *times)),
            Op::Advance(ms) => {
                client.advance_clock(Duration::from_millis(*ms)).map_err(|e| TestCaseError::fail(e.to_string()))?
            }
            Op::Settle => {
                client.wait_idle(Duration::from_secs(5)).map_err(|e| TestCaseError::fail(format!("not idle: {e}")))?;
            }
            Op::Start(_) => {}
        }
    }
    // Drain: no more faults, every session ended, the clock moved until nothing is pending.
    emulator.clear_faults();
    for mut live in slots.into_iter().flatten() {
        live.session.send(&xdm("sessionEnd")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        live.accepted.push("media.sessionEnd".into());
        finished.push(live);
    }
    let mut rounds = 0;
    while client.pending_events() > 0 {
        rounds += 1;
        prop_assert!(rounds < 200, "still {} events pending after {rounds} rounds", client.pending_events());
        let _ = client.wait_idle(Duration::from_secs(5));
        client.advance_clock(Duration::from_secs(5)).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    Ok(finished.into_iter().map(|live| live.accepted).collect())
}

fn check(emulator: &Emulator, mut expected: Vec<Vec<String>>) -> Result<(), TestCaseError> {
    let records = emulator.requests();
    let mut request_ids = HashSet::new();
    // Landed events per backend session, in the order the backend processed them.
    let mut sessions: BTreeMap<String, Vec<&mediaedge_emulator::Recorded>> = BTreeMap::new();
    let mut order = Vec::new();
    for record in &records {
        if !record.faulted {
            prop_assert!(record.problems.is_empty(), "validator refused {}: {:?}", record.action, record.problems);
            prop_assert!(record.landed, "{} answered {:?}", record.action, record.status);
        }
        if record.landed {
            let id = record.request_id.clone().unwrap_or_default();
            prop_assert!(request_ids.insert(id.clone()), "request {id} ({}) landed twice", record.action);
            let session = record.session_id.clone().expect("a landed media request names its session");
            if !sessions.contains_key(&session) {
                order.push(session.clone());
            }
            sessions.entry(session).or_default().push(record);
        }
    }
    prop_assert_eq!(sessions.len(), expected.len(), "sessions started");
    // Sessions start in the order they were created only per player thread; match by content.
    for (id, events) in &sessions {
        prop_assert_eq!(events[0].event_type(), Some("media.sessionStart"), "session {} opens with sessionStart", id);
        let caller: Vec<String> = events[1..]
            .iter()
            .filter_map(|r| r.event_type())
            .filter(|t| *t != "media.ping")
            .map(str::to_string)
            .collect();
        let Some(index) = expected.iter().position(|e| *e == caller) else {
            return Err(TestCaseError::fail(format!(
                "session {id} landed {caller:?}, which no session sent (sent: {expected:?})"
            )));
        };
        expected.remove(index);
        let last = events.last().and_then(|r| r.event_type());
        prop_assert!(
            matches!(last, Some("media.sessionEnd") | Some("media.sessionComplete")),
            "session {} ends last",
            id
        );

        // Playheads grow with every call to the player: landed in the order made.
        let playheads: Vec<i64> = events.iter().map(|r| r.playhead().unwrap_or(-1)).collect();
        let described: Vec<String> = events
            .iter()
            .map(|r| {
                format!("{} ts={} playhead={}", r.action, r.timestamp_ms().unwrap_or(0), r.playhead().unwrap_or(-1))
            })
            .collect();
        prop_assert!(playheads.windows(2).all(|w| w[0] < w[1]), "session {} out of order: {:#?}", id, described);

        let stamps: Vec<(i64, &str)> =
            events.iter().map(|r| (r.timestamp_ms().unwrap_or(0), r.event_type().unwrap_or(""))).collect();
        let mut pinging = false;
        for pair in stamps.windows(2) {
            let ((before, _), (at, kind)) = (pair[0], pair[1]);
            let gap = at - before;
            prop_assert!(gap >= 0, "session {} time went back: {:?}", id, stamps);
            if kind == "media.ping" {
                prop_assert!(gap >= PING_MS, "session {}: ping {} ms after the previous event: {:?}", id, gap, stamps);
                if pinging {
                    prop_assert_eq!(gap, PING_MS, "session {}: ping not one interval after the previous event", id);
                }
                pinging = true;
            } else if pinging {
                prop_assert!(gap <= PING_MS, "session {}: {} ms without a ping before {}: {:?}", id, gap, kind, stamps);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn fifo_order_exactly_once_and_ping_spacing_hold_under_random_interleavings(ops in prop::collection::vec(op(), 1..60)) {
        let emulator = Arc::new(Emulator::start().expect("emulator"));
        let expected = run(&emulator, &ops)?;
        check(&emulator, expected)?;
    }
}
