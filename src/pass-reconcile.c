/*
 * pass-reconcile.c - the reconcile step of a pass: the claims read again
 * where generations moved, then plan and act (hostplan.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "claims-statefile.h"
#include "claims.h"
#include "cleanup.h"
#include "hostplan.h"
#include "log.h"
#include "notes.h"
#include "pass-reconcile.h"
#include "pass.h"
#include "strv.h"
#include "unmet.h"
#include "xalloc.h"

struct pass_reconcile {
    struct reconcile_claim *v;
    size_t n;
    struct strv read_at; /* "<uuid> <generation>" when last read */
    bool loaded;
    struct metrics_reconcile stats;
    struct notes *notes; /* the lasting problems */
    struct strv owned;   /* vGPUs not to hold back (hostplan_owned()) */
    bool owned_known;    /* once a step planned with the guests */
    struct unmet unmet;  /* the claims the last step left unmet */
    bool state_read;     /* the claims state file, once at the start */
    bool state_pending;  /* its claims are in v, not yet pruned */
    char *state_saved;   /* its text as last saved */
    bool state_warned;
};

struct pass_reconcile *
pass_reconcile_new(void)
{
    struct pass_reconcile *rc = xcalloc(1, sizeof(*rc));

    rc->notes = notes_new();
    return rc;
}

void
pass_reconcile_free(struct pass_reconcile *rc)
{
    if (!rc)
        return;
    free(rc->v);
    strv_clear(&rc->read_at);
    notes_free(rc->notes);
    strv_clear(&rc->owned);
    unmet_clear(&rc->unmet);
    free(rc->state_saved);
    free(rc);
}

static void
forget_provider(struct pass_reconcile *rc, const char *uuid)
{
    size_t kept = 0;

    for (size_t i = 0; i < rc->n; i++)
        if (strcmp(rc->v[i].uuid, uuid) != 0)
            rc->v[kept++] = rc->v[i];
    rc->n = kept;
}

/* Re-point old claims at this pass's tree (rebuilt every pass). */
static void
repoint(struct pass_reconcile *rc, const struct tree *t,
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
refresh_moved(struct pass_reconcile *rc, struct placement *pl,
              const struct hostload *host, const struct sync_cache *cache,
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

/* Once: the claims of the state file into rc, not yet trusted (refresh()
 * prunes them against the first sync's cache); said when there are none. */
static void
state_load(struct pass_reconcile *rc, const struct hostload *host,
           const struct placement *pl)
{
    struct statefile_owner owner = pass_state_owner(host, pl);
    _cleanup_free_ char *path = NULL;
    struct errbuf eb = { 0 };
    int r;

    if (rc->state_read || !host->conf->state_dir)
        return;
    rc->state_read = true;
    path = claims_statefile_path(host->conf->state_dir);
    r = claims_statefile_load(path, &owner, &rc->v, &rc->n, &rc->read_at, &eb);
    if (r == -ENOENT)
        log_info("%s: no claims state yet; reading the claims in full", path);
    else if (r < 0)
        log_warn("claims state %s; ignored, reading the claims in full",
                 eb.msg);
    rc->state_pending = r == 0;
}

void
pass_reconcile_saved(struct pass_reconcile *rc, const struct hostload *h,
                     const struct placement *pl, const struct sync_cache *cache,
                     const struct reconcile_claim **ret, size_t *ret_n)
{
    state_load(rc, h, pl);
    if (!rc->state_pending)
        return;
    repoint(rc, h->tree, cache);
    *ret = rc->v;
    *ret_n = rc->n;
}

/* The claims of the state file, as far as they still hold against the
 * cache the pass's sync just confirmed: whether they were taken. */
static bool
state_take(struct pass_reconcile *rc, const struct hostload *host,
           const struct placement *pl, const struct sync_cache *cache,
           bool full)
{
    state_load(rc, host, pl);
    if (!rc->state_pending)
        return false;
    rc->state_pending = false;
    if (full)
        return false;
    if (!claims_statefile_prune(rc->v, &rc->n, &rc->read_at, host->tree,
                                cache)) {
        log_info("claims state: a provider outside the tree moved; reading "
                 "the claims in full");
        return false;
    }
    log_info("claims state: %zu claim(s) loaded; re-reading only the "
             "providers whose generation moved",
             rc->n);
    return rc->loaded = true;
}

/* After the claims were read: to the state file, when they changed. */
static void
state_save(struct pass_reconcile *rc, const struct hostload *host,
           const struct placement *pl)
{
    struct statefile_owner owner = pass_state_owner(host, pl);
    _cleanup_free_ char *path = NULL;

    if (!host->conf->state_dir)
        return;
    path = claims_statefile_path(host->conf->state_dir);
    pass_state_save("claims state", "the claims", path,
                    claims_statefile_format(rc->v, rc->n, &rc->read_at, &owner),
                    &rc->state_saved, &rc->state_warned);
}

static int
refresh(struct pass_reconcile *rc, struct placement *pl,
        const struct hostload *host, const struct sync_cache *cache, bool full,
        struct errbuf *eb)
{
    int r;

    if (!rc->loaded && state_take(rc, host, pl, cache, full))
        return refresh_moved(rc, pl, host, cache, false, eb);
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
pass_reconcile_stats(const struct pass_reconcile *rc,
                     struct metrics_reconcile *ret)
{
    *ret = rc->stats;
}

int
pass_reconcile_used(const struct pass_reconcile *rc, const char *uuid,
                    long *ret)
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

const struct strv *
pass_reconcile_owned(const struct pass_reconcile *rc)
{
    return rc->owned_known ? &rc->owned : NULL;
}

const struct unmet *
pass_reconcile_unmet(const struct pass_reconcile *rc)
{
    return &rc->unmet;
}

/* Count what a step did and found. */
static void
count_step(struct metrics_reconcile *st, const struct reconcile_plan *p,
           const struct reconcile_report *rep, const struct unmet *u)
{
    st->done = true;
    st->unsatisfied = u->n;
    for (size_t i = 0; i < rep->n; i++) {
        if (rep->v[i].result != RECONCILE_OK)
            continue;
        if (rep->v[i].action == RECONCILE_CREATE)
            st->created++;
        else if (rep->v[i].action == RECONCILE_REMOVE)
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

/* One line per vGPU made or removed (a notice), or that failed (an
 * error, said through n: a failure is tried again every pass, and said
 * once); a definition kept in step is detail (info). */
static void
log_action(struct notes *n, const struct reconcile_action *a)
{
    _cleanup_free_ char *result = reconcile_result_text(a);
    bool failed = a->result == RECONCILE_FAILED;
    bool vgpu = a->action == RECONCILE_CREATE || a->action == RECONCILE_REMOVE;
    struct log_fields f = { .device = a->uuid,
                            .gpu = a->parent,
                            .consumer = a->consumer };

    f.event = failed                          ? LOG_EVENT_MDEV_FAILED
              : a->action == RECONCILE_CREATE ? LOG_EVENT_MDEV_CREATED
              : a->action == RECONCILE_REMOVE ? LOG_EVENT_MDEV_REMOVED
                                              : "mdev_definition";
    if (failed) {
        notes_event(
            n, LOG_ERROR, &f, NULL, NULL, "reconcile: %s %s on %s (%s)%s%s: %s",
            reconcile_verb_name(a->action), a->uuid, a->parent, a->mdev_type,
            *a->consumer ? " for consumer " : "", a->consumer, result);
        return;
    }
    log_event(vgpu ? LOG_NOTICE : LOG_INFO, &f,
              "reconcile: %s %s on %s (%s)%s%s: %s",
              reconcile_verb_name(a->action), a->uuid, a->parent, a->mdev_type,
              *a->consumer ? " for consumer " : "", a->consumer, result);
}

static void
log_plan(struct pass_reconcile *rc, const struct reconcile_plan *p,
         const struct reconcile_report *rep)
{
    for (size_t i = 0; i < rep->n; i++)
        log_action(rc->notes, &rep->v[i]);
    for (size_t i = 0; i < p->n_misplaced; i++)
        notes_say(rc->notes, LOG_WARNING, "reconcile: %s %s %s",
                  reconcile_noun(&p->misplaced[i]), p->misplaced[i].uuid,
                  p->misplaced[i].why);
    for (size_t i = 0; i < p->n_unaccounted; i++)
        notes_say(rc->notes, LOG_WARNING,
                  "reconcile: %s %s of guest %s on %s: %s",
                  reconcile_noun(&p->unaccounted[i]), p->unaccounted[i].uuid,
                  p->unaccounted[i].consumer,
                  p->unaccounted[i].parent ? p->unaccounted[i].parent
                                           : "no GPU of this host",
                  p->unaccounted[i].why);
    for (size_t i = 0; i < rc->unmet.n; i++) {
        const struct unmet_claim *u = &rc->unmet.v[i];
        _cleanup_free_ char *met =
            xasprintf("reconcile: the claim of consumer %s can be met again: "
                      "%s",
                      u->consumer, u->what);

        notes_event(rc->notes, LOG_ERROR,
                    &(struct log_fields){ .event = LOG_EVENT_CLAIM_UNSATISFIED,
                                          .consumer = u->consumer,
                                          .device = u->device,
                                          .gpu = u->gpu },
                    LOG_EVENT_CLAIM_SATISFIED, met,
                    "reconcile: the claim of consumer %s cannot be met: %s: "
                    "%s",
                    u->consumer, u->what, u->why);
    }
}

bool
pass_reconcile_step(struct pass_reconcile *rc, struct hostload *host,
                    struct placement *pl, const struct sync_cache *cache,
                    bool full)
{
    struct reconcile_report rep = { 0 };
    struct errbuf eb = { 0 };
    struct guests *g;
    struct reconcile_plan *p;
    bool ok;

    if (refresh(rc, pl, host, cache, full, &eb) < 0) {
        errbuf_prefix(&eb, "reconcile");
        log_failure(NULL, eb.code, &eb.req, eb.msg);
        rc->loaded = false; /* read everything again next time */
        return false;
    }
    state_save(rc, host, pl);
    repoint(rc, host->tree, cache);
    g = hostplan_guests(host->conf, HOSTPLAN_NEED_ORPHANS, rc->notes);
    p = hostplan_plan(host, g, rc->v, rc->n);
    ok = hostplan_act(host, g, rc->v, rc->n, false, false, &p, &rep) == 0 &&
         g != NULL;
    if (g || !rc->owned_known) { /* without the guests, the last word on
                                  * owners stands, if there is one */
        strv_clear(&rc->owned);
        hostplan_owned(p, &rep, &rc->owned);
        rc->owned_known = true;
    }
    unmet_collect(p, &rep, rc->v, rc->n, &rc->unmet);
    log_plan(rc, p, &rep);
    notes_round_end(rc->notes);
    count_step(&rc->stats, p, &rep, &rc->unmet);
    reconcile_report_clear(&rep);
    reconcile_plan_free(p);
    guests_free(g);
    return ok;
}
