/*
 * fakenvml.c - a fake libnvidia-ml.so.1 for the tests: what NVIDIA's NVML
 * answers on the physical GPUs of a sample host (data/hosts/, vfio_gpus:).
 *
 *   VGPU_FAKENVML_HOST=.../data/hosts/a10-vfio.yaml   the host; unset,
 *       nvmlInit_v2() fails as it does with no NVIDIA driver loaded
 *   VGPU_FAKENVML_SYSFS=ROOT   optional: a live fake kernel (test/fakesys
 *       mount) whose VFs' current_vgpu_type NVML then reports from, as the
 *       real one reports the driver's state
 *
 * Signatures, constants and the calling conventions (nvmlInit_v2 reference
 * counted, the count-then-fill arrays with NVML_ERROR_INSUFFICIENT_SIZE) are
 * those of NVIDIA's public nvml.h; only the calls the agent makes exist.
 * Handles exist for physical functions only, as on a real vGPU host.  Built
 * by `make check` only, with hidden visibility except for the NVML API.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakevfio.h"
#include "fixture.h"
#include "parse.h"
#include "pciaddr.h"
#include "xalloc.h"

#define NVML_API __attribute__((visibility("default")))

/* From nvml.h. */
typedef enum nvmlReturn_enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_ALREADY_INITIALIZED = 5,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_UNKNOWN = 999
} nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef unsigned int nvmlVgpuTypeId_t;

NVML_API nvmlReturn_t nvmlInit_v2(void);
NVML_API nvmlReturn_t nvmlShutdown(void);
NVML_API const char *nvmlErrorString(nvmlReturn_t result);
NVML_API nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *pciBusId,
                                                       nvmlDevice_t *device);
NVML_API nvmlReturn_t
nvmlDeviceGetSupportedVgpus(nvmlDevice_t device, unsigned int *vgpuCount,
                            nvmlVgpuTypeId_t *vgpuTypeIds);
NVML_API nvmlReturn_t
nvmlDeviceGetCreatableVgpus(nvmlDevice_t device, unsigned int *vgpuCount,
                            nvmlVgpuTypeId_t *vgpuTypeIds);
NVML_API nvmlReturn_t
nvmlVgpuTypeGetMaxInstances(nvmlDevice_t device, nvmlVgpuTypeId_t vgpuTypeId,
                            unsigned int *vgpuInstanceCount);
NVML_API nvmlReturn_t nvmlVgpuTypeGetName(nvmlVgpuTypeId_t vgpuTypeId,
                                          char *vgpuTypeName,
                                          unsigned int *size);
NVML_API nvmlReturn_t nvmlVgpuTypeGetFramebufferSize(
    nvmlVgpuTypeId_t vgpuTypeId, unsigned long long *fbSize);
NVML_API nvmlReturn_t nvmlVgpuTypeGetNumDisplayHeads(
    nvmlVgpuTypeId_t vgpuTypeId, unsigned int *numDisplayHeads);
NVML_API nvmlReturn_t nvmlVgpuTypeGetResolution(nvmlVgpuTypeId_t vgpuTypeId,
                                                unsigned int displayIndex,
                                                unsigned int *xdim,
                                                unsigned int *ydim);

/* nvmlDevice_t points at one of these: a GPU of the host. */
struct nvmlDevice_st {
    size_t gpu;
};

static struct {
    unsigned refs; /* nvmlInit_v2 minus nvmlShutdown calls */
    struct fakesys_host *host;
    struct nvmlDevice_st *devices; /* one per host->gpus[] */
} nvml;

NVML_API nvmlReturn_t
nvmlInit_v2(void)
{
    const char *yaml = getenv("VGPU_FAKENVML_HOST");
    struct errbuf eb = { 0 };

    if (nvml.refs > 0) {
        nvml.refs++;
        return NVML_SUCCESS;
    }
    if (!yaml)
        return NVML_ERROR_DRIVER_NOT_LOADED;
    if (fakesys_host_load(yaml, &nvml.host, &eb) < 0) {
        fprintf(stderr, "fakenvml: %s\n", eb.msg);
        return NVML_ERROR_UNKNOWN;
    }
    nvml.devices = xcalloc(nvml.host->n_gpus + 1, sizeof(*nvml.devices));
    for (size_t i = 0; i < nvml.host->n_gpus; i++)
        nvml.devices[i].gpu = i;
    nvml.refs = 1;
    return NVML_SUCCESS;
}

NVML_API nvmlReturn_t
nvmlShutdown(void)
{
    if (nvml.refs == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (--nvml.refs > 0)
        return NVML_SUCCESS;
    fakesys_host_free(nvml.host);
    free(nvml.devices);
    nvml.host = NULL, nvml.devices = NULL;
    return NVML_SUCCESS;
}

NVML_API const char *
nvmlErrorString(nvmlReturn_t result)
{
    switch (result) {
    case NVML_SUCCESS:
        return "Success";
    case NVML_ERROR_UNINITIALIZED:
        return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT:
        return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED:
        return "Not Supported";
    case NVML_ERROR_NO_PERMISSION:
        return "Insufficient Permissions";
    case NVML_ERROR_ALREADY_INITIALIZED:
        return "Already Initialized";
    case NVML_ERROR_NOT_FOUND:
        return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE:
        return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED:
        return "Driver Not Loaded";
    case NVML_ERROR_UNKNOWN:
        break;
    }
    return "Unknown Error";
}

/* "%x:%x:%x.%x", "%x:%x:%x" (function 0) or "%x:%x.%x" (domain 0), as
 * nvml.h says nvmlDeviceGetHandleByPciBusId_v2 takes them. */
static bool
parse_bus_id(const char *s, struct pci_addr *ret)
{
    unsigned d, b, sl, f;
    char end;

    if (sscanf(s, "%x:%x:%x.%x%c", &d, &b, &sl, &f, &end) == 4)
        *ret = (struct pci_addr){ d, b, sl, f };
    else if (sscanf(s, "%x:%x:%x%c", &d, &b, &sl, &end) == 3)
        *ret = (struct pci_addr){ d, b, sl, 0 };
    else if (sscanf(s, "%x:%x.%x%c", &b, &sl, &f, &end) == 3)
        *ret = (struct pci_addr){ 0, b, sl, f };
    else
        return false;
    return true;
}

NVML_API nvmlReturn_t
nvmlDeviceGetHandleByPciBusId_v2(const char *pciBusId, nvmlDevice_t *device)
{
    struct pci_addr want, a;

    if (nvml.refs == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!pciBusId || !device || !parse_bus_id(pciBusId, &want))
        return NVML_ERROR_INVALID_ARGUMENT;
    for (size_t i = 0; i < nvml.host->n_gpus; i++)
        if (pci_addr_parse(nvml.host->gpus[i].name, &a) == 0 &&
            pci_addr_cmp(&a, &want) == 0) {
            *device = &nvml.devices[i];
            return NVML_SUCCESS;
        }
    return NVML_ERROR_NOT_FOUND;
}

/* The GPU behind a handle, or NULL when it is none of ours. */
static struct fakevfio_gpu *
gpu_of(nvmlDevice_t device)
{
    if (nvml.refs == 0 || !device || device < nvml.devices ||
        device >= nvml.devices + nvml.host->n_gpus)
        return NULL;
    return &nvml.host->gpus[device->gpu];
}

/* <root>/<VF>/nvidia/<attr> as a number; 0 when unreadable. */
static unsigned
read_attr(const char *root, const struct fakevfio_vf *v, const char *attr)
{
    char buf[32] = "", path[PATH_MAX];
    unsigned long n = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s/nvidia/%s", root, v->path, attr);
    f = fopen(path, "re");
    if (f && fgets(buf, sizeof(buf), f))
        buf[strcspn(buf, "\n")] = '\0';
    if (f)
        fclose(f);
    return parse_uint(buf, UINT_MAX, &n) == 0 ? (unsigned)n : 0;
}

/* The driver's state from a live fake kernel, when there is one. */
static void
read_live_state(struct fakevfio_gpu *g)
{
    const char *root = getenv("VGPU_FAKENVML_SYSFS");

    for (size_t i = 0; root && i < g->n_vfs; i++) {
        struct fakevfio_vf *v = &g->vfs[i];
        const struct fakevfio_type *t =
            fakevfio_find_type(g, read_attr(root, v, "current_vgpu_type"));
        unsigned gi = t && t->mig ? read_attr(root, v, "gpu_instance_id") : 0;

        v->type = t ? t->id : 0;
        v->gi = -1;
        for (size_t k = 0; t && t->mig && k < g->n_gis; k++)
            if (g->gis[k].id == gi)
                v->gi = (long)k;
    }
}

/* NVML's count-then-fill convention for type id lists. */
static nvmlReturn_t
list_types(nvmlDevice_t device, bool creatable, unsigned int *count,
           nvmlVgpuTypeId_t *ids)
{
    struct fakevfio_gpu *g = gpu_of(device);
    unsigned n = 0;

    if (nvml.refs == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!g || !count)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (creatable)
        read_live_state(g);
    for (size_t i = 0; i < g->n_types; i++)
        if (!creatable || fakevfio_gpu_creatable(g, &g->types[i])) {
            if (n < *count && ids)
                ids[n] = g->types[i].id;
            n++;
        }
    if (n > *count || (n > 0 && !ids)) {
        *count = n;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    *count = n;
    return NVML_SUCCESS;
}

NVML_API nvmlReturn_t
nvmlDeviceGetSupportedVgpus(nvmlDevice_t device, unsigned int *vgpuCount,
                            nvmlVgpuTypeId_t *vgpuTypeIds)
{
    return list_types(device, false, vgpuCount, vgpuTypeIds);
}

NVML_API nvmlReturn_t
nvmlDeviceGetCreatableVgpus(nvmlDevice_t device, unsigned int *vgpuCount,
                            nvmlVgpuTypeId_t *vgpuTypeIds)
{
    return list_types(device, true, vgpuCount, vgpuTypeIds);
}

NVML_API nvmlReturn_t
nvmlVgpuTypeGetMaxInstances(nvmlDevice_t device, nvmlVgpuTypeId_t vgpuTypeId,
                            unsigned int *vgpuInstanceCount)
{
    struct fakevfio_gpu *g = gpu_of(device);
    const struct fakevfio_type *t = g ? fakevfio_find_type(g, vgpuTypeId) : 0;

    if (nvml.refs == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!t || !vgpuInstanceCount) /* also a type this GPU does not support */
        return NVML_ERROR_INVALID_ARGUMENT;
    *vgpuInstanceCount = t->max;
    return NVML_SUCCESS;
}

/* Type ids are global: any GPU of the host that knows the id. */
static const struct fakevfio_type *
find_type(nvmlVgpuTypeId_t id)
{
    const struct fakevfio_type *t = NULL;

    for (size_t i = 0; nvml.refs > 0 && !t && i < nvml.host->n_gpus; i++)
        t = fakevfio_find_type(&nvml.host->gpus[i], id);
    return t;
}

NVML_API nvmlReturn_t
nvmlVgpuTypeGetName(nvmlVgpuTypeId_t vgpuTypeId, char *vgpuTypeName,
                    unsigned int *size)
{
    const struct fakevfio_type *t = find_type(vgpuTypeId);

    if (nvml.refs == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!t || !vgpuTypeName || !size)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (*size < strlen(t->name) + 1) {
        *size = (unsigned)strlen(t->name) + 1;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    memcpy(vgpuTypeName, t->name, strlen(t->name) + 1);
    return NVML_SUCCESS;
}

NVML_API nvmlReturn_t
nvmlVgpuTypeGetFramebufferSize(nvmlVgpuTypeId_t vgpuTypeId,
                               unsigned long long *fbSize)
{
    const struct fakevfio_type *t = find_type(vgpuTypeId);

    if (nvml.refs == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!t || !fbSize)
        return NVML_ERROR_INVALID_ARGUMENT;
    *fbSize = (unsigned long long)t->framebuffer << 20;
    return NVML_SUCCESS;
}

NVML_API nvmlReturn_t
nvmlVgpuTypeGetNumDisplayHeads(nvmlVgpuTypeId_t vgpuTypeId,
                               unsigned int *numDisplayHeads)
{
    const struct fakevfio_type *t = find_type(vgpuTypeId);

    if (nvml.refs == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!t || !numDisplayHeads)
        return NVML_ERROR_INVALID_ARGUMENT;
    *numDisplayHeads = t->heads;
    return NVML_SUCCESS;
}

NVML_API nvmlReturn_t
nvmlVgpuTypeGetResolution(nvmlVgpuTypeId_t vgpuTypeId,
                          unsigned int displayIndex, unsigned int *xdim,
                          unsigned int *ydim)
{
    const struct fakevfio_type *t = find_type(vgpuTypeId);

    if (nvml.refs == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!t || !xdim || !ydim || displayIndex >= t->heads)
        return NVML_ERROR_INVALID_ARGUMENT;
    *xdim = t->res_x, *ydim = t->res_y;
    return NVML_SUCCESS;
}
