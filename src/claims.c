/*
 * claims.c - read Placement's allocations on this host's GPU providers.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "xalloc.h"

static const struct placement_rp *
find_by_name(const struct placement_rp *rps, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rps[i].name, name) == 0)
            return &rps[i];
    return NULL;
}

/* Claims of one provider's allocations on its own resource class. */
static void
add_claims(const struct tree_provider *p, const char *uuid,
           const struct placement_allocs *a, struct reconcile_claim **v,
           size_t *n)
{
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < a->allocs[i].n_used; j++) {
            const struct inventory *u = &a->allocs[i].used[j];
            struct reconcile_claim *c;

            if (strcmp(u->rc, p->device->rc) != 0 || u->total <= 0)
                continue;
            *v = xrealloc(*v, (*n + 1) * sizeof(**v));
            c = &(*v)[(*n)++];
            *c = (struct reconcile_claim){ .provider = p, .n = u->total };
            snprintf(c->uuid, sizeof(c->uuid), "%s", uuid);
            snprintf(c->consumer, sizeof(c->consumer), "%s",
                     a->allocs[i].consumer);
        }
}

static int
read_allocations(struct placement *pl, const struct tree *t,
                 const struct placement_rp *rps, size_t n_rps,
                 size_t max_parallel, struct reconcile_claim **ret,
                 size_t *ret_n, struct errbuf *eb)
{
    struct placement_call *calls = xcalloc(t->n_providers, sizeof(*calls));
    const struct placement_rp **found = xcalloc(t->n_providers,
                                                sizeof(*found));
    int r = 0;

    for (size_t i = 1; i < t->n_providers; i++) {
        found[i] = find_by_name(rps, n_rps, t->providers[i].name);
        if (found[i])
            placement_prep_get_allocations(pl, &calls[i], found[i]->uuid);
    }
    /* calls[0] (the root) stays empty: run the rest */
    placement_run(pl, calls + 1, t->n_providers - 1, max_parallel);
    for (size_t i = 1; i < t->n_providers; i++) {
        struct placement_allocs a = { 0 };

        if (found[i] && r == 0 &&
            (r = placement_done_get_allocations(pl, &calls[i], &a, eb)) == 0)
            add_claims(&t->providers[i], found[i]->uuid, &a, ret, ret_n);
        placement_allocs_clear(&a);
        placement_call_clear(&calls[i]);
    }
    free(calls);
    free(found);
    return r;
}

int
claims_load(struct placement *pl, const struct tree *t, size_t max_parallel,
            struct reconcile_claim **ret, size_t *ret_n, struct errbuf *eb)
{
    struct placement_rp *roots = NULL, *rps = NULL;
    size_t n_roots = 0, n_rps = 0;
    int r;

    *ret = NULL;
    *ret_n = 0;
    r = placement_list_providers(pl, "name", t->providers[0].name, &roots,
                                 &n_roots, eb);
    if (r == 0 && n_roots > 0)
        r = placement_list_providers(pl, "in_tree", roots[0].uuid, &rps,
                                     &n_rps, eb);
    if (r == 0 && n_rps > 0)
        r = read_allocations(pl, t, rps, n_rps, max_parallel, ret, ret_n, eb);
    placement_rps_free(roots, n_roots);
    placement_rps_free(rps, n_rps);
    if (r < 0) {
        free(*ret);
        *ret = NULL;
        *ret_n = 0;
    }
    return r;
}
