/*
 * fakehost-vfio.c - the NVIDIA vGPU driver's rules in vendor-specific VFIO
 * mode: what a VF lists, what a write to current_vgpu_type does.  No I/O:
 * the tree writer, the live fake kernel and the fake NVML all ask here.
 *
 * Errnos, as NVIDIA's open kernel modules give them: the vGPU VFIO driver
 * checks the number (kstrtol: EINVAL, ERANGE) and whether the VF already has a
 * vGPU (EPERM) itself; everything else is RM's kvgpumgrCreateRequestVgpu(),
 * whose refusals (NV_ERR_NOT_SUPPORTED for a type not in the supported list,
 * NV_ERR_INSUFFICIENT_RESOURCES at max instances, NV_ERR_INVALID_OPERATION
 * for a MIG-backed type without a GPU instance, NV_ERR_OBJECT_NOT_FOUND for
 * an unknown id) come back as EIO, the errno observed for the MIG case.  So
 * a type the VF does not list fails with EIO, whichever the reason.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakehost.h"
#include "fakevfio.h"
#include "xalloc.h"

const struct fakevfio_type *
fakevfio_find_type(const struct fakevfio_gpu *g, unsigned id)
{
    for (size_t i = 0; i < g->n_types; i++)
        if (g->types[i].id == id)
            return &g->types[i];
    return NULL;
}

unsigned
fakevfio_count(const struct fakevfio_gpu *g)
{
    unsigned n = 0;

    for (size_t i = 0; i < g->n_vfs; i++)
        n += g->vfs[i].type != 0;
    return n;
}

static bool
gi_used(const struct fakevfio_gpu *g, size_t gi)
{
    for (size_t i = 0; i < g->n_vfs; i++)
        if (g->vfs[i].type != 0 && g->vfs[i].gi == (long)gi)
            return true;
    return false;
}

static bool
gi_backs(const struct fakevfio_gi *gi, unsigned type)
{
    for (size_t i = 0; i < gi->n_types; i++)
        if (gi->types[i] == type)
            return true;
    return false;
}

/* The first GPU instance no vGPU uses that can back t, or -1. */
static long
free_gi(const struct fakevfio_gpu *g, const struct fakevfio_type *t)
{
    for (size_t i = 0; i < g->n_gis; i++)
        if (!gi_used(g, i) && gi_backs(&g->gis[i], t->id))
            return (long)i;
    return -1;
}

/* The framebuffer of the vGPUs on a GPU that has some (one size at a
 * time: the driver's default, without `nvidia-smi vgpu -shm 1`). */
static unsigned
size_in_use(const struct fakevfio_gpu *g)
{
    for (size_t i = 0; i < g->n_vfs; i++) {
        const struct fakevfio_type *t = fakevfio_find_type(g, g->vfs[i].type);

        if (t)
            return t->framebuffer;
    }
    return 0;
}

/* A free VF may take t (kvgpumgrGetCreatableVgpuTypes). */
static bool
type_creatable(const struct fakevfio_gpu *g, const struct fakevfio_type *t)
{
    unsigned n = fakevfio_count(g);

    if (g->mig) /* only the GPU instances' types, one vGPU each */
        return t->mig && free_gi(g, t) >= 0;
    if (t->mig || n >= t->max)
        return false;
    return n == 0 || t->framebuffer == size_in_use(g);
}

bool
fakevfio_creatable(const struct fakevfio_gpu *g, size_t vf,
                   const struct fakevfio_type *t)
{
    return g->vfs[vf].type == 0 && type_creatable(g, t);
}

bool
fakevfio_gpu_creatable(const struct fakevfio_gpu *g,
                       const struct fakevfio_type *t)
{
    for (size_t i = 0; i < g->n_vfs; i++)
        if (fakevfio_creatable(g, i, t))
            return true;
    return false;
}

char *
fakevfio_creatable_text(const struct fakevfio_gpu *g, size_t vf)
{
    char *text = xstrdup("ID    : vGPU Name\n");

    for (size_t i = 0; i < g->n_types; i++) {
        const struct fakevfio_type *t = &g->types[i];
        char *more;

        if (!fakevfio_creatable(g, vf, t))
            continue;
        more = xasprintf("%s%-5u : %s\n", text, t->id, t->name);
        free(text);
        text = more;
    }
    return text;
}

char *
fakevfio_attr_text(const struct fakevfio_gpu *g, size_t vf, const char *attr)
{
    const struct fakevfio_vf *v = &g->vfs[vf];

    if (strcmp(attr, "creatable_vgpu_types") == 0)
        return fakevfio_creatable_text(g, vf);
    if (strcmp(attr, "current_vgpu_type") == 0)
        return xasprintf("%u\n", v->type);
    if (strcmp(attr, "vgpu_params") == 0)
        return xstrdup("\n");
    if (strcmp(attr, "warm_update") == 0)
        return xstrdup("0\n");
    if (v->type == 0) /* gpu_instance_id, placement_id */
        return NULL;
    if (strcmp(attr, "gpu_instance_id") == 0) /* time-sliced: RM's invalid
                                               * swizzId, 0xFFFFFFFF, as %d */
        return v->gi >= 0 ? xasprintf("%u\n", g->gis[v->gi].id)
                          : xstrdup("-1\n");
    return xasprintf("%u\n",
                     v->gi >= 0 ? g->gis[v->gi].placement : v->placement);
}

/* A time-sliced vGPU's placement: the lowest slot no other vGPU of the GPU
 * has, in units of its size in GiB (A10-6Q: 0, 6, 12, 18).  An inference:
 * the real numbers come from RM's placement tables. */
static unsigned
next_placement(const struct fakevfio_gpu *g, const struct fakevfio_type *t)
{
    unsigned step = t->framebuffer / 1024 ? t->framebuffer / 1024 : 1;

    for (unsigned p = 0;; p += step) {
        bool taken = false;

        for (size_t i = 0; i < g->n_vfs && !taken; i++)
            taken = g->vfs[i].type != 0 && g->vfs[i].gi < 0 &&
                    g->vfs[i].placement == p;
        if (!taken)
            return p;
    }
}

void
fakevfio_create(struct fakevfio_gpu *g, size_t vf,
                const struct fakevfio_type *t, long gi)
{
    struct fakevfio_vf *v = &g->vfs[vf];

    v->gi = t->mig ? (gi >= 0 ? gi : free_gi(g, t)) : -1;
    v->placement = t->mig ? 0 : next_placement(g, t);
    v->type = t->id; /* last: next_placement() looks at the others */
}

/* kstrtol(buf, 10): an optional sign, digits, one optional newline. */
static int
parse_kstrtol(const char *buf, size_t size, long *ret)
{
    _cleanup_free_ char *text = xstrndup(buf, size);
    size_t n = strlen(text), sign = text[0] == '+' || text[0] == '-';
    char *end;
    long v;

    if (n != size) /* a NUL inside */
        return -EINVAL;
    if (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    if (n == sign || strspn(text + sign, "0123456789") != n - sign)
        return -EINVAL;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    *ret = v;
    return 0;
}

int
fakevfio_store_type(struct fakevfio_gpu *g, size_t vf, const char *buf,
                    size_t size)
{
    struct fakevfio_vf *v = &g->vfs[vf];
    const struct fakevfio_type *t;
    long id;
    int r = parse_kstrtol(buf, size, &id);

    if (r < 0)
        return r;
    if (id == 0) {
        if (v->type == 0)
            return -EPERM;
        if (v->held)
            return -EBUSY;
        v->type = 0, v->gi = -1, v->placement = 0;
        return 0;
    }
    if (v->type != 0)
        return -EPERM; /* also the same id again: not idempotent */
    t = id > 0 && id <= UINT_MAX ? fakevfio_find_type(g, (unsigned)id) : NULL;
    if (!t || !fakevfio_creatable(g, vf, t))
        return -EIO;
    fakevfio_create(g, vf, t, -1);
    return 0;
}

void
fakevfio_reboot(struct fakesys_host *h)
{
    for (size_t i = 0; i < h->n_gpus; i++)
        for (size_t k = 0; k < h->gpus[i].n_vfs; k++) {
            struct fakevfio_vf *v = &h->gpus[i].vfs[k];

            v->type = 0, v->gi = -1, v->placement = 0, v->held = false;
        }
}

bool
fakevfio_find_vf(const struct fakesys_host *h, const char *name,
                 size_t *ret_gpu, size_t *ret_vf)
{
    for (size_t i = 0; i < h->n_gpus; i++)
        for (size_t k = 0; k < h->gpus[i].n_vfs; k++)
            if (strcmp(h->gpus[i].vfs[k].name, name) == 0) {
                *ret_gpu = i, *ret_vf = k;
                return true;
            }
    return false;
}
