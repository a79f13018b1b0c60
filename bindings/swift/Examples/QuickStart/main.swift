// The Swift quick start (README): a client from a Codable configuration, an automatic session
// whose playhead comes from a closure, its events as an AsyncStream, a few typed events, the
// stats. Handles are freed when their last reference goes.
//
// usage: QuickStart EDGE_BASE_URL
import Foundation
import MediaEdge

/// Your player's state; the closure below reads it on the library's threads.
final class Player: @unchecked Sendable {
    // @unchecked: `seconds` is only touched under `lock`.
    private let lock = NSLock()
    private var seconds = 0.0
    var position: Double {
        get { lock.withLock { seconds } }
        set { lock.withLock { seconds = newValue } }
    }
}

guard CommandLine.arguments.count == 2 else {
    print("usage: QuickStart EDGE_BASE_URL")
    exit(2)
}
let configuration = Configuration(
    datastreamId: "my-datastream",
    streamingMedia: .init(channel: "my-channel", playerName: "my-player"),
    native: .init(edgeBaseUrl: CommandLine.arguments[1])
)

do {
    let client = try Client(configuration: configuration)
    let player = Player()
    let session = try AutomaticSession(
        client: client, playerID: "main-player",
        start: SessionStart(name: "movie-42", length: 5400, contentType: .vod, friendlyName: "Movie 42")
    ) { [player] in
        PlayerDetails(playhead: player.position, qoe: QoE(bitrate: 2_500_000))
    }
    let events = Task {
        for await event in session.events() {
            print("event: \(event.kind) \(event.message)")
            if event.kind == .ended { break }
        }
    }
    try session.send(.play)
    player.position = 12
    try session.send(.pauseStart)
    print("session ID: \(try await session.sessionID())")
    try session.send(.sessionEnd)
    await events.value
    try await client.flush()
    let stats = try client.stats()
    print("sent \(stats.eventsSent) of \(stats.eventsQueued) events")
    exit(stats.eventsSent == 4 ? 0 : 1)
} catch {
    print("mediaedge: \(error)")
    exit(1)
}
