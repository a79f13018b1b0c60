import CMediaEdge

/// Adobe's media tracker (`getMediaAnalyticsTracker`, `Media.createTracker`): typed calls checked
/// against the playback state by the library's rule engine, which pings, detects content start,
/// ends sessions idle for 30 minutes and resumes them, and restarts them after 24 hours. A call
/// the rules do not allow throws `.ruleViolation`, whose message says what to call first, and
/// sends nothing.
///
/// `Sendable`: the C tracker is thread-safe; calls from several tasks are applied in the order
/// they reach it. A tracker keeps its client alive; its `deinit` ends an open session
/// (sessionEnd) and frees the handle.
public final class Tracker: Sendable {
    nonisolated(unsafe) let handle: OpaquePointer
    public let client: Client

    /// A tracker; `configuration` (JSON text) may set `channel`, `mainPingInterval` (10–50 s),
    /// `adPingInterval` (1–10 s) and `downloadedContent` (offline playback: its sessions are
    /// downloaded sessions, pinging every 50 s and sent whole once they end) for this tracker.
    public init(client: Client, configuration json: String? = nil) throws(MediaEdgeError) {
        var out: OpaquePointer?
        try check(mediaedge_tracker_new(client.handle, json, &out))
        self.handle = out!
        self.client = client
    }

    /// The same with typed settings; `nil` keeps the client's.
    public convenience init(
        client: Client, channel: String? = nil, mainPingInterval: Int? = nil, adPingInterval: Int? = nil,
        downloadedContent: Bool = false
    ) throws(MediaEdgeError) {
        var fields: [(String, JSON)] = []
        fields.add("channel", channel.map(JSON.string))
        fields.add("mainPingInterval", mainPingInterval.map(JSON.integer))
        fields.add("adPingInterval", adPingInterval.map(JSON.integer))
        fields.add("downloadedContent", downloadedContent ? JSON.bool(true) : nil)
        try self.init(client: client, configuration: fields.isEmpty ? nil : JSON.object(fields).text)
    }

    deinit {
        mediaedge_tracker_free(handle)
    }

    public func trackSessionStart(_ media: Media, metadata: [String: String] = [:]) throws(MediaEdgeError) {
        let ms = milliseconds(media.prerollWaitingTime)
        guard ms >= 0 else { throw invalidArgument("prerollWaitingTime: must not be negative") }
        try withObject({ mediaedge_media_new(media.id, media.name, media.length, media.streamType.rawValue, media.mediaType.rawValue, $0) },
                       free: mediaedge_media_free) { (m) throws(MediaEdgeError) in
            try check(mediaedge_media_set_resumed(m, media.resumed))
            try check(mediaedge_media_set_preroll_waiting_time(m, UInt64(ms)))
            try withMetadata(metadata) { (md) throws(MediaEdgeError) in try check(mediaedge_tracker_track_session_start(handle, m, md)) }
        }
    }

    public func trackPlay() throws(MediaEdgeError) { try check(mediaedge_tracker_track_play(handle)) }
    public func trackPause() throws(MediaEdgeError) { try check(mediaedge_tracker_track_pause(handle)) }
    /// The media played to its end: closes what runs, sends sessionComplete, ends the session.
    public func trackComplete() throws(MediaEdgeError) { try check(mediaedge_tracker_track_complete(handle)) }
    /// The viewer stopped before the end: closes what runs, sends sessionEnd, ends the session.
    public func trackSessionEnd() throws(MediaEdgeError) { try check(mediaedge_tracker_track_session_end(handle)) }
    /// A player error, with the player's id for it.
    public func trackError(_ errorID: String) throws(MediaEdgeError) { try check(mediaedge_tracker_track_error(handle, errorID)) }
    public func trackEvent(_ event: TrackerEvent) throws(MediaEdgeError) { try check(mediaedge_tracker_track_event(handle, event.rawValue)) }

    /// An ad break starts (a running ad is skipped and a running ad break completed first).
    public func trackAdBreakStart(_ adBreak: AdBreak) throws(MediaEdgeError) {
        try withObject({ mediaedge_ad_break_new(adBreak.name, Int64(adBreak.position), adBreak.startTime, $0) }, free: mediaedge_ad_break_free) {
            (b) throws(MediaEdgeError) in try check(mediaedge_tracker_track_ad_break_start(handle, b))
        }
    }

    /// An ad starts, inside an ad break (a running ad is skipped first).
    public func trackAdStart(_ ad: Ad, metadata: [String: String] = [:]) throws(MediaEdgeError) {
        try withObject({ mediaedge_ad_new(ad.id, ad.name, Int64(ad.position), ad.length, $0) }, free: mediaedge_ad_free) {
            (a) throws(MediaEdgeError) in
            try withMetadata(metadata) { (md) throws(MediaEdgeError) in try check(mediaedge_tracker_track_ad_start(handle, a, md)) }
        }
    }

    /// A chapter starts (a running chapter is skipped first).
    public func trackChapterStart(_ chapter: Chapter, metadata: [String: String] = [:]) throws(MediaEdgeError) {
        try withObject({ mediaedge_chapter_new(chapter.name, Int64(chapter.position), chapter.startTime, chapter.length, $0) },
                       free: mediaedge_chapter_free) { (c) throws(MediaEdgeError) in
            try withMetadata(metadata) { (md) throws(MediaEdgeError) in try check(mediaedge_tracker_track_chapter_start(handle, c, md)) }
        }
    }

    /// A player state starts (at most 10 distinct states per session).
    public func trackStateStart(_ state: PlayerState) throws(MediaEdgeError) {
        try withObject({ mediaedge_state_new(state.rawValue, $0) }, free: mediaedge_state_free) {
            (s) throws(MediaEdgeError) in try check(mediaedge_tracker_track_state_start(handle, s))
        }
    }

    public func trackStateEnd(_ state: PlayerState) throws(MediaEdgeError) {
        try withObject({ mediaedge_state_new(state.rawValue, $0) }, free: mediaedge_state_free) {
            (s) throws(MediaEdgeError) in try check(mediaedge_tracker_track_state_end(handle, s))
        }
    }

    /// The current playhead in seconds; call it about once a second while playing.
    public func updatePlayhead(_ seconds: Double) throws(MediaEdgeError) {
        try check(mediaedge_tracker_update_playhead(handle, seconds))
    }

    /// New QoE figures: attached to the next event, and sent with `.bitrateChange`. The
    /// tracker's QoE has every figure; one left `nil` is sent as 0.
    public func updateQoE(_ qoe: QoE) throws(MediaEdgeError) {
        try withObject({ mediaedge_qoe_new(qoe.bitrate ?? 0, qoe.timeToStart ?? 0, qoe.framesPerSecond ?? 0, qoe.droppedFrames ?? 0, $0) },
                       free: mediaedge_qoe_free) { (q) throws(MediaEdgeError) in try check(mediaedge_tracker_update_qoe(handle, q)) }
    }

    /// The backend ID of the tracker's open session, or `nil` while none is open or its ID is not
    /// known yet.
    public var sessionID: String? {
        get throws(MediaEdgeError) {
            try readID { buf, len, needed in mediaedge_tracker_session_id(handle, buf, len, needed) }
        }
    }
}

/// The tracker events that carry no object.
public enum TrackerEvent: UInt32, Sendable {
    case adBreakComplete = 1
    case adComplete = 2
    case adSkip = 3
    case chapterComplete = 4
    case chapterSkip = 5
    case seekStart = 6
    case seekComplete = 7
    case bufferStart = 8
    case bufferComplete = 9
    /// Sends bitrateChange with the QoE of the last `updateQoE`.
    case bitrateChange = 10
}

/// Makes a C object, lends it to `use`, frees it: the tracker copies what it is given.
private func withObject(
    _ make: (UnsafeMutablePointer<OpaquePointer?>) -> mediaedge_status, free: (OpaquePointer?) -> Void,
    _ use: (OpaquePointer) throws(MediaEdgeError) -> Void
) throws(MediaEdgeError) {
    var object: OpaquePointer?
    try check(make(&object))
    defer { free(object) }
    try use(object!)
}

private func withMetadata(_ metadata: [String: String], _ use: (OpaquePointer?) throws(MediaEdgeError) -> Void) throws(MediaEdgeError) {
    if metadata.isEmpty { return try use(nil) }
    try withObject({ mediaedge_metadata_new($0) }, free: mediaedge_metadata_free) { (m) throws(MediaEdgeError) in
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            try check(mediaedge_metadata_set(m, key, value))
        }
        try use(m)
    }
}
