/*
 * simple_player: a simulated VOD player tracked by an automatic mediaedge session.
 *
 * The player keeps its own playhead clock; mediaedge asks for it through a callback whenever
 * an event is made and for every ping. The story: play a chapter with a pause and a buffering
 * stall, a stretch of plain playback (main pings), a mid-roll ad break with two ads (ad pings
 * every second), a second chapter with a bitrate change, then complete. The data agree: the
 * content is 22 s, the chapters cover 0-18 s and 18-22 s, the ad break sits at 18 s, and the
 * session completes at 22 s. Then the same film as watched offline earlier: a downloaded session,
 * recorded event by event with its own playheads and sent whole, in one request, once it ends.
 *
 * usage: simple_player EDGE_BASE_URL      e.g. simple_player http://127.0.0.1:8080
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mediaedge.h"

typedef struct player {
    pthread_mutex_t lock;
    int playing;           /* the playhead moves only while playing */
    double position;       /* seconds, at `since` */
    double since;          /* monotonic seconds */
    double bitrate;
} player;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double playhead_locked(const player *p) {
    return p->playing ? p->position + (now_s() - p->since) : p->position;
}

static void set_playing(player *p, int playing) {
    pthread_mutex_lock(&p->lock);
    p->position = playhead_locked(p);
    p->since = now_s();
    p->playing = playing;
    pthread_mutex_unlock(&p->lock);
}

/* Called by mediaedge on this thread (events) and on its scheduler thread (pings). */
static void report_details(void *user_data, mediaedge_player_details *details) {
    player *p = (player *)user_data;
    pthread_mutex_lock(&p->lock);
    details->playhead = playhead_locked(p);
    details->bitrate = p->bitrate;
    details->qoe_fields = MEDIAEDGE_QOE_BITRATE;
    pthread_mutex_unlock(&p->lock);
}

static void on_session_event(void *user_data, const mediaedge_session_event *event) {
    (void)user_data;
    printf("[player] %s: %s\n", mediaedge_session_event_kind_str((int)event->kind), event->message);
    fflush(stdout);
}

static void sleep_s(double seconds) {
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

static int send_event(mediaedge_session *session, const char *xdm) {
    mediaedge_status status = mediaedge_session_send(session, xdm);
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[player] send failed: %s: %s\n", mediaedge_status_str((int)status),
                mediaedge_last_error_message());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    char config[1024];
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    mediaedge_session *offline = NULL;
    player p;
    int failures = 0;
    mediaedge_status status;
    mediaedge_stats stats;

    if (argc != 2) {
        fprintf(stderr, "usage: %s EDGE_BASE_URL\n", argv[0]);
        return 2;
    }
    snprintf(config, sizeof config,
             "{\"datastreamId\":\"demo-datastream\","
             "\"streamingMedia\":{\"channel\":\"demo-channel\",\"playerName\":\"simple_player\","
             "\"appVersion\":\"1.0\",\"mainPingInterval\":10,\"adPingInterval\":1},"
             "\"native\":{\"edgeBaseUrl\":\"%s\"}}",
             argv[1]);
    status = mediaedge_client_new(config, &client);
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[player] client: %s\n", mediaedge_last_error_message());
        return 1;
    }
    mediaedge_client_set_event_callback(client, on_session_event, NULL, NULL);

    memset(&p, 0, sizeof p);
    pthread_mutex_init(&p.lock, NULL);
    p.since = now_s();
    p.bitrate = 2000000;

    status = mediaedge_session_new_automatic(
        client, "main-player", report_details, &p, NULL,
        "{\"mediaCollection\":{\"sessionDetails\":{\"name\":\"big-buck-bunny\",\"friendlyName\":"
        "\"Big Buck Bunny\",\"length\":22,\"contentType\":\"vod\",\"streamType\":\"video\"}}}",
        &session);
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[player] session: %s\n", mediaedge_last_error_message());
        mediaedge_client_free(client);
        return 1;
    }
    printf("[player] session created; playing\n");

    set_playing(&p, 1);
    failures += send_event(session, "{\"eventType\":\"media.play\"}");
    failures += send_event(session, "{\"eventType\":\"media.chapterStart\",\"mediaCollection\":{\"chapterDetails\":"
                                    "{\"index\":1,\"length\":18,\"offset\":0,\"friendlyName\":\"Opening\"}}}");
    sleep_s(4);
    set_playing(&p, 0);
    printf("[player] paused\n");
    failures += send_event(session, "{\"eventType\":\"media.pauseStart\"}");
    sleep_s(2);
    set_playing(&p, 1);
    failures += send_event(session, "{\"eventType\":\"media.play\"}");
    sleep_s(2);
    set_playing(&p, 0);
    printf("[player] buffering\n");
    failures += send_event(session, "{\"eventType\":\"media.bufferStart\"}");
    sleep_s(1);
    set_playing(&p, 1);
    failures += send_event(session, "{\"eventType\":\"media.play\"}");
    printf("[player] plain playback (expect a main ping after 10 s)\n");
    sleep_s(12);
    failures += send_event(session, "{\"eventType\":\"media.chapterComplete\"}");

    set_playing(&p, 0); /* the content playhead stands still during ads */
    printf("[player] mid-roll ad break\n");
    failures += send_event(session, "{\"eventType\":\"media.adBreakStart\",\"mediaCollection\":"
                                    "{\"advertisingPodDetails\":{\"index\":1,\"offset\":18,\"friendlyName\":\"Mid-roll\"}}}");
    failures += send_event(session, "{\"eventType\":\"media.adStart\",\"mediaCollection\":{\"advertisingDetails\":"
                                    "{\"name\":\"ad-1\",\"friendlyName\":\"First ad\",\"length\":3,\"podPosition\":1}}}");
    sleep_s(3);
    failures += send_event(session, "{\"eventType\":\"media.adComplete\"}");
    failures += send_event(session, "{\"eventType\":\"media.adStart\",\"mediaCollection\":{\"advertisingDetails\":"
                                    "{\"name\":\"ad-2\",\"friendlyName\":\"Second ad\",\"length\":3,\"podPosition\":2}}}");
    sleep_s(3);
    failures += send_event(session, "{\"eventType\":\"media.adComplete\"}");
    failures += send_event(session, "{\"eventType\":\"media.adBreakComplete\"}");

    set_playing(&p, 1);
    failures += send_event(session, "{\"eventType\":\"media.play\"}");
    failures += send_event(session, "{\"eventType\":\"media.chapterStart\",\"mediaCollection\":{\"chapterDetails\":"
                                    "{\"index\":2,\"length\":4,\"offset\":18,\"friendlyName\":\"Finale\"}}}");
    sleep_s(2);
    pthread_mutex_lock(&p.lock);
    p.bitrate = 4500000;
    pthread_mutex_unlock(&p.lock);
    failures += send_event(session, "{\"eventType\":\"media.bitrateChange\"}");
    sleep_s(2);
    failures += send_event(session, "{\"eventType\":\"media.chapterComplete\"}");
    failures += send_event(session, "{\"eventType\":\"media.sessionComplete\"}");
    printf("[player] complete\n");

    printf("[player] an offline viewing, recorded as a downloaded session and sent once it ends\n");
    status = mediaedge_session_new_downloaded(
        client,
        "{\"mediaCollection\":{\"playhead\":0,\"sessionDetails\":{\"name\":\"big-buck-bunny\",\"friendlyName\":"
        "\"Big Buck Bunny\",\"length\":22,\"contentType\":\"vod\",\"streamType\":\"video\"}}}",
        &offline);
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[player] downloaded session: %s\n", mediaedge_last_error_message());
        failures++;
    } else {
        failures += send_event(offline, "{\"eventType\":\"media.play\",\"mediaCollection\":{\"playhead\":0}}");
        failures += send_event(offline, "{\"eventType\":\"media.pauseStart\",\"mediaCollection\":{\"playhead\":7}}");
        failures += send_event(offline, "{\"eventType\":\"media.play\",\"mediaCollection\":{\"playhead\":7}}");
        failures += send_event(offline, "{\"eventType\":\"media.sessionComplete\",\"mediaCollection\":{\"playhead\":22}}");
        mediaedge_session_free(offline);
    }

    status = mediaedge_client_flush(client, 5000);
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[player] flush: %s\n", mediaedge_last_error_message());
        failures++;
    }
    if (mediaedge_client_get_stats(client, &stats) == MEDIAEDGE_OK) {
        printf("[player] stats: %llu events queued, %llu sent, %llu retried, %llu dropped; "
               "%llu requests, %llu on reused connections\n",
               (unsigned long long)stats.events_queued, (unsigned long long)stats.events_sent,
               (unsigned long long)stats.events_retried,
               (unsigned long long)(stats.dropped_rejected + stats.dropped_retry_expired + stats.dropped_queue_full +
                                    stats.dropped_session_failed + stats.dropped_consent + stats.dropped_shutdown),
               (unsigned long long)stats.requests_answered, (unsigned long long)stats.requests_reused_connection);
    }
    mediaedge_session_free(session);
    mediaedge_client_free(client);
    pthread_mutex_destroy(&p.lock);
    return failures == 0 ? 0 : 1;
}
