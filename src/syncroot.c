/*
 * syncroot.c - the two ends of the tree a pass looks after besides the
 * GPUs: the root provider (adopted when nova-compute made it, waited for
 * when it is nova-compute's to make) and stale GPU providers (deleted when
 * free, drained while guests hold them).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync-batch.h"
#include "sync-cache.h"
#include "sync-tree.h"
#include "syncpass.h"
#include "xalloc.h"

static int
create_root(struct sync_pass *ps, struct errbuf *eb)
{
    const struct tree_provider *want = &ps->tree->providers[0];
    struct placement_rp rp = { 0 };
    struct sync_batch b = { 0 };
    int r;

    if (ps->dry_run) {
        sync_cache_set_root(ps->cache, want->uuid, true);
        ps->root_planned = true;
        ps->report->created++;
        sync_change_add(ps->report, SYNC_CHANGE_PROVIDER_CREATED, want->name,
                        "POST", xstrdup("/resource_providers"),
                        xasprintf("root, uuid %s", want->uuid));
        return 0;
    }
    placement_prep_create_provider(ps->pl, sync_batch_add(&b, NULL), want->uuid,
                                   want->name, NULL);
    sync_batch_run(&b, ps->pl, 1);
    r = placement_done_create_provider(ps->pl, &b.calls[0], &rp, eb);
    if (r == -EEXIST)
        errbuf_prefix(eb,
                      "root provider %s (uuid %s): a provider with "
                      "this uuid exists under another name",
                      want->name, want->uuid);
    if (r == 0) {
        sync_cache_set_root(ps->cache, rp.uuid, true);
        ps->report->created++;
        sync_change_add(ps->report, SYNC_CHANGE_PROVIDER_CREATED, want->name,
                        "POST", xstrdup("/resource_providers"),
                        xasprintf("root, uuid %s", rp.uuid));
        /* nothing is under a root made a moment ago: its tree is itself,
         * without a GET */
        ps->rps = xcalloc(1, sizeof(*ps->rps));
        ps->rps[0] = rp;
        ps->n_rps = 1;
        rp = (struct placement_rp){ 0 };
        ps->root_created = true;
    }
    placement_rp_clear(&rp);
    sync_batch_clear(&b);
    return r;
}

/* nova-compute's root is the one with its compute node's UUID: a root of
 * the node's name under another UUID (an older agent's, made before
 * nova-compute ran) keeps nova-compute from creating its own. */
static int
adopt_root(struct sync_pass *ps, const struct placement_rp *rp,
           struct errbuf *eb)
{
    const struct tree_provider *want = &ps->tree->providers[0];
    const struct tree_owner *o = &ps->tree->owner;
    bool same = strcmp(rp->uuid, want->uuid) == 0;

    if (o->nova_file && !same)
        return errbuf_set(eb, -EEXIST,
                          "root provider %s is %s in Placement, not "
                          "nova-compute's compute node %s (%s): nova-compute "
                          "cannot adopt it; delete it once nothing is "
                          "allocated under it (its children first) and "
                          "nova-compute creates its own",
                          want->name, rp->uuid, want->uuid, o->nova_file);
    sync_cache_set_root(ps->cache, rp->uuid, same && !o->adopt_root);
    if (sync_cache_set_waiting(ps->cache, false))
        strv_pushf(&ps->report->notes,
                   "root provider %s (uuid %s) is in Placement now; adopted",
                   want->name, rp->uuid);
    return 0;
}

/* The root is nova-compute's to create: wait for it, unless its UUID is in
 * Placement under another name (then node_name is not nova-compute's). */
static int
wait_root(struct sync_pass *ps, struct errbuf *eb)
{
    const struct tree_provider *want = &ps->tree->providers[0];
    const struct tree_owner *o = &ps->tree->owner;
    struct placement_rp *rps = NULL;
    size_t n = 0;
    int r = o->nova_file ? placement_list_providers(ps->pl, "uuid", want->uuid,
                                                    &rps, &n, eb)
                         : 0;

    if (r == 0 && n > 0)
        r = errbuf_set(eb, -EEXIST,
                       "nova-compute's root provider %s (%s) is named %s, "
                       "not %s: set node_name: %s",
                       want->uuid, o->nova_file, rps[0].name, want->name,
                       rps[0].name);
    placement_rps_free(rps, n);
    if (r < 0)
        return r;
    ps->waiting = true;
    strv_pushf(sync_cache_set_waiting(ps->cache, true) ? &ps->report->warnings
                                                       : &ps->report->notes,
               "root provider %s (uuid %s) is not in Placement: waiting for "
               "nova-compute to create it (root_provider: %s)",
               want->name, want->uuid,
               o->nova_file ? "auto, and nova-compute's compute_id exists"
                            : "adopt");
    return 0;
}

int
sync_root(struct sync_pass *ps, struct errbuf *eb)
{
    struct placement_rp rp = { 0 };
    const char *uuid;
    int r = 0;

    if (!sync_cache_root(ps->cache, NULL)) {
        r = sync_tree_find_root(ps->pl, ps->tree, &rp, eb);
        if (r == 0)
            r = adopt_root(ps, &rp, eb);
        else if (r == -ENOENT && ps->tree->owner.adopt_root)
            r = wait_root(ps, eb);
        else if (r == -ENOENT)
            r = create_root(ps, eb);
        placement_rp_clear(&rp);
    }
    if (r < 0 || ps->waiting)
        return r;
    uuid = sync_cache_root(ps->cache, &ps->root_owned);
    snprintf(ps->root_uuid, sizeof(ps->root_uuid), "%s", uuid);
    return 0;
}

/* Whether every inventory of j is reserved whole (and it has one). */
static bool
is_drained(const struct sync_job *j)
{
    for (size_t i = 0; i < j->invs.n; i++)
        if (j->invs.invs[i].reserved != j->invs.invs[i].total)
            return false;
    return j->invs.n > 0;
}

/* A stale provider's allocations are read to decide: delete it (free) or
 * drain it (held).  One already drained whose generation did not move
 * since the cache saw it is taken as still held: an allocation written or
 * cleared with PUT (as Nova does) bumps the generation, and the next pass
 * reads it then.  DELETE /allocations/{consumer} does not, so such a
 * provider is read again at the next full re-read of Placement
 * (full_refresh_s) at the latest: never a request every pass. */
void
sync_round_stale(struct sync_pass *ps)
{
    struct sync_batch b = { 0 };

    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        j->held = j->stale && !j->failed && j->recalled && is_drained(j);
        if (j->held)
            strv_pushf(&ps->report->notes,
                       "%s: GPU no longer offered, drained while guests "
                       "hold it; its generation did not move, so they still "
                       "do (re-read when it moves, or at the next full "
                       "refresh)",
                       j->name);
        if (j->stale && !j->failed && !j->held)
            placement_prep_get_allocations(ps->pl, sync_batch_add(&b, j),
                                           j->uuid);
    }
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    for (size_t i = 0; i < b.n; i++) {
        struct sync_job *j = b.jobs[i];
        struct errbuf eb = { 0 };

        if (placement_done_get_allocations(ps->pl, &b.calls[i], &j->allocs,
                                           &eb) < 0)
            sync_job_fail(j, eb.msg, &eb.req);
    }
    sync_batch_clear(&b);
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

/* The drain of j to invs, done or planned: an update. */
static void
drain_record(struct sync_pass *ps, const struct sync_job *j,
             const struct inventory *invs, size_t n)
{
    ps->report->updated++;
    sync_change_add(
        ps->report, SYNC_CHANGE_PROVIDER_DRAINED, j->name, "PUT",
        xasprintf("/resource_providers/%s/inventories", j->uuid),
        sync_change_describe_invs(j->invs.invs, j->invs.n, invs, n));
}

/* Keep an allocated stale provider but let nothing new land on it: the
 * PUT that sets reserved = total, unless it is so already. */
static void
prep_drain(struct sync_pass *ps, struct sync_batch *b, struct sync_job *j)
{
    _cleanup_free_ char *who = consumers_list(&j->allocs);
    _cleanup_free_ char *why = tree_gone_why(ps->tree, j->name);
    _cleanup_free_ char *gpu = tree_gone_gpu(ps->tree, j->name);
    struct inventory *invs = xcalloc(j->invs.n + 1, sizeof(*invs));
    bool drained = true;

    for (size_t i = 0; i < j->invs.n; i++) {
        invs[i] = j->invs.invs[i];
        drained &= invs[i].reserved == invs[i].total;
        invs[i].reserved = invs[i].total;
    }
    /* a warning when it is drained, a note (-v) on every pass after */
    strv_pushf(drained ? &ps->report->notes : &ps->report->warnings,
               "%s (GPU %s): GPU no longer offered (%s), but %zu guest(s) "
               "hold it (%s); reserved = total until they are gone, then it "
               "is deleted",
               j->name, gpu, why, j->allocs.n, who);
    if (!drained && ps->dry_run)
        drain_record(ps, j, invs, j->invs.n);
    else if (!drained)
        placement_prep_put_inventories(ps->pl, sync_batch_add(b, j), j->uuid,
                                       j->generation, invs, j->invs.n);
    free(invs); /* the body is made */
}

static void
drain_done(struct sync_pass *ps, struct sync_job *j, struct placement_call *c)
{
    struct placement_invs got = { 0 };
    struct errbuf eb = { 0 };

    if (placement_done_put_inventories(ps->pl, c, &got, &eb) < 0) {
        sync_job_fail(j, eb.msg, &eb.req);
        return;
    }
    drain_record(ps, j, got.invs, got.n);
    placement_invs_clear(&j->invs);
    j->invs = got;
    j->generation = got.generation;
}

static void
delete_done(struct sync_pass *ps, struct sync_job *j, struct placement_call *c)
{
    struct errbuf eb = { 0 };
    int r = placement_done_delete_provider(ps->pl, c, &eb);

    if (r == 0 || r == -ENOENT) {
        _cleanup_free_ char *why = tree_gone_why(ps->tree, j->name);
        _cleanup_free_ char *gpu = tree_gone_gpu(ps->tree, j->name);

        strv_pushf(&ps->report->warnings,
                   "%s (GPU %s): GPU provider deleted: %s", j->name, gpu, why);
        j->deleted = true;
        ps->report->deleted++;
        sync_change_add(ps->report, SYNC_CHANGE_PROVIDER_DELETED, j->name,
                        "DELETE", xasprintf("/resource_providers/%s", j->uuid),
                        xstrdup("no longer offered, no guest holds it"));
    } else if (r == -EBUSY) { /* a claim landed meanwhile */
        strv_pushf(&ps->report->warnings, "%s: %s; kept", j->name, eb.msg);
    } else {
        sync_job_fail(j, eb.msg, &eb.req);
    }
}

/* The drains first, then the deletes, in one batch: they touch different
 * providers. */
void
sync_round_retire(struct sync_pass *ps)
{
    struct sync_batch b = { 0 };

    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        if (j->stale && !j->failed && j->allocs.n > 0)
            prep_drain(ps, &b, j);
    }
    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];

        if (!j->stale || j->failed || j->held || j->allocs.n > 0)
            continue;
        if (ps->dry_run) {
            j->deleted = true;
            ps->report->deleted++;
            sync_change_add(ps->report, SYNC_CHANGE_PROVIDER_DELETED, j->name,
                            "DELETE",
                            xasprintf("/resource_providers/%s", j->uuid),
                            xstrdup("no longer offered, no guest holds it"));
        } else {
            placement_prep_delete_provider(ps->pl, sync_batch_add(&b, j),
                                           j->uuid);
        }
    }
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    for (size_t i = 0; i < b.n; i++) {
        if (b.jobs[i]->allocs.n > 0)
            drain_done(ps, b.jobs[i], &b.calls[i]);
        else
            delete_done(ps, b.jobs[i], &b.calls[i]);
    }
    sync_batch_clear(&b);
}
