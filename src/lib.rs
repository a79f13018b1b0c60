//! mediaedge: streaming-media tracking for native players over Adobe's Media Edge API.
//!
//! The Rust core knows nothing of C; [`ffi`] is the only module that touches raw pointers.

mod body;
mod budget;
mod callback;
pub mod client;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod document;
mod engine;
pub mod error;
pub mod events;
pub mod ffi;
pub mod identity;
mod ids;
pub mod journal;
pub mod limits;
pub mod log;
pub mod proxy;
mod resume;
pub mod scheduler;
pub mod session;
pub mod stats;
mod storage;
pub mod tls;
pub mod tracker;
pub mod xdm;

pub use client::{Client, ClockChoice, Session};
pub use config::Consent;
pub use error::{Error, ErrorKind, Result};
pub use events::{SessionEvent, SessionEventKind};
pub use session::{Phase, PlayerDetailsSource};
pub use stats::Stats;
pub use tracker::Tracker;
pub use xdm::{EventType, PlayerDetails, Qoe};

#[cfg(test)]
mod header_tests {
    /// The committed header must be the one cbindgen makes from the current code.
    #[test]
    fn committed_header_is_current() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/mediaedge.h"));
        let committed = include_str!("../include/mediaedge.h");
        assert!(generated == committed, "include/mediaedge.h is stale: run `make header` and commit the result");
    }
}
