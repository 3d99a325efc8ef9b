/*
 * nvml-load.h - NVIDIA's NVML, when the host has it: what a vGPU type allows
 * on a physical GPU, asked of the library NVIDIA's vGPU manager installs.
 *
 * libnvidia-ml.so.1 is not the agent's dependency: it is dlopen()ed at run
 * time, and a host without it is the normal case, reported as -ENOENT ("not
 * available"), never as a failure; callers then use their own rules.  No
 * NVIDIA header is needed to build: nvml.c declares the few functions it
 * calls with NVML's ABI (nvml.h).  (Not "nvml.h": that is NVIDIA's name.)
 */
#pragma once

#include "cleanup.h"
#include "errbuf.h"

#define NVML_LIBRARY "libnvidia-ml.so.1"
#define NVML_NAME_MAX 64 /* nvml.h's NVML_DEVICE_NAME_BUFFER_SIZE */

struct nvml; /* opaque: a loaded and initialized NVML */

/* Load NVML from path (NULL: NVML_LIBRARY wherever the dynamic linker finds
 * it, LD_LIBRARY_PATH included; tests name a fake) and initialize it
 * (nvmlInit_v2).  Returns 0 with *ret; -ENOENT when the library cannot be
 * loaded (not installed: not available, not an error; eb says why); -ENOSYS
 * when it lacks a function used here; -EIO when nvmlInit_v2 fails (eb holds
 * NVML's message, "Driver Not Loaded" on a host without the driver). */
int nvml_open(const char *path, struct nvml **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
/* nvmlShutdown, then unload; NULL is a no-op. */
void nvml_close(struct nvml *n);
DEFINE_CLEANUP(struct nvml, nvml_close)

struct nvml_vgpu_type {
    unsigned max_instances;         /* vGPUs of the type one GPU can hold */
    char name[NVML_NAME_MAX];       /* "NVIDIA A10-6Q"; "" when unknown */
    unsigned long long framebuffer; /* bytes; 0 when unknown */
    unsigned heads;                 /* display heads; 0 when unknown */
    unsigned res_x, res_y;          /* largest resolution of a head; 0 when
                                     * unknown */
};

/* What NVML says of vGPU type type_id (NVIDIA's global id: 594 for
 * nvidia-594) on the GPU whose physical function is at pci
 * ("0000:41:00.0").  Only max_instances is required of NVML; the rest is
 * zero or "" where it has no answer.  Returns 0 with *ret; -ENODEV when NVML
 * knows no GPU at pci (a VF's address included: NVML sees physical GPUs);
 * -ENOENT when that GPU does not support the type; -EIO on any other NVML
 * error.  eb names the GPU, the type and NVML's message. */
int nvml_get_vgpu_type(struct nvml *n, const char *pci, unsigned type_id,
                       struct nvml_vgpu_type *ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
