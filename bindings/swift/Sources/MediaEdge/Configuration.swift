import Foundation

/// The client's configuration as a `Codable` value: the same document as the JSON text the C API
/// takes (README, "Configuration"), shaped like the Web SDK's `configure`. Leave an optional
/// field `nil` for the library's default; the library checks the ranges and names the path of a
/// bad value in its error.
public struct Configuration: Codable, Sendable, Equatable {
    public var datastreamId: String
    public var edgeDomain: String?
    public var edgeBasePath: String?
    public var defaultConsent: Consent?
    public var streamingMedia: StreamingMedia
    public var native: Native?

    public init(
        datastreamId: String, streamingMedia: StreamingMedia, edgeDomain: String? = nil,
        edgeBasePath: String? = nil, defaultConsent: Consent? = nil, native: Native? = nil
    ) {
        self.datastreamId = datastreamId
        self.streamingMedia = streamingMedia
        self.edgeDomain = edgeDomain
        self.edgeBasePath = edgeBasePath
        self.defaultConsent = defaultConsent
        self.native = native
    }

    public struct StreamingMedia: Codable, Sendable, Equatable {
        public var channel: String
        public var playerName: String
        public var appVersion: String?
        /// Seconds, 10–50 (default 10).
        public var mainPingInterval: Int?
        /// Seconds, 1–10 (default 10).
        public var adPingInterval: Int?

        public init(
            channel: String, playerName: String, appVersion: String? = nil, mainPingInterval: Int? = nil,
            adPingInterval: Int? = nil
        ) {
            self.channel = channel
            self.playerName = playerName
            self.appVersion = appVersion
            self.mainPingInterval = mainPingInterval
            self.adPingInterval = adPingInterval
        }
    }

    /// The settings of the native library that the Web SDK has no counterpart for.
    public struct Native: Codable, Sendable, Equatable {
        /// `scheme://host[:port]`; plain `http` only for loopback hosts.
        public var edgeBaseUrl: String?
        public var connectTimeoutMs: Int?
        public var requestTimeoutMs: Int?
        public var deliveryWorkers: Int?
        public var maxRetryDurationMs: Int?
        public var shutdownTimeoutMs: Int?
        public var maxQueuedEvents: Int?
        public var maxQueuedBytes: Int?
        public var caFile: String?
        public var caPem: String?

        public init(
            edgeBaseUrl: String? = nil, connectTimeoutMs: Int? = nil, requestTimeoutMs: Int? = nil,
            deliveryWorkers: Int? = nil, maxRetryDurationMs: Int? = nil, shutdownTimeoutMs: Int? = nil,
            maxQueuedEvents: Int? = nil, maxQueuedBytes: Int? = nil, caFile: String? = nil, caPem: String? = nil
        ) {
            self.edgeBaseUrl = edgeBaseUrl
            self.connectTimeoutMs = connectTimeoutMs
            self.requestTimeoutMs = requestTimeoutMs
            self.deliveryWorkers = deliveryWorkers
            self.maxRetryDurationMs = maxRetryDurationMs
            self.shutdownTimeoutMs = shutdownTimeoutMs
            self.maxQueuedEvents = maxQueuedEvents
            self.maxQueuedBytes = maxQueuedBytes
            self.caFile = caFile
            self.caPem = caPem
        }
    }

    /// The JSON text the library reads.
    public func jsonText() throws(MediaEdgeError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        } catch {
            throw invalidArgument("configuration: \(error)")
        }
    }
}

/// Consent, as in the Web SDK's `defaultConsent` / `setConsent`.
public enum Consent: String, Codable, Sendable {
    /// Send events.
    case `in`
    /// Drop everything queued, close every session, refuse new ones.
    case out
    /// Hold events (within the queue limits) without sending them.
    case pending

    var code: UInt32 {
        switch self {
        case .in: 0
        case .out: 1
        case .pending: 2
        }
    }
}

/// Levels of the log handler; each includes those above it.
public enum LogLevel: UInt32, Sendable, Comparable {
    case error = 1
    case warn = 2
    case info = 3
    /// Every request and response summarised (path, status, latency); never secrets.
    case debug = 4

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}
