// mediaedge for Kotlin/JVM (and Android, see the README): AutoCloseable wrappers over the C ABI,
// reached through JNA. Every handle is closed with close() or use {}; a Cleaner frees one that
// was forgotten. Calls after close() throw IllegalStateException; failed calls throw
// MediaEdgeException with the library's status and message.
package mediaedge

import com.sun.jna.Memory
import com.sun.jna.Pointer
import com.sun.jna.ptr.LongByReference
import com.sun.jna.ptr.PointerByReference
import java.lang.ref.Cleaner
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicLong

/** A failed call: the C status code, its name, and the library's message. */
class MediaEdgeException(val status: Int, message: String) : RuntimeException(message) {
    val statusName: String get() = Lib.native.mediaedge_status_str(status)
}

internal fun check(status: Int) {
    if (status != 0) throw MediaEdgeException(status, Lib.native.mediaedge_last_error_message())
}

internal fun create(call: (PointerByReference) -> Int): Pointer {
    val out = PointerByReference()
    check(call(out))
    return out.value
}

object MediaEdge {
    /** The loaded library's version; loading checks its ABI against the binding's. */
    val version: String get() = Lib.native.mediaedge_version()

    /** Handles freed by the Cleaner because nobody closed them (a leak in the caller's code). */
    val handlesReclaimedByCleaner: Int get() = HandleState.reclaimed.get()

    /** Callbacks the library still holds (each released when the library is done with it). */
    val liveCallbacks: Int get() = Callbacks.count()

    /** Refuses a library version whose ABI differs from the binding's. */
    fun checkAbi(version: String) = Lib.checkAbi(version)
}

private val cleaner: Cleaner = Cleaner.create()

/** What the Cleaner runs: frees the native handle once, whoever gets there first. */
internal class HandleState(@Volatile var pointer: Pointer?, private val free: (Pointer) -> Unit) : Runnable {
    @Volatile var closedExplicitly = false

    override fun run() {
        val p = synchronized(this) { pointer.also { pointer = null } } ?: return
        if (!closedExplicitly) reclaimed.incrementAndGet()
        free(p)
    }

    companion object {
        val reclaimed = AtomicInteger()
    }
}

/** A native handle owned by a Kotlin object. close() must be its last use. */
abstract class Handle internal constructor(pointer: Pointer, free: (Pointer) -> Unit, private val what: String) : AutoCloseable {
    private val state = HandleState(pointer, free)
    private val cleanable = cleaner.register(this, state)

    internal val ptr: Pointer
        get() = state.pointer ?: throw IllegalStateException("this $what is closed")

    val isClosed: Boolean get() = state.pointer == null

    override fun close() {
        state.closedExplicitly = true
        cleanable.clean()
    }
}

/** Callbacks handed to the library, kept strongly reachable until it releases them. */
internal object Callbacks {
    private val next = AtomicLong(1)
    private val live = ConcurrentHashMap<Long, Any>()

    fun register(callback: Any): Pointer {
        val id = next.getAndIncrement()
        live[id] = callback
        return Pointer(id)
    }

    fun count(): Int = live.size

    val release = object : ReleaseCallback {
        override fun invoke(userData: Pointer?) {
            if (userData != null) live.remove(Pointer.nativeValue(userData))
        }
    }
}

/** Reads a string the library writes into a caller buffer, growing the buffer once if needed. */
internal fun readString(call: (Pointer, Long, LongByReference) -> Int): String {
    var size = 128L
    repeat(2) {
        val buf = Memory(size)
        val needed = LongByReference()
        val status = call(buf, size, needed)
        if (status == Status.BUFFER_TOO_SMALL) {
            size = needed.value
        } else {
            check(status)
            return buf.getString(0)
        }
    }
    throw IllegalStateException("the string kept growing")
}

/** The C status codes the binding looks at. */
object Status {
    const val OK = 0
    const val INVALID_ARGUMENT = 1
    const val INVALID_CONFIG = 2
    const val INVALID_EVENT = 3
    const val SESSION_ENDED = 4
    const val SESSION_FAILED = 5
    const val NOT_READY = 6
    const val PLAYER_ID_IN_USE = 7
    const val TIMEOUT = 9
    const val BUFFER_TOO_SMALL = 10
    const val CLIENT_CLOSED = 12
    const val QUEUE_FULL = 14
    const val CONSENT_OUT = 15
    const val RULE_VIOLATION = 16
}

data class PlayerDetails(
    val playhead: Double,
    val bitrate: Double? = null,
    val droppedFrames: Double? = null,
    val framesPerSecond: Double? = null,
    val timeToStart: Double? = null
)

enum class SessionEventKind(val code: Int) {
    STARTED(1), FAILED(2), EVENT_REJECTED(3), EVENT_DROPPED(4), ENDED(5), RESUMED(6), LOST(7), UNSENT(8), CALL_REJECTED(9), UNCONFIRMED(10);

    companion object {
        fun of(code: Int): SessionEventKind = values().first { it.code == code }
    }
}

data class SessionEvent(
    val kind: SessionEventKind,
    val sessionKey: Long,
    val playerId: String?,
    val sessionId: String?,
    val eventType: String?,
    val httpStatus: Int,
    val count: Long,
    val message: String
)

data class Stats(
    val eventsQueued: Long, val eventsSent: Long, val eventsRetried: Long, val eventsPending: Long, val bytesPending: Long,
    val droppedRejected: Long, val droppedRetryExpired: Long, val droppedQueueFull: Long, val droppedSessionFailed: Long,
    val droppedConsent: Long, val droppedShutdown: Long, val refusedQueueFull: Long,
    val sessionsStarted: Long, val sessionsActive: Long, val sessionsFailed: Long, val sessionsRecovered: Long,
    val requestsAnswered: Long, val requestsNewConnection: Long, val requestsReusedConnection: Long,
    val unconfirmedShutdown: Long,
    /** The durable queue (`native.storageDir`): see `mediaedge_stats` in mediaedge.h. */
    val eventsReplayed: Long, val keptForRestart: Long, val eventsNotJournaled: Long, val journalBytesDiscarded: Long,
    /** Downloaded sessions the `downloaded` endpoint accepted, and refused (the reason is in their FAILED event). */
    val downloadedSessionsSent: Long, val downloadedSessionsRefused: Long
)

enum class Consent(val code: Int) { IN(0), OUT(1), PENDING(2) }

private class DetailsAdapter(private val details: () -> PlayerDetails) : PlayerDetailsCallback {
    override fun invoke(userData: Pointer?, details: Pointer) {
        try {
            val d = this.details()
            var fields = 0
            details.setDouble(0, d.playhead)
            d.bitrate?.let { details.setDouble(16, it); fields = fields or 1 }
            d.droppedFrames?.let { details.setDouble(24, it); fields = fields or 2 }
            d.framesPerSecond?.let { details.setDouble(32, it); fields = fields or 4 }
            d.timeToStart?.let { details.setDouble(40, it); fields = fields or 8 }
            details.setInt(8, fields)
        } catch (e: Throwable) {
            // Nothing may unwind into native code; the library keeps the last playhead.
        }
    }
}

private class EventAdapter(private val listener: (SessionEvent) -> Unit) : SessionEventCallback {
    override fun invoke(userData: Pointer?, event: SessionEventStruct) {
        try {
            listener(
                SessionEvent(
                    SessionEventKind.of(event.kind), event.sessionKey, event.playerId, event.sessionId, event.eventType,
                    event.httpStatus, event.count, event.message ?: ""
                )
            )
        } catch (e: Throwable) {
            // As above: a listener's exception stays on the JVM side.
        }
    }
}

/** A media-tracking client: configuration, one scheduler thread and one delivery thread. */
class Client private constructor(pointer: Pointer) : Handle(pointer, { Lib.native.mediaedge_client_free(it) }, "client") {
    constructor(configJson: String) : this(create { Lib.native.mediaedge_client_new(configJson, it) })

    companion object {
        /** A client on a virtual clock (for tests): time moves only with [advanceClock]. */
        fun withManualClock(configJson: String, startUnixMs: Long): Client =
            Client(create { Lib.native.mediaedge_client_new_with_manual_clock(configJson, startUnixMs, it) })
    }

    /** An automatic session: [details] is asked for the playhead of every event and ping. */
    fun createSession(playerId: String, startXdm: String, details: () -> PlayerDetails): Session {
        val adapter = DetailsAdapter(details)
        val userData = Callbacks.register(adapter)
        return Session(create {
            Lib.native.mediaedge_session_new_automatic(ptr, playerId, adapter, userData, Callbacks.release, startXdm, it)
        })
    }

    /** A manual session: put `playhead` and `sessionID` in every event yourself. */
    fun createManualSession(startXdm: String): Session = Session(create { Lib.native.mediaedge_session_new_manual(ptr, startXdm, it) })

    /**
     * A downloaded session (offline playback): every event carries its own `playhead` and no
     * `sessionID`; nothing is sent while it plays, and the whole session goes to Adobe's
     * `downloaded` endpoint once it ends. A tracker does the same with `{"downloadedContent":true}`.
     */
    fun createDownloadedSession(startXdm: String): Session =
        Session(create { Lib.native.mediaedge_session_new_downloaded(ptr, startXdm, it) })

    /** A tracker (Adobe's media tracker API); [configJson] may set channel and ping intervals. */
    fun createTracker(configJson: String? = null): Tracker = Tracker(create { Lib.native.mediaedge_tracker_new(ptr, configJson, it) })

    fun sendEvent(playerId: String, xdm: String) = check(Lib.native.mediaedge_client_send_event(ptr, playerId, xdm))

    /** Sets (or with null removes) the session-event listener; it runs on the library's threads. */
    fun onSessionEvent(listener: ((SessionEvent) -> Unit)?) {
        if (listener == null) {
            check(Lib.native.mediaedge_client_set_event_callback(ptr, null, null, null))
            return
        }
        val adapter = EventAdapter(listener)
        check(Lib.native.mediaedge_client_set_event_callback(ptr, adapter, Callbacks.register(adapter), Callbacks.release))
    }

    fun flush(timeoutMs: Int = 5000) = check(Lib.native.mediaedge_client_flush(ptr, timeoutMs))
    fun waitIdle(timeoutMs: Int = 5000) = check(Lib.native.mediaedge_client_wait_idle(ptr, timeoutMs))
    fun advanceClock(ms: Long) = check(Lib.native.mediaedge_client_advance_clock(ptr, ms))
    fun setConsent(consent: Consent) = check(Lib.native.mediaedge_client_set_consent(ptr, consent.code))

    /** Adobe's `Edge.setLocationHint`/`getLocationHint`; null (or "") clears it. The caller's hint
     *  and the backend's replace each other: the last one given wins. */
    var locationHint: String?
        get() = readString { buf, len, needed -> Lib.native.mediaedge_client_location_hint(ptr, buf, len, needed) }.ifEmpty { null }
        set(hint) = check(Lib.native.mediaedge_client_set_location_hint(ptr, hint))

    fun stats(): Stats {
        val s = StatsStruct()
        check(Lib.native.mediaedge_client_get_stats(ptr, s))
        s.read()
        return Stats(
            s.eventsQueued, s.eventsSent, s.eventsRetried, s.eventsPending, s.bytesPending,
            s.droppedRejected, s.droppedRetryExpired, s.droppedQueueFull, s.droppedSessionFailed, s.droppedConsent,
            s.droppedShutdown, s.refusedQueueFull, s.sessionsStarted, s.sessionsActive, s.sessionsFailed, s.sessionsRecovered,
            s.requestsAnswered, s.requestsNewConnection, s.requestsReusedConnection, s.unconfirmedShutdown,
            s.eventsReplayed, s.keptForRestart, s.eventsNotJournaled, s.journalBytesDiscarded,
            s.downloadedSessionsSent, s.downloadedSessionsRefused
        )
    }
}

enum class Phase { STARTING, ACTIVE, ENDING, ENDED, FAILED }

/** One media session. Closing it ends a session that has not ended. */
class Session internal constructor(pointer: Pointer) : Handle(pointer, { Lib.native.mediaedge_session_free(it) }, "session") {
    fun send(xdm: String) = check(Lib.native.mediaedge_session_send(ptr, xdm))

    /** The backend session ID, or null while it is not known. */
    val id: String?
        get() = try {
            readString { buf, len, needed -> Lib.native.mediaedge_session_id(ptr, buf, len, needed) }
        } catch (e: MediaEdgeException) {
            if (e.status == Status.NOT_READY) null else throw e
        }

    fun waitId(timeoutMs: Int = 5000): String =
        readString { buf, len, needed -> Lib.native.mediaedge_session_wait_id(ptr, timeoutMs, buf, len, needed) }
}

object StreamType {
    const val VOD = "vod"
    const val LIVE = "live"
    const val LINEAR = "linear"
    const val PODCAST = "podcast"
    const val AUDIOBOOK = "audiobook"
    const val AOD = "aod"
}

object PlayerState {
    const val FULLSCREEN = "fullscreen"
    const val MUTE = "mute"
    const val CLOSED_CAPTION = "closedCaptioning"
    const val PICTURE_IN_PICTURE = "pictureInPicture"
    const val IN_FOCUS = "inFocus"
}

object MetadataKeys {
    const val SHOW = "a.media.show"
    const val SEASON = "a.media.season"
    const val EPISODE = "a.media.episode"
    const val ASSET_ID = "a.media.asset"
    const val GENRE = "a.media.genre"
    const val FIRST_AIR_DATE = "a.media.airDate"
    const val FIRST_DIGITAL_DATE = "a.media.digitalDate"
    const val RATING = "a.media.rating"
    const val ORIGINATOR = "a.media.originator"
    const val NETWORK = "a.media.network"
    const val SHOW_TYPE = "a.media.type"
    const val AD_LOAD = "a.media.adLoad"
    const val MVPD = "a.media.pass.mvpd"
    const val AUTHORIZED = "a.media.pass.auth"
    const val DAY_PART = "a.media.dayPart"
    const val FEED = "a.media.feed"
    const val STREAM_FORMAT = "a.media.format"
    const val ARTIST = "a.media.artist"
    const val ALBUM = "a.media.album"
    const val LABEL = "a.media.label"
    const val AUTHOR = "a.media.author"
    const val STATION = "a.media.station"
    const val PUBLISHER = "a.media.publisher"
}

object AdMetadataKeys {
    const val ADVERTISER = "a.media.ad.advertiser"
    const val CAMPAIGN_ID = "a.media.ad.campaign"
    const val CREATIVE_ID = "a.media.ad.creative"
    const val PLACEMENT_ID = "a.media.ad.placement"
    const val SITE_ID = "a.media.ad.site"
    const val CREATIVE_URL = "a.media.ad.creativeURL"
}

enum class MediaType(val code: Int) { VIDEO(0), AUDIO(1) }

data class MediaInfo(
    val id: String,
    val name: String,
    val length: Double,
    val streamType: String = StreamType.VOD,
    val mediaType: MediaType = MediaType.VIDEO,
    val resumed: Boolean = false,
    val prerollWaitingTimeMs: Long = 250
)

data class AdBreakInfo(val name: String, val position: Long, val startTime: Double)
data class AdInfo(val id: String, val name: String, val position: Long, val length: Double)
data class ChapterInfo(val name: String, val position: Long, val startTime: Double, val length: Double)
data class QoeInfo(val bitrate: Double, val startupTime: Double, val fps: Double, val droppedFrames: Double)

enum class TrackerEvent(val code: Int) {
    AD_BREAK_COMPLETE(1), AD_COMPLETE(2), AD_SKIP(3), CHAPTER_COMPLETE(4), CHAPTER_SKIP(5),
    SEEK_START(6), SEEK_COMPLETE(7), BUFFER_START(8), BUFFER_COMPLETE(9), BITRATE_CHANGE(10)
}

/** Makes a native object, hands it to [use], frees it: the tracker copies what it is given. */
private inline fun <R> withNative(noinline make: (PointerByReference) -> Int, noinline free: (Pointer) -> Unit, use: (Pointer) -> R): R {
    val p = create(make)
    try {
        return use(p)
    } finally {
        free(p)
    }
}

private inline fun <R> withMetadata(metadata: Map<String, String>, use: (Pointer?) -> R): R {
    if (metadata.isEmpty()) return use(null)
    return withNative({ Lib.native.mediaedge_metadata_new(it) }, { Lib.native.mediaedge_metadata_free(it) }) { m ->
        for ((k, v) in metadata) check(Lib.native.mediaedge_metadata_set(m, k, v))
        use(m)
    }
}

/** A media tracker: Adobe's tracker calls, checked against the playback state. A call the rules
 *  do not allow throws MediaEdgeException with [Status.RULE_VIOLATION]. */
class Tracker internal constructor(pointer: Pointer) : Handle(pointer, { Lib.native.mediaedge_tracker_free(it) }, "tracker") {
    fun trackSessionStart(media: MediaInfo, metadata: Map<String, String> = emptyMap()) {
        withNative({ Lib.native.mediaedge_media_new(media.id, media.name, media.length, media.streamType, media.mediaType.code, it) },
            { Lib.native.mediaedge_media_free(it) }) { m ->
            check(Lib.native.mediaedge_media_set_resumed(m, media.resumed))
            check(Lib.native.mediaedge_media_set_preroll_waiting_time(m, media.prerollWaitingTimeMs))
            withMetadata(metadata) { md -> check(Lib.native.mediaedge_tracker_track_session_start(ptr, m, md)) }
        }
    }

    fun trackPlay() = check(Lib.native.mediaedge_tracker_track_play(ptr))
    fun trackPause() = check(Lib.native.mediaedge_tracker_track_pause(ptr))
    fun trackComplete() = check(Lib.native.mediaedge_tracker_track_complete(ptr))
    fun trackSessionEnd() = check(Lib.native.mediaedge_tracker_track_session_end(ptr))
    fun trackError(errorId: String) = check(Lib.native.mediaedge_tracker_track_error(ptr, errorId))
    fun trackEvent(event: TrackerEvent) = check(Lib.native.mediaedge_tracker_track_event(ptr, event.code))

    fun trackAdBreakStart(adBreak: AdBreakInfo) =
        withNative({ Lib.native.mediaedge_ad_break_new(adBreak.name, adBreak.position, adBreak.startTime, it) },
            { Lib.native.mediaedge_ad_break_free(it) }) { check(Lib.native.mediaedge_tracker_track_ad_break_start(ptr, it)) }

    fun trackAdStart(ad: AdInfo, metadata: Map<String, String> = emptyMap()) =
        withNative({ Lib.native.mediaedge_ad_new(ad.id, ad.name, ad.position, ad.length, it) }, { Lib.native.mediaedge_ad_free(it) }) { a ->
            withMetadata(metadata) { md -> check(Lib.native.mediaedge_tracker_track_ad_start(ptr, a, md)) }
        }

    fun trackChapterStart(chapter: ChapterInfo, metadata: Map<String, String> = emptyMap()) =
        withNative({ Lib.native.mediaedge_chapter_new(chapter.name, chapter.position, chapter.startTime, chapter.length, it) },
            { Lib.native.mediaedge_chapter_free(it) }) { c ->
            withMetadata(metadata) { md -> check(Lib.native.mediaedge_tracker_track_chapter_start(ptr, c, md)) }
        }

    fun trackStateStart(name: String) =
        withNative({ Lib.native.mediaedge_state_new(name, it) }, { Lib.native.mediaedge_state_free(it) }) {
            check(Lib.native.mediaedge_tracker_track_state_start(ptr, it))
        }

    fun trackStateEnd(name: String) =
        withNative({ Lib.native.mediaedge_state_new(name, it) }, { Lib.native.mediaedge_state_free(it) }) {
            check(Lib.native.mediaedge_tracker_track_state_end(ptr, it))
        }

    fun updatePlayhead(seconds: Double) = check(Lib.native.mediaedge_tracker_update_playhead(ptr, seconds))

    fun updateQoe(qoe: QoeInfo) =
        withNative({ Lib.native.mediaedge_qoe_new(qoe.bitrate, qoe.startupTime, qoe.fps, qoe.droppedFrames, it) },
            { Lib.native.mediaedge_qoe_free(it) }) { check(Lib.native.mediaedge_tracker_update_qoe(ptr, it)) }

    /** The open session's backend ID, or null. */
    val sessionId: String?
        get() = try {
            readString { buf, len, needed -> Lib.native.mediaedge_tracker_session_id(ptr, buf, len, needed) }
        } catch (e: MediaEdgeException) {
            if (e.status == Status.NOT_READY) null else throw e
        }
}
