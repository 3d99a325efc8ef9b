/*
 * reconcile-act.h - carry out a reconcile plan: create the missing vGPUs
 * through their GPU's operations (host_ops: for mdev, the kernel's create
 * files), keep definitions in step (mdevctl), and remove orphans only when
 * asked, old enough and unused.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "host.h"
#include "reconcile.h"
#include "sysfs.h"
#include "vfstate.h"

enum reconcile_verb {
    RECONCILE_CREATE,
    RECONCILE_REMOVE,
    RECONCILE_PERSIST,   /* a definition written (mdevctl) */
    RECONCILE_UNPERSIST, /* ... and removed */
};

enum reconcile_result {
    RECONCILE_OK,
    RECONCILE_PLANNED, /* dry run: not done */
    RECONCILE_FAILED,  /* see error */
};

struct reconcile_action {
    enum reconcile_verb action;
    char uuid[UUIDSTR_LEN]; /* an mdev's UUID, a VF's address */
    enum host_mode mode;
    char *parent;
    char *mdev_type;
    char consumer[UUIDSTR_LEN];
    char provider[UUIDSTR_LEN];
    enum reconcile_result result;
    char *error; /* RECONCILE_FAILED: what went wrong; else NULL */
};

struct reconcile_report {
    struct reconcile_action *v;
    size_t n;
    unsigned failed; /* actions whose result is RECONCILE_FAILED */
};

/* "create", "remove", "persist", "unpersist". */
const char *reconcile_verb_name(enum reconcile_verb v);
/* How reports print a result: "ok", "planned" or "error: <message>".
 * Caller frees. */
char *reconcile_result_text(const struct reconcile_action *a);

struct reconcile_opts {
    bool dry_run;        /* plan only: every result is RECONCILE_PLANNED */
    bool remove_orphans; /* and older than grace_s */
    unsigned grace_s;
    const char *mdevctl_dir; /* definitions (host_ops.persist); NULL: none */
};

/* Act on plan p for host h under fs.  Never fails as a whole: each action
 * carries its own result.  An orphan VF's age is its plan item's since (a
 * VF has no creation time the kernel keeps): one first seen in this plan is
 * younger than any grace but 0. */
void reconcile_act(const struct reconcile_plan *p, const struct sysfs *fs,
                   const struct host *h, const struct reconcile_opts *o,
                   struct reconcile_report *ret);
void reconcile_report_clear(struct reconcile_report *r);

/* The VF ownership plan p and its report r leave (vfstate.h) into *ret
 * (emptied first): every VF a claim owns (kept, created or planned to be,
 * misplaced or failed at its address), and every orphan VF not removed,
 * first seen at its item's since or else now. */
void reconcile_next_state(const struct reconcile_plan *p,
                          const struct reconcile_report *r, time_t now,
                          struct vfstate *ret);
