/*
 * pass-reconcile.h - the reconcile step of a pass (pass.h), after sync.
 *
 * Reading every provider's allocations each pass would cost a request per
 * GPU every interval.  A claim bumps the provider's generation, so after a
 * sync pass (whose cache knows every generation) only the providers whose
 * generation moved since their allocations were read are read again.  A
 * deleted allocation does not move a generation, so everything is re-read
 * at each full refresh: an orphan surfaces then at the latest.  Lasting
 * problems are said once (notes.h).
 *
 * Part of the service layer (see hostload.h): it logs what it meets.
 */
#pragma once

#include <stdbool.h>

#include "hostload.h"
#include "metrics.h"
#include "placement.h"
#include "sync.h"
#include "unmet.h"

/* The claims read so far and at which generations, the problems noted. */
struct pass_reconcile;

struct pass_reconcile *pass_reconcile_new(void);
void pass_reconcile_free(struct pass_reconcile *rc); /* NULL is a no-op */

/* After a sync pass: re-read the allocations of the providers whose
 * generation moved (all of them when full), plan, act (h->hw is read
 * again when orphans went), log.  Returns whether the host now matches
 * the allocations: no claim is unmet, and nothing else is wrong. */
bool pass_reconcile_step(struct pass_reconcile *rc, struct hostload *h,
                         struct placement *pl, const struct sync_cache *cache,
                         bool full);

/* The claims the state file kept (claims-statefile.h) for h's tree in the
 * Placement pl talks to, read at the first call, pointed at h's providers
 * as cache (the sync state's) names them:
 * *ret and *ret_n are left alone when there are none (no state_dir, no
 * file, or one that cannot be used). */
void pass_reconcile_saved(struct pass_reconcile *rc, const struct hostload *h,
                          const struct placement *pl,
                          const struct sync_cache *cache,
                          const struct reconcile_claim **ret, size_t *ret_n);

/* The vGPUs that are not to be held back (tree_hold_back()), as the last
 * step that read the guests found them; NULL before any did. */
const struct strv *pass_reconcile_owned(const struct pass_reconcile *rc);
/* The claims the last step left unmet. */
const struct unmet *pass_reconcile_unmet(const struct pass_reconcile *rc);

/* What the steps did so far, for the metrics. */
void pass_reconcile_stats(const struct pass_reconcile *rc,
                          struct metrics_reconcile *ret);
/* Units claimed on the provider Placement knows as uuid, in the
 * allocations last read; -ENODATA when they could not be read (yet). */
int pass_reconcile_used(const struct pass_reconcile *rc, const char *uuid,
                        long *ret);
