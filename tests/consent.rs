//! Consent like the Web SDK's: pending holds, in sends, out drops and refuses.

mod common;

use std::time::Duration;

use common::*;
use mediaedge::{Consent, ErrorKind, Phase, SessionEventKind};
use mediaedge_emulator::Emulator;

fn client_with_consent(emulator: &Emulator, consent: &str) -> mediaedge::Client {
    let config = config_json(emulator, "", "").replacen('{', &format!(r#"{{"defaultConsent":"{consent}","#), 1);
    mediaedge::Client::with_clock(&config, mediaedge::ClockChoice::Manual { start_unix_ms: START_MS }).unwrap()
}

#[test]
fn pending_consent_holds_events_until_consent_is_in_then_sends_them_in_order() {
    let emulator = Emulator::start().unwrap();
    let client = client_with_consent(&emulator, "pending");
    assert_eq!(client.consent(), Consent::Pending);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(&event("play")).unwrap();
    session.send(&event("pauseStart")).unwrap();
    client.wait_idle(Duration::from_secs(5)).unwrap();
    assert!(client.flush(Duration::from_millis(50)).is_err(), "held, not sent");
    assert!(emulator.media_requests().is_empty());
    assert_eq!(client.stats().events_pending, 3);

    client.set_consent(Consent::In);
    flush(&client);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart", "play", "pauseStart"]);
}

#[test]
fn consent_set_to_pending_mid_session_holds_pings_too() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", MovingPlayer::new(10.0), START_XDM).unwrap();
    flush(&client);
    client.set_consent(Consent::Pending);
    client.advance_clock(Duration::from_secs(35)).unwrap();
    session.send(&event("play")).unwrap();
    client.wait_idle(Duration::from_secs(5)).unwrap();
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart"]);
    client.set_consent(Consent::In);
    flush(&client);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart", "ping", "ping", "ping", "play"]);
}

#[test]
fn consent_out_drops_everything_queued_closes_sessions_and_refuses_new_ones_until_in() {
    let emulator = Emulator::start().unwrap();
    let client = client_with_consent(&emulator, "pending");
    let seen = record_events(&client);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(&event("play")).unwrap();

    client.set_consent(Consent::Out);
    let failed: Vec<_> = seen.lock().unwrap().iter().filter(|e| e.kind == SessionEventKind::Failed).cloned().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].count, 2, "sessionStart and play were dropped");
    assert_eq!(session.phase(), Phase::Failed);
    assert_eq!(session.send(&event("play")).unwrap_err().kind, ErrorKind::ConsentOut);
    let refused = client.start_automatic("p2", Player::new(), START_XDM).err().unwrap();
    assert_eq!(refused.kind, ErrorKind::ConsentOut);
    assert!(refused.message.contains("consent"), "{}", refused.message);
    let stats = client.stats();
    assert_eq!((stats.dropped_consent, stats.events_pending), (2, 0));

    client.set_consent(Consent::In);
    assert_eq!(session.send(&event("play")).unwrap_err().kind, ErrorKind::SessionFailed, "closed sessions stay closed");
    let fresh = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    fresh.send(&event("play")).unwrap();
    flush(&client);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart", "play"]);
}

#[test]
fn consent_out_stops_pinging() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let _session = client.start_automatic("p1", MovingPlayer::new(10.0), START_XDM).unwrap();
    flush(&client);
    client.set_consent(Consent::Out);
    client.advance_clock(Duration::from_secs(60)).unwrap();
    client.wait_idle(Duration::from_secs(5)).unwrap();
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart"]);
}

/// After a flush returns, no thread is still delivering session events: the FAILED event of
/// consent "out" reaches the listener on the caller's thread, before `set_consent` returns.
/// (Before the count-off moved to the end of a delivering turn, a worker could still hold the
/// session's mailbox after the flush returned, and delivered FAILED late: seen under ASan in
/// `test_capi`.) Repeated, because the window was a few instructions wide.
#[test]
fn consent_out_after_a_flush_reports_failed_before_it_returns() {
    let emulator = Emulator::start().unwrap();
    for round in 0..300 {
        let client = manual_client(&emulator);
        let events = record_events(&client);
        let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
        session.send(&event("play")).unwrap();
        flush(&client);
        client.set_consent(Consent::Out);
        let failed = events.lock().unwrap().iter().filter(|e| e.kind == SessionEventKind::Failed).count();
        assert_eq!(failed, 1, "round {round}: FAILED not reported before set_consent returned");
    }
}
