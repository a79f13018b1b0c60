//! Time as the engine sees it: a monotonic reading for timers and a wall-clock reading for event
//! timestamps, both from one injectable source so that tests run in virtual time.

use std::cell::Cell;
use std::time::Duration;

use parking_lot::Mutex;

pub trait Clock: Send + Sync {
    /// Monotonic time since the clock's origin; timers are set on it.
    fn now(&self) -> Duration;
    /// Wall-clock milliseconds since the Unix epoch; event timestamps come from it.
    fn wall_ms(&self) -> i64;
}

/// The real clocks of the machine, read with `clock_gettime` (through the vDSO): every event
/// reads both, and `Instant::elapsed` and `SystemTime::duration_since` cost twice as much.
pub struct SystemClock {
    /// `CLOCK_MONOTONIC` (the clock of `Instant`) when the clock was made, in nanoseconds.
    origin_ns: u64,
}

/// Nanoseconds of `clock`; 0 if it cannot be read (it always can on Linux).
fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return 0;
    }
    // A clock set before 1970 reads as the epoch, as `SystemTime` read it before.
    u64::try_from(ts.tv_sec).unwrap_or(0).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

impl SystemClock {
    pub fn new() -> SystemClock {
        SystemClock { origin_ns: clock_ns(libc::CLOCK_MONOTONIC) }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(clock_ns(libc::CLOCK_MONOTONIC).saturating_sub(self.origin_ns))
    }

    fn wall_ms(&self) -> i64 {
        (clock_ns(libc::CLOCK_REALTIME) / 1_000_000) as i64
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
    if let Some(text) = fixed_timestamp(unix_ms) {
        return std::str::from_utf8(&text).expect("ASCII").to_owned();
    }
    let (year, month, day, hour, minute, second) = civil(unix_ms.div_euclid(1000));
    let ms = unix_ms.rem_euclid(1000);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{ms:03}Z")
}

/// `2026-11-28T01:10:26.123Z` for Unix milliseconds, into a fixed buffer (no allocation): what
/// every event is stamped with. `None` for a year outside 0 to 9999, which does not fit.
pub fn fixed_timestamp(unix_ms: i64) -> Option<[u8; 24]> {
    thread_local! {
        /// The last second this thread wrote, and its text up to the seconds: the events of
        /// one second share it, and only the milliseconds are written again.
        static LAST: Cell<(i64, [u8; 24])> = const { Cell::new((i64::MIN, [0; 24])) };
    }
    let secs = unix_ms.div_euclid(1000);
    let (last, mut text) = LAST.with(Cell::get);
    if last != secs {
        text = second_text(secs)?;
        LAST.with(|cell| cell.set((secs, text)));
    }
    let ms = unix_ms.rem_euclid(1000) as u16;
    text[20] = b'0' + (ms / 100) as u8;
    text[21] = b'0' + (ms / 10 % 10) as u8;
    text[22] = b'0' + (ms % 10) as u8;
    Some(text)
}

/// Year, month, day, hour, minute and second of Unix seconds (Howard Hinnant's civil date
/// from days since the epoch).
fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// `2026-11-28T01:10:26.000Z` for Unix seconds; `None` for a year outside 0 to 9999.
fn second_text(secs: i64) -> Option<[u8; 24]> {
    let (year, month, day, hour, minute, second) = civil(secs);
    if !(0..=9999).contains(&year) {
        return None;
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
    Some(text)
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
    fn the_seconds_a_thread_remembers_never_leak_into_another_time() {
        // Moving back and forth across seconds, days and years on one thread gives what a
        // fresh thread (nothing remembered) gives for each time.
        let times = [
            0,
            999,
            1_000,
            86_399_999,
            86_400_000,
            1_795_828_226_123,
            1_795_828_226_999,
            1_795_828_227_000,
            951_782_400_000,
            1_795_828_226_001,
            253_402_300_799_999,
            253_402_300_800_000,
            1_795_828_226_500,
        ];
        let here: Vec<String> = times.iter().chain(times.iter().rev()).map(|&ms| format_timestamp(ms)).collect();
        for (i, &ms) in times.iter().chain(times.iter().rev()).enumerate() {
            let fresh = std::thread::spawn(move || format_timestamp(ms)).join().unwrap();
            assert_eq!(here[i], fresh, "{ms}");
        }
        assert_eq!(here[6], "2026-11-28T01:10:26.999Z");
        assert_eq!(here[7], "2026-11-28T01:10:27.000Z");
    }

    #[test]
    fn the_system_clock_moves_forward_from_zero_and_tells_unix_time() {
        let clock = SystemClock::new();
        let (a, b) = (clock.now(), clock.now());
        assert!(b >= a && a < Duration::from_secs(60));
        let unix_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        assert!((clock.wall_ms() - unix_ms).abs() < 5_000);
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
