//! The send path: an event's checks, its room in the queue limits, its stamps (`timestamp`,
//! `_id`), and its place in the session's FIFO. Also the sessionEnd the library sends for a
//! session its caller let go of.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::notify::AfterUnlock;
use super::Engine;
use crate::budget::{Class, QueuedPing, Reservation};
use crate::clock::{fixed_timestamp, format_timestamp};
use crate::document;
use crate::error::{Error, ErrorKind, Result};
use crate::ids::new_uuid;
use crate::log::Level;
use crate::session::{Backend, Outgoing, SessionCore, SessionState};
use crate::stats::{Counters, DropReason};
use crate::xdm::{self, EventType, Mode, Prepared};

impl Engine {
    /// Whether a session may start at all (client open, consent not out): checked before the
    /// start document is even parsed.
    pub fn check_startable(&self) -> Result<()> {
        if self.is_closed() {
            return Err(Error::new(ErrorKind::ClientClosed, "the client was shut down"));
        }
        self.check_consent()
    }

    /// Validates and queues a caller's event. The common events are read once into their
    /// request body (`document`); the others, and every event with something wrong, go the
    /// general way (`xdm`), which has the checks' messages.
    pub fn send(&self, core: &Arc<SessionCore>, xdm_text: &str) -> Result<()> {
        crate::limits::check_len("xdm", xdm_text.len(), crate::limits::MAX_XDM_BYTES)?;
        let mut scratch = document::Scratch::new();
        match document::read(xdm_text, core.mode, &mut scratch) {
            Some(reading) => self.send_read(core, &reading, xdm_text.len()),
            None => self.send_checked(core, xdm::parse_document(xdm_text)?, Some(xdm_text.len())),
        }
    }

    /// `send` for an event `document::read` took: the same checks in the same order as
    /// `send_checked` and `xdm::prepare`, on the slices it read.
    fn send_read(&self, core: &Arc<SessionCore>, reading: &document::Reading, text_len: usize) -> Result<()> {
        self.check_accepting(&core.state.lock())?;
        if core.mode == Mode::Manual {
            self.check_session_id(core, reading.session_id)?;
        }
        let details = match core.mode {
            Mode::Automatic => Some(core.read_player().unwrap_or_default()),
            _ => None,
        };
        let written = reading.write(details.as_ref())?;
        let outgoing =
            Outgoing::from_body(self.next_seq(), reading.event_type, written.body, written.playhead, text_len);
        self.enqueue_outgoing(core, outgoing, written.playhead, None)
    }

    /// A manual session's event must carry the session's own ID, once it is known.
    fn check_session_id(&self, core: &SessionCore, given: Option<&str>) -> Result<()> {
        match &core.state.lock().backend {
            Backend::Known(id) if Some(id.as_str()) == given => Ok(()),
            Backend::Known(_) => {
                Err(Error::new(ErrorKind::InvalidEvent, "mediaCollection.sessionID: does not match this session's ID"))
            }
            _ => Err(Error::new(ErrorKind::NotReady, "the session ID is not known yet")),
        }
    }

    /// Validates and queues a caller's event given as a parsed document.
    pub fn send_document(&self, core: &Arc<SessionCore>, document: Map<String, Value>) -> Result<()> {
        self.send_checked(core, document, None)
    }

    /// Queues a library-made, already checked event (a tracker's).
    pub fn enqueue_event(&self, core: &Arc<SessionCore>, prepared: Prepared) -> Result<()> {
        self.enqueue(core, prepared, None)
    }

    /// `text_len`: the size of the caller's JSON text, when there was one; it stands for the
    /// event's size in the queue limits (saving the player's thread a serialization).
    fn send_checked(
        &self,
        core: &Arc<SessionCore>,
        document: Map<String, Value>,
        text_len: Option<usize>,
    ) -> Result<()> {
        // Cheap refusals first, so a dead session does not cost the player a callback.
        self.check_accepting(&core.state.lock())?;
        let prepared = xdm::prepare(document, xdm::Position::Later, core.mode, || core.read_player(), &self.config)?;
        if core.mode == Mode::Manual {
            let given = prepared.xdm.get("mediaCollection").and_then(|m| m.get("sessionID")).and_then(Value::as_str);
            self.check_session_id(core, given)?;
        }
        self.enqueue_sized(core, prepared, None, text_len)
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

    /// A client-wide number for a queued event, in queueing order.
    pub(super) fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Takes room in the queue limits for one event, evicting the oldest queued pings if need
    /// be. `Ok(false)`: a ping that found no room (counted as dropped).
    fn reserve(&self, session: u64, seq: u64, size: usize, class: Class) -> Result<bool> {
        loop {
            let ping = (class == Class::Ping).then_some(QueuedPing { session, seq });
            let reservation = self.budget.lock().reserve(size, class, ping);
            match reservation {
                Reservation::Granted => return Ok(true),
                Reservation::Evict { session, seq } => self.evict_ping(session, seq),
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
    fn evict_ping(&self, session: u64, seq: u64) {
        let Some(core) = self.table.get(session) else { return };
        let removed = {
            let mut state = core.state.lock();
            match state.outbox.iter().position(|o| o.seq == seq) {
                Some(0) if state.busy => None,
                Some(index) => state.outbox.remove(index),
                None => None,
            }
        };
        if let Some(ping) = removed {
            self.journal_done(&core.state.lock(), &ping);
            self.budget.lock().release(ping.size, ping.seq);
            self.counters.dropped(DropReason::QueueFull, 1);
            self.logger.log(Level::Debug, || {
                format!("session {session}: oldest ping dropped to stay within the queue limits")
            });
            self.event_done(1);
        }
    }

    /// Puts a checked event at the back of the session's FIFO, stamps its time, re-arms the ping
    /// timer and hands the session to delivery if it was idle. `ping_for` is set for a ping: the
    /// due time it was made for; it is dropped if an event moved the due time meanwhile.
    pub(super) fn enqueue(
        &self,
        core: &Arc<SessionCore>,
        prepared: Prepared,
        ping_for: Option<Duration>,
    ) -> Result<()> {
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
        let seq = self.next_seq();
        let Prepared { event_type, xdm, playhead } = prepared;
        // Written here, outside the session lock, on the caller's thread; only the timestamp
        // waits for the lock. Delivery sends these bytes as they are.
        let outgoing = Outgoing::new(seq, event_type, xdm, core.mode, new_uuid, text_len);
        self.enqueue_outgoing(core, outgoing, playhead, ping_for)
    }

    /// Queues an event written as its request body; see `enqueue`.
    fn enqueue_outgoing(
        &self,
        core: &Arc<SessionCore>,
        mut outgoing: Outgoing,
        playhead: i64,
        ping_for: Option<Duration>,
    ) -> Result<()> {
        let (seq, event_type, size) = (outgoing.seq, outgoing.event_type, outgoing.size);
        // The time is read and written out before the lock; under it, it is only made no
        // earlier than the session's last stamp, so that timestamps never run backwards along
        // the FIFO (two threads sending to one session, or the wall clock set back).
        let stamp = outgoing.body.unstamped().then(|| {
            let ms = self.clock.wall_ms();
            (ms, fixed_timestamp(ms))
        });
        let class = match event_type {
            // A downloaded session's pings are its record of the playback: never evicted.
            EventType::Ping if core.mode == Mode::Downloaded => Class::Ordinary,
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
            // Stamped under the lock so that timestamps never run backwards along the FIFO. The
            // `_id` (one per event, kept on every retry of it, so the backend can drop the
            // duplicates that at-least-once delivery makes) is in the body already.
            if let Some((ms, text)) = stamp {
                match text {
                    Some(text) if ms >= state.last_stamp_ms => outgoing.body.stamp_fixed(&text),
                    _ => outgoing.body.stamp(&format_timestamp(ms.max(state.last_stamp_ms))),
                }
                state.last_stamp_ms = state.last_stamp_ms.max(ms);
            }
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
            self.journal_event(&mut state, &mut outgoing);
            if state.outbox.capacity() == 0 {
                // Room for this one event only: most sessions queue one at a time, and a burst
                // of new sessions (each with its sessionStart waiting) would otherwise leave
                // four events' room per session behind in the allocator.
                state.outbox.reserve_exact(1);
            }
            state.outbox.push_back(outgoing);
            if core.mode != Mode::Downloaded {
                self.event_queued(1);
            } else if event_type.ends_session() {
                // A downloaded session's events count for `flush` once they can be sent.
                self.downloaded_ended(core, &state, &mut after);
            }
            Counters::add(&self.counters.events_queued, 1);
            if state.pinging {
                self.rearm_ping(core, &mut state);
            }
            self.hand_to_delivery(core, &mut state);
            self.logger.log(Level::Debug, || format!("session {} queued {}", core.key, event_type.action()));
            after.seal(core);
        }
        self.finish(core, after);
        Ok(())
    }

    /// Removes the head: delivered (`reason` None) or dropped for `reason`.
    pub(super) fn pop_head(&self, state: &mut SessionState, reason: Option<DropReason>, after: &mut AfterUnlock) {
        if let Some(head) = state.outbox.pop_front() {
            self.budget.lock().release(head.size, head.seq);
            self.journal_done(state, &head);
            match reason {
                None => Counters::add(&self.counters.events_sent, 1),
                Some(reason) => self.counters.dropped(reason, 1),
            }
            after.finished_events += 1;
            if state.outbox.is_empty() && state.outbox.capacity() > 1 {
                // An idle session keeps room for one event (160 bytes), which is what most
                // sessions queue at a time: its next event then costs the caller no allocation
                // for the queue. A larger buffer, left by a backlog, goes.
                state.outbox = std::collections::VecDeque::new();
            }
        }
    }

    /// Removes every queued event of a session (consent out, shutdown, a failed session),
    /// counting them as dropped for `reason`, and returns how many. At shutdown, journaled
    /// events stay in the journal for the next client instead (`kept_for_restart`, not counted
    /// as dropped). A request in flight for the head finds it gone and is ignored.
    pub(super) fn drop_queued(&self, state: &mut SessionState, reason: DropReason, after: &mut AfterUnlock) -> usize {
        let removed = std::mem::take(&mut state.outbox);
        let mut kept = 0;
        let mut budget = self.budget.lock();
        for event in &removed {
            budget.release(event.size, event.seq);
        }
        drop(budget);
        for event in &removed {
            if reason == DropReason::Shutdown && event.journal_n.is_some() && state.journal.is_some() {
                kept += 1;
            } else {
                self.journal_done(state, event);
            }
        }
        let dropped = removed.len() - kept;
        self.counters.dropped(reason, dropped as u64);
        Counters::add(&self.counters.kept_for_restart, kept as u64);
        // A downloaded session still playing has no events counted for `flush` yet.
        if state.backend != Backend::Downloaded || state.end_queued {
            after.finished_events += removed.len();
        }
        dropped
    }

    /// Frees the caller's handle: a session that has not ended is ended with sessionEnd at the
    /// last playhead it reported, and its player callback is released.
    pub fn release_handle(&self, core: &Arc<SessionCore>) {
        core.details.lock().take();
        self.end_at_last_playhead(core);
    }

    /// Queues sessionEnd at the last playhead the session reported, unless it has ended or failed.
    pub(super) fn end_at_last_playhead(&self, core: &Arc<SessionCore>) {
        let playhead = {
            let state = core.state.lock();
            if state.end_queued || matches!(state.backend, Backend::Failed(_)) {
                return;
            }
            state.last_playhead
        };
        // The session ID is added when it is sent, once the backend has issued it.
        if let Err(e) = self.enqueue(core, session_end(playhead, None), None) {
            self.logger.log(Level::Warn, || format!("session {}: could not queue its sessionEnd: {e}", core.key));
        }
    }
}

/// The library's own sessionEnd at `playhead`, stamped `timestamp` (or when it is queued).
pub(super) fn session_end(playhead: i64, timestamp: Option<Value>) -> Prepared {
    let mut media = Map::new();
    media.insert("playhead".into(), Value::from(playhead));
    let mut xdm = Map::new();
    xdm.insert("eventType".into(), Value::from(EventType::SessionEnd.xdm_name()));
    if let Some(timestamp) = timestamp {
        xdm.insert("timestamp".into(), timestamp);
    }
    xdm.insert("mediaCollection".into(), Value::Object(media));
    Prepared { event_type: EventType::SessionEnd, xdm, playhead }
}
