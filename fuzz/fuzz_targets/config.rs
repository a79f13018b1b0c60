//! The configuration JSON, through the Rust parser and the C ABI. Accepted configurations hold
//! values in their documented ranges; refused ones get INVALID_CONFIG or INVALID_ARGUMENT with a
//! message; a client made from an accepted one starts and stops.
#![no_main]

use std::ffi::CString;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mediaedge::config::{Config, TrackerConfig};
use mediaedge::ffi;
use mediaedge::ErrorKind;
use mediaedge_fuzz::assert_refusal;

const BASE: &str = r#"{"datastreamId":"d","streamingMedia":{"channel":"c","playerName":"p"}}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Config::from_json(text) {
        Ok(config) => {
            assert!((Duration::from_secs(10)..=Duration::from_secs(50)).contains(&config.main_ping_interval));
            assert!((Duration::from_secs(1)..=Duration::from_secs(10)).contains(&config.ad_ping_interval));
            assert!(config.delivery_workers >= 1);
            assert!(config.max_queued_events >= 16 && config.max_queued_bytes >= 16_384);
        }
        Err(e) => assert_refusal(&e, &[ErrorKind::InvalidConfig, ErrorKind::InvalidArgument]),
    }
    let base = Config::from_json(BASE).expect("the base configuration is valid");
    match TrackerConfig::from_json(Some(text), &base) {
        Ok(tracker) => assert!(tracker.main_ping_interval >= Duration::from_secs(10)),
        Err(e) => assert_refusal(&e, &[ErrorKind::InvalidConfig, ErrorKind::InvalidArgument]),
    }
    // The C ABI: the same text as a C string (cut at an inner NUL, as C would see it). Not with
    // a storage directory: a client makes it, and the fuzzer would make directories anywhere.
    let c_bytes = data.split(|b| *b == 0).next().unwrap_or_default();
    let parsed = std::str::from_utf8(c_bytes).ok().and_then(|t| Config::from_json(t).ok());
    if parsed.is_some_and(|config| config.storage_dir.is_some()) {
        return;
    }
    let c_text = CString::new(c_bytes).expect("no inner NUL");
    let mut client = std::ptr::null_mut();
    let status = ffi::mediaedge_client_new_with_manual_clock(c_text.as_ptr(), 0, &mut client);
    if status == ffi::mediaedge_status::MEDIAEDGE_OK {
        assert!(!client.is_null());
        ffi::mediaedge_client_free(client);
    } else {
        assert!(client.is_null());
        assert!(matches!(
            status,
            ffi::mediaedge_status::MEDIAEDGE_ERR_INVALID_CONFIG | ffi::mediaedge_status::MEDIAEDGE_ERR_INVALID_ARGUMENT
        ));
        // SAFETY: the library returns a NUL-terminated message that stays valid until the next failure on this thread.
        let message = unsafe { std::ffi::CStr::from_ptr(ffi::mediaedge_last_error_message()) };
        assert!(!message.to_bytes().is_empty());
    }
});
