//! What a journal file says is still to do: the sessions not closed, each with the events not
//! yet delivered, in the order they were queued. Both a restart and compaction read a journal
//! this way.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::record::{records, Check, EventRecord, Record, ENDS_SESSION, HEADER};

/// An event still to deliver, owned.
#[derive(Debug, Clone, Eq)]
pub struct Pending {
    pub n: u32,
    pub flags: u8,
    pub event_type: String,
    pub playhead: Option<i64>,
    pub session_id_at: Option<u32>,
    pub timestamp: (u32, u32),
    pub body: Vec<u8>,
    /// Where its record is in the file it was read from (none for one made otherwise): a
    /// compaction copies those bytes, checksum and all, rather than encode and hash it again.
    pub frame: Option<Range<usize>>,
}

/// Where an event was read from is not part of what it is.
impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.n, self.flags, &self.event_type, self.playhead, self.session_id_at, self.timestamp, &self.body)
            == (
                other.n,
                other.flags,
                &other.event_type,
                other.playhead,
                other.session_id_at,
                other.timestamp,
                &other.body,
            )
    }
}

impl Pending {
    fn from_record(e: &EventRecord, frame: Range<usize>) -> Pending {
        Pending {
            n: e.n,
            flags: e.flags,
            event_type: e.event_type.to_string(),
            playhead: e.playhead,
            session_id_at: e.session_id_at,
            timestamp: e.timestamp,
            body: e.body.to_vec(),
            frame: Some(frame),
        }
    }

    pub fn record(&self, jid: u64) -> Record<'_> {
        Record::Event(EventRecord {
            jid,
            n: self.n,
            flags: self.flags,
            event_type: &self.event_type,
            playhead: self.playhead,
            session_id_at: self.session_id_at,
            timestamp: self.timestamp,
            body: &self.body,
        })
    }

    /// The timestamp's JSON value, if its place is within the body.
    pub fn timestamp_json(&self) -> Option<&[u8]> {
        self.body.get(self.timestamp.0 as usize..self.timestamp.1 as usize).filter(|t| t.len() >= 2)
    }
}

/// A session the journal has not seen closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub jid: u64,
    /// `record::MANUAL`, `AUTOMATIC` or `DOWNLOADED`.
    pub mode: u8,
    pub start_xdm: Option<String>,
    /// The last session ID the backend issued, if it was recorded.
    pub session_id: Option<String>,
    /// Undelivered, in queueing order.
    pub events: Vec<Pending>,
    /// The number the session's next event takes.
    pub next_n: u32,
    /// From the last event queued, delivered or not.
    pub last_playhead: Option<i64>,
    pub last_timestamp: Option<Vec<u8>>,
    /// An event that ends the session was queued.
    pub ended: bool,
}

impl Unfinished {
    /// Nothing is left to do: its end was queued and everything is delivered (a session whose
    /// `Closed` record was lost to a crash).
    pub fn is_over(&self) -> bool {
        self.ended && self.events.is_empty()
    }

    /// The records that say all of this again, for a compacted journal; `source` is the file
    /// the events were read from, whose records of them are copied as they are.
    pub fn encode(&self, out: &mut Vec<u8>, source: &[u8]) {
        Record::Start { jid: self.jid, mode: self.mode, start_xdm: self.start_xdm.as_deref() }.encode(out);
        if let Some(id) = &self.session_id {
            Record::SessionId { jid: self.jid, id }.encode(out);
        }
        for event in &self.events {
            match event.frame.clone().and_then(|frame| source.get(frame)) {
                Some(frame) => out.extend_from_slice(frame),
                None => event.record(self.jid).encode(out),
            }
        }
        // After the events, which told older playheads and timestamps.
        Record::Progress {
            jid: self.jid,
            next_n: self.next_n,
            ended: self.ended,
            playhead: self.last_playhead,
            timestamp: self.last_timestamp.as_deref(),
        }
        .encode(out);
    }
}

/// A journal file as read.
#[derive(Debug, Default)]
pub struct Replay {
    /// Unfinished sessions, in the order they started.
    pub sessions: Vec<Unfinished>,
    /// The bytes up to the end of the last good record (0 without a valid header).
    pub good_len: usize,
    /// Bytes after that: a torn or damaged tail.
    pub discarded: usize,
    /// The largest session number seen: new sessions are numbered after it.
    pub max_jid: u64,
}

/// Reads a journal file's bytes (its records' checksums checked, or trusted).
pub fn replay(file: &[u8], check: Check) -> Replay {
    let mut replay = Replay::default();
    let Some(body) = file.strip_prefix(HEADER) else {
        replay.discarded = file.len();
        return replay;
    };
    replay.good_len = HEADER.len();
    let mut sessions: Vec<Option<Unfinished>> = Vec::new();
    let mut index: HashMap<u64, usize> = HashMap::new();
    // Done marks, applied at the end: removing each from its session's list as it comes would
    // cost a backlog's length per mark.
    let mut done: HashSet<(u64, u32)> = HashSet::new();
    for (record, frame) in records(body, check) {
        replay.good_len = HEADER.len() + frame.end;
        let frame = HEADER.len() + frame.start..HEADER.len() + frame.end;
        let jid = match &record {
            Record::Start { jid, .. }
            | Record::SessionId { jid, .. }
            | Record::Done { jid, .. }
            | Record::Closed { jid }
            | Record::Progress { jid, .. } => *jid,
            Record::Event(e) => e.jid,
        };
        replay.max_jid = replay.max_jid.max(jid);
        if let Record::Start { mode, start_xdm, .. } = record {
            // A number is never started twice; if it were, the first stays.
            index.entry(jid).or_insert_with(|| {
                sessions.push(Some(Unfinished {
                    jid,
                    mode,
                    start_xdm: start_xdm.map(str::to_string),
                    session_id: None,
                    events: Vec::new(),
                    next_n: 1,
                    last_playhead: None,
                    last_timestamp: None,
                    ended: false,
                }));
                sessions.len() - 1
            });
            continue;
        }
        // Records of a session not started (or closed) here are about nothing left to do.
        let Some(session) = index.get(&jid).and_then(|&i| sessions[i].as_mut()) else { continue };
        match record {
            Record::Start { .. } => {}
            Record::SessionId { id, .. } => session.session_id = Some(id.to_string()),
            Record::Event(e) => {
                session.next_n = session.next_n.max(e.n.saturating_add(1));
                session.ended |= e.flags & ENDS_SESSION != 0;
                session.last_playhead = e.playhead.or(session.last_playhead);
                let event = Pending::from_record(&e, frame);
                if let Some(t) = event.timestamp_json() {
                    session.last_timestamp = Some(t.to_vec());
                }
                session.events.push(event);
            }
            Record::Done { n, .. } => {
                done.insert((jid, n));
            }
            Record::Closed { .. } => {
                if let Some(i) = index.remove(&jid) {
                    sessions[i] = None;
                }
            }
            Record::Progress { next_n, ended, playhead, timestamp, .. } => {
                session.next_n = session.next_n.max(next_n);
                session.ended |= ended;
                session.last_playhead = playhead.or(session.last_playhead);
                if let Some(t) = timestamp {
                    session.last_timestamp = Some(t.to_vec());
                }
            }
        }
    }
    replay.discarded = file.len() - replay.good_len;
    let mut sessions: Vec<Unfinished> = sessions.into_iter().flatten().collect();
    for session in &mut sessions {
        let jid = session.jid;
        session.events.retain(|e| !done.contains(&(jid, e.n)));
    }
    replay.sessions = sessions.into_iter().filter(|s| !s.is_over()).collect();
    replay
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(jid: u64, n: u32, flags: u8, body: &'static [u8]) -> Record<'static> {
        Record::Event(EventRecord {
            jid,
            n,
            flags,
            event_type: "media.play",
            playhead: Some(n as i64),
            session_id_at: None,
            timestamp: (0, 3),
            body,
        })
    }

    fn file(records: &[Record]) -> Vec<u8> {
        let mut bytes = HEADER.to_vec();
        for r in records {
            r.encode(&mut bytes);
        }
        bytes
    }

    #[test]
    fn what_is_left_is_the_undelivered_events_of_unclosed_sessions_in_order() {
        let bytes = file(&[
            Record::Start { jid: 1, mode: 1, start_xdm: Some("{}") },
            Record::Start { jid: 2, mode: 0, start_xdm: None },
            Record::SessionId { jid: 1, id: "s1" },
            event(1, 1, 0, b"\"a\" one"),
            event(2, 1, 0, b"\"b\" one"),
            event(1, 2, 0, b"\"c\" two"),
            Record::Done { jid: 1, n: 1 },
            event(1, 3, 0, b"\"d\" three"),
            Record::Done { jid: 1, n: 3 },
            event(2, 2, ENDS_SESSION, b"\"e\" end"),
            Record::Done { jid: 2, n: 1 },
            Record::Done { jid: 2, n: 2 },
            Record::Done { jid: 9, n: 2 },
        ]);
        let replay = replay(&bytes, Check::Checksums);
        assert_eq!((replay.good_len, replay.discarded, replay.max_jid), (bytes.len(), 0, 9));
        // Session 2 ended and everything went: over. Session 1 keeps event 2.
        assert_eq!(replay.sessions.len(), 1);
        let s = &replay.sessions[0];
        assert_eq!((s.jid, s.session_id.as_deref(), s.next_n, s.ended), (1, Some("s1"), 4, false));
        assert_eq!(s.events.iter().map(|e| e.n).collect::<Vec<_>>(), vec![2]);
        assert_eq!((s.last_playhead, s.last_timestamp.as_deref()), (Some(3), Some(&b"\"d\""[..])));
    }

    #[test]
    fn a_damaged_tail_is_cut_at_the_last_good_record_and_a_closed_session_is_gone() {
        let mut bytes = file(&[
            Record::Start { jid: 1, mode: 1, start_xdm: None },
            Record::Start { jid: 2, mode: 1, start_xdm: None },
            Record::Closed { jid: 2 },
            event(1, 1, 0, b"\"a\" one"),
        ]);
        let good = bytes.len();
        event(1, 2, 0, b"\"b\" two").encode(&mut bytes);
        bytes.truncate(bytes.len() - 1);
        let replay = replay(&bytes, Check::Checksums);
        assert_eq!((replay.good_len, replay.discarded), (good, bytes.len() - good));
        assert_eq!(replay.sessions.len(), 1);
        assert_eq!(replay.sessions[0].events.len(), 1);
        // No header: nothing is trusted.
        let r = super::replay(b"not a journal", Check::Checksums);
        assert_eq!((r.good_len, r.discarded, r.sessions.len()), (0, 13, 0));
    }

    #[test]
    fn compaction_keeps_exactly_what_is_left() {
        let bytes = file(&[
            Record::Start { jid: 4, mode: 1, start_xdm: Some("{\"x\":1}") },
            Record::SessionId { jid: 4, id: "s" },
            event(4, 1, 0, b"\"a\" one"),
            event(4, 2, ENDS_SESSION, b"\"b\" end"),
            event(4, 3, 0, b"\"c\" late"),
            Record::Done { jid: 4, n: 2 },
            Record::Done { jid: 4, n: 3 },
        ]);
        let before = replay(&bytes, Check::Checksums);
        let mut compacted = HEADER.to_vec();
        for s in &before.sessions {
            s.encode(&mut compacted, &bytes);
        }
        let after = replay(&compacted, Check::Checksums);
        assert_eq!(after.sessions, before.sessions);
        // The event's record is copied as it was, not encoded (and hashed) again.
        let frame = before.sessions[0].events[0].frame.clone().unwrap();
        assert!(compacted.windows(frame.len()).any(|w| w == &bytes[frame.clone()]));
        assert!(after.sessions[0].ended);
        assert!(compacted.len() < bytes.len());
    }
}
