//! The HTTP transport on its own: names are looked up once (not once per request, and never on a
//! new thread), and requests share one keep-alive connection.

use mediaedge::config::Config;
use mediaedge::delivery::transport::{Transport, UreqTransport};
use mediaedge_emulator::Emulator;

const BODY: &[u8] = br#"{"events":[{"xdm":{"eventType":"media.sessionStart","timestamp":"2024-01-01T00:00:00.000Z",
"mediaCollection":{"playhead":0,"sessionDetails":{"name":"m","friendlyName":"M","length":60,"contentType":"vod",
"playerName":"p","channel":"c"}}}}]}"#;

fn transport_for(base_url: &str) -> UreqTransport {
    let config = Config::from_json(&format!(
        r#"{{"datastreamId":"ds","streamingMedia":{{"channel":"c","playerName":"p"}},"native":{{"edgeBaseUrl":"{base_url}"}}}}"#
    ))
        .expect("configuration");
    UreqTransport::new(&config)
}

#[test]
fn a_host_name_is_looked_up_once_for_many_requests_on_one_connection() {
    let emulator = Emulator::start().expect("emulator");
    let base = format!("http://localhost:{}", emulator.port());
    let transport = transport_for(&base);
    for i in 0..5 {
        let url = format!("{base}/ee/va/v1/sessionStart?configId=ds&requestId=r{i}");
        let reply = transport.post_json(&url, BODY).expect("answered");
        assert_eq!(reply.status, 200);
    }
    assert_eq!(transport.name_lookups(), 1, "localhost was looked up once, then came from the cache");
    assert_eq!(transport.connections_opened(), 1, "the five requests shared one keep-alive connection");
}

#[test]
fn an_ip_literal_is_never_looked_up() {
    let emulator = Emulator::start().expect("emulator");
    let transport = transport_for(&emulator.base_url());
    let url = format!("{}/ee/va/v1/sessionStart?configId=ds&requestId=r", emulator.base_url());
    assert_eq!(transport.post_json(&url, BODY).expect("answered").status, 200);
    assert_eq!(transport.name_lookups(), 0);
}
