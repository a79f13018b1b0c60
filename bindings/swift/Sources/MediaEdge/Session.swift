import CMediaEdge
import Foundation

/// What the player reports for an automatic session: the playhead, and the QoE figures it knows.
public struct PlayerDetails: Sendable, Equatable {
    /// Seconds, rounded to a whole number on the wire. For a live stream without a position,
    /// seconds since UTC midnight.
    public var playhead: Double
    public var qoe: QoE?

    public init(playhead: Double, qoe: QoE? = nil) {
        self.playhead = playhead
        self.qoe = qoe
    }

    func write(to details: inout mediaedge_player_details) {
        details.playhead = playhead
        details.qoe_fields = 0
        guard let qoe else { return }
        if let v = qoe.bitrate { details.bitrate = v; details.qoe_fields |= UInt32(MEDIAEDGE_QOE_BITRATE) }
        if let v = qoe.droppedFrames { details.dropped_frames = v; details.qoe_fields |= UInt32(MEDIAEDGE_QOE_DROPPED_FRAMES) }
        if let v = qoe.framesPerSecond { details.frames_per_second = v; details.qoe_fields |= UInt32(MEDIAEDGE_QOE_FRAMES_PER_SECOND) }
        if let v = qoe.timeToStart { details.time_to_start = v; details.qoe_fields |= UInt32(MEDIAEDGE_QOE_TIME_TO_START) }
    }
}

/// Where a session is in its life.
public enum SessionPhase: UInt32, Sendable {
    /// Waiting for the session ID.
    case starting = 1
    case active = 2
    /// Ended by the caller; queued events are still going out.
    case ending = 3
    case ended = 4
    /// Refused or lost by the backend.
    case failed = 5
}

/// What automatic and manual sessions share. Use `AutomaticSession` or `ManualSession`.
///
/// `Sendable`: the C session is thread-safe; sends from several tasks are queued in the order
/// their calls reach the library. A session keeps its client alive. Its `deinit` ends a session
/// that has not ended (sessionEnd at the last playhead the library saw) and frees the handle.
public class Session: @unchecked Sendable {
    // @unchecked: both stored properties are `let`; the handle is used only through the C
    // library, whose session calls are thread-safe.
    let handle: OpaquePointer
    /// The client outlives the session, so the session's end goes out before the client's flush.
    public let client: Client

    init(handle: OpaquePointer, client: Client) {
        self.handle = handle
        self.client = client
    }

    deinit {
        mediaedge_session_free(handle)
    }

    /// The xdm object as JSON text, sent as it is (after the library's checks).
    public func send(xdm json: String) throws(MediaEdgeError) {
        try check(mediaedge_session_send(handle, json))
    }

    /// The session's number: the `sessionKey` of its session events.
    public var key: UInt64 {
        var key: UInt64 = 0
        _ = mediaedge_session_key(handle, &key)
        return key
    }

    public var phase: SessionPhase {
        var raw = MEDIAEDGE_PHASE_STARTING
        _ = mediaedge_session_get_phase(handle, &raw)
        return SessionPhase(rawValue: raw.rawValue) ?? .failed
    }

    /// The backend session ID if it is known now, `nil` while it is not; throws if the backend
    /// refused the session.
    public var currentSessionID: String? {
        get throws(MediaEdgeError) {
            try readID { buf, len, needed in mediaedge_session_id(handle, buf, len, needed) }
        }
    }

    /// The backend session ID, once the backend has issued it. Suspends without holding a thread;
    /// throws `.sessionFailed` if the backend refuses the session, `.sessionEnded` if it ends
    /// without one, and `CancellationError` if the task is cancelled first.
    public func sessionID() async throws -> String {
        if let id = try settledID() { return id }
        let waiter = IDWaiter()
        let key = self.key
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
                guard waiter.set(continuation) else { return }
                // The delivery thread must not hold the session when the awaiting task resumes
                // (it would then free it there): the listener holds it weakly, and only while it
                // reads the outcome, before settling.
                let listener = client.hub.listen({ [weak self] event in
                    guard event.sessionKey == key else { return }
                    let outcome: Result<String?, any Error>
                    do {
                        guard let session = self else { return }
                        outcome = Result { try session.settledID() }
                    }
                    waiter.settle(with: outcome)
                }, onFinish: {
                    waiter.settle(with: .failure(MediaEdgeError(code: .clientClosed, message: "the client was freed")))
                })
                waiter.onSettle { [weak hub = client.hub] in if let listener { hub?.remove(listener) } }
                // The ID may have come between the first look and the listener.
                waiter.settle(with: Result { try self.settledID() })
            }
        } onCancel: {
            waiter.settle(with: .failure(CancellationError()))
        }
    }

    /// The ID, nil while it may still come, or the error that says it will not.
    private func settledID() throws -> String? {
        if let id = try currentSessionID { return id }
        switch phase {
        case .ended: throw MediaEdgeError(code: .sessionEnded, message: "the session ended before the backend issued an ID")
        case .failed: throw MediaEdgeError(code: .sessionFailed, message: "the backend refused or lost the session")
        case .starting, .active, .ending: return nil
        }
    }

    /// This session's events, from now until the client is freed or the reader stops.
    public func events() -> AsyncStream<SessionEvent> {
        let key = self.key
        return client.hub.stream { $0.sessionKey == key }
    }
}

/// Resumes one continuation once, with the first outcome offered: the ID, a failure, or
/// cancellation (which may come before the continuation exists).
private final class IDWaiter: @unchecked Sendable {
    // @unchecked: every field is only touched under `lock`.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<String, any Error>?
    private var outcome: Result<String, any Error>?
    private var cleanup: (@Sendable () -> Void)?

    /// Stores the continuation; false (and resumed) if an outcome came first.
    func set(_ continuation: CheckedContinuation<String, any Error>) -> Bool {
        let early: Result<String, any Error>? = lock.withLock {
            if let outcome { return outcome }
            self.continuation = continuation
            return nil
        }
        guard let early else { return true }
        continuation.resume(with: early)
        return false
    }

    func onSettle(_ cleanup: @escaping @Sendable () -> Void) {
        let settled = lock.withLock {
            if outcome == nil { self.cleanup = cleanup }
            return outcome != nil
        }
        if settled { cleanup() }
    }

    /// Offers an outcome; `.success(nil)` means "not yet".
    func settle(with result: Result<String?, any Error>) {
        let final: Result<String, any Error>
        switch result {
        case .success(nil): return
        case .success(let id?): final = .success(id)
        case .failure(let error): final = .failure(error)
        }
        let (continuation, cleanup) = lock.withLock { () -> (CheckedContinuation<String, any Error>?, (@Sendable () -> Void)?) in
            if outcome != nil { return (nil, nil) }
            outcome = final
            defer { self.continuation = nil; self.cleanup = nil }
            return (self.continuation, self.cleanup)
        }
        cleanup?()
        continuation?.resume(with: final)
    }
}

/// An automatic session (the Web SDK's `createMediaSession` with a `getPlayerDetails`): the
/// library asks the `details` closure for the playhead and QoE of every event and ping, adds the
/// session ID, and pings on schedule.
///
/// The closure is called on the thread that sends an event and on the client's scheduler thread
/// (for pings), with no library lock held; it must return promptly, because while it blocks the
/// pings of every session of the client wait (sends do not). If it throws, the event or ping
/// carries the last playhead and no QoE. The library keeps the closure until the session is
/// freed and no call to it is in progress, then releases it; nothing keeps it longer.
public final class AutomaticSession: Session, @unchecked Sendable {
    public let playerID: String

    /// Starts a session for `playerID` (unique among the client's live sessions) with a typed
    /// sessionStart. Nothing waits on the network.
    public convenience init(
        client: Client, playerID: String, start: SessionStart,
        details: @escaping @Sendable () throws -> PlayerDetails
    ) throws(MediaEdgeError) {
        try self.init(client: client, playerID: playerID, startXDM: try start.xdm(playhead: nil), details: details)
    }

    /// The same with the sessionStart's xdm object as JSON text.
    public init(
        client: Client, playerID: String, startXDM: String,
        details: @escaping @Sendable () throws -> PlayerDetails
    ) throws(MediaEdgeError) {
        let box = DetailsBox(details)
        var out: OpaquePointer?
        // The library takes the box's retain whatever happens: on failure it releases it at once.
        try check(mediaedge_session_new_automatic(
            client.handle, playerID, detailsTrampoline, box.retainedForLibrary(), releaseTrampoline, startXDM, &out))
        self.playerID = playerID
        super.init(handle: out!, client: client)
    }

    /// Sends a typed event. The QoE comes from the `details` closure, and so does the playhead
    /// unless you give one here (yours wins, as in the Web SDK).
    public func send(_ event: MediaEvent, playhead: Double? = nil) throws(MediaEdgeError) {
        try send(xdm: event.xdm(playhead: playhead, sessionID: nil))
    }
}

/// A manual session: the caller gives the playhead of every event, the library never pings.
public final class ManualSession: Session, @unchecked Sendable {
    /// Starts a session with a typed sessionStart at `playhead`.
    public convenience init(client: Client, start: SessionStart, playhead: Double = 0) throws(MediaEdgeError) {
        try self.init(client: client, startXDM: try start.xdm(playhead: playhead))
    }

    /// The same with the sessionStart's xdm object (which must carry
    /// `mediaCollection.playhead`) as JSON text.
    public init(client: Client, startXDM: String) throws(MediaEdgeError) {
        var out: OpaquePointer?
        try check(mediaedge_session_new_manual(client.handle, startXDM, &out))
        super.init(handle: out!, client: client)
    }

    /// Sends a typed event at `playhead`, with the session ID the backend issued; `.notReady`
    /// before it is known (`await sessionID()` first).
    public func send(_ event: MediaEvent, playhead: Double) throws(MediaEdgeError) {
        guard let id = try currentSessionID else {
            throw MediaEdgeError(code: .notReady, message: "the session ID is not known yet: await sessionID() first")
        }
        try send(xdm: event.xdm(playhead: playhead, sessionID: id))
    }
}

/// A downloaded session (offline playback): every event carries its own playhead (and, if you
/// give one, the time it happened), none a session ID; nothing is sent while it plays. Once it
/// ends (`.sessionEnd`, `.sessionComplete`, or the last reference dropped) the whole session goes
/// to Adobe's `downloaded` endpoint, which assigns its ID; `currentSessionID` throws
/// `.wrongState`. A tracker does the same with `{"downloadedContent": true}`.
public final class DownloadedSession: Session, @unchecked Sendable {
    /// Starts a session with a typed sessionStart at `playhead`.
    public convenience init(client: Client, start: SessionStart, playhead: Double = 0) throws(MediaEdgeError) {
        try self.init(client: client, startXDM: try start.xdm(playhead: playhead))
    }

    /// The same with the sessionStart's xdm object (which must carry
    /// `mediaCollection.playhead`) as JSON text.
    public init(client: Client, startXDM: String) throws(MediaEdgeError) {
        var out: OpaquePointer?
        try check(mediaedge_session_new_downloaded(client.handle, startXDM, &out))
        super.init(handle: out!, client: client)
    }

    /// Records a typed event at `playhead`.
    public func send(_ event: MediaEvent, playhead: Double) throws(MediaEdgeError) {
        try send(xdm: event.xdm(playhead: playhead, sessionID: nil))
    }
}

/// Reads a backend session ID: `nil` while the library says it is not ready.
func readID(_ call: (UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<Int>) -> mediaedge_status) throws(MediaEdgeError) -> String? {
    do {
        return try readString(call)
    } catch where error.code == .notReady {
        return nil
    }
}

/// Reads a string the library writes into a caller buffer, growing the buffer once if needed.
func readString(_ call: (UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<Int>) -> mediaedge_status) throws(MediaEdgeError) -> String {
    var size = 128
    for _ in 0..<2 {
        var buffer = [CChar](repeating: 0, count: size)
        var needed = 0
        let status = buffer.withUnsafeMutableBufferPointer { call($0.baseAddress!, size, &needed) }
        if status == MEDIAEDGE_ERR_BUFFER_TOO_SMALL {
            size = needed
            continue
        }
        try check(status)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    throw MediaEdgeError(code: .internal, message: "the string kept growing")
}
