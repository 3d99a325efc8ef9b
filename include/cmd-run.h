/*
 * cmd-run.h - the reconcile step of `run` (cmd-run-reconcile.c), used by
 * the service loop in cmd-run.c.
 */
#pragma once

#include <stdbool.h>

#include "cmd.h"
#include "placement.h"
#include "sync.h"

struct run_claims; /* the claims read so far, and at which generations */
struct run_claims *run_claims_new(void);
void run_claims_free(struct run_claims *rc);

/* After a sync pass: re-read the allocations of the providers whose
 * generation moved (all of them when full), plan, act, log.  Returns
 * whether the host now matches the allocations. */
bool run_reconcile(struct run_claims *rc, const struct ctx *ctx,
                   const struct cmd_host *host, struct placement *pl,
                   const struct sync_cache *cache, bool full);

/* What the reconcile steps did so far, for the metrics. */
struct run_reconcile_stats {
    bool done; /* a step got as far as planning at least once */
    unsigned long created, removed;     /* mdevs, over every step */
    size_t orphans, unaccounted_guests; /* as the last plan found them */
};
void run_claims_stats(const struct run_claims *rc,
                      struct run_reconcile_stats *ret);
/* Units claimed on the provider Placement knows as uuid, in the
 * allocations last read; -ENODATA when they could not be read (yet). */
int run_claims_used(const struct run_claims *rc, const char *uuid, long *ret);

struct metrics;
/* After a pass that ended ok or not and took duration seconds: record it
 * in m with the host's GPUs (total and reserved from the tree, used from
 * rc) and write conf's metrics_file, if set; a write failure is logged
 * (cmd-run-metrics.c). */
void run_metrics_pass(struct metrics *m, const struct cmd_host *host,
                      const struct sync_cache *cache,
                      const struct run_claims *rc,
                      const struct placement_counts *counts, bool ok,
                      double duration);
