/*
 * sync-names.c - the custom traits and resource classes a pass's writes
 * use, created before the writes that need them (PUT /traits/NAME, PUT
 * /resource_classes/NAME: create-or-verify), unless known to exist.
 */
#include "config.h"

#include <stdlib.h>

#include "sync-batch.h"
#include "sync-cache.h"
#include "syncdiff.h"
#include "syncpass.h"
#include "xalloc.h"

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

/* The requests that create traits and rcs, for no job, into b. */
void
sync_names_prep(struct sync_pass *ps, struct sync_batch *b,
                const struct strv *traits, const struct strv *rcs)
{
    for (size_t i = 0; i < traits->n; i++)
        placement_prep_ensure_trait(ps->pl, sync_batch_add(b, NULL),
                                    traits->v[i]);
    for (size_t i = 0; i < rcs->n; i++)
        placement_prep_ensure_resource_class(ps->pl, sync_batch_add(b, NULL),
                                             rcs->v[i]);
}

/* Their answers: b's calls from first on. */
void
sync_names_done(struct sync_pass *ps, struct sync_batch *b, size_t first,
                const struct strv *traits, const struct strv *rcs)
{
    for (size_t i = 0; i < traits->n + rcs->n; i++) {
        const char *name = i < traits->n ? traits->v[i] : rcs->v[i - traits->n];
        struct errbuf eb = { 0 };
        int r = placement_done_ensure(ps->pl, &b->calls[first + i], &eb);

        if (r >= 0)
            sync_cache_learn(ps->cache, name);
        if (r == 1) /* made now, not found made by another host */
            sync_change_add(
                ps->report, SYNC_CHANGE_NAME, NULL, "PUT",
                xasprintf("%s%s",
                          i < traits->n ? "/traits/" : "/resource_classes/",
                          name),
                xstrdup(name));
        else if (r < 0)
            sync_error_add(ps->report, &eb.req, "%s", eb.msg);
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
    sync_names_prep(ps, &b, &traits, &rcs);
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    sync_names_done(ps, &b, 0, &traits, &rcs);
    strv_clear(&traits);
    strv_clear(&rcs);
    sync_batch_clear(&b);
}
