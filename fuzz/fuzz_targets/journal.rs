//! The journal (`native.storageDir`): random bytes, and journals written from random records
//! then cut, bit-flipped, overwritten or extended. Reading never panics; every event it returns
//! is one that was written, byte for byte, in its session's order (damage never turns into a
//! changed event); an undamaged journal reads back exactly as a model of the records says; a
//! compacted journal reads back the same; and opening one from a file cuts the damage and
//! leaves a journal that reads back the same again.
#![no_main]

use std::collections::{HashMap, HashSet};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mediaedge::journal::record::{Check, EventRecord, Record, ENDS_SESSION, HEADER};
use mediaedge::journal::replay::{replay, Pending, Unfinished};
use mediaedge::journal::Journal;

#[derive(Debug, Arbitrary)]
enum Op {
    Start {
        mode: u8,
        start: Option<String>,
    },
    Id {
        session: u8,
        id: String,
    },
    Event {
        session: u8,
        ends: bool,
        kind: u8,
        playhead: Option<i64>,
        at: Option<u16>,
        stamp: (u16, u16),
        body: Vec<u8>,
    },
    Done {
        session: u8,
        back: u8,
    },
    Closed {
        session: u8,
    },
}

#[derive(Debug, Arbitrary)]
enum Damage {
    Truncate(u16),
    Flip { at: u16, bit: u8 },
    Overwrite { at: u16, bytes: Vec<u8> },
    Append(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    raw: Vec<u8>,
    ops: Vec<Op>,
    damage: Vec<Damage>,
    through_file: bool,
}

const KINDS: [&str; 4] = ["media.play", "media.ping", "media.sessionEnd", "media.chapterStart"];

/// What the records say, kept the simple way.
#[derive(Default)]
struct Model {
    started: Vec<(u64, u8, Option<String>)>,
    ids: HashMap<u64, String>,
    events: HashMap<u64, Vec<Pending>>,
    all: HashMap<(u64, u32), Pending>,
    order: HashMap<u64, Vec<u32>>,
    ended: HashSet<u64>,
    closed: HashSet<u64>,
    next_n: HashMap<u64, u32>,
}

fn check_written(model: &Model, sessions: &[Unfinished]) {
    for s in sessions {
        let order = model.order.get(&s.jid).map(Vec::as_slice).unwrap_or_default();
        let mut last = None;
        for e in &s.events {
            let written = model.all.get(&(s.jid, e.n)).expect("an event that was written");
            assert_eq!(written, e, "an event changed on its way through the journal");
            let at = order.iter().position(|n| *n == e.n).unwrap();
            assert!(last.map_or(true, |l| l < at), "events out of order");
            last = Some(at);
        }
    }
}

fuzz_target!(|input: Input| {
    // Anything at all: no panic, and nothing trusted without a header and checksums.
    let _ = replay(&input.raw, Check::Checksums);
    let _ = replay(&input.raw, Check::Trusted);

    let mut model = Model::default();
    let mut bytes = HEADER.to_vec();
    let mut next_jid = 1u64;
    for op in &input.ops {
        let jid_of = |session: u8| model.started.get(session as usize % model.started.len().max(1)).map(|s| s.0);
        match op {
            Op::Start { mode, start } => {
                let jid = next_jid;
                next_jid += 1;
                Record::Start { jid, mode: *mode % 3, start_xdm: start.as_deref() }.encode(&mut bytes);
                model.started.push((jid, *mode % 3, start.clone()));
                model.next_n.insert(jid, 1);
            }
            Op::Id { session, id } => {
                let Some(jid) = jid_of(*session) else { continue };
                Record::SessionId { jid, id }.encode(&mut bytes);
                model.ids.insert(jid, id.clone());
            }
            Op::Event { session, ends, kind, playhead, at, stamp, body } => {
                let Some(jid) = jid_of(*session) else { continue };
                let n = model.next_n[&jid];
                model.next_n.insert(jid, n + 1);
                let event = Pending {
                    n,
                    flags: if *ends { ENDS_SESSION } else { 0 },
                    event_type: KINDS[*kind as usize % KINDS.len()].to_string(),
                    playhead: *playhead,
                    session_id_at: at.map(u32::from),
                    timestamp: (u32::from(stamp.0), u32::from(stamp.1)),
                    body: body.clone(),
                    frame: None,
                };
                event.record(jid).encode(&mut bytes);
                if *ends {
                    model.ended.insert(jid);
                }
                model.all.insert((jid, n), event.clone());
                model.order.entry(jid).or_default().push(n);
                model.events.entry(jid).or_default().push(event);
            }
            Op::Done { session, back } => {
                let Some(jid) = jid_of(*session) else { continue };
                let events = model.events.entry(jid).or_default();
                if events.is_empty() {
                    continue;
                }
                let at = *back as usize % events.len();
                let n = events.remove(at).n;
                Record::Done { jid, n }.encode(&mut bytes);
            }
            Op::Closed { session } => {
                let Some(jid) = jid_of(*session) else { continue };
                Record::Closed { jid }.encode(&mut bytes);
                model.closed.insert(jid);
            }
        }
    }

    // Undamaged: exactly what the model says is left.
    let read = replay(&bytes, Check::Checksums);
    assert_eq!((read.good_len, read.discarded), (bytes.len(), 0));
    let expected: Vec<u64> = model
        .started
        .iter()
        .map(|s| s.0)
        .filter(|jid| !model.closed.contains(jid))
        .filter(|jid| !(model.ended.contains(jid) && model.events.get(jid).map_or(true, Vec::is_empty)))
        .collect();
    assert_eq!(read.sessions.iter().map(|s| s.jid).collect::<Vec<_>>(), expected);
    for s in &read.sessions {
        assert_eq!(s.events, model.events.get(&s.jid).cloned().unwrap_or_default());
        assert_eq!(s.session_id.as_ref(), model.ids.get(&s.jid));
        assert_eq!(s.next_n, model.next_n[&s.jid]);
    }

    // Compacted: the same again.
    // Compacted (event records copied, the rest encoded again), and as a running client reads
    // its own journal to compact it: the same again.
    let mut compacted = HEADER.to_vec();
    for s in &read.sessions {
        s.encode(&mut compacted, &bytes);
    }
    assert_eq!(replay(&compacted, Check::Checksums).sessions, read.sessions);
    assert_eq!(replay(&bytes, Check::Trusted).sessions, read.sessions);

    // Damaged: never a changed event, never out of order; what is cut is counted.
    let mut damaged = bytes.clone();
    for d in &input.damage {
        match d {
            Damage::Truncate(len) => damaged.truncate(*len as usize),
            Damage::Flip { at, bit } => {
                if let Some(b) = damaged.get_mut(*at as usize) {
                    *b ^= 1 << (bit % 8);
                }
            }
            Damage::Overwrite { at, bytes } => {
                for (i, b) in bytes.iter().enumerate() {
                    if let Some(slot) = damaged.get_mut(*at as usize + i) {
                        *slot = *b;
                    }
                }
            }
            Damage::Append(more) => damaged.extend_from_slice(more),
        }
    }
    let read = replay(&damaged, Check::Checksums);
    assert_eq!(read.good_len + read.discarded, damaged.len());
    check_written(&model, &read.sessions);

    if input.through_file {
        let dir = std::env::temp_dir().join(format!("mediaedge-fuzz-journal-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        std::fs::write(dir.join("journal"), &damaged).unwrap();
        let (journal, opened) = Journal::open(&dir, 1 << 30, false).expect("a writable directory");
        assert_eq!(opened.sessions, read.sessions);
        assert_eq!(opened.discarded, read.discarded);
        let n = journal.new_session();
        assert!(n > opened.max_jid);
        journal
            .append(&Record::Event(EventRecord {
                jid: n,
                n: 1,
                flags: 0,
                event_type: "media.play",
                playhead: None,
                session_id_at: None,
                timestamp: (0, 0),
                body: b"orphan",
            }))
            .written
            .then_some(())
            .expect("written");
        drop(journal);
        let (_, again) = Journal::open(&dir, 1 << 30, false).unwrap();
        assert_eq!((again.sessions, again.discarded), (read.sessions, 0));
    }
});
