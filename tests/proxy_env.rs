//! `HTTPS_PROXY` and `NO_PROXY` when the configuration names no proxy. A test binary of its
//! own: it sets the process's environment, which no other test may see.

mod common;

use common::proxy::TestProxy;
use common::*;
use mediaedge::{Client, ClockChoice, ErrorKind};
use mediaedge_emulator::{Emulator, EMULATOR_TLS_NAME};

fn config(emulator: &Emulator, native_extra: &str) -> String {
    let ca = serde_json::to_string(emulator.ca_pem().unwrap()).unwrap();
    format!(
        r#"{{"datastreamId":"ds","streamingMedia":{{"channel":"c","playerName":"p"}},
            "native":{{"edgeBaseUrl":"https://{EMULATOR_TLS_NAME}","caPem":{ca}{native_extra}}}}}"#
    )
}

#[test]
fn the_environment_names_the_proxy_when_the_configuration_does_not() {
    let emulator = Emulator::start_tls().unwrap();
    // The Edge's name resolves nowhere: only the proxy (which sends everything to the emulator)
    // can reach it, so delivery proves the library asked the proxy and looked nothing up.
    let proxy = TestProxy::start_routing(Some(([127, 0, 0, 1], emulator.port()).into()));
    std::env::set_var("HTTPS_PROXY", proxy.url(None));
    std::env::set_var("NO_PROXY", "localhost,example.com");

    let client = Client::with_clock(&config(&emulator, ""), ClockChoice::System).unwrap();
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);
    assert_eq!(actions(&emulator.media_requests()), ["sessionStart", "play"]);
    let asked = proxy.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!((asked[0].method.as_str(), asked[0].target.as_str()), ("CONNECT", "edge.emulator.test:443"));
    drop(session);
    drop(client);

    // A bad proxy in the environment is refused at creation, naming the variable…
    std::env::set_var("HTTPS_PROXY", "socks5://u:secret@127.0.0.1:1080");
    let error = Client::with_clock(&config(&emulator, ""), ClockChoice::System).err().expect("refused");
    assert_eq!(error.kind, ErrorKind::InvalidConfig);
    assert!(error.message.starts_with("HTTPS_PROXY (environment): "), "{}", error.message);
    assert!(!error.message.contains("secret"), "{}", error.message);
    // …and `native.proxy: "none"` ignores the environment.
    Client::with_clock(&config(&emulator, r#","proxy":"none""#), ClockChoice::System).unwrap();
    std::env::remove_var("HTTPS_PROXY");
    std::env::remove_var("NO_PROXY");
}
