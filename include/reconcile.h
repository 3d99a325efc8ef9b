/*
 * reconcile.h - which mdevs the host must have, from Placement's claims.
 *
 * Allocations are the single source of truth: a consumer holding n units
 * of a GPU provider's class needs n mdevs of the provider's type on that
 * GPU.  Their UUIDs: the ones the consumer's libvirt domain references, or
 * else UUIDv5(consumer, "<provider uuid>/<i>"), so whatever builds the
 * guest uses exactly the mdevs its claim owns and no two consumers can pick
 * the same one.  reconcile_plan() is pure: it decides, reconcile_act()
 * acts.  It reads the host through the host model (host.h); in a plan,
 * "parent" is the function (host_fn) a vGPU sits on and "uuid" its id.
 *
 * On a vendor-specific VFIO GPU (host.h) a vGPU is a VF with a type set,
 * its id the VF's address: a claim of n units owns n VFs.  Which ones: the
 * VFs of the GPU its consumer's domain references (PCI hostdevs), then
 * those the state file (vfstate.h) gives it, then the lowest-addressed free
 * VFs that list the type and no domain or other claim holds.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cleanup.h"
#include "guests.h"
#include "host.h"
#include "strv.h"
#include "tree.h"
#include "uuidstr.h"
#include "vfstate.h"

/* consumer holds n units on provider (a GPU provider of the tree), which
 * Placement knows as uuid (the tree's UUID, or the one of an adopted
 * provider).  provider is NULL for a stale provider (in Placement under our
 * root, no longer in the tree: the GPU is gone or has no room for its type):
 * its UUIDs are planned as errors (misplaced if they exist elsewhere). */
struct reconcile_claim {
    const struct tree_provider *provider;
    char uuid[UUIDSTR_LEN];
    char consumer[UUIDSTR_LEN];
    long n;
};

struct reconcile_mdev {
    char uuid[UUIDSTR_LEN]; /* an mdev's UUID, a VF's address; "" for a
                             * VF claim that found no VF */
    enum host_mode mode;    /* the interface it is made through */
    char *parent;           /* the function it sits on ("0000:84:00.0", a VF) */
    char *mdev_type;
    char consumer[UUIDSTR_LEN]; /* "" for orphans */
    char provider[UUIDSTR_LEN]; /* "" for orphans */
    char *why;                  /* misplaced/unaccounted/error: what is wrong */
    time_t since; /* an orphan VF: when the state file first saw it
                   * unowned; 0: now (first seen in this plan) */
};

struct reconcile_plan {
    struct reconcile_mdev *create; /* missing: make them */
    size_t n_create;
    struct reconcile_mdev *keep; /* expected and present */
    size_t n_keep;
    struct reconcile_mdev *misplaced; /* right UUID, wrong GPU or type */
    size_t n_misplaced;
    struct reconcile_mdev *unaccounted; /* a guest's mdev with no claim */
    size_t n_unaccounted;
    struct reconcile_mdev *orphans; /* managed, unclaimed, unreferenced */
    size_t n_orphans;
    struct reconcile_mdev *errors; /* e.g. no capacity left */
    size_t n_errors;
};

/* guests may be NULL (libvirt unreachable): then no mdev is an orphan,
 * since without the guest list none can be proven unused.  state (which VF
 * belongs to which claim; NULL: none recorded) matters only to vendor-VFIO
 * GPUs. */
struct reconcile_plan *
reconcile_plan(const struct tree *t, const struct host *h,
               const struct guests *guests, const struct vfstate *state,
               const struct reconcile_claim *claims, size_t n_claims);
void reconcile_plan_free(struct reconcile_plan *p);
/* What messages call m: "mdev", "VF" (of a vendor-VFIO GPU; "GPU" for a
 * VF claim that found no VF). */
const char *reconcile_noun(const struct reconcile_mdev *m);
DEFINE_CLEANUP(struct reconcile_plan, reconcile_plan_free)

/* UUIDv5(namespace = consumer, name = "<provider uuid>/<i>"), lower case.
 * Returns -EINVAL when consumer is no UUID. */
int reconcile_uuid(const char *consumer, const char *provider_uuid, unsigned i,
                   char ret[UUIDSTR_LEN]);
