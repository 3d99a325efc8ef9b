/*
 * sync-tree.h - where this host's tree is in Placement: its root provider
 * (found by the node's name, so a root nova-compute made is adopted) and
 * the stale GPU providers under it.
 *
 * One definition of each, for the two readers that must agree: sync (which
 * writes the tree, and drains or deletes stale providers) and claims (which
 * reads the allocations on it, stale providers included).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"
#include "placement.h"
#include "tree.h"

/* GET /resource_providers?name=<t's root name>.  0 with *ret filled (the
 * caller placement_rp_clear()s it), -ENOENT when Placement has no such
 * provider, another negative errno with eb naming the request. */
int sync_tree_find_root(struct placement *pl, const struct tree *t,
                        struct placement_rp *ret, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* Whether rp is one of ours that left the tree: a child of root_uuid named
 * like our GPU providers but not in t (tree_is_stale_name()).  Sync keeps
 * it, drained, while guests hold it, so their claims still stand. */
bool sync_tree_is_stale(const struct tree *t, const struct placement_rp *rp,
                        const char *root_uuid);

/* The first provider of rps[0..n) with that uuid or that name (either may
 * be NULL); NULL when none. */
const struct placement_rp *sync_tree_find(const struct placement_rp *rps,
                                          size_t n, const char *uuid,
                                          const char *name);
