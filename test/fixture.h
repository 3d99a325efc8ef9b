/*
 * fixture.h - sample hosts for tests: data/hosts/<name>.yaml made real.
 *
 * A host description (see data/hosts/README.md) is materialized into a
 * directory laid out exactly like the kernel's sysfs, with real relative
 * symlinks, so realpath(3), the agent and mdevctl all see what they would on
 * a real host.  The live mode serves such a tree through FUSE and behaves like
 * the kernel when `create` or `remove` is written, errno included.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cleanup.h"
#include "errbuf.h"
#include "strv.h"

/* Elements of an array (not of a pointer). */
#define NELEM(a) (sizeof(a) / sizeof(*(a)))

/* Absolute path of a file under the source tree's data/ or test/data/:
 * fixture_data_path("hosts/m60.yaml").  Uses $VGPU_TEST_DATA (test/data) and
 * $VGPU_DATA (data).  Caller frees. */
char *fixture_data_path(const char *rel);

/* The libvirt test driver's URI for a node file under test/data/:
 * fixture_node_uri("reconcile/no-guests.xml") is "test:///ABS/PATH".
 * Caller frees. */
char *fixture_node_uri(const char *rel);

/* A fresh mkdtemp() directory under $TMPDIR; caller frees the path and
 * removes the tree with fixture_rm_rf(). */
char *fixture_tmpdir(void);
/* fixture_write() of dir/rel; returns the path, which the caller frees. */
char *fixture_put(const char *dir, const char *rel, const char *text,
                  mode_t mode);

/* fixture_tmpdir() that is also HOME and the working directory, with every
 * OS_* variable and VGPU_AGENT_TOKEN unset: nothing of the machine's own
 * OpenStack setup reaches the test, or the agent it runs.  Caller frees
 * the path and removes the tree with fixture_rm_rf(). */
char *fixture_home(void);
/* rm -rf dir (refuses "/" and paths outside $TMPDIR or /tmp). */
void fixture_rm_rf(const char *dir);

/* Write text to path with mode (the umask does not apply), making missing
 * parent directories (0700).  Written aside and renamed over path, so a
 * reader never sees half of it.  Aborts when it cannot (a test's own
 * file: no test can go on without it). */
void fixture_write(const char *path, const char *text, mode_t mode);

/* Write the kernel-shaped tree of host description yaml_path into dir (which
 * must exist and be empty).  Returns 0 or a negative errno with eb set. */
int fakesys_materialize(const char *yaml_path, const char *dir,
                        struct errbuf *eb);

/* Every sample host of data/hosts that test/data/dump has a config and
 * golden outputs for (<name>.conf.yaml, <name>.json), as Criterion
 * parameters: cr_make_param_array(struct fixture_sample_host,
 * fixture_sample_hosts, fixture_n_sample_hosts).  An array, not pointers:
 * Criterion copies parameters into the test's own process. */
struct fixture_sample_host {
    char name[32];
};
extern struct fixture_sample_host fixture_sample_hosts[];
extern const size_t fixture_n_sample_hosts;

/* Materialize data/hosts/<host>.yaml into a fresh temporary directory and
 * return its path (caller frees and fixture_rm_rf()s).  Aborts the test on
 * failure. */
char *fixture_host(const char *host);

/* The live fake kernel: a FUSE mount of host yaml_path served by a child
 * process (test/fakesys mount).  The child dies with the test process. */
struct fakesys_live;
int fakesys_live_start(const char *yaml_path, struct fakesys_live **ret,
                       struct errbuf *eb);
/* The same, with `fakesys mount`'s fault hook (test/fakesys.c): after
 * after reads of files under the device directory dev (relative, as in
 * the tree: "devices/pci0000:3a/.../0000:3e:00.0"), that device is
 * hot-unplugged. */
int fakesys_live_start_unplug(const char *yaml_path, const char *dev,
                              unsigned long after, struct fakesys_live **ret,
                              struct errbuf *eb);
/* The mount point: the sysfs root to hand to the code under test. */
const char *fakesys_live_root(const struct fakesys_live *l);
/* Stops the child, unmounts, removes the temporary dirs; NULL ok. */
void fakesys_live_stop(struct fakesys_live *l);

/* True when path is a mount point in /proc/self/mountinfo. */
bool fixture_is_mounted(const char *path);

/*
 * The host model behind a description, shared by the materializer and the
 * live fake kernel (test/fakesys.c), which changes it on create/remove.
 */
enum fakesys_capacity {
    FAKESYS_INDEPENDENT, /* each type counts only its own mdevs */
    FAKESYS_SHARED,      /* one pool: an mdev of type T takes 1/max(T) of it */
    FAKESYS_HOMOGENEOUS, /* NVIDIA time-sliced: one type per GPU at a time */
    FAKESYS_SRIOV,       /* NVIDIA VF: one mdev per VF, one type per PF */
};

struct fakesys_type {
    char *id;          /* "nvidia-35" */
    char *name;        /* NULL: no name file */
    char *description; /* NULL: no description file */
    char *device_api;  /* NULL only when omitted */
    char *available;   /* verbatim text; NULL: from the capacity model */
    unsigned max;      /* instances on an empty parent (model input) */
    struct strv omit;  /* standard files left out ("create", "devices") */
};

struct fakesys_parent {
    char *name;   /* as in class/mdev_bus: "0000:84:00.0", "mtty" */
    char *path;   /* "devices/pci0000:80/.../0000:84:00.0" */
    char *bus;    /* "pci" for PCI names; NULL for class devices */
    char *driver; /* NULL when unbound */
    char *pci_class, *vendor, *device; /* "0x030000" ...; NULL when absent */
    char *physfn; /* the PF's address when this parent is a VF */
    enum fakesys_capacity capacity;
    int full_errno;   /* create's errno when nothing is available */
    struct strv omit; /* "mdev_bus", "mdev_supported_types" */
    struct fakesys_type *types;
    size_t n_types;
};

struct fakesys_mdev {
    char uuid[37]; /* lower case */
    size_t parent; /* index into host->parents */
    size_t type;   /* index into that parent's types */
    bool busy;     /* a process holds it open: the live fake's remove
                    * blocks (FAKESYS_BUSY_S, or until interrupted), then
                    * fails with EBUSY, as the kernel's waits for the
                    * release */
};
#define FAKESYS_BUSY_S 30

struct fakevfio_gpu; /* fakevfio.h: NVIDIA vendor-specific VFIO GPUs */

struct fakesys_host {
    char *description;
    struct fakesys_parent *parents;
    size_t n_parents;
    struct fakesys_mdev *mdevs;
    size_t n_mdevs, cap_mdevs;
    struct fakevfio_gpu *gpus; /* vfio_gpus: */
    size_t n_gpus;
    struct strv extra_dirs;
    struct strv extra_files; /* path, content, path, content, ... */
    struct strv extra_links; /* path, target, ... (target verbatim) */
};

/* Parse and check a host description; errors read "file:line:col: ...". */
int fakesys_host_load(const char *yaml_path, struct fakesys_host **ret,
                      struct errbuf *eb) __attribute__((warn_unused_result));
void fakesys_host_free(struct fakesys_host *h); /* NULL ok */
DEFINE_CLEANUP(struct fakesys_host, fakesys_host_free)
/* Write the whole tree of h into dir (existing, empty). */
int fakesys_host_write(const struct fakesys_host *h, const char *dir,
                       struct errbuf *eb) __attribute__((warn_unused_result));
/* What available_instances says for type t of parent p under its model. */
/* Index of the parent called name in *ret, or -ENOENT. */
int fakesys_host_find_parent(const struct fakesys_host *h, const char *name,
                             size_t *ret);
/* Mdevs of type id on parent p (any type when id is NULL). */
unsigned fakesys_host_count(const struct fakesys_host *h, size_t p,
                            const char *id);
unsigned fakesys_host_available(const struct fakesys_host *h, size_t p,
                                size_t t);
/* Write the tree of h->mdevs[i]: its directory and every link to it. */
int fakesys_mdev_write(const struct fakesys_host *h, const char *dir, size_t i,
                       struct errbuf *eb) __attribute__((warn_unused_result));
/* Rewrite the model's available_instances of parent p and, for a VF, of
 * every VF of the same PF. */
int fakesys_refresh_available(const struct fakesys_host *h, const char *dir,
                              size_t p, struct errbuf *eb)
    __attribute__((warn_unused_result));
/* Check a 36-character UUID (either case) into lower case ret.
 * Returns 0 or -EINVAL. */
int fakesys_uuid_normalize(const char *s, char ret[37])
    __attribute__((warn_unused_result));
