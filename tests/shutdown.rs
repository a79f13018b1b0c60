//! Shutting down with a dead network: the deadline holds, what was left is reported and
//! counted, and no callback runs afterwards.

mod common;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use mediaedge::{Client, ClockChoice, SessionEventKind};

/// Accepts connections (the kernel does, via the backlog) and never answers: every request
/// hangs until the client's request timeout.
fn black_hole() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    (listener, url)
}

/// A real-clock client sending into `url` with these timeouts, and a delivery worker for each
/// of the three sessions the tests start, so that every session has a request on the wire.
fn client_for(url: &str, request_timeout_ms: u64, shutdown_timeout_ms: u64) -> Client {
    let config = format!(
        r#"{{"datastreamId":"ds","streamingMedia":{{"channel":"c","playerName":"p"}},
            "native":{{"edgeBaseUrl":"{url}","requestTimeoutMs":{request_timeout_ms},"shutdownTimeoutMs":{shutdown_timeout_ms},"deliveryWorkers":3}}}}"#
    );
    Client::with_clock(&config, ClockChoice::System).unwrap()
}

#[test]
fn free_returns_within_its_deadline_on_a_dead_network_and_reports_what_was_left() {
    let (hole, url) = black_hole();
    // Requests hang for a minute; the deadline is 200 ms. The bound checked below is far from
    // both, so a loaded machine cannot break it either way.
    let client = client_for(&url, 60_000, 200);
    let unsent_reported = Arc::new(Mutex::new(Vec::new()));
    let unconfirmed_reported = Arc::new(Mutex::new(Vec::new()));
    let calls_after_free = Arc::new(AtomicUsize::new(0));
    let freed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (reported, unconfirmed, after, freed) =
            (unsent_reported.clone(), unconfirmed_reported.clone(), calls_after_free.clone(), freed.clone());
        client.on_session_event(move |e| {
            if freed.load(Ordering::SeqCst) {
                after.fetch_add(1, Ordering::SeqCst);
            }
            match e.kind {
                SessionEventKind::Unsent => reported.lock().unwrap().push(e.count),
                SessionEventKind::Unconfirmed => unconfirmed.lock().unwrap().push((e.count, e.event_type)),
                _ => {}
            }
        });
    }
    let sessions: Vec<_> =
        (0..3).map(|i| client.start_automatic(&format!("p{i}"), Player::new(), START_XDM).unwrap()).collect();
    for session in &sessions {
        session.send(&event("play")).unwrap();
    }
    let started = Instant::now();
    let stats = client.shutdown(Duration::from_millis(200));
    let took = started.elapsed();
    freed.store(true, Ordering::SeqCst);

    assert!(took < Duration::from_secs(30), "shutdown waited for the hanging requests: {took:?}");
    // Per session: the sessionStart on the wire, whose outcome is unknown (it may have landed),
    // then play and the sessionEnd shutdown queued for it (left open), never sent.
    assert_eq!(stats.dropped_shutdown, 6);
    let mut reported = unsent_reported.lock().unwrap().clone();
    reported.sort();
    assert_eq!(reported, [2, 2, 2]);
    let unconfirmed = unconfirmed_reported.lock().unwrap().clone();
    assert_eq!(unconfirmed, vec![(1, Some(mediaedge::xdm::EventType::SessionStart)); 3]);
    assert_eq!(stats.unconfirmed_shutdown, 3);
    assert_eq!(stats.events_queued, stats.events_sent + stats.dropped_shutdown + stats.unconfirmed_shutdown);
    // Closing the listener resets the abandoned requests' connections: their outcomes arrive
    // now, and must call nothing.
    drop(hole);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(calls_after_free.load(Ordering::SeqCst), 0);
    drop(sessions);
}

#[test]
fn flush_never_waits_past_its_timeout_on_a_dead_network() {
    let (_hole, url) = black_hole();
    // The request hangs for a minute; the flush is given 100 ms: far apart, on any machine.
    let client = client_for(&url, 60_000, 0);
    let _session = client.start_automatic("p", Player::new(), START_XDM).unwrap();
    let started = Instant::now();
    let err = client.flush(Duration::from_millis(100)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(30), "flush waited for the hanging request");
    assert_eq!(err.kind, mediaedge::ErrorKind::Timeout);
    assert!(err.message.starts_with("1 events still queued"), "{}", err.message);
    let stats = client.stats();
    assert_eq!(stats.events_pending, 1);
}
