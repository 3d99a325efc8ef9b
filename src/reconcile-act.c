/*
 * reconcile-act.c - carry out a reconcile plan (see reconcile-act.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pathcomp.h"
#include "reconcile-act.h"
#include "uuidstr.h"
#include "xalloc.h"

const char *
reconcile_verb_name(enum reconcile_verb v)
{
    switch (v) {
    case RECONCILE_CREATE:
        return "create";
    case RECONCILE_REMOVE:
        return "remove";
    case RECONCILE_PERSIST:
        return "persist";
    case RECONCILE_UNPERSIST:
        return "unpersist";
    }
    return "?";
}

char *
reconcile_result_text(const struct reconcile_action *a)
{
    switch (a->result) {
    case RECONCILE_OK:
        return xstrdup("ok");
    case RECONCILE_PLANNED:
        return xstrdup("planned");
    case RECONCILE_FAILED:
        break;
    }
    return xasprintf("error: %s", a->error ? a->error : "?");
}

static struct reconcile_action *
record(struct reconcile_report *r, enum reconcile_verb action,
       const struct reconcile_mdev *m)
{
    struct reconcile_action *a;

    r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
    a = &r->v[r->n++];
    *a = (struct reconcile_action){ .action = action,
                                    .mode = m->mode,
                                    .parent = xstrdup(m->parent),
                                    .mdev_type = xstrdup(m->mdev_type) };
    memcpy(a->uuid, m->uuid, sizeof(a->uuid));
    memcpy(a->consumer, m->consumer, sizeof(a->consumer));
    memcpy(a->provider, m->provider, sizeof(a->provider));
    return a;
}

static void
result(struct reconcile_report *r, struct reconcile_action *a, int rc,
       const struct errbuf *eb, bool dry_run)
{
    if (dry_run) {
        a->result = RECONCILE_PLANNED;
    } else if (rc < 0) {
        a->result = RECONCILE_FAILED;
        a->error = xstrdup(eb->msg);
        r->failed++;
    } else {
        a->result = RECONCILE_OK;
    }
}

/* The names of m become path components below: check them here too, not
 * only where they were read (sysfs, Placement, libvirt).  The id's
 * spelling is the interface's (an mdev's UUID); a function the host does
 * not have has no interface, so only its names are checked. */
static int
check_names(const struct host_gpu *gpu, const struct reconcile_mdev *m,
            struct errbuf *eb)
{
    int r = gpu ? gpu->ops->check_id(m->uuid, eb) : 0;

    if (r < 0)
        return r;
    if (pathcomp_problem(m->parent) || pathcomp_problem(m->mdev_type)) {
        _cleanup_free_ char *qp = sysfs_escape(m->parent, 64);
        _cleanup_free_ char *qt = sysfs_escape(m->mdev_type, 64);

        return errbuf_set(
            eb, -EINVAL, "parent \"%s\", type \"%s\": not a file name", qp, qt);
    }
    return 0;
}

/* Create m on its function, through the function's interface. */
static int
create_vgpu(const struct sysfs *fs, const struct host *h,
            const struct reconcile_mdev *m, struct errbuf *eb)
{
    const struct host_gpu *gpu = NULL;
    const struct host_fn *fn = host_find_fn(h, m->parent, &gpu);
    int r = check_names(gpu, m, eb);

    if (r < 0)
        return r;
    if (!fn)
        return errbuf_set(eb, -ENODEV, "parent %s is gone", m->parent);
    return gpu->ops->create(fs, fn, m->mdev_type, m->uuid, eb);
}

static void
persist(struct reconcile_report *r, const struct host *h,
        const struct reconcile_mdev *m, const struct reconcile_opts *o)
{
    const struct host_gpu *gpu = NULL;
    const struct host_fn *fn = host_find_fn(h, m->parent, &gpu);
    struct errbuf eb = { 0 };
    int rc;

    if (!o->mdevctl_dir || o->dry_run || !fn || !gpu->ops->persist)
        return;
    rc = gpu->ops->persist(o->mdevctl_dir, fn, m->mdev_type, m->uuid, &eb);
    if (rc != 0) /* 0: the definition was already there */
        result(r, record(r, RECONCILE_PERSIST, m), rc, &eb, false);
}

static void
unpersist(struct reconcile_report *r, const struct host_gpu *gpu,
          const struct host_fn *fn, const struct reconcile_mdev *m,
          const struct reconcile_opts *o)
{
    struct errbuf eb = { 0 };
    int rc;

    if (!o->mdevctl_dir || o->dry_run || !gpu->ops->unpersist)
        return;
    rc = gpu->ops->unpersist(o->mdevctl_dir, fn, m->uuid, &eb);
    if (rc != -ENOENT)
        result(r, record(r, RECONCILE_UNPERSIST, m), rc, &eb, false);
}

/* An orphan goes only when asked, when older than the grace time, and the
 * plan already proved no guest references it.  Returns the remove's
 * result (-ECANCELED: the service is stopping), 0 when none was tried. */
static int
remove_orphan(struct reconcile_report *r, const struct sysfs *fs,
              const struct host *h, const struct reconcile_mdev *m,
              const struct reconcile_opts *o)
{
    const struct host_gpu *gpu = NULL;
    const struct host_fn *fn = host_find_fn(h, m->parent, &gpu);
    struct errbuf eb = { 0 };
    time_t born = 0;
    int rc;

    if (!o->remove_orphans)
        return 0;
    if (check_names(gpu, m, &eb) < 0) {
        result(r, record(r, RECONCILE_REMOVE, m), eb.code, &eb, false);
        return 0;
    }
    if (!fn)
        return 0;
    /* without a kernel birth time: the planner's first sight of it */
    born = m->since ? m->since : time(NULL);
    if ((gpu->ops->born && gpu->ops->born(fs, fn, m->uuid, &born, &eb) < 0) ||
        time(NULL) - born < (time_t)o->grace_s)
        return 0;
    rc = o->dry_run ? 0 : gpu->ops->remove(fs, fn, m->uuid, &eb);
    result(r, record(r, RECONCILE_REMOVE, m), rc, &eb, o->dry_run);
    if (rc == 0)
        unpersist(r, gpu, fn, m, o);
    return rc;
}

void
reconcile_act(const struct reconcile_plan *p, const struct sysfs *fs,
              const struct host *h, const struct reconcile_opts *o,
              struct reconcile_report *ret)
{
    for (size_t i = 0; i < p->n_create; i++) {
        struct errbuf eb = { 0 };
        int rc = o->dry_run ? 0 : create_vgpu(fs, h, &p->create[i], &eb);

        result(ret, record(ret, RECONCILE_CREATE, &p->create[i]), rc, &eb,
               o->dry_run);
        if (rc == 0)
            persist(ret, h, &p->create[i], o);
    }
    for (size_t i = 0; i < p->n_keep; i++)
        persist(ret, h, &p->keep[i], o);
    /* a stop asked for: the other orphans wait for a later run (touching
     * them could block on a sysfs busy with the abandoned remove) */
    for (size_t i = 0; i < p->n_orphans; i++)
        if (remove_orphan(ret, fs, h, &p->orphans[i], o) == -ECANCELED)
            break;
}

void
reconcile_report_clear(struct reconcile_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].parent);
        free(r->v[i].mdev_type);
        free(r->v[i].error);
    }
    free(r->v);
    *r = (struct reconcile_report){ 0 };
}

/* --- the VF ownership record ---------------------------------------------- */

static void
own_all(struct vfstate *s, const struct reconcile_mdev *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].mode == HOST_MODE_VENDOR_VFIO && v[i].uuid[0] &&
            v[i].consumer[0])
            vfstate_set(s, v[i].uuid, v[i].mdev_type, v[i].consumer,
                        v[i].provider, 0);
}

static bool
was_removed(const struct reconcile_report *r, const char *id)
{
    for (size_t i = 0; r && i < r->n; i++)
        if (r->v[i].action == RECONCILE_REMOVE &&
            r->v[i].result == RECONCILE_OK && strcmp(r->v[i].uuid, id) == 0)
            return true;
    return false;
}

void
reconcile_next_state(const struct reconcile_plan *p,
                     const struct reconcile_report *r, time_t now,
                     struct vfstate *ret)
{
    for (size_t i = 0; i < ret->n; i++)
        free(ret->v[i].type_id);
    ret->n = 0;
    own_all(ret, p->keep, p->n_keep);
    own_all(ret, p->create, p->n_create);
    own_all(ret, p->misplaced, p->n_misplaced);
    own_all(ret, p->errors, p->n_errors);
    for (size_t i = 0; i < p->n_orphans; i++) {
        const struct reconcile_mdev *m = &p->orphans[i];

        if (m->mode == HOST_MODE_VENDOR_VFIO && !was_removed(r, m->uuid))
            vfstate_set(ret, m->uuid, m->mdev_type, NULL, NULL,
                        m->since ? m->since : now);
    }
}
