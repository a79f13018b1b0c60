//! What the fuzz targets share: a client on a manual clock whose requests the emulator answers
//! in process (the same validator and sessions as over HTTP, no sockets), and the invariants
//! every target checks.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use mediaedge::{Client, Error, ErrorKind};
use mediaedge_emulator::Emulator;

#[path = "../../tests/common/mod.rs"]
pub mod common;

/// One client and one emulator for the whole fuzzing process; each input resets the emulator
/// and leaves nothing pending.
pub struct Harness {
    pub emulator: Arc<Emulator>,
    pub client: Client,
}

static HARNESS: OnceLock<Mutex<Harness>> = OnceLock::new();

/// The shared harness, emptied for a new input.
pub fn harness() -> MutexGuard<'static, Harness> {
    let harness = HARNESS
        .get_or_init(|| {
            let emulator = Arc::new(Emulator::start().expect("the emulator starts"));
            let client = common::in_process_client(&emulator, "");
            Mutex::new(Harness { emulator, client })
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    harness.emulator.reset();
    harness
}

impl Harness {
    /// Moves virtual time until nothing is pending. Everything the library queued must be
    /// delivered or given up within its retry budget (an hour): more is a hang.
    pub fn drain(&self) {
        for _ in 0..200 {
            let _ = self.client.wait_idle(Duration::from_secs(10));
            if self.client.pending_events() == 0 {
                return;
            }
            self.client.advance_clock(Duration::from_secs(30)).expect("the clock advances");
        }
        panic!("{} events still pending after 100 virtual minutes", self.client.pending_events());
    }

    /// Every request the backend processed passed its validator and was accepted, or was
    /// answered 404 because the backend had closed the session on its own timeouts (idle,
    /// stalled playhead, age: the library then resumes it). Nothing reaches a session after its
    /// end landed.
    pub fn assert_requests_valid(&self) {
        let mut ended = std::collections::HashSet::new();
        for record in self.emulator.requests() {
            if record.faulted {
                continue;
            }
            assert!(
                record.problems.is_empty(),
                "the emulator refused {}: {:?}\n{}",
                record.action,
                record.problems,
                record.body
            );
            assert!(
                record.landed || record.status == Some(404),
                "{} was answered {:?}\n{}",
                record.action,
                record.status,
                record.body
            );
            if let Some(session) = &record.session_id {
                assert!(
                    !ended.contains(session),
                    "{} sent after the end of session {session}\n{}",
                    record.action,
                    record.body
                );
                if record.landed && matches!(record.action.as_str(), "sessionEnd" | "sessionComplete") {
                    ended.insert(session.clone());
                }
            }
        }
    }
}

/// A refusal must say what was wrong, with one of the statuses the call documents.
pub fn assert_refusal(error: &Error, allowed: &[ErrorKind]) {
    assert!(allowed.contains(&error.kind), "unexpected {:?}: {}", error.kind, error.message);
    assert!(!error.message.trim().is_empty(), "{:?} without a message", error.kind);
}
