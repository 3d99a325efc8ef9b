/*
 * http.c - libcurl wrapper: requests in batches on one multi handle.
 *
 * Every request, single or batched, is an easy handle on the agent's multi
 * handle, so the connection cache (keep-alive) and the DNS cache are shared
 * and the batch path is the one always exercised.  Bodies are capped while
 * they arrive (a write callback that refuses past max_response: what comes
 * back is http-answer.c's), and the token only ever goes into a header
 * list, never into a message.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cleanup.h"
#include "errbuf.h"
#include "http-internal.h"
#include "http.h"
#include "secret.h"
#include "xalloc.h"

static bool
has_control_char(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

const char *
http_base_url(const struct http *h)
{
    return h->base_url;
}

int
http_set_token(struct http *h, const char *token, struct errbuf *eb)
{
    if (token && has_control_char(token))
        return errbuf_set(eb, -EINVAL, "token contains a control character");
    secret_free(h->token_header);
    h->token_header = token ? xasprintf("X-Auth-Token: %s", token) : NULL;
    return 0;
}

/* Keep at most one idle connection, and only while no other is open.  A
 * correct HTTP/1.1 server may hold a worker on a kept-alive connection
 * until its next request comes or the server's idle timeout ends (uwsgi
 * --http11-socket without threads: 10 s); a batch that leaves such a
 * connection idle while its other requests wait in the server's listen
 * backlog waits that long per round, or times out.  libcurl closes the
 * oldest idle connection whenever a finished transfer makes the cache
 * larger than this, so while requests are in flight none of ours sits idle
 * on a worker; the last one of a batch stays for the next batch (a
 * sequential client, like Nova's, reuses it every time).  A parallel batch
 * opens a connection per request instead, which production Placement
 * (Debian's uwsgi with `Connection: close`) makes it do anyway. */
static void
multi_limit_idle(CURLM *multi)
{
    (void)curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 1L);
}

int
http_new(const struct http_opts *o, struct http **ret, struct errbuf *eb)
{
    struct http *h;
    size_t n;

    if (!o->base_url || (strncmp(o->base_url, "http://", 7) != 0 &&
                         strncmp(o->base_url, "https://", 8) != 0))
        return errbuf_set(eb, -EINVAL, "endpoint '%s': not an http(s) URL",
                          o->base_url ? o->base_url : "");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return errbuf_set(eb, -ENOMEM, "cannot initialise libcurl");
    h = xcalloc(1, sizeof(*h));
    h->multi = curl_multi_init();
    if (!h->multi) {
        free(h);
        curl_global_cleanup();
        return errbuf_set(eb, -ENOMEM, "cannot create a curl multi handle");
    }
    multi_limit_idle(h->multi);
    h->base_url = xstrdup(o->base_url);
    n = strlen(h->base_url);
    while (n > 0 && h->base_url[n - 1] == '/')
        h->base_url[--n] = '\0';
    h->cacert = o->cacert ? xstrdup(o->cacert) : NULL;
    h->insecure = o->insecure;
    h->timeout_s = o->timeout_s > 0 ? o->timeout_s : HTTP_TIMEOUT_DEFAULT_S;
    h->max_response =
        o->max_response > 0 ? o->max_response : HTTP_MAX_RESPONSE_DEFAULT;
    if (http_set_token(h, o->token, eb) < 0) {
        http_free(h);
        return -EINVAL;
    }
    *ret = h;
    return 0;
}

void
http_free(struct http *h)
{
    if (!h)
        return;
    if (h->multi) {
        curl_multi_cleanup(h->multi);
        curl_global_cleanup(); /* pairs with http_new's init */
    }
    secret_free(h->token_header); /* no token lying in freed memory */
    free(h->base_url);
    free(h->cacert);
    free(h);
}

void
http_response_clear(struct http_response *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->request_id);
    secret_free(r->subject_token);
    *r = (struct http_response){ .retry_after_s = -1 };
}

void
http_req_clear(struct http_req *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        http_response_clear(&reqs[i].resp);
}

static int
xfer_headers(const struct http *h, struct xfer *x)
{
    const struct http_req *r = x->req;
    const char *fixed[] = {
        "Accept: application/json",
        "Expect:", /* no 100-continue round trip for big bodies */
        h->token_header,
        r->body ? "Content-Type: application/json" : NULL,
    };
    struct curl_slist *l;

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (!fixed[i])
            continue;
        if (!(l = curl_slist_append(x->headers, fixed[i])))
            return -ENOMEM;
        x->headers = l;
    }
    for (size_t i = 0; r->headers && r->headers[i]; i++) {
        if (!(l = curl_slist_append(x->headers, r->headers[i])))
            return -ENOMEM;
        x->headers = l;
    }
    return 0;
}

#define SETOPT(c, easy, opt, val)                                              \
    do {                                                                       \
        if ((c) == CURLE_OK)                                                   \
            (c) = curl_easy_setopt((easy), (opt), (val));                      \
    } while (0)

/* Method and body.  A bodiless PUT/POST sends an empty body (Content-Length:
 * 0), which Placement wants for PUT /traits/{name}: a non-empty body
 * without a Content-Type gets 400 or 415. */
static CURLcode
xfer_set_method(CURL *e, const struct http_req *r)
{
    CURLcode c = CURLE_OK;
    bool post = strcmp(r->method, "POST") == 0;
    bool put = strcmp(r->method, "PUT") == 0;

    if (r->body || post || put || strcmp(r->method, "PATCH") == 0) {
        SETOPT(c, e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
        SETOPT(c, e, CURLOPT_POSTFIELDSIZE_LARGE,
               (curl_off_t)(r->body ? strlen(r->body) : 0));
        if (!post)
            SETOPT(c, e, CURLOPT_CUSTOMREQUEST, r->method);
    } else if (strcmp(r->method, "GET") == 0) {
        SETOPT(c, e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(r->method, "HEAD") == 0) {
        SETOPT(c, e, CURLOPT_NOBODY, 1L);
    } else {
        SETOPT(c, e, CURLOPT_CUSTOMREQUEST, r->method);
    }
    return c;
}

bool
http_stop_pending(void)
{
    sigset_t pending;

    if (sigpending(&pending) < 0)
        return false;
    return sigismember(&pending, SIGTERM) == 1 ||
           sigismember(&pending, SIGINT) == 1;
}

/* A stop pending while a transfer hangs on a slow Placement means "stop
 * now": abandon the transfer so the service exits within a second
 * (libcurl calls this at least once a second). */
static int
on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
            curl_off_t ultotal, curl_off_t ulnow)
{
    return http_stop_pending();
}

static CURLcode
xfer_set_transport(const struct http *h, CURL *e)
{
    CURLcode c = CURLE_OK;

#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the _STR forms */
    SETOPT(c, e, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(c, e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SETOPT(c, e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SETOPT(c, e, CURLOPT_REDIR_PROTOCOLS,
           (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(c, e, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(c, e, CURLOPT_NOSIGNAL, 1L);
    SETOPT(c, e, CURLOPT_NOPROGRESS, 0L);
    SETOPT(c, e, CURLOPT_XFERINFOFUNCTION, on_progress);
    SETOPT(c, e, CURLOPT_TIMEOUT, h->timeout_s);
    SETOPT(c, e, CURLOPT_CONNECTTIMEOUT,
           h->timeout_s < 10 ? h->timeout_s : 10L);
    SETOPT(c, e, CURLOPT_SSL_VERIFYPEER, h->insecure ? 0L : 1L);
    SETOPT(c, e, CURLOPT_SSL_VERIFYHOST, h->insecure ? 0L : 2L);
    if (h->cacert)
        SETOPT(c, e, CURLOPT_CAINFO, h->cacert);
    SETOPT(c, e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_response);
    SETOPT(c, e, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
    return c;
}

static int
xfer_setup(struct http *h, struct xfer *x)
{
    const struct http_req *r = x->req;
    CURLcode c = CURLE_OK;
    CURL *e;

    if (!r->method || !r->path || r->path[0] != '/')
        return errbuf_set(&x->req->eb, -EINVAL,
                          "%s %s: path must start "
                          "with '/'",
                          r->method ? r->method : "?", r->path ? r->path : "");
    x->easy = e = curl_easy_init();
    if (!e || xfer_headers(h, x) < 0)
        return errbuf_set(&x->req->eb, -ENOMEM, "%s %s: out of memory",
                          r->method, r->path);
    x->url = xasprintf("%s%s", h->base_url, r->path);
    x->max = h->max_response;
    x->retry_after_s = -1;
    SETOPT(c, e, CURLOPT_URL, x->url);
    SETOPT(c, e, CURLOPT_HTTPHEADER, x->headers);
    SETOPT(c, e, CURLOPT_ERRORBUFFER, x->error);
    SETOPT(c, e, CURLOPT_PRIVATE, (void *)x);
    SETOPT(c, e, CURLOPT_WRITEFUNCTION, http_on_body);
    SETOPT(c, e, CURLOPT_WRITEDATA, (void *)x);
    SETOPT(c, e, CURLOPT_HEADERFUNCTION, http_on_header);
    SETOPT(c, e, CURLOPT_HEADERDATA, (void *)x);
    if (c == CURLE_OK)
        c = xfer_set_transport(h, e);
    if (c == CURLE_OK)
        c = xfer_set_method(e, r);
    if (c != CURLE_OK)
        return errbuf_set(&x->req->eb, -EINVAL, "%s %s: %s", r->method, r->path,
                          curl_easy_strerror(c));
    return 0;
}

/* Free a header list; libcurl copied the token into it, so wipe first. */
static void
headers_free(struct curl_slist *l)
{
    for (struct curl_slist *i = l; i; i = i->next)
        explicit_bzero(i->data, strlen(i->data));
    curl_slist_free_all(l);
}

static void
xfer_release(struct http *h, struct xfer *x)
{
    if (x->easy) {
        curl_multi_remove_handle(h->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    headers_free(x->headers);
    free(x->url);
    free(x->buf);
    free(x->request_id);
    secret_free(x->subject_token);
    *x = (struct xfer){ 0 };
}

/* Set up request x and put it on the multi handle.  Returns 1 when it is in
 * flight, 0 when it already failed (r->rc < 0). */
static int
xfer_start(struct http *h, struct xfer *x, struct http_req *r)
{
    CURLMcode mc;

    x->h = h;
    x->req = r;
    errbuf_clear(&r->eb);
    r->resp = (struct http_response){ .retry_after_s = -1 };
    r->rc = xfer_setup(h, x);
    if (r->rc < 0) {
        xfer_release(h, x);
        return 0;
    }
    mc = curl_multi_add_handle(h->multi, x->easy);
    if (mc != CURLM_OK) {
        r->rc = errbuf_set(&r->eb, -EIO, "%s %s: %s", r->method, r->path,
                           curl_multi_strerror(mc));
        xfer_release(h, x);
        return 0;
    }
    return 1;
}

/* A batch in progress: reqs[0..next) were started, `active` are in flight. */
struct batch {
    struct http *h;
    struct xfer *xs;
    struct http_req *reqs;
    size_t n, limit, next, active;
};

static void
batch_fill(struct batch *b)
{
    while (b->next < b->n && b->active < b->limit) {
        b->active +=
            (size_t)xfer_start(b->h, &b->xs[b->next], &b->reqs[b->next]);
        b->next++;
    }
}

static void
batch_collect(struct batch *b)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(b->h->multi, &left))) {
        char *priv = NULL;
        struct xfer *x;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        x = (struct xfer *)priv;
        http_xfer_finish(x,
                         msg->data.result); /* msg is invalid after release */
        xfer_release(b->h, x);
        b->active--;
    }
}

/* The multi handle itself broke: fail everything not finished. */
static void
batch_abort(struct batch *b, CURLMcode mc)
{
    for (size_t i = 0; i < b->n; i++) {
        struct http_req *r = &b->reqs[i];

        if (i < b->next && !b->xs[i].easy)
            continue; /* finished already */
        r->rc = errbuf_set(&r->eb, -EIO, "%s %s: %s", r->method, r->path,
                           curl_multi_strerror(mc));
        xfer_release(b->h, &b->xs[i]);
    }
    b->next = b->n;
    b->active = 0;
}

static int
batch_first_error(const struct batch *b, struct errbuf *eb)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->reqs[i].rc < 0) {
            errbuf_set(eb, b->reqs[i].rc, "%s", b->reqs[i].eb.msg);
            return b->reqs[i].rc;
        }
    return 0;
}

int
http_request_many(struct http *h, struct http_req *reqs, size_t n,
                  size_t max_parallel, struct errbuf *eb)
{
    _cleanup_free_ struct xfer *xs = xcalloc(n ? n : 1, sizeof(*xs));
    struct batch b = {
        .h = h,
        .xs = xs,
        .reqs = reqs,
        .n = n,
        .limit = max_parallel ? max_parallel : n,
    };

    batch_fill(&b);
    while (b.active > 0) {
        int running;
        CURLMcode mc = curl_multi_perform(h->multi, &running);

        if (mc == CURLM_OK) {
            batch_collect(&b);
            batch_fill(&b);
        }
        if (mc == CURLM_OK && b.active > 0)
            mc = curl_multi_poll(h->multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK)
            batch_abort(&b, mc);
    }
    return batch_first_error(&b, eb);
}

int
http_request(struct http *h, const char *method, const char *path,
             const char *body, const char *const *headers,
             struct http_response *ret, struct errbuf *eb)
{
    struct http_req r = {
        .method = method,
        .path = path,
        .body = body,
        .headers = headers,
    };
    int rc = http_request_many(h, &r, 1, 1, eb);

    if (rc < 0)
        return rc;
    *ret = r.resp;
    return 0;
}
