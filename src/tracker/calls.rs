//! The tracker's vocabulary: the calls a player makes, when they happened, and what the rules
//! make of them.

use serde_json::{Map, Value};

use super::objects::{AdBreakInfo, AdInfo, ChapterInfo, MediaInfo, Metadata, QoeInfo, StateInfo};
use crate::xdm::EventType;

/// A tracker call, or the internal tick.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    SessionStart(MediaInfo, Metadata),
    Play,
    Pause,
    Complete,
    SessionEnd,
    Error(String),
    AdBreakStart(AdBreakInfo),
    AdBreakComplete,
    AdStart(AdInfo, Metadata),
    AdComplete,
    AdSkip,
    ChapterStart(ChapterInfo, Metadata),
    ChapterComplete,
    ChapterSkip,
    SeekStart,
    SeekComplete,
    BufferStart,
    BufferComplete,
    BitrateChange,
    StateStart(StateInfo),
    StateEnd(StateInfo),
    Playhead(f64),
    Qoe(QoeInfo),
    /// Time passing: what is due (pings, content start, idle end, restarts, preroll) happens.
    Tick,
}

impl Call {
    /// The call as a reader of a message would write it.
    pub fn name(&self) -> &'static str {
        match self {
            Call::SessionStart(..) => "track_session_start",
            Call::Play => "track_play",
            Call::Pause => "track_pause",
            Call::Complete => "track_complete",
            Call::SessionEnd => "track_session_end",
            Call::Error(_) => "track_error",
            Call::AdBreakStart(_) => "ad break start",
            Call::AdBreakComplete => "ad break complete",
            Call::AdStart(..) => "ad start",
            Call::AdComplete => "ad complete",
            Call::AdSkip => "ad skip",
            Call::ChapterStart(..) => "chapter start",
            Call::ChapterComplete => "chapter complete",
            Call::ChapterSkip => "chapter skip",
            Call::SeekStart => "seek start",
            Call::SeekComplete => "seek complete",
            Call::BufferStart => "buffer start",
            Call::BufferComplete => "buffer complete",
            Call::BitrateChange => "bitrate change",
            Call::StateStart(_) => "state start",
            Call::StateEnd(_) => "state end",
            Call::Playhead(_) => "update_playhead",
            Call::Qoe(_) => "update_qoe",
            Call::Tick => "tick",
        }
    }
}

/// When a call happened: monotonic milliseconds for the rules' timing, wall milliseconds for
/// the events' timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub mono_ms: i64,
    pub wall_ms: i64,
}

/// An event the rules produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Emitted {
    pub event_type: EventType,
    /// The `mediaCollection`, playhead and QoE included.
    pub media: Map<String, Value>,
    pub playhead: i64,
    pub wall_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Start a new backend session with this sessionStart.
    StartSession(Emitted),
    /// Send this to the current backend session (sessionEnd/sessionComplete end it).
    Event(Emitted),
    /// A call held during the preroll wait turned out illegal when it was replayed.
    Rejected(String),
}
