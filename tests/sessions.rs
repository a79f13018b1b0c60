//! Automatic and manual sessions end to end against the emulator, in virtual time.

mod common;

use std::time::Duration;

use common::*;
use mediaedge::{ErrorKind, Phase, SessionEventKind};
use mediaedge_emulator::Emulator;

#[test]
fn automatic_start_gets_defaults_rounded_playhead_and_session_id_on_later_events() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let player = Player::new();
    player.set(0.4);
    let session = client.start_automatic("p1", player.clone(), START_XDM).unwrap();
    player.set(12.6);
    session.send(&event("play")).unwrap();
    flush(&client);

    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "play"]);
    let start = &requests[0];
    assert_eq!(start.status, Some(200));
    let details = &start.xdm()["mediaCollection"]["sessionDetails"];
    assert_eq!(details["playerName"], "test-player");
    assert_eq!(details["channel"], "test-channel");
    assert_eq!(details["appVersion"], "9.9");
    assert_eq!(details["hasResume"], false, "said on every start that is not a resume, as Adobe's SDKs do");
    assert_eq!(start.playhead(), Some(0));
    assert_eq!(start.config_id.as_deref(), Some("ds-test"));
    let id = session.session_id().unwrap();
    assert_eq!(start.session_id.as_deref(), Some(id.as_str()));
    assert_eq!(requests[1].playhead(), Some(13));
    assert_eq!(requests[1].xdm()["mediaCollection"]["sessionID"], id.as_str());
    assert_eq!(requests[1].status, Some(204));
    assert_eq!(player.calls(), 2, "the callback is asked once per event");
}

#[test]
fn a_start_the_caller_marks_as_resumed_keeps_has_resume_true() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let resumed = START_XDM.replace(r#""name":"episode-1""#, r#""name":"episode-1","hasResume":true"#);
    let _session = client.start_automatic("p1", Player::new(), &resumed).unwrap();
    flush(&client);
    assert_eq!(emulator.media_requests()[0].xdm()["mediaCollection"]["sessionDetails"]["hasResume"], true);
}

#[test]
fn a_playhead_in_an_automatic_event_wins_over_the_callbacks() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let player = Player::new();
    player.set(10.0);
    *player.bitrate.lock().unwrap() = Some(3000.0);
    let session = client.start_automatic("p1", player.clone(), START_XDM).unwrap();
    session.send(r#"{"eventType":"media.play","mediaCollection":{"playhead":41.6}}"#).unwrap();
    session.send(&event("pauseStart")).unwrap();
    let refused = session.send(r#"{"eventType":"media.play","mediaCollection":{"playhead":"soon"}}"#).unwrap_err();
    assert_eq!(refused.kind, ErrorKind::InvalidEvent);
    assert!(refused.message.contains("mediaCollection.playhead"), "{}", refused.message);
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "play", "pauseStart"]);
    assert_eq!(requests[1].playhead(), Some(42), "the caller's playhead, rounded");
    assert_eq!(
        requests[1].xdm()["mediaCollection"]["qoeDataDetails"]["bitrate"],
        3000,
        "the callback's QoE still comes"
    );
    assert_eq!(requests[2].playhead(), Some(10), "without one, the callback's");
}

#[test]
fn first_ping_comes_main_interval_after_the_start_response() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let player = Player::new();
    let _session = client.start_automatic("p1", player.clone(), START_XDM).unwrap();
    flush(&client);
    client.advance_clock(Duration::from_millis(9_999)).unwrap();
    flush(&client);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart"]);
    player.set(10.0);
    client.advance_clock(Duration::from_millis(1)).unwrap();
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "ping"]);
    assert_eq!(offset_s(&requests[1]), 10.0);
    assert_eq!(requests[1].playhead(), Some(10));
}

#[test]
fn every_event_rearms_the_ping_timer() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    client.advance_clock(Duration::from_secs(6)).unwrap();
    session.send(&event("play")).unwrap();
    client.advance_clock(Duration::from_secs(9)).unwrap();
    flush(&client);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart", "play"]);
    client.advance_clock(Duration::from_secs(1)).unwrap();
    client.advance_clock(Duration::from_secs(20)).unwrap();
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "play", "ping", "ping", "ping"]);
    let offsets: Vec<f64> = requests.iter().map(offset_s).collect();
    assert_eq!(offsets, [0.0, 6.0, 16.0, 26.0, 36.0]);
}

#[test]
fn ping_interval_switches_to_ad_interval_from_ad_break_start_until_ad_break_complete() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client_with(&emulator, r#","mainPingInterval":20,"adPingInterval":2"#, "");
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    session
        .send(
            r#"{"eventType":"media.adBreakStart","mediaCollection":{"advertisingPodDetails":{"index":1,"offset":0}}}"#,
        )
        .unwrap();
    client.advance_clock(Duration::from_secs(5)).unwrap();
    session.send(r#"{"eventType":"media.adStart","mediaCollection":{"advertisingDetails":{"name":"ad1","length":15,"podPosition":1}}}"#).unwrap();
    client.advance_clock(Duration::from_secs(3)).unwrap();
    session.send(&event("adComplete")).unwrap();
    session.send(&event("adBreakComplete")).unwrap();
    client.advance_clock(Duration::from_secs(25)).unwrap();
    flush(&client);
    let requests = emulator.media_requests();
    let got: Vec<(String, f64)> = requests.iter().map(|r| (r.action.clone(), offset_s(r))).collect();
    let want: Vec<(String, f64)> = [
        ("sessionStart", 0.0),
        ("adBreakStart", 0.0),
        ("ping", 2.0),
        ("ping", 4.0),
        ("adStart", 5.0),
        ("ping", 7.0),
        ("adComplete", 8.0),
        ("adBreakComplete", 8.0),
        ("ping", 28.0),
    ]
    .iter()
    .map(|(a, t)| (a.to_string(), *t))
    .collect();
    assert_eq!(got, want);
    assert!(requests[6].xdm()["mediaCollection"]["advertisingDetails"].is_null(), "adComplete carries no ad details");
    assert_eq!(requests[4].xdm()["mediaCollection"]["advertisingDetails"]["playerName"], "test-player");
}

#[test]
fn no_pings_after_session_end_or_complete() {
    for end in ["sessionEnd", "sessionComplete"] {
        let emulator = Emulator::start().unwrap();
        let client = manual_client(&emulator);
        let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
        flush(&client);
        session.send(&event(end)).unwrap();
        client.advance_clock(Duration::from_secs(120)).unwrap();
        flush(&client);
        assert_eq!(actions(&emulator.media_requests()), ["sessionStart", end]);
        let err = session.send(&event("play")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::SessionEnded);
        assert_eq!(session.phase(), Phase::Ended);
    }
}

#[test]
fn manual_sessions_are_never_pinged_and_use_the_callers_playhead_and_id() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client
        .start_manual(
            r#"{"mediaCollection":{"playhead":0,"sessionDetails":{"name":"m","length":60,"contentType":"VOD"}}}"#,
        )
        .unwrap();
    let id = session.wait_session_id(Duration::from_secs(5)).unwrap();
    session
        .send(&format!(r#"{{"eventType":"media.play","mediaCollection":{{"playhead":7,"sessionID":"{id}"}}}}"#))
        .unwrap();
    let wrong =
        session.send(r#"{"eventType":"media.play","mediaCollection":{"playhead":7,"sessionID":"other"}}"#).unwrap_err();
    assert_eq!(wrong.kind, ErrorKind::InvalidEvent);
    assert!(wrong.message.contains("mediaCollection.sessionID"), "{}", wrong.message);
    let no_playhead =
        session.send(&format!(r#"{{"eventType":"media.play","mediaCollection":{{"sessionID":"{id}"}}}}"#)).unwrap_err();
    assert_eq!(no_playhead.message, "mediaCollection.playhead: required");
    client.advance_clock(Duration::from_secs(300)).unwrap();
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "play"]);
    assert_eq!(requests[1].playhead(), Some(7));
}

#[test]
fn manual_send_before_the_session_id_is_known_is_refused() {
    let emulator = Emulator::start().unwrap();
    emulator.push_fault(mediaedge_emulator::Fault::delay(Some("sessionStart"), Duration::from_millis(300), 1));
    let client = manual_client(&emulator);
    let session = client
        .start_manual(
            r#"{"mediaCollection":{"playhead":0,"sessionDetails":{"name":"m","length":60,"contentType":"VOD"}}}"#,
        )
        .unwrap();
    assert_eq!(session.session_id().unwrap_err().kind, ErrorKind::NotReady);
    let err =
        session.send(r#"{"eventType":"media.play","mediaCollection":{"playhead":1,"sessionID":"guess"}}"#).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotReady);
    assert!(session.wait_session_id(Duration::from_secs(5)).is_ok());
}

#[test]
fn events_made_before_the_session_id_keep_call_order_and_call_time_timestamps() {
    let emulator = Emulator::start().unwrap();
    emulator.push_fault(mediaedge_emulator::Fault::delay(Some("sessionStart"), Duration::from_millis(300), 1));
    let client = manual_client(&emulator);
    let player = Player::new();
    let session = client.start_automatic("p1", player.clone(), START_XDM).unwrap();
    for (i, action) in ["play", "pauseStart", "play", "bufferStart", "play"].iter().enumerate() {
        client.advance_clock(Duration::from_secs(1)).unwrap();
        player.set((i + 1) as f64);
        session.send(&event(action)).unwrap();
    }
    assert_eq!(session.phase(), Phase::Starting, "the start response is still delayed");
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "play", "pauseStart", "play", "bufferStart", "play"]);
    let offsets: Vec<f64> = requests.iter().map(offset_s).collect();
    assert_eq!(offsets, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let playheads: Vec<i64> = requests.iter().map(|r| r.playhead().unwrap()).collect();
    assert_eq!(playheads, [0, 1, 2, 3, 4, 5]);
    assert!(requests.iter().all(|r| r.status == Some(200) || r.status == Some(204)));
}

#[test]
fn send_by_player_id_reaches_the_live_automatic_session() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("living-room", Player::new(), START_XDM).unwrap();
    client.send_by_player("living-room", &event("play")).unwrap();
    assert_eq!(client.send_by_player("kitchen", &event("play")).unwrap_err().kind, ErrorKind::UnknownPlayer);
    let dup = client.start_automatic("living-room", Player::new(), START_XDM).err().unwrap();
    assert_eq!(dup.kind, ErrorKind::PlayerIdInUse);
    session.send(&event("sessionEnd")).unwrap();
    // The id is free again once the session has ended.
    let again = client.start_automatic("living-room", Player::new(), START_XDM).unwrap();
    flush(&client);
    let requests = emulator.media_requests();
    let first_id = session.session_id().unwrap();
    let of_first: Vec<_> =
        requests.iter().filter(|r| r.session_id.as_deref() == Some(first_id.as_str())).cloned().collect();
    assert_eq!(actions(&of_first), ["sessionStart", "play", "sessionEnd"]);
    assert_ne!(again.session_id().unwrap(), first_id);
    assert_eq!(requests.len(), 4);
}

#[test]
fn freeing_a_live_session_ends_it_at_the_last_playhead() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let player = Player::new();
    let session = client.start_automatic("p1", player.clone(), START_XDM).unwrap();
    player.set(42.0);
    session.send(&event("play")).unwrap();
    drop(session);
    client.advance_clock(Duration::from_secs(60)).unwrap();
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "play", "sessionEnd"]);
    assert_eq!(requests[2].playhead(), Some(42));
    assert!(!emulator.session_open(requests[0].session_id.as_deref().unwrap()));
}

#[test]
fn later_requests_carry_the_location_hint() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    // Playing, so the backend does not close the session for a stalled playhead in 30 minutes.
    let session = client.start_automatic("p1", MovingPlayer::new(10.0), START_XDM).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(requests[0].path, "/ee/va/v1/sessionStart");
    assert_eq!(requests[1].path, "/ee/or2/va/v1/play");
    // The hint expires with its TTL (1800 s in the emulator).
    client.advance_clock(Duration::from_secs(1801)).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);
    assert_eq!(emulator.media_requests().last().unwrap().path, "/ee/va/v1/play");
}

#[test]
fn the_callers_location_hint_and_the_backends_replace_each_other_the_last_wins() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    client.set_location_hint(Some("va6")).unwrap();
    assert_eq!(client.location_hint().as_deref(), Some("va6"));
    let session = client.start_automatic("p1", MovingPlayer::new(10.0), START_XDM).unwrap();
    flush(&client);
    assert_eq!(client.location_hint().as_deref(), Some("or2"), "the sessionStart answer named a region: it wins");
    session.send(&event("play")).unwrap();
    flush(&client);
    client.set_location_hint(Some("irl1")).unwrap();
    session.send(&event("pauseStart")).unwrap();
    flush(&client);
    // The caller's hint has no TTL of its own: it outlives the backend's 1800 s.
    client.advance_clock(Duration::from_secs(1801)).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);
    client.set_location_hint(None).unwrap();
    assert_eq!(client.location_hint(), None);
    session.send(&event("pauseStart")).unwrap();
    flush(&client);
    let paths: Vec<String> = emulator.media_requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths[0], "/ee/va6/va/v1/sessionStart", "the caller's hint goes on the first request");
    assert_eq!(paths[1], "/ee/or2/va/v1/play");
    assert_eq!(paths[2], "/ee/irl1/va/v1/pauseStart", "then the caller's, given after the backend's");
    assert_eq!(paths[paths.len() - 2], "/ee/irl1/va/v1/play");
    assert_eq!(paths[paths.len() - 1], "/ee/va/v1/pauseStart", "cleared");
}

#[test]
fn a_location_hint_that_cannot_go_into_a_path_is_refused() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    client.set_location_hint(Some("or2")).unwrap();
    for bad in ["or2/../x", "a b", "é", &"x".repeat(65)] {
        let error = client.set_location_hint(Some(bad)).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidArgument, "{bad}");
        assert!(error.message.starts_with("hint: "), "{}", error.message);
    }
    assert_eq!(client.location_hint().as_deref(), Some("or2"), "a refused hint changes nothing");
    client.set_location_hint(Some("")).unwrap();
    assert_eq!(client.location_hint(), None, "\"\" clears it, as NULL does in C");
}

#[test]
fn session_events_report_start_and_end() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let seen = record_events(&client);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(&event("sessionComplete")).unwrap();
    flush(&client);
    let seen = seen.lock().unwrap().clone();
    let kinds: Vec<SessionEventKind> = seen.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [SessionEventKind::Started, SessionEventKind::Ended]);
    assert_eq!(seen[0].session_id.as_deref(), Some(session.session_id().unwrap().as_str()));
    assert_eq!(seen[0].player_id.as_deref(), Some("p1"));
    assert_eq!(seen[0].session_key, session.key());
}

#[test]
fn debug_logs_summarise_each_request_without_the_query_string() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = lines.clone();
    client
        .set_logger(
            mediaedge::log::Level::Debug,
            Some(std::sync::Arc::new(move |_level, message: &str| sink.lock().unwrap().push(message.to_string()))),
        )
        .unwrap();
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);
    let lines = lines.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("POST http://127.0.0.1:") && l.contains("/ee/va/v1/sessionStart -> 200 in ")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("/ee/or2/va/v1/play -> 204 in ")), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains("configId")), "no datastream id in logs: {lines:?}");
}
