//! XDM media events: the 18 event types, the payload the caller hands in, the fields the library
//! fills in, and the checks every event passes before anything is queued.

use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::{describe, Error, ErrorKind, Result};

macro_rules! event_types {
    ($($variant:ident => $action:literal),+ $(,)?) => {
        /// A media event type; its action is the last segment of `/va/v1/{action}`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventType { $($variant),+ }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),+];

            /// `play`, `adStart`, … as in the request path.
            pub fn action(self) -> &'static str {
                match self { $(EventType::$variant => $action),+ }
            }

            /// `media.play`, `media.adStart`, … as in `xdm.eventType`.
            pub fn xdm_name(self) -> &'static str {
                match self { $(EventType::$variant => concat!("media.", $action)),+ }
            }

            pub fn from_xdm_name(name: &str) -> Option<EventType> {
                let action = name.strip_prefix("media.")?;
                match action { $($action => Some(EventType::$variant),)+ _ => None }
            }
        }
    };
}

event_types! {
    SessionStart => "sessionStart",
    Play => "play",
    Ping => "ping",
    PauseStart => "pauseStart",
    BufferStart => "bufferStart",
    BitrateChange => "bitrateChange",
    Error => "error",
    StatesUpdate => "statesUpdate",
    AdBreakStart => "adBreakStart",
    AdBreakComplete => "adBreakComplete",
    AdStart => "adStart",
    AdComplete => "adComplete",
    AdSkip => "adSkip",
    ChapterStart => "chapterStart",
    ChapterComplete => "chapterComplete",
    ChapterSkip => "chapterSkip",
    SessionComplete => "sessionComplete",
    SessionEnd => "sessionEnd",
}

impl EventType {
    pub fn ends_session(self) -> bool {
        matches!(self, EventType::SessionEnd | EventType::SessionComplete)
    }

    /// Events that open or close the session, an ad break, an ad or a chapter: never dropped
    /// silently to make room.
    pub fn is_lifecycle(self) -> bool {
        use EventType::*;
        matches!(
            self,
            SessionStart
                | SessionEnd
                | SessionComplete
                | AdBreakStart
                | AdBreakComplete
                | AdStart
                | AdComplete
                | AdSkip
                | ChapterStart
                | ChapterComplete
                | ChapterSkip
        )
    }
}

/// What the player-details callback reports: the playhead in seconds and optional QoE figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PlayerDetails {
    pub playhead: f64,
    pub qoe: Qoe,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Qoe {
    pub bitrate: Option<f64>,
    pub dropped_frames: Option<f64>,
    pub frames_per_second: Option<f64>,
    pub time_to_start: Option<f64>,
}

impl Qoe {
    pub(crate) fn fields(&self) -> [(&'static str, Option<f64>); 4] {
        [
            ("bitrate", self.bitrate),
            ("droppedFrames", self.dropped_frames),
            ("framesPerSecond", self.frames_per_second),
            ("timeToStart", self.time_to_start),
        ]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bitrate.is_none()
            && self.dropped_frames.is_none()
            && self.frames_per_second.is_none()
            && self.time_to_start.is_none()
    }
}

/// Who supplies playhead and session ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The library reads the playhead from the player-details callback and adds the session ID.
    Automatic,
    /// The caller puts `playhead` and `sessionID` in every event.
    Manual,
    /// Offline playback: the caller puts `playhead` in every event and no `sessionID` (Adobe
    /// assigns one when the finished session is sent, in one request, to the `downloaded`
    /// endpoint).
    Downloaded,
}

/// An event that passed every check, ready to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub event_type: EventType,
    pub xdm: Map<String, Value>,
    pub playhead: i64,
}

pub(crate) fn invalid(path: &str, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidEvent, format!("{path}: {message}"))
}

/// A value as it appears in a message, cut short if long.
/// Parses the caller's xdm document; it must be a JSON object.
pub fn parse_document(text: &str) -> Result<Map<String, Value>> {
    crate::limits::check_len("xdm", text.len(), crate::limits::MAX_XDM_BYTES)?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(invalid("xdm", format!("expected a JSON object, got {}", describe(&other)))),
        Err(e) => Err(invalid("xdm", format!("not valid JSON: {e}"))),
    }
}

fn object_at<'a>(parent: &'a mut Map<String, Value>, key: &str, path: &str) -> Result<&'a mut Map<String, Value>> {
    let slot = parent.entry(key.to_string()).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        // Described only on failure: serializing a large object on every event was a
        // measurable share of a send's cost.
        return Err(invalid(path, format!("expected an object, got {}", describe(slot))));
    }
    Ok(slot.as_object_mut().expect("checked to be an object"))
}

fn set_default(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        map.entry(key.to_string()).or_insert_with(|| Value::String(value.to_string()));
    }
}

fn require_string(map: &Map<String, Value>, key: &str, path: &str) -> Result<()> {
    match map.get(key) {
        None | Some(Value::Null) => Err(invalid(path, "required")),
        Some(Value::String(s)) if !s.is_empty() => Ok(()),
        Some(v) => Err(invalid(path, format!("expected a non-empty string, got {}", describe(v)))),
    }
}

fn require_number(map: &Map<String, Value>, key: &str, path: &str, integer: bool) -> Result<()> {
    match map.get(key) {
        None | Some(Value::Null) => Err(invalid(path, "required")),
        Some(v) if integer && v.as_u64().is_some() => Ok(()),
        Some(v) if !integer && v.as_f64().map(|n| n >= 0.0).unwrap_or(false) => Ok(()),
        Some(v) => Err(invalid(
            path,
            format!("expected a non-negative {}, got {}", if integer { "integer" } else { "number" }, describe(v)),
        )),
    }
}

/// Per field: its name and whether it must be a whole number (`Some(true)`), any number
/// (`Some(false)`) or a string (`None`).
pub(crate) type RequiredFields = &'static [(&'static str, Option<bool>)];

/// The detail object each event type requires, and its required fields.
pub(crate) fn required_details(event_type: EventType) -> Option<(&'static str, RequiredFields)> {
    Some(match event_type {
        EventType::SessionStart => (
            "sessionDetails",
            &[("name", None), ("playerName", None), ("length", Some(false)), ("channel", None), ("contentType", None)]
                [..],
        ),
        EventType::AdBreakStart => ("advertisingPodDetails", &[("index", Some(true)), ("offset", Some(false))][..]),
        EventType::AdStart => (
            "advertisingDetails",
            &[("name", None), ("length", Some(false)), ("playerName", None), ("podPosition", Some(true))][..],
        ),
        EventType::ChapterStart => {
            ("chapterDetails", &[("index", Some(true)), ("length", Some(false)), ("offset", Some(false))][..])
        }
        EventType::Error => ("errorDetails", &[("name", None), ("source", None)][..]),
        EventType::BitrateChange => ("qoeDataDetails", &[][..]),
        _ => return None,
    })
}

fn check_states(media: &Map<String, Value>) -> Result<()> {
    let mut any = false;
    for key in ["statesStart", "statesEnd"] {
        let Some(list) = media.get(key) else { continue };
        let path = format!("mediaCollection.{key}");
        let items =
            list.as_array().ok_or_else(|| invalid(&path, format!("expected an array, got {}", describe(list))))?;
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let obj = item.as_object().ok_or_else(|| invalid(&item_path, "expected an object"))?;
            require_string(obj, "name", &format!("{item_path}.name"))?;
        }
        any |= !items.is_empty();
    }
    if any {
        Ok(())
    } else {
        Err(invalid("mediaCollection.statesStart", "statesUpdate needs a non-empty statesStart or statesEnd"))
    }
}

/// Checks the fields the Media Edge API requires for `event_type`. With `qoe_later`, a missing
/// qoeDataDetails is let through: the player callback may still supply it.
fn check_required(event_type: EventType, media: &Map<String, Value>, qoe_later: bool) -> Result<()> {
    if let Some((object, fields)) = required_details(event_type) {
        if qoe_later && object == "qoeDataDetails" && !media.contains_key(object) {
            return Ok(());
        }
        let path = format!("mediaCollection.{object}");
        let details = match media.get(object) {
            None | Some(Value::Null) => return Err(invalid(&path, "required")),
            Some(Value::Object(map)) => map,
            Some(v) => return Err(invalid(&path, format!("expected an object, got {}", describe(v)))),
        };
        for (field, kind) in fields {
            let checked = match kind {
                None => require_string(details, field, ""),
                Some(integer) => require_number(details, field, "", *integer),
            };
            // The path is only spelled out for a failure.
            checked.map_err(|e| invalid(&format!("{path}.{field}"), e.message.trim_start_matches(": ")))?;
        }
    }
    if event_type == EventType::StatesUpdate {
        check_states(media)?;
    }
    Ok(())
}

fn merge_qoe(media: &mut Map<String, Value>, qoe: &Qoe) -> Result<()> {
    if qoe.is_empty() {
        return Ok(());
    }
    let details = object_at(media, "qoeDataDetails", "mediaCollection.qoeDataDetails")?;
    for (key, value) in qoe.fields() {
        if let Some(n) = value.and_then(serde_json::Number::from_f64) {
            // A QoE figure the caller set in the event itself wins over the callback's.
            details.entry(key.to_string()).or_insert(Value::Number(round_if_whole(n)));
        }
    }
    Ok(())
}

pub(crate) fn round_if_whole(n: serde_json::Number) -> serde_json::Number {
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => serde_json::Number::from(f as i64),
        _ => n,
    }
}

/// The playhead as the API wants it: whole seconds, never negative.
pub fn round_playhead(seconds: f64) -> i64 {
    if seconds.is_finite() && seconds > 0.0 {
        seconds.round().min(i64::MAX as f64) as i64
    } else {
        0
    }
}

/// What the event must be: the session's first, or any later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Start,
    Later,
}

/// Turns the caller's xdm into a checked event: fills in the configuration defaults, checks every
/// field the API requires, and only then, in automatic mode, asks `player` for playhead and QoE
/// (so a refused event costs the player no callback). The timestamp and, in automatic mode,
/// the session ID are added when the event is queued.
pub fn prepare(
    mut xdm: Map<String, Value>,
    position: Position,
    mode: Mode,
    player: impl FnOnce() -> Option<PlayerDetails>,
    config: &Config,
) -> Result<Prepared> {
    let event_type = match (xdm.get("eventType"), position) {
        (None, Position::Start) => EventType::SessionStart,
        (None, Position::Later) => return Err(invalid("eventType", "required")),
        (Some(Value::String(name)), _) => EventType::from_xdm_name(name)
            .ok_or_else(|| invalid("eventType", format!("unknown media event type \"{name}\"")))?,
        (Some(v), _) => return Err(invalid("eventType", format!("expected a string, got {}", describe(v)))),
    };
    match (position, event_type) {
        (Position::Start, EventType::SessionStart) => {}
        (Position::Start, other) => {
            return Err(invalid(
                "eventType",
                format!("a session starts with media.sessionStart, got {}", other.xdm_name()),
            ))
        }
        (Position::Later, EventType::SessionStart) => {
            return Err(invalid("eventType", "media.sessionStart is sent when the session is created"))
        }
        _ => {}
    }
    xdm.insert("eventType".into(), Value::String(event_type.xdm_name().into()));
    // The library gives every event an `_id`; one the caller set is kept, so it must be usable.
    if let Some(id) = xdm.get("_id") {
        if !id.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 128) {
            return Err(invalid(
                "_id",
                format!("expected a non-empty string of at most 128 bytes, got {}", describe(id)),
            ));
        }
    }
    if let Some(ts) = xdm.get("timestamp") {
        let ok = ts.as_str().map(is_iso8601_utc).unwrap_or(false);
        if !ok {
            return Err(invalid("timestamp", format!("expected an ISO-8601 UTC date-time, got {}", describe(ts))));
        }
    }
    // A session's own identity replaces the client's: checked by the same rules.
    if let (EventType::SessionStart, Some(map)) = (event_type, xdm.get("identityMap")) {
        crate::identity::check_map("identityMap", map).map_err(|e| Error::new(ErrorKind::InvalidEvent, e))?;
    }
    let media = object_at(&mut xdm, "mediaCollection", "mediaCollection")?;
    match event_type {
        EventType::SessionStart => {
            let session = object_at(media, "sessionDetails", "mediaCollection.sessionDetails")?;
            set_default(session, "playerName", Some(&config.player_name));
            set_default(session, "channel", Some(&config.channel));
            set_default(session, "appVersion", config.app_version.as_deref());
            // Adobe's native SDKs say so on every sessionStart that is not a resume.
            session.entry("hasResume").or_insert(Value::Bool(false));
        }
        EventType::AdStart => {
            let ad = object_at(media, "advertisingDetails", "mediaCollection.advertisingDetails")?;
            set_default(ad, "playerName", Some(&config.player_name));
        }
        _ => {}
    }
    let playhead = match mode {
        Mode::Automatic => {
            if media.contains_key("sessionID") {
                return Err(invalid(
                    "mediaCollection.sessionID",
                    "set by the library in automatic sessions; leave it out",
                ));
            }
            check_required(event_type, media, true)?;
            // A playhead the caller put in the event wins over the callback's, as in the Web SDK
            // (and as the caller's QoE figures do); the callback still supplies the QoE.
            let given = match media.contains_key("playhead") {
                true => {
                    require_number(media, "playhead", "mediaCollection.playhead", false)?;
                    media["playhead"].as_f64()
                }
                false => None,
            };
            let details = player().unwrap_or_default();
            let playhead = round_playhead(given.unwrap_or(details.playhead));
            media.insert("playhead".into(), Value::from(playhead));
            merge_qoe(media, &details.qoe)?;
            check_required(event_type, media, false)?;
            playhead
        }
        Mode::Manual => {
            require_number(media, "playhead", "mediaCollection.playhead", true)?;
            if event_type != EventType::SessionStart {
                require_string(media, "sessionID", "mediaCollection.sessionID")?;
            }
            check_required(event_type, media, false)?;
            media["playhead"].as_i64().unwrap_or(0)
        }
        Mode::Downloaded => {
            if media.contains_key("sessionID") {
                return Err(invalid(
                    "mediaCollection.sessionID",
                    "a downloaded session has none (Adobe assigns it when the session is sent); leave it out",
                ));
            }
            require_number(media, "playhead", "mediaCollection.playhead", true)?;
            check_required(event_type, media, false)?;
            media["playhead"].as_i64().unwrap_or(0)
        }
    };
    Ok(Prepared { event_type, xdm, playhead })
}

/// A ping, made by the library for an automatic session.
pub fn ping(details: &PlayerDetails) -> Prepared {
    let mut media = Map::new();
    let playhead = round_playhead(details.playhead);
    media.insert("playhead".into(), Value::from(playhead));
    // A ping cannot fail QoE merging: the map was just made.
    let _ = merge_qoe(&mut media, &details.qoe);
    let mut xdm = Map::new();
    xdm.insert("eventType".into(), Value::String(EventType::Ping.xdm_name().into()));
    xdm.insert("mediaCollection".into(), Value::Object(media));
    Prepared { event_type: EventType::Ping, xdm, playhead }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff…]Z`.
pub(crate) fn is_iso8601_utc(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).map(|s| s.iter().all(u8::is_ascii_digit)).unwrap_or(false);
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[b.len() - 1] == b'Z'
        && (b.len() == 20 || (b[19] == b'.' && b.len() > 21 && digits(20..b.len() - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_json(
            r#"{"datastreamId":"ds","streamingMedia":{"channel":"tv","playerName":"p","appVersion":"1.2"}}"#,
        )
        .unwrap()
    }

    fn prep(text: &str, position: Position, mode: Mode) -> Result<Prepared> {
        let details = PlayerDetails { playhead: 12.6, qoe: Qoe { bitrate: Some(3000.0), ..Qoe::default() } };
        prepare(parse_document(text)?, position, mode, || Some(details), &config())
    }

    #[test]
    fn every_event_type_round_trips_its_name() {
        assert_eq!(EventType::ALL.len(), 18);
        for t in EventType::ALL {
            assert_eq!(EventType::from_xdm_name(t.xdm_name()), Some(*t));
            assert_eq!(t.xdm_name(), format!("media.{}", t.action()));
        }
    }

    #[test]
    fn automatic_start_gets_defaults_rounded_playhead_and_qoe() {
        let p = prep(
            r#"{"mediaCollection":{"sessionDetails":{"name":"v","length":60,"contentType":"VOD","channel":"mine"}}}"#,
            Position::Start,
            Mode::Automatic,
        )
        .unwrap();
        let media = &p.xdm["mediaCollection"];
        assert_eq!(media["playhead"], 13);
        assert_eq!(media["sessionDetails"]["playerName"], "p");
        assert_eq!(media["sessionDetails"]["channel"], "mine", "the caller's field wins");
        assert_eq!(media["sessionDetails"]["appVersion"], "1.2");
        assert_eq!(media["qoeDataDetails"]["bitrate"], 3000);
        assert_eq!(p.xdm["eventType"], "media.sessionStart");
    }

    #[test]
    fn manual_events_need_integer_playhead_and_session_id() {
        let err = prep(
            r#"{"eventType":"media.play","mediaCollection":{"playhead":1.5,"sessionID":"s"}}"#,
            Position::Later,
            Mode::Manual,
        )
        .unwrap_err();
        assert_eq!(err.message, "mediaCollection.playhead: expected a non-negative integer, got 1.5");
        let err = prep(r#"{"eventType":"media.play","mediaCollection":{"playhead":1}}"#, Position::Later, Mode::Manual)
            .unwrap_err();
        assert_eq!(err.message, "mediaCollection.sessionID: required");
    }

    #[test]
    fn ad_start_gets_the_player_name() {
        let p = prep(
            r#"{"eventType":"media.adStart","mediaCollection":{"advertisingDetails":{"name":"a","length":15,"podPosition":1}}}"#,
            Position::Later,
            Mode::Automatic,
        )
        .unwrap();
        assert_eq!(p.xdm["mediaCollection"]["advertisingDetails"]["playerName"], "p");
    }

    #[test]
    fn iso_timestamps_are_recognised() {
        assert!(is_iso8601_utc("2026-11-28T01:10:26.123Z"));
        assert!(is_iso8601_utc("2026-11-28T01:10:26Z"));
        assert!(!is_iso8601_utc("2026-11-28T01:10:26.Z"));
        assert!(!is_iso8601_utc("2026-11-28 01:10:26Z"));
    }
}
