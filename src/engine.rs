//! The engine: the session table, the flow of every event from the caller's call to its
//! delivery outcome, and the ping and retry timers that drive it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};
use serde_json::Value;

use crate::clock::{format_timestamp, Clock, ManualClock};
use crate::config::Config;
use crate::delivery::policy::{self, Verdict};
use crate::delivery::response;
use crate::delivery::transport::{HttpReply, Transport, TransportError};
use crate::delivery::ReadyQueue;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{Listener, SessionEvent, SessionEventKind};
use crate::log::{Level, Logger};
use crate::scheduler::{Scheduler, Timer};
use crate::session::{Backend, Outgoing, SessionCore, SessionState};
use crate::xdm::{self, EventType, Mode, Prepared};

pub struct Engine {
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub manual_clock: Option<Arc<ManualClock>>,
    pub logger: Logger,
    pub scheduler: Scheduler,
    pub ready: ReadyQueue,
    pub transport: Arc<dyn Transport>,
    sessions: Mutex<HashMap<u64, Arc<SessionCore>>>,
    players: Mutex<HashMap<String, u64>>,
    next_key: AtomicU64,
    listener: RwLock<Option<Listener>>,
    location_hint: Mutex<Option<(String, Duration)>>,
    /// Events queued and not yet delivered or given up; `flush` waits for zero.
    pending: Mutex<usize>,
    drained: Condvar,
    closed: AtomicBool,
}

/// What a call under a session lock decided should happen once the lock is released.
#[derive(Default)]
struct AfterUnlock {
    events: Vec<SessionEvent>,
    release_player: bool,
    forget_session: bool,
    /// Events finished (delivered, refused, dropped): counted off `pending` only after the
    /// listener has heard about them, so a returned flush means the callbacks have run.
    finished_events: usize,
}

impl Engine {
    pub fn new(config: Config, clock: Arc<dyn Clock>, manual_clock: Option<Arc<ManualClock>>, transport: Arc<dyn Transport>) -> Engine {
        Engine {
            config,
            clock,
            manual_clock,
            logger: Logger::from_env(),
            scheduler: Scheduler::new(),
            ready: ReadyQueue::new(),
            transport,
            sessions: Mutex::new(HashMap::new()),
            players: Mutex::new(HashMap::new()),
            next_key: AtomicU64::new(1),
            listener: RwLock::new(None),
            location_hint: Mutex::new(None),
            pending: Mutex::new(0),
            drained: Condvar::new(),
            closed: AtomicBool::new(false),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.scheduler.shutdown();
        self.ready.shutdown();
        self.drained.notify_all();
    }

    pub fn set_listener(&self, listener: Option<Listener>) {
        *self.listener.write() = listener;
    }

    fn emit(&self, events: Vec<SessionEvent>) {
        if events.is_empty() {
            return;
        }
        // Cloned out: the listener runs with no lock held and may call back into the library.
        let listener = self.listener.read().clone();
        for event in events {
            self.logger.log(Level::Info, || {
                format!("session {} {:?}: {}", event.session_key, event.kind, event.message)
            });
            if let Some(listener) = &listener {
                listener(&event);
            }
        }
    }

    fn session_event(&self, core: &SessionCore, state: &SessionState, kind: SessionEventKind, message: String) -> SessionEvent {
        SessionEvent {
            kind,
            session_key: core.key,
            player_id: core.player_id.clone(),
            session_id: match &state.backend {
                Backend::Known(id) => Some(id.clone()),
                _ => None,
            },
            event_type: None,
            http_status: 0,
            message,
        }
    }

    // ---- sessions -------------------------------------------------------------------------

    /// Registers a session and queues its sessionStart.
    pub fn start_session(&self, mut core: SessionCore, start: Prepared) -> Result<Arc<SessionCore>> {
        if self.is_closed() {
            return Err(Error::new(ErrorKind::ClientClosed, "the client was shut down"));
        }
        core.key = self.next_key.fetch_add(1, Ordering::Relaxed);
        let core = Arc::new(core);
        if let Some(player_id) = &core.player_id {
            let mut players = self.players.lock();
            if players.contains_key(player_id) {
                return Err(Error::new(
                    ErrorKind::PlayerIdInUse,
                    format!("player id \"{player_id}\" already has a live session; end or free it first"),
                ));
            }
            players.insert(player_id.clone(), core.key);
        }
        self.sessions.lock().insert(core.key, Arc::clone(&core));
        if let Err(e) = self.enqueue(&core, start, None) {
            // Closed in between: leave no trace of the session.
            self.sessions.lock().remove(&core.key);
            self.finish(&core, AfterUnlock { release_player: true, ..AfterUnlock::default() });
            return Err(e);
        }
        Ok(core)
    }

    pub fn session_for_player(&self, player_id: &str) -> Result<Arc<SessionCore>> {
        let key = self.players.lock().get(player_id).copied();
        key.and_then(|k| self.sessions.lock().get(&k).cloned()).ok_or_else(|| {
            Error::new(ErrorKind::UnknownPlayer, format!("no live automatic session has player id \"{player_id}\""))
        })
    }

    /// Validates and queues a caller's event.
    pub fn send(&self, core: &Arc<SessionCore>, xdm_text: &str) -> Result<()> {
        let document = xdm::parse_document(xdm_text)?;
        // Cheap refusals first, so a dead session does not cost the player a callback.
        self.check_accepting(&core.state.lock())?;
        let prepared = xdm::prepare(document, xdm::Position::Later, core.mode, || core.read_player(), &self.config)?;
        if core.mode == Mode::Manual {
            let given = prepared.xdm.get("mediaCollection").and_then(|m| m.get("sessionID")).and_then(Value::as_str);
            match &core.state.lock().backend {
                Backend::Known(id) if Some(id.as_str()) == given => {}
                Backend::Known(_) => {
                    return Err(Error::new(ErrorKind::InvalidEvent, "mediaCollection.sessionID: does not match this session's ID"))
                }
                _ => return Err(Error::new(ErrorKind::NotReady, "the session ID is not known yet")),
            }
        }
        self.enqueue(core, prepared, None)
    }

    fn check_accepting(&self, state: &SessionState) -> Result<()> {
        if self.is_closed() {
            return Err(Error::new(ErrorKind::ClientClosed, "the client was shut down"));
        }
        if let Backend::Failed(reason) = &state.backend {
            return Err(Error::new(ErrorKind::SessionFailed, format!("the session failed: {reason}")));
        }
        if state.end_queued {
            return Err(Error::new(ErrorKind::SessionEnded, "the session has ended; it takes no more events"));
        }
        Ok(())
    }

    fn ping_interval(&self, state: &SessionState) -> Duration {
        if state.in_ad {
            self.config.ad_ping_interval
        } else {
            self.config.main_ping_interval
        }
    }

    fn rearm_ping(&self, core: &SessionCore, state: &mut SessionState) {
        state.ping_generation += 1;
        let due = self.clock.now() + self.ping_interval(state);
        self.scheduler.arm(due, Timer::Ping { session: core.key, generation: state.ping_generation });
    }

    /// Puts a checked event at the back of the session's FIFO, stamps its time, re-arms the ping
    /// timer and hands the session to delivery if it was idle. `ping_generation` is set for a
    /// ping: it is dropped if the timer went stale meanwhile.
    fn enqueue(&self, core: &Arc<SessionCore>, prepared: Prepared, ping_generation: Option<u64>) -> Result<()> {
        let mut after = AfterUnlock::default();
        {
            let mut state = core.state.lock();
            if let Some(generation) = ping_generation {
                if generation != state.ping_generation || !state.pinging {
                    return Ok(());
                }
            }
            self.check_accepting(&state)?;
            let Prepared { event_type, mut xdm, playhead } = prepared;
            // Stamped under the lock so that timestamps never run backwards along the FIFO.
            xdm.entry("timestamp".to_string())
                .or_insert_with(|| Value::String(format_timestamp(self.clock.wall_ms())));
            match event_type {
                EventType::AdBreakStart | EventType::AdStart => state.in_ad = true,
                EventType::AdBreakComplete => state.in_ad = false,
                _ => {}
            }
            state.last_playhead = playhead;
            if event_type.ends_session() {
                state.end_queued = true;
                state.pinging = false;
                state.ping_generation += 1;
                after.release_player = true;
            }
            state.outbox.push_back(Outgoing { event_type, xdm, attempts: 0, first_failure: None });
            *self.pending.lock() += 1;
            if state.pinging {
                self.rearm_ping(core, &mut state);
            }
            if !state.busy && state.head_sendable() {
                state.busy = true;
                self.ready.push(Arc::clone(core));
            }
            self.logger.log(Level::Debug, || format!("session {} queued {}", core.key, event_type.action()));
        }
        self.finish(core, after);
        Ok(())
    }

    /// Frees the caller's handle: a session that has not ended is ended with sessionEnd at the
    /// last playhead it reported, and its player callback is released.
    pub fn release_handle(&self, core: &Arc<SessionCore>) {
        core.details.lock().take();
        let playhead = {
            let state = core.state.lock();
            if state.end_queued || matches!(state.backend, Backend::Failed(_)) {
                return;
            }
            state.last_playhead
        };
        let mut media = serde_json::Map::new();
        media.insert("playhead".into(), Value::from(playhead));
        let mut xdm = serde_json::Map::new();
        xdm.insert("eventType".into(), Value::from(EventType::SessionEnd.xdm_name()));
        xdm.insert("mediaCollection".into(), Value::Object(media));
        // The session ID is added when it is sent, once the backend has issued it.
        let end = Prepared { event_type: EventType::SessionEnd, xdm, playhead };
        if let Err(e) = self.enqueue(core, end, None) {
            self.logger.log(Level::Debug, || format!("session {}: not ended on free: {e}", core.key));
        }
    }

    fn finish(&self, core: &SessionCore, after: AfterUnlock) {
        if after.release_player {
            if let Some(player_id) = &core.player_id {
                let mut players = self.players.lock();
                if players.get(player_id) == Some(&core.key) {
                    players.remove(player_id);
                }
            }
        }
        if after.forget_session {
            self.sessions.lock().remove(&core.key);
        }
        self.emit(after.events);
        self.event_done(after.finished_events);
    }

    // ---- timers ---------------------------------------------------------------------------

    pub fn fire(&self, timer: Timer) {
        match timer {
            Timer::Ping { session, generation } => self.ping_due(session, generation),
            Timer::Retry { session } => {
                if let Some(core) = self.sessions.lock().get(&session).cloned() {
                    self.ready.push(core);
                }
            }
        }
    }

    fn ping_due(&self, key: u64, generation: u64) {
        let Some(core) = self.sessions.lock().get(&key).cloned() else { return };
        {
            let state = core.state.lock();
            if state.ping_generation != generation || !state.pinging {
                return;
            }
        }
        let Some(details) = core.read_player() else { return };
        let ping = xdm::ping(&details);
        if let Err(e) = self.enqueue(&core, ping, Some(generation)) {
            self.logger.log(Level::Debug, || format!("session {key}: ping not queued: {e}"));
        }
    }

    // ---- delivery -------------------------------------------------------------------------

    fn request_url(&self, event_type: EventType) -> String {
        let hint = {
            let mut hint = self.location_hint.lock();
            match &*hint {
                Some((_, expires)) if *expires <= self.clock.now() => {
                    *hint = None;
                    None
                }
                Some((h, _)) => Some(h.clone()),
                None => None,
            }
        };
        let mut url = self.config.edge_origin();
        url.push('/');
        url.push_str(&self.config.edge_base_path);
        if let Some(hint) = hint {
            url.push('/');
            url.push_str(&hint);
        }
        url.push_str("/va/v1/");
        url.push_str(event_type.action());
        url.push_str("?configId=");
        url.push_str(&self.config.datastream_id);
        url.push_str("&requestId=");
        url.push_str(&new_request_id());
        url
    }

    /// Sends the head of the session's FIFO and applies the outcome. Called on a delivery worker.
    pub fn deliver_head(&self, core: &Arc<SessionCore>) {
        let (event_type, body) = {
            let mut state = core.state.lock();
            if !state.head_sendable() {
                state.busy = false;
                return;
            }
            let session_id = match &state.backend {
                Backend::Known(id) => Some(id.clone()),
                _ => None,
            };
            let head = state.outbox.front_mut().expect("sendable head");
            // Automatic events and the library's own sessionEnd leave the ID to the library;
            // a manual caller's events carry it already.
            if let (Some(id), Some(Value::Object(media))) = (session_id, head.xdm.get_mut("mediaCollection")) {
                media.entry("sessionID").or_insert(Value::String(id));
            }
            (head.event_type, xdm::request_body(&head.xdm))
        };
        let url = self.request_url(event_type);
        let started = Instant::now();
        let result = self.transport.post_json(&url, &body);
        self.logger.log(Level::Debug, || {
            let path = url.split('?').next().unwrap_or_default();
            let outcome = match &result {
                Ok(reply) => reply.status.to_string(),
                Err(e) => format!("error: {}", e.message),
            };
            format!("POST {path} -> {outcome} in {} ms", started.elapsed().as_millis())
        });
        self.apply_outcome(core, event_type, result);
    }

    fn apply_outcome(&self, core: &Arc<SessionCore>, event_type: EventType, result: std::result::Result<HttpReply, TransportError>) {
        let verdict = policy::verdict(&result);
        let mut after = AfterUnlock::default();
        {
            let mut state = core.state.lock();
            let now = self.clock.now();
            match verdict {
                Verdict::Success if event_type == EventType::SessionStart => {
                    let body = result.as_ref().map(|r| r.body.as_slice()).unwrap_or_default();
                    match response::parse_session_start(body) {
                        Ok(started) => {
                            self.pop_head(&mut state, &mut after);
                            if let Some((hint, ttl)) = started.location_hint {
                                *self.location_hint.lock() = Some((hint, now + ttl));
                            }
                            state.backend = Backend::Known(started.session_id.clone());
                            core.backend_changed.notify_all();
                            if core.mode == Mode::Automatic && !state.end_queued {
                                state.pinging = true;
                                self.rearm_ping(core, &mut state);
                            }
                            after.events.push(self.session_event(core, &state, SessionEventKind::Started, format!("session {} started", started.session_id)));
                        }
                        Err(reason) => self.fail_session(core, &mut state, 200, reason, &mut after),
                    }
                }
                Verdict::Success => {
                    self.pop_head(&mut state, &mut after);
                    if event_type.ends_session() {
                        self.mark_finished(core, &mut state, &mut after);
                    }
                }
                Verdict::Retry => {
                    let head = state.outbox.front_mut().expect("head in flight");
                    head.attempts += 1;
                    let first = *head.first_failure.get_or_insert(now);
                    let attempts = head.attempts;
                    let reason = outcome_text(&result);
                    if now.saturating_sub(first) >= self.config.max_retry_duration {
                        let reason = format!("given up after {attempts} attempts: {reason}");
                        self.give_up_head(core, &mut state, event_type, SessionEventKind::EventDropped, &result, reason, &mut after);
                    } else {
                        let delay = policy::retry_after(&result).unwrap_or_else(|| policy::backoff(attempts, random_unit()));
                        self.logger.log(Level::Info, || {
                            format!("session {}: {} failed ({reason}); retry {attempts} in {} ms", core.key, event_type.action(), delay.as_millis())
                        });
                        self.scheduler.arm(now + delay, Timer::Retry { session: core.key });
                        // Still busy: nothing else of this session goes out before the retry.
                        return;
                    }
                }
                Verdict::Reject | Verdict::SessionGone if event_type == EventType::SessionStart => {
                    let status = result.as_ref().map(|r| r.status).unwrap_or(0);
                    let reason = outcome_text(&result);
                    self.fail_session(core, &mut state, status, reason, &mut after);
                }
                Verdict::SessionGone => {
                    let reason = format!("the backend no longer knows the session ({})", outcome_text(&result));
                    self.fail_session(core, &mut state, 404, reason, &mut after);
                }
                Verdict::Reject => {
                    let reason = outcome_text(&result);
                    self.give_up_head(core, &mut state, event_type, SessionEventKind::EventRejected, &result, reason, &mut after);
                }
            }
            if state.head_sendable() && !self.is_closed_for_delivery() {
                self.ready.push(Arc::clone(core));
            } else {
                state.busy = false;
            }
            if state.outbox.is_empty() && (state.finished || matches!(state.backend, Backend::Failed(_))) {
                after.forget_session = true;
            }
        }
        self.finish(core, after);
    }

    fn is_closed_for_delivery(&self) -> bool {
        self.ready.is_shut_down()
    }

    fn pop_head(&self, state: &mut SessionState, after: &mut AfterUnlock) {
        if state.outbox.pop_front().is_some() {
            after.finished_events += 1;
        }
    }

    fn event_done(&self, count: usize) {
        if count == 0 {
            return;
        }
        let mut pending = self.pending.lock();
        *pending = pending.saturating_sub(count);
        if *pending == 0 {
            self.drained.notify_all();
        }
    }

    fn mark_finished(&self, core: &SessionCore, state: &mut SessionState, after: &mut AfterUnlock) {
        state.finished = true;
        state.pinging = false;
        after.events.push(self.session_event(core, state, SessionEventKind::Ended, "session ended".into()));
    }

    /// Drops the head for good (rejected or retried too long) and reports it.
    fn give_up_head(
        &self,
        core: &SessionCore,
        state: &mut SessionState,
        event_type: EventType,
        kind: SessionEventKind,
        result: &std::result::Result<HttpReply, TransportError>,
        reason: String,
        after: &mut AfterUnlock,
    ) {
        self.pop_head(state, after);
        let status = result.as_ref().map(|r| r.status).unwrap_or(0);
        let mut event = self.session_event(core, state, kind, format!("{} not delivered: {reason}", event_type.action()));
        event.event_type = Some(event_type);
        event.http_status = status;
        after.events.push(event);
        if event_type.ends_session() {
            self.mark_finished(core, state, after);
        }
    }

    fn fail_session(&self, core: &SessionCore, state: &mut SessionState, status: u16, reason: String, after: &mut AfterUnlock) {
        after.finished_events += state.outbox.len();
        state.outbox.clear();
        state.backend = Backend::Failed(reason.clone());
        state.pinging = false;
        state.ping_generation += 1;
        core.backend_changed.notify_all();
        after.release_player = true;
        let mut event = self.session_event(core, state, SessionEventKind::Failed, format!("session failed: {reason}"));
        event.http_status = status;
        after.events.push(event);
    }

    // ---- waiting --------------------------------------------------------------------------

    /// Waits until every queued event is delivered or given up. Returns how many are left.
    pub fn flush(&self, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut pending = self.pending.lock();
        while *pending > 0 && !self.is_closed() {
            if self.drained.wait_until(&mut pending, deadline).timed_out() {
                break;
            }
        }
        *pending
    }

    pub fn pending_events(&self) -> usize {
        *self.pending.lock()
    }

    pub fn live_sessions(&self) -> usize {
        self.sessions.lock().len()
    }
}

fn outcome_text(result: &std::result::Result<HttpReply, TransportError>) -> String {
    match result {
        Ok(reply) => response::describe_error(reply.status, &reply.body),
        Err(e) if e.timed_out => format!("timed out: {}", e.message),
        Err(e) => format!("network error: {}", e.message),
    }
}

/// 64 unpredictable bits from the standard library's randomly keyed hasher.
fn random_u64() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

fn random_unit() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A random (version 4) UUID for the `requestId` query parameter.
pub fn new_request_id() -> String {
    let (a, b) = (random_u64(), random_u64());
    let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_v4_uuids_and_differ() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }
}
