/*
 * reconcile-internal.h - what the planner's two halves share: reconcile.c
 * (claims, mdevs, orphans) and reconcile-vf.c (the VFs of vendor-specific
 * VFIO GPUs).  Not for other modules.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "reconcile.h"

/* Units still free per (function, type) while creates are planned. */
struct reconcile_room {
    const char *parent, *type;
    unsigned left;
};

struct reconcile_planner {
    const struct tree *tree;
    const struct host *host;
    const struct guests *guests;
    const struct vfstate *state;
    const struct reconcile_claim *claims;
    size_t n_claims;
    struct reconcile_plan *plan;
    struct strv assigned; /* ids some claim expects */
    struct reconcile_room *rooms;
    size_t n_rooms, cap_rooms;
};

/* Append an item with id, parent and type (NULL: "") to *v. */
struct reconcile_mdev *reconcile_add(struct reconcile_mdev **v, size_t *n,
                                     const char *id, const char *parent,
                                     const char *type, enum host_mode mode);
/* Name c's consumer and provider on m. */
void reconcile_tag(struct reconcile_mdev *m, const struct reconcile_claim *c);
/* Whether consumer holds some claim. */
bool reconcile_has_claim(const struct reconcile_planner *pl,
                         const char *consumer);

/* Whether c is a claim on a vendor-specific VFIO GPU. */
bool reconcile_vf_is_claim(const struct reconcile_claim *c);
/* Plan every such claim (reconcile-vf.c). */
void reconcile_vf_claims(struct reconcile_planner *pl);
/* A claim on a stale provider: plan the VFs the state gives it; returns
 * how many units that accounted for. */
long reconcile_vf_stale(struct reconcile_planner *pl,
                        const struct reconcile_claim *c);
/* A guest's VFs no claim expects. */
void reconcile_vf_unaccounted(struct reconcile_planner *pl);
/* When the state file first saw VF vf of type type_id unowned; 0: never. */
time_t reconcile_vf_orphan_since(const struct reconcile_planner *pl,
                                 const char *vf, const char *type_id);
