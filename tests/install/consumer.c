/*
 * A program outside the repository, built against an installed mediaedge: it checks the
 * version, runs one manual session against the emulator and says how it went.
 *
 * usage: consumer EDGE_BASE_URL EXPECTED_VERSION
 */
#include <stdio.h>
#include <string.h>

#include <mediaedge.h>

int main(int argc, char **argv) {
    char config[512];
    char id[128];
    char xdm[512];
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    mediaedge_stats stats;
    if (argc != 3) {
        fprintf(stderr, "usage: %s EDGE_BASE_URL EXPECTED_VERSION\n", argv[0]);
        return 2;
    }
    if (strcmp(mediaedge_version(), argv[2]) != 0 || strcmp(MEDIAEDGE_VERSION_STRING, argv[2]) != 0) {
        fprintf(stderr, "version: library %s, header %s, expected %s\n", mediaedge_version(), MEDIAEDGE_VERSION_STRING, argv[2]);
        return 1;
    }
    snprintf(config, sizeof config,
             "{\"datastreamId\":\"ds\",\"streamingMedia\":{\"channel\":\"c\",\"playerName\":\"consumer\"},"
             "\"native\":{\"edgeBaseUrl\":\"%s\"}}",
             argv[1]);
    if (mediaedge_client_new(config, &client) != MEDIAEDGE_OK ||
        mediaedge_session_new_manual(client, "{\"mediaCollection\":{\"playhead\":0,\"sessionDetails\":"
                                             "{\"name\":\"c\",\"length\":10,\"contentType\":\"vod\"}}}",
                                     &session) != MEDIAEDGE_OK ||
        mediaedge_session_wait_id(session, 5000, id, sizeof id, NULL) != MEDIAEDGE_OK) {
        fprintf(stderr, "session: %s\n", mediaedge_last_error_message());
        return 1;
    }
    snprintf(xdm, sizeof xdm, "{\"eventType\":\"media.sessionComplete\",\"mediaCollection\":{\"playhead\":10,\"sessionID\":\"%s\"}}", id);
    if (mediaedge_session_send(session, xdm) != MEDIAEDGE_OK || mediaedge_client_flush(client, 5000) != MEDIAEDGE_OK ||
        mediaedge_client_get_stats(client, &stats) != MEDIAEDGE_OK || stats.events_sent != 2) {
        fprintf(stderr, "delivery: %s\n", mediaedge_last_error_message());
        return 1;
    }
    printf("mediaedge %s: session %.12s… sent %llu events\n", mediaedge_version(), id, (unsigned long long)stats.events_sent);
    mediaedge_session_free(session);
    mediaedge_client_free(client);
    return 0;
}
