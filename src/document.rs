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
//! - one pass (`Scan`, by hand: the text between fields is only whitespace, colons and commas,
//!   numbers and literals are matched against JSON's grammar) keeps the top-level fields and
//!   those of `mediaCollection` as slices of the text, refusing a key given twice (a value tree
//!   would have kept the last);
//! - a nested object or array is walked by serde_json as `Value` parsing walks it (`Walk`:
//!   numbers in range, escapes, surrogates, depth, no key given twice), in the same pass that
//!   finds its end, and so is every number long enough, or with an exponent, to be out of
//!   range;
//! - a `\u` escape that may be a surrogate in a string the scan reads sends the document the
//!   general way, which refuses an unpaired one.
//!
//! The body keeps the caller's fields in the caller's order, numbers and strings as written;
//! the general way writes the same values in key order. Both are the same JSON document, which
//! the unit tests below check on thousands of generated documents.

use std::fmt;
use std::mem::MaybeUninit;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::body::{Body, CLOSE, OPEN, PLACEHOLDER};
use crate::error::Result;
use crate::xdm::{self, EventType, Mode, PlayerDetails};

/// The most fields an object may have for this reading (at any depth).
const MAX_FIELDS: usize = 16;

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

    /// Adds a field; `None` for a key given twice (a value tree keeps only the last) or one
    /// field too many.
    fn push(&mut self, key: &'a str, value: &'a str) -> Option<()> {
        if self.count == MAX_FIELDS || self.iter().any(|(k, _)| k == key) {
            return None;
        }
        self.items[self.count] = MaybeUninit::new((key, value));
        self.count += 1;
        Some(())
    }
}

/// The JSON of an object's two top levels, read by hand: the text between the fields is only
/// whitespace, colons and commas, keys and strings the checks read have no escapes, and
/// numbers and literals are matched against JSON's grammar. A nested object or array is
/// walked by serde_json (`Walk`), which also says where it ends. Anything unexpected is `None`:
/// the document goes the general way.
struct Scan<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str) -> Scan<'a> {
        Scan { text, at: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, if it is `byte`.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    /// A string at the cursor: its text between the quotes, which has no escape (`plain`) or
    /// only valid ones; never a control character.
    fn string(&mut self, plain: bool) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.at + 1;
        // Most strings have no escape: one pass to the first quote, backslash or control byte.
        let stop = start + special_at(bytes.get(start..)?)?;
        if bytes[stop] == b'"' {
            self.at = stop + 1;
            return self.text.get(start..stop);
        }
        let mut i = stop;
        loop {
            match *bytes.get(i)? {
                b'"' => break,
                b'\\' if !plain => {
                    match *bytes.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                        // A `\u` escape that may be a surrogate: `Value` parsing refuses one
                        // that is unpaired; left to it.
                        b'u' if matches!(bytes.get(i + 2), Some(b'd' | b'D')) => return None,
                        b'u' if bytes.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => i += 6,
                        _ => return None,
                    }
                }
                b'\\' => return None,
                0..=0x1F => return None,
                _ => i += 1,
            }
        }
        self.at = i + 1;
        self.text.get(start..i)
    }

    /// A number matching JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        let bytes = self.text.as_bytes();
        let digits = |at: &mut usize| {
            let start = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at > start
        };
        let mut at = self.at;
        at += usize::from(bytes.get(at) == Some(&b'-'));
        match bytes.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => {
                digits(&mut at);
            }
            _ => return None,
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            digits(&mut at).then_some(())?;
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            at += usize::from(matches!(bytes.get(at), Some(b'+' | b'-')));
            digits(&mut at).then_some(())?;
        }
        self.at = at;
        Some(())
    }

    /// A value at the cursor (after whitespace), as its text.
    fn value(&mut self) -> Option<&'a str> {
        self.skip_space();
        let start = self.at;
        match self.peek()? {
            b'"' => {
                self.string(false)?;
            }
            b'-' | b'0'..=b'9' => {
                self.number()?;
                // `Value` parsing refuses a number out of range, which the grammar does not
                // see: one long enough, or with an exponent, to be so is parsed.
                let number = self.text.get(start..self.at)?;
                if (number.len() > 15 || number.contains(['e', 'E'])) && serde_json::from_str::<Walk>(number).is_err() {
                    return None;
                }
            }
            b't' | b'f' | b'n' => {
                let rest = self.text.get(start..)?;
                let word = ["true", "false", "null"].into_iter().find(|w| rest.starts_with(w))?;
                self.at += word.len();
            }
            b'{' | b'[' => {
                let mut walked = serde_json::Deserializer::from_str(self.text.get(start..)?).into_iter::<Walk>();
                walked.next()?.ok()?;
                self.at += walked.byte_offset();
            }
            _ => return None,
        }
        self.text.get(start..self.at)
    }

    /// An object at the cursor, its fields into `fields`. `inner` may read a key's value itself
    /// (and give what to keep for it), or leave it (`Some(None)`) to be read as text.
    fn object(
        &mut self,
        fields: &mut Fields<'a>,
        inner: &mut dyn FnMut(&mut Scan<'a>, &'a str) -> Option<Option<&'a str>>,
    ) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string(true)?;
            if !self.eat(b':') {
                return None;
            }
            let value = match inner(self, key)? {
                Some(kept) => kept,
                None => self.value()?,
            };
            fields.push(key, value)?;
            if self.eat(b'}') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    /// The end of the text: only whitespace is left.
    fn end(&mut self) -> Option<()> {
        self.skip_space();
        (self.at == self.text.len()).then_some(())
    }
}

/// Where the first `"`, `\\` or control byte of `bytes` is: eight bytes at a time (each test
/// sets a byte's high bit where it matches, the classic "has a zero byte" trick), then byte by
/// byte in the word that has one.
fn special_at(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
        let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
        // Below 0x20: the byte minus 0x20 borrows into its high bit (a byte of 0x80 or more has
        // that bit set already and is masked out).
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        if quote | backslash | control != 0 {
            break;
        }
        at += 8;
    }
    bytes[at..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).map(|i| at + i)
}

/// Reads `text`, an object, into `fields`; false if it is not one this reading takes.
fn read_into<'a>(text: &'a str, fields: &mut Fields<'a>) -> bool {
    let mut scan = Scan::new(text);
    scan.object(fields, &mut |_, _| Some(None)).and_then(|()| scan.end()).is_some()
}

/// Where a reading keeps the fields it read: the caller makes it once, on its stack. The
/// fields the checks look at are also kept by name.
pub struct Scratch<'a> {
    top: Fields<'a>,
    media: Fields<'a>,
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

/// Reads the top level into `Scratch::top`, and `mediaCollection` (which must be an object)
/// into `Scratch::media`, keeping the fields the checks look at by name.
fn read_top<'a>(text: &'a str, scratch: &mut Scratch<'a>) -> Option<()> {
    let mut scan = Scan::new(text);
    let Scratch { top, media, event_type, id, timestamp, playhead, session_id, qoe_text, .. } = scratch;
    scan.object(top, &mut |scan, key| {
        if key != "mediaCollection" {
            return Some(None);
        }
        // Kept in `top` with an empty value, in its place: it is written from `media`. Given
        // twice, `top` refuses the second (and `media` has taken the fields of both).
        scan.object(media, &mut |_, _| Some(None))?;
        for (key, value) in media.iter() {
            match key {
                "playhead" => *playhead = Some(value),
                "sessionID" => *session_id = Some(value),
                "qoeDataDetails" => *qoe_text = Some(value),
                _ => {}
            }
        }
        Some(Some(""))
    })?;
    scan.end()?;
    for (key, value) in top.iter() {
        match key {
            "eventType" => *event_type = Some(value),
            "_id" => *id = Some(value),
            "timestamp" => *timestamp = Some(value),
            _ => {}
        }
    }
    Some(())
}

/// A string's text, if it is a JSON string without escapes.
fn plain_str(raw: &str) -> Option<&str> {
    // Short strings: a plain loop costs less than `contains`'s search.
    raw.strip_prefix('"')?.strip_suffix('"').filter(|s| s.bytes().all(|b| b != b'\\'))
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

/// An event this reading took whole; see the module's comment.
pub struct Reading<'s, 'a> {
    pub event_type: EventType,
    mode: Mode,
    scratch: &'s Scratch<'a>,
    /// The caller's `mediaCollection.sessionID` (manual sessions).
    pub session_id: Option<&'a str>,
    /// The caller's playhead: any number (automatic), a whole number (manual, downloaded).
    playhead: Option<&'a str>,
    text: &'a str,
}

/// Reads `text` as a later event (not a sessionStart) of a session in `mode`, with every check
/// of `xdm::prepare` that comes before the player's callback. `None`: not for this reading;
/// the general way takes it (and refuses it, if it is wrong).
pub fn read<'s, 'a>(text: &'a str, mode: Mode, scratch: &'s mut Scratch<'a>) -> Option<Reading<'s, 'a>> {
    read_top(text, scratch)?;
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
    // A `mediaCollection` that is not an object failed `read_top` already.
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
    Some(Reading { event_type, mode, scratch, session_id, playhead, text })
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
        let mut bytes = Vec::with_capacity(OPEN.len() + CLOSE.len() + self.text.len() + 240);
        let mut first = true;
        let mut timestamp = 0..0;
        let unstamped = self.scratch.timestamp.is_none();
        if self.scratch.id.is_none() && unstamped {
            // The common case, in one piece.
            let mut start = *b"{\"events\":[{\"xdm\":{\"_id\":\"00000000-0000-0000-0000-000000000000\",\"timestamp\":\"0000-00-00T00:00:00.000Z\"";
            start[26..62].copy_from_slice(&crate::ids::uuid_text());
            bytes.extend_from_slice(&start);
            timestamp = start.len() - PLACEHOLDER.len()..start.len();
            first = false;
        } else {
            bytes.extend_from_slice(OPEN);
            bytes.push(b'{');
            if self.scratch.id.is_none() {
                let mut id = *b"\"_id\":\"00000000-0000-0000-0000-000000000000\"";
                id[7..43].copy_from_slice(&crate::ids::uuid_text());
                bytes.extend_from_slice(&id);
                first = false;
            }
            if unstamped {
                const PLACE: &[u8] = b",\"timestamp\":";
                bytes.extend_from_slice(if first { &PLACE[1..] } else { PLACE });
                timestamp = bytes.len()..bytes.len() + PLACEHOLDER.len();
                bytes.extend_from_slice(PLACEHOLDER);
                first = false;
            }
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
            if key == "mediaCollection" {
                put_key(&mut bytes, key);
                session_id_at = self.write_media(&mut bytes, &self.scratch.media, playhead, &qoe);
                media_written = true;
                continue;
            }
            let start = bytes.len();
            let value_at = self.put_field(&mut bytes, key, value);
            if key == "timestamp" {
                timestamp = start + value_at..bytes.len();
            }
        }
        if !media_written && qoe.is_empty() {
            // Only an automatic session's event gets this far without one; the common case
            // (no QoE either), with the end of the body, in one piece.
            const HEAD: &[u8] = b",\"mediaCollection\":{\"playhead\":";
            const TAIL: &[u8] = b"}}}]}";
            let mut digits = itoa::Buffer::new();
            let digits = digits.format(playhead).as_bytes();
            let mut end = [0u8; HEAD.len() + 20 + TAIL.len()];
            end[..HEAD.len()].copy_from_slice(HEAD);
            end[HEAD.len()..HEAD.len() + digits.len()].copy_from_slice(digits);
            let len = HEAD.len() + digits.len() + TAIL.len();
            end[HEAD.len() + digits.len()..len].copy_from_slice(TAIL);
            session_id_at = Some(bytes.len() + HEAD.len() - b"\"playhead\":".len());
            bytes.extend_from_slice(&end[..len]);
        } else {
            if !media_written {
                bytes.extend_from_slice(b",\"mediaCollection\":");
                session_id_at = self.write_media(&mut bytes, &Fields::new(), playhead, &qoe);
            }
            bytes.extend_from_slice(b"}}]}");
        }
        let body = Body::assembled(bytes, session_id_at, timestamp, unstamped, added);
        Ok(Written { body, playhead })
    }

    /// Writes the field `"key": value` as the caller wrote it, in one piece: from the key's
    /// opening quote to the value's end (both are slices of the text). Returns where the value
    /// starts in what it wrote.
    fn put_field(&self, bytes: &mut Vec<u8>, key: &str, value: &str) -> usize {
        let base = self.text.as_ptr() as usize;
        let (key_at, value_at) =
            ((key.as_ptr() as usize).wrapping_sub(base), (value.as_ptr() as usize).wrapping_sub(base));
        match self.text.as_bytes().get(key_at.wrapping_sub(1)..value_at.wrapping_add(value.len())) {
            Some(field) if field.first() == Some(&b'"') && value_at > key_at => {
                bytes.extend_from_slice(field);
                value_at - key_at + 1
            }
            // Not slices of the text (cannot happen: the scan reads keys and values as slices of
            // it): piece by piece.
            _ => {
                let start = bytes.len();
                put_key(bytes, key);
                let at = bytes.len() - start;
                bytes.extend_from_slice(value.as_bytes());
                at
            }
        }
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
                self.put_field(bytes, key, value);
            }
            bytes.push(b'}');
            return None;
        }
        let at = bytes.len();
        bytes.extend_from_slice(b"\"playhead\":");
        bytes.extend_from_slice(itoa::Buffer::new().format(playhead).as_bytes());
        for (key, value) in media.iter().filter(|(key, _)| *key != "playhead") {
            bytes.push(b',');
            match key {
                "qoeDataDetails" if !qoe.is_empty() => {
                    put_key(bytes, key);
                    write_qoe(bytes, &self.scratch.qoe, qoe);
                }
                _ => {
                    self.put_field(bytes, key, value);
                }
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

        fn mangle(&mut self, text: &str) -> String {
            let mut bytes = text.as_bytes().to_vec();
            let at = self.next(bytes.len() as u64) as usize;
            let pick = b"{}[]:,\"\\ \t0123456789.eE+-tfnulx\x01";
            let byte = pick[self.next(pick.len() as u64) as usize];
            match self.next(3) {
                0 => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, byte),
                _ => bytes[at] = byte,
            }
            String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
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
        let mut mangled_taken = 0;
        for round in 0..9000 {
            let mode = [Mode::Automatic, Mode::Manual, Mode::Downloaded][round % 3];
            let mut text = gen.document(mode);
            // A third of the documents get a byte changed, cut or added, mostly breaking the
            // JSON (which both ways must refuse) and sometimes not.
            if round % 3 == 1 {
                text = gen.mangle(&text);
            }
            let (fast, general) = both(&text, mode, players[round / 3 % 2]);
            match (fast, general) {
                (None, general) => accepted += usize::from(general.is_ok()),
                (Some(fast), Ok(general)) => {
                    assert_eq!(fast, general, "{mode:?} {text}");
                    taken += 1;
                    accepted += 1;
                    mangled_taken += usize::from(round % 3 == 1);
                }
                (Some(fast), Err(message)) => {
                    assert_eq!(fast, json!({ "error": message }), "{mode:?} {text}: the general way refuses it");
                }
            }
        }
        // The generator makes many documents the fast way must leave alone, but not only those.
        assert!(taken > 700 && taken * 2 > accepted, "only {taken} of 9000 went the fast way ({accepted} accepted)");
        // Some changed documents are still good JSON (a digit for a digit, a space added).
        assert!(mangled_taken > 20, "{mangled_taken}");
    }

    #[test]
    fn special_bytes_are_found_where_a_byte_loop_finds_them() {
        let slow = |b: &[u8]| b.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
        let mut gen = Gen(3);
        for _ in 0..20_000 {
            let len = gen.next(40) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| match gen.next(24) {
                    0 => b'"',
                    1 => b'\\',
                    2 => gen.next(0x20) as u8,
                    3 => 0x80 + gen.next(0x80) as u8,
                    4 => 0x20,
                    5 => 0x7F,
                    _ => b'a' + gen.next(26) as u8,
                })
                .collect();
            assert_eq!(special_at(&text), slow(&text), "{text:?}");
        }
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
        // Odd but good JSON is read.
        let spaced = " \n{ \"eventType\" :\t\"media.play\" , \"mediaCollection\" : { \"x\" : [ 1 , {\"y\":null} ] , \"z\":-0.5e-3 } }\r\n";
        let (fast, general) = both(spaced, Mode::Automatic, details);
        assert_eq!(fast, Some(general.unwrap()));
        // Bad JSON never is; the general way says what is wrong.
        for text in [
            r#"{"eventType":"media.play",}"#,
            r#"{"eventType":"media.play""#,
            r#"{"eventType":"media.play"} x"#,
            r#"{"eventType":"media.play"}}"#,
            r#"{"eventType" "media.play"}"#,
            r#"{"eventType":"media.play",,"x":1}"#,
            r#"[{"eventType":"media.play"}]"#,
            r#"{'eventType':'media.play'}"#,
            r#"{"eventType":"media.play","x":01}"#,
            r#"{"eventType":"media.play","x":1.}"#,
            r#"{"eventType":"media.play","x":-}"#,
            r#"{"eventType":"media.play","x":1e}"#,
            r#"{"eventType":"media.play","x":+1}"#,
            r#"{"eventType":"media.play","x":.5}"#,
            r#"{"eventType":"media.play","x":tru}"#,
            r#"{"eventType":"media.play","x":nul}"#,
            r#"{"eventType":"media.play","x":"a\qb"}"#,
            r#"{"eventType":"media.play","x":"\u12"}"#,
            "{\"eventType\":\"media.play\",\"x\":\"a\u{1}b\"}",
            r#"{"eventType":"media.play","mediaCollection":{"a":[1,]}}"#,
            r#"{"eventType":"media.play","mediaCollection":{"a":{"b":1,}}}"#,
            r#"{"eventType":"media.play","mediaCollection":{"a":1"#,
        ] {
            let (fast, general) = both(text, Mode::Automatic, details);
            assert!(fast.is_none(), "{text}");
            assert!(general.is_err(), "{text}");
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
