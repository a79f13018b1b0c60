//! Downloaded sessions: offline playback, recorded while the media plays (durably, with a
//! storage directory) and sent whole once the session ends, several finished sessions per
//! request, to Adobe's `downloaded` endpoint. Adobe assigns each its session ID then.
//!
//! A downloaded session's events wait in its FIFO like any other's, as the bodies written when
//! they were queued, but never go out one by one. When its end is queued, the session joins the
//! client's waiting list; the *carrier*, a session of the engine's own that is in no table, takes
//! up to [`MAX_BATCH_SESSIONS`] of them (and about [`MAX_BATCH_BYTES`]) into one request:
//! `{"events": [one element per session]}`, each element an XDM event of type
//! `media.downloaded` whose `mediaDownloadedEvents` are the session's events in order,
//! `{mediaEventTimestamp, mediaEventType, mediaCollection}`, with the sessionStart's identity,
//! `implementationDetails`, `_id` and timestamp on the element. The batch is retried as one
//! until it is answered, however long that takes (the device may be offline for days): a
//! downloaded session is never given up for time. A 2xx accepts the batch; a 207 refuses the
//! elements its `errors[]` name by `report.eventIndex` (all of them if none is named) and accepts
//! the rest; a 400 (or another refusal) refuses them all. A refused session is FAILED with
//! Adobe's reason and counted (`downloaded_sessions_refused`, its events in `dropped_rejected`).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{Map, Value};

use super::notify::AfterUnlock;
use super::outcome::outcome_text;
use super::Engine;
use crate::delivery::policy::{self, Verdict};
use crate::delivery::{HttpResult, Request};
use crate::events::SessionEventKind;
use crate::ids::{new_uuid, random_unit};
use crate::log::Level;
use crate::session::{Backend, SessionCore, SessionState};
use crate::stats::{Counters, DropReason};
use crate::xdm::Mode;

/// The carrier's key: no session has it (keys count up from 1).
pub(super) const CARRIER_KEY: u64 = u64::MAX;
/// At most this many sessions in one request…
pub(crate) const MAX_BATCH_SESSIONS: usize = 16;
/// …and no more than about this many bytes of their events (a single larger session still goes,
/// alone).
pub(crate) const MAX_BATCH_BYTES: usize = 512 * 1024;

pub(super) struct Downloads {
    pub carrier: Arc<SessionCore>,
    /// Finished sessions waiting for a request, oldest first, each with its events' bytes
    /// (taken when it ended, so batching locks no session).
    waiting: Mutex<VecDeque<(Arc<SessionCore>, usize)>>,
    /// The sessions of the request on the wire or waiting for its retry, and what stays the same
    /// across its attempts.
    batch: Mutex<Batch>,
}

#[derive(Default)]
struct Batch {
    sessions: Vec<Arc<SessionCore>>,
    request_id: Option<String>,
    attempts: u32,
}

impl Downloads {
    pub fn new() -> Downloads {
        Downloads {
            carrier: Arc::new(SessionCore::new(CARRIER_KEY, Mode::Downloaded, None, None)),
            waiting: Mutex::new(VecDeque::new()),
            batch: Mutex::new(Batch::default()),
        }
    }
}

/// One session as an element of the request: `None` if it has nothing to send (dropped since).
fn element(state: &SessionState) -> Option<Value> {
    let mut entries = Vec::with_capacity(state.outbox.len());
    let mut start: Option<Map<String, Value>> = None;
    for event in &state.outbox {
        let mut body: Value = serde_json::from_slice(&event.body.request(None)).ok()?;
        let Value::Object(mut xdm) = body["events"][0]["xdm"].take() else { return None };
        let mut entry = Map::new();
        entry.insert("mediaEventTimestamp".into(), xdm.remove("timestamp").unwrap_or(Value::Null));
        entry.insert("mediaEventType".into(), xdm.remove("eventType").unwrap_or(Value::Null));
        entry.insert("mediaCollection".into(), xdm.remove("mediaCollection").unwrap_or_default());
        entries.push(Value::Object(entry));
        if start.is_none() {
            // What is left of the sessionStart: `_id`, identityMap, implementationDetails, …
            start = Some(xdm);
        }
    }
    let mut element = start?;
    // The element is a new event of its own: it carries the sessionStart's `_id` (the same on
    // every retry, across restarts) and its time.
    if let Some(Value::String(time)) = entries.first().map(|e| e["mediaEventTimestamp"].clone()) {
        element.insert("timestamp".into(), Value::String(time));
    }
    element.insert("eventType".into(), Value::from("media.downloaded"));
    element.insert("mediaDownloadedEvents".into(), Value::Array(entries));
    let mut wrapper = Map::new();
    wrapper.insert("xdm".into(), Value::Object(element));
    Some(Value::Object(wrapper))
}

/// The elements a 207 refuses, by index, with the reason; `None` for "all".
fn refused_elements(body: &[u8]) -> (Option<HashSet<usize>>, String) {
    let root: Value = serde_json::from_slice(body).unwrap_or_default();
    let errors = root["errors"].as_array().cloned().unwrap_or_default();
    let reason = crate::delivery::response::describe_error(207, body);
    let indexes: Option<HashSet<usize>> =
        errors.iter().map(|e| e["report"]["eventIndex"].as_u64().map(|i| i as usize)).collect();
    match indexes {
        Some(indexes) if !errors.is_empty() => (Some(indexes), reason),
        _ => (None, reason),
    }
}

impl Engine {
    /// Under the session lock, when a downloaded session's end was queued: its events now count
    /// for `flush`, and it waits for a request (the carrier is kicked once the lock is released).
    pub(super) fn downloaded_ended(&self, core: &Arc<SessionCore>, state: &SessionState, after: &mut AfterUnlock) {
        self.event_queued(state.outbox.len());
        let bytes = state.outbox.iter().map(|o| o.size).sum();
        self.downloads.waiting.lock().push_back((Arc::clone(core), bytes));
        after.kick_downloads = true;
    }

    /// Hands the carrier to delivery if it is idle and there is something to send. Takes no
    /// other lock while it holds the carrier's: the delivery thread takes them the other way.
    pub(super) fn kick_downloads(&self) {
        let waiting = !self.downloads.waiting.lock().is_empty();
        let work = waiting || !self.downloads.batch.lock().sessions.is_empty();
        if !work || !self.may_send() {
            return;
        }
        let carrier = &self.downloads.carrier;
        let mut state = carrier.state.lock();
        if !state.busy {
            state.busy = true;
            self.delivery.push(Arc::clone(carrier));
        }
    }

    /// Consent "out": nothing waiting will be sent (the sessions themselves are closed with the
    /// others).
    pub(super) fn forget_waiting_downloads(&self) {
        self.downloads.waiting.lock().clear();
    }

    /// The carrier's retry timer fired.
    pub(super) fn retry_downloads(&self) {
        self.delivery.push(Arc::clone(&self.downloads.carrier));
    }

    /// The carrier's next request: the batch being retried, or a new one.
    pub(super) fn next_download_request(&self) -> Option<Request> {
        let request = self.batch_request();
        if request.is_none() {
            self.downloads.carrier.state.lock().busy = false;
            // A session that ended after the batch was looked at found the carrier busy.
            self.kick_downloads();
        }
        request
    }

    fn batch_request(&self) -> Option<Request> {
        let mut batch = self.downloads.batch.lock();
        if batch.sessions.is_empty() {
            let mut waiting = self.downloads.waiting.lock();
            let mut bytes = 0;
            while let Some((_, size)) = waiting.front() {
                if !batch.sessions.is_empty()
                    && (batch.sessions.len() >= MAX_BATCH_SESSIONS || bytes + size > MAX_BATCH_BYTES)
                {
                    break;
                }
                bytes += size;
                batch.sessions.extend(waiting.pop_front().map(|(core, _)| core));
            }
        }
        if !self.may_send() {
            return None;
        }
        let mut elements = Vec::with_capacity(batch.sessions.len());
        // A session dropped meanwhile (consent out) has nothing left: it leaves the batch.
        batch.sessions.retain(|core| {
            let mut state = core.state.lock();
            let element = (state.backend == Backend::Downloaded).then(|| element(&state)).flatten();
            let Some(element) = element else { return false };
            state.in_flight = true;
            elements.push(element);
            true
        });
        if elements.is_empty() {
            return None;
        }
        let mut body = Map::new();
        body.insert("events".into(), Value::Array(elements));
        let request_id = batch.request_id.get_or_insert_with(new_uuid).clone();
        let body = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
        Some(Request { action: "downloaded", request_id, body, tag: 0 })
    }

    /// What the `downloaded` endpoint answered for the batch on the wire.
    pub(super) fn download_answered(&self, result: HttpResult) {
        if result.is_ok() {
            Counters::add(&self.counters.requests_answered, 1);
        }
        let (refused, reason): (Option<HashSet<usize>>, String) = match &result {
            Ok(reply) if reply.status == 207 => refused_elements(&reply.body),
            _ => match policy::verdict(&result) {
                Verdict::Success => (Some(HashSet::new()), String::new()),
                Verdict::Retry => {
                    let mut batch = self.downloads.batch.lock();
                    batch.attempts += 1;
                    let attempts = batch.attempts;
                    drop(batch);
                    let delay =
                        policy::retry_after(&result).unwrap_or_else(|| policy::backoff(attempts, random_unit()));
                    Counters::add(&self.counters.events_retried, 1);
                    self.logger.log(Level::Info, || {
                        format!("downloaded sessions: sending failed; retry {attempts} in {} ms", delay.as_millis())
                    });
                    // Still busy: the same batch goes again when the timer fires.
                    self.scheduler
                        .arm(self.clock.now() + delay, crate::scheduler::Timer::Retry { session: CARRIER_KEY });
                    return;
                }
                _ => (None, outcome_text(&result)),
            },
        };
        let status = result.as_ref().map(|r| r.status).unwrap_or(0);
        let sessions = std::mem::take(&mut *self.downloads.batch.lock()).sessions;
        for (index, core) in sessions.iter().enumerate() {
            let refused = refused.as_ref().map_or(true, |r| r.contains(&index));
            self.settle_download(core, refused.then_some((status, reason.as_str())));
        }
        self.downloads.carrier.state.lock().busy = false;
        self.kick_downloads();
    }

    /// A downloaded session of an answered batch: accepted (`refusal` none) or refused.
    fn settle_download(&self, core: &Arc<SessionCore>, refusal: Option<(u16, &str)>) {
        let mut after = AfterUnlock::default();
        {
            let mut state = core.state.lock();
            state.in_flight = false;
            if state.backend != Backend::Downloaded {
                // Dropped while on the wire: already counted and reported.
                return;
            }
            let events = state.outbox.len();
            match refusal {
                None => {
                    while !state.outbox.is_empty() {
                        self.pop_head(&mut state, None, &mut after);
                    }
                    Counters::add(&self.counters.downloaded_sessions_sent, 1);
                    state.finished = true;
                    let message = format!("downloaded session sent ({events} events)");
                    after.events.push(self.session_event(core, &state, SessionEventKind::Ended, message));
                }
                Some((status, reason)) => {
                    let dropped = self.drop_queued(&mut state, DropReason::Rejected, &mut after);
                    state.backend = Backend::Failed(reason.to_string());
                    core.backend_changed.notify_all();
                    Counters::add(&self.counters.downloaded_sessions_refused, 1);
                    let message = format!("downloaded session refused: {reason}");
                    let mut event =
                        self.session_event(core, &state, SessionEventKind::Failed, message).with_count(dropped);
                    event.http_status = status;
                    after.events.push(event);
                }
            }
            after.forget_session = true;
            after.release_player = true;
            after.seal(core);
        }
        self.finish(core, after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_207_refuses_the_elements_it_names_or_all_of_them() {
        let named = br#"{"errors":[{"title":"Invalid","status":400,"report":{"eventIndex":1}},
            {"title":"Invalid","status":400,"report":{"eventIndex":3}}]}"#;
        let (indexes, reason) = refused_elements(named);
        assert_eq!(indexes, Some(HashSet::from([1, 3])));
        assert!(reason.starts_with("HTTP 207: Invalid"), "{reason}");
        assert_eq!(refused_elements(br#"{"errors":[{"title":"x"}]}"#).0, None);
        assert_eq!(refused_elements(b"not json").0, None);
    }
}
