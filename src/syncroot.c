/*
 * syncroot.c - the two ends of the tree a pass looks after besides the
 * GPUs: the root provider (adopted when nova-compute made it) and stale
 * GPU providers (deleted when free, drained while guests hold them).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "syncpass.h"
#include "xalloc.h"

/* Adopt the provider named node_name, else create it with the tree's UUID. */
int
sync_root(struct sync_pass *ps, struct errbuf *eb)
{
    const struct tree_provider *want = &ps->tree->providers[0];
    struct sync_cache *c = ps->cache;
    struct placement_rp *rps = NULL, rp = { 0 };
    size_t n = 0;
    int r;

    if (c->root_uuid[0])
        return 0;
    r = placement_list_providers(ps->pl, "name", want->name, &rps, &n, eb);
    if (r == 0 && n > 0) {
        snprintf(c->root_uuid, sizeof(c->root_uuid), "%s", rps[0].uuid);
        c->root_owned = strcmp(rps[0].uuid, want->uuid) == 0;
    } else if (r == 0) {
        struct placement_call call = { 0 };

        placement_prep_create_provider(ps->pl, &call, want->uuid, want->name,
                                       NULL);
        placement_run(ps->pl, &call, 1, 1);
        r = placement_done_create_provider(ps->pl, &call, &rp, eb);
        placement_call_clear(&call);
        if (r == -EEXIST)
            errbuf_prefix(eb,
                          "root provider %s (uuid %s): a provider with "
                          "this uuid exists under another name",
                          want->name, want->uuid);
        if (r == 0) {
            snprintf(c->root_uuid, sizeof(c->root_uuid), "%s", rp.uuid);
            c->root_owned = true;
            ps->report->created++;
        }
        placement_rp_clear(&rp);
    }
    placement_rps_free(rps, n);
    return r;
}

/* "a, b, c and 2 more" */
static char *
consumers_list(const struct placement_allocs *a)
{
    char *s = xstrdup("");

    for (size_t i = 0; i < a->n && i < 3; i++) {
        char *next =
            xasprintf("%s%s%s", s, i ? ", " : "", a->allocs[i].consumer);
        free(s);
        s = next;
    }
    if (a->n > 3) {
        char *next = xasprintf("%s and %zu more", s, a->n - 3);
        free(s);
        s = next;
    }
    return s;
}

/* Keep an allocated stale provider but let nothing new land on it. */
static void
drain(struct sync_pass *ps, struct sync_job *j)
{
    _cleanup_free_ char *who = consumers_list(&j->allocs);
    struct placement_call call = { 0 };
    struct placement_invs got = { 0 };
    struct inventory *invs = xcalloc(j->invs.n + 1, sizeof(*invs));
    struct errbuf eb = { 0 };
    bool drained = true;
    int r = 0;

    for (size_t i = 0; i < j->invs.n; i++) {
        invs[i] = j->invs.invs[i];
        drained &= invs[i].reserved == invs[i].total;
        invs[i].reserved = invs[i].total;
    }
    /* a warning when it is drained, a note (-v) on every pass after */
    strv_pushf(drained ? &ps->report->notes : &ps->report->warnings,
               "%s: GPU no longer offered, but %zu guest(s) hold it (%s); "
               "reserved = total until they are gone, then it is deleted",
               j->name, j->allocs.n, who);
    if (!drained) {
        placement_prep_put_inventories(ps->pl, &call, j->uuid, j->generation,
                                       invs, j->invs.n);
        placement_run(ps->pl, &call, 1, 1);
        r = placement_done_put_inventories(ps->pl, &call, &got, &eb);
        placement_call_clear(&call);
    }
    if (r == 0 && !drained) {
        placement_invs_clear(&j->invs);
        j->invs = got;
        j->generation = got.generation;
    } else if (r < 0) {
        sync_job_fail(ps, j, eb.msg);
    }
    free(invs);
}

static void
delete_free(struct sync_pass *ps, struct sync_job **jobs, size_t n)
{
    struct placement_call *calls = xcalloc(n + 1, sizeof(*calls));

    for (size_t i = 0; i < n; i++)
        placement_prep_delete_provider(ps->pl, &calls[i], jobs[i]->uuid);
    placement_run(ps->pl, calls, n, ps->max_parallel);
    for (size_t i = 0; i < n; i++) {
        struct errbuf eb = { 0 };
        int r = placement_done_delete_provider(ps->pl, &calls[i], &eb);

        if (r == 0 || r == -ENOENT) {
            jobs[i]->deleted = true;
            ps->report->deleted++;
        } else if (r == -EBUSY) { /* a claim landed meanwhile */
            strv_pushf(&ps->report->warnings, "%s: %s; kept", jobs[i]->name,
                       eb.msg);
        } else {
            sync_job_fail(ps, jobs[i], eb.msg);
        }
        placement_call_clear(&calls[i]);
    }
    free(calls);
}

/* Every pass reads the allocations of every stale provider, cached or not:
 * DELETE /allocations/{consumer} does not bump the provider generation
 * (Placement 8.0 only deletes the rows), so an unchanged generation does
 * not mean the guests are still there.  This costs one GET per drained
 * provider per pass, and only until it is deleted. */
void
sync_stale(struct sync_pass *ps)
{
    struct sync_job **todo = xcalloc(ps->n_jobs + 1, sizeof(*todo));
    struct sync_job **free_jobs = xcalloc(ps->n_jobs + 1, sizeof(*todo));
    struct placement_call *calls = xcalloc(ps->n_jobs + 1, sizeof(*calls));
    size_t n = 0, n_free = 0;

    for (size_t i = 0; i < ps->n_jobs; i++)
        if (ps->jobs[i].stale && !ps->jobs[i].failed)
            todo[n++] = &ps->jobs[i];
    for (size_t i = 0; i < n; i++)
        placement_prep_get_allocations(ps->pl, &calls[i], todo[i]->uuid);
    placement_run(ps->pl, calls, n, ps->max_parallel);
    for (size_t i = 0; i < n; i++) {
        struct sync_job *j = todo[i];
        struct errbuf eb = { 0 };

        if (placement_done_get_allocations(ps->pl, &calls[i], &j->allocs, &eb) <
            0)
            sync_job_fail(ps, j, eb.msg);
        else if (j->allocs.n == 0)
            free_jobs[n_free++] = j;
        else
            drain(ps, j);
        placement_call_clear(&calls[i]);
    }
    delete_free(ps, free_jobs, n_free);
    free(calls);
    free(todo);
    free(free_jobs);
}
