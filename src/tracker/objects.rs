//! The tracker's typed objects (media, ad break, ad, chapter, QoE, player state) and metadata,
//! each checked when it is made, and the XDM fragments they become.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::names::{AD_METADATA_KEYS, MEDIA_METADATA_KEYS};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{
    too_long, MAX_METADATA_ENTRIES, MAX_METADATA_KEY_BYTES, MAX_METADATA_TOTAL_BYTES, MAX_METADATA_VALUE_BYTES,
    MAX_NAME_BYTES,
};

fn invalid(what: &str, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("{what}: {message}"))
}

fn non_empty(what: &str, value: &str) -> Result<String> {
    if value.trim().is_empty() {
        Err(invalid(what, "must not be empty"))
    } else if value.len() > MAX_NAME_BYTES {
        Err(too_long(what, MAX_NAME_BYTES))
    } else {
        Ok(value.to_string())
    }
}

fn non_negative(what: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(invalid(what, format!("expected a number >= 0, got {value}")))
    }
}

fn position(what: &str, value: i64) -> Result<i64> {
    if value >= 1 {
        Ok(value)
    } else {
        Err(invalid(what, format!("expected a position >= 1, got {value}")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Video,
    Audio,
}

/// Key/value metadata; keys are letters, digits, `_` and `.`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    entries: BTreeMap<String, String>,
}

impl Metadata {
    pub fn new() -> Metadata {
        Metadata::default()
    }

    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let key_ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
        if !key_ok {
            return Err(invalid("metadata key", format!("\"{key}\" may only hold letters, digits, '_' and '.'")));
        }
        if key.len() > MAX_METADATA_KEY_BYTES {
            return Err(too_long("metadata key", MAX_METADATA_KEY_BYTES));
        }
        if value.len() > MAX_METADATA_VALUE_BYTES {
            return Err(too_long("metadata value", MAX_METADATA_VALUE_BYTES));
        }
        if self.entries.len() >= MAX_METADATA_ENTRIES && !self.entries.contains_key(key) {
            return Err(invalid("metadata", format!("at most {MAX_METADATA_ENTRIES} entries")));
        }
        let others: usize =
            self.entries.iter().filter(|(k, _)| k.as_str() != key).map(|(k, v)| k.len() + v.len()).sum();
        if others + key.len() + value.len() > MAX_METADATA_TOTAL_BYTES {
            return Err(invalid(
                "metadata",
                format!("keys and values together are limited to {MAX_METADATA_TOTAL_BYTES} bytes"),
            ));
        }
        self.entries.insert(key.to_string(), value.to_string());
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Standard keys go into `details` under their XDM names; the rest into `customMetadata`
    /// (sorted by name, as Adobe's SDKs send them).
    fn apply(&self, standard: &[(&str, &str, &str)], details: &mut Map<String, Value>, media: &mut Map<String, Value>) {
        let mut custom = Vec::new();
        for (key, value) in &self.entries {
            match standard.iter().find(|(_, k, _)| k == key) {
                Some((_, _, field)) => {
                    details.insert((*field).into(), Value::from(value.as_str()));
                }
                None => custom.push(json!({"name": key, "value": value})),
            }
        }
        if !custom.is_empty() {
            media.insert("customMetadata".into(), Value::Array(custom));
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    pub id: String,
    pub name: String,
    pub length: f64,
    pub stream_type: String,
    pub media_type: MediaType,
    pub resumed: bool,
    /// How long after session start calls are held to see whether a preroll ad break starts.
    pub preroll_waiting_ms: u64,
}

impl MediaInfo {
    pub(crate) const DEFAULT_PREROLL_WAITING_MS: u64 = 250;

    pub fn new(id: &str, name: &str, length: f64, stream_type: &str, media_type: MediaType) -> Result<MediaInfo> {
        Ok(MediaInfo {
            id: non_empty("media id", id)?,
            name: non_empty("media name", name)?,
            length: non_negative("media length", length)?,
            stream_type: non_empty("media stream type", stream_type)?,
            media_type,
            resumed: false,
            preroll_waiting_ms: MediaInfo::DEFAULT_PREROLL_WAITING_MS,
        })
    }

    /// The `mediaCollection` of a sessionStart.
    pub fn session_start(&self, metadata: &Metadata, channel: Option<&str>, resume: bool) -> Map<String, Value> {
        let mut details = Map::new();
        details.insert("name".into(), Value::from(self.id.as_str()));
        details.insert("friendlyName".into(), Value::from(self.name.as_str()));
        details.insert("length".into(), Value::from(self.length.round() as i64));
        details.insert("contentType".into(), Value::from(self.stream_type.as_str()));
        let kind = if self.media_type == MediaType::Audio { "audio" } else { "video" };
        details.insert("streamType".into(), Value::from(kind));
        if resume || self.resumed {
            details.insert("hasResume".into(), Value::Bool(true));
        }
        if let Some(channel) = channel {
            details.insert("channel".into(), Value::from(channel));
        }
        let mut media = Map::new();
        metadata.apply(MEDIA_METADATA_KEYS, &mut details, &mut media);
        media.insert("sessionDetails".into(), Value::Object(details));
        media
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdBreakInfo {
    pub name: String,
    pub position: i64,
    pub start_time: f64,
}

impl AdBreakInfo {
    pub fn new(name: &str, position: i64, start_time: f64) -> Result<AdBreakInfo> {
        Ok(AdBreakInfo {
            name: non_empty("ad break name", name)?,
            position: self::position("ad break position", position)?,
            start_time: non_negative("ad break start time", start_time)?,
        })
    }

    pub fn xdm(&self) -> Map<String, Value> {
        let mut media = Map::new();
        media.insert(
            "advertisingPodDetails".into(),
            json!({"friendlyName": self.name, "index": self.position, "offset": self.start_time.round() as i64}),
        );
        media
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdInfo {
    pub id: String,
    pub name: String,
    pub position: i64,
    pub length: f64,
}

impl AdInfo {
    pub fn new(id: &str, name: &str, position: i64, length: f64) -> Result<AdInfo> {
        Ok(AdInfo {
            id: non_empty("ad id", id)?,
            name: non_empty("ad name", name)?,
            position: self::position("ad position", position)?,
            length: non_negative("ad length", length)?,
        })
    }

    pub fn xdm(&self, metadata: &Metadata) -> Map<String, Value> {
        let mut details = Map::new();
        details.insert("name".into(), Value::from(self.id.as_str()));
        details.insert("friendlyName".into(), Value::from(self.name.as_str()));
        details.insert("length".into(), Value::from(self.length.round() as i64));
        details.insert("podPosition".into(), Value::from(self.position));
        let mut media = Map::new();
        metadata.apply(AD_METADATA_KEYS, &mut details, &mut media);
        media.insert("advertisingDetails".into(), Value::Object(details));
        media
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChapterInfo {
    pub name: String,
    pub position: i64,
    pub start_time: f64,
    pub length: f64,
}

impl ChapterInfo {
    pub fn new(name: &str, position: i64, start_time: f64, length: f64) -> Result<ChapterInfo> {
        Ok(ChapterInfo {
            name: non_empty("chapter name", name)?,
            position: self::position("chapter position", position)?,
            start_time: non_negative("chapter start time", start_time)?,
            length: non_negative("chapter length", length)?,
        })
    }

    pub fn xdm(&self, metadata: &Metadata) -> Map<String, Value> {
        let mut media = Map::new();
        media.insert(
            "chapterDetails".into(),
            json!({"friendlyName": self.name, "index": self.position, "offset": self.start_time.round() as i64,
                   "length": self.length.round() as i64}),
        );
        // Chapter metadata is all custom: there are no standard chapter keys.
        metadata.apply(&[], &mut Map::new(), &mut media);
        media
    }
}

/// Quality of experience, as the player last reported it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QoeInfo {
    pub bitrate: f64,
    pub startup_time: f64,
    pub fps: f64,
    pub dropped_frames: f64,
}

impl QoeInfo {
    pub fn new(bitrate: f64, startup_time: f64, fps: f64, dropped_frames: f64) -> Result<QoeInfo> {
        Ok(QoeInfo {
            bitrate: non_negative("qoe bitrate", bitrate)?,
            startup_time: non_negative("qoe startup time", startup_time)?,
            fps: non_negative("qoe fps", fps)?,
            dropped_frames: non_negative("qoe dropped frames", dropped_frames)?,
        })
    }

    pub fn xdm(&self) -> Value {
        json!({
            "bitrate": self.bitrate.round() as i64,
            "timeToStart": self.startup_time.round() as i64,
            "framesPerSecond": self.fps.round() as i64,
            "droppedFrames": self.dropped_frames.round() as i64,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateInfo {
    pub name: String,
}

impl StateInfo {
    pub fn new(name: &str) -> Result<StateInfo> {
        let ok =
            (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
        if !ok {
            return Err(invalid("player state", format!("\"{name}\" must be 1 to 64 letters, digits, '_' or '.'")));
        }
        Ok(StateInfo { name: name.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_checked_when_made() {
        assert!(MediaInfo::new("id", "name", 60.0, "vod", MediaType::Video).is_ok());
        assert_eq!(
            MediaInfo::new("", "n", 1.0, "vod", MediaType::Video).unwrap_err().message,
            "media id: must not be empty"
        );
        assert!(MediaInfo::new("i", "n", -1.0, "vod", MediaType::Video)
            .unwrap_err()
            .message
            .starts_with("media length"));
        assert_eq!(
            AdBreakInfo::new("pre", 0, 0.0).unwrap_err().message,
            "ad break position: expected a position >= 1, got 0"
        );
        assert!(AdInfo::new("a", "b", 1, f64::NAN).is_err());
        assert!(ChapterInfo::new("c", 1, 0.0, 10.0).is_ok());
        assert!(StateInfo::new("fullscreen").is_ok());
        assert!(StateInfo::new("has space").is_err());
        assert!(StateInfo::new(&"x".repeat(65)).is_err());
        assert!(MediaInfo::new(&"i".repeat(MAX_NAME_BYTES), "n", 1.0, "vod", MediaType::Video).is_ok());
        let err = MediaInfo::new(&"i".repeat(MAX_NAME_BYTES + 1), "n", 1.0, "vod", MediaType::Video).unwrap_err();
        assert_eq!(err.message, format!("media id: longer than the limit of {MAX_NAME_BYTES} bytes"));
    }

    #[test]
    fn metadata_is_bounded_per_key_value_entry_count_and_total() {
        let mut metadata = Metadata::new();
        assert!(metadata
            .set(&"k".repeat(MAX_METADATA_KEY_BYTES + 1), "v")
            .unwrap_err()
            .message
            .starts_with("metadata key: longer"));
        assert!(metadata
            .set("k", &"v".repeat(MAX_METADATA_VALUE_BYTES + 1))
            .unwrap_err()
            .message
            .starts_with("metadata value: longer"));
        // 31 entries of 1 KiB values fit in 32 KiB; the 32nd would pass it.
        let value = "v".repeat(MAX_METADATA_VALUE_BYTES);
        for i in 0..31 {
            metadata.set(&format!("k{i:02}"), &value).unwrap();
        }
        let err = metadata.set("k31", &value).unwrap_err();
        assert_eq!(
            err.message,
            format!("metadata: keys and values together are limited to {MAX_METADATA_TOTAL_BYTES} bytes")
        );
        // Replacing a value counts the new size, not both.
        metadata.set("k00", "short").unwrap();
        metadata.set("k31", &value).unwrap();
        let mut many = Metadata::new();
        for i in 0..MAX_METADATA_ENTRIES {
            many.set(&format!("k{i}"), "v").unwrap();
        }
        assert_eq!(
            many.set("one.more", "v").unwrap_err().message,
            format!("metadata: at most {MAX_METADATA_ENTRIES} entries")
        );
        many.set("k0", "replaced").unwrap();
    }

    #[test]
    fn standard_metadata_maps_to_details_and_the_rest_is_custom() {
        let mut metadata = Metadata::new();
        metadata.set("a.media.show", "Show").unwrap();
        metadata.set("a.media.pass.auth", "true").unwrap();
        metadata.set("tenant.campaign", "spring").unwrap();
        assert!(metadata.set("bad key!", "x").is_err());
        let media = MediaInfo::new("id-1", "Episode 1", 1800.4, "vod", MediaType::Video).unwrap();
        let xdm = media.session_start(&metadata, Some("sports"), false);
        let details = &xdm["sessionDetails"];
        assert_eq!(details["show"], "Show");
        assert_eq!(details["authorized"], "true");
        assert_eq!(details["name"], "id-1");
        assert_eq!(details["friendlyName"], "Episode 1");
        assert_eq!(details["length"], 1800);
        assert_eq!(details["channel"], "sports");
        assert_eq!(details["streamType"], "video");
        assert_eq!(xdm["customMetadata"], json!([{"name": "tenant.campaign", "value": "spring"}]));

        let mut ad_metadata = Metadata::new();
        ad_metadata.set("a.media.ad.advertiser", "Acme").unwrap();
        ad_metadata.set("a.media.show", "not an ad key").unwrap();
        let ad = AdInfo::new("ad-9", "Spring sale", 2, 15.0).unwrap().xdm(&ad_metadata);
        assert_eq!(ad["advertisingDetails"]["advertiser"], "Acme");
        assert_eq!(ad["advertisingDetails"]["podPosition"], 2);
        assert_eq!(ad["customMetadata"], json!([{"name": "a.media.show", "value": "not an ad key"}]));
    }
}
