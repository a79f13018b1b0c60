/*
 * manual_session: the simple_player story in manual mode. The caller reads the session ID and
 * puts playhead and sessionID into every event itself; mediaedge sends them in order and never
 * pings. Runs on a manual clock so the whole story takes a moment, not half a minute.
 *
 * usage: manual_session EDGE_BASE_URL
 */
#include <stdio.h>
#include <string.h>

#include "mediaedge.h"

static int send_at(mediaedge_session *session, const char *session_id, const char *type, int playhead,
                   const char *extra) {
    char xdm[1024];
    mediaedge_status status;
    snprintf(xdm, sizeof xdm,
             "{\"eventType\":\"media.%s\",\"mediaCollection\":{\"playhead\":%d,\"sessionID\":\"%s\"%s%s}}", type,
             playhead, session_id, extra[0] ? "," : "", extra);
    status = mediaedge_session_send(session, xdm);
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[manual] %s: %s: %s\n", type, mediaedge_status_str((int)status), mediaedge_last_error_message());
        return 1;
    }
    printf("[manual] %-16s playhead=%d\n", type, playhead);
    return 0;
}

int main(int argc, char **argv) {
    char config[1024];
    char session_id[128];
    size_t needed = 0;
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    mediaedge_status status;
    int failures = 0;
    int ph = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s EDGE_BASE_URL\n", argv[0]);
        return 2;
    }
    snprintf(config, sizeof config,
             "{\"datastreamId\":\"demo-datastream\",\"streamingMedia\":{\"channel\":\"demo-channel\","
             "\"playerName\":\"manual_session\"},\"native\":{\"edgeBaseUrl\":\"%s\"}}",
             argv[1]);
    /* 2026-11-28T00:00:00Z; the clock moves only when this program says so. */
    status = mediaedge_client_new_with_manual_clock(config, 1795824000000LL, &client);
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[manual] client: %s\n", mediaedge_last_error_message());
        return 1;
    }
    status = mediaedge_session_new_manual(
        client,
        "{\"mediaCollection\":{\"playhead\":0,\"sessionDetails\":{\"name\":\"big-buck-bunny\",\"length\":34,"
        "\"contentType\":\"vod\"}}}",
        &session);
    if (status == MEDIAEDGE_OK) {
        status = mediaedge_session_wait_id(session, 5000, session_id, sizeof session_id, &needed);
    }
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[manual] session: %s: %s\n", mediaedge_status_str((int)status), mediaedge_last_error_message());
        mediaedge_session_free(session);
        mediaedge_client_free(client);
        return 1;
    }
    printf("[manual] session ID %s\n", session_id);

#define STEP(seconds) (mediaedge_client_advance_clock(client, (seconds) * 1000u), ph += (seconds))
    failures += send_at(session, session_id, "play", ph, "");
    failures += send_at(session, session_id, "chapterStart", ph,
                        "\"chapterDetails\":{\"index\":1,\"length\":21,\"offset\":0}");
    STEP(4);
    failures += send_at(session, session_id, "pauseStart", ph, "");
    mediaedge_client_advance_clock(client, 2000);
    failures += send_at(session, session_id, "play", ph, "");
    STEP(2);
    failures += send_at(session, session_id, "bufferStart", ph, "");
    mediaedge_client_advance_clock(client, 1000);
    failures += send_at(session, session_id, "play", ph, "");
    STEP(12);
    failures += send_at(session, session_id, "chapterComplete", ph, "");
    failures += send_at(session, session_id, "adBreakStart", ph,
                        "\"advertisingPodDetails\":{\"index\":1,\"offset\":18}");
    failures += send_at(session, session_id, "adStart", ph,
                        "\"advertisingDetails\":{\"name\":\"ad-1\",\"length\":3,\"podPosition\":1}");
    mediaedge_client_advance_clock(client, 3000);
    failures += send_at(session, session_id, "adComplete", ph, "");
    failures += send_at(session, session_id, "adStart", ph,
                        "\"advertisingDetails\":{\"name\":\"ad-2\",\"length\":3,\"podPosition\":2}");
    mediaedge_client_advance_clock(client, 3000);
    failures += send_at(session, session_id, "adComplete", ph, "");
    failures += send_at(session, session_id, "adBreakComplete", ph, "");
    failures += send_at(session, session_id, "play", ph, "");
    failures += send_at(session, session_id, "chapterStart", ph,
                        "\"chapterDetails\":{\"index\":2,\"length\":13,\"offset\":21}");
    STEP(2);
    failures += send_at(session, session_id, "bitrateChange", ph, "\"qoeDataDetails\":{\"bitrate\":4500000}");
    STEP(2);
    failures += send_at(session, session_id, "chapterComplete", ph, "");
    failures += send_at(session, session_id, "sessionComplete", ph, "");
#undef STEP

    status = mediaedge_client_flush(client, 5000);
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[manual] flush: %s\n", mediaedge_last_error_message());
        failures++;
    }
    mediaedge_session_free(session);
    mediaedge_client_free(client);
    return failures == 0 ? 0 : 1;
}
