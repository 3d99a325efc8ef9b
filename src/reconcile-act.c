/*
 * reconcile-act.c - carry out a reconcile plan (see reconcile-act.h).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mdevctl.h"
#include "pathcomp.h"
#include "reconcile-act.h"
#include "uuidstr.h"
#include "xalloc.h"

static struct reconcile_action *
record(struct reconcile_report *r, const char *action,
       const struct reconcile_mdev *m)
{
    struct reconcile_action *a;

    r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
    a = &r->v[r->n++];
    *a = (struct reconcile_action){ .action = action,
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
        a->result = xstrdup("planned");
    } else if (rc < 0) {
        a->result = xasprintf("error: %s", eb->msg);
        r->failed++;
    } else {
        a->result = xstrdup("ok");
    }
}

/* The names of m become path components below: check them here too, not
 * only where they were read (sysfs, Placement, libvirt). */
static int
check_names(const struct reconcile_mdev *m, struct errbuf *eb)
{
    if (!uuidstr_is_lower(m->uuid)) {
        _cleanup_free_ char *q = sysfs_escape(m->uuid, 64);

        return errbuf_set(eb, -EINVAL,
                          "mdev uuid \"%s\": not a lower-case UUID", q);
    }
    if (pathcomp_problem(m->parent) || pathcomp_problem(m->mdev_type)) {
        _cleanup_free_ char *qp = sysfs_escape(m->parent, 64);
        _cleanup_free_ char *qt = sysfs_escape(m->mdev_type, 64);

        return errbuf_set(
            eb, -EINVAL, "parent \"%s\", type \"%s\": not a file name", qp, qt);
    }
    return 0;
}

/* Write uuid to the type's create file under the parent's directory. */
static int
create_mdev(const struct sysfs *fs, const struct mdev_host *h,
            const struct reconcile_mdev *m, struct errbuf *eb)
{
    const struct mdev_parent *p = NULL;
    _cleanup_free_ char *rel = NULL;
    int r = check_names(m, eb);

    if (r < 0)
        return r;
    p = mdev_host_find_parent(h, m->parent);
    if (!p)
        return errbuf_set(eb, -ENODEV, "parent %s is gone", m->parent);
    rel = xasprintf("%s/mdev_supported_types/%s/create", p->path, m->mdev_type);
    return sysfs_write(fs, rel, m->uuid, eb);
}

static void
persist(struct reconcile_report *r, const struct reconcile_mdev *m,
        const struct reconcile_opts *o)
{
    struct errbuf eb = { 0 };
    int rc;

    if (!o->mdevctl_dir || o->dry_run)
        return;
    rc = mdevctl_write(o->mdevctl_dir, m->parent, m->uuid, m->mdev_type, &eb);
    if (rc != 0) /* 0: the definition was already there */
        result(r, record(r, "persist", m), rc, &eb, false);
}

/* The kernel blocks the remove of an mdev a process still holds open: do
 * the write in a child and give up after REMOVE_TIMEOUT_S, so one stuck
 * mdev never stalls the agent.  (A child stuck in the kernel is killed as
 * soon as the write returns.) */
#define REMOVE_TIMEOUT_S 10

static int
remove_with_timeout(const struct sysfs *fs, const char *rel, struct errbuf *eb)
{
    pid_t pid = fork();
    int status = 0;

    if (pid < 0)
        return errbuf_set(eb, -errno, "%s: fork: %s", rel, strerror(errno));
    if (pid == 0)
        _exit(-sysfs_write(fs, rel, "1", NULL) & 0xff);
    for (int tenth = 0; tenth < REMOVE_TIMEOUT_S * 10; tenth++) {
        struct timespec ts = { 0, 100000000L };

        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0
                       ? 0
                       : errbuf_set(
                             eb,
                             -(WIFEXITED(status) ? WEXITSTATUS(status) : EIO),
                             "%s: write \"1\": %s", rel,
                             strerror(WIFEXITED(status) ? WEXITSTATUS(status)
                                                        : EIO));
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, WNOHANG); /* reaped now unless stuck in the kernel */
    return errbuf_set(eb, -ETIMEDOUT,
                      "%s: the kernel did not finish the remove in %d s "
                      "(is the mdev still in use?)",
                      rel, REMOVE_TIMEOUT_S);
}

/* An orphan goes only when asked, when older than the grace time, and the
 * plan already proved no guest references it. */
static void
remove_orphan(struct reconcile_report *r, const struct sysfs *fs,
              const struct reconcile_mdev *m, const struct reconcile_opts *o)
{
    _cleanup_free_ char *dir = NULL, *rel = NULL;
    struct errbuf eb = { 0 };
    time_t born;
    int rc;

    if (!o->remove_orphans)
        return;
    if (check_names(m, &eb) < 0) {
        result(r, record(r, "remove", m), eb.code, &eb, false);
        return;
    }
    dir = xasprintf("bus/mdev/devices/%s", m->uuid);
    rel = xasprintf("%s/remove", dir);
    if (sysfs_ctime(fs, dir, &born, &eb) < 0 ||
        time(NULL) - born < (time_t)o->grace_s)
        return;
    rc = o->dry_run ? 0 : remove_with_timeout(fs, rel, &eb);
    result(r, record(r, "remove", m), rc, &eb, o->dry_run);
    if (rc == 0 && o->mdevctl_dir && !o->dry_run) {
        rc = mdevctl_remove(o->mdevctl_dir, m->parent, m->uuid, &eb);
        if (rc != -ENOENT)
            result(r, record(r, "unpersist", m), rc, &eb, false);
    }
}

void
reconcile_act(const struct reconcile_plan *p, const struct sysfs *fs,
              const struct mdev_host *h, const struct reconcile_opts *o,
              struct reconcile_report *ret)
{
    for (size_t i = 0; i < p->n_create; i++) {
        struct errbuf eb = { 0 };
        int rc = o->dry_run ? 0 : create_mdev(fs, h, &p->create[i], &eb);

        result(ret, record(ret, "create", &p->create[i]), rc, &eb, o->dry_run);
        if (rc == 0)
            persist(ret, &p->create[i], o);
    }
    for (size_t i = 0; i < p->n_keep; i++)
        persist(ret, &p->keep[i], o);
    for (size_t i = 0; i < p->n_orphans; i++)
        remove_orphan(ret, fs, &p->orphans[i], o);
}

void
reconcile_report_clear(struct reconcile_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].parent);
        free(r->v[i].mdev_type);
        free(r->v[i].result);
    }
    free(r->v);
    *r = (struct reconcile_report){ 0 };
}
