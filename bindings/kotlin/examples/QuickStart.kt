// The Kotlin quick start (README): a client, an automatic session whose playhead comes from a
// lambda, a few events, the stats. Every handle is closed by use {}.
//
// usage: java -Djna.library.path=DIR_OF_libmediaedge.so ... QuickStartKt EDGE_BASE_URL
import mediaedge.Client
import mediaedge.PlayerDetails

fun main(args: Array<String>) {
    val config = """{"datastreamId":"my-datastream",
        "streamingMedia":{"channel":"my-channel","playerName":"my-player"},
        "native":{"edgeBaseUrl":"${args[0]}"}}"""
    Client(config).use { client ->
        client.onSessionEvent { event -> println("event: ${event.message}") }
        var position = 0.0 // your player's position, in seconds
        client.createSession(
            playerId = "main-player",
            startXdm = """{"mediaCollection":{"sessionDetails":{"name":"movie-42","length":5400,"contentType":"vod"}}}"""
        ) { PlayerDetails(playhead = position, bitrate = 2_500_000.0) }.use { session ->
            session.send("""{"eventType":"media.play"}""")
            position = 12.0
            session.send("""{"eventType":"media.pauseStart"}""")
            session.send("""{"eventType":"media.sessionEnd"}""")
            client.flush()
        }
        val stats = client.stats()
        println("sent ${stats.eventsSent} of ${stats.eventsQueued} events")
        if (stats.eventsSent != 4L) System.exit(1)
    }
}
