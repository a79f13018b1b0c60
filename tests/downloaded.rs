//! Downloaded sessions (offline playback): recorded while the media plays, sent whole once they
//! end, several per request, to the `downloaded` endpoint; retried until accepted, across a
//! device offline for the whole session and across a restart; a 207 or 400 refusing them is
//! counted with Adobe's reason.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use mediaedge::{Client, ClockChoice, ErrorKind, Phase, SessionEventKind};
use mediaedge_emulator::{Emulator, Fault, Recorded};
use serde_json::json;

const START: &str = r#"{"_id":"start-1","mediaCollection":{"playhead":0,"sessionDetails":{"name":"flight-movie","length":5400,"contentType":"vod"}}}"#;

fn at(event: &str, playhead: i64, ms: i64) -> String {
    let t = START_MS + ms;
    let (secs, milli) = (t / 1000, t % 1000);
    // 2026-11-28T00:00:00Z plus the offset, for a manual clock that did not move.
    let offset = secs - START_MS / 1000;
    format!(
        r#"{{"eventType":"media.{event}","timestamp":"2026-11-28T00:{:02}:{:02}.{milli:03}Z","mediaCollection":{{"playhead":{playhead}}}}}"#,
        offset / 60,
        offset % 60
    )
}

fn downloaded_requests(emulator: &Emulator) -> Vec<Recorded> {
    emulator.media_requests().into_iter().filter(|r| r.action == "downloaded").collect()
}

fn client_with(emulator: &Emulator, native: &str) -> Client {
    Client::with_clock(&config_json(emulator, "", native), ClockChoice::Manual { start_unix_ms: START_MS }).unwrap()
}

#[test]
fn a_downloaded_session_sends_nothing_while_it_plays_then_goes_whole() {
    let emulator = Emulator::start().unwrap();
    let text = format!(
        r#"{{"datastreamId":"ds-test","identityMap":{{"Email":[{{"id":"v@example.com","primary":true}}]}},
            "streamingMedia":{{"channel":"c","playerName":"p"}},"native":{{"edgeBaseUrl":"{}"}}}}"#,
        emulator.base_url()
    );
    let client = Client::with_clock(&text, ClockChoice::Manual { start_unix_ms: START_MS }).unwrap();
    let session = client.start_downloaded(START).unwrap();
    assert_eq!(session.phase(), Phase::Active);
    assert_eq!(session.session_id().unwrap_err().kind, ErrorKind::WrongState);
    session.send(&at("play", 0, 1_000)).unwrap();
    session.send(&at("ping", 50, 51_000)).unwrap();
    session.send(&at("pauseStart", 60, 61_000)).unwrap();
    // A session ID is Adobe's to give: refused with the path.
    let e =
        session.send(r#"{"eventType":"media.play","mediaCollection":{"playhead":61,"sessionID":"x"}}"#).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidEvent);
    assert!(e.message.starts_with("mediaCollection.sessionID: a downloaded session has none"), "{}", e.message);
    // Nothing goes out while it plays, and flush does not wait for it.
    flush(&client);
    assert!(emulator.media_requests().is_empty(), "sent while playing");
    session.send(&at("sessionComplete", 5400, 90_000)).unwrap();
    flush(&client);

    let requests = downloaded_requests(&emulator);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, Some(200));
    let sessions = emulator.downloaded_sessions();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s.actions(), ["sessionStart", "play", "ping", "pauseStart", "sessionComplete"]);
    let element = &requests[0].body["events"][0]["xdm"];
    assert_eq!(element["eventType"], json!("media.downloaded"));
    assert_eq!(element["_id"], json!("start-1"), "the element is the sessionStart's, the same on every retry");
    assert_eq!(element["identityMap"]["Email"][0]["id"], json!("v@example.com"));
    assert_eq!(element["implementationDetails"]["name"], json!("urn:mediaedge:native"));
    let entries = element["mediaDownloadedEvents"].as_array().unwrap();
    assert_eq!(entries[2]["mediaEventTimestamp"], json!("2026-11-28T00:00:51.000Z"));
    assert_eq!(entries[2]["mediaCollection"]["playhead"], json!(50));
    assert!(entries.iter().all(|e| e["mediaCollection"].get("sessionID").is_none()));
    assert_eq!(entries[0]["mediaCollection"]["sessionDetails"]["playerName"], json!("p"), "the defaults apply");
    let stats = client.stats();
    assert_eq!((stats.downloaded_sessions_sent, stats.events_sent, stats.requests_answered), (1, 5, 1));
    assert_eq!(session.phase(), Phase::Ended);
}

#[test]
fn finished_sessions_are_batched_sixteen_to_a_request() {
    let emulator = Emulator::start().unwrap();
    let client = Client::with_clock(
        &format!(
            r#"{{"datastreamId":"ds-test","defaultConsent":"pending","streamingMedia":{{"channel":"c","playerName":"p"}},
                "native":{{"edgeBaseUrl":"{}"}}}}"#,
            emulator.base_url()
        ),
        ClockChoice::Manual { start_unix_ms: START_MS },
    )
    .unwrap();
    for _ in 0..20 {
        let session = client.start_downloaded(START).unwrap();
        session.send(&at("play", 0, 1_000)).unwrap();
        session.send(&at("sessionEnd", 30, 31_000)).unwrap();
    }
    client.set_consent(mediaedge::Consent::In);
    flush(&client);
    let requests = downloaded_requests(&emulator);
    let per_request: Vec<usize> = requests.iter().map(|r| r.body["events"].as_array().map_or(0, Vec::len)).collect();
    assert_eq!(per_request, [16, 4]);
    assert_eq!(emulator.downloaded_sessions().len(), 20);
    assert_eq!(client.stats().downloaded_sessions_sent, 20);
}

#[test]
fn a_device_offline_for_the_whole_session_sends_it_when_back_and_after_a_restart() {
    let emulator = Emulator::start().unwrap();
    emulator.push_fault(Fault::status(None, 503, 1000));
    // Retried, never given up for time: far past maxRetryDurationMs.
    let client = client_with(&emulator, r#","maxRetryDurationMs":60000"#);
    let session = client.start_downloaded(START).unwrap();
    session.send(&at("play", 0, 1_000)).unwrap();
    session.send(&at("sessionComplete", 5400, 90_000)).unwrap();
    for attempt in 1..=12 {
        // Past the longest backoff (30 s), until the next attempt is made (the retry is armed
        // when the answer is read, which may come after an advance).
        for _ in 0..1000 {
            if emulator.media_requests().len() >= attempt {
                break;
            }
            client.advance_clock(Duration::from_secs(31)).unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    assert!(downloaded_requests(&emulator).len() >= 12, "retried while offline");
    assert_eq!(client.stats().downloaded_sessions_sent, 0);
    emulator.clear_faults();
    // The last answer read (its retry armed) before the clock moves past the retry.
    client.wait_idle(Duration::from_secs(10)).unwrap();
    client.advance_clock(Duration::from_secs(31)).unwrap();
    flush(&client);
    assert_eq!(emulator.downloaded_sessions().len(), 1);
    let tried: Vec<String> = downloaded_requests(&emulator).iter().map(|r| r.request_id.clone().unwrap()).collect();
    assert!(tried.windows(2).all(|w| w[0] == w[1]), "one request ID for every attempt");
    drop(session);
    drop(client);

    // Across a restart: recorded and ended on one client, offline; sent by the next.
    let emulator = Emulator::start().unwrap();
    emulator.push_fault(Fault::status(None, 503, 1000));
    let dir = std::env::temp_dir().join(format!("mediaedge-downloaded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let native = format!(r#","storageDir":{},"shutdownTimeoutMs":0"#, serde_json::to_string(&dir).unwrap());
    let first = client_with(&emulator, &native);
    let session = first.start_downloaded(START).unwrap();
    session.send(&at("play", 0, 1_000)).unwrap();
    session.send(&at("pauseStart", 12, 13_000)).unwrap();
    // The app is closed mid-movie: freeing the session ends it (sessionEnd at its last playhead).
    drop(session);
    emulator.wait_for_requests(1, Duration::from_secs(10));
    drop(first);
    emulator.clear_faults();
    let second = client_with(&emulator, &native);
    flush(&second);
    let sessions = emulator.downloaded_sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].actions(), ["sessionStart", "play", "pauseStart", "sessionEnd"]);
    assert_eq!(sessions[0].events[3]["mediaCollection"]["playhead"], json!(12));
    assert_eq!(second.stats().events_replayed, 4);
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_207_refuses_what_it_names_and_a_400_refuses_all_with_the_reason() {
    let emulator = Emulator::start().unwrap();
    let client = client_with(&emulator, "");
    let failures = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&failures);
    client
        .set_listener(Some(Arc::new(move |e: &mediaedge::SessionEvent| {
            if e.kind == SessionEventKind::Failed {
                seen.lock().unwrap().push((e.session_key, e.http_status, e.count, e.message.clone()));
            }
        })))
        .unwrap();
    emulator.push_fault(
        Fault::status(Some("downloaded"), 207, 1).with_body(json!({"errors": [{"title": "Invalid downloaded session",
            "status": 400, "detail": "mediaCollection.playhead is wrong", "report": {"eventIndex": 1}}]})),
    );
    client.set_consent(mediaedge::Consent::Pending);
    let sessions: Vec<_> = (0..2)
        .map(|_| {
            let s = client.start_downloaded(START).unwrap();
            s.send(&at("sessionEnd", 3, 3_000)).unwrap();
            s
        })
        .collect();
    client.set_consent(mediaedge::Consent::In);
    flush(&client);
    let stats = client.stats();
    assert_eq!((stats.downloaded_sessions_sent, stats.downloaded_sessions_refused), (1, 1));
    assert_eq!((stats.events_sent, stats.dropped_rejected), (2, 2));
    let refused = failures.lock().unwrap().clone();
    assert_eq!(refused.len(), 1);
    assert_eq!((refused[0].0, refused[0].1, refused[0].2), (sessions[1].key(), 207, 2));
    assert!(
        refused[0].3.contains("Invalid downloaded session (mediaCollection.playhead is wrong)"),
        "{}",
        refused[0].3
    );
    assert_eq!(sessions[0].phase(), Phase::Ended);
    assert_eq!(sessions[1].phase(), Phase::Failed);

    emulator.push_fault(
        Fault::status(Some("downloaded"), 400, 1)
            .with_body(json!({"title": "Invalid request", "detail": "schema validation failed"})),
    );
    let third = client.start_downloaded(START).unwrap();
    third.send(&at("sessionEnd", 3, 3_000)).unwrap();
    flush(&client);
    assert_eq!(client.stats().downloaded_sessions_refused, 2);
    assert!(failures.lock().unwrap()[1].3.contains("HTTP 400: Invalid request (schema validation failed)"));
}

#[test]
fn a_downloaded_content_tracker_records_pings_every_50_s_and_sends_the_session_whole() {
    use mediaedge::tracker::{MediaInfo, MediaType, Metadata};
    let emulator = Emulator::start().unwrap();
    let client = client_with(&emulator, "");
    let bad = client.create_tracker(Some(r#"{"downloadedContent":"yes"}"#)).err().unwrap();
    assert_eq!(bad.message, "downloadedContent: expected true or false, got \"yes\"");
    let tracker = client.create_tracker(Some(r#"{"downloadedContent":true}"#)).unwrap();
    let media = MediaInfo::new("m-1", "Flight movie", 600.0, "vod", MediaType::Video).unwrap();
    tracker.track_session_start(&media, &Metadata::new()).unwrap();
    tracker.track_play().unwrap();
    for second in 1..=120 {
        tracker.update_playhead(second as f64).unwrap();
        client.advance_clock(Duration::from_secs(1)).unwrap();
    }
    assert!(emulator.media_requests().is_empty(), "nothing sent while it plays");
    assert_eq!(tracker.session_id(), None, "Adobe assigns the ID when it is sent");
    tracker.track_complete().unwrap();
    flush(&client);
    let sessions = emulator.downloaded_sessions();
    assert_eq!(sessions.len(), 1);
    // The second play is the rules' content start (one second in), as online.
    assert_eq!(sessions[0].actions(), ["sessionStart", "play", "play", "ping", "ping", "sessionComplete"]);
    let playheads: Vec<i64> =
        sessions[0].events.iter().map(|e| e["mediaCollection"]["playhead"].as_i64().unwrap()).collect();
    assert_eq!(playheads, [0, 0, 1, 51, 101, 120], "a ping 50 s after the last event, each with its playhead");
    assert_eq!(sessions[0].events[3]["timestamp"], json!("2026-11-28T00:00:51.000Z"));
}

#[test]
fn consent_out_drops_downloaded_sessions_playing_or_waiting_and_leaves_nothing_pending() {
    let emulator = Emulator::start().unwrap();
    let client = client_with(&emulator, "");
    client.set_consent(mediaedge::Consent::Pending);
    let playing = client.start_downloaded(START).unwrap();
    playing.send(&at("play", 0, 1_000)).unwrap();
    let ended = client.start_downloaded(START).unwrap();
    ended.send(&at("sessionEnd", 3, 3_000)).unwrap();
    client.set_consent(mediaedge::Consent::Out);
    let stats = client.stats();
    assert_eq!((stats.events_queued, stats.dropped_consent, stats.events_pending), (4, 4, 0));
    assert_eq!((playing.phase(), ended.phase()), (Phase::Failed, Phase::Failed));
    client.set_consent(mediaedge::Consent::In);
    flush(&client);
    assert!(emulator.media_requests().is_empty());
}
