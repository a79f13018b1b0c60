// The C++ wrapper (include/mediaedge.hpp) end to end against the emulator: RAII owners, errors
// as exceptions and the non-throwing variants, std::function callbacks and their lifetime,
// sessions and the tracker. Built with -Wall -Wextra -Werror, and again with ASan and UBSan.
//
// usage: test_cpp EDGE_BASE_URL
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mediaedge.hpp"

using namespace std::chrono_literals;

static int checks = 0, failures = 0;
#define CHECK(cond)                                                                          \
    do {                                                                                     \
        ++checks;                                                                            \
        if (!(cond)) {                                                                       \
            ++failures;                                                                      \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                                    \
    } while (0)

static std::string base_url;

// Sends one request to the emulator's control endpoints and returns the whole answer.
static std::string emulator(const std::string &request) {
    const char *colon = std::strrchr(base_url.c_str(), ':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<unsigned short>(std::atoi(colon + 1)));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    std::string out;
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0) {
        if (write(fd, request.data(), request.size()) > 0) {
            char buf[4096];
            ssize_t n;
            while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
        }
    }
    if (fd >= 0) close(fd);
    return out;
}

// What the emulator received since the last reset, one line per request.
static std::string timeline() {
    return emulator("GET /__emulator/timeline HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

static void reset_emulator() {
    emulator("POST /__emulator/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

static int count(const std::string &text, const std::string &action) {
    int n = 0;
    std::string needle = "  " + action + " ";
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

static std::string config(const std::string &streaming_extra = "") {
    return R"({"datastreamId":"ds-cpp","streamingMedia":{"channel":"cpp","playerName":"cpp-player")" + streaming_extra +
           R"(},"native":{"edgeBaseUrl":")" + base_url + R"("}})";
}

static const char *START = R"({"mediaCollection":{"sessionDetails":{"name":"cpp","length":60,"contentType":"VOD"}}})";

static void errors_are_exceptions_with_status_and_message() {
    try {
        mediaedge::Client bad(R"({"datastreamId":"d"})");
        CHECK(false);
    } catch (const mediaedge::Error &e) {
        CHECK(e.status() == MEDIAEDGE_ERR_INVALID_CONFIG);
        CHECK(std::string(e.what()) == "streamingMedia: required");
    }
    try {
        mediaedge::Media media("", "name", 10);
        CHECK(false);
    } catch (const mediaedge::Error &e) {
        CHECK(e.status() == MEDIAEDGE_ERR_INVALID_ARGUMENT);
    }
}

static void location_hint_set_read_and_cleared() {
    mediaedge::Client client(config());
    CHECK(!client.location_hint());
    client.set_location_hint(std::string("va6"));
    CHECK(client.location_hint() == std::optional<std::string>("va6"));
    try {
        client.set_location_hint(std::string("va6/.."));
        CHECK(false);
    } catch (const mediaedge::Error &e) {
        CHECK(e.status() == MEDIAEDGE_ERR_INVALID_ARGUMENT);
    }
    client.set_location_hint(std::nullopt);
    CHECK(!client.location_hint());
}

static void automatic_session_with_callbacks_and_raii() {
    reset_emulator();
    auto client = mediaedge::Client::with_manual_clock(config(), 1795824000000LL);
    std::mutex lock;
    std::vector<mediaedge::SessionEvent> events;
    auto alive = std::make_shared<int>(0);
    std::weak_ptr<int> watch = alive;
    client.on_session_event([&events, &lock, alive](const mediaedge::SessionEvent &e) {
        std::lock_guard<std::mutex> guard(lock);
        events.push_back(e);
    });
    alive.reset();
    CHECK(!watch.expired()); // the library holds the callback (and what it captured)

    std::atomic<double> playhead{0};
    std::atomic<int> asked{0};
    {
        auto session = client.start_automatic(
            "cpp-player",
            [&]() {
                ++asked;
                mediaedge::PlayerDetails d;
                d.playhead = playhead.load();
                d.bitrate = 1200000;
                return d;
            },
            START);
        playhead = 4.6;
        session.send(R"({"eventType":"media.play"})");
        CHECK(session.try_send(R"({"eventType":"media.chapterStart"})") == MEDIAEDGE_ERR_INVALID_EVENT);
        client.flush(5s);
        CHECK(session.wait_id(1s).size() > 10);
        CHECK(session.phase() == MEDIAEDGE_PHASE_ACTIVE);
        client.advance_clock(10s);
        client.flush(5s);
        CHECK(asked.load() == 3); // start, play, one ping
        try {
            client.start_automatic("cpp-player", [] { return mediaedge::PlayerDetails{}; }, START);
            CHECK(false);
        } catch (const mediaedge::Error &e) {
            CHECK(e.status() == MEDIAEDGE_ERR_PLAYER_ID_IN_USE);
        }
    } // the session's destructor ends it
    client.flush(5s);
    mediaedge_stats stats = client.stats();
    CHECK(stats.events_sent == 4 && stats.events_pending == 0);
    {
        std::lock_guard<std::mutex> guard(lock);
        CHECK(events.size() == 2);
        CHECK(events.front().kind == MEDIAEDGE_SESSION_STARTED && events.back().kind == MEDIAEDGE_SESSION_ENDED);
        CHECK(events.front().player_id == "cpp-player");
    }
    std::string sent = timeline();
    CHECK(count(sent, "sessionStart") == 1 && count(sent, "play") == 1 && count(sent, "ping") == 1 && count(sent, "sessionEnd") == 1);
    client.on_session_event(nullptr);
    CHECK(watch.expired()); // replaced: released, and what it captured with it
}

static void manual_session_and_moves() {
    mediaedge::Client client(config());
    mediaedge::Session session = client.start_manual(R"({"mediaCollection":{"playhead":0,"sessionDetails":{"name":"m","length":5,"contentType":"VOD"}}})");
    mediaedge::Session moved = std::move(session);
    CHECK(session.get() == nullptr && moved.get() != nullptr);
    std::string id = moved.wait_id(5s);
    moved.send(R"({"eventType":"media.sessionComplete","mediaCollection":{"playhead":5,"sessionID":")" + id + R"("}})");
    client.flush(5s);
    CHECK(moved.phase() == MEDIAEDGE_PHASE_ENDED);
    CHECK(moved.try_send(R"({"eventType":"media.play"})") == MEDIAEDGE_ERR_SESSION_ENDED);
}

// Offline playback: a downloaded session and a downloaded-content tracker, each sent whole to
// the downloaded endpoint once it ends, nothing before.
static void downloaded_session_and_tracker() {
    reset_emulator();
    auto client = mediaedge::Client::with_manual_clock(config(), 1795824000000LL);
    auto session = client.start_downloaded(R"({"mediaCollection":{"playhead":0,"sessionDetails":{"name":"d","length":5,"contentType":"vod"}}})");
    session.send(R"({"eventType":"media.play","mediaCollection":{"playhead":0}})");
    client.flush(5s);
    CHECK(count(timeline(), "downloaded") == 0);
    session.send(R"({"eventType":"media.sessionComplete","mediaCollection":{"playhead":5}})");
    auto tracker = client.create_tracker(R"({"downloadedContent":true})");
    mediaedge::Media media("cpp-offline", "Offline", 60);
    tracker.track_session_start(media, nullptr);
    tracker.track_play();
    tracker.track_complete();
    client.flush(5s);
    CHECK(session.phase() == MEDIAEDGE_PHASE_ENDED);
    CHECK(count(timeline(), "downloaded") >= 1);
    CHECK(client.stats().downloaded_sessions_sent == 2);
}

static void tracker_scenario() {
    reset_emulator();
    auto client = mediaedge::Client::with_manual_clock(config(), 1795824000000LL);
    std::atomic<int> rejected{0};
    client.on_session_event([&](const mediaedge::SessionEvent &e) {
        if (e.kind == MEDIAEDGE_SESSION_CALL_REJECTED) ++rejected;
    });
    auto tracker = client.create_tracker(R"({"adPingInterval":1})");
    try {
        tracker.track_play();
        CHECK(false);
    } catch (const mediaedge::Error &e) {
        CHECK(e.status() == MEDIAEDGE_ERR_RULE_VIOLATION);
    }
    mediaedge::Media media("cpp-media", "C++ media", 300);
    media.preroll_waiting_time(0ms);
    mediaedge::Metadata metadata;
    metadata.set(MEDIAEDGE_METADATA_SHOW, "Show").set("cpp.custom", "1");
    tracker.track_session_start(media, &metadata);
    tracker.track_chapter_start(mediaedge::Chapter("one", 1, 0, 100));
    tracker.track_play();
    for (int s = 1; s <= 3; ++s) {
        CHECK(tracker.try_update_playhead(s) == MEDIAEDGE_OK);
        client.advance_clock(1s);
    }
    tracker.track_ad_break_start(mediaedge::AdBreak("mid", 1, 3));
    tracker.track_ad_start(mediaedge::Ad("ad-1", "Ad", 1, 2));
    client.advance_clock(2s);
    tracker.track_event(MEDIAEDGE_EVENT_AD_COMPLETE);
    tracker.track_event(MEDIAEDGE_EVENT_AD_BREAK_COMPLETE);
    tracker.update_qoe(mediaedge::Qoe(3e6, 500, 30, 0));
    tracker.track_event(MEDIAEDGE_EVENT_BITRATE_CHANGE);
    tracker.track_state_start(mediaedge::State(MEDIAEDGE_PLAYER_STATE_MUTE));
    client.flush(5s);
    CHECK(tracker.session_id().has_value());
    tracker.track_complete();
    CHECK(!tracker.session_id().has_value());
    client.flush(5s);
    std::string sent = timeline();
    CHECK(count(sent, "sessionStart") == 1 && count(sent, "chapterStart") == 1 && count(sent, "adStart") == 1);
    CHECK(count(sent, "ping") == 2); // ad pings at 1 s and 2 s
    CHECK(count(sent, "bitrateChange") == 1 && count(sent, "statesUpdate") == 1 && count(sent, "sessionComplete") == 1);
    CHECK(rejected.load() == 1);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s EDGE_BASE_URL\n", argv[0]);
        return 2;
    }
    base_url = argv[1];
    errors_are_exceptions_with_status_and_message();
    location_hint_set_read_and_cleared();
    automatic_session_with_callbacks_and_raii();
    manual_session_and_moves();
    downloaded_session_and_tracker();
    tracker_scenario();
    std::printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
