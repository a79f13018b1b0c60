import Foundation
import Testing
@testable import MediaEdge

@Suite struct ConcurrencyTests {
    @Test func manyTasksSendAtOnceAndEachKeepsItsOrder() async throws {
        let ds = Emulator.datastream()
        let client = try Client(configuration: Emulator.configuration(ds))
        let shared = try AutomaticSession(client: client, playerID: "shared", start: SessionStart(name: "shared", length: 60)) {
            PlayerDetails(playhead: 1)
        }
        let tasks = 8, perTask = 25
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    let own = try AutomaticSession(client: client, playerID: "p\(t)", start: SessionStart(name: "own-\(t)", length: 60)) {
                        PlayerDetails(playhead: Double(t))
                    }
                    for i in 0..<perTask {
                        try own.send(.error(name: "t\(t)-\(i)"))
                        try shared.send(.error(name: "t\(t)-\(i)"))
                        if i % 5 == 0 { await Task.yield() }
                    }
                    try own.send(.sessionEnd)
                    return try await own.sessionID()
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try shared.send(.sessionEnd)
        let sharedID = try await shared.sessionID()
        try await client.flush(timeout: .seconds(30))

        #expect(Set(ids).count == tasks)
        let sent = try Emulator.requests(ds)
        #expect(sent.allSatisfy { $0.status == 200 || $0.status == 204 })
        func errorNames(_ id: String) -> [String] {
            sent.filter { $0.sessionID == id && $0.action == "error" }
                .compactMap { ($0.media["errorDetails"] as? [String: Any])?["name"] as? String }
        }
        for (t, id) in ids.enumerated() {
            let names = errorNames(id)
            let task = names.first.map { String($0.prefix { $0 != "-" }) } ?? ""
            #expect(names == (0..<perTask).map { "\(task)-\($0)" }, "session \(t) got its events in order")
        }
        let onShared = errorNames(sharedID)
        #expect(onShared.count == tasks * perTask)
        for t in 0..<tasks {
            #expect(onShared.filter { $0.hasPrefix("t\(t)-") } == (0..<perTask).map { "t\(t)-\($0)" })
        }
        let stats = try client.stats()
        #expect(stats.eventsSent == stats.eventsQueued)
        #expect(stats.eventsPending == 0)
    }
}
