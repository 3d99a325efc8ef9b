/*
 * host-mdev.c - the mediated-device producer of the host model: what
 * mdev_scan() read, as GPUs, and how mdevs are made and unmade.
 *
 * An mdev is created by writing its UUID to its type's create file under
 * the parent device, removed by writing 1 to its own remove file, and kept
 * across a reboot by an mdevctl definition.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "mdev.h"
#include "mdevctl.h"
#include "uuidstr.h"
#include "xalloc.h"

/* Move a parent's types into fn (mdev_host_free() frees what is left). */
static void
take_types(struct host_fn *fn, struct mdev_parent *p)
{
    fn->types = xcalloc(p->n_types ? p->n_types : 1, sizeof(*fn->types));
    for (size_t i = 0; i < p->n_types; i++) {
        struct mdev_type *t = &p->types[i];

        fn->types[fn->n_types++] = (struct host_type){
            .id = TAKE_PTR(t->id),
            .name = TAKE_PTR(t->name),
            .device_api = TAKE_PTR(t->device_api),
            .available = t->available,
            .desc = t->desc,
        };
        t->desc = (struct type_desc){ 0 };
    }
}

static void
take_parent(struct host *h, struct mdev_parent *p)
{
    struct host_fn fn = { .name = TAKE_PTR(p->name),
                          .path = TAKE_PTR(p->path),
                          .is_pci = p->is_pci,
                          .addr = p->addr,
                          .is_vf = p->is_vf,
                          .physfn = p->physfn,
                          .pci_class = p->pci_class };

    take_types(&fn, p);
    host_add_fn(h, HOST_MODE_MDEV, &host_mdev_ops, &fn);
}

int
host_mdev_read(const struct sysfs *fs, struct host *h, struct errbuf *eb)
{
    _cleanup_(mdev_host_freep) struct mdev_host *m = NULL;
    int r = mdev_scan(fs, &m, eb);

    if (r < 0)
        return r;
    h->has_vgpu_info |= m->has_mdev_info;
    strv_copy(&h->warnings, &m->warnings);
    for (size_t i = 0; i < m->n_parents; i++)
        take_parent(h, &m->parents[i]);
    for (size_t i = 0; i < m->n_mdevs; i++)
        host_add_vgpu(h, m->mdevs[i].uuid, m->mdevs[i].parent,
                      m->mdevs[i].type_id);
    return 0;
}

/* --- operations ---------------------------------------------------------- */

static int
check_uuid(const char *id, struct errbuf *eb)
{
    _cleanup_free_ char *q = NULL;

    if (uuidstr_is_lower(id))
        return 0;
    q = sysfs_escape(id, 64);
    return errbuf_set(eb, -EINVAL, "mdev uuid \"%s\": not a lower-case UUID",
                      q);
}

/* Write the UUID to the type's create file under the parent's directory. */
static int
create_mdev(const struct sysfs *fs, const struct host_fn *fn,
            const char *type_id, const char *id, struct errbuf *eb)
{
    _cleanup_free_ char *rel =
        xasprintf("%s/mdev_supported_types/%s/create", fn->path, type_id);

    return sysfs_write(fs, rel, id, eb);
}

/* The kernel blocks the remove of an mdev a process still holds open: do
 * the write in a child and give up after REMOVE_TIMEOUT_S, so one stuck
 * mdev never stalls the agent.  (A child stuck in the kernel is killed as
 * soon as the write returns.) */
#define REMOVE_TIMEOUT_S 10

/* `run` blocks SIGTERM/SIGINT and takes them between passes; one pending
 * means "stop now": abandon the remove (the orphan stays and is removed by
 * a later run), so the service stops within a second (as http.c does with
 * a transfer). */
static bool
stop_pending(void)
{
    sigset_t pending;

    return sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) == 1 ||
                                         sigismember(&pending, SIGINT) == 1);
}

static int
remove_with_timeout(const struct sysfs *fs, const char *rel, struct errbuf *eb)
{
    pid_t pid = fork();
    int status = 0;

    if (pid < 0)
        return errbuf_set(eb, -errno, "%s: fork: %s", rel, strerror(errno));
    if (pid == 0) {
        /* it prints nothing; a child the kernel keeps must not keep the
         * service's stdout and stderr (the journal's stream) open */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        }
        _exit(-sysfs_write(fs, rel, "1", NULL) & 0xff);
    }
    for (int tenth = 0; tenth < REMOVE_TIMEOUT_S * 10; tenth++) {
        struct timespec ts = { 0, 100000000L };

        if (stop_pending()) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, WNOHANG);
            return errbuf_set(eb, -ECANCELED,
                              "%s: remove abandoned: stopping (the orphan "
                              "stays for a later pass)",
                              rel);
        }
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

static int
remove_mdev(const struct sysfs *fs, const struct host_fn *fn, const char *id,
            struct errbuf *eb)
{
    _cleanup_free_ char *rel = xasprintf("bus/mdev/devices/%s/remove", id);

    return remove_with_timeout(fs, rel, eb);
}

/* The mdev's directory appears when it is created. */
static int
born_mdev(const struct sysfs *fs, const struct host_fn *fn, const char *id,
          time_t *ret, struct errbuf *eb)
{
    _cleanup_free_ char *dir = xasprintf("bus/mdev/devices/%s", id);

    return sysfs_ctime(fs, dir, ret, eb);
}

static int
persist_mdev(const char *dir, const struct host_fn *fn, const char *type_id,
             const char *id, struct errbuf *eb)
{
    return mdevctl_write(dir, fn->name, id, type_id, eb);
}

static int
unpersist_mdev(const char *dir, const struct host_fn *fn, const char *id,
               struct errbuf *eb)
{
    return mdevctl_remove(dir, fn->name, id, eb);
}

const struct host_ops host_mdev_ops = {
    .noun = "mdev",
    .check_id = check_uuid,
    .create = create_mdev,
    .remove = remove_mdev,
    .born = born_mdev,
    .persist = persist_mdev,
    .unpersist = unpersist_mdev,
};
