//! The durable queue: every event a client accepts is appended to `storageDir/journal` before
//! the call that queued it returns, and marked done once it is delivered or given up. A process
//! that dies (killed, crashed, powered off) leaves the journal behind; the next client on the
//! directory reads it and sends what was left ([`replay`]).
//!
//! - **Order.** A session's records are appended under its lock, so the file has its events in
//!   queueing order.
//! - **What a crash loses.** An event is written (to the kernel) before the call returns: a
//!   killed process loses nothing. `fdatasync` runs every `native.journalSyncMs` (default 1 s)
//!   on the scheduler thread while there is something new, so a power cut loses at most the
//!   events accepted in that last interval; with 0, before the call returns.
//! - **Done marks** are buffered and written with the next record or at the next sync: a crash
//!   can lose the marks of the last moment, and those events are sent again with their own
//!   `_id` (the backend drops the duplicates).
//! - **Damage.** A torn or corrupted tail (every record is checksummed) is cut at the last good
//!   record when the journal is opened, and counted.
//! - **Size.** The journal is rewritten with only what is left (compaction) when it is opened,
//!   and at a sync once it has doubled since the last rewrite and passed 256 KiB, or passed
//!   half of `native.journalMaxBytes`, or an event found it full. An event that would take it
//!   past that bound is not written: it is still sent, from memory, and counted
//!   (`events_not_journaled`).
//! - **Failures** while running (a full disk, a vanished directory) turn the journal off for the
//!   rest of the client's life: events go on from memory, counted the same way, and the reason
//!   is logged once. At creation they are an error.

pub mod record;
pub mod replay;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};
use record::{Check, Record, HEADER};
pub use replay::{Pending, Replay, Unfinished};

/// The journal's file name in the storage directory.
pub const FILE: &str = "journal";
/// A journal smaller than this is not compacted while running.
const COMPACT_FROM: u64 = 256 << 10;

/// What became of an append.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Appended {
    /// The record is in the journal.
    pub written: bool,
    /// The journal has something to sync and no sync is planned: arm the sync timer.
    pub arm_sync: bool,
    /// This append turned the journal off; why (to log once).
    pub failure: Option<String>,
}

pub struct Journal {
    path: PathBuf,
    dir: PathBuf,
    max_bytes: u64,
    /// fdatasync on every append (`native.journalSyncMs` 0).
    sync_each: bool,
    next_jid: AtomicU64,
    inner: Mutex<Inner>,
}

struct Inner {
    /// `None` once the journal is off.
    file: Option<File>,
    len: u64,
    /// The length after the last compaction.
    compacted_len: u64,
    /// Done marks waiting to be written.
    marks: Vec<u8>,
    /// Written and not yet synced (or marks waiting).
    dirty: bool,
    /// A sync timer is armed.
    sync_armed: bool,
    /// Compaction is due at the next sync (an append found the journal full).
    compact_wanted: bool,
    scratch: Vec<u8>,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::InvalidConfig, format!("native.storageDir: cannot {what} {}: {e}", path.display()))
}

impl Journal {
    /// Opens the journal of `dir` (made empty if there is none), reads what it says is left, and
    /// rewrites it with only that. Returns the journal and what was left.
    pub fn open(dir: &Path, max_bytes: u64, sync_each: bool) -> Result<(Journal, Replay)> {
        let path = dir.join(FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_error("read the journal", &path, e)),
        };
        let replay = replay::replay(&bytes, Check::Checksums);
        let compacted = compacted(&replay.sessions, &bytes);
        write_new(dir, &path, &compacted).map_err(|e| io_error("write the journal", &path, e))?;
        let file = OpenOptions::new().append(true).open(&path).map_err(|e| io_error("open the journal", &path, e))?;
        let len = compacted.len() as u64;
        let journal = Journal {
            path,
            dir: dir.to_path_buf(),
            max_bytes,
            sync_each,
            next_jid: AtomicU64::new(replay.max_jid + 1),
            inner: Mutex::new(Inner {
                file: Some(file),
                len,
                compacted_len: len,
                marks: Vec::new(),
                dirty: false,
                sync_armed: false,
                compact_wanted: false,
                scratch: Vec::new(),
            }),
        };
        Ok((journal, replay))
    }

    /// A number for a new session, never used before in this journal.
    pub fn new_session(&self) -> u64 {
        self.next_jid.fetch_add(1, Ordering::Relaxed)
    }

    /// Appends `record` (and the done marks waiting) in one write.
    pub fn append(&self, record: &Record) -> Appended {
        let mut inner = self.inner.lock();
        let inner = &mut *inner;
        let mut appended = Appended::default();
        if inner.file.is_none() {
            return appended;
        }
        let mut bytes = std::mem::take(&mut inner.scratch);
        bytes.clear();
        bytes.extend_from_slice(&inner.marks);
        record.encode(&mut bytes);
        if inner.len + bytes.len() as u64 > self.max_bytes {
            // No room: the record stays out; the marks can wait for the sync, which compacts.
            inner.compact_wanted = true;
            appended.arm_sync = !std::mem::replace(&mut inner.sync_armed, true);
            inner.scratch = bytes;
            return appended;
        }
        let result: std::io::Result<()> = inner.file.as_mut().map_or(Ok(()), |file| {
            file.write_all(&bytes)?;
            if self.sync_each {
                file.sync_data()?;
            }
            Ok(())
        });
        match result {
            Ok(()) => {
                inner.len += bytes.len() as u64;
                inner.marks.clear();
                appended.written = true;
                inner.dirty |= !self.sync_each;
                if inner.dirty || inner.len > self.compact_at(inner.compacted_len) {
                    appended.arm_sync = !std::mem::replace(&mut inner.sync_armed, true);
                }
            }
            Err(e) => {
                appended.failure = Some(self.turn_off(inner, format!("cannot write {}: {e}", self.path.display())))
            }
        }
        inner.scratch = bytes;
        appended
    }

    /// Marks event `n` of session `jid` done; written with the next append or sync. True: arm
    /// the sync timer.
    pub fn done(&self, jid: u64, n: u32) -> bool {
        let mut inner = self.inner.lock();
        if inner.file.is_none() {
            return false;
        }
        Record::Done { jid, n }.encode(&mut inner.marks);
        inner.dirty = true;
        !std::mem::replace(&mut inner.sync_armed, true)
    }

    /// Writes the waiting marks, compacts if due and syncs. `Err`: the journal turned off, why.
    pub fn sync(&self) -> std::result::Result<(), String> {
        let mut inner = self.inner.lock();
        let inner = &mut *inner;
        inner.sync_armed = false;
        if inner.file.is_none() {
            return Ok(());
        }
        if !self.dir.is_dir() {
            let message = format!("the storage directory {} is gone", self.dir.display());
            return Err(self.turn_off(inner, message));
        }
        let result = self.sync_locked(inner);
        result.map_err(|e| self.turn_off(inner, format!("cannot write {}: {e}", self.path.display())))
    }

    fn sync_locked(&self, inner: &mut Inner) -> std::io::Result<()> {
        let Some(file) = inner.file.as_mut() else { return Ok(()) };
        if !inner.marks.is_empty() {
            file.write_all(&inner.marks)?;
            inner.len += inner.marks.len() as u64;
            inner.marks.clear();
        }
        if inner.compact_wanted || inner.len > self.compact_at(inner.compacted_len) {
            inner.compact_wanted = false;
            file.sync_data()?;
            // This client wrote the file and holds it locked: its checksums are checked at the
            // next start, not again here (the records are copied with them).
            let current = std::fs::read(&self.path)?;
            let bytes = compacted(&replay::replay(&current, Check::Trusted).sessions, &current);
            write_new(&self.dir, &self.path, &bytes)?;
            inner.file = Some(OpenOptions::new().append(true).open(&self.path)?);
            inner.len = bytes.len() as u64;
            inner.compacted_len = inner.len;
        } else if inner.dirty {
            file.sync_data()?;
        }
        inner.dirty = false;
        Ok(())
    }

    /// The length past which a sync compacts.
    fn compact_at(&self, compacted_len: u64) -> u64 {
        (2 * compacted_len).max(COMPACT_FROM).min(self.max_bytes / 2)
    }

    fn turn_off(&self, inner: &mut Inner, why: String) -> String {
        inner.file = None;
        inner.marks = Vec::new();
        format!("the journal is off for the rest of this client's life ({why}); events are kept in memory only")
    }

    /// Whether the journal is still written.
    #[cfg(test)]
    fn is_on(&self) -> bool {
        self.inner.lock().file.is_some()
    }

    /// The journal's length in bytes now.
    #[cfg(test)]
    fn bytes(&self) -> u64 {
        self.inner.lock().len
    }
}

/// A journal holding just `sessions`, read from `source`.
fn compacted(sessions: &[Unfinished], source: &[u8]) -> Vec<u8> {
    let mut bytes = HEADER.to_vec();
    for session in sessions {
        session.encode(&mut bytes, source);
    }
    bytes
}

/// Replaces the file at `path` with `bytes` so that a crash leaves either the old file or the
/// new one: a temporary file, synced, renamed over it, the directory synced.
fn write_new(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = dir.join(format!("{FILE}.new"));
    {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::record::EventRecord;
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mediaedge-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn event(jid: u64, n: u32, body: &[u8]) -> Record<'_> {
        Record::Event(EventRecord {
            jid,
            n,
            flags: 0,
            event_type: "media.play",
            playhead: Some(1),
            session_id_at: None,
            timestamp: (0, 0),
            body,
        })
    }

    #[test]
    fn what_was_appended_and_not_done_is_there_after_reopening_and_the_tail_is_cut() {
        let dir = dir("reopen");
        let (journal, replay) = Journal::open(&dir, 1 << 20, false).unwrap();
        assert!(replay.sessions.is_empty());
        let jid = journal.new_session();
        assert!(journal.append(&Record::Start { jid, mode: record::AUTOMATIC, start_xdm: None }).written);
        assert!(journal.append(&event(jid, 1, b"one")).written);
        assert!(journal.append(&event(jid, 2, b"two")).written);
        journal.done(jid, 1);
        journal.sync().unwrap();
        drop(journal);
        // A torn write at the end.
        let path = dir.join(FILE);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
        drop(file);

        let (journal, replay) = Journal::open(&dir, 1 << 20, false).unwrap();
        assert_eq!(replay.discarded, 6);
        assert_eq!(replay.sessions.len(), 1);
        assert_eq!(replay.sessions[0].events.iter().map(|e| e.body.as_slice()).collect::<Vec<_>>(), vec![b"two"]);
        // New sessions are numbered past the old ones; the rewritten file has no tail.
        assert!(journal.new_session() > jid);
        drop(journal);
        let (_, again) = Journal::open(&dir, 1 << 20, false).unwrap();
        assert_eq!((again.discarded, again.sessions.len()), (0, 1));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_full_journal_refuses_records_and_compacts_at_the_next_sync() {
        let dir = dir("full");
        let (journal, _) = Journal::open(&dir, 4096, false).unwrap();
        let jid = journal.new_session();
        journal.append(&Record::Start { jid, mode: record::MANUAL, start_xdm: None });
        let body = [b'x'; 500];
        let mut n = 0;
        while journal.append(&event(jid, n + 1, &body)).written {
            n += 1;
        }
        assert!(n >= 5, "{n} events fit");
        for i in 1..=n {
            journal.done(jid, i);
        }
        journal.sync().unwrap();
        assert!(journal.bytes() < 200, "compacted to {} bytes", journal.bytes());
        assert!(journal.append(&event(jid, n + 1, &body)).written);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_vanished_directory_turns_the_journal_off_once() {
        let dir = dir("vanish");
        let (journal, _) = Journal::open(&dir, 1 << 20, false).unwrap();
        assert!(journal.append(&Record::Closed { jid: 1 }).written);
        std::fs::remove_dir_all(&dir).unwrap();
        let why = journal.sync().unwrap_err();
        assert!(why.contains("is gone"), "{why}");
        assert!(!journal.is_on());
        assert_eq!(journal.append(&Record::Closed { jid: 1 }), Appended::default());
        assert_eq!(journal.sync(), Ok(()));
    }

    #[test]
    fn an_unreadable_journal_is_an_error_at_opening() {
        let dir = dir("unreadable");
        std::fs::create_dir_all(dir.join(FILE)).unwrap();
        let e = Journal::open(&dir, 1 << 20, false).err().expect("a directory is no journal");
        assert_eq!(e.kind, ErrorKind::InvalidConfig);
        assert!(e.message.starts_with("native.storageDir: cannot read the journal"), "{}", e.message);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
