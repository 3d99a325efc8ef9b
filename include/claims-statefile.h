/*
 * claims-statefile.h - the claims `run` last read from Placement, kept
 * across restarts in state_dir/claims-state.json.
 *
 * With reconcile on, a restarted agent otherwise reads every GPU's
 * allocations again; with this file it re-reads only the providers whose
 * generation moved since (Placement bumps a provider's generation when its
 * allocations change), as a running agent does between passes.  The file
 * is JSON: {"format": "vgpu-agent-claims-state", "version": 2, "node": the
 * root provider's name, "placement": the endpoint's URL, "read_at":
 * ["<provider uuid> <generation>", ...], "claims": [{"provider": uuid,
 * "consumer": uuid, "used": n}, ...]}.  Like the sync state (statefile.h),
 * only a hint: missing, old, another node's or Placement's, or corrupt
 * means reading the claims in full.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"
#include "reconcile.h"
#include "statefile.h"
#include "strv.h"
#include "sync.h"
#include "tree.h"

#define CLAIMS_STATEFILE_NAME "claims-state.json"
#define CLAIMS_STATEFILE_FORMAT "vgpu-agent-claims-state"
#define CLAIMS_STATEFILE_VERSION 2      /* 2: the header names the Placement */
#define CLAIMS_STATEFILE_MAX (4u << 20) /* bytes */

/* "<state_dir>/claims-state.json"; caller frees. */
char *claims_statefile_path(const char *state_dir);

/* The claims v (n of them), read at the generations read_at, of owner's
 * tree in owner's Placement, as the file's text; caller frees. */
char *claims_statefile_format(const struct reconcile_claim *v, size_t n,
                              const struct strv *read_at,
                              const struct statefile_owner *owner);

/* The file at path, written for owner, into *ret (free() it; .provider
 * NULL), *ret_n and read_at (cleared first).  Returns 0, or what
 * statefile_read() and statefile_check() return, or -EPROTO for a bad
 * entry; eb names the path.  On failure nothing is returned. */
int claims_statefile_load(const char *path, const struct statefile_owner *owner,
                          struct reconcile_claim **ret, size_t *ret_n,
                          struct strv *read_at, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* Keep of loaded claims what still holds, against the cache of a sync
 * pass that just confirmed the tree (sync.h): the claims of a provider
 * Placement no longer has are dropped (a provider with allocations cannot
 * be deleted); a tree provider whose generation moved keeps its claims
 * until run re-reads it; read_at keeps the keys of current generations
 * only.  Returns false when a provider outside t (a stale one, which run
 * does not re-read by generation) moved: only claims_load() finds its
 * claims then. */
bool claims_statefile_prune(struct reconcile_claim *v, size_t *n,
                            struct strv *read_at, const struct tree *t,
                            const struct sync_cache *cache);
