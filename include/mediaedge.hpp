/* mediaedge for C++17: RAII owners for every handle, errors as exceptions (with non-throwing
 * variants on the playback path), callbacks as std::function. Header-only and a thin layer over
 * mediaedge.h; see the README's C++ section. Written by hand, not generated. */
#ifndef MEDIAEDGE_HPP
#define MEDIAEDGE_HPP

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "mediaedge.h"

namespace mediaedge {

/* A failed call: the status and the library's message. */
class Error : public std::runtime_error {
public:
    Error(mediaedge_status status, const std::string &message) : std::runtime_error(message), status_(status) {}
    mediaedge_status status() const noexcept { return status_; }

private:
    mediaedge_status status_;
};

namespace detail {

inline void check(mediaedge_status status) {
    if (status != MEDIAEDGE_OK) throw Error(status, mediaedge_last_error_message());
}

template <typename T, void (*Free)(T *)> struct Deleter {
    void operator()(T *p) const noexcept { Free(p); }
};
template <typename T, void (*Free)(T *)> using Owned = std::unique_ptr<T, Deleter<T, Free>>;

/* Callbacks travel as a heap-allocated std::function in user_data; the library releases it
 * exactly once through this. */
template <typename F> void release(void *user_data) { delete static_cast<F *>(user_data); }

inline std::string or_empty(const char *s) { return s ? std::string(s) : std::string(); }

/* Reads a string out through a buffer, growing it once when it is too small. */
template <typename Call> std::string read_string(Call call) {
    std::string out(128, '\0');
    std::size_t needed = 0;
    mediaedge_status status = call(&out[0], out.size(), &needed);
    if (status == MEDIAEDGE_ERR_BUFFER_TOO_SMALL) {
        out.assign(needed, '\0');
        status = call(&out[0], out.size(), &needed);
    }
    check(status);
    out.resize(needed > 0 ? needed - 1 : 0);
    return out;
}

} // namespace detail

/* What an automatic session's player reports. */
struct PlayerDetails {
    double playhead = 0;
    std::optional<double> bitrate, dropped_frames, frames_per_second, time_to_start;
};

/* A session event, copied out of the callback's arguments. */
struct SessionEvent {
    mediaedge_session_event_kind kind;
    std::uint64_t session_key;
    std::string player_id, session_id, event_type, message;
    std::uint32_t http_status;
    std::uint64_t count;
};

using PlayerDetailsFn = std::function<PlayerDetails()>;
using SessionEventFn = std::function<void(const SessionEvent &)>;
using LogFn = std::function<void(mediaedge_log_level, const std::string &)>;

namespace detail {
/* The trampolines: C callbacks that call the std::function. No exception may cross into C. */
inline void player_details(void *user_data, mediaedge_player_details *out) {
    try {
        PlayerDetails d = (*static_cast<PlayerDetailsFn *>(user_data))();
        out->playhead = d.playhead;
        if (d.bitrate) { out->bitrate = *d.bitrate; out->qoe_fields |= MEDIAEDGE_QOE_BITRATE; }
        if (d.dropped_frames) { out->dropped_frames = *d.dropped_frames; out->qoe_fields |= MEDIAEDGE_QOE_DROPPED_FRAMES; }
        if (d.frames_per_second) { out->frames_per_second = *d.frames_per_second; out->qoe_fields |= MEDIAEDGE_QOE_FRAMES_PER_SECOND; }
        if (d.time_to_start) { out->time_to_start = *d.time_to_start; out->qoe_fields |= MEDIAEDGE_QOE_TIME_TO_START; }
    } catch (...) {
        /* Keep the last playhead the library filled in. */
    }
}

inline void session_event(void *user_data, const mediaedge_session_event *e) {
    try {
        SessionEvent event{e->kind, e->session_key, or_empty(e->player_id), or_empty(e->session_id),
                           or_empty(e->event_type), or_empty(e->message), e->http_status, e->count};
        (*static_cast<SessionEventFn *>(user_data))(event);
    } catch (...) {
    }
}

inline void log_line(void *user_data, mediaedge_log_level level, const char *message) {
    try {
        (*static_cast<LogFn *>(user_data))(level, or_empty(message));
    } catch (...) {
    }
}
} // namespace detail

/* One media session. Move-only; destroying it ends a session that has not ended. */
class Session {
public:
    explicit Session(mediaedge_session *handle) : handle_(handle) {}

    void send(const std::string &xdm_json) { detail::check(try_send(xdm_json)); }
    /* For the playback path: the status instead of an exception. */
    mediaedge_status try_send(const std::string &xdm_json) noexcept { return mediaedge_session_send(get(), xdm_json.c_str()); }

    /* The backend session ID; throws MEDIAEDGE_ERR_NOT_READY until it is known. */
    std::string id() const {
        return detail::read_string([&](char *b, std::size_t n, std::size_t *need) { return mediaedge_session_id(get(), b, n, need); });
    }
    std::optional<std::string> try_id() const {
        try {
            return id();
        } catch (const Error &) {
            return std::nullopt;
        }
    }
    std::string wait_id(std::chrono::milliseconds timeout) const {
        auto ms = static_cast<std::uint32_t>(timeout.count());
        return detail::read_string(
            [&](char *b, std::size_t n, std::size_t *need) { return mediaedge_session_wait_id(get(), ms, b, n, need); });
    }
    mediaedge_session_phase phase() const {
        mediaedge_session_phase phase;
        detail::check(mediaedge_session_get_phase(get(), &phase));
        return phase;
    }
    mediaedge_session *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<mediaedge_session, mediaedge_session_free> handle_;
};

/* The tracker's objects: checked when made (Error with MEDIAEDGE_ERR_INVALID_ARGUMENT), copied by
 * the call that uses them. */
class Media {
public:
    Media(const std::string &id, const std::string &name, double length, const char *stream_type = MEDIAEDGE_STREAM_TYPE_VOD,
          mediaedge_media_type type = MEDIAEDGE_MEDIA_TYPE_VIDEO) {
        mediaedge_media *m = nullptr;
        detail::check(mediaedge_media_new(id.c_str(), name.c_str(), length, stream_type, type, &m));
        handle_.reset(m);
    }
    Media &resumed(bool value = true) { detail::check(mediaedge_media_set_resumed(handle_.get(), value)); return *this; }
    Media &preroll_waiting_time(std::chrono::milliseconds t) {
        detail::check(mediaedge_media_set_preroll_waiting_time(handle_.get(), static_cast<std::uint64_t>(t.count())));
        return *this;
    }
    const mediaedge_media *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<mediaedge_media, mediaedge_media_free> handle_;
};

class Metadata {
public:
    Metadata() {
        mediaedge_metadata *m = nullptr;
        detail::check(mediaedge_metadata_new(&m));
        handle_.reset(m);
    }
    Metadata &set(const std::string &key, const std::string &value) {
        detail::check(mediaedge_metadata_set(handle_.get(), key.c_str(), value.c_str()));
        return *this;
    }
    const mediaedge_metadata *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<mediaedge_metadata, mediaedge_metadata_free> handle_;
};

class AdBreak {
public:
    AdBreak(const std::string &name, std::int64_t position, double start_time) {
        mediaedge_ad_break *p = nullptr;
        detail::check(mediaedge_ad_break_new(name.c_str(), position, start_time, &p));
        handle_.reset(p);
    }
    const mediaedge_ad_break *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<mediaedge_ad_break, mediaedge_ad_break_free> handle_;
};

class Ad {
public:
    Ad(const std::string &id, const std::string &name, std::int64_t position, double length) {
        mediaedge_ad *p = nullptr;
        detail::check(mediaedge_ad_new(id.c_str(), name.c_str(), position, length, &p));
        handle_.reset(p);
    }
    const mediaedge_ad *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<mediaedge_ad, mediaedge_ad_free> handle_;
};

class Chapter {
public:
    Chapter(const std::string &name, std::int64_t position, double start_time, double length) {
        mediaedge_chapter *p = nullptr;
        detail::check(mediaedge_chapter_new(name.c_str(), position, start_time, length, &p));
        handle_.reset(p);
    }
    const mediaedge_chapter *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<mediaedge_chapter, mediaedge_chapter_free> handle_;
};

class Qoe {
public:
    Qoe(double bitrate, double startup_time, double fps, double dropped_frames) {
        mediaedge_qoe *p = nullptr;
        detail::check(mediaedge_qoe_new(bitrate, startup_time, fps, dropped_frames, &p));
        handle_.reset(p);
    }
    const mediaedge_qoe *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<mediaedge_qoe, mediaedge_qoe_free> handle_;
};

class State {
public:
    explicit State(const std::string &name) {
        mediaedge_state *p = nullptr;
        detail::check(mediaedge_state_new(name.c_str(), &p));
        handle_.reset(p);
    }
    const mediaedge_state *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<mediaedge_state, mediaedge_state_free> handle_;
};

/* A media tracker (Adobe's tracker API). Move-only; destroying it ends an open session. A call
 * the rules do not allow throws Error with MEDIAEDGE_ERR_RULE_VIOLATION. */
class Tracker {
public:
    explicit Tracker(mediaedge_tracker *handle) : handle_(handle) {}

    void track_session_start(const Media &media, const Metadata *metadata = nullptr) {
        detail::check(mediaedge_tracker_track_session_start(get(), media.get(), metadata ? metadata->get() : nullptr));
    }
    void track_play() { detail::check(mediaedge_tracker_track_play(get())); }
    void track_pause() { detail::check(mediaedge_tracker_track_pause(get())); }
    void track_complete() { detail::check(mediaedge_tracker_track_complete(get())); }
    void track_session_end() { detail::check(mediaedge_tracker_track_session_end(get())); }
    void track_error(const std::string &id) { detail::check(mediaedge_tracker_track_error(get(), id.c_str())); }
    void track_event(mediaedge_tracker_event event) { detail::check(mediaedge_tracker_track_event(get(), event)); }
    void track_ad_break_start(const AdBreak &ad_break) { detail::check(mediaedge_tracker_track_ad_break_start(get(), ad_break.get())); }
    void track_ad_start(const Ad &ad, const Metadata *metadata = nullptr) {
        detail::check(mediaedge_tracker_track_ad_start(get(), ad.get(), metadata ? metadata->get() : nullptr));
    }
    void track_chapter_start(const Chapter &chapter, const Metadata *metadata = nullptr) {
        detail::check(mediaedge_tracker_track_chapter_start(get(), chapter.get(), metadata ? metadata->get() : nullptr));
    }
    void track_state_start(const State &state) { detail::check(mediaedge_tracker_track_state_start(get(), state.get())); }
    void track_state_end(const State &state) { detail::check(mediaedge_tracker_track_state_end(get(), state.get())); }
    void update_playhead(double seconds) { detail::check(try_update_playhead(seconds)); }
    /* For the playback path, called about once a second: the status instead of an exception. */
    mediaedge_status try_update_playhead(double seconds) noexcept { return mediaedge_tracker_update_playhead(get(), seconds); }
    void update_qoe(const Qoe &qoe) { detail::check(mediaedge_tracker_update_qoe(get(), qoe.get())); }
    std::optional<std::string> session_id() const {
        try {
            return detail::read_string(
                [&](char *b, std::size_t n, std::size_t *need) { return mediaedge_tracker_session_id(get(), b, n, need); });
        } catch (const Error &) {
            return std::nullopt;
        }
    }
    mediaedge_tracker *get() const noexcept { return handle_.get(); }

private:
    detail::Owned<mediaedge_tracker, mediaedge_tracker_free> handle_;
};

/* A client: configuration, the scheduler thread, the delivery thread. Move-only; destroying it
 * flushes for up to native.shutdownTimeoutMs and stops its threads. */
class Client {
public:
    explicit Client(const std::string &config_json) {
        mediaedge_client *c = nullptr;
        detail::check(mediaedge_client_new(config_json.c_str(), &c));
        handle_.reset(c);
    }
    /* A client on a virtual clock starting at `start_unix_ms`, for tests. */
    static Client with_manual_clock(const std::string &config_json, std::int64_t start_unix_ms) {
        mediaedge_client *c = nullptr;
        detail::check(mediaedge_client_new_with_manual_clock(config_json.c_str(), start_unix_ms, &c));
        return Client(c);
    }

    Session start_automatic(const std::string &player_id, PlayerDetailsFn details, const std::string &start_xdm) {
        auto *fn = new PlayerDetailsFn(std::move(details));
        mediaedge_session *s = nullptr;
        /* The library owns `fn` from here: it releases it, also when the call fails. */
        detail::check(mediaedge_session_new_automatic(get(), player_id.c_str(), detail::player_details, fn,
                                                      detail::release<PlayerDetailsFn>, start_xdm.c_str(), &s));
        return Session(s);
    }
    Session start_manual(const std::string &start_xdm) {
        mediaedge_session *s = nullptr;
        detail::check(mediaedge_session_new_manual(get(), start_xdm.c_str(), &s));
        return Session(s);
    }
    /* Offline playback: recorded, sent whole once it ends (mediaedge_session_new_downloaded). */
    Session start_downloaded(const std::string &start_xdm) {
        mediaedge_session *s = nullptr;
        detail::check(mediaedge_session_new_downloaded(get(), start_xdm.c_str(), &s));
        return Session(s);
    }
    Tracker create_tracker(const std::optional<std::string> &config_json = std::nullopt) {
        mediaedge_tracker *t = nullptr;
        detail::check(mediaedge_tracker_new(get(), config_json ? config_json->c_str() : nullptr, &t));
        return Tracker(t);
    }
    void send_event(const std::string &player_id, const std::string &xdm_json) {
        detail::check(mediaedge_client_send_event(get(), player_id.c_str(), xdm_json.c_str()));
    }
    /* Replaces the session-event callback (an empty function removes it). */
    void on_session_event(SessionEventFn fn) {
        if (!fn) {
            detail::check(mediaedge_client_set_event_callback(get(), nullptr, nullptr, nullptr));
            return;
        }
        auto *owned = new SessionEventFn(std::move(fn));
        detail::check(mediaedge_client_set_event_callback(get(), detail::session_event, owned, detail::release<SessionEventFn>));
    }
    void on_log(mediaedge_log_level level, LogFn fn) {
        auto *owned = fn ? new LogFn(std::move(fn)) : nullptr;
        detail::check(mediaedge_client_set_log_callback(get(), level, owned ? detail::log_line : nullptr, owned,
                                                        owned ? detail::release<LogFn> : nullptr));
    }
    void flush(std::chrono::milliseconds timeout) { detail::check(try_flush(timeout)); }
    mediaedge_status try_flush(std::chrono::milliseconds timeout) noexcept {
        return mediaedge_client_flush(get(), static_cast<std::uint32_t>(timeout.count()));
    }
    void wait_idle(std::chrono::milliseconds timeout) {
        detail::check(mediaedge_client_wait_idle(get(), static_cast<std::uint32_t>(timeout.count())));
    }
    void advance_clock(std::chrono::milliseconds by) {
        detail::check(mediaedge_client_advance_clock(get(), static_cast<std::uint64_t>(by.count())));
    }
    void set_consent(mediaedge_consent consent) { detail::check(mediaedge_client_set_consent(get(), consent)); }
    /// Adobe's `Edge.setLocationHint`; `std::nullopt` (or "") clears it. The caller's hint and the
    /// backend's replace each other: the last one given wins.
    void set_location_hint(const std::optional<std::string> &hint) {
        detail::check(mediaedge_client_set_location_hint(get(), hint ? hint->c_str() : nullptr));
    }
    /// The hint later requests go to, or `std::nullopt`.
    std::optional<std::string> location_hint() const {
        std::string hint = detail::read_string(
            [&](char *b, std::size_t n, std::size_t *need) { return mediaedge_client_location_hint(get(), b, n, need); });
        if (hint.empty()) return std::nullopt;
        return hint;
    }
    mediaedge_stats stats() const {
        mediaedge_stats s;
        detail::check(mediaedge_client_get_stats(get(), &s));
        return s;
    }
    mediaedge_client *get() const noexcept { return handle_.get(); }

private:
    explicit Client(mediaedge_client *handle) : handle_(handle) {}
    detail::Owned<mediaedge_client, mediaedge_client_free> handle_;
};

} // namespace mediaedge

#endif /* MEDIAEDGE_HPP */
