//! The thread count does not grow with the number of sessions: one scheduler thread and a
//! fixed pool of delivery workers per client, whatever the number of sessions and trackers. Its
//! own test binary, so that no other test's threads are counted.

mod common;

use std::time::Duration;

use common::*;
use mediaedge_emulator::Emulator;

/// The tests of this file count the process's threads, so they run one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The library's threads (`mediaedge-*`); the in-process emulator's (one per connection) are
/// not the client's.
fn threads_in_process() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm")).is_ok_and(|name| name.starts_with("mediaedge-"))
        })
        .count()
}

#[test]
fn thread_count_does_not_grow_with_sessions() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let with_one = {
        let _s = client.start_automatic("p0", Player::new(), START_XDM).unwrap();
        flush(&client);
        // The emulator has one thread per connection; the client's keep-alive pool bounds those.
        threads_in_process()
    };
    let sessions: Vec<_> =
        (1..=500).map(|i| client.start_automatic(&format!("p{i}"), Player::new(), START_XDM).unwrap()).collect();
    flush(&client);
    client.advance_clock(Duration::from_secs(10)).unwrap();
    flush(&client);
    let with_many = threads_in_process();
    assert_eq!(emulator.media_requests().iter().filter(|r| r.action == "ping").count(), 500);
    assert!(with_many <= with_one + 2, "threads: {with_one} with one session, {with_many} with 500");
    drop(sessions);
}

#[test]
fn trackers_add_no_threads_their_timers_share_the_scheduler() {
    use mediaedge::tracker::{MediaInfo, MediaType, Metadata};
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let mut media = MediaInfo::new("m", "M", 60.0, "vod", MediaType::Video).unwrap();
    media.preroll_waiting_ms = 0;
    let first = client.create_tracker(None).unwrap();
    first.track_session_start(&media, &Metadata::new()).unwrap();
    flush(&client);
    let with_one = threads_in_process();
    let trackers: Vec<_> = (0..300).map(|_| client.create_tracker(None).unwrap()).collect();
    for tracker in &trackers {
        tracker.track_session_start(&media, &Metadata::new()).unwrap();
        tracker.track_play().unwrap();
    }
    flush(&client);
    client.advance_clock(Duration::from_secs(11)).unwrap();
    flush(&client);
    let with_many = threads_in_process();
    // Each playing tracker: content start at 1 s and a ping 10 s later, all from the one scheduler.
    assert_eq!(emulator.media_requests().iter().filter(|r| r.action == "ping").count(), 300 + 1);
    assert!(with_many <= with_one + 2, "threads: {with_one} with one tracker, {with_many} with 301");
}

#[test]
fn session_events_run_on_the_one_delivery_thread_which_waits_for_them() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let (entered, wait_for_entered) = std::sync::mpsc::channel::<String>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Mutex::new(released);
    client.on_session_event(move |_| {
        let name = std::thread::current().name().unwrap_or_default().to_string();
        let _ = entered.send(name);
        let _ = released.lock().unwrap().recv();
    });
    let first = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    let thread = wait_for_entered.recv_timeout(Duration::from_secs(10)).expect("STARTED for p1");
    assert_eq!(thread, "mediaedge-delivery-0");

    // While the callback runs, the delivery thread is in it: another session's request waits.
    let second = client.start_automatic("p2", Player::new(), START_XDM).unwrap();
    assert!(client.wait_idle(Duration::from_millis(300)).is_err(), "p2's sessionStart is held");
    assert_eq!(emulator.media_requests().len(), 1, "only p1's sessionStart went out");
    release.send(()).unwrap();
    assert_eq!(wait_for_entered.recv_timeout(Duration::from_secs(10)).unwrap(), "mediaedge-delivery-0");
    release.send(()).unwrap();
    flush(&client);
    assert_eq!(emulator.media_requests().len(), 2);
    drop((first, second));
    for _ in 0..4 {
        let _ = release.send(());
    }
}
