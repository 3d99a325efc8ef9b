/*
 * sync-job.h - the providers a sync pass touches, one job each.
 *
 * A job is the pass's whole knowledge of one provider: what the tree wants
 * of it, what Placement holds, what the next write will be, and whether it
 * failed (and why).  The rounds only change jobs; the pass (sync.c) makes
 * them, reports their failures and remembers their outcome.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "inventory.h"
#include "placement.h"
#include "strv.h"
#include "tree.h"

struct sync_job {
    const struct tree_provider *want; /* NULL for a stale provider */
    const char *name;                 /* for messages */
    char uuid[UUIDSTR_LEN];           /* in Placement (adopted or ours) */
    bool is_root, stale;
    bool exists;    /* in Placement */
    bool need_read; /* its inventories and traits must be (re)read */
    bool deleted;
    bool created; /* by this pass (or, dry, to be) */
    bool planned; /* dry run: exists only in the plan */
    bool written; /* its inventories or traits were (or would be) written */
    bool failed;  /* given up on for this pass */
    char *why;    /* when failed: the message */
    /* and the request that failed, if one did */
    struct errbuf_request why_req;
    char *clash;                /* its create met a provider of its name:
                                 * that 409's message until resolved */
    long generation;            /* the last one read or written */
    struct placement_invs invs; /* what Placement holds */
    struct strv traits;
    struct inventory *new_invs; /* planned write, when put_invs */
    size_t n_new_invs;
    bool put_invs, put_traits;
    bool check_capacity; /* put_invs shrinks it: read who holds what */
    struct strv new_traits;
    struct placement_allocs allocs; /* stale: who holds it */
    bool recalled; /* what it holds came from the cache, not a read */
    bool held;     /* stale, drained, and its generation did not move since:
                    * still held, its allocations not read again (syncroot.c) */
    /* Nova's per-VF providers (sync-reshape.c): on a stale one, the GPU of
     * the tree it is a VF of; on that GPU's job, that its inventory is
     * written by the reshape that empties them, not by a PUT */
    const struct tree_provider *vf_of;
    bool reshape;
};

/* Give up on j for this pass (a job fails once); msg is copied, req (the
 * request that failed, may be NULL) too. */
void sync_job_fail(struct sync_job *j, const char *msg,
                   const struct errbuf_request *req);
struct sync_jobs {
    struct sync_job *v;
    size_t n, cap;
};

/* A new job for provider uuid; name must outlive it.  Pointers to jobs
 * stay valid until the next sync_jobs_add(). */
struct sync_job *sync_jobs_add(struct sync_jobs *js, const char *uuid,
                               const char *name);
struct sync_job *sync_jobs_find(const struct sync_jobs *js, const char *uuid);
void sync_jobs_clear(struct sync_jobs *js);
