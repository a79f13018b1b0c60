//! Who watched: the client's identityMap, a session's own, the device's FPID (given or generated
//! once and kept), and implementationDetails on every sessionStart; nothing while consent is out.

mod common;

use common::*;
use mediaedge::{Client, ClockChoice, Consent, ErrorKind};
use mediaedge_emulator::Emulator;
use serde_json::{json, Value};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mediaedge-identity-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn client(emulator: &Emulator, top: &str, native: &str) -> mediaedge::Result<Client> {
    let text = format!(
        r#"{{"datastreamId":"ds"{top},"streamingMedia":{{"channel":"c","playerName":"p"}},
            "native":{{"edgeBaseUrl":"{}"{native}}}}}"#,
        emulator.base_url()
    );
    Client::with_clock(&text, ClockChoice::Manual { start_unix_ms: START_MS })
}

fn xdm_of(emulator: &Emulator, action: &str) -> Vec<Value> {
    emulator
        .media_requests()
        .iter()
        .filter(|r| r.action == action)
        .map(|r| r.body["events"][0]["xdm"].clone())
        .collect()
}

const EMAIL: &str =
    r#","identityMap":{"Email":[{"id":"viewer@example.com","authenticatedState":"authenticated","primary":true}]}"#;

#[test]
fn the_sessionstart_carries_the_identity_and_a_generated_fpid_that_is_kept() {
    let emulator = Emulator::start().unwrap();
    let dir = temp_dir("generated");
    let native = format!(r#","deviceId":"generated","storageDir":{}"#, serde_json::to_string(&dir).unwrap());
    let first = client(&emulator, EMAIL, &native).unwrap();
    let session = first.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(&event("play")).unwrap();
    flush(&first);
    drop(session);
    drop(first);

    let starts = xdm_of(&emulator, "sessionStart");
    let identity = &starts[0]["identityMap"];
    assert_eq!(identity["Email"][0]["id"], json!("viewer@example.com"));
    let fpid = identity["FPID"][0]["id"].as_str().expect("an FPID").to_string();
    assert_eq!(identity["FPID"][0]["primary"], json!(false), "the caller's identity is the primary");
    assert_eq!(std::fs::read_to_string(dir.join("device-id")).unwrap(), fpid);
    assert_eq!(starts[0]["implementationDetails"]["environment"], json!("app"));
    assert_eq!(starts[0]["implementationDetails"]["name"], json!("urn:mediaedge:native"));
    assert!(xdm_of(&emulator, "play")[0].get("identityMap").is_none(), "only the sessionStart carries it");

    // A new client on the same directory (a restarted app) is the same device.
    let second = client(&emulator, "", &native).unwrap();
    let again = second.start_automatic("p2", Player::new(), START_XDM).unwrap();
    flush(&second);
    drop(again);
    let starts = xdm_of(&emulator, "sessionStart");
    assert_eq!(starts[1]["identityMap"]["FPID"][0]["id"], json!(fpid));
    assert_eq!(starts[1]["identityMap"]["FPID"][0]["primary"], json!(true), "the only identity is primary");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sessions_own_identity_map_replaces_the_clients_and_is_checked() {
    let emulator = Emulator::start().unwrap();
    let client = client(&emulator, EMAIL, r#","deviceId":"fpid-given""#).unwrap();
    let own = r#"{"identityMap":{"CRMID":[{"id":"c-42","primary":true}]},"mediaCollection":{"sessionDetails":{"name":"n","length":60,"contentType":"vod"}}}"#;
    let session = client.start_automatic("p1", Player::new(), own).unwrap();
    flush(&client);
    let start = &xdm_of(&emulator, "sessionStart")[0];
    assert_eq!(
        start["identityMap"],
        json!({"CRMID": [{"id": "c-42", "primary": true}],
               "FPID": [{"id": "fpid-given", "authenticatedState": "ambiguous", "primary": false}]})
    );
    drop(session);

    let bad = r#"{"identityMap":{"CRMID":[{"id":""}]},"mediaCollection":{"sessionDetails":{"name":"n","length":60,"contentType":"vod"}}}"#;
    let error = client.start_automatic("p2", Player::new(), bad).err().expect("refused");
    assert_eq!(error.kind, ErrorKind::InvalidEvent);
    assert!(error.message.starts_with("identityMap.CRMID[0].id: expected a non-empty string"), "{}", error.message);
}

#[test]
fn bad_identity_settings_are_configuration_errors_naming_their_path() {
    let emulator = Emulator::start().unwrap();
    let two_primaries = r#","identityMap":{"A":[{"id":"x","primary":true}],"B":[{"id":"y","primary":true}]}"#;
    let error = client(&emulator, two_primaries, "").err().unwrap();
    assert_eq!(error.kind, ErrorKind::InvalidConfig);
    assert!(error.message.starts_with("identityMap: at most one identity may be primary"), "{}", error.message);
    let error = client(&emulator, "", r#","deviceId":"generated""#).err().unwrap();
    assert!(error.message.starts_with("native.deviceId: \"generated\" needs native.storageDir"), "{}", error.message);
    // A storage directory that is a file cannot be written to.
    let file = temp_dir("a-file");
    std::fs::write(&file, b"").unwrap();
    let native = format!(r#","deviceId":"generated","storageDir":{}"#, serde_json::to_string(&file).unwrap());
    let error = client(&emulator, "", &native).err().unwrap();
    assert_eq!(error.kind, ErrorKind::InvalidConfig);
    assert!(error.message.starts_with("native.storageDir: cannot write to"), "{}", error.message);
    let _ = std::fs::remove_file(&file);
}

#[test]
fn consent_out_sends_no_identity_and_generates_none() {
    let emulator = Emulator::start().unwrap();
    let dir = temp_dir("consent");
    let native = format!(r#","deviceId":"generated","storageDir":{}"#, serde_json::to_string(&dir).unwrap());
    let client = client(&emulator, r#","defaultConsent":"out""#, &native).unwrap();
    assert!(client.start_automatic("p1", Player::new(), START_XDM).is_err());
    assert!(!dir.join("device-id").exists(), "no ID made while consent is out");
    client.set_consent(Consent::In);
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    flush(&client);
    assert!(dir.join("device-id").exists());
    assert_eq!(emulator.media_requests().len(), 1);
    drop(session);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_storage_directory_belongs_to_one_client_at_a_time() {
    let emulator = Emulator::start().unwrap();
    let dir = temp_dir("locked");
    let native = format!(r#","storageDir":{}"#, serde_json::to_string(&dir).unwrap());
    let first = client(&emulator, "", &native).unwrap();
    let error = client(&emulator, "", &native).err().expect("refused while the first lives");
    assert_eq!(error.kind, ErrorKind::InvalidConfig);
    assert!(error.message.ends_with("is in use by another mediaedge client"), "{}", error.message);
    drop(first);
    client(&emulator, "", &native).expect("free once the first is freed");
    let _ = std::fs::remove_dir_all(&dir);
}
