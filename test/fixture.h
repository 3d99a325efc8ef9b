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

#include "errbuf.h"

/* Absolute path of a file under the source tree's data/ or test/data/:
 * fixture_data_path("hosts/m60.yaml").  Uses $VGPU_TEST_DATA (test/data) and
 * $VGPU_DATA (data).  Caller frees. */
char *fixture_data_path(const char *rel);

/* A fresh mkdtemp() directory under $TMPDIR; caller frees the path and
 * removes the tree with fixture_rm_rf(). */
char *fixture_tmpdir(void);
/* rm -rf dir (refuses "/" and paths outside $TMPDIR or /tmp). */
void fixture_rm_rf(const char *dir);

/* Write the kernel-shaped tree of host description yaml_path into dir (which
 * must exist and be empty).  Returns 0 or a negative errno with eb set. */
int fakesys_materialize(const char *yaml_path, const char *dir,
                        struct errbuf *eb);

/* Materialize data/hosts/<host>.yaml into a fresh temporary directory and
 * return its path (caller frees and fixture_rm_rf()s).  Aborts the test on
 * failure. */
char *fixture_host(const char *host);

/* The live fake kernel: a FUSE mount of host yaml_path served by a child
 * process (test/fakesys mount).  The child dies with the test process. */
struct fakesys_live;
int fakesys_live_start(const char *yaml_path, struct fakesys_live **ret,
                       struct errbuf *eb);
const char *fakesys_live_root(const struct fakesys_live *l); /* the mount point */
void fakesys_live_stop(struct fakesys_live *l); /* unmounts, reaps; NULL ok */
