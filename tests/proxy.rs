//! `native.proxy`: HTTPS through a CONNECT tunnel, plain http forwarded, and proxies that refuse,
//! are down or cut a connection. Events are kept and retried as on any network failure, and the
//! proxy's credentials never reach a log line.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::proxy::{Mode, TestProxy};
use common::*;
use mediaedge::log::Level;
use mediaedge::{Client, ClockChoice};
use mediaedge_emulator::Emulator;

/// Percent-encoded in the URL; the proxy must get it decoded, nobody else at all.
const CREDENTIALS: &str = "alice:hunter%402";
/// base64("alice:hunter@2")
const TOKEN: &str = "Basic YWxpY2U6aHVudGVyQDI=";

fn client_via(emulator: &Emulator, proxy: &str) -> Client {
    let ca = emulator.ca_pem().map(|pem| format!(r#","caPem":{}"#, serde_json::to_string(pem).unwrap()));
    let native = format!(r#","proxy":"{proxy}"{}"#, ca.unwrap_or_default());
    manual_client_with(emulator, "", &native)
}

/// Every log line, at debug level.
fn capture_log(client: &Client) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    client
        .set_logger(Level::Debug, Some(Arc::new(move |_, line: &str| sink.lock().unwrap().push(line.to_string()))))
        .unwrap();
    lines
}

fn assert_no_credentials(lines: &[String]) {
    for line in lines {
        for secret in ["hunter", "YWxpY2U6aHVudGVyQDI"] {
            assert!(!line.contains(secret), "credentials in a log line: {line}");
        }
    }
}

fn dropped(stats: &mediaedge::Stats) -> u64 {
    stats.dropped_rejected
        + stats.dropped_retry_expired
        + stats.dropped_queue_full
        + stats.dropped_session_failed
        + stats.dropped_consent
        + stats.dropped_shutdown
}

/// The session is kept (dropping it would end it).
fn send_five_plays(client: &Client) -> mediaedge::Session {
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    for _ in 0..5 {
        session.send(&event("play")).unwrap();
    }
    session
}

#[test]
fn plain_http_is_forwarded_with_the_absolute_url_and_the_proxys_credentials() {
    let emulator = Emulator::start().unwrap();
    let proxy = TestProxy::start();
    let client = client_via(&emulator, &proxy.url(Some(CREDENTIALS)));
    let log = capture_log(&client);
    let _session = send_five_plays(&client);
    flush(&client);

    let requests = emulator.media_requests();
    assert_eq!(actions(&requests), ["sessionStart", "play", "play", "play", "play", "play"]);
    assert!(requests.iter().all(|r| r.accepted()));
    let asked = proxy.asked();
    assert_eq!(asked.len(), 1, "one keep-alive connection through the proxy: {asked:?}");
    assert_eq!(asked[0].method, "POST");
    assert!(asked[0].target.starts_with(&format!("{}/ee/", emulator.base_url())), "{asked:?}");
    assert_eq!(asked[0].authorization.as_deref(), Some(TOKEN));
    assert_eq!(client.stats().requests_new_connection, 1);
    assert_no_credentials(&log.lock().unwrap());
}

#[test]
fn https_goes_through_a_connect_tunnel_with_tls_end_to_end() {
    let emulator = Emulator::start_tls().unwrap();
    let proxy = TestProxy::start();
    let client = client_via(&emulator, &proxy.url(Some(CREDENTIALS)));
    let log = capture_log(&client);
    let _session = send_five_plays(&client);
    flush(&client);

    let requests = emulator.media_requests();
    assert_eq!(requests.len(), 6);
    assert!(requests.iter().all(|r| r.accepted()));
    let asked = proxy.asked();
    assert_eq!(asked.len(), 1, "one tunnel, reused: {asked:?}");
    assert_eq!(asked[0].method, "CONNECT");
    assert_eq!(asked[0].target, format!("127.0.0.1:{}", emulator.port()));
    assert_eq!(asked[0].authorization.as_deref(), Some(TOKEN));
    assert_no_credentials(&log.lock().unwrap());

    // The proxy only relays: without the emulator's CA the Edge's certificate is still refused.
    let untrusting = manual_client_with(&emulator, "", &format!(r#","proxy":"{}""#, proxy.url(None)));
    let seen = record_events(&untrusting);
    untrusting.start_automatic("p2", Player::new(), START_XDM).unwrap();
    flush(&untrusting);
    let failed = seen.lock().unwrap().iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("\n");
    assert!(failed.contains("UnknownIssuer"), "{failed}");
}

/// Ticks the manual clock until nothing is left to send (retries wait on it).
fn deliver_everything(client: &Client) {
    for _ in 0..30 {
        if client.stats().events_pending == 0 {
            return;
        }
        client.advance_clock(Duration::from_secs(10)).unwrap();
        client.wait_idle(Duration::from_secs(5)).unwrap();
    }
    panic!("still pending: {:?}", client.stats());
}

#[test]
fn a_refusing_proxy_keeps_the_events_and_says_why_without_the_password() {
    for tls in [false, true] {
        let emulator = if tls { Emulator::start_tls() } else { Emulator::start() }.unwrap();
        let proxy = TestProxy::start();
        proxy.set_mode(Mode::Refuse(407));
        let client = client_via(&emulator, &proxy.url(Some(CREDENTIALS)));
        let log = capture_log(&client);
        let _session = send_five_plays(&client);
        client.wait_idle(Duration::from_secs(5)).unwrap();

        assert!(emulator.media_requests().is_empty());
        let stats = client.stats();
        assert_eq!(stats.events_pending, 6, "{stats:?}");
        let lines = log.lock().unwrap().join("\n");
        let refused = if tls { "the proxy refused the tunnel: 407" } else { "the proxy refused the request: 407" };
        assert!(lines.contains(refused), "{lines}");
        assert!(lines.contains("check the user name and password in the proxy URL"), "{lines}");
        proxy.set_mode(Mode::Pass);
        deliver_everything(&client);
        let delivered = delivered(&emulator.media_requests());
        assert_eq!(&actions(&delivered)[..6], ["sessionStart", "play", "play", "play", "play", "play"]);
        assert!(client.stats().events_retried >= 1);
        assert_no_credentials(&log.lock().unwrap());
    }
}

#[test]
fn a_proxy_that_is_down_is_a_network_failure_and_the_events_wait() {
    let emulator = Emulator::start().unwrap();
    let down = TestProxy::down_url();
    let client = client_via(&emulator, &down.replace("http://", &format!("http://{CREDENTIALS}@")));
    let log = capture_log(&client);
    let _session = send_five_plays(&client);
    client.wait_idle(Duration::from_secs(5)).unwrap();
    client.advance_clock(Duration::from_secs(10)).unwrap();
    client.wait_idle(Duration::from_secs(5)).unwrap();

    let stats = client.stats();
    assert!(stats.events_retried >= 1, "{stats:?}");
    assert_eq!(dropped(&stats), 0, "{stats:?}");
    assert!(stats.events_pending >= 6, "{stats:?}");
    let lines = log.lock().unwrap().join("\n");
    assert!(lines.contains("cannot connect to the proxy 127.0.0.1:"), "{lines}");
    assert_no_credentials(&log.lock().unwrap());
}

#[test]
fn a_connection_the_proxy_cuts_is_retried_and_nothing_is_lost() {
    // Over TLS, 50 bytes into the handshake; in plain http, 20 bytes into the first answer.
    for (tls, bytes) in [(true, 50), (false, 20)] {
        let emulator = if tls { Emulator::start_tls() } else { Emulator::start() }.unwrap();
        let proxy = TestProxy::start();
        proxy.set_mode(Mode::CutOnceAfter(bytes));
        let client = client_via(&emulator, &proxy.url(None));
        let log = capture_log(&client);
        let _session = send_five_plays(&client);
        client.wait_idle(Duration::from_secs(5)).unwrap();
        deliver_everything(&client);

        assert_eq!(proxy.cut(), 1);
        let delivered = delivered(&emulator.media_requests());
        assert_eq!(&actions(&delivered)[..6], ["sessionStart", "play", "play", "play", "play", "play"], "tls {tls}");
        let stats = client.stats();
        assert_eq!(dropped(&stats), 0, "{stats:?}");
        assert!(stats.events_retried >= 1, "{stats:?}");
        let lines = log.lock().unwrap().join("\n");
        let expected = if tls { "closed during the TLS handshake" } else { "error:" };
        assert!(lines.contains(expected), "{lines}");
    }
}

#[test]
fn a_bad_proxy_setting_is_a_configuration_error_that_does_not_quote_the_password() {
    let emulator = Emulator::start().unwrap();
    for proxy in ["socks5://alice:hunter2@127.0.0.1:1080", "http://alice:hunter2@127.0.0.1:0"] {
        let text = config_json(&emulator, "", &format!(r#","proxy":"{proxy}""#));
        let error = Client::with_clock(&text, ClockChoice::System).err().expect("refused");
        assert_eq!(error.kind, mediaedge::ErrorKind::InvalidConfig);
        assert!(error.message.starts_with("native.proxy: "), "{}", error.message);
        assert!(!error.message.contains("hunter2"), "{}", error.message);
    }
}
