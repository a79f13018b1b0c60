//! Where requests go: the Edge's origin and base path, the datastream, and the location hint
//! that routes a session's requests to the region that keeps its state.

use std::time::Duration;

use parking_lot::Mutex;

use crate::config::Config;

pub struct Endpoint {
    /// `{origin}/{basePath}`, without a trailing slash.
    base: String,
    datastream_id: String,
    /// The hint, and when the backend's expires on the client's clock (`None`: the caller's,
    /// kept until replaced).
    location_hint: Mutex<Option<(String, Option<Duration>)>>,
}

impl Endpoint {
    pub fn new(config: &Config) -> Endpoint {
        Endpoint {
            base: format!("{}/{}", config.edge_origin(), config.edge_base_path),
            datastream_id: config.datastream_id.clone(),
            location_hint: Mutex::new(None),
        }
    }

    /// The URL of one Media Edge request at `now` (which decides whether the hint still holds).
    pub fn url(&self, action: &str, request_id: &str, now: Duration) -> String {
        let hint = self.location_hint(now);
        let hint_len = hint.as_ref().map_or(0, |h| h.len() + 1);
        let mut url = String::with_capacity(
            self.base.len() + hint_len + 20 + action.len() + self.datastream_id.len() + request_id.len(),
        );
        url.push_str(&self.base);
        if let Some(hint) = hint {
            url.push('/');
            url.push_str(&hint);
        }
        url.push_str("/va/v1/");
        url.push_str(action);
        url.push_str("?configId=");
        url.push_str(&self.datastream_id);
        url.push_str("&requestId=");
        url.push_str(request_id);
        url
    }

    /// The location hint later requests go to, if any. The caller's and the backend's replace
    /// each other: the last one given wins.
    pub fn location_hint(&self, now: Duration) -> Option<String> {
        let mut hint = self.location_hint.lock();
        if matches!(&*hint, Some((_, Some(expires))) if *expires <= now) {
            *hint = None;
        }
        hint.as_ref().map(|(h, _)| h.clone())
    }

    /// The caller's hint (`None` clears whatever hint there is), already checked.
    pub fn set_location_hint(&self, hint: Option<String>) {
        *self.location_hint.lock() = hint.map(|h| (h, None));
    }

    /// A hint the backend answered with at `now`, valid for `ttl`.
    pub fn learn_location_hint(&self, hint: String, ttl: Duration, now: Duration) {
        *self.location_hint.lock() = Some((hint, Some(now + ttl)));
    }
}
