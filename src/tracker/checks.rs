//! Is a call legal now? Each call has a row of requirements on the playback; the first one that
//! does not hold rejects the call with a message that says what to call first. A few calls have
//! a check of their own (a duplicate ad, chapter or player state).

use super::calls::Call;
use super::playback::Media;

/// Distinct player states one session may track.
pub(crate) const MAX_PLAYER_STATES: usize = 10;

/// One requirement a call may have on the playback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Not in an ad break between two ads (the play state may not change there).
    NotBetweenAds,
    NotBuffering,
    NotSeeking,
    Buffering,
    Seeking,
    InAdBreak,
    InAd,
    InChapter,
    /// The QoE is known (the API requires qoeDataDetails on bitrateChange).
    HasQoe,
}

impl Need {
    fn holds(self, media: &Media) -> bool {
        match self {
            Need::NotBetweenAds => !(media.ad_break.is_some() && media.ad.is_none()),
            Need::NotBuffering => !media.buffering,
            Need::NotSeeking => !media.seeking,
            Need::Buffering => media.buffering,
            Need::Seeking => media.seeking,
            Need::InAdBreak => media.ad_break.is_some(),
            Need::InAd => media.ad.is_some(),
            Need::InChapter => media.chapter.is_some(),
            Need::HasQoe => media.qoe.is_some(),
        }
    }

    fn message(self, call: &str) -> String {
        match self {
            Need::NotBetweenAds => {
                format!("{call} in an ad break between ads: call ad start or ad break complete first")
            }
            Need::NotBuffering => format!("{call} while buffering: call buffer complete (or track_play) first"),
            Need::NotSeeking => format!("{call} while seeking: call seek complete (or track_play) first"),
            Need::Buffering => format!("{call} while not buffering: call buffer start first"),
            Need::Seeking => format!("{call} while not seeking: call seek start first"),
            Need::InAdBreak => format!("{call} outside an ad break: call ad break start first"),
            Need::InAd => format!("{call} with no ad running: call ad start first"),
            Need::InChapter => format!("{call} with no chapter running: call chapter start first"),
            Need::HasQoe => format!("{call} without QoE: call update_qoe first"),
        }
    }
}

/// The table: what each call needs, in the order the needs are checked.
fn needs(call: &Call) -> &'static [Need] {
    use Need::*;
    match call {
        Call::Play => &[NotBetweenAds],
        Call::Pause | Call::BufferStart | Call::SeekStart => &[NotBetweenAds, NotBuffering, NotSeeking],
        Call::BufferComplete => &[NotBetweenAds, Buffering],
        Call::SeekComplete => &[NotBetweenAds, Seeking],
        Call::AdBreakComplete | Call::AdStart(..) => &[InAdBreak],
        Call::AdComplete | Call::AdSkip => &[InAdBreak, InAd],
        Call::ChapterComplete | Call::ChapterSkip => &[InChapter],
        Call::BitrateChange => &[HasQoe],
        Call::SessionStart(..)
        | Call::AdBreakStart(_)
        | Call::ChapterStart(..)
        | Call::StateStart(_)
        | Call::StateEnd(_)
        | Call::Complete
        | Call::SessionEnd
        | Call::Error(_)
        | Call::Playhead(_)
        | Call::Qoe(_)
        | Call::Tick => &[],
    }
}

/// Whether `call` is legal with `media` open (or no session, `None`).
pub(super) fn check(media: Option<&Media>, call: &Call) -> Result<(), String> {
    let Some(media) = media else {
        return match call {
            Call::SessionStart(..) | Call::Tick => Ok(()),
            other => Err(format!("{} without a session: call track_session_start first", other.name())),
        };
    };
    if let Some(need) = needs(call).iter().find(|need| !need.holds(media)) {
        return Err(need.message(call.name()));
    }
    match call {
        Call::SessionStart(..) => {
            Err("track_session_start while a session is active: call track_complete or track_session_end first".into())
        }
        Call::AdBreakStart(info) if media.ad_break.as_ref() == Some(info) => Err(
            "ad break start for the ad break already running: call ad break complete first, or start a different one"
                .into(),
        ),
        Call::AdStart(info, _) if media.ad.as_ref().map(|(a, _)| a) == Some(info) => {
            Err("ad start for the ad already running: call ad complete first, or start a different one".into())
        }
        Call::ChapterStart(info, _) if media.chapter.as_ref().map(|(c, _)| c) == Some(info) => {
            Err("chapter start for the chapter already running: call chapter complete first, or start a different one"
                .into())
        }
        Call::StateStart(state) if media.active_states.contains(&state.name) => {
            Err(format!("state start for \"{}\", which is already started: call state end first", state.name))
        }
        Call::StateStart(state)
            if !media.seen_states.contains(&state.name) && media.seen_states.len() >= MAX_PLAYER_STATES =>
        {
            Err(format!(
                "state start for \"{}\": a session tracks at most {MAX_PLAYER_STATES} distinct player states",
                state.name
            ))
        }
        Call::StateEnd(state) if !media.active_states.contains(&state.name) => {
            Err(format!("state end for \"{}\", which was not started: call state start first", state.name))
        }
        Call::Error(id) if id.trim().is_empty() => Err("track_error needs a non-empty error id".into()),
        _ => Ok(()),
    }
}
