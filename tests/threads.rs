//! The thread count does not grow with the number of sessions: one scheduler thread and a
//! fixed pool of delivery workers per client. Its own test binary, so that no other test's
//! threads are counted.

mod common;

use std::time::Duration;

use common::*;
use mediaedge_emulator::Emulator;

fn threads_in_process() -> usize {
    std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0)
}

#[test]
fn thread_count_does_not_grow_with_sessions() {
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
