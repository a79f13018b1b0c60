/// A media event of the sessions API, typed. Each becomes the xdm object the Media Edge API
/// expects (`eventType` `media.<name>` and its details under `mediaCollection`); an automatic
/// session adds the playhead, QoE and session ID, a manual one the playhead you pass and the
/// session ID. For anything this does not cover, send the xdm as JSON text.
public enum MediaEvent: Sendable, Equatable {
    case play
    case pauseStart
    case bufferStart
    /// Automatic sessions ping on their own; a manual session pings with this.
    case ping
    case chapterStart(Chapter, customMetadata: [String: String] = [:])
    case chapterComplete
    case chapterSkip
    case adBreakStart(AdBreak)
    case adBreakComplete
    case adStart(Ad, customMetadata: [String: String] = [:])
    case adComplete
    case adSkip
    /// `errorDetails`: the player's id for the error, and where it came from.
    case error(name: String, source: ErrorSource = .player)
    /// Player states that start and end (`statesStart`, `statesEnd`).
    case statesUpdate(start: [PlayerState] = [], end: [PlayerState] = [])
    case bitrateChange(QoE)
    /// The media played to its end; the session ends.
    case sessionComplete
    /// The viewer stopped before the end; the session ends.
    case sessionEnd

    public enum ErrorSource: String, Sendable {
        case player
        case external
    }

    var name: String {
        switch self {
        case .play: "play"
        case .pauseStart: "pauseStart"
        case .bufferStart: "bufferStart"
        case .ping: "ping"
        case .chapterStart: "chapterStart"
        case .chapterComplete: "chapterComplete"
        case .chapterSkip: "chapterSkip"
        case .adBreakStart: "adBreakStart"
        case .adBreakComplete: "adBreakComplete"
        case .adStart: "adStart"
        case .adComplete: "adComplete"
        case .adSkip: "adSkip"
        case .error: "error"
        case .statesUpdate: "statesUpdate"
        case .bitrateChange: "bitrateChange"
        case .sessionComplete: "sessionComplete"
        case .sessionEnd: "sessionEnd"
        }
    }

    /// The details this event carries under `mediaCollection`.
    private var details: [(String, JSON)] {
        switch self {
        case .chapterStart(let chapter, let custom):
            return [("chapterDetails", .object([
                ("friendlyName", .string(chapter.name)), ("index", .integer(chapter.position)),
                ("offset", .number(chapter.startTime)), ("length", .number(chapter.length)),
            ]))] + customMetadataJSON(custom)
        case .adBreakStart(let adBreak):
            return [("advertisingPodDetails", .object([
                ("friendlyName", .string(adBreak.name)), ("index", .integer(adBreak.position)),
                ("offset", .number(adBreak.startTime)),
            ]))]
        case .adStart(let ad, let custom):
            return [("advertisingDetails", .object([
                ("name", .string(ad.id)), ("friendlyName", .string(ad.name)),
                ("podPosition", .integer(ad.position)), ("length", .number(ad.length)),
            ]))] + customMetadataJSON(custom)
        case .error(let name, let source):
            return [("errorDetails", .object([("name", .string(name)), ("source", .string(source.rawValue))]))]
        case .statesUpdate(let start, let end):
            var states: [(String, JSON)] = []
            if !start.isEmpty { states.append(("statesStart", .array(start.map { .object([("name", .string($0.rawValue))]) }))) }
            if !end.isEmpty { states.append(("statesEnd", .array(end.map { .object([("name", .string($0.rawValue))]) }))) }
            return states
        case .bitrateChange(let qoe):
            return [("qoeDataDetails", qoe.json)]
        case .play, .pauseStart, .bufferStart, .ping, .chapterComplete, .chapterSkip, .adBreakComplete, .adComplete,
            .adSkip, .sessionComplete, .sessionEnd:
            return []
        }
    }

    func xdm(playhead: Double?, sessionID: String?) -> String {
        var media: [(String, JSON)] = []
        media.add("sessionID", sessionID.map(JSON.string))
        media.add("playhead", playhead.map(JSON.number))
        media += details
        return JSON.object([("eventType", .string("media." + name)), ("mediaCollection", .object(media))]).text
    }
}

private func customMetadataJSON(_ entries: [String: String]) -> [(String, JSON)] {
    if entries.isEmpty { return [] }
    let sorted = entries.sorted { $0.key < $1.key }
    return [("customMetadata", .array(sorted.map { .object([("name", .string($0.key)), ("value", .string($0.value))]) }))]
}

extension QoE {
    var json: JSON {
        var fields: [(String, JSON)] = []
        fields.add("bitrate", bitrate.map(JSON.number))
        fields.add("droppedFrames", droppedFrames.map(JSON.number))
        fields.add("framesPerSecond", framesPerSecond.map(JSON.number))
        fields.add("timeToStart", timeToStart.map(JSON.number))
        return .object(fields)
    }
}

/// The sessionStart of the sessions API (`sessionDetails`), typed. `channel`, `playerName` and
/// `appVersion` default to the client's configuration.
public struct SessionStart: Sendable, Equatable {
    /// `sessionDetails.name`: the content's ID.
    public var name: String
    /// Seconds.
    public var length: Double
    public var contentType: StreamType
    public var friendlyName: String?
    public var channel: String?
    public var playerName: String?
    public var appVersion: String?
    /// Other string fields of `sessionDetails` by their XDM name (`show`, `season`, `episode`,
    /// `assetID`, `genre`, `network`, …).
    public var details: [String: String]
    public var customMetadata: [String: String]

    public init(
        name: String, length: Double, contentType: StreamType = .vod, friendlyName: String? = nil,
        channel: String? = nil, playerName: String? = nil, appVersion: String? = nil,
        details: [String: String] = [:], customMetadata: [String: String] = [:]
    ) {
        self.name = name
        self.length = length
        self.contentType = contentType
        self.friendlyName = friendlyName
        self.channel = channel
        self.playerName = playerName
        self.appVersion = appVersion
        self.details = details
        self.customMetadata = customMetadata
    }

    func xdm(playhead: Double?) throws(MediaEdgeError) -> String {
        var session: [(String, JSON)] = [
            ("name", .string(name)), ("length", .number(length)), ("contentType", .string(contentType.rawValue)),
        ]
        session.add("friendlyName", friendlyName.map(JSON.string))
        session.add("channel", channel.map(JSON.string))
        session.add("playerName", playerName.map(JSON.string))
        session.add("appVersion", appVersion.map(JSON.string))
        let typed = Set(["name", "length", "contentType", "friendlyName", "channel", "playerName", "appVersion"])
        if let clash = details.keys.sorted().first(where: typed.contains) {
            throw invalidArgument("details[\"\(clash)\"]: set it with SessionStart's own `\(clash)`")
        }
        session += details.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }
        var media: [(String, JSON)] = []
        media.add("playhead", playhead.map(JSON.number))
        media.append(("sessionDetails", .object(session)))
        media += customMetadataJSON(customMetadata)
        return JSON.object([("eventType", .string("media.sessionStart")), ("mediaCollection", .object(media))]).text
    }
}
