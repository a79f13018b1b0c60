/*
 * What the C tests share: the CHECK macros, and a small client for the emulator's control
 * endpoints (its request timeline, reset). Included by one test file each; everything static.
 */
#ifndef MEDIAEDGE_TESTS_COMMON_H
#define MEDIAEDGE_TESTS_COMMON_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mediaedge.h"

static int checks = 0;
static int failures = 0;

#define CHECK(cond)                                                          \
    do {                                                                     \
        checks++;                                                            \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                    \
    } while (0)

#define CHECK_STATUS(expr, expected)                                                        \
    do {                                                                                    \
        mediaedge_status got_ = (expr);                                                     \
        checks++;                                                                           \
        if (got_ != (expected)) {                                                           \
            failures++;                                                                     \
            fprintf(stderr, "%s:%d: %s returned %s (%s), expected %s\n", __FILE__, __LINE__, #expr, \
                    mediaedge_status_str((int)got_), mediaedge_last_error_message(),       \
                    mediaedge_status_str((int)(expected)));                                 \
        }                                                                                   \
    } while (0)

static char base_url[256];
static int emulator_port;

/* Takes the emulator's base URL (http://127.0.0.1:PORT) from the command line. */
static int parse_base_url(const char *url) {
    const char *colon = strrchr(url, ':');
    snprintf(base_url, sizeof base_url, "%s", url);
    emulator_port = colon ? atoi(colon + 1) : 0;
    return emulator_port > 0;
}

/* Sends a raw request to the emulator and reads the whole answer into `out`; NULL on failure. */
static char *emulator_request(const char *request, char *out, size_t size) {
    struct sockaddr_in addr;
    size_t used = 0;
    ssize_t n;
    char *body;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NULL;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)emulator_port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || write(fd, request, strlen(request)) < 0) {
        close(fd);
        return NULL;
    }
    while (used + 1 < size && (n = read(fd, out + used, size - used - 1)) > 0) used += (size_t)n;
    out[used] = '\0';
    close(fd);
    body = strstr(out, "\r\n\r\n");
    return body ? body + 4 : NULL;
}

/* GETs a control endpoint of the emulator into `out`; returns the body or NULL. */
static char *emulator_get(const char *path, char *out, size_t size) {
    char request[256];
    snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    return emulator_request(request, out, size);
}

/* How many timeline lines name `action` (as the second column). */
static int count_action(const char *action) {
    static char buffer[1 << 20];
    char needle[64];
    int count = 0;
    const char *p = emulator_get("/__emulator/timeline", buffer, sizeof buffer);
    snprintf(needle, sizeof needle, "  %s ", action);
    while (p && (p = strstr(p, needle)) != NULL) {
        count++;
        p += strlen(needle);
    }
    return count;
}

static void reset_emulator(void) {
    char answer[512];
    CHECK(emulator_request("POST /__emulator/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                           "Connection: close\r\n\r\n",
                           answer, sizeof answer) != NULL);
}

static void config_for(char *out, size_t size, const char *extra) {
    snprintf(out, size,
             "{\"datastreamId\":\"ds-c\",\"streamingMedia\":{\"channel\":\"c-channel\",\"playerName\":\"c-test\"%s},"
             "\"native\":{\"edgeBaseUrl\":\"%s\"}}",
             extra, base_url);
}

static const char *START = "{\"mediaCollection\":{\"sessionDetails\":{\"name\":\"c\",\"length\":60,\"contentType\":\"VOD\"}}}";

#endif
