/*
 * cmd-run-reconcile.c - the reconcile step of `run`, after each sync pass.
 *
 * Reading every provider's allocations each pass would cost a request per
 * GPU every interval.  A claim bumps the provider's generation, so after a
 * sync pass (whose cache knows every generation) only the providers whose
 * generation moved since their allocations were read are read again.  A
 * deleted allocation does not move a generation, so everything is re-read
 * at each full refresh: an orphan surfaces then at the latest.
 *
 * What stays wrong from pass to pass (libvirt unreachable, a misplaced or
 * unaccounted mdev) is logged when it first appears and once when it
 * clears, not at every pass: a service logging the same line every
 * interval buries the one that matters.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "cleanup.h"
#include "cmd-run.h"
#include "guests.h"
#include "log.h"
#include "reconcile-act.h"
#include "reconcile.h"
#include "strv.h"
#include "xalloc.h"

struct run_claims {
    struct reconcile_claim *v;
    size_t n;
    struct strv read_at; /* "<uuid> <generation>" when last read */
    bool loaded;
    struct run_reconcile_stats stats;
    struct strv noted; /* the lasting problems logged at the last pass */
    struct strv now;   /* ... and those seen in this one */
};

struct run_claims *
run_claims_new(void)
{
    return xcalloc(1, sizeof(struct run_claims));
}

void
run_claims_free(struct run_claims *rc)
{
    if (!rc)
        return;
    free(rc->v);
    strv_clear(&rc->read_at);
    strv_clear(&rc->noted);
    strv_clear(&rc->now);
    free(rc);
}

static void
forget_provider(struct run_claims *rc, const char *uuid)
{
    size_t kept = 0;

    for (size_t i = 0; i < rc->n; i++)
        if (strcmp(rc->v[i].uuid, uuid) != 0)
            rc->v[kept++] = rc->v[i];
    rc->n = kept;
}

/* Re-point old claims at this pass's tree (rebuilt every pass). */
static void
repoint(struct run_claims *rc, const struct tree *t,
        const struct sync_cache *cache)
{
    for (size_t i = 0; i < rc->n; i++)
        rc->v[i].provider = NULL;
    for (size_t j = 1; j < t->n_providers; j++) {
        char uuid[UUIDSTR_LEN];
        long gen;

        if (sync_cache_lookup(cache, t->providers[j].name, uuid, &gen) < 0)
            continue;
        for (size_t i = 0; i < rc->n; i++)
            if (strcmp(uuid, rc->v[i].uuid) == 0)
                rc->v[i].provider = &t->providers[j];
    }
}

/* Read the allocations of the providers whose generation moved since
 * they were read; with mark_only, just note that the claims in hand stand
 * for the generations the cache holds now (after a full read). */
static int
refresh_moved(struct run_claims *rc, struct placement *pl,
              const struct cmd_host *host, const struct sync_cache *cache,
              bool mark_only, struct errbuf *eb)
{
    const struct tree *t = host->tree;
    const struct tree_provider **todo = xcalloc(t->n_providers, sizeof(*todo));
    char(*uuids)[UUIDSTR_LEN] = xcalloc(t->n_providers, sizeof(*uuids));
    size_t n = 0;
    int r;

    for (size_t i = 1; i < t->n_providers; i++) {
        _cleanup_free_ char *key = NULL;
        long gen;

        if (sync_cache_lookup(cache, t->providers[i].name, uuids[n], &gen) < 0)
            continue;
        key = xasprintf("%s %ld", uuids[n], gen);
        if (strv_contains(&rc->read_at, key))
            continue;
        strv_push(&rc->read_at, key);
        if (mark_only)
            continue;
        forget_provider(rc, uuids[n]);
        todo[n++] = &t->providers[i];
    }
    r = claims_read(pl, todo, uuids, n, host->conf->placement.max_parallel,
                    &rc->v, &rc->n, eb);
    if (n > 0)
        log_debug("reconcile: re-read allocations of %zu provider(s)", n);
    free(todo);
    free(uuids);
    return r;
}

static int
refresh(struct run_claims *rc, struct placement *pl,
        const struct cmd_host *host, const struct sync_cache *cache, bool full,
        struct errbuf *eb)
{
    int r;

    if (full || !rc->loaded) {
        free(rc->v);
        rc->v = NULL;
        rc->n = 0;
        strv_clear(&rc->read_at);
        r = claims_load(pl, host->tree, host->conf->placement.max_parallel,
                        &rc->v, &rc->n, eb);
        rc->loaded = r == 0;
        return r < 0 ? r : refresh_moved(rc, pl, host, cache, true, eb);
    }
    return refresh_moved(rc, pl, host, cache, false, eb);
}

void
run_claims_stats(const struct run_claims *rc, struct run_reconcile_stats *ret)
{
    *ret = rc->stats;
}

int
run_claims_used(const struct run_claims *rc, const char *uuid, long *ret)
{
    long n = 0;

    if (!rc->loaded)
        return -ENODATA;
    for (size_t i = 0; i < rc->n; i++)
        if (strcmp(rc->v[i].uuid, uuid) == 0)
            n += rc->v[i].n;
    *ret = n;
    return 0;
}

/* Count what a step did and found. */
static void
count_step(struct run_reconcile_stats *st, const struct reconcile_plan *p,
           const struct reconcile_report *rep)
{
    st->done = true;
    for (size_t i = 0; i < rep->n; i++) {
        if (strcmp(rep->v[i].result, "ok") != 0)
            continue;
        if (strcmp(rep->v[i].action, "create") == 0)
            st->created++;
        else if (strcmp(rep->v[i].action, "remove") == 0)
            st->removed++;
    }
    st->orphans = p->n_orphans;
    st->unaccounted_guests = 0;
    for (size_t i = 0; i < p->n_unaccounted; i++) {
        size_t j = 0;

        while (j < i && strcmp(p->unaccounted[j].consumer,
                               p->unaccounted[i].consumer) != 0)
            j++;
        st->unaccounted_guests += j == i; /* a guest's first mdev */
    }
}

/* A lasting problem seen in this pass: logged unless it was at the last. */
static void __attribute__((format(printf, 3, 4)))
note(struct run_claims *rc, enum log_level level, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    if (strv_contains(&rc->now, msg))
        return;
    if (!strv_contains(&rc->noted, msg))
        log_msg(level, "%s", msg);
    strv_push(&rc->now, msg);
}

/* End of a pass: say once which problems of the last pass are gone.  At
 * warning level, so that whoever saw the problem sees it end. */
static void
notes_done(struct run_claims *rc)
{
    for (size_t i = 0; i < rc->noted.n; i++)
        if (!strv_contains(&rc->now, rc->noted.v[i]))
            log_warn("cleared: %s", rc->noted.v[i]);
    strv_clear(&rc->noted);
    rc->noted = rc->now;
    rc->now = (struct strv){ 0 };
}

/* Guests through libvirt; NULL (noted) when it cannot be reached: then
 * nothing counts as an orphan. */
static struct guests *
load_guests(struct run_claims *rc, const struct conf *c)
{
    struct guests *g = NULL;
    struct errbuf eb = { 0 };

    if (guests_load(c->libvirt_uri, &g, &eb) < 0) {
        note(rc, LOG_ERROR, "reconcile: %s; orphans are not looked for",
             eb.msg);
        return NULL;
    }
    for (size_t i = 0; i < g->warnings.n; i++)
        note(rc, LOG_WARNING, "%s", g->warnings.v[i]);
    return g;
}

static void
log_plan(struct run_claims *rc, const struct reconcile_plan *p,
         const struct reconcile_report *rep)
{
    for (size_t i = 0; i < rep->n; i++)
        log_msg(
            strncmp(rep->v[i].result, "error", 5) == 0 ? LOG_ERROR : LOG_INFO,
            "reconcile: %s %s on %s (%s): %s", rep->v[i].action, rep->v[i].uuid,
            rep->v[i].parent, rep->v[i].mdev_type, rep->v[i].result);
    for (size_t i = 0; i < p->n_misplaced; i++)
        note(rc, LOG_WARNING, "reconcile: mdev %s %s", p->misplaced[i].uuid,
             p->misplaced[i].why);
    for (size_t i = 0; i < p->n_unaccounted; i++)
        note(rc, LOG_WARNING, "reconcile: mdev %s of guest %s on %s: %s",
             p->unaccounted[i].uuid, p->unaccounted[i].consumer,
             p->unaccounted[i].parent ? p->unaccounted[i].parent
                                      : "no GPU of this host",
             p->unaccounted[i].why);
    for (size_t i = 0; i < p->n_errors; i++)
        log_error("reconcile: mdev %s for consumer %s: %s", p->errors[i].uuid,
                  p->errors[i].consumer, p->errors[i].why);
}

bool
run_reconcile(struct run_claims *rc, const struct ctx *ctx,
              const struct cmd_host *host, struct placement *pl,
              const struct sync_cache *cache, bool full)
{
    struct reconcile_report rep = { 0 };
    struct errbuf eb = { 0 };
    struct guests *g;
    struct reconcile_plan *p;
    bool ok;

    if (refresh(rc, pl, host, cache, full, &eb) < 0) {
        log_error("reconcile: %s", eb.msg);
        rc->loaded = false; /* read everything again next time */
        return false;
    }
    repoint(rc, host->tree, cache);
    g = load_guests(rc, host->conf);
    p = reconcile_plan(host->tree, host->mdev, g, rc->v, rc->n);
    ok = cmd_reconcile_act(ctx, host, false, false, p, &rep) == CMD_EXIT_OK &&
         g != NULL;
    log_plan(rc, p, &rep);
    notes_done(rc);
    count_step(&rc->stats, p, &rep);
    reconcile_report_clear(&rep);
    reconcile_plan_free(p);
    guests_free(g);
    return ok;
}
