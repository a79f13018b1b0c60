//! HTTPS: a custom CA bundle is trusted, an unknown issuer is refused with a clear error.

mod common;

use common::*;
use mediaedge::{Client, ClockChoice, ErrorKind, Phase, SessionEventKind};
use mediaedge_emulator::Emulator;

fn https_config(emulator: &Emulator, ca: Option<&str>) -> String {
    let ca = ca.map(|pem| format!(r#","caPem":{}"#, serde_json::to_string(pem).unwrap())).unwrap_or_default();
    format!(
        r#"{{"datastreamId":"ds","streamingMedia":{{"channel":"c","playerName":"p"}},
            "native":{{"edgeBaseUrl":"{}"{ca}}}}}"#,
        emulator.base_url()
    )
}

#[test]
fn https_with_the_emulators_ca_bundle_delivers_and_reuses_the_connection() {
    let emulator = Emulator::start_tls().unwrap();
    assert!(emulator.base_url().starts_with("https://"));
    let client = Client::with_clock(&https_config(&emulator, emulator.ca_pem()), ClockChoice::System).unwrap();
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    for _ in 0..5 {
        session.send(&event("play")).unwrap();
    }
    flush(&client);
    let requests = emulator.media_requests();
    assert_eq!(requests.len(), 6);
    assert!(requests.iter().all(|r| r.accepted()));
    let stats = client.stats();
    assert_eq!(stats.requests_answered, 6);
    assert_eq!(stats.requests_new_connection, 1, "{stats:?}");
}

#[test]
fn an_untrusted_certificate_fails_the_session_with_a_clear_error_and_is_not_retried() {
    let emulator = Emulator::start_tls().unwrap();
    let client = Client::with_clock(&https_config(&emulator, None), ClockChoice::System).unwrap();
    let seen = record_events(&client);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    assert_eq!(session.phase(), Phase::Failed);
    let events = seen.lock().unwrap().clone();
    let failed = events.iter().find(|e| e.kind == SessionEventKind::Failed).expect("a FAILED event");
    assert!(failed.message.contains("TLS") && failed.message.contains("UnknownIssuer"), "{}", failed.message);
    assert!(emulator.media_requests().is_empty(), "nothing got through");
    assert_eq!(client.stats().events_retried, 0);
}

#[test]
fn a_ca_bundle_without_certificates_is_a_configuration_error() {
    let emulator = Emulator::start_tls().unwrap();
    let err = Client::new(&https_config(&emulator, Some("not a pem"))).err().unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidConfig);
    assert!(err.message.starts_with("native.caPem: no CERTIFICATE"), "{}", err.message);
    let missing = r#"{"datastreamId":"ds","streamingMedia":{"channel":"c","playerName":"p"},"native":{"caFile":"/nonexistent/ca.pem"}}"#;
    let err = Client::new(missing).err().unwrap();
    assert!(err.message.starts_with("native.caFile: cannot read"), "{}", err.message);
}

/// A request larger than rustls's plaintext buffer (64 KiB) goes out whole over HTTPS: the loop
/// writes what the buffer takes, sends it, and writes the rest.
#[test]
fn a_document_larger_than_the_tls_buffer_goes_out_whole() {
    let emulator = Emulator::start_tls().unwrap();
    let client = Client::with_clock(&https_config(&emulator, emulator.ca_pem()), ClockChoice::System).unwrap();
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    let filler = "x".repeat(60 * 1024);
    let big = format!(r#"{{"eventType":"media.play","mediaCollection":{{"customMetadata":{{"note":"{filler}"}}}}}}"#);
    session.send(&big).unwrap();
    flush(&client);
    let requests = emulator.media_requests();
    let play = requests.iter().find(|r| r.action == "play").expect("play arrived");
    let note = play.xdm()["mediaCollection"]["customMetadata"]["note"].as_str().unwrap_or_default();
    assert_eq!(note.len(), filler.len(), "the body arrived whole");
}
