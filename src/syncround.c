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

void
sync_round_create(struct sync_pass *ps)
{
    struct sync_batch b = { 0 };

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
    for (size_t i = 0; i < b.n; i++) {
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
            sync_job_fail(j, eb.msg);
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
        sync_job_fail(j, eb.msg);
    } else if (n == 1 && strcmp(rps[0].parent_uuid, ps->root_uuid) == 0) {
        snprintf(j->uuid, sizeof(j->uuid), "%s", rps[0].uuid);
        j->exists = j->need_read = true;
    } else if (n == 1) {
        errbuf_set(&eb, -EEXIST,
                   "a provider of this name (%s) exists outside this "
                   "host's tree; rename or delete it",
                   rps[0].uuid);
        sync_job_fail(j, eb.msg);
    } else {
        sync_job_fail(j, j->clash);
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
        sync_job_fail(j, eb.msg);
    } else if (invs.generation == traits.generation) {
        placement_invs_clear(&j->invs);
        j->invs = invs;
        invs = (struct placement_invs){ 0 };
        strv_clear(&j->traits);
        strv_copy(&j->traits, &traits.traits);
        j->generation = traits.generation;
        j->need_read = false;
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

/* Custom names a planned write uses that are not known to exist. */
static void
missing_names(struct sync_pass *ps, struct strv *traits, struct strv *rcs)
{
    struct strv known = { 0 }, want_t = { 0 }, want_r = { 0 };

    strv_copy(&known, sync_cache_known(ps->cache));
    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        strv_copy(&known, &j->traits); /* seen on a provider: it exists */
        for (size_t k = 0; k < j->invs.n; k++)
            strv_push(&known, j->invs.invs[k].rc);
        if (j->put_traits)
            strv_copy(&want_t, &j->new_traits);
        for (size_t k = 0; j->put_invs && k < j->n_new_invs; k++)
            strv_push(&want_r, j->new_invs[k].rc);
    }
    /* every provider repeats the same names: dedupe before the lookups */
    strv_sort_uniq(&known);
    strv_sort_uniq(&want_t);
    strv_sort_uniq(&want_r);
    syncdiff_missing_custom(&want_t, &known, traits);
    syncdiff_missing_custom(&want_r, &known, rcs);
    strv_clear(&known);
    strv_clear(&want_t);
    strv_clear(&want_r);
}

/* Dry run: the names a pass would create, learnt as if it had. */
static void
names_planned(struct sync_pass *ps, const struct strv *names,
              const char *prefix)
{
    for (size_t i = 0; i < names->n; i++) {
        sync_cache_learn(ps->cache, names->v[i]);
        sync_change_add(ps->report, SYNC_CHANGE_NAME, NULL, "PUT",
                        xasprintf("%s%s", prefix, names->v[i]),
                        xstrdup(names->v[i]));
    }
}

void
sync_round_names(struct sync_pass *ps)
{
    struct strv traits = { 0 }, rcs = { 0 };
    struct sync_batch b = { 0 };

    missing_names(ps, &traits, &rcs);
    if (ps->dry_run) {
        names_planned(ps, &traits, "/traits/");
        names_planned(ps, &rcs, "/resource_classes/");
        strv_clear(&traits); /* nothing to send */
        strv_clear(&rcs);
    }
    for (size_t i = 0; i < traits.n; i++)
        placement_prep_ensure_trait(ps->pl, sync_batch_add(&b, NULL),
                                    traits.v[i]);
    for (size_t i = 0; i < rcs.n; i++)
        placement_prep_ensure_resource_class(ps->pl, sync_batch_add(&b, NULL),
                                             rcs.v[i]);
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    for (size_t i = 0; i < b.n; i++) {
        const char *name = i < traits.n ? traits.v[i] : rcs.v[i - traits.n];
        struct errbuf eb = { 0 };

        if (placement_done_ensure(ps->pl, &b.calls[i], &eb) == 0) {
            sync_cache_learn(ps->cache, name);
            sync_change_add(
                ps->report, SYNC_CHANGE_NAME, NULL, "PUT",
                xasprintf("%s%s",
                          i < traits.n ? "/traits/" : "/resource_classes/",
                          name),
                xstrdup(name));
        } else
            strv_pushf(&ps->report->errors, "%s", eb.msg);
    }
    strv_clear(&traits);
    strv_clear(&rcs);
    sync_batch_clear(&b);
}

static void
write_done(struct sync_pass *ps, struct sync_job *j, int r,
           const struct errbuf *eb)
{
    if (r == -EAGAIN) { /* a claim or another writer moved the generation */
        strv_pushf(&ps->report->notes, "%s: %s; re-reading and retrying",
                   j->name, eb->msg);
        j->need_read = true;
        j->put_traits = false;
    } else if (r < 0) {
        sync_job_fail(j, eb->msg);
    } else {
        j->written = true; /* counted once, by the pass's end */
    }
}

/* Dry run: the writes planned for each job, recorded as if done. */
static void
write_planned(struct sync_pass *ps)
{
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

static void
write_invs(struct sync_pass *ps)
{
    struct sync_batch b = { 0 };

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
        int r = placement_done_put_inventories(ps->pl, &b.calls[i], &got, &eb);

        if (r == 0) {
            sync_change_add(
                ps->report, SYNC_CHANGE_INVENTORY, j->name, "PUT",
                xasprintf("/resource_providers/%s/inventories", j->uuid),
                sync_change_describe_invs(j->invs.invs, j->invs.n, got.invs,
                                          got.n));
            placement_invs_clear(&j->invs);
            j->invs = got;
            j->generation = got.generation;
        }
        write_done(ps, j, r, &eb);
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
        write_done(ps, j, r, &eb);
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
