/*
 * host-vfio.c - the NVIDIA vendor-specific VFIO producer of the host model
 * (vGPU manager 17+ on kernel 6.8+).
 *
 * No mdev anywhere: each vGPU is one SR-IOV virtual function of the GPU,
 * typed by writing NVIDIA's global type id to <VF>/nvidia/current_vgpu_type.
 * Every VF with nvidia/creatable_vgpu_types becomes a function of its PF's
 * GPU, listing what the driver says it can create now (available 1) and the
 * type it holds (available 0); a typed VF is a vGPU whose id is the VF's
 * address.  Type ids keep mdev mode's spelling, nvidia-<id>: the numbers are
 * the same in both modes, so configurations and traits carry over.
 *
 * How many vGPUs of a type a GPU takes (max instances), its heads and
 * resolution come from NVML when it can be loaded, else max instances from
 * the framebuffer rule (host-vfio.h) and no display facts.  The driver
 * counts every vGPU of the GPU against a type's max instances, so a type's
 * max_instance here is what is left of it beside the vGPUs of other types:
 * policy's min(existing + VFs with room, max_instance) is then the
 * driver's existing + min(free VFs listing it, max - all existing).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host-vfio.h"
#include "host.h"
#include "nvml-load.h"
#include "pciaddr.h"
#include "xalloc.h"

#define PCI_VENDOR_NVIDIA "0x10de"
#define PCI_CLASS_DISPLAY 0x03

/* One VF as read. */
struct vf {
    struct host_fn fn; /* name, path, addr, physfn, pci_class */
    unsigned current;  /* current_vgpu_type; 0: no vGPU */
    struct host_vfio_listed *listed;
    size_t n_listed;
};

/* What one type is on one GPU. */
struct gpu_type {
    unsigned id;
    const char *name; /* from a VF's list or NVML; NULL: unknown */
    unsigned count;   /* VFs of the GPU holding it */
    bool free_lists;  /* a free VF lists it */
    struct type_desc desc;
    char nvml_name[NVML_NAME_MAX];
};

struct scan {
    const struct sysfs *fs;
    struct host *h;
    const struct host_vfio_opts *o;
    struct nvml *nvml; /* loaded here, or o->nvml; NULL: the rule */
    bool nvml_tried, nvml_ours;
    struct vf *vfs;
    size_t n_vfs, cap_vfs;
};

static void
vf_clear(struct vf *v)
{
    free(v->fn.name);
    free(v->fn.path);
    free(v->listed);
}

/* --- reading ----------------------------------------------------------------
 */

static void
warn(struct scan *s, const struct errbuf *eb)
{
    strv_push(&s->h->warnings, eb->msg);
}

/* The PCI "class" attribute, "0x030200"; 0 when unreadable or odd. */
static unsigned
read_class(const struct sysfs *fs, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/class", rel);
    _cleanup_free_ char *s = NULL;
    char *end = NULL;
    unsigned long v;

    if (sysfs_read_str(fs, path, &s, NULL) < 0 || strncmp(s, "0x", 2) != 0)
        return 0;
    v = strtoul(s + 2, &end, 16);
    return end && *end == '\0' && v <= 0xffffff ? (unsigned)v : 0;
}

/* The basename of the link rel/name resolves to; NULL when none. */
static char *
link_base(const struct sysfs *fs, const char *rel, const char *name)
{
    _cleanup_free_ char *link = xasprintf("%s/%s", rel, name);
    _cleanup_free_ char *path = NULL;
    const char *slash;

    if (!sysfs_lexists(fs, link) || sysfs_resolve(fs, link, &path, NULL) < 0)
        return NULL;
    slash = strrchr(path, '/');
    return xstrdup(slash ? slash + 1 : path);
}

static int
read_physfn(const struct sysfs *fs, const char *rel, struct host_fn *fn,
            struct errbuf *eb)
{
    _cleanup_free_ char *pf = link_base(fs, rel, "physfn");

    if (!pf)
        return errbuf_set(eb, -EINVAL,
                          "%s: has nvidia/creatable_vgpu_types but no physfn "
                          "link: not a virtual function; skipped",
                          rel);
    if (pci_addr_parse(pf, &fn->physfn) < 0) {
        _cleanup_free_ char *q = sysfs_escape(pf, 64);

        return errbuf_set(eb, -EINVAL, "%s/physfn: not a PCI address: \"%s\"",
                          rel, q);
    }
    fn->is_vf = true;
    return 0;
}

static int
read_types(const struct sysfs *fs, const char *rel, struct vf *v,
           struct errbuf *eb)
{
    _cleanup_free_ char *list =
        xasprintf("%s/nvidia/creatable_vgpu_types", rel);
    _cleanup_free_ char *cur = xasprintf("%s/nvidia/current_vgpu_type", rel);
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *bad = NULL;
    int r = sysfs_read_str(fs, list, &text, eb);

    if (r < 0)
        return r;
    if (host_vfio_parse_creatable(text, &v->listed, &v->n_listed, &bad) < 0)
        return errbuf_set(eb, -EINVAL, "%s: not a type line: \"%s\"", list,
                          bad);
    return sysfs_read_uint(fs, cur, &v->current, eb);
}

static int
read_vf(const struct sysfs *fs, const char *name, struct vf *v,
        struct errbuf *eb)
{
    _cleanup_free_ char *rel = xasprintf("bus/pci/devices/%s", name);
    char buf[PCI_ADDR_STR_MAX];
    int r;

    if (pci_addr_parse(name, &v->fn.addr) < 0 ||
        strcmp(pci_addr_format(&v->fn.addr, buf), name) != 0)
        return errbuf_set(eb, -EINVAL, "%s: not a PCI address; skipped", rel);
    v->fn.name = xstrdup(name);
    v->fn.is_pci = true;
    r = sysfs_resolve(fs, rel, &v->fn.path, eb);
    if (r == 0)
        r = read_physfn(fs, rel, &v->fn, eb);
    if (r == 0)
        r = read_types(fs, rel, v, eb);
    v->fn.pci_class = read_class(fs, rel);
    return r;
}

/* An NVIDIA display PF on the nvidia driver that can have VFs and has none:
 * its vGPUs need them (`sriov-manage -e`), so say so. */
static void
check_pf(struct scan *s, const char *name)
{
    _cleanup_free_ char *rel = xasprintf("bus/pci/devices/%s", name);
    _cleanup_free_ char *total = xasprintf("%s/sriov_totalvfs", rel);
    _cleanup_free_ char *num = xasprintf("%s/sriov_numvfs", rel);
    _cleanup_free_ char *vendor_rel = xasprintf("%s/vendor", rel);
    _cleanup_free_ char *vendor = NULL;
    _cleanup_free_ char *driver = NULL;
    unsigned t = 0, n = 0;

    if (sysfs_read_uint(s->fs, total, &t, NULL) < 0 || t == 0 ||
        sysfs_read_uint(s->fs, num, &n, NULL) < 0 || n != 0 ||
        sysfs_read_str(s->fs, vendor_rel, &vendor, NULL) < 0 ||
        strcmp(vendor, PCI_VENDOR_NVIDIA) != 0 ||
        read_class(s->fs, rel) >> 16 != PCI_CLASS_DISPLAY)
        return;
    driver = link_base(s->fs, rel, "driver");
    if (!driver || strcmp(driver, "nvidia") != 0)
        return;
    s->h->has_vgpu_info = true;
    strv_pushf(&s->h->warnings,
               "%s: NVIDIA GPU with SR-IOV not enabled (sriov_numvfs 0 of "
               "%u): its vGPUs live on virtual functions; enable them with "
               "`/usr/lib/nvidia/sriov-manage -e %s`",
               rel, t, name);
}

static void
scan_device(struct scan *s, const char *name)
{
    _cleanup_free_ char *list =
        xasprintf("bus/pci/devices/%s/nvidia/creatable_vgpu_types", name);
    struct vf v = { 0 };
    struct errbuf eb = { 0 };

    if (!sysfs_lexists(s->fs, list)) {
        check_pf(s, name);
        return;
    }
    s->h->has_vgpu_info = true;
    if (read_vf(s->fs, name, &v, &eb) < 0) {
        warn(s, &eb);
        vf_clear(&v);
        return;
    }
    xgrow(&s->vfs, &s->cap_vfs, s->n_vfs, sizeof(*s->vfs));
    s->vfs[s->n_vfs++] = v;
}

/* --- what each type is on a GPU ---------------------------------------------
 */

struct gpu_facts {
    char pf[PCI_ADDR_STR_MAX];
    unsigned n_vfs;      /* VFs with nvidia/ */
    unsigned vgpus;      /* ... that hold a vGPU, of any type */
    unsigned largest_gb; /* the largest type's framebuffer: the GPU's */
    struct gpu_type *types;
    size_t n_types, cap_types;
};

static struct gpu_type *
facts_type(struct gpu_facts *f, unsigned id)
{
    struct gpu_type *t;

    for (size_t i = 0; i < f->n_types; i++)
        if (f->types[i].id == id)
            return &f->types[i];
    xgrow(&f->types, &f->cap_types, f->n_types, sizeof(*f->types));
    t = &f->types[f->n_types++];
    *t = (struct gpu_type){ .id = id };
    return t;
}

/* The types the VFs list (free ones; a typed VF takes no other) or hold. */
static void
facts_gather(struct gpu_facts *f, const struct vf *v, size_t n)
{
    pci_addr_format(&v[0].fn.physfn, f->pf);
    f->n_vfs = (unsigned)n;
    for (size_t i = 0; i < n; i++) {
        if (v[i].current) {
            facts_type(f, v[i].current)->count++;
            f->vgpus++;
            continue;
        }
        for (size_t j = 0; j < v[i].n_listed; j++) {
            struct gpu_type *t = facts_type(f, v[i].listed[j].id);

            t->free_lists = true;
            if (!t->name)
                t->name = v[i].listed[j].name;
        }
    }
}

/* The board part of a type name: "NVIDIA A10" of "NVIDIA A10-6Q". */
static size_t
board_len(const char *name)
{
    return strcspn(name, "-");
}

/* What the lists of every VF of the host say beyond this GPU's: a type id
 * is global, so its name is the same on any GPU, and GPUs of one board have
 * one framebuffer, which the largest type of that board states (a GPU that
 * already holds vGPUs lists only their size; an identical empty GPU lists
 * them all). */
static void
facts_from_host(struct gpu_facts *f, const struct scan *s)
{
    for (size_t i = 0; i < s->n_vfs; i++)
        for (size_t j = 0; j < s->vfs[i].n_listed; j++) {
            const struct host_vfio_listed *l = &s->vfs[i].listed[j];

            for (size_t k = 0; k < f->n_types; k++)
                if (f->types[k].id == l->id && !f->types[k].name)
                    f->types[k].name = l->name;
        }
    for (size_t k = 0; k < f->n_types; k++) {
        const char *name = f->types[k].name;

        for (size_t i = 0; name && i < s->n_vfs; i++)
            for (size_t j = 0; j < s->vfs[i].n_listed; j++) {
                const char *other = s->vfs[i].listed[j].name;
                unsigned gb = host_vfio_name_gb(other);

                if (board_len(other) == board_len(name) &&
                    strncmp(other, name, board_len(name)) == 0 &&
                    gb > f->largest_gb)
                    f->largest_gb = gb;
            }
    }
}

static struct nvml *
scan_nvml(struct scan *s)
{
    struct errbuf eb = { 0 };
    int r;

    if (s->o && s->o->nvml)
        return s->o->nvml;
    if (s->nvml_tried)
        return s->nvml;
    s->nvml_tried = true;
    if (s->o && s->o->no_nvml)
        return NULL;
    r = nvml_open(s->o ? s->o->nvml_path : NULL, &s->nvml, &eb);
    if (r == 0) {
        s->nvml_ours = true;
        return s->nvml;
    }
    if (r != -ENOENT) /* not installed is normal; broken is worth a word */
        strv_pushf(&s->h->warnings,
                   "%s; max instances from the framebuffer rule", eb.msg);
    return NULL;
}

/* NVML's facts of t on the GPU; false when it has none. */
static bool
ask_nvml(struct scan *s, const struct gpu_facts *f, struct gpu_type *t)
{
    struct nvml *n = scan_nvml(s);
    struct nvml_vgpu_type nt;

    if (!n || nvml_get_vgpu_type(n, f->pf, t->id, &nt, NULL) < 0 ||
        nt.max_instances == 0)
        return false;
    t->desc.max_instance = nt.max_instances;
    t->desc.num_heads = nt.heads;
    t->desc.max_res_w = nt.res_x;
    t->desc.max_res_h = nt.res_y;
    t->desc.framebuffer_mb = (unsigned)(nt.framebuffer >> 20);
    if (!t->name && nt.name[0]) {
        snprintf(t->nvml_name, sizeof(t->nvml_name), "%s", nt.name);
        t->name = t->nvml_name;
    }
    return true;
}

/* Max instances and display facts of every type: NVML's, else the
 * framebuffer rule's; then what the GPU's vGPUs of other types leave. */
static void
facts_decide(struct scan *s, struct gpu_facts *f)
{
    bool *from_nvml = xcalloc(f->n_types + 1, sizeof(*from_nvml));

    for (size_t i = 0; i < f->n_types; i++)
        from_nvml[i] = ask_nvml(s, f, &f->types[i]);
    for (size_t i = 0; i < f->n_types; i++) {
        unsigned gb =
            f->types[i].name ? host_vfio_name_gb(f->types[i].name) : 0;

        if (gb > f->largest_gb)
            f->largest_gb = gb;
    }
    for (size_t i = 0; i < f->n_types; i++) {
        struct gpu_type *t = &f->types[i];
        unsigned gb = t->name ? host_vfio_name_gb(t->name) : 0;
        unsigned foreign = f->vgpus - t->count;

        if (!from_nvml[i]) {
            t->desc.max_instance = host_vfio_rule_max(
                f->n_vfs, f->largest_gb, gb, f->vgpus + t->free_lists);
            t->desc.framebuffer_mb = gb * 1024;
        }
        t->desc.max_instance = t->desc.max_instance > foreign
                                   ? t->desc.max_instance - foreign
                                   : t->count;
    }
    free(from_nvml);
}

/* --- into the model ---------------------------------------------------------
 */

static void
add_type(struct host_fn *fn, const struct gpu_type *t, unsigned available)
{
    _cleanup_free_ char *id = xasprintf("nvidia-%u", t->id);
    struct host_type *ht = host_fn_add_type(fn, id);

    if (t->name) {
        free(ht->name);
        ht->name = xstrdup(t->name);
    }
    ht->device_api = xstrdup("vfio-pci");
    ht->available = available;
    ht->desc = t->desc; /* no pairs: nothing owned is shared */
}

static void
add_vf(struct scan *s, struct gpu_facts *f, struct vf *v)
{
    _cleanup_free_ char *name = xstrdup(v->fn.name);

    if (v->current)
        add_type(&v->fn, facts_type(f, v->current), 0);
    for (size_t j = 0; !v->current && j < v->n_listed; j++)
        add_type(&v->fn, facts_type(f, v->listed[j].id), 1);
    host_add_fn(s->h, HOST_MODE_VENDOR_VFIO, &host_vfio_ops, &v->fn);
    if (v->current) {
        _cleanup_free_ char *type = xasprintf("nvidia-%u", v->current);

        host_add_vgpu(s->h, name, name, type);
    }
}

/* The VFs v[0..n) of one PF. */
static void
add_gpu(struct scan *s, struct vf *v, size_t n)
{
    struct gpu_facts f = { 0 };

    facts_gather(&f, v, n);
    facts_from_host(&f, s);
    facts_decide(s, &f);
    for (size_t i = 0; i < n; i++)
        add_vf(s, &f, &v[i]);
    free(f.types);
}

static int
vf_cmp(const void *a, const void *b)
{
    const struct vf *x = a, *y = b;
    int c = pci_addr_cmp(&x->fn.physfn, &y->fn.physfn);

    return c ? c : pci_addr_cmp(&x->fn.addr, &y->fn.addr);
}

static void
scan_close(struct scan *s)
{
    for (size_t i = 0; i < s->n_vfs; i++)
        vf_clear(&s->vfs[i]);
    free(s->vfs);
    if (s->nvml_ours)
        nvml_close(s->nvml);
}

int
host_vfio_read(const struct sysfs *fs, struct host *h,
               const struct host_vfio_opts *o, struct errbuf *eb)
{
    _cleanup_(scan_close) struct scan s = { .fs = fs, .h = h, .o = o };
    struct strv names = { 0 };
    struct errbuf leb = { 0 };

    if (!sysfs_exists(fs, "bus/pci/devices"))
        return 0;
    if (sysfs_list(fs, "bus/pci/devices", &names, &leb) < 0) {
        warn(&s, &leb);
        return 0;
    }
    for (size_t i = 0; i < names.n; i++)
        scan_device(&s, names.v[i]);
    strv_clear(&names);
    if (s.n_vfs > 1)
        qsort(s.vfs, s.n_vfs, sizeof(*s.vfs), vf_cmp);
    for (size_t i = 0, j; i < s.n_vfs; i = j) {
        for (j = i + 1; j < s.n_vfs && pci_addr_cmp(&s.vfs[i].fn.physfn,
                                                    &s.vfs[j].fn.physfn) == 0;
             j++)
            ;
        add_gpu(&s, &s.vfs[i], j - i);
    }
    (void)eb;
    return 0;
}
