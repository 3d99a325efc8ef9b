/*
 * sysfs.h - read attributes from a sysfs tree rooted anywhere.
 *
 * The root is chosen once, at sysfs_open(): "/sys" on a real host, a fixture
 * directory in tests.  Every other path is relative to it ("class/mdev_bus",
 * "bus/mdev/devices/<uuid>"), so no code outside sysfs.c spells "/sys".
 * Paths never resolve outside the root: a symlink that climbs above it or is
 * absolute fails with -EXDEV.
 */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "cleanup.h"
#include "errbuf.h"
#include "strv.h"

#define SYSFS_ATTR_MAX (64 * 1024) /* larger attributes are -EFBIG */
#define SYSFS_LINK_MAX 40          /* symlinks per resolution, as the kernel */
#define SYSFS_LIST_MAX 65536       /* directory entries; more is -EFBIG */

struct sysfs; /* opaque; one open directory fd on the root */

int sysfs_open(const char *root, struct sysfs **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
void sysfs_close(struct sysfs *fs); /* NULL is a no-op */
DEFINE_CLEANUP(struct sysfs, sysfs_close)
const char *sysfs_root(const struct sysfs *fs);

/* Read a whole attribute, one trailing newline stripped.  *ret is the
 * caller's to free().  Returns 0, -ENOENT if it does not exist, -EFBIG past
 * SYSFS_ATTR_MAX, -EILSEQ if it holds a NUL byte, -EISDIR for a directory,
 * -EINVAL for anything else that is not a regular file (a FIFO never
 * blocks), or another negative errno.  Messages start "<rel>: ". */
int sysfs_read_str(const struct sysfs *fs, const char *rel, char **ret,
                   struct errbuf *eb) __attribute__((warn_unused_result));

/* Read an attribute holding one unsigned decimal ("16\n").  -EINVAL (with the
 * value quoted) for anything else, negative numbers included:
 * "<rel>: not an unsigned number: \"-1\"" (or "number out of range"). */
int sysfs_read_uint(const struct sysfs *fs, const char *rel, unsigned *ret,
                    struct errbuf *eb) __attribute__((warn_unused_result));

/* Names in a directory, sorted, without "." and "..".  Appends to *ret. */
int sysfs_list(const struct sysfs *fs, const char *rel, struct strv *ret,
               struct errbuf *eb) __attribute__((warn_unused_result));

/* Resolve every symlink in rel, as realpath(3) would, inside the root.
 * *ret is the canonical relative path ("devices/pci0000:3a/..."), the
 * caller's to free().  -ENOENT for a dangling link, -EXDEV for a link that
 * leaves the root, -ELOOP for too many links. */
int sysfs_resolve(const struct sysfs *fs, const char *rel, char **ret,
                  struct errbuf *eb) __attribute__((warn_unused_result));

/* When rel (links followed inside the root) last changed: for an mdev's
 * directory, when it was created.  The age of an orphan comes from it. */
int sysfs_ctime(const struct sysfs *fs, const char *rel, time_t *ret,
                struct errbuf *eb) __attribute__((warn_unused_result));

/* Whether rel exists (following links inside the root). */
bool sysfs_exists(const struct sysfs *fs, const char *rel);

/* Whether rel exists without following a final symlink, as lstat(2): a
 * dangling or escaping link "exists" (so callers can tell an absent
 * optional link from a broken one). */
bool sysfs_lexists(const struct sysfs *fs, const char *rel);

/* s made safe to quote in a message: printable ASCII kept, '"' and '\\'
 * escaped, other bytes as \xNN; at most max bytes of s, then "...".  The
 * caller frees. */
char *sysfs_escape(const char *s, size_t max);

/* The one seam for kernel side effects: write value (no newline) to the
 * attribute rel ("create", "remove", "nvidia/current_vgpu_type") with one
 * write(2); the file is never created.  Returns 0 or the negative errno
 * the kernel (or the fake kernel) answered with (-EINVAL, -EEXIST,
 * -ENOSPC, -EPERM, -EIO, -EBUSY, ...); -EIO for a short write.  Nothing
 * else is ever written: -EINVAL for a rel with a "." or ".." component,
 * -EPERM when it does not resolve to a file named "create" or "remove", or
 * "current_vgpu_type" in a directory "nvidia".  The message names rel and
 * the value: "<rel>: write \"<value>\": ...". */
int sysfs_write(const struct sysfs *fs, const char *rel, const char *value,
                struct errbuf *eb) __attribute__((warn_unused_result));
