/*
 * Misuse of the C ABI: NULL for every pointer argument of every function (the matrix generated
 * from the header by gen_null_matrix.py), calls after a session ended, double ends, a client
 * freed under live sessions and trackers, player-details callbacks that call back into the
 * library, block for seconds or free their own session, strings over the documented limits,
 * and thousands of create/free cycles with no thread left behind. Every call must return a
 * documented status or work; none may crash, leak or hang (make test runs this file plain,
 * under valgrind and under AddressSanitizer + UBSan).
 *
 * usage: test_misuse EDGE_BASE_URL [CYCLES]
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <pthread.h>
#include <time.h>

#include "common.h"

static const char *MANUAL_START =
    "{\"mediaCollection\":{\"playhead\":0,\"sessionDetails\":{\"name\":\"m\",\"length\":60,\"contentType\":\"VOD\"}}}";
static const char *PLAY = "{\"eventType\":\"media.play\",\"mediaCollection\":{}}";
static const char *PAUSE = "{\"eventType\":\"media.pauseStart\",\"mediaCollection\":{}}";
static const char *END = "{\"eventType\":\"media.sessionEnd\",\"mediaCollection\":{}}";
static const char *COMPLETE = "{\"eventType\":\"media.sessionComplete\",\"mediaCollection\":{}}";
#define FIXTURE_PLAYER "fixture-player"
#define MAIN_PING_MS 10000

static int released_count = 0;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* Threads of this process, from /proc/self/task. */
static int thread_count(void) {
    int count = 0;
    struct dirent *entry;
    DIR *dir = opendir("/proc/self/task");
    if (dir == NULL) return -1;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] != '.') count++;
    }
    closedir(dir);
    return count;
}

/* Prints the name of every thread of the process (to tell which one a count check found). */
static void print_threads(void) {
    struct dirent *entry;
    DIR *dir = opendir("/proc/self/task");
    if (dir == NULL) return;
    while ((entry = readdir(dir)) != NULL) {
        char path[300], name[64] = "?";
        FILE *comm;
        if (entry->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", entry->d_name);
        comm = fopen(path, "r");
        if (comm != NULL) {
            if (fgets(name, sizeof name, comm) != NULL) name[strcspn(name, "\n")] = '\0';
            fclose(comm);
        }
        fprintf(stderr, "  thread %s: %s\n", entry->d_name, name);
    }
    closedir(dir);
}

/* Waits up to 5 s for the thread count to come back to `expected`: a thread that has counted
 * itself out may still be leaving the kernel's list, slowly on a loaded machine. On a mismatch
 * the threads still there are listed. */
/* The process's threads before any client: main's alone. */
static int baseline_threads;

static int settle_threads(int expected) {
    int n = thread_count();
    for (int i = 0; i < 500 && n != expected; i++) {
        sleep_ms(10);
        n = thread_count();
    }
    if (n != expected) {
        fprintf(stderr, "%d threads, expected %d:\n", n, expected);
        print_threads();
    }
    return n;
}

static void count_release(void *user_data) {
    (void)user_data;
    __atomic_add_fetch(&released_count, 1, __ATOMIC_SEQ_CST);
}

static void details_cb(void *user_data, mediaedge_player_details *details) {
    (void)user_data;
    details->playhead += 1.0;
}

static void event_cb(void *user_data, const mediaedge_session_event *event) {
    (void)user_data;
    (void)event;
}

static void log_cb(void *user_data, mediaedge_log_level level, const char *message) {
    (void)user_data;
    (void)level;
    (void)message;
}

/* ---- The NULL matrix ---------------------------------------------------------------------- */

struct fixture {
    char config[512];
    mediaedge_client *client;
    mediaedge_session *session;
    mediaedge_tracker *tracker;
    mediaedge_media *media;
    mediaedge_ad_break *ad_break;
    mediaedge_ad *ad;
    mediaedge_chapter *chapter;
    mediaedge_qoe *qoe;
    mediaedge_state *state;
    mediaedge_metadata *metadata;
};

static int null_cases = 0;

static const char *fresh_player_id(void) {
    static char id[32];
    static int n = 0;
    snprintf(id, sizeof id, "null-case-%d", ++n);
    return id;
}

/* `got` is the status, or -1 for a function returning nothing. A required pointer must be
 * refused with INVALID_ARGUMENT and a message naming it; an optional one must not be refused
 * as a NULL argument. */
static void null_case_done(const char *function, const char *param, int got, int optional) {
    char prefix[64];
    const char *message = mediaedge_last_error_message();
    null_cases++;
    checks++;
    snprintf(prefix, sizeof prefix, "%s: must not be NULL", param);
    if (got == -1) return; /* the call returned: *_free(NULL) is a no-op */
    if (optional) {
        if (got == MEDIAEDGE_ERR_INVALID_ARGUMENT && strncmp(message, prefix, strlen(prefix)) == 0) {
            failures++;
            fprintf(stderr, "%s: optional %s = NULL was refused: %s\n", function, param, message);
        }
    } else if (got != MEDIAEDGE_ERR_INVALID_ARGUMENT || strncmp(message, prefix, strlen(prefix)) != 0) {
        failures++;
        fprintf(stderr, "%s: %s = NULL returned %s (%s), expected MEDIAEDGE_ERR_INVALID_ARGUMENT naming it\n",
                function, param, mediaedge_status_str(got), message);
    }
}

/* A registration that failed must have released its user_data, exactly once, before returning. */
static void null_case_released(const char *function, int before, int after) {
    checks++;
    if (after != before + 1) {
        failures++;
        fprintf(stderr, "%s: refused, but user_data_free ran %d times (expected once)\n", function, after - before);
    }
}

static void null_cases_expected(int generated) {
    CHECK(null_cases == generated);
    CHECK(generated > 100); /* the header has ~60 functions; a parse failure would show here */
}

#include "null_matrix.inc"

static void test_null_matrix(void) {
    struct fixture fx;
    memset(&fx, 0, sizeof fx);
    config_for(fx.config, sizeof fx.config, "");
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(fx.config, 1700000000000LL, &fx.client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_automatic(fx.client, FIXTURE_PLAYER, details_cb, NULL, NULL, START, &fx.session),
                 MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_new(fx.client, NULL, &fx.tracker), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_media_new("m-1", "Movie", 60.0, MEDIAEDGE_STREAM_TYPE_VOD, MEDIAEDGE_MEDIA_TYPE_VIDEO, &fx.media),
                 MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_ad_break_new("pre", 1, 0.0, &fx.ad_break), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_ad_new("ad-1", "Ad", 1, 15.0, &fx.ad), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_chapter_new("ch-1", 1, 0.0, 30.0, &fx.chapter), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_qoe_new(1.0, 1.0, 1.0, 0.0, &fx.qoe), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_state_new("fullscreen", &fx.state), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_metadata_new(&fx.metadata), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(fx.client, 5000), MEDIAEDGE_OK);

    run_null_matrix(&fx);

    mediaedge_metadata_free(fx.metadata);
    mediaedge_state_free(fx.state);
    mediaedge_qoe_free(fx.qoe);
    mediaedge_chapter_free(fx.chapter);
    mediaedge_ad_free(fx.ad);
    mediaedge_ad_break_free(fx.ad_break);
    mediaedge_media_free(fx.media);
    mediaedge_tracker_free(fx.tracker);
    mediaedge_session_free(fx.session);
    mediaedge_client_free(fx.client);
    printf("NULL matrix: %d cases\n", null_cases);
}

/* ---- After the end -------------------------------------------------------------------------- */

static void test_calls_after_end_and_double_end(void) {
    char config[512];
    char id[128];
    mediaedge_client *client = NULL;
    mediaedge_session *automatic = NULL, *manual = NULL;
    mediaedge_session_phase phase;
    mediaedge_tracker *tracker = NULL;
    mediaedge_media *media = NULL;
    char manual_play[256];

    config_for(config, sizeof config, "");
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1700000000000LL, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_automatic(client, "after-end", details_cb, NULL, NULL, START, &automatic), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(automatic, PLAY), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(automatic, END), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(automatic, PLAY), MEDIAEDGE_ERR_SESSION_ENDED);
    CHECK_STATUS(mediaedge_session_send(automatic, END), MEDIAEDGE_ERR_SESSION_ENDED);
    CHECK_STATUS(mediaedge_session_send(automatic, COMPLETE), MEDIAEDGE_ERR_SESSION_ENDED);
    /* The player id is free again once the session ended: the client-level send no longer finds it. */
    CHECK_STATUS(mediaedge_client_send_event(client, "after-end", PLAY), MEDIAEDGE_ERR_UNKNOWN_PLAYER);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_get_phase(automatic, &phase), MEDIAEDGE_OK);
    CHECK(phase == MEDIAEDGE_PHASE_ENDED);
    CHECK_STATUS(mediaedge_session_id(automatic, id, sizeof id, NULL), MEDIAEDGE_OK);
    /* No pings for an ended session, however long the clock runs. */
    CHECK_STATUS(mediaedge_client_advance_clock(client, 5 * MAIN_PING_MS), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);
    CHECK(count_action("ping") == 0);
    mediaedge_session_free(automatic);

    CHECK_STATUS(mediaedge_session_new_manual(client, MANUAL_START, &manual), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_wait_id(manual, 5000, id, sizeof id, NULL), MEDIAEDGE_OK);
    snprintf(manual_play, sizeof manual_play,
             "{\"eventType\":\"media.sessionComplete\",\"mediaCollection\":{\"playhead\":60,\"sessionID\":\"%s\"}}", id);
    CHECK_STATUS(mediaedge_session_send(manual, manual_play), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(manual, manual_play), MEDIAEDGE_ERR_SESSION_ENDED);
    mediaedge_session_free(manual);
    mediaedge_session_free(NULL);

    CHECK_STATUS(mediaedge_tracker_new(client, NULL, &tracker), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_media_new("m-2", "Movie", 60.0, MEDIAEDGE_STREAM_TYPE_VOD, MEDIAEDGE_MEDIA_TYPE_VIDEO, &media), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_session_end(tracker), MEDIAEDGE_ERR_RULE_VIOLATION);
    CHECK_STATUS(mediaedge_tracker_track_session_start(tracker, media, NULL), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_play(tracker), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_session_end(tracker), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_session_end(tracker), MEDIAEDGE_ERR_RULE_VIOLATION);
    CHECK(strstr(mediaedge_last_error_message(), "track_session_start first") != NULL);
    CHECK_STATUS(mediaedge_tracker_track_complete(tracker), MEDIAEDGE_ERR_RULE_VIOLATION);
    CHECK_STATUS(mediaedge_tracker_track_play(tracker), MEDIAEDGE_ERR_RULE_VIOLATION);
    CHECK_STATUS(mediaedge_tracker_update_playhead(tracker, 3.0), MEDIAEDGE_ERR_RULE_VIOLATION);
    /* A new session on the same tracker is fine after the end. */
    CHECK_STATUS(mediaedge_tracker_track_session_start(tracker, media, NULL), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_complete(tracker), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_complete(tracker), MEDIAEDGE_ERR_RULE_VIOLATION);
    mediaedge_media_free(media);
    mediaedge_tracker_free(tracker);
    mediaedge_client_free(client);
}

/* ---- A client freed under its sessions --------------------------------------------------------- */

static void test_free_client_with_live_sessions(void) {
    char config[512];
    char id[128];
    mediaedge_client *client = NULL;
    mediaedge_session *automatic = NULL, *manual = NULL;
    mediaedge_tracker *tracker = NULL;
    mediaedge_media *media = NULL;
    mediaedge_session_phase phase;
    int released_before = released_count;
    /* A thread of the previous test's client may still be leaving the kernel's list (it has
       been joined, but /proc/self/task can show it for a moment): start from the baseline. */
    int threads_before = settle_threads(baseline_threads);
    int ends_before;

    config_for(config, sizeof config, "");
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1700000000000LL, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_automatic(client, "orphan", details_cb, NULL, count_release, START, &automatic), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_manual(client, MANUAL_START, &manual), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_new(client, NULL, &tracker), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_media_new("m-3", "Movie", 60.0, MEDIAEDGE_STREAM_TYPE_VOD, MEDIAEDGE_MEDIA_TYPE_VIDEO, &media), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_session_start(tracker, media, NULL), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(automatic, PLAY), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(client, 5000), MEDIAEDGE_OK);

    ends_before = count_action("sessionEnd");
    mediaedge_client_free(client);
    CHECK(settle_threads(threads_before) == threads_before);
    /* The sessions left open were ended by the free: the automatic, the manual, the tracker's. */
    CHECK(count_action("sessionEnd") == ends_before + 3);

    /* Every handle still answers, with CLIENT_CLOSED where the call needs the client. */
    CHECK_STATUS(mediaedge_session_send(automatic, PAUSE), MEDIAEDGE_ERR_CLIENT_CLOSED);
    CHECK_STATUS(mediaedge_session_send(manual, PLAY), MEDIAEDGE_ERR_CLIENT_CLOSED);
    CHECK_STATUS(mediaedge_session_id(automatic, id, sizeof id, NULL), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_wait_id(manual, 100, id, sizeof id, NULL), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_get_phase(automatic, &phase), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_tracker_track_play(tracker), MEDIAEDGE_ERR_CLIENT_CLOSED);
    CHECK_STATUS(mediaedge_tracker_track_session_end(tracker), MEDIAEDGE_ERR_CLIENT_CLOSED);
    mediaedge_session_free(automatic);
    mediaedge_session_free(manual);
    mediaedge_tracker_free(tracker);
    mediaedge_media_free(media);
    CHECK(released_count == released_before + 1);
}

/* ---- Player-details callbacks that misbehave ----------------------------------------------- */

struct reentrant {
    mediaedge_client *client;
    mediaedge_session *self;
    int depth;
    int calls;
    int inner_sends_ok;
    int other_sessions_ok;
    pthread_t blocker_thread;
    int block_ms;
    int blocked;
    int free_self;
};

static void reentrant_details(void *user_data, mediaedge_player_details *details) {
    struct reentrant *r = (struct reentrant *)user_data;
    __atomic_add_fetch(&r->calls, 1, __ATOMIC_SEQ_CST);
    details->playhead = 5.0;
    if (r->block_ms > 0 && !pthread_equal(pthread_self(), r->blocker_thread)) {
        /* Called on the scheduler thread for a ping: hold it. */
        __atomic_store_n(&r->blocked, 1, __ATOMIC_SEQ_CST);
        sleep_ms(r->block_ms);
        __atomic_store_n(&r->blocked, 0, __ATOMIC_SEQ_CST);
        return;
    }
    if (r->free_self && r->self != NULL && !pthread_equal(pthread_self(), r->blocker_thread)) {
        mediaedge_session *self = r->self;
        r->self = NULL;
        mediaedge_session_free(self);
        return;
    }
    if (r->self != NULL && r->depth == 0) {
        mediaedge_session *other = NULL;
        char player[32];
        r->depth++;
        /* An event on its own session from inside the callback (which calls it once more). */
        if (mediaedge_session_send(r->self, PAUSE) == MEDIAEDGE_OK) r->inner_sends_ok++;
        /* Another session made and freed from inside the callback. */
        snprintf(player, sizeof player, "inner-%d", r->calls);
        if (mediaedge_session_new_automatic(r->client, player, details_cb, NULL, NULL, START, &other) == MEDIAEDGE_OK &&
            mediaedge_session_send(other, PLAY) == MEDIAEDGE_OK) {
            r->other_sessions_ok++;
        }
        mediaedge_session_free(other);
        /* Advancing the clock from a ping's callback is refused, not a deadlock. */
        if (!pthread_equal(pthread_self(), r->blocker_thread) &&
            mediaedge_client_advance_clock(r->client, 1) != MEDIAEDGE_ERR_WRONG_STATE) {
            r->other_sessions_ok = -1000;
        }
        r->depth--;
    }
}

static void test_reentrant_details_callback(void) {
    char config[512];
    struct reentrant r;
    memset(&r, 0, sizeof r);
    r.blocker_thread = pthread_self();
    config_for(config, sizeof config, "");
    reset_emulator();
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1700000000000LL, &r.client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_automatic(r.client, "reentrant", reentrant_details, &r, NULL, START, &r.self), MEDIAEDGE_OK);
    /* Pings start one interval after the backend's answer to sessionStart. */
    CHECK_STATUS(mediaedge_session_wait_id(r.self, 5000, NULL, 0, NULL), MEDIAEDGE_ERR_BUFFER_TOO_SMALL);
    /* On the caller's thread: the send's own details call re-enters. */
    CHECK_STATUS(mediaedge_session_send(r.self, PLAY), MEDIAEDGE_OK);
    CHECK(r.inner_sends_ok >= 1);
    CHECK(r.other_sessions_ok >= 1);
    /* On the scheduler thread: a ping's details call re-enters (one ping interval, one ping). */
    r.blocker_thread = pthread_self(); /* not blocking; marks the caller's thread */
    {
        int sends_before = r.inner_sends_ok;
        CHECK_STATUS(mediaedge_client_advance_clock(r.client, MAIN_PING_MS), MEDIAEDGE_OK);
        CHECK(r.inner_sends_ok > sends_before);
    }
    CHECK_STATUS(mediaedge_session_send(r.self, END), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(r.client, 5000), MEDIAEDGE_OK);
    /* Everything the callback sent went out: the sessions it made, and its own pauses. */
    CHECK(count_action("sessionStart") == 1 + r.other_sessions_ok);
    CHECK(count_action("pauseStart") == r.inner_sends_ok);
    mediaedge_session_free(r.self);
    mediaedge_client_free(r.client);
}

struct advance_args {
    mediaedge_client *client;
    mediaedge_status status;
};

static void *advance_thread(void *arg) {
    struct advance_args *a = (struct advance_args *)arg;
    a->status = mediaedge_client_advance_clock(a->client, MAIN_PING_MS);
    return NULL;
}

static void test_blocking_details_callback(void) {
    char config[512];
    struct reentrant slow;
    struct advance_args args;
    pthread_t thread;
    mediaedge_session *other = NULL, *late = NULL;
    double t0, send_ms, start_ms;
    memset(&slow, 0, sizeof slow);
    config_for(config, sizeof config, "");
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1700000000000LL, &slow.client), MEDIAEDGE_OK);
    slow.blocker_thread = pthread_self();
    slow.block_ms = 2000;
    slow.depth = 1; /* no re-entrant calls from this callback */
    CHECK_STATUS(mediaedge_session_new_automatic(slow.client, "slow", reentrant_details, &slow, NULL, START, &slow.self), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_automatic(slow.client, "other", details_cb, NULL, NULL, START, &other), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_client_flush(slow.client, 5000), MEDIAEDGE_OK);

    args.client = slow.client;
    args.status = MEDIAEDGE_ERR_INTERNAL;
    CHECK(pthread_create(&thread, NULL, advance_thread, &args) == 0);
    for (int i = 0; i < 500 && !__atomic_load_n(&slow.blocked, __ATOMIC_SEQ_CST); i++) sleep_ms(2);
    CHECK(__atomic_load_n(&slow.blocked, __ATOMIC_SEQ_CST) == 1);
    /* The player's own calls do not wait for the blocked ping. */
    t0 = now_ms();
    CHECK_STATUS(mediaedge_session_send(other, PLAY), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_send(slow.self, PLAY), MEDIAEDGE_OK);
    send_ms = now_ms() - t0;
    t0 = now_ms();
    CHECK_STATUS(mediaedge_session_new_automatic(slow.client, "late", details_cb, NULL, NULL, START, &late), MEDIAEDGE_OK);
    mediaedge_session_free(late);
    start_ms = now_ms() - t0;
    /* Still blocked while we did all that: what proves the calls did not wait for it (the times
     * are printed, not asserted, so a loaded machine cannot fail this). */
    CHECK(__atomic_load_n(&slow.blocked, __ATOMIC_SEQ_CST) == 1);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(args.status == MEDIAEDGE_OK);
    mediaedge_session_free(other);
    mediaedge_session_free(slow.self);
    mediaedge_client_free(slow.client);
    printf("blocked ping callback (2 s): sends took %.2f ms, a session start+free %.2f ms\n", send_ms, start_ms);
}

static void test_details_callback_frees_its_session(void) {
    char config[512];
    struct reentrant r;
    int released_before = released_count;
    memset(&r, 0, sizeof r);
    config_for(config, sizeof config, "");
    reset_emulator();
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1700000000000LL, &r.client), MEDIAEDGE_OK);
    r.blocker_thread = pthread_self();
    CHECK_STATUS(mediaedge_session_new_automatic(r.client, "self-free", reentrant_details, &r, count_release, START, &r.self),
                 MEDIAEDGE_OK);
    r.depth = 1; /* no re-entrant sends this time */
    CHECK_STATUS(mediaedge_session_wait_id(r.self, 5000, NULL, 0, NULL), MEDIAEDGE_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(mediaedge_session_send(r.self, PLAY), MEDIAEDGE_OK);
    r.free_self = 1;
    /* The first ping's callback frees the session; the library ends it and stops its pings. */
    CHECK_STATUS(mediaedge_client_advance_clock(r.client, 3 * MAIN_PING_MS), MEDIAEDGE_OK);
    CHECK(r.self == NULL);
    CHECK_STATUS(mediaedge_client_flush(r.client, 5000), MEDIAEDGE_OK);
    CHECK(released_count == released_before + 1);
    CHECK(count_action("sessionEnd") == 1);
    CHECK(count_action("ping") <= 1);
    mediaedge_client_free(r.client);
}

/* ---- Limits ---------------------------------------------------------------------------------- */

static void test_oversized_and_malformed_strings(void) {
    char config[512];
    mediaedge_client *client = NULL;
    mediaedge_session *session = NULL;
    mediaedge_metadata *metadata = NULL;
    size_t huge_len = (size_t)64 * 1024 * 1024;
    char *huge = malloc(huge_len + 1);
    char *at_limit;
    const char *shell = "{\"eventType\":\"media.play\",\"mediaCollection\":{\"customMetadata\":{\"k\":\"\"}}}";
    size_t shell_len = strlen(shell);

    CHECK(huge != NULL);
    if (huge == NULL) return;
    memset(huge, 'x', huge_len);
    huge[huge_len] = '\0';
    config_for(config, sizeof config, "");
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1700000000000LL, &client), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_session_new_automatic(client, "limits", details_cb, NULL, NULL, START, &session), MEDIAEDGE_OK);

    /* 64 MiB strings are refused after reading limit + 1 bytes, with the limit in the message. */
    CHECK_STATUS(mediaedge_session_send(session, huge), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mediaedge_last_error_message(), "xdm_json: longer than the limit of 65536 bytes") != NULL);
    CHECK_STATUS(mediaedge_client_new(huge, &client), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_session_new_automatic(client, huge, details_cb, NULL, NULL, START, &session),
                 MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mediaedge_last_error_message(), "player_id") != NULL);
    CHECK_STATUS(mediaedge_metadata_new(&metadata), MEDIAEDGE_OK);
    CHECK_STATUS(mediaedge_metadata_set(metadata, "k", huge), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mediaedge_metadata_set(metadata, huge, "v"), MEDIAEDGE_ERR_INVALID_ARGUMENT);

    /* Exactly at the limit: parsed and sent like any event. */
    at_limit = malloc(MEDIAEDGE_MAX_XDM_BYTES + 1);
    CHECK(at_limit != NULL);
    if (at_limit != NULL) {
        size_t fill = MEDIAEDGE_MAX_XDM_BYTES - shell_len;
        size_t head = shell_len - 4; /* up to and with the value's opening quote: ...{"k":" */
        memcpy(at_limit, shell, head);
        memset(at_limit + head, 'v', fill);
        memcpy(at_limit + head + fill, shell + head, 4);
        at_limit[MEDIAEDGE_MAX_XDM_BYTES] = '\0';
        CHECK(strlen(at_limit) == MEDIAEDGE_MAX_XDM_BYTES);
        CHECK_STATUS(mediaedge_session_send(session, at_limit), MEDIAEDGE_OK);
        free(at_limit);
    }
    /* Not UTF-8, and JSON nested past the depth limit. */
    CHECK_STATUS(mediaedge_session_send(session, "{\"eventType\":\"media.play\",\"x\":\"\xff\xfe\"}"), MEDIAEDGE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mediaedge_last_error_message(), "UTF-8") != NULL);
    {
        char deep[600];
        size_t n = 0;
        n += (size_t)snprintf(deep, sizeof deep, "{\"eventType\":\"media.play\",\"x\":");
        for (int i = 0; i < 200; i++) deep[n++] = '[';
        for (int i = 0; i < 200 && n + 2 < sizeof deep; i++) deep[n++] = ']';
        deep[n++] = '}';
        deep[n] = '\0';
        CHECK_STATUS(mediaedge_session_send(session, deep), MEDIAEDGE_ERR_INVALID_EVENT);
        CHECK(strstr(mediaedge_last_error_message(), "recursion limit") != NULL);
    }
    mediaedge_metadata_free(metadata);
    mediaedge_session_free(session);
    mediaedge_client_free(client);
    free(huge);
}

/* ---- Cycles ---------------------------------------------------------------------------------- */

static void test_create_free_cycles(int cycles) {
    char config[512];
    /* A thread of the previous test's client may still be leaving the kernel's list (it has
       been joined, but /proc/self/task can show it for a moment): start from the baseline. */
    int threads_before = settle_threads(baseline_threads);
    int released_before = released_count;
    int failed = 0;
    mediaedge_client *client = NULL;
    double t0 = now_ms();

    config_for(config, sizeof config, "");
    /* Clients: each starts and stops its scheduler and delivery threads. */
    for (int i = 0; i < cycles; i++) {
        mediaedge_session *session = NULL;
        if (mediaedge_client_new(config, &client) != MEDIAEDGE_OK) failed++;
        if (i % 10 == 0 &&
            mediaedge_session_new_automatic(client, "cycle", details_cb, NULL, count_release, START, &session) != MEDIAEDGE_OK) {
            failed++;
        }
        mediaedge_session_free(session);
        mediaedge_client_free(client);
    }
    CHECK(failed == 0);
    CHECK(released_count == released_before + (cycles + 9) / 10);
    CHECK(settle_threads(threads_before) == threads_before);
    printf("%d client create/free cycles: %.0f ms, threads %d before and %d after\n", cycles, now_ms() - t0,
           threads_before, thread_count());

    /* Sessions and trackers on one client (manual clock, so nothing runs on its own). */
    t0 = now_ms();
    CHECK_STATUS(mediaedge_client_new_with_manual_clock(config, 1700000000000LL, &client), MEDIAEDGE_OK);
    released_before = released_count;
    for (int i = 0; i < cycles * 5; i++) {
        mediaedge_session *session = NULL;
        mediaedge_tracker *tracker = NULL;
        mediaedge_media *media = NULL;
        mediaedge_metadata *metadata = NULL;
        if (mediaedge_session_new_automatic(client, "s", details_cb, NULL, count_release, START, &session) != MEDIAEDGE_OK) failed++;
        mediaedge_session_free(session);
        if (i % 5 == 0) {
            if (mediaedge_tracker_new(client, NULL, &tracker) != MEDIAEDGE_OK ||
                mediaedge_media_new("m", "n", 10.0, MEDIAEDGE_STREAM_TYPE_VOD, MEDIAEDGE_MEDIA_TYPE_VIDEO, &media) != MEDIAEDGE_OK ||
                mediaedge_metadata_new(&metadata) != MEDIAEDGE_OK || mediaedge_metadata_set(metadata, "k", "v") != MEDIAEDGE_OK ||
                mediaedge_tracker_track_session_start(tracker, media, metadata) != MEDIAEDGE_OK) {
                failed++;
            }
            mediaedge_metadata_free(metadata);
            mediaedge_media_free(media);
            mediaedge_tracker_free(tracker); /* ends its open session */
        }
        if (i % 500 == 0) mediaedge_client_flush(client, 10000);
    }
    CHECK(failed == 0);
    CHECK(released_count == released_before + cycles * 5);
    CHECK_STATUS(mediaedge_client_flush(client, 30000), MEDIAEDGE_OK);
    {
        mediaedge_stats stats;
        CHECK_STATUS(mediaedge_client_get_stats(client, &stats), MEDIAEDGE_OK);
        CHECK(stats.sessions_active == 0);
        CHECK(stats.sessions_started == (uint64_t)(cycles * 5 + cycles));
    }
    mediaedge_client_free(client);
    CHECK(settle_threads(threads_before) == threads_before);
    printf("%d session and %d tracker create/free cycles: %.0f ms\n", cycles * 5, cycles, now_ms() - t0);
}

int main(int argc, char **argv) {
    int cycles = argc > 2 ? atoi(argv[2]) : 1000;
    if (argc < 2 || !parse_base_url(argv[1]) || cycles < 1) {
        fprintf(stderr, "usage: %s http://127.0.0.1:PORT [CYCLES]\n", argv[0]);
        return 2;
    }
    baseline_threads = thread_count();
    test_null_matrix();
    test_calls_after_end_and_double_end();
    test_free_client_with_live_sessions();
    test_reentrant_details_callback();
    test_blocking_details_callback();
    test_details_callback_frees_its_session();
    test_oversized_and_malformed_strings();
    test_create_free_cycles(cycles);

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
