//! The end of a client: the sessions its caller left open are ended, what is left after the
//! flush is dropped and reported, and what was on the wire is reported as unconfirmed.

use std::time::Duration;

use super::notify::{AfterUnlock, Release};
use super::Engine;
use crate::config::Consent;
use crate::events::SessionEventKind;
use crate::log::Level;
use crate::stats::{Counters, DropReason};

impl Engine {
    /// Ends the sessions the caller left open (as freeing their handles would), flushes for up
    /// to `timeout`, then closes: what is still queued is dropped and reported (UNSENT), what is
    /// on the wire reported as UNCONFIRMED. With consent not "in", held events cannot go out, so
    /// there is no flush to wait for.
    pub fn wind_down(&self, timeout: Duration) {
        if self.consent() == Consent::In {
            self.end_open_sessions();
            self.flush(timeout);
        }
        self.close();
        self.abandon_queued();
        // What is left goes to disk now.
        self.sync_journal();
    }

    /// Once the client's threads are gone: removes the caller's callbacks, waiting for calls in
    /// progress, so none is called after this returns.
    pub fn silence(&self) {
        let _ = self.set_listener(None);
        self.logger.set_sink(Level::Error, None);
    }

    /// Ends every session still open (the client is shutting down under them), so the backend
    /// closes them now instead of timing them out.
    fn end_open_sessions(&self) {
        for core in self.table.all() {
            self.end_at_last_playhead(&core);
        }
    }

    /// After `close`: drops what is still queued, reports it per session (UNSENT) and counts it;
    /// a request on the wire is reported and counted apart (UNCONFIRMED).
    fn abandon_queued(&self) {
        for core in self.table.all() {
            let mut after = AfterUnlock::forgetting_session(Release::Nothing);
            {
                let mut state = core.state.lock();
                state.pinging = false;
                // A request on the wire may have landed: it is neither sent nor unsent.
                // A downloaded session on the wire went whole: all of it is unconfirmed.
                let on_the_wire = match (std::mem::take(&mut state.in_flight), core.mode) {
                    (false, _) => 0,
                    (true, crate::xdm::Mode::Downloaded) => state.outbox.len(),
                    (true, _) => 1,
                };
                let on_the_wire = on_the_wire.min(state.outbox.len());
                let heads: Vec<_> = state.outbox.drain(..on_the_wire).collect();
                if let Some(head) = heads.first() {
                    let mut budget = self.budget.lock();
                    for event in &heads {
                        budget.release(event.size, event.seq);
                    }
                    drop(budget);
                    Counters::add(&self.counters.unconfirmed_shutdown, heads.len() as u64);
                    after.finished_events += heads.len();
                    let what = match core.mode {
                        crate::xdm::Mode::Downloaded => format!("the downloaded session ({} events)", heads.len()),
                        _ => head.event_type.action().to_string(),
                    };
                    let message = format!("client freed while {what} was on the wire: its outcome is unknown");
                    let mut event = self
                        .session_event(&core, &state, SessionEventKind::Unconfirmed, message)
                        .with_count(heads.len());
                    event.event_type = (heads.len() == 1).then_some(head.event_type);
                    after.events.push(event);
                }
                let queued = state.outbox.len();
                let dropped = self.drop_queued(&mut state, DropReason::Shutdown, &mut after);
                if queued > 0 {
                    let kept = queued - dropped;
                    let message = if kept == 0 {
                        format!("client freed with {dropped} events not delivered")
                    } else {
                        format!(
                            "client freed with {queued} events not delivered; {kept} kept in the journal for the next client on the storage directory"
                        )
                    };
                    after
                        .events
                        .push(self.session_event(&core, &state, SessionEventKind::Unsent, message).with_count(queued));
                }
                after.seal(&core);
            }
            self.finish(&core, after);
        }
    }
}
