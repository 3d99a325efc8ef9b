/*
 * claims.h - what Placement says guests hold on this host's GPU providers.
 */
#pragma once

#include <stddef.h>

#include "errbuf.h"
#include "placement.h"
#include "reconcile.h"
#include "tree.h"

/* Find the tree's GPU providers in Placement (by name under the root named
 * like the tree's root: adopted providers keep their UUIDs) and read their
 * allocations, max_parallel at a time.  *ret lists every consumer holding
 * units of a provider's own class, in the tree's order, then every consumer
 * holding units of a stale provider (a child of the root named
 * "<node>_..." that the tree lacks; sync keeps it while it is allocated)
 * with .provider NULL: those claims cannot be met here and must not be
 * dropped silently.  A provider not in Placement has no claims.  Returns
 * 0 or the first failure (eb naming the request). */
int claims_load(struct placement *pl, const struct tree *t, size_t max_parallel,
                struct reconcile_claim **ret, size_t *ret_n, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* Read the allocations of n providers of the tree (Placement UUIDs
 * uuids[i]) and append their claims to *ret: run re-reads only the
 * providers whose generation moved.  Returns 0 or the first failure. */
int claims_read(struct placement *pl,
                const struct tree_provider *const *providers,
                char (*uuids)[UUIDSTR_LEN], size_t n, size_t max_parallel,
                struct reconcile_claim **ret, size_t *ret_n, struct errbuf *eb)
    __attribute__((warn_unused_result));
