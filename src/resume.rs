//! Session recovery: what the backend has been told about the playback (open chapter, ad break,
//! ad, play state), and the events that describe it again to a new backend session started with
//! `sessionDetails.hasResume = true`.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::xdm::EventType;

/// The backend refuses a session older than this. The tracker restarts its sessions at this age
/// (as Adobe's SDKs do); the engine resumes other automatic sessions a little before it.
pub const BACKEND_MAX_SESSION_AGE: Duration = Duration::from_secs(24 * 3600);

/// The objects open in a playback: a resumed session is told of each again, in the order of
/// [`OpenObjects::restated`]. The engine keeps them as delivered documents, the tracker as the
/// `mediaCollection` fragments of its typed objects.
#[derive(Debug, Clone)]
pub struct OpenObjects<T> {
    pub chapter: Option<T>,
    pub ad_break: Option<T>,
    pub ad: Option<T>,
}

impl<T> Default for OpenObjects<T> {
    fn default() -> Self {
        OpenObjects { chapter: None, ad_break: None, ad: None }
    }
}

impl<T> OpenObjects<T> {
    /// Each open object with the event that starts it, in restating order: chapter, ad break, ad.
    pub fn restated(&self) -> impl Iterator<Item = (EventType, &T)> {
        [
            (EventType::ChapterStart, &self.chapter),
            (EventType::AdBreakStart, &self.ad_break),
            (EventType::AdStart, &self.ad),
        ]
        .into_iter()
        .filter_map(|(event_type, object)| object.as_ref().map(|object| (event_type, object)))
    }
}

/// The playback as delivered to the backend so far.
#[derive(Debug, Clone, Default)]
pub struct Playback {
    pub open: OpenObjects<Map<String, Value>>,
    /// The last of play, pauseStart, bufferStart.
    pub play_state: Option<EventType>,
}

impl Playback {
    /// Follows one delivered event; `xdm` is its document, for the events that open an object.
    pub fn delivered(&mut self, event_type: EventType, xdm: Option<Map<String, Value>>) {
        use EventType::*;
        let open = &mut self.open;
        match event_type {
            ChapterStart => open.chapter = xdm,
            ChapterComplete | ChapterSkip => open.chapter = None,
            AdBreakStart => {
                open.ad_break = xdm;
                open.ad = None;
            }
            AdBreakComplete => {
                open.ad_break = None;
                open.ad = None;
            }
            AdStart => open.ad = xdm,
            AdComplete | AdSkip => open.ad = None,
            Play | PauseStart | BufferStart => self.play_state = Some(event_type),
            _ => {}
        }
    }
}

/// An event re-made for the new session: the stored document with the new time and playhead,
/// without the old session's ID or QoE figures.
fn restamp(xdm: &Map<String, Value>, timestamp: &Value, playhead: i64) -> Map<String, Value> {
    let mut xdm = xdm.clone();
    xdm.insert("timestamp".into(), timestamp.clone());
    if let Some(Value::Object(media)) = xdm.get_mut("mediaCollection") {
        media.remove("sessionID");
        media.remove("qoeDataDetails");
        media.insert("playhead".into(), Value::from(playhead));
    }
    xdm
}

fn bare(event_type: EventType, timestamp: &Value, playhead: i64) -> Map<String, Value> {
    let mut media = Map::new();
    media.insert("playhead".into(), Value::from(playhead));
    let mut xdm = Map::new();
    xdm.insert("eventType".into(), Value::from(event_type.xdm_name()));
    xdm.insert("timestamp".into(), timestamp.clone());
    xdm.insert("mediaCollection".into(), Value::Object(media));
    xdm
}

/// The events that start the new session and restore the playback, in sending order, stamped
/// with `timestamp` (the first undelivered event's) at `playhead`.
pub fn resume_events(
    start: &Map<String, Value>,
    playback: &Playback,
    timestamp: &Value,
    playhead: i64,
) -> Vec<(EventType, Map<String, Value>)> {
    let mut start = restamp(start, timestamp, playhead);
    if let Some(Value::Object(details)) =
        start.get_mut("mediaCollection").and_then(|m| m.as_object_mut()).and_then(|m| m.get_mut("sessionDetails"))
    {
        details.insert("hasResume".into(), Value::Bool(true));
    }
    let mut events = vec![(EventType::SessionStart, start)];
    for (event_type, xdm) in playback.open.restated() {
        events.push((event_type, restamp(xdm, timestamp, playhead)));
    }
    if let Some(state) = playback.play_state {
        events.push((state, bare(state, timestamp, playhead)));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn resume_restarts_with_has_resume_and_restores_open_chapter_ad_and_play_state() {
        let start = doc(json!({"eventType":"media.sessionStart","timestamp":"t0","mediaCollection":{"playhead":0,
            "sessionDetails":{"name":"n","length":60,"contentType":"VOD","playerName":"p","channel":"c"}}}));
        let mut playback = Playback::default();
        playback.delivered(
            EventType::ChapterStart,
            Some(doc(json!({"eventType":"media.chapterStart","timestamp":"t1",
            "mediaCollection":{"playhead":1,"sessionID":"old","chapterDetails":{"index":1,"length":30,"offset":0}}}))),
        );
        playback.delivered(EventType::Play, None);
        playback.delivered(
            EventType::AdBreakStart,
            Some(doc(json!({"eventType":"media.adBreakStart",
            "mediaCollection":{"playhead":5,"advertisingPodDetails":{"index":1,"offset":5}}}))),
        );
        playback.delivered(EventType::AdBreakComplete, None);
        playback.delivered(EventType::PauseStart, None);

        let events = resume_events(&start, &playback, &json!("t9"), 42);
        let types: Vec<EventType> = events.iter().map(|e| e.0).collect();
        assert_eq!(types, vec![EventType::SessionStart, EventType::ChapterStart, EventType::PauseStart]);
        let (_, start) = &events[0];
        assert_eq!(start["mediaCollection"]["sessionDetails"]["hasResume"], json!(true));
        assert_eq!(start["mediaCollection"]["playhead"], json!(42));
        let (_, chapter) = &events[1];
        assert_eq!(chapter["timestamp"], json!("t9"));
        assert_eq!(chapter["mediaCollection"].get("sessionID"), None);
        assert_eq!(chapter["mediaCollection"]["chapterDetails"]["index"], json!(1));
    }
}
