/*
 * tracker_player: a simulated VOD player reporting through the tracker API (Adobe's
 * getMediaAnalyticsTracker / Media.createTracker), the way most Adobe media integrations do.
 *
 * The player tells the tracker what happens (play, pause, buffering, seek, ads, chapters, QoE)
 * and updates the playhead once a second; the tracker applies Adobe's rules and sends the
 * events: the play state, pings, content start, the play state again after ads. The story: a
 * preroll ad break of two ads, a chapter with a buffering stall and a seek, a pause, a bitrate
 * change, complete at the content's end (a 64 s episode, one chapter, the seek to 60 s). About
 * 20 seconds.
 *
 * usage: tracker_player EDGE_BASE_URL      e.g. tracker_player http://127.0.0.1:8080
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mediaedge.h"

static int failures = 0;
static double playhead = 0;

static void check(mediaedge_status status, const char *what) {
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[player] %s: %s (%s)\n", what, mediaedge_status_str((int)status), mediaedge_last_error_message());
        failures++;
    }
}

static void on_session_event(void *user_data, const mediaedge_session_event *event) {
    (void)user_data;
    printf("[player] %s: %s\n", mediaedge_session_event_kind_str((int)event->kind), event->message);
    fflush(stdout);
}

/* Lets `seconds` of wall time pass, reporting the playhead every second; it advances only when
 * `playing`. */
static void run(mediaedge_tracker *tracker, int seconds, int playing) {
    struct timespec one = {1, 0};
    int i;
    for (i = 0; i < seconds; i++) {
        nanosleep(&one, NULL);
        if (playing) playhead += 1;
        check(mediaedge_tracker_update_playhead(tracker, playhead), "update_playhead");
    }
}

int main(int argc, char **argv) {
    char config[512];
    mediaedge_client *client = NULL;
    mediaedge_tracker *tracker = NULL;
    mediaedge_media *media = NULL;
    mediaedge_metadata *metadata = NULL;
    mediaedge_metadata *ad_metadata = NULL;
    mediaedge_ad_break *preroll = NULL;
    mediaedge_ad *ad1 = NULL, *ad2 = NULL;
    mediaedge_chapter *chapter = NULL;
    mediaedge_qoe *qoe = NULL;
    mediaedge_state *fullscreen = NULL;

    if (argc != 2) {
        fprintf(stderr, "usage: %s EDGE_BASE_URL\n", argv[0]);
        return 2;
    }
    snprintf(config, sizeof config,
             "{\"datastreamId\":\"demo-datastream\",\"streamingMedia\":{\"channel\":\"demo-channel\","
             "\"playerName\":\"tracker-player\",\"appVersion\":\"1.0\"},\"native\":{\"edgeBaseUrl\":\"%s\"}}",
             argv[1]);
    check(mediaedge_client_new(config, &client), "client_new");
    if (client == NULL) return 1;
    check(mediaedge_client_set_event_callback(client, on_session_event, NULL, NULL), "set_event_callback");
    /* Ad pings every second for this tracker (1-10 s), main pings every 10 s. */
    check(mediaedge_tracker_new(client, "{\"adPingInterval\":1}", &tracker), "tracker_new");

    check(mediaedge_media_new("demo-episode-7", "Coastline Mysteries, episode 7", 64, MEDIAEDGE_STREAM_TYPE_VOD,
                              MEDIAEDGE_MEDIA_TYPE_VIDEO, &media), "media_new");
    check(mediaedge_metadata_new(&metadata), "metadata_new");
    check(mediaedge_metadata_set(metadata, MEDIAEDGE_METADATA_SHOW, "Coastline Mysteries"), "metadata_set");
    check(mediaedge_metadata_set(metadata, MEDIAEDGE_METADATA_EPISODE, "7"), "metadata_set");
    check(mediaedge_metadata_set(metadata, "demo.tier", "premium"), "metadata_set");
    check(mediaedge_metadata_new(&ad_metadata), "metadata_new");
    check(mediaedge_metadata_set(ad_metadata, MEDIAEDGE_AD_METADATA_ADVERTISER, "Acme"), "metadata_set");
    check(mediaedge_ad_break_new("preroll", 1, 0, &preroll), "ad_break_new");
    check(mediaedge_ad_new("ad-101", "Acme spring", 1, 3, &ad1), "ad_new");
    check(mediaedge_ad_new("ad-102", "Acme summer", 2, 2, &ad2), "ad_new");
    check(mediaedge_chapter_new("Cold open", 1, 0, 64, &chapter), "chapter_new");
    check(mediaedge_qoe_new(2500000, 900, 30, 0, &qoe), "qoe_new");
    check(mediaedge_state_new(MEDIAEDGE_PLAYER_STATE_FULLSCREEN, &fullscreen), "state_new");

    printf("[player] load, play pressed: the preroll starts\n");
    check(mediaedge_tracker_track_session_start(tracker, media, metadata), "session_start");
    check(mediaedge_tracker_update_qoe(tracker, qoe), "update_qoe");
    check(mediaedge_tracker_track_play(tracker), "play"); /* dropped: the preroll implies play */
    check(mediaedge_tracker_track_ad_break_start(tracker, preroll), "ad_break_start");
    check(mediaedge_tracker_track_ad_start(tracker, ad1, ad_metadata), "ad_start");
    run(tracker, 3, 0);
    check(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_AD_COMPLETE), "ad_complete");
    check(mediaedge_tracker_track_ad_start(tracker, ad2, ad_metadata), "ad_start");
    run(tracker, 2, 0);
    check(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_AD_COMPLETE), "ad_complete");
    check(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_AD_BREAK_COMPLETE), "ad_break_complete");

    printf("[player] main content\n");
    check(mediaedge_tracker_track_chapter_start(tracker, chapter, NULL), "chapter_start");
    check(mediaedge_tracker_track_play(tracker), "play");
    check(mediaedge_tracker_track_state_start(tracker, fullscreen), "state_start");
    run(tracker, 3, 1);
    printf("[player] buffering\n");
    check(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_BUFFER_START), "buffer_start");
    run(tracker, 2, 0);
    check(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_BUFFER_COMPLETE), "buffer_complete");
    check(mediaedge_tracker_track_play(tracker), "play");
    run(tracker, 2, 1);
    printf("[player] seek to 60 s\n");
    check(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_SEEK_START), "seek_start");
    playhead = 60;
    check(mediaedge_tracker_update_playhead(tracker, playhead), "update_playhead");
    check(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_SEEK_COMPLETE), "seek_complete");
    run(tracker, 2, 1);
    printf("[player] pause\n");
    check(mediaedge_tracker_track_pause(tracker), "pause");
    run(tracker, 2, 0);
    check(mediaedge_tracker_track_play(tracker), "play");
    mediaedge_qoe_free(qoe);
    check(mediaedge_qoe_new(4500000, 900, 30, 2, &qoe), "qoe_new");
    check(mediaedge_tracker_update_qoe(tracker, qoe), "update_qoe");
    check(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_BITRATE_CHANGE), "bitrate_change");
    run(tracker, 2, 1);
    printf("[player] complete\n");
    check(mediaedge_tracker_track_complete(tracker), "complete");

    check(mediaedge_client_flush(client, 5000), "flush");
    mediaedge_tracker_free(tracker);
    mediaedge_media_free(media);
    mediaedge_metadata_free(metadata);
    mediaedge_metadata_free(ad_metadata);
    mediaedge_ad_break_free(preroll);
    mediaedge_ad_free(ad1);
    mediaedge_ad_free(ad2);
    mediaedge_chapter_free(chapter);
    mediaedge_qoe_free(qoe);
    mediaedge_state_free(fullscreen);
    mediaedge_client_free(client);
    return failures == 0 ? 0 : 1;
}
