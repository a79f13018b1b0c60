//! The engine's side of the journal (`native.storageDir`): what it writes as sessions start,
//! queue events, learn their IDs, deliver and close; the sync timer; and, when a client starts,
//! the sessions an earlier client on the directory left unfinished.
//!
//! A session whose player is gone (its process died) is **ended**: its undelivered events go
//! out in their order with their own timestamps and `_id`s, to the session ID the backend gave
//! (a 404 leads to the resume path of automatic sessions), or after their own sessionStart if
//! that was not delivered; then, unless its end was queued already, a `media.sessionEnd` at the
//! last playhead it reported, stamped with the last time it reported anything. That is Adobe's
//! event for a viewer who left without completing the content; the backend would otherwise keep
//! the session open until its idle timeout and count the time in between as watched.

use std::sync::Arc;

use serde_json::Value;

use super::notify::AfterUnlock;
use super::Engine;
use crate::body::Body;
use crate::config::Consent;
use crate::journal::record::{self, EventRecord, Record, ENDS_SESSION};
use crate::journal::{Appended, Unfinished};
use crate::log::Level;
use crate::scheduler::Timer;
use crate::session::{Backend, Outgoing, SessionCore, SessionState};
use crate::stats::{Counters, DropReason};
use crate::xdm::{EventType, Mode};

impl Engine {
    /// Journals a new session (before its sessionStart is queued).
    pub(super) fn journal_start(&self, state: &mut SessionState, mode: Mode) {
        let Some(journal) = &self.journal else { return };
        let jid = journal.new_session();
        let start_xdm = state.start_xdm.as_deref();
        let mode = match mode {
            Mode::Manual => record::MANUAL,
            Mode::Automatic => record::AUTOMATIC,
            Mode::Downloaded => record::DOWNLOADED,
        };
        let appended = journal.append(&Record::Start { jid, mode, start_xdm });
        if self.appended(appended) {
            state.journal = Some(jid);
        }
    }

    /// Journals an event as it joins its session's FIFO (under the session lock, so the file
    /// keeps the FIFO's order). An event that cannot be journaled is counted and sent anyway.
    pub(super) fn journal_event(&self, state: &mut SessionState, outgoing: &mut Outgoing) {
        let Some(journal) = &self.journal else { return };
        let Some(jid) = state.journal else {
            // Its session's Start record could not be written (the journal was full or off).
            Counters::add(&self.counters.events_not_journaled, 1);
            return;
        };
        let n = state.journal_next;
        let (body, session_id_at, timestamp) = outgoing.body.parts();
        let record = Record::Event(EventRecord {
            jid,
            n,
            flags: if outgoing.event_type.ends_session() { ENDS_SESSION } else { 0 },
            event_type: outgoing.event_type.xdm_name(),
            playhead: outgoing.playhead,
            session_id_at: session_id_at.map(|at| at as u32),
            timestamp: (timestamp.start as u32, timestamp.end as u32),
            body,
        });
        if self.appended(journal.append(&record)) {
            state.journal_next += 1;
            outgoing.journal_n = Some(n);
        } else {
            Counters::add(&self.counters.events_not_journaled, 1);
        }
    }

    /// Journals the session ID the backend gave.
    pub(super) fn journal_session_id(&self, state: &SessionState, id: &str) {
        let (Some(journal), Some(jid)) = (&self.journal, state.journal) else { return };
        self.appended(journal.append(&Record::SessionId { jid, id }));
    }

    /// Marks a journaled event delivered or given up for good.
    pub(super) fn journal_done(&self, state: &SessionState, event: &Outgoing) {
        let (Some(journal), Some(jid), Some(n)) = (&self.journal, state.journal, event.journal_n) else { return };
        if journal.done(jid, n) {
            self.arm_journal_sync();
        }
    }

    /// Marks a session over in the journal (called once it has left the table). A client that is
    /// shutting down leaves its sessions in the journal for the next one.
    pub(super) fn journal_closed(&self, core: &SessionCore) {
        let Some(journal) = &self.journal else { return };
        if self.is_closed() {
            return;
        }
        if let Some(jid) = core.state.lock().journal.take() {
            self.appended(journal.append(&Record::Closed { jid }));
        }
    }

    /// Arms the sync timer and logs a failure as asked; true if the record was written.
    fn appended(&self, appended: Appended) -> bool {
        if appended.arm_sync {
            self.arm_journal_sync();
        }
        if let Some(why) = appended.failure {
            self.logger.log(Level::Error, || why);
        }
        appended.written
    }

    fn arm_journal_sync(&self) {
        let interval = if self.config.journal_sync.is_zero() {
            // Records are synced as written; the timer only writes done marks and compacts.
            std::time::Duration::from_secs(1)
        } else {
            self.config.journal_sync
        };
        self.scheduler.arm(self.clock.now() + interval, Timer::JournalSync);
    }

    /// The sync timer: writes the done marks, compacts if due, syncs to disk.
    pub(super) fn sync_journal(&self) {
        let Some(journal) = &self.journal else { return };
        if let Err(why) = journal.sync() {
            self.logger.log(Level::Error, || why);
        }
    }

    /// Queues again what an earlier client on the storage directory left unfinished (see the
    /// module's comment). Called once, when the client has started its threads.
    pub fn replay_journal(&self) {
        let Some(replay) = self.replay.lock().take() else { return };
        if replay.discarded > 0 {
            Counters::add(&self.counters.journal_bytes_discarded, replay.discarded as u64);
            self.logger.log(Level::Warn, || {
                format!("the journal's last {} bytes were torn or damaged and are cut off", replay.discarded)
            });
        }
        for unfinished in replay.sessions {
            self.replay_session(unfinished);
        }
    }

    fn replay_session(&self, unfinished: Unfinished) {
        let Some(journal) = &self.journal else { return };
        let jid = unfinished.jid;
        let mode = match unfinished.mode {
            record::AUTOMATIC => Mode::Automatic,
            record::DOWNLOADED => Mode::Downloaded,
            _ => Mode::Manual,
        };
        let mut outbox = Vec::with_capacity(unfinished.events.len());
        for event in &unfinished.events {
            let body = Body::from_parts(
                event.body.clone(),
                event.session_id_at.map(|at| at as usize),
                event.timestamp.0 as usize..event.timestamp.1 as usize,
            );
            match (EventType::from_xdm_name(&event.event_type), body) {
                (Some(event_type), Some(body)) => {
                    outbox.push(Outgoing::replayed(self.next_seq(), event_type, body, event.playhead, event.n))
                }
                // Written by another version of the library, or damaged past the checksum.
                _ => {
                    journal.done(jid, event.n);
                }
            }
        }
        let starts_here = outbox.first().is_some_and(|o| o.event_type == EventType::SessionStart);
        let known = match mode {
            // Sent whole, from its own sessionStart: Adobe assigns the ID.
            Mode::Downloaded => starts_here.then_some(Backend::Downloaded),
            _ => unfinished.session_id.clone().map(Backend::Known),
        };
        let startable = known.is_some() || starts_here;
        if self.consent() == Consent::Out || !startable {
            // Nothing of it may go (consent "out"), or it can never start (its sessionStart was
            // delivered but its ID not journaled): given up, counted.
            let reason = if startable { DropReason::Consent } else { DropReason::SessionFailed };
            let n = outbox.len() as u64;
            Counters::add(&self.counters.events_queued, n);
            Counters::add(&self.counters.events_replayed, n);
            self.counters.dropped(reason, n);
            self.appended(journal.append(&Record::Closed { jid }));
            self.logger.log(Level::Warn, || format!("{n} journaled events of an earlier session dropped ({reason:?})"));
            return;
        }
        let mut core = SessionCore::new(self.next_key(), mode, None, None);
        let replayed = outbox.len();
        {
            let state = core.state.get_mut();
            state.backend = known.unwrap_or(Backend::Pending);
            state.start_xdm = unfinished.start_xdm.map(String::into_boxed_str);
            state.journal = Some(jid);
            state.journal_next = unfinished.next_n;
            state.last_playhead = unfinished.last_playhead.unwrap_or(0);
            let mut budget = self.budget.lock();
            for outgoing in outbox {
                budget.force(outgoing.size, None);
                state.outbox.push_back(outgoing);
            }
        }
        let core = Arc::new(core);
        if self.table.insert(&core).is_err() {
            return;
        }
        if mode != Mode::Downloaded {
            // A downloaded session's count for `flush` starts when it has ended (below).
            self.event_queued(replayed);
        }
        Counters::add(&self.counters.events_queued, replayed as u64);
        Counters::add(&self.counters.events_replayed, replayed as u64);
        self.logger.log(Level::Info, || {
            format!("session {}: {replayed} events of an earlier client's session queued again", core.key)
        });
        if unfinished.ended {
            if mode == Mode::Downloaded {
                let mut after = AfterUnlock::default();
                self.downloaded_ended(&core, &core.state.lock(), &mut after);
                self.finish(&core, after);
            } else {
                self.kick(&core);
            }
            return;
        }
        // The player is gone: end the session where it was last seen.
        let timestamp = unfinished
            .last_timestamp
            .and_then(|t| serde_json::from_slice::<Value>(&t).ok())
            .unwrap_or_else(|| Value::String(crate::clock::format_timestamp(self.clock.wall_ms())));
        let end = super::send::session_end(unfinished.last_playhead.unwrap_or(0), Some(timestamp));
        if let Err(e) = self.enqueue(&core, end, None) {
            self.logger.log(Level::Warn, || format!("session {}: could not queue its sessionEnd: {e}", core.key));
            self.kick(&core);
        }
    }
}
