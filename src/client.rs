//! The Rust API: a [`Client`] owns the configuration, the scheduler thread and the delivery
//! thread (or a substitute transport's workers); [`Session`] handles send events.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::{Config, Consent};
use crate::delivery::transport::Transport;
use crate::delivery::Sender;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{Listener, SessionEvent};
use crate::log::{Level, LogSink};
use crate::scheduler::on_scheduler_thread;
use crate::session::{Backend, Phase, PlayerDetailsSource, SessionCore};
use crate::stats::Stats;
use crate::xdm::{self, Mode, Position};

/// How the client tells time.
pub enum ClockChoice {
    System,
    /// Virtual time starting at this wall-clock instant (Unix ms); moves only with
    /// [`Client::advance_clock`]. For tests of the library and of player integrations.
    Manual {
        start_unix_ms: i64,
    },
}

/// A media-tracking client. Thread-safe; dropping it flushes for up to
/// `native.shutdownTimeoutMs` and stops its threads.
pub struct Client {
    engine: Arc<Engine>,
    threads: Vec<JoinHandle<()>>,
    /// Counts the client's threads still running, so shutdown can wait for them with a deadline.
    running: Arc<Running>,
}

/// The number of live client threads. Each holds a [`Alive`] token that counts itself out
/// when the thread's last reference to the engine is gone.
#[derive(Default)]
struct Running {
    count: Mutex<usize>,
    changed: Condvar,
}

struct Alive(Arc<Running>);

impl Alive {
    fn new(running: &Arc<Running>) -> Alive {
        *running.count.lock() += 1;
        Alive(Arc::clone(running))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        let mut count = self.0.count.lock();
        *count -= 1;
        self.0.changed.notify_all();
    }
}

impl Running {
    /// True if every thread exited before `deadline`.
    fn wait_all_exited(&self, deadline: Instant) -> bool {
        let mut count = self.count.lock();
        while *count > 0 {
            if self.changed.wait_until(&mut count, deadline).timed_out() {
                break;
            }
        }
        *count == 0
    }
}

impl Client {
    pub fn new(config_json: &str) -> Result<Client> {
        Client::with_clock(config_json, ClockChoice::System)
    }

    pub fn with_clock(config_json: &str, clock: ClockChoice) -> Result<Client> {
        let config = Config::from_json(config_json)?;
        Client::with_sender(config, clock, Sender::Http)
    }

    /// A client whose requests go through `transport` instead of HTTP, called by
    /// `native.deliveryWorkers` threads.
    pub fn with_transport(config: Config, clock: ClockChoice, transport: Arc<dyn Transport>) -> Result<Client> {
        Client::with_sender(config, clock, Sender::Custom(transport))
    }

    fn with_sender(config: Config, clock: ClockChoice, sender: Sender) -> Result<Client> {
        let (clock, manual): (Arc<dyn Clock>, Option<Arc<ManualClock>>) = match clock {
            ClockChoice::System => (Arc::new(SystemClock::new()), None),
            ClockChoice::Manual { start_unix_ms } => {
                let manual = Arc::new(ManualClock::new(start_unix_ms));
                (manual.clone(), Some(manual))
            }
        };
        let engine = Arc::new(Engine::new(config, clock, manual, sender)?);
        let workers = engine.delivery_threads();
        let running = Arc::new(Running::default());
        let mut threads = Vec::with_capacity(workers + 1);
        // Threads already started stop again when a later one cannot start.
        let spawn_failed = |e: std::io::Error| {
            engine.close();
            Error::new(ErrorKind::Internal, format!("cannot start a thread: {e}"))
        };
        let scheduler_engine = Arc::clone(&engine);
        let scheduler_alive = Alive::new(&running);
        threads.push(
            std::thread::Builder::new()
                .name("mediaedge-scheduler".into())
                .spawn(move || {
                    // Declared in this order so the engine reference goes before the token: once
                    // every token is gone, no thread holds the engine (and through it the
                    // caller's callbacks) any more.
                    let _alive = scheduler_alive;
                    let engine = scheduler_engine;
                    engine.run_scheduler();
                })
                .map_err(spawn_failed)?,
        );
        for i in 0..workers {
            let worker_engine = Arc::clone(&engine);
            let worker_alive = Alive::new(&running);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("mediaedge-delivery-{i}"))
                    .spawn(move || {
                        let _alive = worker_alive;
                        let engine = worker_engine;
                        engine.run_delivery_worker();
                    })
                    .map_err(spawn_failed)?,
            );
        }
        // What an earlier client on the storage directory left goes out now.
        engine.replay_journal();
        Ok(Client { engine, threads, running })
    }

    pub fn config(&self) -> &Config {
        self.engine.config()
    }

    /// Starts an automatic session: the library reads playhead and QoE from `details` and pings.
    /// `start_xdm` is the sessionStart xdm (its `eventType` may be left out).
    pub fn start_automatic(
        &self,
        player_id: &str,
        details: Arc<dyn PlayerDetailsSource>,
        start_xdm: &str,
    ) -> Result<Session> {
        if player_id.is_empty() {
            return Err(Error::new(ErrorKind::InvalidArgument, "player_id: must not be empty"));
        }
        crate::limits::check_len("player_id", player_id.len(), crate::limits::MAX_PLAYER_ID_BYTES)?;
        self.engine.check_startable()?;
        let document = xdm::parse_document(start_xdm)?;
        let start = xdm::prepare(
            document,
            Position::Start,
            Mode::Automatic,
            || Some(details.player_details()),
            self.engine.config(),
        )?;
        let core = SessionCore::new(0, Mode::Automatic, Some(player_id.to_string()), Some(details));
        let core = self.engine.start_session(core, start)?;
        Ok(Session { engine: Arc::clone(&self.engine), core })
    }

    /// Starts a manual session: the caller puts `playhead` and `sessionID` in every event; no pings.
    pub fn start_manual(&self, start_xdm: &str) -> Result<Session> {
        self.engine.check_startable()?;
        let document = xdm::parse_document(start_xdm)?;
        let start = xdm::prepare(document, Position::Start, Mode::Manual, || None, self.engine.config())?;
        let core = SessionCore::new(0, Mode::Manual, None, None);
        let core = self.engine.start_session(core, start)?;
        Ok(Session { engine: Arc::clone(&self.engine), core })
    }

    /// Starts a downloaded session (offline playback): the caller puts `playhead` (and, if it
    /// records them for later, `timestamp`) in every event, no `sessionID`; nothing is sent
    /// while it plays. Once its sessionEnd or sessionComplete is queued (or its handle freed),
    /// the whole session goes to the `downloaded` endpoint, with other finished ones.
    pub fn start_downloaded(&self, start_xdm: &str) -> Result<Session> {
        self.engine.check_startable()?;
        let document = xdm::parse_document(start_xdm)?;
        let start = xdm::prepare(document, Position::Start, Mode::Downloaded, || None, self.engine.config())?;
        let mut core = SessionCore::new(0, Mode::Downloaded, None, None);
        core.state.get_mut().backend = Backend::Downloaded;
        let core = self.engine.start_session(core, start)?;
        Ok(Session { engine: Arc::clone(&self.engine), core })
    }

    /// Creates a media tracker (the Web SDK's `getMediaAnalyticsTracker`). `config_json` may
    /// set `channel`, `mainPingInterval` and `adPingInterval` for this tracker.
    pub fn create_tracker(&self, config_json: Option<&str>) -> Result<crate::tracker::Tracker> {
        crate::tracker::Tracker::new(Arc::clone(&self.engine), config_json)
    }

    /// Sends an event to the live automatic session of `player_id` (the Web SDK's
    /// `sendMediaEvent({playerId, xdm})`).
    pub fn send_by_player(&self, player_id: &str, xdm_json: &str) -> Result<()> {
        let core = self.engine.session_for_player(player_id)?;
        self.engine.send(&core, xdm_json)
    }

    /// Replaces the session-event listener once no call to the old one is in progress.
    /// `WrongState` from inside the listener itself.
    pub fn set_listener(&self, listener: Option<Listener>) -> Result<()> {
        self.engine.set_listener(listener)
    }

    /// Convenience for Rust callers: a closure as the session-event listener.
    pub fn on_session_event(&self, f: impl Fn(&SessionEvent) + Send + Sync + 'static) {
        // Only refused from inside the listener, which a closure being installed is not.
        let _ = self.engine.set_listener(Some(Arc::new(f)));
    }

    /// The client's counters; see [`Stats`].
    pub fn stats(&self) -> Stats {
        self.engine.stats()
    }

    pub fn consent(&self) -> Consent {
        self.engine.consent()
    }

    /// The Web SDK's `setConsent`: `In` sends what was held, `Pending` holds new requests,
    /// `Out` drops everything queued, closes every session (FAILED events) and refuses new
    /// sessions and events with `ConsentOut` until consent is `In` again.
    pub fn set_consent(&self, consent: Consent) {
        self.engine.set_consent(consent);
    }

    /// Adobe's `Edge.setLocationHint`: later requests go to the Edge region `hint` names
    /// (`or2`, `va6`, …); `None` or `""` clears the hint. The caller's hint and the one the
    /// backend answers with replace each other, the last one given wins: the caller's holds
    /// until cleared or until a sessionStart response names a region, because that region is
    /// where the backend now keeps the session's state, and a request elsewhere would not find
    /// it. `InvalidArgument` for anything but 1 to 64 letters, digits, `-` and `_`.
    pub fn set_location_hint(&self, hint: Option<&str>) -> Result<()> {
        self.engine.set_location_hint(hint)
    }

    /// Adobe's `Edge.getLocationHint`: the hint later requests go to, the caller's or the
    /// backend's (until its TTL runs out), or `None`.
    pub fn location_hint(&self) -> Option<String> {
        self.engine.location_hint()
    }

    /// Replaces the log sink once no call to the old one is in progress. `WrongState` from
    /// inside the sink itself.
    pub fn set_logger(&self, level: Level, sink: Option<LogSink>) -> Result<()> {
        if self.engine.logger().set_sink(level, sink) {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::WrongState, "the log callback cannot be replaced from inside itself"))
        }
    }

    /// Waits until everything queued is delivered or given up. Returns the number left on timeout.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        match self.engine.flush(timeout) {
            0 => Ok(()),
            left => Err(Error::new(
                ErrorKind::Timeout,
                format!("{left} events still queued after {} ms", timeout.as_millis()),
            )),
        }
    }

    /// Waits until no request is in flight or about to be: every response that arrived has been
    /// applied, and what remains waits for a timer (a retry, on a manual clock: for the clock).
    /// Lets a test advance the clock, wait until idle, then assert.
    pub fn wait_idle(&self, timeout: Duration) -> Result<()> {
        if self.engine.wait_idle(Instant::now() + timeout) {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::Timeout, format!("requests still in flight after {} ms", timeout.as_millis())))
        }
    }

    /// Moves a manual clock forward; every timer due by then has fired (pings made, callbacks
    /// called) when this returns.
    pub fn advance_clock(&self, by: Duration) -> Result<()> {
        if on_scheduler_thread() {
            return Err(Error::new(
                ErrorKind::WrongState,
                "the clock cannot be advanced from a callback on the scheduler thread",
            ));
        }
        self.engine.advance_clock(by)
    }

    pub fn pending_events(&self) -> usize {
        self.engine.pending_events()
    }

    pub fn live_sessions(&self) -> usize {
        self.engine.live_sessions()
    }

    /// Flushes for up to `timeout`, then stops the threads. Returns the final counters: what was
    /// left queued (`dropped_shutdown`, reported per session as UNSENT) and what was on the wire
    /// with its outcome unknown (`unconfirmed_shutdown`, reported as UNCONFIRMED).
    pub fn shutdown(mut self, timeout: Duration) -> Stats {
        self.stop(timeout);
        self.engine.stats()
    }

    fn stop(&mut self, timeout: Duration) {
        if self.threads.is_empty() {
            return;
        }
        let deadline = Instant::now() + timeout;
        // The documented bound is the deadline plus 50 ms: the threads get what is left of it
        // after the flush, less a margin for what follows (joining exited threads, reporting).
        let threads_by = deadline + Duration::from_millis(45);
        self.engine.wind_down(timeout);
        // The scheduler and idle workers exit at once; a worker blocked in a request on a dead
        // network is left to finish on its own (bounded by the request timeout).
        let all_exited = self.running.wait_all_exited(threads_by);
        for thread in self.threads.drain(..) {
            // A thread that counted itself out has dropped everything and is returning: joining
            // it takes microseconds and frees its handle and thread-locals now (a detached one
            // may still hold them when the caller checks for leaks). Only a worker still in a
            // request on a dead network is left detached.
            if all_exited || thread.is_finished() {
                let _ = thread.join();
            }
        }
        // No callback runs once this returns: these wait for calls in progress, and a straggling
        // worker finds its outcome already dropped and nothing to call.
        self.engine.silence();
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let timeout = self.engine.config().shutdown_timeout;
        self.stop(timeout);
    }
}

/// One media session. Sending is thread-safe. Dropping the handle ends a session that has not
/// ended (sessionEnd at the last playhead) and releases its player callback.
pub struct Session {
    engine: Arc<Engine>,
    core: Arc<SessionCore>,
}

impl Session {
    /// Validates and queues an event; never waits on the network.
    pub fn send(&self, xdm_json: &str) -> Result<()> {
        self.engine.send(&self.core, xdm_json)
    }

    /// Like [`Session::send`] for an xdm document the caller already has as JSON values: no
    /// text to parse.
    pub fn send_document(&self, xdm: serde_json::Map<String, serde_json::Value>) -> Result<()> {
        self.engine.send_document(&self.core, xdm)
    }

    /// The client-wide number reported in session events.
    pub fn key(&self) -> u64 {
        self.core.key
    }

    pub fn player_id(&self) -> Option<&str> {
        self.core.player_id.as_deref()
    }

    pub fn phase(&self) -> Phase {
        self.core.state.lock().phase()
    }

    /// The backend session ID, without waiting.
    pub fn session_id(&self) -> Result<String> {
        id_of(&self.core.state.lock().backend)
    }

    /// The backend session ID, waiting up to `timeout` for it.
    pub fn wait_session_id(&self, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let mut state = self.core.state.lock();
        while state.backend == Backend::Pending && !self.engine.is_closed() {
            if self.core.backend_changed.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
        match id_of(&state.backend) {
            Err(e) if e.kind == ErrorKind::NotReady => {
                Err(Error::new(ErrorKind::Timeout, format!("no session ID after {} ms", timeout.as_millis())))
            }
            other => other,
        }
    }
}

fn id_of(backend: &Backend) -> Result<String> {
    match backend {
        Backend::Known(id) => Ok(id.clone()),
        Backend::Pending => Err(Error::new(ErrorKind::NotReady, "the session ID is not known yet")),
        Backend::Downloaded => Err(Error::new(
            ErrorKind::WrongState,
            "a downloaded session has no session ID: Adobe assigns it when the session is sent",
        )),
        Backend::Failed(reason) => Err(Error::new(ErrorKind::SessionFailed, format!("the session failed: {reason}"))),
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.engine.release_handle(&self.core);
    }
}
