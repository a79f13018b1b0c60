//! Consent: read on every send, and what changing it does to the sessions.

use std::sync::atomic::Ordering;

use super::notify::{AfterUnlock, Release};
use super::Engine;
use crate::config::Consent;
use crate::error::{Error, ErrorKind, Result};
use crate::events::SessionEventKind;
use crate::log::Level;
use crate::session::Backend;
use crate::stats::DropReason;

impl Engine {
    pub fn consent(&self) -> Consent {
        Consent::from_u8(self.consent.load(Ordering::Acquire))
    }

    /// `ConsentOut` while consent is "out".
    pub(super) fn check_consent(&self) -> Result<()> {
        if self.consent() == Consent::Out {
            return Err(Error::new(
                ErrorKind::ConsentOut,
                "consent is \"out\": nothing is tracked until it is set to \"in\"",
            ));
        }
        Ok(())
    }

    /// `in` sends what was held; `pending` holds new requests (one already on its way finishes);
    /// `out` drops everything queued and closes every session.
    pub fn set_consent(&self, consent: Consent) {
        self.consent.store(consent as u8, Ordering::Release);
        self.logger.log(Level::Info, || format!("consent set to {}", consent.name()));
        match consent {
            Consent::Pending => {}
            Consent::In => {
                for core in self.table.all() {
                    self.kick(&core);
                }
                self.kick_downloads();
            }
            Consent::Out => {
                // Finished downloaded sessions waiting for a request are closed below with
                // every other session; the list lets them go.
                self.forget_waiting_downloads();
                for core in self.table.all() {
                    let mut after = AfterUnlock::forgetting_session(Release::Player);
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
}
