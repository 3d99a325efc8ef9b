/*
 * sysroot.h - a sysfs root built file by file, for the binaries that test
 * the modules reading one (test-sysfs, test-mdev; each links sysroot.c).
 *
 * DIR/sys is the root, opened as fs; DIR itself holds what no path from
 * the root may reach ("outside").  One test runs per process (Criterion
 * forks), so the state is one per test: sysroot_setup() makes it,
 * sysroot_teardown() removes it, even where a test took permissions away.
 */
#pragma once

#include "sysfs.h"

extern char *tmp;        /* DIR */
extern char *root;       /* DIR/sys, the sysfs root */
extern struct sysfs *fs; /* opened on root */

/* DIR, DIR/sys with devices/ in it, fs. */
void sysroot_setup(void);
/* Close fs, remove DIR. */
void sysroot_teardown(void);

/* root/rel holding content (directories made). */
void mk(const char *rel, const char *content);
/* mkdir -p root/rel */
void mkd(const char *rel);
/* root/link, a relative link to root/target ("!x": x verbatim; fstree.h). */
void ln(const char *link, const char *target);
/* Remove root/rel. */
void rm(const char *rel);
