/*
 * reconcile.c - plan the mdevs Placement's claims need (see reconcile.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uuid/uuid.h>

#include "reconcile-internal.h"
#include "reconcile.h"
#include "xalloc.h"

int
reconcile_uuid(const char *consumer, const char *provider_uuid, unsigned i,
               char ret[UUIDSTR_LEN])
{
    _cleanup_free_ char *name = xasprintf("%s/%u", provider_uuid, i);
    uuid_t ns, out;

    if (uuid_parse(consumer, ns) < 0)
        return -EINVAL;
    uuid_generate_sha1(out, ns, name, strlen(name));
    uuid_unparse_lower(out, ret);
    return 0;
}

struct reconcile_mdev *
reconcile_add(struct reconcile_mdev **v, size_t *n, const char *id,
              const char *parent, const char *type, enum host_mode mode)
{
    struct reconcile_mdev *m;

    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    m = &(*v)[(*n)++];
    *m = (struct reconcile_mdev){ .mode = mode,
                                  .parent = xstrdup(parent ? parent : ""),
                                  .mdev_type = xstrdup(type ? type : "") };
    snprintf(m->uuid, sizeof(m->uuid), "%s", id);
    return m;
}

static struct reconcile_mdev *
add(struct reconcile_mdev **v, size_t *n, const char *uuid, const char *parent,
    const char *type)
{
    return reconcile_add(v, n, uuid, parent, type, HOST_MODE_MDEV);
}

void
reconcile_tag(struct reconcile_mdev *m, const struct reconcile_claim *c)
{
    snprintf(m->consumer, sizeof(m->consumer), "%s", c->consumer);
    snprintf(m->provider, sizeof(m->provider), "%s", c->uuid);
}

static struct reconcile_room *
room_of(struct reconcile_planner *pl, const char *parent, const char *type)
{
    const struct host_fn *fn = host_find_fn(pl->host, parent, NULL);
    const struct host_type *t = fn ? host_fn_find_type(fn, type) : NULL;
    struct reconcile_room *r;

    for (size_t i = 0; i < pl->n_rooms; i++)
        if (strcmp(pl->rooms[i].parent, parent) == 0 &&
            strcmp(pl->rooms[i].type, type) == 0)
            return &pl->rooms[i];
    xgrow(&pl->rooms, &pl->cap_rooms, pl->n_rooms, sizeof(*pl->rooms));
    r = &pl->rooms[pl->n_rooms++];
    *r = (struct reconcile_room){ parent, type, t ? t->available : 0 };
    return r;
}

/* An expected UUID of a claim on a stale provider: no GPU here can hold
 * it, so it is an error (or misplaced, if it exists elsewhere). */
static void
expect_stale(struct reconcile_planner *pl, const struct reconcile_claim *c,
             const char *uuid)
{
    const struct host_vgpu *m = host_find_vgpu(pl->host, uuid);
    struct reconcile_plan *p = pl->plan;
    struct reconcile_mdev *x;

    if (m) {
        x = add(&p->misplaced, &p->n_misplaced, uuid, m->fn, m->type_id);
        x->why = xasprintf("is on %s as %s; the claim is on provider %s, "
                           "which has no GPU on this host now",
                           m->fn, m->type_id, c->uuid);
    } else {
        x = add(&p->errors, &p->n_errors, uuid, NULL, NULL);
        x->why = xasprintf("no capacity: provider %s holds the claim but "
                           "this host offers no GPU for it now (gone, or no "
                           "room left for its type)",
                           c->uuid);
    }
    reconcile_tag(x, c);
}

/* One expected UUID: keep it, call it misplaced, or plan its create on the
 * first parent (VF, in address order) with room. */
static void
expect(struct reconcile_planner *pl, const struct reconcile_claim *c,
       const char *uuid)
{
    const struct tree_device *d = NULL;
    const struct host_vgpu *m = host_find_vgpu(pl->host, uuid);
    struct reconcile_plan *p = pl->plan;
    struct reconcile_mdev *x;

    strv_push(&pl->assigned, uuid);
    if (!c->provider) {
        expect_stale(pl, c, uuid);
        return;
    }
    d = c->provider->device;
    if (m && strv_contains(&d->parents, m->fn) &&
        strcmp(m->type_id, d->mdev_type) == 0) {
        reconcile_tag(add(&p->keep, &p->n_keep, uuid, m->fn, m->type_id), c);
        return;
    }
    if (m) {
        x = add(&p->misplaced, &p->n_misplaced, uuid, m->fn, m->type_id);
        reconcile_tag(x, c);
        x->why = xasprintf("is on %s as %s; the claim is for %s on %s", m->fn,
                           m->type_id, d->mdev_type, d->address);
        return;
    }
    for (size_t i = 0; i < d->parents.n; i++) {
        struct reconcile_room *r = room_of(pl, d->parents.v[i], d->mdev_type);

        if (r->left > 0) {
            r->left--;
            reconcile_tag(add(&p->create, &p->n_create, uuid, d->parents.v[i],
                              d->mdev_type),
                          c);
            return;
        }
    }
    x = add(&p->errors, &p->n_errors, uuid, d->address, d->mdev_type);
    reconcile_tag(x, c);
    x->why =
        xasprintf("no capacity left for %s on %s", d->mdev_type, d->address);
}

/* Rank of a guest's mdev for this claim: on this GPU first, then missing
 * (a reboot), then elsewhere (will show as misplaced). */
static int
rank(const struct reconcile_planner *pl, const struct tree_device *d,
     const char *uuid)
{
    const struct host_vgpu *m = host_find_vgpu(pl->host, uuid);

    if (m && d && strv_contains(&d->parents, m->fn))
        return 0;
    return m ? 2 : 1;
}

static void
plan_claim(struct reconcile_planner *pl, const struct reconcile_claim *c)
{
    const struct guest *g =
        pl->guests ? guests_find(pl->guests, c->consumer) : NULL;
    long done = c->provider ? 0 : reconcile_vf_stale(pl, c);

    for (int want = 0; g && want <= 2; want++)
        for (size_t i = 0; i < g->mdevs.n && done < c->n; i++)
            if (!strv_contains(&pl->assigned, g->mdevs.v[i]) &&
                rank(pl, c->provider ? c->provider->device : NULL,
                     g->mdevs.v[i]) == want) {
                expect(pl, c, g->mdevs.v[i]);
                done++;
            }
    for (unsigned i = 0; done < c->n; i++) {
        char uuid[UUIDSTR_LEN];

        if (reconcile_uuid(c->consumer, c->uuid, i, uuid) < 0)
            return;
        if (strv_contains(&pl->assigned, uuid))
            continue;
        expect(pl, c, uuid);
        done++;
    }
}

bool
reconcile_has_claim(const struct reconcile_planner *pl, const char *consumer)
{
    for (size_t i = 0; i < pl->n_claims; i++)
        if (strcasecmp(pl->claims[i].consumer, consumer) == 0)
            return true;
    return false;
}

/* A guest's mdevs that no claim expects: Placement does not know them. */
static void
find_unaccounted(struct reconcile_planner *pl)
{
    struct reconcile_plan *p = pl->plan;

    for (size_t i = 0; pl->guests && i < pl->guests->n; i++) {
        const struct guest *g = &pl->guests->v[i];

        for (size_t j = 0; j < g->mdevs.n; j++) {
            const struct host_vgpu *m = host_find_vgpu(pl->host, g->mdevs.v[j]);
            struct reconcile_mdev *x;

            if (strv_contains(&pl->assigned, g->mdevs.v[j]))
                continue;
            x = add(&p->unaccounted, &p->n_unaccounted, g->mdevs.v[j],
                    m ? m->fn : NULL, m ? m->type_id : NULL);
            snprintf(x->consumer, sizeof(x->consumer), "%s", g->uuid);
            x->why = xstrdup(reconcile_has_claim(pl, g->uuid)
                                 ? "guest references more mdevs than its "
                                   "claim holds"
                                 : "guest holds no VGPU allocation on this "
                                   "host's GPUs");
        }
    }
}

/* An mdev of a managed type on a managed GPU. */
static bool
managed(const struct tree *t, const struct host_vgpu *m)
{
    for (size_t i = 0; i < t->n_providers; i++) {
        const struct tree_device *d = t->providers[i].device;

        if (d && strcmp(d->mdev_type, m->type_id) == 0 &&
            strv_contains(&d->parents, m->fn))
            return true;
    }
    return false;
}

static void
find_orphans(struct reconcile_planner *pl)
{
    struct reconcile_plan *p = pl->plan;

    if (!pl->guests) /* without the guest list nothing is provably unused */
        return;
    for (size_t i = 0; i < pl->host->n_vgpus; i++) {
        const struct host_vgpu *m = &pl->host->vgpus[i];
        const struct host_gpu *gpu = NULL;
        bool vf = host_find_fn(pl->host, m->fn, &gpu) &&
                  gpu->mode == HOST_MODE_VENDOR_VFIO;
        struct reconcile_mdev *x;

        if (!managed(pl->tree, m) || strv_contains(&pl->assigned, m->id) ||
            (vf ? guests_find_pci(pl->guests, m->id)
                : guests_find_mdev(pl->guests, m->id)))
            continue;
        x = reconcile_add(&p->orphans, &p->n_orphans, m->id, m->fn, m->type_id,
                          vf ? HOST_MODE_VENDOR_VFIO : HOST_MODE_MDEV);
        if (vf)
            x->since = reconcile_vf_orphan_since(pl, m->id, m->type_id);
    }
}

struct reconcile_plan *
reconcile_plan(const struct tree *t, const struct host *h,
               const struct guests *guests, const struct vfstate *state,
               const struct reconcile_claim *claims, size_t n_claims)
{
    struct reconcile_planner pl = {
        .tree = t,
        .host = h,
        .guests = guests,
        .state = state,
        .claims = claims,
        .n_claims = n_claims,
        .plan = xcalloc(1, sizeof(struct reconcile_plan)),
    };

    reconcile_vf_claims(&pl);
    for (size_t i = 0; i < n_claims; i++)
        if ((!claims[i].provider || claims[i].provider->device) &&
            claims[i].n > 0 && !reconcile_vf_is_claim(&claims[i]))
            plan_claim(&pl, &claims[i]);
    find_unaccounted(&pl);
    reconcile_vf_unaccounted(&pl);
    find_orphans(&pl);
    strv_clear(&pl.assigned);
    free(pl.rooms);
    return pl.plan;
}

static void
mdevs_free(struct reconcile_mdev *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].parent);
        free(v[i].mdev_type);
        free(v[i].why);
    }
    free(v);
}

void
reconcile_plan_free(struct reconcile_plan *p)
{
    if (!p)
        return;
    mdevs_free(p->create, p->n_create);
    mdevs_free(p->keep, p->n_keep);
    mdevs_free(p->misplaced, p->n_misplaced);
    mdevs_free(p->unaccounted, p->n_unaccounted);
    mdevs_free(p->orphans, p->n_orphans);
    mdevs_free(p->errors, p->n_errors);
    free(p);
}

const char *
reconcile_noun(const struct reconcile_mdev *m)
{
    if (m->mode != HOST_MODE_VENDOR_VFIO)
        return "mdev";
    return m->uuid[0] ? "VF" : "GPU";
}
