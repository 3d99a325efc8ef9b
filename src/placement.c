/*
 * placement.c - typed calls to the OpenStack Placement REST API.
 *
 * A prep half builds a struct placement_call (path with every variable part
 * URL-escaped, body built with cJSON, the microversion header); placement_run
 * sends a set of them as one http_request_many() batch; a done half turns the
 * response into a result or an error.  Error statuses become the errno of
 * placement.h's table and a one-line message built from Placement's
 * {"errors": [...]} body (or the plain text / webob JSON of a 401); the JSON
 * of a success is decoded by placement-json.c, which trusts nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "cleanup.h"
#include "errbuf.h"
#include "http.h"
#include "inventory.h"
#include "placement-internal.h"
#include "placement.h"
#include "strv.h"
#include "xalloc.h"

#define DETAIL_MAX 300 /* bytes of Placement's detail kept in a message */
#define VERSION_LEN 16

struct placement {
    struct http *http;
    CURL *escaper; /* only for curl_easy_escape() */
    char version[VERSION_LEN];
    char server_range[2 * VERSION_LEN]; /* "1.0-1.39", from GET / */
    char header[64]; /* "OpenStack-API-Version: placement 1.39" */
    unsigned long requests;
    struct placement_counts own;     /* counts until placement_count_into() */
    struct placement_counts *counts; /* &own, or the owner's table */
};

void
placement_cjson_deletep(cJSON **j)
{
    cJSON_Delete(*j);
}

/* "1.39" -> 1039.  Strict: digits '.' digits, each part at most 3 digits. */
static int
version_parse(const char *s, int *ret)
{
    int major, minor, len = 0;

    if (!s || strspn(s, "0123456789.") != strlen(s) || strlen(s) > 7 ||
        sscanf(s, "%3d.%3d%n", &major, &minor, &len) != 2 ||
        (size_t)len != strlen(s) || s[0] == '.' || strchr(s, '.') == NULL)
        return -EINVAL;
    *ret = major * 1000 + minor;
    return 0;
}

static struct placement *
placement_new(struct http *http)
{
    struct placement *p = xcalloc(1, sizeof(*p));

    p->http = http;
    p->escaper = curl_easy_init();
    if (!p->escaper)
        abort(); /* out of memory, as xalloc does */
    return p;
}

static void
placement_set_version(struct placement *p, int v)
{
    snprintf(p->version, sizeof(p->version), "%d.%d", v / 1000, v % 1000);
    snprintf(p->header, sizeof(p->header),
             "OpenStack-API-Version: placement %s", p->version);
}

void
placement_free(struct placement *p)
{
    if (!p)
        return;
    if (p->escaper)
        curl_easy_cleanup(p->escaper);
    free(p);
}

const char *
placement_endpoint(const struct placement *p)
{
    return p->http ? http_base_url(p->http) : "";
}

const char *
placement_server_range(const struct placement *p)
{
    return p->server_range;
}

const char *
placement_version(const struct placement *p)
{
    return p->version;
}

unsigned long
placement_requests(const struct placement *p)
{
    return p->requests;
}

char *
placement_escape(struct placement *p, const char *s)
{
    char *e = curl_easy_escape(p->escaper, s, 0);
    char *copy;

    if (!e)
        abort(); /* out of memory, as xalloc does */
    copy = xstrdup(e);
    curl_free(e);
    return copy;
}

void
placement_call_init(struct placement *p, struct placement_call *c,
                    const char *method, char *path, char *body)
{
    *c = (struct placement_call){ .path = path, .body = body };
    c->headers[0] = p->header;
    c->headers[1] = NULL;
    c->req = (struct http_req){ .method = method,
                                .path = c->path,
                                .body = c->body,
                                .headers = c->headers,
                                .resp.retry_after_s = -1 };
}

void
placement_call_clear(struct placement_call *c)
{
    if (!c)
        return;
    http_response_clear(&c->req.resp);
    free(c->path);
    free(c->body);
    *c = (struct placement_call){ .req.resp.retry_after_s = -1 };
}

void
placement_counts_clear(struct placement_counts *c)
{
    free(c->v);
    *c = (struct placement_counts){ 0 };
}

/* Add n requests of method with status to t, keeping t sorted. */
static void
count_add(struct placement_counts *t, const char *method, long status,
          unsigned long n)
{
    size_t i = 0;
    int cmp = 1;

    for (; i < t->n; i++) {
        cmp = strcmp(t->v[i].method, method);
        if (cmp == 0)
            cmp = (t->v[i].status > status) - (t->v[i].status < status);
        if (cmp >= 0)
            break;
    }
    if (i < t->n && cmp == 0) {
        t->v[i].n += n;
        return;
    }
    t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
    memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
    t->v[i] = (struct placement_count){ .status = status, .n = n };
    snprintf(t->v[i].method, sizeof(t->v[i].method), "%s", method);
    t->n++;
}

void
placement_run(struct placement *p, struct placement_call *calls, size_t n,
              size_t max_parallel)
{
    _cleanup_free_ struct http_req *reqs = xcalloc(n ? n : 1, sizeof(*reqs));

    /* http_request_many wants the requests side by side: copy them there and
     * back.  The pointers are taken afresh from each call, so a prepared call
     * may have been moved (a realloc'd array) since its prep. */
    for (size_t i = 0; i < n; i++) {
        struct placement_call *c = &calls[i];

        http_response_clear(&c->req.resp); /* a call run again */
        reqs[i] = c->req;
        reqs[i].path = c->path;
        reqs[i].body = c->body;
        reqs[i].headers = c->headers;
        if (!c->req.method)
            continue; /* never prepared: http.c fails it, nothing is sent */
        p->requests++;
    }
    (void)http_request_many(p->http, reqs, n, max_parallel, NULL);
    for (size_t i = 0; i < n; i++) {
        if (reqs[i].method && p->counts)
            count_add(p->counts, reqs[i].method,
                      reqs[i].rc < 0 ? 0 : reqs[i].resp.status, 1);
        calls[i].req = reqs[i];
    }
}

/* detail made one bounded line: webob's generic first sentence dropped
 * ("...request.\n\n <the specific part>  "), whitespace runs and control
 * characters collapsed to one space. */
static void
one_line(const char *detail, char out[DETAIL_MAX + 4])
{
    const char *s = detail, *sep = strstr(detail, "\n\n");
    size_t n = 0;
    bool space = false;

    if (sep && sep[2 + strspn(sep + 2, " \t\r\n")])
        s = sep + 2;
    for (; *s && n < DETAIL_MAX; s++) {
        bool ws = (unsigned char)*s <= 0x20 || *s == 0x7f;

        if (ws) {
            space = n > 0;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = false;
        if (n < DETAIL_MAX)
            out[n++] = *s;
    }
    if (*s) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static int
errno_of(long status, const char *code)
{
    size_t n = code ? strlen(code) : 0;

    if (status != 409 || !code)
        return http_status_errno(status);
    if (strcmp(code, "placement.concurrent_update") == 0)
        return -EAGAIN;
    if (strcmp(code, "placement.duplicate_name") == 0)
        return -EEXIST;
    if ((n > 6 && strcmp(code + n - 6, ".inuse") == 0) ||
        strcmp(code, "placement.resource_provider.cannot_delete_parent") == 0)
        return -EBUSY;
    return -EIO;
}

static const char *
string_of(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* An HTTP error status: Placement's {"errors": [{code, title, detail}]},
 * webob's {"message", "title"} (the noauth 401) or plain text. */
static int
call_error(const struct placement_call *c, struct errbuf *eb)
{
    const struct http_response *resp = &c->req.resp;
    _cleanup_(placement_cjson_deletep) cJSON *doc = cJSON_Parse(resp->body);
    const cJSON *e =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "errors"), 0);
    const char *code = NULL, *title, *detail;
    char line[DETAIL_MAX + 4];

    if (cJSON_IsObject(e)) {
        code = string_of(e, "code");
        title = string_of(e, "title");
        detail = string_of(e, "detail");
    } else {
        title = string_of(doc, "title");
        detail = cJSON_IsObject(doc) ? string_of(doc, "message") : resp->body;
    }
    one_line(detail ? detail : "", line);
    if (code && (strlen(code) > 100 || strspn(code, "abcdefghijklmnopqrstuvwxyz"
                                                    "_.") != strlen(code)))
        code = "(bad code)";
    if (!code && title && strlen(title) < 60 &&
        strspn(title, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz "
                      "-") == strlen(title))
        code = title;
    return errbuf_set(eb, errno_of(resp->status, code), "%s %s: %ld%s%s: %s%s",
                      c->req.method, c->path, resp->status, code ? " " : "",
                      code ? code : "", line,
                      resp->status == 401 || resp->status == 403
                          ? " (is the token right? placement.token, "
                            "placement.token_file, VGPU_AGENT_TOKEN or the "
                            "Keystone credentials)"
                          : "");
}

/* The message of a call that did not get the status wanted. */
static int
call_failure(const struct placement_call *c, struct errbuf *eb)
{
    const struct http_req *r = &c->req;

    if (r->rc < 0)
        return errbuf_set(eb, r->rc, "%s", r->eb.msg);
    if (!r->resp.body || r->resp.status == 0)
        return errbuf_set(eb, -EIO, "%s %s: no response (call not run)",
                          r->method, c->path);
    if (r->resp.status >= 200 && r->resp.status < 300)
        return errbuf_set(eb, -EPROTO, "%s %s: unexpected status %ld",
                          r->method, c->path, r->resp.status);
    return call_error(c, eb);
}

int
placement_call_status(const struct placement_call *c, long want, long want2,
                      struct errbuf *eb)
{
    const struct http_req *r = &c->req;
    int rc;

    if (!r->method || !c->path)
        return errbuf_set(eb, -EINVAL, "placement call was never prepared");
    if (r->rc == 0 && r->resp.body &&
        (r->resp.status == want || r->resp.status == want2))
        return 0;
    rc = call_failure(c, eb);
    errbuf_set_request(eb, r->method, c->path, r->rc < 0 ? 0 : r->resp.status);
    return rc;
}

int
placement_call_json(const struct placement_call *c, cJSON **ret,
                    struct errbuf *eb)
{
    const struct http_req *r = &c->req;
    cJSON *doc;
    int rc = placement_call_status(c, 200, 200, eb);

    if (rc < 0)
        return rc;
    doc = strlen(r->resp.body) == r->resp.len
              ? cJSON_ParseWithOpts(r->resp.body, NULL, true)
              : NULL;
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return errbuf_set(eb, -EPROTO, "%s %s: response is not a JSON object",
                          r->method, c->path);
    }
    *ret = doc;
    return 0;
}

int
placement_bad_response(const struct placement_call *c, int r, struct errbuf *eb)
{
    errbuf_prefix(eb, "%s %s: bad response", c->req.method, c->path);
    return r;
}

static int
version_of(const cJSON *v, const char *key, int *ret, struct errbuf *eb)
{
    const char *s = string_of(v, key);

    if (!s || version_parse(s, ret) < 0)
        return errbuf_set(eb, -EPROTO,
                          "versions[0].%s: missing or not "
                          "a version",
                          key);
    return 0;
}

int
placement_done_root(const struct placement_call *c, int *ret_min, int *ret_max,
                    struct errbuf *eb)
{
    _cleanup_(placement_cjson_deletep) cJSON *doc = NULL;
    const cJSON *v;
    int r = placement_call_json(c, &doc, eb);

    if (r < 0)
        return r;
    v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "versions"),
                           0);
    if (!cJSON_IsObject(v))
        r = errbuf_set(eb, -EPROTO, "versions[0]: missing or not an object");
    if (r == 0)
        r = version_of(v, "min_version", ret_min, eb);
    if (r == 0)
        r = version_of(v, "max_version", ret_max, eb);
    return r < 0 ? placement_bad_response(c, r, eb) : 0;
}

int
placement_open(struct http *http, struct placement **ret, struct errbuf *eb)
{
    return placement_open_counted(http, NULL, ret, eb);
}

int
placement_open_counted(struct http *http, struct placement_counts *counts,
                       struct placement **ret, struct errbuf *eb)
{
    _cleanup_(placement_freep) struct placement *p = placement_new(http);
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };
    int lo = 0, hi = 0, want_lo = 0, want_hi = 0, r;

    (void)version_parse(PLACEMENT_VERSION_MIN, &want_lo);
    (void)version_parse(PLACEMENT_VERSION_MAX, &want_hi);
    p->counts = counts;
    placement_call_init(p, &c, "GET", xstrdup("/"), NULL);
    c.headers[0] = NULL; /* the version document needs no microversion */
    placement_run(p, &c, 1, 1);
    r = placement_done_root(&c, &lo, &hi, eb);
    if (r < 0)
        return r;
    if (hi < want_lo || lo > want_hi || lo > hi)
        return errbuf_set(eb, -ENOTSUP,
                          "GET /: Placement speaks microversions %d.%d to "
                          "%d.%d, the agent needs %s to %s",
                          lo / 1000, lo % 1000, hi / 1000, hi % 1000,
                          PLACEMENT_VERSION_MIN, PLACEMENT_VERSION_MAX);
    placement_set_version(p, hi < want_hi ? hi : want_hi);
    snprintf(p->server_range, sizeof(p->server_range), "%d.%d-%d.%d", lo / 1000,
             lo % 1000, hi / 1000, hi % 1000);
    *ret = TAKE_PTR(p);
    return 0;
}

int
placement_open_at(struct http *http, const char *version,
                  struct placement **ret, struct errbuf *eb)
{
    int v = 0, lo = 0, hi = 0;

    (void)version_parse(PLACEMENT_VERSION_MIN, &lo);
    (void)version_parse(PLACEMENT_VERSION_MAX, &hi);
    if (version_parse(version, &v) < 0 || v < lo || v > hi)
        return errbuf_set(eb, -ENOTSUP,
                          "microversion '%.20s': the agent needs %s to %s",
                          version ? version : "", PLACEMENT_VERSION_MIN,
                          PLACEMENT_VERSION_MAX);
    *ret = placement_new(http);
    placement_set_version(*ret, v);
    return 0;
}
