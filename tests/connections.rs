//! The delivery loop's connections under faults the network makes: an answer cut short, a
//! server that stops answering, a keep-alive connection the server closed while it was idle.
//! And what the loop is for: sessions do not wait behind one another's slow requests.

mod common;

use std::time::Duration;

use common::*;
use mediaedge::Session;
use mediaedge_emulator::{Emulator, Fault, FaultKind};

fn ids(sessions: &[&Session]) -> Vec<String> {
    sessions.iter().map(|s| s.wait_session_id(Duration::from_secs(10)).expect("session ID")).collect()
}

#[test]
fn an_answer_cut_short_is_retried_and_lands_once_per_event_id() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    emulator.push_fault(Fault::of(Some("play"), FaultKind::Truncate, 1));
    session.send(&event("play")).unwrap();
    client.wait_idle(Duration::from_secs(10)).unwrap();
    // The cut answer is a network error: retried after a backoff.
    client.advance_clock(Duration::from_secs(5)).unwrap();
    flush(&client);
    let plays: Vec<_> = emulator.media_requests().into_iter().filter(|r| r.action == "play").collect();
    assert_eq!(plays.len(), 2, "the first answer was cut, the retry answered");
    assert_eq!(plays[0].xdm()["_id"], plays[1].xdm()["_id"], "a retry carries the event's _id");
    let stats = client.stats();
    assert_eq!((stats.events_retried, stats.events_sent), (1, 2));
}

#[test]
fn sessions_do_not_wait_behind_stalled_requests_of_others() {
    let emulator = Emulator::start().unwrap();
    // Two minutes (the longest allowed): far longer than this test waits, so stalled requests
    // stay stalled while it looks.
    let client = manual_client_with(&emulator, "", r#","requestTimeoutMs":120000,"maxConnections":8"#);
    let stalled: Vec<Session> =
        (0..3).map(|i| client.start_automatic(&format!("slow-{i}"), Player::new(), START_XDM).unwrap()).collect();
    let quick = client.start_automatic("quick", Player::new(), START_XDM).unwrap();
    for id in ids(&stalled.iter().collect::<Vec<_>>()) {
        emulator.push_fault(Fault::of(Some("play"), FaultKind::Stall, 1).for_session(&id));
    }
    for session in &stalled {
        session.send(&event("play")).unwrap();
    }
    // Three requests hang; the fourth session's events go out beside them, each in turn.
    for step in ["play", "pauseStart", "play", "pauseStart", "play"] {
        quick.send(&event(step)).unwrap();
    }
    let quick_id = quick.wait_session_id(Duration::from_secs(10)).unwrap();
    let quick_events = || {
        emulator
            .media_requests()
            .iter()
            .filter(|r| r.session_id.as_deref() == Some(quick_id.as_str()) && r.action != "sessionStart")
            .count()
    };
    // Bounded by a minute (a slow sanitizer build needs seconds); behind the stalled requests
    // they would wait the two minutes.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while quick_events() < 5 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(quick_events(), 5, "the quick session's events were held behind stalled requests");
    // The emulator records a request before the client has read its answer: wait for those.
    let mut answered = client.stats().requests_answered;
    for _ in 0..500 {
        if answered >= 4 + 5 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        answered = client.stats().requests_answered;
    }
    assert_eq!(answered, 4 + 5, "the stalled requests are still unanswered");
}

#[test]
fn a_keep_alive_connection_the_server_closed_is_replaced_without_a_retry() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    emulator.push_fault(Fault::of(Some("sessionStart"), FaultKind::AnswerThenClose, 1));
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    // The connection that carried sessionStart is dead now, whether or not the client noticed.
    for step in ["play", "pauseStart"] {
        session.send(&event(step)).unwrap();
    }
    flush(&client);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart", "play", "pauseStart"]);
    let stats = client.stats();
    assert_eq!(stats.events_retried, 0, "a dead idle connection costs no retry and no backoff");
    assert_eq!(stats.requests_new_connection, 2);
}

/// Many sessions with answers that come back at once (loopback): each answer frees a connection
/// for the next waiting request without the loop calling itself, so a long backlog cannot
/// overflow the delivery thread's stack (it did, in the benchmark's 200 sessions on 1 s pings).
#[test]
fn a_long_backlog_of_quick_answers_is_served_in_a_loop_not_a_recursion() {
    let emulator = Emulator::start().unwrap();
    emulator.set_recording(false);
    let client = manual_client_with(&emulator, "", r#","maxConnections":2"#);
    let sessions: Vec<Session> =
        (0..400).map(|i| client.start_automatic(&format!("p{i}"), Player::new(), START_XDM).unwrap()).collect();
    for session in &sessions {
        for step in ["play", "pauseStart", "play"] {
            session.send(&event(step)).unwrap();
        }
    }
    client.flush(Duration::from_secs(60)).expect("everything delivered");
    assert_eq!(client.stats().events_sent, 400 * 4);
}
