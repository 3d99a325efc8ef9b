/*
 * cmd-run-metrics.c - the metrics step of `run`, after every pass: gather
 * the figures the pass left behind into struct metrics and write the file.
 *
 * The GPUs come from this pass's tree (kept from the last pass that built
 * one, when a scan failed); their Placement UUID from the sync cache (an
 * adopted provider keeps its own), else the tree's.  used comes from the
 * allocations the reconcile step read, so it is absent while reconcile is
 * disabled or has not read them yet.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd-run.h"
#include "log.h"
#include "metrics.h"
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
            const struct sync_cache *cache, const struct run_claims *rc,
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
        if (!reconciling || run_claims_used(rc, uuids[n], &g->used) < 0)
            g->used = -1;
        n++;
    }
    metrics_set_gpus(m, gpus, n);
    free(gpus);
    free(uuids);
}

void
run_metrics_pass(struct metrics *m, const struct cmd_host *host,
                 const struct sync_cache *cache, const struct run_claims *rc,
                 bool ok, double duration)
{
    const char *path = host->conf->metrics_file;
    struct run_reconcile_stats st;
    struct errbuf eb = { 0 };

    metrics_record_pass(m, ok, wall_now(), duration);
    if (host->tree)
        gather_gpus(m, host->tree, cache, rc, host->conf->reconcile.enabled);
    run_claims_stats(rc, &st);
    m->reconciled = st.done;
    m->mdevs_created = st.created;
    m->mdevs_removed = st.removed;
    m->orphans = st.orphans;
    m->unaccounted_guests = st.unaccounted_guests;
    m->requests = placement_counts(&m->n_requests);
    if (path && metrics_write(m, path, &eb) < 0)
        log_warn("metrics: %s (errno %d); the service carries on", eb.msg,
                 -eb.code);
}
