//! The end of a client: the sessions its caller left open are ended, what is left after the
//! flush is dropped and reported, and what was on the wire is reported as unconfirmed.

use super::notify::{AfterUnlock, Release};
use super::Engine;
use crate::events::SessionEventKind;
use crate::stats::{Counters, DropReason};

impl Engine {
    /// Ends every session still open (the client is shutting down under them), so the backend
    /// closes them now instead of timing them out.
    pub fn end_open_sessions(&self) {
        for core in self.table.all() {
            self.end_at_last_playhead(&core);
        }
    }

    /// After `close`: drops what is still queued, reports it per session (UNSENT) and counts it;
    /// a request on the wire is reported and counted apart (UNCONFIRMED).
    pub fn abandon_queued(&self) {
        for core in self.table.all() {
            let mut after = AfterUnlock::forgetting_session(Release::Nothing);
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
}
