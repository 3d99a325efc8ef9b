/*
 * policy.c - which vGPU type each physical GPU offers, and how many.
 *
 * The rules, in the order they apply, to the host model's GPUs (host.h):
 *  1. A function is a GPU when a type's device_addresses name it, or when it
 *     is a PCI device of display class whose type speaks vfio-pci.
 *  2. The virtual functions of one physical function are ONE GPU (the
 *     model groups them already).
 *  3. Its type: the one whose device_addresses list it; else the single
 *     enabled type listing no addresses; else the enabled type of the vGPUs
 *     it already holds; else none.
 *  4. Its total: available + existing (time-sliced), or for SR-IOV
 *     min(existing + VFs with room, the type's max_instance).
 *  5. max_instances caps a type host-wide, GPUs in address order.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "xalloc.h"

#define PCI_CLASS_DISPLAY 0x03

/* Standard traits: the display heads and resolutions os-traits 2.9.0
 * defines (HW_GPU_MAX_DISPLAY_HEADS_*, HW_GPU_RESOLUTION_*). */
static const unsigned display_heads[] = { 1, 2, 4, 6, 8 };
static const struct {
    unsigned w, h;
} resolutions[] = {
    { 320, 240 },   { 640, 480 },   { 800, 600 },   { 1024, 600 },
    { 1024, 768 },  { 1152, 864 },  { 1280, 720 },  { 1280, 768 },
    { 1280, 800 },  { 1280, 1024 }, { 1360, 768 },  { 1366, 768 },
    { 1440, 900 },  { 1600, 900 },  { 1600, 1200 }, { 1680, 1050 },
    { 1920, 1080 }, { 1920, 1200 }, { 2560, 1440 }, { 2560, 1600 },
    { 3840, 2160 }, { 7680, 4320 },
};

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

/* A GPU of the model and those of its functions rule 1 keeps. */
struct group {
    const struct host_gpu *gpu;
    const struct host_fn **members;
    size_t n_members;
};

char *
policy_type_trait(const char *type_id)
{
    char *t = xasprintf("CUSTOM_%s", type_id);

    for (char *p = t + 7; *p; p++)
        *p =
            isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
    return t;
}

void
policy_desc_traits(const struct type_desc *d, struct strv *traits)
{
    for (size_t i = 0; i < N_ELEMS(display_heads); i++)
        if (d->num_heads == display_heads[i])
            strv_pushf(traits, "HW_GPU_MAX_DISPLAY_HEADS_%u", d->num_heads);
    for (size_t i = 0; i < N_ELEMS(resolutions); i++)
        if (resolutions[i].w <= d->max_res_w &&
            resolutions[i].h <= d->max_res_h)
            strv_pushf(traits, "HW_GPU_RESOLUTION_W%uH%u", resolutions[i].w,
                       resolutions[i].h);
}

/* Whether t's device_addresses name function p. */
static bool
type_names_parent(const struct conf_type *t, const struct host_fn *p)
{
    for (size_t i = 0; p->is_pci && i < t->n_addresses; i++)
        if (pci_addr_cmp(&t->addresses[i], &p->addr) == 0)
            return true;
    return strv_contains(&t->parents, p->name);
}

/* Whether t's device_addresses name the physical function addr. */
static bool
type_names_addr(const struct conf_type *t, const struct pci_addr *addr)
{
    for (size_t i = 0; i < t->n_addresses; i++)
        if (pci_addr_cmp(&t->addresses[i], addr) == 0)
            return true;
    return false;
}

static bool
named_by_any_type(const struct conf *c, const struct host_fn *p)
{
    for (size_t i = 0; i < c->n_types; i++)
        if (type_names_parent(&c->types[i], p) ||
            (p->is_vf && type_names_addr(&c->types[i], &p->physfn)))
            return true;
    return false;
}

/* Rule 1: a PCI display device with at least one vfio-pci type. */
static bool
looks_like_gpu(const struct host_fn *p)
{
    if (!p->is_pci)
        return false;
    if (p->pci_class != 0 && (p->pci_class >> 16) != PCI_CLASS_DISPLAY)
        return false;
    for (size_t i = 0; i < p->n_types; i++)
        if (p->types[i].device_api &&
            strcmp(p->types[i].device_api, "vfio-pci") == 0)
            return true;
    return false;
}

/* Rule 1, per GPU of h: the functions that are GPUs; a GPU without any
 * gets no group. */
static struct group *
group_gpus(const struct conf *c, const struct host *h, size_t *ret_n,
           struct strv *notes)
{
    struct group *groups = xcalloc(h->n_gpus ? h->n_gpus : 1, sizeof(*groups));
    size_t n = 0;

    for (size_t i = 0; i < h->n_gpus; i++) {
        const struct host_gpu *gpu = &h->gpus[i];
        struct group *g = &groups[n];

        *g = (struct group){ .gpu = gpu };
        g->members = xcalloc(gpu->n_fns ? gpu->n_fns : 1, sizeof(*g->members));
        for (size_t j = 0; j < gpu->n_fns; j++) {
            const struct host_fn *p = &gpu->fns[j];

            /* a VF that can take no type now (the GPU is full, or holds
             * another size): nothing to say about each of 32 */
            if (gpu->mode == HOST_MODE_VENDOR_VFIO && p->n_types == 0)
                continue;
            if (!named_by_any_type(c, p) && !looks_like_gpu(p)) {
                strv_pushf(notes, "%s: not a vfio-pci GPU; ignored", p->name);
                continue;
            }
            g->members[g->n_members++] = p;
        }
        if (g->n_members > 0) {
            n++;
            continue;
        }
        if (gpu->mode == HOST_MODE_VENDOR_VFIO)
            strv_pushf(notes, "%s: no VF can take a vGPU now", gpu->address);
        free(g->members);
    }
    *ret_n = n;
    return groups;
}

static bool
group_named_by(const struct group *g, const struct conf_type *t)
{
    if (g->gpu->is_pci && type_names_addr(t, &g->gpu->addr))
        return true;
    for (size_t i = 0; i < g->n_members; i++)
        if (type_names_parent(t, g->members[i]))
            return true;
    return false;
}

/* The single enabled type that lists no device_addresses, or NULL. */
static const struct conf_type *
default_type(const struct conf *c)
{
    const struct conf_type *found = NULL;

    for (size_t i = 0; i < c->n_types; i++) {
        const struct conf_type *t = &c->types[i];

        if (t->n_addresses > 0 || t->parents.n > 0)
            continue;
        if (found)
            return NULL;
        found = t;
    }
    return found;
}

/* The enabled type of the vGPUs g already holds; NULL if none or mixed. */
static const struct conf_type *
existing_type(const struct conf *c, const struct host *h, const struct group *g)
{
    const struct conf_type *found = NULL;

    for (size_t i = 0; i < h->n_vgpus; i++) {
        const struct conf_type *t = conf_find_type(c, h->vgpus[i].type_id);

        for (size_t j = 0; t && j < g->n_members; j++) {
            if (strcmp(h->vgpus[i].fn, g->members[j]->name) != 0)
                continue;
            if (found && found != t)
                return NULL;
            found = t;
        }
    }
    return found;
}

/* Rule 3. */
static const struct conf_type *
choose_type(const struct conf *c, const struct host *h, const struct group *g,
            bool *ret_explicit)
{
    const struct conf_type *t;

    *ret_explicit = false;
    for (size_t i = 0; i < c->n_types; i++)
        if (group_named_by(g, &c->types[i])) {
            *ret_explicit = true;
            return &c->types[i];
        }
    t = default_type(c);
    return t ? t : existing_type(c, h, g);
}

/* Rule 4: the functions offering t, the vGPUs of t on them, the total. */
static void
gpu_count(struct policy_gpu *gpu, const struct host *h, const struct group *g)
{
    unsigned available = 0, with_room = 0, existing = 0;

    for (size_t i = 0; i < g->n_members; i++) {
        const struct host_fn *p = g->members[i];
        const struct host_type *mt = host_fn_find_type(p, gpu->conf->id);

        if (!mt)
            continue;
        if (!gpu->type)
            gpu->type = mt;
        strv_push(&gpu->parents, p->name);
        available += mt->available;
        with_room += mt->available >= 1;
        for (size_t j = 0; j < h->n_vgpus; j++)
            if (strcmp(h->vgpus[j].fn, p->name) == 0 &&
                strcmp(h->vgpus[j].type_id, mt->id) == 0) {
                strv_push(&gpu->mdevs, h->vgpus[j].id);
                existing++;
            }
    }
    strv_sort_uniq(&gpu->mdevs);
    if (!gpu->is_sriov) {
        gpu->total = available + existing;
        return;
    }
    gpu->total = existing + with_room;
    if (gpu->type && gpu->type->desc.max_instance > 0 &&
        gpu->total > gpu->type->desc.max_instance)
        gpu->total = gpu->type->desc.max_instance;
}

/* vGPUs of another type on g: they hold the GPU, so say so. */
static void
warn_foreign_vgpus(const struct group *g, const struct host *h,
                   const char *type_id, struct strv *warnings)
{
    for (size_t i = 0; i < h->n_vgpus; i++)
        for (size_t j = 0; j < g->n_members; j++)
            if (strcmp(h->vgpus[i].fn, g->members[j]->name) == 0 &&
                strcmp(h->vgpus[i].type_id, type_id) != 0)
                strv_pushf(warnings,
                           "%s: %s %s is of type %s, not the configured %s; "
                           "it is not counted",
                           g->members[j]->name, g->gpu->ops->noun,
                           h->vgpus[i].id, h->vgpus[i].type_id, type_id);
}

static void
gpu_traits(struct policy_gpu *gpu, const struct conf *c, const struct group *g)
{
    strv_take(&gpu->traits, policy_type_trait(gpu->conf->id));
    strv_copy(&gpu->traits, &gpu->conf->traits);
    policy_desc_traits(&gpu->type->desc, &gpu->traits);
    strv_sort_uniq(&gpu->traits);
    for (size_t i = 0; i < g->n_members; i++)
        for (size_t j = 0; j < g->members[i]->n_types; j++)
            strv_take(&gpu->managed,
                      policy_type_trait(g->members[i]->types[j].id));
    for (size_t i = 0; i < c->n_types; i++)
        strv_copy(&gpu->managed, &c->types[i].traits);
    strv_sort_uniq(&gpu->managed);
}

static void
gpu_clear(struct policy_gpu *gpu)
{
    free(gpu->address);
    strv_clear(&gpu->parents);
    strv_clear(&gpu->mdevs);
    strv_clear(&gpu->traits);
    strv_clear(&gpu->managed);
}

/* Rules 3 and 4 for one group; false when it gets no provider. */
static bool
gpu_decide(struct policy_gpu *gpu, const struct conf *c, const struct host *h,
           const struct group *g, struct policy *pol)
{
    const char *address = g->gpu->address;
    bool explicit;

    *gpu = (struct policy_gpu){ .is_pci = g->gpu->is_pci,
                                .addr = g->gpu->addr,
                                .is_sriov = g->gpu->is_sriov,
                                .mode = g->gpu->mode };
    gpu->conf = choose_type(c, h, g, &explicit);
    if (!gpu->conf) {
        strv_pushf(&pol->notes, "%s: no enabled type applies", address);
        return false;
    }
    gpu_count(gpu, h, g);
    if (!gpu->type) {
        strv_pushf(explicit ? &pol->warnings : &pol->notes,
                   gpu->mode == HOST_MODE_VENDOR_VFIO
                       ? "%s: no VF lists %s now (the GPU holds vGPUs of "
                         "another size, or no more fit)%s"
                       : "%s: does not support %s%s",
                   address, gpu->conf->id,
                   explicit ? ", which device_addresses assign to it" : "");
        gpu_clear(gpu);
        return false;
    }
    warn_foreign_vgpus(g, h, gpu->conf->id, &pol->warnings);
    gpu->address = xstrdup(address);
    gpu_traits(gpu, c, g);
    return true;
}

/* Rule 5, then drop GPUs left without capacity. */
static void
apply_caps(struct policy *pol)
{
    size_t kept = 0;

    for (size_t i = 0; i < pol->n_gpus; i++) {
        struct policy_gpu *gpu = &pol->gpus[i];
        unsigned used = 0, cap = gpu->conf->max_instances;

        for (size_t j = 0; cap && j < i; j++)
            if (pol->gpus[j].conf == gpu->conf)
                used += pol->gpus[j].total;
        if (cap && gpu->total > cap - used) {
            strv_pushf(
                &pol->notes, "%s: %s capped from %u to %u by max_instances %u",
                gpu->address, gpu->conf->id, gpu->total, cap - used, cap);
            gpu->total = cap - used;
        }
    }
    for (size_t i = 0; i < pol->n_gpus; i++) {
        if (pol->gpus[i].total > 0) {
            pol->gpus[kept++] = pol->gpus[i];
            continue;
        }
        strv_pushf(&pol->notes, "%s: no capacity for %s; no provider",
                   pol->gpus[i].address, pol->gpus[i].conf->id);
        gpu_clear(&pol->gpus[i]);
    }
    pol->n_gpus = kept;
}

/* The model's GPU order; tests build models in any order. */
static int
group_cmp(const void *a, const void *b)
{
    const struct group *x = a, *y = b;

    return host_gpu_cmp(x->gpu, y->gpu);
}

struct policy *
policy_decide(const struct conf *c, const struct host *h)
{
    struct policy *pol = xcalloc(1, sizeof(*pol));
    size_t n_groups = 0;
    struct group *groups = group_gpus(c, h, &n_groups, &pol->notes);

    if (n_groups > 1) /* qsort(NULL, 0, ...) is undefined */
        qsort(groups, n_groups, sizeof(*groups), group_cmp);
    pol->gpus = xcalloc(n_groups ? n_groups : 1, sizeof(*pol->gpus));
    for (size_t i = 0; i < n_groups; i++) {
        if (gpu_decide(&pol->gpus[pol->n_gpus], c, h, &groups[i], pol))
            pol->n_gpus++;
        free(groups[i].members);
    }
    free(groups);
    apply_caps(pol);
    return pol;
}

void
policy_free(struct policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_gpus; i++)
        gpu_clear(&p->gpus[i]);
    free(p->gpus);
    strv_clear(&p->warnings);
    strv_clear(&p->notes);
    free(p);
}
