//! `xdm._id`: one UUID per event, the same on every retry of it, a new one for what a resume
//! restates.

mod common;

use std::collections::HashSet;

use common::*;
use mediaedge::ErrorKind;
use mediaedge_emulator::{Emulator, Fault, Recorded};

fn id_of(r: &Recorded) -> String {
    r.xdm()["_id"].as_str().expect("every event has an _id").to_string()
}

fn is_uuid_v4(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
        && parts[2].starts_with('4')
}

#[test]
fn every_event_has_its_own_uuid() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    for action in ["play", "pauseStart", "play"] {
        session.send(&event(action)).unwrap();
    }
    flush(&client);
    client.advance_clock(std::time::Duration::from_secs(10)).unwrap();
    drop(session);
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "play", "pauseStart", "play", "ping", "sessionEnd"]);
    let ids: Vec<String> = requests.iter().map(id_of).collect();
    assert!(ids.iter().all(|id| is_uuid_v4(id)), "{ids:?}");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "all different: {ids:?}");
}

#[test]
fn a_retried_event_keeps_its_id_even_when_the_server_had_applied_it() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    emulator.push_fault(Fault::status(Some("play"), 503, 1));
    emulator.push_fault(Fault::process_then_drop(Some("pauseStart"), 1));
    session.send(&event("play")).unwrap();
    session.send(&event("pauseStart")).unwrap();
    for _ in 0..20 {
        client.advance_clock(std::time::Duration::from_secs(1)).unwrap();
        client.wait_idle(std::time::Duration::from_secs(5)).unwrap();
    }
    flush(&client);
    let requests: Vec<Recorded> = emulator.media_requests().into_iter().filter(|r| r.action != "ping").collect();
    assert_eq!(actions(&requests), ["sessionStart", "play", "play", "pauseStart", "pauseStart"]);
    assert_eq!(id_of(&requests[1]), id_of(&requests[2]), "a 503 retried");
    assert_eq!(id_of(&requests[3]), id_of(&requests[4]), "applied, answer lost, retried: the duplicate says so");
    assert_ne!(id_of(&requests[1]), id_of(&requests[3]));
}

#[test]
fn a_resume_restates_with_new_ids_and_the_lost_event_keeps_its_own() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(CHAPTER_START).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);
    emulator.expire_session(&session.session_id().unwrap());
    session.send(&event("pauseStart")).unwrap();
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(
        actions(&requests),
        ["sessionStart", "chapterStart", "play", "pauseStart", "sessionStart", "chapterStart", "play", "pauseStart"]
    );
    assert_eq!(requests[3].status, Some(404));
    assert_eq!(id_of(&requests[3]), id_of(&requests[7]), "the lost pauseStart is the same event, sent again");
    let ids: Vec<String> = requests[..7].iter().map(id_of).collect();
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        7,
        "the restated start, chapter and play are new events: {ids:?}"
    );
}

#[test]
fn an_id_the_caller_gives_is_kept_and_a_bad_one_refused() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(r#"{"_id":"my-event-1","eventType":"media.play"}"#).unwrap();
    let refused = session.send(r#"{"_id":7,"eventType":"media.play"}"#).unwrap_err();
    assert_eq!(refused.kind, ErrorKind::InvalidEvent);
    assert!(refused.message.contains("_id"), "{}", refused.message);
    flush(&client);
    assert_eq!(id_of(&emulator.media_requests()[1]), "my-event-1");
}
