/*
 * fixture.c - sample hosts made real: temp dirs, the loader, the materializer.
 *
 * A description is loaded into a struct fakesys_host (the model) and written
 * as sysfs lays it out: real device directories under devices/, and relative
 * symlinks that climb only to the common ancestor, as the kernel's do.  The
 * live fake kernel (fakesys.c) keeps the same model and rewrites the same
 * files when create/remove are written; fakesys_live_start() runs it.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "fstree.h"
#include "parse.h"
#include "pciaddr.h"
#include "xalloc.h"
#include "yamldoc.h"

/* ---- paths and temporary directories ---------------------------------- */

struct fixture_sample_host fixture_sample_hosts[] = {
    { "m60" },        { "p100" },       { "rtx6000-v100" },
    { "a100-sriov" }, { "intel-gvtg" }, { "kernel-samples" },
    { "s390" },
};
const size_t fixture_n_sample_hosts = NELEM(fixture_sample_hosts);

static int
path_exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

char *
fixture_data_path(const char *rel)
{
    const char *test_data = getenv("VGPU_TEST_DATA");
    const char *data = getenv("VGPU_DATA");
    char *path;

    path = xasprintf("%s/%s", test_data ? test_data : "test/data", rel);
    if (path_exists(path))
        return path;
    free(path);
    if (data)
        return xasprintf("%s/%s", data, rel);
    if (test_data) /* the source tree's data/ is test/data/../../data */
        return xasprintf("%s/../../data/%s", test_data, rel);
    return xasprintf("data/%s", rel);
}

char *
fixture_node_uri(const char *rel)
{
    _cleanup_free_ char *path = fixture_data_path(rel);
    _cleanup_free_ char *abs = realpath(path, NULL);

    if (!abs) { /* a test's own data file: no test can go on without it */
        fprintf(stderr, "fixture: %s: %s\n", path, strerror(errno));
        abort();
    }
    return xasprintf("test://%s", abs);
}

/* mkdir -p of path's parent directories. */
static void
make_parents(const char *path)
{
    _cleanup_free_ char *p = xstrdup(path);

    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            break; /* the open below names the problem */
        *s = '/';
    }
}

void
fixture_write(const char *path, const char *text, mode_t mode)
{
    _cleanup_free_ char *part = xasprintf("%s.new", path);
    size_t len = strlen(text);
    int fd;

    make_parents(path);
    fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
        fchmod(fd, mode) < 0 || close(fd) < 0 || rename(part, path) < 0) {
        fprintf(stderr, "fixture: %s: %s\n", path, strerror(errno));
        abort();
    }
}

char *
fixture_put(const char *dir, const char *rel, const char *text, mode_t mode)
{
    char *path = xasprintf("%s/%s", dir, rel);

    fixture_write(path, text, mode);
    return path;
}

static const char *
tmp_base(void)
{
    const char *t = getenv("TMPDIR");

    return t && t[0] ? t : "/tmp";
}

char *
fixture_tmpdir(void)
{
    _cleanup_free_ char *tmpl = xasprintf("%s/vgpu-test.XXXXXX", tmp_base());
    char *real;

    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "fixture: mkdtemp %s: %s\n", tmpl, strerror(errno));
        abort();
    }
    real = realpath(tmpl, NULL); /* mountinfo shows resolved paths */
    if (!real)
        abort();
    return real;
}

extern char **environ;

char *
fixture_home(void)
{
    char *dir = fixture_tmpdir();
    struct strv os = { 0 };

    for (char **e = environ; *e; e++)
        if (strncmp(*e, "OS_", 3) == 0)
            strv_take(&os, xstrndup(*e, strcspn(*e, "=")));
    for (size_t i = 0; i < os.n; i++)
        unsetenv(os.v[i]);
    strv_clear(&os);
    unsetenv("VGPU_AGENT_TOKEN");
    if (setenv("HOME", dir, 1) < 0 || chdir(dir) < 0) {
        fprintf(stderr, "fixture: HOME %s: %s\n", dir, strerror(errno));
        abort();
    }
    return dir;
}

/* Whether path lies strictly inside base (both resolved). */
static int
path_is_inside(const char *path, const char *base)
{
    _cleanup_free_ char *b = realpath(base, NULL);
    size_t n = b ? strlen(b) : 0;

    return b && strncmp(path, b, n) == 0 && path[n] == '/' && path[n + 1];
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (remove(path) < 0 && errno != ENOENT)
        fprintf(stderr, "fixture: rm %s: %s\n", path, strerror(errno));
    return 0;
}

void
fixture_rm_rf(const char *dir)
{
    _cleanup_free_ char *real = dir ? realpath(dir, NULL) : NULL;

    if (!real || strcmp(real, "/") == 0)
        return;
    if (!path_is_inside(real, tmp_base()) && !path_is_inside(real, "/tmp")) {
        fprintf(stderr, "fixture: refusing to remove %s\n", real);
        return;
    }
    /* FTW_MOUNT: never descend into a mount (a live fake kernel) */
    nftw(real, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

bool
fixture_is_mounted(const char *path)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096], mnt[PATH_MAX];
    bool found = false;

    while (f && !found && fgets(line, sizeof(line), f))
        found = sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
                strcmp(mnt, path) == 0;
    return found;
}

/* ---- the live fake kernel: a `test/fakesys mount` child ------------------ */

struct fakesys_live {
    pid_t pid;
    char *dir; /* ours: mnt/ and backing/ */
    char *mnt;
};

const char *
fakesys_live_root(const struct fakesys_live *l)
{
    return l->mnt;
}

static char *
fakesys_binary(void)
{
    const char *b = getenv("VGPU_BUILDDIR");

    return xasprintf("%s/test/fakesys", b ? b : ".");
}

/* Wait up to ms for the child to exit; true when reaped. */
static bool
reap(pid_t pid, int ms, int *status)
{
    struct timespec tick = { 0, 10 * 1000 * 1000 };

    for (int waited = 0; waited <= ms; waited += 10) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return true;
        nanosleep(&tick, NULL);
    }
    return false;
}

/* The child's "ready" line, or -EIO with what became of it. */
static int
wait_ready(struct fakesys_live *l, int fd, struct errbuf *eb)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    char buf[16] = "";
    int status = 0;

    if (poll(&pfd, 1, 20000) == 1 && read(fd, buf, sizeof(buf) - 1) > 0 &&
        strncmp(buf, "ready", 5) == 0)
        return 0;
    kill(l->pid, SIGTERM);
    if (!reap(l->pid, 5000, &status)) {
        kill(l->pid, SIGKILL);
        waitpid(l->pid, &status, 0);
    }
    l->pid = 0;
    return errbuf_set(eb, -EIO, "fakesys mount %s: not ready (exit status %d)",
                      l->mnt, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int
fakesys_live_start(const char *yaml_path, struct fakesys_live **ret,
                   struct errbuf *eb)
{
    return fakesys_live_start_unplug(yaml_path, NULL, 0, ret, eb);
}

int
fakesys_live_start_unplug(const char *yaml_path, const char *dev,
                          unsigned long after, struct fakesys_live **ret,
                          struct errbuf *eb)
{
    struct fakesys_live *l = xcalloc(1, sizeof(*l));
    _cleanup_free_ char *bin = fakesys_binary(), *backing = NULL;
    _cleanup_close_ int rfd = -1;
    char fdarg[16], afterarg[24];
    int fds[2], r;
    pid_t parent = getpid();

    l->dir = fixture_tmpdir();
    l->mnt = xasprintf("%s/mnt", l->dir);
    backing = xasprintf("%s/backing", l->dir);
    if (mkdir(l->mnt, 0755) < 0 || mkdir(backing, 0755) < 0 ||
        pipe2(fds, O_CLOEXEC) < 0) {
        r = errbuf_set(eb, -errno, "%s: %s", l->dir, strerror(errno));
        fakesys_live_stop(l);
        return r;
    }
    rfd = fds[0];
    snprintf(fdarg, sizeof(fdarg), "%d", fds[1]);
    snprintf(afterarg, sizeof(afterarg), "%lu", after);
    l->pid = fork();
    if (l->pid == 0) { /* dies with the test; fd stays open across exec */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent || fcntl(fds[1], F_SETFD, 0) < 0)
            _exit(127);
        if (dev)
            execl(bin, "fakesys", "mount", "--ready-fd", fdarg, "--backing",
                  backing, "--unplug", dev, "--after", afterarg, yaml_path,
                  l->mnt, (char *)NULL);
        else
            execl(bin, "fakesys", "mount", "--ready-fd", fdarg, "--backing",
                  backing, yaml_path, l->mnt, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    r = l->pid < 0 ? errbuf_set(eb, -errno, "fork: %s", strerror(errno))
                   : wait_ready(l, rfd, eb);
    if (r < 0) {
        fakesys_live_stop(l);
        return r;
    }
    *ret = l;
    return 0;
}

void
fakesys_live_stop(struct fakesys_live *l)
{
    int status;

    if (!l)
        return;
    if (l->pid > 0) {
        kill(l->pid, SIGTERM);
        if (!reap(l->pid, 5000, &status)) {
            kill(l->pid, SIGKILL);
            waitpid(l->pid, &status, 0);
        }
    }
    if (l->mnt && fixture_is_mounted(l->mnt))
        umount2(l->mnt, MNT_DETACH);
    fixture_rm_rf(l->dir);
    free(l->mnt);
    free(l->dir);
    free(l);
}
