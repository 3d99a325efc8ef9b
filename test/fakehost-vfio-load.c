/*
 * fakehost-vfio-load.c - read the vfio_gpus: of a sample host description
 * (data/hosts/README.md, "Vendor-specific VFIO mode") into the model,
 * checking every key, and every listed vGPU against the driver's rules.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakehost.h"
#include "fakevfio.h"
#include "parse.h"
#include "pciaddr.h"
#include "xalloc.h"

static int
get_bool(const struct fakehost_loader *l, yaml_node_t *map, const char *key,
         bool *ret)
{
    _cleanup_free_ char *s = NULL;
    int r = fakehost_get_str(l, map, key, false, &s);

    if (r < 0 || !s)
        return r;
    if (parse_bool(s, ret) < 0)
        return fakehost_fail(l, yamldoc_get(l->d, map, key),
                             "'%s' must be true or false, not '%s'", key, s);
    return 0;
}

/* "7680x4320" */
static int
get_resolution(const struct fakehost_loader *l, yaml_node_t *map,
               struct fakevfio_type *t)
{
    _cleanup_free_ char *s = NULL;
    unsigned long x, y;
    char *sep;
    int r = fakehost_get_str(l, map, "resolution", false, &s);

    if (r < 0 || !s)
        return r;
    sep = strchr(s, 'x');
    if (sep)
        *sep = '\0';
    if (!sep || parse_uint(s, 65535, &x) < 0 ||
        parse_uint(sep + 1, 65535, &y) < 0)
        return fakehost_fail(l, yamldoc_get(l->d, map, "resolution"),
                             "resolution must read WIDTHxHEIGHT");
    t->res_x = (unsigned)x, t->res_y = (unsigned)y;
    return 0;
}

static int
load_type(const struct fakehost_loader *l, yaml_node_t *n,
          struct fakevfio_type *t)
{
    static const char *const keys[] = { "id",          "name",
                                        "framebuffer", "max_instances",
                                        "heads",       "resolution",
                                        "mig",         NULL };
    int r = fakehost_check_keys(l, n, "vGPU type", keys);

    if (r == 0)
        r = fakehost_get_uint(l, n, "id", true, INT_MAX, &t->id);
    if (r == 0)
        r = fakehost_get_str(l, n, "name", true, &t->name);
    if (r == 0)
        r = fakehost_get_uint(l, n, "framebuffer", true, UINT_MAX / 2,
                              &t->framebuffer);
    if (r == 0)
        r = fakehost_get_uint(l, n, "max_instances", true, 4096, &t->max);
    if (r == 0)
        r = fakehost_get_uint(l, n, "heads", false, 64, &t->heads);
    if (r == 0)
        r = get_resolution(l, n, t);
    if (r == 0)
        r = get_bool(l, n, "mig", &t->mig);
    if (r == 0 && t->id == 0)
        r = fakehost_fail(l, n, "type id 0 means no vGPU");
    return r;
}

static int
load_types(const struct fakehost_loader *l, yaml_node_t *n,
           struct fakevfio_gpu *g)
{
    yaml_node_t *seq = NULL, *item;
    size_t cap = 0;
    int r = fakehost_get_seq(l, n, "types", &seq);

    FAKEHOST_SEQ_FOREACH(l, seq, item)
    {
        struct fakevfio_type *t;

        xgrow(&g->types, &cap, g->n_types, sizeof(*g->types));
        t = &g->types[g->n_types++];
        memset(t, 0, sizeof(*t));
        r = load_type(l, item, t);
        if (r == 0 && fakevfio_find_type(g, t->id) != t)
            r = fakehost_fail(l, item, "type %u listed twice", t->id);
        if (r < 0)
            return r;
    }
    return r;
}

static int
load_gi(const struct fakehost_loader *l, yaml_node_t *n,
        const struct fakevfio_gpu *g, struct fakevfio_gi *gi)
{
    static const char *const keys[] = { "id", "placement", "types", NULL };
    yaml_node_t *seq = NULL, *item;
    size_t cap = 0;
    int r = fakehost_check_keys(l, n, "GPU instance", keys);

    if (r == 0)
        r = fakehost_get_uint(l, n, "id", true, INT_MAX, &gi->id);
    if (r == 0)
        r = fakehost_get_uint(l, n, "placement", true, INT_MAX, &gi->placement);
    if (r == 0)
        r = fakehost_get_seq(l, n, "types", &seq);
    FAKEHOST_SEQ_FOREACH(l, seq, item)
    {
        const struct fakevfio_type *t;
        unsigned long id;

        if (!yamldoc_scalar(item) ||
            parse_uint(yamldoc_scalar(item), UINT_MAX, &id) < 0)
            return fakehost_fail(l, item, "'types' must list type ids");
        t = fakevfio_find_type(g, (unsigned)id);
        if (!t || !t->mig)
            return fakehost_fail(l, item, "%lu is no MIG-backed type here", id);
        xgrow(&gi->types, &cap, gi->n_types, sizeof(*gi->types));
        gi->types[gi->n_types++] = (unsigned)id;
    }
    return r;
}

static int
load_gis(const struct fakehost_loader *l, yaml_node_t *n,
         struct fakevfio_gpu *g)
{
    yaml_node_t *seq = NULL, *item;
    size_t cap = 0;
    int r = fakehost_get_seq(l, n, "gpu_instances", &seq);

    if (r == 0 && seq && !g->mig)
        return fakehost_fail(l, seq, "gpu_instances need 'mig: true'");
    FAKEHOST_SEQ_FOREACH(l, seq, item)
    {
        xgrow(&g->gis, &cap, g->n_gis, sizeof(*g->gis));
        memset(&g->gis[g->n_gis], 0, sizeof(*g->gis));
        r = load_gi(l, item, g, &g->gis[g->n_gis++]);
        if (r < 0)
            return r;
    }
    return r;
}

/* VF i of a PF at pf: routing id + offset + i, stride 1. */
static int
make_vfs(const struct fakehost_loader *l, yaml_node_t *n,
         struct fakevfio_gpu *g, unsigned count, unsigned vfio)
{
    const char *slash = strrchr(g->path, '/');
    struct pci_addr pf, a;
    unsigned rid;

    if (pci_addr_parse(g->name, &pf) < 0)
        return fakehost_fail(l, n, "'%s' is no PCI address", g->name);
    rid = pf.bus << 8 | pf.slot << 3 | pf.func;
    if (rid + g->vf_offset + count > 0xffff)
        return fakehost_fail(l, n, "VFs of %s run past bus ff", g->name);
    g->vfs = xcalloc(count ? count : 1, sizeof(*g->vfs));
    for (unsigned i = 0; i < count; i++) {
        struct fakevfio_vf *v = &g->vfs[g->n_vfs++];
        unsigned r = rid + g->vf_offset + i;

        a = (struct pci_addr){ .domain = pf.domain,
                               .bus = r >> 8,
                               .slot = (r >> 3) & 0x1f,
                               .func = r & 7 };
        pci_addr_format(&a, v->name);
        v->path = slash ? xasprintf("%.*s/%s", (int)(slash - g->path), g->path,
                                    v->name)
                        : xstrdup(v->name);
        v->iommu_group = g->iommu_group + 1 + i;
        v->vfio = vfio + i;
        v->gi = -1;
    }
    return 0;
}

/* A vGPU the host already has: checked against the rules, in order. */
static int
load_vgpu(const struct fakehost_loader *l, yaml_node_t *n,
          struct fakevfio_gpu *g)
{
    static const char *const keys[] = { "vf", "type", "held", "gpu_instance",
                                        NULL };
    _cleanup_free_ char *vf = NULL;
    unsigned id = 0, gi_id = UINT_MAX;
    const struct fakevfio_type *t;
    bool held = false;
    size_t k = 0;
    long gi = -1;
    int r = fakehost_check_keys(l, n, "vGPU", keys);

    if (r == 0)
        r = fakehost_get_str(l, n, "vf", true, &vf);
    if (r == 0)
        r = fakehost_get_uint(l, n, "type", true, INT_MAX, &id);
    if (r == 0)
        r = get_bool(l, n, "held", &held);
    if (r == 0)
        r = fakehost_get_uint(l, n, "gpu_instance", false, INT_MAX, &gi_id);
    if (r < 0)
        return r;
    while (k < g->n_vfs && strcmp(g->vfs[k].name, vf) != 0)
        k++;
    if (k == g->n_vfs)
        return fakehost_fail(l, n, "%s is no VF of %s", vf, g->name);
    for (size_t i = 0; gi_id != UINT_MAX && i < g->n_gis; i++)
        if (g->gis[i].id == gi_id)
            gi = (long)i;
    if (gi_id != UINT_MAX && gi < 0)
        return fakehost_fail(l, n, "%s has no GPU instance %u", g->name, gi_id);
    t = fakevfio_find_type(g, id);
    if (!t || !fakevfio_creatable(g, k, t))
        return fakehost_fail(l, yamldoc_get(l->d, n, "type"),
                             "%s does not list type %u here", vf, id);
    fakevfio_create(g, k, t, gi);
    g->vfs[k].held = held;
    return 0;
}

static int
load_files(const struct fakehost_loader *l, yaml_node_t *n,
           struct fakevfio_gpu *g)
{
    _cleanup_free_ char *files = NULL;
    int r = fakehost_get_str(l, n, "driver_files", false, &files);

    g->new_files = !files || strcmp(files, "new") == 0;
    if (r == 0 && files && !g->new_files && strcmp(files, "old") != 0)
        r = fakehost_fail(l, yamldoc_get(l->d, n, "driver_files"),
                          "driver_files is old or new, not '%s'", files);
    return r;
}

/* The PF's own files: name, path, PCI ids, driver. */
static int
load_pf(const struct fakehost_loader *l, yaml_node_t *n, struct fakevfio_gpu *g)
{
    int r = fakehost_get_str(l, n, "name", true, &g->name);

    if (r == 0)
        r = fakehost_get_str(l, n, "path", true, &g->path);
    if (r == 0)
        r = fakehost_check_relpath(l, yamldoc_get(l->d, n, "path"), g->path);
    if (r == 0)
        r = fakehost_get_str(l, n, "driver", false, &g->driver);
    if (r == 0)
        r = fakehost_get_str(l, n, "class", false, &g->pci_class);
    if (r == 0)
        r = fakehost_get_str(l, n, "vendor", false, &g->vendor);
    if (r == 0)
        r = fakehost_get_str(l, n, "device", false, &g->device);
    if (r == 0 && !g->driver)
        g->driver = xstrdup("nvidia");
    return r;
}

static int
load_gpu(const struct fakehost_loader *l, yaml_node_t *n,
         struct fakevfio_gpu *g, unsigned vfio)
{
    static const char *const keys[] = {
        "name",      "path",          "driver",   "class",
        "vendor",    "device",        "vfs",      "total_vfs",
        "vf_offset", "iommu_group",   "vfio_dev", "driver_files",
        "mig",       "gpu_instances", "types",    "vgpus",
        NULL
    };
    yaml_node_t *seq = NULL, *item;
    unsigned vfs = 0;
    int r = fakehost_check_keys(l, n, "vfio_gpus entry", keys);

    g->vf_offset = 4;
    if (r == 0)
        r = load_pf(l, n, g);
    if (r == 0)
        r = fakehost_get_uint(l, n, "vfs", true, 256, &vfs);
    g->total_vfs = vfs;
    if (r == 0)
        r = fakehost_get_uint(l, n, "total_vfs", false, 256, &g->total_vfs);
    if (r == 0)
        r = fakehost_get_uint(l, n, "vf_offset", false, 255, &g->vf_offset);
    if (r == 0)
        r = fakehost_get_uint(l, n, "iommu_group", false, 1 << 20,
                              &g->iommu_group);
    if (r == 0)
        r = fakehost_get_uint(l, n, "vfio_dev", false, 1 << 20, &vfio);
    if (r == 0)
        r = load_files(l, n, g);
    if (r == 0)
        r = get_bool(l, n, "mig", &g->mig);
    if (r == 0 && vfs > g->total_vfs)
        r = fakehost_fail(l, n, "vfs %u > total_vfs %u", vfs, g->total_vfs);
    if (r == 0)
        r = load_types(l, n, g);
    if (r == 0)
        r = load_gis(l, n, g);
    if (r == 0)
        r = make_vfs(l, n, g, vfs, vfio);
    if (r == 0)
        r = fakehost_get_seq(l, n, "vgpus", &seq);
    FAKEHOST_SEQ_FOREACH(l, seq, item)
    {
        if (r == 0)
            r = load_vgpu(l, item, g);
    }
    return r;
}

/* Defaults continue where the GPU before left off. */
static void
next_defaults(const struct fakesys_host *h, unsigned *group, unsigned *vfio)
{
    const struct fakevfio_gpu *g = h->n_gpus ? &h->gpus[h->n_gpus - 1] : NULL;

    *group = g ? g->iommu_group + 1 + g->n_vfs : 0;
    *vfio = g && g->n_vfs ? g->vfs[g->n_vfs - 1].vfio + 1 : 0;
}

int
fakevfio_load(const struct fakehost_loader *l)
{
    struct fakesys_host *h = l->h;
    yaml_node_t *seq = NULL, *item;
    size_t cap = 0, p, gi, vi;
    int r = fakehost_get_seq(l, yamldoc_root(l->d), "vfio_gpus", &seq);

    FAKEHOST_SEQ_FOREACH(l, seq, item)
    {
        struct fakevfio_gpu *g;
        unsigned group, vfio;

        next_defaults(h, &group, &vfio);
        xgrow(&h->gpus, &cap, h->n_gpus, sizeof(*h->gpus));
        g = &h->gpus[h->n_gpus++]; /* freed with the host, even half-built */
        memset(g, 0, sizeof(*g));
        g->iommu_group = group;
        r = load_gpu(l, item, g, vfio);
        if (r == 0 && (fakesys_host_find_parent(h, g->name, &p) == 0 ||
                       fakevfio_find_vf(h, g->name, &gi, &vi)))
            r = fakehost_fail(l, item, "%s is described twice", g->name);
        for (size_t i = 0; r == 0 && i + 1 < h->n_gpus; i++)
            if (strcmp(h->gpus[i].name, g->name) == 0)
                r = fakehost_fail(l, item, "%s is described twice", g->name);
        if (r < 0)
            return r;
    }
    return r;
}

void
fakevfio_free(struct fakesys_host *h)
{
    for (size_t i = 0; i < h->n_gpus; i++) {
        struct fakevfio_gpu *g = &h->gpus[i];

        for (size_t k = 0; k < g->n_types; k++)
            free(g->types[k].name);
        for (size_t k = 0; k < g->n_gis; k++)
            free(g->gis[k].types);
        for (size_t k = 0; k < g->n_vfs; k++)
            free(g->vfs[k].path);
        free(g->name), free(g->path), free(g->driver), free(g->pci_class);
        free(g->vendor), free(g->device), free(g->types), free(g->gis);
        free(g->vfs);
    }
    free(h->gpus);
}
