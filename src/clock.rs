//! Time as the engine sees it: a monotonic reading for timers and a wall-clock reading for event
//! timestamps, both from one injectable source so that tests run in virtual time.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

pub trait Clock: Send + Sync {
    /// Monotonic time since the clock's origin; timers are set on it.
    fn now(&self) -> Duration;
    /// Wall-clock milliseconds since the Unix epoch; event timestamps come from it.
    fn wall_ms(&self) -> i64;
}

/// The real clocks of the machine.
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    pub fn new() -> SystemClock {
        SystemClock { origin: Instant::now() }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn wall_ms(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }
}

/// A clock that moves only when told to; wall time moves with it from a chosen start.
pub struct ManualClock {
    start_wall_ms: i64,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    pub fn new(start_wall_ms: i64) -> ManualClock {
        ManualClock { start_wall_ms, elapsed: Mutex::new(Duration::ZERO) }
    }

    /// Moves the clock to `to`; a clock never goes back.
    pub fn set(&self, to: Duration) {
        let mut elapsed = self.elapsed.lock();
        if to > *elapsed {
            *elapsed = to;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.elapsed.lock()
    }

    fn wall_ms(&self) -> i64 {
        self.start_wall_ms + self.now().as_millis() as i64
    }
}

/// `2026-11-28T01:10:26.123Z` for Unix milliseconds.
pub fn format_timestamp(unix_ms: i64) -> String {
    let ms = unix_ms.rem_euclid(1000);
    let secs = unix_ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (hour, minute, second) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{ms:03}Z");
    }
    // Digit by digit into a fixed buffer: `format!` cost ten times as much, on every event.
    let mut text = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut value: i64| {
        for i in (at..at + width).rev() {
            text[i] = b'0' + value.rem_euclid(10) as u8;
            value /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, hour);
    put(14, 2, minute);
    put(17, 2, second);
    put(20, 3, ms);
    std::str::from_utf8(&text).expect("ASCII").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso8601_utc_with_millis() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_timestamp(1_795_828_226_123), "2026-11-28T01:10:26.123Z");
        assert_eq!(format_timestamp(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(format_timestamp(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(format_timestamp(1_234_567_890_007), "2009-02-13T23:31:30.007Z");
        assert_eq!(format_timestamp(253_402_300_800_000), "10000-01-01T00:00:00.000Z");
    }

    #[test]
    fn manual_clock_moves_wall_time_with_it_and_never_back() {
        let clock = ManualClock::new(1_000);
        clock.set(Duration::from_secs(5));
        clock.set(Duration::from_secs(2));
        assert_eq!(clock.now(), Duration::from_secs(5));
        assert_eq!(clock.wall_ms(), 6_000);
    }
}
