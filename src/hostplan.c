/*
 * hostplan.c - claims, guests and the reconcile plan of this host; acting
 * on the plan.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claims.h"
#include "hostplan.h"
#include "log.h"
#include "sysfs.h"
#include "xalloc.h"

struct guests *
hostplan_guests(const struct conf *c, enum hostplan_need need, struct notes *n)
{
    struct guests *g = NULL;
    struct errbuf eb = { 0 };

    if (guests_load(c->libvirt_uri, &g, &eb) < 0) {
        if (need == HOSTPLAN_NEED_ORPHANS)
            notes_say(n, LOG_ERROR, "reconcile: %s; orphans are not looked for",
                      eb.msg);
        else
            notes_say(n, LOG_WARNING,
                      "mdevs: %s; using the deterministic UUIDs", eb.msg);
        return NULL;
    }
    for (size_t i = 0; i < g->warnings.n; i++)
        notes_say(n, LOG_WARNING, "%s", g->warnings.v[i]);
    return g;
}

char *
hostplan_state_path(const struct conf *c)
{
    return xasprintf("%s/%s", c->state_dir, VFSTATE_FILE);
}

struct vfstate *
hostplan_state(const struct conf *c)
{
    _cleanup_free_ char *path = hostplan_state_path(c);
    struct vfstate *s = NULL;
    struct errbuf eb = { 0 };

    if (vfstate_load(path, &s, &eb) < 0) {
        log_error("%s; VF ownership from the guests alone, and the file "
                  "rewritten after the next reconcile",
                  eb.msg);
        return vfstate_new();
    }
    return s;
}

struct reconcile_plan *
hostplan_plan(const struct hostload *h, const struct guests *g,
              const struct reconcile_claim *claims, size_t n_claims)
{
    _cleanup_(vfstate_freep) struct vfstate *st = hostplan_state(h->conf);

    return reconcile_plan(h->tree, h->hw, g, st, claims, n_claims);
}

/* Record the VFs the plan's claims own, when that changed.  Returns 0 or
 * 1 (not recorded, logged). */
static int
save_state(const struct hostload *h, const struct reconcile_plan *p,
           const struct reconcile_report *rep)
{
    _cleanup_free_ char *path = hostplan_state_path(h->conf);
    _cleanup_(vfstate_freep) struct vfstate *old = hostplan_state(h->conf);
    _cleanup_(vfstate_freep) struct vfstate *next = vfstate_new();
    struct errbuf eb = { 0 };

    reconcile_next_state(p, rep, time(NULL), next);
    if (vfstate_equal(old, next))
        return 0;
    if (vfstate_save(next, path, &eb) < 0) {
        log_error("%s; which VF belongs to which claim is not recorded",
                  eb.msg);
        return 1;
    }
    return 0;
}

int
hostplan_act(const struct hostload *h, bool dry_run, bool remove_orphans,
             const struct reconcile_plan *p, struct reconcile_report *rep)
{
    const struct conf *c = h->conf;
    struct reconcile_opts o = {
        .dry_run = dry_run,
        .remove_orphans = remove_orphans || c->reconcile.remove_orphans,
        .grace_s = c->reconcile.orphan_grace_s,
        .mdevctl_dir = strcmp(c->reconcile.persist, "mdevctl") == 0
                           ? c->reconcile.mdevctl_dir
                           : NULL,
    };
    _cleanup_(sysfs_closep) struct sysfs *fs = NULL;
    struct errbuf eb = { 0 };

    if (sysfs_open(hostload_sysfs_root(h), &fs, &eb) < 0) {
        log_error("%s", eb.msg);
        return eb.code;
    }
    reconcile_act(p, fs, h->hw, &o, rep);
    return (int)(rep->failed + p->n_misplaced + p->n_errors) +
           (dry_run ? 0 : save_state(h, p, rep));
}

int
hostplan_load(const struct hostload_opts *o, struct hostplan *ret)
{
    struct errbuf eb = { 0 };
    int r = hostload_open(o, &ret->host);

    if (r < 0)
        return r;
    ret->session = session_new();
    r = session_open(ret->session, &ret->host);
    if (r < 0)
        return r;
    r = claims_load(session_placement(ret->session), ret->host.tree,
                    ret->host.conf->placement.max_parallel, &ret->claims,
                    &ret->n_claims, &eb);
    if (r < 0) {
        log_error("%s", eb.msg);
        return r == -EINVAL ? -EIO : r;
    }
    return 0;
}

void
hostplan_make(struct hostplan *p, enum hostplan_need need)
{
    reconcile_plan_free(TAKE_PTR(p->plan));
    guests_free(TAKE_PTR(p->guests));
    p->guests = hostplan_guests(p->host.conf, need, NULL);
    p->plan = hostplan_plan(&p->host, p->guests, p->claims, p->n_claims);
}

void
hostplan_clear(struct hostplan *p)
{
    reconcile_plan_free(p->plan);
    guests_free(p->guests);
    free(p->claims);
    session_free(p->session);
    hostload_clear(&p->host);
    memset(p, 0, sizeof(*p));
}
