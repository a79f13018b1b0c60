//! Every event type missing each required field is refused with the field named, and nothing
//! reaches the server; configuration errors name their path.

mod common;

use common::*;
use mediaedge::{Client, ClockChoice, ErrorKind};
use mediaedge_emulator::Emulator;
use serde_json::{json, Value};

/// A complete, valid xdm for every event type a caller may send.
fn valid_events() -> Vec<(&'static str, Value)> {
    vec![
        ("play", json!({})),
        ("ping", json!({})),
        ("pauseStart", json!({})),
        ("bufferStart", json!({})),
        ("bitrateChange", json!({"qoeDataDetails": {"bitrate": 3000}})),
        ("error", json!({"errorDetails": {"name": "E1", "source": "player"}})),
        ("statesUpdate", json!({"statesStart": [{"name": "fullscreen"}]})),
        ("adBreakStart", json!({"advertisingPodDetails": {"index": 1, "offset": 0}})),
        ("adBreakComplete", json!({})),
        ("adStart", json!({"advertisingDetails": {"name": "ad", "length": 15, "playerName": "x", "podPosition": 1}})),
        ("adComplete", json!({})),
        ("adSkip", json!({})),
        ("chapterStart", json!({"chapterDetails": {"index": 1, "length": 30, "offset": 0}})),
        ("chapterComplete", json!({})),
        ("chapterSkip", json!({})),
        ("sessionComplete", json!({})),
        ("sessionEnd", json!({})),
    ]
}

fn xdm(event_type: &str, media: &Value) -> String {
    json!({"eventType": format!("media.{event_type}"), "mediaCollection": media}).to_string()
}

/// Every (object, field) path below `media` that is a leaf the API requires.
fn required_leaves(media: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(map) = media.as_object() {
        for (object, inner) in map {
            match inner {
                // bitrateChange needs the QoE object, whichever figures it holds.
                Value::Object(fields) if !fields.is_empty() && object != "qoeDataDetails" => {
                    for field in fields.keys() {
                        // playerName is filled from the configuration when missing.
                        if field != "playerName" {
                            out.push((object.clone(), field.clone()));
                        }
                    }
                }
                _ => out.push((object.clone(), String::new())),
            }
        }
    }
    out
}

#[test]
fn each_event_type_missing_each_required_field_is_refused_and_nothing_is_sent() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    let before = emulator.media_requests().len();
    let mut checked = 0;
    for (event_type, media) in valid_events() {
        for (object, field) in required_leaves(&media) {
            let mut broken = media.clone();
            let path = if field.is_empty() {
                broken.as_object_mut().unwrap().remove(&object);
                format!("mediaCollection.{object}")
            } else {
                broken[&object].as_object_mut().unwrap().remove(&field);
                format!("mediaCollection.{object}.{field}")
            };
            let err = session.send(&xdm(event_type, &broken)).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidEvent, "{event_type} without {path}");
            assert!(err.message.starts_with(&path), "{event_type} without {path}: {}", err.message);
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
    flush(&client);
    assert_eq!(emulator.media_requests().len(), before, "nothing reached the server");
}

#[test]
fn session_start_missing_each_required_field_is_refused() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    for field in ["name", "length", "contentType"] {
        let mut details = json!({"name": "n", "length": 10, "contentType": "VOD"});
        details.as_object_mut().unwrap().remove(field);
        let start = json!({"mediaCollection": {"sessionDetails": details}}).to_string();
        let err = client.start_automatic("p1", Player::new(), &start).err().unwrap();
        assert_eq!(err.kind, ErrorKind::InvalidEvent);
        assert_eq!(err.message, format!("mediaCollection.sessionDetails.{field}: required"));
    }
    let err = client.start_automatic("p1", Player::new(), r#"{"mediaCollection":{}}"#).err().unwrap();
    assert_eq!(err.message, "mediaCollection.sessionDetails.name: required");
    let err = client
        .start_manual(r#"{"mediaCollection":{"sessionDetails":{"name":"n","length":1,"contentType":"VOD"}}}"#)
        .err()
        .unwrap();
    assert_eq!(err.message, "mediaCollection.playhead: required");
    assert_eq!(emulator.media_requests().len(), 0);
}

#[test]
fn malformed_documents_and_wrong_event_types_are_refused() {
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    let cases = [
        ("not json", "xdm: not valid JSON"),
        ("[1,2]", "xdm: expected a JSON object"),
        (r#"{"mediaCollection":{}}"#, "eventType: required"),
        (r#"{"eventType":"media.dance"}"#, "eventType: unknown media event type \"media.dance\""),
        (r#"{"eventType":"media.sessionStart"}"#, "eventType: media.sessionStart is sent when the session is created"),
        (
            r#"{"eventType":"media.play","mediaCollection":{"sessionID":"x"}}"#,
            "mediaCollection.sessionID: set by the library",
        ),
        (r#"{"eventType":"media.play","timestamp":"yesterday"}"#, "timestamp: expected an ISO-8601 UTC date-time"),
        (r#"{"eventType":"media.play","mediaCollection":[]}"#, "mediaCollection: expected an object"),
        (
            r#"{"eventType":"media.statesUpdate","mediaCollection":{"statesStart":[{}]}}"#,
            "mediaCollection.statesStart[0].name: required",
        ),
    ];
    for (text, expected) in cases {
        let err = session.send(text).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidEvent, "{text}");
        assert!(err.message.starts_with(expected), "{text}: {}", err.message);
    }
}

#[test]
fn config_errors_name_the_path() {
    let err = Client::with_clock(
        r#"{"datastreamId":"d","streamingMedia":{"channel":"c","playerName":"p","mainPingInterval":5}}"#,
        ClockChoice::System,
    )
    .err()
    .unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidConfig);
    assert_eq!(err.message, "streamingMedia.mainPingInterval: expected a number >= 10, got 5");
    let err = Client::new(
        r#"{"datastreamId":"d","streamingMedia":{"channel":"c","playerName":"p"},"native":{"deliveryWorkers":0}}"#,
    )
    .err()
    .unwrap();
    assert_eq!(err.message, "native.deliveryWorkers: expected a number >= 1, got 0");
}

#[test]
fn oversized_and_deeply_nested_inputs_are_refused_before_parsing() {
    use mediaedge::limits::{MAX_CONFIG_BYTES, MAX_JSON_DEPTH, MAX_PLAYER_ID_BYTES, MAX_XDM_BYTES};
    let emulator = Emulator::start().unwrap();
    let client = manual_client(&emulator);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    let before = emulator.media_requests().len();

    // One byte over the limit: refused by length, whatever the text holds.
    let padding = |total: usize, fixed: usize| "x".repeat(total - fixed);
    let shell = r#"{"eventType":"media.play","mediaCollection":{"customMetadata":{"k":""}}}"#;
    let over = shell.replace(r#""k":"""#, &format!(r#""k":"{}""#, padding(MAX_XDM_BYTES + 1, shell.len())));
    assert_eq!(over.len(), MAX_XDM_BYTES + 1);
    let err = session.send(&over).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert_eq!(err.message, format!("xdm: longer than the limit of {MAX_XDM_BYTES} bytes"));
    // At the limit: parsed and checked like any other event.
    let at = shell.replace(r#""k":"""#, &format!(r#""k":"{}""#, padding(MAX_XDM_BYTES, shell.len())));
    session.send(&at).unwrap();

    // Nesting deeper than serde_json's recursion limit is a JSON error, not a stack overflow.
    let deep = format!(
        r#"{{"eventType":"media.play","x":{}{}}}"#,
        "[".repeat(MAX_JSON_DEPTH + 10),
        "]".repeat(MAX_JSON_DEPTH + 10)
    );
    let err = session.send(&deep).unwrap_err();
    assert!(err.message.contains("recursion limit"), "{}", err.message);

    let long_id = "p".repeat(MAX_PLAYER_ID_BYTES + 1);
    let err = client.start_automatic(&long_id, Player::new(), START_XDM).err().unwrap();
    assert_eq!(err.message, format!("player_id: longer than the limit of {MAX_PLAYER_ID_BYTES} bytes"));
    let huge_config = format!(r#"{{"datastreamId":"{}"}}"#, "d".repeat(MAX_CONFIG_BYTES));
    let err = Client::new(&huge_config).err().unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert_eq!(err.message, format!("config: longer than the limit of {MAX_CONFIG_BYTES} bytes"));

    flush(&client);
    let sent = emulator.media_requests();
    assert_eq!(sent.len(), before + 1, "only the event at the limit went out");
}
