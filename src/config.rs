//! The configuration document: the Web SDK's `configure` options for streaming media, plus a
//! `native` object for what only a native library needs. Every rule is checked here, once, and
//! the engine works on the typed [`Config`].

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{describe, Error, ErrorKind, Result};
use crate::identity::DeviceId;
use crate::proxy::{Proxy, ProxyChoice};
use crate::tls::TrustAnchors;

/// Everything the engine needs to know, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub datastream_id: String,
    pub edge_domain: String,
    pub edge_base_path: String,
    pub channel: String,
    pub player_name: String,
    pub app_version: Option<String>,
    pub main_ping_interval: Duration,
    pub ad_ping_interval: Duration,
    /// `scheme://host[:port]` that replaces `https://{edge_domain}`.
    pub edge_base_url: Option<String>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Threads calling a substitute transport (`Client::with_transport`); HTTP uses one loop.
    pub delivery_workers: usize,
    /// Connections (so requests in flight) the HTTP loop may open at once.
    pub max_connections: usize,
    /// How long a retryable failure is retried before the event is given up.
    pub max_retry_duration: Duration,
    /// How long freeing the client waits for queued events to be delivered.
    pub shutdown_timeout: Duration,
    /// Client-wide limits on what waits in the sessions' queues.
    pub max_queued_events: usize,
    pub max_queued_bytes: usize,
    /// Certificates that replace the built-in web PKI roots for HTTPS, when set.
    pub trust_anchors: Option<TrustAnchors>,
    /// `native.proxy`: a proxy, `"none"`, or (absent) the environment's choice.
    pub proxy: ProxyChoice,
    /// The `identityMap` every sessionStart carries (a session's own replaces it), checked.
    pub identity_map: Option<Map<String, Value>>,
    /// `native.deviceId`: the FPID sent as the device's identity, if any.
    pub device_id: DeviceId,
    /// `native.storageDir`: where the library keeps what must outlive the process.
    pub storage_dir: Option<std::path::PathBuf>,
    /// The journal in `storage_dir`: how often it is synced to disk (zero: before the call that
    /// queued an event returns) and how large it may grow.
    pub journal_sync: Duration,
    pub journal_max_bytes: u64,
    pub default_consent: Consent,
}

/// The Web SDK's consent states: `pending` holds events, `out` drops them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    In,
    Out,
    Pending,
}

impl Consent {
    pub fn parse(text: &str) -> Option<Consent> {
        match text {
            "in" => Some(Consent::In),
            "out" => Some(Consent::Out),
            "pending" => Some(Consent::Pending),
            _ => None,
        }
    }

    /// The inverse of `consent as u8`.
    pub fn from_u8(value: u8) -> Consent {
        match value {
            v if v == Consent::Out as u8 => Consent::Out,
            v if v == Consent::Pending as u8 => Consent::Pending,
            _ => Consent::In,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Consent::In => "in",
            Consent::Out => "out",
            Consent::Pending => "pending",
        }
    }
}

/// The Web SDK's allowed ping intervals, in seconds, for the client and for trackers.
const MAIN_PING_RANGE: (f64, f64) = (10.0, 50.0);
const AD_PING_RANGE: (f64, f64) = (1.0, 10.0);

/// A downloaded-content tracker records one ping per this long, in ads too (what Adobe's mobile
/// SDKs record for downloaded content), unless its configuration sets the intervals.
pub const DOWNLOADED_PING_INTERVAL: Duration = Duration::from_secs(50);
/// Default `native.maxConnections`: requests in flight grow with the backlog up to this (by
/// Little's law, 16 carry 320 requests/s at a 50 ms round trip).
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 16;
/// Default `native.maxQueuedEvents`: about 28 hours of 10-second pings for one session, or a
/// few minutes of outage for a thousand.
pub(crate) const DEFAULT_MAX_QUEUED_EVENTS: usize = 10_000;
/// Default `native.maxQueuedBytes`: JSON bytes of the queued events (the caller's text, or the
/// serialized document), plus 128 per event for what sending adds.
pub(crate) const DEFAULT_MAX_QUEUED_BYTES: usize = 8 * 1024 * 1024;
/// Default `native.journalMaxBytes`: twice the default queue limit in bytes, so the journal
/// holds a full queue with room for its done marks until the next compaction.
pub(crate) const DEFAULT_JOURNAL_MAX_BYTES: usize = 2 * DEFAULT_MAX_QUEUED_BYTES;

impl Config {
    /// The base every request URL starts with, without a trailing slash.
    pub fn edge_origin(&self) -> String {
        match &self.edge_base_url {
            Some(url) => url.clone(),
            None => format!("https://{}", self.edge_domain),
        }
    }
}

/// A whole message that already names its path.
fn invalid_config(message: String) -> Error {
    Error::new(ErrorKind::InvalidConfig, message)
}

fn config_error(path: &str, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidConfig, format!("{path}: {message}"))
}

/// The problems found in one document. Checking goes on past each, so that every problem is
/// reported at once (as the Web SDK does), each with its own path.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    /// The value, or `None` once its problem is noted.
    fn take<T>(&mut self, checked: Result<T>) -> Option<T> {
        checked.map_err(|e| self.0.push(e.message)).ok()
    }

    /// Every problem in one error, in the order found, separated by "; ".
    fn into_error(self) -> Error {
        Error::new(ErrorKind::InvalidConfig, self.0.join("; "))
    }

    fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }
}

/// Reads a JSON object and refuses every key it was not asked about.
struct Fields<'a> {
    path: &'a str,
    map: &'a Map<String, Value>,
    known: &'static [&'static str],
}

impl<'a> Fields<'a> {
    /// `None` (with the problem noted) when `value` is not an object.
    fn new(
        path: &'a str,
        value: &'a Value,
        known: &'static [&'static str],
        problems: &mut Problems,
    ) -> Option<Fields<'a>> {
        let Some(map) = value.as_object() else {
            let at = if path.is_empty() { "$" } else { path };
            problems.take::<()>(Err(config_error(at, format!("expected an object, got {}", describe(value)))));
            return None;
        };
        for key in map.keys().filter(|key| !known.contains(&key.as_str())) {
            problems.take::<()>(Err(config_error(
                &self_path(path, key),
                format!("unknown key (known keys: {})", known.join(", ")),
            )));
        }
        Some(Fields { path, map, known })
    }

    fn path(&self, key: &str) -> String {
        debug_assert!(self.known.contains(&key));
        self_path(self.path, key)
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    fn string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(v) => Err(config_error(&self.path(key), format!("expected a non-empty string, got {}", describe(v)))),
        }
    }

    fn required_string(&self, key: &str) -> Result<String> {
        self.string(key)?.ok_or_else(|| config_error(&self.path(key), "required"))
    }

    fn number_in(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        let n = v
            .as_f64()
            .ok_or_else(|| config_error(&self.path(key), format!("expected a number, got {}", describe(v))))?;
        if n < min {
            return Err(config_error(&self.path(key), format!("expected a number >= {min}, got {}", describe(v))));
        }
        if n > max {
            return Err(config_error(&self.path(key), format!("expected a number <= {max}, got {}", describe(v))));
        }
        Ok(Some(n))
    }
}

fn self_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host == "[::1]"
        || host.parse::<std::net::Ipv4Addr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

/// Checks `scheme://host[:port]`; plain HTTP only for loopback hosts.
fn check_base_url(path: &str, url: &str) -> Result<String> {
    let url = url.trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| config_error(path, format!("expected http(s)://host[:port], got \"{url}\"")))?;
    if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('@') {
        return Err(config_error(path, format!("expected http(s)://host[:port] without a path, got \"{url}\"")));
    }
    let host = if rest.starts_with('[') {
        rest.split_once(']').map(|(h, _)| format!("{h}]")).unwrap_or_default()
    } else {
        rest.split(':').next().unwrap_or_default().to_string()
    };
    match scheme {
        "https" => Ok(url.to_string()),
        "http" if is_loopback_host(&host) => Ok(url.to_string()),
        "http" => Err(config_error(path, format!("plain http is only allowed for loopback hosts, got \"{host}\""))),
        other => Err(config_error(path, format!("unsupported scheme \"{other}\" (use https)"))),
    }
}

fn check_domain(path: &str, domain: &str) -> Result<()> {
    let ok = domain
        .split('.')
        .all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if ok {
        Ok(())
    } else {
        Err(config_error(path, format!("expected a host name, got \"{domain}\"")))
    }
}

fn check_path_segment(path: &str, segment: &str) -> Result<()> {
    if segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        Ok(())
    } else {
        Err(config_error(path, format!("expected a single path segment of letters, digits, - or _, got \"{segment}\"")))
    }
}

fn millis(n: f64) -> Duration {
    Duration::from_millis(n as u64)
}

impl Config {
    /// Parses and checks a configuration document; every problem is reported at once.
    pub fn from_json(text: &str) -> Result<Config> {
        crate::limits::check_len("config", text.len(), crate::limits::MAX_CONFIG_BYTES)?;
        let root: Value = serde_json::from_str(text).map_err(|e| config_error("$", format!("not valid JSON: {e}")))?;
        let mut p = Problems::default();
        const KEYS: &[&str] = &[
            "datastreamId",
            "edgeDomain",
            "edgeBasePath",
            "defaultConsent",
            "identityMap",
            "streamingMedia",
            "native",
        ];
        let Some(top) = Fields::new("", &root, KEYS, &mut p) else { return Err(p.into_error()) };
        let datastream_id = p.take(top.required_string("datastreamId")).unwrap_or_default();
        let edge_domain = p.take(top.string("edgeDomain")).flatten().unwrap_or_else(|| "edge.adobedc.net".into());
        p.take(check_domain("edgeDomain", &edge_domain));
        let edge_base_path = p.take(top.string("edgeBasePath")).flatten().unwrap_or_else(|| "ee".into());
        p.take(check_path_segment("edgeBasePath", &edge_base_path));
        let default_consent = match p.take(top.string("defaultConsent")).flatten() {
            None => Consent::In,
            Some(text) => p
                .take(Consent::parse(&text).ok_or_else(|| {
                    config_error("defaultConsent", format!("expected \"in\", \"out\" or \"pending\", got \"{text}\""))
                }))
                .unwrap_or(Consent::In),
        };

        let empty = Value::Object(Map::new());
        let media_value = p.take(top.get("streamingMedia").ok_or_else(|| config_error("streamingMedia", "required")));
        const MEDIA_KEYS: &[&str] = &["channel", "playerName", "appVersion", "mainPingInterval", "adPingInterval"];
        // A missing streamingMedia is one problem, not one for each of its required keys.
        let media = Fields::new("streamingMedia", media_value.unwrap_or(&empty), MEDIA_KEYS, &mut p)
            .filter(|_| media_value.is_some());
        let mut channel = String::new();
        let mut player_name = String::new();
        let (mut app_version, mut main_ping, mut ad_ping) = (None, 10.0, 10.0);
        if let Some(media) = &media {
            channel = p.take(media.required_string("channel")).unwrap_or_default();
            player_name = p.take(media.required_string("playerName")).unwrap_or_default();
            app_version = p.take(media.string("appVersion")).flatten();
            main_ping = p
                .take(media.number_in("mainPingInterval", MAIN_PING_RANGE.0, MAIN_PING_RANGE.1))
                .flatten()
                .unwrap_or(10.0);
            ad_ping =
                p.take(media.number_in("adPingInterval", AD_PING_RANGE.0, AD_PING_RANGE.1)).flatten().unwrap_or(10.0);
        }

        const NATIVE_KEYS: &[&str] = &[
            "edgeBaseUrl",
            "connectTimeoutMs",
            "requestTimeoutMs",
            "deliveryWorkers",
            "maxConnections",
            "maxRetryDurationMs",
            "shutdownTimeoutMs",
            "maxQueuedEvents",
            "maxQueuedBytes",
            "caFile",
            "caPem",
            "proxy",
            "deviceId",
            "storageDir",
            "journalSyncMs",
            "journalMaxBytes",
        ];
        let native = Fields::new("native", top.get("native").unwrap_or(&empty), NATIVE_KEYS, &mut p)
            .unwrap_or(Fields { path: "native", map: empty.as_object().expect("an object"), known: &[] });
        let mut number = |key: &str, min: f64, max: f64, default: f64| {
            p.take(native.number_in(key, min, max)).flatten().unwrap_or(default)
        };
        let connect_timeout = number("connectTimeoutMs", 100.0, 60_000.0, 5_000.0);
        let request_timeout = number("requestTimeoutMs", 100.0, 120_000.0, 10_000.0);
        let workers = number("deliveryWorkers", 1.0, 16.0, 2.0);
        let max_connections = number("maxConnections", 1.0, 256.0, DEFAULT_MAX_CONNECTIONS as f64);
        let max_retry = number("maxRetryDurationMs", 0.0, 86_400_000.0, 3_600_000.0);
        let shutdown = number("shutdownTimeoutMs", 0.0, 60_000.0, 2_000.0);
        let max_events = number("maxQueuedEvents", 16.0, 10_000_000.0, DEFAULT_MAX_QUEUED_EVENTS as f64);
        let max_bytes = number("maxQueuedBytes", 16_384.0, 4_294_967_296.0, DEFAULT_MAX_QUEUED_BYTES as f64);
        let journal_sync = number("journalSyncMs", 0.0, 60_000.0, 1_000.0);
        let journal_max_bytes = number("journalMaxBytes", 65_536.0, 4_294_967_296.0, DEFAULT_JOURNAL_MAX_BYTES as f64);
        for (key, value) in [("native.deliveryWorkers", workers), ("native.maxConnections", max_connections)] {
            if value.fract() != 0.0 {
                p.take::<()>(Err(config_error(key, format!("expected a whole number, got {value}"))));
            }
        }
        let edge_base_url = p
            .take(native.string("edgeBaseUrl"))
            .flatten()
            .and_then(|url| p.take(check_base_url("native.edgeBaseUrl", &url)));
        let ca_pem = match (p.take(native.string("caFile")).flatten(), p.take(native.string("caPem")).flatten()) {
            (Some(_), Some(_)) => p.take(Err(config_error("native.caPem", "give caFile or caPem, not both"))),
            (Some(path), None) => p.take(
                std::fs::read(&path).map_err(|e| config_error("native.caFile", format!("cannot read \"{path}\": {e}"))),
            ),
            (None, Some(pem)) => Some(pem.into_bytes()),
            (None, None) => None,
        };
        let trust_anchors = ca_pem.and_then(|pem| {
            let path = if native.get("caFile").is_some() { "native.caFile" } else { "native.caPem" };
            p.take(TrustAnchors::from_pem(&pem).map_err(|e| config_error(path, e)))
        });
        let proxy = match p.take(native.string("proxy")).flatten() {
            None => ProxyChoice::Environment,
            Some(text) if text.trim() == "none" => ProxyChoice::Direct,
            Some(text) => p
                .take(Proxy::parse(&text).map_err(|e| config_error("native.proxy", e)))
                .map_or(ProxyChoice::Environment, ProxyChoice::Via),
        };
        let identity_map = top
            .get("identityMap")
            .and_then(|value| p.take(crate::identity::check_map("identityMap", value).map_err(invalid_config)));
        let storage_dir = p.take(native.string("storageDir")).flatten().map(std::path::PathBuf::from);
        let device_id = match p.take(native.string("deviceId")).flatten() {
            None => DeviceId::None,
            Some(text) => p
                .take(DeviceId::parse(&text, storage_dir.as_deref()).map_err(|e| config_error("native.deviceId", e)))
                .unwrap_or_default(),
        };
        p.into_result()?;

        Ok(Config {
            datastream_id,
            edge_domain,
            edge_base_path,
            channel,
            player_name,
            app_version,
            main_ping_interval: Duration::from_secs_f64(main_ping),
            ad_ping_interval: Duration::from_secs_f64(ad_ping),
            edge_base_url,
            connect_timeout: millis(connect_timeout),
            request_timeout: millis(request_timeout),
            delivery_workers: workers as usize,
            max_connections: max_connections as usize,
            max_retry_duration: millis(max_retry),
            shutdown_timeout: millis(shutdown),
            max_queued_events: max_events as usize,
            max_queued_bytes: max_bytes as usize,
            trust_anchors,
            proxy,
            identity_map,
            device_id,
            storage_dir,
            journal_sync: millis(journal_sync),
            journal_max_bytes: journal_max_bytes as u64,
            default_consent,
        })
    }
}

/// A tracker's own settings: the Web SDK's `getMediaAnalyticsTracker` config (`channel`,
/// `mainPingInterval`, `adPingInterval`), each defaulting to the client's.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerConfig {
    pub channel: Option<String>,
    /// `downloadedContent`: the tracker's sessions are downloaded sessions (offline playback),
    /// pinging every [`DOWNLOADED_PING_INTERVAL`], ads included.
    pub downloaded: bool,
    pub main_ping_interval: Duration,
    pub ad_ping_interval: Duration,
}

impl TrackerConfig {
    /// Parses a tracker configuration document; `None` takes the client's settings.
    pub fn from_json(text: Option<&str>, client: &Config) -> Result<TrackerConfig> {
        let mut config = TrackerConfig {
            channel: None,
            downloaded: false,
            main_ping_interval: client.main_ping_interval,
            ad_ping_interval: client.ad_ping_interval,
        };
        let Some(text) = text else { return Ok(config) };
        crate::limits::check_len("tracker config", text.len(), crate::limits::MAX_CONFIG_BYTES)?;
        let root: Value = serde_json::from_str(text).map_err(|e| config_error("$", format!("not valid JSON: {e}")))?;
        let mut p = Problems::default();
        const KEYS: &[&str] = &["channel", "mainPingInterval", "adPingInterval", "downloadedContent"];
        if let Some(fields) = Fields::new("", &root, KEYS, &mut p) {
            config.channel = p.take(fields.string("channel")).flatten();
            match fields.get("downloadedContent") {
                None => {}
                Some(Value::Bool(on)) => config.downloaded = *on,
                Some(v) => {
                    p.take::<()>(Err(config_error(
                        "downloadedContent",
                        format!("expected true or false, got {}", describe(v)),
                    )));
                }
            }
            if config.downloaded {
                // Recorded for later, not watched live: Adobe's downloaded-content guidance.
                config.main_ping_interval = DOWNLOADED_PING_INTERVAL;
                config.ad_ping_interval = DOWNLOADED_PING_INTERVAL;
            }
            if let Some(main) =
                p.take(fields.number_in("mainPingInterval", MAIN_PING_RANGE.0, MAIN_PING_RANGE.1)).flatten()
            {
                config.main_ping_interval = Duration::from_secs_f64(main);
            }
            if let Some(ad) = p.take(fields.number_in("adPingInterval", AD_PING_RANGE.0, AD_PING_RANGE.1)).flatten() {
                config.ad_ping_interval = Duration::from_secs_f64(ad);
            }
        }
        p.into_result()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::from_json(text)
    }

    const MINIMAL: &str = r#"{"datastreamId":"ds","streamingMedia":{"channel":"c","playerName":"p"}}"#;

    #[test]
    fn minimal_config_gets_documented_defaults() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.edge_domain, "edge.adobedc.net");
        assert_eq!(c.edge_base_path, "ee");
        assert_eq!(c.main_ping_interval, Duration::from_secs(10));
        assert_eq!(c.ad_ping_interval, Duration::from_secs(10));
        assert_eq!(c.edge_origin(), "https://edge.adobedc.net");
        assert_eq!(c.delivery_workers, 2);
    }

    #[test]
    fn errors_name_the_path() {
        let cases = [
            (r#"{"streamingMedia":{"channel":"c","playerName":"p"}}"#, "datastreamId: required"),
            (
                r#"{"datastreamId":"ds","streamingMedia":{"channel":"c","playerName":"p","mainPingInterval":5}}"#,
                "streamingMedia.mainPingInterval: expected a number >= 10, got 5",
            ),
            (
                r#"{"datastreamId":"ds","streamingMedia":{"channel":"c","playerName":"p","adPingInterval":11}}"#,
                "streamingMedia.adPingInterval: expected a number <= 10, got 11",
            ),
            (r#"{"datastreamId":"ds","streamingMedia":{"playerName":"p"}}"#, "streamingMedia.channel: required"),
            (r#"{"datastreamId":"ds"}"#, "streamingMedia: required"),
            (
                r#"{"datastreamId":"ds","streamingMedia":{"channel":"c","playerName":"p","colour":1}}"#,
                "streamingMedia.colour: unknown key",
            ),
            (
                r#"{"datastreamId":"ds","streamingMedia":{"channel":"c","playerName":"p"},"native":{"edgeBaseUrl":"http://example.com"}}"#,
                "native.edgeBaseUrl: plain http is only allowed for loopback hosts",
            ),
            (
                r#"{"datastreamId":"","streamingMedia":{"channel":"c","playerName":"p"}}"#,
                "datastreamId: expected a non-empty string",
            ),
            (r#"[1]"#, "$: expected an object"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidConfig);
            assert!(err.message.starts_with(expected), "{text}: got {:?}", err.message);
        }
    }

    #[test]
    fn every_problem_is_reported_at_once_each_with_its_path() {
        let text = r#"{"datastreamId":"","colour":1,"streamingMedia":{"playerName":"p","mainPingInterval":5,"adPingInterval":"x"},
                       "native":{"edgeBaseUrl":"ftp://x","deliveryWorkers":2.5,"maxQueuedEvents":1}}"#;
        let err = parse(text).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidConfig);
        let problems: Vec<&str> = err.message.split("; ").collect();
        let paths: Vec<&str> = problems.iter().map(|p| p.split(':').next().unwrap()).collect();
        assert_eq!(
            paths,
            [
                "colour",
                "datastreamId",
                "streamingMedia.channel",
                "streamingMedia.mainPingInterval",
                "streamingMedia.adPingInterval",
                "native.maxQueuedEvents",
                "native.deliveryWorkers",
                "native.edgeBaseUrl",
            ],
            "{}",
            err.message
        );
        assert!(problems.contains(&"streamingMedia.mainPingInterval: expected a number >= 10, got 5"), "{problems:?}");
        let one = parse(r#"{"datastreamId":"ds"}"#).unwrap_err();
        assert_eq!(one.message, "streamingMedia: required", "a missing object is one problem, not one per key");
        let tracker =
            TrackerConfig::from_json(Some(r#"{"mainPingInterval":1,"adPingInterval":99}"#), &parse(MINIMAL).unwrap())
                .unwrap_err();
        assert_eq!(tracker.message.split("; ").count(), 2, "{}", tracker.message);
    }

    #[test]
    fn native_proxy_is_a_proxy_url_none_or_absent() {
        let with = |proxy: &str| {
            parse(&format!(
                r#"{{"datastreamId":"ds","streamingMedia":{{"channel":"c","playerName":"p"}},"native":{{"proxy":{proxy}}}}}"#
            ))
        };
        assert_eq!(parse(MINIMAL).unwrap().proxy, ProxyChoice::Environment);
        assert_eq!(with(r#""none""#).unwrap().proxy, ProxyChoice::Direct);
        let ProxyChoice::Via(proxy) = with(r#""http://u:p@10.1.2.3:3128""#).unwrap().proxy else { panic!("a proxy") };
        assert_eq!((proxy.host.as_str(), proxy.port, proxy.authorization().is_some()), ("10.1.2.3", 3128, true));
        let err = with(r#""ftp://u:p@x""#).unwrap_err();
        assert!(err.message.starts_with("native.proxy: a proxy URL must start with http://"), "{}", err.message);
        assert!(with("3128").unwrap_err().message.starts_with("native.proxy: expected a non-empty string"));
    }

    #[test]
    fn loopback_http_and_any_https_base_url_are_accepted() {
        for url in ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://edge.example.com"] {
            let text = format!(
                r#"{{"datastreamId":"ds","streamingMedia":{{"channel":"c","playerName":"p"}},"native":{{"edgeBaseUrl":"{url}"}}}}"#
            );
            assert_eq!(parse(&text).unwrap().edge_origin(), url);
        }
    }
}
