//! What the tracker knows of the media being played: the objects that are open (ad break, ad,
//! chapter, player states) and the player's state.

use std::collections::BTreeSet;

use super::objects::{AdBreakInfo, AdInfo, ChapterInfo, MediaInfo, Metadata, QoeInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PlayState {
    Init,
    Play,
    Pause,
}

/// What the backend is told the playback is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reported {
    Init,
    Play,
    Pause,
    Buffer,
}

/// The media being tracked.
#[derive(Debug, Clone)]
pub(super) struct Media {
    pub info: MediaInfo,
    pub metadata: Metadata,
    pub ad_break: Option<AdBreakInfo>,
    pub ad: Option<(AdInfo, Metadata)>,
    pub chapter: Option<(ChapterInfo, Metadata)>,
    pub play: PlayState,
    pub buffering: bool,
    pub seeking: bool,
    pub playhead: f64,
    pub qoe: Option<QoeInfo>,
    /// Player states started and not ended, and every one this session has seen.
    pub active_states: BTreeSet<String>,
    pub seen_states: BTreeSet<String>,
}

impl Media {
    pub fn new(info: MediaInfo, metadata: Metadata) -> Media {
        Media {
            info,
            metadata,
            ad_break: None,
            ad: None,
            chapter: None,
            play: PlayState::Init,
            buffering: false,
            seeking: false,
            playhead: 0.0,
            qoe: None,
            active_states: BTreeSet::new(),
            seen_states: BTreeSet::new(),
        }
    }

    /// Paused, buffering, seeking or not started: what the idle timeout counts.
    pub fn not_playing(&self) -> bool {
        self.play != PlayState::Play || self.buffering || self.seeking
    }

    pub fn reported(&self) -> Reported {
        if self.buffering {
            Reported::Buffer
        } else if self.seeking {
            Reported::Pause
        } else {
            match self.play {
                PlayState::Play => Reported::Play,
                PlayState::Pause => Reported::Pause,
                PlayState::Init => Reported::Init,
            }
        }
    }
}
