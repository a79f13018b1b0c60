import Foundation
import Testing
@testable import MediaEdge

/// What a player closure captures, to see through a weak reference when it is released.
private final class Player: Sendable {
    let position = Locked(0.0)
}

/// The lifetime tests count the binding's live callback boxes and the library's threads, so they
/// run one at a time (and `make test-swift` runs the suites without parallelism).
@Suite(.serialized) struct LifetimeTests {
    @Test func thePlayerClosureLivesExactlyAsLongAsTheSession() async throws {
        let client = try Client(configuration: Emulator.configuration(Emulator.datastream()))
        weak var weakPlayer: Player?
        var session: AutomaticSession?
        do {
            let player = Player()
            weakPlayer = player
            session = try AutomaticSession(client: client, playerID: "life", start: SessionStart(name: "l", length: 9)) {
                PlayerDetails(playhead: player.position.current)
            }
        }
        #expect(weakPlayer != nil, "the library holds the closure while the session lives")
        try session?.send(.play)
        _ = try await session?.sessionID()
        #expect(weakPlayer != nil)
        session = nil
        #expect(weakPlayer == nil, "freeing the session released the closure")
        try await client.flush()
    }

    @Test func aRefusedSessionReleasesItsClosureAtOnce() throws {
        let client = try Client(configuration: Emulator.configuration(Emulator.datastream()))
        weak var weakPlayer: Player?
        do {
            let player = Player()
            weakPlayer = player
            expectError(.invalidEvent, containing: "sessionDetails") {
                _ = try AutomaticSession(client: client, playerID: "x", startXDM: "{}") { PlayerDetails(playhead: player.position.current) }
            }
        }
        #expect(weakPlayer == nil)
    }

    @Test func logHandlersAreReleasedWhenReplacedAndWithTheClient() async throws {
        weak var first: Player?
        weak var second: Player?
        var client: Client? = try Client(configuration: Emulator.configuration(Emulator.datastream()))
        let lines = Locked<[String]>([])
        do {
            let a = Player(), b = Player()
            first = a
            second = b
            try client?.setLogHandler(level: .debug) { _, line in _ = a; lines.current.append(line) }
            #expect(first != nil)
            try client?.setLogHandler(level: .debug) { _, line in _ = b; lines.current.append(line) }
        }
        #expect(first == nil, "replacing the handler released the first one")
        #expect(second != nil)
        do {
            let session = try ManualSession(client: client!, start: SessionStart(name: "log", length: 1))
            _ = try await session.sessionID()
        }
        #expect(lines.current.contains { $0.contains("sessionStart") }, "\(lines.current)")
        client = nil
        #expect(second == nil, "freeing the client released the handler")
    }

    @Test func aClientReleasedInsideACallbackIsFreedOnAThreadOfItsOwn() async throws {
        let before = Client.deferredFrees.value
        var client: Client? = try Client(configuration: Emulator.configuration(Emulator.datastream()))
        let events = client!.sessionEvents()
        CallbackScope.run { client = nil }
        for await _ in events {}
        #expect(Client.deferredFrees.value == before + 1)
    }

    @Test func nothingLeaksAcrossManyClientsSessionsAndTrackers() throws {
        func cycle(_ n: Int) throws {
            let client = try Client(configuration: Emulator.configuration(Emulator.datastream(), native: #","shutdownTimeoutMs":200"#))
            try client.setLogHandler { _, _ in }
            let automatic = try AutomaticSession(client: client, playerID: "leak-\(n)", start: SessionStart(name: "a", length: 1)) {
                PlayerDetails(playhead: 0)
            }
            try automatic.send(.play)
            let manual = try ManualSession(client: client, start: SessionStart(name: "m", length: 1))
            let tracker = try Tracker(client: client)
            try tracker.trackSessionStart(Media(id: "t", name: "T", length: 1), metadata: ["k": "v"])
            _ = (manual, tracker)
            if n == 0 {
                // A new thread takes its name once it runs: wait for that, not for a time.
                for _ in 0..<500 where libraryThreads() < 2 { usleep(10_000) }
                #expect(libraryThreads() >= 2, "a live client has its scheduler and delivery threads")
            }
        }
        try cycle(0)
        let boxes = CallbackBox.live, threads = libraryThreads()
        for n in 1...200 { try cycle(n) }
        #expect(CallbackBox.live == boxes, "callback boxes still held by the library")
        // At most as many as before: a client freed on a thread of its own by an earlier test
        // may still be winding down when the baseline is taken.
        #expect(libraryThreads() <= threads, "threads left behind")
    }
}

/// The library's threads in this process (`mediaedge-scheduler`, `mediaedge-delivery-N`); the
/// Swift runtime's own come and go as it pleases.
private func libraryThreads() -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.filter { task in
        let name = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
        return name.hasPrefix("mediaedge-")
    }.count
}

@Suite struct OwnershipTests {
    @Test func droppingTheLastReferencesEndsTheSessionBeforeTheClientGoes() async throws {
        let ds = Emulator.datastream()
        var client: Client? = try Client(configuration: Emulator.configuration(ds))
        var session: AutomaticSession? = try AutomaticSession(
            client: client!, playerID: "drop", start: SessionStart(name: "d", length: 60)
        ) { PlayerDetails(playhead: 7) }
        try session?.send(.play)
        let events = client!.sessionEvents()
        client = nil  // the session still holds it
        session = nil  // frees the session (sessionEnd queued), then the client (its flush sends it)
        var kinds: [SessionEventKind] = []
        for await event in events { kinds.append(event.kind) }  // finishes once the client is freed
        #expect(kinds == [.started, .ended])
        let sent = try Emulator.requests(ds)
        #expect(sent.map(\.action) == ["sessionStart", "play", "sessionEnd"])
        #expect(sent.last?.media["playhead"] as? Int == 7)
    }
}
