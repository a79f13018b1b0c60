// The C++ quick start (README): a client, an automatic session whose playhead comes from a
// lambda, a few events, the stats. Build: c++ -std=c++17 quickstart.cpp $(pkg-config --cflags --libs mediaedge)
//
// usage: quickstart EDGE_BASE_URL
#include <chrono>
#include <cstdio>
#include <string>

#include <mediaedge.hpp>

int main(int argc, char **argv) {
    using namespace std::chrono_literals;
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s EDGE_BASE_URL\n", argv[0]);
        return 2;
    }
    try {
        mediaedge::Client client(R"({"datastreamId":"my-datastream",
            "streamingMedia":{"channel":"my-channel","playerName":"my-player"},
            "native":{"edgeBaseUrl":")" + std::string(argv[1]) + R"("}})");
        client.on_session_event([](const mediaedge::SessionEvent &e) { std::printf("event: %s\n", e.message.c_str()); });

        double position = 0; // your player's position, in seconds
        mediaedge::Session session = client.start_automatic(
            "main-player",
            [&position] {
                mediaedge::PlayerDetails details;
                details.playhead = position;
                details.bitrate = 2500000;
                return details;
            },
            R"({"mediaCollection":{"sessionDetails":{"name":"movie-42","length":5400,"contentType":"vod"}}})");
        session.send(R"({"eventType":"media.play"})");
        position = 12;
        session.send(R"({"eventType":"media.pauseStart"})");
        session.send(R"({"eventType":"media.sessionEnd"})");
        client.flush(5s);
        mediaedge_stats stats = client.stats();
        std::printf("sent %llu of %llu events\n", static_cast<unsigned long long>(stats.events_sent),
                    static_cast<unsigned long long>(stats.events_queued));
        return stats.events_sent == 4 ? 0 : 1;
    } catch (const mediaedge::Error &e) {
        std::fprintf(stderr, "mediaedge: %s (%s)\n", e.what(), mediaedge_status_str(e.status()));
        return 1;
    }
}
