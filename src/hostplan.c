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
        else if (need == HOSTPLAN_NEED_OWNERS)
            notes_say(n, LOG_WARNING,
                      "sync: %s; holding back every vGPU no claim owns by "
                      "its deterministic UUID",
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

/* After orphans went: the host as it is now, and the plan made anew. */
static void
reread(struct hostload *h, const struct sysfs *fs, const struct guests *g,
       const struct reconcile_claim *claims, size_t n_claims,
       struct reconcile_plan **p)
{
    struct host *fresh = NULL;
    struct errbuf eb = { 0 };

    if (host_scan(fs, &fresh, &eb) < 0) {
        log_warn("reconcile: cannot read the host again after removing "
                 "orphans (%s); their room serves claims at the next run",
                 eb.msg);
        return;
    }
    host_free(h->hw);
    h->hw = fresh;
    reconcile_plan_free(*p);
    *p = hostplan_plan(h, g, claims, n_claims);
}

int
hostplan_act(struct hostload *h, const struct guests *g,
             const struct reconcile_claim *claims, size_t n_claims,
             bool dry_run, bool remove_orphans, struct reconcile_plan **p,
             struct reconcile_report *rep)
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
    if (reconcile_act_orphans(*p, fs, h->hw, &o, rep) > 0)
        reread(h, fs, g, claims, n_claims, p);
    reconcile_act_creates(*p, fs, h->hw, &o, rep);
    return (int)(rep->failed + (*p)->n_misplaced + (*p)->n_errors) +
           (dry_run ? 0 : save_state(h, *p, rep));
}

void
hostplan_owned(const struct reconcile_plan *p,
               const struct reconcile_report *rep, struct strv *ret)
{
    for (size_t i = 0; i < p->n_keep; i++)
        strv_push(ret, p->keep[i].uuid);
    for (size_t i = 0; rep && i < rep->n; i++)
        if (rep->v[i].result == RECONCILE_OK &&
            (rep->v[i].action == RECONCILE_CREATE ||
             rep->v[i].action == RECONCILE_REMOVE))
            strv_push(ret, rep->v[i].uuid);
}

/* Whether some GPU provider of t has vGPUs (that it may hold back). */
static bool
has_vgpus(const struct tree *t)
{
    for (size_t i = 1; i < t->n_providers; i++)
        if (t->providers[i].device && t->providers[i].device->mdevs.n > 0)
            return true;
    return false;
}

int
hostplan_hold_back(struct hostload *h, struct session *s,
                   const struct reconcile_claim *saved, size_t n_saved)
{
    _cleanup_(strv_clear) struct strv owned = { 0 };
    struct reconcile_claim *claims = NULL;
    struct reconcile_plan *p;
    struct guests *g;
    struct errbuf eb = { 0 };
    size_t n = 0;

    if (!h->tree->holds || !has_vgpus(h->tree))
        return 0;
    if (!saved &&
        claims_load(session_placement(s), h->tree,
                    h->conf->placement.max_parallel, &claims, &n, &eb) < 0) {
        log_error("%s", eb.msg);
        return eb.code;
    }
    g = hostplan_guests(h->conf, HOSTPLAN_NEED_OWNERS, NULL);
    p = saved ? hostplan_plan(h, g, saved, n_saved)
              : hostplan_plan(h, g, claims, n);
    hostplan_owned(p, NULL, &owned);
    tree_hold_back(h->tree, &owned);
    reconcile_plan_free(p);
    guests_free(g);
    free(claims);
    return 0;
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
