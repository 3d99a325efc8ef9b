/*
 * keystone.c - a Keystone session: POST /v3/auth/tokens, keep the token.
 *
 * The session owns its own http client on the auth_url (Keystone is not
 * Placement) and the request body, built once; both hold secrets and are
 * wiped when the session ends.  When to renew is decided from Keystone's
 * own issued_at/expires_at (the lifetime) measured on our clock from the
 * moment the answer came, so a skewed clock on either side does not
 * matter.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "errbuf.h"
#include "http.h"
#include "keystone.h"
#include "secret.h"
#include "xalloc.h"

#define TOKENS_PATH "/auth/tokens"
#define DETAIL_MAX 200

struct keystone {
    struct http *http;
    char *auth_url;
    char *body; /* the request: holds the password or secret */
    const char *secret;
    char *interface;
    char *region;
    char *token;     /* a secret */
    time_t expires;  /* Keystone's clock */
    time_t renew_at; /* ours */
    char *endpoint;
};

int
keystone_new(const struct clouds_auth *a, const char *cacert, bool insecure,
             long timeout_s, struct keystone **ret, struct errbuf *eb)
{
    _cleanup_(keystone_freep) struct keystone *k = xcalloc(1, sizeof(*k));
    struct http_opts o = { .base_url = a->cred.auth_url,
                           .cacert = cacert,
                           .insecure = insecure,
                           .timeout_s = timeout_s,
                           .max_response = 1024 * 1024 };
    int r;

    if (!clouds_uses_keystone(a))
        return errbuf_set(eb, -EINVAL, "keystone: no Keystone credentials");
    r = http_new(&o, &k->http, eb);
    if (r < 0)
        return errbuf_prefix(eb, "keystone auth_url");
    k->auth_url = xstrdup(a->cred.auth_url);
    k->body = keystone_auth_body(a);
    k->secret = a->method == CLOUDS_AUTH_APPCRED
                    ? a->cred.application_credential_secret
                    : a->cred.password;
    k->interface = xstrdup(a->interface ? a->interface : "internal");
    k->region = a->region_name ? xstrdup(a->region_name) : NULL;
    *ret = TAKE_PTR(k);
    return 0;
}

static void
drop_token(struct keystone *k)
{
    secret_free(TAKE_PTR(k->token));
    free(TAKE_PTR(k->endpoint));
    k->expires = k->renew_at = 0;
}

void
keystone_free(struct keystone *k)
{
    if (!k)
        return;
    drop_token(k);
    http_free(k->http);
    free(k->auth_url);
    secret_free(k->body);
    free(k->interface);
    free(k->region);
    free(k);
}

/* Keystone's {"error": {"code", "title", "message"}}, one line, capped,
 * with the secret cut out should Keystone ever echo it. */
static void
error_detail(const struct keystone *k, const struct http_response *resp,
             char out[DETAIL_MAX + 4])
{
    cJSON *doc = cJSON_ParseWithLength(resp->body, resp->len);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "title");
    const char *s = cJSON_IsString(m)   ? m->valuestring
                    : cJSON_IsString(t) ? t->valuestring
                                        : "";
    size_t n = 0;

    for (; *s && n < DETAIL_MAX; s++)
        out[n++] = (*s < ' ' || *s == 0x7f) ? ' ' : *s;
    out[n] = '\0';
    if (*s)
        memcpy(out + n, "...", 4);
    if (k->secret && strlen(k->secret) >= 4) {
        char *hit;

        while ((hit = strstr(out, k->secret)))
            memset(hit, '*', strlen(k->secret));
    }
    cJSON_Delete(doc);
}

/* "Connection refused" etc. for the transport errors people meet. */
static const char *
transport_reason(int r)
{
    switch (r) {
    case -ECONNREFUSED:
        return "connection refused";
    case -ETIMEDOUT:
        return "timed out";
    case -EHOSTUNREACH:
        return "host not found";
    case -ECONNRESET:
        return "connection reset";
    default:
        return "transport error";
    }
}

static int
post_tokens(struct keystone *k, struct http_response *resp, struct errbuf *eb)
{
    struct errbuf heb = { 0 };
    int r =
        http_request(k->http, "POST", TOKENS_PATH, k->body, NULL, resp, &heb);
    _cleanup_free_ char *url = xasprintf("%s" TOKENS_PATH, k->auth_url);

    /* The facts: r says what went wrong (no answer) or the status does;
     * http.c's message, whole, says how. */
    if (r < 0) {
        errbuf_set(eb, r, "keystone: POST %s: %s (%s)", url, heb.msg,
                   transport_reason(r));
        errbuf_set_request(eb, "POST", url, 0);
        return r;
    }
    if (resp->status != 201 && resp->status != 200) {
        int code = http_status_errno(resp->status);
        char detail[DETAIL_MAX + 4];

        error_detail(k, resp, detail);
        errbuf_set(eb, code < 0 ? code : -EIO, /* another 2xx: -EIO */
                   "keystone: POST %s: %ld%s%s%s", url, resp->status,
                   detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
        errbuf_set_request(eb, "POST", url, resp->status);
        return code < 0 ? code : -EIO;
    }
    if (!resp->subject_token || !resp->subject_token[0])
        return errbuf_set(eb, -EPROTO,
                          "keystone: POST %s" TOKENS_PATH
                          ": %ld without an X-Subject-Token header",
                          k->auth_url, resp->status);
    return 0;
}

/* Renew at the earlier of "5 minutes before" and "a tenth of the lifetime
 * before" the end, counted on our clock from now. */
static time_t
renew_time(time_t now, time_t issued, time_t expires)
{
    time_t life = expires > issued ? expires - issued : 0;
    time_t margin = life / 10 < KEYSTONE_RENEW_BEFORE_S
                        ? life / 10
                        : KEYSTONE_RENEW_BEFORE_S;

    return now + life - margin;
}

int
keystone_authenticate(struct keystone *k, bool want_endpoint, struct errbuf *eb)
{
    struct http_response resp = { 0 };
    _cleanup_free_ char *endpoint = NULL;
    time_t issued = 0, expires = 0, now = time(NULL);
    int r;

    drop_token(k);
    r = post_tokens(k, &resp, eb);
    if (r == 0)
        r = keystone_parse_times(resp.body, resp.len, &issued, &expires, eb);
    if (r == 0 && issued == expires) /* no issued_at: trust our clock */
        issued = now;
    if (r == 0) {
        r = keystone_parse_endpoint(resp.body, resp.len, k->interface,
                                    k->region, &endpoint, eb);
        if (r < 0 && !want_endpoint)
            r = 0;
        if (r < 0)
            errbuf_prefix(eb, "keystone: token from %s", k->auth_url);
    } else if (r == -EPROTO) {
        errbuf_prefix(eb, "keystone: POST %s" TOKENS_PATH ": %ld", k->auth_url,
                      resp.status);
    }
    if (r == 0) {
        k->token = TAKE_PTR(resp.subject_token);
        k->expires = expires;
        k->renew_at = renew_time(now, issued, expires);
        k->endpoint = TAKE_PTR(endpoint);
    }
    http_response_clear(&resp);
    return r;
}

bool
keystone_expiring(const struct keystone *k, time_t now)
{
    return !k->token || now >= k->renew_at;
}

const char *
keystone_token(const struct keystone *k)
{
    return k->token;
}

const char *
keystone_endpoint(const struct keystone *k)
{
    return k->endpoint;
}

time_t
keystone_expires(const struct keystone *k)
{
    return k->expires;
}

const char *
keystone_auth_url(const struct keystone *k)
{
    return k->auth_url;
}
