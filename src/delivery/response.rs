//! Reading what the Media Edge API answers: the sessionStart handles and error documents.

use std::time::Duration;

use serde_json::Value;

/// What a successful sessionStart response carries.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStarted {
    pub session_id: String,
    pub location_hint: Option<(String, Duration)>,
}

/// Finds the session ID (first `media-analytics:new-session` handle) and the EdgeNetwork
/// location hint with its TTL.
pub fn parse_session_start(body: &[u8]) -> Result<SessionStarted, String> {
    let root: Value = serde_json::from_slice(body).map_err(|e| format!("sessionStart response is not JSON: {e}"))?;
    let handles = root["handle"].as_array().ok_or("sessionStart response has no handle array")?;
    let session_id = handles
        .iter()
        .filter(|h| h["type"] == "media-analytics:new-session")
        .find_map(|h| h["payload"][0]["sessionId"].as_str())
        .filter(|id| !id.is_empty())
        .ok_or("sessionStart response has no media-analytics:new-session handle with a sessionId")?
        .to_string();
    // The ID goes into every later event and out to the caller as a C string: a hostile or broken
    // backend must not make either carry something else.
    if session_id.len() > MAX_SESSION_ID_BYTES {
        return Err(format!(
            "sessionStart response has a session ID of {} bytes, over the limit of {MAX_SESSION_ID_BYTES}",
            session_id.len()
        ));
    }
    if let Some(bad) = session_id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Err(format!(
            "sessionStart response has a session ID with {bad:?}; expected only A-Z, a-z, 0-9, '.', '_' and '-'"
        ));
    }
    let location_hint = handles
        .iter()
        .filter(|h| h["type"] == "locationHint:result")
        .flat_map(|h| h["payload"].as_array().into_iter().flatten())
        .find(|p| p["scope"] == "EdgeNetwork")
        .and_then(|p| {
            let hint = p["hint"].as_str()?;
            is_location_hint(hint)
                .then(|| (hint.to_string(), Duration::from_secs(p["ttlSeconds"].as_u64().unwrap_or(0))))
        });
    Ok(SessionStarted { session_id, location_hint })
}

/// Longest session ID taken from the backend (Adobe's are 64 hex digits).
const MAX_SESSION_ID_BYTES: usize = 128;

/// Whether `hint` (the backend's or the caller's) can go into a request's path as a location hint (`or2`, `va6`, `irl1`, …).
pub fn is_location_hint(hint: &str) -> bool {
    !hint.is_empty()
        && hint.len() <= crate::limits::MAX_LOCATION_HINT_BYTES
        && hint.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A one-line summary of an error response: the problem's title and the paths it names.
pub fn describe_error(status: u16, body: &[u8]) -> String {
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        return format!("HTTP {status}");
    };
    let mut text = format!("HTTP {status}");
    // 207 on sessionStart carries `errors[]`; 400 and 404 are problem documents.
    let problem = root["errors"].get(0).unwrap_or(&root);
    if let Some(title) = problem["title"].as_str() {
        text.push_str(&format!(": {title}"));
    }
    if let Some(detail) = problem["detail"].as_str() {
        text.push_str(&format!(" ({detail})"));
    }
    if let Some(details) = problem["report"]["details"].as_array() {
        for d in details.iter().take(5) {
            if let (Some(name), Some(reason)) = (d["name"].as_str(), d["reason"].as_str()) {
                text.push_str(&format!("; {name}: {reason}"));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_id_and_location_hint_are_read_from_handles() {
        let body = br#"{"handle":[{"type":"state:store","payload":[]},
            {"type":"media-analytics:new-session","payload":[{"sessionId":"abc"}],"eventIndex":0},
            {"type":"locationHint:result","payload":[{"scope":"Target","hint":"x","ttlSeconds":5},
                {"scope":"EdgeNetwork","hint":"or2","ttlSeconds":1800}]}]}"#;
        let started = parse_session_start(body).unwrap();
        assert_eq!(started.session_id, "abc");
        assert_eq!(started.location_hint, Some(("or2".into(), Duration::from_secs(1800))));
    }

    #[test]
    fn a_response_without_session_id_is_an_error() {
        assert!(parse_session_start(br#"{"handle":[]}"#).is_err());
        assert!(parse_session_start(b"nope").is_err());
    }

    #[test]
    fn errors_are_summarised_with_their_paths() {
        let body =
            br#"{"title":"Invalid request","report":{"details":[{"name":"$.events[0].xdm.x","reason":"Missing"}]}}"#;
        assert_eq!(describe_error(400, body), "HTTP 400: Invalid request; $.events[0].xdm.x: Missing");
    }
}
