import CMediaEdge

/// A call the library refused: its status and the library's own message (which names the field,
/// path or rule at fault).
public struct MediaEdgeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The library's status codes (`mediaedge_status` in `mediaedge.h`), without `MEDIAEDGE_OK`.
    public enum Code: UInt32, Sendable, CaseIterable {
        case invalidArgument = 1
        case invalidConfig = 2
        case invalidEvent = 3
        case sessionEnded = 4
        case sessionFailed = 5
        case notReady = 6
        case playerIDInUse = 7
        case unknownPlayer = 8
        case timeout = 9
        case bufferTooSmall = 10
        case wrongState = 11
        case clientClosed = 12
        case `internal` = 13
        case queueFull = 14
        case consentOut = 15
        case ruleViolation = 16
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The C name of the status, `MEDIAEDGE_ERR_…`.
    public var statusName: String {
        String(cString: mediaedge_status_str(Int32(code.rawValue)))
    }

    public var description: String { "\(statusName): \(message)" }
}

/// Turns a status into a thrown error carrying the message the library left for this thread.
/// Called right after the C call, on the same thread, with no suspension point in between.
func check(_ status: mediaedge_status) throws(MediaEdgeError) {
    if status == MEDIAEDGE_OK { return }
    let message = String(cString: mediaedge_last_error_message())
    guard let code = MediaEdgeError.Code(rawValue: status.rawValue) else {
        throw MediaEdgeError(code: .internal, message: "unknown status \(status.rawValue): \(message)")
    }
    throw MediaEdgeError(code: code, message: message)
}

/// An error the binding raises itself, before calling the library.
func invalidArgument(_ message: String) -> MediaEdgeError {
    MediaEdgeError(code: .invalidArgument, message: message)
}
