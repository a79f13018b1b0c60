//! The caller's xdm documents, for every event type: a sessionStart and a run of events, each
//! either raw text or a `mediaCollection` body under a chosen event type. Every document the
//! library accepts must reach the emulator as a request its validator accepts; every refusal
//! must carry INVALID_EVENT or INVALID_ARGUMENT and a message.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mediaedge::ErrorKind;
use mediaedge_fuzz::common::{Player, START_XDM};
use mediaedge_fuzz::{assert_refusal, harness};

const EVENT_TYPES: &[&str] = &[
    "play", "ping", "pauseStart", "bufferStart", "bitrateChange", "error", "statesUpdate", "adBreakStart",
    "adBreakComplete", "adStart", "adComplete", "adSkip", "chapterStart", "chapterComplete", "chapterSkip",
    "sessionComplete", "sessionEnd", "sessionStart", "unknownThing",
];

#[derive(Debug, Arbitrary)]
enum Document {
    /// The whole document, as text.
    Raw(String),
    /// `{"eventType":"media.<type>","mediaCollection":<body>}`.
    Typed { event_type: u8, media_collection: String },
}

impl Document {
    fn text(&self) -> String {
        match self {
            Document::Raw(text) => text.clone(),
            Document::Typed { event_type, media_collection } => {
                let name = EVENT_TYPES[*event_type as usize % EVENT_TYPES.len()];
                format!(r#"{{"eventType":"media.{name}","mediaCollection":{media_collection}}}"#)
            }
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// The sessionStart's `mediaCollection`, or the standard one.
    start: Option<String>,
    events: Vec<Document>,
}

static PLAYERS: AtomicU64 = AtomicU64::new(0);
const REFUSALS: &[ErrorKind] = &[ErrorKind::InvalidEvent, ErrorKind::InvalidArgument];

fuzz_target!(|input: Input| {
    let h = harness();
    let player_id = format!("fuzz-{}", PLAYERS.fetch_add(1, Ordering::Relaxed));
    let start = input.start.as_ref().map(|body| format!(r#"{{"mediaCollection":{body}}}"#));
    let session = match start.as_deref().map(|text| h.client.start_automatic(&player_id, Player::new(), text)) {
        Some(Ok(session)) => session,
        Some(Err(e)) => {
            assert_refusal(&e, REFUSALS);
            h.client.start_automatic(&player_id, Player::new(), START_XDM).expect("the standard start is accepted")
        }
        None => h.client.start_automatic(&player_id, Player::new(), START_XDM).expect("the standard start is accepted"),
    };
    for document in input.events.iter().take(64) {
        match session.send(&document.text()) {
            Ok(()) => {}
            Err(e) if e.kind == ErrorKind::SessionEnded => {}
            Err(e) => assert_refusal(&e, REFUSALS),
        }
    }
    drop(session);
    h.drain();
    h.assert_requests_valid();
});
