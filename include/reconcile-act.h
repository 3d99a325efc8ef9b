/*
 * reconcile-act.h - carry out a reconcile plan: create the missing mdevs
 * through the kernel's create files, keep mdevctl definitions in step, and
 * remove orphans only when asked, old enough and unused.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "mdev.h"
#include "reconcile.h"
#include "sysfs.h"

struct reconcile_action {
    const char *action; /* "create", "remove", "persist", "unpersist" */
    char uuid[UUIDSTR_LEN];
    char *parent;
    char *mdev_type;
    char consumer[UUIDSTR_LEN];
    char provider[UUIDSTR_LEN];
    char *result; /* "ok", "planned" or "error: <message>" */
};

struct reconcile_report {
    struct reconcile_action *v;
    size_t n;
    unsigned failed; /* actions whose result is an error */
};

struct reconcile_opts {
    bool dry_run;        /* plan only: every result is "planned" */
    bool remove_orphans; /* and older than grace_s */
    unsigned grace_s;
    const char *mdevctl_dir; /* NULL: persist nothing */
};

/* Act on plan p for host h under fs.  Never fails as a whole: each action
 * carries its own result. */
void reconcile_act(const struct reconcile_plan *p, const struct sysfs *fs,
                   const struct mdev_host *h, const struct reconcile_opts *o,
                   struct reconcile_report *ret);
void reconcile_report_clear(struct reconcile_report *r);
