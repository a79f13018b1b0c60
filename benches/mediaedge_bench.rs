//! The benchmark suite: what mediaedge costs its host. Prints a table of figures against their
//! targets. `cargo bench --bench mediaedge_bench` (or `make bench`) runs the full suite, about
//! nine minutes; `-- --quick` is the smoke mode CI runs (same code, tiny sizes and durations,
//! figures not meaningful). See BENCHMARKS.md for a full run's results.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mediaedge::config::Config;
use mediaedge::delivery::transport::{HttpReply, Transport, TransportError};
use mediaedge::{Client, ClockChoice, PlayerDetails, Session};
use serde_json::{json, Map, Value};

/// Counts the heap bytes live in the process, to tell what the library keeps per session from
/// what the allocator keeps around (resident memory includes both).
struct CountingAllocator;

thread_local! {
    /// Heap allocations made by this thread (no destructor, so the allocator may touch it).
    static THREAD_ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

static LIVE_HEAP: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; it only counts sizes.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LIVE_HEAP.fetch_add(layout.size() as isize, std::sync::atomic::Ordering::Relaxed);
        let _ = THREAD_ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's layout contract is passed on as is.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE_HEAP.fetch_sub(layout.size() as isize, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

struct Mode {
    quick: bool,
}

impl Mode {
    fn pick<T>(&self, quick: T, full: T) -> T {
        if self.quick {
            quick
        } else {
            full
        }
    }
}

/// Answers every request at once, in-process: sessionStart with a session ID, the rest 204.
/// Records when each ping arrives, for the ping-timing figure.
#[derive(Default)]
struct NullTransport {
    next_id: std::sync::atomic::AtomicU64,
    pings: Mutex<Vec<(String, i64, i64)>>, // (session ID, xdm timestamp ms, arrival µs)
    record_pings: std::sync::atomic::AtomicBool,
}

fn unix_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

impl Transport for NullTransport {
    fn post_json(&self, url: &str, body: &[u8]) -> Result<HttpReply, TransportError> {
        if url.contains("/va/v1/sessionStart") {
            let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let body = json!({"handle": [{"type": "media-analytics:new-session", "payload": [{"sessionId": format!("bench-{id}")}]}]});
            return Ok(HttpReply { status: 200, retry_after: None, body: body.to_string().into_bytes() });
        }
        if url.contains("/va/v1/ping") && self.record_pings.load(std::sync::atomic::Ordering::Relaxed) {
            let arrival = unix_micros();
            // Found by position rather than parsed, to keep the recording's cost off the figure.
            let text = std::str::from_utf8(body).unwrap_or("");
            let field = |name: &str| text.split(name).nth(1).and_then(|rest| rest.split('"').next());
            if let (Some(id), Some(ts)) = (
                field("\"sessionID\":\""),
                field("\"timestamp\":\"").and_then(mediaedge_emulator::validate::parse_timestamp_ms),
            ) {
                self.pings.lock().unwrap().push((id.to_string(), ts, arrival));
            }
        }
        Ok(HttpReply { status: 204, retry_after: None, body: Vec::new() })
    }
}

const CONFIG: &str = r#"{"datastreamId":"bench","streamingMedia":{"channel":"bench","playerName":"bench","adPingInterval":1},
    "native":{"edgeBaseUrl":"http://127.0.0.1:9","maxQueuedEvents":2000000,"maxQueuedBytes":4294967296}}"#;
const START: &str =
    r#"{"mediaCollection":{"sessionDetails":{"name":"bench-content","length":3600,"contentType":"VOD"}}}"#;

fn null_client() -> (Client, Arc<NullTransport>) {
    let transport = Arc::new(NullTransport::default());
    let client =
        Client::with_transport(Config::from_json(CONFIG).unwrap(), ClockChoice::System, transport.clone()).unwrap();
    (client, transport)
}

fn start_sessions(client: &Client, n: usize) -> Vec<Session> {
    let sessions: Vec<Session> = (0..n)
        .map(|i| {
            let details = move || PlayerDetails { playhead: (i % 600) as f64, ..PlayerDetails::default() };
            client.start_automatic(&format!("player-{i}"), Arc::new(details), START).unwrap()
        })
        .collect();
    client.flush(Duration::from_secs(60)).unwrap();
    sessions
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0)
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

struct Percentiles {
    p50: f64,
    p99: f64,
    max: f64,
}

fn percentiles(mut values: Vec<f64>) -> Percentiles {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| values[((values.len() as f64 - 1.0) * q).round() as usize];
    Percentiles { p50: at(0.5), p99: at(0.99), max: *values.last().unwrap() }
}

struct Row {
    figure: String,
    measured: String,
    target: String,
    met: Option<bool>,
}

fn row(rows: &mut Vec<Row>, figure: impl Into<String>, measured: impl Into<String>, target: &str, met: Option<bool>) {
    let row = Row { figure: figure.into(), measured: measured.into(), target: target.into(), met };
    eprintln!("  {}: {}", row.figure, row.measured);
    rows.push(row);
}

/// A 1 KiB chapterStart, as a caller would pass it.
fn kib_document() -> String {
    let pairs: Vec<Value> = (0..16)
        .map(|i| json!({"name": format!("tenant.field{i:02}"), "value": format!("value-{i:02}-abcdefghijklmnop")}))
        .collect();
    let doc = json!({"eventType": "media.chapterStart", "mediaCollection": {
        "chapterDetails": {"index": 1, "length": 600, "offset": 0, "friendlyName": "Chapter one of the benchmark"},
        "customMetadata": pairs}});
    doc.to_string()
}

/// Times `iterations` sends of each kind on the caller's thread. With `held`, consent is
/// "pending" while timing, so the delivery threads stay idle and the figure is the caller's
/// cost alone; every 5,000 sends the held events are let out (untimed).
fn time_sends(
    client: &Client,
    sessions: &[Session],
    iterations: usize,
    held: bool,
    kib: &str,
) -> (Percentiles, Percentiles) {
    let play: Map<String, Value> = serde_json::from_str(r#"{"eventType":"media.play"}"#).unwrap();
    let hold = |on: bool| {
        if held {
            client.set_consent(if on { mediaedge::Consent::Pending } else { mediaedge::Consent::In });
        }
    };
    let (mut parsed, mut text) = (Vec::with_capacity(iterations), Vec::with_capacity(iterations));
    hold(true);
    for i in 0..iterations {
        let session = &sessions[i % sessions.len()];
        let doc = play.clone();
        let started = Instant::now();
        session.send_document(doc).unwrap();
        parsed.push(started.elapsed().as_nanos() as f64 / 1000.0);
        let started = Instant::now();
        session.send(kib).unwrap();
        text.push(started.elapsed().as_nanos() as f64 / 1000.0);
        if i % 5_000 == 4_999 {
            hold(false);
            client.flush(Duration::from_secs(60)).unwrap();
            hold(true);
        }
    }
    hold(false);
    client.flush(Duration::from_secs(60)).unwrap();
    (percentiles(parsed), percentiles(text))
}

fn send_cost(mode: &Mode, rows: &mut Vec<Row>) {
    let kib = kib_document();
    eprintln!("send cost (1 KiB document: {} bytes)", kib.len());
    let fmt = |p: &Percentiles| format!("{:.2} / {:.2} / {:.0}", p.p50, p.p99, p.max);
    for n in [1usize, 1000, 10_000] {
        let (client, _t) = null_client();
        let sessions = start_sessions(&client, mode.pick(n.min(100), n));
        // Rows name the sizes that ran (the quick mode's are smaller).
        let live = sessions.len();
        let (a, b) = time_sends(&client, &sessions, mode.pick(2_000, 100_000), true, &kib);
        row(
            rows,
            format!("send, no parsing, {live} sessions: p50 / p99 / max µs"),
            fmt(&a),
            "p99 ≤ 2 µs",
            Some(a.p99 <= 2.0),
        );
        row(
            rows,
            format!("send, parsing 1 KiB, {live} sessions: p50 / p99 / max µs"),
            fmt(&b),
            "p99 ≤ 20 µs",
            Some(b.p99 <= 20.0),
        );
        if n == 1 {
            // What parsing the same text alone costs, for comparison.
            let mut parse = Vec::new();
            for _ in 0..mode.pick(2_000, 100_000) {
                let started = Instant::now();
                let doc: Map<String, Value> = serde_json::from_str(&kib).unwrap();
                parse.push(started.elapsed().as_nanos() as f64 / 1000.0);
                drop(doc);
            }
            row(
                rows,
                "  … of which serde_json parsing the 1 KiB text alone: p50 / p99 / max µs",
                fmt(&percentiles(parse)),
                "—",
                None,
            );
        }
        if n == 1000 {
            // The same while the delivery threads work through what is sent, on the same 2 cores.
            let (a, b) = time_sends(&client, &sessions, mode.pick(2_000, 100_000), false, &kib);
            row(
                rows,
                "  … with delivery running at the same time: no parsing / 1 KiB, p99 µs",
                format!("{:.2} / {:.2}", a.p99, b.p99),
                "—",
                None,
            );
        }
        drop(sessions);
    }
}

fn ping_timing(mode: &Mode, rows: &mut Vec<Row>) {
    for n in [1000usize, 10_000] {
        let (client, transport) = null_client();
        let sessions = start_sessions(&client, mode.pick(n / 10, n));
        // In an ad break: pings every second.
        for session in &sessions {
            session.send(r#"{"eventType":"media.adBreakStart","mediaCollection":{"advertisingPodDetails":{"index":1,"offset":0}}}"#).unwrap();
        }
        client.flush(Duration::from_secs(60)).unwrap();
        transport.record_pings.store(true, std::sync::atomic::Ordering::Relaxed);
        let seconds = mode.pick(3, 60);
        eprintln!("ping timing: {} sessions for {seconds} s", sessions.len());
        std::thread::sleep(Duration::from_secs(seconds));
        transport.record_pings.store(false, std::sync::atomic::Ordering::Relaxed);
        let pings = std::mem::take(&mut *transport.pings.lock().unwrap());
        // A ping is due one interval after the previous one was made (its timestamp, to the ms).
        let mut last: HashMap<String, i64> = HashMap::new();
        let mut late = Vec::new();
        for (id, ts, arrival) in pings.iter() {
            if let Some(prev) = last.insert(id.clone(), *ts) {
                late.push((*arrival - (prev + 1000) * 1000) as f64 / 1000.0);
            }
        }
        let p = percentiles(late.clone());
        row(
            rows,
            format!("ping sent − due, {} sessions for {seconds} s, 1 s ad pings: p50 / p99 / max ms", sessions.len()),
            format!("{:.2} / {:.2} / {:.1} ({} pings, ±1 ms)", p.p50, p.p99, p.max, late.len()),
            "p99 ≤ 5 ms",
            Some(p.p99 <= 5.0),
        );
        drop(sessions);
    }
}

fn threads_and_memory(mode: &Mode, rows: &mut Vec<Row>) {
    let (client, _t) = null_client();
    let n = mode.pick(1000, 10_000);
    let (before, heap_before) = (rss_bytes(), LIVE_HEAP.load(std::sync::atomic::Ordering::Relaxed));
    let sessions = start_sessions(&client, n);
    std::thread::sleep(Duration::from_millis(200));
    let per = (rss_bytes().saturating_sub(before)) as f64 / n as f64;
    let heap = (LIVE_HEAP.load(std::sync::atomic::Ordering::Relaxed) - heap_before) as f64 / n as f64;
    row(
        rows,
        format!("resident memory per idle session, in-process transport ({n} sessions)"),
        format!("{per:.0} bytes resident ({heap:.0} bytes of live heap)"),
        "≤ 2 KiB",
        Some(per <= 2048.0),
    );
    drop(sessions);
    drop(client);

    let base = threads();
    let mut counts = Vec::new();
    for n in [1usize, 1000, 10_000] {
        let (client, _t) = null_client();
        let sessions = start_sessions(&client, mode.pick(n.min(100), n));
        counts.push((sessions.len(), threads() - base));
        drop(sessions);
    }
    let constant = counts.iter().all(|(_, c)| *c == counts[0].1);
    let text: Vec<String> = counts.iter().map(|(n, c)| format!("{c} at {n}")).collect();
    row(rows, "threads a client adds, by live sessions", text.join(", "), "constant", Some(constant));

    // The same with the real HTTP transport, in a child process, delivering to the emulator.
    let emulator = mediaedge_emulator::Emulator::start().unwrap();
    emulator.set_recording(false);
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--child-memory", &emulator.base_url(), &n.to_string()])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).to_string();
            let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
            Some((fields.next()??, fields.next()??))
        });
    match child {
        Some((rss, heap)) => row(
            rows,
            format!(
                "resident memory per idle session, real HTTP transport to the emulator ({n} sessions, own process)"
            ),
            format!("{rss:.0} bytes resident ({heap:.0} bytes of live heap)"),
            "≤ 2 KiB",
            Some(rss <= 2048.0),
        ),
        None => row(
            rows,
            "resident memory per idle session, real HTTP transport",
            "not measured: the child failed",
            "—",
            None,
        ),
    }
    drop(emulator);
}

/// Resident memory and live heap per idle session of a client with the real HTTP transport,
/// delivering to the emulator at `url` (in another process, so its memory is not counted):
/// `count` automatic sessions started, their IDs known, nothing queued.
fn memory_child(url: &str, count: usize) -> (f64, f64) {
    let config = format!(
        r#"{{"datastreamId":"bench","streamingMedia":{{"channel":"bench","playerName":"bench"}},
            "native":{{"edgeBaseUrl":"{url}","maxQueuedEvents":1000000}}}}"#
    );
    let client = Client::new(&config).unwrap();
    // A first session, so that the client's threads, connections and buffers are counted
    // before, not per session.
    let warm = client.start_automatic("warm-up", Arc::new(PlayerDetails::default), START).unwrap();
    client.flush(Duration::from_secs(60)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (before, heap_before) = (rss_bytes(), LIVE_HEAP.load(std::sync::atomic::Ordering::Relaxed));
    let sessions = start_sessions(&client, count);
    std::thread::sleep(Duration::from_millis(200));
    let rss = rss_bytes().saturating_sub(before) as f64 / count as f64;
    let heap = (LIVE_HEAP.load(std::sync::atomic::Ordering::Relaxed) - heap_before) as f64 / count as f64;
    if std::env::var_os("MEDIAEDGE_BENCH_KEEP").is_some() {
        std::mem::forget((sessions, warm, client));
        return (rss, heap);
    }
    drop((sessions, warm));
    (rss, heap)
}

/// CPU time (µs) of the threads whose name starts with one of `prefixes`, this one included.
fn cpu_micros(prefixes: &[&str]) -> f64 {
    let tick = 100.0; // USER_HZ on Linux
    let me = std::fs::read_to_string("/proc/thread-self/comm").unwrap_or_default();
    let mut total = 0.0;
    for entry in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if !(prefixes.iter().any(|p| comm.starts_with(p)) || comm == me) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
        let utime: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let stime: f64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        total += (utime + stime) / tick * 1e6;
    }
    total
}

fn throughput(mode: &Mode, rows: &mut Vec<Row>) {
    let emulator = mediaedge_emulator::Emulator::start().unwrap();
    let config = format!(
        r#"{{"datastreamId":"bench","streamingMedia":{{"channel":"bench","playerName":"bench"}},
            "native":{{"edgeBaseUrl":"{}","maxQueuedEvents":1000000}}}}"#,
        emulator.base_url()
    );
    let client = Client::new(&config).unwrap();
    let sessions = start_sessions(&client, 64);
    let per_session = mode.pick(10, 300);
    let total = sessions.len() * per_session;
    let cpu_before = cpu_micros(&["mediaedge-"]);
    let started = Instant::now();
    for i in 0..per_session {
        for session in &sessions {
            session
                .send(if i % 2 == 0 { r#"{"eventType":"media.play"}"# } else { r#"{"eventType":"media.pauseStart"}"# })
                .unwrap();
        }
    }
    client.flush(Duration::from_secs(300)).unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_micros(&["mediaedge-"]) - cpu_before;
    let stats = client.stats();
    let reused = stats.requests_reused_connection as f64 / stats.requests_answered.max(1) as f64 * 100.0;
    row(
        rows,
        format!("throughput to the emulator on loopback ({total} events, 64 sessions, one delivery thread)"),
        format!("{:.0} events/s, {:.1} µs client CPU per event", total as f64 / elapsed, cpu / total as f64),
        "—",
        None,
    );
    row(
        rows,
        "requests on reused connections",
        format!("{:.2} % ({} of {})", reused, stats.requests_reused_connection, stats.requests_answered),
        "≥ 99 %",
        Some(reused >= 99.0),
    );
}

/// Pings over real HTTP to the emulator: how late each is answered after it fell due, with the
/// emulator answering after `latency`. `slow`: one extra session whose requests the emulator
/// holds 3 s each (the others' figures should not move).
struct Lateness {
    sessions: usize,
    ad_pings: bool,
    latency: Duration,
    slow: bool,
    seconds: u64,
    /// The sessions (or their ad breaks) start in this many groups, one ping interval apart in
    /// all: 10 makes bursts of a tenth of them due in the same instant; 100 is close to players
    /// starting at random times.
    slices: usize,
}

fn http_lateness(run: &Lateness) -> (Percentiles, usize, f64, f64, usize) {
    let emulator = mediaedge_emulator::Emulator::start().unwrap();
    emulator.set_recording(false);
    let interval_ms: i64 = if run.ad_pings { 1000 } else { 10_000 };
    // (session ID, the ping's timestamp, when it was answered), recorded by the emulator.
    let pings: Arc<Mutex<Vec<(String, i64, i64)>>> = Arc::default();
    let record = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (pings, record) = (Arc::clone(&pings), Arc::clone(&record));
        emulator.set_observer(move |r| {
            if r.action == "ping" && record.load(std::sync::atomic::Ordering::Relaxed) {
                if let (Some(id), Some(ts)) = (r.session_id.clone(), r.timestamp_ms()) {
                    pings.lock().unwrap().push((id, ts, unix_micros()));
                }
            }
        });
    }
    let config = format!(
        r#"{{"datastreamId":"bench","streamingMedia":{{"channel":"bench","playerName":"bench","adPingInterval":1}},
            "native":{{"edgeBaseUrl":"{}","maxConnections":128,"maxQueuedEvents":2000000,"requestTimeoutMs":10000}}}}"#,
        emulator.base_url()
    );
    let client = Client::new(&config).unwrap();
    // Real players do not start in the same millisecond: the sessions (or, for ad pings, their
    // ad breaks) are spread over one ping interval, in `slices` groups, so their pings are too.
    let slice = Duration::from_millis(interval_ms as u64 / run.slices as u64);
    let mut sessions = Vec::with_capacity(run.sessions);
    for i in 0..run.sessions {
        if !run.ad_pings && i > 0 && i % run.sessions.div_ceil(run.slices) == 0 {
            std::thread::sleep(slice);
        }
        let details = move || PlayerDetails { playhead: (i % 600) as f64, ..PlayerDetails::default() };
        sessions.push(client.start_automatic(&format!("player-{i}"), Arc::new(details), START).unwrap());
    }
    client.flush(Duration::from_secs(120)).unwrap();
    if run.ad_pings {
        for (i, session) in sessions.iter().enumerate() {
            if i > 0 && i % sessions.len().div_ceil(run.slices) == 0 {
                std::thread::sleep(slice);
            }
            session.send(r#"{"eventType":"media.adBreakStart","mediaCollection":{"advertisingPodDetails":{"index":1,"offset":0}}}"#).unwrap();
        }
        client.flush(Duration::from_secs(120)).unwrap();
    }
    // Started last: its queue only grows (a ping a second, an answer every 3 s), so nothing after
    // this may wait for a flush.
    let slow = run.slow.then(|| {
        let session = client
            .start_automatic("slow", Arc::new(|| PlayerDetails { playhead: 1.0, ..PlayerDetails::default() }), START)
            .unwrap();
        let id = session.wait_session_id(Duration::from_secs(30)).unwrap();
        emulator.push_fault(
            mediaedge_emulator::Fault::delay(None, Duration::from_secs(3), 1_000_000).for_session(&id),
        );
        session.send(r#"{"eventType":"media.adBreakStart","mediaCollection":{"advertisingPodDetails":{"index":1,"offset":0}}}"#).unwrap();
        (session, id)
    });
    let slow_id = slow.as_ref().map(|(_, id)| id.clone());
    emulator.set_latency(run.latency, Duration::ZERO);
    let (cpu_before, requests_before) = (cpu_micros(&["mediaedge-"]), client.stats().requests_answered);
    record.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut peak_threads = 0;
    for _ in 0..run.seconds * 10 {
        std::thread::sleep(Duration::from_millis(100));
        peak_threads = peak_threads.max(library_threads());
    }
    record.store(false, std::sync::atomic::Ordering::Relaxed);
    let requests = client.stats().requests_answered - requests_before;
    let cpu = cpu_micros(&["mediaedge-"]) - cpu_before;
    let pings = std::mem::take(&mut *pings.lock().unwrap());
    let mut last: HashMap<String, i64> = HashMap::new();
    let mut late = Vec::new();
    for (id, ts, answered) in pings.iter().filter(|(id, ..)| Some(id) != slow_id.as_ref()) {
        if let Some(prev) = last.insert(id.clone(), *ts) {
            late.push((*answered - (prev + interval_ms) * 1000) as f64 / 1000.0);
        }
    }
    drop(slow);
    drop(sessions);
    let p = percentiles(if late.is_empty() { vec![f64::NAN] } else { late.clone() });
    (p, late.len(), requests as f64 / run.seconds as f64, cpu / requests.max(1) as f64, peak_threads)
}

/// The library's threads (`mediaedge-*`).
fn library_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|n| n.starts_with("mediaedge-")))
        .count()
}

/// Runs `run` and adds its row: lateness p50 / p99 against a p99 target, with the load's figures.
fn lateness_row(rows: &mut Vec<Row>, what: String, run: &Lateness, target_ms: f64) {
    let (p, n, rate, cpu, threads) = http_lateness(run);
    row(
        rows,
        format!("{what}: ping answered − due, p50 / p99 ms"),
        format!(
            "{:.1} / {:.1} ({n} pings; {rate:.0} requests/s; {cpu:.1} µs client CPU per request; {threads} library threads)",
            p.p50, p.p99
        ),
        &format!("p99 ≤ {target_ms} ms"),
        Some(p.p99 <= target_ms),
    );
}

fn delivery_at_scale(mode: &Mode, rows: &mut Vec<Row>) {
    for slices in [10, 100] {
        let wide = Lateness {
            sessions: mode.pick(200, 10_000),
            ad_pings: false,
            latency: Duration::from_millis(50),
            slow: false,
            // Lateness is measured between a session's pings: two 10 s intervals even in the smoke mode.
            seconds: mode.pick(21, 40),
            slices,
        };
        eprintln!(
            "delivery: {} sessions, 10 s pings, 50 ms latency, {slices} slices, {} s",
            wide.sessions, wide.seconds
        );
        let what = format!(
            "{} sessions, 10 s pings, 50 ms round trip, starts in {slices} groups ({} due at once)",
            wide.sessions,
            wide.sessions / slices
        );
        lateness_row(rows, what, &wide, 250.0);
    }
    let few = |slow| Lateness {
        sessions: mode.pick(20, 99),
        ad_pings: true,
        latency: Duration::from_millis(50),
        slow,
        seconds: mode.pick(3, 20),
        slices: 10,
    };
    eprintln!("delivery: {} sessions on 1 s pings, with and without a 3 s slow one", few(false).sessions);
    let (alone, ..) = http_lateness(&few(false));
    let (beside_slow, ..) = http_lateness(&few(true));
    row(
        rows,
        format!("{} sessions on 1 s pings, 50 ms round trip, with one more held 3 s per request: their ping lateness p99 alone / beside it, ms", few(false).sessions),
        format!("{:.1} / {:.1}", alone.p99, beside_slow.p99),
        "within 2×",
        Some(beside_slow.p99 <= 2.0 * alone.p99.max(1.0)),
    );
    for slices in [10, 100] {
        let ads = Lateness {
            sessions: mode.pick(200, 10_000),
            ad_pings: true,
            latency: Duration::ZERO,
            slow: false,
            seconds: mode.pick(3, 20),
            slices,
        };
        eprintln!("delivery: {} sessions on 1 s ad pings, loopback, {slices} slices, {} s", ads.sessions, ads.seconds);
        let what = format!(
            "{} sessions on 1 s ad pings over loopback HTTP, ad breaks in {slices} groups ({} due at once)",
            ads.sessions,
            ads.sessions / slices
        );
        lateness_row(rows, what, &ads, 50.0);
    }
    // After the load: back to the baseline (the clients above are gone; none is left running).
    std::thread::sleep(Duration::from_millis(200));
    row(
        rows,
        "library threads after the load (every client freed)",
        library_threads().to_string(),
        "0",
        Some(library_threads() == 0),
    );
}

/// How far past its deadline freeing a client returns when the network is dead: a listener that
/// never answers holds every request on the wire, and the documented bound is 50 ms.
fn shutdown_deadline(mode: &Mode, rows: &mut Vec<Row>) {
    let runs = mode.pick(2, 10);
    let deadline = Duration::from_millis(200);
    let mut over = Vec::new();
    for _ in 0..runs {
        let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let config = format!(
            r#"{{"datastreamId":"bench","streamingMedia":{{"channel":"c","playerName":"p"}},
                "native":{{"edgeBaseUrl":"http://127.0.0.1:{}","requestTimeoutMs":60000,"shutdownTimeoutMs":200}}}}"#,
            hole.local_addr().unwrap().port()
        );
        let client = Client::with_clock(&config, ClockChoice::System).unwrap();
        let sessions: Vec<Session> = (0..3)
            .map(|i| client.start_automatic(&format!("p{i}"), Arc::new(PlayerDetails::default), START).unwrap())
            .collect();
        let started = Instant::now();
        client.shutdown(deadline);
        over.push(started.elapsed().saturating_sub(deadline).as_secs_f64() * 1000.0);
        drop(sessions);
    }
    let worst = over.iter().cloned().fold(0.0, f64::max);
    row(
        rows,
        format!("client free on a dead network: past its deadline, worst of {runs} runs"),
        format!("{worst:.1} ms"),
        "≤ 50 ms",
        Some(worst <= 50.0),
    );
}

fn wakeups(mode: &Mode, rows: &mut Vec<Row>) {
    let (client, _t) = null_client();
    let switches = || -> u64 {
        let mut total = 0;
        for entry in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
            if !std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default().starts_with("mediaedge-") {
                continue;
            }
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            for line in status.lines() {
                if line.starts_with("voluntary_ctxt_switches") || line.starts_with("nonvoluntary_ctxt_switches") {
                    total += line.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                }
            }
        }
        total
    };
    std::thread::sleep(Duration::from_millis(200));
    let seconds = mode.pick(1, 10);
    let before = switches();
    std::thread::sleep(Duration::from_secs(seconds));
    let per_second = (switches() - before) as f64 / seconds as f64;
    row(
        rows,
        "wakeups per second, idle client without sessions",
        format!("{per_second:.1}"),
        "0",
        Some(per_second == 0.0),
    );
    drop(client);
}

fn library_size(rows: &mut Vec<Row>) {
    // The library as it ships (`make dist`, which `make bench` runs first).
    let lib = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dist/libmediaedge.so");
    let stripped = std::env::temp_dir().join(format!("mediaedge-bench-{}.so", std::process::id()));
    let measured = std::fs::copy(&lib, &stripped)
        .ok()
        .and_then(|_| std::process::Command::new("strip").arg(&stripped).status().ok())
        .filter(|s| s.success())
        .and_then(|_| std::fs::metadata(&stripped).ok())
        .map(|m| m.len());
    let _ = std::fs::remove_file(&stripped);
    match measured {
        Some(bytes) => row(
            rows,
            "stripped libmediaedge.so as it ships (make dist: rustls + ring, the system's CA bundle, std rebuilt for size)",
            format!("{:.2} MB ({bytes} bytes)", bytes as f64 / 1e6),
            "≤ 2 MB",
            Some(bytes <= 2_000_000),
        ),
        None => row(
            rows,
            "stripped libmediaedge.so as it ships",
            format!("not measured: build {} first (make dist)", lib.display()),
            "≤ 2 MB",
            None,
        ),
    }
}

/// The child processes the cost-per-event figure runs under callgrind and strace: mediaedge
/// delivering `events` over 10 automatic sessions, or the floor, a minimal blocking keep-alive
/// HTTP/1.1 client posting the same bodies over one connection. Each prints the number of
/// requests answered.
fn child(args: &[String]) -> bool {
    match args {
        [flag, url, events, journal @ ..] if flag == "--child-mediaedge" && journal.len() <= 2 => {
            // With a directory (and a sync interval): the durable queue's journal in it.
            let storage = match journal {
                [dir, sync_ms] => format!(r#","storageDir":"{dir}","journalSyncMs":{sync_ms}"#),
                _ => String::new(),
            };
            let config = format!(
                r#"{{"datastreamId":"bench","streamingMedia":{{"channel":"bench","playerName":"bench"}},
                    "native":{{"edgeBaseUrl":"{url}","maxQueuedEvents":1000000{storage}}}}}"#
            );
            let client = Client::new(&config).unwrap();
            let sessions = start_sessions(&client, 10);
            let events: usize = events.parse().unwrap();
            for i in 0..events / sessions.len() {
                for session in &sessions {
                    let kind = if i % 2 == 0 { "media.play" } else { "media.pauseStart" };
                    session.send(&format!(r#"{{"eventType":"{kind}"}}"#)).unwrap();
                }
            }
            client.flush(Duration::from_secs(600)).unwrap();
            println!("{}", client.stats().requests_answered);
            // Skip the sessions' ends: the figure is per delivered event, not teardown.
            std::process::exit(0);
        }
        [flag, url, count] if flag == "--child-memory" => {
            let (rss, heap) = memory_child(url, count.parse().unwrap());
            println!("{rss} {heap}");
            std::process::exit(0);
        }
        [flag, url, kind, count] if flag == "--child-send" => {
            send_path_child(url, kind, count.parse().unwrap());
            true
        }
        [flag, address, bodies, count] if flag == "--child-floor" => {
            let count: usize = count.parse().unwrap();
            println!("{}", floor_client(address, &std::fs::read_to_string(bodies).unwrap(), count));
            true
        }
        _ => false,
    }
}

/// Instructions of the send path, counted by callgrind inside `measured` only (the caller's
/// thread, from the call to its return): `count` calls of one kind, each printed as the number
/// of calls and of heap allocations they made.
/// - `play`, `kib`: `mediaedge_session_send` (the C ABI) on an automatic session of a client
///   delivering to the emulator at `url`, with `{"eventType":"media.play"}` or the 1 KiB
///   chapterStart, each send on an idle session (the session's queue empty);
/// - `parse-play`, `parse-kib`: the floor, `serde_json::from_str::<Value>` of the same text
///   (the value is dropped outside the measured call);
/// - `playhead`: a tracker's `update_playhead`, as a player calls it every second (the
///   tracker's events are made on the scheduler thread, at its next tick).
fn send_path_child(url: &str, kind: &str, count: usize) {
    use mediaedge::ffi::*;
    use std::ffi::CString;
    let config = format!(
        r#"{{"datastreamId":"bench","streamingMedia":{{"channel":"bench","playerName":"bench"}},
            "native":{{"edgeBaseUrl":"{url}","maxQueuedEvents":1000000,"maxQueuedBytes":1073741824}}}}"#
    );
    let text = match kind {
        "play" | "parse-play" => r#"{"eventType":"media.play"}"#.to_string(),
        _ => kib_document(),
    };
    let allocations = |f: &mut dyn FnMut()| {
        let before = THREAD_ALLOCATIONS.with(|c| c.get());
        f();
        THREAD_ALLOCATIONS.with(|c| c.get()) - before
    };
    let mut allocs = 0;
    match kind {
        "parse-play" | "parse-kib" => {
            for _ in 0..count {
                allocs += allocations(&mut || drop(measured_parse(&text)));
            }
        }
        "play" | "kib" => {
            let config = CString::new(config).unwrap();
            let (mut client, mut session) = (std::ptr::null_mut(), std::ptr::null_mut());
            assert_eq!(mediaedge_client_new(config.as_ptr(), &mut client), mediaedge_status::MEDIAEDGE_OK);
            unsafe extern "C" fn details(_: *mut std::ffi::c_void, out: *mut mediaedge_player_details) {
                // SAFETY: the library passes a writable struct for the call's duration.
                unsafe { (*out).playhead = 42.0 };
            }
            let start = CString::new(START).unwrap();
            let status = mediaedge_session_new_automatic(
                client,
                c"bench-player".as_ptr(),
                Some(details),
                std::ptr::null_mut(),
                None,
                start.as_ptr(),
                &mut session,
            );
            assert_eq!(status, mediaedge_status::MEDIAEDGE_OK);
            assert_eq!(mediaedge_client_flush(client, 60_000), mediaedge_status::MEDIAEDGE_OK);
            let text = CString::new(text).unwrap();
            // Called through a pointer the optimizer cannot see through, so the call stays a
            // call and callgrind's toggle sees it.
            let send = std::hint::black_box(mediaedge_session_send as extern "C" fn(_, _) -> _);
            // Each send finds its session idle, as a player's events (seconds apart) do: the
            // flush between them is not measured.
            for _ in 0..count {
                let mut status = mediaedge_status::MEDIAEDGE_OK;
                allocs += allocations(&mut || status = measured_send(send, session, text.as_ptr()));
                assert_eq!(status, mediaedge_status::MEDIAEDGE_OK);
                assert_eq!(mediaedge_client_flush(client, 60_000), mediaedge_status::MEDIAEDGE_OK);
            }
            assert_eq!(mediaedge_client_flush(client, 600_000), mediaedge_status::MEDIAEDGE_OK);
            mediaedge_session_free(session);
            mediaedge_client_free(client);
        }
        "playhead" => {
            let client = Client::new(&config).unwrap();
            let tracker = client.create_tracker(None).unwrap();
            let media = mediaedge::tracker::MediaInfo::new(
                "bench-media",
                "Bench",
                3600.0,
                "vod",
                mediaedge::tracker::MediaType::Video,
            )
            .unwrap();
            tracker.track_session_start(&media, &mediaedge::tracker::Metadata::new()).unwrap();
            tracker.track_play().unwrap();
            client.flush(Duration::from_secs(60)).unwrap();
            for i in 0..count {
                let call = mediaedge::tracker::Call::Playhead(i as f64);
                allocs += allocations(&mut || measured_track(&tracker, call.clone()).unwrap());
            }
            client.flush(Duration::from_secs(600)).unwrap();
        }
        other => panic!("unknown kind {other}"),
    }
    println!("{count} {allocs}");
}

#[inline(never)]
fn measured_parse(text: &str) -> Value {
    serde_json::from_str(std::hint::black_box(text)).unwrap()
}

#[inline(never)]
fn measured_send(
    send: extern "C" fn(
        *const mediaedge::ffi::mediaedge_session,
        *const std::ffi::c_char,
    ) -> mediaedge::ffi::mediaedge_status,
    session: *const mediaedge::ffi::mediaedge_session,
    text: *const std::ffi::c_char,
) -> mediaedge::ffi::mediaedge_status {
    send(session, text)
}

#[inline(never)]
fn measured_track(tracker: &mediaedge::Tracker, call: mediaedge::tracker::Call) -> mediaedge::Result<()> {
    tracker.track(call)
}

/// Callgrind's count inside `measured_*` per call, and heap allocations per call, for each
/// kind of `send_path_child`.
fn send_path_instructions(url: &str, kind: &str, count: usize) -> Option<(f64, f64)> {
    let out = std::env::temp_dir().join(format!("mediaedge-bench-{}-send.out", std::process::id()));
    let output = std::process::Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--toggle-collect=*measured_*")
        .arg(std::env::current_exe().ok()?)
        .args(["--child-send", url, kind, &count.to_string()])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let printed = String::from_utf8_lossy(&output.stdout).to_string();
    let mut fields = printed.split_whitespace().map(|f| f.parse::<f64>().ok());
    let (calls, allocs) = (fields.next()??, fields.next()??);
    let report = std::fs::read_to_string(&out).ok()?;
    let _ = std::fs::remove_file(&out);
    let total: f64 = report
        .lines()
        .find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())?;
    Some((total / calls, allocs / calls))
}

/// Figure 10: instructions per call on the caller's thread (callgrind), the send path against
/// a standalone serde_json parse of the same text, and a tracker's calls.
fn send_path(mode: &Mode, rows: &mut Vec<Row>) {
    if !std::process::Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success()) {
        row(rows, "send path: instructions per call", "not measured: needs valgrind", "—", None);
        return;
    }
    let emulator = mediaedge_emulator::Emulator::start().unwrap();
    emulator.set_recording(false);
    let url = emulator.base_url();
    let count = mode.pick(50, 2000);
    let figure = |kind: &str| send_path_instructions(&url, kind, count);
    let (play, parse_play, kib, parse_kib, playhead) =
        (figure("play"), figure("parse-play"), figure("kib"), figure("parse-kib"), figure("playhead"));
    let (Some(play), Some(parse_play), Some(kib), Some(parse_kib), Some(playhead)) =
        (play, parse_play, kib, parse_kib, playhead)
    else {
        row(rows, "send path: instructions per call", "not measured: a child run failed", "—", None);
        return;
    };
    row(
        rows,
        format!("send path, `{{\"eventType\":\"media.play\"}}` through mediaedge_session_send: instructions, heap allocations per call (callgrind, caller's thread, {count} calls)"),
        format!("{:.0} instructions, {:.1} allocations (serde_json parse alone: {:.0})", play.0, play.1, parse_play.0),
        "≤ 3,000 instructions, ≤ 2 allocations",
        Some(play.0 <= 3000.0 && play.1 <= 2.0),
    );
    row(
        rows,
        "send path, 1 KiB chapterStart: instructions per call against a standalone serde_json::Value parse of the same text",
        format!("{:.0} vs {:.0} ({:.2}×; {:.1} allocations vs {:.1})", kib.0, parse_kib.0, kib.0 / parse_kib.0, kib.1, parse_kib.1),
        "≤ 1.15×",
        Some(kib.0 <= 1.15 * parse_kib.0),
    );
    row(
        rows,
        "tracker's update_playhead: instructions, heap allocations per call",
        format!("{:.0} instructions, {:.1} allocations", playhead.0, playhead.1),
        "—",
        None,
    );
}

/// Posts `count` bodies (`action \t body` lines, the first a sessionStart) to the emulator at
/// `address` on one keep-alive connection, each with one write and as few reads as the answer
/// needs; the session ID the first answer gives replaces the recorded one in the others.
fn floor_client(address: &str, bodies: &str, count: usize) -> usize {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut lines = bodies.lines();
    let (mut recorded_id, mut session_id) = (String::new(), String::new());
    let mut request = Vec::with_capacity(4096);
    let mut answer = vec![0u8; 16 * 1024];
    let mut answered = 0;
    for (n, line) in lines.by_ref().take(count).enumerate() {
        let mut fields = line.splitn(3, '\t');
        let (action, id, body) = (fields.next().unwrap(), fields.next().unwrap(), fields.next().unwrap());
        let body = if n == 0 {
            recorded_id = id.to_string();
            body.to_string()
        } else {
            body.replace(&recorded_id, &session_id)
        };
        request.clear();
        write!(
            request,
            "POST /ee/va/v1/{action}?configId=bench&requestId=floor-{n} HTTP/1.1\r\nhost: {address}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        stream.write_all(&request).unwrap();
        // Read the head, then the body its content-length announces.
        let mut have = 0;
        loop {
            have += stream.read(&mut answer[have..]).unwrap();
            let Some(end) = answer[..have].windows(4).position(|w| w == b"\r\n\r\n") else { continue };
            let head = std::str::from_utf8(&answer[..end]).unwrap().to_ascii_lowercase();
            let length: usize =
                head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse().unwrap());
            if have >= end + 4 + length {
                if n == 0 {
                    let text = std::str::from_utf8(&answer[end + 4..end + 4 + length]).unwrap();
                    let at = text.find("\"sessionId\":\"").unwrap() + 13;
                    session_id = text[at..].split('"').next().unwrap().to_string();
                }
                break;
            }
        }
        answered += 1;
    }
    answered
}

/// Runs `args` of this binary under `tool` and returns (the figure the tool reports, the
/// requests the child says were answered).
fn measured_child(tool: &str, args: &[&str]) -> Option<(f64, f64)> {
    let out = std::env::temp_dir().join(format!("mediaedge-bench-{}-{tool}.out", std::process::id()));
    let exe = std::env::current_exe().ok()?;
    let mut command = match tool {
        "callgrind" => {
            let mut c = std::process::Command::new("valgrind");
            c.arg("--tool=callgrind").arg(format!("--callgrind-out-file={}", out.display()));
            c
        }
        _ => {
            let mut c = std::process::Command::new("strace");
            c.args(["-f", "-c", "-o"]).arg(&out);
            c
        }
    };
    let output = command.arg(exe).args(args).stderr(std::process::Stdio::null()).output().ok()?;
    let answered: f64 = String::from_utf8_lossy(&output.stdout).trim().parse().ok()?;
    let report = std::fs::read_to_string(&out).ok()?;
    let _ = std::fs::remove_file(&out);
    let figure = match tool {
        // "summary: N" (or "totals: N"): instructions of every thread of the process.
        "callgrind" => report
            .lines()
            .find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())?,
        // strace -c's last line: "100.00  seconds  usecs/call  calls  [errors]  total".
        _ => report
            .lines()
            .rev()
            .find(|l| l.trim_end().ends_with("total"))
            .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())?,
    };
    Some((figure, answered))
}

/// Syscalls by name (strace -f -c) of a run of this binary with `args`, and the requests the
/// child says were answered.
fn syscalls_by_name(args: &[String]) -> Option<(std::collections::HashMap<String, f64>, f64)> {
    let out = std::env::temp_dir().join(format!("mediaedge-bench-{}-syscalls.out", std::process::id()));
    let output = std::process::Command::new("strace")
        .args(["-f", "-c", "-o"])
        .arg(&out)
        .arg(std::env::current_exe().ok()?)
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let answered: f64 = String::from_utf8_lossy(&output.stdout).trim().parse().ok()?;
    let report = std::fs::read_to_string(&out).ok()?;
    let _ = std::fs::remove_file(&out);
    // "% time  seconds  usecs/call  calls  [errors]  syscall": the calls and the name.
    let counts = report
        .lines()
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let calls = fields.get(3)?.parse::<f64>().ok()?;
            Some((fields.last()?.to_string(), calls))
        })
        .collect();
    Some((counts, answered))
}

/// What the durable queue (`native.storageDir`) costs per delivered event against the in-memory
/// path, in the same run: instructions (callgrind, all threads) and syscalls, fdatasyncs and
/// writes (strace), each the difference between a small and a large run, under the default
/// policy (sync every 1 s) and with `journalSyncMs` 0 (sync before `send` returns).
fn durability_cost(mode: &Mode, rows: &mut Vec<Row>) {
    let have =
        |tool: &str| std::process::Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !have("valgrind") || !have("strace") {
        row(rows, "durable queue: cost per delivered event", "not measured: needs valgrind and strace", "—", None);
        return;
    }
    let emulator = mediaedge_emulator::Emulator::start().unwrap();
    emulator.set_recording(false);
    let url = emulator.base_url();
    let (small, large) = mode.pick((20, 60), (200, 2000));
    let dir = std::env::temp_dir().join(format!("mediaedge-bench-{}-journal", std::process::id()));
    let args = |n: usize, sync: Option<&str>| {
        let _ = std::fs::remove_dir_all(&dir);
        let mut a = vec!["--child-mediaedge".to_string(), url.clone(), n.to_string()];
        if let Some(sync) = sync {
            a.extend([dir.display().to_string(), sync.to_string()]);
        }
        a
    };
    let instructions = |sync: Option<&str>| -> Option<f64> {
        let run = |n: usize| {
            let a = args(n, sync);
            measured_child("callgrind", &a.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let ((low, low_requests), (high, high_requests)) = (run(small)?, run(large)?);
        Some((high - low) / (high_requests - low_requests).max(1.0))
    };
    let syscalls = |sync: Option<&str>| -> Option<(f64, f64, f64)> {
        let ((low, low_requests), (high, high_requests)) =
            (syscalls_by_name(&args(small, sync))?, syscalls_by_name(&args(large, sync))?);
        let per = |name: Option<&str>| {
            let count = |c: &std::collections::HashMap<String, f64>| match name {
                Some(name) => c.get(name).copied().unwrap_or(0.0),
                None => c.get("total").copied().unwrap_or(0.0),
            };
            (count(&high) - count(&low)) / (high_requests - low_requests).max(1.0)
        };
        Some((per(None), per(Some("fdatasync")), per(Some("write"))))
    };
    for (label, sync) in [
        ("in memory (no storageDir)", None),
        ("journal, sync every 1 s (default)", Some("1000")),
        ("journal, journalSyncMs 0", Some("0")),
    ] {
        let figures = (instructions(sync), syscalls(sync));
        let (Some(ir), Some((calls, fsyncs, writes))) = figures else {
            row(rows, format!("durable queue, {label}"), "not measured: a child run failed", "—", None);
            continue;
        };
        row(
            rows,
            format!("durable queue, {label}: per delivered event ({small} vs {large} events, 10 sessions)"),
            format!("{ir:.0} instructions, {calls:.2} syscalls ({fsyncs:.3} fdatasync, {writes:.2} write)"),
            "—",
            None,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Instructions (callgrind, every thread) and syscalls (strace -f) per delivered event, for
/// mediaedge and for the floor in the same run, to the same emulator with the same bodies. Each
/// is the difference between a small and a large run, so start-up and teardown cancel out.
fn cost_per_event(mode: &Mode, rows: &mut Vec<Row>) {
    let tools: Vec<&str> = ["valgrind", "strace"]
        .into_iter()
        .filter(|tool| std::process::Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success()))
        .collect();
    if tools.len() < 2 {
        row(
            rows,
            "instructions and syscalls per delivered event",
            "not measured: needs valgrind and strace",
            "—",
            None,
        );
        return;
    }
    let emulator = mediaedge_emulator::Emulator::start().unwrap();
    let url = emulator.base_url();
    let address = url.trim_start_matches("http://").to_string();
    let (small, large) = mode.pick((20, 60), (200, 2000));
    // The bodies mediaedge sends, recorded from a plain run, for the floor to post.
    let plain = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--child-mediaedge", &url, &large.to_string()])
        .output()
        .unwrap();
    assert!(plain.status.success(), "the mediaedge child failed");
    let recorded = emulator.media_requests();
    // One sessionStart, then events of every session as if they were the first session's.
    let first = recorded.iter().find(|r| r.action == "sessionStart").expect("a sessionStart");
    let own = first.session_id.clone().unwrap_or_default();
    let start = format!("sessionStart\t{own}\t{}", first.body);
    let events = recorded.iter().filter(|r| r.action != "sessionStart").take(large).map(|r| {
        let id = r.session_id.clone().unwrap_or_default();
        format!("{}\t{own}\t{}", r.action, r.body.to_string().replace(&id, &own))
    });
    let bodies_file = std::env::temp_dir().join(format!("mediaedge-bench-{}-bodies.txt", std::process::id()));
    std::fs::write(&bodies_file, std::iter::once(start).chain(events).collect::<Vec<_>>().join("\n")).unwrap();
    let bodies = bodies_file.display().to_string();

    let per_event = |tool: &str, args: &dyn Fn(usize) -> Vec<String>| -> Option<f64> {
        let run = |n: usize| {
            let a = args(n);
            measured_child(tool, &a.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let ((low, low_requests), (high, high_requests)) = (run(small)?, run(large)?);
        Some((high - low) / (high_requests - low_requests).max(1.0))
    };
    let ours = |n: usize| vec!["--child-mediaedge".to_string(), url.clone(), n.to_string()];
    let floor = |n: usize| vec!["--child-floor".to_string(), address.clone(), bodies.clone(), (n + 1).to_string()];
    let figures = (
        per_event("callgrind", &ours),
        per_event("callgrind", &floor),
        per_event("strace", &ours),
        per_event("strace", &floor),
    );
    let _ = std::fs::remove_file(&bodies_file);
    let (Some(our_ir), Some(floor_ir), Some(our_calls), Some(floor_calls)) = figures else {
        row(rows, "instructions and syscalls per delivered event", "not measured: a child run failed", "—", None);
        return;
    };
    row(
        rows,
        format!("user-space instructions per delivered event, all threads ({small} vs {large} events, 10 sessions; floor: one blocking keep-alive connection, same bodies)"),
        format!("{our_ir:.0} (floor {floor_ir:.0}: {:.2}×)", our_ir / floor_ir),
        "≤ 2× the floor",
        Some(our_ir <= 2.0 * floor_ir),
    );
    row(
        rows,
        "syscalls per delivered event, all threads",
        format!("{our_calls:.2} (floor {floor_calls:.2})"),
        "≤ 4",
        Some(our_calls <= 4.0),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if child(&args) {
        return;
    }
    let mode = Mode { quick: std::env::args().any(|a| a == "--quick") };
    eprintln!("mediaedge benchmarks ({} mode)", if mode.quick { "quick smoke" } else { "full" });
    let mut rows = Vec::new();
    // Memory first, while the allocator has no freed memory to hand out again.
    type Section = fn(&Mode, &mut Vec<Row>);
    let sections: [(&str, Section); 11] = [
        ("memory", threads_and_memory),
        ("send", send_cost),
        ("sendpath", send_path),
        ("pings", ping_timing),
        ("throughput", throughput),
        ("cost", cost_per_event),
        ("durability", durability_cost),
        ("scale", delivery_at_scale),
        ("wakeups", wakeups),
        ("shutdown", shutdown_deadline),
        ("size", |_, rows| library_size(rows)),
    ];
    // `MEDIAEDGE_BENCH_ONLY=cost,scale` runs those sections only (while working on one figure).
    let only = std::env::var("MEDIAEDGE_BENCH_ONLY").ok();
    for (name, section) in sections {
        if only.as_deref().map_or(true, |only| only.split(',').any(|o| o == name)) {
            section(&mode, &mut rows);
        }
    }
    println!();
    println!("| figure | measured | target | met |");
    println!("|---|---|---|---|");
    for r in &rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "—",
        };
        println!("| {} | {} | {} | {} |", r.figure, r.measured, r.target, met);
    }
    if mode.quick {
        println!("\n(quick smoke mode: the figures are not meaningful; run without --quick)");
    }
}
