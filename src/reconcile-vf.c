/*
 * reconcile-vf.c - plan the VFs of vendor-specific VFIO GPUs (see
 * reconcile.h): a claim of n units owns n VFs typed with the GPU's type.
 *
 * A VF has no name a claim could derive, so ownership is looked up, in
 * three rounds over all claims, each VF going to the first claim that
 * asks for it:
 *  1. the VFs of the GPU the consumer's domain references: a guest keeps
 *     its address (after a reboot its VF is untyped: typed again there);
 *  2. the VFs the state file gives the consumer on that GPU (the guest is
 *     not defined yet, or libvirt cannot be reached);
 *  3. the lowest-addressed free VFs whose list has the type: untyped, no
 *     domain references them, and the state gives them to no other claim.
 * Rounds 1 and 2 run for every claim before round 3, so a new claim never
 * takes a VF an older one holds.  Creates are bounded by what the driver
 * allows: the VF must list the type, and the GPU take no more than the
 * type's max instances (host.h) beside what it holds.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "reconcile-internal.h"
#include "xalloc.h"

/* One VF claim's progress through the rounds. */
struct vfclaim {
    const struct reconcile_claim *c;
    const struct host_gpu *gpu;
    const char *type; /* the GPU's type: "nvidia-594" */
    long done;
};

/* Creates the GPU can still take of its type. */
struct vfroom {
    const struct host_gpu *gpu;
    long left; /* < 0: no bound known */
};

struct vfplanner {
    struct reconcile_planner *pl;
    struct vfclaim *claims;
    size_t n_claims;
    struct vfroom *rooms;
    size_t n_rooms;
};

static const struct host_gpu *
claim_gpu(const struct reconcile_planner *pl, const struct reconcile_claim *c)
{
    return host_find_gpu(pl->host, c->provider->device->address);
}

bool
reconcile_vf_is_claim(const struct reconcile_claim *c)
{
    return c->provider && c->provider->device &&
           c->provider->device->mode == HOST_MODE_VENDOR_VFIO;
}

/* The type's max instances less the vGPUs of it the GPU holds. */
static long
gpu_room(const struct host *h, const struct host_gpu *g, const char *type)
{
    unsigned max = 0;
    long held = 0;

    for (size_t i = 0; i < g->n_fns; i++) {
        const struct host_type *t = host_fn_find_type(&g->fns[i], type);

        if (t && t->desc.max_instance > max)
            max = t->desc.max_instance;
    }
    for (size_t i = 0; i < h->n_vgpus; i++) {
        const struct host_gpu *vg = NULL;

        if (host_find_fn(h, h->vgpus[i].fn, &vg) && vg == g &&
            strcmp(h->vgpus[i].type_id, type) == 0)
            held++;
    }
    return max == 0 ? -1 : (long)max - held;
}

static struct vfroom *
room_of(struct vfplanner *vp, const struct host_gpu *g, const char *type)
{
    for (size_t i = 0; i < vp->n_rooms; i++)
        if (vp->rooms[i].gpu == g)
            return &vp->rooms[i];
    vp->rooms[vp->n_rooms] =
        (struct vfroom){ g, gpu_room(vp->pl->host, g, type) };
    return &vp->rooms[vp->n_rooms++];
}

/* The type of the vGPU on VF vf; NULL when it carries none. */
static const char *
held_type(const struct reconcile_planner *pl, const char *vf)
{
    const struct host_vgpu *v = host_find_vgpu(pl->host, vf);

    return v ? v->type_id : NULL;
}

/* Whether vf lists the claim's type (a free VF the driver would type). */
static bool
lists_type(const struct host_fn *fn, const char *type)
{
    const struct host_type *t = host_fn_find_type(fn, type);

    return t && t->available > 0;
}

static struct reconcile_mdev *
item(struct reconcile_mdev **v, size_t *n, const struct vfclaim *vc,
     const char *vf, const char *type)
{
    struct reconcile_mdev *m =
        reconcile_add(v, n, vf, vf, type, HOST_MODE_VENDOR_VFIO);

    reconcile_tag(m, vc->c);
    return m;
}

/* Plan the untyped VF fn for vc: a create if the driver would take it. */
static void
plan_create(struct vfplanner *vp, struct vfclaim *vc, const struct host_fn *fn)
{
    struct reconcile_plan *p = vp->pl->plan;
    struct vfroom *room = room_of(vp, vc->gpu, vc->type);
    struct reconcile_mdev *x;

    if (lists_type(fn, vc->type) && room->left != 0) {
        item(&p->create, &p->n_create, vc, fn->name, vc->type);
        if (room->left > 0)
            room->left--;
        return;
    }
    x = item(&p->errors, &p->n_errors, vc, fn->name, vc->type);
    x->why = xasprintf(
        "VF %s cannot take %s now (%s); the claim owns it", fn->name, vc->type,
        lists_type(fn, vc->type) ? "the GPU holds as many as the type allows"
                                 : "it does not list the type: the GPU holds "
                                   "vGPUs of another size, or no more fit");
}

/* Round 1 or 2: VF vf, which the guest (from_guest) or the state names
 * for vc.  Returns whether vc took it. */
static bool
take(struct vfplanner *vp, struct vfclaim *vc, const char *vf, bool from_guest)
{
    struct reconcile_planner *pl = vp->pl;
    struct reconcile_plan *p = pl->plan;
    const struct host_gpu *g = NULL;
    const struct host_fn *fn = host_find_fn(pl->host, vf, &g);
    const char *held = held_type(pl, vf);
    struct reconcile_mdev *x;

    if (!fn || g != vc->gpu || strv_contains(&pl->assigned, vf))
        return false;
    if (held && strcmp(held, vc->type) != 0) {
        if (!from_guest) /* the state is stale: someone retyped it */
            return false;
        x = item(&p->misplaced, &p->n_misplaced, vc, vf, held);
        x->why = xasprintf("VF %s carries %s; the claim is for %s on %s", vf,
                           held, vc->type, vc->gpu->address);
    } else if (held) {
        item(&p->keep, &p->n_keep, vc, vf, held);
    } else {
        plan_create(vp, vc, fn);
    }
    strv_push(&pl->assigned, vf);
    vc->done++;
    return true;
}

static void
round_guest(struct vfplanner *vp, struct vfclaim *vc)
{
    const struct guest *g = guests_find(vp->pl->guests, vc->c->consumer);

    for (size_t i = 0; g && i < g->pcidevs.n && vc->done < vc->c->n; i++)
        take(vp, vc, g->pcidevs.v[i], true);
}

static void
round_state(struct vfplanner *vp, struct vfclaim *vc)
{
    const struct vfstate *st = vp->pl->state;

    for (size_t i = 0; st && i < st->n && vc->done < vc->c->n; i++)
        if (strcmp(st->v[i].consumer, vc->c->consumer) == 0)
            take(vp, vc, st->v[i].vf, false);
}

/* Whether a new claim may take VF fn: untyped, not referenced by any
 * domain, and not given by the state to a consumer that still has a
 * claim. */
static bool
is_free(const struct reconcile_planner *pl, const struct host_fn *fn)
{
    const struct vfstate_entry *e = vfstate_find(pl->state, fn->name);

    return !strv_contains(&pl->assigned, fn->name) &&
           !held_type(pl, fn->name) && !guests_find_pci(pl->guests, fn->name) &&
           !(e && e->consumer[0] && reconcile_has_claim(pl, e->consumer));
}

static void
round_new(struct vfplanner *vp, struct vfclaim *vc)
{
    struct reconcile_planner *pl = vp->pl;
    struct reconcile_mdev *x;

    for (size_t i = 0; i < vc->gpu->n_fns && vc->done < vc->c->n; i++) {
        const struct host_fn *fn = &vc->gpu->fns[i];

        if (is_free(pl, fn) && lists_type(fn, vc->type) &&
            room_of(vp, vc->gpu, vc->type)->left != 0) {
            plan_create(vp, vc, fn);
            strv_push(&pl->assigned, fn->name);
            vc->done++;
        }
    }
    for (; vc->done < vc->c->n; vc->done++) {
        x = item(&pl->plan->errors, &pl->plan->n_errors, vc, "", vc->type);
        free(x->parent);
        x->parent = xstrdup(vc->gpu->address);
        x->why = xasprintf("no capacity left for %s on %s: no free VF lists "
                           "it, or the GPU holds as many as it allows",
                           vc->type, vc->gpu->address);
    }
}

void
reconcile_vf_claims(struct reconcile_planner *pl)
{
    struct vfplanner vp = { .pl = pl };

    vp.claims = xcalloc(pl->n_claims + 1, sizeof(*vp.claims));
    vp.rooms = xcalloc(pl->n_claims + 1, sizeof(*vp.rooms));
    for (size_t i = 0; i < pl->n_claims; i++) {
        const struct reconcile_claim *c = &pl->claims[i];
        const struct host_gpu *g =
            reconcile_vf_is_claim(c) ? claim_gpu(pl, c) : NULL;

        if (g && c->n > 0)
            vp.claims[vp.n_claims++] =
                (struct vfclaim){ c, g, c->provider->device->mdev_type, 0 };
    }
    for (size_t i = 0; i < vp.n_claims; i++)
        round_guest(&vp, &vp.claims[i]);
    for (size_t i = 0; i < vp.n_claims; i++)
        round_state(&vp, &vp.claims[i]);
    for (size_t i = 0; i < vp.n_claims; i++)
        round_new(&vp, &vp.claims[i]);
    free(vp.claims);
    free(vp.rooms);
}

/* VF vf, which the state or the guest gives c, on a stale provider:
 * misplaced if it carries a type, else an error; returns whether it took
 * it. */
static bool
stale_vf(struct reconcile_planner *pl, const struct reconcile_claim *c,
         const char *vf, const char *type_id)
{
    struct reconcile_plan *p = pl->plan;
    const char *held = held_type(pl, vf);
    const struct host_gpu *gpu = NULL;
    struct reconcile_mdev *x;

    if (strv_contains(&pl->assigned, vf) || !host_find_fn(pl->host, vf, &gpu) ||
        gpu->mode != HOST_MODE_VENDOR_VFIO)
        return false;
    x = held ? reconcile_add(&p->misplaced, &p->n_misplaced, vf, vf, held,
                             HOST_MODE_VENDOR_VFIO)
             : reconcile_add(&p->errors, &p->n_errors, vf, vf, type_id,
                             HOST_MODE_VENDOR_VFIO);
    reconcile_tag(x, c);
    x->why = xasprintf("VF %s: the claim is on provider %s, which has no GPU "
                       "on this host now (gone, or no VF lists its type)",
                       vf, c->uuid);
    strv_push(&pl->assigned, vf);
    return true;
}

long
reconcile_vf_stale(struct reconcile_planner *pl,
                   const struct reconcile_claim *c)
{
    const struct vfstate *st = pl->state;
    const struct guest *g = guests_find(pl->guests, c->consumer);
    long done = 0;

    for (size_t i = 0; g && i < g->pcidevs.n && done < c->n; i++)
        done += stale_vf(pl, c, g->pcidevs.v[i], NULL);
    for (size_t i = 0; st && i < st->n && done < c->n; i++)
        if (strcmp(st->v[i].consumer, c->consumer) == 0 &&
            strcmp(st->v[i].provider, c->uuid) == 0)
            done += stale_vf(pl, c, st->v[i].vf, st->v[i].type_id);
    return done;
}

void
reconcile_vf_unaccounted(struct reconcile_planner *pl)
{
    struct reconcile_plan *p = pl->plan;

    for (size_t i = 0; pl->guests && i < pl->guests->n; i++) {
        const struct guest *g = &pl->guests->v[i];

        for (size_t j = 0; j < g->pcidevs.n; j++) {
            const char *vf = g->pcidevs.v[j];
            const struct host_gpu *gpu = NULL;
            struct reconcile_mdev *x;

            if (!host_find_fn(pl->host, vf, &gpu) ||
                gpu->mode != HOST_MODE_VENDOR_VFIO ||
                strv_contains(&pl->assigned, vf))
                continue;
            x = reconcile_add(&p->unaccounted, &p->n_unaccounted, vf, vf,
                              held_type(pl, vf), HOST_MODE_VENDOR_VFIO);
            snprintf(x->consumer, sizeof(x->consumer), "%s", g->uuid);
            x->why = xstrdup(reconcile_has_claim(pl, g->uuid)
                                 ? "guest references more VFs than its claim "
                                   "holds"
                                 : "guest holds no VGPU allocation on this "
                                   "host's GPUs");
        }
    }
}

time_t
reconcile_vf_orphan_since(const struct reconcile_planner *pl, const char *vf,
                          const char *type_id)
{
    const struct vfstate_entry *e = vfstate_find(pl->state, vf);

    return e && !e->consumer[0] && strcmp(e->type_id, type_id) == 0 ? e->since
                                                                    : 0;
}
