/*
 * claims.c - read Placement's allocations on this host's GPU providers.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "sync-tree.h"
#include "xalloc.h"

/* Claims of one provider's allocations on its own resource class (on any
 * class for a stale provider, p NULL: sync drains all of its inventory). */
static void
add_claims(const struct tree_provider *p, const char *uuid,
           const struct placement_allocs *a, struct reconcile_claim **v,
           size_t *n)
{
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < a->allocs[i].n_used; j++) {
            const struct inventory *u = &a->allocs[i].used[j];
            struct reconcile_claim *c;

            if ((p && strcmp(u->rc, p->device->rc) != 0) || u->total <= 0)
                continue;
            *v = xrealloc(*v, (*n + 1) * sizeof(**v));
            c = &(*v)[(*n)++];
            *c = (struct reconcile_claim){ .provider = p, .n = u->total };
            snprintf(c->uuid, sizeof(c->uuid), "%s", uuid);
            snprintf(c->consumer, sizeof(c->consumer), "%s",
                     a->allocs[i].consumer);
        }
}

/* Allocations of the tree's GPU providers (by name), then of the stale
 * ones; rps[i] is read for tree provider tp[i] (NULL: stale) when want[i].
 * A stale provider's claims still stand (sync keeps it, drained, while
 * guests hold it): they are reported as unmet, never dropped. */
static int
read_allocations(struct placement *pl, const struct tree *t,
                 const struct placement_rp *rps, size_t n_rps,
                 const char *root_uuid, size_t max_parallel,
                 struct reconcile_claim **ret, size_t *ret_n, struct errbuf *eb)
{
    struct placement_call *calls = xcalloc(n_rps, sizeof(*calls));
    const struct tree_provider **tp = xcalloc(n_rps, sizeof(*tp));
    size_t *order = xcalloc(n_rps, sizeof(*order));
    bool *want = xcalloc(n_rps, sizeof(*want));
    size_t n = 0;
    int r = 0;

    for (size_t i = 1; i < t->n_providers; i++) {
        const struct placement_rp *rp =
            sync_tree_find(rps, n_rps, NULL, t->providers[i].name);

        if (rp && !want[rp - rps] && t->providers[i].device) {
            tp[rp - rps] = &t->providers[i];
            want[rp - rps] = true;
            order[n++] = (size_t)(rp - rps);
        }
    }
    for (size_t i = 0; i < n_rps; i++)
        if (!want[i] && sync_tree_is_stale(t, &rps[i], root_uuid)) {
            want[i] = true;
            order[n++] = i;
        }
    for (size_t i = 0; i < n_rps; i++)
        if (want[i])
            placement_prep_get_allocations(pl, &calls[i], rps[i].uuid);
    placement_run(pl, calls, n_rps, max_parallel);
    for (size_t k = 0; k < n; k++) {
        struct placement_allocs a = { 0 };
        size_t i = order[k];

        if (r == 0 &&
            (r = placement_done_get_allocations(pl, &calls[i], &a, eb)) == 0)
            add_claims(tp[i], rps[i].uuid, &a, ret, ret_n);
        placement_allocs_clear(&a);
    }
    for (size_t i = 0; i < n_rps; i++)
        placement_call_clear(&calls[i]);
    free(calls);
    free(tp);
    free(order);
    free(want);
    return r;
}

int
claims_load(struct placement *pl, const struct tree *t, size_t max_parallel,
            struct reconcile_claim **ret, size_t *ret_n, struct errbuf *eb)
{
    struct placement_rp root = { 0 }, *rps = NULL;
    size_t n_rps = 0;
    int r;

    *ret = NULL;
    *ret_n = 0;
    r = sync_tree_find_root(pl, t, &root, eb);
    if (r == -ENOENT)
        return 0; /* no tree in Placement yet: no claims */
    if (r == 0)
        r = placement_list_providers(pl, "in_tree", root.uuid, &rps, &n_rps,
                                     eb);
    if (r == 0 && n_rps > 0)
        r = read_allocations(pl, t, rps, n_rps, root.uuid, max_parallel, ret,
                             ret_n, eb);
    placement_rp_clear(&root);
    placement_rps_free(rps, n_rps);
    if (r < 0) {
        free(*ret);
        *ret = NULL;
        *ret_n = 0;
    }
    return r;
}

int
claims_read(struct placement *pl, const struct tree_provider *const *providers,
            char (*uuids)[UUIDSTR_LEN], size_t n, size_t max_parallel,
            struct reconcile_claim **ret, size_t *ret_n, struct errbuf *eb)
{
    struct placement_call *calls = xcalloc(n ? n : 1, sizeof(*calls));
    int r = 0;

    for (size_t i = 0; i < n; i++)
        placement_prep_get_allocations(pl, &calls[i], uuids[i]);
    placement_run(pl, calls, n, max_parallel);
    for (size_t i = 0; i < n; i++) {
        struct placement_allocs a = { 0 };

        if (r == 0 &&
            (r = placement_done_get_allocations(pl, &calls[i], &a, eb)) == 0)
            add_claims(providers[i], uuids[i], &a, ret, ret_n);
        placement_allocs_clear(&a);
        placement_call_clear(&calls[i]);
    }
    free(calls);
    return r;
}
