/*
 * sync-cache.h - what a sync pass remembers for the next one: the root
 * provider it found or made, the state it left each provider in, and the
 * custom traits and resource classes known to exist.
 *
 * The public half (new, free, forget, lookup) is in sync.h; this half is
 * the pass's, and the only way anything changes the cache.
 */
#pragma once

#include <stdbool.h>

#include "placement.h"
#include "strv.h"
#include "sync.h"

/* The root provider's UUID, or NULL until a pass found or made it (and
 * after sync_cache_forget()).  *ret_owned (may be NULL) says whether the
 * agent made it, and so may add inventories and traits to it. */
const char *sync_cache_root(const struct sync_cache *c, bool *ret_owned);
void sync_cache_set_root(struct sync_cache *c, const char *uuid, bool owned);
/* Whether the pass waits for nova-compute's root provider; returns whether
 * that changed since the last pass (so it is said once).  Forgetting the
 * cache does not forget it. */
bool sync_cache_set_waiting(struct sync_cache *c, bool waiting);

/* What the last pass left provider uuid holding, if its generation is
 * still generation: *ret_invs and *ret_traits (cleared first) get copies
 * and 0 is returned; -ENOENT when the cache does not know it, -ESTALE when
 * its generation moved (nothing written then). */
int sync_cache_recall(const struct sync_cache *c, const char *uuid,
                      long generation, struct placement_invs *ret_invs,
                      struct strv *ret_traits);

/* Remember that provider uuid (called name) holds invs and traits at
 * generation; their resource classes and traits are known to exist from
 * now on. */
void sync_cache_remember(struct sync_cache *c, const char *uuid,
                         const char *name, long generation,
                         const struct placement_invs *invs,
                         const struct strv *traits);
/* Forget provider uuid (deleted, or failed: re-read next pass). */
void sync_cache_drop(struct sync_cache *c, const char *uuid);

/* The custom traits and resource classes known to exist in Placement,
 * sorted.  Valid until the next change of c. */
const struct strv *sync_cache_known(const struct sync_cache *c);
void sync_cache_learn(struct sync_cache *c, const char *name);
