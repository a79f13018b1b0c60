//! What to send for a session, and what an answer means: success, retry, refusal, and the
//! loss of the backend session (resumed for automatic sessions, reported for manual ones).
//! Delivery asks through [`Handler`] and does the HTTP.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::notify::AfterUnlock;
use super::Engine;
use crate::clock::format_timestamp;
use crate::delivery::policy::{self, Verdict};
use crate::delivery::response;
use crate::delivery::transport::FailureKind;
use crate::delivery::{Handler, HttpResult, Request};
use crate::events::SessionEventKind;
use crate::ids::{new_uuid, random_unit};
use crate::log::Level;
use crate::resume::{resume_events, BACKEND_MAX_SESSION_AGE};
use crate::session::{Backend, Outgoing, SessionCore, SessionState};
use crate::stats::{Counters, DropReason};
use crate::xdm::{EventType, Mode};

/// The backend closes a session after this long without events…
const BACKEND_IDLE_CLOSE: Duration = Duration::from_secs(10 * 60);
/// …and refuses sessions older than 24 h; resume a little before that.
const RESUME_BEFORE_AGE: Duration = BACKEND_MAX_SESSION_AGE.saturating_sub(Duration::from_secs(5 * 60));
/// More losses than this without the backend accepting one event in between: give up.
const MAX_RESUMES_IN_A_ROW: u32 = 3;

pub(super) fn outcome_text(result: &HttpResult) -> String {
    match result {
        Ok(reply) => response::describe_error(reply.status, &reply.body),
        Err(e) if e.kind == FailureKind::Timeout => format!("timed out: {}", e.message),
        Err(e) if matches!(e.kind, FailureKind::Tls | FailureKind::Oversize) => e.message.clone(),
        Err(e) => format!("network error: {}", e.message),
    }
}

impl Handler<Arc<SessionCore>> for Engine {
    /// The request for the head of the session's FIFO, with the session ID filled in. Called on
    /// a delivery worker.
    fn next_request(&self, core: &Arc<SessionCore>) -> Option<Request> {
        if core.key == super::downloaded::CARRIER_KEY {
            return self.next_download_request();
        }
        let mut after = AfterUnlock::default();
        let request = {
            let mut state = core.state.lock();
            if core.mode == Mode::Automatic {
                self.resume_if_backend_closed(core, &mut state, &mut after);
            }
            after.seal(core);
            if !state.head_sendable() || !self.may_send() {
                // Parked: consent is not "in", or the client is closing. `set_consent` or a new
                // event hands it back.
                state.busy = false;
                None
            } else {
                let state = &mut *state;
                let session_id = match &state.backend {
                    Backend::Known(id) => Some(id.as_str()),
                    _ => None,
                };
                let head = state.outbox.front_mut().expect("sendable head");
                let body = head.body.request(session_id);
                let request_id = head.request_id.get_or_insert_with(new_uuid).clone();
                let request = Request { action: head.event_type.action(), request_id, body, tag: head.seq };
                state.in_flight = true;
                Some(request)
            }
        };
        self.finish(core, after);
        request
    }

    fn answered(&self, core: &Arc<SessionCore>, seq: u64, _action: &'static str, result: HttpResult) {
        if core.key == super::downloaded::CARRIER_KEY {
            return self.download_answered(result);
        }
        self.apply_outcome(core, seq, result);
    }

    fn describe(&self, core: &Arc<SessionCore>) -> String {
        if core.key == super::downloaded::CARRIER_KEY {
            return "downloaded sessions".into();
        }
        format!("session {}", core.key)
    }
}

impl Engine {
    /// An automatic session whose backend must have closed it is resumed before its next event:
    /// when delivery has been failing for longer than the backend's idle timeout, or when the
    /// session is close to 24 h old. (Anything this misses, the backend answers with a 404,
    /// which resumes too.)
    fn resume_if_backend_closed(&self, core: &SessionCore, state: &mut SessionState, after: &mut AfterUnlock) {
        let Some(head) = state.outbox.front() else { return };
        if !matches!(state.backend, Backend::Known(_)) {
            return;
        }
        let now = self.clock.now();
        let idle = now.saturating_sub(state.last_accepted);
        let age = now.saturating_sub(state.backend_since);
        // Only after failures: a backlog merely sent late (a virtual clock moved far at once)
        // does not mean the backend went without events.
        if head.first_failure.is_some() && idle >= BACKEND_IDLE_CLOSE {
            let reason = format!("no event reached the backend for {} s, so it has closed the session", idle.as_secs());
            self.resume(core, state, reason, after);
        } else if age >= RESUME_BEFORE_AGE && !core.tracker_managed {
            let reason =
                format!("the session is {} h old; the backend refuses sessions older than 24 h", age.as_secs() / 3600);
            self.resume(core, state, reason, after);
        }
    }

    fn apply_outcome(&self, core: &Arc<SessionCore>, seq: u64, result: HttpResult) {
        if result.is_ok() {
            Counters::add(&self.counters.requests_answered, 1);
        }
        let verdict = policy::verdict(&result);
        let mut after = AfterUnlock::default();
        {
            let mut state = core.state.lock();
            state.in_flight = false;
            let Some(event_type) = state.outbox.front().filter(|head| head.seq == seq).map(|head| head.event_type)
            else {
                // Dropped while in flight (consent withdrawn, client freed): already counted and
                // reported.
                state.busy = false;
                return;
            };
            let now = self.clock.now();
            match verdict {
                Verdict::Success if event_type == EventType::SessionStart => {
                    let body = result.as_ref().map(|r| r.body.as_slice()).unwrap_or_default();
                    match response::parse_session_start(body) {
                        Ok(started) => {
                            self.pop_head(&mut state, None, &mut after);
                            if let Some((hint, ttl)) = started.location_hint {
                                self.delivery.endpoint().learn_location_hint(hint, ttl, now);
                            }
                            self.journal_session_id(&state, &started.session_id);
                            state.backend = Backend::Known(started.session_id.clone());
                            state.backend_since = now;
                            state.last_accepted = now;
                            core.backend_changed.notify_all();
                            Counters::add(&self.counters.sessions_started, 1);
                            if core.mode == Mode::Automatic && !core.tracker_managed && !state.end_queued {
                                state.pinging = true;
                                self.rearm_ping(core, &mut state);
                            }
                            let event = match state.resuming_from.take() {
                                Some(old) => {
                                    Counters::add(&self.counters.sessions_recovered, 1);
                                    let message = format!("session {old} was lost; resumed as {}", started.session_id);
                                    self.session_event(core, &state, SessionEventKind::Resumed, message)
                                }
                                None => {
                                    let message = format!("session {} started", started.session_id);
                                    self.session_event(core, &state, SessionEventKind::Started, message)
                                }
                            };
                            after.events.push(event);
                        }
                        Err(reason) => {
                            self.fail_session(core, &mut state, SessionEventKind::Failed, 200, reason, &mut after)
                        }
                    }
                }
                Verdict::Success => {
                    let head = state.outbox.front_mut().expect("head in flight");
                    let document = if head.restate { head.body.document() } else { None };
                    let kind = head.event_type;
                    state.playback.delivered(kind, document);
                    self.pop_head(&mut state, None, &mut after);
                    state.last_accepted = now;
                    state.resumes_in_a_row = 0;
                    if event_type.ends_session() {
                        self.mark_finished(core, &mut state, &mut after);
                    }
                }
                Verdict::Retry => {
                    let head = state.outbox.front_mut().expect("head in flight");
                    head.attempts += 1;
                    let first = *head.first_failure.get_or_insert(now);
                    let attempts = head.attempts;
                    let reason = outcome_text(&result);
                    if now.saturating_sub(first) >= self.config.max_retry_duration {
                        let reason = format!("given up after {attempts} attempts: {reason}");
                        self.give_up_head(
                            core,
                            &mut state,
                            event_type,
                            SessionEventKind::EventDropped,
                            &result,
                            reason,
                            &mut after,
                        );
                    } else {
                        Counters::add(&self.counters.events_retried, 1);
                        let delay =
                            policy::retry_after(&result).unwrap_or_else(|| policy::backoff(attempts, random_unit()));
                        self.logger.log(Level::Info, || {
                            format!(
                                "session {}: {} failed ({reason}); retry {attempts} in {} ms",
                                core.key,
                                event_type.action(),
                                delay.as_millis()
                            )
                        });
                        self.arm_retry(core, now + delay);
                        // Still busy: nothing else of this session goes out before the retry.
                        return;
                    }
                }
                Verdict::Reject | Verdict::SessionGone if event_type == EventType::SessionStart => {
                    let status = result.as_ref().map(|r| r.status).unwrap_or(0);
                    let reason = outcome_text(&result);
                    self.fail_session(core, &mut state, SessionEventKind::Failed, status, reason, &mut after);
                }
                Verdict::SessionGone => {
                    let reason = format!("the backend no longer knows the session ({})", outcome_text(&result));
                    match core.mode {
                        Mode::Automatic => self.resume(core, &mut state, reason, &mut after),
                        Mode::Manual | Mode::Downloaded => {
                            self.fail_session(core, &mut state, SessionEventKind::Lost, 404, reason, &mut after)
                        }
                    }
                }
                Verdict::Reject => {
                    let reason = outcome_text(&result);
                    self.give_up_head(
                        core,
                        &mut state,
                        event_type,
                        SessionEventKind::EventRejected,
                        &result,
                        reason,
                        &mut after,
                    );
                }
            }
            if state.head_sendable() && self.may_send() {
                self.delivery.push(Arc::clone(core));
            } else {
                state.busy = false;
            }
            if state.outbox.is_empty() && (state.finished || matches!(state.backend, Backend::Failed(_))) {
                after.forget_session = true;
            }
            after.seal(core);
        }
        self.finish(core, after);
    }

    fn mark_finished(&self, core: &SessionCore, state: &mut SessionState, after: &mut AfterUnlock) {
        state.finished = true;
        state.pinging = false;
        after.events.push(self.session_event(core, state, SessionEventKind::Ended, "session ended".into()));
    }

    /// Drops the head for good (rejected or retried too long) and reports it.
    #[allow(clippy::too_many_arguments)]
    fn give_up_head(
        &self,
        core: &SessionCore,
        state: &mut SessionState,
        event_type: EventType,
        kind: SessionEventKind,
        result: &HttpResult,
        reason: String,
        after: &mut AfterUnlock,
    ) {
        let drop_reason =
            if kind == SessionEventKind::EventDropped { DropReason::RetryExpired } else { DropReason::Rejected };
        self.pop_head(state, Some(drop_reason), after);
        let status = result.as_ref().map(|r| r.status).unwrap_or(0);
        let mut event =
            self.session_event(core, state, kind, format!("{} not delivered: {reason}", event_type.action()));
        event.event_type = Some(event_type);
        event.http_status = status;
        after.events.push(event.with_count(1));
        if event_type.ends_session() {
            self.mark_finished(core, state, after);
        }
    }

    /// The backend refused (FAILED) or lost (LOST) the session: what is queued is dropped.
    fn fail_session(
        &self,
        core: &SessionCore,
        state: &mut SessionState,
        kind: SessionEventKind,
        status: u16,
        reason: String,
        after: &mut AfterUnlock,
    ) {
        let dropped = self.drop_queued(state, DropReason::SessionFailed, after);
        state.backend = Backend::Failed(reason.clone());
        state.pinging = false;
        core.backend_changed.notify_all();
        Counters::add(&self.counters.sessions_failed, 1);
        after.release_player = true;
        let what = if kind == SessionEventKind::Lost { "session lost" } else { "session failed" };
        let mut event = self.session_event(core, state, kind, format!("{what}: {reason}")).with_count(dropped);
        event.http_status = status;
        after.events.push(event);
    }

    /// Starts a new backend session for an automatic session the backend lost: a sessionStart
    /// with `hasResume`, the open chapter, ad break and ad, and the play state go in front of the
    /// first undelivered event, stamped with its time; then everything queued follows.
    fn resume(&self, core: &SessionCore, state: &mut SessionState, reason: String, after: &mut AfterUnlock) {
        state.resumes_in_a_row += 1;
        let start = state
            .start_xdm
            .as_deref()
            .and_then(|text| serde_json::from_str::<serde_json::Map<String, Value>>(text).ok());
        let Some(start) = start.filter(|_| state.resumes_in_a_row <= MAX_RESUMES_IN_A_ROW) else {
            let reason = format!(
                "{reason}; resumed {} times without the backend accepting an event",
                state.resumes_in_a_row - 1
            );
            self.fail_session(core, state, SessionEventKind::Failed, 404, reason, after);
            return;
        };
        let Some(head) = state.outbox.front_mut() else { return };
        head.attempts = 0;
        head.first_failure = None;
        head.request_id = None;
        let timestamp = Some(head.body.timestamp())
            .filter(|t| !t.is_null())
            .unwrap_or_else(|| Value::String(format_timestamp(self.clock.wall_ms())));
        let playhead = head.playhead.unwrap_or(state.last_playhead);
        let playback = std::mem::take(&mut state.playback);
        let events = resume_events(&start, &playback, &timestamp, playhead);
        let added = events.len();
        {
            let mut budget = self.budget.lock();
            for (event_type, mut xdm) in events.into_iter().rev() {
                // A restatement is a new event, not a retry: it gets an `_id` of its own.
                xdm.remove("_id");
                let seq = self.next_seq();
                let outgoing = Outgoing::new(seq, event_type, xdm, core.mode, new_uuid, None);
                budget.force(outgoing.size, None);
                state.outbox.push_front(outgoing);
            }
        }
        self.event_queued(added);
        Counters::add(&self.counters.events_queued, added as u64);
        let old = match std::mem::replace(&mut state.backend, Backend::Pending) {
            Backend::Known(id) => id,
            _ => String::new(),
        };
        self.logger.log(Level::Warn, || format!("session {}: {reason}; resuming {old} with hasResume", core.key));
        state.resuming_from = Some(old);
        state.pinging = false;
    }
}
