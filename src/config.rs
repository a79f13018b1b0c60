//! The configuration document: the Web SDK's `configure` options for streaming media, plus a
//! `native` object for what only a native library needs. Every rule is checked here, once, and
//! the engine works on the typed [`Config`].

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};

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
    pub delivery_workers: usize,
    /// How long a retryable failure is retried before the event is given up.
    pub max_retry_duration: Duration,
    /// How long freeing the client waits for queued events to be delivered.
    pub shutdown_timeout: Duration,
    /// Client-wide limits on what waits in the sessions' queues.
    pub max_queued_events: usize,
    pub max_queued_bytes: usize,
    /// PEM certificates that replace the built-in web PKI roots for HTTPS, when set.
    pub ca_pem: Option<Vec<u8>>,
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

/// Default `native.maxQueuedEvents`: about 28 hours of 10-second pings for one session, or a
/// few minutes of outage for a thousand.
pub(crate) const DEFAULT_MAX_QUEUED_EVENTS: usize = 10_000;
/// Default `native.maxQueuedBytes`: JSON bytes of the queued events (the caller's text, or the
/// serialized document), plus 128 per event for what sending adds.
pub(crate) const DEFAULT_MAX_QUEUED_BYTES: usize = 8 * 1024 * 1024;

impl Config {
    /// The base every request URL starts with, without a trailing slash.
    pub fn edge_origin(&self) -> String {
        match &self.edge_base_url {
            Some(url) => url.clone(),
            None => format!("https://{}", self.edge_domain),
        }
    }
}

fn config_error(path: &str, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidConfig, format!("{path}: {message}"))
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// Reads a JSON object and refuses any key it was not asked about.
struct Fields<'a> {
    path: &'a str,
    map: &'a Map<String, Value>,
    known: &'static [&'static str],
}

impl<'a> Fields<'a> {
    fn new(path: &'a str, value: &'a Value, known: &'static [&'static str]) -> Result<Fields<'a>> {
        let map = value
            .as_object()
            .ok_or_else(|| config_error(if path.is_empty() { "$" } else { path }, format!("expected an object, got {}", describe(value))))?;
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                return Err(config_error(&self_path(path, key), format!("unknown key (known keys: {})", known.join(", "))));
            }
        }
        Ok(Fields { path, map, known })
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
    /// Parses and checks a configuration document.
    pub fn from_json(text: &str) -> Result<Config> {
        crate::limits::check_len("config", text.len(), crate::limits::MAX_CONFIG_BYTES)?;
        let root: Value = serde_json::from_str(text).map_err(|e| config_error("$", format!("not valid JSON: {e}")))?;
        let top = Fields::new(
            "",
            &root,
            &["datastreamId", "edgeDomain", "edgeBasePath", "defaultConsent", "streamingMedia", "native"],
        )?;
        let datastream_id = top.required_string("datastreamId")?;
        let edge_domain = top.string("edgeDomain")?.unwrap_or_else(|| "edge.adobedc.net".into());
        check_domain("edgeDomain", &edge_domain)?;
        let edge_base_path = top.string("edgeBasePath")?.unwrap_or_else(|| "ee".into());
        check_path_segment("edgeBasePath", &edge_base_path)?;
        let default_consent = match top.string("defaultConsent")? {
            None => Consent::In,
            Some(text) => Consent::parse(&text).ok_or_else(|| {
                config_error("defaultConsent", format!("expected \"in\", \"out\" or \"pending\", got \"{text}\""))
            })?,
        };

        let media_value = top.get("streamingMedia").ok_or_else(|| config_error("streamingMedia", "required"))?;
        let media = Fields::new(
            "streamingMedia",
            media_value,
            &["channel", "playerName", "appVersion", "mainPingInterval", "adPingInterval"],
        )?;
        let channel = media.required_string("channel")?;
        let player_name = media.required_string("playerName")?;
        let app_version = media.string("appVersion")?;
        let main_ping = media.number_in("mainPingInterval", MAIN_PING_RANGE.0, MAIN_PING_RANGE.1)?.unwrap_or(10.0);
        let ad_ping = media.number_in("adPingInterval", AD_PING_RANGE.0, AD_PING_RANGE.1)?.unwrap_or(10.0);

        let empty = Value::Object(Map::new());
        let native = Fields::new(
            "native",
            top.get("native").unwrap_or(&empty),
            &[
                "edgeBaseUrl",
                "connectTimeoutMs",
                "requestTimeoutMs",
                "deliveryWorkers",
                "maxRetryDurationMs",
                "shutdownTimeoutMs",
                "maxQueuedEvents",
                "maxQueuedBytes",
                "caFile",
                "caPem",
            ],
        )?;
        let edge_base_url = native
            .string("edgeBaseUrl")?
            .map(|url| check_base_url("native.edgeBaseUrl", &url))
            .transpose()?;
        let connect_timeout = native.number_in("connectTimeoutMs", 100.0, 60_000.0)?.unwrap_or(5_000.0);
        let request_timeout = native.number_in("requestTimeoutMs", 100.0, 120_000.0)?.unwrap_or(10_000.0);
        let workers = native.number_in("deliveryWorkers", 1.0, 16.0)?.unwrap_or(2.0);
        if workers.fract() != 0.0 {
            return Err(config_error("native.deliveryWorkers", format!("expected a whole number, got {workers}")));
        }
        let max_retry = native.number_in("maxRetryDurationMs", 0.0, 86_400_000.0)?.unwrap_or(3_600_000.0);
        let shutdown = native.number_in("shutdownTimeoutMs", 0.0, 60_000.0)?.unwrap_or(2_000.0);
        let max_events = native.number_in("maxQueuedEvents", 16.0, 10_000_000.0)?.unwrap_or(DEFAULT_MAX_QUEUED_EVENTS as f64);
        let max_bytes =
            native.number_in("maxQueuedBytes", 16_384.0, 4_294_967_296.0)?.unwrap_or(DEFAULT_MAX_QUEUED_BYTES as f64);
        let ca_pem = match (native.string("caFile")?, native.string("caPem")?) {
            (Some(_), Some(_)) => return Err(config_error("native.caPem", "give caFile or caPem, not both")),
            (Some(path), None) => Some(std::fs::read(&path).map_err(|e| config_error("native.caFile", format!("cannot read \"{path}\": {e}")))?),
            (None, Some(pem)) => Some(pem.into_bytes()),
            (None, None) => None,
        };
        if let Some(pem) = &ca_pem {
            let path = if native.get("caFile").is_some() { "native.caFile" } else { "native.caPem" };
            crate::delivery::transport::parse_ca_pem(pem).map_err(|e| config_error(path, e))?;
        }

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
            max_retry_duration: millis(max_retry),
            shutdown_timeout: millis(shutdown),
            max_queued_events: max_events as usize,
            max_queued_bytes: max_bytes as usize,
            ca_pem,
            default_consent,
        })
    }
}

/// A tracker's own settings: the Web SDK's `getMediaAnalyticsTracker` config (`channel`,
/// `mainPingInterval`, `adPingInterval`), each defaulting to the client's.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerConfig {
    pub channel: Option<String>,
    pub main_ping_interval: Duration,
    pub ad_ping_interval: Duration,
}

impl TrackerConfig {
    /// Parses a tracker configuration document; `None` takes the client's settings.
    pub fn from_json(text: Option<&str>, client: &Config) -> Result<TrackerConfig> {
        let mut config = TrackerConfig {
            channel: None,
            main_ping_interval: client.main_ping_interval,
            ad_ping_interval: client.ad_ping_interval,
        };
        let Some(text) = text else { return Ok(config) };
        crate::limits::check_len("tracker config", text.len(), crate::limits::MAX_CONFIG_BYTES)?;
        let root: Value = serde_json::from_str(text).map_err(|e| config_error("$", format!("not valid JSON: {e}")))?;
        let fields = Fields::new("", &root, &["channel", "mainPingInterval", "adPingInterval"])?;
        config.channel = fields.string("channel")?;
        if let Some(main) = fields.number_in("mainPingInterval", MAIN_PING_RANGE.0, MAIN_PING_RANGE.1)? {
            config.main_ping_interval = Duration::from_secs_f64(main);
        }
        if let Some(ad) = fields.number_in("adPingInterval", AD_PING_RANGE.0, AD_PING_RANGE.1)? {
            config.ad_ping_interval = Duration::from_secs_f64(ad);
        }
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
            (r#"{"datastreamId":"","streamingMedia":{"channel":"c","playerName":"p"}}"#, "datastreamId: expected a non-empty string"),
            (r#"[1]"#, "$: expected an object"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidConfig);
            assert!(err.message.starts_with(expected), "{text}: got {:?}", err.message);
        }
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
