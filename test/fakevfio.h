/*
 * fakevfio.h - NVIDIA's vendor-specific VFIO mode (vGPU 17+) in the fake
 * kernel: GPUs whose SR-IOV virtual functions carry one vGPU each, typed
 * through <VF>/nvidia/current_vgpu_type, with no mdev anywhere.
 *
 * The rules are the driver's, as NVIDIA's vGPU VFIO driver and RM's
 * kernel_vgpu_mgr.c (kvgpumgrGetCreatableVgpuTypes, CreateRequestVgpu)
 * apply them: a VF that carries a vGPU lists nothing; on an empty GPU a free VF
 * lists every time-sliced type; after the first vGPU only the types of the
 * same framebuffer size stay listed, and only while the GPU holds fewer vGPUs
 * than the type's max instances.  With MIG mode on only MIG-backed types are
 * listed, those of the GPU instances no vGPU uses yet.  The same model
 * answers for the materialized tree, the live FUSE tree (test/fakesys) and
 * the fake NVML (test/fakenvml.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"
#include "fixture.h"
#include "pciaddr.h"

/* The live tree's control file, at the root, hidden from readdir: tests
 * write "hold VF", "release VF" or "reboot" to it (fakesys_live_control). */
#define FAKEVFIO_CONTROL ".fakesys-control"

struct fakevfio_type {
    unsigned id;           /* NVIDIA's global vGPU type id: 594 */
    char *name;            /* "NVIDIA A10-6Q" */
    unsigned framebuffer;  /* MiB */
    unsigned max;          /* max instances per GPU */
    unsigned heads;        /* display heads (NVML) */
    unsigned res_x, res_y; /* maximum resolution of a head (NVML) */
    bool mig;              /* MIG-backed: needs a free GPU instance */
};

struct fakevfio_gi {    /* a MIG GPU instance */
    unsigned id;        /* what gpu_instance_id reads (RM's swizzId) */
    unsigned placement; /* what placement_id reads */
    unsigned *types;    /* the MIG-backed type ids it can back */
    size_t n_types;
};

struct fakevfio_vf {
    char name[PCI_ADDR_STR_MAX]; /* "0000:41:00.4" */
    char *path;                  /* "devices/.../0000:41:00.4" */
    unsigned iommu_group, vfio;  /* kernel/iommu_groups/N, vfio-dev/vfioN */
    unsigned type;               /* current_vgpu_type; 0: no vGPU */
    long gi;                     /* index of its GPU instance, or -1 */
    unsigned placement;          /* placement_id of a time-sliced vGPU */
    bool held;                   /* a guest holds its VFIO device open */
};

struct fakevfio_gpu {
    char *name, *path; /* the physical function */
    char *driver, *pci_class, *vendor, *device;
    unsigned total_vfs;   /* sriov_totalvfs */
    unsigned vf_offset;   /* routing-id offset of virtfn0 (stride 1) */
    unsigned iommu_group; /* the PF's; VF i has iommu_group + 1 + i */
    bool new_files;       /* gpu_instance_id, placement_id, vgpu_params,
                           * warm_update besides the two old files */
    bool mig;             /* MIG mode on */
    struct fakevfio_type *types;
    size_t n_types;
    struct fakevfio_gi *gis;
    size_t n_gis;
    struct fakevfio_vf *vfs;
    size_t n_vfs;
};

/* ---- the driver's rules (fakehost-vfio.c; no I/O) ----------------------- */

const struct fakevfio_type *fakevfio_find_type(const struct fakevfio_gpu *g,
                                               unsigned id);
/* vGPUs on the GPU (VFs with a type). */
unsigned fakevfio_count(const struct fakevfio_gpu *g);
/* Whether VF vf would take type t now. */
bool fakevfio_creatable(const struct fakevfio_gpu *g, size_t vf,
                        const struct fakevfio_type *t);
/* Whether some free VF of g would take t now (NVML's creatable list). */
bool fakevfio_gpu_creatable(const struct fakevfio_gpu *g,
                            const struct fakevfio_type *t);
/* creatable_vgpu_types of VF vf in the driver's format. Caller frees. */
char *fakevfio_creatable_text(const struct fakevfio_gpu *g, size_t vf);
/* The text an nvidia/ attribute of VF vf reads, or NULL when reading it
 * fails with ENXIO (gpu_instance_id, placement_id without a vGPU).  Caller
 * frees. */
char *fakevfio_attr_text(const struct fakevfio_gpu *g, size_t vf,
                         const char *attr);
/* A write of buf to current_vgpu_type of VF vf, as the driver takes it.
 * Returns 0 or the write's negative errno: -EINVAL not a base-10 number,
 * -ERANGE too large, -EPERM a vGPU on a VF that has one or a destroy on one
 * that has none, -EBUSY a destroy while a guest holds the VF, -EIO a type
 * the VF does not list (RM refuses it; MIG-backed without a free GPU
 * instance included). */
int fakevfio_store_type(struct fakevfio_gpu *g, size_t vf, const char *buf,
                        size_t size);
/* A host reboot: every vGPU gone, no guest holds anything.  (MIG GPU
 * instances stay, as if the host's boot units recreated them.) */
void fakevfio_reboot(struct fakesys_host *h);
/* The GPU and VF named name ("0000:41:00.4"); false when none. */
bool fakevfio_find_vf(const struct fakesys_host *h, const char *name,
                      size_t *ret_gpu, size_t *ret_vf);

/* ---- the tree and the live hooks (fakehost-vfio-tree.c) ----------------- */

/* Rewrite the nvidia/ attributes of every VF of GPU gpu under dir. */
int fakevfio_refresh(const struct fakesys_host *h, const char *dir, size_t gpu,
                     struct errbuf *eb) __attribute__((warn_unused_result));
/* Live mode: handle a write to path (as FUSE gives it, "/devices/...") when
 * it is a VF's nvidia/ attribute or the control file.  Returns true when
 * handled, with *ret the write's result (size or a negative errno). */
bool fakevfio_live_write(struct fakesys_host *h, const char *dir,
                         const char *path, const char *buf, size_t size,
                         int *ret);
/* Live mode: the errno a read of path fails with (-ENXIO for
 * gpu_instance_id/placement_id of a VF without a vGPU), else 0. */
int fakevfio_live_read_errno(const struct fakesys_host *h, const char *path);

/* What happens outside sysfs, told to a live fake kernel whose mount is
 * root (fakesys_live_root()): "hold VF" (a guest opens the VF's VFIO
 * device: -ENODEV when the VF has no vGPU), "release VF", "reboot".
 * Returns 0, or -ENOENT for an unknown VF, -EINVAL for an unknown command,
 * with eb set. */
int fakesys_live_control(const char *root, const char *cmd, struct errbuf *eb);
