import Foundation
import Testing
@testable import MediaEdge

@Suite struct SessionTests {
    @Test func automaticSessionSendsTypedEventsWithTheClosuresPlayheadAndQoE() async throws {
        let ds = Emulator.datastream()
        let client = try Client(configuration: Emulator.configuration(ds, streamingMedia: #","appVersion":"2.1""#))
        let playhead = Locked(12.4)
        let session = try AutomaticSession(
            client: client, playerID: "p1",
            start: SessionStart(name: "movie", length: 60, friendlyName: "The Movie", details: ["show": "Shows"])
        ) {
            PlayerDetails(playhead: playhead.current, qoe: QoE(bitrate: 3000, framesPerSecond: 25))
        }
        try session.send(.play)
        playhead.current = 20.6
        try session.send(.chapterStart(Chapter(name: "c1", position: 1, startTime: 20, length: 30), customMetadata: ["k": "v"]))
        try session.send(.statesUpdate(start: [.fullscreen], end: [.mute]))
        try session.send(.error(name: "decoder-7"))
        try session.send(.pauseStart, playhead: 25)
        try session.send(.sessionEnd)
        let id = try await session.sessionID()
        try await client.flush()

        let sent = try Emulator.requests(ds)
        #expect(sent.map(\.action) == ["sessionStart", "play", "chapterStart", "statesUpdate", "error", "pauseStart", "sessionEnd"])
        #expect(sent.map(\.status) == [200, 204, 204, 204, 204, 204, 204])
        let qoe = #""qoeDataDetails":{"bitrate":3000,"framesPerSecond":25}"#
        #expect(canonical(sent[0].media) == canonical(json: """
            {"playhead":12,\(qoe),"sessionDetails":{"name":"movie","friendlyName":"The Movie","length":60,
             "contentType":"vod","show":"Shows","channel":"swift-channel","playerName":"swift-test","appVersion":"2.1",
             "hasResume":false}}
            """))
        #expect(canonical(sent[1].media) == canonical(json: #"{"sessionID":"\#(id)","playhead":12,\#(qoe)}"#))
        #expect(canonical(sent[2].media) == canonical(json: """
            {"sessionID":"\(id)","playhead":21,\(qoe),"customMetadata":[{"name":"k","value":"v"}],
             "chapterDetails":{"friendlyName":"c1","index":1,"offset":20,"length":30}}
            """))
        #expect(canonical(sent[3].media) == canonical(json: """
            {"sessionID":"\(id)","playhead":21,\(qoe),"statesStart":[{"name":"fullscreen"}],"statesEnd":[{"name":"mute"}]}
            """))
        #expect(canonical(sent[4].media) == canonical(json: """
            {"sessionID":"\(id)","playhead":21,\(qoe),"errorDetails":{"name":"decoder-7","source":"player"}}
            """))
        #expect(sent[5].media["playhead"] as? Int == 25, "a playhead given with the event wins over the closure's")
        #expect(sent[6].media["playhead"] as? Int == 21)
        #expect(sent.allSatisfy { $0.xdm["eventType"] as? String == "media." + $0.action })
        #expect(session.phase == .ended)
    }

    @Test func whatAClientCouldNotSendTheNextOneOnItsStorageDirectorySends() async throws {
        let ds = Emulator.datastream()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mediaedge-swift-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let native = #","storageDir":"\#(dir.path)""#
        do {
            // Consent pending: nothing goes out, and freeing keeps it all in the journal. The
            // session holds its client, so it is freed first (its sessionEnd is kept too).
            let client = try Client.withManualClock(configuration: Emulator.configuration(ds, native: native), startUnixMs: clockStart)
            try client.setConsent(.pending)
            let session = try AutomaticSession(client: client, playerID: "kept", start: SessionStart(name: "v", length: 60)) {
                PlayerDetails(playhead: 7)
            }
            try session.send(.play)
            #expect(try client.stats().eventsPending == 2)
        }
        let client = try Client.withManualClock(configuration: Emulator.configuration(ds, native: native), startUnixMs: clockStart)
        try await client.flush()
        let stats = try client.stats()
        #expect(stats.eventsReplayed == 3 && stats.eventsSent == 3)
        #expect(stats.keptForRestart == 0 && stats.eventsNotJournaled == 0 && stats.journalBytesDiscarded == 0)
        let sent = try Emulator.requests(ds)
        #expect(sent.map(\.action) == ["sessionStart", "play", "sessionEnd"])
        #expect(sent[2].media["playhead"] as? Int == 7)
    }

    @Test func aDownloadedSessionGoesWholeOnceItEnds() async throws {
        let ds = Emulator.datastream()
        let client = try Client.withManualClock(configuration: Emulator.configuration(ds), startUnixMs: clockStart)
        let session = try DownloadedSession(client: client, start: SessionStart(name: "offline", length: 60))
        try session.send(.play, playhead: 0)
        try session.send(.pauseStart, playhead: 12)
        #expect(throws: MediaEdgeError.self) { _ = try session.currentSessionID }
        try await client.flush()
        #expect(try Emulator.requests(ds).isEmpty, "nothing sent while it plays")
        try session.send(.sessionComplete, playhead: 60)
        try await client.flush()
        let sent = try Emulator.requests(ds)
        #expect(sent.map(\.action) == ["downloaded"])
        #expect(session.phase == .ended)
        let stats = try client.stats()
        #expect(stats.downloadedSessionsSent == 1 && stats.eventsSent == 4)
    }

    @Test func automaticSessionPingsInVirtualTime() async throws {
        let ds = Emulator.datastream()
        let client = try Client.withManualClock(configuration: Emulator.configuration(ds), startUnixMs: clockStart)
        let playhead = Locked(0.0)
        let session = try AutomaticSession(client: client, playerID: "p", start: SessionStart(name: "v", length: 600, contentType: .live)) {
            PlayerDetails(playhead: playhead.current)
        }
        try session.send(.play)
        _ = try await session.sessionID()
        try await client.waitIdle()
        playhead.current = 10
        try client.advanceClock(by: .seconds(10))
        try await client.waitIdle()
        playhead.current = 19.7
        try client.advanceClock(by: .seconds(10))
        try await client.waitIdle()

        let sent = try Emulator.requests(ds)
        #expect(sent.map(\.action) == ["sessionStart", "play", "ping", "ping"])
        #expect(sent.map { $0.xdm["timestamp"] as? String } == [
            "2026-11-28T00:00:00.000Z", "2026-11-28T00:00:00.000Z", "2026-11-28T00:00:10.000Z", "2026-11-28T00:00:20.000Z",
        ])
        #expect(sent.map { $0.media["playhead"] as? Int } == [0, 0, 10, 20])
    }

    @Test func manualSessionCarriesTheCallersPlayheadAndTheSessionID() async throws {
        let ds = Emulator.datastream()
        let client = try Client(configuration: Emulator.configuration(ds))
        let session = try ManualSession(client: client, start: SessionStart(name: "m", length: 120), playhead: 0)
        let id = try await session.sessionID()
        #expect(try session.currentSessionID == id)
        try session.send(.play, playhead: 0)
        try session.send(.adBreakStart(AdBreak(name: "mid", position: 1, startTime: 30)), playhead: 30)
        try session.send(.adStart(Ad(id: "ad-1", name: "Ad One", position: 1, length: 15)), playhead: 30)
        try session.send(.adComplete, playhead: 30)
        try session.send(.adBreakComplete, playhead: 30)
        try session.send(.bitrateChange(QoE(bitrate: 4500)), playhead: 40)
        try session.send(.ping, playhead: 50)
        try session.send(.sessionComplete, playhead: 120)
        try await client.flush()

        let sent = try Emulator.requests(ds)
        #expect(sent.map(\.action) == [
            "sessionStart", "play", "adBreakStart", "adStart", "adComplete", "adBreakComplete", "bitrateChange", "ping",
            "sessionComplete",
        ])
        #expect(sent.allSatisfy { $0.status == 200 || $0.status == 204 })
        #expect(sent.dropFirst().allSatisfy { $0.media["sessionID"] as? String == id })
        #expect(sent.map { $0.media["playhead"] as? Int } == [0, 0, 30, 30, 30, 30, 40, 50, 120])
        #expect(canonical(sent[2].media["advertisingPodDetails"] as Any) == canonical(json: #"{"friendlyName":"mid","index":1,"offset":30}"#))
        #expect(canonical(sent[3].media["advertisingDetails"] as Any) == canonical(json: """
            {"name":"ad-1","friendlyName":"Ad One","podPosition":1,"length":15,"playerName":"swift-test"}
            """))
        #expect(canonical(sent[6].media["qoeDataDetails"] as Any) == canonical(json: #"{"bitrate":4500}"#))
        #expect(session.phase == .ended)
    }

    @Test func rawJSONAndSendingByPlayerID() async throws {
        let ds = Emulator.datastream()
        let client = try Client(configuration: Emulator.configuration(ds))
        let session = try AutomaticSession(
            client: client, playerID: "by-id",
            startXDM: #"{"mediaCollection":{"sessionDetails":{"name":"raw","length":30,"contentType":"VOD"}}}"#
        ) { PlayerDetails(playhead: 3) }
        try session.send(xdm: #"{"eventType":"media.bufferStart"}"#)
        try client.send(.play, toPlayer: "by-id")
        try client.send(xdm: #"{"eventType":"media.pauseStart"}"#, toPlayer: "by-id")
        try session.send(.sessionComplete)
        _ = try await session.sessionID()
        try await client.flush()
        #expect(try Emulator.requests(ds).map(\.action) == ["sessionStart", "bufferStart", "play", "pauseStart", "sessionComplete"])
    }

    @Test func sessionEventsArriveAsAsyncStreams() async throws {
        let ds = Emulator.datastream()
        let client = try Client(configuration: Emulator.configuration(ds))
        let all = client.sessionEvents()
        let session = try AutomaticSession(client: client, playerID: "ev", start: SessionStart(name: "e", length: 10)) {
            PlayerDetails(playhead: 1)
        }
        let mine = session.events()
        try session.send(.sessionEnd)
        var kinds: [SessionEventKind] = []
        for await event in mine {
            #expect(event.sessionKey == session.key)
            #expect(event.playerID == "ev")
            kinds.append(event.kind)
            if event.kind == .ended { break }
        }
        #expect(kinds == [.started, .ended])
        var first: SessionEvent?
        for await event in all {
            first = event
            break
        }
        #expect(first?.kind == .started)
        #expect(try first?.sessionID == session.currentSessionID)
    }

    @Test func eventStreamsFinishWhenTheClientIsFreed() async throws {
        var client: Client? = try Client(configuration: Emulator.configuration(Emulator.datastream()))
        let events = client!.sessionEvents()
        weak let weakClient = client
        client = nil
        #expect(weakClient == nil)
        var count = 0
        for await _ in events { count += 1 }
        #expect(count == 0)
    }

    @Test func aThrowingPlayerClosureLeavesTheLastPlayhead() async throws {
        struct PlayerGone: Error {}
        let ds = Emulator.datastream()
        let client = try Client(configuration: Emulator.configuration(ds))
        let fail = Locked(false)
        let session = try AutomaticSession(client: client, playerID: "t", start: SessionStart(name: "t", length: 60)) {
            if fail.current { throw PlayerGone() }
            return PlayerDetails(playhead: 30, qoe: QoE(bitrate: 1000))
        }
        try session.send(.play)
        fail.current = true
        try session.send(.pauseStart)
        try session.send(.sessionEnd)
        _ = try await session.sessionID()
        try await client.flush()
        let sent = try Emulator.requests(ds)
        #expect(sent.map(\.action) == ["sessionStart", "play", "pauseStart", "sessionEnd"])
        #expect(sent.map { $0.media["playhead"] as? Int } == [30, 30, 30, 30])
        #expect(sent[2].media["qoeDataDetails"] == nil, "a failed call reports no QoE")
    }

    @Test func sessionIDThrowsWhenTheSessionIsClosedByConsent() async throws {
        let client = try Client(configuration: Emulator.configuration(Emulator.datastream(), native: ""))
        try client.setConsent(.pending)
        let session = try ManualSession(client: client, start: SessionStart(name: "c", length: 10))
        let waiting = Task { try await session.sessionID() }
        try await Task.sleep(for: .milliseconds(50))
        try client.setConsent(.out)
        do {
            _ = try await waiting.value
            Issue.record("sessionID() returned for a session consent closed")
        } catch let error as MediaEdgeError {
            #expect(error.code == .sessionFailed)
        }
        #expect(session.phase == .failed)
    }

    @Test func sessionIDHonoursCancellation() async throws {
        let client = try Client(configuration: Emulator.configuration(Emulator.datastream()))
        try client.setConsent(.pending)
        let session = try ManualSession(client: client, start: SessionStart(name: "c", length: 10))
        let waiting = Task { try await session.sessionID() }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(try session.currentSessionID == nil)
    }

    @Test func manualTypedSendBeforeTheIDIsKnownIsNotReady() throws {
        let client = try Client(configuration: Emulator.configuration(Emulator.datastream()))
        try client.setConsent(.pending)
        let session = try ManualSession(client: client, start: SessionStart(name: "n", length: 10))
        expectError(.notReady, containing: "sessionID()") { try session.send(.play, playhead: 1) }
    }
}

@Suite struct BlockingClosureTests {
    /// While the player closure blocks in a ping, the player's own sends still return: they
    /// do not wait for the scheduler thread. (If they did, this test would never finish.) The
    /// ping being made is dropped, because the events sent meanwhile moved the next ping.
    @Test(.timeLimit(.minutes(1))) func aClosureBlockedInAPingDoesNotBlockTheCallersSends() async throws {
        let ds = Emulator.datastream()
        let client = try Client.withManualClock(configuration: Emulator.configuration(ds), startUnixMs: clockStart)
        let blockNextCall = Locked(false)
        let entered = DispatchSemaphore(value: 0), proceed = DispatchSemaphore(value: 0), advanced = DispatchSemaphore(value: 0)
        let session = try AutomaticSession(client: client, playerID: "slow", start: SessionStart(name: "s", length: 60)) {
            if blockNextCall.swap(false) {
                entered.signal()
                proceed.wait()
            }
            return PlayerDetails(playhead: 5)
        }
        _ = try await session.sessionID()
        try await client.waitIdle()
        blockNextCall.current = true
        Thread.detachNewThread {
            try? client.advanceClock(by: .seconds(10))
            advanced.signal()
        }
        await waitOffThread(entered)
        try session.send(.pauseStart)  // the ping's closure is still blocked here
        try session.send(.play)
        proceed.signal()
        await waitOffThread(advanced)
        try await client.flush()
        let sent = try Emulator.requests(ds)
        #expect(sent.map(\.action) == ["sessionStart", "pauseStart", "play"])
        #expect(sent.map { $0.xdm["timestamp"] as? String } == [
            "2026-11-28T00:00:00.000Z", "2026-11-28T00:00:10.000Z", "2026-11-28T00:00:10.000Z",
        ])
    }
}

/// Waits for a semaphore without holding one of the concurrency pool's threads.
private func waitOffThread(_ semaphore: DispatchSemaphore) async {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            semaphore.wait()
            continuation.resume()
        }
    }
}
