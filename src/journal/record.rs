//! The journal's records and their framing on disk.
//!
//! A journal file is a header line, then records, each framed as
//! `payload length (u32 LE) · checksum (8 bytes) · payload`. The checksum is the first 8 bytes of
//! the payload's SHA-256 (ring, already in the library for TLS): a torn write, a bit flip or a
//! stray write anywhere in a record fails it, and no arrangement of a few changed bytes passes
//! it, as one does with a simple sum. The payload is a kind byte and the record's fields, numbers
//! little-endian, strings and bytes with a u32 length.

use std::ops::Range;

/// The file's first bytes; another header means another format (or no journal at all).
pub const HEADER: &[u8] = b"mediaedge journal 1\n";
/// Length and checksum.
pub(crate) const FRAME_BYTES: usize = 4 + 8;
/// No record is larger: an event's document is limited far below this (limits.rs). A length
/// above it is damage.
pub(crate) const MAX_PAYLOAD: usize = 4 << 20;

const START: u8 = 1;
const SESSION_ID: u8 = 2;
const EVENT: u8 = 3;
const DONE: u8 = 4;
const CLOSED: u8 = 5;
const PROGRESS: u8 = 6;

/// A session's mode in its `Start` record.
pub(crate) const MANUAL: u8 = 0;
pub(crate) const AUTOMATIC: u8 = 1;
pub(crate) const DOWNLOADED: u8 = 2;

/// An event's flag: it ends its session (sessionEnd, sessionComplete).
pub const ENDS_SESSION: u8 = 1;

/// One event as queued: its request body as written and stamped, and where its session ID and
/// timestamp are in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord<'a> {
    /// The session, by its journal number.
    pub jid: u64,
    /// The event's number in its session, from 1, in queueing order.
    pub n: u32,
    pub flags: u8,
    /// `media.play`, …: the XDM name, so the record does not depend on the library's enum.
    pub event_type: &'a str,
    pub playhead: Option<i64>,
    /// Where `"sessionID":…` goes in `body`, if anywhere.
    pub session_id_at: Option<u32>,
    /// The timestamp's JSON value in `body`, quotes included.
    pub timestamp: (u32, u32),
    pub body: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record<'a> {
    /// A session begins, in `mode` (`MANUAL`, `AUTOMATIC`, `DOWNLOADED`). An automatic one may
    /// be resumed with `start_xdm` (its sessionStart document, as JSON) if the backend loses it.
    Start {
        jid: u64,
        mode: u8,
        start_xdm: Option<&'a str>,
    },
    /// The backend issued (or, after a resume, re-issued) the session's ID.
    SessionId {
        jid: u64,
        id: &'a str,
    },
    Event(EventRecord<'a>),
    /// Event `n` of session `jid` is delivered or given up for good.
    Done {
        jid: u64,
        n: u32,
    },
    /// The session is over: everything delivered or given up, or the backend refused it.
    Closed {
        jid: u64,
    },
    /// What the session's delivered events told: written by compaction, where those events are
    /// gone. The number its next event takes, whether its end was queued, the last playhead and
    /// timestamp it sent.
    Progress {
        jid: u64,
        next_n: u32,
        ended: bool,
        playhead: Option<i64>,
        timestamp: Option<&'a [u8]>,
    },
}

/// The first 8 bytes of SHA-256.
pub fn checksum(payload: &[u8]) -> [u8; 8] {
    let digest = ring::digest::digest(&ring::digest::SHA256, payload);
    let mut sum = [0; 8];
    sum.copy_from_slice(&digest.as_ref()[..8]);
    sum
}

impl Record<'_> {
    /// Appends the framed record to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let frame = out.len();
        out.extend_from_slice(&[0; FRAME_BYTES]);
        let payload = out.len();
        match self {
            Record::Start { jid, mode, start_xdm } => {
                out.push(START);
                put_u64(out, *jid);
                out.push(*mode);
                put_opt_bytes(out, start_xdm.map(str::as_bytes));
            }
            Record::SessionId { jid, id } => {
                out.push(SESSION_ID);
                put_u64(out, *jid);
                put_bytes(out, id.as_bytes());
            }
            Record::Event(e) => {
                out.push(EVENT);
                put_u64(out, e.jid);
                put_u32(out, e.n);
                out.push(e.flags);
                put_bytes(out, e.event_type.as_bytes());
                put_opt_i64(out, e.playhead);
                put_u32(out, e.session_id_at.map_or(u32::MAX, |at| at));
                put_u32(out, e.timestamp.0);
                put_u32(out, e.timestamp.1);
                put_bytes(out, e.body);
            }
            Record::Done { jid, n } => {
                out.push(DONE);
                put_u64(out, *jid);
                put_u32(out, *n);
            }
            Record::Closed { jid } => {
                out.push(CLOSED);
                put_u64(out, *jid);
            }
            Record::Progress { jid, next_n, ended, playhead, timestamp } => {
                out.push(PROGRESS);
                put_u64(out, *jid);
                put_u32(out, *next_n);
                out.push(u8::from(*ended));
                put_opt_i64(out, *playhead);
                put_opt_bytes(out, *timestamp);
            }
        }
        let len = (out.len() - payload) as u32;
        let sum = checksum(&out[payload..]);
        out[frame..frame + 4].copy_from_slice(&len.to_le_bytes());
        out[frame + 4..payload].copy_from_slice(&sum);
    }

    /// One record's payload (checksum already verified), or `None` if it does not decode.
    fn decode(payload: &[u8]) -> Option<Record<'_>> {
        let mut r = Reader(payload);
        let record = match r.u8()? {
            START => {
                let jid = r.u64()?;
                let mode = Some(r.u8()?).filter(|m| *m <= DOWNLOADED)?;
                let start_xdm = match r.opt_bytes()? {
                    Some(bytes) => Some(std::str::from_utf8(bytes).ok()?),
                    None => None,
                };
                Record::Start { jid, mode, start_xdm }
            }
            SESSION_ID => Record::SessionId { jid: r.u64()?, id: std::str::from_utf8(r.bytes()?).ok()? },
            EVENT => {
                let jid = r.u64()?;
                let n = r.u32()?;
                let flags = r.u8()?;
                let event_type = std::str::from_utf8(r.bytes()?).ok()?;
                let playhead = r.opt_i64()?;
                let session_id_at = Some(r.u32()?).filter(|at| *at != u32::MAX);
                let timestamp = (r.u32()?, r.u32()?);
                let body = r.bytes()?;
                Record::Event(EventRecord { jid, n, flags, event_type, playhead, session_id_at, timestamp, body })
            }
            DONE => Record::Done { jid: r.u64()?, n: r.u32()? },
            CLOSED => Record::Closed { jid: r.u64()? },
            PROGRESS => Record::Progress {
                jid: r.u64()?,
                next_n: r.u32()?,
                ended: r.bool()?,
                playhead: r.opt_i64()?,
                timestamp: r.opt_bytes()?,
            },
            _ => return None,
        };
        // Bytes left over: not a record this writer made.
        r.0.is_empty().then_some(record)
    }
}

/// Whether reading checks each record's checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// A journal from disk, as a restart reads it.
    Checksums,
    /// A journal this client wrote and holds locked, as its compaction reads it: records are
    /// copied with their checksums, so damage is still found at the next start.
    Trusted,
}

/// Reads the records framed in `bytes` (after the header), in order, up to the first one that is
/// cut short, fails its checksum (unless trusted) or does not decode. Each comes with its
/// frame's place in `bytes`.
pub fn records(bytes: &[u8], check: Check) -> impl Iterator<Item = (Record<'_>, Range<usize>)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = &bytes[at..];
        let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        if len > MAX_PAYLOAD {
            return None;
        }
        let payload = rest.get(FRAME_BYTES..FRAME_BYTES + len)?;
        if check == Check::Checksums && checksum(payload)[..] != rest[4..FRAME_BYTES] {
            return None;
        }
        let record = Record::decode(payload)?;
        let frame = at..at + FRAME_BYTES + len;
        at = frame.end;
        Some((record, frame))
    })
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len() as u32);
    out.extend_from_slice(bytes);
}

fn put_opt_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => {
            out.push(1);
            put_bytes(out, bytes);
        }
        None => out.push(0),
    }
}

fn put_opt_i64(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&v.to_le_bytes());
        }
        None => out.push(0),
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    /// `Some(None)` for an absent value, `None` for damage.
    fn opt_bytes(&mut self) -> Option<Option<&'a [u8]>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.bytes()?)),
            _ => None,
        }
    }

    fn opt_i64(&mut self) -> Option<Option<i64>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Record<'static>> {
        vec![
            Record::Start { jid: 7, mode: AUTOMATIC, start_xdm: Some("{\"eventType\":\"media.sessionStart\"}") },
            Record::Start { jid: 8, mode: DOWNLOADED, start_xdm: None },
            Record::SessionId { jid: 7, id: "abc" },
            Record::Event(EventRecord {
                jid: 7,
                n: 1,
                flags: ENDS_SESSION,
                event_type: "media.sessionEnd",
                playhead: Some(-3),
                session_id_at: Some(40),
                timestamp: (10, 36),
                body: b"{\"events\":[]}",
            }),
            Record::Event(EventRecord {
                jid: 8,
                n: 2,
                flags: 0,
                event_type: "media.play",
                playhead: None,
                session_id_at: None,
                timestamp: (0, 0),
                body: b"",
            }),
            Record::Done { jid: 7, n: 1 },
            Record::Closed { jid: 8 },
            Record::Progress {
                jid: 7,
                next_n: 3,
                ended: true,
                playhead: Some(5),
                timestamp: Some(b"\"2026-12-03T00:00:00.000Z\""),
            },
            Record::Progress { jid: 8, next_n: 1, ended: false, playhead: None, timestamp: None },
        ]
    }

    #[test]
    fn every_record_reads_back_as_written() {
        let mut bytes = Vec::new();
        for record in samples() {
            record.encode(&mut bytes);
        }
        let read: Vec<Record> = records(&bytes, Check::Checksums).map(|(r, _)| r).collect();
        assert_eq!(read, samples());
        assert_eq!(records(&bytes, Check::Checksums).last().map(|(_, frame)| frame.end), Some(bytes.len()));
    }

    #[test]
    fn reading_stops_at_a_cut_or_changed_record() {
        let mut bytes = Vec::new();
        for record in samples() {
            record.encode(&mut bytes);
        }
        let ends: Vec<usize> = records(&bytes, Check::Checksums).map(|(_, frame)| frame.end).collect();
        // Cut anywhere inside the fourth record: three records remain.
        for cut in ends[2] + 1..ends[3] {
            assert_eq!(records(&bytes[..cut], Check::Checksums).count(), 3, "cut at {cut}");
        }
        // One flipped bit anywhere in the fourth record: the three before it remain.
        for at in ends[2]..ends[3] {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[at] ^= 1 << bit;
                assert_eq!(records(&damaged, Check::Checksums).count(), 3, "bit {bit} of byte {at}");
            }
        }
        // The sum-preserving change that fools Adler-32 (+1, -2, +1 on three bytes in a row).
        let mut damaged = bytes.clone();
        let at = ends[2] + FRAME_BYTES + 20;
        damaged[at] = damaged[at].wrapping_add(1);
        damaged[at + 1] = damaged[at + 1].wrapping_sub(2);
        damaged[at + 2] = damaged[at + 2].wrapping_add(1);
        assert_eq!(records(&damaged, Check::Checksums).count(), 3);
    }

    #[test]
    fn a_trusted_reading_skips_the_checksums_and_nothing_else() {
        let mut bytes = Vec::new();
        for record in samples() {
            record.encode(&mut bytes);
        }
        bytes[5] ^= 1; // the first record's checksum
        assert_eq!(records(&bytes, Check::Checksums).count(), 0);
        assert_eq!(records(&bytes, Check::Trusted).map(|(r, _)| r).collect::<Vec<_>>(), samples());
        bytes.truncate(bytes.len() - 1);
        assert_eq!(records(&bytes, Check::Trusted).count(), samples().len() - 1);
    }

    #[test]
    fn a_record_with_a_valid_checksum_but_bad_contents_ends_the_reading() {
        let mut bytes = Vec::new();
        Record::Closed { jid: 1 }.encode(&mut bytes);
        // A well-framed payload of an unknown kind, and one with bytes left over.
        for payload in [&[9u8, 0, 0][..], &[CLOSED, 1, 0, 0, 0, 0, 0, 0, 0, 0xff][..]] {
            let mut more = bytes.clone();
            more.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            more.extend_from_slice(&checksum(payload));
            more.extend_from_slice(payload);
            assert_eq!(records(&more, Check::Checksums).count(), 1);
        }
    }
}
