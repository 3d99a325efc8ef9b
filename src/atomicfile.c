/*
 * atomicfile.c - temporary file, fsync, rename, fsync of the directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "cleanup.h"
#include "xalloc.h"

static int
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Create tmp in dirfd (never through a symlink); a leftover of ours from a
 * crash is removed first. */
static int
open_temp(int dirfd, const char *tmp, mode_t mode)
{
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(dirfd, tmp, flags, mode);

    if (fd < 0 && errno == EEXIST && unlinkat(dirfd, tmp, 0) == 0)
        fd = openat(dirfd, tmp, flags, mode);
    return fd < 0 ? -errno : fd;
}

/* Fill the temporary file fd: the data, the mode, on disk. */
static int
fill_temp(int fd, const char *data, size_t len, mode_t mode)
{
    int r = 0;

    if (fchmod(fd, mode) < 0)
        r = -errno;
    if (r == 0)
        r = write_all(fd, data, len);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    return r;
}

int
atomicfile_replaceat(int dirfd, const char *dir, const char *name,
                     const char *data, size_t len, mode_t mode,
                     struct errbuf *eb)
{
    _cleanup_free_ char *tmp = xasprintf(".%s.%ld.tmp", name, (long)getpid());
    const char *sep = dir ? "/" : "";
    int fd, r;

    if (!dir)
        dir = "";
    fd = open_temp(dirfd, tmp, mode);
    if (fd < 0)
        return errbuf_set(eb, fd, "%s%s%s: %s", dir, sep, tmp, strerror(-fd));
    r = fill_temp(fd, data, len, mode);
    if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        r = -errno;
    if (r < 0) {
        (void)unlinkat(dirfd, tmp, 0);
        return errbuf_set(eb, r, "%s%s%s: %s", dir, sep, name, strerror(-r));
    }
    if (fsync(dirfd) < 0)
        return errbuf_set(eb, -errno, "%s%s%s: fsync of the directory: %s", dir,
                          sep, name, strerror(errno));
    return 0;
}

int
atomicfile_replace(const char *path, const char *data, size_t len, mode_t mode,
                   struct errbuf *eb)
{
    const char *slash = strrchr(path, '/');
    _cleanup_free_ char *dir =
        slash ? xasprintf("%.*s", (int)(slash - path), path) : NULL;
    _cleanup_close_ int dirfd = -1;

    if (!slash)
        dirfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    else
        dirfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return errbuf_set(eb, -errno, "%s: cannot open its directory: %s", path,
                          strerror(errno));
    return atomicfile_replaceat(dirfd, dir, slash ? slash + 1 : path, data, len,
                                mode, eb);
}
