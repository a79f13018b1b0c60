import CMediaEdge
import Foundation

/// What happened to a session (`mediaedge_session_event_kind`).
public enum SessionEventKind: UInt32, Sendable {
    /// The backend issued the session ID.
    case started = 1
    /// The backend refused the session, an automatic session could not be resumed, or consent
    /// went "out"; queued events were dropped (`count`).
    case failed = 2
    /// The server refused one event (`eventType`, `httpStatus`) for good.
    case eventRejected = 3
    /// One event could not be delivered within `native.maxRetryDurationMs`.
    case eventDropped = 4
    /// sessionEnd or sessionComplete went out and nothing is left to send.
    case ended = 5
    /// The backend lost an automatic session; a new one (`sessionID`) carries on, nothing lost.
    case resumed = 6
    /// The backend lost a manual session; its queued events were dropped (`count`).
    case lost = 7
    /// The client was freed with `count` events of this session undelivered.
    case unsent = 8
    /// A tracker call broke the tracker's rules (`message` says which).
    case callRejected = 9
    /// The client was freed at its deadline while this event (`eventType`) was on the wire: its
    /// outcome is unknown (it may have landed). `count` is 1.
    case unconfirmed = 10
}

/// One session event, copied out of the library's callback.
public struct SessionEvent: Sendable, Equatable {
    public var kind: SessionEventKind
    /// The session's number, as `Session.key` reports it.
    public var sessionKey: UInt64
    public var playerID: String?
    public var sessionID: String?
    /// The event concerned (`media.play`), if any.
    public var eventType: String?
    /// The HTTP status concerned, or 0.
    public var httpStatus: UInt32
    public var message: String
    /// How many events this concerns (see `mediaedge_session_event`).
    public var count: UInt64
}

/// The client's one event callback, fanned out to every stream and waiter that listens. The
/// library holds it from the client's creation until `mediaedge_client_free`.
final class EventHub: CallbackBox, @unchecked Sendable {
    // @unchecked: `listeners`, `nextID` and `finished` are only touched under `lock`.
    private let lock = NSLock()
    private var listeners: [UInt64: @Sendable (SessionEvent) -> Void] = [:]
    private var nextID: UInt64 = 0
    private var finished = false
    private var finishers: [UInt64: @Sendable () -> Void] = [:]

    /// Adds a listener (and what to do when the client goes away); nil once the client is gone.
    func listen(_ listener: @escaping @Sendable (SessionEvent) -> Void, onFinish: @escaping @Sendable () -> Void) -> UInt64? {
        lock.withLock {
            if finished { return nil }
            nextID += 1
            listeners[nextID] = listener
            finishers[nextID] = onFinish
            return nextID
        }
    }

    func remove(_ id: UInt64) {
        lock.withLock {
            listeners[id] = nil
            finishers[id] = nil
        }
    }

    func publish(_ event: SessionEvent) {
        // Called without the lock held, so a listener may add or remove listeners.
        let current = lock.withLock { Array(listeners.values) }
        for listener in current { listener(event) }
    }

    /// The client is freed: no event will come again.
    func finish() {
        let current = lock.withLock {
            finished = true
            let all = Array(finishers.values)
            listeners.removeAll()
            finishers.removeAll()
            return all
        }
        for finisher in current { finisher() }
    }

    /// A stream of the events `filter` lets through; it ends when the client is freed or the
    /// reader stops.
    func stream(where filter: @escaping @Sendable (SessionEvent) -> Bool) -> AsyncStream<SessionEvent> {
        AsyncStream { continuation in
            let id = listen({ event in
                if filter(event) { continuation.yield(event) }
            }, onFinish: { continuation.finish() })
            guard let id else {
                continuation.finish()
                return
            }
            continuation.onTermination = { [weak self] _ in self?.remove(id) }
        }
    }
}

let eventTrampoline: mediaedge_session_event_fn = { userData, raw in
    // A kind this binding does not know (a newer library) is left out rather than mislabelled.
    guard let userData, let raw, let kind = SessionEventKind(rawValue: raw.pointee.kind.rawValue) else { return }
    let hub = Unmanaged<EventHub>.fromOpaque(userData).takeUnretainedValue()
    let e = raw.pointee
    let event = SessionEvent(
        kind: kind,
        sessionKey: e.session_key,
        playerID: e.player_id.map { String(cString: $0) },
        sessionID: e.session_id.map { String(cString: $0) },
        eventType: e.event_type.map { String(cString: $0) },
        httpStatus: e.http_status,
        message: e.message.map { String(cString: $0) } ?? "",
        count: e.count
    )
    CallbackScope.run { hub.publish(event) }
}
