//! Timers: a session's pings (one armed timer per session, however many events it sends),
//! delivery retries, and the ticks of trackers.

use std::collections::HashMap;
use std::sync::Weak;
use std::time::Duration;

use parking_lot::Mutex;

use super::Engine;
use crate::log::Level;
use crate::scheduler::Timer;
use crate::session::{SessionCore, SessionState};
use crate::xdm;

/// Something with timers of its own on the client's scheduler thread (a tracker).
pub trait Ticking: Send + Sync {
    /// Called on the scheduler thread when a tick armed with `generation` falls due.
    fn tick(&self, engine: &Engine, generation: u64);
}

/// The registered tickers, by key; a ticker that is gone is skipped.
#[derive(Default)]
pub struct Tickers(Mutex<HashMap<u64, Weak<dyn Ticking>>>);

impl Engine {
    /// Called on the scheduler thread for every timer that falls due.
    pub(super) fn fire(&self, timer: Timer) {
        match timer {
            Timer::Ping { session, generation } => self.ping_due(session, generation),
            Timer::JournalSync => self.sync_journal(),
            Timer::Retry { session } if session == super::downloaded::CARRIER_KEY => self.retry_downloads(),
            Timer::Retry { session } => {
                if let Some(core) = self.table.get(session) {
                    self.delivery.push(core);
                }
            }
            Timer::Tick { ticker, generation } => {
                let target = self.tickers.0.lock().get(&ticker).and_then(Weak::upgrade);
                if let Some(target) = target {
                    target.tick(self, generation);
                }
            }
        }
    }

    pub fn register_ticker(&self, key: u64, ticker: Weak<dyn Ticking>) {
        self.tickers.0.lock().insert(key, ticker);
    }

    pub fn unregister_ticker(&self, key: u64) {
        self.tickers.0.lock().remove(&key);
    }

    /// Arms a tick for `ticker` at `due` on the engine's clock.
    pub fn arm_tick(&self, ticker: u64, due: Duration, generation: u64) {
        self.scheduler.arm(due, Timer::Tick { ticker, generation });
    }

    /// Arms a delivery retry of the session's head at `due`.
    pub(super) fn arm_retry(&self, core: &SessionCore, due: Duration) {
        self.scheduler.arm(due, Timer::Retry { session: core.key });
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
    pub(super) fn rearm_ping(&self, core: &SessionCore, state: &mut SessionState) {
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

    fn ping_due(&self, key: u64, generation: u64) {
        let Some(core) = self.table.get(key) else { return };
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
}
