/*
 * syncpass.h - the insides of a sync pass: its state, and the rounds
 * sync.c runs in order.  Nothing outside the sync files includes it.
 *
 * A pass is a sequence of rounds, each one concurrent batch of requests
 * (sync-batch.h): root, tree listing, create, clash, then read -> plan ->
 * capacity -> names -> write until no provider hit a 409, then stale and
 * retire.  Planning is pure: what it needs to know is read by the rounds
 * around it.  Rounds change jobs (sync-job.h) and add warnings, notes and
 * counts to the report; failures stay on the jobs until the pass reports
 * them, and only the pass changes the cache (sync-cache.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "jitter.h"
#include "placement.h"
#include "sync-batch.h"
#include "sync-job.h"
#include "sync.h"
#include "tree.h"

struct sync_pass {
    struct placement *pl;
    const struct tree *tree;
    struct sync_cache *cache;
    size_t max_parallel;
    bool dry_run;      /* SYNC_DRY_RUN */
    bool root_planned; /* dry run: the root is only to be created */
    struct sync_report *report;
    char root_uuid[UUIDSTR_LEN]; /* once sync_root() found it */
    bool root_owned;             /* the agent made it */
    bool root_created;           /* just now: rps is it alone, not read */
    bool waiting;                /* for nova-compute's root: no root yet */
    struct sync_jobs jobs;
    struct placement_rp *rps; /* GET /resource_providers?in_tree=root */
    size_t n_rps;
    struct jitter jitter; /* the 409 pauses', seeded per host and pass */
};

/* syncchange.c */
/* Record a change (what: owned, may be NULL; provider may be NULL). */
void sync_change_add(struct sync_report *r, enum sync_change_kind kind,
                     const char *provider, const char *method, char *path,
                     char *what);
void sync_changes_clear(struct sync_changes *c);
/* Record why the pass is not done; req (may be NULL) the failed request. */
void sync_error_add(struct sync_report *r, const struct errbuf_request *req,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sync_errors_clear(struct sync_errors *e);
/* "VGPU total 0 -> 4, max_unit 0 -> 4" between two inventory lists (sorted
 * by resource class); "VGPU added (total 4)", "VGPU removed"; caller frees. */
char *sync_change_describe_invs(const struct inventory *old, size_t n_old,
                                const struct inventory *new, size_t n_new);
/* "+CUSTOM_A -CUSTOM_B" (both sorted); caller frees. */
char *sync_change_describe_traits(const struct strv *old,
                                  const struct strv *new);

/* syncroot.c */
/* Find the root by name (adopting nova-compute's), else create it with the
 * tree's UUID, or, when it is nova-compute's to create (owner.adopt_root),
 * set ps->waiting: a round of one each, as each needs the answer before.
 * The cache's root, when it has one, costs nothing.  0 or a negative errno
 * (-EEXIST: a root of the node's name that nova-compute cannot use). */
int sync_root(struct sync_pass *ps, struct errbuf *eb);
/* Read who holds each stale provider. */
void sync_round_stale(struct sync_pass *ps);
/* Delete the stale providers nobody holds; drain (reserved = total) the
 * others. */
void sync_round_retire(struct sync_pass *ps);

/* sync-owner.c */
/* The traits GPU job j must carry (the tree's and the owner trait) and the
 * ones the agent may remove from it (the tree's managed ones and this
 * host's owner trait under an older host name), appended. */
void sync_owner_wants(const struct sync_pass *ps, const struct sync_job *j,
                      struct strv *want, struct strv *managed);
/* Fail every job just read (a GPU provider of the tree, or a stale one)
 * that carries another host's owner trait: never written, never deleted. */
void sync_check_owner(struct sync_pass *ps);

/* sync-reshape.c */
/* Find nova-compute's per-VF providers among the stale jobs (named like a
 * VF of a GPU of the tree): mark them and their GPU, whose inventory the
 * reshape then writes instead of a PUT.  No requests. */
void sync_reshape_mark(struct sync_pass *ps);
/* One POST /reshaper: the marked GPUs' inventories, the VF providers'
 * emptied, the claims on them moved onto the GPUs (their consumers read
 * first).  After it the VF providers are free, for retire to delete. */
void sync_round_reshape(struct sync_pass *ps);

/* sync-first.c */
/* The jobs created by this pass whose first inventories go in one POST
 * /reshaper (when Placement has it and there are 2 or more): *ret (the
 * caller frees) and their number; 0 (and *ret untouched) when none. */
size_t sync_first_collect(const struct sync_pass *ps, struct sync_job ***ret);
/* The reshape of jobs[0..n) into b, for no job. */
void sync_first_prep(struct sync_pass *ps, struct sync_batch *b,
                     struct sync_job *const *jobs, size_t n);
/* Its answer: each job written (or conflicting, or failed), as a PUT's. */
void sync_first_done(struct sync_pass *ps, struct placement_call *c,
                     struct sync_job *const *jobs, size_t n);
/* Dry run: the reshape recorded as if done; those jobs' PUTs dropped. */
void sync_first_planned(struct sync_pass *ps);
/* The custom traits and resource classes the providers still to create
 * will carry that are not known to exist (appended, sorted): created in
 * the round that creates the providers. */
void sync_first_names(const struct sync_pass *ps, struct strv *traits,
                      struct strv *rcs);

/* sync-names.c */
/* The requests that create traits and rcs into b, for no job. */
void sync_names_prep(struct sync_pass *ps, struct sync_batch *b,
                     const struct strv *traits, const struct strv *rcs);
/* Their answers, b's calls from first on: learnt, or the pass's errors. */
void sync_names_done(struct sync_pass *ps, struct sync_batch *b, size_t first,
                     const struct strv *traits, const struct strv *rcs);

/* Create the custom traits and resource classes the writes use. */
void sync_round_names(struct sync_pass *ps);

/* syncround.c */
/* Create the providers Placement lacks. */
void sync_round_create(struct sync_pass *ps);
/* Look up the names a create found taken: adopt a provider of ours. */
void sync_round_clash(struct sync_pass *ps);
/* Read the inventories and traits of the jobs that need_read. */
void sync_round_read(struct sync_pass *ps);
/* Decide each job's writes from what was read; no requests. */
void sync_plan(struct sync_pass *ps);
/* Warn when a planned write leaves less than guests hold. */
void sync_round_capacity(struct sync_pass *ps);
/* Write inventories, then traits (two rounds: the first bumps the
 * generation the second needs). */
void sync_round_write(struct sync_pass *ps);
/* A write of j ended with r (0, -EAGAIN: re-read and retry, or failed). */
void sync_write_done(struct sync_pass *ps, struct sync_job *j, int r,
                     const struct errbuf *eb);
