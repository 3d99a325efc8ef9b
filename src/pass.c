/*
 * pass.c - one pass: scan, sync, reconcile, metrics.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostplan.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "pass-metrics.h"
#include "pass-reconcile.h"
#include "pass.h"
#include "statefile.h"
#include "sync-statefile.h"
#include "xalloc.h"

struct pass {
    struct sync_cache *cache;
    struct pass_reconcile *reconcile;
    struct metrics *metrics; /* over the service's life */
    double last_full;        /* when the cache was last dropped */
    double down_since;       /* Placement unreachable since; 0: it is not */
    bool refresh_now;        /* drop it at the next pass anyway */
    bool check_conf;         /* say the configuration's slips (a new one) */
    bool scanned;            /* the host was just scanned: use that scan */
    bool state_read;         /* the state file was tried (first pass) */
    bool state_warned;       /* a failed write of it was logged */
    char *state_saved;       /* its text as last read or written */
};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct pass *
pass_new(void)
{
    struct pass *p = xcalloc(1, sizeof(*p));

    p->cache = sync_cache_new();
    p->reconcile = pass_reconcile_new();
    p->metrics = metrics_new();
    p->refresh_now = true;
    p->check_conf = true;
    return p;
}

void
pass_free(struct pass *p)
{
    if (!p)
        return;
    sync_cache_free(p->cache);
    pass_reconcile_free(p->reconcile);
    metrics_free(p->metrics);
    free(p->state_saved);
    free(p);
}

void
pass_scanned(struct pass *p)
{
    p->scanned = true;
}

void
pass_refresh_next(struct pass *p)
{
    p->refresh_now = true;
    p->check_conf = true;
}

/* One line per write, at the default level: what the agent did. */
static void
log_change(const struct sync_change *c)
{
    const struct log_fields f = { .event = sync_change_event(c->kind),
                                  .provider = c->provider,
                                  .method = c->method,
                                  .path = c->path };

    switch (c->kind) {
    case SYNC_CHANGE_PROVIDER_CREATED:
        log_event(LOG_NOTICE, &f, "provider %s created (%s)", c->provider,
                  c->what);
        break;
    case SYNC_CHANGE_PROVIDER_DELETED:
        log_event(LOG_NOTICE, &f, "provider %s deleted: %s", c->provider,
                  c->what);
        break;
    case SYNC_CHANGE_PROVIDER_DRAINED:
        log_event(LOG_NOTICE, &f,
                  "provider %s drained (guests still hold it): %s", c->provider,
                  c->what);
        break;
    case SYNC_CHANGE_INVENTORY:
        log_event(LOG_NOTICE, &f, "provider %s inventory: %s", c->provider,
                  c->what);
        break;
    case SYNC_CHANGE_TRAITS:
        log_event(LOG_NOTICE, &f, "provider %s traits: %s", c->provider,
                  c->what);
        break;
    case SYNC_CHANGE_NAME:
        log_event(LOG_NOTICE, &f, "custom name %s created", c->what);
        break;
    }
}

void
pass_log_problems(const struct sync_report *rep)
{
    for (size_t i = 0; i < rep->warnings.n; i++)
        log_warn("%s", rep->warnings.v[i]);
    for (size_t i = 0; i < rep->errors.n; i++)
        log_failure(LOG_EVENT_SYNC_ERROR, 0, &rep->errors.v[i].req,
                    rep->errors.v[i].msg);
}

/* Log what a sync did and found; the summary at summary_level. */
static void
log_report(const struct sync_report *rep, unsigned long requests, bool done,
           enum log_level summary_level)
{
    for (size_t i = 0; i < rep->changes.n; i++)
        log_change(&rep->changes.v[i]);
    pass_log_problems(rep);
    for (size_t i = 0; i < rep->notes.n; i++)
        log_info("%s", rep->notes.v[i]);
    log_event(done ? summary_level : LOG_ERROR,
              &(struct log_fields){ .event = done ? LOG_EVENT_SYNC_DONE
                                                  : LOG_EVENT_SYNC_FAILED },
              "pass %s: %u created, %u updated, %u deleted; %lu requests",
              done ? "done" : "incomplete", rep->created, rep->updated,
              rep->deleted, requests);
}

int
pass_sync(struct session *s, const struct hostload *h, struct sync_cache *cache,
          unsigned long requests_before, enum log_level summary_level)
{
    struct sync_report rep = { 0 };
    struct errbuf eb = { 0 };
    int r = session_sync(s, h, cache, 0, &rep, &eb);
    bool done = r == 0 && rep.result == SYNC_DONE;

    if (!done && http_stop_pending()) { /* its requests were abandoned */
        log_info("pass abandoned: stopping");
        sync_report_clear(&rep);
        return -ECANCELED;
    }
    if (r < 0)
        log_failure(LOG_EVENT_SYNC_FAILED, r, &eb.req, eb.msg);
    log_report(&rep, placement_requests(session_placement(s)) - requests_before,
               done, summary_level);
    sync_report_clear(&rep);
    return r < 0 ? r : !done;
}

/* Placement down (the pass could not start) or back: one line each way. */
static void
track_placement(struct pass *p, bool reached)
{
    if (!reached && p->down_since == 0) {
        p->down_since = now_s();
        log_event(LOG_WARNING,
                  &(struct log_fields){ .event = LOG_EVENT_PLACEMENT_DOWN },
                  "Placement unreachable; retrying with backoff (the errors "
                  "above say why)");
    } else if (reached && p->down_since != 0) {
        log_event(
            LOG_NOTICE, &(struct log_fields){ .event = LOG_EVENT_PLACEMENT_UP },
            "Placement reachable again after %.0f s", now_s() - p->down_since);
        p->down_since = 0;
    }
}

struct statefile_owner
pass_state_owner(const struct hostload *h, const struct placement *pl)
{
    return (struct statefile_owner){ .node = h->tree->providers[0].name,
                                     .placement = placement_endpoint(pl) };
}

/* At the first pass, the cache from the state file when it holds one for
 * this node in this Placement: the pass then only confirms it.  Anything
 * else is a full read, said once. */
static void
state_load(struct pass *p, const struct hostload *h, const struct placement *pl)
{
    struct statefile_owner owner = pass_state_owner(h, pl);
    _cleanup_free_ char *path = NULL;
    struct errbuf eb = { 0 };
    int r;

    if (p->state_read || !h->conf->state_dir)
        return;
    p->state_read = true;
    path = sync_statefile_path(h->conf->state_dir);
    r = sync_statefile_load(path, &owner, p->cache, &eb);
    if (r == -ENOENT) {
        log_info("%s: no sync state yet; reading Placement in full", path);
    } else if (r < 0) {
        log_warn("sync state %s; ignored, reading Placement in full", eb.msg);
    } else {
        log_info("%s: sync state of %zu provider(s) loaded; confirming it "
                 "with one read",
                 path, sync_cache_size(p->cache));
        p->state_saved = sync_statefile_format(p->cache, &owner);
        p->refresh_now = false;
        p->last_full = now_s();
    }
}

void
pass_state_save(const char *what, const char *reread, const char *path,
                char *text, char **saved, bool *warned)
{
    struct errbuf eb = { 0 };

    if (statefile_update(path, text, saved, &eb) >= 0)
        return;
    log_msg(*warned ? LOG_DEBUG : LOG_WARNING,
            "%s not saved (the next start reads %s in full): %s", what, reread,
            eb.msg);
    *warned = true;
}

/* After a pass that ran: the cache to the state file, when it changed. */
static void
state_save(struct pass *p, const struct hostload *h, const struct placement *pl)
{
    struct statefile_owner owner = pass_state_owner(h, pl);
    _cleanup_free_ char *path = NULL;

    if (!h->conf->state_dir)
        return;
    path = sync_statefile_path(h->conf->state_dir);
    pass_state_save("sync state", "Placement", path,
                    sync_statefile_format(p->cache, &owner), &p->state_saved,
                    &p->state_warned);
}

/* Whether this pass re-reads everything; if so the cache is dropped. */
static bool
full_refresh(struct pass *p, const struct conf *c)
{
    if (!p->refresh_now && c->full_refresh_s != 0 &&
        now_s() - p->last_full < c->full_refresh_s)
        return false;
    if (!p->refresh_now) /* the scheduled one, not the first or a reload's */
        log_info("re-reading Placement in full (every full_refresh_s, %u s)",
                 c->full_refresh_s);
    sync_cache_forget(p->cache);
    p->last_full = now_s();
    p->refresh_now = false;
    return true;
}

/* Hold back the vGPUs no claim owns, as the last reconcile step found
 * them; before any did, as the claims (those the state file kept, after a
 * restart: the reconcile step of this same pass corrects them) and the
 * guests say now. */
static int
hold_back(struct pass *p, struct hostload *h, struct session *s)
{
    const struct strv *owned = pass_reconcile_owned(p->reconcile);
    const struct reconcile_claim *saved = NULL;
    size_t n_saved = 0;

    if (owned) {
        tree_hold_back(h->tree, owned);
        return 0;
    }
    if (h->conf->reconcile.enabled)
        pass_reconcile_saved(p->reconcile, h, session_placement(s), p->cache,
                             &saved, &n_saved);
    return hostplan_hold_back(h, s, saved, n_saved);
}

/* Reconcile; when that changed what the tree holds back (orphans removed,
 * or rescued by their claims), Placement hears of it in this pass. */
static int
reconcile(struct pass *p, struct hostload *h, struct session *s, bool full)
{
    const struct strv *owned;
    int r = 0;

    pass_reconcile_step(p->reconcile, h, session_placement(s), p->cache, full);
    owned = pass_reconcile_owned(p->reconcile);
    if (owned && tree_hold_back(h->tree, owned) > 0)
        r = pass_sync(s, h, p->cache, placement_requests(session_placement(s)),
                      LOG_INFO);
    return r;
}

/* Scan, sync, reconcile; whether Placement now holds the tree. */
static bool
steps(struct pass *p, struct hostload *h, struct session *s)
{
    bool full;
    int r;

    if (!p->scanned && hostload_scan(h) < 0)
        return false;
    p->scanned = false;
    if (p->check_conf) /* at start and after a reload */
        hostload_check(h, LOG_WARNING);
    p->check_conf = false;
    if (session_open(s, h) < 0) {
        if (http_stop_pending())
            return false;
        track_placement(p, false);
        sync_cache_set_unconfirmed(p->cache, true);
        return false;
    }
    state_load(p, h, session_placement(s));
    full = full_refresh(p, h->conf);
    r = hold_back(p, h, s);
    if (r == 0)
        r = pass_sync(s, h, p->cache, placement_requests(session_placement(s)),
                      LOG_INFO);
    if (r < 0 && http_stop_pending())
        return false; /* stopping: nothing about Placement to conclude */
    if (r >= 0)
        state_save(p, h, session_placement(s));
    track_placement(p, r >= 0);
    if (r == 0 && h->conf->reconcile.enabled)
        r = reconcile(p, h, s, full);
    if (r < 0) {          /* Placement may be another when it answers again */
        session_close(s); /* renegotiate */
        /* and confirm the cache with one read, not re-read it all: a
         * fleet's first passes after an outage cost 2 requests a host */
        sync_cache_set_unconfirmed(p->cache, true);
    }
    return r == 0;
}

void
pass_set_interval(struct pass *p, double seconds)
{
    metrics_set_interval(p->metrics, seconds);
}

bool
pass_run(struct pass *p, struct hostload *h, struct session *s)
{
    double start = now_s();
    bool ok;

    log_last_error_reset();
    ok = steps(p, h, s);
    if (!ok && http_stop_pending())
        return false; /* abandoned for a stop: no pass to record */
    if (!ok)
        metrics_set_last_error(p->metrics, log_last_error());

    pass_metrics_record(p->metrics, h, p->cache, p->reconcile,
                        session_counts(s), ok, now_s() - start);
    return ok;
}
