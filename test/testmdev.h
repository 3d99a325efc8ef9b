/*
 * testmdev.h - what the two sources of the test-mdev binary share
 * (test-mdev.c, test-mdev-bad.c): the test's tree, the scan of it, and the
 * helpers that build it and check the warnings.  One test runs per
 * process (Criterion forks), so the state is one per test; the suite's
 * setup and teardown are in test-mdev.c.
 */
#pragma once

#include "mdev.h"
#include "sysfs.h"
#include "sysroot.h" /* tmp, root, fs, mk, ln, mkd, rm; DIR/outside a dir */

#define GPU_A "devices/pci0000:80/0000:80:02.0/0000:84:00.0"
#define GPU_B "devices/pci0000:3a/0000:3a:00.0/0000:3e:00.0"
#define MTTY "devices/virtual/mtty/mtty"
#define TYPES_A "class/mdev_bus/0000:84:00.0/mdev_supported_types"
#define UUID1 "3131f5fd-7c04-4a61-92c1-0c37f9547b6b"
#define UUID2 "e55bf865-6983-4d53-967f-51e8a3bb0f57"
#define UUID3 "00000000-0000-0000-0000-000000000101"
#define P4_2Q                                                                  \
    "num_heads=4, frl_config=60, framebuffer=2048M, "                          \
    "max_resolution=7680x4320, max_instance=4"
#define M60_0B                                                                 \
    "num_heads=2, frl_config=45, framebuffer=512M, "                           \
    "max_resolution=2560x1600, max_instance=16"

extern struct mdev_host *h; /* what scan() found */

/* Lookups the tests read the scan with (the agent reads the host model). */
const struct mdev_parent *mdev_host_find_parent(const struct mdev_host *host,
                                                const char *name);
const struct mdev_type *mdev_parent_find_type(const struct mdev_parent *p,
                                              const char *type_id);
/* Number of existing mdevs of type_id on the parent called parent. */
unsigned mdev_host_count(const struct mdev_host *host, const char *parent,
                         const char *type_id);

/* A parent device registered with mdev; klass NULL for a non-PCI one. */
void add_parent(const char *name, const char *dev, const char *klass,
                const char *driver);
/* dir/name holding value. */
void attr(const char *dir, const char *name, const char *value);
/* A type; name and desc may be NULL (absent). */
void add_type(const char *dev, const char *id, const char *avail,
              const char *api, const char *name, const char *desc);
/* An mdev as the kernel shows it: child of the parent, three links. */
void add_mdev(const char *dev, const char *uuid, const char *type);
/* Two NVIDIA GPUs (GPU_A, GPU_B) and the mtty sample driver (MTTY). */
void two_gpus_and_mtty(void);
/* mdev_scan() of root into h; it must succeed, and no warning may name
 * an absolute path. */
void scan(void);
/* Exactly one warning, equal to want. */
void assert_warning(const char *want);
/* Exactly one warning, starting with prefix. */
void assert_warning_starts(const char *prefix);
/* No warning at all. */
void assert_no_warnings(void);
