// The C ABI as JNA sees it: one declaration per exported function, the structs the library
// fills, and the callback shapes. Internal: the public API is in MediaEdge.kt. Assumes a 64-bit
// (LP64) platform: size_t and uint64_t are Long.
package mediaedge

import com.sun.jna.Callback
import com.sun.jna.Library
import com.sun.jna.Native
import com.sun.jna.Pointer
import com.sun.jna.Structure
import com.sun.jna.ptr.LongByReference
import com.sun.jna.ptr.PointerByReference

internal interface PlayerDetailsCallback : Callback {
    fun invoke(userData: Pointer?, details: Pointer)
}

internal interface SessionEventCallback : Callback {
    fun invoke(userData: Pointer?, event: SessionEventStruct)
}

internal interface ReleaseCallback : Callback {
    fun invoke(userData: Pointer?)
}

@Structure.FieldOrder("kind", "sessionKey", "playerId", "sessionId", "eventType", "httpStatus", "message", "count")
internal class SessionEventStruct(p: Pointer?) : Structure(p) {
    @JvmField var kind: Int = 0
    @JvmField var sessionKey: Long = 0
    @JvmField var playerId: String? = null
    @JvmField var sessionId: String? = null
    @JvmField var eventType: String? = null
    @JvmField var httpStatus: Int = 0
    @JvmField var message: String? = null
    @JvmField var count: Long = 0

    constructor() : this(null)

    init {
        if (p != null) read()
    }
}

@Structure.FieldOrder(
    "eventsQueued", "eventsSent", "eventsRetried", "eventsPending", "bytesPending", "peakEventsPending", "peakBytesPending",
    "droppedRejected", "droppedRetryExpired", "droppedQueueFull", "droppedSessionFailed", "droppedConsent", "droppedShutdown",
    "refusedQueueFull", "sessionsStarted", "sessionsActive", "sessionsFailed", "sessionsRecovered", "requestsAnswered",
    "requestsNewConnection", "requestsReusedConnection", "unconfirmedShutdown", "eventsReplayed", "keptForRestart",
    "eventsNotJournaled", "journalBytesDiscarded", "downloadedSessionsSent", "downloadedSessionsRefused"
)
internal class StatsStruct : Structure() {
    @JvmField var eventsQueued: Long = 0
    @JvmField var eventsSent: Long = 0
    @JvmField var eventsRetried: Long = 0
    @JvmField var eventsPending: Long = 0
    @JvmField var bytesPending: Long = 0
    @JvmField var peakEventsPending: Long = 0
    @JvmField var peakBytesPending: Long = 0
    @JvmField var droppedRejected: Long = 0
    @JvmField var droppedRetryExpired: Long = 0
    @JvmField var droppedQueueFull: Long = 0
    @JvmField var droppedSessionFailed: Long = 0
    @JvmField var droppedConsent: Long = 0
    @JvmField var droppedShutdown: Long = 0
    @JvmField var refusedQueueFull: Long = 0
    @JvmField var sessionsStarted: Long = 0
    @JvmField var sessionsActive: Long = 0
    @JvmField var sessionsFailed: Long = 0
    @JvmField var sessionsRecovered: Long = 0
    @JvmField var requestsAnswered: Long = 0
    @JvmField var requestsNewConnection: Long = 0
    @JvmField var requestsReusedConnection: Long = 0
    @JvmField var unconfirmedShutdown: Long = 0
    @JvmField var eventsReplayed: Long = 0
    @JvmField var keptForRestart: Long = 0
    @JvmField var eventsNotJournaled: Long = 0
    @JvmField var journalBytesDiscarded: Long = 0
    @JvmField var downloadedSessionsSent: Long = 0
    @JvmField var downloadedSessionsRefused: Long = 0
}

@Suppress("FunctionName")
internal interface NativeLib : Library {
    fun mediaedge_version(): String
    fun mediaedge_last_error_message(): String
    fun mediaedge_status_str(status: Int): String

    fun mediaedge_client_new(config: String, out: PointerByReference): Int
    fun mediaedge_client_new_with_manual_clock(config: String, startUnixMs: Long, out: PointerByReference): Int
    fun mediaedge_client_free(client: Pointer)
    fun mediaedge_client_set_event_callback(client: Pointer, cb: SessionEventCallback?, userData: Pointer?, release: ReleaseCallback?): Int
    fun mediaedge_client_send_event(client: Pointer, playerId: String, xdm: String): Int
    fun mediaedge_client_flush(client: Pointer, timeoutMs: Int): Int
    fun mediaedge_client_wait_idle(client: Pointer, timeoutMs: Int): Int
    fun mediaedge_client_advance_clock(client: Pointer, ms: Long): Int
    fun mediaedge_client_set_consent(client: Pointer, consent: Int): Int
    fun mediaedge_client_set_location_hint(client: Pointer, hint: String?): Int
    fun mediaedge_client_location_hint(client: Pointer, buf: Pointer?, len: Long, needed: LongByReference?): Int
    fun mediaedge_client_get_stats(client: Pointer, out: StatsStruct): Int

    fun mediaedge_session_new_automatic(
        client: Pointer, playerId: String, details: PlayerDetailsCallback, userData: Pointer?, release: ReleaseCallback?,
        startXdm: String, out: PointerByReference
    ): Int
    fun mediaedge_session_new_manual(client: Pointer, startXdm: String, out: PointerByReference): Int
    fun mediaedge_session_new_downloaded(client: Pointer, startXdm: String, out: PointerByReference): Int
    fun mediaedge_session_send(session: Pointer, xdm: String): Int
    fun mediaedge_session_id(session: Pointer, buf: Pointer?, len: Long, needed: LongByReference?): Int
    fun mediaedge_session_wait_id(session: Pointer, timeoutMs: Int, buf: Pointer?, len: Long, needed: LongByReference?): Int
    fun mediaedge_session_free(session: Pointer)

    fun mediaedge_media_new(id: String, name: String, length: Double, streamType: String, mediaType: Int, out: PointerByReference): Int
    fun mediaedge_media_set_resumed(media: Pointer, resumed: Boolean): Int
    fun mediaedge_media_set_preroll_waiting_time(media: Pointer, ms: Long): Int
    fun mediaedge_media_free(media: Pointer)
    fun mediaedge_ad_break_new(name: String, position: Long, startTime: Double, out: PointerByReference): Int
    fun mediaedge_ad_break_free(p: Pointer)
    fun mediaedge_ad_new(id: String, name: String, position: Long, length: Double, out: PointerByReference): Int
    fun mediaedge_ad_free(p: Pointer)
    fun mediaedge_chapter_new(name: String, position: Long, startTime: Double, length: Double, out: PointerByReference): Int
    fun mediaedge_chapter_free(p: Pointer)
    fun mediaedge_qoe_new(bitrate: Double, startupTime: Double, fps: Double, droppedFrames: Double, out: PointerByReference): Int
    fun mediaedge_qoe_free(p: Pointer)
    fun mediaedge_state_new(name: String, out: PointerByReference): Int
    fun mediaedge_state_free(p: Pointer)
    fun mediaedge_metadata_new(out: PointerByReference): Int
    fun mediaedge_metadata_set(metadata: Pointer, key: String, value: String): Int
    fun mediaedge_metadata_free(p: Pointer)

    fun mediaedge_tracker_new(client: Pointer, config: String?, out: PointerByReference): Int
    fun mediaedge_tracker_free(tracker: Pointer)
    fun mediaedge_tracker_track_session_start(tracker: Pointer, media: Pointer, metadata: Pointer?): Int
    fun mediaedge_tracker_track_play(tracker: Pointer): Int
    fun mediaedge_tracker_track_pause(tracker: Pointer): Int
    fun mediaedge_tracker_track_complete(tracker: Pointer): Int
    fun mediaedge_tracker_track_session_end(tracker: Pointer): Int
    fun mediaedge_tracker_track_error(tracker: Pointer, id: String): Int
    fun mediaedge_tracker_track_event(tracker: Pointer, event: Int): Int
    fun mediaedge_tracker_track_ad_break_start(tracker: Pointer, adBreak: Pointer): Int
    fun mediaedge_tracker_track_ad_start(tracker: Pointer, ad: Pointer, metadata: Pointer?): Int
    fun mediaedge_tracker_track_chapter_start(tracker: Pointer, chapter: Pointer, metadata: Pointer?): Int
    fun mediaedge_tracker_track_state_start(tracker: Pointer, state: Pointer): Int
    fun mediaedge_tracker_track_state_end(tracker: Pointer, state: Pointer): Int
    fun mediaedge_tracker_update_playhead(tracker: Pointer, seconds: Double): Int
    fun mediaedge_tracker_update_qoe(tracker: Pointer, qoe: Pointer): Int
    fun mediaedge_tracker_session_id(tracker: Pointer, buf: Pointer?, len: Long, needed: LongByReference?): Int
}

internal object Lib {
    /** The binding speaks this ABI: the library's major.minor before 1.0, its major after. */
    const val ABI = "0.1"

    val native: NativeLib by lazy {
        val lib = Native.load("mediaedge", NativeLib::class.java)
        checkAbi(lib.mediaedge_version())
        lib
    }

    /** Refuses a library whose ABI differs from the binding's: a mismatch would crash, not fail. */
    fun checkAbi(version: String) {
        val parts = version.split(".")
        val abi = if (parts[0] == "0") parts.take(2).joinToString(".") else parts[0]
        if (abi != ABI) {
            throw UnsatisfiedLinkError("libmediaedge $version has ABI $abi; this binding needs ABI $ABI")
        }
    }
}
