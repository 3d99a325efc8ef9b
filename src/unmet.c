/*
 * unmet.c - the claims a plan and its actions leave unmet (see unmet.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "unmet.h"
#include "xalloc.h"

/* The GPU of the claim on provider: its tree device's address, or "". */
static const char *
gpu_of(const struct reconcile_claim *claims, size_t n, const char *provider)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(claims[i].uuid, provider) == 0 && claims[i].provider &&
            claims[i].provider->device)
            return claims[i].provider->device->address;
    return "";
}

/* Add m's claim (consumer, provider) as unmet for why, unless it is so. */
static void
add(struct unmet *u, const struct reconcile_mdev *m, const char *why,
    const struct reconcile_claim *claims, size_t n_claims)
{
    const char *consumer = m->consumer, *provider = m->provider;
    struct unmet_claim *c;

    if (!consumer[0])
        return; /* no claim's: an orphan, a guest's without claim */
    for (size_t i = 0; i < u->n; i++)
        if (strcasecmp(u->v[i].consumer, consumer) == 0 &&
            strcmp(u->v[i].provider, provider) == 0)
            return;
    u->v = xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
    c = &u->v[u->n++];
    *c = (struct unmet_claim){
        .gpu = xstrdup(gpu_of(claims, n_claims, provider)),
        .device = xstrdup(m->uuid),
        .what = m->uuid[0]
                    ? xasprintf("%s %s", reconcile_noun(m), m->uuid)
                    : xasprintf("GPU %s",
                                m->parent && m->parent[0] ? m->parent : "?"),
        .why = xstrdup(why ? why : "?"),
    };
    snprintf(c->consumer, sizeof(c->consumer), "%s", consumer);
    snprintf(c->provider, sizeof(c->provider), "%s", provider);
}

void
unmet_collect(const struct reconcile_plan *p,
              const struct reconcile_report *rep,
              const struct reconcile_claim *claims, size_t n_claims,
              struct unmet *ret)
{
    unmet_clear(ret);
    for (size_t i = 0; i < p->n_errors; i++)
        add(ret, &p->errors[i], p->errors[i].why, claims, n_claims);
    for (size_t i = 0; i < p->n_misplaced; i++)
        add(ret, &p->misplaced[i], p->misplaced[i].why, claims, n_claims);
    for (size_t i = 0; rep && i < rep->n; i++) {
        const struct reconcile_action *a = &rep->v[i];
        struct reconcile_mdev m = { .mode = a->mode, .parent = a->parent };
        _cleanup_free_ char *why = NULL;

        if (a->action != RECONCILE_CREATE || a->result != RECONCILE_FAILED)
            continue;
        snprintf(m.uuid, sizeof(m.uuid), "%s", a->uuid);
        snprintf(m.consumer, sizeof(m.consumer), "%s", a->consumer);
        snprintf(m.provider, sizeof(m.provider), "%s", a->provider);
        why = xasprintf("creating it on %s failed: %s", a->parent,
                        a->error ? a->error : "?");
        add(ret, &m, why, claims, n_claims);
    }
}

void
unmet_clear(struct unmet *u)
{
    for (size_t i = 0; i < u->n; i++) {
        free(u->v[i].gpu);
        free(u->v[i].device);
        free(u->v[i].what);
        free(u->v[i].why);
    }
    free(u->v);
    *u = (struct unmet){ 0 };
}
