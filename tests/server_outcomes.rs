//! What the library does with each kind of answer: refusals fail the session, retryable
//! answers are retried (honouring Retry-After, in virtual time), final ones are reported.

mod common;

use std::time::Duration;

use common::*;
use mediaedge::{ErrorKind, Phase, SessionEventKind};
use mediaedge_emulator::{Emulator, Fault};
use serde_json::json;

fn refused_start_fails_the_session(fault: Fault, status: u16) {
    let emulator = Emulator::start().unwrap();
    emulator.push_fault(fault);
    let client = manual_client(&emulator);
    let seen = record_events(&client);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);
    let err = session.send(&event("play")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::SessionFailed);
    assert_eq!(session.session_id().unwrap_err().kind, ErrorKind::SessionFailed);
    assert_eq!(session.phase(), Phase::Failed);
    let events = seen.lock().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, SessionEventKind::Failed);
    assert_eq!(events[0].http_status, status);
    client.advance_clock(Duration::from_secs(60)).unwrap();
    flush(&client);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart"], "no event and no ping after the refusal");
    // The player id is free for a new attempt.
    assert!(client.start_automatic("p1", Player::new(), START_XDM).is_ok());
}

#[test]
fn session_start_answered_207_fails_the_session_and_tells_the_callback() {
    let body = json!({"handle": [], "errors": [{"type": "https://ns.adobe.com/aep/errors/va-edge-0207", "status": 400,
        "title": "Media Analytics is not enabled for this datastream"}]});
    refused_start_fails_the_session(Fault::status(Some("sessionStart"), 207, 1).with_body(body), 207);
}

#[test]
fn session_start_answered_400_fails_the_session_and_tells_the_callback() {
    refused_start_fails_the_session(Fault::status(Some("sessionStart"), 400, 1), 400);
}

#[test]
fn an_empty_channel_from_the_caller_is_refused_before_anything_is_sent() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let seen = record_events(&client);
    let session = client
        .start_automatic(
            "p1",
            Player::new(),
            r#"{"mediaCollection":{"sessionDetails":{"name":"n","length":10,"contentType":"VOD","channel":""}}}"#,
        )
        .err();
    // An empty channel is refused locally: the caller's field wins only when it is valid.
    assert_eq!(
        session.unwrap().message,
        "mediaCollection.sessionDetails.channel: expected a non-empty string, got \"\""
    );
    assert!(seen.lock().unwrap().is_empty());
    assert!(emulator.media_requests().is_empty());
}

#[test]
fn a_503_with_retry_after_is_retried_after_the_delay_and_delivered_once() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    emulator.push_fault(Fault::status(Some("play"), 503, 1).with_retry_after("3"));
    session.send(&event("play")).unwrap();
    session.send(&event("pauseStart")).unwrap();
    // The first attempt is answered at once; nothing more goes out before 3 s of clock.
    client.wait_idle(Duration::from_secs(5)).unwrap();
    client.advance_clock(Duration::from_millis(2_900)).unwrap();
    client.wait_idle(Duration::from_secs(5)).unwrap();
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart", "play"]);
    client.advance_clock(Duration::from_millis(100)).unwrap();
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "play", "play", "pauseStart"]);
    assert_eq!(requests[1].status, Some(503));
    assert_eq!(requests[2].status, Some(204));
    assert_eq!(requests.iter().filter(|r| r.action == "play" && r.accepted()).count(), 1);
    assert_eq!(offset_s(&requests[2]), 0.0, "the retry keeps the call-time timestamp");
}

#[test]
fn a_500_is_final_reported_and_later_events_still_go_out() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let seen = record_events(&client);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    emulator.push_fault(Fault::status(Some("play"), 500, 1));
    session.send(&event("play")).unwrap();
    session.send(&event("pauseStart")).unwrap();
    flush(&client);
    client.advance_clock(Duration::from_secs(1)).unwrap();
    flush(&client);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart", "play", "pauseStart"]);
    let events = seen.lock().unwrap().clone();
    let rejected: Vec<_> = events.iter().filter(|e| e.kind == SessionEventKind::EventRejected).collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].http_status, 500);
    assert_eq!(rejected[0].event_type, Some(mediaedge::EventType::Play));
}

#[test]
fn network_errors_are_retried_with_backoff_until_delivered() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    emulator.push_fault(Fault::drop(Some("play"), 3));
    session.send(&event("play")).unwrap();
    // Three dropped connections, each followed by a backoff of at most 0.5, 1 and 2 s.
    for _ in 0..3 {
        client.wait_idle(Duration::from_secs(5)).unwrap();
        client.advance_clock(Duration::from_secs(2)).unwrap();
    }
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "play", "play", "play", "play"]);
    assert_eq!(requests.iter().filter(|r| r.status.is_none()).count(), 3);
    assert_eq!(requests[4].status, Some(204));
}

fn start_answer(session_id: &str) -> serde_json::Value {
    json!({"handle": [{"type": "media-analytics:new-session", "payload": [{"sessionId": session_id}], "eventIndex": 0}]})
}

/// A hostile or broken backend's session ID fails the session with a message that says why,
/// instead of going into every later event and out to the caller.
#[test]
fn a_session_id_too_long_or_with_stray_characters_fails_the_session() {
    for (id, expected) in [
        ("a".repeat(10_000), "session ID of 10000 bytes, over the limit of 128"),
        ("abc\u{0}def".to_string(), "session ID with '\\0'"),
        ("abc def".to_string(), "session ID with ' '"),
    ] {
        let emulator = Emulator::start().unwrap();
        emulator.push_fault(Fault::status(Some("sessionStart"), 200, 1).with_body(start_answer(&id)));
        let client = manual_client(&emulator);
        let seen = record_events(&client);
        let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
        flush(&client);
        assert_eq!(session.phase(), Phase::Failed);
        assert_eq!(session.session_id().unwrap_err().kind, ErrorKind::SessionFailed);
        let events = seen.lock().unwrap().clone();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, SessionEventKind::Failed);
        assert!(events[0].message.contains(expected), "{:?}: {}", expected, events[0].message);
        assert!(events[0].session_id.is_none());
    }
    // Adobe's own shape (64 hex digits) and the characters allowed pass.
    let emulator = Emulator::start().unwrap();
    emulator
        .push_fault(Fault::status(Some("sessionStart"), 200, 1).with_body(start_answer("Ab0._-".repeat(21).as_str())));
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    assert_eq!(session.session_id().unwrap(), "Ab0._-".repeat(21));
}

#[test]
fn an_answer_over_the_size_limit_is_final_not_retried() {
    let huge = json!({"padding": "x".repeat(2 * 1024 * 1024)});
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let seen = record_events(&client);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    emulator.push_fault(Fault::status(Some("play"), 200, 1).with_body(huge.clone()));
    session.send(&event("play")).unwrap();
    session.send(&event("pauseStart")).unwrap();
    flush(&client);
    client.advance_clock(Duration::from_secs(5)).unwrap();
    flush(&client);
    assert_eq!(
        actions(&emulator.media_requests()),
        ["sessionStart", "play", "pauseStart"],
        "the play was not sent again"
    );
    let rejected: Vec<_> =
        seen.lock().unwrap().iter().filter(|e| e.kind == SessionEventKind::EventRejected).cloned().collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].event_type, Some(mediaedge::xdm::EventType::Play));
    assert!(
        rejected[0].message.contains("answered 200 with a body over the limit of 1048576 bytes"),
        "{}",
        rejected[0].message
    );
    assert_eq!(client.stats().dropped_rejected, 1);

    // On sessionStart the same answer fails the session, once.
    let emulator = Emulator::start().unwrap();
    emulator.push_fault(Fault::status(Some("sessionStart"), 200, 1).with_body(huge));
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    client.advance_clock(Duration::from_secs(60)).unwrap();
    flush(&client);
    assert_eq!(session.phase(), Phase::Failed);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart"]);
}
