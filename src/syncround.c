/*
 * syncround.c - the rounds of a sync pass that bring the tree's providers
 * to what it wants: create, clash, read, plan, capacity, names, write.
 * Each round is one concurrent batch (sync-batch.h); planning makes none.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync-batch.h"
#include "sync-cache.h"
#include "syncdiff.h"
#include "syncpass.h"
#include "xalloc.h"

/* The providers, and the custom names they need (sync-first.c), in one
 * round. */
void
sync_round_create(struct sync_pass *ps)
{
    struct strv traits = { 0 }, rcs = { 0 };
    struct sync_batch b = { 0 };
    size_t n_names;

    if (!ps->dry_run)
        sync_first_names(ps, &traits, &rcs);
    sync_names_prep(ps, &b, &traits, &rcs);
    n_names = b.n;
    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        if (j->exists || j->failed || !j->want)
            continue;
        if (ps->dry_run) {
            j->exists = j->created = true; /* as if: nothing on it */
            j->planned = true;
            j->need_read = false;
            ps->report->created++;
            sync_change_add(
                ps->report, SYNC_CHANGE_PROVIDER_CREATED, j->name, "POST",
                xstrdup("/resource_providers"),
                xasprintf("uuid %s, parent %s", j->uuid, ps->root_uuid));
        } else {
            placement_prep_create_provider(ps->pl, sync_batch_add(&b, j),
                                           j->uuid, j->name, ps->root_uuid);
        }
    }
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    sync_names_done(ps, &b, 0, &traits, &rcs);
    strv_clear(&traits);
    strv_clear(&rcs);
    for (size_t i = n_names; i < b.n; i++) {
        struct sync_job *j = b.jobs[i];
        struct placement_rp rp = { 0 };
        struct errbuf eb = { 0 };
        int r = placement_done_create_provider(ps->pl, &b.calls[i], &rp, &eb);

        if (r == 0) {
            j->exists = j->created = true;
            j->generation = rp.generation;
            ps->report->created++;
            sync_change_add(
                ps->report, SYNC_CHANGE_PROVIDER_CREATED, j->name, "POST",
                xstrdup("/resource_providers"),
                xasprintf("uuid %s, parent %s", j->uuid, ps->root_uuid));
        } else if (r == -EEXIST) {
            j->clash = xstrdup(eb.msg); /* sync_round_clash() decides */
        } else {
            sync_job_fail(j, eb.msg, &eb.req);
        }
        placement_rp_clear(&rp);
    }
    sync_batch_clear(&b);
}

/* The provider named like j: ours to adopt when it is under our root. */
static void
clash_done(struct sync_pass *ps, struct sync_job *j, struct placement_call *c)
{
    struct placement_rp *rps = NULL;
    struct errbuf eb = { 0 };
    size_t n = 0;

    if (placement_done_list_providers(ps->pl, c, &rps, &n, &eb) < 0) {
        sync_job_fail(j, eb.msg, &eb.req);
    } else if (n == 1 && strcmp(rps[0].parent_uuid, ps->root_uuid) == 0) {
        snprintf(j->uuid, sizeof(j->uuid), "%s", rps[0].uuid);
        j->exists = j->need_read = true;
    } else if (n == 1) {
        errbuf_set(&eb, -EEXIST,
                   "a provider of this name (%s) exists outside this "
                   "host's tree; rename or delete it",
                   rps[0].uuid);
        sync_job_fail(j, eb.msg, &eb.req);
    } else {
        sync_job_fail(j, j->clash, NULL);
    }
    free(j->clash);
    j->clash = NULL;
    placement_rps_free(rps, n);
}

void
sync_round_clash(struct sync_pass *ps)
{
    struct sync_batch b = { 0 };

    for (size_t i = 0; i < ps->jobs.n; i++)
        if (ps->jobs.v[i].clash)
            placement_prep_list_providers(ps->pl,
                                          sync_batch_add(&b, &ps->jobs.v[i]),
                                          "name", ps->jobs.v[i].name);
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    for (size_t i = 0; i < b.n; i++)
        clash_done(ps, b.jobs[i], &b.calls[i]);
    sync_batch_clear(&b);
}

/* Take a job's read results; a generation that moved between the two
 * reads means someone wrote meanwhile: read again. */
static void
read_done(struct sync_pass *ps, struct sync_job *j, struct placement_call *ci,
          struct placement_call *ct)
{
    struct placement_invs invs = { 0 };
    struct placement_traits traits = { 0 };
    struct errbuf eb = { 0 };

    if (placement_done_get_inventories(ps->pl, ci, &invs, &eb) < 0 ||
        placement_done_get_traits(ps->pl, ct, &traits, &eb) < 0) {
        sync_job_fail(j, eb.msg, &eb.req);
    } else if (invs.generation == traits.generation) {
        placement_invs_clear(&j->invs);
        j->invs = invs;
        invs = (struct placement_invs){ 0 };
        strv_clear(&j->traits);
        strv_copy(&j->traits, &traits.traits);
        j->generation = traits.generation;
        j->need_read = false;
        j->recalled = false;
    }
    placement_invs_clear(&invs);
    placement_traits_clear(&traits);
}

void
sync_round_read(struct sync_pass *ps)
{
    struct sync_batch b = { 0 };

    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        if (!j->need_read || j->failed || !j->exists)
            continue;
        placement_prep_get_inventories(ps->pl, sync_batch_add(&b, j), j->uuid);
        placement_prep_get_traits(ps->pl, sync_batch_add(&b, j), j->uuid);
    }
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    for (size_t i = 0; i + 1 < b.n; i += 2)
        read_done(ps, b.jobs[i], &b.calls[i], &b.calls[i + 1]);
    sync_batch_clear(&b);
}

static bool
strv_equal(const struct strv *a, const struct strv *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            return false;
    return true;
}

static bool
shrinks(const struct sync_job *j)
{
    for (size_t k = 0; k < j->n_new_invs; k++)
        for (size_t c = 0; c < j->invs.n; c++)
            if (strcmp(j->invs.invs[c].rc, j->new_invs[k].rc) == 0 &&
                j->new_invs[k].total < j->invs.invs[c].total)
                return true;
    return false;
}

static void
plan_job(const struct sync_pass *ps, struct sync_job *j)
{
    const struct tree_provider *w = j->want;

    for (size_t k = 0; k < j->n_new_invs; k++)
        inventory_clear(&j->new_invs[k]);
    free(j->new_invs);
    if (j->is_root) { /* add only: nova-compute may own the rest */
        syncdiff_merge_invs(j->invs.invs, j->invs.n, w->invs, w->n_invs,
                            &j->new_invs, &j->n_new_invs);
        strv_clear(&j->new_traits);
        strv_copy(&j->new_traits, &j->traits);
        strv_copy(&j->new_traits, &w->traits);
        strv_sort_uniq(&j->new_traits);
    } else {
        struct strv want = { 0 }, managed = { 0 };

        syncdiff_merge_invs(NULL, 0, w->invs, w->n_invs, &j->new_invs,
                            &j->n_new_invs);
        sync_owner_wants(ps, j, &want, &managed);
        syncdiff_traits(&j->traits, &want, &managed, &j->new_traits);
        strv_clear(&want);
        strv_clear(&managed);
    }
    j->put_invs =
        !j->reshape && !syncdiff_invs_equal(j->invs.invs, j->invs.n,
                                            j->new_invs, j->n_new_invs);
    j->put_traits = !strv_equal(&j->traits, &j->new_traits);
    j->check_capacity = j->put_invs && shrinks(j);
}

void
sync_plan(struct sync_pass *ps)
{
    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        j->put_invs = j->put_traits = j->check_capacity = false;
        if (j->want && j->exists && !j->failed && !j->need_read)
            plan_job(ps, j);
    }
}

/* Capacity shrinking below what guests hold: Placement accepts it; say so. */
static void
warn_over_capacity(struct sync_pass *ps, const struct sync_job *j,
                   const struct placement_allocs *a)
{
    for (size_t k = 0; k < j->n_new_invs; k++) {
        const struct inventory *want = &j->new_invs[k];
        long used = 0;

        for (size_t c = 0; c < a->n; c++)
            for (size_t u = 0; u < a->allocs[c].n_used; u++)
                if (strcmp(a->allocs[c].used[u].rc, want->rc) == 0)
                    used += a->allocs[c].used[u].total;
        if (used > want->total - want->reserved)
            strv_pushf(&ps->report->warnings,
                       "%s: %s total %ld is below what guests hold (%ld)",
                       j->name, want->rc, want->total, used);
    }
}

/* A failed read only costs the warning: the write goes ahead. */
void
sync_round_capacity(struct sync_pass *ps)
{
    struct sync_batch b = { 0 };

    for (size_t i = 0; i < ps->jobs.n; i++)
        if (ps->jobs.v[i].check_capacity && !ps->jobs.v[i].planned)
            placement_prep_get_allocations(
                ps->pl, sync_batch_add(&b, &ps->jobs.v[i]), ps->jobs.v[i].uuid);
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    for (size_t i = 0; i < b.n; i++) {
        struct placement_allocs a = { 0 };
        struct errbuf eb = { 0 };

        if (placement_done_get_allocations(ps->pl, &b.calls[i], &a, &eb) == 0)
            warn_over_capacity(ps, b.jobs[i], &a);
        placement_allocs_clear(&a);
    }
    sync_batch_clear(&b);
}

void
sync_write_done(struct sync_pass *ps, struct sync_job *j, int r,
                const struct errbuf *eb)
{
    if (r == -EAGAIN) { /* a claim or another writer moved the generation */
        strv_pushf(&ps->report->notes, "%s: %s; re-reading and retrying",
                   j->name, eb->msg);
        j->need_read = true;
        j->put_traits = false;
    } else if (r < 0) {
        sync_job_fail(j, eb->msg, &eb->req);
    } else {
        j->written = true; /* counted once, by the pass's end */
    }
}

/* Dry run: the writes planned for each job, recorded as if done. */
static void
write_planned(struct sync_pass *ps)
{
    sync_first_planned(ps);
    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        if (j->failed)
            continue;
        if (j->put_invs)
            sync_change_add(
                ps->report, SYNC_CHANGE_INVENTORY, j->name, "PUT",
                xasprintf("/resource_providers/%s/inventories", j->uuid),
                sync_change_describe_invs(j->invs.invs, j->invs.n, j->new_invs,
                                          j->n_new_invs));
        if (j->put_traits)
            sync_change_add(
                ps->report, SYNC_CHANGE_TRAITS, j->name, "PUT",
                xasprintf("/resource_providers/%s/traits", j->uuid),
                sync_change_describe_traits(&j->traits, &j->new_traits));
        j->written |= j->put_invs || j->put_traits;
        j->put_invs = j->put_traits = false;
    }
}

/* What a written inventory changed that an operator must hear of: a GPU
 * whose total dropped (a warning, with why the total is what it is now),
 * and capacity held back or released (a note). */
static void
say_changes(struct sync_pass *ps, const struct sync_job *j,
            const struct placement_invs *got)
{
    const struct tree_device *d = j->want ? j->want->device : NULL;

    for (size_t k = 0; d && k < got->n; k++) {
        const struct inventory *now = &got->invs[k];

        for (size_t c = 0; c < j->invs.n; c++) {
            const struct inventory *was = &j->invs.invs[c];

            if (strcmp(was->rc, now->rc) != 0)
                continue;
            if (now->total < was->total)
                strv_pushf(&ps->report->warnings,
                           "%s (GPU %s): %s total %ld -> %ld: %s", j->name,
                           d->address, now->rc, was->total, now->total,
                           d->total_why);
            if (now->reserved != was->reserved)
                strv_pushf(&ps->report->notes,
                           "%s (GPU %s): %s reserved %ld -> %ld (vGPUs no "
                           "claim owns)",
                           j->name, d->address, now->rc, was->reserved,
                           now->reserved);
        }
    }
}

/* A PUT each, but the providers this pass created: one reshape for all
 * (sync-first.c), in the same batch. */
static void
write_invs(struct sync_pass *ps)
{
    _cleanup_free_ struct sync_job **first = NULL;
    size_t n_first = sync_first_collect(ps, &first);
    struct sync_batch b = { 0 };

    for (size_t i = 0; i < n_first; i++)
        first[i]->put_invs = false;
    if (n_first > 0)
        sync_first_prep(ps, &b, first, n_first);
    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        if (j->put_invs && !j->failed)
            placement_prep_put_inventories(ps->pl, sync_batch_add(&b, j),
                                           j->uuid, j->generation, j->new_invs,
                                           j->n_new_invs);
    }
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    for (size_t i = 0; i < b.n; i++) {
        struct sync_job *j = b.jobs[i];
        struct placement_invs got = { 0 };
        struct errbuf eb = { 0 };
        int r;

        if (!j) {
            sync_first_done(ps, &b.calls[i], first, n_first);
            continue;
        }
        r = placement_done_put_inventories(ps->pl, &b.calls[i], &got, &eb);

        if (r == 0) {
            say_changes(ps, j, &got);
            sync_change_add(
                ps->report, SYNC_CHANGE_INVENTORY, j->name, "PUT",
                xasprintf("/resource_providers/%s/inventories", j->uuid),
                sync_change_describe_invs(j->invs.invs, j->invs.n, got.invs,
                                          got.n));
            placement_invs_clear(&j->invs);
            j->invs = got;
            j->generation = got.generation;
        }
        sync_write_done(ps, j, r, &eb);
    }
    sync_batch_clear(&b);
}

static void
write_traits(struct sync_pass *ps)
{
    struct sync_batch b = { 0 };

    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        if (j->put_traits && !j->failed)
            placement_prep_put_traits(ps->pl, sync_batch_add(&b, j), j->uuid,
                                      j->generation, &j->new_traits);
    }
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    for (size_t i = 0; i < b.n; i++) {
        struct sync_job *j = b.jobs[i];
        struct placement_traits got = { 0 };
        struct errbuf eb = { 0 };
        int r = placement_done_put_traits(ps->pl, &b.calls[i], &got, &eb);

        if (r == 0) {
            sync_change_add(
                ps->report, SYNC_CHANGE_TRAITS, j->name, "PUT",
                xasprintf("/resource_providers/%s/traits", j->uuid),
                sync_change_describe_traits(&j->traits, &got.traits));
            strv_clear(&j->traits);
            strv_copy(&j->traits, &got.traits);
            j->generation = got.generation;
        }
        placement_traits_clear(&got);
        sync_write_done(ps, j, r, &eb);
    }
    sync_batch_clear(&b);
}

void
sync_round_write(struct sync_pass *ps)
{
    if (ps->dry_run) {
        write_planned(ps);
        return;
    }
    write_invs(ps);
    write_traits(ps);
}
