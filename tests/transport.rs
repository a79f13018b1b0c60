//! Host names: a client pointed at `localhost` (looked up, then kept) delivers over one
//! keep-alive connection.

mod common;

use common::*;
use mediaedge::{Client, ClockChoice};
use mediaedge_emulator::Emulator;

#[test]
fn a_host_name_is_resolved_and_its_connection_kept_alive() {
    let emulator = Emulator::start().expect("emulator");
    let config = config_json(&emulator, "", "").replace("127.0.0.1", "localhost");
    assert!(config.contains("http://localhost:"));
    let client = Client::with_clock(&config, ClockChoice::Manual { start_unix_ms: START_MS }).unwrap();
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    for step in ["play", "pauseStart", "play", "pauseStart"] {
        session.send(&event(step)).unwrap();
    }
    flush(&client);
    assert_eq!(emulator.media_requests().len(), 5);
    let stats = client.stats();
    assert_eq!((stats.requests_new_connection, stats.requests_reused_connection), (1, 4));
}
