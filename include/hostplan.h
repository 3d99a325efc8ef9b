/*
 * hostplan.h - what reconcile and mdevs start from, and how a reconcile
 * plan is carried out.
 *
 * The claims Placement holds on the host's GPUs, the guests libvirt knows,
 * the plan they make (reconcile.h), and acting on it under the host's
 * sysfs root with its reconcile settings.  `run`'s reconcile step
 * (pass-reconcile.h) reads its claims its own way, and uses the same
 * guests, plan and act.
 *
 * Part of the service layer (see hostload.h): it logs what it meets.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "guests.h"
#include "hostload.h"
#include "notes.h"
#include "reconcile-act.h"
#include "reconcile.h"
#include "session.h"
#include "vfstate.h"

/* What a plan loses when libvirt cannot be reached, said after why. */
enum hostplan_need {
    /* error "reconcile: <why>; orphans are not looked for" */
    HOSTPLAN_NEED_ORPHANS,
    /* warning "mdevs: <why>; using the deterministic UUIDs" */
    HOSTPLAN_NEED_UUIDS,
    /* warning "sync: <why>; holding back every vGPU no claim owns by its
     * deterministic UUID" */
    HOSTPLAN_NEED_OWNERS,
};

/* The guests libvirt knows (c->libvirt_uri), for a plan; their warnings
 * said through n at warning level.  NULL (said at the level above) when
 * libvirt cannot be reached: then no mdev is an orphan, and a claim's mdevs
 * get the deterministic UUIDs. */
struct guests *hostplan_guests(const struct conf *c, enum hostplan_need need,
                               struct notes *n);

/* "<state_dir>/vfio-state.json".  Caller frees. */
char *hostplan_state_path(const struct conf *c);
/* Which VF belongs to which claim (vfstate.h), from c's state_dir; empty
 * when there is no such file, and when it cannot be read (logged). */
struct vfstate *hostplan_state(const struct conf *c);

/* The plan for h's tree and vGPUs, with the VF ownership state_dir
 * records; guests may be NULL. */
struct reconcile_plan *hostplan_plan(const struct hostload *h,
                                     const struct guests *g,
                                     const struct reconcile_claim *claims,
                                     size_t n_claims);

/* Act on plan *p (made from g and claims) under h's sysfs root with h's
 * reconcile settings: orphans removed first (with remove_orphans or
 * reconcile.remove_orphans; none is ever given to a claim), and if any
 * went, the host read again (h->hw) and *p planned anew from it, so the
 * room they left serves the claims in the same run; then the creates
 * (definitions kept in reconcile.mdevctl_dir when reconcile.persist says
 * mdevctl); unless dry_run, then record which VF belongs to which claim
 * in state_dir when that changed.  Returns what is left wrong (failed
 * actions, misplaced mdevs, errors, an unwritten record), or a negative
 * errno when the sysfs root cannot be opened (logged). */
int hostplan_act(struct hostload *h, const struct guests *g,
                 const struct reconcile_claim *claims, size_t n_claims,
                 bool dry_run, bool remove_orphans, struct reconcile_plan **p,
                 struct reconcile_report *rep);

/* The ids of vGPUs that are not to be held back after acting on p (rep;
 * NULL: not acted on): those claims own, kept or just created, and those
 * removed.  Appended to ret (see tree_hold_back()). */
void hostplan_owned(const struct reconcile_plan *p,
                    const struct reconcile_report *rep, struct strv *ret);

/* Before a sync: when h's tree holds vGPUs back and some GPU has vGPUs,
 * read the claims on h's GPUs (s open; unless saved, n_saved of them, are
 * given: run's claims state file) and the guests, and hold back only the
 * vGPUs no claim owns.  Returns 0, or a negative errno when the claims
 * cannot be read (logged; the tree then holds back every vGPU). */
int hostplan_hold_back(struct hostload *h, struct session *s,
                       const struct reconcile_claim *saved, size_t n_saved)
    __attribute__((warn_unused_result));

/* The host, a Placement session and the claims on the host's GPUs; the
 * guests and the plan once hostplan_make() made them. */
struct hostplan {
    struct hostload host;
    struct session *session;
    struct reconcile_claim *claims;
    size_t n_claims;
    struct guests *guests; /* NULL: libvirt could not be reached */
    struct reconcile_plan *plan;
};

/* Load the host, open a session and read the claims.  Returns 0, -EINVAL
 * (configuration) or another negative errno, logged; on failure *ret holds
 * what was loaded: hostplan_clear() it either way. */
int hostplan_load(const struct hostload_opts *o, struct hostplan *ret)
    __attribute__((warn_unused_result));
/* Read the guests and make the plan. */
void hostplan_make(struct hostplan *p, enum hostplan_need need);
void hostplan_clear(struct hostplan *p); /* leaves it zeroed */
