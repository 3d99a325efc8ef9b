/*
 * http-answer.c - what comes back of a transfer (see http-internal.h):
 * the body, capped while it arrives, the headers the agent uses
 * (X-OpenStack-Request-Id, X-Subject-Token, Retry-After), and the outcome
 * in words a user acts on.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "cleanup.h"
#include "errbuf.h"
#include "http-internal.h"
#include "secret.h"
#include "xalloc.h"

size_t
http_on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct xfer *x = userdata;
    size_t n = size * nmemb;

    if (n > x->max - x->len) {
        x->too_big = true;
        return 0; /* abort: CURLE_WRITE_ERROR */
    }
    if (x->len + n + 1 > x->cap) {
        x->cap = x->cap ? x->cap : 4096;
        while (x->cap < x->len + n + 1)
            x->cap *= 2;
        x->buf = xrealloc(x->buf, x->cap);
    }
    memcpy(x->buf + x->len, data, n);
    x->len += n;
    x->buf[x->len] = '\0';
    return n;
}

/* The value of header line `line` (n bytes, CRLF included) if it is named
 * `name`, trimmed; NULL otherwise. */
static char *
header_value(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);
    const char *v, *end = line + n;

    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return NULL;
    v = line + k + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
                       end[-1] == '\t'))
        end--;
    return xstrndup(v, (size_t)(end - v));
}

/* Retry-After is delta-seconds or an HTTP-date (RFC 9110 10.2.3). */
static double
parse_retry_after(const char *v)
{
    char *end;
    long s;
    time_t t;

    errno = 0;
    s = strtol(v, &end, 10);
    if (end != v && *end == '\0' && errno == 0 && s >= 0)
        return (double)s;
    t = curl_getdate(v, NULL);
    if (t < 0)
        return -1;
    return t > time(NULL) ? difftime(t, time(NULL)) : 0;
}

size_t
http_on_header(char *data, size_t size, size_t nitems, void *userdata)
{
    struct xfer *x = userdata;
    size_t n = size * nitems;
    char *v;

    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a new response (after a 1xx): forget the previous one's headers */
        free(x->request_id);
        x->request_id = NULL;
        secret_free(x->subject_token);
        x->subject_token = NULL;
        x->retry_after_s = -1;
    } else if ((v = header_value(data, n, "x-subject-token"))) {
        secret_free(x->subject_token);
        x->subject_token = v;
    } else if ((v = header_value(data, n, "x-openstack-request-id"))) {
        free(x->request_id);
        x->request_id = v;
    } else if ((v = header_value(data, n, "retry-after"))) {
        x->retry_after_s = parse_retry_after(v);
        free(v);
    }
    return n;
}

static int
errno_of(CURLcode c)
{
    switch (c) {
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return -EHOSTUNREACH;
    case CURLE_FILESIZE_EXCEEDED:
        return -EFBIG;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return -ECONNRESET;
    default:
        return -EIO;
    }
}

/* "host:port" of url, for messages. */
static char *
url_authority(const char *url)
{
    const char *a = strstr(url, "://");
    size_t n;

    a = a ? a + 3 : url;
    n = strcspn(a, "/?#");
    return xasprintf("%.*s", (int)n, a);
}

/* A transfer that got no response: say why in words a user acts on.  TLS
 * trust problems name the host and the CA bundle used; the rest is
 * libcurl's own message. */
static void
xfer_fail(struct xfer *x, CURLcode result)
{
    struct http_req *r = x->req;
    const char *why = x->error[0] ? x->error : curl_easy_strerror(result);
    _cleanup_free_ char *host = NULL;

    switch (result) {
    case CURLE_PEER_FAILED_VERIFICATION:
        host = url_authority(x->url);
        r->rc = errbuf_set(&r->eb, -EIO,
                           "%s %s: TLS certificate of %s not trusted "
                           "(CA bundle: %s%s): %s",
                           r->method, r->path, host,
                           x->h->cacert ? x->h->cacert : "the system's",
                           x->h->cacert ? ", placement.cacert" : "", why);
        return;
    case CURLE_SSL_CACERT_BADFILE:
        if (x->h->cacert)
            r->rc = errbuf_set(&r->eb, -EIO,
                               "%s %s: cannot use the CA bundle %s "
                               "(placement.cacert): %s",
                               r->method, r->path, x->h->cacert, why);
        else
            r->rc = errbuf_set(&r->eb, -EIO,
                               "%s %s: cannot use the system's CA bundle: %s",
                               r->method, r->path, why);
        return;
    case CURLE_SSL_CONNECT_ERROR:
        host = url_authority(x->url);
        r->rc =
            errbuf_set(&r->eb, -EIO, "%s %s: TLS handshake with %s failed: %s",
                       r->method, r->path, host, why);
        return;
    default:
        r->rc = errbuf_set(&r->eb, errno_of(result), "%s %s: %s", r->method,
                           r->path, why);
    }
}

void
http_xfer_finish(struct xfer *x, CURLcode result)
{
    struct http_req *r = x->req;
    long status = 0;

    if (x->too_big || result == CURLE_FILESIZE_EXCEEDED) {
        r->rc = errbuf_set(&r->eb, -EFBIG,
                           "%s %s: response larger than "
                           "%zu bytes",
                           r->method, r->path, x->max);
        return;
    }
    if (result != CURLE_OK) {
        xfer_fail(x, result);
        return;
    }
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (!x->buf)
        x->buf = xstrdup("");
    r->rc = 0;
    r->resp.status = status;
    r->resp.body = TAKE_PTR(x->buf);
    r->resp.len = x->len;
    r->resp.request_id = TAKE_PTR(x->request_id);
    r->resp.subject_token = TAKE_PTR(x->subject_token);
    r->resp.retry_after_s = x->retry_after_s;
}

int
http_status_errno(long status)
{
    if (status >= 200 && status < 300)
        return 0;
    if (status == 401 || status == 403)
        return -EACCES;
    if (status == 404)
        return -ENOENT;
    return -EIO;
}
