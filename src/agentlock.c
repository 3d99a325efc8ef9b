/*
 * agentlock.c - the agent's lock file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentlock.h"
#include "cleanup.h"
#include "log.h"
#include "xalloc.h"

/* mkdir the lock file's directory. */
static void
make_lock_dir(const char *path)
{
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');

    if (slash && slash != dir) {
        *slash = '\0';
        (void)mkdir(dir, 0755);
    }
}

int
agentlock_take(const char *path)
{
    int fd, r;
    char pid[32] = "";

    make_lock_dir(path);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        r = -errno;
        log_error("%s: cannot open the lock file: %s", path, strerror(-r));
        return r;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        ssize_t n;

        r = -errno;
        n = read(fd, pid, sizeof(pid) - 1);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        log_error("%s: another vgpu-agent (pid %s) is running on this host; "
                  "only one may act on it at a time",
                  path, *pid ? pid : "unknown");
        close(fd);
        return r;
    }
    snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) < 0)
        log_warn("%s: cannot record the pid: %s", path, strerror(errno));
    return fd;
}
