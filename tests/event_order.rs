//! The event callback's promise: a session's events come in order and never overlap, however
//! slow the callback and however many delivery threads race behind it.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use mediaedge::SessionEventKind;
use mediaedge_emulator::Emulator;

const MANUAL_START: &str =
    r#"{"mediaCollection":{"playhead":0,"sessionDetails":{"name":"m","length":60,"contentType":"VOD"}}}"#;

#[test]
fn a_slow_callback_keeps_each_sessions_events_in_order_and_apart() {
    let emulator = Emulator::start().expect("emulator");
    let client = manual_client_with(&emulator, "", r#","deliveryWorkers":8"#);
    // Per session: the kinds in the order the callback saw them, and whether a call for the
    // session was in progress when another one began.
    let seen: Arc<Mutex<HashMap<u64, Vec<SessionEventKind>>>> = Arc::default();
    let inside: Arc<Mutex<HashMap<u64, bool>>> = Arc::default();
    let overlaps: Arc<Mutex<Vec<u64>>> = Arc::default();
    {
        let (seen, inside, overlaps) = (seen.clone(), inside.clone(), overlaps.clone());
        client.on_session_event(move |event| {
            let key = event.session_key;
            if std::mem::replace(inside.lock().unwrap().entry(key).or_default(), true) {
                overlaps.lock().unwrap().push(key);
            }
            if event.kind == SessionEventKind::Started {
                // Slow on purpose: the session's end is delivered meanwhile on another thread.
                std::thread::sleep(Duration::from_millis(100));
            }
            seen.lock().unwrap().entry(key).or_default().push(event.kind);
            inside.lock().unwrap().insert(key, false);
        });
    }
    let sessions: Vec<_> = (0..12).map(|_| client.start_manual(MANUAL_START).expect("started")).collect();
    // Each session's end is sent the moment its ID is known, while its STARTED callback sleeps.
    std::thread::scope(|scope| {
        for session in &sessions {
            scope.spawn(move || {
                let id = session.wait_session_id(Duration::from_secs(10)).expect("session ID");
                let end = format!(
                    r#"{{"eventType":"media.sessionEnd","mediaCollection":{{"playhead":0,"sessionID":"{id}"}}}}"#
                );
                session.send(&end).expect("sessionEnd queued");
            });
        }
    });
    client.flush(Duration::from_secs(30)).expect("everything delivered");

    assert_eq!(*overlaps.lock().unwrap(), Vec::<u64>::new(), "sessions whose callbacks overlapped");
    let seen = seen.lock().unwrap();
    for session in &sessions {
        assert_eq!(
            seen.get(&session.key()),
            Some(&vec![SessionEventKind::Started, SessionEventKind::Ended]),
            "session {}",
            session.key()
        );
    }
}
