//! The send path's reading of a caller's event: its JSON text parsed once into the few fields
//! the checks look at, each kept as a slice of the text, and the request body written from
//! those slices. Nothing of the caller's document is built into a value tree or serialized
//! again, and a common event costs one allocation here: its body.
//!
//! This reading takes the events players send all the time (play, pings, pauses, buffering,
//! chapters, ad breaks, bitrate changes, errors, the ends) in all three modes. Anything else
//! goes the general way, `xdm::parse_document` and `xdm::prepare`: a sessionStart or adStart
//! (they get defaults inside their details), a statesUpdate, a key with an escape in it, a
//! string the checks read with one, a key given twice, an object of more than 16 fields, and
//! every document the checks would refuse. So this path only accepts what the general one
//! accepts, and every refusal comes from the general one, with its message.
//!
//! How the text is read, without allocating:
//! - one pass keeps the top-level fields and those of `mediaCollection` as slices of the text
//!   (`serde_json::value::RawValue`), refusing a key given twice (a value tree would have kept
//!   the last);
//! - a value kept as text that `Value` parsing would check further is walked as `Value`
//!   parsing walks it (`Walk`): every object and array (numbers in range, escapes, depth, no
//!   key given twice), and every number long enough or with an exponent to be out of range;
//! - a `\u` escape that may be a lone surrogate (refused by `Value`, not by `RawValue`) sends
//!   the document the general way.
//!
//! The body keeps the caller's fields in the caller's order, numbers and strings as written;
//! the general way writes the same values in key order. Both are the same JSON document, which
//! the unit tests below check on thousands of generated documents.

use std::fmt;
use std::mem::MaybeUninit;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::body::{Body, CLOSE, OPEN, PLACEHOLDER};
use crate::error::Result;
use crate::xdm::{self, EventType, Mode, PlayerDetails};

/// The most fields an object may have for this reading (at any depth).
pub(crate) const MAX_FIELDS: usize = 16;

/// Any JSON value, checked as `serde_json::Value` parsing checks it, without building it.
/// Fails on a key given twice, a key with an escape, or an object of more than `MAX_FIELDS`.
struct Walk;

impl<'de> Deserialize<'de> for Walk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Walk, D::Error> {
        deserializer.deserialize_any(WalkVisitor)
    }
}

struct WalkVisitor;

impl<'de> Visitor<'de> for WalkVisitor {
    type Value = Walk;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Walk, E> {
        Ok(Walk)
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<Walk, E> {
        Ok(Walk)
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<Walk, E> {
        Ok(Walk)
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<Walk, E> {
        Ok(Walk)
    }

    fn visit_str<E>(self, _: &str) -> std::result::Result<Walk, E> {
        Ok(Walk)
    }

    fn visit_unit<E>(self) -> std::result::Result<Walk, E> {
        Ok(Walk)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Walk, A::Error> {
        while seq.next_element::<Walk>()?.is_some() {}
        Ok(Walk)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Walk, A::Error> {
        let mut keys = [""; MAX_FIELDS];
        let mut count = 0;
        // `&str` keys borrow from the text: a key with an escape fails here.
        while let Some(key) = map.next_key::<&'de str>()? {
            if count == MAX_FIELDS || keys[..count].contains(&key) {
                return Err(de::Error::custom("for the general way"));
            }
            keys[count] = key;
            count += 1;
            map.next_value::<Walk>()?;
        }
        Ok(Walk)
    }
}

/// An object's fields in order: each key (without escapes) and its value's JSON text. Made
/// for every event sent, so its room is not written until used.
struct Fields<'a> {
    count: usize,
    items: [MaybeUninit<(&'a str, &'a str)>; MAX_FIELDS],
}

impl<'a> Fields<'a> {
    // Inlined so that the room of a struct holding it is not copied, unwritten, into place.
    #[inline(always)]
    fn new() -> Fields<'a> {
        // SAFETY: an array of `MaybeUninit` needs no initialization (the documented way to
        // make one); `items[..count]` is what is written, and all that is read.
        let items = unsafe { MaybeUninit::<[MaybeUninit<(&str, &str)>; MAX_FIELDS]>::uninit().assume_init() };
        Fields { count: 0, items }
    }

    fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        // SAFETY: `push` wrote every item below `count` before counting it.
        self.items[..self.count].iter().map(|item| unsafe { item.assume_init() })
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Adds a field; fails for a key given twice (a value tree keeps only the last) or one
    /// field too many.
    fn push<E: de::Error>(&mut self, key: &'a str, value: &'a str) -> std::result::Result<(), E> {
        if self.count == MAX_FIELDS || self.iter().any(|(k, _)| k == key) {
            return Err(E::custom("for the general way"));
        }
        self.items[self.count] = MaybeUninit::new((key, value));
        self.count += 1;
        Ok(())
    }
}

/// What the checks need of a value that is kept as text: `Value` parsing refuses numbers out
/// of range and `RawValue` does not look, so a long number or one with an exponent, and every
/// object and array, are walked.
fn check_raw<E: de::Error>(raw: &str) -> std::result::Result<(), E> {
    let walk = match raw.as_bytes().first() {
        Some(b'{' | b'[') => true,
        Some(b'-' | b'0'..=b'9') => raw.len() > 15 || raw.contains(['e', 'E']),
        _ => false,
    };
    if walk {
        serde_json::from_str::<Walk>(raw).map_err(|_| E::custom("for the general way"))?;
    }
    Ok(())
}

/// Reads an object's fields into `Fields`, in place (the struct is large to move).
struct Into<'s, 'a>(&'s mut Fields<'a>);

impl<'de> de::DeserializeSeed<'de> for Into<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Into<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<&'de str>()? {
            let value = map.next_value::<&'de RawValue>()?.get();
            check_raw(value)?;
            self.0.push(key, value)?;
        }
        Ok(())
    }
}

/// Where a reading keeps the fields it read: the caller makes it once, on its stack. The
/// fields the checks look at are also kept by name.
pub struct Scratch<'a> {
    top: Fields<'a>,
    media: Fields<'a>,
    has_media: bool,
    event_type: Option<&'a str>,
    id: Option<&'a str>,
    timestamp: Option<&'a str>,
    playhead: Option<&'a str>,
    session_id: Option<&'a str>,
    /// The caller's `qoeDataDetails`: its text, then its fields.
    qoe_text: Option<&'a str>,
    qoe: Fields<'a>,
}

impl<'a> Scratch<'a> {
    #[inline(always)]
    pub fn new() -> Scratch<'a> {
        Scratch {
            top: Fields::new(),
            media: Fields::new(),
            has_media: false,
            event_type: None,
            id: None,
            timestamp: None,
            playhead: None,
            session_id: None,
            qoe_text: None,
            qoe: Fields::new(),
        }
    }
}

impl Default for Scratch<'_> {
    fn default() -> Self {
        Scratch::new()
    }
}

/// Reads `mediaCollection`'s fields into a `Scratch`.
struct MediaInto<'s, 'a>(&'s mut Scratch<'a>);

impl<'de> de::DeserializeSeed<'de> for MediaInto<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MediaInto<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let scratch = self.0;
        while let Some(key) = map.next_key::<&'de str>()? {
            let value = map.next_value::<&'de RawValue>()?.get();
            check_raw(value)?;
            scratch.media.push(key, value)?;
            match key {
                "playhead" => scratch.playhead = Some(value),
                "sessionID" => scratch.session_id = Some(value),
                "qoeDataDetails" => scratch.qoe_text = Some(value),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Reads the top level into `Scratch::top`, and `mediaCollection` (which must be an object)
/// into `Scratch::media`.
struct TopInto<'s, 'a>(&'s mut Scratch<'a>);

impl<'de> de::DeserializeSeed<'de> for TopInto<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopInto<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let scratch = self.0;
        while let Some(key) = map.next_key::<&'de str>()? {
            if key == "mediaCollection" {
                scratch.top.push(key, "")?;
                map.next_value_seed(MediaInto(&mut *scratch))?;
                scratch.has_media = true;
                continue;
            }
            let value = map.next_value::<&'de RawValue>()?.get();
            check_raw(value)?;
            scratch.top.push(key, value)?;
            match key {
                "eventType" => scratch.event_type = Some(value),
                "_id" => scratch.id = Some(value),
                "timestamp" => scratch.timestamp = Some(value),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Reads `text`, an object, into `fields`; false if it is not one this reading takes.
fn read_into<'a>(text: &'a str, fields: &mut Fields<'a>) -> bool {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    de::DeserializeSeed::deserialize(Into(fields), &mut deserializer).is_ok() && deserializer.end().is_ok()
}

/// A string's text, if it is a JSON string without escapes.
fn plain_str(raw: &str) -> Option<&str> {
    raw.strip_prefix('"')?.strip_suffix('"').filter(|s| !s.contains('\\'))
}

/// A whole number as `Value::as_u64` reads one: digits only (no sign, fraction or exponent).
fn whole(raw: &str) -> Option<u64> {
    if raw.bytes().all(|b| b.is_ascii_digit()) {
        raw.parse().ok()
    } else {
        None
    }
}

/// A number that is not negative: it starts with a digit (the text was checked as JSON).
fn non_negative(raw: &str) -> bool {
    raw.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// Whether `raw` passes the check `xdm` makes of a required field: a non-empty string
/// (`None`), a whole number (`Some(true)`) or a number that is not negative (`Some(false)`).
fn passes(raw: &str, kind: Option<bool>) -> bool {
    match kind {
        None => raw.len() > 2 && raw.starts_with('"'),
        Some(true) => whole(raw).is_some(),
        Some(false) => non_negative(raw),
    }
}

/// A `\u` escape that may be a surrogate: `Value` parsing refuses one that is unpaired, and
/// `RawValue` would not notice, so such a document goes the general way.
fn may_have_surrogate(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(4).any(|w| w[0] == b'\\' && w[1] == b'u' && matches!(w[2], b'd' | b'D') && w[3] >= b'8')
}

/// An event this reading took whole; see the module's comment.
pub struct Reading<'s, 'a> {
    pub event_type: EventType,
    mode: Mode,
    scratch: &'s Scratch<'a>,
    /// The caller's `mediaCollection.sessionID` (manual sessions).
    pub session_id: Option<&'a str>,
    /// The caller's playhead: any number (automatic), a whole number (manual, downloaded).
    playhead: Option<&'a str>,
    text_len: usize,
}

/// Reads `text` as a later event (not a sessionStart) of a session in `mode`, with every check
/// of `xdm::prepare` that comes before the player's callback. `None`: not for this reading;
/// the general way takes it (and refuses it, if it is wrong).
pub fn read<'s, 'a>(text: &'a str, mode: Mode, scratch: &'s mut Scratch<'a>) -> Option<Reading<'s, 'a>> {
    if text.contains("\\u") && may_have_surrogate(text) {
        return None;
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    de::DeserializeSeed::deserialize(TopInto(scratch), &mut deserializer).ok()?;
    deserializer.end().ok()?;
    let event_type = EventType::from_xdm_name(plain_str(scratch.event_type?)?)?;
    if matches!(event_type, EventType::SessionStart | EventType::AdStart | EventType::StatesUpdate) {
        return None;
    }
    if let Some(id) = scratch.id {
        plain_str(id).filter(|id| !id.is_empty() && id.len() <= 128)?;
    }
    if let Some(timestamp) = scratch.timestamp {
        plain_str(timestamp).filter(|t| xdm::is_iso8601_utc(t))?;
    }
    // A `mediaCollection` that is not an object failed `TopInto` already.
    let (playhead, session_id) = (scratch.playhead, scratch.session_id);
    match mode {
        Mode::Automatic => {
            if session_id.is_some() || playhead.is_some_and(|p| !non_negative(p)) {
                return None;
            }
        }
        Mode::Manual => {
            plain_str(session_id?).filter(|id| !id.is_empty())?;
            i64::try_from(whole(playhead?)?).ok()?;
        }
        Mode::Downloaded => {
            if session_id.is_some() {
                return None;
            }
            i64::try_from(whole(playhead?)?).ok()?;
        }
    }
    if let Some(given) = scratch.qoe_text {
        if !read_into(given, &mut scratch.qoe) {
            return None;
        }
    }
    // The details object the event type requires, and its required fields.
    if let Some((object, required)) = xdm::required_details(event_type) {
        match (object, scratch.media.get(object)) {
            // The player's callback may still supply it (checked again once it has).
            ("qoeDataDetails", None) if mode == Mode::Automatic => {}
            (_, None) => return None,
            (_, Some(raw)) => {
                let mut details = Fields::new();
                if !read_into(raw, &mut details) {
                    return None;
                }
                for (field, kind) in required {
                    if !details.get(field).is_some_and(|v| passes(v, *kind)) {
                        return None;
                    }
                }
            }
        }
    }
    let session_id = session_id.and_then(plain_str);
    Some(Reading { event_type, mode, scratch, session_id, playhead, text_len: text.len() })
}

/// The request body and playhead of a [`Reading`].
pub struct Written {
    pub body: Body,
    pub playhead: i64,
}

impl Reading<'_, '_> {
    /// Writes the request body: the caller's fields as they are, with an `_id` and the
    /// timestamp's place where the caller gave none and, in automatic sessions, the playhead
    /// (the caller's, rounded, or `player`'s), the player's QoE figures the caller did not set,
    /// and the session ID's place. Fails only where `xdm::prepare` fails after the callback: a
    /// bitrateChange without QoE from either.
    pub fn write(&self, player: Option<&PlayerDetails>) -> Result<Written> {
        let automatic = self.mode == Mode::Automatic;
        let qoe = player.map(|p| p.qoe).unwrap_or_default();
        if self.event_type == EventType::BitrateChange && automatic && self.scratch.qoe_text.is_none() && qoe.is_empty()
        {
            return Err(xdm::invalid("mediaCollection.qoeDataDetails", "required"));
        }
        let playhead = match (self.mode, self.playhead) {
            (Mode::Automatic, given) => {
                let given = given.and_then(|p| serde_json::from_str::<f64>(p).ok());
                xdm::round_playhead(given.unwrap_or_else(|| player.map_or(0.0, |p| p.playhead)))
            }
            // Checked by `read` to be a whole number within i64.
            (_, given) => given.and_then(whole).and_then(|p| i64::try_from(p).ok()).unwrap_or(0),
        };
        let fields = &self.scratch.top;
        // The caller's text and what the library adds (`_id`, timestamp, playhead, QoE): one
        // allocation, never grown.
        let mut bytes = Vec::with_capacity(OPEN.len() + CLOSE.len() + self.text_len + 240);
        bytes.extend_from_slice(OPEN);
        bytes.push(b'{');
        let mut first = true;
        if self.scratch.id.is_none() {
            let mut id = *b"\"_id\":\"00000000-0000-0000-0000-000000000000\"";
            id[7..43].copy_from_slice(&crate::ids::uuid_text());
            bytes.extend_from_slice(&id);
            first = false;
        }
        let mut timestamp = 0..0;
        let unstamped = self.scratch.timestamp.is_none();
        if unstamped {
            const PLACE: &[u8] = b",\"timestamp\":";
            let place = if first { &PLACE[1..] } else { PLACE };
            bytes.extend_from_slice(place);
            timestamp = bytes.len()..bytes.len() + PLACEHOLDER.len();
            bytes.extend_from_slice(PLACEHOLDER);
            first = false;
        }
        // What the library added before the caller's fields (and the comma after it).
        let added = bytes.len() - OPEN.len() - 1 + usize::from(!first);
        let mut session_id_at = None;
        let mut media_written = false;
        for (key, value) in fields.iter() {
            if !first {
                bytes.push(b',');
            }
            first = false;
            put_key(&mut bytes, key);
            match key {
                "mediaCollection" => {
                    session_id_at = self.write_media(&mut bytes, &self.scratch.media, playhead, &qoe);
                    media_written = true;
                }
                "timestamp" => {
                    let start = bytes.len();
                    bytes.extend_from_slice(value.as_bytes());
                    timestamp = start..bytes.len();
                }
                _ => bytes.extend_from_slice(value.as_bytes()),
            }
        }
        if !media_written {
            // Only an automatic session's event gets this far without one.
            bytes.extend_from_slice(b",\"mediaCollection\":");
            session_id_at = self.write_media(&mut bytes, &Fields::new(), playhead, &qoe);
        }
        bytes.push(b'}');
        bytes.extend_from_slice(CLOSE);
        let body = Body::assembled(bytes, session_id_at, timestamp, unstamped, added);
        Ok(Written { body, playhead })
    }

    /// Writes `mediaCollection` and returns where the session ID goes, if anywhere. Manual
    /// sessions carry their own ID and downloaded ones none: their object goes as it is.
    fn write_media(&self, bytes: &mut Vec<u8>, media: &Fields, playhead: i64, qoe: &xdm::Qoe) -> Option<usize> {
        bytes.push(b'{');
        if self.mode != Mode::Automatic {
            let mut first = true;
            for (key, value) in media.iter() {
                if !first {
                    bytes.push(b',');
                }
                first = false;
                put_key(bytes, key);
                bytes.extend_from_slice(value.as_bytes());
            }
            bytes.push(b'}');
            return None;
        }
        let at = bytes.len();
        bytes.extend_from_slice(b"\"playhead\":");
        bytes.extend_from_slice(itoa::Buffer::new().format(playhead).as_bytes());
        for (key, value) in media.iter().filter(|(key, _)| *key != "playhead") {
            bytes.push(b',');
            put_key(bytes, key);
            match key {
                "qoeDataDetails" if !qoe.is_empty() => write_qoe(bytes, &self.scratch.qoe, qoe),
                _ => bytes.extend_from_slice(value.as_bytes()),
            }
        }
        if self.scratch.qoe_text.is_none() && !qoe.is_empty() {
            bytes.extend_from_slice(b",\"qoeDataDetails\":");
            write_qoe(bytes, &Fields::new(), qoe);
        }
        bytes.push(b'}');
        Some(at)
    }
}

/// `"key":` (a key read without escapes).
fn put_key(bytes: &mut Vec<u8>, key: &str) {
    bytes.reserve(key.len() + 3);
    bytes.push(b'"');
    bytes.extend_from_slice(key.as_bytes());
    bytes.extend_from_slice(b"\":");
}

/// The caller's QoE fields as they are, then the player's figures the caller did not set.
fn write_qoe(bytes: &mut Vec<u8>, given: &Fields, qoe: &xdm::Qoe) {
    bytes.push(b'{');
    let mut first = true;
    for (key, value) in given.iter() {
        if !first {
            bytes.push(b',');
        }
        first = false;
        put_key(bytes, key);
        bytes.extend_from_slice(value.as_bytes());
    }
    for (key, value) in qoe.fields() {
        let Some(number) = value.and_then(serde_json::Number::from_f64) else { continue };
        if given.get(key).is_some() {
            continue;
        }
        if !first {
            bytes.push(b',');
        }
        first = false;
        put_key(bytes, key);
        // Writing a number into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *bytes, &xdm::round_if_whole(number));
    }
    bytes.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::SessionIdSlot;
    use crate::config::Config;
    use crate::xdm::{Position, Qoe};
    use serde_json::{json, Value};

    fn config() -> Config {
        Config::from_json(r#"{"datastreamId":"ds","streamingMedia":{"channel":"tv","playerName":"p"}}"#).unwrap()
    }

    /// The request both ways, as JSON with the `_id` the library made set aside; `None` for the
    /// fast way when it does not take the text. The general way's error, if any.
    fn both(text: &str, mode: Mode, details: PlayerDetails) -> (Option<Value>, std::result::Result<Value, String>) {
        let normal = |body: &Body, own_id: bool| {
            let mut sent: Value = serde_json::from_slice(&body.request(Some("SID"))).unwrap();
            if !own_id {
                sent["events"][0]["xdm"]["_id"] = json!("library");
            }
            sent
        };
        let mut scratch = Scratch::new();
        let fast = read(text, mode, &mut scratch).map(|reading| match reading.write(Some(&details)) {
            Ok(written) => {
                assert_eq!(
                    Some(written.playhead),
                    written.body.document().and_then(|d| d["mediaCollection"]["playhead"].as_i64())
                );
                normal(&written.body, text.contains("\"_id\""))
            }
            Err(e) => json!({ "error": e.message }),
        });
        let slot = match mode {
            Mode::Automatic => SessionIdSlot::Library,
            Mode::Manual => SessionIdSlot::IfAbsent,
            Mode::Downloaded => SessionIdSlot::Never,
        };
        let general = xdm::parse_document(text)
            .and_then(|doc| xdm::prepare(doc, Position::Later, mode, || Some(details), &config()))
            .map(|prepared| {
                let own = prepared.xdm.contains_key("_id");
                normal(&Body::write(&prepared.xdm, slot, || "library".into()), own)
            })
            .map_err(|e| e.message);
        (fast, general)
    }

    /// A small deterministic generator of documents near the edges the fast way must notice.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.next(items.len() as u64) as usize]
        }

        fn scalar(&mut self) -> String {
            if self.next(3) != 0 {
                return self.pick(&["1", "0", "7.5", "\"s\"", "true", "null", "\"x y\""]).to_string();
            }
            self.pick(&[
                "-1",
                "-0",
                "1e3",
                "1E400",
                "12345678901234567890123",
                "\"\"",
                "\"a\\\"b\"",
                "\"\\u00e9\"",
                "\"\\ud800\"",
                "\"\\ud83d\\ude00\"",
                "\"2026-01-01T00:00:00Z\"",
            ])
            .to_string()
        }

        fn object(&mut self, keys: &[&str], depth: u32) -> String {
            let count = self.next(5);
            let start = self.next(keys.len() as u64) as usize;
            // Mostly distinct keys; now and then one twice.
            let twice = self.next(8) == 0;
            let fields: Vec<String> = (0..count as usize)
                .map(|i| {
                    let key = keys[(start + if twice { 0 } else { i }) % keys.len()];
                    let value = if depth > 0 && self.next(3) == 0 {
                        if self.next(2) == 0 {
                            self.object(keys, depth - 1)
                        } else {
                            format!("[{},{}]", self.scalar(), self.object(keys, depth - 1))
                        }
                    } else {
                        self.scalar()
                    };
                    format!("\"{key}\":{value}")
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }

        fn document(&mut self, mode: Mode) -> String {
            let event = self.pick(&[
                "media.play",
                "media.ping",
                "media.pauseStart",
                "media.bufferStart",
                "media.sessionComplete",
                "media.sessionEnd",
                "media.chapterStart",
                "media.adBreakStart",
                "media.error",
                "media.bitrateChange",
                "media.chapterComplete",
                "media.adStart",
                "media.nope",
            ]);
            let mut media: Vec<String> = Vec::new();
            if self.next(4) != 0 {
                media.push(format!("\"playhead\":{}", self.pick(&["3", "3", "0", "17", "4.6", "-2", "1e2", "\"9\""])));
            }
            if (mode == Mode::Manual) == (self.next(8) != 0) {
                media.push(format!(
                    "\"sessionID\":{}",
                    self.pick(&["\"SID\"", "\"SID\"", "\"SID\"", "\"\"", "\"other\"", "5"])
                ));
            }
            let details = [
                ("chapterDetails", "{\"index\":1,\"length\":60,\"offset\":0}"),
                ("advertisingPodDetails", "{\"index\":2,\"offset\":5.5}"),
                ("errorDetails", "{\"name\":\"e\",\"source\":\"player\"}"),
                ("qoeDataDetails", "{\"bitrate\":1000,\"droppedFrames\":2}"),
            ];
            for (name, good) in details {
                match self.next(6) {
                    0..=2 => media.push(format!("\"{name}\":{good}")),
                    3 => media.push(format!(
                        "\"{name}\":{}",
                        self.object(&["index", "length", "offset", "name", "source", "bitrate"], 1)
                    )),
                    _ => {}
                }
            }
            if self.next(2) == 0 {
                media.push(format!(
                    "\"customMetadata\":{}",
                    self.object(&["a", "b", "c", "d", "e", "f", "g", "c\\u0041"], 2)
                ));
            }
            if self.next(8) == 0 {
                media.push("\"playhead\":1".into());
            }
            let mut top = vec![format!("\"eventType\":\"{event}\"")];
            if self.next(2) == 0 || !media.is_empty() {
                top.push(format!("\"mediaCollection\":{{{}}}", media.join(" , ")));
            }
            match self.next(6) {
                0 => top.push("\"_id\":\"mine\"".into()),
                1 => top.push("\"timestamp\":\"2026-12-04T01:02:03.456Z\"".into()),
                2 => top.push("\"timestamp\":\"yesterday\"".into()),
                3 => top.push(format!("\"x\":{}", self.object(&["k", "l"], 2))),
                _ => {}
            }
            // Shuffle the top-level order a little: the fast way keeps the caller's.
            if self.next(2) == 0 {
                top.reverse();
            }
            format!("{{ {} }}", top.join(", "))
        }
    }

    #[test]
    fn the_fast_way_writes_what_the_general_way_writes_and_takes_nothing_it_refuses() {
        let mut gen = Gen(7);
        let (mut taken, mut accepted) = (0, 0);
        let players = [
            PlayerDetails { playhead: 12.4, qoe: Qoe::default() },
            PlayerDetails {
                playhead: 3.5,
                qoe: Qoe { bitrate: Some(2500.0), frames_per_second: Some(29.97), ..Qoe::default() },
            },
        ];
        for round in 0..6000 {
            let mode = [Mode::Automatic, Mode::Manual, Mode::Downloaded][round % 3];
            let text = gen.document(mode);
            let (fast, general) = both(&text, mode, players[round / 3 % 2]);
            match (fast, general) {
                (None, general) => accepted += usize::from(general.is_ok()),
                (Some(fast), Ok(general)) => {
                    assert_eq!(fast, general, "{mode:?} {text}");
                    taken += 1;
                    accepted += 1;
                }
                (Some(fast), Err(message)) => {
                    assert_eq!(fast, json!({ "error": message }), "{mode:?} {text}: the general way refuses it");
                }
            }
        }
        // The generator makes many documents the fast way must leave alone, but not only those.
        assert!(taken > 500 && taken * 2 > accepted, "only {taken} of 6000 went the fast way ({accepted} accepted)");
    }

    #[test]
    fn common_events_go_the_fast_way() {
        let details = PlayerDetails { playhead: 7.0, qoe: Qoe::default() };
        for (text, mode) in [
            (r#"{"eventType":"media.play"}"#, Mode::Automatic),
            (r#"{"eventType":"media.pauseStart","mediaCollection":{}}"#, Mode::Automatic),
            (r#"{"eventType":"media.ping","mediaCollection":{"playhead":3,"sessionID":"SID"}}"#, Mode::Manual),
            (r#"{"eventType":"media.bufferStart","mediaCollection":{"playhead":3}}"#, Mode::Downloaded),
            (
                r#"{"eventType":"media.chapterStart","mediaCollection":{"chapterDetails":{"index":1,"length":5,"offset":0},"customMetadata":[{"name":"a","value":"b"}]}}"#,
                Mode::Automatic,
            ),
        ] {
            let (fast, general) = both(text, mode, details);
            assert_eq!(fast, Some(general.unwrap()), "{text}");
        }
        // Left to the general way: duplicates, escapes in keys, lone surrogates, big exponents.
        for text in [
            r#"{"eventType":"media.play","eventType":"media.ping"}"#,
            r#"{"eventType":"media.play","mediaCollection":{"a":{"k":1,"k":2}}}"#,
            r#"{"eventType":"media.play","mediaCollection":{"c\u0041":1}}"#,
            r#"{"eventType":"media.play","mediaCollection":{"c":"\ud800"}}"#,
            r#"{"eventType":"media.play","mediaCollection":{"c":1e400}}"#,
            r#"{"eventType":"media.sessionStart"}"#,
        ] {
            assert!(both(text, Mode::Automatic, details).0.is_none(), "{text}");
        }
    }
}
