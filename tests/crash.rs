//! Processes that die: a child process sending events on a client with `native.storageDir` is
//! killed with SIGKILL at random points, many times; each new child replays what the last one
//! left. In the end every event a child's `send` accepted reached the emulator, once or again
//! with the same `_id`, in its session's order, and every session the children left open was
//! ended with a sessionEnd at its last playhead.
//!
//! The child is this test binary run again with `MEDIAEDGE_CRASH_CHILD` set (the `child` test
//! below); it prints a line for each call that returned OK.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use mediaedge::Client;
use mediaedge_emulator::{Emulator, Recorded};

const CHILD: &str = "MEDIAEDGE_CRASH_CHILD";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mediaedge-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn config(base_url: &str, dir: &Path) -> String {
    format!(
        r#"{{"datastreamId":"ds-test","streamingMedia":{{"channel":"c","playerName":"p"}},
            "native":{{"edgeBaseUrl":"{base_url}","storageDir":{},"shutdownTimeoutMs":2000}}}}"#,
        serde_json::to_string(dir).unwrap()
    )
}

/// The child: `run` names its session's events; it sends until killed (or `count` events).
#[test]
fn child() {
    let Ok(spec) = std::env::var(CHILD) else { return };
    let mut parts = spec.splitn(4, ' ');
    let (run, count, base_url, dir) = (
        parts.next().unwrap().to_string(),
        parts.next().unwrap().parse::<u32>().unwrap(),
        parts.next().unwrap().to_string(),
        PathBuf::from(parts.next().unwrap()),
    );
    let client = Client::new(&config(&base_url, &dir)).expect("the directory is free once the last child is dead");
    let player = Player::new();
    let start = format!(
        r#"{{"_id":"{run}-0","eventType":"media.sessionStart","mediaCollection":{{"sessionDetails":{{"name":"{run}","length":600,"contentType":"VOD"}}}}}}"#
    );
    let session = client.start_automatic(&run, player.clone(), &start).unwrap();
    println!("ACCEPTED {run}-0");
    for i in 1..=count {
        player.set(i as f64);
        let kind = if i % 2 == 1 { "play" } else { "pauseStart" };
        session.send(&format!(r#"{{"_id":"{run}-{i}","eventType":"media.{kind}"}}"#)).unwrap();
        println!("ACCEPTED {run}-{i}");
        std::thread::sleep(Duration::from_millis(2));
    }
    println!("SENT ALL");
    std::thread::sleep(Duration::from_secs(600));
}

fn spawn(run: &str, count: u32, emulator: &Emulator, dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{run} {count} {} {}", emulator.base_url(), dir.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the test binary runs again")
}

/// When to kill a child.
enum Kill {
    /// Once it has reported this many accepted events (or all it will).
    AfterAccepted(usize),
    /// This long after it was started, whatever it is doing (starting, replaying, sending).
    After(Duration),
}

/// Kills the child with SIGKILL when `kill` says, and returns the `_id`s it reported accepted.
fn kill(mut child: Child, kill: Kill) -> Vec<String> {
    let mut ids = Vec::new();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // libtest's "test child ... " may start the first line: look for the marker anywhere.
    let accepted = |line: &str| line.find("ACCEPTED ").map(|at| line[at + "ACCEPTED ".len()..].to_string());
    match kill {
        Kill::AfterAccepted(count) => {
            for line in lines {
                let Ok(line) = line else { break };
                ids.extend(accepted(&line));
                if ids.len() >= count || line.ends_with("SENT ALL") {
                    break;
                }
            }
            child.kill().expect("SIGKILL");
        }
        Kill::After(delay) => {
            std::thread::sleep(delay);
            child.kill().expect("SIGKILL");
            // The child's stdout is line-buffered: every line it printed is in the pipe.
            ids.extend(lines.map_while(Result::ok).filter_map(|line| accepted(&line)));
        }
    }
    child.wait().unwrap();
    ids
}

/// A SplitMix64 step: the test's own random choices, reproducible from the printed seed.
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn id_of(r: &Recorded) -> Option<String> {
    r.xdm()["_id"].as_str().map(str::to_string)
}

#[test]
fn processes_killed_at_random_points_lose_no_accepted_event() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let emulator = Arc::new(Emulator::start().unwrap());
    let dir = temp_dir("random");
    let mut seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("seed {seed}");
    let runs = 25;
    let mut accepted: Vec<(String, Vec<String>)> = Vec::new();
    for run in 0..runs {
        let name = format!("r{run}");
        let count = 40;
        let when = match next(&mut seed) % 3 {
            0 => Kill::After(Duration::from_millis(next(&mut seed) % 120)),
            _ => Kill::AfterAccepted((next(&mut seed) % (count as u64 + 2)) as usize),
        };
        let child = spawn(&name, count, &emulator, &dir);
        let ids = kill(child, when);
        accepted.push((name, ids));
    }
    // A last client, in this process, on the same directory: it sends what is left and ends.
    let last = Client::new(&config(&emulator.base_url(), &dir)).unwrap();
    last.flush(Duration::from_secs(20)).expect("everything left is delivered");
    let stats = last.stats();
    drop(last);

    let requests: Vec<Recorded> = emulator.media_requests().into_iter().filter(|r| r.landed).collect();
    let landed: HashSet<String> = requests.iter().filter_map(id_of).collect();
    let mut total = 0;
    for (run, ids) in &accepted {
        total += ids.len();
        for id in ids {
            assert!(landed.contains(id), "{id} was accepted by run {run} and never reached the emulator");
        }
        // In order: the first arrival of each event comes after the first arrival of the one before.
        let mut first_seen: Vec<usize> = Vec::new();
        let mut seen = HashSet::new();
        for r in &requests {
            let Some(id) = id_of(r) else { continue };
            let Some((of_run, i)) = id.split_once('-') else { continue };
            if of_run == run && seen.insert(id.clone()) {
                first_seen.push(i.parse().unwrap());
            }
        }
        assert!(first_seen.windows(2).all(|w| w[0] < w[1]), "run {run} arrived out of order: {first_seen:?}");
    }
    // A duplicate is the same event again: same _id, same timestamp.
    let mut by_id: HashMap<String, &Recorded> = HashMap::new();
    for r in &requests {
        if let Some(id) = id_of(r) {
            if let Some(before) = by_id.insert(id.clone(), r) {
                assert_eq!(before.xdm()["timestamp"], r.xdm()["timestamp"], "{id} sent twice with two times");
            }
        }
    }
    // Every session a child started and left open was ended at its last playhead.
    let started: HashSet<String> = requests
        .iter()
        .filter(|r| r.action == "sessionStart" && r.accepted())
        .filter_map(|r| r.session_id.clone())
        .collect();
    let ended: HashSet<String> =
        requests.iter().filter(|r| r.action == "sessionEnd").filter_map(|r| r.session_id.clone()).collect();
    // Except one kind: a sessionStart that landed while its answer died with the child (its ID
    // never journaled) is sent again by the next child and starts a second backend session;
    // the first, holding nothing but that start, is left for the backend's idle timeout.
    let events_of = |id: &str| requests.iter().filter(|r| r.session_id.as_deref() == Some(id)).collect::<Vec<_>>();
    let mut abandoned_starts = 0;
    for id in started.difference(&ended) {
        let events = events_of(id);
        let start_id = id_of(events[0]);
        let resent = requests.iter().filter(|r| r.action == "sessionStart" && id_of(r) == start_id).count();
        assert!(
            events.len() == 1 && resent > 1,
            "session {id} left open with {} events ({start_id:?} started {resent} sessions)",
            events.len()
        );
        abandoned_starts += 1;
    }
    eprintln!(
        "{runs} kills: {total} accepted events, {} requests landed, {} replayed by the last client, \
         {abandoned_starts} sessionStarts landed unanswered and sent again",
        requests.len(),
        stats.events_replayed
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_players_session_is_ended_where_it_was_last_seen() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let emulator = Emulator::start().unwrap();
    let dir = temp_dir("orphan");
    let child = spawn("o", 4, &emulator, &dir);
    let ids = kill(child, Kill::AfterAccepted(usize::MAX));
    assert_eq!(ids, ["o-0", "o-1", "o-2", "o-3", "o-4"]);
    let last = Client::new(&config(&emulator.base_url(), &dir)).unwrap();
    last.flush(Duration::from_secs(20)).unwrap();
    drop(last);
    let requests: Vec<Recorded> = emulator.media_requests().into_iter().filter(Recorded::accepted).collect();
    let end = requests.iter().find(|r| r.action == "sessionEnd").expect("the library ended it");
    let last_event = requests.iter().rev().find(|r| id_of(r).as_deref() == Some("o-4")).unwrap();
    assert_eq!(end.playhead(), Some(4), "at the last playhead the player reported");
    assert_eq!(end.xdm()["timestamp"], last_event.xdm()["timestamp"], "when it was last seen");
    assert_eq!(end.session_id, last_event.session_id);
    assert_eq!(requests.iter().filter(|r| r.action == "sessionEnd").count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
