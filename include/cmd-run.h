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
