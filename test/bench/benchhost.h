/*
 * benchhost.h - synthetic hosts for `make bench`: N time-sliced GPUs.
 *
 * The description follows data/hosts/README.md: N Tesla M60-class GPUs at
 * distinct PCI addresses, each offering the same four types (names and
 * descriptions of the captured m60.yaml), with the homogeneous capacity
 * model NVIDIA time-sliced GPUs have.  The configuration enables one type,
 * which names no address, so every GPU gets it.
 */
#pragma once

#include <stddef.h>

#define BENCHHOST_NODE "bench-host"
#define BENCHHOST_TYPE "nvidia-18" /* the enabled default type */

/* Write the host description of n GPUs (n <= 1024) to path.  Returns 0 or a
 * negative errno. */
int benchhost_write_yaml(const char *path, unsigned n);

/* Write the agent configuration to path (mode 0600, it holds the token):
 * the default type, Placement at url, interval_s 1 for `run`. */
int benchhost_write_conf(const char *path, const char *url);

/* Parse "1 16 64 256" (spaces or commas; NULL or "" for that default) into
 * at most max sizes of 1..1024.  Returns how many, or -EINVAL. */
int benchhost_sizes(const char *list, unsigned *ret, size_t max);
