import CMediaEdge

/// A content (stream) type: `sessionDetails.contentType`, and the tracker media's stream type.
public struct StreamType: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let vod = StreamType(rawValue: MEDIAEDGE_STREAM_TYPE_VOD)
    public static let live = StreamType(rawValue: MEDIAEDGE_STREAM_TYPE_LIVE)
    public static let linear = StreamType(rawValue: MEDIAEDGE_STREAM_TYPE_LINEAR)
    public static let podcast = StreamType(rawValue: MEDIAEDGE_STREAM_TYPE_PODCAST)
    public static let audiobook = StreamType(rawValue: MEDIAEDGE_STREAM_TYPE_AUDIOBOOK)
    public static let aod = StreamType(rawValue: MEDIAEDGE_STREAM_TYPE_AOD)
}

/// A player state: a standard one or a name of your own (1 to 64 letters, digits, `_` or `.`).
public struct PlayerState: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let fullscreen = PlayerState(rawValue: MEDIAEDGE_PLAYER_STATE_FULLSCREEN)
    public static let mute = PlayerState(rawValue: MEDIAEDGE_PLAYER_STATE_MUTE)
    public static let closedCaptioning = PlayerState(rawValue: MEDIAEDGE_PLAYER_STATE_CLOSED_CAPTION)
    public static let pictureInPicture = PlayerState(rawValue: MEDIAEDGE_PLAYER_STATE_PICTURE_IN_PICTURE)
    public static let inFocus = PlayerState(rawValue: MEDIAEDGE_PLAYER_STATE_IN_FOCUS)
}

public enum MediaType: UInt32, Sendable {
    case video = 0  // MEDIAEDGE_MEDIA_TYPE_VIDEO
    case audio = 1  // MEDIAEDGE_MEDIA_TYPE_AUDIO
}

/// The media of a tracker session (Adobe's media object).
public struct Media: Sendable, Equatable {
    /// `sessionDetails.name`: the content's ID.
    public var id: String
    /// `sessionDetails.friendlyName`.
    public var name: String
    /// Seconds.
    public var length: Double
    public var streamType: StreamType
    public var mediaType: MediaType
    /// The viewer carries on an earlier view (`sessionDetails.hasResume`).
    public var resumed: Bool
    /// How long after session start calls are held to see whether a preroll ad break comes
    /// (0 turns the wait off).
    public var prerollWaitingTime: Duration

    public init(
        id: String, name: String, length: Double, streamType: StreamType = .vod, mediaType: MediaType = .video,
        resumed: Bool = false, prerollWaitingTime: Duration = .milliseconds(250)
    ) {
        self.id = id
        self.name = name
        self.length = length
        self.streamType = streamType
        self.mediaType = mediaType
        self.resumed = resumed
        self.prerollWaitingTime = prerollWaitingTime
    }
}

/// An ad break (a pod of ads).
public struct AdBreak: Sendable, Equatable {
    public var name: String
    /// 1 for the first.
    public var position: Int
    /// Seconds of content.
    public var startTime: Double

    public init(name: String, position: Int, startTime: Double) {
        self.name = name
        self.position = position
        self.startTime = startTime
    }
}

/// One ad.
public struct Ad: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Its place in the ad break, 1 for the first.
    public var position: Int
    /// Seconds.
    public var length: Double

    public init(id: String, name: String, position: Int, length: Double) {
        self.id = id
        self.name = name
        self.position = position
        self.length = length
    }
}

/// A chapter (segment) of the main content.
public struct Chapter: Sendable, Equatable {
    public var name: String
    /// 1 for the first.
    public var position: Int
    /// Seconds of content.
    public var startTime: Double
    /// Seconds.
    public var length: Double

    public init(name: String, position: Int, startTime: Double, length: Double) {
        self.name = name
        self.position = position
        self.startTime = startTime
        self.length = length
    }
}

/// Quality-of-experience figures; leave out what the player does not know.
public struct QoE: Sendable, Equatable {
    /// Bits per second.
    public var bitrate: Double?
    public var droppedFrames: Double?
    public var framesPerSecond: Double?
    /// Milliseconds from the play request to the first frame.
    public var timeToStart: Double?

    public init(bitrate: Double? = nil, droppedFrames: Double? = nil, framesPerSecond: Double? = nil, timeToStart: Double? = nil) {
        self.bitrate = bitrate
        self.droppedFrames = droppedFrames
        self.framesPerSecond = framesPerSecond
        self.timeToStart = timeToStart
    }
}

/// Standard metadata keys: they fill their XDM fields; other keys go to `customMetadata`.
public enum MetadataKey {
    public static let show = MEDIAEDGE_METADATA_SHOW
    public static let season = MEDIAEDGE_METADATA_SEASON
    public static let episode = MEDIAEDGE_METADATA_EPISODE
    public static let assetID = MEDIAEDGE_METADATA_ASSET_ID
    public static let genre = MEDIAEDGE_METADATA_GENRE
    public static let firstAirDate = MEDIAEDGE_METADATA_FIRST_AIR_DATE
    public static let firstDigitalDate = MEDIAEDGE_METADATA_FIRST_DIGITAL_DATE
    public static let rating = MEDIAEDGE_METADATA_RATING
    public static let originator = MEDIAEDGE_METADATA_ORIGINATOR
    public static let network = MEDIAEDGE_METADATA_NETWORK
    public static let showType = MEDIAEDGE_METADATA_SHOW_TYPE
    public static let adLoad = MEDIAEDGE_METADATA_AD_LOAD
    public static let mvpd = MEDIAEDGE_METADATA_MVPD
    public static let authorized = MEDIAEDGE_METADATA_AUTHORIZED
    public static let dayPart = MEDIAEDGE_METADATA_DAY_PART
    public static let feed = MEDIAEDGE_METADATA_FEED
    public static let streamFormat = MEDIAEDGE_METADATA_STREAM_FORMAT
    public static let artist = MEDIAEDGE_METADATA_ARTIST
    public static let album = MEDIAEDGE_METADATA_ALBUM
    public static let label = MEDIAEDGE_METADATA_LABEL
    public static let author = MEDIAEDGE_METADATA_AUTHOR
    public static let station = MEDIAEDGE_METADATA_STATION
    public static let publisher = MEDIAEDGE_METADATA_PUBLISHER
}

/// Standard ad metadata keys (they fill advertisingDetails fields).
public enum AdMetadataKey {
    public static let advertiser = MEDIAEDGE_AD_METADATA_ADVERTISER
    public static let campaignID = MEDIAEDGE_AD_METADATA_CAMPAIGN_ID
    public static let creativeID = MEDIAEDGE_AD_METADATA_CREATIVE_ID
    public static let placementID = MEDIAEDGE_AD_METADATA_PLACEMENT_ID
    public static let siteID = MEDIAEDGE_AD_METADATA_SITE_ID
    public static let creativeURL = MEDIAEDGE_AD_METADATA_CREATIVE_URL
}
