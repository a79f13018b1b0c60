//! The durable queue (`native.storageDir`): what a client could not deliver is sent by the next
//! client on the directory, in order, with its own `_id`s and timestamps; a damaged journal
//! tail is cut and counted; a full journal counts what it could not keep. (A process killed
//! mid-way: tests/crash.rs.)

mod common;

use common::*;
use mediaedge::{Client, ClockChoice, ErrorKind};
use mediaedge_emulator::{Emulator, Fault, Recorded};
use serde_json::json;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mediaedge-journal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn client(emulator: &Emulator, dir: &std::path::Path, native: &str) -> Client {
    let native = format!(r#","storageDir":{},"shutdownTimeoutMs":0{native}"#, serde_json::to_string(dir).unwrap());
    Client::with_clock(&config_json(emulator, "", &native), ClockChoice::Manual { start_unix_ms: START_MS })
        .expect("valid config")
}

/// A manual session's sessionStart.
const MANUAL_START: &str = r#"{"eventType":"media.sessionStart","mediaCollection":{"playhead":0,"sessionDetails":{"name":"episode-1","length":600,"contentType":"VOD"}}}"#;

fn accepted(emulator: &Emulator) -> Vec<Recorded> {
    emulator.media_requests().into_iter().filter(Recorded::accepted).collect()
}

/// Every request fails (retryably) until the faults are cleared.
fn outage(emulator: &Emulator) {
    emulator.push_fault(Fault::status(None, 503, 1000));
}

/// Waits until the emulator has answered `count` requests and the client has read the answers,
/// so none is on the wire when the client is freed (its outcome would be unknown: reported as
/// UNCONFIRMED rather than kept).
fn answered(emulator: &Emulator, client: &Client, count: usize) {
    let seen = emulator.wait_for_requests(count, std::time::Duration::from_secs(10));
    assert!(seen.len() >= count, "{} requests answered, expected {count}", seen.len());
    client.wait_idle(std::time::Duration::from_secs(10)).expect("the answers read");
}

fn ids(requests: &[Recorded]) -> Vec<String> {
    requests.iter().map(|r| r.xdm()["_id"].as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn what_a_client_could_not_deliver_the_next_one_sends_in_order_with_its_ids_and_times() {
    let emulator = Emulator::start().unwrap();
    let dir = temp_dir("restart");
    let first = client(&emulator, &dir, "");
    let player = Player::new();
    let session = first.start_automatic("p1", player.clone(), START_XDM).unwrap();
    flush(&first);
    let session_id = accepted(&emulator)[0].session_id.clone().expect("an ID");
    outage(&emulator);
    player.set(30.0);
    session.send(r#"{"_id":"mine-1","eventType":"media.play"}"#).unwrap();
    first.advance_clock(std::time::Duration::from_millis(1500)).unwrap();
    player.set(31.0);
    session.send(r#"{"_id":"mine-2","eventType":"media.pauseStart"}"#).unwrap();
    answered(&emulator, &first, 2);
    // The free ends the session (sessionEnd queued) and, with nowhere to send, keeps it all.
    drop(session);
    let stats = first.shutdown(std::time::Duration::ZERO);
    // play, pauseStart and the sessionEnd of the free stay in the journal: not dropped.
    assert_eq!((stats.kept_for_restart, stats.dropped_shutdown), (3, 0));
    assert_eq!(stats.events_queued, stats.events_sent + stats.kept_for_restart);
    let failed = emulator.media_requests();
    emulator.clear_faults();

    let second = client(&emulator, &dir, "");
    flush(&second);
    let stats = second.stats();
    assert_eq!(stats.events_replayed, 3, "play, pauseStart and the sessionEnd of the free");
    assert_eq!(stats.events_sent, 3);
    let sent = accepted(&emulator);
    assert_eq!(actions(&sent[1..]), ["play", "pauseStart", "sessionEnd"]);
    assert_eq!(&ids(&sent[1..3]), &["mine-1", "mine-2"]);
    for r in &sent[1..] {
        assert_eq!(r.session_id.as_deref(), Some(session_id.as_str()), "to the session the backend gave");
    }
    // The same play as the first client tried to send (only the head of the queue is tried).
    let tried = failed.iter().find(|f| f.xdm()["_id"] == json!("mine-1")).expect("tried before");
    assert_eq!(tried.xdm()["timestamp"], sent[1].xdm()["timestamp"]);
    assert_eq!(sent[1].timestamp_ms(), Some(START_MS));
    assert_eq!(sent[2].timestamp_ms(), Some(START_MS + 1500));
    assert_eq!(sent[3].playhead(), Some(31));
    // Nothing is left for a third client.
    drop(second);
    let third = client(&emulator, &dir, "");
    flush(&third);
    assert_eq!(third.stats().events_replayed, 0);
    assert_eq!(accepted(&emulator).len(), 4);
    drop(third);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_session_whose_start_never_went_out_starts_when_it_is_replayed() {
    let emulator = Emulator::start().unwrap();
    let dir = temp_dir("unstarted");
    outage(&emulator);
    let first = client(&emulator, &dir, "");
    let session = first.start_manual(MANUAL_START).unwrap();
    answered(&emulator, &first, 1);
    drop(session);
    drop(first);
    emulator.clear_faults();
    let second = client(&emulator, &dir, "");
    flush(&second);
    let sent = accepted(&emulator);
    // The manual session's caller is gone: the library ends it at its last playhead.
    assert_eq!(actions(&sent), ["sessionStart", "sessionEnd"]);
    assert_eq!(sent[1].session_id, sent[0].session_id);
    assert_eq!(sent[1].xdm()["timestamp"], sent[0].xdm()["timestamp"]);
    assert_eq!(second.stats().events_replayed, 2, "the sessionStart and the sessionEnd of the free");
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_tail_is_cut_and_counted_and_what_came_before_is_sent() {
    let emulator = Emulator::start().unwrap();
    let dir = temp_dir("tail");
    outage(&emulator);
    let first = client(&emulator, &dir, "");
    let session = first.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(&event("play")).unwrap();
    answered(&emulator, &first, 1);
    drop(session);
    drop(first);
    let journal = dir.join("journal");
    let good = std::fs::read(&journal).unwrap();
    // A record cut short, as a power cut in the middle of a write leaves it.
    let mut damaged = good.clone();
    damaged.extend_from_slice(&[200, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    std::fs::write(&journal, &damaged).unwrap();
    emulator.clear_faults();

    let second = client(&emulator, &dir, "");
    flush(&second);
    let stats = second.stats();
    assert_eq!(stats.journal_bytes_discarded, 13);
    assert_eq!(actions(&accepted(&emulator)), ["sessionStart", "play", "sessionEnd"]);
    drop(second);

    // A flipped bit in the last record: that record goes, the ones before it stay.
    let emulator = Emulator::start().unwrap();
    outage(&emulator);
    let third = client(&emulator, &dir, "");
    let session = third.start_manual(MANUAL_START).unwrap();
    answered(&emulator, &third, 1);
    drop(session);
    drop(third);
    let mut bytes = std::fs::read(&journal).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x10;
    std::fs::write(&journal, &bytes).unwrap();
    emulator.clear_faults();
    let fourth = client(&emulator, &dir, "");
    flush(&fourth);
    assert!(fourth.stats().journal_bytes_discarded > 0);
    // The sessionEnd of the free was the last record: the library ends the session itself.
    let sent = accepted(&emulator);
    assert_eq!(actions(&sent), ["sessionStart", "sessionEnd"]);
    drop(fourth);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_full_journal_counts_the_events_it_could_not_keep_and_still_sends_them() {
    let emulator = Emulator::start().unwrap();
    let dir = temp_dir("full");
    let client = client(&emulator, &dir, r#","journalMaxBytes":65536"#);
    let session = client.start_manual(MANUAL_START).unwrap();
    flush(&client);
    let id = accepted(&emulator)[0].session_id.clone().unwrap();
    outage(&emulator);
    let padding = "x".repeat(900);
    let mut sent = 0;
    while client.stats().events_not_journaled == 0 {
        let xdm = json!({"eventType": "media.ping", "mediaCollection": {"sessionID": id, "playhead": sent,
            "customMetadata": [{"name": "pad", "value": padding}]}});
        session.send(&xdm.to_string()).unwrap();
        sent += 1;
        assert!(sent < 200, "64 KiB hold fewer than 200 events of 1 KiB");
    }
    emulator.clear_faults();
    // The failed attempt's answer read (its retry armed) before the clock moves past the retry.
    client.wait_idle(std::time::Duration::from_secs(10)).unwrap();
    client.advance_clock(std::time::Duration::from_secs(60)).unwrap();
    flush(&client);
    let stats = client.stats();
    assert_eq!(stats.events_sent, sent + 1);
    assert_eq!(stats.events_not_journaled, 1);
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_that_cannot_hold_a_journal_is_refused_at_creation() {
    let emulator = Emulator::start().unwrap();
    let dir = temp_dir("unwritable");
    std::fs::create_dir_all(dir.join("journal")).unwrap();
    let text = config_json(&emulator, "", &format!(r#","storageDir":{}"#, serde_json::to_string(&dir).unwrap()));
    let e = Client::new(&text).err().expect("refused");
    assert_eq!(e.kind, ErrorKind::InvalidConfig);
    assert!(e.message.starts_with("native.storageDir: cannot read the journal"), "{}", e.message);
    let _ = std::fs::remove_dir_all(&dir);
}
