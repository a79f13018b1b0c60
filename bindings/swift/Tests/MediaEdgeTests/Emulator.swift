import Foundation
@testable import MediaEdge
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The project's Media Edge emulator, started by the Makefile (`scripts/with-emulator.sh`) and
/// named by MEDIAEDGE_EMULATOR_URL. Tests tell their requests apart by datastream ID, so they
/// need no reset between them.
enum Emulator {
    static var url: String {
        get throws {
            try #require(ProcessInfo.processInfo.environment["MEDIAEDGE_EMULATOR_URL"],
                         "MEDIAEDGE_EMULATOR_URL is not set: run the tests with `make test-swift`")
        }
    }

    /// A datastream ID no other test uses.
    static func datastream(_ test: String = #function) -> String {
        let name = test.prefix { $0 != "(" }
        return "swift-\(name)-\(UUID().uuidString.prefix(8))"
    }

    static func configuration(_ datastream: String, streamingMedia extra: String = "", native: String = "") throws -> String {
        """
        {"datastreamId":"\(datastream)","streamingMedia":{"channel":"swift-channel","playerName":"swift-test"\(extra)},\
        "native":{"edgeBaseUrl":"\(try url)"\(native)}}
        """
    }

    /// One request the emulator received.
    struct Request {
        let action: String
        let status: Int?
        let sessionID: String?
        let xdm: [String: Any]
        var media: [String: Any] { xdm["mediaCollection"] as? [String: Any] ?? [:] }
    }

    /// The requests of one datastream, in the order the emulator received them.
    static func requests(_ datastream: String) throws -> [Request] {
        let body = try get("/__emulator/requests")
        let list = try #require(try JSONSerialization.jsonObject(with: body) as? [[String: Any]])
        return list.compactMap { entry in
            guard entry["configId"] as? String == datastream else { return nil }
            let events = (entry["body"] as? [String: Any])?["events"] as? [[String: Any]]
            return Request(
                action: entry["action"] as? String ?? "",
                status: entry["status"] as? Int,
                sessionID: entry["sessionId"] as? String,
                xdm: events?.first?["xdm"] as? [String: Any] ?? [:]
            )
        }
    }

    /// A GET over a plain socket (no HTTP client library needed), `Connection: close`.
    private static func get(_ path: String) throws -> Data {
        let base = try url
        let port = try #require(UInt16(base.split(separator: ":").last ?? ""), "no port in \(base)")
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0, "socket failed")
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "cannot connect to the emulator at \(base)")
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        try #require(write(fd, request, request.count) == request.count)
        var response = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            response.append(contentsOf: chunk[0..<n])
        }
        let separator = Data("\r\n\r\n".utf8)
        let headerEnd = try #require(response.range(of: separator), "no HTTP header in the emulator's answer")
        let head = String(decoding: response[..<headerEnd.lowerBound], as: UTF8.self)
        try #require(head.hasPrefix("HTTP/1.1 200"), "emulator answered \(head.prefix(40))")
        return response[headerEnd.upperBound...]
    }
}

/// A value several threads read and write (the playhead a player closure reports).
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    var current: Value {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
    /// Sets a new value and returns the old one, in one step.
    func swap(_ new: Value) -> Value {
        lock.withLock {
            defer { value = new }
            return value
        }
    }
}

/// JSON text with sorted keys, to compare what the emulator recorded with what a test expects.
func canonical(_ value: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else {
        return "<not JSON: \(value)>"
    }
    return String(decoding: data, as: UTF8.self)
}

func canonical(json text: String) -> String {
    guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
        return "<not JSON: \(text)>"
    }
    return canonical(value)
}

/// Expects a call to throw a MediaEdgeError with `code` whose message contains `text`.
func expectError(_ code: MediaEdgeError.Code, containing text: String, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as MediaEdgeError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(text), "message: \(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// 2026-11-28T00:00:00Z, the start of the manual clocks.
let clockStart: Int64 = 1_795_824_000_000
