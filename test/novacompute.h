/*
 * novacompute.h - nova-compute's side of Placement for end-to-end tests:
 * Nova's own report client (Debian's python3-nova) driven as the resource
 * tracker drives it every period (test/nova-compute.py).
 *
 * Importing Nova costs seconds, so one Python process serves a whole test
 * binary: its main() calls novacompute_start() in Criterion's runner
 * before any test and novacompute_stop() after the last one; tests reach it
 * through $VGPU_TEST_NOVA_SOCKET (one connection per request, so a test
 * that dies mid-request leaves nothing behind for the next).  It dies with
 * the runner (PR_SET_PDEATHSIG).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

#define NOVACOMPUTE_SOCKET_ENV "VGPU_TEST_NOVA_SOCKET"

struct novacompute;

/* Start the helper and put its socket in $VGPU_TEST_NOVA_SOCKET; returns
 * once it listens.  Aborts (with the helper's log) when it does not. */
struct novacompute *novacompute_start(void);
/* SIGKILL, reap, remove its directory.  NULL is a no-op. */
void novacompute_stop(struct novacompute *n);
DEFINE_CLEANUP(struct novacompute, novacompute_stop)

/* One of Nova's per-VF GPU providers (libvirt driver, pre-agent). */
struct novacompute_child {
    const char *name; /* "<node>_pci_0000_41_00_4" */
    const char *rc;   /* "VGPU" */
    int total;
};

/* One periodic update of compute node uuid (root provider name) against
 * Placement at url: ensure the root (created when Placement lacks it), set
 * its inventory (VCPU 16, MEMORY_MB 65536, DISK_GB 500) and traits
 * (COMPUTE_NODE + traits, NULL-terminated or NULL), the n children, then
 * update_from_provider_tree.  refresh: clear the client's cache first, as a
 * restart does.  Returns NULL when the cycle went through, else Nova's
 * exception ("ResourceProviderCreationFailed: ..."); free() it. */
char *novacompute_cycle(const char *url, const char *uuid, const char *name,
                        const char *const *traits,
                        const struct novacompute_child *children, size_t n,
                        bool refresh);
