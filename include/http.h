/*
 * http.h - the agent's only HTTP client: a small libcurl wrapper.
 *
 * One struct http per agent holds the endpoint, the token and a curl multi
 * handle whose connection cache keeps connections alive between requests.
 * Every request goes through http_request_many(), which runs a batch of
 * requests concurrently (at most max_parallel in flight); http_request() is
 * the batch of one.  A request fails (negative errno, message "METHOD /path:
 * <why>") only when no HTTP response came back: an HTTP error status is a
 * success with resp.status set, and the caller decides what it means.
 *
 * Every request carries Accept: application/json, X-Auth-Token when a token
 * is set, and Content-Type: application/json when it has a body.  The token
 * never appears in any message this module produces.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "errbuf.h"

#define HTTP_MAX_RESPONSE_DEFAULT (4u * 1024 * 1024)
#define HTTP_TIMEOUT_DEFAULT_S 30L

struct http_opts {
    const char
        *base_url;      /* "http://127.0.0.1:8778" or "https://..."; required */
    const char *token;  /* sent as X-Auth-Token; NULL: none */
    const char *cacert; /* CA bundle for https; NULL: the system's */
    bool insecure;      /* skip TLS verification (tests, never default) */
    long timeout_s;     /* whole request; 0: HTTP_TIMEOUT_DEFAULT_S */
    size_t max_response; /* body cap; 0: HTTP_MAX_RESPONSE_DEFAULT */
};

struct http; /* opaque; see the top of this file */

struct http_response {
    long status;          /* HTTP status code */
    char *body;           /* always NUL-terminated, "" when empty; owned */
    size_t len;           /* body length without the NUL */
    char *request_id;     /* x-openstack-request-id, or NULL; owned */
    double retry_after_s; /* Retry-After in seconds, -1 if none */
    /* X-Subject-Token (Keystone's new token), or NULL; owned.  A secret:
     * http_response_clear() wipes it. */
    char *subject_token;
};

/* One request of a batch.  The caller fills the first four fields; the
 * batch fills rc (0 or a negative errno), eb (message when rc < 0) and resp
 * (when rc == 0; release it with http_response_clear()). */
struct http_req {
    const char *method;         /* "GET", "PUT", ... */
    const char *path;           /* "/resource_providers?name=x", relative */
    const char *body;           /* JSON text or NULL */
    const char *const *headers; /* extra "Name: value" lines, NULL-ended */
    int rc;
    struct errbuf eb;
    struct http_response resp;
};

/* Copy the options into a new client.  Returns 0, or -EINVAL for a missing
 * or non-http(s) base_url, or -ENOMEM if libcurl cannot start. */
int http_new(const struct http_opts *o, struct http **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
void http_free(struct http *h); /* NULL is a no-op */
/* Where h's requests go: the base URL without a trailing '/'. */
const char *http_base_url(const struct http *h);
/* Replace the X-Auth-Token of later requests (a renewed Keystone token);
 * NULL: none.  -EINVAL (the token not quoted) for a control character. */
int http_set_token(struct http *h, const char *token, struct errbuf *eb)
    __attribute__((warn_unused_result));
DEFINE_CLEANUP(struct http, http_free)

/* Run one request; *ret is written on success (0).  Transport failures:
 * -ECONNREFUSED, -ETIMEDOUT, -EFBIG (response over max_response),
 * -EHOSTUNREACH (name resolution), -EIO (anything else); the message names
 * the method and path. */
int http_request(struct http *h, const char *method, const char *path,
                 const char *body, const char *const *headers,
                 struct http_response *ret, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* Run n requests with at most max_parallel (0: all) in flight, on shared
 * kept-alive connections.  Each reqs[i] gets its own rc/eb/resp.  Returns 0
 * when every request got a response, else the rc of the first (by index)
 * that did not; eb, if given, then gets that request's message. */
int http_request_many(struct http *h, struct http_req *reqs, size_t n,
                      size_t max_parallel, struct errbuf *eb);

/* The one map from an HTTP status to what it means to the agent, a
 * negative errno: 0 for 2xx, -EACCES for 401 and 403 (the token or the
 * credentials), -ENOENT for 404, -EIO for any other status.  A caller that
 * knows more (Placement's 409 error codes) refines -EIO, never the rest. */
int http_status_errno(long status);

/* Free body, request_id and subject_token (wiped) and reset the struct;
 * safe to call twice. */
void http_response_clear(struct http_response *r);
/* Clear the responses of a batch. */
void http_req_clear(struct http_req *reqs, size_t n);

/* `run` blocks SIGTERM and SIGINT and takes them with sigtimedwait()
 * between passes: one pending means the service is stopping.  Every
 * transfer is then abandoned within a second, and the pass it belonged to
 * is dropped, not counted as failed. */
bool http_stop_pending(void);
