/*
 * pass-metrics.c - the metrics step of a pass.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "pass-metrics.h"
#include "xalloc.h"

static double
wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* reconciling: whether the allocations rc holds are being kept fresh (a
 * SIGHUP may have turned reconcile off since they were read). */
static void
gather_gpus(struct metrics *m, const struct tree *t,
            const struct sync_cache *cache, const struct pass_reconcile *rc,
            bool reconciling)
{
    struct metrics_gpu *gpus = xcalloc(t->n_providers, sizeof(*gpus));
    char(*uuids)[UUIDSTR_LEN] = xcalloc(t->n_providers, sizeof(*uuids));
    size_t n = 0;

    for (size_t i = 1; i < t->n_providers; i++) {
        const struct tree_provider *p = &t->providers[i];
        struct metrics_gpu *g = &gpus[n];
        long gen;

        if (!p->device || p->n_invs == 0)
            continue;
        if (sync_cache_lookup(cache, p->name, uuids[n], &gen) < 0)
            snprintf(uuids[n], sizeof(uuids[n]), "%s", p->uuid);
        /* A GPU provider has one inventory: its class. */
        *g = (struct metrics_gpu){ .provider = p->name,
                                   .uuid = uuids[n],
                                   .address = p->device->address,
                                   .mdev_type = p->device->mdev_type,
                                   .rc = p->invs[0].rc,
                                   .total = p->invs[0].total,
                                   .reserved = p->invs[0].reserved };
        if (!reconciling || pass_reconcile_used(rc, uuids[n], &g->used) < 0)
            g->used = -1;
        n++;
    }
    metrics_set_gpus(m, gpus, n);
    free(gpus);
    free(uuids);
}

void
pass_metrics_record(struct metrics *m, const struct hostload *h,
                    const struct sync_cache *cache,
                    const struct pass_reconcile *rc,
                    const struct placement_counts *counts, bool ok,
                    double duration)
{
    const char *path = h->conf->metrics_file;
    struct metrics_reconcile st;
    struct errbuf eb = { 0 };

    metrics_record_pass(m, ok, wall_now(), duration);
    if (h->tree)
        gather_gpus(m, h->tree, cache, rc, h->conf->reconcile.enabled);
    pass_reconcile_stats(rc, &st);
    metrics_set_reconcile(m, &st);
    metrics_set_requests(m, counts->v, counts->n);
    if (path && metrics_write(m, path, &eb) < 0)
        log_warn("metrics: %s (errno %d); the service carries on", eb.msg,
                 -eb.code);
}
