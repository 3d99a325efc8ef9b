/*
 * fakehost-tree.c - the capacity models and the writer: a struct
 * fakesys_host laid out on disk exactly as the kernel's sysfs is.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fakehost.h"
#include "fixture.h"
#include "fstree.h"
#include "parse.h"
#include "pciaddr.h"
#include "xalloc.h"
#include "yamldoc.h"

/* ---- the capacity models ------------------------------------------------ */

static bool
same_pf(const struct fakesys_parent *a, const struct fakesys_parent *b)
{
    return a == b ||
           (a->physfn && b->physfn && strcmp(a->physfn, b->physfn) == 0);
}

/* SR-IOV: a VF holds one mdev; the PF runs one type, up to its max. */
static unsigned
available_sriov(const struct fakesys_host *h, size_t p, size_t t)
{
    const struct fakesys_parent *pa = &h->parents[p];
    const char *id = pa->types[t].id;
    unsigned used = 0;

    if (fakesys_host_count(h, p, NULL) > 0)
        return 0;
    for (size_t i = 0; i < h->n_mdevs; i++) {
        const struct fakesys_parent *q = &h->parents[h->mdevs[i].parent];

        if (!same_pf(pa, q))
            continue;
        if (strcmp(q->types[h->mdevs[i].type].id, id) != 0)
            return 0;
        used++;
    }
    return used < pa->types[t].max ? 1 : 0;
}

/* Shared pool: each mdev of type T uses 1/max(T) of the parent. */
static unsigned
available_shared(const struct fakesys_host *h, size_t p, size_t t)
{
    const struct fakesys_parent *pa = &h->parents[p];
    double used = 0, left;

    for (size_t i = 0; i < h->n_mdevs; i++)
        if (h->mdevs[i].parent == p) {
            unsigned max = pa->types[h->mdevs[i].type].max;

            used += max ? 1.0 / max : 1.0;
        }
    left = (1.0 - used) * pa->types[t].max + 1e-9;
    return left > 0 ? (unsigned)left : 0;
}

unsigned
fakesys_host_available(const struct fakesys_host *h, size_t p, size_t t)
{
    const struct fakesys_type *ty = &h->parents[p].types[t];
    unsigned own = fakesys_host_count(h, p, ty->id);

    switch (h->parents[p].capacity) {
    case FAKESYS_SRIOV:
        return available_sriov(h, p, t);
    case FAKESYS_SHARED:
        return available_shared(h, p, t);
    case FAKESYS_HOMOGENEOUS:
        if (fakesys_host_count(h, p, NULL) > own)
            return 0;
        break;
    case FAKESYS_INDEPENDENT:
        break;
    }
    return own < ty->max ? ty->max - own : 0;
}

/* ---- the tree ------------------------------------------------------------ */

int
fakehost_write_attr(const char *dir, const char *rel, const char *value,
                    mode_t mode, struct errbuf *eb)
{
    size_t n = strlen(value);
    _cleanup_free_ char *text = n == 0 || value[n - 1] == '\n'
                                    ? xstrdup(value)
                                    : xasprintf("%s\n", value);
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);
    int r = fstree_write(dir, rel, text, eb);

    if (r == 0 && chmod(path, mode) < 0)
        r = errbuf_set(eb, -errno, "chmod %s: %s", path, strerror(errno));
    return r;
}

int
fakehost_write_link(const char *dir, const char *link, const char *target,
                    struct errbuf *eb)
{
    size_t common = 0, up = 0;
    _cleanup_free_ char *rel = NULL;
    char *p;

    for (size_t i = 0; link[i] && link[i] == target[i]; i++)
        if (link[i] == '/')
            common = i + 1;
    for (const char *c = link + common; *c; c++)
        up += *c == '/';
    p = rel = xmalloc(2 + 3 * up + strlen(target + common));
    *p++ = '!'; /* fstree: store verbatim */
    for (size_t i = 0; i < up; i++, p += 3)
        memcpy(p, "../", 3);
    memcpy(p, target + common, strlen(target + common) + 1);
    return fstree_symlink(dir, link, rel, eb);
}

/* class, vendor, device, the bus and driver links of a device. */
static int
write_device(const char *dir, const struct fakesys_parent *p, const char *name,
             const char *path, struct errbuf *eb)
{
    const char *attr[] = { "class",   p->pci_class, "vendor",
                           p->vendor, "device",     p->device };
    _cleanup_free_ char *bus = p->bus ? xasprintf("bus/%s", p->bus) : NULL;
    _cleanup_free_ char *drv = NULL, *l1 = NULL, *l2 = NULL, *l3 = NULL;
    int r = fstree_mkdir_p(dir, path, eb);

    for (size_t i = 0; r == 0 && i < 6; i += 2) {
        _cleanup_free_ char *rel = xasprintf("%s/%s", path, attr[i]);

        if (attr[i + 1])
            r = fakehost_write_attr(dir, rel, attr[i + 1], 0444, eb);
    }
    if (r < 0 || !bus)
        return r;
    l1 = xasprintf("%s/devices/%s", bus, name);
    l2 = xasprintf("%s/subsystem", path);
    r = fakehost_write_link(dir, l1, path, eb);
    if (r == 0)
        r = fakehost_write_link(dir, l2, bus, eb);
    if (r < 0 || !p->driver)
        return r;
    drv = xasprintf("%s/drivers/%s", bus, p->driver);
    l1 = (free(l1), xasprintf("%s/%s", drv, name));
    l3 = xasprintf("%s/driver", path);
    r = fakehost_write_link(dir, l1, path, eb);
    return r < 0 ? r : fakehost_write_link(dir, l3, drv, eb);
}

static int
write_type(const char *dir, const struct fakesys_host *h, size_t p, size_t t,
           struct errbuf *eb)
{
    const struct fakesys_parent *pa = &h->parents[p];
    const struct fakesys_type *ty = &pa->types[t];
    _cleanup_free_ char *avail =
        ty->available ? xstrdup(ty->available)
                      : xasprintf("%u", fakesys_host_available(h, p, t));
    const char *files[] = { "name",
                            ty->name,
                            "description",
                            ty->description,
                            "device_api",
                            ty->device_api,
                            "available_instances",
                            avail,
                            "create",
                            "" };
    _cleanup_free_ char *base =
        xasprintf("%s/mdev_supported_types/%s", pa->path, ty->id);
    _cleanup_free_ char *devs = xasprintf("%s/devices", base);
    int r = fstree_mkdir_p(dir, base, eb);

    for (size_t i = 0; r == 0 && i < 10; i += 2) {
        _cleanup_free_ char *rel = xasprintf("%s/%s", base, files[i]);

        if (files[i + 1] && !strv_contains(&ty->omit, files[i]))
            r = fakehost_write_attr(dir, rel, files[i + 1],
                                    i == 8 ? 0200 : 0444, eb);
    }
    if (r == 0 && !strv_contains(&ty->omit, "devices"))
        r = fstree_mkdir_p(dir, devs, eb);
    return r;
}

static int
write_parent(const char *dir, const struct fakesys_host *h, size_t p,
             struct errbuf *eb)
{
    const struct fakesys_parent *pa = &h->parents[p];
    _cleanup_free_ char *cls = xasprintf("class/mdev_bus/%s", pa->name);
    _cleanup_free_ char *sup = xasprintf("%s/mdev_supported_types", pa->path);
    int r = write_device(dir, pa, pa->name, pa->path, eb);

    if (r == 0 && !strv_contains(&pa->omit, "mdev_bus"))
        r = fakehost_write_link(dir, cls, pa->path, eb);
    if (strv_contains(&pa->omit, "mdev_supported_types"))
        return r;
    if (r == 0)
        r = fstree_mkdir_p(dir, sup, eb);
    for (size_t t = 0; r == 0 && t < pa->n_types; t++)
        r = write_type(dir, h, p, t, eb);
    return r;
}

/* Where a VF's PF lives: the parent of that name, else beside the VF. */
static char *
pf_path(const struct fakesys_host *h, const struct fakesys_parent *vf)
{
    const char *slash = strrchr(vf->path, '/');
    size_t i;

    if (fakesys_host_find_parent(h, vf->physfn, &i) == 0)
        return xstrdup(h->parents[i].path);
    if (!slash)
        return xstrdup(vf->physfn);
    return xasprintf("%.*s/%s", (int)(slash - vf->path), vf->path, vf->physfn);
}

/* physfn on the VF, virtfnN on the PF (N by address among its VFs); the
 * first VF also writes a PF that is no parent, and the sriov_* counts. */
static int
write_vf(const char *dir, const struct fakesys_host *h, size_t p,
         struct errbuf *eb)
{
    const struct fakesys_parent *vf = &h->parents[p];
    _cleanup_free_ char *pf = pf_path(h, vf), *l1 = NULL, *l2 = NULL;
    _cleanup_free_ char *num = NULL, *f1 = NULL, *f2 = NULL;
    size_t rank = 0, total = 0, i;
    int r = 0;

    for (size_t q = 0; q < h->n_parents; q++) {
        total += same_pf(vf, &h->parents[q]);
        rank += same_pf(vf, &h->parents[q]) &&
                strcmp(h->parents[q].name, vf->name) < 0;
    }
    if (rank == 0 && fakesys_host_find_parent(h, vf->physfn, &i) < 0)
        r = write_device(dir, vf, vf->physfn, pf, eb);
    num = xasprintf("%zu", total);
    f1 = xasprintf("%s/sriov_numvfs", pf);
    f2 = xasprintf("%s/sriov_totalvfs", pf);
    if (r == 0 && rank == 0)
        r = fakehost_write_attr(dir, f1, num, 0644, eb);
    if (r == 0 && rank == 0)
        r = fakehost_write_attr(dir, f2, num, 0444, eb);
    l1 = xasprintf("%s/physfn", vf->path);
    l2 = xasprintf("%s/virtfn%zu", pf, rank);
    if (r == 0)
        r = fakehost_write_link(dir, l1, pf, eb);
    return r < 0 ? r : fakehost_write_link(dir, l2, vf->path, eb);
}

int
fakesys_mdev_write(const struct fakesys_host *h, const char *dir, size_t i,
                   struct errbuf *eb)
{
    const struct fakesys_mdev *m = &h->mdevs[i];
    const struct fakesys_parent *pa = &h->parents[m->parent];
    const struct fakesys_type *ty = &pa->types[m->type];
    _cleanup_free_ char *md = xasprintf("%s/%s", pa->path, m->uuid);
    _cleanup_free_ char *type =
        xasprintf("%s/mdev_supported_types/%s", pa->path, ty->id);
    char *links[] = { xasprintf("%s/mdev_type", md),
                      type,
                      xasprintf("%s/subsystem", md),
                      "bus/mdev",
                      xasprintf("bus/mdev/devices/%s", m->uuid),
                      md,
                      xasprintf("%s/devices/%s", type, m->uuid),
                      md };
    _cleanup_free_ char *remove = xasprintf("%s/remove", md);
    int r = fstree_mkdir_p(dir, md, eb);

    if (r == 0)
        r = fakehost_write_attr(dir, remove, "", 0200, eb);
    for (size_t k = 0; k < 8; k += 2) {
        if (r == 0 && (k < 6 || !strv_contains(&ty->omit, "devices")))
            r = fakehost_write_link(dir, links[k], links[k + 1], eb);
        free(links[k]);
    }
    return r;
}

int
fakesys_refresh_available(const struct fakesys_host *h, const char *dir,
                          size_t p, struct errbuf *eb)
{
    int r = 0;

    for (size_t q = 0; r == 0 && q < h->n_parents; q++) {
        const struct fakesys_parent *pa = &h->parents[q];

        if (!same_pf(&h->parents[p], pa) ||
            strv_contains(&pa->omit, "mdev_supported_types"))
            continue;
        for (size_t t = 0; r == 0 && t < pa->n_types; t++) {
            _cleanup_free_ char *rel =
                xasprintf("%s/mdev_supported_types/%s/available_instances",
                          pa->path, pa->types[t].id);
            _cleanup_free_ char *v =
                xasprintf("%u", fakesys_host_available(h, q, t));

            if (!strv_contains(&pa->types[t].omit, "available_instances"))
                r = fakehost_write_attr(dir, rel, v, 0444, eb);
        }
    }
    return r;
}

/* extra_dirs, extra_files and extra_links, replacing what is there. */
static int
write_extras(const char *dir, const struct fakesys_host *h, struct errbuf *eb)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < h->extra_dirs.n; i++)
        r = fstree_mkdir_p(dir, h->extra_dirs.v[i], eb);
    for (size_t i = 0; r == 0 && i + 1 < h->extra_files.n; i += 2) {
        _cleanup_free_ char *path =
            xasprintf("%s/%s", dir, h->extra_files.v[i]);

        unlink(path);
        r = fstree_write(dir, h->extra_files.v[i], h->extra_files.v[i + 1], eb);
    }
    for (size_t i = 0; r == 0 && i + 1 < h->extra_links.n; i += 2) {
        _cleanup_free_ char *path =
            xasprintf("%s/%s", dir, h->extra_links.v[i]);
        _cleanup_free_ char *target = xasprintf("!%s", h->extra_links.v[i + 1]);

        unlink(path);
        r = fstree_symlink(dir, h->extra_links.v[i], target, eb);
    }
    return r;
}

int
fakesys_host_write(const struct fakesys_host *h, const char *dir,
                   struct errbuf *eb)
{
    int r = 0;

    if (h->n_parents > 0) { /* the mdev core is loaded */
        r = fstree_mkdir_p(dir, "class/mdev_bus", eb);
        if (r == 0)
            r = fstree_mkdir_p(dir, "bus/mdev/devices", eb);
    }
    for (size_t p = 0; r == 0 && p < h->n_parents; p++)
        r = write_parent(dir, h, p, eb);
    for (size_t p = 0; r == 0 && p < h->n_parents; p++)
        if (h->parents[p].physfn)
            r = write_vf(dir, h, p, eb);
    for (size_t i = 0; r == 0 && i < h->n_mdevs; i++)
        r = fakesys_mdev_write(h, dir, i, eb);
    if (r == 0)
        r = fakevfio_write(h, dir, eb);
    return r < 0 ? r : write_extras(dir, h, eb);
}

int
fakesys_materialize(const char *yaml_path, const char *dir, struct errbuf *eb)
{
    _cleanup_(fakesys_host_freep) struct fakesys_host *h = NULL;
    int r = fakesys_host_load(yaml_path, &h, eb);

    return r < 0 ? r : fakesys_host_write(h, dir, eb);
}

char *
fixture_host(const char *host)
{
    _cleanup_free_ char *rel = xasprintf("hosts/%s.yaml", host);
    _cleanup_free_ char *yaml = fixture_data_path(rel);
    char *dir = fixture_tmpdir();
    struct errbuf eb = { 0 };

    if (fakesys_materialize(yaml, dir, &eb) < 0) {
        fprintf(stderr, "fixture_host(%s): %s\n", host, eb.msg);
        fixture_rm_rf(dir);
        abort(); /* no Criterion here: test/fakesys links this too */
    }
    return dir;
}
