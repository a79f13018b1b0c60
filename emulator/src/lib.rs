//! A loopback emulator of Adobe's Media Edge API (`/{basePath}[/{locationHint}]/va/v1/{action}`).
//!
//! It issues session IDs, validates every request, answers 200/204/207/400/404 the way the real
//! API does, closes sessions on sessionEnd/sessionComplete and after the backend's timeouts, and
//! records every request. Faults (status sequences, `Retry-After`, delays, dropped connections) are
//! scripted through [`Emulator::push_fault`] or `POST /__emulator/faults`. A latency (a fixed
//! delay plus jitter before every answer) models a wide-area round trip: [`Emulator::set_latency`],
//! `POST /__emulator/latency` or the binary's `--latency-ms`/`--jitter-ms`.
//!
//! The backend's timeouts (10 minutes without events, 30 minutes without playhead movement, 24 hours
//! of age) are judged on the events' own `timestamp` fields rather than on the emulator's clock, so
//! that a client running on a virtual clock can exercise them without waiting.

mod http;
mod latency;
pub mod validate;

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use http::Reply;
pub use http::{Request, Response};
pub use latency::Latency;

const IDLE_CLOSE_MS: i64 = 10 * 60 * 1000;
const STALLED_PLAYHEAD_MS: i64 = 30 * 60 * 1000;
const MAX_AGE_MS: i64 = 24 * 60 * 60 * 1000;
/// The location hint the emulator hands out, and how long it lives.
pub const LOCATION_HINT: &str = "or2";
pub const LOCATION_HINT_TTL_SECONDS: u64 = 1800;

/// What a scripted fault does to the request it catches.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status (and `Retry-After`, and body) without processing the request.
    Status { status: u16, retry_after: Option<String>, body: Option<Value> },
    /// Wait, then process the request normally.
    Delay(Duration),
    /// Close the connection without processing or answering.
    Drop,
    /// Process the request (it lands), then close the connection without answering.
    ProcessThenDrop,
    /// Process the request, send the first half of the answer, then close the connection.
    Truncate,
    /// Process and answer the request as on a keep-alive connection, then close the connection
    /// (the client's next request on it finds it dead).
    AnswerThenClose,
    /// Take the request and never answer nor read again on that connection (a server that
    /// stopped); the request does not land.
    Stall,
}

/// A fault applied to the next `times` requests whose action matches (`None`: any action) and,
/// if `session` is set, that carry that session ID.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub action: Option<String>,
    pub session: Option<String>,
    pub kind: FaultKind,
    pub times: u32,
}

impl Fault {
    pub fn status(action: Option<&str>, status: u16, times: u32) -> Fault {
        Fault {
            action: action.map(str::to_string),
            session: None,
            kind: FaultKind::Status { status, retry_after: None, body: None },
            times,
        }
    }

    /// Only requests of this session are caught.
    pub fn for_session(mut self, session_id: &str) -> Fault {
        self.session = Some(session_id.to_string());
        self
    }

    pub fn with_retry_after(mut self, value: &str) -> Fault {
        if let FaultKind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(value.to_string());
        }
        self
    }

    pub fn with_body(mut self, value: Value) -> Fault {
        if let FaultKind::Status { body, .. } = &mut self.kind {
            *body = Some(value);
        }
        self
    }

    pub fn delay(action: Option<&str>, delay: Duration, times: u32) -> Fault {
        Fault { action: action.map(str::to_string), session: None, kind: FaultKind::Delay(delay), times }
    }

    pub fn drop(action: Option<&str>, times: u32) -> Fault {
        Fault { action: action.map(str::to_string), session: None, kind: FaultKind::Drop, times }
    }

    /// A fault of `kind` for the next `times` requests of `action` (`None`: any).
    pub fn of(action: Option<&str>, kind: FaultKind, times: u32) -> Fault {
        Fault { action: action.map(str::to_string), session: None, kind, times }
    }

    /// The request lands (is processed and recorded), then the connection is cut before the
    /// answer: the client cannot know, and its retry is a duplicate.
    pub fn process_then_drop(action: Option<&str>, times: u32) -> Fault {
        Fault { action: action.map(str::to_string), session: None, kind: FaultKind::ProcessThenDrop, times }
    }

    /// A fault as `POST /__emulator/faults` and `--fault` take it: `{"action": "ping", "times": 3,`
    /// and one of `"status": 503` (with `retryAfter`, `body`), `"delayMs": 3000`, `"drop": true`,
    /// `"processThenDrop": true`, optionally `"session": ID}`.
    pub fn from_json(v: &Value) -> Result<Fault, String> {
        let action = v.get("action").and_then(Value::as_str).map(str::to_string);
        let session = v.get("session").and_then(Value::as_str).map(str::to_string);
        let times = v.get("times").and_then(Value::as_u64).unwrap_or(1) as u32;
        let kind = if let Some(status) = v.get("status").and_then(Value::as_u64) {
            FaultKind::Status {
                status: status as u16,
                retry_after: v.get("retryAfter").map(|r| match r {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
                body: v.get("body").cloned(),
            }
        } else if let Some(ms) = v.get("delayMs").and_then(Value::as_u64) {
            FaultKind::Delay(Duration::from_millis(ms))
        } else if v.get("drop").and_then(Value::as_bool) == Some(true) {
            FaultKind::Drop
        } else if v.get("processThenDrop").and_then(Value::as_bool) == Some(true) {
            FaultKind::ProcessThenDrop
        } else if v.get("truncate").and_then(Value::as_bool) == Some(true) {
            FaultKind::Truncate
        } else if v.get("answerThenClose").and_then(Value::as_bool) == Some(true) {
            FaultKind::AnswerThenClose
        } else if v.get("stall").and_then(Value::as_bool) == Some(true) {
            FaultKind::Stall
        } else {
            return Err(
                "a fault needs one of status, delayMs, drop, processThenDrop, truncate, answerThenClose, stall".into(),
            );
        };
        Ok(Fault { action, session, kind, times })
    }
}

/// One request as the emulator received and answered it.
/// What [`Emulator::answer_in_process`] answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InProcessReply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub seq: u64,
    /// Since the emulator started.
    pub received: Duration,
    pub method: String,
    pub path: String,
    /// The `{action}` of `/va/v1/{action}`, or empty for other paths.
    pub action: String,
    /// The location hint segment of the path, if the request carried one.
    pub location_hint: Option<String>,
    pub config_id: Option<String>,
    pub request_id: Option<String>,
    /// The request body parsed as JSON, or `Null` if it was not JSON.
    pub body: Value,
    /// The status answered, or `None` when the connection was dropped instead.
    pub status: Option<u16>,
    /// Whether a scripted fault decided the answer.
    pub faulted: bool,
    /// The session the request belongs to (issued, for a sessionStart answered 200).
    pub session_id: Option<String>,
    /// The problems found, for a 400.
    pub problems: Vec<validate::Problem>,
    /// The backend processed and accepted the event, whether or not the answer reached the
    /// client (a connection cut after processing still lands).
    pub landed: bool,
}

impl Recorded {
    pub fn xdm(&self) -> &Value {
        &self.body["events"][0]["xdm"]
    }

    pub fn event_type(&self) -> Option<&str> {
        self.xdm()["eventType"].as_str()
    }

    pub fn playhead(&self) -> Option<i64> {
        self.xdm()["mediaCollection"]["playhead"].as_i64()
    }

    pub fn timestamp_ms(&self) -> Option<i64> {
        self.xdm()["timestamp"].as_str().and_then(validate::parse_timestamp_ms)
    }

    /// Delivered: processed by the backend and answered with success.
    pub fn accepted(&self) -> bool {
        matches!(self.status, Some(200) | Some(204)) && !self.faulted
    }

    /// One readable line for a timeline.
    pub fn timeline_line(&self) -> String {
        let status = self.status.map(|s| s.to_string()).unwrap_or_else(|| "dropped".into());
        let mut line = format!(
            "{:>8.3}s  {:<16} {:>7}",
            self.received.as_secs_f64(),
            if self.action.is_empty() { self.path.as_str() } else { self.action.as_str() },
            status
        );
        if let Some(ph) = self.playhead() {
            line.push_str(&format!("  playhead={ph}"));
        }
        if let Some(ts) = self.xdm()["timestamp"].as_str() {
            line.push_str(&format!("  ts={ts}"));
        }
        if let Some(sid) = &self.session_id {
            // Enough of the 64-digit ID to tell sessions apart in a timeline.
            let short = sid.get(..8).unwrap_or(sid);
            line.push_str(&format!("  session={short}…"));
        }
        let media = &self.xdm()["mediaCollection"];
        for (key, label) in [
            ("chapterDetails", "chapter"),
            ("advertisingPodDetails", "adBreak"),
            ("advertisingDetails", "ad"),
            ("qoeDataDetails", "qoe"),
            ("errorDetails", "error"),
        ] {
            if !media[key].is_null() {
                line.push_str(&format!("  {label}={}", media[key]));
            }
        }
        if self.action == "downloaded" {
            // One line per session the request carried: its events, in order.
            for (i, element) in self.body["events"].as_array().into_iter().flatten().enumerate() {
                let types: Vec<&str> = element["xdm"]["mediaDownloadedEvents"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| e["mediaEventType"].as_str().unwrap_or("?").trim_start_matches("media."))
                    .collect();
                line.push_str(&format!("\n          session {i}: {}", types.join(" ")));
            }
        }
        if self.faulted {
            line.push_str("  [fault]");
        }
        for p in &self.problems {
            line.push_str(&format!("  !{}: {}", p.path, p.reason));
        }
        line
    }
}

#[derive(Debug, Clone)]
struct BackendSession {
    open: bool,
    started_ts: i64,
    last_event_ts: i64,
    last_playhead: i64,
    playhead_moved_ts: i64,
}

type Observer = Box<dyn Fn(&Recorded) + Send + Sync>;

struct State {
    sessions: HashMap<String, BackendSession>,
    /// The sessions `downloaded` requests brought, in order.
    downloaded: Vec<DownloadedSession>,
    faults: Vec<Fault>,
    recorded: Vec<Recorded>,
    latency: Latency,
}

struct Shared {
    started: Instant,
    running: AtomicBool,
    next_seq: AtomicU64,
    state: Mutex<State>,
    changed: Condvar,
    observer: Mutex<Option<Observer>>,
    /// Keep every request for `requests()` (off for long benchmarks: the observer still sees them).
    recording: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking handler thread must not take the whole emulator down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running emulator. Dropping it stops accepting connections.
pub struct Emulator {
    port: u16,
    shared: Arc<Shared>,
    /// For HTTPS: the PEM of the CA that signed the emulator's certificate.
    ca_pem: Option<String>,
}

/// A throwaway CA and a certificate it signed for `localhost` and `127.0.0.1`.
/// A name an HTTPS emulator's certificate also carries, in the reserved `.test` domain.
pub const EMULATOR_TLS_NAME: &str = "edge.emulator.test";

fn tls_config() -> Result<(Arc<rustls::ServerConfig>, String), String> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let e = |e: rcgen::Error| e.to_string();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    ca_params.distinguished_name.push(DnType::CommonName, "mediaedge emulator test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(e)?).map_err(e)?;
    let issuer: &Issuer<'_, KeyPair> = &ca;
    let leaf_key = KeyPair::generate().map_err(e)?;
    // `EMULATOR_TLS_NAME` resolves nowhere: reaching it proves a proxy was asked to.
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), EMULATOR_TLS_NAME.to_string()];
    let leaf = CertificateParams::new(names).map_err(e)?.signed_by(&leaf_key, issuer).map_err(e)?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .map_err(|e| e.to_string())?;
    Ok((Arc::new(config), ca.pem()))
}

/// Splits `/{base}[/{hint}]/va/v1/{action}` into (hint, action).
fn route(path: &str) -> Option<(Option<String>, String)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let n = segments.len();
    if n < 4 || segments[n - 3] != "va" || segments[n - 2] != "v1" {
        return None;
    }
    let hint = match n {
        4 => None,
        5 => Some(segments[1].to_string()),
        _ => return None,
    };
    Some((hint, segments[n - 1].to_string()))
}

fn new_session_id(seq: u64) -> String {
    // Shaped like the real backend's IDs (64 hex digits); unique per emulator run.
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let a = nanos ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let b = seq.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ (a >> 7);
    format!("{a:016x}{b:016x}{:016x}{seq:016x}", a ^ b)
}

fn bad_request(problems: &[validate::Problem]) -> Response {
    let details: Vec<Value> = problems.iter().map(|p| json!({"name": p.path, "reason": p.reason})).collect();
    Response::problem(
        400,
        &json!({
            "type": "https://ns.adobe.com/aep/errors/va-edge-0400-400",
            "status": 400,
            "title": "Invalid request",
            "detail": "Invalid request. Please check your input and try again.",
            "report": {"details": details}
        }),
    )
}

fn not_found(session_id: &str) -> Response {
    Response::problem(
        404,
        &json!({
            "type": "https://ns.adobe.com/aep/errors/va-edge-0404-404",
            "status": 404,
            "title": "Not Found",
            "detail": format!("The media session {session_id} was not found, is closed or has expired."),
        }),
    )
}

impl Emulator {
    /// Starts on a free loopback port.
    pub fn start() -> std::io::Result<Emulator> {
        Emulator::start_on(0)
    }

    /// Starts on a free loopback port, serving HTTPS with a certificate signed by a CA made for
    /// this run (see [`Emulator::ca_pem`]).
    pub fn start_tls() -> std::io::Result<Emulator> {
        let (config, ca_pem) = tls_config().map_err(std::io::Error::other)?;
        Emulator::serve(0, Some((config, ca_pem)))
    }

    /// Starts on `127.0.0.1:port` (0 picks a free port).
    pub fn start_on(port: u16) -> std::io::Result<Emulator> {
        Emulator::serve(port, None)
    }

    fn serve(port: u16, tls: Option<(Arc<rustls::ServerConfig>, String)>) -> std::io::Result<Emulator> {
        let (tls, ca_pem) = match tls {
            Some((config, pem)) => (Some(config), Some(pem)),
            None => (None, None),
        };
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            started: Instant::now(),
            running: AtomicBool::new(true),
            next_seq: AtomicU64::new(1),
            state: Mutex::new(State {
                sessions: HashMap::new(),
                downloaded: Vec::new(),
                faults: Vec::new(),
                recorded: Vec::new(),
                latency: Latency::default(),
            }),
            changed: Condvar::new(),
            observer: Mutex::new(None),
            recording: AtomicBool::new(true),
        });
        let accept_shared = Arc::clone(&shared);
        thread::Builder::new().name("emulator-accept".into()).spawn(move || {
            for stream in listener.incoming() {
                if !accept_shared.running.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let conn_shared = Arc::clone(&accept_shared);
                let tls = tls.clone();
                let _ = thread::Builder::new()
                    .name("emulator-conn".into())
                    .spawn(move || handle_connection(conn_shared, stream, tls));
            }
        })?;
        Ok(Emulator { port, shared, ca_pem })
    }

    /// The PEM of the CA behind an HTTPS emulator's certificate (for `native.caPem`).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT` (or `https://`), the value for the client's `native.edgeBaseUrl`.
    pub fn base_url(&self) -> String {
        let scheme = if self.ca_pem.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Calls `observer` with every request once it is answered (the binary prints the timeline).
    pub fn set_observer(&self, observer: impl Fn(&Recorded) + Send + Sync + 'static) {
        *self.shared.observer.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(observer));
    }

    /// Whether requests are kept for [`Emulator::requests`] (on by default). A benchmark sending
    /// millions turns it off and watches them through [`Emulator::set_observer`].
    pub fn set_recording(&self, on: bool) {
        self.shared.recording.store(on, Ordering::Relaxed);
    }

    pub fn push_fault(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Answers every later media request (over a socket) after `base` plus a uniformly random
    /// part of `jitter`; `Duration::ZERO` twice turns it off. A `delay` fault adds to it.
    pub fn set_latency(&self, base: Duration, jitter: Duration) {
        self.shared.lock().latency = Latency::new(base, jitter);
    }

    pub fn latency(&self) -> Latency {
        self.shared.lock().latency
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().recorded.clone()
    }

    /// Only the media requests (not the control endpoints).
    pub fn media_requests(&self) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| !r.action.is_empty()).collect()
    }

    /// Waits until at least `count` media requests were answered, or `timeout` passes.
    pub fn wait_for_requests(&self, count: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            let have = state.recorded.iter().filter(|r| !r.action.is_empty()).count();
            let now = Instant::now();
            if have >= count || now >= deadline {
                break;
            }
            state = self.shared.changed.wait_timeout(state, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        state.recorded.iter().filter(|r| !r.action.is_empty()).cloned().collect()
    }

    /// Forgets the faults not yet applied.
    /// Answers one request without a socket, exactly as the server would (routing, validation,
    /// sessions, faults, recording): for property tests and fuzz targets that need speed and
    /// determinism. `target` is the path with its query string. `None` is a dropped connection
    /// (a `drop` or `processThenDrop` fault).
    pub fn answer_in_process(&self, method: &str, target: &str, body: &[u8]) -> Option<InProcessReply> {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path.to_string(), http::parse_query(query)),
            None => (target.to_string(), Vec::new()),
        };
        let request = Request { method: method.to_string(), path, query, headers: Vec::new(), body: body.to_vec() };
        match answer(&self.shared, &request) {
            Reply::Send(response) => Some(InProcessReply {
                status: response.status,
                retry_after: response
                    .headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
                    .map(|(_, value)| value.clone()),
                body: response.body,
            }),
            Reply::Truncate(_) | Reply::Stall | Reply::Drop => None,
            Reply::SendThenClose(response) => {
                Some(InProcessReply { status: response.status, retry_after: None, body: response.body })
            }
        }
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Closes a session as the backend does when it loses one: its next event gets a 404.
    pub fn expire_session(&self, session_id: &str) {
        if let Some(session) = self.shared.lock().sessions.get_mut(session_id) {
            session.open = false;
        }
    }

    /// Closes every open session (see [`Emulator::expire_session`]).
    pub fn expire_all_sessions(&self) {
        for session in self.shared.lock().sessions.values_mut() {
            session.open = false;
        }
    }

    /// Forgets recorded requests, sessions and pending faults (the latency, a setting, stays).
    pub fn reset(&self) {
        let mut state = self.shared.lock();
        state.recorded.clear();
        state.sessions.clear();
        state.downloaded.clear();
        state.faults.clear();
    }

    /// The sessions `downloaded` requests brought and the backend accepted, in order.
    pub fn downloaded_sessions(&self) -> Vec<DownloadedSession> {
        self.shared.lock().downloaded.clone()
    }

    /// Whether the backend still has `session_id` open.
    pub fn session_open(&self, session_id: &str) -> bool {
        self.shared.lock().sessions.get(session_id).map(|s| s.open).unwrap_or(false)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.running.store(false, Ordering::SeqCst);
        // Wake the accept loop so it sees `running` is false.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn handle_connection(shared: Arc<Shared>, stream: TcpStream, tls: Option<Arc<rustls::ServerConfig>>) {
    let keep_going = || shared.running.load(Ordering::SeqCst);
    let handle = |request: &Request| {
        // The network's share of the round trip: media requests only, before anything else.
        if !request.path.starts_with("/__emulator/") {
            let delay = shared.lock().latency.sample();
            if !delay.is_zero() {
                thread::sleep(delay);
            }
        }
        answer(&shared, request)
    };
    let _ = stream.set_nodelay(true);
    match tls {
        None => {
            let _ = http::serve_connection(stream, &keep_going, &handle);
        }
        Some(config) => {
            let Ok(connection) = rustls::ServerConnection::new(config) else { return };
            let _ = http::serve_connection(rustls::StreamOwned::new(connection, stream), &keep_going, &handle);
        }
    }
}

fn take_fault(state: &mut State, action: &str, session: Option<&str>) -> Option<FaultKind> {
    let index = state.faults.iter().position(|f| {
        f.times > 0
            && f.action.as_deref().map(|a| a == action).unwrap_or(true)
            && f.session.as_deref().map(|s| Some(s) == session).unwrap_or(true)
    })?;
    let fault = &mut state.faults[index];
    fault.times -= 1;
    let kind = fault.kind.clone();
    if fault.times == 0 {
        state.faults.remove(index);
    }
    Some(kind)
}

fn answer(shared: &Shared, request: &Request) -> Reply {
    if let Some(control) = request.path.strip_prefix("/__emulator/") {
        return Reply::Send(control_endpoint(shared, control, request));
    }
    let received = shared.started.elapsed();
    let seq = shared.next_seq.fetch_add(1, Ordering::SeqCst);
    let (hint, action) = match route(&request.path) {
        Some(r) if (validate::ACTIONS.contains(&r.1.as_str()) || r.1 == "downloaded") && request.method == "POST" => r,
        _ => (None, String::new()),
    };
    let mut record = Recorded {
        seq,
        received,
        method: request.method.clone(),
        path: request.path.clone(),
        action: action.clone(),
        location_hint: hint,
        config_id: request.query_param("configId").map(str::to_string),
        request_id: request.query_param("requestId").map(str::to_string),
        body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
        status: None,
        faulted: false,
        session_id: None,
        problems: Vec::new(),
        landed: false,
    };
    record.session_id = record.xdm()["mediaCollection"]["sessionID"].as_str().map(str::to_string);

    let fault = take_fault(&mut shared.lock(), &action, record.session_id.as_deref());
    let mut drop_after = false;
    let mut how: fn(Response) -> Reply = Reply::Send;
    let response = match fault {
        Some(FaultKind::Status { status, retry_after, body }) => {
            record.faulted = true;
            let mut response = match body {
                Some(b) => Response::json(status, &b),
                None => Response::empty(status),
            };
            if let Some(value) = retry_after {
                response.headers.push(("Retry-After".into(), value));
            }
            Some(response)
        }
        Some(FaultKind::Drop) => {
            record.faulted = true;
            None
        }
        Some(FaultKind::Delay(delay)) => {
            thread::sleep(delay);
            Some(process(shared, request, &mut record))
        }
        Some(FaultKind::ProcessThenDrop) => {
            drop_after = true;
            Some(process(shared, request, &mut record))
        }
        Some(FaultKind::Truncate) => {
            how = Reply::Truncate;
            Some(process(shared, request, &mut record))
        }
        Some(FaultKind::AnswerThenClose) => {
            how = Reply::SendThenClose;
            Some(process(shared, request, &mut record))
        }
        Some(FaultKind::Stall) => {
            record.faulted = true;
            shared.lock().recorded.push(record);
            shared.changed.notify_all();
            return Reply::Stall;
        }
        None => Some(process(shared, request, &mut record)),
    };
    record.landed = !record.faulted && matches!(response.as_ref().map(|r| r.status), Some(200) | Some(204));
    record.status = if drop_after { None } else { response.as_ref().map(|r| r.status) };
    if let Some(observer) = shared.observer.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        observer(&record);
    }
    if shared.recording.load(Ordering::Relaxed) {
        shared.lock().recorded.push(record);
    }
    shared.changed.notify_all();
    match response {
        Some(r) if !drop_after => how(r),
        _ => Reply::Drop,
    }
}

/// The backend proper: validation, sessions, answers.
fn process(shared: &Shared, request: &Request, record: &mut Recorded) -> Response {
    if record.action.is_empty() {
        return Response::problem(
            404,
            &json!({"type": "https://ns.adobe.com/aep/errors/EXEG-0003-404", "status": 404, "title": "Not Found"}),
        );
    }
    let config_id = record.config_id.clone().unwrap_or_default();
    if config_id.is_empty() {
        return Response::problem(
            400,
            &json!({"type": "https://ns.adobe.com/aep/errors/EXEG-0003-400", "status": 400,
                    "title": "Missing configId", "detail": "The configId query parameter is required."}),
        );
    }
    if record.action == "downloaded" {
        return process_downloaded(shared, request, record, &config_id);
    }
    let xdm = match validate::validate(&record.action, &request.body) {
        Ok(xdm) => xdm,
        Err(problems) => {
            let response = bad_request(&problems);
            record.problems = problems;
            return response;
        }
    };
    let ts = xdm["timestamp"].as_str().and_then(validate::parse_timestamp_ms).unwrap_or(0);
    let playhead = xdm["mediaCollection"]["playhead"].as_i64().unwrap_or(0);
    let mut state = shared.lock();
    if record.action == "sessionStart" {
        let id = new_session_id(record.seq);
        state.sessions.insert(
            id.clone(),
            BackendSession {
                open: true,
                started_ts: ts,
                last_event_ts: ts,
                last_playhead: playhead,
                playhead_moved_ts: ts,
            },
        );
        record.session_id = Some(id.clone());
        return Response::json(
            200,
            &json!({
                "requestId": record.request_id,
                "handle": [
                    {"type": "media-analytics:new-session", "payload": [{"sessionId": id}], "eventIndex": 0},
                    {"type": "locationHint:result", "payload": [
                        {"scope": "EdgeNetwork", "hint": LOCATION_HINT, "ttlSeconds": LOCATION_HINT_TTL_SECONDS}
                    ]},
                    {"type": "state:store", "payload": [
                        {"key": "kndctr_emulator_cluster", "value": LOCATION_HINT, "maxAge": LOCATION_HINT_TTL_SECONDS}
                    ]}
                ]
            }),
        );
    }
    let session_id = xdm["mediaCollection"]["sessionID"].as_str().unwrap_or_default().to_string();
    let Some(session) = state.sessions.get_mut(&session_id) else { return not_found(&session_id) };
    let expired = ts - session.last_event_ts > IDLE_CLOSE_MS
        || ts - session.playhead_moved_ts > STALLED_PLAYHEAD_MS
        || ts - session.started_ts > MAX_AGE_MS;
    if expired {
        session.open = false;
    }
    if !session.open {
        return not_found(&session_id);
    }
    session.last_event_ts = session.last_event_ts.max(ts);
    if playhead != session.last_playhead {
        session.last_playhead = playhead;
        session.playhead_moved_ts = ts;
    }
    if record.action == "sessionEnd" || record.action == "sessionComplete" {
        session.open = false;
    }
    Response::empty(204)
}

/// A session a `downloaded` request brought: one backend session per element, made complete
/// at once (the playback is over).
#[derive(Debug, Clone)]
pub struct DownloadedSession {
    /// The ID the backend assigned it.
    pub session_id: String,
    pub config_id: String,
    /// The element's xdm as sent (`_id`, `identityMap`, `mediaDownloadedEvents`, …).
    pub xdm: Value,
    /// Its events as the online events they stand for: `{eventType, timestamp, mediaCollection}`.
    pub events: Vec<Value>,
}

impl DownloadedSession {
    /// The events' types without the `media.` prefix, in order.
    pub fn actions(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| e["eventType"].as_str().unwrap_or_default().trim_start_matches("media.").to_string())
            .collect()
    }

    fn to_json(&self) -> Value {
        json!({"sessionId": self.session_id, "configId": self.config_id, "xdm": self.xdm, "events": self.events})
    }
}

/// The `downloaded` endpoint: each element a whole session. All good: 200; some refused: 207
/// with an error per refused element (`report.eventIndex` its place); all refused, or no
/// `events` at all: 400. The answer names each accepted session's new ID by its element's index
/// (a `media-analytics:downloaded-session` handle): Adobe documents the request, not the answer's
/// shape, so this one is the emulator's.
fn process_downloaded(shared: &Shared, request: &Request, record: &mut Recorded, config_id: &str) -> Response {
    let sessions = match validate::validate_downloaded(&request.body) {
        Ok(sessions) => sessions,
        Err(problems) => {
            let response = bad_request(&problems);
            record.problems = problems;
            return response;
        }
    };
    let mut state = shared.lock();
    let (mut accepted, mut errors) = (Vec::new(), Vec::new());
    for (index, session) in sessions.into_iter().enumerate() {
        match session {
            Ok(events) => {
                let id = new_session_id(record.seq.wrapping_mul(1 << 16) + index as u64);
                state.downloaded.push(DownloadedSession {
                    session_id: id.clone(),
                    config_id: config_id.to_string(),
                    xdm: record.body["events"][index]["xdm"].clone(),
                    events,
                });
                accepted.push(json!({"type": "media-analytics:downloaded-session", "payload": [{"sessionId": id}],
                    "eventIndex": index}));
            }
            Err(problems) => {
                let details: Vec<Value> =
                    problems.iter().map(|p| json!({"name": p.path, "reason": p.reason})).collect();
                errors.push(json!({"type": "https://ns.adobe.com/aep/errors/va-edge-0400-400", "status": 400,
                    "title": "Invalid downloaded session", "detail": format!("Session {index} was refused."),
                    "report": {"eventIndex": index, "details": details}}));
                record.problems.extend(problems);
            }
        }
    }
    match (accepted.is_empty(), errors.is_empty()) {
        (_, true) => Response::json(200, &json!({"requestId": record.request_id, "handle": accepted})),
        (false, false) => {
            Response::json(207, &json!({"requestId": record.request_id, "handle": accepted, "errors": errors}))
        }
        (true, false) => Response::problem(
            400,
            &json!({"type": "https://ns.adobe.com/aep/errors/va-edge-0400-400", "status": 400,
                "title": "Invalid request", "detail": "Every downloaded session was refused.", "errors": errors,
                "report": {"details": record.problems.iter().map(|p| json!({"name": p.path, "reason": p.reason})).collect::<Vec<_>>()}}),
        ),
    }
}

/// A control endpoint that takes a JSON setting: 204 once `apply` has it, 400 with the reason.
fn setting<T>(request: &Request, parse: fn(&Value) -> Result<T, String>, apply: impl FnOnce(T)) -> Response {
    match serde_json::from_slice::<Value>(&request.body).map_err(|e| e.to_string()).and_then(|v| parse(&v)) {
        Ok(value) => {
            apply(value);
            Response::empty(204)
        }
        Err(message) => Response::json(400, &json!({"error": message})),
    }
}

fn control_endpoint(shared: &Shared, control: &str, request: &Request) -> Response {
    match (request.method.as_str(), control) {
        ("GET", "requests") => {
            let state = shared.lock();
            let list: Vec<Value> = state
                .recorded
                .iter()
                .map(|r| {
                    json!({
                        "seq": r.seq, "receivedMs": r.received.as_millis() as u64, "path": r.path,
                        "configId": r.config_id, "action": r.action, "status": r.status, "faulted": r.faulted,
                        "sessionId": r.session_id, "body": r.body,
                    })
                })
                .collect();
            Response::json(200, &Value::Array(list))
        }
        ("GET", "timeline") => {
            let state = shared.lock();
            let text: String = state.recorded.iter().map(|r| r.timeline_line() + "\n").collect();
            Response { status: 200, content_type: "text/plain", headers: Vec::new(), body: text.into_bytes() }
        }
        ("POST", "faults") => setting(request, Fault::from_json, |fault| shared.lock().faults.push(fault)),
        ("GET", "latency") => Response::json(200, &shared.lock().latency.to_json()),
        ("POST", "latency") => setting(request, Latency::from_json, |latency| shared.lock().latency = latency),
        ("GET", "downloaded") => {
            let state = shared.lock();
            let list: Vec<Value> = state.downloaded.iter().map(DownloadedSession::to_json).collect();
            Response::json(200, &Value::Array(list))
        }
        ("POST", "reset") => {
            let mut state = shared.lock();
            state.recorded.clear();
            state.sessions.clear();
            state.downloaded.clear();
            state.faults.clear();
            Response::empty(204)
        }
        _ => Response::json(404, &json!({"error": "unknown control endpoint"})),
    }
}
