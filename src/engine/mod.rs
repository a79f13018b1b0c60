//! The engine: the session table, the flow of every event from the caller's call into its
//! session's queue, the queue limits, consent, and the ping and retry timers. What happens to an
//! event once it is sent lives in `outcome`.

mod outcome;

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};
use serde_json::Value;

use crate::budget::{Budget, Class, Reservation};
use crate::clock::{format_timestamp, Clock, ManualClock};
use crate::config::{Config, Consent};
use crate::delivery::transport::Transport;
use crate::delivery::ReadyQueue;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{Batch, Listener, Mailbox, SessionEvent, SessionEventKind};
use crate::log::{Level, Logger};
use crate::scheduler::{Scheduler, Timer};
use crate::session::{Backend, Outgoing, SessionCore, SessionState};
use crate::stats::{Counters, DropReason, Stats};
use crate::xdm::{self, EventType, Mode, Prepared};

/// Something with timers of its own on the client's scheduler thread (a tracker).
pub trait Ticking: Send + Sync {
    /// Called on the scheduler thread when a tick armed with `generation` falls due.
    fn tick(&self, engine: &Engine, generation: u64);
}

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
    next_seq: AtomicU64,
    /// Held for reading while the listener runs, so replacing it waits for calls in progress.
    listener: RwLock<Option<Listener>>,
    /// The hint, and when the backend's expires (`None`: the caller's, kept until replaced).
    location_hint: Mutex<Option<(String, Option<Duration>)>>,
    /// Events queued and not yet delivered or given up; `flush` waits for zero.
    pending: Mutex<usize>,
    drained: Condvar,
    budget: Mutex<Budget>,
    /// `Consent as u8`: read on every send, so an atomic rather than a lock.
    consent: std::sync::atomic::AtomicU8,
    counters: Counters,
    closed: AtomicBool,
    tickers: Mutex<HashMap<u64, std::sync::Weak<dyn Ticking>>>,
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
    /// The place of `events` in the session's mailbox, taken under the session lock by `seal`.
    batch_number: Option<u64>,
}

impl AfterUnlock {
    /// Numbers what the locked section decided for the listener. Call it under the session lock,
    /// after the last event is added: that lock's order becomes the order of the callbacks.
    fn seal(&mut self, core: &SessionCore) {
        if self.batch_number.is_none() && (!self.events.is_empty() || self.finished_events > 0) {
            self.batch_number = Some(core.mailbox.reserve());
        }
    }
}

thread_local! {
    static IN_LISTENER: Cell<bool> = const { Cell::new(false) };
}

/// What an event adds to its JSON when it is sent: the request's envelope, the timestamp, the
/// playhead and session ID, the configuration's defaults.
const SENT_OVERHEAD: usize = 128;

/// JSON bytes an event costs in the queue: its document as serialized, plus what sending adds.
fn queued_size(xdm: &serde_json::Map<String, Value>) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, xdm);
    count.0 + SENT_OVERHEAD
}

impl Engine {
    pub fn new(
        config: Config,
        clock: Arc<dyn Clock>,
        manual_clock: Option<Arc<ManualClock>>,
        transport: Arc<dyn Transport>,
    ) -> Engine {
        let budget = Budget::new(config.max_queued_events, config.max_queued_bytes);
        let consent = config.default_consent;
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
            next_seq: AtomicU64::new(1),
            listener: RwLock::new(None),
            location_hint: Mutex::new(None),
            pending: Mutex::new(0),
            drained: Condvar::new(),
            budget: Mutex::new(budget),
            consent: std::sync::atomic::AtomicU8::new(consent as u8),
            counters: Counters::default(),
            closed: AtomicBool::new(false),
            tickers: Mutex::new(HashMap::new()),
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

    /// Replaces the listener once no call to the old one is in progress. Refused from inside the
    /// listener, where that wait would never end.
    pub fn set_listener(&self, listener: Option<Listener>) -> Result<()> {
        if IN_LISTENER.with(Cell::get) {
            return Err(Error::new(ErrorKind::WrongState, "the event callback cannot be replaced from inside itself"));
        }
        let old = std::mem::replace(&mut *self.listener.write(), listener);
        // The old listener (and its user_data) is released here, with no lock held.
        drop(old);
        Ok(())
    }

    fn emit(&self, events: Vec<SessionEvent>) {
        if events.is_empty() {
            return;
        }
        // A shared, recursive read: listeners on several threads run at once and may call into
        // the library (but not replace the listener, see `set_listener`).
        let listener = self.listener.read_recursive();
        for event in events {
            self.logger
                .log(Level::Info, || format!("session {} {:?}: {}", event.session_key, event.kind, event.message));
            if let Some(listener) = listener.as_ref() {
                let was_inside = IN_LISTENER.with(|f| f.replace(true));
                listener(&event);
                IN_LISTENER.with(|f| f.set(was_inside));
            }
        }
    }

    fn session_event(
        &self,
        core: &SessionCore,
        state: &SessionState,
        kind: SessionEventKind,
        message: String,
    ) -> SessionEvent {
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
            count: 0,
            message,
        }
    }

    // ---- sessions -------------------------------------------------------------------------

    /// Registers a session and queues its sessionStart.
    /// Whether a session may start at all (client open, consent not out): checked before the
    /// start document is even parsed.
    pub fn check_startable(&self) -> Result<()> {
        if self.is_closed() {
            return Err(Error::new(ErrorKind::ClientClosed, "the client was shut down"));
        }
        self.check_consent()
    }

    pub fn start_session(&self, mut core: SessionCore, start: Prepared) -> Result<Arc<SessionCore>> {
        self.check_startable()?;
        core.key = self.next_key();
        if core.mode == Mode::Automatic {
            core.state.get_mut().start_xdm = Some(Value::Object(start.xdm.clone()).to_string().into_boxed_str());
        }
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
            // Closed, consent withdrawn or no room in between: leave no trace of the session.
            self.sessions.lock().remove(&core.key);
            self.finish(&core, AfterUnlock { release_player: true, ..AfterUnlock::default() });
            return Err(e);
        }
        Ok(core)
    }

    /// Makes `next` (created with `waits_for` set to `before`) send once `before` is done.
    pub fn follow(&self, before: &SessionCore, next: &Arc<SessionCore>) {
        *before.successor.lock() = Some(Arc::downgrade(next));
        if before.done.load(Ordering::SeqCst) {
            self.kick(next);
        }
    }

    /// Hands a session to delivery if its head may go now and nobody has it.
    fn kick(&self, core: &Arc<SessionCore>) {
        let mut state = core.state.lock();
        if !state.busy && state.head_sendable() && self.may_send() {
            state.busy = true;
            self.ready.push(Arc::clone(core));
        }
    }

    pub fn session_for_player(&self, player_id: &str) -> Result<Arc<SessionCore>> {
        let key = self.players.lock().get(player_id).copied();
        key.and_then(|k| self.sessions.lock().get(&k).cloned()).ok_or_else(|| {
            Error::new(ErrorKind::UnknownPlayer, format!("no live automatic session has player id \"{player_id}\""))
        })
    }

    /// Validates and queues a caller's event.
    pub fn send(&self, core: &Arc<SessionCore>, xdm_text: &str) -> Result<()> {
        self.send_checked(core, xdm::parse_document(xdm_text)?, Some(xdm_text.len()))
    }

    /// Validates and queues a caller's event given as a parsed document.
    pub fn send_document(&self, core: &Arc<SessionCore>, document: serde_json::Map<String, Value>) -> Result<()> {
        self.send_checked(core, document, None)
    }

    /// `text_len`: the size of the caller's JSON text, when there was one; it stands for the
    /// event's size in the queue limits (saving the player's thread a serialization).
    fn send_checked(
        &self,
        core: &Arc<SessionCore>,
        document: serde_json::Map<String, Value>,
        text_len: Option<usize>,
    ) -> Result<()> {
        // Cheap refusals first, so a dead session does not cost the player a callback.
        self.check_accepting(&core.state.lock())?;
        let prepared = xdm::prepare(document, xdm::Position::Later, core.mode, || core.read_player(), &self.config)?;
        if core.mode == Mode::Manual {
            let given = prepared.xdm.get("mediaCollection").and_then(|m| m.get("sessionID")).and_then(Value::as_str);
            match &core.state.lock().backend {
                Backend::Known(id) if Some(id.as_str()) == given => {}
                Backend::Known(_) => {
                    return Err(Error::new(
                        ErrorKind::InvalidEvent,
                        "mediaCollection.sessionID: does not match this session's ID",
                    ))
                }
                _ => return Err(Error::new(ErrorKind::NotReady, "the session ID is not known yet")),
            }
        }
        self.enqueue_sized(core, prepared, None, text_len)
    }

    fn check_consent(&self) -> Result<()> {
        if self.consent() == Consent::Out {
            return Err(Error::new(
                ErrorKind::ConsentOut,
                "consent is \"out\": nothing is tracked until it is set to \"in\"",
            ));
        }
        Ok(())
    }

    fn check_accepting(&self, state: &SessionState) -> Result<()> {
        if self.is_closed() {
            return Err(Error::new(ErrorKind::ClientClosed, "the client was shut down"));
        }
        self.check_consent()?;
        if let Backend::Failed(reason) = &state.backend {
            return Err(Error::new(ErrorKind::SessionFailed, format!("the session failed: {reason}")));
        }
        if state.end_queued {
            return Err(Error::new(ErrorKind::SessionEnded, "the session has ended; it takes no more events"));
        }
        Ok(())
    }

    /// Whether a session with something sendable may go to delivery now.
    fn may_send(&self) -> bool {
        // `closed` is set with the delivery queue's shutdown and costs no lock.
        self.consent() == Consent::In && !self.is_closed()
    }

    fn ping_interval(&self, state: &SessionState) -> Duration {
        if state.in_ad {
            self.config.ad_ping_interval
        } else {
            self.config.main_ping_interval
        }
    }

    /// The next ping is due one interval from now. A timer already armed for no later than
    /// that is left to fire and re-arm itself (see `ping_due`); only an earlier due time (the
    /// shorter ad interval) arms a new one.
    fn rearm_ping(&self, core: &SessionCore, state: &mut SessionState) {
        let due = self.clock.now() + self.ping_interval(state);
        state.ping_due = due;
        if !matches!(state.ping_timer, Some((at, _)) if at <= due) {
            self.arm_ping_timer(core, state, due);
        }
    }

    fn arm_ping_timer(&self, core: &SessionCore, state: &mut SessionState, at: Duration) {
        state.ping_generation += 1;
        state.ping_timer = Some((at, state.ping_generation));
        self.scheduler.arm(at, Timer::Ping { session: core.key, generation: state.ping_generation });
    }

    /// Takes room in the queue limits for one event, evicting the oldest queued pings if need
    /// be. `Ok(false)`: a ping that found no room (counted as dropped).
    fn reserve(&self, key: u64, seq: u64, size: usize, class: Class) -> Result<bool> {
        loop {
            let ping = (class == Class::Ping).then_some((seq, key));
            let reservation = self.budget.lock().reserve(size, class, ping);
            match reservation {
                Reservation::Granted => return Ok(true),
                Reservation::Evict(seq, key) => self.evict_ping(key, seq),
                Reservation::Full if class == Class::Ping => {
                    Counters::add(&self.counters.events_queued, 1);
                    self.counters.dropped(DropReason::QueueFull, 1);
                    return Ok(false);
                }
                Reservation::Full => {
                    Counters::add(&self.counters.refused_queue_full, 1);
                    let (events, bytes, _, _) = self.budget.lock().usage();
                    return Err(Error::new(
                        ErrorKind::QueueFull,
                        format!(
                            "the queues are full ({events} events, {bytes} bytes waiting; limits native.maxQueuedEvents {} and native.maxQueuedBytes {})",
                            self.config.max_queued_events, self.config.max_queued_bytes
                        ),
                    ));
                }
            }
        }
    }

    /// Drops a queued ping to make room, unless it is already on its way.
    fn evict_ping(&self, key: u64, seq: u64) {
        let Some(core) = self.sessions.lock().get(&key).cloned() else { return };
        let removed = {
            let mut state = core.state.lock();
            match state.outbox.iter().position(|o| o.seq == seq) {
                Some(0) if state.busy => None,
                Some(index) => state.outbox.remove(index),
                None => None,
            }
        };
        if let Some(ping) = removed {
            self.budget.lock().release(ping.size, ping.seq);
            self.counters.dropped(DropReason::QueueFull, 1);
            self.logger
                .log(Level::Debug, || format!("session {key}: oldest ping dropped to stay within the queue limits"));
            self.event_done(1);
        }
    }

    /// Puts a checked event at the back of the session's FIFO, stamps its time, re-arms the ping
    /// timer and hands the session to delivery if it was idle. `ping_for` is set for a ping: the
    /// due time it was made for; it is dropped if an event moved the due time meanwhile.
    fn enqueue(&self, core: &Arc<SessionCore>, prepared: Prepared, ping_for: Option<Duration>) -> Result<()> {
        self.enqueue_sized(core, prepared, ping_for, None)
    }

    /// `text_len`: see `send_checked`; otherwise the size is measured.
    fn enqueue_sized(
        &self,
        core: &Arc<SessionCore>,
        prepared: Prepared,
        ping_for: Option<Duration>,
        text_len: Option<usize>,
    ) -> Result<()> {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let size = text_len.map_or_else(|| queued_size(&prepared.xdm), |len| len + SENT_OVERHEAD);
        let class = match prepared.event_type {
            EventType::Ping => Class::Ping,
            t if t.is_lifecycle() => Class::Lifecycle,
            _ => Class::Ordinary,
        };
        if !self.reserve(core.key, seq, size, class)? {
            return Ok(());
        }
        let mut after = AfterUnlock::default();
        {
            let mut state = core.state.lock();
            let stale_ping = ping_for.is_some_and(|due| due != state.ping_due || !state.pinging);
            let refusal = if stale_ping { Ok(()) } else { self.check_accepting(&state) };
            if stale_ping || refusal.is_err() {
                drop(state);
                self.budget.lock().release(size, seq);
                return refusal;
            }
            let Prepared { event_type, mut xdm, playhead } = prepared;
            // Stamped under the lock so that timestamps never run backwards along the FIFO.
            xdm.entry("timestamp".to_string()).or_insert_with(|| Value::String(format_timestamp(self.clock.wall_ms())));
            // One `_id` per event, kept on every retry of it, so the backend can drop the
            // duplicates that at-least-once delivery makes (a lost answer, a late timeout).
            xdm.entry("_id".to_string()).or_insert_with(|| Value::String(new_uuid()));
            match event_type {
                EventType::AdBreakStart | EventType::AdStart => state.in_ad = true,
                EventType::AdBreakComplete => state.in_ad = false,
                _ => {}
            }
            state.last_playhead = playhead;
            if event_type.ends_session() {
                state.end_queued = true;
                state.pinging = false;
                after.release_player = true;
            }
            state.outbox.push_back(Outgoing {
                seq,
                event_type,
                xdm,
                size,
                request_id: None,
                attempts: 0,
                first_failure: None,
            });
            *self.pending.lock() += 1;
            Counters::add(&self.counters.events_queued, 1);
            if state.pinging {
                self.rearm_ping(core, &mut state);
            }
            if !state.busy && state.head_sendable() && self.may_send() {
                state.busy = true;
                self.ready.push(Arc::clone(core));
            }
            self.logger.log(Level::Debug, || format!("session {} queued {}", core.key, event_type.action()));
            after.seal(core);
        }
        self.finish(core, after);
        Ok(())
    }

    /// Frees the caller's handle: a session that has not ended is ended with sessionEnd at the
    /// last playhead it reported, and its player callback is released.
    pub fn release_handle(&self, core: &Arc<SessionCore>) {
        core.details.lock().take();
        self.end_at_last_playhead(core);
    }

    /// Ends every session still open (the client is shutting down under them), so the backend
    /// closes them now instead of timing them out.
    pub fn end_open_sessions(&self) {
        for core in self.all_sessions() {
            self.end_at_last_playhead(&core);
        }
    }

    /// Queues sessionEnd at the last playhead the session reported, unless it has ended or failed.
    fn end_at_last_playhead(&self, core: &Arc<SessionCore>) {
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
            self.logger.log(Level::Warn, || format!("session {}: could not queue its sessionEnd: {e}", core.key));
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
            // Set before the successor is looked up; `follow` sets the successor before it
            // looks at this: one of the two wakes it.
            core.done.store(true, Ordering::SeqCst);
            let successor = core.successor.lock().take().and_then(|next| next.upgrade());
            if let Some(next) = successor {
                self.kick(&next);
            }
        }
        debug_assert!(
            after.batch_number.is_some() || (after.events.is_empty() && after.finished_events == 0),
            "session events decided without seal()"
        );
        let number = after.batch_number.unwrap_or_else(|| core.mailbox.reserve());
        self.deliver(&core.mailbox, number, Batch { events: after.events, finished_events: after.finished_events });
    }

    /// Posts a batch; if this thread's turn comes, delivers it and whatever else is next in line.
    fn deliver(&self, mailbox: &Mailbox, number: u64, batch: Batch) {
        if mailbox.post(number, batch) {
            while let Some(batch) = mailbox.take() {
                self.emit(batch.events);
                self.event_done(batch.finished_events);
            }
        }
    }

    /// Removes every queued event of a session (consent out, shutdown), counting them as dropped
    /// for `reason`. A request in flight for the head finds it gone and is ignored.
    fn drop_queued(&self, state: &mut SessionState, reason: DropReason, after: &mut AfterUnlock) -> usize {
        let dropped = state.outbox.len();
        let mut budget = self.budget.lock();
        for event in state.outbox.drain(..) {
            budget.release(event.size, event.seq);
        }
        drop(budget);
        self.counters.dropped(reason, dropped as u64);
        after.finished_events += dropped;
        dropped
    }

    fn all_sessions(&self) -> Vec<Arc<SessionCore>> {
        self.sessions.lock().values().cloned().collect()
    }

    // ---- consent --------------------------------------------------------------------------

    pub fn consent(&self) -> Consent {
        Consent::from_u8(self.consent.load(Ordering::Acquire))
    }

    /// `in` sends what was held; `pending` holds new requests (one already on its way finishes);
    /// `out` drops everything queued and closes every session.
    pub fn set_consent(&self, consent: Consent) {
        self.consent.store(consent as u8, Ordering::Release);
        self.logger.log(Level::Info, || format!("consent set to {}", consent.name()));
        match consent {
            Consent::Pending => {}
            Consent::In => {
                for core in self.all_sessions() {
                    self.kick(&core);
                }
            }
            Consent::Out => {
                for core in self.all_sessions() {
                    let mut after =
                        AfterUnlock { release_player: true, forget_session: true, ..AfterUnlock::default() };
                    {
                        let mut state = core.state.lock();
                        if matches!(state.backend, Backend::Failed(_)) {
                            continue;
                        }
                        let dropped = self.drop_queued(&mut state, DropReason::Consent, &mut after);
                        state.backend = Backend::Failed("consent was set to \"out\"".into());
                        state.pinging = false;
                        core.backend_changed.notify_all();
                        let message =
                            format!("session closed: consent was set to \"out\" ({dropped} queued events dropped)");
                        after.events.push(
                            self.session_event(&core, &state, SessionEventKind::Failed, message).with_count(dropped),
                        );
                        after.seal(&core);
                    }
                    self.finish(&core, after);
                }
            }
        }
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
            Timer::Tick { ticker, generation } => {
                let target = self.tickers.lock().get(&ticker).and_then(std::sync::Weak::upgrade);
                if let Some(target) = target {
                    target.tick(self, generation);
                }
            }
        }
    }

    /// A client-wide number for a new ticker (or session).
    pub fn next_key(&self) -> u64 {
        self.next_key.fetch_add(1, Ordering::Relaxed)
    }

    pub fn register_ticker(&self, key: u64, ticker: std::sync::Weak<dyn Ticking>) {
        self.tickers.lock().insert(key, ticker);
    }

    pub fn unregister_ticker(&self, key: u64) {
        self.tickers.lock().remove(&key);
    }

    /// Arms a tick for `ticker` at `due` on the engine's clock.
    pub fn arm_tick(&self, ticker: u64, due: Duration, generation: u64) {
        self.scheduler.arm(due, Timer::Tick { ticker, generation });
    }

    /// Queues a library-made, already checked event (a tracker's).
    pub fn enqueue_event(&self, core: &Arc<SessionCore>, prepared: Prepared) -> Result<()> {
        self.enqueue(core, prepared, None)
    }

    /// Reports events that concern no delivery (a tracker's rejected calls), as batch `number`
    /// of `mailbox` (reserved under the lock that decided them).
    pub fn report(&self, mailbox: &Mailbox, number: u64, events: Vec<SessionEvent>) {
        self.deliver(mailbox, number, Batch { events, finished_events: 0 });
    }

    fn ping_due(&self, key: u64, generation: u64) {
        let Some(core) = self.sessions.lock().get(&key).cloned() else { return };
        let due = {
            let mut state = core.state.lock();
            if !matches!(state.ping_timer, Some((_, g)) if g == generation) {
                return;
            }
            state.ping_timer = None;
            if !state.pinging {
                return;
            }
            let due = state.ping_due;
            if due > self.clock.now() {
                // Events moved the due time since this timer was armed.
                self.arm_ping_timer(&core, &mut state, due);
                return;
            }
            due
        };
        let Some(details) = core.read_player() else { return };
        let ping = xdm::ping(&details);
        if let Err(e) = self.enqueue(&core, ping, Some(due)) {
            self.logger.log(Level::Debug, || format!("session {key}: ping not queued: {e}"));
        }
    }

    // ---- waiting and shutdown -------------------------------------------------------------

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

    /// After `close`: drops what is still queued, reports it per session (UNSENT) and counts it;
    /// a request on the wire is reported and counted apart (UNCONFIRMED).
    pub fn abandon_queued(&self) {
        for core in self.all_sessions() {
            let mut after = AfterUnlock { forget_session: true, ..AfterUnlock::default() };
            {
                let mut state = core.state.lock();
                state.pinging = false;
                // A request on the wire may have landed: it is neither sent nor unsent.
                if std::mem::take(&mut state.in_flight) {
                    if let Some(head) = state.outbox.pop_front() {
                        self.budget.lock().release(head.size, head.seq);
                        Counters::add(&self.counters.unconfirmed_shutdown, 1);
                        after.finished_events += 1;
                        let message = format!(
                            "client freed while {} was on the wire: its outcome is unknown",
                            head.event_type.action()
                        );
                        let mut event =
                            self.session_event(&core, &state, SessionEventKind::Unconfirmed, message).with_count(1);
                        event.event_type = Some(head.event_type);
                        after.events.push(event);
                    }
                }
                let dropped = self.drop_queued(&mut state, DropReason::Shutdown, &mut after);
                if dropped > 0 {
                    let message = format!("client freed with {dropped} events not delivered");
                    after
                        .events
                        .push(self.session_event(&core, &state, SessionEventKind::Unsent, message).with_count(dropped));
                }
                after.seal(&core);
            }
            self.finish(&core, after);
        }
    }

    pub fn pending_events(&self) -> usize {
        *self.pending.lock()
    }

    /// The location hint later requests go to, if any. The caller's and the backend's replace
    /// each other: the last one given wins (see `Client::set_location_hint`).
    pub fn location_hint(&self) -> Option<String> {
        let mut hint = self.location_hint.lock();
        if matches!(&*hint, Some((_, Some(expires))) if *expires <= self.clock.now()) {
            *hint = None;
        }
        hint.as_ref().map(|(h, _)| h.clone())
    }

    /// The caller's hint (`None` clears whatever hint there is); checked by the caller.
    pub fn set_location_hint(&self, hint: Option<String>) {
        *self.location_hint.lock() = hint.map(|h| (h, None));
    }

    /// A hint the backend answered with, for `ttl`.
    fn learn_location_hint(&self, hint: String, ttl: Duration) {
        *self.location_hint.lock() = Some((hint, Some(self.clock.now() + ttl)));
    }

    pub fn live_sessions(&self) -> usize {
        self.sessions.lock().len()
    }

    pub fn stats(&self) -> Stats {
        let mut stats = self.counters.snapshot();
        let (events, bytes, peak_events, peak_bytes) = self.budget.lock().usage();
        stats.events_pending = events as u64;
        stats.bytes_pending = bytes as u64;
        stats.peak_events_pending = peak_events as u64;
        stats.peak_bytes_pending = peak_bytes as u64;
        stats.sessions_active = self.live_sessions() as u64;
        stats.requests_new_connection = self.transport.connections_opened().min(stats.requests_answered);
        stats.requests_reused_connection = stats.requests_answered - stats.requests_new_connection;
        stats
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

/// A random (version 4) UUID: an event's `_id`, a request's `requestId`.
pub fn new_uuid() -> String {
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
        let (a, b) = (new_uuid(), new_uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }
}
