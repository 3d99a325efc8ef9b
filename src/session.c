/*
 * session.c - the connection to Placement and the Keystone token's life.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "clouds.h"
#include "http.h"
#include "log.h"
#include "session.h"
#include "xalloc.h"

struct session {
    struct keystone *ks; /* the token, kept across connections */
    struct http *http;
    struct placement *pl;
    struct placement_counts counts;
};

struct session *
session_new(void)
{
    return xcalloc(1, sizeof(struct session));
}

void
session_close(struct session *s)
{
    placement_free(TAKE_PTR(s->pl));
    http_free(TAKE_PTR(s->http));
}

void
session_logout(struct session *s)
{
    session_close(s);
    keystone_free(TAKE_PTR(s->ks));
}

void
session_free(struct session *s)
{
    if (!s)
        return;
    session_logout(s);
    placement_counts_clear(&s->counts);
    free(s);
}

struct placement *
session_placement(const struct session *s)
{
    return s->pl;
}

const struct keystone *
session_keystone(const struct session *s)
{
    return s->ks;
}

const struct placement_counts *
session_counts(const struct session *s)
{
    return &s->counts;
}

bool
session_configured(const struct hostload *h)
{
    return h->conf->placement.endpoint || clouds_uses_keystone(h->auth);
}

/* Get a token and say so (the line operators and tests look for). */
static int
login(const struct hostload *h, struct keystone *ks, struct errbuf *eb)
{
    const char *configured = h->conf->placement.endpoint;
    char when[KEYSTONE_TIME_MAX];
    int r = keystone_authenticate(ks, !configured, eb);

    if (r < 0)
        return r;
    log_info("keystone: authenticated (%s) at %s; token expires %s; "
             "placement endpoint %s",
             clouds_method_name(h->auth->method), keystone_auth_url(ks),
             keystone_format_time(keystone_expires(ks), when),
             configured ? configured : keystone_endpoint(ks));
    return 0;
}

/* A new token, on the connection too. */
static int
renew(struct session *s, const struct hostload *h, struct errbuf *eb)
{
    int r = login(h, s->ks, eb);

    return r < 0 ? r : http_set_token(s->http, keystone_token(s->ks), eb);
}

/* A Keystone client with a token that is good for a while. */
static int
keystone_ready(struct session *s, const struct hostload *h, struct errbuf *eb)
{
    const struct conf_placement *pc = &h->conf->placement;
    int r;

    if (!s->ks) {
        r = keystone_new(h->auth, pc->cacert, pc->insecure, (long)pc->timeout_s,
                         &s->ks, eb);
        if (r < 0)
            return r;
    }
    if (keystone_expiring(s->ks, time(NULL)))
        return login(h, s->ks, eb);
    return 0;
}

/* Log why the session could not open; the error, never -EINVAL (that
 * would blame the configuration, which was fine). */
static int
open_failed(const struct errbuf *eb)
{
    log_failure(LOG_EVENT_SYNC_FAILED, eb->code, &eb->req, eb->msg);
    return eb->code == -EINVAL || eb->code == 0 ? -EIO : eb->code;
}

int
session_open(struct session *s, const struct hostload *h)
{
    const struct conf_placement *pc = &h->conf->placement;
    bool keystone = clouds_uses_keystone(h->auth);
    struct http_opts o = { .base_url = pc->endpoint,
                           .token = pc->token,
                           .cacert = pc->cacert,
                           .insecure = pc->insecure,
                           .timeout_s = (long)pc->timeout_s };
    _cleanup_(http_freep) struct http *http = NULL;
    struct errbuf eb = { 0 };

    if (s->pl)
        return 0;
    if (!session_configured(h)) {
        log_error("%s: placement.endpoint is not set and there are no "
                  "Keystone credentials; sync and run need one of them",
                  hostload_conf_name(h));
        return -EINVAL;
    }
    if (pc->insecure)
        log_warn("placement.insecure: TLS certificates are NOT verified");
    if (keystone && keystone_ready(s, h, &eb) < 0)
        return open_failed(&eb);
    if (keystone) {
        o.token = keystone_token(s->ks);
        o.base_url = pc->endpoint ? pc->endpoint : keystone_endpoint(s->ks);
    }
    if (http_new(&o, &http, &eb) < 0 ||
        placement_open_counted(http, &s->counts, &s->pl, &eb) < 0)
        return open_failed(&eb);
    s->http = TAKE_PTR(http);
    return 0;
}

int
session_sync(struct session *s, const struct hostload *h,
             struct sync_cache *cache, unsigned flags, struct sync_report *rep,
             struct errbuf *eb)
{
    size_t max = h->conf->placement.max_parallel;
    int r;

    if (s->ks && keystone_expiring(s->ks, time(NULL)) && renew(s, h, eb) < 0)
        return eb->code;
    /* At most twice: once more after a 401 and a new token. */
    for (bool retried = false;; retried = true) {
        r = sync_pass(s->pl, h->tree, cache, max, flags, rep, eb);
        if (r != -EACCES || !s->ks || retried)
            return r;
        log_info("%s; renewing the Keystone token and retrying", eb->msg);
        sync_report_clear(rep);
        errbuf_clear(eb);
        if (renew(s, h, eb) < 0)
            return eb->code;
    }
}
