/*
 * host.h - the host's GPUs, whatever kernel interface shows them.
 *
 * The one model policy, tree, reconcile and output read: each physical GPU
 * (a PCI function, the virtual functions of one SR-IOV physical function,
 * or a non-PCI mdev parent), the functions it is made of, the vGPU types
 * each function offers with the facts capacity is computed from, the vGPUs
 * the host already holds, and how to create and remove one (host_ops).
 *
 * A producer reads one kernel interface into the model and brings its
 * operations table: host-mdev.c reads mediated devices (through mdev.c).
 * NVIDIA's vendor-specific VFIO (typed SR-IOV VFs, no mdev; host-vfio.c) is
 * the second: every VF a host_fn of its PF's GPU, listing the types its
 * creatable_vgpu_types lists (available 1) and the type it holds
 * (available 0); each typed VF a host_vgpu whose id is the VF's address;
 * its ops write a type number or 0 to the VF's nvidia/current_vgpu_type.
 * Policy's SR-IOV rule, min(existing + functions with room, max_instance),
 * is then the driver's existing + min(free VFs listing the type,
 * max instances - existing).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cleanup.h"
#include "errbuf.h"
#include "pciaddr.h"
#include "strv.h"
#include "sysfs.h"
#include "typedesc.h"

/* The kernel interface a GPU's vGPUs are made through. */
enum host_mode {
    HOST_MODE_MDEV,        /* mediated devices: mdev_supported_types */
    HOST_MODE_VENDOR_VFIO, /* NVIDIA vendor VFIO: typed VFs (host-vfio.c) */
};

/* "mdev", "vendor-vfio": how dump and messages name a mode. */
const char *host_mode_name(enum host_mode m);

/* A type one function offers, with its capacity facts. */
struct host_type {
    char *id;              /* "nvidia-35": what config, traits and claims say */
    char *name;            /* "GRID M60-0B"; the id when the kernel has none */
    char *device_api;      /* "vfio-pci", "vfio-ccw", ...; NULL: unknown */
    unsigned available;    /* instances this function can still take */
    struct type_desc desc; /* max_instance per GPU, heads, resolution: mdev
                            * parses the description; vendor VFIO asks
                            * NVML or derives max_instance (host-vfio.c) */
};

/* One function of a GPU: a PCI function (a VF of an SR-IOV GPU) or a
 * non-PCI mdev parent.  It lists every type it can create now and every
 * type of the vGPUs it holds (available 0 when it has no more room). */
struct host_fn {
    char *name; /* "0000:84:00.0", a VF "0000:41:00.4", "mtty" */
    char *path; /* its sysfs directory below the root: where ops write */
    bool is_pci;
    struct pci_addr addr;    /* valid when is_pci */
    bool is_vf;              /* a virtual function (has a physfn) */
    struct pci_addr physfn;  /* valid when is_vf */
    unsigned pci_class;      /* 0x030000; 0 when unknown */
    struct host_type *types; /* sorted by id */
    size_t n_types;
};

struct host_ops;

struct host_gpu {
    char *address; /* "0000:84:00.0", the PF of an SR-IOV group, or the
                    * name of a non-PCI parent ("mtty") */
    bool is_pci;
    struct pci_addr addr; /* valid when is_pci */
    bool is_sriov;        /* its functions are virtual functions */
    enum host_mode mode;
    const struct host_ops *ops;
    struct host_fn *fns; /* address order (host_sort) */
    size_t n_fns;
};

/* A vGPU the host holds. */
struct host_vgpu {
    char *id;      /* an mdev's UUID (lower case); a VF's address */
    char *fn;      /* the function it sits on (host_fn.name) */
    char *type_id; /* "nvidia-35" */
    char *owner;   /* the consumer it belongs to when the interface
                    * records it; NULL otherwise (mdev: reconcile learns
                    * owners from the claims and the guests) */
};

struct host {
    struct host_gpu *gpus; /* PCI by address, then others by name */
    size_t n_gpus;
    struct host_vgpu *vgpus; /* every GPU's, sorted by id */
    size_t n_vgpus;
    bool has_vgpu_info;   /* some interface exists (for mdev: class/mdev_bus
                           * or bus/mdev), even if it shows no GPU */
    struct strv warnings; /* "class/mdev_bus/x/...: what was wrong" */
};

/* How to make and unmake a vGPU on one interface.  Every write goes through
 * sysfs_write(); nothing outside a producer spells its paths.  Callers
 * check ids with check_id and function names and type ids as path
 * components before they call the others. */
struct host_ops {
    const char *noun; /* "mdev": what messages call one vGPU */
    /* 0 when id can name a vGPU here, else -EINVAL with a message. */
    int (*check_id)(const char *id, struct errbuf *eb);
    /* Create vGPU id of type type_id on fn. */
    int (*create)(const struct sysfs *fs, const struct host_fn *fn,
                  const char *type_id, const char *id, struct errbuf *eb);
    /* Remove vGPU id from fn; never blocks for long (-ETIMEDOUT). */
    int (*remove)(const struct sysfs *fs, const struct host_fn *fn,
                  const char *id, struct errbuf *eb);
    /* When vGPU id was created: orphans younger than the grace stay. */
    int (*born)(const struct sysfs *fs, const struct host_fn *fn,
                const char *id, time_t *ret, struct errbuf *eb);
    /* Keep a definition under dir so the host recreates the vGPU at boot
     * (1 written, 0 already there), and drop it (-ENOENT: there was none).
     * NULL when the interface has no such thing. */
    int (*persist)(const char *dir, const struct host_fn *fn,
                   const char *type_id, const char *id, struct errbuf *eb);
    int (*unpersist)(const char *dir, const struct host_fn *fn, const char *id,
                     struct errbuf *eb);
};

/* Read every interface under fs into a sorted model.  Returns 0 with *ret
 * set (no GPU is a valid answer; odd sysfs content is a warning), or a
 * negative errno when the root itself cannot be read. */
int host_scan(const struct sysfs *fs, struct host **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
struct host *host_new(void);
void host_free(struct host *h);
DEFINE_CLEANUP(struct host, host_free)

/* The function called name and (if gpu) its GPU; NULL if there is none. */
const struct host_fn *host_find_fn(const struct host *h, const char *name,
                                   const struct host_gpu **gpu);
const struct host_type *host_fn_find_type(const struct host_fn *fn,
                                          const char *type_id);
/* The GPU whose address is address ("0000:41:00.0"); NULL if none. */
const struct host_gpu *host_find_gpu(const struct host *h, const char *address);
/* Address order: PCI GPUs by address, then the others by name. */
int host_gpu_cmp(const struct host_gpu *a, const struct host_gpu *b);
/* The vGPU whose id is id, compared case-insensitively; NULL if none. */
const struct host_vgpu *host_find_vgpu(const struct host *h, const char *id);

/* --- for producers (and tests that build a model in memory) -------------
 * Pointers returned stay valid until the next call that adds the same kind
 * of thing to h (or to the same function). */

/* Take fn (its strings and types) into the GPU it belongs to: its physical
 * function's when is_vf, else its own, made with mode and ops if new. */
struct host_fn *host_add_fn(struct host *h, enum host_mode mode,
                            const struct host_ops *ops, struct host_fn *fn);
/* A new type id on fn, zeroed but for id and name (= id). */
struct host_type *host_fn_add_type(struct host_fn *fn, const char *id);
struct host_vgpu *host_add_vgpu(struct host *h, const char *id, const char *fn,
                                const char *type_id);
/* Sort GPUs, their functions and types, and the vGPUs. */
void host_sort(struct host *h);

/* The producers host_scan() runs, in order. */
int host_mdev_read(const struct sysfs *fs, struct host *h, struct errbuf *eb)
    __attribute__((warn_unused_result));
extern const struct host_ops host_mdev_ops;

struct nvml;
/* Where the vendor-VFIO producer gets max instances, heads and resolution;
 * NULL options: load NVML_LIBRARY (nvml-load.h), and without it use the
 * framebuffer rule (host-vfio.h). */
struct host_vfio_opts {
    struct nvml *nvml;     /* ask this one (the caller's); NULL: load one */
    const char *nvml_path; /* what to load; NULL: NVML_LIBRARY */
    bool no_nvml;          /* load none: the framebuffer rule */
};
/* NVIDIA vendor-specific VFIO: every VF under bus/pci/devices with
 * nvidia/creatable_vgpu_types; and a warning for each NVIDIA GPU on the
 * nvidia driver whose SR-IOV is not enabled.  Odd content is a warning;
 * returns 0. */
int host_vfio_read(const struct sysfs *fs, struct host *h,
                   const struct host_vfio_opts *o, struct errbuf *eb)
    __attribute__((warn_unused_result));
extern const struct host_ops host_vfio_ops;
