//! The emulator's own reading of the Media Edge API's request schema. It is written apart from
//! the library's validation on purpose: the emulator is the referee, not a second copy of the
//! player.

use serde_json::Value;

/// One problem in a request, named by its JSON path the way the real API's `report.details` does.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: String,
    pub reason: String,
}

fn problem(path: &str, reason: &str) -> Problem {
    Problem { path: path.to_string(), reason: reason.to_string() }
}

/// The actions the API serves under `/va/v1/{action}`.
pub const ACTIONS: [&str; 18] = [
    "sessionStart",
    "play",
    "ping",
    "pauseStart",
    "bufferStart",
    "bitrateChange",
    "error",
    "statesUpdate",
    "adBreakStart",
    "adBreakComplete",
    "adStart",
    "adComplete",
    "adSkip",
    "chapterStart",
    "chapterComplete",
    "chapterSkip",
    "sessionComplete",
    "sessionEnd",
];

/// The fields each action needs beyond the common ones: (object under mediaCollection, its fields).
fn required_details(action: &str) -> Option<(&'static str, &'static [&'static str])> {
    Some(match action {
        "sessionStart" => ("sessionDetails", &["name", "playerName", "length", "channel", "contentType"][..]),
        "adBreakStart" => ("advertisingPodDetails", &["index", "offset"][..]),
        "adStart" => ("advertisingDetails", &["name", "length", "playerName", "podPosition"][..]),
        "chapterStart" => ("chapterDetails", &["index", "length", "offset"][..]),
        "error" => ("errorDetails", &["name", "source"][..]),
        "bitrateChange" => ("qoeDataDetails", &[][..]),
        _ => return None,
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, the only timestamp shape the emulator accepts.
pub fn parse_timestamp_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || *b.last()? != b'Z' || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let millis = match &text[19..text.len() - 1] {
        "" => 0,
        frac if frac.starts_with('.') && frac.len() >= 2 => {
            let digits = &frac[1..];
            if !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let padded = format!("{digits:0<3}");
            padded[..3].parse::<i64>().ok()?
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

fn check_string(value: Option<&Value>, path: &str, out: &mut Vec<Problem>) {
    match value {
        None => out.push(problem(path, "Missing required field")),
        Some(Value::String(s)) if !s.is_empty() => {}
        Some(_) => out.push(problem(path, "Expected a non-empty string")),
    }
}

fn check_detail_field(field: &str, value: Option<&Value>, path: &str, out: &mut Vec<Problem>) {
    match field {
        "length" | "offset" => match value {
            None => out.push(problem(path, "Missing required field")),
            Some(v) if v.as_f64().map(|n| n >= 0.0).unwrap_or(false) => {}
            Some(_) => out.push(problem(path, "Expected a non-negative number")),
        },
        "index" | "podPosition" => match value {
            None => out.push(problem(path, "Missing required field")),
            Some(v) if v.as_i64().map(|n| n >= 0).unwrap_or(false) => {}
            Some(_) => out.push(problem(path, "Expected a non-negative integer")),
        },
        _ => check_string(value, path, out),
    }
}

fn check_states(media: &serde_json::Map<String, Value>, out: &mut Vec<Problem>) {
    let mut any = false;
    for key in ["statesStart", "statesEnd"] {
        let Some(list) = media.get(key) else { continue };
        let base = format!("$.events[0].xdm.mediaCollection.{key}");
        let Some(items) = list.as_array() else {
            out.push(problem(&base, "Expected an array"));
            continue;
        };
        any |= !items.is_empty();
        for (i, item) in items.iter().enumerate() {
            check_string(item.get("name"), &format!("{base}[{i}].name"), out);
        }
    }
    if !any {
        out.push(problem("$.events[0].xdm.mediaCollection.statesStart", "Missing required field"));
    }
}

/// Checks one request body for `action`. Returns the parsed xdm on success.
/// The Experience Platform's shape of an identity map: namespaces to lists of identities, each
/// with a non-empty `id`, an `authenticatedState` among three, and at most one primary in all.
fn check_identity_map(map: &Value, out: &mut Vec<Problem>) {
    let base = "$.events[0].xdm.identityMap";
    let Some(namespaces) = map.as_object() else {
        out.push(problem(base, "Expected an object"));
        return;
    };
    let mut primaries = 0;
    for (namespace, list) in namespaces {
        let Some(list) = list.as_array().filter(|l| !l.is_empty()) else {
            out.push(problem(&format!("{base}.{namespace}"), "Expected a non-empty array"));
            continue;
        };
        for (i, identity) in list.iter().enumerate() {
            let at = format!("{base}.{namespace}[{i}]");
            match identity.get("id").and_then(Value::as_str) {
                Some(id) if !id.is_empty() => {}
                _ => out.push(problem(&format!("{at}.id"), "Expected a non-empty string")),
            }
            match identity.get("authenticatedState").and_then(Value::as_str) {
                None | Some("ambiguous" | "authenticated" | "loggedOut") => {}
                Some(_) => out.push(problem(&format!("{at}.authenticatedState"), "Unknown state")),
            }
            primaries += usize::from(identity.get("primary") == Some(&Value::Bool(true)));
        }
    }
    if primaries > 1 {
        out.push(problem(base, "More than one primary identity"));
    }
}

pub fn validate(action: &str, body: &[u8]) -> Result<Value, Vec<Problem>> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| vec![problem("$", &format!("Body is not valid JSON: {e}"))])?;
    let events = root
        .get("events")
        .and_then(Value::as_array)
        .ok_or_else(|| vec![problem("$.events", "Missing required field")])?;
    if events.len() != 1 {
        return Err(vec![problem("$.events", "Expected exactly one event")]);
    }
    let xdm = events[0]
        .get("xdm")
        .and_then(Value::as_object)
        .ok_or_else(|| vec![problem("$.events[0].xdm", "Missing required field")])?;
    let mut out = Vec::new();
    let expected_type = format!("media.{action}");
    match xdm.get("eventType").and_then(Value::as_str) {
        Some(t) if t == expected_type => {}
        Some(_) => out.push(problem("$.events[0].xdm.eventType", &format!("Expected {expected_type}"))),
        None => out.push(problem("$.events[0].xdm.eventType", "Missing required field")),
    }
    match xdm.get("timestamp") {
        None => out.push(problem("$.events[0].xdm.timestamp", "Missing required field")),
        Some(Value::String(s)) if parse_timestamp_ms(s).is_some() => {}
        Some(_) => out.push(problem("$.events[0].xdm.timestamp", "Expected an ISO-8601 UTC date-time")),
    }
    let Some(media) = xdm.get("mediaCollection").and_then(Value::as_object) else {
        out.push(problem("$.events[0].xdm.mediaCollection", "Missing required field"));
        return Err(out);
    };
    match media.get("playhead") {
        None => out.push(problem("$.events[0].xdm.mediaCollection.playhead", "Missing required field")),
        Some(v) if v.as_i64().map(|n| n >= 0).unwrap_or(false) => {}
        Some(_) => out.push(problem("$.events[0].xdm.mediaCollection.playhead", "Expected a non-negative integer")),
    }
    if action != "sessionStart" {
        check_string(media.get("sessionID"), "$.events[0].xdm.mediaCollection.sessionID", &mut out);
    }
    if let Some((object, fields)) = required_details(action) {
        let base = format!("$.events[0].xdm.mediaCollection.{object}");
        match media.get(object).and_then(Value::as_object) {
            None => out.push(problem(&base, "Missing required field")),
            Some(details) => {
                for field in fields {
                    check_detail_field(field, details.get(*field), &format!("{base}.{field}"), &mut out);
                }
            }
        }
    }
    if action == "statesUpdate" {
        check_states(media, &mut out);
    }
    if let Some(map) = xdm.get("identityMap") {
        check_identity_map(map, &mut out);
    }
    if out.is_empty() {
        Ok(Value::Object(xdm.clone()))
    } else {
        Err(out)
    }
}

/// One element of a `downloaded` request read as the online events it stands for, each
/// `{"eventType", "timestamp", "mediaCollection"}`, or the problems that refuse it.
pub type DownloadedElement = Result<Vec<Value>, Vec<Problem>>;

/// A `downloaded` request: one finished session per element of `events[]`, each an XDM event
/// of type `media.downloaded` whose `mediaDownloadedEvents[]` entries are
/// `{mediaEventTimestamp, mediaEventType, mediaCollection}`, starting with a sessionStart and
/// carrying no session ID (Adobe assigns it). Each entry is checked as the online event of its
/// type would be. `Err` refuses the whole request (not JSON, no `events`).
pub fn validate_downloaded(body: &[u8]) -> Result<Vec<DownloadedElement>, Vec<Problem>> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| vec![problem("$", &format!("Body is not valid JSON: {e}"))])?;
    let events = root
        .get("events")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| vec![problem("$.events", "Missing required field")])?;
    Ok(events.iter().enumerate().map(|(i, element)| downloaded_element(i, element)).collect())
}

fn downloaded_element(i: usize, element: &Value) -> DownloadedElement {
    let base = format!("$.events[{i}].xdm");
    let xdm =
        element.get("xdm").and_then(Value::as_object).ok_or_else(|| vec![problem(&base, "Missing required field")])?;
    let mut out = Vec::new();
    if xdm.get("eventType").and_then(Value::as_str) != Some("media.downloaded") {
        out.push(problem(&format!("{base}.eventType"), "Expected media.downloaded"));
    }
    if let Some(map) = xdm.get("identityMap") {
        check_identity_map(map, &mut out);
    }
    let entries = match xdm.get("mediaDownloadedEvents").and_then(Value::as_array) {
        Some(entries) if !entries.is_empty() => entries,
        _ => {
            out.push(problem(&format!("{base}.mediaDownloadedEvents"), "Missing required field"));
            return Err(out);
        }
    };
    let mut online = Vec::with_capacity(entries.len());
    for (j, entry) in entries.iter().enumerate() {
        let at = format!("{base}.mediaDownloadedEvents[{j}]");
        let event_type = entry.get("mediaEventType").and_then(Value::as_str).unwrap_or_default();
        let Some(action) = event_type.strip_prefix("media.").filter(|a| ACTIONS.contains(a)) else {
            out.push(problem(&format!("{at}.mediaEventType"), "Expected a media event type"));
            continue;
        };
        if j == 0 && action != "sessionStart" {
            out.push(problem(&format!("{at}.mediaEventType"), "A downloaded session starts with media.sessionStart"));
        }
        let media = entry.get("mediaCollection").cloned().unwrap_or(Value::Null);
        if media.get("sessionID").is_some() {
            out.push(problem(&format!("{at}.mediaCollection.sessionID"), "Not allowed: Adobe assigns the session ID"));
        }
        // Checked as the online event: with a session ID where that needs one.
        let mut as_online = media.clone();
        if let (Value::Object(m), true) = (&mut as_online, action != "sessionStart") {
            m.insert("sessionID".into(), Value::from("downloaded"));
        }
        let timestamp = entry.get("mediaEventTimestamp").cloned().unwrap_or(Value::Null);
        let body = serde_json::json!({"events": [{"xdm": {"eventType": event_type, "timestamp": timestamp,
            "mediaCollection": as_online}}]});
        match validate(action, body.to_string().as_bytes()) {
            Ok(_) => online
                .push(serde_json::json!({"eventType": event_type, "timestamp": timestamp, "mediaCollection": media})),
            Err(problems) => out.extend(problems.into_iter().map(|p| {
                Problem {
                    path: p
                        .path
                        .replace("$.events[0].xdm.timestamp", &format!("{at}.mediaEventTimestamp"))
                        .replace("$.events[0].xdm", &at),
                    reason: p.reason,
                }
            })),
        }
    }
    if out.is_empty() {
        Ok(online)
    } else {
        Err(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_downloaded_request_is_checked_session_by_session() {
        let start = r#"{"mediaEventTimestamp":"2026-01-01T00:00:00Z","mediaEventType":"media.sessionStart",
            "mediaCollection":{"playhead":0,"sessionDetails":{"name":"n","length":1,"contentType":"vod","playerName":"p","channel":"c"}}}"#;
        let play = r#"{"mediaEventTimestamp":"2026-01-01T00:00:01Z","mediaEventType":"media.play","mediaCollection":{"playhead":1}}"#;
        let body = format!(
            r#"{{"events":[{{"xdm":{{"eventType":"media.downloaded","mediaDownloadedEvents":[{start},{play}]}}}},
                {{"xdm":{{"eventType":"media.downloaded","mediaDownloadedEvents":[{play}]}}}},
                {{"xdm":{{"eventType":"media.downloaded","mediaDownloadedEvents":[{start},
                  {{"mediaEventTimestamp":"x","mediaEventType":"media.play","mediaCollection":{{"playhead":1,"sessionID":"s"}}}}]}}}}]}}"#
        );
        let sessions = validate_downloaded(body.as_bytes()).unwrap();
        assert_eq!(sessions[0].as_ref().unwrap().len(), 2);
        let first = sessions[1].as_ref().unwrap_err();
        assert_eq!(first[0].path, "$.events[1].xdm.mediaDownloadedEvents[0].mediaEventType");
        let paths: Vec<&str> = sessions[2].as_ref().unwrap_err().iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "$.events[2].xdm.mediaDownloadedEvents[1].mediaCollection.sessionID",
                "$.events[2].xdm.mediaDownloadedEvents[1].mediaEventTimestamp"
            ]
        );
        assert!(validate_downloaded(br#"{"events":[]}"#).is_err());
    }

    #[test]
    fn timestamps_parse_to_unix_millis() {
        assert_eq!(parse_timestamp_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp_ms("2026-11-28T01:10:26.123Z"), Some(1_795_828_226_123));
        assert_eq!(parse_timestamp_ms("2026-11-28 01:10:26Z"), None);
        assert_eq!(parse_timestamp_ms("2026-13-28T01:10:26Z"), None);
    }

    #[test]
    fn identity_maps_need_ids_and_one_primary_at_most() {
        let body = |map: &str| {
            format!(
                r#"{{"events":[{{"xdm":{{"eventType":"media.sessionStart","timestamp":"2026-01-01T00:00:00Z","identityMap":{map},
                "mediaCollection":{{"playhead":0,"sessionDetails":{{"name":"n","length":1,"contentType":"vod","playerName":"p","channel":"c"}}}}}}}}]}}"#
            )
        };
        assert!(validate("sessionStart", body(r#"{"FPID":[{"id":"x","primary":true}]}"#).as_bytes()).is_ok());
        let problems = validate(
            "sessionStart",
            body(r#"{"A":[{"id":"","primary":true}],"B":[{"id":"y","primary":true}]}"#).as_bytes(),
        )
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["$.events[0].xdm.identityMap.A[0].id", "$.events[0].xdm.identityMap"]);
    }

    #[test]
    fn play_without_session_id_names_the_field() {
        let body = br#"{"events":[{"xdm":{"eventType":"media.play","timestamp":"2026-01-01T00:00:00Z","mediaCollection":{"playhead":3}}}]}"#;
        let problems = validate("play", body).unwrap_err();
        assert_eq!(problems[0].path, "$.events[0].xdm.mediaCollection.sessionID");
    }
}
