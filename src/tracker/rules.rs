//! The tracker's rule engine, as Adobe's native media SDKs run it: every call is checked against
//! the playback state, legal calls update it and produce XDM events (with the implicit closes,
//! play-state events, pings, content start, idle and 24-hour restarts, preroll deferral and QoE
//! attachment). Pure: time comes in with each call, events go out as values.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::objects::{AdBreakInfo, AdInfo, ChapterInfo, MediaInfo, Metadata, QoeInfo, StateInfo};
use crate::xdm::{round_playhead, EventType};

/// Not playing for this long ends the session; playing again starts a resumed one.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Sessions are restarted (resumed) after this long.
pub(crate) const SESSION_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// Main content playing this long sends a second `play` (content start).
pub(crate) const CONTENT_START: Duration = Duration::from_secs(1);
/// Distinct player states one session may track.
pub(crate) const MAX_PLAYER_STATES: usize = 10;

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

pub use crate::config::TrackerConfig as Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlayState {
    Init,
    Play,
    Pause,
}

/// What the backend is told the playback is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reported {
    Init,
    Play,
    Pause,
    Buffer,
}

/// The media being tracked.
#[derive(Debug, Clone)]
struct Media {
    info: MediaInfo,
    metadata: Metadata,
    ad_break: Option<AdBreakInfo>,
    ad: Option<(AdInfo, Metadata)>,
    chapter: Option<(ChapterInfo, Metadata)>,
    play: PlayState,
    buffering: bool,
    seeking: bool,
    playhead: f64,
    qoe: Option<QoeInfo>,
    /// Player states started and not ended, and every one this session has seen.
    active_states: BTreeSet<String>,
    seen_states: BTreeSet<String>,
}

impl Media {
    fn idle(&self) -> bool {
        self.play != PlayState::Play || self.buffering || self.seeking
    }

    fn reported(&self) -> Reported {
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

#[derive(Debug, Clone)]
struct Preroll {
    since: i64,
    wait_ms: i64,
    held: Vec<(Call, Stamp)>,
}

/// The whole state of one tracker.
#[derive(Debug, Clone)]
pub struct Rules {
    settings: Settings,
    media: Option<Media>,
    /// A backend session is open (false after session end, and while idle).
    tracking: bool,
    reported: Reported,
    reported_since: i64,
    last_qoe: Option<QoeInfo>,
    media_idle: bool,
    idle_since: i64,
    tracker_idle: bool,
    session_since: i64,
    content_started: bool,
    content_since: Option<i64>,
    preroll: Option<Preroll>,
    now: Stamp,
    out: Vec<Output>,
}

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

type Rejection = String;

impl Rules {
    pub fn new(settings: Settings) -> Rules {
        Rules {
            settings,
            media: None,
            tracking: false,
            reported: Reported::Init,
            reported_since: 0,
            last_qoe: None,
            media_idle: false,
            idle_since: 0,
            tracker_idle: false,
            session_since: 0,
            content_started: false,
            content_since: None,
            preroll: None,
            now: Stamp { mono_ms: 0, wall_ms: 0 },
            out: Vec::new(),
        }
    }

    pub fn in_session(&self) -> bool {
        self.media.is_some()
    }

    /// Back to no session, keeping the settings.
    pub fn reset(&mut self) {
        *self = Rules::new(self.settings.clone());
    }

    /// The backend session could not be (re)started: carry on as idle, so that the next call
    /// while playing tries again.
    pub fn abandon_session(&mut self) {
        self.tracking = false;
        if self.media.is_some() {
            self.tracker_idle = true;
        }
    }

    /// Applies one call at `stamp`: the events it produces, or why it is not legal now.
    pub fn apply(&mut self, call: Call, stamp: Stamp) -> Result<Vec<Output>, Rejection> {
        self.out.clear();
        if let Some(preroll) = &mut self.preroll {
            let due = stamp.mono_ms - preroll.since >= preroll.wait_ms;
            let releases = matches!(call, Call::AdBreakStart(_) | Call::Complete | Call::SessionEnd);
            if call != Call::Tick {
                preroll.held.push((call, stamp));
            }
            if due || releases {
                let held = std::mem::take(&mut preroll.held);
                self.preroll = None;
                for (call, stamp) in reorder_preroll(held) {
                    if let Err(message) = self.process(call, stamp) {
                        self.out.push(Output::Rejected(message));
                    }
                }
            }
            return Ok(std::mem::take(&mut self.out));
        }
        self.process(call, stamp)?;
        Ok(std::mem::take(&mut self.out))
    }

    /// When the next thing falls due on the monotonic clock (for the tick timer), if anything.
    pub fn next_due(&self) -> Option<i64> {
        if let Some(preroll) = &self.preroll {
            return Some(preroll.since + preroll.wait_ms);
        }
        let media = self.media.as_ref()?;
        let mut due = Vec::new();
        if self.tracking {
            due.push(self.reported_since + ms(self.ping_interval()));
        }
        if !self.tracker_idle {
            if self.media_idle {
                due.push(self.idle_since + ms(IDLE_TIMEOUT));
            }
            due.push(self.session_since + ms(SESSION_TIMEOUT));
        }
        if !self.content_started && !media.idle() && media.ad_break.is_none() {
            if let Some(since) = self.content_since {
                due.push(since + ms(CONTENT_START));
            }
        }
        due.into_iter().min()
    }

    fn ping_interval(&self) -> Duration {
        match self.media.as_ref().map(|m| m.ad.is_some()) {
            Some(true) => self.settings.ad_ping_interval,
            _ => self.settings.main_ping_interval,
        }
    }

    fn media(&mut self) -> &mut Media {
        self.media.as_mut().expect("checked in media")
    }

    /// Checks and applies one call (after preroll deferral).
    fn process(&mut self, call: Call, stamp: Stamp) -> Result<(), Rejection> {
        self.now = stamp;
        self.check(&call)?;
        let ad_start = matches!(call, Call::AdStart(..));
        let ends_wait = matches!(call, Call::BufferComplete | Call::SeekComplete);
        // The play state is sent again after these: the backend resets it.
        let flush = matches!(call, Call::AdStart(..) | Call::AdBreakComplete);
        self.act(call);
        if self.media.is_some() {
            self.after(ad_start, ends_wait, flush);
        }
        Ok(())
    }

    /// The predicates: is this call legal now? The message says what to call first.
    fn check(&self, call: &Call) -> Result<(), Rejection> {
        let Some(media) = &self.media else {
            return match call {
                Call::SessionStart(..) => Ok(()),
                Call::Tick => Ok(()),
                other => Err(format!("{} without a session: call track_session_start first", other.name())),
            };
        };
        let between_ads = media.ad_break.is_some() && media.ad.is_none();
        let playback_change = || -> Result<(), Rejection> {
            if between_ads {
                Err(format!("{} in an ad break between ads: call ad start or ad break complete first", call.name()))
            } else {
                Ok(())
            }
        };
        let not_buffering = || -> Result<(), Rejection> {
            if media.buffering {
                Err(format!("{} while buffering: call buffer complete (or track_play) first", call.name()))
            } else {
                Ok(())
            }
        };
        let not_seeking = || -> Result<(), Rejection> {
            if media.seeking {
                Err(format!("{} while seeking: call seek complete (or track_play) first", call.name()))
            } else {
                Ok(())
            }
        };
        let in_ad_break = || -> Result<(), Rejection> {
            if media.ad_break.is_none() {
                Err(format!("{} outside an ad break: call ad break start first", call.name()))
            } else {
                Ok(())
            }
        };
        let in_ad = || -> Result<(), Rejection> {
            in_ad_break()?;
            if media.ad.is_none() {
                Err(format!("{} with no ad running: call ad start first", call.name()))
            } else {
                Ok(())
            }
        };
        let in_chapter = || -> Result<(), Rejection> {
            if media.chapter.is_none() {
                Err(format!("{} with no chapter running: call chapter start first", call.name()))
            } else {
                Ok(())
            }
        };
        match call {
            Call::SessionStart(..) => {
                Err("track_session_start while a session is active: call track_complete or track_session_end first"
                    .into())
            }
            Call::Play => playback_change(),
            Call::Pause | Call::BufferStart | Call::SeekStart => {
                playback_change()?;
                not_buffering()?;
                not_seeking()
            }
            Call::BufferComplete => {
                playback_change()?;
                if media.buffering {
                    Ok(())
                } else {
                    Err("buffer complete while not buffering: call buffer start first".into())
                }
            }
            Call::SeekComplete => {
                playback_change()?;
                if media.seeking {
                    Ok(())
                } else {
                    Err("seek complete while not seeking: call seek start first".into())
                }
            }
            Call::AdBreakStart(info) => {
                if media.ad_break.as_ref() == Some(info) {
                    Err("ad break start for the ad break already running: call ad break complete first, or start a different one".into())
                } else {
                    Ok(())
                }
            }
            Call::AdBreakComplete => in_ad_break(),
            Call::AdStart(info, _) => {
                in_ad_break()?;
                if media.ad.as_ref().map(|(a, _)| a) == Some(info) {
                    Err("ad start for the ad already running: call ad complete first, or start a different one".into())
                } else {
                    Ok(())
                }
            }
            Call::AdComplete | Call::AdSkip => in_ad(),
            Call::ChapterStart(info, _) => {
                if media.chapter.as_ref().map(|(c, _)| c) == Some(info) {
                    Err("chapter start for the chapter already running: call chapter complete first, or start a different one".into())
                } else {
                    Ok(())
                }
            }
            Call::ChapterComplete | Call::ChapterSkip => in_chapter(),
            Call::StateStart(state) => {
                if media.active_states.contains(&state.name) {
                    Err(format!("state start for \"{}\", which is already started: call state end first", state.name))
                } else if !media.seen_states.contains(&state.name) && media.seen_states.len() >= MAX_PLAYER_STATES {
                    Err(format!(
                        "state start for \"{}\": a session tracks at most {MAX_PLAYER_STATES} distinct player states",
                        state.name
                    ))
                } else {
                    Ok(())
                }
            }
            Call::StateEnd(state) => {
                if media.active_states.contains(&state.name) {
                    Ok(())
                } else {
                    Err(format!("state end for \"{}\", which was not started: call state start first", state.name))
                }
            }
            Call::Error(id) if id.trim().is_empty() => Err("track_error needs a non-empty error id".into()),
            // The API requires qoeDataDetails on bitrateChange (found by the tracker_calls fuzz target).
            Call::BitrateChange if media.qoe.is_none() => {
                Err("bitrate change without QoE: call update_qoe first".into())
            }
            Call::Complete
            | Call::SessionEnd
            | Call::Error(_)
            | Call::BitrateChange
            | Call::Playhead(_)
            | Call::Qoe(_)
            | Call::Tick => Ok(()),
        }
    }

    /// The actions of a legal call.
    fn act(&mut self, call: Call) {
        match call {
            Call::SessionStart(info, metadata) => self.start(info, metadata),
            Call::Complete | Call::SessionEnd => {
                self.skip_ad();
                self.skip_ad_break();
                self.skip_chapter();
                let end = if call == Call::Complete { EventType::SessionComplete } else { EventType::SessionEnd };
                self.emit(end, Map::new());
                self.tracking = false;
                self.media = None;
                self.preroll = None;
            }
            Call::Error(id) => {
                let mut media = Map::new();
                media.insert("errorDetails".into(), json!({"name": id, "source": "player"}));
                self.emit(EventType::Error, media);
            }
            Call::Play => {
                let m = self.media();
                m.seeking = false;
                m.buffering = false;
                m.play = PlayState::Play;
            }
            Call::Pause => {
                let m = self.media();
                m.seeking = false;
                m.buffering = false;
                m.play = PlayState::Pause;
            }
            Call::BufferStart => self.media().buffering = true,
            Call::BufferComplete => self.media().buffering = false,
            Call::SeekStart => self.media().seeking = true,
            Call::SeekComplete => self.media().seeking = false,
            Call::AdBreakStart(info) => {
                self.skip_ad();
                self.skip_ad_break();
                let fragment = info.xdm();
                self.media().ad_break = Some(info);
                self.emit(EventType::AdBreakStart, fragment);
            }
            Call::AdBreakComplete => {
                self.skip_ad();
                self.emit(EventType::AdBreakComplete, Map::new());
                self.media().ad_break = None;
            }
            Call::AdStart(info, metadata) => {
                self.skip_ad();
                let fragment = info.xdm(&metadata);
                self.media().ad = Some((info, metadata));
                self.emit(EventType::AdStart, fragment);
            }
            Call::AdComplete => {
                self.emit(EventType::AdComplete, Map::new());
                self.media().ad = None;
            }
            Call::AdSkip => self.skip_ad(),
            Call::ChapterStart(info, metadata) => {
                self.skip_chapter();
                let fragment = info.xdm(&metadata);
                self.media().chapter = Some((info, metadata));
                self.emit(EventType::ChapterStart, fragment);
            }
            Call::ChapterComplete => {
                self.emit(EventType::ChapterComplete, Map::new());
                self.media().chapter = None;
            }
            Call::ChapterSkip => self.skip_chapter(),
            Call::BitrateChange => {
                let qoe = self.media().qoe;
                let mut media = Map::new();
                if let Some(qoe) = qoe {
                    media.insert("qoeDataDetails".into(), qoe.xdm());
                    self.last_qoe = Some(qoe);
                }
                self.emit(EventType::BitrateChange, media);
            }
            Call::StateStart(state) => {
                let m = self.media();
                m.active_states.insert(state.name.clone());
                m.seen_states.insert(state.name.clone());
                self.emit_state(&state.name, "statesStart");
            }
            Call::StateEnd(state) => {
                self.media().active_states.remove(&state.name);
                self.emit_state(&state.name, "statesEnd");
            }
            Call::Playhead(seconds) => {
                if seconds.is_finite() && seconds >= 0.0 {
                    self.media().playhead = seconds;
                }
            }
            Call::Qoe(qoe) => self.media().qoe = Some(qoe),
            Call::Tick => {}
        }
    }

    fn start(&mut self, info: MediaInfo, metadata: Metadata) {
        let now = self.now.mono_ms;
        let preroll_wait = info.preroll_waiting_ms as i64;
        self.media = Some(Media {
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
        });
        self.media_idle = false;
        self.tracker_idle = false;
        self.content_started = false;
        self.content_since = None;
        self.open_session(false);
        self.session_since = now;
        if preroll_wait > 0 {
            self.preroll = Some(Preroll { since: now, wait_ms: preroll_wait, held: Vec::new() });
        }
    }

    /// A new backend session: sessionStart (resumed or not) and the reporting state reset.
    fn open_session(&mut self, resume: bool) {
        self.tracking = true;
        self.reported = Reported::Init;
        self.reported_since = self.now.mono_ms;
        self.last_qoe = None;
        let media = self.media.as_ref().expect("in media");
        let fragment = media.info.session_start(&media.metadata, self.settings.channel.as_deref(), resume);
        let emitted = self.emitted(EventType::SessionStart, fragment);
        self.out.push(Output::StartSession(emitted));
    }

    /// After an idle end or 24 hours: a resumed session with the open chapter, ad break, ad,
    /// player states and play state described again.
    fn restart(&mut self) {
        self.open_session(true);
        let media = self.media.as_ref().expect("in media").clone();
        if let Some((chapter, metadata)) = &media.chapter {
            self.emit(EventType::ChapterStart, chapter.xdm(metadata));
        }
        if let Some(ad_break) = &media.ad_break {
            self.emit(EventType::AdBreakStart, ad_break.xdm());
        }
        if let Some((ad, metadata)) = &media.ad {
            self.emit(EventType::AdStart, ad.xdm(metadata));
        }
        for state in &media.active_states {
            self.emit_state(state, "statesStart");
        }
        self.playback(false);
    }

    fn skip_ad(&mut self) {
        if self.media.as_ref().is_some_and(|m| m.ad.is_some()) {
            self.emit(EventType::AdSkip, Map::new());
            self.media().ad = None;
        }
    }

    /// An ad break closed implicitly is reported as completed (the API has no ad break skip).
    fn skip_ad_break(&mut self) {
        if self.media.as_ref().is_some_and(|m| m.ad_break.is_some()) {
            self.emit(EventType::AdBreakComplete, Map::new());
            self.media().ad_break = None;
        }
    }

    fn skip_chapter(&mut self) {
        if self.media.as_ref().is_some_and(|m| m.chapter.is_some()) {
            self.emit(EventType::ChapterSkip, Map::new());
            self.media().chapter = None;
        }
    }

    fn emit_state(&mut self, name: &str, list: &str) {
        let mut media = Map::new();
        media.insert(list.into(), json!([{ "name": name }]));
        self.emit(EventType::StatesUpdate, media);
    }

    /// Completes an event with playhead and (changed) QoE.
    fn emitted(&mut self, event_type: EventType, mut fragment: Map<String, Value>) -> Emitted {
        let media = self.media.as_ref().expect("in media");
        let playhead = round_playhead(media.playhead);
        let qoe = media.qoe;
        if let Some(current) = qoe.filter(|_| !fragment.contains_key("qoeDataDetails") && qoe != self.last_qoe) {
            fragment.insert("qoeDataDetails".into(), current.xdm());
            self.last_qoe = qoe;
        }
        fragment.insert("playhead".into(), Value::from(playhead));
        Emitted { event_type, media: fragment, playhead, wall_ms: self.now.wall_ms }
    }

    /// Sends an event to the open backend session; nothing while idle (no session open).
    fn emit(&mut self, event_type: EventType, fragment: Map<String, Value>) {
        if !self.tracking {
            return;
        }
        let emitted = self.emitted(event_type, fragment);
        self.out.push(Output::Event(emitted));
    }

    /// What follows every legal call: implied state for preroll ads, idle, 24 h, content start,
    /// and the play-state event or ping.
    fn after(&mut self, ad_start: bool, ends_wait: bool, flush: bool) {
        let now = self.now.mono_ms;
        {
            let m = self.media();
            // The backend takes an ad start before any play as playing (a preroll).
            if ad_start && m.play == PlayState::Init && !m.buffering && !m.seeking {
                m.play = PlayState::Play;
            }
            // A buffer or seek ending before the first play leaves the player paused.
            if ends_wait && m.play == PlayState::Init {
                m.play = PlayState::Pause;
            }
        }
        let idle = self.media.as_ref().expect("in media").idle();
        // Idle: 30 minutes not playing end the session; playing again resumes it.
        if idle {
            if self.media_idle && !self.tracker_idle && now - self.idle_since >= ms(IDLE_TIMEOUT) {
                self.emit(EventType::SessionEnd, Map::new());
                self.tracking = false;
                self.tracker_idle = true;
            } else if !self.media_idle {
                self.media_idle = true;
                self.idle_since = now;
            }
        } else {
            if self.tracker_idle {
                self.restart();
                self.tracker_idle = false;
                self.session_since = now;
                self.content_started = false;
                self.content_since = None;
            }
            self.media_idle = false;
        }
        // 24 hours: end and resume.
        if !self.tracker_idle && now - self.session_since >= ms(SESSION_TIMEOUT) {
            self.emit(EventType::SessionEnd, Map::new());
            self.restart();
            self.session_since = now;
            self.content_started = false;
            self.content_since = None;
        }
        // Content start: a second play after a second of main content.
        let in_ad_break = self.media.as_ref().expect("in media").ad_break.is_some();
        if !idle && !self.content_started {
            if in_ad_break {
                self.content_since = None;
            } else {
                let since = *self.content_since.get_or_insert(now);
                if now - since >= ms(CONTENT_START) {
                    self.playback(true);
                    self.content_started = true;
                }
            }
        }
        self.playback(flush);
    }

    /// Reports the play state when it changed (or `flush`), or pings when it has not for an
    /// interval.
    fn playback(&mut self, flush: bool) {
        if !self.tracking {
            return;
        }
        let now = self.now.mono_ms;
        let state = self.media.as_ref().expect("in media").reported();
        if state != self.reported || flush {
            let event = match state {
                Reported::Buffer => EventType::BufferStart,
                Reported::Pause => EventType::PauseStart,
                Reported::Play => EventType::Play,
                Reported::Init => EventType::Ping,
            };
            self.emit(event, Map::new());
            self.reported = state;
            self.reported_since = now;
        } else if now - self.reported_since >= ms(self.ping_interval()) {
            self.emit(EventType::Ping, Map::new());
            self.reported_since = now;
        }
    }
}

/// Calls held during the preroll wait: any play before the first ad break start is dropped (the
/// ad break's ad start implies play).
fn reorder_preroll(held: Vec<(Call, Stamp)>) -> Vec<(Call, Stamp)> {
    let mut drop_play = held.iter().any(|(c, _)| matches!(c, Call::AdBreakStart(_)));
    let mut kept = Vec::with_capacity(held.len());
    for (call, stamp) in held {
        if call == Call::Play && drop_play {
            continue;
        }
        if matches!(call, Call::AdBreakStart(_)) {
            drop_play = false;
        }
        kept.push((call, stamp));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::objects::MediaType;

    fn rules() -> Rules {
        Rules::new(Settings {
            channel: None,
            main_ping_interval: Duration::from_secs(10),
            ad_ping_interval: Duration::from_secs(1),
        })
    }

    fn at(ms: i64) -> Stamp {
        Stamp { mono_ms: ms, wall_ms: 1_000_000 + ms }
    }

    fn started() -> Rules {
        let mut r = rules();
        let mut media = MediaInfo::new("m", "M", 60.0, "vod", MediaType::Video).unwrap();
        media.preroll_waiting_ms = 0;
        r.apply(Call::SessionStart(media, Metadata::new()), at(0)).unwrap();
        r
    }

    fn actions(outputs: Vec<Output>) -> Vec<&'static str> {
        outputs
            .into_iter()
            .map(|o| match o {
                Output::StartSession(e) | Output::Event(e) => e.event_type.action(),
                Output::Rejected(_) => "rejected",
            })
            .collect()
    }

    fn ad_break(n: i64) -> Call {
        Call::AdBreakStart(AdBreakInfo::new(&format!("break-{n}"), n, 0.0).unwrap())
    }

    fn ad(n: i64) -> Call {
        Call::AdStart(AdInfo::new(&format!("ad-{n}"), "Ad", n, 5.0).unwrap(), Metadata::new())
    }

    #[test]
    fn implicit_closes_of_ads_and_ad_breaks() {
        let mut r = started();
        assert_eq!(actions(r.apply(ad_break(1), at(1)).unwrap()), ["adBreakStart"]);
        assert_eq!(actions(r.apply(ad(1), at(2)).unwrap()), ["adStart", "play"]);
        // A new ad skips the running one.
        assert_eq!(actions(r.apply(ad(2), at(3)).unwrap()), ["adSkip", "adStart", "play"]);
        // A new ad break skips the ad and completes the break.
        assert_eq!(actions(r.apply(ad_break(2), at(4)).unwrap()), ["adSkip", "adBreakComplete", "adBreakStart"]);
        assert_eq!(actions(r.apply(ad(1), at(5)).unwrap()), ["adStart", "play"]);
        // Ad break complete skips a running ad.
        assert_eq!(actions(r.apply(Call::AdBreakComplete, at(6)).unwrap()), ["adSkip", "adBreakComplete", "play"]);
    }

    #[test]
    fn duplicate_ads_and_ad_breaks_are_rejected() {
        let mut r = started();
        r.apply(ad_break(1), at(1)).unwrap();
        assert!(r.apply(ad_break(1), at(2)).unwrap_err().contains("already running"));
        r.apply(ad(1), at(3)).unwrap();
        assert!(r.apply(ad(1), at(4)).unwrap_err().contains("already running"));
        // Between ads (after one completed) the play state may not change.
        r.apply(Call::AdComplete, at(5)).unwrap();
        assert!(r.apply(Call::Pause, at(6)).unwrap_err().contains("between ads"));
    }

    #[test]
    fn seek_or_buffer_complete_before_any_play_leaves_the_player_paused() {
        let mut r = started();
        assert_eq!(actions(r.apply(Call::BufferStart, at(1)).unwrap()), ["bufferStart"]);
        assert_eq!(actions(r.apply(Call::BufferComplete, at(2)).unwrap()), ["pauseStart"]);
        assert!(r.apply(Call::BufferComplete, at(3)).unwrap_err().contains("not buffering"));
        assert!(r.apply(Call::SeekComplete, at(3)).unwrap_err().contains("not seeking"));
    }

    #[test]
    fn next_due_follows_pings_content_start_and_idle() {
        let mut r = started();
        // Not playing: the ping (10 s) comes before the idle end (30 min) and the 24 h restart.
        assert_eq!(r.next_due(), Some(10_000));
        r.apply(Call::Play, at(500)).unwrap();
        // Playing main content: content start one second after play.
        assert_eq!(r.next_due(), Some(1_500));
        assert_eq!(actions(r.apply(Call::Tick, at(1_500)).unwrap()), ["play"]);
        assert_eq!(r.next_due(), Some(11_500));
        r.apply(Call::Complete, at(2_000)).unwrap();
        assert_eq!(r.next_due(), None, "nothing is due without a session");
    }
}
