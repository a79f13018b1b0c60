//! The fault-injection suite: six sessions play the same scripted minute (chapter, buffering,
//! an ad break with 1-second ad pings, a pause, a bitrate change, completion) on a virtual clock
//! while the emulator injects one class of fault. Each class prints what was sent, delivered,
//! lost, duplicated and reordered, and asserts nothing was lost or reordered.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::*;
use mediaedge::{Client, Phase, Session};
use mediaedge_emulator::{Emulator, Fault, Recorded};

const SESSIONS: usize = 6;
const MAX_QUEUED_EVENTS: u64 = 2000;

/// (second, xdm) for every session.
fn script() -> Vec<(u32, String)> {
    vec![
        // Sent right after the session starts: they wait behind its sessionStart.
        (0, CHAPTER_START.to_string()),
        (0, event("play")),
        (10, event("bufferStart")),
        (12, event("play")),
        (20, AD_BREAK_START.to_string()),
        (21, AD_START.to_string()),
        (36, event("adComplete")),
        (37, event("adBreakComplete")),
        (40, event("pauseStart")),
        (46, event("play")),
        (
            50,
            r#"{"eventType":"media.bitrateChange","mediaCollection":{"qoeDataDetails":{"bitrate":2500000}}}"#
                .to_string(),
        ),
        (56, event("chapterComplete")),
        (58, event("sessionComplete")),
    ]
}

fn expected_actions() -> Vec<String> {
    let mut actions = vec!["sessionStart".to_string()];
    for (_, xdm) in script() {
        let v: serde_json::Value = serde_json::from_str(&xdm).unwrap();
        actions.push(v["eventType"].as_str().unwrap().trim_start_matches("media.").to_string());
    }
    actions
}

fn start_xdm(i: usize) -> String {
    START_XDM.replace("episode-1", &format!("episode-{i}"))
}

struct Row {
    class: &'static str,
    sent: u64,
    delivered: usize,
    lost: i64,
    duplicated: usize,
    reordered: usize,
    retried: u64,
    resumed: u64,
}

/// Advances virtual time one second at a time, letting delivery catch up after each.
fn tick(client: &Client, seconds: u32) {
    for _ in 0..seconds {
        client.advance_clock(Duration::from_secs(1)).unwrap();
        client.wait_idle(Duration::from_secs(10)).unwrap();
    }
}

/// Runs the script with `setup` called before the sessions start and `fault` at every second
/// before the events of that second.
fn run(
    class: &'static str,
    native_extra: &str,
    setup: impl Fn(&Emulator),
    fault: impl Fn(u32, &Emulator, &Client),
) -> Row {
    let emulator = Emulator::start().unwrap();
    setup(&emulator);
    let native = format!(r#","maxQueuedEvents":{MAX_QUEUED_EVENTS}{native_extra}"#);
    let client = manual_client_with(&emulator, r#","adPingInterval":1"#, &native);
    let sessions: Vec<Session> = (0..SESSIONS)
        .map(|i| client.start_automatic(&format!("p{i}"), MovingPlayer::new(1.0), &start_xdm(i)).unwrap())
        .collect();
    let script = script();
    for t in 0..=60 {
        fault(t, &emulator, &client);
        for (at, xdm) in &script {
            if *at == t {
                for session in &sessions {
                    session.send(xdm).unwrap_or_else(|e| panic!("{class}: t={t}: {e}"));
                }
            }
        }
        tick(&client, 1);
    }
    // Let the last retries run out.
    for _ in 0..900 {
        if client.stats().events_pending == 0 {
            break;
        }
        tick(&client, 1);
    }
    client.flush(Duration::from_secs(10)).unwrap_or_else(|e| panic!("{class}: {e}"));
    for session in &sessions {
        assert_eq!(session.phase(), Phase::Ended, "{class}");
    }

    let requests = emulator.media_requests();
    let stats = client.stats();
    let mut row = measure(class, &requests, stats.events_queued);
    row.retried = stats.events_retried;
    row.resumed = stats.sessions_recovered;
    assert_eq!(stats.events_sent as usize, row.delivered, "{class}: stats agree with the recording: {stats:?}");
    assert_eq!(stats.events_queued, stats.events_sent, "{class}: nothing dropped: {stats:?}");
    assert!(stats.peak_events_pending <= MAX_QUEUED_EVENTS, "{class}: within the limits: {stats:?}");
    check_sequences(class, &requests);
    row
}

/// Which player each backend session belongs to, by the content name its sessionStart carried.
fn players(requests: &[Recorded]) -> HashMap<String, String> {
    requests
        .iter()
        .filter(|r| r.action == "sessionStart" && r.landed)
        .filter_map(|r| {
            let name = r.xdm()["mediaCollection"]["sessionDetails"]["name"].as_str()?.to_string();
            Some((r.session_id.clone()?, name))
        })
        .collect()
}

fn measure(class: &'static str, requests: &[Recorded], sent: u64) -> Row {
    let landed = requests.iter().filter(|r| r.landed).count();
    let firsts = delivered(requests);
    let owner = players(requests);
    // Reordered: within one player's story, an event the backend got after one made later.
    let mut last_seen: HashMap<String, i64> = HashMap::new();
    let mut reordered = 0;
    for r in &firsts {
        let Some(player) = r.session_id.as_ref().and_then(|id| owner.get(id)) else { continue };
        let ts = r.timestamp_ms().unwrap();
        let last = last_seen.entry(player.clone()).or_insert(i64::MIN);
        if ts < *last {
            reordered += 1;
        }
        *last = (*last).max(ts);
    }
    Row {
        class,
        sent,
        delivered: firsts.len(),
        lost: sent as i64 - firsts.len() as i64,
        duplicated: landed - firsts.len(),
        reordered,
        retried: 0,
        resumed: 0,
    }
}

/// Each player's non-ping events reached the backend exactly in script order; after a resume,
/// only the restored state comes in between.
fn check_sequences(class: &str, requests: &[Recorded]) {
    let owner = players(requests);
    let mut by_player: HashMap<String, Vec<String>> = HashMap::new();
    for r in delivered(requests) {
        if r.action == "ping" {
            continue;
        }
        let player = match r.session_id.as_ref().and_then(|id| owner.get(id)) {
            Some(p) => p.clone(),
            None => continue,
        };
        by_player.entry(player).or_default().push(r.action.clone());
    }
    assert_eq!(by_player.len(), SESSIONS, "{class}");
    let expected = expected_actions();
    let restorable: HashSet<&str> =
        ["chapterStart", "adBreakStart", "adStart", "play", "pauseStart", "bufferStart"].into();
    for (player, got) in by_player {
        if got == expected {
            continue;
        }
        // A resume adds a sessionStart and restored state: the script must still be there, in
        // order, with only those in between.
        let mut rest = expected.iter().peekable();
        for action in &got {
            if rest.peek().map(|a| *a == action).unwrap_or(false) {
                rest.next();
            } else {
                assert!(
                    action == "sessionStart" || restorable.contains(action.as_str()),
                    "{class} {player}: unexpected {action} in {got:?}"
                );
            }
        }
        assert!(rest.next().is_none(), "{class} {player}: script incomplete: {got:?}");
    }
}

fn report(rows: &[Row]) {
    println!();
    println!(
        "{:<28} {:>6} {:>10} {:>5} {:>11} {:>10} {:>8} {:>8}",
        "fault class", "sent", "delivered", "lost", "duplicated", "reordered", "retried", "resumed"
    );
    for r in rows {
        println!(
            "{:<28} {:>6} {:>10} {:>5} {:>11} {:>10} {:>8} {:>8}",
            r.class, r.sent, r.delivered, r.lost, r.duplicated, r.reordered, r.retried, r.resumed
        );
    }
}

fn assert_clean(rows: &[Row]) {
    for r in rows {
        assert_eq!((r.lost, r.reordered), (0, 0), "{}", r.class);
    }
}

#[test]
fn fault_suite_loses_and_reorders_nothing() {
    let none = |_: &Emulator| {};
    let mut rows = vec![run("none", "", none, |_, _, _| {})];
    rows.push(run("5xx storm", "", none, |t, emulator, _| {
        if t == 5 || t == 22 {
            for status in [502, 503, 504, 507] {
                emulator.push_fault(Fault::status(None, status, 6));
            }
        }
    }));
    rows.push(run("429 + Retry-After", "", none, |t, emulator, _| {
        if t == 3 || t == 30 {
            emulator.push_fault(Fault::status(None, 429, 12).with_retry_after("3"));
        }
    }));
    rows.push(run("5-minute outage", "", none, |t, emulator, client| {
        if t == 41 {
            emulator.push_fault(Fault::drop(None, u32::MAX));
            tick(client, 300);
            emulator.clear_faults();
        }
    }));
    rows.push(run("timeouts", r#","requestTimeoutMs":150"#, none, |t, emulator, _| {
        if t == 12 || t == 37 {
            emulator.push_fault(Fault::delay(None, Duration::from_millis(250), 2));
        }
    }));
    rows.push(run("connection resets", "", none, |t, emulator, _| {
        if t == 0 || t == 21 || t == 50 {
            emulator.push_fault(Fault::process_then_drop(None, 4));
            emulator.push_fault(Fault::drop(None, 4));
        }
    }));
    rows.push(run("404 session loss", "", none, |t, emulator, _| {
        if t == 22 || t == 47 {
            emulator.expire_all_sessions();
        }
    }));
    let late_starts = |emulator: &Emulator| {
        emulator.push_fault(Fault::delay(Some("sessionStart"), Duration::from_millis(150), SESSIONS as u32));
    };
    rows.push(run("sessionStart answered late", "", late_starts, |_, _, _| {}));
    report(&rows);
    assert_clean(&rows);
    // Every fault really bit.
    for r in &rows[1..] {
        let bit = r.retried > 0 || r.resumed > 0 || r.class == "sessionStart answered late";
        assert!(bit, "{}: the fault changed nothing", r.class);
    }
    assert_eq!(rows.iter().find(|r| r.class == "404 session loss").unwrap().resumed, 2 * SESSIONS as u64);
    let duplicated: usize = rows.iter().map(|r| r.duplicated).sum();
    assert!(duplicated > 0, "requests that landed but lost their answer were retried and counted as duplicates");
}

#[test]
fn a_session_waiting_to_retry_never_delays_another_sessions_requests() {
    let emulator = Emulator::start().unwrap();
    // One worker: if a retrying session held it, the other session could not send at all.
    let client = manual_client_with(&emulator, "", r#","deliveryWorkers":1"#);
    let stuck = client.start_automatic("stuck", Player::new(), START_XDM).unwrap();
    let other = client.start_automatic("other", Player::new(), START_XDM).unwrap();
    flush(&client);
    let stuck_id = stuck.session_id().unwrap();
    emulator.push_fault(Fault::status(None, 503, 1000).with_retry_after("60").for_session(&stuck_id));
    stuck.send(&event("play")).unwrap();
    client.wait_idle(Duration::from_secs(5)).unwrap();
    for _ in 0..5 {
        other.send(&event("play")).unwrap();
        other.send(&event("pauseStart")).unwrap();
    }
    // No clock movement: the stuck session's retry is not due, the other's requests go anyway.
    client.wait_idle(Duration::from_secs(5)).unwrap();
    let other_id = other.session_id().unwrap();
    let requests = emulator.media_requests();
    let delivered_other =
        requests.iter().filter(|r| r.session_id.as_deref() == Some(other_id.as_str()) && r.accepted()).count();
    assert_eq!(delivered_other, 1 + 10);
    let stuck_tries =
        requests.iter().filter(|r| r.session_id.as_deref() == Some(stuck_id.as_str()) && r.action == "play").count();
    assert_eq!(stuck_tries, 1, "the stuck session waits for its Retry-After");
    assert_eq!(client.stats().events_pending, 1);
}

#[test]
fn a_request_hanging_on_one_worker_does_not_hold_other_sessions() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client_with(&emulator, "", r#","deliveryWorkers":2"#);
    let slow = client.start_automatic("slow", Player::new(), START_XDM).unwrap();
    let fast = client.start_automatic("fast", Player::new(), START_XDM).unwrap();
    flush(&client);
    let slow_id = slow.session_id().unwrap();
    emulator.push_fault(Fault::delay(None, Duration::from_millis(300), 1).for_session(&slow_id));
    slow.send(&event("play")).unwrap();
    for _ in 0..5 {
        fast.send(&event("play")).unwrap();
    }
    flush(&client);
    // The emulator records a request when it answers: the fast session's five were all done
    // while the slow one was still being held.
    let after_start: Vec<String> = emulator.media_requests()[2..]
        .iter()
        .map(|r| if r.session_id.as_deref() == Some(slow_id.as_str()) { "slow".into() } else { "fast".into() })
        .collect();
    assert_eq!(after_start, ["fast", "fast", "fast", "fast", "fast", "slow"]);
}
