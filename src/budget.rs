//! The client-wide limits on queued events: how many and how many bytes may wait, which events
//! may use the reserve above the limits, and which pings go first when room is needed.

use std::collections::BTreeMap;

/// How an event is treated when the queues are full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Library-made heartbeats: the oldest are dropped first to make room; a new one is dropped
    /// (counted) when no room can be made.
    Ping,
    /// Refused with QUEUE_FULL when no room can be made.
    Ordinary,
    /// Session start/end/complete, ad break, ad and chapter starts and completes: may use a
    /// reserve of an eighth above the limits before they too are refused.
    Lifecycle,
}

/// What a reservation found.
#[derive(Debug, PartialEq, Eq)]
pub enum Reservation {
    Granted,
    /// No room: evict this queued ping and try again.
    Evict {
        session: u64,
        seq: u64,
    },
    /// No room and no ping left to evict.
    Full,
}

/// A ping in the queue: its session's key and its sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedPing {
    pub session: u64,
    pub seq: u64,
}

pub struct Budget {
    max_events: usize,
    max_bytes: usize,
    events: usize,
    bytes: usize,
    peak_events: usize,
    peak_bytes: usize,
    /// Queued pings: sequence number (oldest first) to their session's key.
    pings: BTreeMap<u64, u64>,
}

impl Budget {
    pub fn new(max_events: usize, max_bytes: usize) -> Budget {
        Budget { max_events, max_bytes, events: 0, bytes: 0, peak_events: 0, peak_bytes: 0, pings: BTreeMap::new() }
    }

    fn limits(&self, class: Class) -> (usize, usize) {
        match class {
            Class::Lifecycle => (self.max_events + self.max_events / 8, self.max_bytes + self.max_bytes / 8),
            _ => (self.max_events, self.max_bytes),
        }
    }

    /// Takes room for one event of `size` bytes, or says which ping to evict first. A granted
    /// ping (`ping: Some(QueuedPing { .. })`) becomes evictable itself.
    pub fn reserve(&mut self, size: usize, class: Class, ping: Option<QueuedPing>) -> Reservation {
        let (max_events, max_bytes) = self.limits(class);
        if self.events < max_events && self.bytes + size <= max_bytes {
            self.force(size, ping);
            return Reservation::Granted;
        }
        match self.pings.pop_first() {
            Some((seq, session)) => Reservation::Evict { session, seq },
            None => Reservation::Full,
        }
    }

    /// Takes room regardless of the limits (the few events a resume re-sends).
    pub fn force(&mut self, size: usize, ping: Option<QueuedPing>) {
        self.events += 1;
        self.bytes += size;
        self.peak_events = self.peak_events.max(self.events);
        self.peak_bytes = self.peak_bytes.max(self.bytes);
        if let Some(QueuedPing { session, seq }) = ping {
            self.pings.insert(seq, session);
        }
    }

    /// Gives back the room of an event that left the queue.
    pub fn release(&mut self, size: usize, seq: u64) {
        self.events = self.events.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(size);
        self.pings.remove(&seq);
    }

    /// (events, bytes, peak events, peak bytes)
    pub fn usage(&self) -> (usize, usize, usize, usize) {
        (self.events, self.bytes, self.peak_events, self.peak_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_ping_is_offered_for_eviction_when_full() {
        let mut budget = Budget::new(2, 1000);
        assert_eq!(budget.reserve(10, Class::Ping, Some(QueuedPing { session: 7, seq: 1 })), Reservation::Granted);
        assert_eq!(budget.reserve(10, Class::Ping, Some(QueuedPing { session: 8, seq: 2 })), Reservation::Granted);
        assert_eq!(budget.reserve(10, Class::Ordinary, None), Reservation::Evict { session: 7, seq: 1 });
        budget.release(10, 1);
        assert_eq!(budget.reserve(10, Class::Ordinary, None), Reservation::Granted);
        // Seq 2 is the only ping left; once it is gone nothing can be evicted.
        assert_eq!(budget.reserve(10, Class::Ordinary, None), Reservation::Evict { session: 8, seq: 2 });
        budget.release(10, 2);
        assert_eq!(budget.reserve(10, Class::Ordinary, None), Reservation::Granted);
        assert_eq!(budget.reserve(10, Class::Ordinary, None), Reservation::Full);
    }

    #[test]
    fn lifecycle_events_use_a_reserve_above_the_limits() {
        let mut budget = Budget::new(16, 1 << 20);
        for _ in 0..16 {
            assert_eq!(budget.reserve(1, Class::Ordinary, None), Reservation::Granted);
        }
        assert_eq!(budget.reserve(1, Class::Ordinary, None), Reservation::Full);
        assert_eq!(budget.reserve(1, Class::Lifecycle, None), Reservation::Granted);
        assert_eq!(budget.reserve(1, Class::Lifecycle, None), Reservation::Granted);
        assert_eq!(budget.reserve(1, Class::Lifecycle, None), Reservation::Full);
        assert_eq!(budget.usage(), (18, 18, 18, 18));
    }

    #[test]
    fn bytes_limit_applies_too() {
        let mut budget = Budget::new(100, 100);
        assert_eq!(budget.reserve(60, Class::Ordinary, None), Reservation::Granted);
        assert_eq!(budget.reserve(60, Class::Ordinary, None), Reservation::Full);
        assert_eq!(budget.reserve(40, Class::Ordinary, None), Reservation::Granted);
    }
}
