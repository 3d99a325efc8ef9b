/*
 * mdev.h - what sysfs says about mediated devices: parents, types, mdevs.
 *
 * mdev_scan() reads everything once, as the kernel spells it; host-mdev.c
 * turns that into the host model (host.h), which is all later stages (type
 * policy, provider tree, reconcile) see.  Anything odd in sysfs skips that
 * type or parent with a warning in host->warnings naming the path; only an
 * unusable root is an error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "errbuf.h"
#include "pciaddr.h"
#include "strv.h"
#include "sysfs.h"
#include "typedesc.h"
#include "uuidstr.h"

struct mdev_type {
    char *id;          /* "nvidia-35": the directory name */
    char *name;        /* "GRID M60-0B"; the id when sysfs has no name */
    char *description; /* NULL when absent */
    char *device_api;  /* "vfio-pci", "vfio-ccw", ... */
    unsigned available;
    struct type_desc desc;
};

struct mdev_parent {
    char *name; /* as in class/mdev_bus: "0000:84:00.0", "mtty" */
    char *
        path; /* canonical path below the root: "devices/pci.../0000:84:00.0" */
    bool is_pci; /* name is a PCI address and the device sits on a PCI bus */
    struct pci_addr addr;    /* valid when is_pci */
    bool is_vf;              /* has a physfn link */
    struct pci_addr physfn;  /* valid when is_vf */
    unsigned pci_class;      /* 0x030000; 0 when unknown */
    char *driver;            /* basename of the driver link; NULL if none */
    struct mdev_type *types; /* sorted by id */
    size_t n_types;
};

struct mdev_device {
    char uuid[UUIDSTR_LEN];
    char *parent;  /* parent name, as mdev_parent.name */
    char *type_id; /* basename of the mdev_type link */
};

struct mdev_host {
    struct mdev_parent
        *parents; /* sorted: PCI by address, then others by name */
    size_t n_parents;
    struct mdev_device *mdevs; /* sorted by uuid */
    size_t n_mdevs;
    bool has_mdev_info;   /* class/mdev_bus or bus/mdev existed at all */
    struct strv warnings; /* "class/mdev_bus/x/...: what was wrong" */
};

/* Scan fs: parents from class/mdev_bus/ (or, when that directory is
 * missing, bus/pci/devices/<addr>/ that have mdev_supported_types), their
 * types, and the mdevs in bus/mdev/devices/.  Returns 0 with *ret set (zero
 * parents is a valid answer), or a negative errno when the root itself
 * cannot be read. */
int mdev_scan(const struct sysfs *fs, struct mdev_host **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
void mdev_host_free(struct mdev_host *h);
DEFINE_CLEANUP(struct mdev_host, mdev_host_free)
