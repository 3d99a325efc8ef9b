/*
 * restore.c - every claim's vGPUs back after a boot (see restore.h).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agentlock.h"
#include "claims.h"
#include "hostplan.h"
#include "log.h"
#include "restore.h"
#include "sysfs.h"

/* Type VF e again when it lost its type. */
static void
restore_vf(const struct sysfs *fs, const struct host *hw,
           const struct vfstate_entry *e, struct restore_result *ret)
{
    const struct host_gpu *gpu = NULL;
    const struct host_fn *fn = host_find_fn(hw, e->vf, &gpu);
    const struct host_vgpu *v = host_find_vgpu(hw, e->vf);
    struct errbuf eb = { 0 };
    struct log_fields f = { .event = LOG_EVENT_MDEV_CREATED,
                            .consumer = e->consumer,
                            .device = e->vf };

    if (v && strcmp(v->type_id, e->type_id) == 0) {
        log_debug("restore: VF %s already carries %s", e->vf, e->type_id);
        return;
    }
    if (!fn || gpu->mode != HOST_MODE_VENDOR_VFIO)
        errbuf_set(&eb, -ENODEV,
                   "VF %s is not on this host now (SR-IOV not enabled yet?)",
                   e->vf);
    else
        gpu->ops->create(fs, fn, e->type_id, e->vf, &eb);
    f.gpu = gpu ? gpu->address : NULL;
    if (eb.code < 0) {
        f.event = LOG_EVENT_MDEV_FAILED;
        f.err = eb.code;
        log_event(LOG_ERROR, &f, "restore: %s for consumer %s: %s", e->type_id,
                  e->consumer, eb.msg);
        ret->failed++;
        return;
    }
    log_event(LOG_NOTICE, &f, "restore: VF %s: %s for consumer %s", e->vf,
              e->type_id, e->consumer);
    ret->restored++;
}

void
restore_from_state(const struct hostload *h, struct restore_result *ret)
{
    _cleanup_(vfstate_freep) struct vfstate *st = hostplan_state(h->conf);
    _cleanup_(sysfs_closep) struct sysfs *fs = NULL;
    struct errbuf eb = { 0 };

    if (st->n == 0)
        return;
    if (sysfs_open(hostload_sysfs_root(h), &fs, &eb) < 0) {
        log_error("restore: %s", eb.msg);
        ret->failed += (unsigned)st->n;
        return;
    }
    for (size_t i = 0; i < st->n; i++)
        if (st->v[i].consumer[0])
            restore_vf(fs, h->hw, &st->v[i], ret);
}

/* One line per vGPU the pass made (a notice: what the agent did) or
 * could not make (an error), with the fields of pass-reconcile.c's. */
static void
log_action(const struct reconcile_action *a)
{
    _cleanup_free_ char *res = reconcile_result_text(a);
    bool failed = a->result == RECONCILE_FAILED;
    bool created = a->action == RECONCILE_CREATE && !failed;
    const struct log_fields f = {
        .event = failed    ? LOG_EVENT_MDEV_FAILED
                 : created ? LOG_EVENT_MDEV_CREATED
                           : NULL,
        .device = a->uuid,
        .gpu = a->parent,
        .consumer = a->consumer,
    };

    log_event(failed    ? LOG_ERROR
              : created ? LOG_NOTICE
                        : LOG_INFO,
              &f, "restore: %s %s on %s (%s) for consumer %s: %s",
              reconcile_verb_name(a->action), a->uuid, a->parent, a->mdev_type,
              a->consumer, res);
}

/* After the VFs were typed: a new scan, the claims, the guests, one
 * reconcile pass that removes nothing. */
static int
reconcile_pass(struct hostplan *hp, struct restore_result *ret)
{
    struct reconcile_report rep = { 0 };
    struct errbuf eb = { 0 };
    int r = hostload_scan(&hp->host);

    if (r == 0) {
        hp->session = session_new();
        r = session_open(hp->session, &hp->host);
    }
    if (r == 0 && claims_load(session_placement(hp->session), hp->host.tree,
                              hp->host.conf->placement.max_parallel,
                              &hp->claims, &hp->n_claims, &eb) < 0) {
        log_error("restore: %s", eb.msg);
        r = -EIO;
    }
    if (r == 0) {
        hostplan_make(hp, HOSTPLAN_NEED_ORPHANS);
        if (!hp->guests) /* mdevs need the guests' UUIDs: leave them */
            return -EIO;
        ret->reconciled = true;
        ret->left =
            (unsigned)hostplan_act(&hp->host, false, false, hp->plan, &rep);
        for (size_t i = 0; i < rep.n; i++)
            log_action(&rep.v[i]);
        reconcile_report_clear(&rep);
    }
    return r == -EINVAL ? -EIO : r;
}

int
restore_run(const struct hostload_opts *o, bool state_only,
            struct restore_result *ret)
{
    struct hostplan hp = { 0 };
    int lock = -1;
    int r = hostload_open(o, &hp.host);

    if (r == 0 && (lock = agentlock_take(hp.host.conf->lock_file)) < 0)
        r = -EIO;
    if (r == 0)
        restore_from_state(&hp.host, ret);
    if (r == 0 && !state_only) {
        r = reconcile_pass(&hp, ret);
        if (r < 0)
            log_warn("restore: no reconcile pass (see above); the VFs of "
                     "the state file are restored, `run` reconciles the "
                     "rest");
    }
    if (r == 0 && (ret->failed || ret->left))
        r = -EIO;
    hostplan_clear(&hp);
    if (lock >= 0)
        close(lock);
    return r;
}
