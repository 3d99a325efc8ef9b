/*
 * sync.c - one reporting pass (see sync.h).
 *
 * The pass works on jobs, one per provider it touches, in rounds: every
 * round is one concurrent batch of requests (reads, creates, writes), so a
 * host with 64 GPUs costs a handful of round trips, not hundreds.  The pass
 * owns the jobs: it makes them from the tree and Placement's listing,
 * runs the rounds over them (syncpass.h), then turns their outcome into
 * the report and the cache.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync-cache.h"
#include "sync-tree.h"
#include "sync.h"
#include "syncpass.h"

void
sync_report_clear(struct sync_report *r)
{
    strv_clear(&r->warnings);
    sync_errors_clear(&r->errors);
    strv_clear(&r->notes);
    sync_changes_clear(&r->changes);
    r->created = r->updated = r->deleted = 0;
    r->result = SYNC_DONE;
}

/* A job per GPU provider of the tree (and the root, if the agent owns it),
 * matched to what Placement lists by UUID, else by name (adoption). */
static void
jobs_for_tree(struct sync_pass *ps)
{
    const struct tree *t = ps->tree;

    for (size_t i = 0; i < t->n_providers; i++) {
        const struct tree_provider *want = &t->providers[i];
        const struct placement_rp *rp;
        struct sync_job *j;

        if (i == 0 &&
            (!ps->root_owned || (want->n_invs == 0 && want->traits.n == 0)))
            continue;
        rp = sync_tree_find(ps->rps, ps->n_rps,
                            i == 0 ? ps->root_uuid : want->uuid, want->name);
        j = sync_jobs_add(&ps->jobs, rp ? rp->uuid : want->uuid, want->name);
        j->want = want;
        j->is_root = i == 0;
        j->exists = rp != NULL;
        j->generation = rp ? rp->generation : 0;
        j->need_read = rp != NULL;
    }
}

/* Providers under our root named like our children but not in the tree. */
static void
jobs_for_stale(struct sync_pass *ps)
{
    for (size_t i = 0; i < ps->n_rps; i++) {
        const struct placement_rp *rp = &ps->rps[i];
        struct sync_job *j;

        if (!sync_tree_is_stale(ps->tree, rp, ps->root_uuid) ||
            sync_jobs_find(&ps->jobs, rp->uuid))
            continue;
        j = sync_jobs_add(&ps->jobs, rp->uuid, rp->name);
        j->stale = true;
        j->exists = true;
        j->generation = rp->generation;
        j->need_read = true;
    }
}

/* A job whose generation did not move since the cache saw it needs no read. */
static void
use_cache(struct sync_pass *ps)
{
    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        if (j->exists && sync_cache_recall(ps->cache, j->uuid, j->generation,
                                           &j->invs, &j->traits) == 0) {
            j->need_read = false;
            j->recalled = true;
        }
    }
}

/* Conflicting providers are re-read after a pause that grows, with jitter
 * that differs from host to host (jitter.h), so two writers do not meet
 * again at once; never a busy loop. */
static void
conflict_pause(struct sync_pass *ps, unsigned round)
{
    long ms = (50L << round) + (long)(50 * jitter_next(&ps->jitter));
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/* Jobs that hit a 409 and wait for a re-read; with give_up, fail them. */
static bool
conflicts(struct sync_pass *ps, bool give_up)
{
    bool any = false;

    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        if (!j->need_read || j->failed)
            continue;
        any = true;
        if (give_up)
            sync_job_fail(j,
                          "generation kept changing; gave up after "
                          "4 conflicts (next pass retries)",
                          NULL);
    }
    return any;
}

/* read -> plan -> capacity -> names -> write, again for the providers that
 * hit a 409. */
static void
converge(struct sync_pass *ps)
{
    for (unsigned round = 0;; round++) {
        bool last = round + 1 >= SYNC_MAX_CONFLICTS;

        sync_round_read(ps);
        sync_check_owner(ps);
        sync_plan(ps);
        sync_round_capacity(ps);
        sync_round_names(ps);
        sync_round_write(ps);
        if (!conflicts(ps, last) || last)
            return;
        conflict_pause(ps, round);
    }
}

/* What the jobs left: the cache for the next pass, the failures for the
 * report, in the tree's order. */
static void
finish(struct sync_pass *ps)
{
    for (size_t i = 0; i < ps->jobs.n; i++) {
        const struct sync_job *j = &ps->jobs.v[i];

        if (j->failed)
            sync_error_add(ps->report, &j->why_req, "%s: %s", j->name, j->why);
        if (j->written && !j->created)
            ps->report->updated++; /* once per provider, not per write */
        if (j->deleted || j->failed)
            sync_cache_drop(ps->cache, j->uuid);
        else
            sync_cache_remember(ps->cache, j->uuid, j->name, j->generation,
                                &j->invs, &j->traits);
    }
    ps->report->result = ps->report->errors.n > 0 ? SYNC_INCOMPLETE : SYNC_DONE;
}

static void
rounds(struct sync_pass *ps)
{
    jobs_for_tree(ps);
    jobs_for_stale(ps);
    sync_reshape_mark(ps);
    use_cache(ps);
    sync_round_create(ps);
    sync_round_clash(ps);
    converge(ps);
    sync_round_stale(ps);
    sync_round_reshape(ps);
    sync_round_retire(ps);
    finish(ps);
}

/* Someone deleted the root since the last pass: nothing to write under. */
static void
root_vanished(struct sync_pass *ps)
{
    sync_error_add(ps->report, NULL,
                   "root provider %s (uuid %s) vanished from Placement; "
                   "recreating it next pass",
                   ps->tree->providers[0].name, ps->root_uuid);
    sync_cache_forget(ps->cache);
    ps->report->result = SYNC_ROOT_VANISHED;
}

/* The root (found, made, or the cache's) and its tree's listing. */
static int
find_tree(struct sync_pass *ps, struct errbuf *eb)
{
    int r = sync_root(ps, eb);

    if (r >= 0 && !ps->waiting && !ps->root_created &&
        !ps->root_planned) /* a root to be created holds nothing */
        r = placement_list_providers(ps->pl, "in_tree", ps->root_uuid, &ps->rps,
                                     &ps->n_rps, eb);
    return r;
}

/* Whether the root is missing from Placement's listing. */
static bool
root_missing(const struct sync_pass *ps)
{
    return !ps->waiting && !ps->root_planned &&
           !sync_tree_find(ps->rps, ps->n_rps, ps->root_uuid, NULL);
}

/* The unconfirmed cache's root (the state file's, or from before an
 * outage) is not in Placement: not a root deleted under a running agent
 * but another (or a rebuilt) Placement: start afresh. */
static int
refind_tree(struct sync_pass *ps, struct errbuf *eb)
{
    strv_pushf(&ps->report->notes,
               "root provider %s (uuid %s), which the agent knew, is not "
               "in Placement (another or a rebuilt one?); reading "
               "Placement in full",
               ps->tree->providers[0].name, ps->root_uuid);
    sync_cache_reset(ps->cache);
    placement_rps_free(ps->rps, ps->n_rps);
    ps->rps = NULL;
    ps->n_rps = 0;
    return find_tree(ps, eb);
}

int
sync_pass(struct placement *pl, const struct tree *t, struct sync_cache *cache,
          size_t max_parallel, unsigned flags, struct sync_report *report,
          struct errbuf *eb)
{
    struct sync_pass ps = { .pl = pl,
                            .tree = t,
                            .cache = cache,
                            .max_parallel = max_parallel,
                            .dry_run = flags & SYNC_DRY_RUN,
                            .report = report };
    int r;

    jitter_seed(&ps.jitter, t->providers[0].uuid);
    r = find_tree(&ps, eb);
    if (r >= 0 && sync_cache_unconfirmed(cache) && root_missing(&ps))
        r = refind_tree(&ps, eb);
    if (r >= 0)
        sync_cache_set_unconfirmed(cache, false);
    if (r < 0)
        report->result = SYNC_INCOMPLETE;
    else if (ps.waiting)
        report->result = SYNC_ROOT_WAITING;
    else if (root_missing(&ps))
        root_vanished(&ps);
    else
        rounds(&ps);
    sync_jobs_clear(&ps.jobs);
    placement_rps_free(ps.rps, ps.n_rps);
    return r < 0 ? r : 0;
}
