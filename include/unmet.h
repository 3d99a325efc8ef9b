/*
 * unmet.h - claims this host cannot meet: a consumer holds vGPUs of a GPU
 * provider in Placement that the host does not deliver.
 *
 * A claim is unmet when planning found no room for one of its vGPUs (the
 * GPU is full, or gone), when one of its vGPUs exists elsewhere
 * (misplaced), when it holds more units of one GPU than the inventory's
 * max_unit, or when creating one of its vGPUs failed.  Such a claim is a
 * guest that will not start: reconcile exits 1, run logs it once when it
 * begins and once when it clears, and its metrics and `status` show it.
 */
#pragma once

#include <stddef.h>

#include "reconcile-act.h"
#include "reconcile.h"
#include "uuidstr.h"

struct unmet_claim {
    char consumer[UUIDSTR_LEN];
    char provider[UUIDSTR_LEN]; /* as Placement knows it */
    char *gpu;                  /* "0000:3b:00.0"; "" when the provider has
                                 * no GPU on this host any more */
    char *device;               /* the mdev's UUID, the VF's address; "" */
    char *what;                 /* "mdev <uuid>", "VF <address>", "GPU
                                 * <address>": what the problem is with */
    char *why;                  /* the first problem found */
};

struct unmet {
    struct unmet_claim *v; /* one per consumer and provider, plan order */
    size_t n;
};

/* The unmet claims of plan p, after acting on it (rep; NULL: not acted
 * on), among claims[0..n_claims) (for each provider's GPU).  ret is
 * cleared first. */
void unmet_collect(const struct reconcile_plan *p,
                   const struct reconcile_report *rep,
                   const struct reconcile_claim *claims, size_t n_claims,
                   struct unmet *ret);
void unmet_clear(struct unmet *u);
