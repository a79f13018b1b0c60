//! An event as it goes on the wire: its request body, `{"events":[{"xdm":…}]}`, written once
//! when the event is queued (on the thread that queues it: the caller's, or the scheduler's for
//! a ping), so delivery sends bytes and never builds or serializes a document. Two things are
//! not known then and have their places in the bytes:
//! - the session ID, which the backend gives in its answer to sessionStart and which changes
//!   after a resume: it goes right after `mediaCollection`'s `{` when the request is made;
//! - the timestamp: a placeholder of the timestamp's fixed width, overwritten in place under
//!   the session lock (the text is made before it), so that timestamps never run backwards
//!   along a session's FIFO.
//!
//! A map-shaped event (the library's own, a tracker's, one given as a document) is written by
//! `Body::write`; a caller's text usually by `document`, from slices of the text.

use std::ops::Range;

use serde_json::{Map, Value};

/// Which session ID the event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionIdSlot {
    /// The library's, whatever the document says (automatic sessions).
    Library,
    /// The library's only where the document has none (manual sessions).
    IfAbsent,
    /// None (downloaded sessions: Adobe assigns the ID).
    Never,
}

/// The envelope around the event's document.
pub(crate) const OPEN: &[u8] = b"{\"events\":[{\"xdm\":";
pub(crate) const CLOSE: &[u8] = b"}]}";
/// A timestamp's width: `2026-11-28T01:10:26.123Z`, quoted.
pub(crate) const PLACEHOLDER: &[u8] = b"\"0000-00-00T00:00:00.000Z\"";

#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    bytes: Vec<u8>,
    /// Where `"sessionID":"…"` goes, if it goes anywhere.
    session_id_at: Option<usize>,
    /// The timestamp's JSON value, quotes included.
    timestamp: Range<usize>,
    /// The timestamp is the placeholder, still to be stamped.
    unstamped: bool,
    /// Bytes the library added to the caller's document (`_id`, the timestamp's place).
    added: usize,
}

impl Body {
    /// Writes the request body of `xdm`, giving it an `_id` (`new_id()`) and a place for the
    /// timestamp where it has none.
    pub fn write(xdm: &Map<String, Value>, slot: SessionIdSlot, new_id: impl FnOnce() -> String) -> Body {
        let mut bytes = Vec::with_capacity(OPEN.len() + 160 + 8 * xdm.len());
        bytes.extend_from_slice(OPEN);
        bytes.push(b'{');
        let mut added = 0;
        let mut first = true;
        if !xdm.contains_key("_id") {
            let before = bytes.len();
            bytes.extend_from_slice(b"\"_id\":");
            put_str(&mut bytes, &new_id());
            added += bytes.len() - before;
            first = false;
        }
        let mut timestamp = 0..0;
        let unstamped = !xdm.contains_key("timestamp");
        if unstamped {
            if !first {
                bytes.push(b',');
            }
            let before = bytes.len();
            bytes.extend_from_slice(b"\"timestamp\":");
            timestamp = bytes.len()..bytes.len() + PLACEHOLDER.len();
            bytes.extend_from_slice(PLACEHOLDER);
            added += bytes.len() - before + usize::from(!first);
            first = false;
        }
        let mut session_id_at = None;
        for (index, (key, value)) in xdm.iter().enumerate() {
            if !first {
                bytes.push(b',');
                // The comma between what the library added and the caller's first field.
                added += usize::from(index == 0);
            }
            first = false;
            put_str(&mut bytes, key);
            bytes.push(b':');
            match (key.as_str(), value) {
                ("timestamp", _) => {
                    let start = bytes.len();
                    put_json(&mut bytes, value);
                    timestamp = start..bytes.len();
                }
                ("mediaCollection", Value::Object(media))
                    if slot == SessionIdSlot::Library
                        || (slot == SessionIdSlot::IfAbsent && !media.contains_key("sessionID")) =>
                {
                    bytes.push(b'{');
                    session_id_at = Some(bytes.len());
                    let mut first = true;
                    for (key, value) in media.iter().filter(|(key, _)| key.as_str() != "sessionID") {
                        if !first {
                            bytes.push(b',');
                        }
                        first = false;
                        put_str(&mut bytes, key);
                        bytes.push(b':');
                        put_json(&mut bytes, value);
                    }
                    bytes.push(b'}');
                }
                _ => put_json(&mut bytes, value),
            }
        }
        bytes.push(b'}');
        bytes.extend_from_slice(CLOSE);
        Body { bytes, session_id_at, timestamp, unstamped, added }
    }

    /// A body written elsewhere (`document`, from the caller's text): `bytes` framed as this
    /// module frames them, with the places of the session ID and the timestamp.
    pub(crate) fn assembled(
        bytes: Vec<u8>,
        session_id_at: Option<usize>,
        timestamp: Range<usize>,
        unstamped: bool,
        added: usize,
    ) -> Body {
        debug_assert!(bytes.starts_with(OPEN) && bytes.ends_with(CLOSE));
        Body { bytes, session_id_at, timestamp, unstamped, added }
    }

    /// A body as journaled: its bytes, where the session ID goes and where the timestamp is.
    /// `None` unless those places are where a written body has them (a damaged record).
    pub fn from_parts(bytes: Vec<u8>, session_id_at: Option<usize>, timestamp: Range<usize>) -> Option<Body> {
        let framed = bytes.starts_with(OPEN) && bytes.ends_with(CLOSE);
        let slot_ok = session_id_at.map_or(true, |at| {
            at > 0 && bytes.get(at - 1) == Some(&b'{') && matches!(bytes.get(at), Some(b'}' | b'"'))
        });
        let stamp = bytes.get(timestamp.clone()).filter(|t| t.len() >= 2);
        let stamp_ok = stamp.is_some_and(|t| t[0] == b'"' && t[t.len() - 1] == b'"');
        (framed && slot_ok && stamp_ok).then_some(Body { bytes, session_id_at, timestamp, unstamped: false, added: 0 })
    }

    /// What the journal keeps: the bytes, where the session ID goes, where the timestamp is.
    pub fn parts(&self) -> (&[u8], Option<usize>, Range<usize>) {
        (&self.bytes, self.session_id_at, self.timestamp.clone())
    }

    /// Whether the timestamp's place is still open.
    pub fn unstamped(&self) -> bool {
        self.unstamped
    }

    /// Fills the timestamp's place with `timestamp` (`clock::fixed_timestamp`), if it was left
    /// open: a copy into the placeholder, which has its width.
    pub fn stamp_fixed(&mut self, timestamp: &[u8; 24]) {
        if self.unstamped && self.timestamp.len() == timestamp.len() + 2 {
            self.unstamped = false;
            self.bytes[self.timestamp.start + 1..self.timestamp.end - 1].copy_from_slice(timestamp);
        }
    }

    /// Fills the timestamp's place with `timestamp` (ISO 8601), if it was left open.
    pub fn stamp(&mut self, timestamp: &str) {
        if !self.unstamped {
            return;
        }
        self.unstamped = false;
        let mut quoted = Vec::with_capacity(timestamp.len() + 2);
        put_str(&mut quoted, timestamp);
        let range = self.timestamp.clone();
        if quoted.len() == range.len() {
            self.bytes[range].copy_from_slice(&quoted);
            return;
        }
        // A year past 9999: a wider text than the place kept for it.
        let grown = quoted.len() as isize - range.len() as isize;
        self.bytes.splice(range.clone(), quoted);
        self.timestamp = range.start..(range.end as isize + grown) as usize;
        if let Some(at) = self.session_id_at.as_mut().filter(|at| **at >= range.end) {
            *at = (*at as isize + grown) as usize;
        }
        self.added = (self.added as isize + grown) as usize;
    }

    /// The event's xdm document, read back from the bytes (without the session ID, which is
    /// added when the request is made): what a resume restates of an open chapter or ad.
    pub fn document(&self) -> Option<Map<String, Value>> {
        let xdm = self.bytes.get(OPEN.len()..self.bytes.len().checked_sub(CLOSE.len())?)?;
        serde_json::from_slice(xdm).ok()
    }

    /// The timestamp's value, as the document has it.
    pub fn timestamp(&self) -> Value {
        serde_json::from_slice(&self.bytes[self.timestamp.clone()]).unwrap_or(Value::Null)
    }

    /// The bytes of the caller's document as serialized, without what the library added.
    pub fn document_len(&self) -> usize {
        self.bytes.len() - OPEN.len() - CLOSE.len() - self.added
    }

    /// The request body, with `session_id` where it goes (none: as it is).
    pub fn request(&self, session_id: Option<&str>) -> Vec<u8> {
        let (Some(id), Some(at)) = (session_id, self.session_id_at) else { return self.bytes.clone() };
        let mut body = Vec::with_capacity(self.bytes.len() + id.len() + 16);
        body.extend_from_slice(&self.bytes[..at]);
        body.extend_from_slice(b"\"sessionID\":");
        put_str(&mut body, id);
        if self.bytes[at] != b'}' {
            body.push(b',');
        }
        body.extend_from_slice(&self.bytes[at..]);
        body
    }
}

fn put_json(bytes: &mut Vec<u8>, value: &Value) {
    // Writing a Value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *bytes, value);
}

/// `text` as a JSON string.
fn put_str(bytes: &mut Vec<u8>, text: &str) {
    let _ = serde_json::to_writer(&mut *bytes, text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn parsed(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
    }

    #[test]
    fn the_body_is_the_document_with_an_id_a_timestamp_and_the_session_id() {
        let xdm = map(json!({"eventType": "media.play", "mediaCollection": {"playhead": 7, "sessionID": "theirs"}}));
        let mut body = Body::write(&xdm, SessionIdSlot::Library, || "id-1".into());
        body.stamp("2026-11-28T01:10:26.123Z");
        let sent = parsed(&body.request(Some("s-\"1")));
        assert_eq!(
            sent,
            json!({"events": [{"xdm": {"eventType": "media.play", "_id": "id-1", "timestamp": "2026-11-28T01:10:26.123Z",
                "mediaCollection": {"playhead": 7, "sessionID": "s-\"1"}}}]})
        );
        assert_eq!(body.timestamp(), json!("2026-11-28T01:10:26.123Z"));
        // Without an ID (sessionStart), nothing is added.
        let start = parsed(&body.request(None));
        assert_eq!(start["events"][0]["xdm"]["mediaCollection"], json!({"playhead": 7}));
        // The caller's document as serialized: its own sessionID is replaced, so not counted.
        let own = map(json!({"eventType": "media.play", "mediaCollection": {"playhead": 7}}));
        assert_eq!(body.document_len(), serde_json::to_string(&own).unwrap().len());
    }

    #[test]
    fn a_manual_sessions_own_id_and_the_callers_id_and_timestamp_are_kept() {
        let xdm = map(json!({"_id": "mine", "timestamp": "2020-01-01T00:00:00Z", "eventType": "media.ping",
            "mediaCollection": {"playhead": 1, "sessionID": "given"}}));
        let mut body = Body::write(&xdm, SessionIdSlot::IfAbsent, || unreachable!("the caller gave an _id"));
        body.stamp("2026-11-28T01:10:26.123Z");
        let sent = parsed(&body.request(Some("library")));
        assert_eq!(sent["events"][0]["xdm"], Value::Object(xdm.clone()));
        assert_eq!(body.timestamp(), json!("2020-01-01T00:00:00Z"));
        assert_eq!(body.document_len(), serde_json::to_string(&xdm).unwrap().len());

        let bare = map(json!({"eventType": "media.ping", "mediaCollection": {}}));
        let body = Body::write(&bare, SessionIdSlot::IfAbsent, || "x".into());
        assert_eq!(parsed(&body.request(Some("s")))["events"][0]["xdm"]["mediaCollection"], json!({"sessionID": "s"}));
        let nothing = Body::write(&map(json!({"eventType": "media.ping"})), SessionIdSlot::Library, || "x".into());
        assert!(parsed(&nothing.request(Some("s")))["events"][0]["xdm"].get("mediaCollection").is_none());
    }

    #[test]
    fn a_body_comes_back_from_its_parts_and_damaged_parts_are_refused() {
        let xdm = map(json!({"eventType": "media.play", "mediaCollection": {"playhead": 7}}));
        let mut body = Body::write(&xdm, SessionIdSlot::Library, || "i".into());
        body.stamp("2026-11-28T01:10:26.123Z");
        let (bytes, at, timestamp) = body.parts();
        let back = Body::from_parts(bytes.to_vec(), at, timestamp.clone()).expect("its own parts");
        assert_eq!(back.request(Some("s")), body.request(Some("s")));
        assert_eq!(back.timestamp(), body.timestamp());
        let at = at.unwrap();
        assert!(Body::from_parts(bytes.to_vec(), Some(at + 1), timestamp.clone()).is_none());
        assert!(Body::from_parts(bytes.to_vec(), Some(bytes.len() + 5), timestamp.clone()).is_none());
        assert!(Body::from_parts(bytes.to_vec(), Some(at), timestamp.start + 1..timestamp.end).is_none());
        assert!(Body::from_parts(bytes.to_vec(), Some(at), 0..bytes.len() + 1).is_none());
        assert!(Body::from_parts(bytes[1..].to_vec(), None, timestamp.start - 1..timestamp.end - 1).is_none());
    }

    #[test]
    fn a_wider_timestamp_moves_the_session_ids_place() {
        let xdm = map(json!({"eventType": "media.play", "mediaCollection": {"playhead": 7}}));
        let mut body = Body::write(&xdm, SessionIdSlot::Library, || "i".into());
        body.stamp("10000-01-01T00:00:00.000Z");
        let sent = parsed(&body.request(Some("s")));
        assert_eq!(sent["events"][0]["xdm"]["timestamp"], json!("10000-01-01T00:00:00.000Z"));
        assert_eq!(sent["events"][0]["xdm"]["mediaCollection"], json!({"playhead": 7, "sessionID": "s"}));
        assert_eq!(body.document_len(), serde_json::to_string(&xdm).unwrap().len());
    }
}
