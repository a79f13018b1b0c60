import CMediaEdge
import Foundation

/// A media-tracking client: the configuration, one scheduler thread and one delivery thread,
/// shared by all its sessions and trackers.
///
/// `Sendable`: the C client is thread-safe (every call may come from any thread at once) and the
/// class holds nothing mutable of its own, so one client is meant to be shared across tasks and
/// threads. Sessions and trackers keep their client alive, so it is freed only after the last of
/// them: its `deinit` ends the sessions still open, flushes for up to `native.shutdownTimeoutMs`
/// and stops its threads, and every `sessionEvents()` stream finishes.
public final class Client: Sendable {
    nonisolated(unsafe) let handle: OpaquePointer
    let hub: EventHub

    /// A client from the configuration's JSON text (README, "Configuration").
    public convenience init(configuration json: String) throws(MediaEdgeError) {
        var out: OpaquePointer?
        try check(mediaedge_client_new(json, &out))
        try self.init(handle: out!)
    }

    /// A client from a `Configuration` value.
    public convenience init(configuration: Configuration) throws(MediaEdgeError) {
        try self.init(configuration: configuration.jsonText())
    }

    /// A client on a virtual clock that starts at `startUnixMs` (the wall time of event
    /// timestamps) and moves only with `advanceClock(by:)`: for tests of your integration that
    /// drive pings and retries without waiting.
    public static func withManualClock(configuration json: String, startUnixMs: Int64) throws(MediaEdgeError) -> Client {
        var out: OpaquePointer?
        try check(mediaedge_client_new_with_manual_clock(json, startUnixMs, &out))
        return try Client(handle: out!)
    }

    private init(handle: OpaquePointer) throws(MediaEdgeError) {
        self.handle = handle
        self.hub = EventHub()
        do {
            try check(mediaedge_client_set_event_callback(handle, eventTrampoline, hub.retainedForLibrary(), releaseTrampoline))
        } catch {
            mediaedge_client_free(handle)
            throw error
        }
    }

    deinit {
        let owned = OwnedClient(handle: handle)
        let hub = self.hub
        if CallbackScope.isActive {
            // Released from inside a callback, where the library forbids freeing a client.
            Client.deferredFrees.add(1)
            Thread.detachNewThread {
                owned.free()
                hub.finish()
            }
        } else {
            owned.free()
            hub.finish()
        }
    }

    /// Clients freed on a thread of their own (tests look at it).
    static let deferredFrees = LiveCounter()

    /// Every session event of this client, from the moment of this call until the client is
    /// freed (then the stream finishes). Each call makes a stream of its own; events are
    /// buffered until read.
    public func sessionEvents() -> AsyncStream<SessionEvent> {
        hub.stream { _ in true }
    }

    /// Sends an event to the live automatic session of `playerID`, like the Web SDK's
    /// `sendMediaEvent({playerId, xdm})`.
    public func send(_ event: MediaEvent, toPlayer playerID: String) throws(MediaEdgeError) {
        try send(xdm: event.xdm(playhead: nil, sessionID: nil), toPlayer: playerID)
    }

    /// The same with the xdm object as JSON text.
    public func send(xdm json: String, toPlayer playerID: String) throws(MediaEdgeError) {
        try check(mediaedge_client_send_event(handle, playerID, json))
    }

    /// Sets (with `nil`, removes) the log handler. It is called on any of the library's threads
    /// and on the caller's, possibly at the same time, and must not call back into the library.
    public func setLogHandler(level: LogLevel = .info, _ handler: (@Sendable (LogLevel, String) -> Void)?) throws(MediaEdgeError) {
        guard let handler else {
            try check(mediaedge_client_set_log_callback(handle, level.rawValue, nil, nil, nil))
            return
        }
        let box = LogBox(handler)
        try check(mediaedge_client_set_log_callback(handle, level.rawValue, logTrampoline, box.retainedForLibrary(), releaseTrampoline))
    }

    /// Waits until every queued event is delivered or given up, for at most `timeout`; throws
    /// `.timeout` (the message says how many are left) if time runs out. It waits on a thread of
    /// its own, not on the task's.
    public func flush(timeout: Duration = .seconds(5)) async throws(MediaEdgeError) {
        let ms = UInt32(clamping: max(milliseconds(timeout), 0))
        try await offThread { [self] in mediaedge_client_flush(handle, ms) }
    }

    /// Waits until no request is in flight or about to be (virtual-time tests: advance the clock,
    /// wait until idle, then look at what was sent).
    public func waitIdle(timeout: Duration = .seconds(5)) async throws(MediaEdgeError) {
        let ms = UInt32(clamping: max(milliseconds(timeout), 0))
        try await offThread { [self] in mediaedge_client_wait_idle(handle, ms) }
    }

    /// Moves a manual clock forward; every timer that falls due fires, in order, before this
    /// returns. `.wrongState` on a system-clock client.
    public func advanceClock(by duration: Duration) throws(MediaEdgeError) {
        let ms = milliseconds(duration)
        guard ms >= 0 else { throw invalidArgument("duration: must not be negative") }
        try check(mediaedge_client_advance_clock(handle, UInt64(ms)))
    }

    public func setConsent(_ consent: Consent) throws(MediaEdgeError) {
        try check(mediaedge_client_set_consent(handle, consent.code))
    }

    /// Adobe's `Edge.setLocationHint`: later requests go to the Edge region `hint` names (`"or2"`);
    /// `nil` or `""` clears it. The caller's hint and the one a sessionStart response names
    /// replace each other: the last one given wins.
    public func setLocationHint(_ hint: String?) throws(MediaEdgeError) {
        try check(mediaedge_client_set_location_hint(handle, hint))
    }

    /// Adobe's `Edge.getLocationHint`: the hint later requests go to, or `nil`.
    public func locationHint() throws(MediaEdgeError) -> String? {
        let hint = try readString { buf, len, needed in mediaedge_client_location_hint(handle, buf, len, needed) }
        return hint.isEmpty ? nil : hint
    }

    /// A snapshot of the client's counters; cheap enough to poll.
    public func stats() throws(MediaEdgeError) -> Stats {
        var raw = mediaedge_stats()
        try check(mediaedge_client_get_stats(handle, &raw))
        return Stats(raw)
    }

    /// Events queued and not yet delivered or given up.
    public func pendingEvents() throws(MediaEdgeError) -> Int {
        var count = 0
        try check(mediaedge_client_pending_events(handle, &count))
        return count
    }

    /// The loaded library's version, `MAJOR.MINOR.PATCH`.
    public static var libraryVersion: String { String(cString: mediaedge_version()) }
}

/// A raw client pointer moved to the thread that frees it.
private struct OwnedClient: @unchecked Sendable {
    // @unchecked: the pointer is used once, by `free`, after the last Swift reference is gone.
    let handle: OpaquePointer
    func free() { mediaedge_client_free(handle) }
}

func milliseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
}

/// Runs a blocking library call on a thread of its own and resumes with its outcome, so that a
/// wait never holds one of the concurrency pool's few threads.
func offThread(_ call: @escaping @Sendable () -> mediaedge_status) async throws(MediaEdgeError) {
    let result: Result<Void, MediaEdgeError> = await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            do throws(MediaEdgeError) {
                try check(call())
                continuation.resume(returning: .success(()))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
    try result.get()
}

/// A client's counters (`mediaedge_stats`). Once nothing is queued,
/// `eventsQueued == eventsSent + every dropped… field + unconfirmedShutdown + keptForRestart`.
public struct Stats: Sendable, Equatable {
    public var eventsQueued: UInt64
    public var eventsSent: UInt64
    public var eventsRetried: UInt64
    public var eventsPending: UInt64
    public var bytesPending: UInt64
    public var peakEventsPending: UInt64
    public var peakBytesPending: UInt64
    public var droppedRejected: UInt64
    public var droppedRetryExpired: UInt64
    public var droppedQueueFull: UInt64
    public var droppedSessionFailed: UInt64
    public var droppedConsent: UInt64
    public var droppedShutdown: UInt64
    public var refusedQueueFull: UInt64
    public var sessionsStarted: UInt64
    public var sessionsActive: UInt64
    public var sessionsFailed: UInt64
    public var sessionsRecovered: UInt64
    public var requestsAnswered: UInt64
    public var requestsNewConnection: UInt64
    public var requestsReusedConnection: UInt64
    /// On the wire when the client was freed at its deadline: outcome unknown.
    public var unconfirmedShutdown: UInt64
    /// The durable queue (`native.storageDir`): events an earlier client left and this one
    /// queued again; events kept in the journal for the next client when this one was freed;
    /// events accepted but not journaled (sent from memory); bytes of a damaged journal tail cut.
    public var eventsReplayed: UInt64
    public var keptForRestart: UInt64
    public var eventsNotJournaled: UInt64
    public var journalBytesDiscarded: UInt64
    /// Downloaded sessions the `downloaded` endpoint accepted, and refused (the reason is in
    /// their `.failed` session event).
    public var downloadedSessionsSent: UInt64
    public var downloadedSessionsRefused: UInt64

    init(_ s: mediaedge_stats) {
        eventsQueued = s.events_queued
        eventsSent = s.events_sent
        eventsRetried = s.events_retried
        eventsPending = s.events_pending
        bytesPending = s.bytes_pending
        peakEventsPending = s.peak_events_pending
        peakBytesPending = s.peak_bytes_pending
        droppedRejected = s.dropped_rejected
        droppedRetryExpired = s.dropped_retry_expired
        droppedQueueFull = s.dropped_queue_full
        droppedSessionFailed = s.dropped_session_failed
        droppedConsent = s.dropped_consent
        droppedShutdown = s.dropped_shutdown
        refusedQueueFull = s.refused_queue_full
        sessionsStarted = s.sessions_started
        sessionsActive = s.sessions_active
        sessionsFailed = s.sessions_failed
        sessionsRecovered = s.sessions_recovered
        requestsAnswered = s.requests_answered
        requestsNewConnection = s.requests_new_connection
        requestsReusedConnection = s.requests_reused_connection
        unconfirmedShutdown = s.unconfirmed_shutdown
        eventsReplayed = s.events_replayed
        keptForRestart = s.kept_for_restart
        eventsNotJournaled = s.events_not_journaled
        journalBytesDiscarded = s.journal_bytes_discarded
        downloadedSessionsSent = s.downloaded_sessions_sent
        downloadedSessionsRefused = s.downloaded_sessions_refused
    }
}
