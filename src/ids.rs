//! Random numbers without a dependency: a SplitMix64 sequence per thread, seeded from the
//! standard library's randomly keyed hasher. IDs need to be unique, not secret; a keyed hash per
//! number cost 300 instructions, four times per event.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    /// The thread's SplitMix64 state; 0 until seeded. A plain `Cell`: no destructor to register.
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// A fresh, unpredictable seed: different for every thread and every call.
fn seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish() | 1
}

/// 64 random bits.
fn random_u64() -> u64 {
    STATE.with(|state| {
        let mut s = state.get();
        if s == 0 {
            s = seed();
        }
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        state.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// A random number in [0, 1): the jitter of retry backoffs.
pub(crate) fn random_unit() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A random (version 4) UUID: an event's `_id`, a request's `requestId`.
pub(crate) fn new_uuid() -> String {
    std::str::from_utf8(&uuid_text()).expect("ASCII").to_owned()
}

/// A random (version 4) UUID's text, in a fixed buffer: eight digits at a time, as `format!`
/// cost ten times as much, on every event.
pub(crate) fn uuid_text() -> [u8; 36] {
    let (a, b) = (random_u64(), random_u64());
    let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    let mut text = [b'-'; 36];
    let (a_high, a_low, b_high, b_low) =
        (hex8((a >> 32) as u32), hex8(a as u32), hex8((b >> 32) as u32), hex8(b as u32));
    // 8-4-4-4-12 digits, dashes at 8, 13, 18 and 23.
    text[0..8].copy_from_slice(&a_high);
    text[9..13].copy_from_slice(&a_low[..4]);
    text[14..18].copy_from_slice(&a_low[4..]);
    text[19..23].copy_from_slice(&b_high[..4]);
    text[24..28].copy_from_slice(&b_high[4..]);
    text[28..36].copy_from_slice(&b_low);
    text
}

/// `x` as eight lowercase hex digits: the nibbles spread one per byte, then each turned into
/// its digit at once (`'0' + n`, plus the gap to `'a'` where `n` is 10 or more).
fn hex8(x: u32) -> [u8; 8] {
    let mut v = u64::from(x);
    v = ((v & 0xFFFF_0000) << 16) | (v & 0xFFFF);
    v = ((v & 0x0000_FF00_0000_FF00) << 8) | (v & 0x0000_00FF_0000_00FF);
    v = ((v & 0x00F0_00F0_00F0_00F0) << 4) | (v & 0x000F_000F_000F_000F);
    let letters = ((v + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (v + 0x3030_3030_3030_3030 + letters * u64::from(b'a' - b'0' - 10)).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_v4_uuids_and_differ() {
        let (a, b) = (new_uuid(), new_uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        let dashes: Vec<usize> = a.char_indices().filter(|(_, c)| *c == '-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [8, 13, 18, 23]);
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn threads_draw_different_ids() {
        let here: Vec<String> = (0..100).map(|_| new_uuid()).collect();
        let there = std::thread::spawn(|| (0..100).map(|_| new_uuid()).collect::<Vec<_>>()).join().unwrap();
        let all: std::collections::HashSet<&String> = here.iter().chain(&there).collect();
        assert_eq!(all.len(), 200);
    }

    #[test]
    fn hex_digits_match_the_formatter() {
        let mut x: u32 = 0;
        for step in 0..100_000u32 {
            assert_eq!(std::str::from_utf8(&hex8(x)).unwrap(), format!("{x:08x}"));
            x = x.wrapping_mul(2_654_435_761).wrapping_add(step);
        }
        for x in [0, 9, 10, 15, 0xFFFF_FFFF, 0xA0A0_A0A0, 0x0909_0909] {
            assert_eq!(std::str::from_utf8(&hex8(x)).unwrap(), format!("{x:08x}"));
        }
    }

    #[test]
    fn random_units_stay_in_range() {
        assert!((0..1000).map(|_| random_unit()).all(|u| (0.0..1.0).contains(&u)));
    }
}
