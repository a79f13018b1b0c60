// One manual session against the emulator through the installed library.
// usage: Consumer EDGE_BASE_URL EXPECTED_VERSION
import MediaEdge

let arguments = CommandLine.arguments
guard arguments.count == 3 else { fatalError("usage: Consumer EDGE_BASE_URL EXPECTED_VERSION") }
guard Client.libraryVersion == arguments[2] else { fatalError("library \(Client.libraryVersion), expected \(arguments[2])") }
let client = try Client(configuration: Configuration(
    datastreamId: "swift-consumer", streamingMedia: .init(channel: "c", playerName: "swift-consumer"),
    native: .init(edgeBaseUrl: arguments[1])))
let session = try ManualSession(client: client, start: SessionStart(name: "installed", length: 10))
let id = try await session.sessionID()
try session.send(.sessionComplete, playhead: 10)
try await client.flush()
let stats = try client.stats()
guard stats.eventsSent == 2 else { fatalError("sent \(stats.eventsSent) of 2 events") }
print("swift consumer: session \(id.prefix(12))…, \(stats.eventsSent) events sent with libmediaedge \(Client.libraryVersion)")
