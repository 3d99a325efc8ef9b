/*
 * sync-first.c - the first inventories of the providers a pass created,
 * in one POST /reshaper instead of a PUT each.
 *
 * A host's first sync creates every GPU provider; writing their
 * inventories one PUT each is as many requests again.  Placement's
 * reshaper (microversion 1.30) sets the inventories of any number of
 * providers in one transaction (with no allocations to move), so the
 * first sync of a host costs one request for all of them.  It is used only
 * for providers created by this pass, where nothing else writes yet: a 409
 * on any of them fails the whole request, and the pass re-reads them all
 * as after any conflict.  A reshape answers 204 without a body, and moves
 * a provider's generation by more than the one a PUT does: the
 * generations it left are read with one listing of the tree.
 *
 * The custom traits and resource classes those providers need are created
 * in the same round as the providers, not in a round of their own.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sync-batch.h"
#include "sync-cache.h"
#include "sync-tree.h"
#include "syncdiff.h"
#include "syncpass.h"
#include "xalloc.h"

/* The fewest providers worth a reshape: one is a PUT. */
#define SYNC_FIRST_MIN 2

static bool
fresh(const struct sync_job *j)
{
    return j->put_invs && !j->failed && j->created && !j->reshape &&
           j->n_new_invs > 0;
}

size_t
sync_first_collect(const struct sync_pass *ps, struct sync_job ***ret)
{
    struct sync_job **v;
    size_t n = 0;

    for (size_t i = 0; i < ps->jobs.n; i++)
        n += fresh(&ps->jobs.v[i]);
    if (n < SYNC_FIRST_MIN || !placement_has_reshaper(ps->pl))
        return 0;
    v = xcalloc(n, sizeof(*v));
    n = 0;
    for (size_t i = 0; i < ps->jobs.n; i++)
        if (fresh(&ps->jobs.v[i]))
            v[n++] = &ps->jobs.v[i];
    *ret = v;
    return n;
}

void
sync_first_prep(struct sync_pass *ps, struct sync_batch *b,
                struct sync_job *const *jobs, size_t n)
{
    struct placement_reshape_inv *invs = xcalloc(n, sizeof(*invs));

    for (size_t i = 0; i < n; i++) {
        memcpy(invs[i].uuid, jobs[i]->uuid, UUIDSTR_LEN);
        invs[i].generation = jobs[i]->generation;
        invs[i].invs = jobs[i]->new_invs;
        invs[i].n = jobs[i]->n_new_invs;
    }
    placement_prep_reshape(ps->pl, sync_batch_add(b, NULL), invs, n, NULL, 0);
    free(invs); /* the body is made */
}

/* j holds what it was to hold (its generation is learnt after). */
static void
took(struct sync_pass *ps, struct sync_job *j)
{
    struct placement_invs got = { .generation = j->generation };

    got.invs = xcalloc(j->n_new_invs, sizeof(*got.invs));
    for (size_t k = 0; k < j->n_new_invs; k++) {
        got.invs[k] = j->new_invs[k];
        got.invs[k].rc = xstrdup(j->new_invs[k].rc);
    }
    got.n = j->n_new_invs;
    sync_change_add(
        ps->report, SYNC_CHANGE_INVENTORY, j->name, "POST",
        xstrdup("/reshaper"),
        sync_change_describe_invs(j->invs.invs, j->invs.n, got.invs, got.n));
    placement_invs_clear(&j->invs);
    j->invs = got;
}

/* The generations the reshape left, from one listing of the tree; a job
 * the listing cannot tell is re-read (and its traits not yet written). */
static void
learn_generations(struct sync_pass *ps, struct sync_job *const *jobs, size_t n)
{
    struct placement_rp *rps = NULL;
    struct errbuf eb = { 0 };
    size_t n_rps = 0;
    int r = placement_list_providers(ps->pl, "in_tree", ps->root_uuid, &rps,
                                     &n_rps, &eb);

    for (size_t i = 0; i < n; i++) {
        const struct placement_rp *rp =
            r == 0 ? sync_tree_find(rps, n_rps, jobs[i]->uuid, NULL) : NULL;

        if (rp) {
            jobs[i]->generation = jobs[i]->invs.generation = rp->generation;
        } else {
            jobs[i]->need_read = true;
            jobs[i]->put_traits = false;
        }
    }
    placement_rps_free(rps, n_rps);
}

void
sync_first_done(struct sync_pass *ps, struct placement_call *c,
                struct sync_job *const *jobs, size_t n)
{
    struct errbuf eb = { 0 };
    int r = placement_done_reshape(ps->pl, c, &eb);

    for (size_t i = 0; i < n; i++) {
        if (r == 0)
            took(ps, jobs[i]);
        sync_write_done(ps, jobs[i], r, &eb);
    }
    if (r == 0)
        learn_generations(ps, jobs, n);
}

void
sync_first_planned(struct sync_pass *ps)
{
    struct sync_job **jobs = NULL;
    size_t n = sync_first_collect(ps, &jobs);

    for (size_t i = 0; i < n; i++) {
        sync_change_add(
            ps->report, SYNC_CHANGE_INVENTORY, jobs[i]->name, "POST",
            xstrdup("/reshaper"),
            sync_change_describe_invs(jobs[i]->invs.invs, jobs[i]->invs.n,
                                      jobs[i]->new_invs, jobs[i]->n_new_invs));
        jobs[i]->written = true;
        jobs[i]->put_invs = false;
    }
    free(jobs);
}

void
sync_first_names(const struct sync_pass *ps, struct strv *traits,
                 struct strv *rcs)
{
    struct strv want_t = { 0 }, want_r = { 0 };

    for (size_t i = 0; i < ps->jobs.n; i++) {
        const struct sync_job *j = &ps->jobs.v[i];
        struct strv managed = { 0 };

        if (j->exists || j->failed || !j->want)
            continue;
        sync_owner_wants(ps, j, &want_t, &managed);
        strv_clear(&managed);
        for (size_t k = 0; k < j->want->n_invs; k++)
            strv_push(&want_r, j->want->invs[k].rc);
    }
    strv_sort_uniq(&want_t);
    strv_sort_uniq(&want_r);
    syncdiff_missing_custom(&want_t, sync_cache_known(ps->cache), traits);
    syncdiff_missing_custom(&want_r, sync_cache_known(ps->cache), rcs);
    strv_clear(&want_t);
    strv_clear(&want_r);
}
