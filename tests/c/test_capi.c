/*
 * The C ABI end to end against the emulator: statuses, NULL arguments, messages, callbacks and
 * their user_data release, manual and automatic sessions on a manual clock, and what the
 * emulator received (read from its /__emulator/timeline control endpoint).
 *
 * usage: test_capi EDGE_BASE_URL
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

typedef struct counters {
    int details_calls;
    int released;
    int started;
    int ended;
    int failed;
    int unsent;
    int rejected;
    unsigned long long last_count;
    double playhead;
} counters;

static void details_cb(void *user_data, mediaedge_player_details *details) {
    counters *c = (counters *)user_data;
    c->details_calls++;
    details->playhead = c->playhead;
}

static void release_cb(void *user_data) {
    ((counters *)user_data)->released++;
}

static void event_cb(void *user_data, const mediaedge_session_event *event) {
    counters *c = (counters *)user_data;
    if (event->kind == MEDIAEDGE_SESSION_STARTED) c->started++;
    if (event->kind == MEDIAEDGE_SESSION_ENDED) c->ended++;
    if (event->kind == MEDIAEDGE_SESSION_FAILED) c->failed++;
    if (event->kind == MEDIAEDGE_SESSION_UNSENT) c->unsent++;
    if (event->kind == MEDIAEDGE_SESSION_CALL_REJECTED) c->rejected++;
    c->last_count = (unsigned long long)event->count;
}

static void test_version_and_status_names(void) {
    CHECK(strcmp(mediaedge_version(), MEDIAEDGE_VERSION_STRING) == 0);
    CHECK(strcmp(mediaedge_status_str(MEDIAEDGE_ERR_TIMEOUT), "MEDIAEDGE_ERR_TIMEOUT") == 0);
    CHECK(strcmp(mediaedge_status_str(9999), "MEDIAEDGE_UNKNOWN_STATUS") == 0);
}

static void test_null_arguments(void) {
    char config[512];
    char buf[8];
    size_t n = 0;
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    mediaedge_session_phase phase;
    uint64_t key;
    counters c;
    memset(&c, 0, sizeof c);
    config_for(config, sizeof config, "");

    CHECK_STATUS(mediaedge_client_new(NULL, &client), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mediaedge_last_error_message(), "config_json") != NULL);
    CHECK_STATUS(mediaedge_client_new(config, NULL), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(NULL, 0, &client), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_set_event_callback(NULL, event_cb, &c, release_cb), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK(c.released == 1); /* released even though the call failed */
    CHECK_STATUS(mediaedge_client_set_log_callback(NULL, MEDIAEDGE_LOG_DEBUG, NULL, NULL, NULL), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_send_event(NULL, "p", "{}"), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_flush(NULL, 0), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_advance_clock(NULL, 1), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_pending_events(NULL, &n), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_new_automatic(NULL, "p", details_cb, &c, release_cb, START, &session),
                 MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK(c.released == 2);
    CHECK_STATUS(mediaedge_session_new_manual(NULL, START, &session), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_send(NULL, "{}"), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_id(NULL, buf, sizeof buf, &n), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_wait_id(NULL, 0, buf, sizeof buf, &n), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_get_phase(NULL, &phase), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_key(NULL, &key), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    mediaedge_client_free(NULL);
    mediaedge_session_free(NULL);

    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 0, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_send_event(client, NULL, "{}"), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_send_event(client, "p", NULL), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_pending_events(client, NULL), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_set_log_callback(client, 99, NULL, NULL, NULL), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_new_automatic(client, NULL, details_cb, &c, release_cb, START, &session),
                 MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_new_automatic(client, "p", NULL, &c, release_cb, START, &session),
                 MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_new_automatic(client, "p", details_cb, &c, release_cb, NULL, &session),
                 MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_new_automatic(client, "p", details_cb, &c, release_cb, START, NULL),
                 MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK(c.released == 6);
    CHECK_STATUS(mediaedge_session_new_manual(client, NULL, &session), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_new_manual(client, START, NULL), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    mediaedge_client_free(client);
}

static void test_config_errors_name_the_path(void) {
    mediaedge_client *client = NULL;
    CHECK_STATUS(mediaedge_client_new("{\"datastreamId\":\"d\",\"streamingMedia\":{\"channel\":\"c\",\"playerName\":\"p\","
                                      "\"adPingInterval\":0}}",
                                      &client),
                 MEDIAEDGE_ERR_INVALID_CONFIG);
    CHECK(strcmp(mediaedge_last_error_message(), "streamingMedia.adPingInterval: expected a number >= 1, got 0") == 0);
    CHECK(client == NULL); /* out-parameters are written only on success */
    CHECK_STATUS(mediaedge_client_new("{\"datastreamId\":\"d\",\"streamingMedia\":{\"channel\":\"c\",\"playerName\":\"p\"},"
                                      "\"native\":{\"edgeBaseUrl\":\"http://10.0.0.1:80\"}}",
                                      &client),
                 MEDIAEDGE_ERR_INVALID_CONFIG);
    CHECK(strstr(mediaedge_last_error_message(), "native.edgeBaseUrl") != NULL);
}

static void test_automatic_session_with_pings(void) {
    char config[512];
    char id[128];
    size_t needed = 0;
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    mediaedge_session_phase phase;
    counters player, events;
    memset(&player, 0, sizeof player);
    memset(&events, 0, sizeof events);
    reset_emulator();
    config_for(config, sizeof config, ",\"mainPingInterval\":10");

    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1795824000000LL, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_set_event_callback(client, event_cb, &events, release_cb), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_automatic(client, "c-player", details_cb, &player, release_cb, START, &session),
                 MEDIAEDGE_OK);
    player.playhead = 3.7;
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\"}"), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_send_event(client, "c-player", "{\"eventType\":\"media.pauseStart\"}"), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_send_event(client, "nobody", "{\"eventType\":\"media.play\"}"), MEDIAEDGE_ERR_UNKNOWN_PLAYER);
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.chapterStart\"}"), MEDIAEDGE_ERR_INVALID_EVENT);
    CHECK(strcmp(mediaedge_last_error_message(), "mediaCollection.chapterDetails: required") == 0);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_id(session, id, 4, &needed), MEDIAEDGE_ERR_BUFFER_TOO_SMALL);
    CHECK(needed > 4);
    CHECK_STATUS(mediaedge_session_id(session, id, sizeof id, &needed), MEDIAEDGE_OK);
    CHECK(strlen(id) + 1 == needed);
    CHECK(events.started == 1);

    CHECK_STATUS(mediaedge_client_advance_clock(client, 25000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK(count_action("ping") == 2);
    CHECK(player.details_calls == 5); /* start, play, pauseStart, two pings */

    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.sessionEnd\"}"), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\"}"), MEDIAEDGE_ERR_SESSION_ENDED);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_get_phase(session, &phase), MEDIAEDGE_OK);
    CHECK(phase == MEDIAEDGE_PHASE_ENDED);
    CHECK_STATUS(mediaedge_client_advance_clock(client, 60000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK(count_action("ping") == 2);
    CHECK(count_action("sessionStart") == 1 && count_action("play") == 1 && count_action("pauseStart") == 1);
    CHECK(count_action("sessionEnd") == 1);
    CHECK(events.ended == 1);

    mediaedge_session_free(session);
    CHECK(player.released == 1);
    mediaedge_client_free(client);
    CHECK(events.released == 1);
}

static void test_manual_session(void) {
    char config[512];
    char id[128];
    char xdm[512];
    size_t needed = 0;
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    reset_emulator();
    config_for(config, sizeof config, "");

    CHECK_STATUS(mediaedge_client_new(config, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_manual(client, START, &session), MEDIAEDGE_ERR_INVALID_EVENT);
    CHECK(strcmp(mediaedge_last_error_message(), "mediaCollection.playhead: required") == 0);
    CHECK_STATUS(mediaedge_session_new_manual(
                     client, "{\"mediaCollection\":{\"playhead\":0,\"sessionDetails\":{\"name\":\"m\",\"length\":9,\"contentType\":\"VOD\"}}}",
                     &session),
                 MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_wait_id(session, 5000, id, sizeof id, &needed), MEDIAEDGE_OK);
    snprintf(xdm, sizeof xdm, "{\"eventType\":\"media.play\",\"mediaCollection\":{\"playhead\":1,\"sessionID\":\"%s\"}}", id);
    CHECK_STATUS(mediaedge_session_send(session, xdm), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\",\"mediaCollection\":{\"playhead\":1}}"),
                 MEDIAEDGE_ERR_INVALID_EVENT);
    CHECK_STATUS(mediaedge_client_advance_clock(client, 1000), MEDIAEDGE_ERR_WRONG_STATE);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK(count_action("play") == 1);
    /* Freeing a live session ends it. */
    mediaedge_session_free(session);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK(count_action("sessionEnd") == 1);
    mediaedge_client_free(client);
}

static void test_consent_stats_and_unsent_on_free(void) {
    char config[512];
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    mediaedge_session *refused = NULL;
    mediaedge_stats stats;
    counters player, events;
    memset(&player, 0, sizeof player);
    memset(&events, 0, sizeof events);
    reset_emulator();
    snprintf(config, sizeof config,
             "{\"datastreamId\":\"ds-c\",\"defaultConsent\":\"pending\",\"streamingMedia\":{\"channel\":\"c\","
             "\"playerName\":\"p\"},\"native\":{\"edgeBaseUrl\":\"%s\"}}",
             base_url);
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1795824000000LL, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_set_event_callback(client, event_cb, &events, release_cb), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_get_stats(NULL, &stats), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_get_stats(client, NULL), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_wait_idle(NULL, 10), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_client_set_consent(client, 99), MEDIAEDGE_ERR_INVALID_ARGUMENT);

    /* Pending: held, not sent. */
    CHECK_STATUS(mediaedge_session_new_automatic(client, "held", details_cb, &player, release_cb, START, &session),
                 MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\"}"), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_wait_idle(client, 5000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_get_stats(client, &stats), MEDIAEDGE_OK);
    CHECK(stats.events_queued == 2 && stats.events_pending == 2 && stats.events_sent == 0);
    CHECK(count_action("sessionStart") == 0);

    /* In: sent, in order, over one reused connection. */
    CHECK_STATUS(mediaedge_client_set_consent(client, MEDIAEDGE_CONSENT_IN), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_get_stats(client, &stats), MEDIAEDGE_OK);
    CHECK(stats.events_sent == 2 && stats.events_pending == 0 && stats.requests_answered == 2);
    CHECK(stats.requests_new_connection + stats.requests_reused_connection == 2);
    CHECK(count_action("sessionStart") == 1 && count_action("play") == 1);

    /* Out: the live session is closed and new ones are refused. */
    CHECK_STATUS(mediaedge_client_set_consent(client, MEDIAEDGE_CONSENT_OUT), MEDIAEDGE_OK);
    CHECK(events.failed == 1);
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\"}"), MEDIAEDGE_ERR_CONSENT_OUT);
    CHECK_STATUS(mediaedge_session_new_manual(client, START, &refused), MEDIAEDGE_ERR_CONSENT_OUT);
    CHECK(refused == NULL);
    CHECK(strcmp(mediaedge_status_str(MEDIAEDGE_ERR_CONSENT_OUT), "MEDIAEDGE_ERR_CONSENT_OUT") == 0);
    CHECK(strcmp(mediaedge_status_str(MEDIAEDGE_ERR_QUEUE_FULL), "MEDIAEDGE_ERR_QUEUE_FULL") == 0);
    mediaedge_session_free(session);
    CHECK(player.released == 1);

    /* Pending again, then free: what is held is reported as UNSENT before free returns. */
    CHECK_STATUS(mediaedge_client_set_consent(client, MEDIAEDGE_CONSENT_PENDING), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_automatic(client, "late", details_cb, &player, release_cb, START, &session),
                 MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\"}"), MEDIAEDGE_OK);
    mediaedge_client_free(client);
    CHECK(events.unsent == 1 && events.last_count == 2);
    CHECK(events.released == 1);
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\"}"), MEDIAEDGE_ERR_CLIENT_CLOSED);
    mediaedge_session_free(session);
    CHECK(player.released == 2);
}

/* native.storageDir: what a client could not send (consent pending) stays in the journal and
 * the next client on the directory sends it, then ends the session its player left. */
static void test_journal_replay(void) {
    char config[768];
    char dir[] = "/tmp/mediaedge-capi-XXXXXX";
    char path[256];
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    mediaedge_stats stats;
    counters player, events;
    memset(&player, 0, sizeof player);
    memset(&events, 0, sizeof events);
    reset_emulator();
    CHECK(mkdtemp(dir) != NULL);
    snprintf(config, sizeof config,
             "{\"datastreamId\":\"ds-c\",\"defaultConsent\":\"pending\",\"streamingMedia\":{\"channel\":\"c\","
             "\"playerName\":\"p\"},\"native\":{\"edgeBaseUrl\":\"%s\",\"storageDir\":\"%s\"}}",
             base_url, dir);
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1795824000000LL, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_set_event_callback(client, event_cb, &events, release_cb), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_automatic(client, "kept", details_cb, &player, release_cb, START, &session),
                 MEDIAEDGE_OK);
    player.playhead = 12;
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\"}"), MEDIAEDGE_OK);
    mediaedge_client_free(client);
    CHECK(events.unsent == 1 && events.last_count == 2);
    mediaedge_session_free(session);
    CHECK(count_action("sessionStart") == 0);

    /* The next client on the directory, consent in. */
    snprintf(config, sizeof config,
             "{\"datastreamId\":\"ds-c\",\"streamingMedia\":{\"channel\":\"c\",\"playerName\":\"p\"},"
             "\"native\":{\"edgeBaseUrl\":\"%s\",\"storageDir\":\"%s\"}}",
             base_url, dir);
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1795824000000LL, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_get_stats(client, &stats), MEDIAEDGE_OK);
    CHECK(stats.events_replayed == 2 && stats.events_sent == 3 && stats.journal_bytes_discarded == 0);
    CHECK(stats.events_not_journaled == 0 && stats.kept_for_restart == 0);
    CHECK(count_action("sessionStart") == 1 && count_action("play") == 1 && count_action("sessionEnd") == 1);
    mediaedge_client_free(client);
    snprintf(path, sizeof path, "%s/journal", dir);
    CHECK(unlink(path) == 0);
    snprintf(path, sizeof path, "%s/lock", dir);
    CHECK(unlink(path) == 0);
    CHECK(rmdir(dir) == 0);
}

/* A downloaded session through the C ABI: recorded, nothing sent while it plays, sent whole to
 * the emulator's downloaded endpoint once it completes, reported ENDED. */
static void test_downloaded_session(void) {
    char config[512];
    static char sessions[1 << 16];
    size_t needed = 0;
    char id[64];
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    mediaedge_stats stats;
    counters events;
    memset(&events, 0, sizeof events);
    reset_emulator();
    config_for(config, sizeof config, "");
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1795824000000LL, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_set_event_callback(client, event_cb, &events, release_cb), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_downloaded(client, START, &session), MEDIAEDGE_ERR_INVALID_EVENT);
    CHECK(strcmp(mediaedge_last_error_message(), "mediaCollection.playhead: required") == 0);
    CHECK_STATUS(mediaedge_session_new_downloaded(
                     client, "{\"mediaCollection\":{\"playhead\":0,\"sessionDetails\":{\"name\":\"d\",\"length\":9,\"contentType\":\"vod\"}}}",
                     &session),
                 MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_id(session, id, sizeof id, &needed), MEDIAEDGE_ERR_WRONG_STATE);
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\",\"mediaCollection\":{\"playhead\":0}}"),
                 MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\",\"mediaCollection\":{\"playhead\":1,\"sessionID\":\"s\"}}"),
                 MEDIAEDGE_ERR_INVALID_EVENT);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK(count_action("downloaded") == 0);
    CHECK_STATUS(mediaedge_session_send(session,
                                        "{\"eventType\":\"media.sessionComplete\",\"timestamp\":\"2026-11-28T00:00:09.000Z\","
                                        "\"mediaCollection\":{\"playhead\":9}}"),
                 MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK(count_action("downloaded") == 1);
    CHECK(events.ended == 1);
    CHECK_STATUS(mediaedge_client_get_stats(client, &stats), MEDIAEDGE_OK);
    CHECK(stats.downloaded_sessions_sent == 1 && stats.downloaded_sessions_refused == 0 && stats.events_sent == 3);
    CHECK(emulator_get("/__emulator/downloaded", sessions, sizeof sessions) != NULL);
    CHECK(strstr(sessions, "\"media.sessionComplete\"") != NULL);
    CHECK(strstr(sessions, "2026-11-28T00:00:09.000Z") != NULL);
    mediaedge_session_free(session);
    mediaedge_client_free(client);
}

/* A whole tracker scenario through the header, on a manual clock: chapter, play with pings,
 * a mid-roll of one ad, rule violations, metadata, QoE, complete. */
static void test_location_hint(void) {
    static char requests[1 << 16];
    char config[512], hint[MEDIAEDGE_MAX_LOCATION_HINT_BYTES + 1];
    size_t needed = 0;
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    counters player;
    memset(&player, 0, sizeof player);
    reset_emulator();
    config_for(config, sizeof config, "");
    CHECK_STATUS(mediaedge_client_new(config, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_location_hint(client, hint, sizeof hint, &needed), MEDIAEDGE_OK);
    CHECK(strcmp(hint, "") == 0 && needed == 1);
    CHECK_STATUS(mediaedge_client_set_location_hint(client, "va6"), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_location_hint(client, hint, sizeof hint, &needed), MEDIAEDGE_OK);
    CHECK(strcmp(hint, "va6") == 0 && needed == 4);
    CHECK_STATUS(mediaedge_client_location_hint(client, hint, 2, &needed), MEDIAEDGE_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(mediaedge_client_set_location_hint(client, "va6/.."), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mediaedge_last_error_message(), "hint") != NULL);
    CHECK_STATUS(mediaedge_session_new_automatic(client, "hinted", details_cb, &player, NULL, START, &session), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK(emulator_get("/__emulator/requests", requests, sizeof requests) != NULL);
    CHECK(strstr(requests, "\"path\":\"/ee/va6/va/v1/sessionStart\"") != NULL);
    /* The answer named a region: it replaced the caller's hint. NULL clears it. */
    CHECK_STATUS(mediaedge_client_location_hint(client, hint, sizeof hint, NULL), MEDIAEDGE_OK);
    CHECK(strcmp(hint, "or2") == 0);
    CHECK_STATUS(mediaedge_client_set_location_hint(client, NULL), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_location_hint(client, hint, sizeof hint, NULL), MEDIAEDGE_OK);
    CHECK(strcmp(hint, "") == 0);
    mediaedge_session_free(session);
    mediaedge_client_free(client);
}

static void test_tracker_scenario(void) {
    char config[512];
    char id[128];
    int second;
    mediaedge_client *client = NULL;
    mediaedge_tracker *tracker = NULL;
    mediaedge_media *media = NULL;
    mediaedge_metadata *metadata = NULL;
    mediaedge_chapter *chapter = NULL;
    mediaedge_ad_break *ad_break = NULL;
    mediaedge_ad *ad = NULL;
    mediaedge_qoe *qoe = NULL;
    mediaedge_state *state = NULL;
    counters events;
    memset(&events, 0, sizeof events);
    reset_emulator();
    config_for(config, sizeof config, "");
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1795824000000LL, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_set_event_callback(client, event_cb, &events, release_cb), MEDIAEDGE_OK);

    /* Objects are checked when made. */
    CHECK_STATUS(mediaedge_media_new("m-1", "Movie", 600, MEDIAEDGE_STREAM_TYPE_VOD, 7, &media), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_media_new(NULL, "Movie", 600, MEDIAEDGE_STREAM_TYPE_VOD, MEDIAEDGE_MEDIA_TYPE_VIDEO, &media),
                 MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_ad_break_new("mid", 0, 10, &ad_break), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mediaedge_last_error_message(), "position") != NULL);
    CHECK_STATUS(mediaedge_state_new("not ok!", &state), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_media_new("m-1", "Movie", 600, MEDIAEDGE_STREAM_TYPE_VOD, MEDIAEDGE_MEDIA_TYPE_VIDEO, &media),
                 MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_media_set_preroll_waiting_time(media, 0), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_metadata_new(&metadata), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_metadata_set(metadata, MEDIAEDGE_METADATA_SHOW, "C Show"), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_metadata_set(metadata, "bad key", "x"), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_chapter_new("Opening", 1, 0, 30, &chapter), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_ad_break_new("mid", 1, 10, &ad_break), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_ad_new("ad-1", "Spring sale", 1, 5, &ad), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_qoe_new(3000000, 800, 30, 0, &qoe), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_state_new(MEDIAEDGE_PLAYER_STATE_FULLSCREEN, &state), MEDIAEDGE_OK);

    CHECK_STATUS(mediaedge_tracker_new(client, "{\"adPingInterval\":20}", &tracker), MEDIAEDGE_ERR_INVALID_CONFIG);
    CHECK_STATUS(mediaedge_tracker_new(client, "{\"mainPingInterval\":10,\"channel\":\"c-tracker\"}", &tracker),
                 MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_play(tracker), MEDIAEDGE_ERR_RULE_VIOLATION);
    CHECK(strstr(mediaedge_last_error_message(), "track_session_start first") != NULL);
    CHECK(events.rejected == 1);
    CHECK_STATUS(mediaedge_tracker_track_session_start(tracker, NULL, metadata), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_tracker_track_session_start(tracker, media, metadata), MEDIAEDGE_OK);
    mediaedge_media_free(media); /* copied by the call */
    mediaedge_metadata_free(metadata);
    CHECK_STATUS(mediaedge_tracker_update_qoe(tracker, qoe), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_chapter_start(tracker, chapter, NULL), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_play(tracker), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_state_start(tracker, state), MEDIAEDGE_OK);
    for (second = 1; second <= 12; second++) {
        CHECK_STATUS(mediaedge_tracker_update_playhead(tracker, second), MEDIAEDGE_OK);
        CHECK_STATUS(mediaedge_client_advance_clock(client, 1000), MEDIAEDGE_OK);
    }
    CHECK_STATUS(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_AD_COMPLETE), MEDIAEDGE_ERR_RULE_VIOLATION);
    CHECK_STATUS(mediaedge_tracker_track_event(tracker, 99), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_tracker_track_ad_break_start(tracker, ad_break), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_ad_start(tracker, ad, NULL), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_advance_clock(client, 5000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_AD_COMPLETE), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_AD_BREAK_COMPLETE), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_event(tracker, MEDIAEDGE_EVENT_BITRATE_CHANGE), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_error(tracker, "net-1"), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_session_id(tracker, id, sizeof id, NULL), MEDIAEDGE_OK);
    CHECK(strlen(id) > 10);
    CHECK_STATUS(mediaedge_tracker_track_complete(tracker), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_session_id(tracker, id, sizeof id, NULL), MEDIAEDGE_ERR_NOT_READY);

    CHECK(count_action("sessionStart") == 1);
    CHECK(count_action("chapterStart") == 1);
    CHECK(count_action("play") == 4); /* play, content start, after adStart, after adBreakComplete */
    CHECK(count_action("ping") == 1); /* 10 s after content start */
    CHECK(count_action("statesUpdate") == 1);
    CHECK(count_action("adBreakStart") == 1 && count_action("adStart") == 1 && count_action("adComplete") == 1);
    CHECK(count_action("adBreakComplete") == 1 && count_action("bitrateChange") == 1 && count_action("error") == 1);
    CHECK(count_action("chapterSkip") == 1 && count_action("sessionComplete") == 1);
    CHECK(events.ended == 1);
    CHECK(events.rejected == 2);
    CHECK(strcmp(mediaedge_status_str(MEDIAEDGE_ERR_RULE_VIOLATION), "MEDIAEDGE_ERR_RULE_VIOLATION") == 0);

    mediaedge_tracker_free(tracker);
    mediaedge_tracker_free(NULL);
    mediaedge_chapter_free(chapter);
    mediaedge_ad_break_free(ad_break);
    mediaedge_ad_free(ad);
    mediaedge_qoe_free(qoe);
    mediaedge_state_free(state);
    mediaedge_state_free(NULL);
    mediaedge_client_free(client);
    CHECK(events.released == 1);
}

int main(int argc, char **argv) {
    if (argc != 2 || !parse_base_url(argv[1])) {
        fprintf(stderr, "usage: %s http://127.0.0.1:PORT\n", argv[0]);
        return 2;
    }

    test_version_and_status_names();
    test_null_arguments();
    test_config_errors_name_the_path();
    test_automatic_session_with_pings();
    test_manual_session();
    test_consent_stats_and_unsent_on_free();
    test_journal_replay();
    test_downloaded_session();
    test_tracker_scenario();
    test_location_hint();

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
