//! Shared helpers: clients on a manual clock pointed at a fresh emulator, and a scripted player.
#![allow(dead_code)]

pub mod proxy;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mediaedge::{Client, ClockChoice, PlayerDetails, PlayerDetailsSource, Qoe, SessionEvent};
use mediaedge_emulator::{Emulator, Recorded};

/// 2026-11-28T00:00:00.000Z: every manual-clock test starts here.
pub const START_MS: i64 = 1_795_824_000_000;

pub fn config_json(emulator: &Emulator, streaming_extra: &str, native_extra: &str) -> String {
    format!(
        r#"{{"datastreamId":"ds-test","streamingMedia":{{"channel":"test-channel","playerName":"test-player","appVersion":"9.9"{streaming_extra}}},
            "native":{{"edgeBaseUrl":"{}","requestTimeoutMs":3000{native_extra}}}}}"#,
        emulator.base_url()
    )
}

pub fn manual_client(emulator: &Emulator) -> Client {
    manual_client_with(emulator, "", "")
}

pub fn manual_client_with(emulator: &Emulator, streaming_extra: &str, native_extra: &str) -> Client {
    Client::with_clock(
        &config_json(emulator, streaming_extra, native_extra),
        ClockChoice::Manual { start_unix_ms: START_MS },
    )
    .expect("valid test config")
}

/// A player whose playhead the test sets, counting how often the library asks.
#[derive(Default)]
pub struct Player {
    pub playhead: Mutex<f64>,
    pub bitrate: Mutex<Option<f64>>,
    pub calls: AtomicUsize,
}

impl Player {
    pub fn new() -> Arc<Player> {
        Arc::new(Player::default())
    }

    pub fn set(&self, playhead: f64) {
        *self.playhead.lock().unwrap() = playhead;
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl PlayerDetailsSource for Player {
    fn player_details(&self) -> PlayerDetails {
        self.calls.fetch_add(1, Ordering::SeqCst);
        PlayerDetails {
            playhead: *self.playhead.lock().unwrap(),
            qoe: Qoe { bitrate: *self.bitrate.lock().unwrap(), ..Qoe::default() },
        }
    }
}

pub const START_XDM: &str = r#"{"eventType":"media.sessionStart","mediaCollection":{"sessionDetails":{"name":"episode-1","length":600,"contentType":"VOD"}}}"#;

pub fn event(event_type: &str) -> String {
    format!(r#"{{"eventType":"media.{event_type}"}}"#)
}

pub fn flush(client: &Client) {
    client.flush(Duration::from_secs(10)).expect("everything delivered");
}

pub fn actions(requests: &[Recorded]) -> Vec<String> {
    requests.iter().map(|r| r.action.clone()).collect()
}

/// Seconds of virtual time since START_MS at which the request's event was made.
pub fn offset_s(r: &Recorded) -> f64 {
    (r.timestamp_ms().expect("timestamp") - START_MS) as f64 / 1000.0
}

/// Collects session events for assertions.
pub fn record_events(client: &Client) -> Arc<Mutex<Vec<SessionEvent>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    client.on_session_event(move |e| sink.lock().unwrap().push(e.clone()));
    seen
}

pub const CHAPTER_START: &str = r#"{"eventType":"media.chapterStart","mediaCollection":{"chapterDetails":{"index":1,"length":120,"offset":0,"friendlyName":"intro"}}}"#;
pub const AD_BREAK_START: &str = r#"{"eventType":"media.adBreakStart","mediaCollection":{"advertisingPodDetails":{"index":1,"offset":10,"friendlyName":"mid"}}}"#;
pub const AD_START: &str = r#"{"eventType":"media.adStart","mediaCollection":{"advertisingDetails":{"name":"ad-1","length":15,"podPosition":1}}}"#;

/// A player whose playhead moves one step per question, like a player that keeps playing
/// while virtual time passes between pings.
pub struct MovingPlayer {
    pub step: f64,
    pub playhead: Mutex<f64>,
}

impl MovingPlayer {
    pub fn new(step: f64) -> Arc<MovingPlayer> {
        Arc::new(MovingPlayer { step, playhead: Mutex::new(0.0) })
    }
}

impl PlayerDetailsSource for MovingPlayer {
    fn player_details(&self) -> PlayerDetails {
        let mut playhead = self.playhead.lock().unwrap();
        *playhead += self.step;
        PlayerDetails { playhead: *playhead, qoe: Qoe::default() }
    }
}

/// Requests the backend took, each request ID once: what the backend really holds.
pub fn delivered(requests: &[Recorded]) -> Vec<Recorded> {
    let mut seen = std::collections::HashSet::new();
    requests.iter().filter(|r| r.landed && seen.insert(r.request_id.clone())).cloned().collect()
}

/// Whether a recorded sessionStart asked to resume a lost session.
pub fn has_resume(r: &Recorded) -> bool {
    r.xdm()["mediaCollection"]["sessionDetails"]["hasResume"] == serde_json::Value::Bool(true)
}

/// Requests answered by the emulator in process (`Emulator::answer_in_process`): the same
/// validation, sessions, faults and record as over HTTP, without sockets or their timing.
pub struct InProcess(pub Arc<Emulator>);

impl mediaedge::delivery::transport::Transport for InProcess {
    fn post_json(
        &self,
        url: &str,
        body: &[u8],
    ) -> Result<mediaedge::delivery::transport::HttpReply, mediaedge::delivery::transport::TransportError> {
        use mediaedge::delivery::transport::{FailureKind, HttpReply, TransportError};
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let target = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        match self.0.answer_in_process("POST", target, body) {
            Some(reply) => Ok(HttpReply { status: reply.status, retry_after: reply.retry_after, body: reply.body }),
            None => Err(TransportError { kind: FailureKind::Network, message: "connection dropped".into() }),
        }
    }
}

/// A manual-clock client whose requests go to `emulator` in process.
pub fn in_process_client(emulator: &Arc<Emulator>, native_extra: &str) -> Client {
    let config =
        mediaedge::config::Config::from_json(&config_json(emulator, "", native_extra)).expect("valid test config");
    Client::with_transport(
        config,
        ClockChoice::Manual { start_unix_ms: START_MS },
        Arc::new(InProcess(Arc::clone(emulator))),
    )
    .expect("client starts")
}
