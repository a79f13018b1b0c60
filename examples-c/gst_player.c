/*
 * gst_player: a small but complete GStreamer player (playbin, headless, real-time sinks)
 * reporting what really happens through the mediaedge tracker:
 *   - the position query is the playhead (update_playhead every 100 ms), the duration the
 *     media length;
 *   - pipeline state changes -> play / pause; GST_MESSAGE_BUFFERING -> buffer start/complete;
 *     a seek -> seek start/complete; EOS -> complete; GST_MESSAGE_ERROR -> error + session end;
 *   - QoE: dropped frames from QoS messages, the bitrate from tags (a change sends
 *     bitrateChange), time to first frame from the sink's first buffer.
 * The scripted viewer plays 5 s, pauses 2 s, plays 2 s, seeks to 15 s and plays to the end.
 * With a third argument it writes "wall_ms position_ms" every 100 ms, for the test's checks.
 *
 * usage: gst_player EDGE_BASE_URL CLIP.webm [POSITION_LOG]
 */
#define _POSIX_C_SOURCE 200809L
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mediaedge.h"

typedef struct player {
    GstElement *pipeline;
    GMainLoop *loop;
    mediaedge_tracker *tracker;
    FILE *log;
    int started_playing; /* pause is reported only after the first play */
    int seeking;
    int buffering;
    int failures;
    double play_requested_ms;
    double first_frame_ms;
    double bitrate;
    guint64 dropped;
} player;

static double wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void check(player *p, mediaedge_status status, const char *what) {
    if (status != MEDIAEDGE_OK) {
        fprintf(stderr, "[gst] %s: %s (%s)\n", what, mediaedge_status_str((int)status), mediaedge_last_error_message());
        p->failures++;
    }
}

static void on_session_event(void *user_data, const mediaedge_session_event *event) {
    (void)user_data;
    printf("[gst] %s: %s\n", mediaedge_session_event_kind_str((int)event->kind), event->message);
    fflush(stdout);
}

/* The QoE the player knows now: bitrate (tags), startup time, frame rate, dropped frames. */
static void report_qoe(player *p) {
    mediaedge_qoe *qoe = NULL;
    double startup = p->first_frame_ms > 0 ? p->first_frame_ms - p->play_requested_ms : 0;
    if (mediaedge_qoe_new(p->bitrate, startup, 30, (double)p->dropped, &qoe) == MEDIAEDGE_OK) {
        check(p, mediaedge_tracker_update_qoe(p->tracker, qoe), "update_qoe");
        mediaedge_qoe_free(qoe);
    }
}

/* Tells the tracker where the player is: every 100 ms, and before every other call so that
 * each event carries the position of its moment. */
static void sync_playhead(player *p) {
    gint64 position = 0;
    if (gst_element_query_position(p->pipeline, GST_FORMAT_TIME, &position)) {
        check(p, mediaedge_tracker_update_playhead(p->tracker, (double)position / GST_SECOND), "update_playhead");
        /* Milliseconds truncated, as event timestamps are. */
        if (p->log) fprintf(p->log, "%lld %lld\n", (long long)wall_ms(), (long long)(position / GST_MSECOND));
    }
}

static gboolean tick(gpointer data) {
    sync_playhead(data);
    return G_SOURCE_CONTINUE;
}

static void on_first_frame(GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer data) {
    player *p = data;
    (void)sink;
    (void)buffer;
    (void)pad;
    if (p->first_frame_ms == 0) p->first_frame_ms = wall_ms();
}

/* The scripted viewer. */
static gboolean pause_now(gpointer data) {
    player *p = data;
    printf("[gst] viewer pauses\n");
    gst_element_set_state(p->pipeline, GST_STATE_PAUSED);
    return G_SOURCE_REMOVE;
}

static gboolean resume_now(gpointer data) {
    player *p = data;
    printf("[gst] viewer resumes\n");
    gst_element_set_state(p->pipeline, GST_STATE_PLAYING);
    return G_SOURCE_REMOVE;
}

static gboolean seek_now(gpointer data) {
    player *p = data;
    printf("[gst] viewer seeks to 15 s\n");
    p->seeking = 1;
    sync_playhead(p);
    check(p, mediaedge_tracker_track_event(p->tracker, MEDIAEDGE_EVENT_SEEK_START), "seek start");
    if (!gst_element_seek_simple(p->pipeline, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, 15 * GST_SECOND)) {
        fprintf(stderr, "[gst] seek refused\n");
        p->failures++;
    }
    return G_SOURCE_REMOVE;
}

static gboolean on_message(GstBus *bus, GstMessage *msg, gpointer data) {
    player *p = data;
    (void)bus;
    sync_playhead(p);
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_STATE_CHANGED:
        if (GST_MESSAGE_SRC(msg) == GST_OBJECT(p->pipeline) && !p->seeking) {
            GstState old_state, new_state, pending;
            gst_message_parse_state_changed(msg, &old_state, &new_state, &pending);
            if (new_state == GST_STATE_PLAYING) {
                p->started_playing = 1;
                check(p, mediaedge_tracker_track_play(p->tracker), "play");
            } else if (new_state == GST_STATE_PAUSED && old_state == GST_STATE_PLAYING && p->started_playing) {
                check(p, mediaedge_tracker_track_pause(p->tracker), "pause");
            }
        }
        break;
    case GST_MESSAGE_ASYNC_DONE:
        if (p->seeking) {
            p->seeking = 0;
            check(p, mediaedge_tracker_track_event(p->tracker, MEDIAEDGE_EVENT_SEEK_COMPLETE), "seek complete");
        }
        break;
    case GST_MESSAGE_BUFFERING: {
        gint percent = 0;
        gst_message_parse_buffering(msg, &percent);
        if (percent < 100 && !p->buffering) {
            p->buffering = 1;
            check(p, mediaedge_tracker_track_event(p->tracker, MEDIAEDGE_EVENT_BUFFER_START), "buffer start");
        } else if (percent == 100 && p->buffering) {
            p->buffering = 0;
            check(p, mediaedge_tracker_track_event(p->tracker, MEDIAEDGE_EVENT_BUFFER_COMPLETE), "buffer complete");
        }
        break;
    }
    case GST_MESSAGE_QOS: {
        GstFormat format;
        guint64 processed = 0, dropped = 0;
        gst_message_parse_qos_stats(msg, &format, &processed, &dropped);
        if (format == GST_FORMAT_BUFFERS && dropped != p->dropped) {
            p->dropped = dropped;
            report_qoe(p);
        }
        break;
    }
    case GST_MESSAGE_TAG: {
        GstTagList *tags = NULL;
        guint bitrate = 0;
        gst_message_parse_tag(msg, &tags);
        if (gst_tag_list_get_uint(tags, GST_TAG_BITRATE, &bitrate) || gst_tag_list_get_uint(tags, GST_TAG_NOMINAL_BITRATE, &bitrate)) {
            if (bitrate > 0 && (double)bitrate != p->bitrate) {
                p->bitrate = bitrate;
                report_qoe(p);
                check(p, mediaedge_tracker_track_event(p->tracker, MEDIAEDGE_EVENT_BITRATE_CHANGE), "bitrate change");
            }
        }
        gst_tag_list_unref(tags);
        break;
    }
    case GST_MESSAGE_EOS:
        printf("[gst] end of stream\n");
        check(p, mediaedge_tracker_track_complete(p->tracker), "complete");
        g_main_loop_quit(p->loop);
        break;
    case GST_MESSAGE_ERROR: {
        GError *error = NULL;
        gchar *debug = NULL;
        gst_message_parse_error(msg, &error, &debug);
        fprintf(stderr, "[gst] error: %s\n", error->message);
        check(p, mediaedge_tracker_track_error(p->tracker, error->message), "error");
        check(p, mediaedge_tracker_track_session_end(p->tracker), "session end");
        g_error_free(error);
        g_free(debug);
        p->failures++;
        g_main_loop_quit(p->loop);
        break;
    }
    default:
        break;
    }
    return TRUE;
}

int main(int argc, char **argv) {
    char config[512];
    mediaedge_client *client = NULL;
    mediaedge_media *media = NULL;
    GstElement *video_sink, *audio_sink;
    GstBus *bus;
    gchar *uri;
    gint64 duration = 0;
    player p;
    memset(&p, 0, sizeof p);
    gst_init(&argc, &argv);
    if (argc < 3) {
        fprintf(stderr, "usage: %s EDGE_BASE_URL CLIP [POSITION_LOG]\n", argv[0]);
        return 2;
    }
    if (argc > 3 && (p.log = fopen(argv[3], "w")) == NULL) {
        perror(argv[3]);
        return 2;
    }

    snprintf(config, sizeof config,
             "{\"datastreamId\":\"demo-datastream\",\"streamingMedia\":{\"channel\":\"gstreamer\","
             "\"playerName\":\"gst-player\"},\"native\":{\"edgeBaseUrl\":\"%s\"}}",
             argv[1]);
    check(&p, mediaedge_client_new(config, &client), "client_new");
    if (client == NULL) return 1;
    check(&p, mediaedge_client_set_event_callback(client, on_session_event, NULL, NULL), "event callback");
    check(&p, mediaedge_tracker_new(client, NULL, &p.tracker), "tracker_new");

    p.pipeline = gst_element_factory_make("playbin", "player");
    video_sink = gst_element_factory_make("fakesink", "video-sink");
    audio_sink = gst_element_factory_make("fakesink", "audio-sink");
    if (!p.pipeline || !video_sink || !audio_sink) {
        fprintf(stderr, "[gst] playbin or fakesink missing\n");
        return 1;
    }
    g_object_set(video_sink, "sync", TRUE, "signal-handoffs", TRUE, "qos", TRUE, NULL);
    g_object_set(audio_sink, "sync", TRUE, NULL);
    g_signal_connect(video_sink, "handoff", G_CALLBACK(on_first_frame), &p);
    uri = gst_filename_to_uri(argv[2], NULL);
    g_object_set(p.pipeline, "uri", uri, "video-sink", video_sink, "audio-sink", audio_sink, NULL);
    g_free(uri);

    /* Preroll to learn the duration: the media's length. The viewer asked to play now. */
    p.play_requested_ms = wall_ms();
    gst_element_set_state(p.pipeline, GST_STATE_PAUSED);
    if (gst_element_get_state(p.pipeline, NULL, NULL, 10 * GST_SECOND) == GST_STATE_CHANGE_FAILURE ||
        !gst_element_query_duration(p.pipeline, GST_FORMAT_TIME, &duration)) {
        fprintf(stderr, "[gst] cannot preroll %s\n", argv[2]);
        return 1;
    }
    printf("[gst] %s: %.1f s\n", argv[2], (double)duration / GST_SECOND);
    check(&p, mediaedge_media_new("gst-clip", "GStreamer test clip", (double)duration / GST_SECOND, MEDIAEDGE_STREAM_TYPE_VOD,
                                  MEDIAEDGE_MEDIA_TYPE_VIDEO, &media), "media_new");
    check(&p, mediaedge_tracker_track_session_start(p.tracker, media, NULL), "session start");
    mediaedge_media_free(media);
    /* Until the stream's tags say otherwise, the bitrate is the clip's average. */
    {
        FILE *clip = fopen(argv[2], "rb");
        if (clip != NULL && fseek(clip, 0, SEEK_END) == 0 && duration > 0) {
            p.bitrate = (double)ftell(clip) * 8.0 / ((double)duration / GST_SECOND);
        }
        if (clip != NULL) fclose(clip);
    }
    report_qoe(&p);

    p.loop = g_main_loop_new(NULL, FALSE);
    bus = gst_element_get_bus(p.pipeline);
    gst_bus_add_watch(bus, on_message, &p);
    g_timeout_add(100, tick, &p);
    g_timeout_add(5000, pause_now, &p);
    g_timeout_add(7000, resume_now, &p);
    g_timeout_add(9000, seek_now, &p);
    gst_element_set_state(p.pipeline, GST_STATE_PLAYING);
    g_main_loop_run(p.loop);

    gst_element_set_state(p.pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(p.pipeline);
    g_main_loop_unref(p.loop);
    check(&p, mediaedge_client_flush(client, 5000), "flush");
    mediaedge_tracker_free(p.tracker);
    mediaedge_client_free(client);
    if (p.log) fclose(p.log);
    printf("[gst] time to first frame %.0f ms, %llu frames dropped\n", p.first_frame_ms - p.play_requested_ms,
           (unsigned long long)p.dropped);
    return p.failures == 0 ? 0 : 1;
}
