/*
 * sync-reshape.c - nova-compute's per-VF GPU providers turned into the
 * agent's one provider per GPU, in one POST /reshaper.
 *
 * Nova's libvirt driver reports an SR-IOV GPU as one provider per virtual
 * function ("<node>_pci_0000_41_00_4", VGPU total 1 each), and its guests'
 * claims sit on those.  The agent reports the GPU as one provider.
 * Deleting the VF providers would drop the claims; keeping them counts the
 * GPU twice.  So while VF providers of a GPU are under the root, the GPU's
 * inventory is not PUT: one reshape sets it, empties the VF providers and
 * moves every claim on them onto the GPU's provider, atomically; the empty
 * VF providers are then deleted as any stale provider is.  If the reshape
 * fails, the GPU is not offered this pass and the VF providers stay
 * (drained while claimed), so nothing is ever counted twice.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pciaddr.h"
#include "sync-batch.h"
#include "syncpass.h"
#include "xalloc.h"

static struct sync_job *
gpu_job(const struct sync_pass *ps, const struct tree_provider *gpu)
{
    for (size_t i = 0; i < ps->jobs.n; i++)
        if (ps->jobs.v[i].want == gpu)
            return &ps->jobs.v[i];
    return NULL;
}

/* The GPU of the tree that has a VF Nova would name name, or NULL. */
static const struct tree_provider *
vf_of(const struct tree *t, const char *name)
{
    const char *node = t->providers[0].name;

    for (size_t i = 1; i < t->n_providers; i++) {
        const struct tree_device *d = t->providers[i].device;

        for (size_t k = 0; d && k < d->parents.n; k++) {
            char buf[PCI_ADDR_STR_MAX];
            struct pci_addr a;
            _cleanup_free_ char *vf = NULL;

            if (strcmp(d->parents.v[k], d->address) == 0 ||
                pci_addr_parse(d->parents.v[k], &a) < 0)
                continue;
            vf = xasprintf("%s_pci_%s", node, pci_addr_format_rp(&a, buf));
            if (strcmp(vf, name) == 0)
                return &t->providers[i];
        }
    }
    return NULL;
}

void
sync_reshape_mark(struct sync_pass *ps)
{
    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];
        const struct tree_provider *gpu =
            j->stale ? vf_of(ps->tree, j->name) : NULL;
        struct sync_job *g = gpu ? gpu_job(ps, gpu) : NULL;

        if (g) {
            j->vf_of = gpu;
            g->reshape = true;
        }
    }
}

/* The GPU job a VF provider's claims move to, when both are fit for it. */
static struct sync_job *
target(const struct sync_pass *ps, const struct sync_job *j)
{
    struct sync_job *g = j->vf_of ? gpu_job(ps, j->vf_of) : NULL;

    if (!g || j->failed || !j->exists || g->failed || !g->exists ||
        g->need_read)
        return NULL;
    return g;
}

/* What one reshape sends. */
struct reshape {
    struct placement_reshape_inv *invs;
    size_t n_invs;
    struct placement_consumer *cons;
    size_t n_cons;
    struct strv who; /* the consumers on the VF providers */
    size_t n_vfs;
};

static void
reshape_clear(struct reshape *rs)
{
    for (size_t i = 0; i < rs->n_cons; i++)
        placement_consumer_clear(&rs->cons[i]);
    free(rs->cons);
    free(rs->invs);
    strv_clear(&rs->who);
    *rs = (struct reshape){ 0 };
}

static void
add_inv(struct reshape *rs, const struct sync_job *j, bool empty)
{
    struct placement_reshape_inv *v;

    rs->invs = xrealloc(rs->invs, (rs->n_invs + 1) * sizeof(*rs->invs));
    v = &rs->invs[rs->n_invs++];
    *v = (struct placement_reshape_inv){ .generation = j->generation,
                                         .invs = empty ? NULL : j->new_invs,
                                         .n = empty ? 0 : j->n_new_invs };
    snprintf(v->uuid, sizeof(v->uuid), "%s", j->uuid);
}

/* The GPUs' inventories, the VF providers' (none), who holds the VFs. */
static void
collect(const struct sync_pass *ps, struct reshape *rs)
{
    for (size_t i = 0; i < ps->jobs.n; i++) {
        const struct sync_job *g = &ps->jobs.v[i];

        if (g->reshape && g->exists && !g->failed && !g->need_read)
            add_inv(rs, g, false);
    }
    for (size_t i = 0; i < ps->jobs.n; i++) {
        const struct sync_job *j = &ps->jobs.v[i];

        if (!target(ps, j))
            continue;
        add_inv(rs, j, true);
        rs->n_vfs++;
        for (size_t k = 0; k < j->allocs.n; k++)
            if (!strv_contains(&rs->who, j->allocs.allocs[k].consumer))
                strv_push(&rs->who, j->allocs.allocs[k].consumer);
    }
}

/* GET /allocations/{c} of everyone on the VF providers: their whole
 * allocations go into the reshape. */
static int
read_consumers(struct sync_pass *ps, struct reshape *rs, struct errbuf *eb)
{
    struct sync_batch b = { 0 };
    int r = 0;

    rs->cons = xcalloc(rs->who.n ? rs->who.n : 1, sizeof(*rs->cons));
    for (size_t i = 0; i < rs->who.n; i++)
        placement_prep_get_consumer(ps->pl, sync_batch_add(&b, NULL),
                                    rs->who.v[i]);
    sync_batch_run(&b, ps->pl, ps->max_parallel);
    for (size_t i = 0; i < b.n && r == 0; i++) {
        r = placement_done_get_consumer(ps->pl, &b.calls[i], rs->who.v[i],
                                        &rs->cons[i], eb);
        if (r == 0)
            rs->n_cons++;
    }
    sync_batch_clear(&b);
    return r;
}

/* Add amounts used to holding h (by resource class). */
static void
holding_add(struct placement_alloc *h, const struct inventory *used, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        size_t m = 0;

        while (m < h->n_used && strcmp(h->used[m].rc, used[k].rc) != 0)
            m++;
        if (m == h->n_used) {
            h->used = xrealloc(h->used, (h->n_used + 1) * sizeof(*h->used));
            inventory_init(&h->used[h->n_used++], used[k].rc, 0);
        }
        h->used[m].total += used[k].total;
    }
    qsort(h->used, h->n_used, sizeof(*h->used), inventory_cmp_rc);
}

/* The holding of provider uuid in a, added when missing. */
static struct placement_alloc *
holding(struct placement_allocs *a, const char *uuid)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->allocs[i].consumer, uuid) == 0)
            return &a->allocs[i];
    a->allocs = xrealloc(a->allocs, (a->n + 1) * sizeof(*a->allocs));
    a->allocs[a->n] = (struct placement_alloc){ .n_used = 0 };
    snprintf(a->allocs[a->n].consumer, UUIDSTR_LEN, "%s", uuid);
    return &a->allocs[a->n++];
}

static bool
offers(const struct sync_job *g, const char *rc)
{
    for (size_t k = 0; k < g->n_new_invs; k++)
        if (strcmp(g->new_invs[k].rc, rc) == 0)
            return true;
    return false;
}

/* Consumer c's allocations with what it holds on VF providers moved onto
 * their GPUs'.  -EINVAL when the GPU does not offer a class it holds. */
static int
move_consumer(const struct sync_pass *ps, struct placement_consumer *c,
              struct errbuf *eb)
{
    struct placement_allocs moved = { .generation = 0 };

    for (size_t i = 0; i < c->holds.n; i++) {
        const struct placement_alloc *h = &c->holds.allocs[i];
        const struct sync_job *vf = sync_jobs_find(&ps->jobs, h->consumer);
        const struct sync_job *g = vf ? target(ps, vf) : NULL;

        for (size_t k = 0; g && k < h->n_used; k++)
            if (!offers(g, h->used[k].rc)) {
                placement_allocs_clear(&moved);
                return errbuf_set(eb, -EINVAL,
                                  "consumer %s holds %s on %s, which %s "
                                  "does not offer",
                                  c->uuid, h->used[k].rc, vf->name, g->name);
            }
        holding_add(holding(&moved, g ? g->uuid : h->consumer), h->used,
                    h->n_used);
    }
    placement_allocs_clear(&c->holds);
    c->holds = moved;
    return 0;
}

/* After the reshape: the VF providers are empty and nobody's (retire
 * deletes them), the GPUs' generations moved (re-read). */
static void
reshaped(struct sync_pass *ps)
{
    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *g = &ps->jobs.v[i];
        size_t vfs = 0, claims = 0;

        if (!g->reshape || !g->exists || g->failed || g->need_read)
            continue;
        for (size_t k = 0; k < ps->jobs.n; k++) {
            struct sync_job *j = &ps->jobs.v[k];

            if (target(ps, j) != g)
                continue;
            vfs++;
            claims += j->allocs.n;
            placement_allocs_clear(&j->allocs);
        }
        if (vfs > 0)
            strv_pushf(&ps->report->warnings,
                       "%s: the inventory of nova-compute's %zu per-VF "
                       "provider(s) of this GPU and %zu claim(s) on them "
                       "moved onto its provider (POST /reshaper); deleting "
                       "them",
                       g->name, vfs, claims);
        g->need_read = true;
        ps->report->updated++;
    }
    sync_round_read(ps);
}

static int
send_reshape(struct sync_pass *ps, const struct reshape *rs, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };

    if (!placement_has_reshaper(ps->pl))
        return errbuf_set(eb, -ENOTSUP,
                          "moving claims off nova-compute's per-VF providers "
                          "needs POST /reshaper (microversion 1.30); "
                          "Placement speaks %s",
                          placement_version(ps->pl));
    placement_prep_reshape(ps->pl, &c, rs->invs, rs->n_invs, rs->cons,
                           rs->n_cons);
    placement_run(ps->pl, &c, 1, 1);
    return placement_done_reshape(ps->pl, &c, eb);
}

void
sync_round_reshape(struct sync_pass *ps)
{
    struct reshape rs = { 0 };
    struct errbuf eb = { 0 };
    int r = 0;

    collect(ps, &rs);
    if (rs.n_invs == 0) {
        reshape_clear(&rs);
        return;
    }
    r = read_consumers(ps, &rs, &eb);
    for (size_t i = 0; r == 0 && i < rs.n_cons; i++)
        r = move_consumer(ps, &rs.cons[i], &eb);
    if (r == 0)
        r = send_reshape(ps, &rs, &eb);
    if (r == 0)
        reshaped(ps);
    else
        sync_error_add(ps->report, &eb.req,
                       "moving %zu per-VF provider(s) of nova-compute onto the "
                       "GPUs' providers: %s; those GPUs are not offered until "
                       "it succeeds",
                       rs.n_vfs, eb.msg);
    reshape_clear(&rs);
}
