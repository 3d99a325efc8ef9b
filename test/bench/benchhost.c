/*
 * benchhost.c - the synthetic host description and configuration of
 * `make bench` (see benchhost.h).
 *
 * GPU i sits alone behind a root port: domain i / 64, root bus (i % 64) * 4,
 * the GPU on the next bus, so 256 GPUs get 256 distinct, valid addresses.
 * The first GPU carries the type list under a YAML anchor, the others alias
 * it, as a real description of identical boards would.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchhost.h"
#include "testsecrets.h"

#define BENCHHOST_MAX 1024

/* Four of the M60's types, as the driver describes them (m60.yaml). */
static const char *const types[][3] = {
    { "nvidia-11", "GRID M60-0B",
      "num_heads=2, frl_config=45, framebuffer=512M, "
      "max_resolution=2560x1600, max_instance=16" },
    { "nvidia-13", "GRID M60-1A",
      "num_heads=1, frl_config=60, framebuffer=1024M, "
      "max_resolution=1280x1024, max_instance=8" },
    { "nvidia-18", "GRID M60-2Q",
      "num_heads=4, frl_config=60, framebuffer=2048M, "
      "max_resolution=5120x2880, max_instance=4" },
    { "nvidia-22", "GRID M60-8Q",
      "num_heads=4, frl_config=60, framebuffer=8192M, "
      "max_resolution=5120x2880, max_instance=1" },
};

static void
write_gpu(FILE *f, unsigned i)
{
    unsigned dom = i / 64, bus = (i % 64) * 4;

    fprintf(f,
            "  - name: \"%04x:%02x:00.0\"\n"
            "    path: devices/pci%04x:%02x/%04x:%02x:00.0/%04x:%02x:00.0\n"
            "    driver: nvidia\n"
            "    class: \"0x030000\"\n"
            "    vendor: \"0x10de\"\n"
            "    device: \"0x13f2\"\n"
            "    capacity: homogeneous\n",
            dom, bus + 1, dom, bus, dom, bus, dom, bus + 1);
    if (i > 0) {
        fputs("    types: *gpu\n", f);
        return;
    }
    fputs("    types: &gpu\n", f);
    for (size_t t = 0; t < sizeof(types) / sizeof(*types); t++)
        fprintf(f,
                "      - id: %s\n"
                "        name: %s\n"
                "        description: %s\n"
                "        device_api: vfio-pci\n",
                types[t][0], types[t][1], types[t][2]);
}

static int
close_checked(FILE *f)
{
    bool ok = !ferror(f);

    ok = fclose(f) == 0 && ok;
    return ok ? 0 : -EIO;
}

int
benchhost_write_yaml(const char *path, unsigned n)
{
    FILE *f;

    if (n == 0 || n > BENCHHOST_MAX)
        return -EINVAL;
    f = fopen(path, "we");
    if (!f)
        return -errno;
    fprintf(f,
            "description: make bench, %u time-sliced M60-class GPUs, "
            "no vGPU yet\nparents:\n",
            n);
    for (unsigned i = 0; i < n; i++)
        write_gpu(f, i);
    return close_checked(f);
}

int
benchhost_write_conf(const char *path, const char *url)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f;

    if (fd < 0)
        return -errno;
    f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -EIO;
    }
    fprintf(f,
            "node_name: %s\n"
            "enabled_mdev_types: [%s]\n"
            "interval_s: 1\n"
            "lock_file: %s.lock\n"  /* beside the config: never /run */
            "state_dir: %s.state\n" /* nor /var/lib */
            "reconcile: {enabled: false}\n"
            "placement:\n"
            "  endpoint: %s\n"
            "  token: %s\n",
            BENCHHOST_NODE, BENCHHOST_TYPE, path, path, url, TEST_TOKEN);
    return close_checked(f);
}

int
benchhost_sizes(const char *list, unsigned *ret, size_t max)
{
    const char *v = list && *list ? list : "1 16 64 256";
    size_t n = 0;
    char *end;

    v += strspn(v, " ,");
    while (*v) {
        unsigned long g = strtoul(v, &end, 10);

        if (end == v || g < 1 || g > BENCHHOST_MAX || n == max)
            return -EINVAL;
        ret[n++] = (unsigned)g;
        v = end + strspn(end, " ,");
    }
    return n > 0 ? (int)n : -EINVAL;
}
