//! The tracker's rule engine, as Adobe's native media SDKs run it: every call is checked against
//! the playback state, legal calls update it and produce XDM events (with the implicit closes,
//! play-state events, pings, content start, idle and 24-hour restarts, preroll deferral and QoE
//! attachment). Pure: time comes in with each call, events go out as values.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::calls::{Call, Emitted, Output, Stamp};
use super::checks::check;
use super::objects::{AdBreakInfo, MediaInfo, Metadata, QoeInfo};
use super::playback::{Media, PlayState, Reported};
use crate::config::TrackerConfig;
use crate::resume::{OpenObjects, BACKEND_MAX_SESSION_AGE};
use crate::xdm::{round_playhead, EventType};

/// Not playing for this long ends the session; playing again starts a resumed one.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Sessions are restarted (resumed) after this long: the backend's limit.
const SESSION_TIMEOUT: Duration = BACKEND_MAX_SESSION_AGE;
/// Main content playing this long sends a second `play` (content start).
const CONTENT_START: Duration = Duration::from_secs(1);

/// What a call implies for what follows it (see `Rules::after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Implied {
    Nothing,
    /// Before any play, an ad start means playing (a preroll); the play state is restated.
    AdStart,
    /// Before any play, a buffer or seek ending leaves the player paused.
    WaitEnded,
    /// The play state is restated: the backend resets it after an ad break.
    AdBreakComplete,
}

impl Implied {
    fn by(call: &Call) -> Implied {
        match call {
            Call::AdStart(..) => Implied::AdStart,
            Call::BufferComplete | Call::SeekComplete => Implied::WaitEnded,
            Call::AdBreakComplete => Implied::AdBreakComplete,
            _ => Implied::Nothing,
        }
    }

    fn restates_play_state(self) -> bool {
        matches!(self, Implied::AdStart | Implied::AdBreakComplete)
    }
}

/// Whether the play state is reported even if it has not changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    Always,
    IfChanged,
}

/// Calls held while the tracker waits to see whether a preroll ad break comes first.
#[derive(Debug, Clone)]
struct Preroll {
    since: i64,
    wait_ms: i64,
    held: Vec<(Call, Stamp)>,
}

/// The whole state of one tracker.
#[derive(Debug, Clone)]
pub struct Rules {
    settings: TrackerConfig,
    media: Option<Media>,
    /// A backend session is open (false after session end, and while idle).
    tracking: bool,
    reported: Reported,
    reported_since: i64,
    last_qoe: Option<QoeInfo>,
    /// Since when the media has not been playing (paused, buffering, seeking, not started).
    not_playing_since: Option<i64>,
    /// The backend session was closed after 30 minutes not playing (or could not be opened):
    /// playing again opens a resumed one.
    closed_until_play: bool,
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
    pub fn new(settings: TrackerConfig) -> Rules {
        Rules {
            settings,
            media: None,
            tracking: false,
            reported: Reported::Init,
            reported_since: 0,
            last_qoe: None,
            not_playing_since: None,
            closed_until_play: false,
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

    /// The mode of the sessions the tracker opens.
    pub fn mode(&self) -> crate::xdm::Mode {
        if self.settings.downloaded {
            crate::xdm::Mode::Downloaded
        } else {
            crate::xdm::Mode::Automatic
        }
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
            self.closed_until_play = true;
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
        if !self.closed_until_play {
            if let Some(since) = self.not_playing_since {
                due.push(since + ms(IDLE_TIMEOUT));
            }
            due.push(self.session_since + ms(SESSION_TIMEOUT));
        }
        if !self.content_started && !media.not_playing() && media.ad_break.is_none() {
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
        check(self.media.as_ref(), &call)?;
        let implied = Implied::by(&call);
        self.act(call);
        if self.media.is_some() {
            self.after(implied);
        }
        Ok(())
    }

    /// The predicates: is this call legal now? The message says what to call first.
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
        self.media = Some(Media::new(info, metadata));
        self.not_playing_since = None;
        self.closed_until_play = false;
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
        let media = self.media.as_ref().expect("in media");
        let open = OpenObjects {
            chapter: media.chapter.as_ref().map(|(chapter, metadata)| chapter.xdm(metadata)),
            ad_break: media.ad_break.as_ref().map(AdBreakInfo::xdm),
            ad: media.ad.as_ref().map(|(ad, metadata)| ad.xdm(metadata)),
        };
        let states: Vec<String> = media.active_states.iter().cloned().collect();
        for (event_type, fragment) in open.restated() {
            self.emit(event_type, fragment.clone());
        }
        for state in &states {
            self.emit_state(state, "statesStart");
        }
        self.playback(Report::IfChanged);
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
    fn after(&mut self, implied: Implied) {
        let now = self.now.mono_ms;
        {
            let m = self.media();
            match implied {
                // The backend takes an ad start before any play as playing (a preroll).
                Implied::AdStart if m.play == PlayState::Init && !m.buffering && !m.seeking => {
                    m.play = PlayState::Play;
                }
                // A buffer or seek ending before the first play leaves the player paused.
                Implied::WaitEnded if m.play == PlayState::Init => m.play = PlayState::Pause,
                _ => {}
            }
        }
        let not_playing = self.media.as_ref().expect("in media").not_playing();
        // 30 minutes not playing end the session; playing again resumes it.
        if not_playing {
            match self.not_playing_since {
                Some(since) if !self.closed_until_play && now - since >= ms(IDLE_TIMEOUT) => {
                    self.emit(EventType::SessionEnd, Map::new());
                    self.tracking = false;
                    self.closed_until_play = true;
                }
                Some(_) => {}
                None => self.not_playing_since = Some(now),
            }
        } else {
            if self.closed_until_play {
                self.restart();
                self.closed_until_play = false;
                self.session_since = now;
                self.content_started = false;
                self.content_since = None;
            }
            self.not_playing_since = None;
        }
        // 24 hours: end and resume.
        if !self.closed_until_play && now - self.session_since >= ms(SESSION_TIMEOUT) {
            self.emit(EventType::SessionEnd, Map::new());
            self.restart();
            self.session_since = now;
            self.content_started = false;
            self.content_since = None;
        }
        // Content start: a second play after a second of main content.
        let in_ad_break = self.media.as_ref().expect("in media").ad_break.is_some();
        if !not_playing && !self.content_started {
            if in_ad_break {
                self.content_since = None;
            } else {
                let since = *self.content_since.get_or_insert(now);
                if now - since >= ms(CONTENT_START) {
                    self.playback(Report::Always);
                    self.content_started = true;
                }
            }
        }
        self.playback(if implied.restates_play_state() { Report::Always } else { Report::IfChanged });
    }

    /// Reports the play state when it changed (or always), or pings when it has not for an
    /// interval.
    fn playback(&mut self, report: Report) {
        if !self.tracking {
            return;
        }
        let now = self.now.mono_ms;
        let state = self.media.as_ref().expect("in media").reported();
        if state != self.reported || report == Report::Always {
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
    use crate::tracker::objects::{AdBreakInfo, AdInfo, MediaType};

    fn rules() -> Rules {
        Rules::new(TrackerConfig {
            channel: None,
            downloaded: false,
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
