/*
 * syncdiff.h - what a provider in Placement must become: pure functions,
 * no I/O, so every rule of "write only what differs, keep what others own"
 * is tested without a server.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "inventory.h"
#include "strv.h"

/* Whether two inventory lists (sorted by resource class) are the same. */
bool syncdiff_invs_equal(const struct inventory *a, size_t na,
                         const struct inventory *b, size_t nb);

/* The traits a GPU provider must carry: the current ones, minus those the
 * agent manages (managed, the HW_GPU_MAX_DISPLAY_HEADS_* and
 * HW_GPU_RESOLUTION_* it derives, and want itself) that are not wanted,
 * plus want.  Traits someone else set survive.  *ret is cleared first;
 * sorted. */
void syncdiff_traits(const struct strv *current, const struct strv *want,
                     const struct strv *managed, struct strv *ret);

/* Whether the agent owns trait name on a GPU provider. */
bool syncdiff_is_managed_trait(const char *name, const struct strv *managed);

/* Add-only merge for a root the agent created: current plus the wanted
 * inventories it lacks (or holds with other values).  *ret is a new
 * sorted array the caller frees with inventory_clear() on each and free(). */
void syncdiff_merge_invs(const struct inventory *current, size_t n_current,
                         const struct inventory *want, size_t n_want,
                         struct inventory **ret, size_t *ret_n);

/* The names in want (traits or resource classes) that start with CUSTOM_
 * and are not in known: what must be created before a write.  Appended. */
void syncdiff_missing_custom(const struct strv *want, const struct strv *known,
                             struct strv *ret);
