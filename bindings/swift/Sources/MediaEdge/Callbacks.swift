import CMediaEdge
import Foundation

/// What the binding hands the library as a callback's `user_data`: one retained object, released
/// by the library's `user_data_free` (`releaseTrampoline`) exactly once, when it is done with it.
/// Until then the box, and the closure it holds, stay alive; after that nothing refers to them.
class CallbackBox: @unchecked Sendable {
    // @unchecked: subclasses hold only `let` @Sendable closures or Sendable state of their own.
    private static let counter = LiveCounter()

    /// Boxes the library still holds, for the leak checks of the tests.
    static var live: Int { counter.value }

    init() { Self.counter.add(1) }
    deinit { Self.counter.add(-1) }

    /// The `user_data` pointer: one retain that `releaseTrampoline` gives back.
    func retainedForLibrary() -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(self).toOpaque()
    }
}

final class LiveCounter: @unchecked Sendable {
    // @unchecked: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    func add(_ n: Int) { lock.withLock { count += n } }
    var value: Int { lock.withLock { count } }
}

/// Marks the threads that are inside a call from the library into Swift. A client released there
/// (its last reference dropped by a callback or by a closure the library just let go) must not
/// call `mediaedge_client_free` on that thread, which the library forbids; `Client` frees it on a
/// thread of its own instead.
enum CallbackScope {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    static var isActive: Bool { pthread_getspecific(key) != nil }

    static func run<R>(_ body: () -> R) -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(key, previous) }
        return body()
    }
}

/// `user_data_free` for every box.
let releaseTrampoline: mediaedge_release_fn = { userData in
    guard let userData else { return }
    CallbackScope.run { Unmanaged<CallbackBox>.fromOpaque(userData).release() }
}

/// An automatic session's player closure.
final class DetailsBox: CallbackBox, @unchecked Sendable {
    let details: @Sendable () throws -> PlayerDetails
    init(_ details: @escaping @Sendable () throws -> PlayerDetails) { self.details = details }
}

/// The library fills `details` with the last playhead and no QoE before the call; a closure that
/// throws leaves it so, which keeps the last playhead.
let detailsTrampoline: mediaedge_player_details_fn = { userData, details in
    guard let userData, let details else { return }
    let box = Unmanaged<DetailsBox>.fromOpaque(userData).takeUnretainedValue()
    CallbackScope.run {
        guard let reported = try? box.details() else { return }
        reported.write(to: &details.pointee)
    }
}

/// A log handler.
final class LogBox: CallbackBox, @unchecked Sendable {
    let handler: @Sendable (LogLevel, String) -> Void
    init(_ handler: @escaping @Sendable (LogLevel, String) -> Void) { self.handler = handler }
}

let logTrampoline: mediaedge_log_fn = { userData, level, message in
    guard let userData, let message else { return }
    let box = Unmanaged<LogBox>.fromOpaque(userData).takeUnretainedValue()
    let text = String(cString: message)
    CallbackScope.run { box.handler(LogLevel(rawValue: level) ?? .debug, text) }
}
