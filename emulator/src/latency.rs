//! Simulated network latency: every Media Edge request is answered after a fixed delay plus a
//! uniformly random jitter, so that benchmarks and tests can model a wide-area round trip on
//! loopback. Control endpoints and in-process answers are not delayed.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{json, Value};

/// The delay before each answer: `base` plus a uniform draw from `0..=jitter`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    pub base: Duration,
    pub jitter: Duration,
}

impl Latency {
    pub fn new(base: Duration, jitter: Duration) -> Latency {
        Latency { base, jitter }
    }

    /// The delay for one request.
    pub fn sample(&self) -> Duration {
        if self.jitter.is_zero() {
            return self.base;
        }
        let jitter_us = self.jitter.as_micros() as u64;
        self.base + Duration::from_micros(random_u64() % (jitter_us + 1))
    }

    /// `{"ms": 50, "jitterMs": 10}` (both optional, whole milliseconds).
    pub fn from_json(v: &Value) -> Result<Latency, String> {
        let field = |name: &str| match v.get(name) {
            None => Ok(0),
            Some(value) => value.as_u64().ok_or_else(|| format!("{name}: expected whole milliseconds, got {value}")),
        };
        if !v.is_object() {
            return Err(format!("expected an object like {{\"ms\": 50, \"jitterMs\": 10}}, got {v}"));
        }
        Ok(Latency::new(Duration::from_millis(field("ms")?), Duration::from_millis(field("jitterMs")?)))
    }

    pub fn to_json(self) -> Value {
        json!({"ms": self.base.as_millis() as u64, "jitterMs": self.jitter.as_millis() as u64})
    }
}

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_stay_within_base_and_base_plus_jitter() {
        let latency = Latency::new(Duration::from_millis(50), Duration::from_millis(10));
        let samples: Vec<Duration> = (0..1000).map(|_| latency.sample()).collect();
        assert!(samples.iter().all(|d| *d >= Duration::from_millis(50) && *d <= Duration::from_millis(60)));
        // Jitter really varies: 1,000 draws over 10,001 microsecond values are not all equal.
        assert!(samples.iter().any(|d| *d != samples[0]));
        assert_eq!(Latency::new(Duration::from_millis(7), Duration::ZERO).sample(), Duration::from_millis(7));
    }

    #[test]
    fn json_settings_are_checked() {
        assert_eq!(
            Latency::from_json(&json!({"ms": 50, "jitterMs": 10})),
            Ok(Latency::new(Duration::from_millis(50), Duration::from_millis(10)))
        );
        assert_eq!(Latency::from_json(&json!({})), Ok(Latency::default()));
        assert!(Latency::from_json(&json!({"ms": -1})).unwrap_err().starts_with("ms:"));
        assert!(Latency::from_json(&json!([50])).is_err());
        let round_trip = Latency::new(Duration::from_millis(3), Duration::from_millis(4));
        assert_eq!(Latency::from_json(&round_trip.to_json()), Ok(round_trip));
    }
}
