import Foundation
import Testing
@testable import MediaEdge

@Suite struct TrackerTests {
    @Test func trackerScenarioWithTypedObjects() async throws {
        let ds = Emulator.datastream()
        let client = try Client.withManualClock(configuration: Emulator.configuration(ds), startUnixMs: clockStart)
        let tracker = try Tracker(client: client, adPingInterval: 1)
        let media = Media(id: "episode-7", name: "Episode 7", length: 600, streamType: .vod, prerollWaitingTime: .zero)
        try tracker.trackSessionStart(media, metadata: [MetadataKey.show: "The Show", "custom.key": "x"])
        try tracker.trackPlay()
        try tracker.updateQoE(QoE(bitrate: 2_000_000, droppedFrames: 1, framesPerSecond: 30, timeToStart: 800))
        try tracker.trackAdBreakStart(AdBreak(name: "pre", position: 1, startTime: 0))
        try tracker.trackAdStart(Ad(id: "ad-1", name: "First ad", position: 1, length: 15), metadata: [AdMetadataKey.advertiser: "ACME"])
        try client.advanceClock(by: .seconds(1))
        try tracker.trackEvent(.adComplete)
        try tracker.trackEvent(.adBreakComplete)
        try tracker.trackChapterStart(Chapter(name: "one", position: 1, startTime: 0, length: 300))
        try tracker.trackStateStart(.fullscreen)
        try tracker.updatePlayhead(5)
        try tracker.trackEvent(.bitrateChange)
        try tracker.trackPause()
        try tracker.trackError("net-3")
        try tracker.trackComplete()
        try await client.waitIdle()
        #expect(try tracker.sessionID == nil, "no session is open after complete")

        let sent = try Emulator.requests(ds)
        #expect(sent.map(\.action) == [
            "sessionStart", "play", "adBreakStart", "adStart", "play", "ping", "adComplete", "adBreakComplete", "play",
            "chapterStart", "statesUpdate", "bitrateChange", "pauseStart", "error", "chapterSkip", "sessionComplete",
        ])
        #expect(sent.allSatisfy { $0.status == 200 || $0.status == 204 })
        let details = try #require(sent.first?.media["sessionDetails"] as? [String: Any])
        #expect(details["name"] as? String == "episode-7")
        #expect(details["friendlyName"] as? String == "Episode 7")
        #expect(details["show"] as? String == "The Show")
        #expect(canonical(sent[0].media["customMetadata"] as Any) == canonical(json: #"[{"name":"custom.key","value":"x"}]"#))
        let ad = try #require(sent[3].media["advertisingDetails"] as? [String: Any])
        #expect(ad["advertiser"] as? String == "ACME")
        #expect(ad["podPosition"] as? Int == 1)
        #expect(canonical(sent[11].media["qoeDataDetails"] as Any) == canonical(json: """
            {"bitrate":2000000,"droppedFrames":1,"framesPerSecond":30,"timeToStart":800}
            """))
        #expect(sent[13].media["errorDetails"].map(canonical) == canonical(json: #"{"name":"net-3","source":"player"}"#))
    }

    @Test func aDownloadedContentTrackerSendsItsSessionWholeOnceItCompletes() async throws {
        let ds = Emulator.datastream()
        let client = try Client.withManualClock(configuration: Emulator.configuration(ds), startUnixMs: clockStart)
        let tracker = try Tracker(client: client, downloadedContent: true)
        try tracker.trackSessionStart(Media(id: "offline-1", name: "Offline", length: 60, streamType: .vod, prerollWaitingTime: .zero))
        try tracker.trackPlay()
        try tracker.updatePlayhead(30)
        try client.advanceClock(by: .seconds(30))
        try await client.waitIdle()
        #expect(try Emulator.requests(ds).isEmpty, "nothing sent while it plays")
        try tracker.trackComplete()
        try await client.flush()
        #expect(try Emulator.requests(ds).map(\.action) == ["downloaded"])
        #expect(try client.stats().downloadedSessionsSent == 1)
    }

    @Test func aCallTheRulesForbidThrowsRuleViolationAndIsReported() async throws {
        let ds = Emulator.datastream()
        let client = try Client(configuration: Emulator.configuration(ds))
        let events = client.sessionEvents()
        let tracker = try Tracker(client: client)
        expectError(.ruleViolation, containing: "track_session_start") { try tracker.trackPlay() }
        for await event in events {
            #expect(event.kind == .callRejected)
            #expect(event.message.contains("track_session_start"))
            break
        }
        try tracker.trackSessionStart(Media(id: "m", name: "M", length: 60, prerollWaitingTime: .zero))
        expectError(.ruleViolation, containing: "ad break") { try tracker.trackAdStart(Ad(id: "a", name: "A", position: 1, length: 5)) }
        try await client.flush()
        #expect(try Emulator.requests(ds).map(\.action) == ["sessionStart"])
    }

    @Test func badObjectsAreRefusedWithTheLibrarysMessage() throws {
        let client = try Client(configuration: Emulator.configuration(Emulator.datastream()))
        let tracker = try Tracker(client: client)
        expectError(.invalidArgument, containing: "ad break position") {
            try tracker.trackAdBreakStart(AdBreak(name: "b", position: 0, startTime: 0))
        }
        expectError(.invalidArgument, containing: "media name") { try tracker.trackSessionStart(Media(id: "m", name: "", length: 1)) }
        expectError(.invalidArgument, containing: "metadata key") {
            try tracker.trackSessionStart(Media(id: "m", name: "n", length: 1), metadata: ["bad key": "v"])
        }
        expectError(.invalidConfig, containing: "mainPingInterval") { _ = try Tracker(client: client, mainPingInterval: 5) }
    }
}
