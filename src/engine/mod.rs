//! The engine: every event's way from the caller's call into its session's queue, to delivery,
//! and back as an outcome. Each part is a file of its own:
//!
//! - `table`: the live sessions, by key and by player id;
//! - `send`: the send path (checks, queue limits, stamping, the FIFO);
//! - `outcome`: what to send for a session, and what an answer means;
//! - `pings`: ping timers and the tickers of trackers;
//! - `consent`: the consent state and what changing it does;
//! - `downloaded`: finished downloaded sessions, batched to the `downloaded` endpoint;
//! - `durable`: the journal: what is written, its sync timer, replay at start;
//! - `notify`: session events on their way to the listener, and the count `flush` waits on;
//! - `shutdown`: ending, flushing and abandoning at the end of the client.

mod consent;
mod downloaded;
mod durable;
mod notify;
mod outcome;
mod pings;
mod send;
mod shutdown;
mod table;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::budget::Budget;
use crate::callback::CallbackSlot;
use crate::clock::{Clock, ManualClock};
use crate::config::Config;
use crate::delivery::response::is_location_hint;
use crate::delivery::{Delivery, Sender};
use crate::error::{Error, ErrorKind, Result};
use crate::events::ListenerFn;
use crate::limits::{too_long, MAX_LOCATION_HINT_BYTES};
use crate::log::{Level, Logger};
use crate::scheduler::Scheduler;
use crate::session::SessionCore;
use crate::stats::{Counters, Stats};

pub use pings::Ticking;

pub struct Engine {
    config: Config,
    /// The device's FPID (`native.deviceId`), made or read when the first session starts.
    device: crate::identity::Device,
    /// `native.storageDir`, locked for this client while it lives (the lock goes with it).
    _storage: Option<crate::storage::StorageDir>,
    /// The durable queue in the storage directory, if there is one.
    journal: Option<crate::journal::Journal>,
    /// What the journal held when the client started, until `replay_journal` queues it.
    replay: Mutex<Option<crate::journal::Replay>>,
    /// Finished downloaded sessions on their way to the `downloaded` endpoint.
    downloads: downloaded::Downloads,
    clock: Arc<dyn Clock>,
    manual_clock: Option<Arc<ManualClock>>,
    logger: Logger,
    scheduler: Scheduler,
    delivery: Delivery<Arc<SessionCore>>,
    table: table::SessionTable,
    tickers: pings::Tickers,
    /// Numbers the queued events client-wide, in queueing order.
    next_seq: AtomicU64,
    budget: Mutex<Budget>,
    /// Held for reading while the listener runs, so replacing it waits for calls in progress.
    listener: CallbackSlot<ListenerFn>,
    /// Events queued and not yet delivered or given up; `flush` waits for zero.
    pending: Mutex<usize>,
    drained: Condvar,
    /// `Consent as u8`: read on every send, so an atomic rather than a lock.
    consent: AtomicU8,
    counters: Counters,
    closed: AtomicBool,
}

impl Engine {
    pub fn new(
        config: Config,
        clock: Arc<dyn Clock>,
        manual_clock: Option<Arc<ManualClock>>,
        sender: Sender,
    ) -> Result<Engine> {
        let budget = Budget::new(config.max_queued_events, config.max_queued_bytes);
        let consent = config.default_consent;
        // The directory is locked before its journal is read.
        let (storage, journal, replay) = match &config.storage_dir {
            Some(dir) => {
                let storage = crate::storage::StorageDir::open(dir)?;
                let sync_each = config.journal_sync.is_zero();
                let (journal, replay) = crate::journal::Journal::open(dir, config.journal_max_bytes, sync_each)?;
                (Some(storage), Some(journal), Some(replay))
            }
            None => (None, None, None),
        };
        let delivery = Delivery::new(&config, sender, Arc::clone(&clock))?;
        Ok(Engine {
            device: crate::identity::Device::new(config.device_id.clone()),
            _storage: storage,
            journal,
            replay: Mutex::new(replay),
            downloads: downloaded::Downloads::new(),
            delivery,
            config,
            clock,
            manual_clock,
            logger: Logger::from_env(),
            scheduler: Scheduler::new(),
            table: table::SessionTable::default(),
            tickers: pings::Tickers::default(),
            next_seq: AtomicU64::new(1),
            budget: Mutex::new(budget),
            listener: CallbackSlot::new(None),
            pending: Mutex::new(0),
            drained: Condvar::new(),
            consent: AtomicU8::new(consent as u8),
            counters: Counters::default(),
            closed: AtomicBool::new(false),
        })
    }

    /// How many delivery threads the client runs (`run_delivery_worker` on each).
    pub fn delivery_threads(&self) -> usize {
        self.delivery.threads()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn logger(&self) -> &Logger {
        &self.logger
    }

    /// The client's clock: monotonic time for timers, wall time for timestamps.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Stops taking events and wakes every thread that waits for the engine.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.scheduler.shutdown();
        self.delivery.shutdown();
        self.drained.notify_all();
    }

    /// The scheduler thread's body: fires timers until the engine closes.
    pub fn run_scheduler(&self) {
        // A panic in one timer (a bug) must not stop every session's pings.
        let fire = |timer| {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.fire(timer))).is_err() {
                self.logger.log(Level::Error, || format!("internal error firing {timer:?}"));
            }
        };
        self.scheduler.run(self.clock.as_ref(), self.manual_clock.as_deref(), &fire);
    }

    /// A delivery worker's body: serves sessions until the engine closes.
    pub fn run_delivery_worker(&self) {
        self.delivery.run_worker(self, &self.logger);
    }

    /// Moves a manual clock forward; every timer due by then has fired when this returns.
    pub fn advance_clock(&self, by: Duration) -> Result<()> {
        let Some(manual) = &self.manual_clock else {
            return Err(Error::new(
                ErrorKind::WrongState,
                "the client runs on the system clock; create it with a manual clock",
            ));
        };
        if self.scheduler.advance(manual, by) {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::ClientClosed, "the client was shut down"))
        }
    }

    /// Waits until no request is in flight or about to be. True if that happened by `deadline`.
    pub fn wait_idle(&self, deadline: Instant) -> bool {
        self.delivery.wait_idle(deadline)
    }

    /// Registers a session and queues its sessionStart.
    pub fn start_session(&self, mut core: SessionCore, start: crate::xdm::Prepared) -> Result<Arc<SessionCore>> {
        self.check_startable()?;
        core.key = self.next_key();
        // Who watched: on the sessionStart (and so on a resume's, made from it).
        let mut start = start;
        let fpid = self.device.fpid().unwrap_or_else(|e| {
            self.logger.log(Level::Warn, || format!("sending no device ID: {e}"));
            None
        });
        crate::identity::stamp_start(&mut start.xdm, self.config.identity_map.as_ref(), fpid.as_deref());
        let automatic = core.mode == crate::xdm::Mode::Automatic;
        if automatic {
            let text = serde_json::Value::Object(start.xdm.clone()).to_string();
            core.state.get_mut().start_xdm = Some(text.into_boxed_str());
        }
        let core = Arc::new(core);
        self.table.insert(&core)?;
        self.journal_start(&mut core.state.lock(), core.mode);
        if let Err(e) = self.enqueue(&core, start, None) {
            // Closed, consent withdrawn or no room in between: leave no trace of the session.
            self.table.remove(core.key);
            self.journal_closed(&core);
            self.finish(&core, notify::AfterUnlock::releasing_player());
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
        self.hand_to_delivery(core, &mut state);
    }

    /// Under the session lock: queues the session for delivery unless it is there already (or
    /// on a worker, or waiting for a retry), or has nothing that may go now.
    fn hand_to_delivery(&self, core: &Arc<SessionCore>, state: &mut crate::session::SessionState) {
        if !state.busy && state.head_sendable() && self.may_send() {
            state.busy = true;
            self.delivery.push(Arc::clone(core));
        }
    }

    /// Whether a session with something sendable may go to delivery now.
    fn may_send(&self) -> bool {
        // `closed` is set with the delivery queue's shutdown and costs no lock.
        self.consent() == crate::config::Consent::In && !self.is_closed()
    }

    /// The live automatic session of `player_id`.
    pub fn session_for_player(&self, player_id: &str) -> Result<Arc<SessionCore>> {
        self.table.by_player(player_id).ok_or_else(|| {
            Error::new(ErrorKind::UnknownPlayer, format!("no live automatic session has player id \"{player_id}\""))
        })
    }

    /// A client-wide number for a new ticker (or session).
    pub fn next_key(&self) -> u64 {
        self.table.next_key()
    }

    pub fn live_sessions(&self) -> usize {
        self.table.len()
    }

    /// The location hint later requests go to, if any. The caller's and the backend's replace
    /// each other: the last one given wins (see `Client::set_location_hint`).
    pub fn location_hint(&self) -> Option<String> {
        self.delivery.endpoint().location_hint(self.clock.now())
    }

    /// The caller's hint; `None` or `""` clears whatever hint there is.
    pub fn set_location_hint(&self, hint: Option<&str>) -> Result<()> {
        let hint = hint.filter(|h| !h.is_empty());
        if let Some(h) = hint {
            if h.len() > MAX_LOCATION_HINT_BYTES {
                return Err(too_long("hint", MAX_LOCATION_HINT_BYTES));
            }
            if !is_location_hint(h) {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("hint: expected letters, digits, '-' or '_', got {h:?}"),
                ));
            }
        }
        self.delivery.endpoint().set_location_hint(hint.map(str::to_string));
        Ok(())
    }

    pub fn stats(&self) -> Stats {
        let mut stats = self.counters.snapshot();
        let (events, bytes, peak_events, peak_bytes) = self.budget.lock().usage();
        stats.events_pending = events as u64;
        stats.bytes_pending = bytes as u64;
        stats.peak_events_pending = peak_events as u64;
        stats.peak_bytes_pending = peak_bytes as u64;
        stats.sessions_active = self.live_sessions() as u64;
        stats.requests_new_connection = self.delivery.connections_opened().min(stats.requests_answered);
        stats.requests_reused_connection = stats.requests_answered - stats.requests_new_connection;
        stats
    }
}
