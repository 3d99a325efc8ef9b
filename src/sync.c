/*
 * sync.c - one reporting pass (see sync.h).
 *
 * The pass works on jobs, one per provider it touches, in rounds: every
 * round is one concurrent batch of requests (reads, creates, writes), so a
 * host with 64 GPUs costs a handful of round trips, not hundreds.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync.h"
#include "syncdiff.h"
#include "syncpass.h"
#include "xalloc.h"

/* --- the cache ---------------------------------------------------------- */

struct sync_cache *
sync_cache_new(void)
{
    return xcalloc(1, sizeof(struct sync_cache));
}

static void
cached_clear(struct sync_cached *e)
{
    free(e->name);
    e->name = NULL;
    placement_invs_clear(&e->invs);
    strv_clear(&e->traits);
}

void
sync_cache_forget(struct sync_cache *c)
{
    for (size_t i = 0; i < c->n; i++)
        cached_clear(&c->rps[i]);
    c->n = 0;
    c->root_uuid[0] = '\0';
}

void
sync_cache_free(struct sync_cache *c)
{
    if (!c)
        return;
    sync_cache_forget(c);
    free(c->rps);
    strv_clear(&c->known);
    free(c);
}

int
sync_cache_lookup(const struct sync_cache *c, const char *name,
                  char ret_uuid[UUIDSTR_LEN], long *ret_generation)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->rps[i].name && strcmp(c->rps[i].name, name) == 0) {
            memcpy(ret_uuid, c->rps[i].uuid, UUIDSTR_LEN);
            *ret_generation = c->rps[i].generation;
            return 0;
        }
    return -ENOENT;
}

struct sync_cached *
sync_cache_find(struct sync_cache *c, const char *uuid)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->rps[i].uuid, uuid) == 0)
            return &c->rps[i];
    return NULL;
}

static void
invs_copy(struct placement_invs *dst, const struct inventory *src, size_t n,
          long generation)
{
    placement_invs_clear(dst);
    dst->generation = generation;
    dst->invs = xcalloc(n ? n : 1, sizeof(*dst->invs));
    for (size_t i = 0; i < n; i++) {
        dst->invs[i] = src[i];
        dst->invs[i].rc = xstrdup(src[i].rc);
    }
    dst->n = n;
}

/* Remember what a job left in Placement. */
static void
cache_store(struct sync_cache *c, const struct sync_job *j)
{
    struct sync_cached *e = sync_cache_find(c, j->uuid);

    if (!e) {
        xgrow(&c->rps, &c->cap, c->n, sizeof(*c->rps));
        e = &c->rps[c->n++];
        *e = (struct sync_cached){ .name = xstrdup(j->name) };
        snprintf(e->uuid, sizeof(e->uuid), "%s", j->uuid);
    }
    e->generation = j->generation;
    invs_copy(&e->invs, j->invs.invs, j->invs.n, j->generation);
    strv_clear(&e->traits);
    strv_copy(&e->traits, &j->traits);
    for (size_t i = 0; i < j->invs.n; i++)
        strv_push(&c->known, j->invs.invs[i].rc);
    strv_copy(&c->known, &j->traits);
    strv_sort_uniq(&c->known);
}

static void
cache_drop(struct sync_cache *c, const char *uuid)
{
    struct sync_cached *e = sync_cache_find(c, uuid);

    if (!e)
        return;
    cached_clear(e);
    *e = c->rps[--c->n];
}

void
sync_report_clear(struct sync_report *r)
{
    strv_clear(&r->warnings);
    strv_clear(&r->errors);
    strv_clear(&r->notes);
    r->created = r->updated = r->deleted = 0;
}

/* --- jobs ----------------------------------------------------------------- */

void
sync_job_fail(struct sync_pass *ps, struct sync_job *j, const char *msg)
{
    j->failed = true;
    strv_pushf(&ps->report->errors, "%s: %s", j->name, msg);
}

static struct sync_job *
job_add(struct sync_pass *ps, const char *uuid, const char *name)
{
    struct sync_job *j;

    xgrow(&ps->jobs, &ps->cap_jobs, ps->n_jobs, sizeof(*ps->jobs));
    j = &ps->jobs[ps->n_jobs++];
    *j = (struct sync_job){ .name = name };
    snprintf(j->uuid, sizeof(j->uuid), "%s", uuid);
    return j;
}

static void
job_clear(struct sync_job *j)
{
    placement_invs_clear(&j->invs);
    strv_clear(&j->traits);
    for (size_t i = 0; i < j->n_new_invs; i++)
        inventory_clear(&j->new_invs[i]);
    free(j->new_invs);
    strv_clear(&j->new_traits);
    placement_allocs_clear(&j->allocs);
}

const struct placement_rp *
sync_pass_find_rp(const struct sync_pass *ps, const char *uuid,
                  const char *name)
{
    for (size_t i = 0; i < ps->n_rps; i++)
        if ((uuid && strcmp(ps->rps[i].uuid, uuid) == 0) ||
            (name && strcmp(ps->rps[i].name, name) == 0))
            return &ps->rps[i];
    return NULL;
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

        if (i == 0 && (!ps->cache->root_owned ||
                       (want->n_invs == 0 && want->traits.n == 0)))
            continue;
        rp = sync_pass_find_rp(ps, i == 0 ? ps->cache->root_uuid : want->uuid,
                               want->name);
        j = job_add(ps, rp ? rp->uuid : want->uuid, want->name);
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

        if (strcmp(rp->parent_uuid, ps->cache->root_uuid) != 0 ||
            !tree_is_stale_name(ps->tree, rp->name))
            continue;
        if (sync_pass_job(ps, rp->uuid))
            continue;
        j = job_add(ps, rp->uuid, rp->name);
        j->stale = true;
        j->exists = true;
        j->generation = rp->generation;
        j->need_read = true;
    }
}

struct sync_job *
sync_pass_job(struct sync_pass *ps, const char *uuid)
{
    for (size_t i = 0; i < ps->n_jobs; i++)
        if (strcmp(ps->jobs[i].uuid, uuid) == 0)
            return &ps->jobs[i];
    return NULL;
}

/* A job whose generation did not move since the cache saw it needs no read. */
static void
use_cache(struct sync_pass *ps)
{
    for (size_t i = 0; i < ps->n_jobs; i++) {
        struct sync_job *j = &ps->jobs[i];
        struct sync_cached *e = sync_cache_find(ps->cache, j->uuid);

        if (!j->exists || !e || e->generation != j->generation)
            continue;
        invs_copy(&j->invs, e->invs.invs, e->invs.n, e->generation);
        strv_copy(&j->traits, &e->traits);
        j->need_read = false;
    }
}

/* --- the pass ------------------------------------------------------------ */

/* Conflicting providers are re-read after a pause that grows, with jitter,
 * so two writers do not meet again at once; never a busy loop. */
static void
conflict_pause(unsigned round)
{
    long ms = (50L << round) + rand() % 50;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static bool
any_conflict(const struct sync_pass *ps)
{
    for (size_t i = 0; i < ps->n_jobs; i++)
        if (ps->jobs[i].need_read && !ps->jobs[i].failed)
            return true;
    return false;
}

/* read -> plan -> write, again for the providers that hit a 409. */
static void
converge(struct sync_pass *ps)
{
    for (unsigned round = 0;; round++) {
        sync_round_read(ps);
        sync_plan(ps);
        sync_round_ensure_names(ps);
        sync_round_write(ps);
        if (!any_conflict(ps))
            return;
        if (round + 1 >= SYNC_MAX_CONFLICTS) {
            for (size_t i = 0; i < ps->n_jobs; i++)
                if (ps->jobs[i].need_read && !ps->jobs[i].failed)
                    sync_job_fail(ps, &ps->jobs[i],
                                  "generation kept changing; gave up after "
                                  "4 conflicts (next pass retries)");
            return;
        }
        conflict_pause(round);
    }
}

static void
finish(struct sync_pass *ps)
{
    for (size_t i = 0; i < ps->n_jobs; i++) {
        struct sync_job *j = &ps->jobs[i];

        if (j->deleted || j->failed)
            cache_drop(ps->cache, j->uuid);
        else
            cache_store(ps->cache, j);
    }
}

int
sync_pass(struct placement *pl, const struct tree *t, struct sync_cache *cache,
          size_t max_parallel, struct sync_report *report, struct errbuf *eb)
{
    struct sync_pass ps = { .pl = pl,
                            .tree = t,
                            .cache = cache,
                            .max_parallel = max_parallel,
                            .report = report };
    int r = sync_root(&ps, eb);

    if (r >= 0)
        r = placement_list_providers(pl, "in_tree", cache->root_uuid, &ps.rps,
                                     &ps.n_rps, eb);
    if (r >= 0 && !sync_pass_find_rp(&ps, cache->root_uuid, NULL)) {
        sync_cache_forget(cache); /* someone deleted our root */
        r = errbuf_set(eb, -EAGAIN,
                       "root provider %s vanished; recreating "
                       "it next pass",
                       t->providers[0].name);
    }
    if (r >= 0) {
        jobs_for_tree(&ps);
        jobs_for_stale(&ps);
        use_cache(&ps);
        sync_round_create(&ps);
        converge(&ps);
        sync_stale(&ps);
        finish(&ps);
        r = report->errors.n > 0 ? -EAGAIN : 0;
    }
    for (size_t i = 0; i < ps.n_jobs; i++)
        job_clear(&ps.jobs[i]);
    free(ps.jobs);
    placement_rps_free(ps.rps, ps.n_rps);
    return r;
}
