//! The tracker API end to end, in virtual time: each scenario asserts the exact ordered events
//! (type, playhead, seconds since the start) the emulator received.

mod common;

use std::time::Duration;

use common::*;
use mediaedge::tracker::{AdBreakInfo, AdInfo, Call, ChapterInfo, MediaInfo, MediaType, Metadata, QoeInfo, StateInfo};
use mediaedge::{Client, ErrorKind, SessionEventKind, Tracker};
use mediaedge_emulator::Emulator;

struct Run {
    emulator: Emulator,
    client: Client,
    tracker: Tracker,
    now_ms: u64,
}

fn media(preroll_ms: u64) -> MediaInfo {
    let mut media = MediaInfo::new("media-1", "Episode 1", 120.0, "vod", MediaType::Video).unwrap();
    media.preroll_waiting_ms = preroll_ms;
    media
}

impl Run {
    fn new() -> Run {
        Run::with(None, "")
    }

    fn with(tracker_config: Option<&str>, streaming_extra: &str) -> Run {
        let emulator = Emulator::start().unwrap();
        let client = manual_client_with(&emulator, streaming_extra, "");
        let tracker = client.create_tracker(tracker_config).unwrap();
        Run { emulator, client, tracker, now_ms: 0 }
    }

    fn start(&self, preroll_ms: u64) {
        self.tracker.track_session_start(&media(preroll_ms), &Metadata::new()).unwrap();
    }

    /// Moves virtual time to `seconds` after the start, in steps of at most a second. When
    /// `playing` (with the playhead `offset` seconds behind the clock), the player reports the
    /// playhead each step, as players do about once a second: the position it will have at the
    /// end of the step, so that what falls due then carries it.
    fn run_to(&mut self, seconds: f64, playing: Option<f64>) {
        let target = (seconds * 1000.0).round() as u64;
        while self.now_ms < target {
            let step = (target - self.now_ms).min(1000);
            if let Some(offset) = playing {
                self.tracker.update_playhead((self.now_ms + step) as f64 / 1000.0 - offset).unwrap();
            }
            self.client.advance_clock(Duration::from_millis(step)).unwrap();
            self.now_ms += step;
            self.client.wait_idle(Duration::from_secs(5)).unwrap();
        }
    }

    fn wait(&mut self, seconds: f64) {
        self.run_to(seconds, None);
    }

    /// (action, playhead, seconds since start) of every request, in order.
    fn sent(&self) -> Vec<(String, i64, f64)> {
        flush(&self.client);
        self.emulator
            .media_requests()
            .iter()
            .map(|r| {
                assert!(r.accepted(), "refused: {}", r.timeline_line());
                (r.action.clone(), r.playhead().unwrap(), offset_s(r))
            })
            .collect()
    }
}

fn ev(action: &str, playhead: i64, at: f64) -> (String, i64, f64) {
    (action.to_string(), playhead, at)
}

#[test]
fn simple_playback_to_complete_sends_content_start_and_pings() {
    let mut run = Run::new();
    run.start(0);
    run.tracker.track_play().unwrap();
    run.run_to(25.0, Some(0.0));
    run.tracker.track_complete().unwrap();
    assert_eq!(
        run.sent(),
        [
            ev("sessionStart", 0, 0.0),
            ev("play", 0, 0.0),
            ev("play", 1, 1.0), // content start: a second of main content
            ev("ping", 11, 11.0),
            ev("ping", 21, 21.0),
            ev("sessionComplete", 25, 25.0),
        ]
    );
}

#[test]
fn pause_and_resume_pings_during_a_long_pause() {
    let mut run = Run::new();
    run.start(0);
    run.tracker.track_play().unwrap();
    run.run_to(5.0, Some(0.0));
    run.tracker.track_pause().unwrap();
    run.wait(40.0);
    run.tracker.track_play().unwrap();
    run.run_to(42.0, Some(35.0));
    run.tracker.track_session_end().unwrap();
    assert_eq!(
        run.sent(),
        [
            ev("sessionStart", 0, 0.0),
            ev("play", 0, 0.0),
            ev("play", 1, 1.0),
            ev("pauseStart", 5, 5.0),
            ev("ping", 5, 15.0),
            ev("ping", 5, 25.0),
            ev("ping", 5, 35.0),
            ev("play", 5, 40.0),
            ev("sessionEnd", 7, 42.0),
        ]
    );
}

#[test]
fn buffering_and_seeking_map_to_buffer_start_and_pause_start_and_end_with_the_next_state() {
    let mut run = Run::new();
    run.start(0);
    run.tracker.track_play().unwrap();
    run.run_to(3.0, Some(0.0));
    run.tracker.track(Call::BufferStart).unwrap();
    assert_eq!(run.tracker.track_pause().unwrap_err().kind, ErrorKind::RuleViolation, "no pause while buffering");
    run.wait(5.0);
    run.tracker.track(Call::BufferComplete).unwrap();
    run.tracker.track(Call::SeekStart).unwrap();
    run.tracker.update_playhead(60.0).unwrap();
    run.tracker.track(Call::SeekComplete).unwrap();
    run.run_to(7.0, Some(-55.0));
    run.tracker.track_session_end().unwrap();
    assert_eq!(
        run.sent(),
        [
            ev("sessionStart", 0, 0.0),
            ev("play", 0, 0.0),
            ev("play", 1, 1.0),
            ev("bufferStart", 3, 3.0),
            ev("play", 3, 5.0), // buffer complete: no event of its own, the next state implies it
            ev("pauseStart", 3, 5.0), // seek start: seeking reports as paused
            ev("play", 60, 5.0), // seek complete
            ev("sessionEnd", 62, 7.0),
        ]
    );
}

#[test]
fn chapters_with_skips_and_implicit_closes() {
    let mut run = Run::new();
    run.start(0);
    let chapter = |n: i64| ChapterInfo::new(&format!("chapter-{n}"), n, (n - 1) as f64 * 10.0, 10.0).unwrap();
    run.tracker.track(Call::ChapterStart(chapter(1), Metadata::new())).unwrap();
    run.tracker.track_play().unwrap();
    run.run_to(2.0, Some(0.0));
    let duplicate = run.tracker.track(Call::ChapterStart(chapter(1), Metadata::new())).unwrap_err();
    assert_eq!(duplicate.kind, ErrorKind::RuleViolation);
    assert!(duplicate.message.contains("already running"), "{}", duplicate.message);
    run.tracker.track(Call::ChapterStart(chapter(2), Metadata::new())).unwrap(); // skips chapter 1
    run.run_to(4.0, Some(0.0));
    run.tracker.track(Call::ChapterSkip).unwrap();
    assert_eq!(run.tracker.track(Call::ChapterComplete).unwrap_err().kind, ErrorKind::RuleViolation);
    run.tracker.track(Call::ChapterStart(chapter(3), Metadata::new())).unwrap();
    run.tracker.track(Call::ChapterComplete).unwrap();
    run.tracker.track(Call::ChapterStart(chapter(4), Metadata::new())).unwrap();
    run.tracker.track_complete().unwrap(); // skips chapter 4
    let sent = run.sent();
    let actions: Vec<&str> = sent.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "sessionStart",
            "chapterStart",
            "play",
            "play",
            "chapterSkip",
            "chapterStart",
            "chapterSkip",
            "chapterStart",
            "chapterComplete",
            "chapterStart",
            "chapterSkip",
            "sessionComplete"
        ]
    );
    let chapters: Vec<i64> = run
        .emulator
        .media_requests()
        .iter()
        .filter(|r| r.action == "chapterStart")
        .map(|r| r.xdm()["mediaCollection"]["chapterDetails"]["index"].as_i64().unwrap())
        .collect();
    assert_eq!(chapters, [1, 2, 3, 4]);
}

#[test]
fn player_states_start_and_end_with_a_limit_of_ten_distinct_states() {
    let run = Run::new();
    run.start(0);
    run.tracker.track_play().unwrap();
    let state = |name: &str| StateInfo::new(name).unwrap();
    run.tracker.track(Call::StateStart(state("fullscreen"))).unwrap();
    assert!(run.tracker.track(Call::StateStart(state("fullscreen"))).unwrap_err().message.contains("already started"));
    run.tracker.track(Call::StateEnd(state("fullscreen"))).unwrap();
    assert!(run.tracker.track(Call::StateEnd(state("fullscreen"))).unwrap_err().message.contains("not started"));
    for i in 1..10 {
        run.tracker.track(Call::StateStart(state(&format!("s{i}")))).unwrap();
    }
    let limit = run.tracker.track(Call::StateStart(state("eleventh"))).unwrap_err();
    assert_eq!(limit.kind, ErrorKind::RuleViolation);
    assert!(limit.message.contains("at most 10"), "{}", limit.message);
    // A state seen before still counts as one of the ten: it may start again.
    run.tracker.track(Call::StateStart(state("fullscreen"))).unwrap();
    run.tracker.track_session_end().unwrap();
    let requests = run.emulator.media_requests();
    flush(&run.client);
    let states: Vec<String> = run
        .emulator
        .media_requests()
        .iter()
        .filter(|r| r.action == "statesUpdate")
        .map(|r| {
            let m = &r.xdm()["mediaCollection"];
            match (m.get("statesStart"), m.get("statesEnd")) {
                (Some(s), _) => format!("+{}", s[0]["name"].as_str().unwrap()),
                (_, Some(e)) => format!("-{}", e[0]["name"].as_str().unwrap()),
                _ => unreachable!(),
            }
        })
        .collect();
    drop(requests);
    assert_eq!(
        states,
        ["+fullscreen", "-fullscreen", "+s1", "+s2", "+s3", "+s4", "+s5", "+s6", "+s7", "+s8", "+s9", "+fullscreen"]
    );
}

#[test]
fn errors_are_sent_with_the_player_as_source() {
    let mut run = Run::new();
    run.start(0);
    run.tracker.track_play().unwrap();
    run.run_to(2.0, Some(0.0));
    run.tracker.track_error("decoder-7").unwrap();
    assert_eq!(run.tracker.track_error("").unwrap_err().kind, ErrorKind::RuleViolation);
    run.tracker.track_session_end().unwrap();
    flush(&run.client);
    let error = run.emulator.media_requests().into_iter().find(|r| r.action == "error").unwrap();
    assert_eq!(
        error.xdm()["mediaCollection"]["errorDetails"],
        serde_json::json!({"name": "decoder-7", "source": "player"})
    );
    assert_eq!(error.playhead(), Some(2));
}

#[test]
fn preroll_ad_break_of_two_ads_holds_calls_and_drops_the_play_before_it() {
    let mut run = Run::with(Some(r#"{"adPingInterval":1}"#), "");
    // The player says play at once; the ad break starts 100 ms later, within the 250 ms wait.
    run.start(250);
    run.tracker.track_play().unwrap();
    run.wait(0.1);
    run.tracker.track(Call::AdBreakStart(AdBreakInfo::new("preroll", 1, 0.0).unwrap())).unwrap();
    run.tracker.track(Call::AdStart(AdInfo::new("ad-1", "First", 1, 2.0).unwrap(), Metadata::new())).unwrap();
    run.wait(2.1);
    run.tracker.track(Call::AdComplete).unwrap();
    run.tracker.track(Call::AdStart(AdInfo::new("ad-2", "Second", 2, 2.0).unwrap(), Metadata::new())).unwrap();
    run.wait(4.1);
    run.tracker.track(Call::AdComplete).unwrap();
    run.tracker.track(Call::AdBreakComplete).unwrap();
    run.tracker.track_play().unwrap();
    run.run_to(5.5, Some(4.1));
    run.tracker.track_session_end().unwrap();
    assert_eq!(
        run.sent(),
        [
            ev("sessionStart", 0, 0.0),
            ev("adBreakStart", 0, 0.1),
            ev("adStart", 0, 0.1),
            ev("play", 0, 0.1), // the backend takes a preroll ad start as play
            ev("ping", 0, 1.1), // ad pings every second
            ev("ping", 0, 2.1),
            ev("adComplete", 0, 2.1),
            ev("adStart", 0, 2.1),
            ev("play", 0, 2.1),
            ev("ping", 0, 3.1),
            ev("ping", 0, 4.1),
            ev("adComplete", 0, 4.1),
            ev("adBreakComplete", 0, 4.1),
            ev("play", 0, 4.1),
            ev("play", 1, 5.1), // content start
            ev("sessionEnd", 1, 5.5),
        ]
    );
}

#[test]
fn mid_roll_with_seek_and_buffer_around_the_ads() {
    let mut run = Run::new();
    run.start(0);
    run.tracker.track_play().unwrap();
    run.run_to(3.0, Some(0.0));
    run.tracker.track(Call::SeekStart).unwrap();
    run.tracker.update_playhead(30.0).unwrap();
    run.tracker.track(Call::SeekComplete).unwrap();
    run.tracker.track(Call::AdBreakStart(AdBreakInfo::new("mid", 2, 30.0).unwrap())).unwrap();
    // Between ads, the play state cannot change.
    assert_eq!(run.tracker.track(Call::BufferStart).unwrap_err().kind, ErrorKind::RuleViolation);
    run.tracker.track(Call::AdStart(AdInfo::new("ad-1", "Mid ad", 1, 5.0).unwrap(), Metadata::new())).unwrap();
    run.tracker.track(Call::BufferStart).unwrap();
    run.wait(4.0);
    run.tracker.track(Call::BufferComplete).unwrap();
    run.wait(6.0);
    run.tracker.track(Call::AdComplete).unwrap();
    run.tracker.track(Call::AdBreakComplete).unwrap();
    run.tracker.track(Call::BufferStart).unwrap();
    run.wait(7.0);
    run.tracker.track_play().unwrap();
    run.tracker.track_session_end().unwrap();
    let actions: Vec<String> = run.sent().into_iter().map(|e| e.0).collect();
    assert_eq!(
        actions,
        [
            "sessionStart",
            "play",
            "play",
            "pauseStart",
            "play",
            "adBreakStart",
            "adStart",
            "play",
            "bufferStart",
            "play",
            "adComplete",
            "adBreakComplete",
            "play",
            "bufferStart",
            "play",
            "sessionEnd"
        ]
    );
}

#[test]
fn ad_calls_outside_an_ad_break_are_rejected_with_what_to_call_first() {
    let run = Run::new();
    let before = run.tracker.track_play().unwrap_err();
    assert_eq!(before.kind, ErrorKind::RuleViolation);
    assert_eq!(before.message, "track_play without a session: call track_session_start first");
    let seen = record_events(&run.client);
    run.start(0);
    let err = run.tracker.track(Call::AdStart(AdInfo::new("a", "b", 1, 5.0).unwrap(), Metadata::new())).unwrap_err();
    assert_eq!(err.kind, ErrorKind::RuleViolation);
    assert_eq!(err.message, "ad start outside an ad break: call ad break start first");
    assert!(seen.lock().unwrap().iter().any(|e| e.kind == SessionEventKind::CallRejected && e.message == err.message));
    assert!(run
        .tracker
        .track_session_start(&media(0), &Metadata::new())
        .unwrap_err()
        .message
        .contains("while a session is active"));
    run.tracker.track_session_end().unwrap();
    let actions: Vec<String> = run.sent().into_iter().map(|e| e.0).collect();
    assert_eq!(actions, ["sessionStart", "sessionEnd"], "nothing sent for rejected calls");
}

#[test]
fn idle_for_30_minutes_ends_the_session_and_playing_again_resumes_it() {
    let mut run = Run::new();
    run.start(0);
    run.tracker.track(Call::ChapterStart(ChapterInfo::new("c1", 1, 0.0, 3600.0).unwrap(), Metadata::new())).unwrap();
    run.tracker.track_play().unwrap();
    run.run_to(5.0, Some(0.0));
    run.tracker.track_pause().unwrap();
    run.wait(5.0 + 1800.0 + 60.0);
    run.tracker.track_play().unwrap();
    run.run_to(1867.0, Some(1860.0));
    run.tracker.track_session_end().unwrap();
    let sent = run.sent();
    let end = sent.iter().position(|e| e.0 == "sessionEnd").unwrap();
    assert_eq!(sent[end], ev("sessionEnd", 5, 1805.0), "30 minutes after the pause");
    assert_eq!(&sent[end - 1].0, "ping");
    assert_eq!(
        sent[end + 1..],
        [
            ev("sessionStart", 5, 1865.0),
            ev("chapterStart", 5, 1865.0),
            ev("play", 5, 1865.0),
            ev("play", 6, 1866.0), // content start again
            ev("chapterSkip", 7, 1867.0),
            ev("sessionEnd", 7, 1867.0),
        ]
    );
    let requests = run.emulator.media_requests();
    let starts: Vec<_> = requests.iter().filter(|r| r.action == "sessionStart").collect();
    assert_eq!(starts.len(), 2);
    assert!(has_resume(starts[1]));
    assert_ne!(starts[0].session_id, starts[1].session_id);
}

#[test]
fn a_restart_waits_for_the_previous_sessions_end_to_reach_the_wire() {
    let mut run = Run::new();
    run.start(0);
    run.tracker.track_play().unwrap();
    run.run_to(5.0, Some(0.0));
    run.tracker.track_pause().unwrap();
    run.wait(1794.5);
    // The ping at 1795 s is slow to answer, so the idle end at 1805 s waits behind it on the
    // old session; playing again right then starts the new session on another worker.
    run.emulator.push_fault(mediaedge_emulator::Fault::delay(Some("ping"), Duration::from_millis(300), 1));
    run.client.advance_clock(Duration::from_millis(1_865_000 - 1_794_500)).unwrap();
    run.now_ms = 1_865_000;
    run.tracker.track_play().unwrap();
    run.client.wait_idle(Duration::from_secs(5)).unwrap();
    run.tracker.track_session_end().unwrap();
    flush(&run.client);
    let mut requests = run.emulator.media_requests();
    requests.sort_by_key(|r| r.seq);
    let arrivals: Vec<&str> =
        requests.iter().map(|r| r.action.as_str()).filter(|a| *a == "sessionStart" || *a == "sessionEnd").collect();
    assert_eq!(
        arrivals,
        ["sessionStart", "sessionEnd", "sessionStart", "sessionEnd"],
        "in the order the tracker made them"
    );
}

#[test]
fn sessions_are_restarted_after_24_hours() {
    let mut run = Run::with(Some(r#"{"mainPingInterval":50}"#), "");
    run.start(0);
    run.tracker.track_play().unwrap();
    // A day of playback, in steps of a ping interval with the playhead following the clock.
    let mut t = 0.0;
    while t < 24.0 * 3600.0 + 100.0 {
        t += 50.0;
        run.client.advance_clock(Duration::from_secs(50)).unwrap();
        run.now_ms += 50_000;
        run.tracker.update_playhead(t).unwrap();
        run.client.wait_idle(Duration::from_secs(5)).unwrap();
    }
    run.tracker.track_session_end().unwrap();
    flush(&run.client);
    let requests = run.emulator.media_requests();
    assert!(requests.iter().all(|r| r.accepted()), "the backend refused nothing");
    let starts: Vec<_> = requests.iter().filter(|r| r.action == "sessionStart").collect();
    assert_eq!(starts.len(), 2);
    assert!(has_resume(starts[1]));
    assert_eq!(offset_s(starts[1]), 86400.0);
    let ends: Vec<f64> = requests.iter().filter(|r| r.action == "sessionEnd").map(offset_s).collect();
    assert_eq!(ends[0], 86400.0, "the first session ends as the second starts");
}

#[test]
fn custom_ping_intervals_apply_to_main_content_and_ads() {
    let mut run = Run::with(Some(r#"{"mainPingInterval":20,"adPingInterval":5}"#), "");
    run.start(0);
    run.tracker.track_play().unwrap();
    run.run_to(42.0, Some(0.0));
    run.tracker.track(Call::AdBreakStart(AdBreakInfo::new("mid", 1, 42.0).unwrap())).unwrap();
    run.tracker.track(Call::AdStart(AdInfo::new("ad", "Ad", 1, 10.0).unwrap(), Metadata::new())).unwrap();
    run.wait(53.0);
    run.tracker.track_session_end().unwrap();
    let pings: Vec<f64> = run.sent().into_iter().filter(|e| e.0 == "ping").map(|e| e.2).collect();
    assert_eq!(pings, [21.0, 41.0, 47.0, 52.0]);
    assert!(Client::with_clock(&config_json(&run.emulator, "", ""), mediaedge::ClockChoice::System)
        .unwrap()
        .create_tracker(Some(r#"{"adPingInterval":20}"#))
        .err()
        .unwrap()
        .message
        .starts_with("adPingInterval: expected a number <= 10"));
}

#[test]
fn bitrate_change_without_qoe_is_a_rule_violation_not_an_invalid_request() {
    // Found by the tracker_calls fuzz target: the call went through and its event, lacking the
    // qoeDataDetails the API requires, was refused by the library's own xdm check.
    let run = Run::new();
    run.start(0);
    run.tracker.track_play().unwrap();
    let err = run.tracker.track(Call::BitrateChange).unwrap_err();
    assert_eq!(err.kind, mediaedge::ErrorKind::RuleViolation);
    assert_eq!(err.message, "bitrate change without QoE: call update_qoe first");
    run.tracker.update_qoe(QoeInfo::new(1_000_000.0, 1.0, 25.0, 0.0).unwrap()).unwrap();
    run.tracker.track(Call::BitrateChange).unwrap();
}

#[test]
fn qoe_is_attached_to_the_next_event_after_it_changes_and_to_bitrate_change() {
    let mut run = Run::new();
    run.start(0);
    run.tracker.update_qoe(QoeInfo::new(2_000_000.0, 1.5, 25.0, 0.0).unwrap()).unwrap();
    run.tracker.track_play().unwrap();
    run.run_to(3.0, Some(0.0));
    run.tracker.update_qoe(QoeInfo::new(4_000_000.0, 1.5, 25.0, 3.0).unwrap()).unwrap();
    run.tracker.track(Call::BitrateChange).unwrap();
    run.tracker.track_pause().unwrap();
    run.tracker.track_session_end().unwrap();
    flush(&run.client);
    let qoe: Vec<(String, Option<i64>)> = run
        .emulator
        .media_requests()
        .iter()
        .map(|r| (r.action.clone(), r.xdm()["mediaCollection"]["qoeDataDetails"]["bitrate"].as_i64()))
        .collect();
    assert_eq!(
        qoe,
        [
            ("sessionStart".to_string(), None),
            ("play".to_string(), Some(2_000_000)),
            ("play".to_string(), None),
            ("bitrateChange".to_string(), Some(4_000_000)),
            ("pauseStart".to_string(), None),
            ("sessionEnd".to_string(), None),
        ]
    );
}

#[test]
fn metadata_goes_to_standard_fields_and_custom_metadata() {
    let run = Run::new();
    let mut metadata = Metadata::new();
    metadata.set("a.media.show", "Coastline").unwrap();
    metadata.set("tenant.rights", "ww").unwrap();
    run.tracker.track_session_start(&media(0), &metadata).unwrap();
    let mut ad_metadata = Metadata::new();
    ad_metadata.set("a.media.ad.campaign", "spring").unwrap();
    run.tracker.track(Call::AdBreakStart(AdBreakInfo::new("pre", 1, 0.0).unwrap())).unwrap();
    run.tracker.track(Call::AdStart(AdInfo::new("ad-1", "Ad", 1, 15.0).unwrap(), ad_metadata)).unwrap();
    run.tracker.track_session_end().unwrap();
    flush(&run.client);
    let requests = run.emulator.media_requests();
    let start = &requests[0].xdm()["mediaCollection"];
    assert_eq!(start["sessionDetails"]["show"], "Coastline");
    assert_eq!(start["sessionDetails"]["friendlyName"], "Episode 1");
    assert_eq!(start["sessionDetails"]["channel"], "test-channel");
    assert_eq!(start["customMetadata"], serde_json::json!([{"name": "tenant.rights", "value": "ww"}]));
    let ad = requests.iter().find(|r| r.action == "adStart").unwrap();
    assert_eq!(ad.xdm()["mediaCollection"]["advertisingDetails"]["campaignID"], "spring");
    assert_eq!(ad.xdm()["mediaCollection"]["advertisingDetails"]["playerName"], "test-player");
}

#[test]
fn without_a_preroll_held_calls_are_replayed_with_their_own_timestamps_and_late_rejections_are_reported() {
    let mut run = Run::new();
    let seen = record_events(&run.client);
    run.start(250);
    run.tracker.track_play().unwrap();
    // Held, so accepted now; illegal when replayed (no ad break), and only the callback can say so.
    run.tracker.track(Call::AdComplete).unwrap();
    run.wait(0.1);
    run.tracker.update_playhead(0.1).unwrap();
    run.run_to(2.0, Some(0.0));
    run.tracker.track_session_end().unwrap();
    assert_eq!(
        run.sent(),
        [
            ev("sessionStart", 0, 0.0),
            ev("play", 0, 0.0), // made at 0, sent when the 250 ms wait ran out
            ev("play", 1, 1.0),
            ev("sessionEnd", 2, 2.0),
        ]
    );
    let rejected: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.kind == SessionEventKind::CallRejected)
        .map(|e| e.message.clone())
        .collect();
    assert_eq!(rejected, ["ad complete outside an ad break: call ad break start first"]);
}
