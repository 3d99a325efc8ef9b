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

#include <stdbool.h>
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

/* How many providers the cache knows. */
size_t sync_cache_size(const struct sync_cache *c);

/* Whether no pass has confirmed what the cache holds against Placement
 * yet: it came from the state file, or Placement was unreachable since.
 * A root that is not in Placement then means another (or a rebuilt)
 * Placement, and the pass reads everything afresh, instead of a root
 * deleted under a running agent (SYNC_ROOT_VANISHED). */
bool sync_cache_unconfirmed(const struct sync_cache *c);
void sync_cache_set_unconfirmed(struct sync_cache *c, bool unconfirmed);

/* The UUID and generation the last pass left the provider called name
 * with; -ENOENT when the cache does not know it.  Lets run re-read a
 * provider's allocations only when its generation moved. */
int sync_cache_lookup(const struct sync_cache *c, const char *name,
                      char ret_uuid[UUIDSTR_LEN], long *ret_generation);

/* How a pass that ran ended. */
enum sync_result {
    SYNC_DONE = 0,      /* Placement holds the tree */
    SYNC_INCOMPLETE,    /* some providers (or custom names) failed: errors
                         * says which and why; the rest was written */
    SYNC_ROOT_VANISHED, /* the root provider the cache knew is gone from
                         * Placement (deleted since the last pass): nothing
                         * was written, the cache is forgotten, the next
                         * pass finds or recreates the root; errors holds
                         * the line that says so */
    SYNC_ROOT_WAITING,  /* the root is nova-compute's to create and is not
                         * in Placement yet (tree.h, owner.adopt_root):
                         * nothing was written; the first such pass says so
                         * in warnings, the ones after it in notes */
};

/* What a pass wrote, or with SYNC_DRY_RUN would write: one entry per
 * request that changes Placement, in the order it was (or would be)
 * sent. */
enum sync_change_kind {
    SYNC_CHANGE_PROVIDER_CREATED,
    SYNC_CHANGE_PROVIDER_DELETED,
    SYNC_CHANGE_PROVIDER_DRAINED, /* reserved = total: guests still hold it */
    SYNC_CHANGE_INVENTORY,
    SYNC_CHANGE_TRAITS,
    SYNC_CHANGE_NAME, /* a custom trait or resource class created */
};
struct sync_change {
    enum sync_change_kind kind;
    char *provider; /* its name; NULL for SYNC_CHANGE_NAME */
    const char *method;
    char *path; /* "/resource_providers/<uuid>/inventories" */
    char *what; /* "VGPU total 0 -> 4", "+CUSTOM_NVIDIA_35 -CUSTOM_X" */
};
struct sync_changes {
    struct sync_change *v;
    size_t n, cap;
};

/* Why a pass is not SYNC_DONE, one line each: a provider that failed, a
 * custom name that could not be created, the root that vanished; req
 * names the request that failed, when one did (method "" otherwise). */
struct sync_error {
    char *msg;
    struct errbuf_request req;
};
struct sync_errors {
    struct sync_error *v;
    size_t n, cap;
};

struct sync_report {
    enum sync_result result;
    struct sync_changes changes; /* done (or planned, SYNC_DRY_RUN) */
    struct strv warnings;        /* drained providers, capacity below usage */
    struct sync_errors errors;   /* why the pass is not SYNC_DONE */
    struct strv notes; /* worth a line at -v: 409s retried, still drained */
    unsigned created, updated, deleted; /* providers; a drain is an update */
};
/* Empty r for the next pass (result SYNC_DONE). */
void sync_report_clear(struct sync_report *r);

/* Make Placement hold t.  Returns 0 when the pass ran: report->result says
 * how it ended (SYNC_DONE only when Placement holds t), report->errors
 * why not.  Returns a negative errno with eb set when it could not start:
 * finding or creating the root provider, or listing its tree, failed
 * (-EACCES: Placement refused the token); report->result is then
 * SYNC_INCOMPLETE.  report is added to, not cleared, first. */
enum sync_flags {
    /* Read Placement as a pass does, but write nothing: report->changes
     * and the counts are what a pass would do (and the cache is left as
     * if it had: give a pass of its own). */
    SYNC_DRY_RUN = 1 << 0,
};

/* The event name of a change, as logged: "provider_created", ... */
const char *sync_change_event(enum sync_change_kind kind);

int sync_pass(struct placement *pl, const struct tree *t,
              struct sync_cache *cache, size_t max_parallel, unsigned flags,
              struct sync_report *report, struct errbuf *eb)
    __attribute__((warn_unused_result));
