// The Kotlin binding end to end against the emulator: sessions, the tracker, callbacks kept
// alive and released, use after close, the Cleaner, the ABI check, and the constants agreeing
// with the C header.
//
// usage: java ... BindingTestKt EDGE_BASE_URL PATH_TO_mediaedge.h
import mediaedge.AdBreakInfo
import mediaedge.AdInfo
import mediaedge.AdMetadataKeys
import mediaedge.ChapterInfo
import mediaedge.Client
import mediaedge.MediaEdge
import mediaedge.MediaEdgeException
import mediaedge.MediaInfo
import mediaedge.MetadataKeys
import mediaedge.PlayerDetails
import mediaedge.PlayerState
import mediaedge.QoeInfo
import mediaedge.SessionEvent
import mediaedge.SessionEventKind
import mediaedge.Status
import mediaedge.StreamType
import mediaedge.TrackerEvent
import java.io.File
import java.lang.reflect.Modifier
import java.net.URL
import java.util.Collections

var checks = 0
var failures = 0

fun check(condition: Boolean, what: String) {
    checks++
    if (!condition) {
        failures++
        System.err.println("check failed: $what")
    }
}

inline fun <reified T : Throwable> throws(what: String, block: () -> Unit): T? {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) {
            checks++
            return e
        }
        check(false, "$what: threw $e")
        return null
    }
    check(false, "$what: did not throw")
    return null
}

lateinit var baseUrl: String

fun config(extra: String = "") =
    """{"datastreamId":"ds-kt","streamingMedia":{"channel":"kotlin","playerName":"kotlin-player"$extra},"native":{"edgeBaseUrl":"$baseUrl"}}"""

fun timeline(): String = URL("$baseUrl/__emulator/timeline").readText()
fun resetEmulator() = (URL("$baseUrl/__emulator/reset").openConnection() as java.net.HttpURLConnection).run {
    requestMethod = "POST"; doOutput = true; outputStream.close(); responseCode
}
fun count(text: String, action: String) = text.lines().count { it.contains("  $action ") }

const val START = """{"mediaCollection":{"sessionDetails":{"name":"kt","length":60,"contentType":"VOD"}}}"""

fun versionAbiAndConstants(header: String) {
    val version = Regex("#define MEDIAEDGE_VERSION_STRING \"([^\"]+)\"").find(header)!!.groupValues[1]
    check(MediaEdge.version == version, "library version ${MediaEdge.version} == header $version")
    throws<UnsatisfiedLinkError>("ABI check") { MediaEdge.checkAbi("9.9.0") }
    for ((holder, prefix) in listOf(StreamType to "STREAM_TYPE", PlayerState to "PLAYER_STATE", MetadataKeys to "METADATA", AdMetadataKeys to "AD_METADATA")) {
        val fields = holder.javaClass.declaredFields.filter { Modifier.isStatic(it.modifiers) && it.type == String::class.java }
        val inHeader = Regex("#define MEDIAEDGE_${prefix}_([A-Z_]+) \"").findAll(header).map { it.groupValues[1] }.toSet()
        for (f in fields) {
            check(header.contains("#define MEDIAEDGE_${prefix}_${f.name} \"${f.get(null)}\""), "$prefix.${f.name} agrees with the header")
        }
        check(fields.map { it.name }.toSet() == inHeader, "$prefix: the same constants as the header")
    }
}

fun automaticSessionAndCallbacks() {
    resetEmulator()
    val events = Collections.synchronizedList(mutableListOf<SessionEvent>())
    Client.withManualClock(config(), 1795824000000L).use { client ->
        client.onSessionEvent { events.add(it) }
        var position = 0.0
        val session = client.createSession("kt-player", START) { PlayerDetails(playhead = position, bitrate = 1.5e6) }
        position = 7.4
        session.send("""{"eventType":"media.play"}""")
        val invalid = throws<MediaEdgeException>("invalid event") { session.send("""{"eventType":"media.chapterStart"}""") }
        check(invalid?.status == Status.INVALID_EVENT && invalid.statusName == "MEDIAEDGE_ERR_INVALID_EVENT", "status of an invalid event")
        client.flush()
        check(session.id != null && session.waitId() == session.id, "session id")
        client.advanceClock(10_000)
        client.flush()
        session.close()
        session.close() // twice is fine
        throws<IllegalStateException>("use after close") { session.send("""{"eventType":"media.play"}""") }
        client.flush()
        val stats = client.stats()
        check(stats.eventsSent == 4L && stats.eventsPending == 0L, "stats: $stats")
        check(MediaEdge.liveCallbacks == 1, "the listener is held while registered (${MediaEdge.liveCallbacks})")
    }
    check(MediaEdge.liveCallbacks == 0, "callbacks released after close (${MediaEdge.liveCallbacks})")
    check(events.map { it.kind } == listOf(SessionEventKind.STARTED, SessionEventKind.ENDED), "events: $events")
    val sent = timeline()
    check(count(sent, "sessionStart") == 1 && count(sent, "play") == 1 && count(sent, "ping") == 1 && count(sent, "sessionEnd") == 1,
        "what the emulator received:\n$sent")
    check(sent.contains("playhead=7 "), "the playhead came from the lambda")
}

fun manualSessionAndErrors() {
    val bad = throws<MediaEdgeException>("bad config") { Client("""{"datastreamId":"d"}""") }
    check(bad?.status == Status.INVALID_CONFIG && bad.message == "streamingMedia: required", "config error: ${bad?.message}")
    Client(config()).use { client ->
        check(client.locationHint == null, "no location hint at first")
        client.locationHint = "va6"
        check(client.locationHint == "va6", "location hint set: ${client.locationHint}")
        val badHint = throws<MediaEdgeException>("bad location hint") { client.locationHint = "va6/.." }
        check(badHint?.status == Status.INVALID_ARGUMENT, "bad hint: ${badHint?.message}")
        client.locationHint = null
        check(client.locationHint == null, "location hint cleared")
        client.createManualSession("""{"mediaCollection":{"playhead":0,"sessionDetails":{"name":"m","length":5,"contentType":"VOD"}}}""").use { s ->
            val id = s.waitId()
            s.send("""{"eventType":"media.sessionComplete","mediaCollection":{"playhead":5,"sessionID":"$id"}}""")
            client.flush()
            check(client.stats().eventsSent == 2L, "manual session delivered")
        }
    }
}

// native.storageDir: events a client could not send (consent pending) are kept in the journal;
// the next client on the directory sends them and reads the new counters through the binding
// (whose struct must match the C struct field for field).
fun journalReplay() {
    resetEmulator()
    val dir = java.nio.file.Files.createTempDirectory("mediaedge-kt").toFile()
    val storage = ""","storageDir":"${dir.path}""""
    fun configIn(consent: String) =
        """{"datastreamId":"ds-kt","defaultConsent":"$consent","streamingMedia":{"channel":"kotlin","playerName":"kotlin-player"},"native":{"edgeBaseUrl":"$baseUrl"$storage}}"""
    Client.withManualClock(configIn("pending"), 1795824000000L).use { client ->
        val session = client.createManualSession("""{"mediaCollection":{"playhead":0,"sessionDetails":{"name":"m","length":5,"contentType":"VOD"}}}""")
        session.close()
        check(client.stats().eventsPending == 2L, "held: ${client.stats()}")
    }
    Client.withManualClock(configIn("in"), 1795824000000L).use { client ->
        client.flush()
        val stats = client.stats()
        check(stats.eventsReplayed == 2L && stats.eventsSent == 2L, "replayed: $stats")
        check(stats.keptForRestart == 0L && stats.eventsNotJournaled == 0L && stats.journalBytesDiscarded == 0L, "journal counters: $stats")
    }
    val sent = timeline()
    check(count(sent, "sessionStart") == 1 && count(sent, "sessionEnd") == 1, "what the emulator received:\n$sent")
    dir.deleteRecursively()
}

// Offline playback: a downloaded session goes whole, once it ends, to the downloaded endpoint.
fun downloadedSession() {
    resetEmulator()
    Client.withManualClock(config(), 1795824000000L).use { client ->
        client.createDownloadedSession("""{"mediaCollection":{"playhead":0,"sessionDetails":{"name":"d","length":5,"contentType":"vod"}}}""").use { s ->
            s.send("""{"eventType":"media.play","mediaCollection":{"playhead":0}}""")
            client.flush()
            check(count(timeline(), "downloaded") == 0, "nothing sent while it plays")
            s.send("""{"eventType":"media.sessionComplete","mediaCollection":{"playhead":5}}""")
            client.flush()
        }
        client.createTracker("""{"downloadedContent":true}""").use { tracker ->
            tracker.trackSessionStart(MediaInfo("kt-offline", "Offline", 60.0, prerollWaitingTimeMs = 0))
            tracker.trackPlay()
            tracker.trackComplete()
        }
        client.flush()
        val stats = client.stats()
        check(stats.downloadedSessionsSent == 2L && stats.downloadedSessionsRefused == 0L, "downloaded: $stats")
    }
    check(count(timeline(), "downloaded") in 1..2, "the sessions went to the downloaded endpoint:\n${timeline()}")
}

fun trackerScenario() {
    resetEmulator()
    Client.withManualClock(config(), 1795824000000L).use { client ->
        client.createTracker("""{"adPingInterval":1}""").use { tracker ->
            val early = throws<MediaEdgeException>("play before session start") { tracker.trackPlay() }
            check(early?.status == Status.RULE_VIOLATION, "rule violation status")
            tracker.trackSessionStart(MediaInfo("kt-media", "Kotlin media", 300.0, prerollWaitingTimeMs = 0),
                mapOf(MetadataKeys.SHOW to "Show", "kt.custom" to "1"))
            tracker.trackChapterStart(ChapterInfo("one", 1, 0.0, 100.0))
            tracker.trackPlay()
            for (s in 1..3) {
                tracker.updatePlayhead(s.toDouble())
                client.advanceClock(1000)
            }
            tracker.trackAdBreakStart(AdBreakInfo("mid", 1, 3.0))
            tracker.trackAdStart(AdInfo("ad-1", "Ad", 1, 2.0), mapOf(AdMetadataKeys.ADVERTISER to "Acme"))
            client.advanceClock(2000)
            tracker.trackEvent(TrackerEvent.AD_COMPLETE)
            tracker.trackEvent(TrackerEvent.AD_BREAK_COMPLETE)
            tracker.updateQoe(QoeInfo(3e6, 500.0, 30.0, 0.0))
            tracker.trackEvent(TrackerEvent.BITRATE_CHANGE)
            tracker.trackStateStart(PlayerState.MUTE)
            client.flush()
            check(tracker.sessionId != null, "tracker session id")
            tracker.trackComplete()
            check(tracker.sessionId == null, "no session after complete")
            client.flush()
        }
    }
    val sent = timeline()
    check(count(sent, "sessionStart") == 1 && count(sent, "adStart") == 1 && count(sent, "ping") == 2, "tracker requests:\n$sent")
    check(count(sent, "bitrateChange") == 1 && count(sent, "statesUpdate") == 1 && count(sent, "sessionComplete") == 1, "tracker requests")
    check(sent.contains("\"advertiser\":\"Acme\""), "ad metadata")
}

fun forgottenHandle() {
    Client(config()) // never closed
}

fun cleanerReclaimsForgottenHandles() {
    val before = MediaEdge.handlesReclaimedByCleaner
    forgottenHandle()
    val deadline = System.currentTimeMillis() + 10_000
    while (MediaEdge.handlesReclaimedByCleaner == before && System.currentTimeMillis() < deadline) {
        System.gc()
        Thread.sleep(50)
    }
    check(MediaEdge.handlesReclaimedByCleaner == before + 1, "the Cleaner freed the forgotten client")
}

fun main(args: Array<String>) {
    baseUrl = args[0]
    val header = File(args[1]).readText()
    versionAbiAndConstants(header)
    automaticSessionAndCallbacks()
    manualSessionAndErrors()
    journalReplay()
    downloadedSession()
    trackerScenario()
    cleanerReclaimsForgottenHandles()
    println("${checks - failures} passed, $failures failed")
    System.exit(if (failures == 0) 0 else 1)
}
