import CMediaEdge
import Foundation
import Testing
@testable import MediaEdge

@Suite struct ErrorTests {
    @Test func codableConfigurationMakesAWorkingClient() async throws {
        let ds = Emulator.datastream()
        let configuration = Configuration(
            datastreamId: ds,
            streamingMedia: .init(channel: "codable", playerName: "codable-player", appVersion: "3.0", mainPingInterval: 20),
            native: .init(edgeBaseUrl: try Emulator.url, shutdownTimeoutMs: 1000)
        )
        let decoded = try JSONDecoder().decode(Configuration.self, from: Data(try configuration.jsonText().utf8))
        #expect(decoded == configuration)
        let client = try Client(configuration: configuration)
        let session = try ManualSession(client: client, start: SessionStart(name: "c", length: 1))
        _ = try await session.sessionID()
        let details = try #require(try Emulator.requests(ds).first?.media["sessionDetails"] as? [String: Any])
        #expect(details["channel"] as? String == "codable")
        #expect(details["playerName"] as? String == "codable-player")
        #expect(details["appVersion"] as? String == "3.0")
    }

    @Test func configurationErrorsNameThePath() throws {
        var configuration = Configuration(datastreamId: "d", streamingMedia: .init(channel: "c", playerName: "p", mainPingInterval: 5))
        expectError(.invalidConfig, containing: "streamingMedia.mainPingInterval") { _ = try Client(configuration: configuration) }
        configuration.streamingMedia.mainPingInterval = nil
        configuration.native = .init(edgeBaseUrl: "ftp://example")
        expectError(.invalidConfig, containing: "native.edgeBaseUrl") { _ = try Client(configuration: configuration) }
        expectError(.invalidConfig, containing: "not valid JSON") { _ = try Client(configuration: "{not json") }
        expectError(.invalidConfig, containing: "datastreamId") { _ = try Client(configuration: #"{"streamingMedia":{}}"#) }
    }

    @Test func sessionErrorsCarryStatusAndMessage() throws {
        let client = try Client(configuration: Emulator.configuration(Emulator.datastream()))
        try client.setConsent(.pending)
        let start = SessionStart(name: "e", length: 10)
        let session = try AutomaticSession(client: client, playerID: "dup", start: start) { PlayerDetails(playhead: 0) }
        expectError(.playerIDInUse, containing: "dup") {
            _ = try AutomaticSession(client: client, playerID: "dup", start: start) { PlayerDetails(playhead: 0) }
        }
        expectError(.unknownPlayer, containing: "nobody") { try client.send(.play, toPlayer: "nobody") }
        expectError(.invalidEvent, containing: "eventType") { try session.send(xdm: #"{"eventType":"media.dance"}"#) }
        expectError(.invalidEvent, containing: "mediaCollection.chapterDetails") {
            try session.send(xdm: #"{"eventType":"media.chapterStart"}"#)
        }
        expectError(.invalidEvent, containing: "sessionDetails") {
            _ = try ManualSession(client: client, startXDM: #"{"mediaCollection":{"playhead":0}}"#)
        }
        expectError(.invalidArgument, containing: #"details["name"]"#) {
            _ = try ManualSession(client: client, start: SessionStart(name: "a", length: 1, details: ["name": "b"]))
        }
        try session.send(.sessionEnd)
        expectError(.sessionEnded, containing: "ended") { try session.send(.play) }
        expectError(.wrongState, containing: "manual clock") { try client.advanceClock(by: .seconds(1)) }
        try client.setConsent(.out)
        expectError(.consentOut, containing: "consent") { _ = try ManualSession(client: client, start: start) }
    }

    @Test func locationHintIsSetReadAndCleared() throws {
        let client = try Client(configuration: Emulator.configuration(Emulator.datastream()))
        #expect(try client.locationHint() == nil)
        try client.setLocationHint("va6")
        #expect(try client.locationHint() == "va6")
        expectError(.invalidArgument, containing: "hint") { try client.setLocationHint("va6/..") }
        #expect(try client.locationHint() == "va6", "a refused hint changes nothing")
        try client.setLocationHint(nil)
        #expect(try client.locationHint() == nil)
    }

    @Test func errorsDescribeThemselvesWithTheCName() {
        let error = MediaEdgeError(code: .timeout, message: "3 events left")
        #expect(error.statusName == "MEDIAEDGE_ERR_TIMEOUT")
        #expect(error.description == "MEDIAEDGE_ERR_TIMEOUT: 3 events left")
        for code in MediaEdgeError.Code.allCases {
            #expect(MediaEdgeError(code: code, message: "").statusName != "MEDIAEDGE_UNKNOWN_STATUS", "\(code)")
        }
        #expect(MediaEdgeError.Code.allCases.count == 16)
    }

    @Test func theBindingAndTheLibraryAgree() {
        #expect(Client.libraryVersion == MEDIAEDGE_VERSION_STRING)
        #expect(StreamType.vod.rawValue == "vod")
        #expect(MetadataKey.show == "a.media.show")
    }
}
