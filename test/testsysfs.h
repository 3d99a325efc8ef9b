/*
 * testsysfs.h - what the two sources of the test-sysfs binary share
 * (test-sysfs.c, test-sysfs-links.c): the test's tree and the helpers that
 * build it.  One test runs per process (Criterion forks), so the state is
 * one per test; the suite's setup and teardown are in test-sysfs.c.
 */
#pragma once

#include "sysfs.h"
#include "sysroot.h" /* tmp, root, fs, mk, ln, mkd; DIR/outside a file */

#define ASSERT_MSG_HAS(eb, s)                                                  \
    cr_assert(ne(ptr, strstr((eb).msg, (s)), NULL), "message: %s", (eb).msg)

/* A GPU of the kernel's tree and an mdev on it (kernel_tree()). */
#define GPU "devices/pci0000:80/0000:80:02.0/0000:84:00.0"
#define UUID "3131f5fd-7c04-4a61-92c1-0c37f9547b6b"

/* GPU with type nvidia-35 and the mdev UUID, linked as the kernel does
 * from class/mdev_bus, bus/pci/devices and bus/mdev/devices. */
void kernel_tree(void);
