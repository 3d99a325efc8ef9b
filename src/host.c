/*
 * host.c - the host model: building, ordering and looking up (see host.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host.h"
#include "xalloc.h"

int
host_scan(const struct sysfs *fs, struct host **ret, struct errbuf *eb)
{
    _cleanup_(host_freep) struct host *h = host_new();
    int r = host_mdev_read(fs, h, eb);

    if (r == 0)
        r = host_vfio_read(fs, h, NULL, eb);
    if (r < 0)
        return r;
    host_sort(h);
    *ret = TAKE_PTR(h);
    return 0;
}

const char *
host_mode_name(enum host_mode m)
{
    return m == HOST_MODE_VENDOR_VFIO ? "vendor-vfio" : "mdev";
}

struct host *
host_new(void)
{
    return xcalloc(1, sizeof(struct host));
}

static void
type_clear(struct host_type *t)
{
    free(t->id);
    free(t->name);
    free(t->device_api);
    typedesc_clear(&t->desc);
}

static void
fn_clear(struct host_fn *fn)
{
    free(fn->name);
    free(fn->path);
    for (size_t i = 0; i < fn->n_types; i++)
        type_clear(&fn->types[i]);
    free(fn->types);
}

void
host_free(struct host *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_gpus; i++) {
        for (size_t j = 0; j < h->gpus[i].n_fns; j++)
            fn_clear(&h->gpus[i].fns[j]);
        free(h->gpus[i].fns);
        free(h->gpus[i].address);
    }
    free(h->gpus);
    for (size_t i = 0; i < h->n_vgpus; i++) {
        free(h->vgpus[i].id);
        free(h->vgpus[i].fn);
        free(h->vgpus[i].type_id);
        free(h->vgpus[i].owner);
    }
    free(h->vgpus);
    strv_clear(&h->warnings);
    free(h);
}

const struct host_fn *
host_find_fn(const struct host *h, const char *name,
             const struct host_gpu **gpu)
{
    for (size_t i = 0; i < h->n_gpus; i++)
        for (size_t j = 0; j < h->gpus[i].n_fns; j++)
            if (strcmp(h->gpus[i].fns[j].name, name) == 0) {
                if (gpu)
                    *gpu = &h->gpus[i];
                return &h->gpus[i].fns[j];
            }
    return NULL;
}

const struct host_type *
host_fn_find_type(const struct host_fn *fn, const char *type_id)
{
    for (size_t i = 0; i < fn->n_types; i++)
        if (strcmp(fn->types[i].id, type_id) == 0)
            return &fn->types[i];
    return NULL;
}

const struct host_gpu *
host_find_gpu(const struct host *h, const char *address)
{
    for (size_t i = 0; i < h->n_gpus; i++)
        if (strcmp(h->gpus[i].address, address) == 0)
            return &h->gpus[i];
    return NULL;
}

const struct host_vgpu *
host_find_vgpu(const struct host *h, const char *id)
{
    for (size_t i = 0; i < h->n_vgpus; i++)
        if (strcasecmp(h->vgpus[i].id, id) == 0)
            return &h->vgpus[i];
    return NULL;
}

/* --- building ------------------------------------------------------------ */

static struct host_gpu *
gpu_for(struct host *h, const struct host_fn *fn, enum host_mode mode,
        const struct host_ops *ops)
{
    char buf[PCI_ADDR_STR_MAX];
    const char *address =
        fn->is_vf ? pci_addr_format(&fn->physfn, buf) : fn->name;
    struct host_gpu *g;

    for (size_t i = 0; i < h->n_gpus; i++)
        if (strcmp(h->gpus[i].address, address) == 0)
            return &h->gpus[i];
    h->gpus = xrealloc(h->gpus, (h->n_gpus + 1) * sizeof(*h->gpus));
    g = &h->gpus[h->n_gpus++];
    *g = (struct host_gpu){ .address = xstrdup(address),
                            .is_pci = fn->is_pci,
                            .addr = fn->is_vf ? fn->physfn : fn->addr,
                            .mode = mode,
                            .ops = ops };
    return g;
}

struct host_fn *
host_add_fn(struct host *h, enum host_mode mode, const struct host_ops *ops,
            struct host_fn *fn)
{
    struct host_gpu *g = gpu_for(h, fn, mode, ops);

    g->is_sriov |= fn->is_vf;
    g->fns = xrealloc(g->fns, (g->n_fns + 1) * sizeof(*g->fns));
    g->fns[g->n_fns] = *fn;
    *fn = (struct host_fn){ 0 };
    return &g->fns[g->n_fns++];
}

struct host_type *
host_fn_add_type(struct host_fn *fn, const char *id)
{
    struct host_type *t;

    fn->types = xrealloc(fn->types, (fn->n_types + 1) * sizeof(*fn->types));
    t = &fn->types[fn->n_types++];
    *t = (struct host_type){ .id = xstrdup(id), .name = xstrdup(id) };
    return t;
}

struct host_vgpu *
host_add_vgpu(struct host *h, const char *id, const char *fn,
              const char *type_id)
{
    struct host_vgpu *v;

    h->vgpus = xrealloc(h->vgpus, (h->n_vgpus + 1) * sizeof(*h->vgpus));
    v = &h->vgpus[h->n_vgpus++];
    *v = (struct host_vgpu){ .id = xstrdup(id),
                             .fn = xstrdup(fn),
                             .type_id = xstrdup(type_id) };
    return v;
}

/* --- order --------------------------------------------------------------- */

int
host_gpu_cmp(const struct host_gpu *x, const struct host_gpu *y)
{
    return pci_device_cmp(x->is_pci, &x->addr, x->address, y->is_pci, &y->addr,
                          y->address);
}

static int
gpu_cmp(const void *a, const void *b)
{
    return host_gpu_cmp(a, b);
}

static int
fn_cmp(const void *a, const void *b)
{
    const struct host_fn *x = a, *y = b;

    return pci_device_cmp(x->is_pci, &x->addr, x->name, y->is_pci, &y->addr,
                          y->name);
}

static int
type_cmp(const void *a, const void *b)
{
    const struct host_type *x = a, *y = b;

    return strcmp(x->id, y->id);
}

static int
vgpu_cmp(const void *a, const void *b)
{
    const struct host_vgpu *x = a, *y = b;

    return strcmp(x->id, y->id);
}

/* qsort(NULL, 0, ...) is undefined. */
static void
sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(v, n, size, cmp);
}

void
host_sort(struct host *h)
{
    sort(h->gpus, h->n_gpus, sizeof(*h->gpus), gpu_cmp);
    for (size_t i = 0; i < h->n_gpus; i++) {
        struct host_gpu *g = &h->gpus[i];

        sort(g->fns, g->n_fns, sizeof(*g->fns), fn_cmp);
        for (size_t j = 0; j < g->n_fns; j++)
            sort(g->fns[j].types, g->fns[j].n_types, sizeof(*g->fns[j].types),
                 type_cmp);
    }
    sort(h->vgpus, h->n_vgpus, sizeof(*h->vgpus), vgpu_cmp);
}
