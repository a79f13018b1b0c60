//! Without native.caFile/caPem, HTTPS trusts the system's CA bundle, read when the client
//! starts: here the one `SSL_CERT_FILE` names (its own binary: it sets the process's
//! environment). Built with `bundled-roots`, the compiled-in Mozilla roots are trusted instead.
#![cfg(not(feature = "bundled-roots"))]

mod common;

use common::*;
use mediaedge::{Client, ErrorKind};
use mediaedge_emulator::Emulator;

#[test]
fn the_system_bundle_is_read_when_the_client_starts() {
    let emulator = Emulator::start_tls().unwrap();
    let config = format!(
        r#"{{"datastreamId":"ds","streamingMedia":{{"channel":"c","playerName":"p"}},"native":{{"edgeBaseUrl":"{}"}}}}"#,
        emulator.base_url()
    );
    let bundle = std::env::temp_dir().join(format!("mediaedge-trust-{}.pem", std::process::id()));
    std::fs::write(&bundle, emulator.ca_pem().unwrap()).unwrap();
    // The only thread of this test binary: nothing else reads the environment meanwhile.
    std::env::set_var("SSL_CERT_FILE", &bundle);
    let client = Client::new(&config).unwrap();
    let session = client.start_automatic("p1", Player::new(), START_XDM).unwrap();
    session.send(&event("play")).unwrap();
    flush(&client);
    assert_eq!(emulator.media_requests().iter().filter(|r| r.accepted()).count(), 2);
    drop((session, client));

    std::env::set_var("SSL_CERT_FILE", "/nonexistent/bundle.pem");
    let err = Client::new(&config).err().expect("no bundle, no client");
    assert_eq!(err.kind, ErrorKind::InvalidConfig);
    assert!(err.message.starts_with("SSL_CERT_FILE: cannot read \"/nonexistent/bundle.pem\""), "{}", err.message);
    let _ = std::fs::remove_file(&bundle);
}
