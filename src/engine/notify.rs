//! Session events on their way to the caller's listener, in each session's order, and the count
//! of unfinished events that `flush` waits on. Both are settled after the session lock is
//! released, from what the locked section decided (an [`AfterUnlock`]).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{Batch, Listener, Mailbox, SessionEvent, SessionEventKind};
use crate::log::Level;
use crate::session::{Backend, SessionCore, SessionState};

/// Whether a session leaving the table frees its player id too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Release {
    Player,
    Nothing,
}

/// What a call under a session lock decided should happen once the lock is released.
#[derive(Default)]
pub(super) struct AfterUnlock {
    pub events: Vec<SessionEvent>,
    pub release_player: bool,
    pub forget_session: bool,
    /// Events finished (delivered, refused, dropped): counted off `pending` only after the
    /// listener has heard about them, so a returned flush means the callbacks have run.
    pub finished_events: usize,
    /// A downloaded session ended: the carrier may have a request to make.
    pub kick_downloads: bool,
    /// The place of `events` in the session's mailbox, taken under the session lock by `seal`.
    batch_number: Option<u64>,
}

impl AfterUnlock {
    /// Nothing decided yet but that the session's player id is free again.
    pub fn releasing_player() -> AfterUnlock {
        AfterUnlock { release_player: true, ..AfterUnlock::default() }
    }

    /// The session leaves the table (its player id freed too if `release_player`).
    pub fn forgetting_session(release_player: Release) -> AfterUnlock {
        AfterUnlock {
            release_player: release_player == Release::Player,
            forget_session: true,
            ..AfterUnlock::default()
        }
    }

    /// Numbers what the locked section decided for the listener. Call it under the session lock,
    /// after the last event is added: that lock's order becomes the order of the callbacks.
    pub fn seal(&mut self, core: &SessionCore) {
        if self.batch_number.is_none() && (!self.events.is_empty() || self.finished_events > 0) {
            self.batch_number = Some(core.mailbox.reserve());
        }
    }
}

impl Engine {
    /// Replaces the listener once no call to the old one is in progress. Refused from inside the
    /// listener, where that wait would never end.
    pub fn set_listener(&self, listener: Option<Listener>) -> Result<()> {
        self.listener
            .replace(listener)
            .map_err(|_| Error::new(ErrorKind::WrongState, "the event callback cannot be replaced from inside itself"))
    }

    pub(super) fn session_event(
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

    /// Carries out what a locked section decided, with the lock released.
    pub(super) fn finish(&self, core: &SessionCore, after: AfterUnlock) {
        if after.release_player {
            self.table.release_player(core);
        }
        if after.forget_session {
            self.table.remove(core.key);
            self.journal_closed(core);
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
        // Unsealed means nothing was decided for the listener (the assertion above): most sends.
        if let Some(number) = after.batch_number {
            self.deliver(&core.mailbox, number, Batch { events: after.events, finished_events: after.finished_events });
        }
        if after.kick_downloads {
            self.kick_downloads();
        }
    }

    /// Reports events that concern no delivery (a tracker's rejected calls), as batch `number`
    /// of `mailbox` (reserved under the lock that decided them).
    pub fn report(&self, mailbox: &Mailbox, number: u64, events: Vec<SessionEvent>) {
        self.deliver(mailbox, number, Batch { events, finished_events: 0 });
    }

    /// Posts a batch; if this thread's turn comes, delivers it and whatever else is next in line.
    fn deliver(&self, mailbox: &Mailbox, number: u64, batch: Batch) {
        if mailbox.post(number, batch) {
            let mut finished = 0;
            while let Some(batch) = mailbox.take() {
                self.emit(batch.events);
                finished += batch.finished_events;
            }
            // Counted off only once this thread's turn is over: a flush that returns leaves no
            // thread delivering, so what the caller decides next (consent out, a free) reaches
            // the listener on the caller's thread, before its call returns.
            self.event_done(finished);
        }
    }

    fn emit(&self, events: Vec<SessionEvent>) {
        for event in events {
            self.logger
                .log(Level::Info, || format!("session {} {:?}: {}", event.session_key, event.kind, event.message));
            self.listener.call(|listener| listener(&event));
        }
    }

    /// One more event waits to be delivered or given up.
    pub(super) fn event_queued(&self, count: usize) {
        *self.pending.lock() += count;
    }

    /// `count` events were delivered or given up.
    pub(super) fn event_done(&self, count: usize) {
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

    pub fn pending_events(&self) -> usize {
        *self.pending.lock()
    }
}
