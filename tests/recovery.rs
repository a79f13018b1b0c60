//! Losing the backend session and getting it back: 404s, outages longer than the backend's idle
//! timeout, sessions reaching 24 h; automatic sessions resume, manual ones are told.

mod common;

use std::time::Duration;

use common::*;
use mediaedge::{ErrorKind, Phase, SessionEventKind};
use mediaedge_emulator::{Emulator, Fault};

#[test]
fn automatic_session_lost_with_404_resumes_with_has_resume_and_restores_chapter_ad_and_play_state() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let seen = record_events(&client);
    let player = Player::new();
    let session = client.start_automatic("p1", player.clone(), START_XDM).unwrap();
    player.set(3.0);
    for xdm in [CHAPTER_START, &event("play"), AD_BREAK_START, AD_START] {
        session.send(xdm).unwrap();
    }
    flush(&client);
    let old_id = session.session_id().unwrap();

    emulator.expire_session(&old_id);
    player.set(20.0);
    session.send(&event("pauseStart")).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);

    let requests = emulator.media_requests();
    assert_eq!(
        actions(&requests),
        [
            "sessionStart",
            "chapterStart",
            "play",
            "adBreakStart",
            "adStart",
            "pauseStart", // 404
            "sessionStart",
            "chapterStart",
            "adBreakStart",
            "adStart",
            "play",
            "pauseStart",
            "play"
        ]
    );
    assert_eq!(requests[5].status, Some(404));
    let resumed = &requests[6];
    assert!(has_resume(resumed), "the new session says it resumes");
    assert_eq!(resumed.playhead(), Some(20));
    assert_eq!(resumed.xdm()["mediaCollection"]["sessionDetails"]["name"], "episode-1");
    assert!(requests[6..].iter().all(|r| r.accepted()), "everything after the resume is accepted");
    let new_id = session.session_id().unwrap();
    assert_ne!(new_id, old_id);
    assert!(requests[7..].iter().all(|r| r.session_id.as_deref() == Some(new_id.as_str())));
    assert_eq!(requests[7].xdm()["mediaCollection"]["chapterDetails"]["friendlyName"], "intro");
    assert_eq!(requests[9].xdm()["mediaCollection"]["advertisingDetails"]["name"], "ad-1");

    let events = seen.lock().unwrap().clone();
    let resumed: Vec<_> = events.iter().filter(|e| e.kind == SessionEventKind::Resumed).collect();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].session_id.as_deref(), Some(new_id.as_str()));
    assert!(resumed[0].message.contains(&old_id), "{}", resumed[0].message);
    let stats = client.stats();
    assert_eq!(stats.sessions_recovered, 1);
    assert_eq!(stats.sessions_started, 2);
    assert_eq!(stats.events_queued, stats.events_sent, "nothing dropped: {stats:?}");
    assert_eq!(session.phase(), Phase::Active);
}

#[test]
fn manual_session_lost_with_404_is_reported_as_lost_and_refuses_more_events() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let seen = record_events(&client);
    let session = client
        .start_manual(&START_XDM.replace("\"mediaCollection\":{", "\"mediaCollection\":{\"playhead\":0,"))
        .unwrap();
    let id = session.wait_session_id(Duration::from_secs(5)).unwrap();
    emulator.expire_session(&id);
    let play = format!(r#"{{"eventType":"media.play","mediaCollection":{{"playhead":5,"sessionID":"{id}"}}}}"#);
    session.send(&play).unwrap();
    flush(&client);

    assert_eq!(session.phase(), Phase::Failed);
    let events = seen.lock().unwrap().clone();
    let lost: Vec<_> = events.iter().filter(|e| e.kind == SessionEventKind::Lost).collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].http_status, 404);
    assert_eq!(session.send(&play).unwrap_err().kind, ErrorKind::SessionFailed);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart", "play"], "no resume for manual sessions");
    assert_eq!(client.stats().sessions_failed, 1);
}

#[test]
fn outage_longer_than_the_backend_idle_timeout_resumes_and_delivers_everything_queued() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client_with(&emulator, "", "");
    let session = client.start_automatic("p1", MovingPlayer::new(10.0), START_XDM).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);

    // 15 minutes of dead network: pings pile up behind the first one, which keeps retrying.
    emulator.push_fault(Fault::drop(None, u32::MAX));
    for _ in 0..90 {
        client.advance_clock(Duration::from_secs(10)).unwrap();
        client.wait_idle(Duration::from_secs(5)).unwrap();
    }
    emulator.clear_faults();
    client.advance_clock(Duration::from_secs(30)).unwrap();
    flush(&client);

    let delivered = delivered(&emulator.media_requests());
    let starts: Vec<_> = delivered.iter().filter(|r| r.action == "sessionStart").collect();
    assert_eq!(starts.len(), 2, "the session was restarted once");
    assert!(has_resume(starts[1]));
    // The resumed session starts at the first event the backend never got (the first ping of
    // the outage) and restores the play state before it.
    let resume_at = delivered.iter().position(has_resume).unwrap();
    assert_eq!(delivered[resume_at + 1].action, "play");
    assert_eq!(delivered[resume_at + 2].action, "ping");
    assert_eq!(offset_s(&delivered[resume_at]), offset_s(&delivered[resume_at + 2]));
    let stats = client.stats();
    assert_eq!(stats.sessions_recovered, 1);
    assert_eq!(stats.events_pending, 0);
    assert_eq!(stats.events_queued, stats.events_sent, "nothing lost: {stats:?}");
    assert!(
        emulator.media_requests().iter().all(|r| r.status != Some(404)),
        "resumed before the backend had to refuse"
    );
}

#[test]
fn session_reaching_24_hours_is_resumed_before_the_backend_refuses_it() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client_with(&emulator, r#","mainPingInterval":50"#, "");
    let seen = record_events(&client);
    let session = client.start_automatic("p1", MovingPlayer::new(50.0), START_XDM).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);
    // One ping interval per step, so delivery keeps up with virtual time as it would with real
    // time (a whole hour at once would find every ping an hour late).
    for _ in 0..(24 * 72 + 12) {
        client.advance_clock(Duration::from_secs(50)).unwrap();
        client.wait_idle(Duration::from_secs(5)).unwrap();
    }
    flush(&client);
    let requests = emulator.media_requests();
    assert!(requests.iter().all(|r| r.accepted()), "no request refused");
    let resumes: Vec<_> = requests.iter().filter(|r| has_resume(r)).collect();
    assert_eq!(resumes.len(), 1);
    let at = offset_s(resumes[0]) / 3600.0;
    assert!((23.9..24.0).contains(&at), "resumed at {at} h");
    assert!(seen.lock().unwrap().iter().any(|e| e.kind == SessionEventKind::Resumed));
    assert_eq!(client.stats().sessions_recovered, 1);
}
