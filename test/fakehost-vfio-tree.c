/*
 * fakehost-vfio-tree.c - vendor-specific VFIO GPUs laid out as sysfs has
 * them, and what the live fake kernel does when their files are written.
 *
 * A physical function: the usual PCI files and links, sriov_numvfs,
 * sriov_totalvfs, virtfnN, iommu_group, and no nvidia/ directory.  Each VF:
 * the PF's vendor:device, physfn, iommu_group (kernel/iommu_groups/N),
 * vfio-dev/vfioN (class/vfio-dev/vfioN), driver nvidia, and nvidia/ with
 * creatable_vgpu_types and current_vgpu_type (plus gpu_instance_id,
 * placement_id, vgpu_params, warm_update on new drivers).  No class/mdev_bus.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakehost.h"
#include "fakevfio.h"
#include "fstree.h"
#include "xalloc.h"

/* The major of the vfio-dev character devices: dynamic on a real host. */
#define FAKEVFIO_MAJOR 511

static const char *const new_files[] = { "creatable_vgpu_types",
                                         "current_vgpu_type",
                                         "gpu_instance_id",
                                         "placement_id",
                                         "vgpu_params",
                                         "warm_update",
                                         NULL };

static size_t
n_files(const struct fakevfio_gpu *g)
{
    return g->new_files ? 6 : 2;
}

/* class, vendor, device, the bus and driver links, the IOMMU group. */
static int
write_pci(const char *dir, const struct fakevfio_gpu *g, const char *name,
          const char *path, unsigned group, struct errbuf *eb)
{
    const char *attr[] = { "class",   g->pci_class, "vendor",
                           g->vendor, "device",     g->device };
    _cleanup_free_ char *bus = xasprintf("bus/pci/devices/%s", name);
    _cleanup_free_ char *sub = xasprintf("%s/subsystem", path);
    _cleanup_free_ char *drv = xasprintf("bus/pci/drivers/%s", g->driver);
    _cleanup_free_ char *drv_dev = xasprintf("%s/%s", drv, name);
    _cleanup_free_ char *drv_link = xasprintf("%s/driver", path);
    _cleanup_free_ char *grp = xasprintf("kernel/iommu_groups/%u", group);
    _cleanup_free_ char *grp_dev = xasprintf("%s/devices/%s", grp, name);
    _cleanup_free_ char *grp_link = xasprintf("%s/iommu_group", path);
    int r = fstree_mkdir_p(dir, path, eb);

    for (size_t i = 0; r == 0 && i < 6; i += 2) {
        _cleanup_free_ char *rel = xasprintf("%s/%s", path, attr[i]);

        if (attr[i + 1])
            r = fakehost_write_attr(dir, rel, attr[i + 1], 0444, eb);
    }
    if (r == 0)
        r = fakehost_write_link(dir, bus, path, eb);
    if (r == 0)
        r = fakehost_write_link(dir, sub, "bus/pci", eb);
    if (r == 0)
        r = fakehost_write_link(dir, drv_dev, path, eb);
    if (r == 0)
        r = fakehost_write_link(dir, drv_link, drv, eb);
    if (r == 0)
        r = fakehost_write_link(dir, grp_dev, path, eb);
    return r < 0 ? r : fakehost_write_link(dir, grp_link, grp, eb);
}

/* The nvidia/ files of one VF, as the model says they read now. */
static int
write_nvidia(const char *dir, const struct fakevfio_gpu *g, size_t vf,
             struct errbuf *eb)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < n_files(g); i++) {
        _cleanup_free_ char *rel =
            xasprintf("%s/nvidia/%s", g->vfs[vf].path, new_files[i]);
        _cleanup_free_ char *text = fakevfio_attr_text(g, vf, new_files[i]);

        /* A file cannot fail its read: "" stands for ENXIO here; the live
         * tree fails the read itself (fakevfio_live_read_errno). */
        r = fakehost_write_attr(dir, rel, text ? text : "", i ? 0644 : 0444,
                                eb);
    }
    return r;
}

static int
write_vf(const char *dir, const struct fakevfio_gpu *g, size_t vf,
         struct errbuf *eb)
{
    const struct fakevfio_vf *v = &g->vfs[vf];
    _cleanup_free_ char *phys = xasprintf("%s/physfn", v->path);
    _cleanup_free_ char *virt = xasprintf("%s/virtfn%zu", g->path, vf);
    _cleanup_free_ char *vfio =
        xasprintf("%s/vfio-dev/vfio%u", v->path, v->vfio);
    _cleanup_free_ char *devno = xasprintf("%s/dev", vfio);
    _cleanup_free_ char *major = xasprintf("%d:%u", FAKEVFIO_MAJOR, v->vfio);
    _cleanup_free_ char *cls = xasprintf("class/vfio-dev/vfio%u", v->vfio);
    int r = write_pci(dir, g, v->name, v->path, v->iommu_group, eb);

    if (r == 0)
        r = fakehost_write_link(dir, phys, g->path, eb);
    if (r == 0)
        r = fakehost_write_link(dir, virt, v->path, eb);
    if (r == 0)
        r = fakehost_write_attr(dir, devno, major, 0444, eb);
    if (r == 0)
        r = fakehost_write_link(dir, cls, vfio, eb);
    return r < 0 ? r : write_nvidia(dir, g, vf, eb);
}

static int
write_gpu(const char *dir, const struct fakevfio_gpu *g, struct errbuf *eb)
{
    _cleanup_free_ char *num = xasprintf("%s/sriov_numvfs", g->path);
    _cleanup_free_ char *total = xasprintf("%s/sriov_totalvfs", g->path);
    _cleanup_free_ char *n = xasprintf("%zu", g->n_vfs);
    _cleanup_free_ char *t = xasprintf("%u", g->total_vfs);
    int r = write_pci(dir, g, g->name, g->path, g->iommu_group, eb);

    if (r == 0)
        r = fakehost_write_attr(dir, num, n, 0644, eb);
    if (r == 0)
        r = fakehost_write_attr(dir, total, t, 0444, eb);
    for (size_t i = 0; r == 0 && i < g->n_vfs; i++)
        r = write_vf(dir, g, i, eb);
    return r;
}

int
fakevfio_write(const struct fakesys_host *h, const char *dir, struct errbuf *eb)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < h->n_gpus; i++)
        r = write_gpu(dir, &h->gpus[i], eb);
    return r;
}

int
fakevfio_refresh(const struct fakesys_host *h, const char *dir, size_t gpu,
                 struct errbuf *eb)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < h->gpus[gpu].n_vfs; i++)
        r = write_nvidia(dir, &h->gpus[gpu], i, eb);
    return r;
}

/* The VF and attribute of a FUSE path "/<VF path>/nvidia/<attr>". */
static bool
find_attr(const struct fakesys_host *h, const char *path, size_t *ret_gpu,
          size_t *ret_vf, const char **ret_attr)
{
    for (size_t i = 0; i < h->n_gpus; i++)
        for (size_t k = 0; k < h->gpus[i].n_vfs; k++) {
            const char *p = h->gpus[i].vfs[k].path;
            size_t n = strlen(p);

            if (path[0] != '/' || strncmp(path + 1, p, n) != 0 ||
                strncmp(path + 1 + n, "/nvidia/", 8) != 0)
                continue;
            for (size_t f = 0; f < n_files(&h->gpus[i]); f++)
                if (strcmp(path + 1 + n + 8, new_files[f]) == 0) {
                    *ret_gpu = i, *ret_vf = k, *ret_attr = new_files[f];
                    return true;
                }
        }
    return false;
}

/* "hold VF", "release VF", "reboot"; a trailing newline is fine. */
static int
control(struct fakesys_host *h, const char *dir, const char *buf, size_t size)
{
    _cleanup_free_ char *cmd = xstrndup(buf, size);
    char *arg = strchr(cmd, ' ');
    struct errbuf eb = { 0 };
    size_t g, vf;

    cmd[strcspn(cmd, "\n")] = '\0';
    if (arg)
        *arg++ = '\0';
    if (strcmp(cmd, "reboot") == 0 && !arg) {
        fakevfio_reboot(h);
        for (size_t i = 0; i < h->n_gpus; i++)
            if (fakevfio_refresh(h, dir, i, &eb) < 0)
                return -EIO;
        return 0;
    }
    if (!arg || (strcmp(cmd, "hold") != 0 && strcmp(cmd, "release") != 0))
        return -EINVAL;
    if (!fakevfio_find_vf(h, arg, &g, &vf))
        return -ENOENT;
    if (strcmp(cmd, "hold") == 0 && h->gpus[g].vfs[vf].type == 0)
        return -ENODEV; /* opening a VF with no vGPU fails so */
    h->gpus[g].vfs[vf].held = strcmp(cmd, "hold") == 0;
    return 0;
}

bool
fakevfio_live_write(struct fakesys_host *h, const char *dir, const char *path,
                    const char *buf, size_t size, int *ret)
{
    struct errbuf eb = { 0 };
    const char *attr;
    size_t g, vf;
    int r;

    if (strcmp(path, "/" FAKEVFIO_CONTROL) == 0) {
        r = control(h, dir, buf, size);
        *ret = r < 0 ? r : (int)size;
        return true;
    }
    if (!find_attr(h, path, &g, &vf, &attr))
        return false;
    if (strcmp(attr, "current_vgpu_type") != 0) {
        /* gpu_instance_id and the like: not modelled beyond ENXIO */
        *ret = h->gpus[g].vfs[vf].type ? -EPERM : -ENXIO;
        return true;
    }
    r = fakevfio_store_type(&h->gpus[g], vf, buf, size);
    if (r == 0 && fakevfio_refresh(h, dir, g, &eb) < 0) {
        fprintf(stderr, "fakesys: %s\n", eb.msg);
        r = -EIO;
    }
    *ret = r < 0 ? r : (int)size;
    return true;
}

int
fakevfio_live_read_errno(const struct fakesys_host *h, const char *path)
{
    const char *attr;
    size_t g, vf;
    char *text;

    if (!find_attr(h, path, &g, &vf, &attr))
        return 0;
    text = fakevfio_attr_text(&h->gpus[g], vf, attr);
    free(text);
    return text ? 0 : -ENXIO;
}

int
fakesys_live_control(const char *root, const char *cmd, struct errbuf *eb)
{
    _cleanup_free_ char *path = xasprintf("%s/" FAKEVFIO_CONTROL, root);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
    n = write(fd, cmd, strlen(cmd));
    if (n < 0)
        return errbuf_set(eb, -errno, "%s: '%s': %s", path, cmd,
                          strerror(errno));
    return 0;
}
