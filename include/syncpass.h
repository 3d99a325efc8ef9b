/*
 * syncpass.h - the insides of a sync pass, shared by sync.c (jobs, cache,
 * the pass), syncround.c (the batched rounds) and syncroot.c (root and
 * stale providers).  Nothing outside these files includes it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "placement.h"
#include "strv.h"
#include "sync.h"
#include "tree.h"

/* What the agent last saw of one provider. */
struct sync_cached {
    char uuid[UUIDSTR_LEN];
    char *name;
    long generation;
    struct placement_invs invs;
    struct strv traits;
};

struct sync_cache {
    char root_uuid[UUIDSTR_LEN]; /* "" until the root is ensured */
    bool root_owned;   /* the agent created the root: it may add to it */
    struct strv known; /* CUSTOM_ traits and classes known to exist */
    struct sync_cached *rps;
    size_t n, cap;
};

/* One provider the pass touches. */
struct sync_job {
    const struct tree_provider *want; /* NULL for a stale provider */
    const char *name;                 /* for messages */
    char uuid[UUIDSTR_LEN];           /* in Placement (adopted or ours) */
    bool is_root, stale;
    bool exists;    /* in Placement */
    bool need_read; /* its inventories and traits must be (re)read */
    bool failed, deleted;
    long generation;            /* the last one read or written */
    struct placement_invs invs; /* what Placement holds */
    struct strv traits;
    struct inventory *new_invs; /* planned write, when put_invs */
    size_t n_new_invs;
    bool put_invs, put_traits;
    struct strv new_traits;
    struct placement_allocs allocs; /* stale or shrinking: who holds it */
};

struct sync_pass {
    struct placement *pl;
    const struct tree *tree;
    struct sync_cache *cache;
    size_t max_parallel;
    struct sync_report *report;
    struct sync_job *jobs;
    size_t n_jobs, cap_jobs;
    struct placement_rp *rps; /* GET /resource_providers?in_tree=root */
    size_t n_rps;
};

struct sync_cached *sync_cache_find(struct sync_cache *c, const char *uuid);
struct sync_job *sync_pass_job(struct sync_pass *ps, const char *uuid);
const struct placement_rp *sync_pass_find_rp(const struct sync_pass *ps,
                                             const char *uuid,
                                             const char *name);
void sync_job_fail(struct sync_pass *ps, struct sync_job *j, const char *msg);

/* syncround.c */
void sync_round_create(struct sync_pass *ps);
void sync_round_read(struct sync_pass *ps);
void sync_plan(struct sync_pass *ps);
void sync_round_ensure_names(struct sync_pass *ps);
void sync_round_write(struct sync_pass *ps);

/* syncroot.c */
int sync_root(struct sync_pass *ps, struct errbuf *eb);
void sync_stale(struct sync_pass *ps);
