//! Bounded memory: the client-wide queue limits, what gives way first, and what the caller sees.

mod common;

use std::time::Duration;

use common::*;
use mediaedge::{Consent, ErrorKind};
use mediaedge_emulator::Emulator;

const LIMIT: u64 = 16;

#[test]
fn full_queues_drop_the_oldest_pings_first_then_refuse_ordinary_events_then_lifecycle_after_the_reserve() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client_with(&emulator, "", r#","maxQueuedEvents":16"#);
    let session = client.start_automatic("p1", MovingPlayer::new(10.0), START_XDM).unwrap();
    flush(&client);
    // Hold everything, and let 30 pings pile up against a limit of 16.
    client.set_consent(Consent::Pending);
    for _ in 0..30 {
        client.advance_clock(Duration::from_secs(10)).unwrap();
    }
    let stats = client.stats();
    assert_eq!(stats.events_pending, LIMIT);
    assert_eq!(stats.dropped_queue_full, 30 - LIMIT);

    // Ordinary events take the room of the oldest pings…
    for _ in 0..LIMIT {
        session.send(&event("play")).unwrap();
    }
    assert_eq!(client.stats().dropped_queue_full, 30);
    // …and once only they are left, the next is refused with a status.
    let err = session.send(&event("pauseStart")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::QueueFull);
    assert!(err.message.contains("native.maxQueuedEvents"), "{}", err.message);
    // Lifecycle events have a reserve of an eighth above the limit, then they are refused too.
    session.send(AD_BREAK_START).unwrap();
    session.send(AD_START).unwrap();
    assert_eq!(session.send(&event("adComplete")).unwrap_err().kind, ErrorKind::QueueFull);

    let stats = client.stats();
    assert_eq!(stats.refused_queue_full, 2);
    assert_eq!(stats.peak_events_pending, LIMIT + 2);

    client.set_consent(Consent::In);
    flush(&client);
    let stats = client.stats();
    assert_eq!(stats.events_pending, 0);
    assert_eq!(stats.events_queued, stats.events_sent + stats.dropped_queue_full, "{stats:?}");
    let sent = actions(&emulator.media_requests());
    assert_eq!(sent.iter().filter(|a| *a == "play").count(), LIMIT as usize);
    assert_eq!(sent.iter().filter(|a| *a == "ping").count(), 0, "every held ping gave way");
    assert_eq!(&sent[sent.len() - 2..], ["adBreakStart", "adStart"]);
}

#[test]
fn the_byte_limit_counts_the_json_of_queued_events() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client_with(&emulator, "", r#","maxQueuedBytes":16384"#);
    client.set_consent(Consent::Pending);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    let big = format!(
        r#"{{"eventType":"media.play","mediaCollection":{{"customMetadata":[{{"name":"pad","value":"{}"}}]}}}}"#,
        "x".repeat(3000)
    );
    let mut accepted = 0;
    while session.send(&big).is_ok() {
        accepted += 1;
        assert!(accepted < 100, "the byte limit never applied");
    }
    let stats = client.stats();
    assert!(stats.bytes_pending <= 16384, "{stats:?}");
    // Each big event costs a little over 3,000 bytes: refused only when the next would not fit.
    assert!(stats.bytes_pending > 16384 - 3500, "{stats:?}");
    assert_eq!(accepted, 4);
}
