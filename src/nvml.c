/*
 * nvml.c - load NVIDIA's NVML at run time and ask it about vGPU types.
 *
 * The ABI is nvml.h's, declared here so that no NVIDIA header is needed:
 * nvmlReturn_t is an int-sized enum (0 success), nvmlDevice_t a pointer to
 * an opaque struct, nvmlVgpuTypeId_t an unsigned int.  Only long-standing
 * calls are used, by their exported names (the _v2 ones nvml.h maps
 * nvmlInit and nvmlDeviceGetHandleByPciBusId to).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "nvml-load.h"
#include "xalloc.h"

/* nvml.h's nvmlReturn_t values that change what we say. */
enum {
    NVML_OK = 0,
    NVML_INVALID_ARGUMENT = 2,
    NVML_NOT_SUPPORTED = 3,
    NVML_NOT_FOUND = 6,
};

struct nvml_device; /* nvmlDevice_t points at one */

struct nvml {
    void *lib;
    int (*init)(void);
    int (*shutdown)(void);
    const char *(*error_string)(int);
    int (*device_by_pci)(const char *, struct nvml_device **);
    int (*max_instances)(struct nvml_device *, unsigned, unsigned *);
    int (*type_name)(unsigned, char *, unsigned *);
    int (*framebuffer)(unsigned, unsigned long long *);
    int (*heads)(unsigned, unsigned *);
    int (*resolution)(unsigned, unsigned, unsigned *, unsigned *);
};

static const struct {
    const char *name;
    size_t offset;
} symbols[] = {
    { "nvmlInit_v2", offsetof(struct nvml, init) },
    { "nvmlShutdown", offsetof(struct nvml, shutdown) },
    { "nvmlErrorString", offsetof(struct nvml, error_string) },
    { "nvmlDeviceGetHandleByPciBusId_v2",
      offsetof(struct nvml, device_by_pci) },
    { "nvmlVgpuTypeGetMaxInstances", offsetof(struct nvml, max_instances) },
    { "nvmlVgpuTypeGetName", offsetof(struct nvml, type_name) },
    { "nvmlVgpuTypeGetFramebufferSize", offsetof(struct nvml, framebuffer) },
    { "nvmlVgpuTypeGetNumDisplayHeads", offsetof(struct nvml, heads) },
    { "nvmlVgpuTypeGetResolution", offsetof(struct nvml, resolution) },
};

static void
unload(struct nvml *n)
{
    if (n->lib)
        dlclose(n->lib);
    free(n);
}

static const char *
message(const struct nvml *n, int status)
{
    const char *s = n->error_string(status);

    return s ? s : "unknown NVML error";
}

int
nvml_open(const char *path, struct nvml **ret, struct errbuf *eb)
{
    const char *file = path ? path : NVML_LIBRARY;
    struct nvml *n = xcalloc(1, sizeof(*n));
    int status;

    n->lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!n->lib) {
        const char *why = dlerror();

        unload(n);
        return errbuf_set(eb, -ENOENT, "NVML not available: %s",
                          why ? why : file);
    }
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
        void *sym = dlsym(n->lib, symbols[i].name);

        if (!sym) {
            unload(n);
            return errbuf_set(eb, -ENOSYS, "%s: no %s", file, symbols[i].name);
        }
        /* POSIX: a dlsym() result converts to a function pointer */
        memcpy((char *)n + symbols[i].offset, &sym, sizeof(sym));
    }
    status = n->init();
    if (status != NVML_OK) {
        errbuf_set(eb, -EIO, "%s: nvmlInit_v2: %s", file, message(n, status));
        unload(n);
        return -EIO;
    }
    *ret = n;
    return 0;
}

void
nvml_close(struct nvml *n)
{
    if (!n)
        return;
    n->shutdown();
    unload(n);
}

/* The facts beyond max instances: best effort, zero when NVML fails. */
static void
get_details(const struct nvml *n, unsigned id, struct nvml_vgpu_type *t)
{
    unsigned size = sizeof(t->name);

    if (n->type_name(id, t->name, &size) != NVML_OK)
        t->name[0] = '\0';
    t->name[sizeof(t->name) - 1] = '\0';
    if (n->framebuffer(id, &t->framebuffer) != NVML_OK)
        t->framebuffer = 0;
    if (n->heads(id, &t->heads) != NVML_OK)
        t->heads = 0;
    if (t->heads == 0 || n->resolution(id, 0, &t->res_x, &t->res_y) != NVML_OK)
        t->res_x = t->res_y = 0;
}

int
nvml_get_vgpu_type(struct nvml *n, const char *pci, unsigned type_id,
                   struct nvml_vgpu_type *ret, struct errbuf *eb)
{
    struct nvml_vgpu_type t = { 0 };
    struct nvml_device *dev = NULL;
    int status = n->device_by_pci(pci, &dev);

    if (status == NVML_NOT_FOUND || status == NVML_INVALID_ARGUMENT)
        return errbuf_set(eb, -ENODEV, "nvml: no GPU at %s: %s", pci,
                          message(n, status));
    if (status != NVML_OK)
        return errbuf_set(eb, -EIO, "nvml: gpu %s: %s", pci,
                          message(n, status));
    status = n->max_instances(dev, type_id, &t.max_instances);
    /* INVALID_ARGUMENT: "vgpuTypeId is invalid or is not supported on
     * target device"; NOT_SUPPORTED: the GPU is not in vGPU mode */
    if (status == NVML_INVALID_ARGUMENT || status == NVML_NOT_SUPPORTED)
        return errbuf_set(eb, -ENOENT, "nvml: gpu %s: type %u: %s", pci,
                          type_id, message(n, status));
    if (status != NVML_OK)
        return errbuf_set(eb, -EIO, "nvml: gpu %s: type %u: %s", pci, type_id,
                          message(n, status));
    get_details(n, type_id, &t);
    *ret = t;
    return 0;
}
