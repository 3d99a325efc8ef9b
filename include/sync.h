/*
 * sync.h - one reporting pass: make Placement hold the provider tree.
 *
 * A pass reads only what it cannot know (the generations of the tree, in
 * one request; a provider's inventories and traits when its generation
 * moved), writes only what differs, and retries a provider whose
 * generation moved under it (HTTP 409) a bounded number of times.  What it
 * read and wrote is kept in a sync_cache, so an unchanged host costs one
 * request a pass.  GPU providers that left the tree are deleted when no
 * guest holds them, and drained (reserved = total) until then.
 */
#pragma once

#include <stddef.h>

#include "cleanup.h"
#include "errbuf.h"
#include "placement.h"
#include "strv.h"
#include "tree.h"

#define SYNC_MAX_CONFLICTS 4 /* 409s on one provider before it fails */

struct sync_cache;
struct sync_cache *sync_cache_new(void);
void sync_cache_free(struct sync_cache *c);
DEFINE_CLEANUP(struct sync_cache, sync_cache_free)
/* Forget what was read: the next pass re-reads everything it manages. */
void sync_cache_forget(struct sync_cache *c);

/* The UUID and generation the last pass left the provider called name
 * with; -ENOENT when the cache does not know it.  Lets run re-read a
 * provider's allocations only when its generation moved. */
int sync_cache_lookup(const struct sync_cache *c, const char *name,
                      char ret_uuid[UUIDSTR_LEN], long *ret_generation);

struct sync_report {
    struct strv warnings; /* drained providers, capacity below usage */
    struct strv errors;   /* one line per provider that failed */
    struct strv notes;    /* worth a line at -v: 409s retried, still drained */
    unsigned created, updated, deleted;
};
void sync_report_clear(struct sync_report *r);

/* Returns 0 when Placement holds t; -EAGAIN when some providers failed
 * (report->errors says which and why); another negative errno with eb set
 * when the pass could not start (root provider, tree listing). */
int sync_pass(struct placement *pl, const struct tree *t,
              struct sync_cache *cache, size_t max_parallel,
              struct sync_report *report, struct errbuf *eb)
    __attribute__((warn_unused_result));
