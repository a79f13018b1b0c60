//! Where requests go: the Edge's origin and base path, the datastream, and the location hint
//! that routes a session's requests to the region that keeps its state.

use std::time::Duration;

use parking_lot::Mutex;

use crate::config::Config;

/// What stays as it is in a query value: RFC 3986's unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub struct Endpoint {
    /// `{origin}/{basePath}`, without a trailing slash.
    base: String,
    /// Percent-encoded for the query.
    datastream_id: String,
    /// The hint, and when the backend's expires on the client's clock (`None`: the caller's,
    /// kept until replaced).
    location_hint: Mutex<Option<(String, Option<Duration>)>>,
}

impl Endpoint {
    pub fn new(config: &Config) -> Endpoint {
        Endpoint {
            base: format!("{}/{}", config.edge_origin(), config.edge_base_path),
            datastream_id: percent_encoding::utf8_percent_encode(&config.datastream_id, QUERY_VALUE).to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_datastream_id_is_percent_encoded_in_the_query() {
        let text = r#"{"datastreamId":"a b&c=d/é","streamingMedia":{"channel":"c","playerName":"p"}}"#;
        let endpoint = Endpoint::new(&Config::from_json(text).unwrap());
        let url = endpoint.url("play", "r-1", Duration::ZERO);
        assert_eq!(url, "https://edge.adobedc.net/ee/va/v1/play?configId=a%20b%26c%3Dd%2F%C3%A9&requestId=r-1");
    }
}
