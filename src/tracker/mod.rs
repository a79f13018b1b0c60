//! The tracker API (the Web SDK's `getMediaAnalyticsTracker`, the mobile SDKs'
//! `Media.createTracker`): typed calls go through the rule engine, whose events go to a session
//! the tracker opens, ends and restarts itself. Its timers (pings, content start, idle, 24 h,
//! preroll) are ticks on the client's scheduler thread: no thread per tracker.

mod calls;
mod checks;
pub mod names;
pub mod objects;
mod playback;
mod rules;

use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::clock::format_timestamp;
use crate::engine::{Engine, Ticking};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{Mailbox, SessionEvent, SessionEventKind};
use crate::session::SessionCore;
use crate::xdm::{self, Mode, PlayerDetails, Position, Prepared};

pub use calls::Call;
use calls::{Emitted, Output, Stamp};
pub use objects::{AdBreakInfo, AdInfo, ChapterInfo, MediaInfo, MediaType, Metadata, QoeInfo, StateInfo};
use rules::Rules;

struct State {
    rules: Rules,
    /// The backend session the rules' events go to, while one is open.
    session: Option<Arc<SessionCore>>,
    /// The session that ended last: the next one's events wait until all of its are out.
    previous: Option<Arc<SessionCore>>,
    /// The tick armed last: its due time and number (older ticks are stale).
    armed: Option<i64>,
    generation: u64,
}

pub(crate) struct TrackerCore {
    key: u64,
    state: Mutex<State>,
    /// Rejected calls while no session is open go out through this (with a session, through
    /// the session's, so that they keep their place among its events).
    mailbox: Mailbox,
}

/// Rejected calls to report once the tracker's lock is released, numbered under it.
struct Rejections {
    session: Option<Arc<SessionCore>>,
    number: u64,
    events: Vec<SessionEvent>,
}

/// A media tracker. Thread-safe; calls are applied in the order they take its lock. Dropping it
/// ends an open session (sessionEnd).
pub struct Tracker {
    engine: Arc<Engine>,
    core: Arc<TrackerCore>,
}

impl Tracker {
    pub(crate) fn new(engine: Arc<Engine>, config_json: Option<&str>) -> Result<Tracker> {
        engine.check_startable()?;
        let settings = crate::config::TrackerConfig::from_json(config_json, engine.config())?;
        let key = engine.next_key();
        let core = Arc::new(TrackerCore {
            key,
            state: Mutex::new(State {
                rules: Rules::new(settings),
                session: None,
                previous: None,
                armed: None,
                generation: 0,
            }),
            mailbox: Mailbox::default(),
        });
        let weak: Weak<dyn Ticking> = Arc::downgrade(&(core.clone() as Arc<dyn Ticking>));
        engine.register_ticker(key, weak);
        Ok(Tracker { engine, core })
    }

    /// Applies one call. A call the rules do not allow returns `RuleViolation` (and is reported
    /// as CALL_REJECTED); one that cannot be queued returns that status.
    pub fn track(&self, call: Call) -> Result<()> {
        if call == Call::Tick {
            return Err(Error::new(ErrorKind::InvalidArgument, "the tick is internal to the tracker"));
        }
        if let Call::Error(id) = &call {
            crate::limits::check_len("error_id", id.len(), crate::limits::MAX_NAME_BYTES)?;
        }
        if self.engine.is_closed() {
            return Err(Error::new(ErrorKind::ClientClosed, "the client was shut down"));
        }
        self.core.apply(&self.engine, call)
    }

    pub fn track_session_start(&self, media: &MediaInfo, metadata: &Metadata) -> Result<()> {
        self.track(Call::SessionStart(media.clone(), metadata.clone()))
    }
    pub fn track_play(&self) -> Result<()> {
        self.track(Call::Play)
    }
    pub fn track_pause(&self) -> Result<()> {
        self.track(Call::Pause)
    }
    pub fn track_complete(&self) -> Result<()> {
        self.track(Call::Complete)
    }
    pub fn track_session_end(&self) -> Result<()> {
        self.track(Call::SessionEnd)
    }
    pub fn track_error(&self, error_id: &str) -> Result<()> {
        self.track(Call::Error(error_id.to_string()))
    }
    pub fn update_playhead(&self, seconds: f64) -> Result<()> {
        self.track(Call::Playhead(seconds))
    }
    pub fn update_qoe(&self, qoe: QoeInfo) -> Result<()> {
        self.track(Call::Qoe(qoe))
    }

    /// The backend session ID of the open session, if it is known.
    pub fn session_id(&self) -> Option<String> {
        let session = self.core.state.lock().session.clone()?;
        let state = session.state.lock();
        match &state.backend {
            crate::session::Backend::Known(id) => Some(id.clone()),
            _ => None,
        }
    }

    pub fn in_session(&self) -> bool {
        self.core.state.lock().rules.in_session()
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if self.in_session() && !self.engine.is_closed() {
            let _ = self.core.apply(&self.engine, Call::SessionEnd);
        }
        self.engine.unregister_ticker(self.core.key);
    }
}

impl Ticking for TrackerCore {
    fn tick(&self, engine: &Engine, generation: u64) {
        let rejected = {
            let mut state = self.state.lock();
            if state.generation != generation {
                return;
            }
            state.armed = None;
            let stamp = stamp(engine);
            let outputs = state.rules.apply(Call::Tick, stamp).unwrap_or_default();
            let rejected = match self.dispatch(engine, &mut state, outputs) {
                Ok(rejected) => rejected,
                Err((e, started)) => {
                    if !started {
                        state.rules.abandon_session();
                    }
                    engine.logger().log(crate::log::Level::Warn, || format!("tracker {}: {e}", self.key));
                    Vec::new()
                }
            };
            self.rearm(engine, &mut state);
            self.rejection_events(&state, rejected)
        };
        self.report(engine, rejected);
    }
}

fn stamp(engine: &Engine) -> Stamp {
    Stamp { mono_ms: engine.clock().now().as_millis() as i64, wall_ms: engine.clock().wall_ms() }
}

impl TrackerCore {
    fn apply(&self, engine: &Engine, call: Call) -> Result<()> {
        let is_start = matches!(call, Call::SessionStart(..));
        let (result, events) = {
            let mut state = self.state.lock();
            let stamp = stamp(engine);
            let (result, rejected) = match state.rules.apply(call, stamp) {
                Err(message) => (Err(Error::new(ErrorKind::RuleViolation, message.clone())), vec![message]),
                Ok(outputs) => match self.dispatch(engine, &mut state, outputs) {
                    Ok(rejected) => (Ok(()), rejected),
                    Err((error, started)) => {
                        if !started {
                            // The session could not start (consent out, no room, closed): the
                            // tracker is as if the call had not been made, or idle.
                            if is_start {
                                state.rules.reset();
                            } else {
                                state.rules.abandon_session();
                            }
                        }
                        (Err(error), Vec::new())
                    }
                },
            };
            self.rearm(engine, &mut state);
            (result, self.rejection_events(&state, rejected))
        };
        self.report(engine, events);
        result
    }

    /// Hands the rules' outputs to the engine, in order. Returns the messages of calls rejected
    /// on replay, or the first error with whether a session start got through.
    fn dispatch(
        &self,
        engine: &Engine,
        state: &mut State,
        outputs: Vec<Output>,
    ) -> std::result::Result<Vec<String>, (Error, bool)> {
        let mut rejected = Vec::new();
        for output in outputs {
            match output {
                Output::StartSession(emitted) => {
                    let prepared =
                        prepare(engine, emitted, Position::Start, state.rules.mode()).map_err(|e| (e, false))?;
                    let mode = state.rules.mode();
                    let mut core = SessionCore::new(0, mode, None, None);
                    core.tracker_managed = true;
                    if mode == Mode::Downloaded {
                        core.state.get_mut().backend = crate::session::Backend::Downloaded;
                    }
                    // A restart (idle, 24 h) must not overtake the previous session's end.
                    let before = state.session.take().or_else(|| state.previous.take());
                    core.state.get_mut().waits_for = before.as_ref().map(Arc::downgrade);
                    let core = match engine.start_session(core, prepared) {
                        Ok(core) => core,
                        Err(e) => {
                            state.previous = before;
                            return Err((e, false));
                        }
                    };
                    if let Some(before) = &before {
                        engine.follow(before, &core);
                    }
                    state.session = Some(core);
                }
                Output::Event(emitted) => {
                    let ends = emitted.event_type.ends_session();
                    if let Some(session) = state.session.clone() {
                        let prepared =
                            prepare(engine, emitted, Position::Later, state.rules.mode()).map_err(|e| (e, true))?;
                        engine.enqueue_event(&session, prepared).map_err(|e| (e, true))?;
                    }
                    if ends {
                        state.previous = state.session.take();
                    }
                }
                Output::Rejected(message) => rejected.push(message),
            }
        }
        Ok(rejected)
    }

    /// Arms the tick for what falls due next, unless that tick is armed already.
    fn rearm(&self, engine: &Engine, state: &mut State) {
        let due = state.rules.next_due();
        if due == state.armed {
            return;
        }
        state.armed = due;
        state.generation += 1;
        if let Some(due) = due {
            engine.arm_tick(self.key, Duration::from_millis(due.max(0) as u64), state.generation);
        }
    }

    /// Called under the tracker's lock: the reports take their place among the session's events.
    fn rejection_events(&self, state: &State, messages: Vec<String>) -> Option<Rejections> {
        if messages.is_empty() {
            return None;
        }
        let session = state.session.clone();
        let number = session.as_ref().map_or(&self.mailbox, |s| &s.mailbox).reserve();
        let events = messages
            .into_iter()
            .map(|message| SessionEvent {
                kind: SessionEventKind::CallRejected,
                session_key: state.session.as_ref().map(|s| s.key).unwrap_or(self.key),
                player_id: None,
                session_id: None,
                event_type: None,
                http_status: 0,
                count: 0,
                message,
            })
            .collect();
        Some(Rejections { session, number, events })
    }

    fn report(&self, engine: &Engine, rejections: Option<Rejections>) {
        if let Some(Rejections { session, number, events }) = rejections {
            engine.report(session.as_ref().map_or(&self.mailbox, |s| &s.mailbox), number, events);
        }
    }
}

/// Turns an event of the rules into a checked event: configuration defaults filled in and
/// every required field checked, as for any caller's event.
fn prepare(engine: &Engine, emitted: Emitted, position: Position, mode: Mode) -> Result<Prepared> {
    let Emitted { event_type, mut media, playhead, wall_ms } = emitted;
    if mode == Mode::Downloaded {
        // Recorded with the event: no callback reads it later.
        media.insert("playhead".into(), Value::from(playhead));
    }
    let mut doc = Map::new();
    doc.insert("eventType".into(), Value::from(event_type.xdm_name()));
    doc.insert("timestamp".into(), Value::from(format_timestamp(wall_ms)));
    doc.insert("mediaCollection".into(), Value::Object(media));
    let details = PlayerDetails { playhead: playhead as f64, ..PlayerDetails::default() };
    xdm::prepare(doc, position, mode, || Some(details), engine.config())
}
