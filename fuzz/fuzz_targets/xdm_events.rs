//! The caller's xdm documents, for every event type: a sessionStart and a run of events. Every
//! document the library accepts must reach the emulator as a request its validator accepts; every refusal
//! must carry INVALID_EVENT or INVALID_ARGUMENT and a message.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use mediaedge::ErrorKind;
use mediaedge_fuzz::common::{Player, START_XDM};
use mediaedge_fuzz::{assert_refusal, harness};

static PLAYERS: AtomicU64 = AtomicU64::new(0);
const REFUSALS: &[ErrorKind] = &[ErrorKind::InvalidEvent, ErrorKind::InvalidArgument];

// The input is lines of text: the first is the sessionStart document (empty: the standard one),
// each further line one event document. Line-shaped so the seeds (fuzz/seeds/xdm_events, a
// valid document of every event type) can be written by hand and read by people.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let start = lines.next().unwrap_or_default();
    let h = harness();
    let player_id = format!("fuzz-{}", PLAYERS.fetch_add(1, Ordering::Relaxed));
    let session = if start.trim().is_empty() {
        h.client.start_automatic(&player_id, Player::new(), START_XDM).expect("the standard start is accepted")
    } else {
        match h.client.start_automatic(&player_id, Player::new(), start) {
            Ok(session) => session,
            Err(e) => {
                assert_refusal(&e, REFUSALS);
                h.client.start_automatic(&player_id, Player::new(), START_XDM).expect("the standard start is accepted")
            }
        }
    };
    for document in lines.take(64) {
        match session.send(document) {
            Ok(()) => {}
            Err(e) if e.kind == ErrorKind::SessionEnded => {}
            Err(e) => assert_refusal(&e, REFUSALS),
        }
    }
    drop(session);
    h.drain();
    h.assert_requests_valid();
});
