//! Random sequences of tracker calls with random objects, with virtual time passing between
//! them. Objects that break their rules are refused with INVALID_ARGUMENT; calls that break the
//! tracker's rules with RULE_VIOLATION; nothing panics; and every request the tracker makes is
//! one the emulator's validator accepts.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mediaedge::tracker::{AdBreakInfo, AdInfo, Call, ChapterInfo, MediaInfo, MediaType, Metadata, QoeInfo, StateInfo};
use mediaedge::ErrorKind;
use mediaedge_fuzz::{assert_refusal, harness};

#[derive(Debug, Arbitrary)]
enum Step {
    SessionStart {
        id: String,
        name: String,
        length: f64,
        stream_type: u8,
        audio: bool,
        metadata: Vec<(String, String)>,
    },
    Play,
    Pause,
    Complete,
    SessionEnd,
    Error(String),
    AdBreakStart {
        name: String,
        position: i64,
        start_time: f64,
    },
    AdBreakComplete,
    AdStart {
        id: String,
        name: String,
        position: i64,
        length: f64,
        metadata: Vec<(String, String)>,
    },
    AdComplete,
    AdSkip,
    ChapterStart {
        name: String,
        position: i64,
        start_time: f64,
        length: f64,
    },
    ChapterComplete,
    ChapterSkip,
    SeekStart,
    SeekComplete,
    BufferStart,
    BufferComplete,
    BitrateChange,
    StateStart(String),
    StateEnd(String),
    Playhead(f64),
    Qoe {
        bitrate: f64,
        startup: f64,
        fps: f64,
        dropped: f64,
    },
    /// Virtual time passing (pings, content start, idle end happen on their own).
    Advance(u32),
}

const OBJECT_REFUSALS: &[ErrorKind] = &[ErrorKind::InvalidArgument];
const CALL_REFUSALS: &[ErrorKind] = &[ErrorKind::RuleViolation, ErrorKind::InvalidArgument];

fn metadata(pairs: &[(String, String)]) -> Metadata {
    let mut metadata = Metadata::new();
    for (key, value) in pairs.iter().take(8) {
        if let Err(e) = metadata.set(key, value) {
            assert_refusal(&e, OBJECT_REFUSALS);
        }
    }
    metadata
}

/// The call a step makes, or `None` when its object was (rightly) refused.
fn call(step: &Step) -> Option<Call> {
    let made = match step {
        Step::SessionStart { id, name, length, stream_type, audio, metadata: pairs } => {
            let stream = ["vod", "live", "linear", "podcast", "audiobook", "aod", ""][*stream_type as usize % 7];
            let kind = if *audio { MediaType::Audio } else { MediaType::Video };
            MediaInfo::new(id, name, *length, stream, kind).map(|m| Call::SessionStart(m, metadata(pairs)))
        }
        Step::Play => Ok(Call::Play),
        Step::Pause => Ok(Call::Pause),
        Step::Complete => Ok(Call::Complete),
        Step::SessionEnd => Ok(Call::SessionEnd),
        Step::Error(id) => Ok(Call::Error(id.clone())),
        Step::AdBreakStart { name, position, start_time } => {
            AdBreakInfo::new(name, *position, *start_time).map(Call::AdBreakStart)
        }
        Step::AdBreakComplete => Ok(Call::AdBreakComplete),
        Step::AdStart { id, name, position, length, metadata: pairs } => {
            AdInfo::new(id, name, *position, *length).map(|a| Call::AdStart(a, metadata(pairs)))
        }
        Step::AdComplete => Ok(Call::AdComplete),
        Step::AdSkip => Ok(Call::AdSkip),
        Step::ChapterStart { name, position, start_time, length } => {
            ChapterInfo::new(name, *position, *start_time, *length).map(|c| Call::ChapterStart(c, Metadata::new()))
        }
        Step::ChapterComplete => Ok(Call::ChapterComplete),
        Step::ChapterSkip => Ok(Call::ChapterSkip),
        Step::SeekStart => Ok(Call::SeekStart),
        Step::SeekComplete => Ok(Call::SeekComplete),
        Step::BufferStart => Ok(Call::BufferStart),
        Step::BufferComplete => Ok(Call::BufferComplete),
        Step::BitrateChange => Ok(Call::BitrateChange),
        Step::StateStart(name) => StateInfo::new(name).map(Call::StateStart),
        Step::StateEnd(name) => StateInfo::new(name).map(Call::StateEnd),
        Step::Playhead(seconds) => Ok(Call::Playhead(*seconds)),
        Step::Qoe { bitrate, startup, fps, dropped } => QoeInfo::new(*bitrate, *startup, *fps, *dropped).map(Call::Qoe),
        Step::Advance(_) => return None,
    };
    match made {
        Ok(call) => Some(call),
        Err(e) => {
            assert_refusal(&e, OBJECT_REFUSALS);
            None
        }
    }
}

fuzz_target!(|steps: Vec<Step>| {
    let h = harness();
    let tracker = h.client.create_tracker(None).expect("a tracker");
    for step in steps.iter().take(128) {
        if let Step::Advance(ms) = step {
            let _ = h.client.wait_idle(Duration::from_secs(10));
            h.client.advance_clock(Duration::from_millis(u64::from(*ms % 3_600_000))).expect("advance");
            continue;
        }
        if let Some(call) = call(step) {
            if let Err(e) = tracker.track(call) {
                assert_refusal(&e, CALL_REFUSALS);
            }
        }
    }
    drop(tracker);
    h.drain();
    h.assert_requests_valid();
});
