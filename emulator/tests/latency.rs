//! The emulator's latency over a real socket: set through the API and the control endpoint.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mediaedge_emulator::{Emulator, Latency};

/// One HTTP/1.1 request on a fresh connection; the status and the body.
fn request(emulator: &Emulator, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", emulator.port())).expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes())).expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

const START: &str = r#"{"events":[{"xdm":{"eventType":"media.sessionStart","timestamp":"2024-01-01T00:00:00.000Z",
"mediaCollection":{"playhead":0,"sessionDetails":{"name":"m","friendlyName":"M","length":60,"contentType":"vod",
"playerName":"p","channel":"c"}}}}]}"#;
const START_PATH: &str = "/ee/va/v1/sessionStart?configId=c&requestId=r";

#[test]
fn media_requests_wait_out_the_latency_and_it_can_be_changed_at_run_time() {
    let emulator = Emulator::start().expect("emulator");
    assert_eq!(emulator.latency(), Latency::default());
    emulator.set_latency(Duration::from_millis(120), Duration::from_millis(30));
    let started = Instant::now();
    let (status, _) = request(&emulator, "POST", START_PATH, START);
    // A lower bound only: a loaded machine may add to it, never take from it.
    assert!(started.elapsed() >= Duration::from_millis(120), "answered before the latency: {:?}", started.elapsed());
    assert_eq!(status, 200);

    let (status, body) = request(&emulator, "GET", "/__emulator/latency", "");
    assert_eq!((status, body.as_str()), (200, r#"{"jitterMs":30,"ms":120}"#));
    let (status, _) = request(&emulator, "POST", "/__emulator/latency", r#"{"ms":200}"#);
    assert_eq!(status, 204);
    assert_eq!(emulator.latency(), Latency::new(Duration::from_millis(200), Duration::ZERO));
    let started = Instant::now();
    request(&emulator, "POST", START_PATH, START);
    assert!(started.elapsed() >= Duration::from_millis(200));

    let (status, body) = request(&emulator, "POST", "/__emulator/latency", r#"{"ms":"fast"}"#);
    assert_eq!(status, 400);
    assert!(body.contains("ms: expected whole milliseconds"), "{body}");
    assert_eq!(emulator.latency().base, Duration::from_millis(200), "a refused setting changes nothing");
}

#[test]
fn in_process_answers_are_not_delayed_and_reset_keeps_the_latency() {
    let emulator = Emulator::start().expect("emulator");
    emulator.set_latency(Duration::from_secs(3600), Duration::ZERO);
    // An hour of latency would hang this test if the in-process path waited it out.
    let reply = emulator.answer_in_process("POST", START_PATH, START.as_bytes()).expect("answered");
    assert_eq!(reply.status, 200);
    emulator.reset();
    assert_eq!(emulator.latency().base, Duration::from_secs(3600));
}
