/*
 * fuzz-mdev.c - the sysfs tree reader (mdev_scan) on fuzzed file contents
 * and names.
 *
 * The input is split at NUL bytes into fields (missing ones take a sample
 * value): the parent's name, a type id, available_instances, device_api,
 * the type's name, its description, the parent's PCI class, its driver
 * name and an mdev's UUID.  Each run writes one parent with one type and one
 * mdev, kernel-shaped, into a fresh directory and scans it.  A name that
 * no file system can hold ("", ".", "..", "a/b") takes the sample value; the
 * kernel's own names could not be those either.  The validation of what
 * sysfs hands us (UTF-8, control characters, lengths, numbers, links) is
 * what is fuzzed: the scan must succeed, keep only checked text, and turn
 * everything else into warnings.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errbuf.h"
#include "fuzz.h"
#include "mdev.h"
#include "sysfs.h"
#include "xalloc.h"

enum field {
    F_PARENT,
    F_TYPE,
    F_AVAILABLE,
    F_DEVICE_API,
    F_NAME,
    F_DESCRIPTION,
    F_CLASS,
    F_DRIVER,
    F_UUID,
    F_N,
};

static const char *const samples[F_N] = {
    "0000:84:00.0",
    "nvidia-35",
    "16\n",
    "vfio-pci\n",
    "GRID M60-0B\n",
    "num_heads=2, frl_config=45, framebuffer=512M\n",
    "0x030000\n",
    "nvidia",
    "7d1d9bd4-8a1f-4d2c-9b3e-0f6a5c4d3e2b",
};

static char *top; /* the temporary directory, made once */

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(path) < 0 ? -1 : 0;
}

static void
remove_top(void)
{
    if (top)
        nftw(top, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool
name_ok(const char *s)
{
    return s[0] && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
           !strchr(s, '/') && strlen(s) < 200;
}

/* Any failure here is the harness's, not the scan's: stop loudly. */
static void
must(int r, const char *what, const char *path)
{
    if (r < 0) {
        fprintf(stderr, "fuzz-mdev: %s %s: %s\n", what, path, strerror(errno));
        abort();
    }
}

static void
put(const char *root, const char *dir, const char *attr, const char *content)
{
    _cleanup_free_ char *path = xasprintf("%s/%s/%s", root, dir, attr);
    _cleanup_close_ int fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(content);

    must(fd, "create", path);
    must(write(fd, content, len) == (ssize_t)len ? 0 : -1, "write", path);
}

static void
mkdirs(const char *root, const char *const *rels, size_t n)
{
    must(mkdir(root, 0755), "mkdir", root);
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *path = xasprintf("%s/%s", root, rels[i]);

        must(mkdir(path, 0755), "mkdir", path);
    }
}

static void
link_to(const char *root, const char *rel, const char *target)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);

    must(symlink(target, path), "symlink", path);
}

/* The kernel's shape: devices/pci0000:00/P with its type T and mdev U, and
 * the links class/mdev_bus/P, bus/mdev/devices/U, P/driver, U/mdev_type. */
static void
build(const char *root, char *const f[F_N])
{
    const char *p = f[F_PARENT], *t = f[F_TYPE], *u = f[F_UUID];
    _cleanup_free_ char *dev = xasprintf("devices/pci0000:00/%s", p);
    _cleanup_free_ char *types = xasprintf("%s/mdev_supported_types", dev);
    _cleanup_free_ char *type = xasprintf("%s/%s", types, t);
    _cleanup_free_ char *mdev = xasprintf("%s/%s", dev, u);
    _cleanup_free_ char *drv = xasprintf("bus/pci/drivers/%s", f[F_DRIVER]);
    _cleanup_free_ char *bus_link = xasprintf("class/mdev_bus/%s", p);
    _cleanup_free_ char *bus_target =
        xasprintf("../../devices/pci0000:00/%s", p);
    _cleanup_free_ char *mdev_link = xasprintf("bus/mdev/devices/%s", u);
    _cleanup_free_ char *mdev_target =
        xasprintf("../../../devices/pci0000:00/%s/%s", p, u);
    _cleanup_free_ char *drv_link = xasprintf("%s/driver", dev);
    _cleanup_free_ char *drv_target =
        xasprintf("../../../bus/pci/drivers/%s", f[F_DRIVER]);
    _cleanup_free_ char *type_link = xasprintf("%s/mdev_type", mdev);
    _cleanup_free_ char *type_target =
        xasprintf("../mdev_supported_types/%s", t);
    const char *const dirs[] = { "devices",
                                 "devices/pci0000:00",
                                 dev,
                                 types,
                                 type,
                                 mdev,
                                 "bus",
                                 "bus/pci",
                                 "bus/pci/drivers",
                                 drv,
                                 "bus/mdev",
                                 "bus/mdev/devices",
                                 "class",
                                 "class/mdev_bus" };

    mkdirs(root, dirs, sizeof(dirs) / sizeof(dirs[0]));
    put(root, type, "available_instances", f[F_AVAILABLE]);
    put(root, type, "device_api", f[F_DEVICE_API]);
    put(root, type, "name", f[F_NAME]);
    put(root, type, "description", f[F_DESCRIPTION]);
    put(root, dev, "class", f[F_CLASS]);
    link_to(root, bus_link, bus_target);
    link_to(root, mdev_link, mdev_target);
    link_to(root, drv_link, drv_target);
    link_to(root, type_link, type_target);
}

/* Split data at NULs into f (each the caller's to free); names that cannot
 * be file names and missing fields take the sample value. */
static void
split(const uint8_t *data, size_t size, char *f[F_N])
{
    size_t at = 0;

    for (size_t i = 0; i < F_N; i++) {
        const char *s = (const char *)data + at;
        size_t len = at < size ? strnlen(s, size - at) : 0;
        bool is_name =
            i == F_PARENT || i == F_TYPE || i == F_DRIVER || i == F_UUID;

        f[i] = at < size ? xstrndup(s, len) : xstrdup(samples[i]);
        at += len + 1;
        if (is_name && !name_ok(f[i])) {
            free(f[i]);
            f[i] = xstrdup(samples[i]);
        }
    }
    if (strcmp(f[F_UUID], "mdev_supported_types") == 0 ||
        strcmp(f[F_UUID], "class") == 0 || strcmp(f[F_UUID], "driver") == 0) {
        free(f[F_UUID]); /* the mdev shares the parent's directory */
        f[F_UUID] = xstrdup(samples[F_UUID]);
    }
}

/* What the scan kept is checked text; everything else is a warning. */
static void
check(const struct mdev_host *h)
{
    if (h->n_parents > 1 || h->n_mdevs > 1 || !h->has_mdev_info)
        abort();
    for (size_t i = 0; i < h->warnings.n; i++)
        if (h->warnings.v[i][0] == '\0')
            abort();
    for (size_t i = 0; i < h->n_parents; i++) {
        const struct mdev_parent *p = &h->parents[i];

        if (!p->name || !p->path || p->pci_class > 0xffffff)
            abort();
        for (size_t j = 0; j < p->n_types; j++)
            if (!p->types[j].id || !p->types[j].name ||
                !p->types[j].device_api || strchr(p->types[j].device_api, '\n'))
                abort();
    }
    for (size_t i = 0; i < h->n_mdevs; i++)
        if (strlen(h->mdevs[i].uuid) != 36 || !h->mdevs[i].parent ||
            !h->mdevs[i].type_id)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_free_ char *root = NULL;
    struct sysfs *fs = NULL;
    struct mdev_host *h = NULL;
    struct errbuf eb = { 0 };
    char *f[F_N];

    if (!top) {
        const char *tmp = getenv("TMPDIR");

        top = xasprintf("%s/fuzz-mdev.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        must(mkdtemp(top) ? 0 : -1, "mkdtemp", top);
        atexit(remove_top);
    }
    root = xasprintf("%s/sys", top);
    split(data, size, f);
    build(root, f);
    if (sysfs_open(root, &fs, &eb) < 0 || mdev_scan(fs, &h, &eb) < 0) {
        fprintf(stderr, "fuzz-mdev: %s\n", eb.msg);
        abort(); /* the root is there: the scan cannot fail as a whole */
    }
    check(h);
    mdev_host_free(h);
    sysfs_close(fs);
    nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < F_N; i++)
        free(f[i]);
    return 0;
}
